//! The tenant livechat family (seed 002, SPEC §3) on a real server: both prefixes, the
//! envelope on success and error, authentication (opaque tokens and JWTs), roles and tenants,
//! session rules, messages, the cross-tenant matrix, cursor walks, and secrets at rest/in logs.

use crate::common::*;
use serde_json::{json, Value};
use std::collections::HashSet;

const PREFIXES: [&str; 2] = ["/api/livechat", "/api/vendor/livechat"];
const JWT_SECRET: &str = "host-shared-secret-for-tests-0123456789";

// ---------------------------------------------------------------------------------------
// helpers

/// A caller: a token acting for a tenant, under one prefix.
struct Client<'a> {
    s: &'a TestServer,
    token: Option<String>,
    tenant: Option<String>,
    prefix: &'static str,
}

impl<'a> Client<'a> {
    fn new(s: &'a TestServer, token: &str, tenant: i64, prefix: &'static str) -> Client<'a> {
        Client { s, token: Some(token.to_string()), tenant: Some(tenant.to_string()), prefix }
    }

    fn call(&self, method: &str, path: &str, body: Option<&Value>) -> Resp {
        let auth = self.token.as_ref().map(|t| format!("Bearer {t}"));
        let mut h: Vec<(&str, &str)> = vec![("Accept", "application/json")];
        if let Some(a) = &auth {
            h.push(("Authorization", a));
        }
        if let Some(t) = &self.tenant {
            h.push(("X-Tenant-ID", t));
        }
        request(method, &self.s.url(&format!("{}{path}", self.prefix)), body, &h)
    }

    fn get(&self, path: &str) -> Resp {
        self.call("GET", path, None)
    }

    fn post(&self, path: &str, body: &Value) -> Resp {
        self.call("POST", path, Some(body))
    }

    /// Opens a session (201) and returns its data.
    fn open(&self) -> Value {
        let r = self.post("/sessions", &json!({}));
        assert_ok(&r, 201).clone()
    }

    /// Sends a message (201) and returns its data.
    fn say(&self, session: &str, text: &str) -> Value {
        let r = self.post(&format!("/sessions/{session}/messages"), &json!({ "message": text }));
        assert_ok(&r, 201).clone()
    }
}

/// `obrol token create`: the printed secret.
fn token(s: &TestServer, user: i64, role: &str, tenants: &[i64]) -> String {
    let user = user.to_string();
    let tenants: Vec<String> = tenants.iter().map(i64::to_string).collect();
    let mut args = vec!["token", "create", "--user", &user, "--role", role];
    for t in &tenants {
        args.extend(["--tenant", t.as_str()]);
    }
    let out = cli_ok(&s.db, &args);
    assert_eq!(out.lines().count(), 1, "the token alone on one line: {out}");
    assert!(out.starts_with("obrol_api_"), "{out}");
    out
}

fn jwt(claims: Value) -> String {
    obrol::auth::jwt::mint(JWT_SECRET, &claims).expect("mint")
}

fn exp_in(secs: i64) -> i64 {
    chrono::Utc::now().timestamp() + secs
}

fn keys(v: &Value) -> Vec<String> {
    let mut k: Vec<String> = v.as_object().map(|o| o.keys().cloned().collect()).unwrap_or_default();
    k.sort();
    k
}

fn assert_meta(r: &Resp, with_pagination: bool) {
    let meta = &r.body["meta"];
    let mut want = vec!["request_id", "timestamp"];
    if with_pagination {
        want.insert(0, "pagination");
    }
    assert_eq!(keys(meta), want, "{}", r.text);
    let rid = meta["request_id"].as_str().expect("request_id");
    assert_eq!(Some(rid), r.header("X-Request-Id"), "meta.request_id is the X-Request-Id header");
    let ts = meta["timestamp"].as_str().expect("timestamp");
    assert!(chrono::DateTime::parse_from_rfc3339(ts).is_ok(), "{ts}");
}

/// A success envelope with `status`; returns `data`.
fn assert_ok(r: &Resp, status: u16) -> &Value {
    assert_eq!(r.status, status, "{}", r.text);
    assert_eq!(keys(&r.body), ["data", "errors", "message", "meta", "success"], "{}", r.text);
    assert_eq!(r.body["success"], true);
    assert!(r.body["errors"].is_null());
    assert!(r.body["message"].as_str().is_some_and(|m| !m.is_empty()));
    assert_meta(r, r.body["data"].is_array());
    &r.body["data"]
}

/// An error envelope with `status`.
fn assert_err(r: &Resp, status: u16) {
    assert_eq!(r.status, status, "{}", r.text);
    assert_eq!(keys(&r.body), ["data", "errors", "message", "meta", "success"], "{}", r.text);
    assert_eq!(r.body["success"], false);
    assert!(r.body["data"].is_null());
    assert!(r.body["message"].as_str().is_some_and(|m| !m.is_empty()));
    let e = &r.body["errors"];
    assert!(e.is_null() || e.as_object().is_some_and(|o| o.values().all(|v| v.as_array().is_some_and(|a| a.iter().all(Value::is_string)))), "{}", r.text);
    assert_meta(r, false);
}

/// A 400 whose `errors` names `field`.
fn assert_field_err(r: &Resp, field: &str) {
    assert_err(r, 400);
    assert!(r.body["errors"][field].is_array(), "errors should name {field}: {}", r.text);
}

/// The seed's ChatSession, exactly (agent_id, with the added agent_name, present only when
/// assigned).
fn assert_session(v: &Value) {
    let mut want = vec!["created_at", "id", "status", "tenant_id", "updated_at"];
    if v.get("agent_id").is_some() {
        assert!(v["agent_id"].is_i64(), "{v}");
        assert!(v["agent_name"].is_string(), "{v}");
        want.splice(0..0, ["agent_id", "agent_name"]);
    }
    assert_eq!(keys(v), want, "{v}");
    assert!(uuid::Uuid::parse_str(v["id"].as_str().unwrap_or("")).is_ok());
    assert!(v["tenant_id"].is_i64());
    assert!(matches!(v["status"].as_str(), Some("OPEN" | "CLOSED")));
    for f in ["created_at", "updated_at"] {
        assert!(chrono::DateTime::parse_from_rfc3339(v[f].as_str().unwrap_or("")).is_ok(), "{v}");
    }
}

/// The seed's ChatMessage (plus the documented additions, never null).
fn assert_message(v: &Value) {
    let k = keys(v);
    for f in ["created_at", "id", "message", "sender_id", "session_id"] {
        assert!(k.iter().any(|x| x == f), "{f} missing: {v}");
    }
    for extra in k.iter().filter(|x| !["created_at", "id", "message", "sender_id", "session_id"].contains(&x.as_str())) {
        assert!(["sender_type", "sender_name", "client_id"].contains(&extra.as_str()), "unexpected {extra}: {v}");
        assert!(!v[extra].is_null(), "{v}");
    }
    assert!(v["sender_id"].is_i64() && v["message"].is_string());
}

fn id(v: &Value) -> String {
    v["id"].as_str().expect("id").to_string()
}

/// Percent-encodes a query value.
fn enc(s: &str) -> String {
    s.bytes()
        .map(|b| if b.is_ascii_alphanumeric() || b"-_.~".contains(&b) { (b as char).to_string() } else { format!("%{b:02X}") })
        .collect()
}

fn db(s: &TestServer) -> rusqlite::Connection {
    let c = rusqlite::Connection::open(&s.db).expect("open db");
    c.busy_timeout(std::time::Duration::from_secs(10)).expect("busy timeout");
    c
}

/// A server with one online agent (number 501) and JWTs on.
fn server_with_agent(max_chats: &str) -> TestServer {
    let s = TestServer::start_with(&[], &[("OBROL_JWT_SECRET", JWT_SECRET)]);
    online_agent(&s, "agent501@example.com", &["--number", "501", "--max-chats", max_chats]);
    s
}

// ---------------------------------------------------------------------------------------
// envelope, prefixes, routes

#[test]
fn both_prefixes_serve_the_same_api_in_the_envelope() {
    let s = server_with_agent("5");
    let member = token(&s, 11, "umkm_member", &[1]);
    let a = Client::new(&s, &member, 1, PREFIXES[0]);
    let v = Client::new(&s, &member, 1, PREFIXES[1]);

    let opened = a.open();
    assert_session(&opened);
    assert_eq!(opened["status"], "OPEN");
    assert_eq!(opened["tenant_id"], 1);
    assert_eq!(opened["agent_id"], 501);
    let sid = id(&opened);

    // the vendor alias sees the same session and messages
    let got = v.get(&format!("/sessions/{sid}"));
    assert_eq!(assert_ok(&got, 200), &opened);
    let m = v.say(&sid, "halo dari vendor");
    assert_message(&m);
    assert_eq!(m["sender_id"], 11);
    assert_eq!(m["session_id"], sid.as_str());
    assert_eq!(m["sender_type"], "customer");
    let list = a.get(&format!("/sessions/{sid}/messages"));
    let data = assert_ok(&list, 200);
    assert_eq!(data.as_array().map(Vec::len), Some(1));
    assert_eq!(data[0], m, "the POST returns the full stored message");
    let p = &list.body["meta"]["pagination"];
    assert_eq!(keys(p), ["has_next", "has_prev", "limit"], "absent cursors are omitted: {p}");
    assert_eq!((p["has_next"].as_bool(), p["has_prev"].as_bool(), p["limit"].as_i64()), (Some(false), Some(false), Some(10)));

    // errors are envelopes too, under both prefixes
    for prefix in PREFIXES {
        let c = Client::new(&s, &member, 1, prefix);
        assert_err(&c.get("/nope"), 404);
        assert_err(&c.call("PUT", "/sessions", None), 405);
        assert_err(&c.call("DELETE", &format!("/sessions/{sid}"), None), 405);
        let r = c.post(&format!("/sessions/{sid}/messages"), &json!({}));
        assert_field_err(&r, "message");
        assert_eq!(r.body["errors"]["message"].as_array().map(Vec::len), Some(1));
        assert_err(&c.get(&format!("/sessions/{}", new_uuid())), 404);
    }
}

#[test]
fn openapi_documents_both_prefixes() {
    let s = TestServer::start();
    let doc = get(&s.url("/api/openapi.json")).body;
    for prefix in PREFIXES {
        for (path, methods) in [
            ("/sessions", &["get", "post"][..]),
            ("/sessions/{id}", &["get"][..]),
            ("/sessions/{id}/messages", &["get", "post"][..]),
            ("/sessions/{id}/close", &["post"][..]),
            ("/sessions/{id}/typing", &["post"][..]),
        ] {
            let item = &doc["paths"][format!("{prefix}{path}")];
            for m in methods {
                assert!(item[m]["responses"].is_object(), "{prefix}{path} {m} undocumented");
            }
        }
    }
}

// ---------------------------------------------------------------------------------------
// authentication and authorization

#[test]
fn authentication_and_authorization_status_codes() {
    let s = server_with_agent("5");
    let member = token(&s, 11, "koperasi_member", &[1, 2]);
    let guest = token(&s, 12, "guest", &[1]);
    let support = token(&s, 13, "support_agent", &[]);
    for prefix in PREFIXES {
        let url = s.url(&format!("{prefix}/sessions"));
        // 401: no token, another scheme, unknown token, a JWT while checked by signature
        assert_err(&request("GET", &url, None, &[("X-Tenant-ID", "1")]), 401);
        assert_err(&request("GET", &url, None, &[("Authorization", &format!("Basic {member}")), ("X-Tenant-ID", "1")]), 401);
        let unknown = Client { s: &s, token: Some("obrol_api_00ff".into()), tenant: Some("1".into()), prefix };
        assert_err(&unknown.get("/sessions"), 401);
        assert_err(&unknown.post("/sessions", &json!({})), 401);
        // 403 forbidden: a role outside the allowlist
        let r = Client::new(&s, &guest, 1, prefix).get("/sessions");
        assert_err(&r, 403);
        assert_eq!(r.body["message"], "forbidden");
        // 400: X-Tenant-ID missing or not a number
        let mut c = Client::new(&s, &member, 1, prefix);
        c.tenant = None;
        assert_err(&c.get("/sessions"), 400);
        for bad in ["abc", "1.5", "-1", "0", " "] {
            c.tenant = Some(bad.into());
            assert_err(&c.get("/sessions"), 400);
        }
        // 403: a tenant not in the token
        let r = Client::new(&s, &member, 3, prefix).get("/sessions");
        assert_err(&r, 403);
        assert_eq!(r.body["message"], "forbidden");
        // allowed: the token's tenants, and any tenant for a support_agent
        assert_ok(&Client::new(&s, &member, 2, prefix).get("/sessions"), 200);
        assert_ok(&Client::new(&s, &support, 987654, prefix).get("/sessions"), 200);
    }
}

#[test]
fn jwt_from_the_host_application() {
    let s = server_with_agent("5");
    let valid = jwt(json!({ "sub": "31", "role": "bumdes_admin", "tenants": [4], "exp": exp_in(600) }));
    let numeric_sub = jwt(json!({ "sub": 32, "role": "bumdes_member", "tenants": [4], "exp": exp_in(600) }));
    let c = Client::new(&s, &valid, 4, PREFIXES[0]);
    let sid = id(&c.open());
    let m = c.say(&sid, "dari JWT");
    assert_eq!(m["sender_id"], 31);
    let m = Client::new(&s, &numeric_sub, 4, PREFIXES[1]).say(&sid, "sub sebagai angka");
    assert_eq!(m["sender_id"], 32);

    let expired = jwt(json!({ "sub": 31, "role": "bumdes_admin", "tenants": [4], "exp": exp_in(-3600) }));
    assert_err(&Client::new(&s, &expired, 4, PREFIXES[0]).get("/sessions"), 401);
    let no_exp = jwt(json!({ "sub": 31, "role": "bumdes_admin", "tenants": [4] }));
    assert_err(&Client::new(&s, &no_exp, 4, PREFIXES[0]).get("/sessions"), 401);
    let forged = obrol::auth::jwt::mint("not-the-secret", &json!({ "sub": 31, "role": "bumdes_admin", "tenants": [4], "exp": exp_in(600) }))
        .expect("mint");
    assert_err(&Client::new(&s, &forged, 4, PREFIXES[0]).get("/sessions"), 401);
    // a valid token with one character of the signature changed
    let sig_at = valid.rfind('.').unwrap_or(0) + 5;
    let swapped = if valid.as_bytes().get(sig_at) == Some(&b'A') { "B" } else { "A" };
    let tampered = format!("{}{swapped}{}", &valid[..sig_at], &valid[sig_at + 1..]);
    assert_err(&Client::new(&s, &tampered, 4, PREFIXES[0]).get("/sessions"), 401);

    let other_role = jwt(json!({ "sub": 31, "role": "admin", "tenants": [4], "exp": exp_in(600) }));
    let r = Client::new(&s, &other_role, 4, PREFIXES[0]).get("/sessions");
    assert_err(&r, 403);
    assert_eq!(r.body["message"], "forbidden");
    assert_err(&Client::new(&s, &valid, 5, PREFIXES[0]).get("/sessions"), 403);

    // without OBROL_JWT_SECRET, JWTs are not accepted at all
    let plain = TestServer::start();
    assert_err(&Client::new(&plain, &valid, 4, PREFIXES[0]).get("/sessions"), 401);
}

#[test]
fn token_cli_list_revoke_and_expiry() {
    let s = server_with_agent("5");
    let out = cli(&s.db, &["token", "create", "--user", "5", "--role", "umkm_member", "--tenant", "3", "--expires-in-days", "30"]);
    assert!(out.status.success());
    let first = String::from_utf8_lossy(&out.stdout).trim().to_string();
    assert!(!String::from_utf8_lossy(&out.stderr).contains(&first), "the secret goes to stdout only");
    let second = token(&s, 6, "umkm_admin", &[3]);
    let third = token(&s, 7, "umkm_admin", &[3]);
    for t in [&first, &second, &third] {
        assert_ok(&Client::new(&s, t, 3, PREFIXES[0]).get("/sessions"), 200);
    }

    let listed = cli_ok(&s.db, &["token", "list"]);
    let lines: Vec<&str> = listed.lines().collect();
    assert_eq!(lines.len(), 3, "{listed}");
    for (line, t) in lines.iter().zip([&first, &second, &third]) {
        let tid = line.split_whitespace().next().unwrap_or("");
        assert!(uuid::Uuid::parse_str(tid).is_ok(), "each line begins with the id: {line}");
        assert!(!line.contains(t.as_str()) && !line.contains(&t["obrol_api_".len()..]), "never the secret: {line}");
    }
    assert!(lines[0].contains("user=5") && lines[0].contains("role=umkm_member") && lines[0].contains("tenants=3"));

    // revoke by the token itself, then by id
    let r = cli_ok(&s.db, &["token", "revoke", &first]);
    assert!(r.starts_with("revoked "), "{r}");
    assert_err(&Client::new(&s, &first, 3, PREFIXES[0]).get("/sessions"), 401);
    let second_id = lines[1].split_whitespace().next().unwrap_or("");
    cli_ok(&s.db, &["token", "revoke", second_id]);
    assert_err(&Client::new(&s, &second, 3, PREFIXES[1]).get("/sessions"), 401);
    assert!(cli_ok(&s.db, &["token", "revoke", second_id]).starts_with("already revoked"));
    assert!(cli_ok(&s.db, &["token", "list"]).lines().filter(|l| l.ends_with("revoked")).count() == 2);
    assert!(!cli(&s.db, &["token", "revoke", "obrol_api_nope"]).status.success());
    assert!(!cli(&s.db, &["token", "revoke", &new_uuid()]).status.success());

    // expiry is enforced
    db(&s)
        .execute("UPDATE api_tokens SET expires_at = '2000-01-01T00:00:00.000Z' WHERE user_number = 7", [])
        .expect("expire");
    assert_err(&Client::new(&s, &third, 3, PREFIXES[0]).get("/sessions"), 401);
    assert!(cli_ok(&s.db, &["token", "list"]).lines().any(|l| l.ends_with("expired")));

    // bad arguments: a one-line error, non-zero exit
    for bad in [
        &["token", "create", "--user", "5", "--role", "umkm_member"][..],
        &["token", "create", "--user", "0", "--role", "support_agent"][..],
        &["token", "create", "--user", "5", "--role", "umkm_admin", "--tenant", "1", "--expires-in-days", "0"][..],
        &["token", "create", "--user", "5", "--role", "bad role", "--tenant", "1"][..],
    ] {
        let out = cli(&s.db, bad);
        assert!(!out.status.success(), "{bad:?}");
        assert_eq!(String::from_utf8_lossy(&out.stderr).trim().lines().count(), 1, "{bad:?}");
        assert!(out.stdout.is_empty());
    }
}

// ---------------------------------------------------------------------------------------
// sessions

#[test]
fn session_opening_rules() {
    let s = TestServer::start();
    let t1 = token(&s, 11, "umkm_admin", &[1]);
    let t2 = token(&s, 12, "umkm_admin", &[2]);
    let support = token(&s, 900, "support_agent", &[]);
    let c1 = Client::new(&s, &t1, 1, PREFIXES[0]);
    let c2 = Client::new(&s, &t2, 2, PREFIXES[1]);

    // no agent online (none at all, then one offline): 400
    let r = c1.post("/sessions", &json!({}));
    assert_err(&r, 400);
    add_agent(&s.db, "offline@example.com", &["--number", "777"]);
    assert_err(&c1.post("/sessions", &json!({})), 400);

    // one online agent with room for one chat
    online_agent(&s, "solo@example.com", &["--number", "501", "--max-chats", "1"]);
    let first = c1.open();
    assert_eq!(first["agent_id"], 501);
    // one OPEN session per tenant
    let r = c1.post("/sessions", &json!({}));
    assert_err(&r, 400);
    // the only agent is full: OPEN without agent_id (omitted, not null)
    let r = c2.post("/sessions", &json!({}));
    let waiting = assert_ok(&r, 201).clone();
    assert_session(&waiting);
    assert_eq!(waiting["status"], "OPEN");
    assert!(waiting.get("agent_id").is_none() && !r.text.contains("agent_id"), "{}", r.text);
    // capacity frees when the first closes: the waiting one is assigned
    let sc = Client::new(&s, &support, 1, PREFIXES[0]);
    let closed = assert_ok(&sc.post(&format!("/sessions/{}/close", id(&first)), &json!({})), 200).clone();
    assert_eq!(closed["status"], "CLOSED");
    let now2 = assert_ok(&c2.get(&format!("/sessions/{}", id(&waiting))), 200).clone();
    assert_eq!(now2["agent_id"], 501);

    // a tenant user's agent_id is ignored; bad types are still 400
    assert_field_err(&c1.post("/sessions", &json!({ "agent_id": "x" })), "agent_id");
    assert_err(&c1.post("/sessions", &json!({ "agent_id": 1.5 })), 400);
    assert_err(&request_raw("POST", &s.url("/api/livechat/sessions"), b"{nope", &[("Authorization", &format!("Bearer {t1}")), ("X-Tenant-ID", "1")]), 400);
    // (the only online agent is full again, so tenant 1 waits; agent 777 is not picked)
    let ignored = c1.post("/sessions", &json!({ "agent_id": 777 }));
    let ignored = assert_ok(&ignored, 201).clone();
    assert!(ignored.get("agent_id").is_none(), "{ignored}");
    assert_ok(&sc.post(&format!("/sessions/{}/close", id(&ignored)), &json!({})), 200);

    // a support_agent names the agent, who must exist
    let s3 = Client::new(&s, &support, 3, PREFIXES[0]);
    assert_field_err(&s3.post("/sessions", &json!({ "agent_id": 4242 })), "agent_id");
    let named = assert_ok(&s3.post("/sessions", &json!({ "agent_id": 777 })), 201).clone();
    assert_eq!(named["agent_id"], 777, "the named agent gets it even while offline");
    assert_eq!(named["tenant_id"], 3);
}

#[test]
fn session_listing_filters_and_pages() {
    let s = server_with_agent("50");
    let member = token(&s, 11, "umkm_member", &[1]);
    let support = token(&s, 900, "support_agent", &[]);
    let c = Client::new(&s, &member, 1, PREFIXES[0]);
    let sc = Client::new(&s, &support, 1, PREFIXES[1]);
    let mut made = Vec::new();
    for _ in 0..5 {
        let sid = id(&c.open());
        assert_ok(&sc.post(&format!("/sessions/{sid}/close"), &json!({})), 200);
        made.push(sid);
    }
    made.push(id(&c.open()));
    Client::new(&s, &support, 2, PREFIXES[0]).open(); // another tenant's

    // all sessions of tenant 1, newest first, 2 per page
    let mut seen = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let q = cursor.as_ref().map(|c| format!("&cursor={c}")).unwrap_or_default();
        let r = c.get(&format!("/sessions?limit=2{q}"));
        let data = assert_ok(&r, 200).as_array().cloned().unwrap_or_default();
        data.iter().for_each(assert_session);
        seen.extend(data.iter().map(id));
        let p = &r.body["meta"]["pagination"];
        assert_eq!(p["has_prev"].as_bool(), Some(cursor.is_some()));
        match p["next_cursor"].as_str() {
            Some(n) => cursor = Some(n.to_string()),
            None => break,
        }
    }
    let newest_first: Vec<String> = made.iter().rev().cloned().collect();
    assert_eq!(seen, newest_first);

    let closed = c.get("/sessions?status=CLOSED&limit=100");
    let closed = assert_ok(&closed, 200).as_array().cloned().unwrap_or_default();
    assert_eq!(closed.len(), 5);
    assert!(closed.iter().all(|v| v["status"] == "CLOSED"));
    let open = assert_ok(&c.get("/sessions?status=OPEN"), 200).clone();
    assert_eq!(open.as_array().map(Vec::len), Some(1));
    assert_eq!(open[0]["id"], made[5].as_str());
    assert_field_err(&c.get("/sessions?status=pending"), "status");
    assert_field_err(&c.get(&format!("/sessions?cursor={}", new_uuid())), "cursor");

    // direction=newer walks back from the oldest
    let r = c.get(&format!("/sessions?limit=2&cursor={}&direction=newer", made[0]));
    let back: Vec<String> = assert_ok(&r, 200).as_array().map(|a| a.iter().map(id).collect()).unwrap_or_default();
    assert_eq!(back, vec![made[2].clone(), made[1].clone()]);
    assert_eq!(r.body["meta"]["pagination"]["prev_cursor"], made[2].as_str());
    assert_eq!(r.body["meta"]["pagination"]["next_cursor"], made[1].as_str());
}

#[test]
fn closing_and_typing_rules() {
    let s = server_with_agent("5");
    let member = token(&s, 11, "umkm_member", &[1]);
    let admin = token(&s, 12, "umkm_admin", &[1]);
    let as_agent = token(&s, 501, "umkm_admin", &[1]); // the assigned agent's number
    let support = token(&s, 900, "support_agent", &[]);
    let c = Client::new(&s, &member, 1, PREFIXES[0]);

    let sid = id(&c.open());
    let typing = c.post(&format!("/sessions/{sid}/typing"), &json!({ "typing": true }));
    assert_eq!(assert_ok(&typing, 200)["typing"], true);
    assert_field_err(&c.post(&format!("/sessions/{sid}/typing"), &json!({})), "typing");
    assert_field_err(&c.post(&format!("/sessions/{sid}/typing"), &json!({ "typing": "yes" })), "typing");

    // tenant users may not close
    for t in [&member, &admin] {
        let r = Client::new(&s, t, 1, PREFIXES[1]).post(&format!("/sessions/{sid}/close"), &json!({}));
        assert_err(&r, 403);
        assert_eq!(r.body["message"], "forbidden");
    }
    // the assigned agent may
    let closed = Client::new(&s, &as_agent, 1, PREFIXES[0]).post(&format!("/sessions/{sid}/close"), &json!({}));
    let closed = assert_ok(&closed, 200).clone();
    assert_session(&closed);
    assert_eq!(closed["status"], "CLOSED");
    // closing again changes nothing
    let again = Client::new(&s, &support, 1, PREFIXES[0]).post(&format!("/sessions/{sid}/close"), &json!({}));
    assert_eq!(assert_ok(&again, 200)["status"], "CLOSED");
    // a closed session takes no input but stays readable
    assert_err(&c.post(&format!("/sessions/{sid}/typing"), &json!({ "typing": false })), 404);
    assert_err(&c.post(&format!("/sessions/{sid}/messages"), &json!({ "message": "masih ada?" })), 404);
    assert_ok(&c.get(&format!("/sessions/{sid}/messages")), 200);
    assert_eq!(assert_ok(&c.get(&format!("/sessions/{sid}")), 200)["status"], "CLOSED");

    // the tenant can open the next one; a support_agent closes it
    let next = id(&c.open());
    assert_ne!(next, sid);
    let r = Client::new(&s, &support, 1, PREFIXES[1]).post(&format!("/sessions/{next}/close"), &json!({}));
    assert_eq!(assert_ok(&r, 200)["status"], "CLOSED");
}

// ---------------------------------------------------------------------------------------
// messages

#[test]
fn message_posting_rules() {
    let s = server_with_agent("5");
    let member = token(&s, 11, "umkm_member", &[1]);
    let support = token(&s, 501, "support_agent", &[]); // matches agent 501
    let c = Client::new(&s, &member, 1, PREFIXES[0]);
    let sid = id(&c.open());
    let path = format!("/sessions/{sid}/messages");

    assert_field_err(&c.post(&path, &json!({ "message": "   " })), "message");
    assert_field_err(&c.post(&path, &json!({ "message": 5 })), "message");
    assert_field_err(&c.post(&path, &json!({ "message": "x".repeat(4001) })), "message");
    assert_ok(&c.post(&path, &json!({ "message": "é".repeat(4000) })), 201);
    assert_field_err(&c.post(&path, &json!({ "message": "hi", "client_id": "nope" })), "client_id");
    assert_err(&request_raw("POST", &s.url(&format!("/api/livechat{path}")), &vec![b'a'; 70 * 1024], &[("Authorization", &format!("Bearer {member}")), ("X-Tenant-ID", "1")]), 413);
    assert_field_err(&c.post("/sessions/not-a-uuid/messages", &json!({ "message": "hi" })), "session_id");
    assert_err(&c.post(&format!("/sessions/{}/messages", new_uuid()), &json!({ "message": "hi" })), 404);

    // stored exactly as sent; a retry with the same client_id stores nothing new
    let cid = new_uuid();
    let r = c.post(&path, &json!({ "message": "  halo  ", "client_id": cid }));
    let m = assert_ok(&r, 201).clone();
    assert_message(&m);
    assert_eq!(m["message"], "  halo  ");
    assert_eq!(m["client_id"], cid.as_str());
    let again = c.post(&path, &json!({ "message": "  halo  ", "client_id": cid }));
    assert_eq!(assert_ok(&again, 200), &m);
    let all = assert_ok(&c.get(&format!("{path}?limit=100")), 200).clone();
    assert_eq!(all.as_array().map(Vec::len), Some(2));

    // a support_agent whose number is an agent's writes as that agent
    let sc = Client::new(&s, &support, 1, PREFIXES[1]);
    let reply = sc.say(&sid, "Selamat siang, ada yang bisa dibantu?");
    assert_message(&reply);
    assert_eq!(reply["sender_id"], 501);
    assert_eq!(reply["sender_type"], "agent");
    assert_eq!(reply["sender_name"], "agent501");
    let newest = assert_ok(&c.get(&format!("{path}?limit=1")), 200).clone();
    assert_eq!(newest[0], reply);
    let stored: (String, Option<String>) = db(&s)
        .query_row("SELECT sender_type, sender_agent_id FROM messages WHERE id = ?1", [id(&reply)], |r| Ok((r.get(0)?, r.get(1)?)))
        .expect("row");
    assert_eq!(stored.0, "agent");
    assert!(stored.1.is_some());
}

#[test]
fn listing_parameter_errors() {
    let s = server_with_agent("5");
    let member = token(&s, 11, "umkm_member", &[1]);
    let c = Client::new(&s, &member, 1, PREFIXES[1]);
    let sid = id(&c.open());
    let other = id(&Client::new(&s, &token(&s, 12, "umkm_member", &[2]), 2, PREFIXES[0]).open());
    let foreign = id(&Client::new(&s, &token(&s, 12, "umkm_member", &[2]), 2, PREFIXES[0]).say(&other, "lain"));
    c.say(&sid, "satu");
    let base = format!("/sessions/{sid}/messages");
    let (unknown, foreign) = (format!("cursor={}", new_uuid()), format!("cursor={foreign}"));
    for (q, field) in [
        ("limit=0", "limit"),
        ("limit=-1", "limit"),
        ("limit=101", "limit"),
        ("limit=abc", "limit"),
        ("start_date=yesterday", "start_date"),
        ("end_date=2025-13-01T00:00:00Z", "end_date"),
        ("start_date=2025-01-02T00:00:00Z&end_date=2025-01-01T00:00:00Z", "end_date"),
        ("sender_id=abc", "sender_id"),
        ("cursor=abc", "cursor"),
        (unknown.as_str(), "cursor"),
        (foreign.as_str(), "cursor"),
        ("direction=sideways", "direction"),
        ("direction=newer", "cursor"),
    ] {
        assert_field_err(&c.get(&format!("{base}?{q}")), field);
    }
    let r = c.get(&format!("{base}?limit=100&start_date={}", enc("2025-01-15T10:00:00+07:00")));
    assert_eq!(assert_ok(&r, 200).as_array().map(Vec::len), Some(1));
    assert_eq!(r.body["meta"]["pagination"]["limit"], 100);
}

/// Walks a listing with `next_cursor` and back with `prev_cursor` + direction=newer,
/// checking every page; returns the ids in walk order (newest first).
fn walk(c: &Client, session: &str, filter: &str, limit: usize) -> Vec<String> {
    let base = format!("/sessions/{session}/messages?limit={limit}{filter}");
    let mut pages: Vec<Vec<String>> = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let q = cursor.as_ref().map(|c| format!("&cursor={c}")).unwrap_or_default();
        let r = c.get(&format!("{base}{q}"));
        let data = assert_ok(&r, 200).as_array().cloned().unwrap_or_default();
        data.iter().for_each(assert_message);
        assert!(data.len() <= limit);
        let ids: Vec<String> = data.iter().map(id).collect();
        let p = r.body["meta"]["pagination"].clone();
        assert_eq!(p["limit"].as_u64(), Some(limit as u64));
        assert_eq!(p["has_next"].as_bool(), Some(p.get("next_cursor").is_some()), "{p}");
        assert_eq!(p["has_prev"].as_bool(), Some(p.get("prev_cursor").is_some()), "{p}");
        assert_eq!(p["has_prev"].as_bool(), Some(cursor.is_some() && !ids.is_empty()), "{p}");
        if let Some(n) = p["next_cursor"].as_str() {
            assert_eq!(Some(n), ids.last().map(String::as_str), "next_cursor is the oldest on the page");
            assert_eq!(data.len(), limit, "a page with more after it is full");
        }
        if let Some(pc) = p["prev_cursor"].as_str() {
            assert_eq!(Some(pc), ids.first().map(String::as_str), "prev_cursor is the newest on the page");
        }
        pages.push(ids);
        match p["next_cursor"].as_str() {
            Some(n) => cursor = Some(n.to_string()),
            None => break,
        }
    }
    let forward: Vec<String> = pages.concat();

    // back up from the last page with direction=newer
    let mut back: Vec<Vec<String>> = Vec::new();
    let last = pages.last().cloned().unwrap_or_default();
    let mut cursor = if pages.len() > 1 { last.first().cloned() } else { None };
    while let Some(cur) = cursor {
        let r = c.get(&format!("{base}&cursor={cur}&direction=newer"));
        let ids: Vec<String> = assert_ok(&r, 200).as_array().map(|a| a.iter().map(id).collect()).unwrap_or_default();
        let p = &r.body["meta"]["pagination"];
        assert_eq!(p["has_next"], true, "{p}");
        assert_eq!(p["next_cursor"].as_str(), ids.last().map(String::as_str));
        cursor = p["prev_cursor"].as_str().map(str::to_string);
        if cursor.is_some() {
            assert_eq!(ids.len(), limit);
        }
        back.push(ids);
    }
    back.reverse();
    let mut backward: Vec<String> = back.concat();
    backward.extend(last);
    assert_eq!(backward, forward, "walking back visits the same messages in the same order");
    forward
}

#[test]
fn cursor_walk_with_shared_timestamps_and_filters() {
    let s = server_with_agent("5");
    let member = token(&s, 11, "umkm_member", &[1]);
    let support = token(&s, 501, "support_agent", &[]);
    let c = Client::new(&s, &member, 1, PREFIXES[0]);
    let sc = Client::new(&s, &support, 1, PREFIXES[1]);
    let sid = id(&c.open());
    // another session's messages must never show up
    let other = Client::new(&s, &support, 9, PREFIXES[0]);
    let osid = id(&other.open());
    other.say(&osid, "Promo 50% OFF di sesi lain");

    struct Sent {
        id: String,
        sender: i64,
        text: String,
        group: usize,
    }
    let mut sent = Vec::new();
    for i in 0..41 {
        let text = match i % 4 {
            0 => format!("Promo 50% OFF nomor {i}"),
            1 => format!("kode_{i} biasa"),
            2 => format!("pesan 50 persen {i}"),
            _ => format!("PROMO besar ke-{i}"),
        };
        let (who, sender) = if i % 3 == 0 { (&sc, 501) } else { (&c, 11) };
        let m = who.say(&sid, &text);
        sent.push(Sent { id: id(&m), sender, text, group: i / 5 });
    }
    // five messages share each timestamp (groups 0..=8), as on a busy server
    {
        let conn = db(&s);
        for m in &sent {
            let at = format!("2025-01-15T10:00:{:02}.000Z", m.group);
            conn.execute("UPDATE messages SET created_at = ?1 WHERE id = ?2", [&at, &m.id]).expect("update");
        }
    }
    let expect = |keep: &dyn Fn(&Sent) -> bool| -> Vec<String> { sent.iter().rev().filter(|m| keep(m)).map(|m| m.id.clone()).collect() };

    let cases: Vec<(String, Vec<String>)> = vec![
        (String::new(), expect(&|_| true)),
        (format!("&term={}", enc("50%")), expect(&|m| m.text.contains("50%"))),
        (format!("&term={}", enc("%")), expect(&|m| m.text.contains('%'))),
        (format!("&term={}", enc("_")), expect(&|m| m.text.contains('_'))),
        ("&term=promo".into(), expect(&|m| m.text.to_lowercase().contains("promo"))),
        ("&sender_id=501".into(), expect(&|m| m.sender == 501)),
        ("&sender_id=11&term=PROMO".into(), expect(&|m| m.sender == 11 && m.text.to_lowercase().contains("promo"))),
        (
            format!("&start_date={}&end_date={}", enc("2025-01-15T10:00:02Z"), enc("2025-01-15T10:00:04Z")),
            expect(&|m| (2..=4).contains(&m.group)),
        ),
        (
            format!("&start_date={}&sender_id=11", enc("2025-01-15T17:00:05+07:00")),
            expect(&|m| m.group >= 5 && m.sender == 11),
        ),
        ("&sender_id=12345".into(), Vec::new()),
        ("&term=tidak-ada".into(), Vec::new()),
    ];
    for (filter, want) in &cases {
        for limit in [1, 7, 10, 100] {
            let got = walk(&c, &sid, filter, limit);
            let unique: HashSet<&String> = got.iter().collect();
            assert_eq!(unique.len(), got.len(), "each message once ({filter}, limit {limit})");
            assert_eq!(&got, want, "filter {filter:?} limit {limit}");
        }
    }
    assert_eq!(cases[0].1.len(), 41);
    assert_eq!(cases[1].1.len(), 11);

    // default page: 10 newest, next_cursor = the 10th
    let r = sc.get(&format!("/sessions/{sid}/messages"));
    let d = assert_ok(&r, 200).as_array().cloned().unwrap_or_default();
    assert_eq!(d.len(), 10);
    assert_eq!(r.body["meta"]["pagination"]["next_cursor"], sent[31].id.as_str());
    assert_eq!(r.body["meta"]["pagination"]["has_next"], true);
    // a cursor need not match the filter; an empty page has no cursors
    let r = c.get(&format!("/sessions/{sid}/messages?term=besar&cursor={}", sent[0].id));
    assert_eq!(assert_ok(&r, 200).as_array().map(Vec::len), Some(0));
    assert_eq!(keys(&r.body["meta"]["pagination"]), ["has_next", "has_prev", "limit"]);
}

// ---------------------------------------------------------------------------------------
// isolation between tenants

#[test]
fn cross_tenant_matrix() {
    let s = server_with_agent("5");
    let a_tok = token(&s, 21, "koperasi_admin", &[1]);
    let b_tok = token(&s, 22, "koperasi_admin", &[2]);
    let support = token(&s, 900, "support_agent", &[]);
    let a = Client::new(&s, &a_tok, 1, PREFIXES[0]);
    let b = Client::new(&s, &b_tok, 2, PREFIXES[1]);
    let sa = id(&a.open());
    let ma = id(&a.say(&sa, "pesan tenant A"));
    let sb = id(&b.open());
    let mb = id(&b.say(&sb, "RAHASIA tenant B"));

    let secret_bits = [sb.as_str(), mb.as_str(), "RAHASIA"];
    let no_leak = |r: &Resp| {
        assert!(r.body["data"].is_null(), "{}", r.text);
        for bit in secret_bits {
            assert!(!r.text.contains(bit), "leaked {bit}: {}", r.text);
        }
    };
    let endpoints = |sid: &str| -> Vec<(&'static str, String, Option<Value>)> {
        vec![
            ("GET", format!("/sessions/{sid}"), None),
            ("GET", format!("/sessions/{sid}/messages"), None),
            ("GET", format!("/sessions/{sid}/messages?cursor={mb}"), None),
            ("POST", format!("/sessions/{sid}/messages"), Some(json!({ "message": "menyusup" }))),
            ("POST", format!("/sessions/{sid}/messages"), Some(json!({ "message": "menyusup", "client_id": new_uuid() }))),
            ("POST", format!("/sessions/{sid}/typing"), Some(json!({ "typing": true }))),
            ("POST", format!("/sessions/{sid}/close"), Some(json!({}))),
        ]
    };
    for prefix in PREFIXES {
        // A's token, A's tenant header, B's session: 404, like a session that does not exist
        let a_here = Client::new(&s, &a_tok, 1, prefix);
        let support_a = Client::new(&s, &support, 1, prefix);
        for c in [&a_here, &support_a] {
            for (m, path, body) in endpoints(&sb) {
                let r = c.call(m, &path, body.as_ref());
                assert_err(&r, 404);
                no_leak(&r);
            }
        }
        // A's token with B's tenant header: 403 everywhere, before anything is looked up
        let a_there = Client::new(&s, &a_tok, 2, prefix);
        let mut all = endpoints(&sb);
        all.extend(endpoints(&sa));
        all.push(("GET", "/sessions".into(), None));
        all.push(("GET", "/sessions?status=OPEN".into(), None));
        all.push(("POST", "/sessions".into(), Some(json!({}))));
        for (m, path, body) in all {
            let r = a_there.call(m, &path, body.as_ref());
            assert_err(&r, 403);
            no_leak(&r);
        }
        // A's listing shows A's only; B's message id is no cursor in A's session
        let r = a_here.get("/sessions?limit=100");
        let ids: Vec<String> = assert_ok(&r, 200).as_array().map(|v| v.iter().map(id).collect()).unwrap_or_default();
        assert_eq!(ids, vec![sa.clone()]);
        assert_field_err(&a_here.get(&format!("/sessions/{sa}/messages?cursor={mb}")), "cursor");
        assert_field_err(&a_here.get(&format!("/sessions?cursor={sb}")), "cursor");
        let r = a_here.get(&format!("/sessions/{sa}/messages"));
        assert_eq!(assert_ok(&r, 200)[0]["id"], ma.as_str());
        assert!(!r.text.contains("RAHASIA"));
    }
    // B's session is untouched
    let r = b.get(&format!("/sessions/{sb}/messages?limit=100"));
    let msgs = assert_ok(&r, 200).as_array().cloned().unwrap_or_default();
    assert_eq!(msgs.len(), 1);
    assert_eq!(assert_ok(&b.get(&format!("/sessions/{sb}")), 200)["status"], "OPEN");
}

// ---------------------------------------------------------------------------------------
// secrets

#[test]
fn tokens_are_never_stored_or_logged_in_clear() {
    let s = TestServer::start_logged(&[], &[("OBROL_JWT_SECRET", JWT_SECRET)]);
    online_agent(&s, "agent501@example.com", &["--number", "501"]);
    let opaque = token(&s, 11, "umkm_admin", &[1]);
    let revoked = token(&s, 12, "umkm_admin", &[1]);
    cli_ok(&s.db, &["token", "revoke", &revoked]);
    let good_jwt = jwt(json!({ "sub": 13, "role": "umkm_member", "tenants": [1], "exp": exp_in(600) }));
    let bad_jwt = obrol::auth::jwt::mint("wrong", &json!({ "sub": 13, "role": "umkm_member", "tenants": [1], "exp": exp_in(600) })).expect("mint");

    let c = Client::new(&s, &opaque, 1, PREFIXES[0]);
    let sid = id(&c.open());
    c.say(&sid, "halo");
    Client::new(&s, &good_jwt, 1, PREFIXES[1]).say(&sid, "dari jwt");
    assert_err(&Client::new(&s, &opaque, 2, PREFIXES[0]).get("/sessions"), 403);
    assert_err(&Client::new(&s, &revoked, 1, PREFIXES[0]).get("/sessions"), 401);
    assert_err(&Client::new(&s, &bad_jwt, 1, PREFIXES[0]).get("/sessions"), 401);
    assert_err(&c.get(&format!("/sessions/{}", new_uuid())), 404);

    let secrets = [opaque.as_str(), &opaque["obrol_api_".len()..], revoked.as_str(), &revoked["obrol_api_".len()..], good_jwt.as_str(), bad_jwt.as_str(), JWT_SECRET];
    // the hash is what is stored
    let stored: i64 = db(&s)
        .query_row("SELECT COUNT(*) FROM api_tokens WHERE token_hash = ?1", [obrol::auth::token_hash(&opaque)], |r| r.get(0))
        .expect("count");
    assert_eq!(stored, 1);
    for suffix in ["", "-wal", "-shm"] {
        let path = format!("{}{suffix}", s.db.display());
        let Ok(bytes) = std::fs::read(&path) else { continue };
        let text = String::from_utf8_lossy(&bytes);
        for secret in secrets {
            assert!(!text.contains(secret), "{path} holds a secret in clear");
        }
    }
    let log = s.log_text();
    assert!(log.contains("/api/livechat/sessions") && log.contains("/api/vendor/livechat/sessions"), "requests are logged: {log}");
    for secret in secrets {
        assert!(!log.contains(secret), "the log holds a secret");
    }
}
