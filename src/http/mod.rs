//! HTTP: one entry point for every request. It gives each request an id, answers CORS
//! preflights, dispatches by prefix to the family adapters, keeps errors JSON even when a
//! handler panics, and writes one log line per request.

pub mod agent;
pub mod assets;
pub mod body;
pub mod envelope;
pub mod error;
pub mod limit;
pub mod ops;
pub mod oss;
pub mod tenant;
pub mod ws;

use crate::config::Origins;
use crate::domain::new_id;
use crate::error::Error;
use crate::service::App;
use rouille::{Request, Response};
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::time::Instant;

/// What a handler gets: the app, the request, and facts about it.
pub struct Ctx<'a> {
    pub app: &'a App,
    pub req: &'a Request,
    pub request_id: &'a str,
}

impl Ctx<'_> {
    /// The client's address: the peer, or the first X-Forwarded-For hop with `--trust-proxy`.
    pub fn client_ip(&self) -> String {
        if self.app.config.trust_proxy {
            if let Some(first) = self.req.header("X-Forwarded-For").and_then(|v| v.split(',').next()) {
                let ip = first.trim();
                if ip.parse::<std::net::IpAddr>().is_ok() {
                    return ip.to_string();
                }
            }
        }
        self.req.remote_addr().ip().to_string()
    }

    pub fn method(&self) -> &str {
        self.req.method()
    }
}

/// Splits `path` after `prefix` into its segments, if it is under `prefix`.
fn under<'p>(path: &'p str, prefix: &str) -> Option<Vec<&'p str>> {
    let rest = path.strip_prefix(prefix)?;
    if !(rest.is_empty() || rest.starts_with('/')) {
        return None;
    }
    Some(rest.split('/').filter(|s| !s.is_empty()).collect())
}

fn route(ctx: &Ctx) -> Response {
    let path = ctx.req.url();
    if ctx.method() == "OPTIONS" {
        return Response::empty_204();
    }
    if let Some(limiter) = &ctx.app.limiter {
        let ip = ctx.client_ip().parse().unwrap_or(ctx.req.remote_addr().ip());
        if path.starts_with("/api/") && !limiter.allow(ip) {
            let e = Error::TooManyRequests;
            let tenant = under(&path, "/api/livechat").or_else(|| under(&path, "/api/vendor/livechat")).is_some();
            let r = if tenant { envelope::error(&e, ctx.request_id) } else { error::plain(&e) };
            return r.with_additional_header("Retry-After", "1");
        }
    }
    for prefix in ["/api/chat", "/api/v1/oss-chat"] {
        if let Some(segs) = under(&path, prefix) {
            return oss::route(ctx, &segs);
        }
    }
    for prefix in ["/api/livechat", "/api/vendor/livechat"] {
        if let Some(segs) = under(&path, prefix) {
            return tenant::route(ctx, &segs);
        }
    }
    if let Some(segs) = under(&path, "/api/agent") {
        return agent::route(ctx, &segs);
    }
    if let Some(r) = ops::route(ctx, &path) {
        return r;
    }
    if path.starts_with("/api/") {
        return error::plain(&Error::NotFound("Route"));
    }
    assets::route(ctx, &path)
}

/// The server's request handler.
pub fn handle(app: &App, req: &Request) -> Response {
    let started = Instant::now();
    let request_id = new_id();
    let ctx = Ctx { app, req, request_id: &request_id };
    let response = catch_unwind(AssertUnwindSafe(|| route(&ctx))).unwrap_or_else(|_| {
        error::plain(&Error::Internal(format!("handler panicked on {} {}", req.method(), req.url())))
    });
    let mut response = with_cors(app, req, response).with_additional_header("X-Request-Id", request_id.clone());
    if response.status_code == 405 {
        if let Some(allow) = ops::allowed_methods(&req.url()) {
            response = response.with_additional_header("Allow", allow);
        }
    }
    ops::record(req.method(), response.status_code, started.elapsed());
    log::info!(
        "{} {} {} {:.1}ms {}",
        req.method(),
        req.url(),
        response.status_code,
        started.elapsed().as_secs_f64() * 1000.0,
        request_id
    );
    response
}

fn with_cors(app: &App, req: &Request, r: Response) -> Response {
    let allow = match (&app.config.origins, req.header("Origin")) {
        (Origins::Any, _) => Some("*".to_string()),
        (Origins::List(list), Some(o)) if list.iter().any(|a| a == o.trim_end_matches('/')) => Some(o.to_string()),
        _ => None,
    };
    let Some(origin) = allow else { return r };
    let r = r
        .with_additional_header("Access-Control-Allow-Origin", origin)
        .with_additional_header("Access-Control-Expose-Headers", "X-Request-Id")
        .with_additional_header("Vary", "Origin");
    if req.method() == "OPTIONS" {
        r.with_additional_header("Access-Control-Allow-Methods", "GET, POST, PUT, PATCH, DELETE, OPTIONS")
            .with_additional_header(
                "Access-Control-Allow-Headers",
                "Content-Type, Authorization, X-Tenant-ID, X-Request-Id, Accept",
            )
            .with_additional_header("Access-Control-Max-Age", "600")
    } else {
        r
    }
}

/// `Err(405)` unless the request's method is `m`.
pub fn only(ctx: &Ctx, m: &str) -> crate::error::Result<()> {
    if ctx.method() == m {
        Ok(())
    } else {
        Err(Error::MethodNotAllowed)
    }
}
