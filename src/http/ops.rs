//! Operations endpoints: `/healthz`, `/metrics` (Prometheus text), `/api/openapi.json`.

use super::{error, Ctx};
use crate::error::{Error, Result};
use rouille::Response;
use serde_json::{json, Value};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

/// Latency histogram bucket bounds, in seconds.
const BUCKETS: [f64; 8] = [0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1.0, 5.0];

struct Counters {
    by_class: [AtomicU64; 6],
    buckets: [AtomicU64; 8],
    sum_micros: AtomicU64,
    count: AtomicU64,
}

static COUNTERS: Counters = Counters {
    by_class: [const { AtomicU64::new(0) }; 6],
    buckets: [const { AtomicU64::new(0) }; 8],
    sum_micros: AtomicU64::new(0),
    count: AtomicU64::new(0),
};

/// Counts one finished request. Long-polls and socket upgrades count too.
pub fn record(_method: &str, status: u16, took: Duration) {
    let class = (status / 100).min(5) as usize;
    COUNTERS.by_class[class].fetch_add(1, Ordering::Relaxed);
    let secs = took.as_secs_f64();
    for (i, b) in BUCKETS.iter().enumerate() {
        if secs <= *b {
            COUNTERS.buckets[i].fetch_add(1, Ordering::Relaxed);
        }
    }
    COUNTERS.sum_micros.fetch_add(took.as_micros() as u64, Ordering::Relaxed);
    COUNTERS.count.fetch_add(1, Ordering::Relaxed);
}

pub fn route(ctx: &Ctx, path: &str) -> Option<Response> {
    let r = match path {
        "/healthz" => super::only(ctx, "GET").and_then(|_| healthz(ctx)),
        "/metrics" => super::only(ctx, "GET").and_then(|_| metrics(ctx)),
        "/api/openapi.json" => super::only(ctx, "GET").map(|_| Response::json(&openapi())),
        _ => return None,
    };
    Some(r.unwrap_or_else(|e| error::plain(&e)))
}

fn healthz(ctx: &Ctx) -> Result<Response> {
    let ok: i64 = ctx.app.db.read(|c| Ok(c.query_row("SELECT 1", [], |r| r.get(0))?))?;
    if ok != 1 {
        return Err(Error::Unavailable("database check failed".into()));
    }
    Ok(Response::json(&json!({ "status": "ok", "version": env!("CARGO_PKG_VERSION") })))
}

fn metrics(ctx: &Ctx) -> Result<Response> {
    let (sessions, agents_online, messages): (Vec<(String, i64)>, i64, i64) = ctx.app.db.read(|c| {
        let mut st = c.prepare("SELECT status, COUNT(*) FROM chat_sessions WHERE deleted_at IS NULL GROUP BY status")?;
        let rows = st.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?.collect::<rusqlite::Result<_>>()?;
        let online = c.query_row("SELECT COUNT(*) FROM users WHERE status = 'online' AND disabled = 0", [], |r| r.get(0))?;
        let msgs = c.query_row("SELECT COALESCE(MAX(seq), 0) FROM messages", [], |r| r.get(0))?;
        Ok((rows, online, msgs))
    })?;
    let (subs, published, dropped) = ctx.app.hub.stats();
    let mut out = String::new();
    out.push_str("# HELP obrol_http_requests_total HTTP requests by status class.\n# TYPE obrol_http_requests_total counter\n");
    for (i, c) in COUNTERS.by_class.iter().enumerate().skip(1) {
        out.push_str(&format!("obrol_http_requests_total{{class=\"{i}xx\"}} {}\n", c.load(Ordering::Relaxed)));
    }
    out.push_str("# HELP obrol_http_request_duration_seconds Request duration.\n# TYPE obrol_http_request_duration_seconds histogram\n");
    for (i, b) in BUCKETS.iter().enumerate() {
        out.push_str(&format!(
            "obrol_http_request_duration_seconds_bucket{{le=\"{b}\"}} {}\n",
            COUNTERS.buckets[i].load(Ordering::Relaxed)
        ));
    }
    let count = COUNTERS.count.load(Ordering::Relaxed);
    out.push_str(&format!("obrol_http_request_duration_seconds_bucket{{le=\"+Inf\"}} {count}\n"));
    out.push_str(&format!(
        "obrol_http_request_duration_seconds_sum {}\nobrol_http_request_duration_seconds_count {count}\n",
        COUNTERS.sum_micros.load(Ordering::Relaxed) as f64 / 1e6
    ));
    out.push_str("# HELP obrol_sessions Sessions by status.\n# TYPE obrol_sessions gauge\n");
    for status in ["waiting", "active", "closed"] {
        let n = sessions.iter().find(|(s, _)| s == status).map_or(0, |(_, n)| *n);
        out.push_str(&format!("obrol_sessions{{status=\"{status}\"}} {n}\n"));
    }
    out.push_str(&format!("# HELP obrol_agents_online Agents online.\n# TYPE obrol_agents_online gauge\nobrol_agents_online {agents_online}\n"));
    out.push_str(&format!("# HELP obrol_messages_total Messages stored.\n# TYPE obrol_messages_total counter\nobrol_messages_total {messages}\n"));
    out.push_str(&format!("# HELP obrol_realtime_subscribers Live subscriptions (sockets and long-polls).\n# TYPE obrol_realtime_subscribers gauge\nobrol_realtime_subscribers {subs}\n"));
    out.push_str(&format!("# HELP obrol_events_published_total Events published to the hub.\n# TYPE obrol_events_published_total counter\nobrol_events_published_total {published}\n"));
    out.push_str(&format!("# HELP obrol_slow_subscribers_dropped_total Subscribers dropped for falling behind.\n# TYPE obrol_slow_subscribers_dropped_total counter\nobrol_slow_subscribers_dropped_total {dropped}\n"));
    out.push_str(&ctx.app.realtime.metrics());
    Ok(Response::from_data("text/plain; version=0.0.4", out))
}

/// The methods the OpenAPI document lists for `path` (the `Allow` header of a 405), with
/// the family aliases mapped onto the documented prefixes.
pub fn allowed_methods(path: &str) -> Option<String> {
    static DOC: std::sync::OnceLock<Value> = std::sync::OnceLock::new();
    let doc = DOC.get_or_init(openapi);
    let path = path
        .replacen("/api/v1/oss-chat", "/api/chat", 1)
        .replacen("/api/vendor/livechat", "/api/livechat", 1);
    let segs: Vec<&str> = path.split('/').filter(|s| !s.is_empty()).collect();
    let (_, ops) = doc["paths"].as_object()?.iter().find(|(template, _)| {
        let t: Vec<&str> = template.split('/').filter(|s| !s.is_empty()).collect();
        t.len() == segs.len() && t.iter().zip(&segs).all(|(a, b)| a.starts_with('{') || a == b)
    })?;
    let methods: Vec<String> = ops.as_object()?.keys().map(|m| m.to_ascii_uppercase()).collect();
    Some(methods.join(", "))
}

/// The OpenAPI document, merged from one fragment per API family (src/http/openapi/).
pub fn openapi() -> Value {
    let fragments = [
        include_str!("openapi/base.json"),
        include_str!("openapi/oss.json"),
        include_str!("openapi/tenant.json"),
        include_str!("openapi/agent.json"),
    ];
    let mut doc = Value::Null;
    for f in fragments {
        let Ok(v) = serde_json::from_str::<Value>(f) else { continue };
        merge(&mut doc, v);
    }
    doc
}

fn merge(into: &mut Value, from: Value) {
    match (into, from) {
        (Value::Object(a), Value::Object(b)) => {
            for (k, v) in b {
                merge(a.entry(k).or_insert(Value::Null), v);
            }
        }
        (slot, v) => *slot = v,
    }
}
