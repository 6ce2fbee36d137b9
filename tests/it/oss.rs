//! OSS chat family (seed 000, SPEC §2) on a real server.

use crate::common::*;
use serde_json::{json, Value};
use std::time::{Duration, Instant};

const PREFIXES: [&str; 2] = ["/api/chat", "/api/v1/oss-chat"];

fn start_anon(s: &TestServer, prefix: &str) -> (String, String) {
    let browser = new_uuid();
    let r = post(&s.url(&format!("{prefix}/start")), &json!({ "browser_uuid": browser, "topic": "Pertanyaan tentang izin usaha" }));
    assert_eq!(r.status, 201, "{}", r.text);
    (browser, r.body["session_id"].as_str().expect("session_id").to_string())
}

fn keys(v: &Value) -> Vec<String> {
    let mut k: Vec<String> = v.as_object().expect("object").keys().cloned().collect();
    k.sort();
    k
}

fn send(s: &TestServer, session: &str, browser: &str, text: &str) -> Resp {
    post(&s.url(&format!("/api/chat/session/{session}/messages")), &json!({ "browser_uuid": browser, "message": text }))
}

#[test]
fn start_returns_the_seed_shape_under_both_prefixes() {
    let s = TestServer::start();
    for prefix in PREFIXES {
        let r = post(
            &s.url(&format!("{prefix}/start")),
            &json!({ "browser_uuid": new_uuid(), "topic": "Izin", "priority": "high", "user_agent": "Mozilla/5.0 test" }),
        );
        assert_eq!(r.status, 201, "{}", r.text);
        assert_eq!(keys(&r.body), ["chat_user_id", "message", "requires_contact", "session_id", "status"]);
        assert_eq!(r.body["status"], "waiting");
        assert_eq!(r.body["requires_contact"], true);
        assert_eq!(r.body["message"], "Chat session started successfully");
        assert!(uuid::Uuid::parse_str(r.body["session_id"].as_str().unwrap_or("")).is_ok());
        assert!(r.header("X-Request-Id").is_some());
    }
}

#[test]
fn start_rejects_bad_input_naming_the_field() {
    let s = TestServer::start();
    let url = s.url("/api/chat/start");
    let b = new_uuid();
    let cases: Vec<(Value, &str)> = vec![
        (json!({ "browser_uuid": b }), "topic"),
        (json!({ "browser_uuid": b, "topic": "   " }), "topic"),
        (json!({ "browser_uuid": b, "topic": "x".repeat(256) }), "topic"),
        (json!({ "browser_uuid": b, "topic": 5 }), "topic"),
        (json!({ "topic": "t" }), "browser_uuid"),
        (json!({ "browser_uuid": "not-a-uuid", "topic": "t" }), "browser_uuid"),
        (json!({ "browser_uuid": b, "topic": "t", "priority": "asap" }), "priority"),
        (json!({ "oss_user_id": "U1", "email": "nope", "topic": "t" }), "email"),
        (json!({ "browser_uuid": b, "topic": "t", "department_id": "x" }), "department_id"),
        (json!({ "browser_uuid": b, "topic": "t", "department_id": new_uuid() }), "department_id"),
        (json!({ "browser_uuid": b, "topic": "t", "oss_user_id": ["a"] }), "oss_user_id"),
    ];
    for (body, field) in cases {
        let r = post(&url, &body);
        assert_eq!(r.status, 400, "{body}: {}", r.text);
        assert_eq!(r.body["error"], "Invalid request body", "{body}");
        let details = r.body["details"].as_str().unwrap_or("");
        assert!(details.contains(field), "{body}: details {details:?} should name {field}");
    }
    let r = request_raw("POST", &url, b"{not json", &[("Content-Type", "application/json")]);
    assert_eq!(r.status, 400);
    assert!(r.body["details"].as_str().unwrap_or("").contains("malformed JSON"));
    let r = request_raw("POST", &url, b"[1,2]", &[]);
    assert_eq!(r.status, 400);
    let big = format!("{{\"topic\":\"{}\"}}", "x".repeat(70 * 1024));
    let r = request_raw("POST", &url, big.as_bytes(), &[]);
    assert_eq!(r.status, 413, "{}", r.text);
    assert!(r.body["error"].is_string());
    // nothing was stored by any of these
    let r = get(&s.url(&format!("/api/chat/history?browser_uuid={b}")));
    assert_eq!(r.body["total"], 0);
}

#[test]
fn missing_topic_uses_the_seed_error_text() {
    let s = TestServer::start();
    let r = post(&s.url("/api/chat/start"), &json!({ "browser_uuid": new_uuid() }));
    assert_eq!(r.status, 400);
    assert_eq!(r.body, json!({ "error": "Invalid request body", "details": "missing required field: topic" }));
}

#[test]
fn contact_is_set_once_per_session_and_updated_in_place() {
    let s = TestServer::start();
    let (browser, session) = start_anon(&s, "/api/chat");
    let url = s.url("/api/chat/contact");
    let full = json!({
        "session_id": session, "contact_name": "John Doe", "contact_email": "john@company.com",
        "contact_phone": "+6281234567890", "position": "Manager", "company_name": "PT. Example",
    });
    let r = post(&url, &full);
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(keys(&r.body), ["contact_id", "message"]);
    assert_eq!(r.body["message"], "Contact information set successfully");
    let id = r.body["contact_id"].clone();
    let r = post(&url, &json!({ "session_id": session, "contact_name": "Jane", "contact_email": "jane@company.com" }));
    assert_eq!(r.status, 200);
    assert_eq!(r.body["contact_id"], id, "a second contact updates the first");
    let h = get(&s.url(&format!("/api/chat/history?browser_uuid={browser}")));
    assert_eq!(
        h.body["sessions"][0]["contact"],
        json!({ "contact_name": "Jane", "contact_email": "jane@company.com", "contact_phone": null, "position": null, "company_name": null })
    );
    // errors
    let r = post(&url, &json!({ "session_id": new_uuid(), "contact_name": "A", "contact_email": "a@b.co" }));
    assert_eq!(r.status, 404);
    assert_eq!(r.body, json!({ "error": "Session not found" }));
    for (body, field) in [
        (json!({ "contact_name": "A", "contact_email": "a@b.co" }), "session_id"),
        (json!({ "session_id": "x", "contact_name": "A", "contact_email": "a@b.co" }), "session_id"),
        (json!({ "session_id": session, "contact_email": "a@b.co" }), "contact_name"),
        (json!({ "session_id": session, "contact_name": "A" }), "contact_email"),
        (json!({ "session_id": session, "contact_name": "A", "contact_email": "not-mail" }), "contact_email"),
    ] {
        let r = post(&url, &body);
        assert_eq!(r.status, 400, "{body}");
        assert!(r.body["details"].as_str().unwrap_or("").contains(field), "{body}: {}", r.text);
    }
}

#[test]
fn a_new_session_is_prefilled_with_the_users_last_contact() {
    let s = TestServer::start();
    let (browser, session) = start_anon(&s, "/api/chat");
    post(&s.url("/api/chat/contact"), &json!({ "session_id": session, "contact_name": "A", "contact_email": "a@b.co" }));
    let r = post(&s.url("/api/chat/start"), &json!({ "browser_uuid": browser, "topic": "again" }));
    assert_eq!(r.status, 201);
    assert_eq!(r.body["requires_contact"], false);
    let h = get(&s.url(&format!("/api/chat/history?browser_uuid={browser}")));
    assert_eq!(h.body["sessions"][0]["contact"]["contact_name"], "A");
}

#[test]
fn logged_in_flow_and_history_shape() {
    let s = TestServer::start();
    let r = post(
        &s.url("/api/v1/oss-chat/start"),
        &json!({ "oss_user_id": "USER123", "email": "user@example.com", "topic": "Pertanyaan", "priority": "urgent" }),
    );
    assert_eq!(r.status, 201, "{}", r.text);
    let session = r.body["session_id"].as_str().unwrap_or("").to_string();
    post(&s.url("/api/chat/contact"), &json!({ "session_id": session, "contact_name": "Beda Nama", "contact_email": "x@y.co" }));
    let m = post(&s.url(&format!("/api/chat/session/{session}/messages")), &json!({ "oss_user_id": "USER123", "message": "Terima kasih" }));
    assert_eq!(m.status, 201, "{}", m.text);
    let h = get(&s.url("/api/chat/history?oss_user_id=USER123&limit=10&offset=0"));
    assert_eq!(h.status, 200);
    assert_eq!(keys(&h.body), ["limit", "offset", "sessions", "total"]);
    assert_eq!((h.body["total"].as_i64(), h.body["limit"].as_i64(), h.body["offset"].as_i64()), (Some(1), Some(10), Some(0)));
    let item = &h.body["sessions"][0];
    for k in ["session_id", "topic", "status", "priority", "started_at", "ended_at", "agent", "department", "contact", "last_message"] {
        assert!(item.get(k).is_some(), "history item lacks {k}: {item}");
    }
    assert_eq!(item["priority"], "urgent");
    assert_eq!(item["agent"], Value::Null);
    assert_eq!(item["department"], Value::Null);
    assert_eq!(item["ended_at"], Value::Null);
    assert_eq!(keys(&item["last_message"]), ["created_at", "id", "message", "sender_type"]);
    assert_eq!(item["last_message"]["message"], "Terima kasih");
    assert_eq!(item["last_message"]["sender_type"], "customer");
    assert!(chrono::DateTime::parse_from_rfc3339(item["started_at"].as_str().unwrap_or("")).is_ok());
}

#[test]
fn history_pages_newest_first_and_validates_its_query() {
    let s = TestServer::start();
    let browser = new_uuid();
    let mut ids = Vec::new();
    for i in 0..5 {
        let r = post(&s.url("/api/chat/start"), &json!({ "browser_uuid": browser, "topic": format!("t{i}") }));
        ids.push(r.body["session_id"].as_str().unwrap_or("").to_string());
        std::thread::sleep(Duration::from_millis(3));
    }
    ids.reverse();
    let page = |q: &str| get(&s.url(&format!("/api/chat/history?browser_uuid={browser}&{q}")));
    let r = page("limit=2&offset=0");
    assert_eq!(r.body["total"], 5);
    let got: Vec<&str> = r.body["sessions"].as_array().map(|a| a.iter().filter_map(|x| x["session_id"].as_str()).collect()).unwrap_or_default();
    assert_eq!(got, [ids[0].as_str(), ids[1].as_str()]);
    let r = page("limit=2&offset=4");
    assert_eq!(r.body["sessions"].as_array().map(Vec::len), Some(1));
    assert_eq!(r.body["sessions"][0]["session_id"], ids[4].as_str());
    assert_eq!(page("").body["limit"], 20);
    for q in ["limit=0", "limit=101", "limit=-1", "limit=abc", "offset=-1", "offset=x"] {
        let r = page(q);
        assert_eq!(r.status, 400, "{q}");
        assert_eq!(r.body["error"], "Invalid query parameter");
    }
    let r = get(&s.url("/api/chat/history"));
    assert_eq!(r.status, 400);
    let r = get(&s.url("/api/chat/history?browser_uuid=bad"));
    assert_eq!(r.status, 400);
    let r = get(&s.url(&format!("/api/chat/history?browser_uuid={}", new_uuid())));
    assert_eq!((r.status, r.body["total"].as_i64()), (200, Some(0)));
}

#[test]
fn anonymous_then_login_links_and_merges() {
    let s = TestServer::start();
    // An account that already exists (logged in on another device).
    let r = post(&s.url("/api/chat/start"), &json!({ "oss_user_id": "U9", "email": "u9@example.com", "topic": "older" }));
    assert_eq!(r.status, 201);
    let account_id = r.body["chat_user_id"].clone();
    // Anonymous on this browser, with contact and a message.
    let (browser, session) = start_anon(&s, "/api/v1/oss-chat");
    post(&s.url("/api/chat/contact"), &json!({ "session_id": session, "contact_name": "A", "contact_email": "a@b.co" }));
    assert_eq!(send(&s, &session, &browser, "halo").status, 201);
    // Login → link.
    let link = s.url("/api/v1/oss-chat/link-user");
    let body = json!({ "browser_uuid": browser, "oss_user_id": "U9", "email": "u9@example.com" });
    let r = post(&link, &body);
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(keys(&r.body), ["chat_user_id", "message"]);
    assert_eq!(r.body["message"], "Successfully linked to OSS account");
    assert_eq!(r.body["chat_user_id"], account_id, "merged into the existing account");
    let again = post(&link, &body);
    assert_eq!((again.status, &again.body["chat_user_id"]), (200, &account_id), "idempotent");
    // History by account includes the anonymous session, with its contact and message.
    let h = get(&s.url("/api/chat/history?oss_user_id=U9"));
    assert_eq!(h.body["total"], 2);
    let merged = h.body["sessions"].as_array().and_then(|a| a.iter().find(|x| x["session_id"] == session.as_str()).cloned()).expect("merged session");
    assert_eq!(merged["last_message"]["message"], "halo");
    assert_eq!(merged["contact"]["contact_name"], "A");
    // The browser now resolves to the account for history and start.
    let hb = get(&s.url(&format!("/api/chat/history?browser_uuid={browser}")));
    assert_eq!(hb.body["total"], 2);
    let r = post(&s.url("/api/chat/start"), &json!({ "browser_uuid": browser, "topic": "after login" }));
    assert_eq!(r.body["chat_user_id"], account_id);
    assert_eq!(get(&s.url("/api/chat/history?oss_user_id=U9")).body["total"], 3);
    // The browser can still use its session.
    assert_eq!(send(&s, &session, &browser, "still mine").status, 201);
}

#[test]
fn link_user_errors() {
    let s = TestServer::start();
    let url = s.url("/api/chat/link-user");
    let r = post(&url, &json!({ "browser_uuid": new_uuid(), "oss_user_id": "U1", "email": "u@e.co" }));
    assert_eq!(r.status, 404);
    assert!(r.body["error"].is_string());
    for (body, field) in [
        (json!({ "oss_user_id": "U1", "email": "u@e.co" }), "browser_uuid"),
        (json!({ "browser_uuid": new_uuid(), "email": "u@e.co" }), "oss_user_id"),
        (json!({ "browser_uuid": new_uuid(), "oss_user_id": "U1" }), "email"),
        (json!({ "browser_uuid": new_uuid(), "oss_user_id": "U1", "email": "bad" }), "email"),
    ] {
        let r = post(&url, &body);
        assert_eq!(r.status, 400, "{body}");
        assert!(r.body["details"].as_str().unwrap_or("").contains(field));
    }
}

#[test]
fn anonymous_link_without_existing_account_creates_it() {
    let s = TestServer::start();
    let (browser, session) = start_anon(&s, "/api/chat");
    let r = post(&s.url("/api/chat/link-user"), &json!({ "browser_uuid": browser, "oss_user_id": "NEW1", "email": "n@e.co" }));
    assert_eq!(r.status, 200);
    let h = get(&s.url("/api/chat/history?oss_user_id=NEW1"));
    assert_eq!(h.body["sessions"][0]["session_id"], session.as_str());
}

#[test]
fn session_details_and_messages() {
    let s = TestServer::start();
    let (browser, session) = start_anon(&s, "/api/chat");
    for i in 0..55 {
        assert_eq!(send(&s, &session, &browser, &format!("m{i}")).status, 201);
    }
    let d = get(&s.url(&format!("/api/chat/session/{session}?browser_uuid={browser}")));
    assert_eq!(d.status, 200, "{}", d.text);
    assert_eq!(d.body["session_id"], session.as_str());
    let msgs = d.body["messages"].as_array().cloned().unwrap_or_default();
    assert_eq!(msgs.len(), 50);
    assert_eq!((msgs[0]["message"].as_str(), msgs[49]["message"].as_str()), (Some("m5"), Some("m54")));
    assert_eq!(d.body["queue_position"], 1);
    // Someone else's session and a missing session are the same 404.
    let other = get(&s.url(&format!("/api/chat/session/{session}?browser_uuid={}", new_uuid())));
    let missing = get(&s.url(&format!("/api/chat/session/{}?browser_uuid={browser}", new_uuid())));
    assert_eq!((other.status, missing.status), (404, 404));
    assert_eq!(other.body, missing.body);
    assert_eq!(get(&s.url(&format!("/api/chat/session/nope?browser_uuid={browser}"))).status, 400);
    // List after a cursor.
    let list = |q: &str| get(&s.url(&format!("/api/chat/session/{session}/messages?browser_uuid={browser}&{q}")));
    let all = list("limit=100");
    let all_msgs = all.body["messages"].as_array().cloned().unwrap_or_default();
    assert_eq!(all_msgs.len(), 55);
    assert_eq!(all.body["session"]["status"], "waiting");
    let cursor = all_msgs[52]["id"].as_str().unwrap_or("").to_string();
    let after = list(&format!("after={cursor}"));
    let texts: Vec<&str> = after.body["messages"].as_array().map(|a| a.iter().filter_map(|m| m["message"].as_str()).collect()).unwrap_or_default();
    assert_eq!(texts, ["m53", "m54"]);
    assert_eq!(list("").body["messages"].as_array().map(Vec::len), Some(50), "default limit 50");
    for q in ["limit=0", "limit=101", "wait=31", "wait=-1", "after=bad", &format!("after={}", new_uuid())] {
        let r = list(q);
        assert_eq!(r.status, 400, "{q}: {}", r.text);
    }
    assert_eq!(get(&s.url(&format!("/api/chat/session/{session}/messages?browser_uuid={}", new_uuid()))).status, 404);
}

#[test]
fn message_validation_idempotency_and_closed_sessions() {
    let s = TestServer::start();
    let (browser, session) = start_anon(&s, "/api/chat");
    let url = s.url(&format!("/api/chat/session/{session}/messages"));
    let r = post(&url, &json!({ "browser_uuid": browser, "message": "  halo  " }));
    assert_eq!(r.status, 201);
    assert_eq!(r.body["message"], "  halo  ", "stored exactly as sent");
    assert_eq!(r.body["sender_type"], "customer");
    for k in ["id", "session_id", "message", "sender_type", "created_at"] {
        assert!(r.body.get(k).is_some(), "{k}");
    }
    for body in [
        json!({ "browser_uuid": browser }),
        json!({ "browser_uuid": browser, "message": "   " }),
        json!({ "browser_uuid": browser, "message": "x".repeat(4001) }),
        json!({ "browser_uuid": browser, "message": 42 }),
        json!({ "message": "hi" }),
        json!({ "browser_uuid": browser, "message": "hi", "client_id": "nope" }),
    ] {
        assert_eq!(post(&url, &body).status, 400, "{body}");
    }
    assert_eq!(post(&url, &json!({ "browser_uuid": browser, "message": "é".repeat(4000) })).status, 201);
    // A retried POST with the same client_id stores nothing new.
    let cid = new_uuid();
    let first = post(&url, &json!({ "browser_uuid": browser, "message": "once", "client_id": cid }));
    let retry = post(&url, &json!({ "browser_uuid": browser, "message": "once", "client_id": cid }));
    assert_eq!(first.status, 201);
    assert!(retry.status == 200 || retry.status == 201);
    assert_eq!(first.body["id"], retry.body["id"]);
    let list = get(&s.url(&format!("/api/chat/session/{session}/messages?browser_uuid={browser}")));
    let onces = list.body["messages"].as_array().map(|a| a.iter().filter(|m| m["message"] == "once").count());
    assert_eq!(onces, Some(1));
    // Close, then writing is refused with 409 and nothing is stored.
    let c = post(&s.url(&format!("/api/chat/session/{session}/close")), &json!({ "browser_uuid": browser }));
    assert_eq!(c.status, 200, "{}", c.text);
    assert_eq!(c.body["status"], "closed");
    assert!(c.body["ended_at"].is_string());
    let r = post(&url, &json!({ "browser_uuid": browser, "message": "too late" }));
    assert_eq!(r.status, 409);
    assert!(r.body["error"].is_string());
    let h = get(&s.url(&format!("/api/chat/history?browser_uuid={browser}")));
    assert_eq!(h.body["sessions"][0]["status"], "closed");
    assert_ne!(h.body["sessions"][0]["last_message"]["message"], "too late");
}

#[test]
fn long_poll_returns_as_soon_as_a_message_arrives() {
    let s = TestServer::start();
    let (browser, session) = start_anon(&s, "/api/chat");
    let first = send(&s, &session, &browser, "first");
    let cursor = first.body["id"].as_str().unwrap_or("").to_string();
    let url = s.url(&format!("/api/chat/session/{session}/messages?browser_uuid={browser}&after={cursor}&wait=20"));
    let t0 = Instant::now();
    let poller = std::thread::spawn(move || (get(&url), t0.elapsed()));
    std::thread::sleep(Duration::from_millis(300));
    assert_eq!(send(&s, &session, &browser, "second").status, 201);
    let (r, took) = poller.join().expect("poller");
    assert_eq!(r.status, 200);
    let texts: Vec<&str> = r.body["messages"].as_array().map(|a| a.iter().filter_map(|m| m["message"].as_str()).collect()).unwrap_or_default();
    assert_eq!(texts, ["second"]);
    assert!(took >= Duration::from_millis(250), "it waited ({took:?})");
    assert!(took < Duration::from_secs(3), "returned soon after the post ({took:?})");
}

#[test]
fn long_poll_wakes_on_close_and_times_out_empty() {
    let s = TestServer::start();
    let (browser, session) = start_anon(&s, "/api/chat");
    let t0 = Instant::now();
    let r = get(&s.url(&format!("/api/chat/session/{session}/messages?browser_uuid={browser}&wait=1")));
    assert_eq!(r.status, 200);
    assert_eq!(r.body["messages"], json!([]));
    assert!(t0.elapsed() >= Duration::from_millis(900));
    let url = s.url(&format!("/api/chat/session/{session}/messages?browser_uuid={browser}&wait=20"));
    let poller = std::thread::spawn(move || get(&url));
    std::thread::sleep(Duration::from_millis(300));
    post(&s.url(&format!("/api/chat/session/{session}/close")), &json!({ "browser_uuid": browser }));
    let r = poller.join().expect("poller");
    assert_eq!(r.body["session"]["status"], "closed");
}

#[test]
fn typing_and_availability() {
    let s = TestServer::start();
    let (browser, session) = start_anon(&s, "/api/chat");
    let url = s.url(&format!("/api/chat/session/{session}/typing"));
    assert_eq!(post(&url, &json!({ "browser_uuid": browser, "typing": true })).status, 204);
    assert_eq!(post(&url, &json!({ "browser_uuid": browser, "typing": "yes" })).status, 400);
    assert_eq!(post(&url, &json!({ "browser_uuid": browser })).status, 400);
    assert_eq!(post(&url, &json!({ "browser_uuid": new_uuid(), "typing": true })).status, 404);
    let a = get(&s.url("/api/chat/availability"));
    assert_eq!(a.body, json!({ "online": false, "agents_online": 0 }));
    let (agent_id, _) = online_agent(&s, "agent@example.com", &[]);
    let a = get(&s.url("/api/chat/availability"));
    assert_eq!(a.body, json!({ "online": true, "agents_online": 1 }));
    // With an agent online a new chat is active at once, and history shows the agent.
    let (browser2, _) = (new_uuid(), ());
    let r = post(&s.url("/api/chat/start"), &json!({ "browser_uuid": browser2, "topic": "t" }));
    assert_eq!(r.body["status"], "active");
    let h = get(&s.url(&format!("/api/chat/history?browser_uuid={browser2}")));
    assert_eq!(h.body["sessions"][0]["agent"]["id"], agent_id.as_str());
    assert_eq!(keys(&h.body["sessions"][0]["agent"]), ["email", "id", "name"]);
    // The earlier waiting session was handed to the agent when they came online.
    let d = get(&s.url(&format!("/api/chat/session/{session}?browser_uuid={browser}")));
    assert_eq!(d.body["status"], "active");
}

#[test]
fn identity_verification_with_user_hash() {
    let secret = "host-secret";
    let s = TestServer::start_with(&[], &[("OBROL_IDENTITY_SECRET", secret)]);
    let hash = obrol::auth::identity_hash(secret, "USER1");
    let start = s.url("/api/chat/start");
    let r = post(&start, &json!({ "oss_user_id": "USER1", "email": "u@e.co", "topic": "t" }));
    assert_eq!(r.status, 401, "no hash");
    let r = post(&start, &json!({ "oss_user_id": "USER1", "email": "u@e.co", "topic": "t", "user_hash": "00" }));
    assert_eq!(r.status, 401, "wrong hash");
    let r = post(&start, &json!({ "oss_user_id": "USER1", "email": "u@e.co", "topic": "t", "user_hash": hash }));
    assert_eq!(r.status, 201);
    let session = r.body["session_id"].as_str().unwrap_or("").to_string();
    assert_eq!(get(&s.url("/api/chat/history?oss_user_id=USER1")).status, 401);
    assert_eq!(get(&s.url(&format!("/api/chat/history?oss_user_id=USER1&user_hash={hash}"))).status, 200);
    assert_eq!(get(&s.url(&format!("/api/chat/session/{session}?oss_user_id=USER1"))).status, 401);
    assert_eq!(get(&s.url(&format!("/api/chat/session/{session}?oss_user_id=USER1&user_hash={hash}"))).status, 200);
    let m = s.url(&format!("/api/chat/session/{session}/messages"));
    assert_eq!(post(&m, &json!({ "oss_user_id": "USER1", "message": "x" })).status, 401);
    assert_eq!(post(&m, &json!({ "oss_user_id": "USER1", "user_hash": hash, "message": "x" })).status, 201);
    // Anonymous browsers need no hash, but a linked browser no longer opens the account alone.
    let (browser, _) = start_anon(&s, "/api/chat");
    let link = s.url("/api/chat/link-user");
    assert_eq!(post(&link, &json!({ "browser_uuid": browser, "oss_user_id": "USER1", "email": "u@e.co" })).status, 401);
    assert_eq!(post(&link, &json!({ "browser_uuid": browser, "oss_user_id": "USER1", "email": "u@e.co", "user_hash": hash })).status, 200);
    assert_eq!(get(&s.url(&format!("/api/chat/history?browser_uuid={browser}"))).status, 401);
    assert_eq!(post(&start, &json!({ "browser_uuid": browser, "topic": "t" })).status, 401);
}

#[test]
fn unknown_routes_and_methods_are_json() {
    let s = TestServer::start();
    let r = get(&s.url("/api/chat/nope"));
    assert_eq!(r.status, 404);
    assert!(r.body["error"].is_string());
    let r = get(&s.url("/api/chat/start"));
    assert_eq!(r.status, 405);
    assert!(r.body["error"].is_string());
    assert_eq!(r.header("Allow"), Some("POST"));
    let r = request("PUT", &s.url("/api/v1/oss-chat/session/x/messages"), None, &[]);
    assert_eq!((r.status, r.header("Allow")), (405, Some("GET, POST")));
    let r = request("DELETE", &s.url("/api/v1/oss-chat/history"), None, &[]);
    assert_eq!(r.status, 405);
    let r = request("OPTIONS", &s.url("/api/chat/start"), None, &[("Origin", "https://portal.example"), ("Access-Control-Request-Method", "POST")]);
    assert!(r.status == 204 || r.status == 200);
    assert_eq!(r.header("Access-Control-Allow-Origin"), Some("*"));
    assert!(r.header("Access-Control-Allow-Methods").unwrap_or("").contains("POST"));
}

#[test]
fn concurrent_posts_are_each_stored_exactly_once() {
    let s = TestServer::start();
    let sessions: Vec<(String, String)> = (0..4).map(|_| start_anon(&s, "/api/chat")).collect();
    let per_client = 15;
    let handles: Vec<_> = (0..32)
        .map(|c| {
            let (browser, session) = sessions[c % sessions.len()].clone();
            let base = s.base.clone();
            std::thread::spawn(move || {
                let mut acked = Vec::new();
                for i in 0..per_client {
                    let r = post(
                        &format!("{base}/api/chat/session/{session}/messages"),
                        &json!({ "browser_uuid": browser, "message": format!("c{c}-{i}"), "client_id": uuid::Uuid::new_v4().to_string() }),
                    );
                    assert!(r.status < 500, "5xx under concurrency: {}", r.text);
                    if r.status == 201 {
                        acked.push(r.body["id"].as_str().unwrap_or("").to_string());
                    }
                }
                acked
            })
        })
        .collect();
    let acked: Vec<String> = handles.into_iter().flat_map(|h| h.join().expect("client")).collect();
    assert_eq!(acked.len(), 32 * per_client);
    let mut stored = Vec::new();
    for (browser, session) in &sessions {
        let mut after = String::new();
        loop {
            let r = get(&s.url(&format!("/api/chat/session/{session}/messages?browser_uuid={browser}&limit=100{after}")));
            let page = r.body["messages"].as_array().cloned().unwrap_or_default();
            let Some(last) = page.last() else { break };
            after = format!("&after={}", last["id"].as_str().unwrap_or(""));
            stored.extend(page.iter().filter_map(|m| m["id"].as_str().map(str::to_string)));
        }
    }
    stored.sort();
    let mut expected = acked.clone();
    expected.sort();
    assert_eq!(stored, expected, "every acknowledged message stored exactly once, nothing else");
}

#[test]
fn no_client_mistake_is_a_5xx() {
    let s = TestServer::start();
    let (browser, session) = start_anon(&s, "/api/chat");
    let junk: [&[u8]; 8] = [b"", b"null", b"\"str\"", b"{\"a\":", b"\xff\xfe", b"{\"topic\":{\"x\":1},\"browser_uuid\":[]}", b"1e999", b"{\"message\": \"\\ud800\"}"];
    let paths = [
        "/api/chat/start".to_string(),
        "/api/chat/contact".to_string(),
        "/api/chat/link-user".to_string(),
        format!("/api/chat/session/{session}/messages"),
        format!("/api/chat/session/{session}/close"),
        format!("/api/chat/session/{session}/typing"),
        "/api/chat/session/%00/messages".to_string(),
    ];
    for p in &paths {
        for body in junk {
            let r = request_raw("POST", &s.url(p), body, &[("Content-Type", "application/json")]);
            assert!(r.status >= 400 && r.status < 500, "{p} {body:?}: {} {}", r.status, r.text);
            assert!(r.body["error"].is_string(), "{p}: JSON error body");
        }
    }
    for q in ["limit=1e3", "offset=99999999999999999999", "browser_uuid=%ZZ", "oss_user_id="] {
        let r = get(&s.url(&format!("/api/chat/history?{q}")));
        assert!(r.status < 500, "{q}");
    }
    assert_eq!(get(&s.url(&format!("/api/chat/history?browser_uuid={browser}"))).status, 200, "server still up");
}
