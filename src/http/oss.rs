//! The OSS chat family (seed 000, SPEC §2) under `/api/chat` and `/api/v1/oss-chat`.
//! Errors are `{"error", "details"}`.

use super::body::{query, query_int, Body};
use super::{error, only, ws, Ctx};
use crate::domain::{parse_email, parse_opt_text, parse_text, parse_uuid, MessageText, Priority, SenderType};
use crate::error::{Error, Result};
use crate::service::messages::send;
use crate::service::oss::{self, Identity, Origin, StartInput};
use crate::service::view::SessionView;
use crate::store::contacts::Contact;
use crate::store::messages::{Message, Sender};
use rouille::Response;
use serde_json::{json, Value};
use std::time::Duration;

/// Longest a long-poll may wait (SPEC §2).
const MAX_WAIT_SECS: i64 = 30;

pub fn route(ctx: &Ctx, segs: &[&str]) -> Response {
    let result = match segs {
        ["start"] => only(ctx, "POST").and_then(|_| start(ctx)),
        ["contact"] => only(ctx, "POST").and_then(|_| contact(ctx)),
        ["link-user"] => only(ctx, "POST").and_then(|_| link_user(ctx)),
        ["history"] => only(ctx, "GET").and_then(|_| history(ctx)),
        ["availability"] => only(ctx, "GET").and_then(|_| availability(ctx)),
        ["session", id] => only(ctx, "GET").and_then(|_| details(ctx, id)),
        ["session", id, "messages"] => match ctx.method() {
            "POST" => post_message(ctx, id),
            "GET" => list_messages(ctx, id),
            _ => Err(Error::MethodNotAllowed),
        },
        ["session", id, "close"] => only(ctx, "POST").and_then(|_| close(ctx, id)),
        ["session", id, "typing"] => only(ctx, "POST").and_then(|_| typing(ctx, id)),
        ["session", id, "ws"] => only(ctx, "GET").and_then(|_| ws::visitor(ctx, id)),
        _ => Err(Error::NotFound("Route")),
    };
    result.unwrap_or_else(|e| error::plain(&e))
}

/// Longest accepted `oss_user_id`.
const MAX_ID_CHARS: usize = 255;

/// The caller's identity from JSON fields: `oss_user_id` (+ `user_hash`) wins over `browser_uuid`.
fn identity(oss_user_id: Option<&str>, user_hash: Option<&str>, browser_uuid: Option<&str>) -> Result<Identity> {
    if let Some(id) = parse_opt_text("oss_user_id", oss_user_id, MAX_ID_CHARS)? {
        return Ok(Identity::Account { oss_user_id: id, user_hash: user_hash.map(str::to_string) });
    }
    match browser_uuid {
        Some(b) => Ok(Identity::Browser(parse_uuid("browser_uuid", b)?)),
        None => Err(Error::missing("browser_uuid or oss_user_id")),
    }
}

fn body_identity(b: &Body) -> Result<Identity> {
    identity(b.str("oss_user_id")?, b.str("user_hash")?, b.str("browser_uuid")?)
}

fn query_identity(ctx: &Ctx) -> Result<Identity> {
    let (o, h, b) = (query(ctx.req, "oss_user_id"), query(ctx.req, "user_hash"), query(ctx.req, "browser_uuid"));
    identity(o.as_deref(), h.as_deref(), b.as_deref()).map_err(Error::in_query)
}

fn path_session_id(id: &str) -> Result<String> {
    parse_uuid("session_id", id)
}

fn origin(ctx: &Ctx, b: Option<&Body>) -> Result<Origin> {
    let ua = match b.map(|b| b.str("user_agent")).transpose()?.flatten() {
        Some(ua) => Some(ua.to_string()),
        None => ctx.req.header("User-Agent").map(str::to_string),
    };
    Ok(Origin { ip: ctx.client_ip(), user_agent: ua.map(|u| u.chars().take(1000).collect()) })
}

fn start(ctx: &Ctx) -> Result<Response> {
    let b = Body::read(ctx.req)?;
    let topic = parse_text("topic", b.str("topic")?.ok_or_else(|| Error::missing("topic"))?, 255)?;
    let browser_uuid = b.str("browser_uuid")?.map(|v| parse_uuid("browser_uuid", v)).transpose()?;
    let oss_user_id = parse_opt_text("oss_user_id", b.str("oss_user_id")?, MAX_ID_CHARS)?;
    if browser_uuid.is_none() && oss_user_id.is_none() {
        return Err(Error::missing("browser_uuid or oss_user_id"));
    }
    let email = b.str("email")?.filter(|e| !e.trim().is_empty()).map(|e| parse_email("email", e)).transpose()?;
    let input = StartInput {
        browser_uuid,
        oss_user_id,
        email,
        user_hash: b.str("user_hash")?.map(str::to_string),
        topic,
        priority: b.str("priority")?.map(|p| Priority::parse("priority", p)).transpose()?,
        department_id: b.str("department_id")?.map(|d| parse_uuid("department_id", d)).transpose()?,
        page_url: parse_opt_text("page_url", b.str("page_url")?, 2000)?,
        origin: origin(ctx, Some(&b))?,
    };
    let started = oss::start(ctx.app, input)?;
    Ok(Response::json(&json!({
        "session_id": started.session.id,
        "chat_user_id": started.chat_user_id,
        "status": started.session.status.as_str(),
        "message": "Chat session started successfully",
        "requires_contact": started.requires_contact,
    }))
    .with_status_code(201))
}

fn contact(ctx: &Ctx) -> Result<Response> {
    let b = Body::read(ctx.req)?;
    let session_id = parse_uuid("session_id", b.req_str("session_id")?)?;
    let contact = Contact {
        id: String::new(),
        contact_name: parse_text("contact_name", b.req_str("contact_name")?, 255)?,
        contact_email: parse_email("contact_email", b.req_str("contact_email")?)?,
        contact_phone: parse_opt_text("contact_phone", b.str("contact_phone")?, 50)?,
        position: parse_opt_text("position", b.str("position")?, 255)?,
        company_name: parse_opt_text("company_name", b.str("company_name")?, 255)?,
    };
    let contact_id = oss::set_contact(ctx.app, &session_id, &contact)?;
    Ok(Response::json(&json!({ "contact_id": contact_id, "message": "Contact information set successfully" })))
}

fn link_user(ctx: &Ctx) -> Result<Response> {
    let b = Body::read(ctx.req)?;
    let browser_uuid = parse_uuid("browser_uuid", b.req_str("browser_uuid")?)?;
    let oss_user_id = parse_text("oss_user_id", b.req_str("oss_user_id")?, MAX_ID_CHARS)?;
    let email = parse_email("email", b.req_str("email")?)?;
    let id = oss::link_user(ctx.app, &browser_uuid, &oss_user_id, &email, b.str("user_hash")?, &origin(ctx, None)?)?;
    Ok(Response::json(&json!({ "chat_user_id": id, "message": "Successfully linked to OSS account" })))
}

fn history(ctx: &Ctx) -> Result<Response> {
    let who = query_identity(ctx)?;
    let limit = query_int(ctx.req, "limit", 20, 1, 100)?;
    let offset = query_int(ctx.req, "offset", 0, 0, i64::MAX)?;
    let (views, total) = oss::history(ctx.app, &who, limit, offset)?;
    let sessions: Vec<Value> = views.iter().map(session_json).collect();
    Ok(Response::json(&json!({ "sessions": sessions, "total": total, "limit": limit, "offset": offset })))
}

fn availability(ctx: &Ctx) -> Result<Response> {
    let dept = query(ctx.req, "department_id")
        .map(|d| parse_uuid("department_id", &d).map_err(Error::in_query))
        .transpose()?;
    let n = oss::availability(ctx.app, dept.as_deref())?;
    Ok(Response::json(&json!({ "online": n > 0, "agents_online": n })))
}

/// Messages the session details show.
const DETAIL_MESSAGES: i64 = 50;

fn details(ctx: &Ctx, id: &str) -> Result<Response> {
    let id = path_session_id(id)?;
    let who = query_identity(ctx)?;
    let (v, msgs) = oss::details(ctx.app, &who, &id, DETAIL_MESSAGES)?;
    let mut obj = session_json(&v);
    obj["messages"] = msgs.iter().map(message_json).collect();
    Ok(Response::json(&obj))
}

fn post_message(ctx: &Ctx, id: &str) -> Result<Response> {
    let id = path_session_id(id)?;
    let b = Body::read(ctx.req)?;
    let who = body_identity(&b)?;
    let text = MessageText::parse("message", b.str("message")?.ok_or_else(|| Error::missing("message"))?)?;
    let client_id = b.str("client_id")?.map(|c| parse_uuid("client_id", c)).transpose()?;
    let from = Sender { kind: SenderType::Customer, agent_id: None, number: None };
    let sent = send(
        ctx.app,
        &id,
        &from,
        &text,
        client_id.as_deref(),
        |c, s| oss::owned_session(c, ctx.app, &who, &s.id).map(|_| ()),
        Error::Conflict("Session is closed".into()),
    )?;
    Ok(Response::json(&message_json(&sent.message)).with_status_code(if sent.created { 201 } else { 200 }))
}

fn list_messages(ctx: &Ctx, id: &str) -> Result<Response> {
    let id = path_session_id(id)?;
    let who = query_identity(ctx)?;
    let after = query(ctx.req, "after").map(|a| parse_uuid("after", &a).map_err(Error::in_query)).transpose()?;
    let limit = query_int(ctx.req, "limit", 50, 1, 100)?;
    let wait = query_int(ctx.req, "wait", 0, 0, MAX_WAIT_SECS)?;
    let (msgs, v) = oss::poll_messages(ctx.app, &who, &id, after.as_deref(), limit, Duration::from_secs(wait as u64))
        .map_err(|e| match e {
            Error::Field { .. } => e.in_query(),
            other => other,
        })?;
    let messages: Vec<Value> = msgs.iter().map(message_json).collect();
    Ok(Response::json(&json!({ "messages": messages, "session": session_status_json(&v) })))
}

fn close(ctx: &Ctx, id: &str) -> Result<Response> {
    let id = path_session_id(id)?;
    let b = Body::read(ctx.req)?;
    let v = oss::close(ctx.app, &body_identity(&b)?, &id)?;
    let mut obj = session_json(&v);
    obj["message"] = json!("Chat session closed");
    Ok(Response::json(&obj))
}

fn typing(ctx: &Ctx, id: &str) -> Result<Response> {
    let id = path_session_id(id)?;
    let b = Body::read(ctx.req)?;
    let typing = b.bool("typing")?.ok_or_else(|| Error::missing("typing"))?;
    oss::typing(ctx.app, &body_identity(&b)?, &id, typing)?;
    Ok(Response::empty_204())
}

/// The seed's history session object (plus `queue_position` while waiting).
pub fn session_json(v: &SessionView) -> Value {
    let s = &v.session;
    let mut obj = json!({
        "session_id": s.id,
        "topic": s.topic,
        "status": s.status.as_str(),
        "priority": s.priority.as_str(),
        "started_at": s.started_at,
        "ended_at": s.ended_at,
        "agent": v.agent.as_ref().map(|a| json!({ "id": a.id, "name": a.name, "email": a.email })),
        "department": v.department.as_ref().map(|d| json!({ "id": d.id, "name": d.name })),
        "contact": v.contact,
        "last_message": v.last_message.as_ref().map(|m| json!({
            "id": m.id, "message": m.message, "sender_type": m.sender_type.as_str(), "created_at": m.created_at,
        })),
    });
    if let Some(p) = v.queue_position {
        obj["queue_position"] = json!(p);
    }
    obj
}

/// The `session` object of a long-poll answer: what a woken poll needs to show.
pub fn session_status_json(v: &SessionView) -> Value {
    let mut obj = json!({
        "status": v.session.status.as_str(),
        "agent": v.agent.as_ref().map(|a| json!({ "id": a.id, "name": a.name, "email": a.email })),
    });
    if let Some(p) = v.queue_position {
        obj["queue_position"] = json!(p);
    }
    obj
}

/// A message as the OSS family shows it.
pub fn message_json(m: &Message) -> Value {
    let mut obj = json!({
        "id": m.id,
        "session_id": m.session_id,
        "message": m.message,
        "sender_type": m.sender_type.as_str(),
        "created_at": m.created_at,
    });
    if let Some(c) = &m.client_id {
        obj["client_id"] = json!(c);
    }
    if let Some(n) = &m.sender_name {
        obj["sender_name"] = json!(n);
    }
    obj
}
