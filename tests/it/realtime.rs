//! Real-time delivery (SPEC §4) on a real server with real WebSocket clients: visitor and
//! agent sockets, replay with `after=`, refusal of unauthorized sockets, many sockets at once.

use crate::common::*;
use crate::ws_client::*;
use serde_json::{json, Value};
use std::io::Write;
use std::net::TcpStream;
use std::time::{Duration, Instant};
use tungstenite::{Message, WebSocket};

#[test]
fn visitor_and_agent_round_trip_over_sockets() {
    let s = TestServer::start();
    let (_agent_id, token) = online_agent(&s, "ana@e.co", &[]);
    let mut console = Ws::open(&s, &format!("/api/agent/ws?access_token={token}"));
    let (browser, session) = start_visitor(&s, "Paket belum sampai");
    let mut visitor = Ws::open(&s, &format!("/api/chat/session/{session}/ws?browser_uuid={browser}"));

    let assigned = console.expect("session.updated");
    assert_eq!(assigned["id"], session.as_str());
    assert_eq!(assigned["status"], "active");
    assert_eq!(assigned["family"], "oss");

    visitor_says(&s, &session, &browser, "Halo, paket saya belum sampai");
    let m = console.expect("message.created");
    assert_eq!((m["message"].as_str(), m["sender_type"].as_str()), (Some("Halo, paket saya belum sampai"), Some("customer")));

    // the visitor's own message reaches their socket too (other tabs show it)
    assert_eq!(visitor.expect("message.created")["sender_type"], "customer");
    let r = agent_post(&s, &token, &format!("/api/agent/conversations/{session}/messages"), &json!({ "message": "Baik, saya cek" }));
    assert_eq!(r.status, 201, "{}", r.text);
    let seen = visitor.expect("message.created");
    assert_eq!(seen["message"], "Baik, saya cek");
    assert_eq!(seen["sender_type"], "agent");
    assert_eq!(seen["id"], r.body["id"]);
    assert!(seen.get("sender_id").is_none(), "the OSS shape, not the agent one: {seen}");
}

fn messages_of(events: &[Value]) -> Vec<String> {
    events
        .iter()
        .filter(|e| e["type"] == "message.created")
        .map(|e| e["data"]["message"].as_str().unwrap_or("").to_string())
        .collect()
}

#[test]
fn typing_goes_to_the_other_side_only() {
    let s = TestServer::start();
    let (_, token) = online_agent(&s, "ana@e.co", &[]);
    let (browser, session) = start_visitor(&s, "Typing");
    let mut console = Ws::open(&s, &format!("/api/agent/ws?access_token={token}"));
    let mut visitor = Ws::open(&s, &ws_path(&session, &browser));
    let r = post(&s.url(&format!("/api/chat/session/{session}/typing")), &json!({ "browser_uuid": browser, "typing": true }));
    assert_eq!(r.status, 204);
    let t = console.expect("typing");
    assert_eq!((t["session_id"].as_str(), t["typing"].as_bool(), t["sender_type"].as_str()), (Some(session.as_str()), Some(true), Some("customer")));
    let r = agent_post(&s, &token, &format!("/api/agent/conversations/{session}/typing"), &json!({ "typing": true }));
    assert_eq!(r.status, 204, "{}", r.text);
    let t = visitor.expect("typing");
    assert_eq!((t["sender_type"].as_str(), t["name"].as_str()), (Some("agent"), Some("ana")));
    // neither side hears its own typing
    assert!(visitor.drain(Duration::from_millis(300)).iter().all(|e| e["type"] != "typing"));
    assert!(console.drain(Duration::from_millis(300)).iter().all(|e| e["type"] != "typing"));
}

#[test]
fn transfer_and_close_are_seen_by_the_visitor() {
    let s = TestServer::start();
    let (a_id, a) = online_agent(&s, "ana@e.co", &[]);
    let (b_id, b) = online_agent(&s, "budi@e.co", &[]);
    let (browser, session) = start_visitor(&s, "Transfer");
    let mut visitor = Ws::open(&s, &ws_path(&session, &browser));
    let d = agent_get(&s, &a, &format!("/api/agent/conversations/{session}"));
    let first = d.body["agent"]["id"].as_str().expect("assigned").to_string();
    let (from, from_token, to, to_token) = if first == a_id { (a_id, a, b_id, b) } else { (b_id, b, a_id, a) };
    let mut to_console = Ws::open(&s, &format!("/api/agent/ws?access_token={to_token}"));

    let r = agent_post(&s, &from_token, &format!("/api/agent/conversations/{session}/transfer"), &json!({ "agent_id": to }));
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.body["agent"]["id"], to.as_str());
    let u = visitor.expect("session.updated");
    assert_eq!((u["status"].as_str(), u["agent"]["id"].as_str()), (Some("active"), Some(to.as_str())));
    let u = to_console.expect("session.updated");
    assert_eq!(u["agent"]["id"], to.as_str());
    // the previous agent may no longer write; the new one may
    let old = agent_post(&s, &from_token, &format!("/api/agent/conversations/{session}/messages"), &json!({ "message": "still me?" }));
    assert_eq!(old.status, 409, "{}", old.text);
    let new = agent_post(&s, &to_token, &format!("/api/agent/conversations/{session}/messages"), &json!({ "message": "Saya lanjutkan" }));
    assert_eq!(new.status, 201);
    assert_eq!(visitor.expect("message.created")["message"], "Saya lanjutkan");
    let _ = from;

    let r = agent_post(&s, &to_token, &format!("/api/agent/conversations/{session}/close"), &json!({}));
    assert_eq!((r.status, r.body["status"].as_str()), (200, Some("closed")));
    let u = visitor.expect("session.updated");
    assert_eq!(u["status"], "closed");
    assert!(u["ended_at"].is_string());
    let late = post(&s.url(&format!("/api/chat/session/{session}/messages")), &json!({ "browser_uuid": browser, "message": "halo?" }));
    assert_eq!(late.status, 409);
}

#[test]
fn reconnecting_with_after_replays_exactly_what_was_missed() {
    let s = TestServer::start();
    let (browser, session) = start_visitor(&s, "Replay");
    let mut ws = Ws::open(&s, &ws_path(&session, &browser));
    let mut ids = Vec::new();
    for i in 0..3 {
        ids.push(visitor_says(&s, &session, &browser, &format!("m{i}"))["id"].as_str().unwrap_or("").to_string());
    }
    assert_eq!(messages_of(&ws.drain(Duration::from_millis(400))), ["m0", "m1", "m2"]);
    ws.close();
    for i in 3..8 {
        visitor_says(&s, &session, &browser, &format!("m{i}"));
    }
    let mut ws = Ws::open(&s, &format!("{}&after={}", ws_path(&session, &browser), ids[2]));
    visitor_says(&s, &session, &browser, "m8");
    assert_eq!(messages_of(&ws.drain(Duration::from_millis(500))), ["m3", "m4", "m5", "m6", "m7", "m8"]);
    // without a cursor, only what comes after the handshake
    let mut fresh = Ws::open(&s, &ws_path(&session, &browser));
    visitor_says(&s, &session, &browser, "m9");
    assert_eq!(messages_of(&fresh.drain(Duration::from_millis(400))), ["m9"]);
    // a cursor that is not a message of this session is refused
    let (b2, other) = start_visitor(&s, "Other");
    let foreign = visitor_says(&s, &other, &b2, "x")["id"].as_str().unwrap_or("").to_string();
    assert_eq!(Ws::connect(&s, &format!("{}&after={foreign}", ws_path(&session, &browser))).err(), Some(400));
}

#[test]
fn catch_up_while_messages_keep_coming_misses_and_repeats_nothing() {
    let s = TestServer::start();
    let (browser, session) = start_visitor(&s, "Busy");
    let writer = {
        let (url, browser, session) = (s.url(""), browser.clone(), session.clone());
        std::thread::spawn(move || {
            for i in 0..150 {
                let r = post(&format!("{url}/api/chat/session/{session}/messages"), &json!({ "browser_uuid": browser, "message": format!("n{i}") }));
                assert_eq!(r.status, 201);
            }
        })
    };
    // connect, read a little, drop, reconnect with the last id seen, again and again
    let mut seen: Vec<String> = Vec::new();
    let mut last_id: Option<String> = None;
    let deadline = Instant::now() + Duration::from_secs(20);
    while seen.len() < 150 && Instant::now() < deadline {
        let path = match &last_id {
            Some(id) => format!("{}&after={id}", ws_path(&session, &browser)),
            None => format!("{}&after=", ws_path(&session, &browser)),
        };
        let mut ws = Ws::open(&s, &path);
        for _ in 0..7 {
            let Some(f) = ws.next(Duration::from_millis(300)) else { break };
            if f["type"] == "message.created" {
                seen.push(f["data"]["message"].as_str().unwrap_or("").to_string());
                last_id = f["data"]["id"].as_str().map(str::to_string);
            }
        }
        drop(ws);
    }
    writer.join().expect("writer");
    let want: Vec<String> = (0..150).map(|i| format!("n{i}")).collect();
    // the first socket (no cursor) may begin after some messages were already sent
    let start = want.iter().position(|m| Some(m) == seen.first()).expect("first seen is one of ours");
    assert_eq!(seen, want[start..].to_vec(), "in order, nothing missed, nothing twice");
    assert!(start < 150);
}

#[test]
fn unauthorized_sockets_are_refused() {
    let s = TestServer::start_with(&[], &[("OBROL_IDENTITY_SECRET", "s3cret")]);
    let (browser, session) = start_visitor(&s, "Mine");
    let stranger = new_uuid();
    assert_eq!(Ws::connect(&s, &ws_path(&session, &stranger)).err(), Some(404), "someone else's session");
    assert_eq!(Ws::connect(&s, &ws_path(&new_uuid(), &browser)).err(), Some(404), "unknown session");
    assert_eq!(Ws::connect(&s, &ws_path("not-a-uuid", &browser)).err(), Some(400));
    assert_eq!(Ws::connect(&s, &format!("/api/chat/session/{session}/ws")).err(), Some(400), "no identity");
    assert_eq!(Ws::connect(&s, &format!("/api/chat/session/{session}/ws?oss_user_id=u1")).err(), Some(401), "no user_hash");
    assert_eq!(Ws::connect(&s, &format!("/api/chat/session/{session}/ws?oss_user_id=u1&user_hash=00")).err(), Some(401));
    assert_eq!(Ws::connect(&s, "/api/agent/ws").err(), Some(401));
    assert_eq!(Ws::connect(&s, "/api/agent/ws?access_token=nope").err(), Some(401));
    // the right identity works, under both prefixes
    Ws::open(&s, &ws_path(&session, &browser)).close();
    Ws::open(&s, &format!("/api/v1/oss-chat/session/{session}/ws?browser_uuid={browser}")).close();
    // a plain GET is not a socket
    let r = get(&s.url(&ws_path(&session, &browser)));
    assert_eq!(r.status, 400);
    assert!(r.body["error"].is_string());
}

#[test]
fn two_hundred_sockets_each_get_their_sessions_messages_in_order() {
    let s = TestServer::start();
    const N: usize = 200;
    const PER: usize = 5;
    let sessions: Vec<(String, String)> = (0..N).map(|i| start_visitor(&s, &format!("load {i}"))).collect();
    let mut sockets: Vec<Ws> = sessions.iter().map(|(b, id)| Ws::open(&s, &ws_path(id, b))).collect();
    let m = get(&s.url("/metrics"));
    assert!(m.text.contains(&format!("obrol_ws_sockets {N}")), "{}", m.text);
    // post from 4 threads, interleaving sessions
    let started = Instant::now();
    let chunks: Vec<Vec<(String, String)>> = sessions.chunks(N / 4).map(|c| c.to_vec()).collect();
    let threads: Vec<_> = chunks
        .into_iter()
        .map(|chunk| {
            let url = s.url("");
            std::thread::spawn(move || {
                for k in 0..PER {
                    for (b, id) in &chunk {
                        let r = post(&format!("{url}/api/chat/session/{id}/messages"), &json!({ "browser_uuid": b, "message": format!("{id}:{k}") }));
                        assert_eq!(r.status, 201);
                    }
                }
            })
        })
        .collect();
    for t in threads {
        t.join().expect("poster");
    }
    let posted = started.elapsed();
    for (ws, (_, id)) in sockets.iter_mut().zip(&sessions) {
        let mut got = Vec::new();
        while got.len() < PER {
            let Some(f) = ws.next(Duration::from_secs(5)) else { break };
            assert_eq!(f["type"], "message.created", "only this session's messages: {f}");
            got.push(f["data"]["message"].as_str().unwrap_or("").to_string());
        }
        let want: Vec<String> = (0..PER).map(|k| format!("{id}:{k}")).collect();
        assert_eq!(got, want);
    }
    eprintln!("{N} sockets: {} messages posted in {posted:?}, all delivered after {:?}", N * PER, started.elapsed());
}

fn wait_for(what: &str, mut cond: impl FnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(5);
    while !cond() {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(50));
    }
}

#[test]
fn heartbeats_keep_quiet_sockets_alive_and_dead_ones_are_cleaned_up() {
    let s = TestServer::start_with(&["--ws-heartbeat", "300ms"], &[]);
    let (browser, session) = start_visitor(&s, "Quiet");
    let mut ws = Ws::open(&s, &ws_path(&session, &browser));
    let beats = (0..3).filter_map(|_| ws.next_raw(Duration::from_secs(2))).filter(|f| f["type"] == "ping").count();
    assert_eq!(beats, 3, "a heartbeat at least every interval");
    assert_eq!(metric(&s, "obrol_ws_sockets"), 1);
    // the client vanishes without a close frame
    drop(ws);
    wait_for("the dead socket to be closed", || metric(&s, "obrol_ws_sockets") == 0);
    // a client that says goodbye is answered and closed too
    let ws = Ws::open(&s, &ws_path(&session, &browser));
    ws.close();
    wait_for("the closed socket to be gone", || metric(&s, "obrol_ws_sockets") == 0);
}

#[test]
fn sockets_past_the_cap_are_refused_with_json_503() {
    let s = TestServer::start_with(&["--max-sockets", "2"], &[]);
    let (browser, session) = start_visitor(&s, "Cap");
    let a = Ws::open(&s, &ws_path(&session, &browser));
    let _b = Ws::open(&s, &ws_path(&session, &browser));
    assert_eq!(Ws::connect(&s, &ws_path(&session, &browser)).err(), Some(503));
    let r = request("GET", &s.url(&ws_path(&session, &browser)), None, &[
        ("Connection", "Upgrade"), ("Upgrade", "websocket"), ("Sec-WebSocket-Version", "13"), ("Sec-WebSocket-Key", "dGhlIHNhbXBsZSBub25jZQ=="),
    ]);
    assert_eq!(r.status, 503);
    assert!(r.body["error"].as_str().is_some_and(|e| e.contains("sockets")), "{}", r.text);
    assert_eq!(metric(&s, "obrol_ws_refused_total"), 2);
    a.close();
    wait_for("a free place", || Ws::connect(&s, &ws_path(&session, &browser)).is_ok());
}

#[test]
fn a_client_that_stops_reading_cannot_stall_the_others() {
    let s = TestServer::start();
    let (slow_browser, slow_session) = start_visitor(&s, "Slow");
    // a client with a tiny receive buffer that never reads
    let addr: std::net::SocketAddr = s.base.trim_start_matches("http://").parse().expect("addr");
    let sock = socket2::Socket::new(socket2::Domain::IPV4, socket2::Type::STREAM, None).expect("socket");
    sock.set_recv_buffer_size(4096).expect("rcvbuf");
    sock.connect(&addr.into()).expect("connect");
    let stream: TcpStream = sock.into();
    let url = format!("ws://{addr}{}", ws_path(&slow_session, &slow_browser));
    let (_slow, _) = tungstenite::client(url.as_str(), stream).expect("slow handshake");
    // several fast sockets, so some share the slow one's writer thread
    let fast: Vec<(String, String)> = (0..4).map(|i| start_visitor(&s, &format!("fast {i}"))).collect();
    let mut fast_ws: Vec<Ws> = fast.iter().map(|(b, id)| Ws::open(&s, &ws_path(id, b))).collect();
    let big = "x".repeat(3900);
    for i in 0..400 {
        visitor_says(&s, &slow_session, &slow_browser, &format!("{i} {big}"));
        if i % 100 == 99 {
            for ((b, id), ws) in fast.iter().zip(fast_ws.iter_mut()) {
                let sent = Instant::now();
                visitor_says(&s, id, b, "ping?");
                let m = ws.expect("message.created");
                assert_eq!(m["message"], "ping?");
                assert!(sent.elapsed() < Duration::from_secs(1), "fast socket waited {:?}", sent.elapsed());
            }
        }
    }
    // past its buffer limit, the slow socket is closed (its client reconnects with after=)
    wait_for("the slow socket to be closed", || metric(&s, "obrol_ws_closed_slow_total") == 1);
}

#[test]
fn shutdown_closes_sockets_with_going_away() {
    let mut s = TestServer::start();
    let (browser, session) = start_visitor(&s, "Bye");
    let mut ws = Ws::open(&s, &ws_path(&session, &browser));
    let status = s.terminate();
    assert!(status.success(), "clean exit: {status:?}");
    assert_eq!(ws.next(Duration::from_secs(2)), Some(json!({ "type": "closed", "code": 1001 })), "going away");
}

/// A client socket for protocol tests: frames are written by hand through `get_mut()`.
fn raw_socket(s: &TestServer, path: &str) -> WebSocket<TcpStream> {
    let addr = s.base.trim_start_matches("http://");
    let stream = TcpStream::connect(addr).expect("connect");
    stream.set_read_timeout(Some(Duration::from_secs(5))).expect("timeout");
    let (ws, _) = tungstenite::client(format!("ws://{addr}{path}").as_str(), stream).expect("handshake");
    ws
}

/// A masked client frame (RFC 6455 §5.2), in any of the three length encodings.
fn client_frame(first: u8, payload: &[u8]) -> Vec<u8> {
    let mask = [0x37u8, 0xfa, 0x21, 0x3d];
    let mut v = vec![first];
    match payload.len() {
        n if n < 126 => v.push(0x80 | n as u8),
        n if n <= 0xffff => {
            v.push(0x80 | 126);
            v.extend_from_slice(&(n as u16).to_be_bytes());
        }
        n => {
            v.push(0x80 | 127);
            v.extend_from_slice(&(n as u64).to_be_bytes());
        }
    }
    v.extend_from_slice(&mask);
    v.extend(payload.iter().enumerate().map(|(i, b)| b ^ mask[i % 4]));
    v
}

/// The next frame that is not a heartbeat: `("text", json)`, `("pong", payload)` or
/// `("close", code)`; `None` when the connection ends without one.
fn next_frame(ws: &mut WebSocket<TcpStream>) -> Option<(&'static str, Value)> {
    loop {
        match ws.read() {
            Ok(Message::Text(t)) if &*t == r#"{"type":"ping"}"# => {}
            Ok(Message::Text(t)) => return Some(("text", serde_json::from_str(&t).expect("JSON"))),
            Ok(Message::Pong(p)) => return Some(("pong", json!(String::from_utf8_lossy(&p)))),
            Ok(Message::Close(c)) => return Some(("close", json!(c.map(|c| u16::from(c.code))))),
            Ok(_) => {}
            Err(_) => return None,
        }
    }
}

#[test]
fn client_pings_are_answered_other_client_frames_ignored_and_a_close_echoed() {
    let s = TestServer::start();
    let (browser, session) = start_visitor(&s, "Protocol");
    let mut ws = raw_socket(&s, &ws_path(&session, &browser));
    ws.send(Message::Ping("are you there".into())).expect("ping");
    assert_eq!(next_frame(&mut ws), Some(("pong", json!("are you there"))));
    // data frames in all three length encodings (the longest at the 64 KiB limit), and a
    // message in fragments with a ping between them: all ignored
    for len in [5, 300, 65_536] {
        ws.get_mut().write_all(&client_frame(0x82, &vec![7u8; len])).expect("binary");
    }
    ws.get_mut().write_all(&client_frame(0x01, b"typing? no: ")).expect("first fragment");
    ws.get_mut().write_all(&client_frame(0x89, b"mid")).expect("ping between fragments");
    ws.get_mut().write_all(&client_frame(0x80, b"use REST")).expect("last fragment");
    assert_eq!(next_frame(&mut ws), Some(("pong", json!("mid"))));
    // the socket still works
    visitor_says(&s, &session, &browser, "still here");
    let (kind, f) = next_frame(&mut ws).expect("frame");
    assert_eq!((kind, f["data"]["message"].as_str()), ("text", Some("still here")));
    // the client's close is echoed with its code, then the server closes the connection
    ws.close(Some(tungstenite::protocol::CloseFrame { code: 4321.into(), reason: "bye".into() })).expect("close");
    assert_eq!(next_frame(&mut ws), Some(("close", json!(4321))));
    assert_eq!(next_frame(&mut ws), None);
    wait_for("the socket to be gone", || metric(&s, "obrol_ws_sockets") == 0);
}

#[test]
fn clients_that_break_the_protocol_are_closed_with_its_codes() {
    let s = TestServer::start();
    let (browser, session) = start_visitor(&s, "Broken");
    let cases: [(&str, Vec<u8>, u16); 6] = [
        ("an unmasked frame", vec![0x81, 0x02, b'h', b'i'], 1002),
        ("a frame over 64 KiB (only its header is sent)", client_frame(0x82, &[0u8; 70_000])[..14].to_vec(), 1009),
        ("a message over 64 KiB in fragments", [client_frame(0x02, &[1u8; 40_000]), client_frame(0x80, &[1u8; 40_000])].concat(), 1009),
        ("a control frame over 125 bytes", client_frame(0x89, &[0u8; 126]), 1002),
        ("a fragmented control frame", client_frame(0x09, b"x"), 1002),
        ("text that is not UTF-8", client_frame(0x81, &[0xff, 0xfe]), 1007),
    ];
    for (what, bytes, code) in cases {
        let mut ws = raw_socket(&s, &ws_path(&session, &browser));
        ws.get_mut().write_all(&bytes).expect("write");
        assert_eq!(next_frame(&mut ws), Some(("close", json!(code))), "{what}");
        assert_eq!(next_frame(&mut ws), None, "{what}: then the connection ends");
    }
    wait_for("the sockets to be gone", || metric(&s, "obrol_ws_sockets") == 0);
}

/// `obrol token create` for the tenant family.
fn tenant_token(s: &TestServer, user: i64, role: &str, tenant: i64) -> String {
    cli_ok(&s.db, &["token", "create", "--user", &user.to_string(), "--role", role, "--tenant", &tenant.to_string()])
}

fn tenant_post(s: &TestServer, token: &str, tenant: i64, path: &str, body: &Value) -> Resp {
    let t = tenant.to_string();
    request("POST", &s.url(&format!("/api/livechat{path}")), Some(body), &[("Authorization", &bearer(token)), ("X-Tenant-ID", &t)])
}

#[test]
fn tenant_client_and_agent_round_trip_over_sockets() {
    let s = TestServer::start();
    let (agent_id, agent) = online_agent(&s, "ana@e.co", &["--number", "501"]);
    let member = tenant_token(&s, 11, "umkm_member", 1);
    let other = tenant_token(&s, 12, "umkm_member", 2);
    let mut console = Ws::open(&s, &format!("/api/agent/ws?access_token={agent}"));
    let r = tenant_post(&s, &member, 1, "/sessions", &json!({}));
    assert_eq!(r.status, 201, "{}", r.text);
    let session = r.body["data"]["id"].as_str().expect("id").to_string();
    let path = |prefix: &str, token: &str, tenant: i64| format!("{prefix}/sessions/{session}/ws?access_token={token}&tenant_id={tenant}");
    let mut client = Ws::open(&s, &path("/api/livechat", &member, 1));
    let mut vendor = Ws::open(&s, &path("/api/vendor/livechat", &member, 1));

    let u = console.expect("session.updated");
    assert_eq!((u["family"].as_str(), u["tenant_id"].as_i64(), u["agent"]["id"].as_str()), (Some("tenant"), Some(1), Some(agent_id.as_str())));
    assert!(u["visitor"].is_null());

    let sent = tenant_post(&s, &member, 1, &format!("/sessions/{session}/messages"), &json!({ "message": "Halo dari koperasi" }));
    assert_eq!(sent.status, 201, "{}", sent.text);
    let m = console.expect("message.created");
    assert_eq!((m["message"].as_str(), m["sender_type"].as_str(), m["sender_id"].as_i64()), (Some("Halo dari koperasi"), Some("customer"), Some(11)));
    assert_eq!(client.expect("message.created")["sender_id"], 11);
    assert_eq!(vendor.expect("message.created")["sender_id"], 11);

    let r = agent_post(&s, &agent, &format!("/api/agent/conversations/{session}/messages"), &json!({ "message": "Siap membantu" }));
    assert_eq!(r.status, 201, "{}", r.text);
    for ws in [&mut client, &mut vendor] {
        let m = ws.expect("message.created");
        assert_eq!((m["message"].as_str(), m["sender_id"].as_i64()), (Some("Siap membantu"), Some(501)), "seed-002 ChatMessage: {m}");
        for k in ["id", "session_id", "created_at"] {
            assert!(m[k].is_string(), "{k} in {m}");
        }
    }
    // listed in the one inbox, by family
    let inbox = agent_get(&s, &agent, "/api/agent/conversations?family=tenant");
    assert_eq!(inbox.body["conversations"][0]["id"], session.as_str());
    // typing from the tenant user reaches the agent; the agent's reaches the tenant user
    let t = tenant_post(&s, &member, 1, &format!("/sessions/{session}/typing"), &json!({ "typing": true }));
    assert!(t.status < 300, "{}", t.text);
    assert_eq!(console.expect("typing")["session_id"], session.as_str());
    agent_post(&s, &agent, &format!("/api/agent/conversations/{session}/typing"), &json!({ "typing": true }));
    assert_eq!(client.expect("typing")["sender_type"], "agent");
    // the agent closes: the tenant client sees CLOSED
    agent_post(&s, &agent, &format!("/api/agent/conversations/{session}/close"), &json!({}));
    let u = client.expect("session.updated");
    assert_eq!((u["status"].as_str(), u["id"].as_str()), (Some("CLOSED"), Some(session.as_str())));

    // the same checks as the REST calls
    assert_eq!(Ws::connect(&s, &path("/api/livechat", &other, 2)).err(), Some(404), "another tenant's session");
    assert_eq!(Ws::connect(&s, &path("/api/livechat", &member, 2)).err(), Some(403), "not the token's tenant");
    assert_eq!(Ws::connect(&s, &path("/api/livechat", "nope", 1)).err(), Some(401));
    assert_eq!(Ws::connect(&s, &format!("/api/livechat/sessions/{session}/ws?access_token={member}")).err(), Some(400), "no tenant");
    let stranger = tenant_token(&s, 13, "guest", 1);
    assert_eq!(Ws::connect(&s, &path("/api/livechat", &stranger, 1)).err(), Some(403), "role not allowed");
    let r = get(&s.url(&path("/api/livechat", &member, 2)));
    assert_eq!((r.status, r.body["success"].as_bool()), (403, Some(false)), "errors in the envelope: {}", r.text);
}

#[test]
fn waiting_visitors_see_their_queue_position_move() {
    let s = TestServer::start_with(&["--routing", "manual"], &[]);
    let (_, token) = online_agent(&s, "ana@e.co", &[]);
    let visitors: Vec<(String, String)> = (0..3).map(|i| start_visitor(&s, &format!("q{i}"))).collect();
    let mut sockets: Vec<Ws> = visitors.iter().map(|(b, id)| Ws::open(&s, &ws_path(id, b))).collect();
    let r = agent_post(&s, &token, &format!("/api/agent/conversations/{}/accept", visitors[0].1), &json!({}));
    assert_eq!(r.status, 200);
    let first = sockets[0].expect("session.updated");
    assert_eq!((first["status"].as_str(), first["agent"]["name"].as_str()), (Some("active"), Some("ana")));
    for (ws, want) in sockets[1..].iter_mut().zip([1, 2]) {
        let deadline = Instant::now() + Duration::from_secs(4);
        let mut pos = None;
        while pos != Some(want) && Instant::now() < deadline {
            if let Some(u) = ws.next(Duration::from_millis(200)).filter(|f| f["type"] == "session.updated") {
                pos = u["data"]["queue_position"].as_i64();
            }
        }
        assert_eq!(pos, Some(want), "queue position moves up");
    }
}

#[test]
fn logging_out_closes_the_console_with_policy_violation() {
    let s = TestServer::start();
    let (_, token) = online_agent(&s, "ana@e.co", &[]);
    let mut console = Ws::open(&s, &format!("/api/agent/ws?access_token={token}"));
    assert_eq!(agent_post(&s, &token, "/api/agent/logout", &json!({})).status, 200);
    let deadline = Instant::now() + Duration::from_secs(5);
    let closed = loop {
        match console.next(deadline.saturating_duration_since(Instant::now())) {
            Some(f) if f["type"] == "closed" => break f,
            Some(_) => {}
            None => panic!("the console was not closed"),
        }
    };
    assert_eq!(closed["code"], 1008);
}
