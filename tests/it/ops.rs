//! Operations: durability, backup, shutdown, restart, health, metrics, OpenAPI, CLI, limits.

use crate::common::*;
use serde_json::json;
use std::time::Duration;

fn start_and_send(s: &TestServer, text: &str) -> (String, String, String) {
    let browser = new_uuid();
    let r = post(&s.url("/api/chat/start"), &json!({ "browser_uuid": browser, "topic": "t" }));
    let session = r.body["session_id"].as_str().unwrap_or("").to_string();
    let m = post(&s.url(&format!("/api/chat/session/{session}/messages")), &json!({ "browser_uuid": browser, "message": text }));
    assert_eq!(m.status, 201);
    (browser, session, m.body["id"].as_str().unwrap_or("").to_string())
}

fn count_messages(db: &std::path::Path) -> i64 {
    let c = rusqlite::Connection::open(db).expect("open db");
    c.query_row("SELECT COUNT(*) FROM messages", [], |r| r.get(0)).expect("count")
}

#[test]
fn acknowledged_messages_survive_kill_9_and_restart() {
    let mut s = TestServer::start();
    let (browser, session, id) = start_and_send(&s, "durable");
    s.kill9();
    let dir = std::mem::replace(&mut s.dir, tempfile::tempdir().expect("tempdir"));
    let s2 = TestServer::start_on(dir, s.db.clone(), &[], &[]);
    let r = get(&s2.url(&format!("/api/chat/session/{session}/messages?browser_uuid={browser}")));
    assert_eq!(r.status, 200);
    assert_eq!(r.body["messages"][0]["id"], id.as_str());
    assert_eq!(r.body["messages"][0]["message"], "durable");
}

#[test]
fn sigterm_shuts_down_cleanly_and_checkpoints_the_wal() {
    let mut s = TestServer::start();
    for i in 0..20 {
        start_and_send(&s, &format!("m{i}"));
    }
    let status = s.terminate();
    assert!(status.success(), "clean exit: {status:?}");
    let wal = s.db.with_extension("db-wal");
    let wal_len = std::fs::metadata(&wal).map(|m| m.len()).unwrap_or(0);
    assert_eq!(wal_len, 0, "the WAL was folded into the database file");
    // The database file alone is complete: copy it without its WAL and read it.
    let copy = s.dir.path().join("copy.db");
    std::fs::copy(&s.db, &copy).expect("copy");
    assert_eq!(count_messages(&copy), 20);
}

#[test]
fn online_backup_while_serving() {
    let s = TestServer::start();
    for i in 0..10 {
        start_and_send(&s, &format!("b{i}"));
    }
    let dest = s.dir.path().join("backup.db");
    let out = cli_ok(&s.db, &["backup", dest.to_str().unwrap_or("")]);
    assert!(out.contains("backup.db"));
    assert_eq!(count_messages(&dest), 10);
    // refuses to overwrite
    let again = s.cli(&["backup", dest.to_str().unwrap_or("")]);
    assert!(!again.status.success());
    // the server keeps working
    start_and_send(&s, "after backup");
}

#[test]
fn health_metrics_and_openapi() {
    let s = TestServer::start();
    start_and_send(&s, "x");
    let h = get(&s.url("/healthz"));
    assert_eq!((h.status, h.body["status"].as_str()), (200, Some("ok")));
    let m = get(&s.url("/metrics"));
    assert_eq!(m.status, 200);
    assert!(m.header("Content-Type").unwrap_or("").starts_with("text/plain"));
    for metric in ["obrol_http_requests_total{class=\"2xx\"}", "obrol_sessions{status=\"waiting\"} 1", "obrol_messages_total 1", "obrol_agents_online 0"] {
        assert!(m.text.contains(metric), "metrics lack {metric}:\n{}", m.text);
    }
    let o = get(&s.url("/api/openapi.json"));
    assert_eq!(o.status, 200);
    assert_eq!(o.body["openapi"], "3.0.3");
    let paths = o.body["paths"].as_object().expect("paths");
    for p in ["/healthz", "/metrics", "/api/chat/start", "/api/chat/history", "/api/chat/session/{session_id}/messages"] {
        assert!(paths.contains_key(p), "openapi lacks {p}");
    }
}

#[test]
fn every_response_has_a_request_id() {
    let s = TestServer::start();
    for (m, p) in [("GET", "/healthz"), ("GET", "/nope"), ("POST", "/api/chat/start"), ("GET", "/api/livechat/sessions")] {
        let r = request(m, &s.url(p), None, &[]);
        let id = r.header("X-Request-Id").unwrap_or("");
        assert!(uuid::Uuid::parse_str(id).is_ok(), "{m} {p}: {id:?}");
    }
}

#[test]
fn idle_sessions_close_with_a_system_message() {
    let s = TestServer::start_with(&["--idle-close-after", "1s"], &[]);
    let (browser, session, _) = start_and_send(&s, "hello?");
    let url = s.url(&format!("/api/chat/session/{session}?browser_uuid={browser}"));
    let mut closed = false;
    for _ in 0..40 {
        std::thread::sleep(Duration::from_millis(150));
        if get(&url).body["status"] == "closed" {
            closed = true;
            break;
        }
    }
    assert!(closed, "closed after inactivity");
    let d = get(&url);
    let last = d.body["messages"].as_array().and_then(|a| a.last().cloned()).unwrap_or_default();
    assert_eq!(last["sender_type"], "system");
}

#[test]
fn restart_on_an_existing_database_keeps_everything() {
    let mut s = TestServer::start();
    let (browser, session, _) = start_and_send(&s, "keep me");
    assert!(s.terminate().success());
    let dir = std::mem::replace(&mut s.dir, tempfile::tempdir().expect("tempdir"));
    let s2 = TestServer::start_on(dir, s.db.clone(), &[], &[]);
    let r = get(&s2.url(&format!("/api/chat/history?browser_uuid={browser}")));
    assert_eq!(r.body["sessions"][0]["session_id"], session.as_str());
    let c = rusqlite::Connection::open(&s2.db).expect("open");
    let v: i64 = c.query_row("PRAGMA user_version", [], |r| r.get(0)).expect("user_version");
    assert!(v >= 1);
    let mode: String = c.query_row("PRAGMA journal_mode", [], |r| r.get(0)).expect("journal_mode");
    assert_eq!(mode, "wal");
}

#[test]
fn cli_errors_are_one_line_and_non_zero() {
    let dir = tempfile::tempdir().expect("tempdir");
    let db = dir.path().join("x.db");
    let dep = cli_ok(&db, &["department", "add", "Customer Support"]);
    assert!(uuid::Uuid::parse_str(&dep).is_ok());
    let id = cli_ok(&db, &["agent", "add", "--email", "a@e.co", "--name", "A", "--password", "password123", "--department", "Customer Support", "--max-chats", "3"]);
    assert!(uuid::Uuid::parse_str(&id).is_ok());
    for args in [
        vec!["agent", "add", "--email", "a@e.co", "--name", "A", "--password", "password123"],
        vec!["agent", "add", "--email", "bad", "--name", "A", "--password", "password123"],
        vec!["agent", "add", "--email", "b@e.co", "--name", "B", "--password", "short"],
        vec!["agent", "add", "--email", "b@e.co", "--name", "B", "--password", "password123", "--department", "Nope"],
        vec!["agent", "add", "--email", "b@e.co", "--name", "B", "--password", "password123", "--role", "king"],
        vec!["department", "add", "Customer Support"],
        vec!["agent", "disable", "nobody@e.co"],
    ] {
        let out = cli(&db, &args);
        assert!(!out.status.success(), "{args:?} should fail");
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(err.trim().lines().count(), 1, "{args:?}: one line, got {err:?}");
    }
    let out = std::process::Command::new(BIN).args(["serve", "--routing", "sideways", "--db"]).arg(&db).output().expect("run");
    assert!(!out.status.success());
    let out = std::process::Command::new(BIN).args(["serve", "--away-after", "soon", "--db"]).arg(&db).output().expect("run");
    assert!(!out.status.success());
}

#[test]
fn per_ip_rate_limit_answers_429_and_can_be_turned_off() {
    let s = TestServer::start_with(&[], &[("OBROL_RATE_LIMIT", "2")]);
    let codes: Vec<u16> = (0..20).map(|_| get(&s.url("/api/chat/availability")).status).collect();
    assert!(codes.contains(&429), "{codes:?}");
    let r = get(&s.url("/api/chat/availability"));
    if r.status == 429 {
        assert!(r.body["error"].is_string());
        assert_eq!(r.header("Retry-After"), Some("1"));
    }
    let off = TestServer::start(); // the harness sets OBROL_RATE_LIMIT=off
    assert!((0..50).all(|_| get(&off.url("/api/chat/availability")).status == 200));
}

#[test]
fn first_run_prints_a_setup_code_that_creates_the_first_admin_once() {
    let s = TestServer::start();
    let code = s.setup_code().expect("setup code printed");
    assert_eq!(get(&s.url("/api/agent/setup")).body["required"], true);
    let body = |c: &str| json!({ "code": c, "email": "admin@e.co", "name": "Admin", "password": "password123" });
    assert_eq!(post(&s.url("/api/agent/setup"), &body("wrong")).status, 401);
    let r = post(&s.url("/api/agent/setup"), &body(&code));
    assert_eq!(r.status, 201, "{}", r.text);
    assert_eq!(r.body["role"], "admin");
    assert_eq!(post(&s.url("/api/agent/setup"), &body(&code)).status, 410);
    assert_eq!(get(&s.url("/api/agent/setup")).body["required"], false);
    login(&s, "admin@e.co");
    let printed = s.stdout.lock().map(|l| l.join("\n")).unwrap_or_default();
    assert!(printed.contains("/agent/"), "serve prints the console URL");
}

#[test]
fn every_documented_operation_exists_and_answers_a_documented_status() {
    let s = TestServer::start();
    let doc = get(&s.url("/api/openapi.json")).body;
    let paths = doc["paths"].as_object().expect("paths");
    let mut checked = 0;
    for (template, ops) in paths {
        for (method, op) in ops.as_object().expect("operations") {
            let path: String = template
                .split('/')
                .map(|seg| if seg.starts_with('{') { new_uuid() } else { seg.to_string() })
                .collect::<Vec<_>>()
                .join("/");
            let body = (method != "get").then(|| json!({}));
            let r = request(&method.to_ascii_uppercase(), &s.url(&path), body.as_ref(), &[]);
            let not_routed = r.status == 404 && (r.body["error"] == "Route not found" || r.body["message"] == "Route not found");
            assert!(!not_routed, "{method} {template} is documented but not routed");
            let documented = op["responses"].as_object().map(|m| m.contains_key(&r.status.to_string())).unwrap_or(false);
            assert!(documented, "{method} {template} answered {} which its OpenAPI entry does not list: {}", r.status, r.text);
            checked += 1;
        }
    }
    assert!(checked > 40, "only {checked} operations documented");
}

#[test]
fn a_version_1_database_is_migrated_in_place_keeping_its_data() {
    let dir = tempfile::tempdir().expect("tempdir");
    let db = dir.path().join("v1.db");
    {
        let c = rusqlite::Connection::open(&db).expect("open");
        c.execute_batch(include_str!("../../schema.sql")).expect("schema v1");
        c.execute_batch("PRAGMA user_version = 1; INSERT INTO departments (id, name, created_at, updated_at) VALUES ('d1', 'Old', 'x', 'x');")
            .expect("v1 data");
    }
    let listed = cli_ok(&db, &["department", "list"]);
    assert!(listed.contains("Old"), "data kept: {listed}");
    let c = rusqlite::Connection::open(&db).expect("open");
    let v: i64 = c.query_row("PRAGMA user_version", [], |r| r.get(0)).expect("version");
    assert_eq!(v, 2);
    let idx: i64 = c
        .query_row("SELECT COUNT(*) FROM sqlite_master WHERE type = 'index' AND name = 'chat_sessions_closed'", [], |r| r.get(0))
        .expect("index");
    assert_eq!(idx, 1);
    // a new database ends at the same version with the same index
    let fresh = dir.path().join("new.db");
    cli_ok(&fresh, &["department", "list"]);
    let c = rusqlite::Connection::open(&fresh).expect("open");
    assert_eq!(c.query_row("PRAGMA user_version", [], |r| r.get::<_, i64>(0)).expect("version"), 2);
}

#[test]
fn cors_allows_only_the_configured_origins() {
    let s = TestServer::start_with(&["--allowed-origins", "https://portal.example, https://shop.example/"], &[]);
    let ask = |origin: &str| {
        request("OPTIONS", &s.url("/api/chat/start"), None, &[("Origin", origin), ("Access-Control-Request-Method", "POST")])
    };
    let ok = ask("https://shop.example");
    assert_eq!(ok.header("Access-Control-Allow-Origin"), Some("https://shop.example"));
    assert!(ok.header("Access-Control-Allow-Headers").unwrap_or("").contains("X-Tenant-ID"));
    let other = ask("https://evil.example");
    assert_eq!(other.header("Access-Control-Allow-Origin"), None);
    let r = request("GET", &s.url("/api/chat/availability"), None, &[("Origin", "https://portal.example")]);
    assert_eq!(r.header("Access-Control-Allow-Origin"), Some("https://portal.example"));
}

#[test]
fn the_client_address_comes_from_x_forwarded_for_only_behind_a_trusted_proxy() {
    let ip_of = |s: &TestServer| {
        let b = new_uuid();
        let r = request("POST", &s.url("/api/chat/start"), Some(&json!({ "browser_uuid": b, "topic": "t" })), &[("X-Forwarded-For", "203.0.113.9, 10.0.0.1")]);
        assert_eq!(r.status, 201);
        let c = rusqlite::Connection::open(&s.db).expect("open");
        c.query_row("SELECT ip_address FROM chat_users WHERE browser_uuid = ?1", [&b], |r| r.get::<_, String>(0)).expect("ip")
    };
    assert_eq!(ip_of(&TestServer::start()), "127.0.0.1");
    assert_eq!(ip_of(&TestServer::start_with(&["--trust-proxy"], &[])), "203.0.113.9");
}

#[test]
fn agent_administration_from_the_command_line() {
    let s = TestServer::start_with(&["--synchronous", "full"], &[]);
    add_agent(&s.db, "rina@e.co", &["--number", "77", "--role", "admin"]);
    let listed = cli_ok(&s.db, &["agent", "list"]);
    assert!(listed.contains("rina@e.co") && listed.contains("\t77\t") && listed.contains("admin"), "{listed}");
    login(&s, "rina@e.co");
    // a new password replaces the old one
    cli_ok(&s.db, &["agent", "passwd", "rina@e.co", "--password", "another-secret"]);
    let old = post(&s.url("/api/agent/login"), &json!({ "email": "rina@e.co", "password": "password123" }));
    assert_eq!(old.status, 401);
    let new = post(&s.url("/api/agent/login"), &json!({ "email": "rina@e.co", "password": "another-secret" }));
    assert_eq!(new.status, 200);
    let token = new.body["token"].as_str().unwrap_or("").to_string();
    let online = request("PUT", &s.url("/api/agent/presence"), Some(&json!({ "status": "online" })), &[("Authorization", &format!("Bearer {token}"))]);
    assert_eq!(online.status, 200);
    let browser = new_uuid();
    let chat = post(&s.url("/api/chat/start"), &json!({ "browser_uuid": browser, "topic": "t" }));
    assert_eq!(chat.body["status"], "active");
    // disabling ends logins and existing tokens, and is reported like wrong credentials;
    // the agent's chat goes back to the queue, not lost
    cli_ok(&s.db, &["agent", "disable", "rina@e.co"]);
    let session = chat.body["session_id"].as_str().unwrap_or("");
    let d = get(&s.url(&format!("/api/chat/session/{session}?browser_uuid={browser}")));
    assert_eq!((d.body["status"].as_str(), &d.body["agent"]), (Some("waiting"), &serde_json::Value::Null));
    let me = request("GET", &s.url("/api/agent/me"), None, &[("Authorization", &format!("Bearer {token}"))]);
    assert_eq!(me.status, 401);
    let again = post(&s.url("/api/agent/login"), &json!({ "email": "rina@e.co", "password": "another-secret" }));
    assert_eq!(again.status, 401);
    assert_eq!(again.body, old.body, "a disabled agent looks like wrong credentials");
    assert!(cli_ok(&s.db, &["agent", "list"]).contains("disabled"));
    assert!(!s.cli(&["agent", "passwd", "nobody@e.co", "--password", "password123"]).status.success());
}
