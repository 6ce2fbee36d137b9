//! A WebSocket test client and the helpers the socket tests share (also used by the
//! sockets benchmark, which includes this file).

#![allow(dead_code)]

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
                Ok(Message::Close(c)) => return Some(json!({ "type": "closed", "code": c.map(|c| u16::from(c.code)) })),
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
pub fn ws_path(session: &str, browser: &str) -> String {
    format!("/api/chat/session/{session}/ws?browser_uuid={browser}")
}
pub fn metric(s: &TestServer, name: &str) -> i64 {
    let m = get(&s.url("/metrics"));
    m.text
        .lines()
        .find_map(|l| l.strip_prefix(&format!("{name} ")))
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or_else(|| panic!("metric {name} missing"))
}
pub fn proc_status(pid: u32, key: &str) -> String {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .unwrap_or_default()
        .lines()
        .find_map(|l| l.strip_prefix(key).map(|v| v.trim().to_string()))
        .unwrap_or_default()
}
