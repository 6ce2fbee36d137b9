//! The agent API (SPEC §4) on a real server: login and presence, routing and the queue,
//! the inbox over both families with search, conversation actions, admin endpoints.

use crate::common::*;
use crate::ws_client::{agent_get, agent_post, bearer, start_visitor, visitor_says, Ws};
use serde_json::{json, Value};
use std::time::{Duration, Instant};

fn put_presence(s: &TestServer, token: &str, status: &str) -> Resp {
    request("PUT", &s.url("/api/agent/presence"), Some(&json!({ "status": status })), &[("Authorization", &bearer(token))])
}

fn me(s: &TestServer, token: &str) -> Resp {
    agent_get(s, token, "/api/agent/me")
}

fn conversation(s: &TestServer, token: &str, id: &str) -> Value {
    let r = agent_get(s, token, &format!("/api/agent/conversations/{id}"));
    assert_eq!(r.status, 200, "{}", r.text);
    r.body
}

fn list(s: &TestServer, token: &str, query: &str) -> Vec<Value> {
    let r = agent_get(s, token, &format!("/api/agent/conversations{query}"));
    assert_eq!(r.status, 200, "{query}: {}", r.text);
    r.body["conversations"].as_array().expect("conversations").clone()
}

fn ids(items: &[Value]) -> Vec<String> {
    items.iter().map(|c| c["id"].as_str().unwrap_or("").to_string()).collect()
}

fn owned(xs: &[&String]) -> Vec<String> {
    xs.iter().map(|x| x.to_string()).collect()
}

fn keys(v: &Value) -> Vec<String> {
    let mut k: Vec<String> = v.as_object().expect("object").keys().cloned().collect();
    k.sort();
    k
}

fn start_with(s: &TestServer, body: Value) -> (String, String) {
    let browser = new_uuid();
    let mut b = body;
    b["browser_uuid"] = json!(browser);
    let r = post(&s.url("/api/chat/start"), &b);
    assert_eq!(r.status, 201, "{}", r.text);
    (browser, r.body["session_id"].as_str().expect("id").to_string())
}

fn admin(s: &TestServer) -> String {
    add_agent(&s.db, "boss@e.co", &["--role", "admin"]);
    login(s, "boss@e.co")
}

#[test]
fn login_me_presence_and_logout() {
    let s = TestServer::start();
    add_agent(&s.db, "ana@e.co", &["--number", "42"]);
    let bad = post(&s.url("/api/agent/login"), &json!({ "email": "ana@e.co", "password": "wrong-password" }));
    assert_eq!(bad.status, 401);
    let r = post(&s.url("/api/agent/login"), &json!({ "email": "ana@e.co", "password": "password123" }));
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(keys(&r.body), ["agent", "expires_at", "token"]);
    for k in ["id", "number", "name", "email", "department", "status"] {
        assert!(r.body["agent"].get(k).is_some(), "agent lacks {k}");
    }
    assert_eq!(r.body["agent"]["number"], 42);
    let token = r.body["token"].as_str().expect("token").to_string();
    assert_eq!(me(&s, &token).body["status"], "offline");
    assert_eq!(put_presence(&s, &token, "busy").status, 400);
    assert_eq!(put_presence(&s, &token, "online").body["status"], "online");
    // presence is stored: a later read (another login) sees it
    let token2 = login(&s, "ana@e.co");
    assert_eq!(me(&s, &token2).body["status"], "online");
    let (_, session) = start_visitor(&s, "Hi");
    assert_eq!(conversation(&s, &token, &session)["status"], "active");
    assert_eq!(agent_post(&s, &token, "/api/agent/logout", &json!({})).status, 200);
    assert_eq!(me(&s, &token).status, 401, "the token is gone");
    assert_eq!(me(&s, &token2).body["status"], "offline", "logout goes offline");
    let c = conversation(&s, &token2, &session);
    assert_eq!((c["status"].as_str(), c["agent"].is_null()), (Some("waiting"), true), "chat back in the queue");
    assert_eq!(me(&s, "nope").status, 401);
    assert_eq!(get(&s.url("/api/agent/me")).status, 401);
}

#[test]
fn routing_spreads_by_load_respects_capacity_and_offers_the_queue_as_capacity_frees() {
    let s = TestServer::start();
    let agents: Vec<(String, String)> =
        ["a@e.co", "b@e.co", "c@e.co"].iter().map(|e| online_agent(&s, e, &["--max-chats", "2"])).collect();
    let sessions: Vec<String> = (0..7).map(|i| start_visitor(&s, &format!("chat {i}")).1).collect();
    let token = &agents[0].1;
    let mut load = std::collections::HashMap::new();
    for id in &sessions[..6] {
        let c = conversation(&s, token, id);
        assert_eq!(c["status"], "active", "{c}");
        *load.entry(c["agent"]["id"].as_str().unwrap_or("").to_string()).or_insert(0) += 1;
    }
    assert_eq!(load.len(), 3);
    assert!(load.values().all(|n| *n == 2), "{load:?}");
    let waiting = conversation(&s, token, &sessions[6]);
    assert_eq!((waiting["status"].as_str(), waiting["queue_position"].as_i64()), (Some("waiting"), Some(1)));
    // an agent closes one chat: the waiting one is theirs now
    let first = conversation(&s, token, &sessions[0]);
    let owner = first["agent"]["id"].as_str().expect("agent").to_string();
    let owner_token = &agents.iter().find(|(id, _)| *id == owner).expect("owner").1;
    let r = agent_post(&s, owner_token, &format!("/api/agent/conversations/{}/close", sessions[0]), &json!({}));
    assert_eq!(r.status, 200, "{}", r.text);
    let now = conversation(&s, token, &sessions[6]);
    assert_eq!((now["status"].as_str(), now["agent"]["id"].as_str()), (Some("active"), Some(owner.as_str())));
    // "active" is mine
    assert_eq!(list(&s, owner_token, "?status=active").len(), 2);
}

#[test]
fn departments_route_to_their_own_agents() {
    let s = TestServer::start();
    let sales = cli_ok(&s.db, &["department", "add", "Sales"]);
    let (seller, _) = online_agent(&s, "sales@e.co", &["--department", "Sales"]);
    let (_, other) = online_agent(&s, "other@e.co", &[]);
    for _ in 0..3 {
        let (_, id) = start_with(&s, json!({ "topic": "Harga", "department_id": sales }));
        let c = conversation(&s, &other, &id);
        assert_eq!(c["agent"]["id"], seller.as_str());
        assert_eq!(c["department"]["name"], "Sales");
    }
}

#[test]
fn manual_routing_queue_order_and_accept() {
    let s = TestServer::start_with(&["--routing", "manual"], &[]);
    let (me_id, a) = online_agent(&s, "a@e.co", &[]);
    let (_, b) = online_agent(&s, "b@e.co", &[]);
    let mut made = Vec::new();
    for p in ["low", "normal", "urgent", "high", "normal"] {
        made.push(start_with(&s, json!({ "topic": p, "priority": p })).1);
        std::thread::sleep(Duration::from_millis(5));
    }
    let queue = list(&s, &a, "?status=waiting");
    assert_eq!(ids(&queue), owned(&[&made[2], &made[3], &made[1], &made[4], &made[0]]));
    let positions: Vec<i64> = queue.iter().filter_map(|c| c["queue_position"].as_i64()).collect();
    assert_eq!(positions, [1, 2, 3, 4, 5]);
    let mut console = Ws::open(&s, &format!("/api/agent/ws?access_token={b}"));
    let r = agent_post(&s, &a, &format!("/api/agent/conversations/{}/accept", made[0]), &json!({}));
    assert_eq!((r.status, r.body["status"].as_str(), r.body["agent"]["id"].as_str()), (200, Some("active"), Some(me_id.as_str())));
    assert_eq!(console.expect("session.updated")["id"], made[0].as_str());
    assert_eq!(console.expect("queue.updated")["waiting"], 4);
    assert_eq!(agent_post(&s, &b, &format!("/api/agent/conversations/{}/accept", made[0]), &json!({})).status, 409);
    assert_eq!(agent_post(&s, &a, &format!("/api/agent/conversations/{}/accept", made[0]), &json!({})).status, 200, "idempotent");
    assert_eq!(ids(&list(&s, &a, "?status=active")), owned(&[&made[0]]));
    assert!(list(&s, &b, "?status=active").is_empty());
    // b does not list a's active chat, but may open it
    assert!(!ids(&list(&s, &b, "")).contains(&made[0]));
    assert_eq!(conversation(&s, &b, &made[0])["agent"]["id"], me_id.as_str());
    assert_eq!(agent_get(&s, &a, &format!("/api/agent/conversations/{}", new_uuid())).status, 404);
    assert_eq!(agent_get(&s, &a, "/api/agent/conversations/nope").status, 400);
    assert_eq!(agent_get(&s, &a, "/api/agent/conversations?status=open").status, 400);
    assert_eq!(agent_get(&s, &a, "/api/agent/conversations?family=x").status, 400);
    assert_eq!(agent_get(&s, &a, "/api/agent/conversations?limit=0").status, 400);
}

#[test]
fn going_offline_requeues_and_nothing_is_lost() {
    let s = TestServer::start();
    let (a_id, a) = online_agent(&s, "a@e.co", &[]);
    let (browser, session) = start_visitor(&s, "Pindah");
    visitor_says(&s, &session, &browser, "satu");
    assert_eq!(agent_post(&s, &a, &format!("/api/agent/conversations/{session}/messages"), &json!({ "message": "dua" })).status, 201);
    // away keeps the chat and takes no new ones
    assert_eq!(put_presence(&s, &a, "away").status, 200);
    assert_eq!(conversation(&s, &a, &session)["agent"]["id"], a_id.as_str());
    let (_, later) = start_visitor(&s, "Later");
    assert_eq!(conversation(&s, &a, &later)["status"], "waiting");
    // offline returns it to the queue; nobody is online, so it waits
    assert_eq!(put_presence(&s, &a, "offline").status, 200);
    let c = conversation(&s, &a, &session);
    assert_eq!((c["status"].as_str(), c["agent"].is_null()), (Some("waiting"), true));
    // the next agent to come online gets the queue, oldest first, history intact
    let (b_id, b) = online_agent(&s, "b@e.co", &[]);
    for id in [&session, &later] {
        assert_eq!(conversation(&s, &b, id)["agent"]["id"], b_id.as_str());
    }
    let msgs = agent_get(&s, &b, &format!("/api/agent/conversations/{session}/messages")).body["messages"].clone();
    let texts: Vec<&str> = msgs.as_array().expect("messages").iter().filter_map(|m| m["message"].as_str()).collect();
    assert_eq!(texts, ["satu", "dua"]);
}

#[test]
fn auto_away_when_console_sockets_are_gone() {
    let s = TestServer::start_with(&["--away-after", "1s"], &[]);
    let (a_id, a) = online_agent(&s, "a@e.co", &[]);
    let (_, b) = online_agent(&s, "b@e.co", &[]); // never opens a socket
    let (_, session) = start_visitor(&s, "Keep");
    let owner = conversation(&s, &a, &session)["agent"]["id"].as_str().unwrap_or("").to_string();
    let console = Ws::open(&s, &format!("/api/agent/ws?access_token={a}"));
    let second = Ws::open(&s, &format!("/api/agent/ws?access_token={a}"));
    console.close();
    std::thread::sleep(Duration::from_millis(1600));
    assert_eq!(me(&s, &a).body["status"], "online", "one console is still open");
    second.close();
    let deadline = Instant::now() + Duration::from_secs(5);
    while me(&s, &a).body["status"] != "away" {
        assert!(Instant::now() < deadline, "not set away");
        std::thread::sleep(Duration::from_millis(100));
    }
    assert_eq!(me(&s, &b).body["status"], "online", "agents without sockets are left alone");
    assert_eq!(conversation(&s, &a, &session)["agent"]["id"], owner.as_str(), "away keeps chats");
    // coming back (a console opens) sets them online again
    let _back = Ws::open(&s, &format!("/api/agent/ws?access_token={a}"));
    assert_eq!(me(&s, &a).body["status"], "online");
    let _ = a_id;
}

#[test]
fn conversation_and_message_shapes_and_the_oss_side_of_agent_messages() {
    let s = TestServer::start();
    let support = cli_ok(&s.db, &["department", "add", "Support"]);
    let (a_id, a) = online_agent(&s, "ana@e.co", &["--department", "Support", "--number", "7"]);
    let (browser, session) = start_with(&s, json!({ "topic": "Izin", "priority": "high", "department_id": support, "page_url": "https://shop.example/cart" }));
    let c = post(&s.url("/api/chat/contact"), &json!({ "session_id": session, "contact_name": "Sari", "contact_email": "sari@e.co" }));
    assert_eq!(c.status, 200);
    visitor_says(&s, &session, &browser, "Halo");
    let conv = conversation(&s, &a, &session);
    let mut want = vec![
        "agent", "contact", "department", "ended_at", "family", "id", "last_message", "messages", "priority",
        "queue_position", "started_at", "status", "tenant_id", "topic", "visitor",
    ];
    want.sort();
    assert_eq!(keys(&conv), want);
    assert_eq!(keys(&conv["agent"]), ["email", "id", "name", "number"]);
    assert_eq!(conv["agent"]["number"], 7);
    assert_eq!(keys(&conv["department"]), ["id", "name"]);
    assert_eq!(conv["contact"]["contact_name"], "Sari");
    assert_eq!(
        keys(&conv["visitor"]),
        ["browser_uuid", "chat_user_id", "email", "ip_address", "is_anonymous", "oss_user_id", "page_url", "user_agent"]
    );
    assert_eq!(conv["visitor"]["page_url"], "https://shop.example/cart");
    assert_eq!(conv["visitor"]["browser_uuid"], browser.as_str());
    assert_eq!((conv["family"].as_str(), conv["priority"].as_str(), conv["queue_position"].is_null()), (Some("oss"), Some("high"), true));
    assert_eq!(conv["last_message"]["message"], "Halo");

    let cid = new_uuid();
    let r = agent_post(&s, &a, &format!("/api/agent/conversations/{session}/messages"), &json!({ "message": "Halo Sari", "client_id": cid }));
    assert_eq!(r.status, 201, "{}", r.text);
    assert_eq!(keys(&r.body), ["client_id", "created_at", "id", "message", "sender_id", "sender_name", "sender_type", "session_id"]);
    assert_eq!((r.body["sender_type"].as_str(), r.body["sender_id"].as_i64(), r.body["sender_name"].as_str()), (Some("agent"), Some(7), Some("ana")));
    let again = agent_post(&s, &a, &format!("/api/agent/conversations/{session}/messages"), &json!({ "message": "Halo Sari", "client_id": cid }));
    assert_eq!((again.status, again.body["id"].clone()), (200, r.body["id"].clone()), "a retry stores nothing new");

    // the visitor's side: sender_type agent, history with agent and department filled
    let msgs = get(&s.url(&format!("/api/chat/session/{session}/messages?browser_uuid={browser}")));
    let last = msgs.body["messages"].as_array().and_then(|m| m.last()).cloned().unwrap_or(Value::Null);
    assert_eq!((last["sender_type"].as_str(), last["message"].as_str()), (Some("agent"), Some("Halo Sari")));
    let h = get(&s.url(&format!("/api/chat/history?browser_uuid={browser}")));
    let hs = &h.body["sessions"][0];
    assert_eq!((hs["agent"]["id"].as_str(), hs["department"]["name"].as_str()), (Some(a_id.as_str()), Some("Support")));

    // paging the agent's view of the messages
    let all = agent_get(&s, &a, &format!("/api/agent/conversations/{session}/messages")).body["messages"].clone();
    let first_id = all[0]["id"].as_str().unwrap_or("").to_string();
    let after = agent_get(&s, &a, &format!("/api/agent/conversations/{session}/messages?after={first_id}&limit=1"));
    assert_eq!(after.body["messages"][0]["message"], "Halo Sari");
    let before = agent_get(&s, &a, &format!("/api/agent/conversations/{session}/messages?before={}", all[1]["id"].as_str().unwrap_or("")));
    assert_eq!(before.body["messages"].as_array().map(Vec::len), Some(1));
    assert_eq!(agent_get(&s, &a, &format!("/api/agent/conversations/{session}/messages?after={}", new_uuid())).status, 400);
}

#[test]
fn agents_write_only_in_their_open_conversations() {
    let s = TestServer::start_with(&["--routing", "manual"], &[]);
    let (_, a) = online_agent(&s, "a@e.co", &[]);
    let (_, b) = online_agent(&s, "b@e.co", &[]);
    let (_, session) = start_visitor(&s, "Tulis");
    let path = format!("/api/agent/conversations/{session}/messages");
    assert_eq!(agent_post(&s, &a, &path, &json!({ "message": "before accepting" })).status, 409);
    agent_post(&s, &a, &format!("/api/agent/conversations/{session}/accept"), &json!({}));
    assert_eq!(agent_post(&s, &b, &path, &json!({ "message": "not mine" })).status, 409);
    assert_eq!(agent_post(&s, &b, &format!("/api/agent/conversations/{session}/typing"), &json!({ "typing": true })).status, 409);
    assert_eq!(agent_post(&s, &b, &format!("/api/agent/conversations/{session}/close"), &json!({})).status, 409);
    for bad in [json!({}), json!({ "message": "   " }), json!({ "message": "x".repeat(4001) }), json!({ "message": 5 }), json!({ "message": "ok", "client_id": "nope" })] {
        let r = agent_post(&s, &a, &path, &bad);
        assert_eq!(r.status, 400, "{bad}: {}", r.text);
        assert!(r.body["details"].is_string());
    }
    assert_eq!(agent_post(&s, &a, &path, &json!({ "message": "ok" })).status, 201);
    assert_eq!(agent_post(&s, &a, &format!("/api/agent/conversations/{session}/close"), &json!({})).status, 200);
    assert_eq!(agent_post(&s, &a, &format!("/api/agent/conversations/{session}/close"), &json!({})).status, 200, "closing twice is fine");
    assert_eq!(agent_post(&s, &a, &path, &json!({ "message": "after close" })).status, 409);
    assert_eq!(agent_post(&s, &a, &format!("/api/agent/conversations/{}/messages", new_uuid()), &json!({ "message": "x" })).status, 404);
    assert_eq!(request("GET", &s.url(&format!("/api/agent/conversations/{session}/accept")), None, &[("Authorization", &bearer(&a))]).status, 405);
}

#[test]
fn transfer_to_an_agent_or_a_department() {
    let s = TestServer::start();
    let sales = cli_ok(&s.db, &["department", "add", "Sales"]);
    let (a_id, a) = online_agent(&s, "a@e.co", &[]);
    let (_, session) = start_visitor(&s, "Pindah");
    assert_eq!(conversation(&s, &a, &session)["agent"]["id"], a_id.as_str());
    let path = format!("/api/agent/conversations/{session}/transfer");
    assert_eq!(agent_post(&s, &a, &path, &json!({})).status, 400);
    assert_eq!(agent_post(&s, &a, &path, &json!({ "agent_id": "x" })).status, 400);
    assert_eq!(agent_post(&s, &a, &path, &json!({ "agent_id": new_uuid() })).status, 400);
    assert_eq!(agent_post(&s, &a, &path, &json!({ "department_id": new_uuid() })).status, 400);
    let off = add_agent(&s.db, "off@e.co", &[]);
    assert_eq!(agent_post(&s, &a, &path, &json!({ "agent_id": off })).status, 409, "offline agents take no transfers");
    // to a department without a free agent: back in the queue, in that department
    let r = agent_post(&s, &a, &path, &json!({ "department_id": sales }));
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!((r.body["status"].as_str(), r.body["department"]["name"].as_str()), (Some("waiting"), Some("Sales")));
    // a Sales agent coming online gets it
    let (s_id, seller) = online_agent(&s, "sales@e.co", &["--department", "Sales"]);
    assert_eq!(conversation(&s, &a, &session)["agent"]["id"], s_id.as_str());
    // and can hand it back to a by id
    let r = agent_post(&s, &seller, &path, &json!({ "agent_id": a_id }));
    assert_eq!((r.status, r.body["agent"]["id"].as_str()), (200, Some(a_id.as_str())));
    assert_eq!(agent_post(&s, &seller, &path, &json!({ "agent_id": s_id })).status, 409, "no longer theirs to move");
}

#[test]
fn admin_endpoints_need_an_admin() {
    let s = TestServer::start();
    let boss = admin(&s);
    add_agent(&s.db, "ana@e.co", &[]);
    let ana = login(&s, "ana@e.co");
    for (m, p) in [("GET", "/api/agent/agents"), ("POST", "/api/agent/agents"), ("GET", "/api/agent/departments"), ("POST", "/api/agent/departments")] {
        assert_eq!(request(m, &s.url(p), Some(&json!({})), &[]).status, 401, "{m} {p}");
        assert_eq!(request(m, &s.url(p), Some(&json!({})), &[("Authorization", &bearer(&ana))]).status, 403, "{m} {p}");
    }
    let d = agent_post(&s, &boss, "/api/agent/departments", &json!({ "name": "Billing" }));
    assert_eq!((d.status, keys(&d.body)), (201, vec!["id".to_string(), "name".to_string()]));
    assert_eq!(agent_post(&s, &boss, "/api/agent/departments", &json!({ "name": "billing" })).status, 409);
    assert_eq!(agent_post(&s, &boss, "/api/agent/departments", &json!({ "name": " " })).status, 400);
    assert_eq!(agent_get(&s, &boss, "/api/agent/departments").body["departments"].as_array().map(Vec::len), Some(1));

    let new = json!({ "email": "budi@e.co", "name": "Budi", "password": "password123", "department_id": d.body["id"], "max_chats": 3 });
    let r = agent_post(&s, &boss, "/api/agent/agents", &new);
    assert_eq!(r.status, 201, "{}", r.text);
    assert_eq!((r.body["role"].as_str(), r.body["max_chats"].as_i64(), r.body["department"]["name"].as_str()), (Some("agent"), Some(3), Some("Billing")));
    assert!(r.body.get("password_hash").is_none());
    assert_eq!(agent_post(&s, &boss, "/api/agent/agents", &new).status, 409, "same e-mail");
    assert_eq!(agent_post(&s, &boss, "/api/agent/agents", &json!({ "email": "x", "name": "X", "password": "password123" })).status, 400);
    assert_eq!(agent_post(&s, &boss, "/api/agent/agents", &json!({ "email": "y@e.co", "name": "Y", "password": "short" })).status, 400);
    assert_eq!(agent_get(&s, &boss, "/api/agent/agents").body["agents"].as_array().map(Vec::len), Some(3));

    let budi_id = r.body["id"].as_str().expect("id").to_string();
    let budi = login(&s, "budi@e.co");
    let patch = |body: Value| request("PATCH", &s.url(&format!("/api/agent/agents/{budi_id}")), Some(&body), &[("Authorization", &bearer(&boss))]);
    let p = patch(json!({ "name": "Budi S", "max_chats": 9, "department_id": null }));
    assert_eq!((p.status, p.body["name"].as_str(), p.body["max_chats"].as_i64(), p.body["department"].is_null()), (200, Some("Budi S"), Some(9), true));
    assert_eq!(patch(json!({ "max_chats": 0 })).status, 400);
    assert_eq!(patch(json!({ "role": "root" })).status, 400);
    assert_eq!(request("PATCH", &s.url(&format!("/api/agent/agents/{}", new_uuid())), Some(&json!({ "name": "x" })), &[("Authorization", &bearer(&boss))]).status, 404);
    assert_eq!(patch(json!({ "password": "new-password-1" })).status, 200);
    assert_eq!(post(&s.url("/api/agent/login"), &json!({ "email": "budi@e.co", "password": "new-password-1" })).status, 200);
    // disabling ends logins and refuses new ones
    assert_eq!(patch(json!({ "disabled": true })).body["disabled"], true);
    assert_eq!(me(&s, &budi).status, 401);
    assert_eq!(post(&s.url("/api/agent/login"), &json!({ "email": "budi@e.co", "password": "new-password-1" })).status, 401);
    // the last admin stays an admin
    let boss_id = me(&s, &boss).body["id"].as_str().expect("id").to_string();
    let demote = request("PATCH", &s.url(&format!("/api/agent/agents/{boss_id}")), Some(&json!({ "role": "agent" })), &[("Authorization", &bearer(&boss))]);
    assert_eq!(demote.status, 409);
    // any agent sees the directory for transfers
    let dir = agent_get(&s, &ana, "/api/agent/directory");
    assert_eq!(dir.status, 200);
    assert_eq!(dir.body["agents"].as_array().map(Vec::len), Some(2), "disabled agents are not offered");
}

#[test]
fn search_finds_transcripts_and_survives_hostile_input() {
    let s = TestServer::start();
    let (_, a) = online_agent(&s, "a@e.co", &[]);
    let (b1, s1) = start_visitor(&s, "Satu");
    let (b2, s2) = start_visitor(&s, "Dua");
    visitor_says(&s, &s1, &b1, "Paket saya belum sampai ke Surabaya");
    visitor_says(&s, &s2, &b2, "Bagaimana cara refund?");
    agent_post(&s, &a, &format!("/api/agent/conversations/{s2}/close"), &json!({}));
    assert_eq!(ids(&list(&s, &a, "?q=surabaya")), owned(&[&s1]));
    assert_eq!(ids(&list(&s, &a, "?q=paket%20sampai")), owned(&[&s1]));
    assert_eq!(ids(&list(&s, &a, "?q=ref")), owned(&[&s2]), "prefixes match");
    assert_eq!(ids(&list(&s, &a, "?q=refund&status=closed")), owned(&[&s2]));
    assert!(list(&s, &a, "?q=refund&status=active").is_empty());
    assert!(list(&s, &a, "?q=refund&family=tenant").is_empty());
    assert_eq!(list(&s, &a, "?family=oss").len(), 2);
    for hostile in ["%22a", "NEAR(", "*", ")", "a%20AND", "%22", "message:x", "%5E", "'%3B--", "%F0%9F%98%80"] {
        let r = agent_get(&s, &a, &format!("/api/agent/conversations?q={hostile}"));
        assert_eq!(r.status, 200, "q={hostile}: {}", r.text);
    }
    assert_eq!(agent_get(&s, &a, &format!("/api/agent/conversations?q={}", "a".repeat(501))).status, 400);
}

#[test]
fn openapi_documents_every_agent_endpoint_and_its_answers() {
    let s = TestServer::start();
    let token = admin(&s);
    let doc = get(&s.url("/api/openapi.json")).body;
    let paths = doc["paths"].as_object().expect("paths");
    let id = new_uuid();
    let mut checked = 0;
    for (template, item) in paths.iter().filter(|(p, _)| p.starts_with("/api/agent/")) {
        let path = template.replace("{id}", &id);
        for (method, op) in item.as_object().expect("operations") {
            let m = method.to_ascii_uppercase();
            let body = (m != "GET").then(|| json!({}));
            for auth in [None, Some(bearer(&token))] {
                if auth.is_some() && template.ends_with("/logout") {
                    continue; // keep the token for the other calls
                }
                let headers: Vec<(&str, &str)> = auth.as_deref().map(|a| vec![("Authorization", a)]).unwrap_or_default();
                let r = request(&m, &s.url(&path), body.as_ref(), &headers);
                let documented = op["responses"].get(r.status.to_string()).is_some();
                assert!(documented, "{m} {template} answered {} (undocumented): {}", r.status, r.text);
                checked += 1;
            }
        }
    }
    assert!(checked >= 40, "{checked}");
    // 405s name the allowed methods
    let r = request("GET", &s.url(&format!("/api/agent/conversations/{id}/accept")), None, &[]);
    assert_eq!((r.status, r.header("Allow")), (405, Some("POST")));
}
