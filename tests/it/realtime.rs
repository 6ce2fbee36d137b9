//! Real-time delivery (SPEC §4) on a real server with real WebSocket clients: visitor and
//! agent sockets, replay with `after=`, refusal of unauthorized sockets, many sockets at once.

use crate::common::*;
use serde_json::{json, Value};
use std::net::TcpStream;
use std::time::{Duration, Instant};
use tungstenite::stream::MaybeTlsStream;
use tungstenite::{Message, WebSocket};

/// A test's WebSocket client: reads JSON frames, skipping heartbeats.
pub struct Ws {
    sock: WebSocket<MaybeTlsStream<TcpStream>>,
}

impl Ws {
    /// Connects to `path` of `s` (ws://); `Err(status)` when the server refuses the upgrade.
    pub fn connect(s: &TestServer, path: &str) -> Result<Ws, u16> {
        let url = format!("{}{}", s.base.replacen("http://", "ws://", 1), path);
        match tungstenite::connect(url.as_str()) {
            Ok((sock, _)) => {
                if let MaybeTlsStream::Plain(t) = sock.get_ref() {
                    t.set_read_timeout(Some(Duration::from_millis(100))).expect("timeout");
                }
                Ok(Ws { sock })
            }
            Err(tungstenite::Error::Http(r)) => Err(r.status().as_u16()),
            Err(e) => panic!("websocket connect {path}: {e}"),
        }
    }

    pub fn open(s: &TestServer, path: &str) -> Ws {
        Ws::connect(s, path).unwrap_or_else(|status| panic!("socket {path} refused with {status}"))
    }

    /// The next frame (heartbeats included) within `within`.
    pub fn next_raw(&mut self, within: Duration) -> Option<Value> {
        let deadline = Instant::now() + within;
        while Instant::now() < deadline {
            match self.sock.read() {
                Ok(Message::Text(t)) => return Some(serde_json::from_str(&t).expect("frames are JSON")),
                Ok(Message::Close(_)) => return Some(json!({ "type": "closed" })),
                Ok(_) => {}
                Err(tungstenite::Error::Io(e))
                    if matches!(e.kind(), std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut) => {}
                Err(tungstenite::Error::ConnectionClosed | tungstenite::Error::AlreadyClosed) => {
                    return Some(json!({ "type": "closed" }))
                }
                Err(e) => panic!("websocket read: {e}"),
            }
        }
        None
    }

    /// The next event that is not a heartbeat, within `within`.
    pub fn next(&mut self, within: Duration) -> Option<Value> {
        let deadline = Instant::now() + within;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            let f = self.next_raw(left)?;
            if f["type"] != "ping" {
                return Some(f);
            }
        }
    }

    /// Waits for an event of `kind` (skipping others); panics after 5 s.
    pub fn expect(&mut self, kind: &str) -> Value {
        let deadline = Instant::now() + Duration::from_secs(5);
        while let Some(f) = self.next(deadline.saturating_duration_since(Instant::now())) {
            if f["type"] == kind {
                return f["data"].clone();
            }
        }
        panic!("no {kind} event within 5 s");
    }

    /// Every event arriving within `within` (heartbeats skipped).
    pub fn drain(&mut self, within: Duration) -> Vec<Value> {
        let deadline = Instant::now() + within;
        let mut out = Vec::new();
        while let Some(f) = self.next(deadline.saturating_duration_since(Instant::now())) {
            out.push(f);
        }
        out
    }

    pub fn close(mut self) {
        let _ = self.sock.close(None);
        let _ = self.next_raw(Duration::from_millis(500));
    }
}

/// Starts an anonymous OSS session; returns (browser_uuid, session id).
pub fn start_visitor(s: &TestServer, topic: &str) -> (String, String) {
    let browser = new_uuid();
    let r = post(&s.url("/api/chat/start"), &json!({ "browser_uuid": browser, "topic": topic }));
    assert_eq!(r.status, 201, "{}", r.text);
    (browser, r.body["session_id"].as_str().expect("session_id").to_string())
}

pub fn visitor_says(s: &TestServer, session: &str, browser: &str, text: &str) -> Value {
    let r = post(&s.url(&format!("/api/chat/session/{session}/messages")), &json!({ "browser_uuid": browser, "message": text }));
    assert_eq!(r.status, 201, "{}", r.text);
    r.body
}

pub fn bearer(token: &str) -> String {
    format!("Bearer {token}")
}

/// POST as an agent.
pub fn agent_post(s: &TestServer, token: &str, path: &str, body: &Value) -> Resp {
    request("POST", &s.url(path), Some(body), &[("Authorization", &bearer(token))])
}

pub fn agent_get(s: &TestServer, token: &str, path: &str) -> Resp {
    request("GET", &s.url(path), None, &[("Authorization", &bearer(token))])
}

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
