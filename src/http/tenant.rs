//! The tenant livechat family (seed 002, SPEC §3) under `/api/livechat` and, identically,
//! `/api/vendor/livechat`. Every response, errors included, is the seed's `APIResponse<T>`
//! envelope whose `meta.request_id` repeats the `X-Request-Id` header. Checks run in the
//! order the SPEC ranks them: route (404/405), token (401), role (403), `X-Tenant-ID`
//! (400, then 403), input (400), then the session, scoped to the tenant (404).

use super::body::{query, query_int, Body};
use super::envelope::{self, Pagination};
use super::{agent::bearer, ws, Ctx};
use crate::realtime::feed::Render;
use crate::domain::{fmt_time, parse_time, parse_uuid, MessageText};
use crate::error::{Error, Result};
use crate::service::tenant::{self, Access, Page, PageReq, TenantSession};
use crate::service::tokens;
use crate::store::messages::{Message, MessageFilter};
use crate::store::sessions::Session;
use rouille::Response;
use serde_json::{json, Value};

/// Page size when `limit` is absent, and its bounds (SPEC §3).
const DEFAULT_LIMIT: i64 = 10;
const MAX_LIMIT: i64 = 100;

pub fn route(ctx: &Ctx, segs: &[&str]) -> Response {
    let allowed: &[&str] = match segs {
        ["sessions"] | ["sessions", _, "messages"] => &["GET", "POST"],
        ["sessions", _] => &["GET"],
        ["sessions", _, "close" | "typing"] => &["POST"],
        ["sessions", _, "ws"] => &["GET"],
        _ => return envelope::error(&Error::NotFound("Route"), ctx.request_id),
    };
    // (the `Allow` header of a 405 is added for every family from the OpenAPI document)
    if !allowed.contains(&ctx.method()) {
        return envelope::error(&Error::MethodNotAllowed, ctx.request_id);
    }
    let result = match (ctx.method(), segs) {
        ("POST", ["sessions"]) => open(ctx),
        ("GET", ["sessions"]) => list_sessions(ctx),
        ("GET", ["sessions", id]) => get_session(ctx, id),
        ("POST", ["sessions", id, "messages"]) => send(ctx, id),
        ("GET", ["sessions", id, "messages"]) => list_messages(ctx, id),
        ("POST", ["sessions", id, "close"]) => close(ctx, id),
        ("POST", ["sessions", id, "typing"]) => typing(ctx, id),
        ("GET", ["sessions", id, "ws"]) => socket(ctx, id),
        _ => Err(Error::MethodNotAllowed),
    };
    result.unwrap_or_else(|e| envelope::error(&e, ctx.request_id))
}

/// The caller, authenticated (401) and authorized for the `X-Tenant-ID` tenant (403/400).
pub fn access(ctx: &Ctx) -> Result<Access> {
    let token = bearer(ctx).ok_or_else(|| Error::Unauthorized("Missing bearer token".into()))?;
    let principal = tokens::authenticate(ctx.app, &token)?;
    tenant::authorize(ctx.app, principal, ctx.req.header("X-Tenant-ID"))
}

/// The same checks for a WebSocket, which browsers open without headers: the token comes
/// from `access_token` and the tenant from `tenant_id` in the query string (the headers
/// still work for other clients).
pub fn socket_access(ctx: &Ctx) -> Result<Access> {
    let token = query(ctx.req, "access_token")
        .or_else(|| bearer(ctx))
        .ok_or_else(|| Error::Unauthorized("Missing access_token".into()))?;
    let principal = tokens::authenticate(ctx.app, &token)?;
    let tenant = query(ctx.req, "tenant_id").or_else(|| ctx.req.header("X-Tenant-ID").map(str::to_string));
    tenant::authorize(ctx.app, principal, tenant.as_deref())
}

fn session_id(id: &str) -> Result<String> {
    parse_uuid("session_id", id)
}

fn ok(ctx: &Ctx, status: u16, message: &str, data: Value) -> Response {
    envelope::ok(status, message, data, ctx.request_id, None)
}

fn ok_page<T>(ctx: &Ctx, message: &str, page: &Page<T>, limit: i64, render: impl Fn(&T) -> Value) -> Response {
    let p = Pagination {
        next_cursor: page.next_cursor.clone(),
        prev_cursor: page.prev_cursor.clone(),
        has_next: page.next_cursor.is_some(),
        has_prev: page.prev_cursor.is_some(),
        limit,
    };
    let data: Vec<Value> = page.items.iter().map(render).collect();
    envelope::ok(200, message, Value::Array(data), ctx.request_id, Some(&p))
}

/// `limit`, `cursor` and `direction` (older, the default, or newer).
fn page_req(ctx: &Ctx) -> Result<PageReq> {
    let limit = query_int(ctx.req, "limit", DEFAULT_LIMIT, 1, MAX_LIMIT)?;
    let cursor = query(ctx.req, "cursor").map(|c| parse_uuid("cursor", &c).map_err(Error::in_query)).transpose()?;
    let newer = match query(ctx.req, "direction").as_deref() {
        None | Some("older") => false,
        Some("newer") => true,
        Some(_) => return Err(Error::query("direction", "must be one of older|newer")),
    };
    Ok(PageReq { cursor, newer, limit })
}

fn open(ctx: &Ctx) -> Result<Response> {
    let a = access(ctx)?;
    let b = Body::read(ctx.req)?;
    let agent_id = b.int("agent_id")?;
    let ts = tenant::open(ctx.app, &a, agent_id)?;
    Ok(ok(ctx, 201, "Session created", session_json(&ts)))
}

fn list_sessions(ctx: &Ctx) -> Result<Response> {
    let a = access(ctx)?;
    let closed = match query(ctx.req, "status").map(|s| s.to_ascii_uppercase()).as_deref() {
        None => None,
        Some("OPEN") => Some(false),
        Some("CLOSED") => Some(true),
        Some(_) => return Err(Error::query("status", "must be one of OPEN|CLOSED")),
    };
    let r = page_req(ctx)?;
    let page = tenant::list(ctx.app, &a, closed, &r)?;
    Ok(ok_page(ctx, "Sessions retrieved", &page, r.limit, session_json))
}

fn get_session(ctx: &Ctx, id: &str) -> Result<Response> {
    let a = access(ctx)?;
    let ts = tenant::get(ctx.app, &a, &session_id(id)?)?;
    Ok(ok(ctx, 200, "Session retrieved", session_json(&ts)))
}

fn close(ctx: &Ctx, id: &str) -> Result<Response> {
    let a = access(ctx)?;
    let ts = tenant::close(ctx.app, &a, &session_id(id)?)?;
    Ok(ok(ctx, 200, "Session closed", session_json(&ts)))
}

fn typing(ctx: &Ctx, id: &str) -> Result<Response> {
    let a = access(ctx)?;
    let id = session_id(id)?;
    let b = Body::read(ctx.req)?;
    let typing = b.bool("typing")?.ok_or_else(|| Error::missing("typing"))?;
    tenant::typing(ctx.app, &a, &id, typing)?;
    Ok(ok(ctx, 200, "Typing state sent", json!({ "session_id": id, "typing": typing })))
}

fn send(ctx: &Ctx, id: &str) -> Result<Response> {
    let a = access(ctx)?;
    let id = session_id(id)?;
    let b = Body::read(ctx.req)?;
    let text = MessageText::parse("message", b.req_str("message")?)?;
    let client_id = b.str("client_id")?.map(|c| parse_uuid("client_id", c)).transpose()?;
    let sent = tenant::send(ctx.app, &a, &id, &text, client_id.as_deref())?;
    // a retried POST (same client_id) gets the stored message back, as the OSS family does
    let (status, message) = if sent.created { (201, "Message sent") } else { (200, "Message already sent") };
    Ok(ok(ctx, status, message, message_json(&sent.message)))
}

fn list_messages(ctx: &Ctx, id: &str) -> Result<Response> {
    let a = access(ctx)?;
    let id = session_id(id)?;
    let date = |name: &str| -> Result<Option<String>> {
        query(ctx.req, name).map(|v| parse_time(name, &v).map(fmt_time).map_err(Error::in_query)).transpose()
    };
    let (start, end) = (date("start_date")?, date("end_date")?);
    if let (Some(s), Some(e)) = (&start, &end) {
        if s > e {
            return Err(Error::query("end_date", "must not be before start_date"));
        }
    }
    let sender_number = query(ctx.req, "sender_id")
        .map(|v| v.trim().parse::<i64>().map_err(|_| Error::query("sender_id", "must be a whole number")))
        .transpose()?;
    let filter = MessageFilter { term: query(ctx.req, "term").map(|t| t.to_lowercase()), sender_number, start, end };
    let r = page_req(ctx)?;
    let page = tenant::messages(ctx.app, &a, &id, &filter, &r)?;
    Ok(ok_page(ctx, "Messages retrieved", &page, r.limit, message_json))
}

/// The tenant family's renderers for its sockets.
pub const SOCKET_RENDER: Render = Render { message: message_json, session: session_value, queue_position: false };

/// `GET /sessions/{id}/ws?access_token=…&tenant_id=…[&after=<message id>]`: the session's
/// events, with the REST calls' checks (401/403/400, then another tenant's session is 404).
fn socket(ctx: &Ctx, id: &str) -> Result<Response> {
    let a = socket_access(ctx)?;
    let id = session_id(id)?;
    let after = query(ctx.req, "after").map(|c| parse_uuid("after", &c).map_err(Error::in_query)).transpose()?;
    let ts = tenant::get(ctx.app, &a, &id)?;
    ws::tenant(ctx, ts.session, SOCKET_RENDER, after.as_deref())
}

/// A session as `ChatSession`, read afresh (the `session.updated` data of a tenant socket).
pub fn session_value(c: &rusqlite::Connection, s: Session) -> Result<Value> {
    Ok(session_json(&tenant::load(c, s)?))
}

/// Seed 002 `ChatSession`; `agent_id` (the agent's number) and the added `agent_name` are
/// omitted while unassigned.
pub fn session_json(ts: &TenantSession) -> Value {
    let s = &ts.session;
    let mut obj = json!({
        "id": s.id,
        "tenant_id": s.tenant_id,
        "status": s.status.tenant_str(),
        "created_at": s.created_at,
        "updated_at": s.updated_at,
    });
    if let Some(n) = ts.agent_number {
        obj["agent_id"] = json!(n);
    }
    if let Some(name) = &ts.agent_name {
        obj["agent_name"] = json!(name);
    }
    obj
}

/// Seed 002 `ChatMessage`, plus `sender_type` (customer|agent|system) and, when present,
/// `sender_name` (an agent's name) and `client_id`.
pub fn message_json(m: &Message) -> Value {
    let mut obj = json!({
        "id": m.id,
        "session_id": m.session_id,
        "sender_id": m.sender_number.unwrap_or(0),
        "message": m.message,
        "created_at": m.created_at,
        "sender_type": m.sender_type.as_str(),
    });
    if let Some(n) = &m.sender_name {
        obj["sender_name"] = json!(n);
    }
    if let Some(c) = &m.client_id {
        obj["client_id"] = json!(c);
    }
    obj
}
