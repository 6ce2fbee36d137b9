//! The agent API (SPEC §4) under `/api/agent`; errors in the seed-000 shape. One inbox over
//! both families: a conversation is a session of either, named by its session id.

use super::body::{query, query_int, Body};
use super::{error, only, ws, Ctx};
use crate::domain::{parse_uuid, AgentRole, Family, MessageText, Presence, Status};
use crate::error::{Error, Result};
use crate::service::agents::{self, AgentChange, AgentInput};
use crate::service::conversations::{self, Target};
use crate::service::inbox::{self, Page};
use crate::service::view::{self, SessionView};
use crate::store::agents::Agent;
use crate::store::departments;
use crate::store::messages::Message;
use crate::store::sessions::Session;
use rouille::Response;
use rusqlite::Connection;
use serde_json::{json, Value};

pub fn route(ctx: &Ctx, segs: &[&str]) -> Response {
    let result = match segs {
        ["login"] => only(ctx, "POST").and_then(|_| login(ctx)),
        ["logout"] => only(ctx, "POST").and_then(|_| logout(ctx)),
        ["me"] => only(ctx, "GET").and_then(|_| me(ctx)),
        ["presence"] => only(ctx, "PUT").and_then(|_| presence(ctx)),
        ["setup"] => match ctx.method() {
            "GET" => setup_status(ctx),
            "POST" => setup(ctx),
            _ => Err(Error::MethodNotAllowed),
        },
        ["ws"] => only(ctx, "GET").and_then(|_| ws::agent(ctx)),
        ["directory"] => only(ctx, "GET").and_then(|_| directory(ctx)),
        ["conversations"] => only(ctx, "GET").and_then(|_| list_conversations(ctx)),
        ["conversations", id] => only(ctx, "GET").and_then(|_| conversation(ctx, id)),
        ["conversations", id, "accept"] => only(ctx, "POST").and_then(|_| accept(ctx, id)),
        ["conversations", id, "transfer"] => only(ctx, "POST").and_then(|_| transfer(ctx, id)),
        ["conversations", id, "close"] => only(ctx, "POST").and_then(|_| close(ctx, id)),
        ["conversations", id, "messages"] => match ctx.method() {
            "GET" => list_messages(ctx, id),
            "POST" => post_message(ctx, id),
            _ => Err(Error::MethodNotAllowed),
        },
        ["conversations", id, "typing"] => only(ctx, "POST").and_then(|_| typing(ctx, id)),
        ["agents"] => match ctx.method() {
            "GET" => list_agents(ctx),
            "POST" => create_agent(ctx),
            _ => Err(Error::MethodNotAllowed),
        },
        ["agents", id] => match ctx.method() {
            "GET" => get_agent(ctx, id),
            "PATCH" => patch_agent(ctx, id),
            _ => Err(Error::MethodNotAllowed),
        },
        ["departments"] => match ctx.method() {
            "GET" => list_departments(ctx),
            "POST" => create_department(ctx),
            _ => Err(Error::MethodNotAllowed),
        },
        _ => Err(Error::NotFound("Route")),
    };
    result.unwrap_or_else(|e| error::plain(&e))
}

/// The bearer token of the request, from `Authorization: Bearer …`.
pub fn bearer(ctx: &Ctx) -> Option<String> {
    let h = ctx.req.header("Authorization")?;
    let (scheme, token) = h.trim().split_once(' ')?;
    scheme.eq_ignore_ascii_case("bearer").then(|| token.trim().to_string()).filter(|t| !t.is_empty())
}

/// The logged-in agent making the request (401 otherwise).
pub fn current_agent(ctx: &Ctx) -> Result<(Agent, String)> {
    let token = bearer(ctx).ok_or_else(|| Error::Unauthorized("Missing bearer token".into()))?;
    Ok((agents::authenticate(ctx.app, &token)?, token))
}

pub fn agent_json(ctx: &Ctx, a: &Agent) -> Result<Value> {
    let department = match &a.department_id {
        Some(id) => ctx.app.db.read(|c| departments::get(c, id))?,
        None => None,
    };
    Ok(json!({
        "id": a.id,
        "number": a.number,
        "name": a.name,
        "email": a.email,
        "department": department,
        "status": a.status.as_str(),
        "role": a.role.as_str(),
        "max_chats": a.max_chats,
        "disabled": a.disabled,
    }))
}

fn login(ctx: &Ctx) -> Result<Response> {
    let b = Body::read(ctx.req)?;
    let email = b.req_str("email")?;
    let password = b.req_str("password")?;
    let (token, expires_at, agent) = agents::login(ctx.app, email, password)?;
    Ok(Response::json(&json!({ "token": token, "expires_at": expires_at, "agent": agent_json(ctx, &agent)? })))
}

fn logout(ctx: &Ctx) -> Result<Response> {
    let (agent, token) = current_agent(ctx)?;
    agents::logout(ctx.app, &agent, &token)?;
    Ok(Response::json(&json!({ "message": "Logged out" })))
}

fn me(ctx: &Ctx) -> Result<Response> {
    let (agent, _) = current_agent(ctx)?;
    Ok(Response::json(&agent_json(ctx, &agent)?))
}

fn presence(ctx: &Ctx) -> Result<Response> {
    let (agent, _) = current_agent(ctx)?;
    let b = Body::read(ctx.req)?;
    let p = Presence::parse("status", b.req_str("status")?)?;
    agents::choose_presence(ctx.app, &agent.id, p)?;
    let (agent, _) = current_agent(ctx)?;
    Ok(Response::json(&agent_json(ctx, &agent)?))
}

fn setup_status(ctx: &Ctx) -> Result<Response> {
    let required = ctx.app.setup_code.lock().unwrap_or_else(|p| p.into_inner()).is_some();
    Ok(Response::json(&json!({ "required": required })))
}

/// First run: creates the first admin with the one-time code `obrol serve` printed.
fn setup(ctx: &Ctx) -> Result<Response> {
    let b = Body::read(ctx.req)?;
    let code = b.req_str("code")?;
    let input = AgentInput {
        email: b.req_str("email")?.to_string(),
        name: b.req_str("name")?.to_string(),
        password: b.req_str("password")?.to_string(),
        role: Some(AgentRole::Admin),
        ..AgentInput::default()
    };
    let mut slot = ctx.app.setup_code.lock().unwrap_or_else(|p| p.into_inner());
    let agent = {
        let Some(expected) = slot.as_deref() else {
            return Err(Error::Gone("Setup is already done".into()));
        };
        if !subtle_eq(expected.as_bytes(), code.trim().as_bytes()) {
            return Err(Error::Unauthorized("Invalid setup code".into()));
        }
        ctx.app.db.write(|tx| {
            if crate::store::agents::count(tx)? > 0 {
                return Err(Error::Gone("Setup is already done".into()));
            }
            agents::create(tx, &input)
        })?
    };
    *slot = None;
    Ok(Response::json(&agent_json(ctx, &agent)?).with_status_code(201))
}

/// Constant-time comparison of two byte strings.
fn subtle_eq(a: &[u8], b: &[u8]) -> bool {
    use sha2::{Digest, Sha256};
    // compare digests so neither length nor content leaks through timing
    Sha256::digest(a) == Sha256::digest(b)
}

/// The logged-in agent, who must be an admin (401 / 403 otherwise).
fn admin(ctx: &Ctx) -> Result<Agent> {
    let (agent, _) = current_agent(ctx)?;
    if agent.role != AgentRole::Admin {
        return Err(Error::Forbidden("Only admins may do this".into()));
    }
    Ok(agent)
}

fn path_id(field: &str, id: &str) -> Result<String> {
    parse_uuid(field, id)
}

/// A conversation as the agent API shows it (settled with the console; keep exactly).
pub fn conversation_json(v: &SessionView) -> Value {
    let s = &v.session;
    let visitor = v.chat_user.as_ref().map(|u| {
        json!({
            "chat_user_id": u.id,
            "browser_uuid": u.browser_uuid,
            "oss_user_id": u.oss_user_id,
            "email": u.email,
            "is_anonymous": u.is_anonymous,
            "ip_address": u.ip_address,
            "user_agent": s.user_agent.as_ref().or(u.user_agent.as_ref()),
            "page_url": s.page_url,
        })
    });
    json!({
        "id": s.id,
        "family": s.family.as_str(),
        "status": s.status.as_str(),
        "topic": s.topic,
        "priority": s.priority.as_str(),
        "tenant_id": s.tenant_id,
        "agent": v.agent.as_ref().map(|a| json!({ "id": a.id, "name": a.name, "email": a.email, "number": a.number })),
        "department": v.department.as_ref().map(|d| json!({ "id": d.id, "name": d.name })),
        "contact": v.contact,
        "visitor": visitor,
        "queue_position": v.queue_position,
        "started_at": s.started_at,
        "ended_at": s.ended_at,
        "last_message": v.last_message.as_ref().map(message_json),
    })
}

/// `conversation_json` of a session as it is now (the agent console's `session.updated`).
pub fn conversation_value(c: &Connection, s: Session) -> Result<Value> {
    Ok(conversation_json(&view::load(c, s)?))
}

/// A message as the agent API shows it: `sender_id` is the agent's or tenant user's number
/// (`null` for OSS visitors), `sender_name` the agent's name.
pub fn message_json(m: &Message) -> Value {
    let mut obj = json!({
        "id": m.id,
        "session_id": m.session_id,
        "message": m.message,
        "sender_type": m.sender_type.as_str(),
        "sender_id": m.sender_number,
        "sender_name": m.sender_name,
        "created_at": m.created_at,
    });
    if let Some(c) = &m.client_id {
        obj["client_id"] = json!(c);
    }
    obj
}

/// Agents and departments to pick from when transferring, for every agent (the admin list
/// `GET /agents` is admin-only, SPEC §4). Agents as in `GET /agents`, without role and limits.
fn directory(ctx: &Ctx) -> Result<Response> {
    current_agent(ctx)?;
    let (all, depts) = ctx.app.db.read(|c| Ok((crate::store::agents::list(c)?, departments::list(c)?)))?;
    let mut agents = Vec::new();
    for a in all.iter().filter(|a| !a.disabled) {
        let department = depts.iter().find(|d| Some(&d.id) == a.department_id.as_ref());
        agents.push(json!({
            "id": a.id, "number": a.number, "name": a.name, "email": a.email,
            "department": department, "status": a.status.as_str(),
        }));
    }
    Ok(Response::json(&json!({ "agents": agents, "departments": depts })))
}

fn list_conversations(ctx: &Ctx) -> Result<Response> {
    let (agent, _) = current_agent(ctx)?;
    let status = query(ctx.req, "status").map(|v| Status::parse("status", &v).map_err(Error::in_query)).transpose()?;
    let family = query(ctx.req, "family").map(|v| Family::parse("family", &v).map_err(Error::in_query)).transpose()?;
    let q = inbox::Query {
        status,
        family,
        q: query(ctx.req, "q"),
        limit: query_int(ctx.req, "limit", 50, 1, 100)?,
        offset: query_int(ctx.req, "offset", 0, 0, i64::MAX)?,
    };
    let (views, total) = inbox::list(ctx.app, &agent, &q)?;
    let items: Vec<Value> = views.iter().map(conversation_json).collect();
    Ok(Response::json(&json!({ "conversations": items, "total": total, "limit": q.limit, "offset": q.offset })))
}

/// Messages a conversation's details show.
const DETAIL_MESSAGES: i64 = 50;

fn conversation(ctx: &Ctx, id: &str) -> Result<Response> {
    current_agent(ctx)?;
    let (v, msgs) = inbox::get(ctx.app, &path_id("id", id)?, DETAIL_MESSAGES)?;
    let mut obj = conversation_json(&v);
    obj["messages"] = msgs.iter().map(message_json).collect();
    Ok(Response::json(&obj))
}

fn accept(ctx: &Ctx, id: &str) -> Result<Response> {
    let (agent, _) = current_agent(ctx)?;
    let v = conversations::accept(ctx.app, &agent, &path_id("id", id)?)?;
    Ok(Response::json(&conversation_json(&v)))
}

fn transfer(ctx: &Ctx, id: &str) -> Result<Response> {
    let (agent, _) = current_agent(ctx)?;
    let id = path_id("id", id)?;
    let b = Body::read(ctx.req)?;
    let to_agent = b.str("agent_id")?.map(|v| parse_uuid("agent_id", v)).transpose()?;
    let to_dept = b.str("department_id")?.map(|v| parse_uuid("department_id", v)).transpose()?;
    let target = match (to_agent, to_dept) {
        (Some(agent_id), department_id) => Target::Agent { agent_id, department_id },
        (None, Some(d)) => Target::Department(d),
        (None, None) => return Err(Error::missing("agent_id or department_id")),
    };
    let v = conversations::transfer(ctx.app, &agent, &id, &target)?;
    Ok(Response::json(&conversation_json(&v)))
}

fn close(ctx: &Ctx, id: &str) -> Result<Response> {
    let (agent, _) = current_agent(ctx)?;
    let v = conversations::close(ctx.app, &agent, &path_id("id", id)?)?;
    Ok(Response::json(&conversation_json(&v)))
}

fn list_messages(ctx: &Ctx, id: &str) -> Result<Response> {
    current_agent(ctx)?;
    let id = path_id("id", id)?;
    let cursor = |name: &str| query(ctx.req, name).map(|v| parse_uuid(name, &v).map_err(Error::in_query)).transpose();
    let page = match (cursor("after")?, cursor("before")?) {
        (Some(_), Some(_)) => return Err(Error::query("after", "cannot be combined with before")),
        (Some(a), None) => Page::After(a),
        (None, Some(b)) => Page::Before(b),
        (None, None) => Page::Latest,
    };
    let limit = query_int(ctx.req, "limit", 50, 1, 100)?;
    let msgs = inbox::messages(ctx.app, &id, &page, limit)?;
    let items: Vec<Value> = msgs.iter().map(message_json).collect();
    Ok(Response::json(&json!({ "messages": items })))
}

fn post_message(ctx: &Ctx, id: &str) -> Result<Response> {
    let (agent, _) = current_agent(ctx)?;
    let id = path_id("id", id)?;
    let b = Body::read(ctx.req)?;
    let text = MessageText::parse("message", b.str("message")?.ok_or_else(|| Error::missing("message"))?)?;
    let client_id = b.str("client_id")?.map(|c| parse_uuid("client_id", c)).transpose()?;
    let sent = conversations::send(ctx.app, &agent, &id, &text, client_id.as_deref())?;
    Ok(Response::json(&message_json(&sent.message)).with_status_code(if sent.created { 201 } else { 200 }))
}

fn typing(ctx: &Ctx, id: &str) -> Result<Response> {
    let (agent, _) = current_agent(ctx)?;
    let id = path_id("id", id)?;
    let b = Body::read(ctx.req)?;
    let typing = b.bool("typing")?.ok_or_else(|| Error::missing("typing"))?;
    conversations::typing(ctx.app, &agent, &id, typing)?;
    Ok(Response::empty_204())
}

fn list_agents(ctx: &Ctx) -> Result<Response> {
    admin(ctx)?;
    let all = ctx.app.db.read(crate::store::agents::list)?;
    let items = all.iter().map(|a| agent_json(ctx, a)).collect::<Result<Vec<Value>>>()?;
    Ok(Response::json(&json!({ "agents": items })))
}

fn get_agent(ctx: &Ctx, id: &str) -> Result<Response> {
    admin(ctx)?;
    let id = path_id("agent_id", id)?;
    let a = ctx.app.db.read(|c| crate::store::agents::get(c, &id))?.ok_or(Error::NotFound("Agent"))?;
    Ok(Response::json(&agent_json(ctx, &a)?))
}

/// `department_id` of a body: a UUID, or `null`/absent.
fn opt_department(b: &Body) -> Result<Option<String>> {
    b.str("department_id")?.map(|d| parse_uuid("department_id", d)).transpose()
}

fn create_agent(ctx: &Ctx) -> Result<Response> {
    admin(ctx)?;
    let b = Body::read(ctx.req)?;
    let input = AgentInput {
        email: b.req_str("email")?.to_string(),
        name: b.req_str("name")?.to_string(),
        password: b.req_str("password")?.to_string(),
        number: b.int("number")?,
        department_id: opt_department(&b)?,
        max_chats: b.int("max_chats")?,
        role: b.str("role")?.map(|r| AgentRole::parse("role", r)).transpose()?,
    };
    let agent = ctx.app.db.write(|tx| agents::create(tx, &input))?;
    Ok(Response::json(&agent_json(ctx, &agent)?).with_status_code(201))
}

fn patch_agent(ctx: &Ctx, id: &str) -> Result<Response> {
    let by = admin(ctx)?;
    let id = path_id("agent_id", id)?;
    let b = Body::read(ctx.req)?;
    let change = AgentChange {
        name: b.str("name")?.map(str::to_string),
        department_id: if b.has("department_id") { Some(opt_department(&b)?) } else { None },
        role: b.str("role")?.map(|r| AgentRole::parse("role", r)).transpose()?,
        max_chats: b.int("max_chats")?,
        disabled: b.bool("disabled")?,
        password: b.str("password")?.map(str::to_string),
    };
    let agent = agents::change(ctx.app, &by, &id, &change)?;
    Ok(Response::json(&agent_json(ctx, &agent)?))
}

fn list_departments(ctx: &Ctx) -> Result<Response> {
    admin(ctx)?;
    let all = ctx.app.db.read(departments::list)?;
    Ok(Response::json(&json!({ "departments": all })))
}

fn create_department(ctx: &Ctx) -> Result<Response> {
    admin(ctx)?;
    let b = Body::read(ctx.req)?;
    let name = crate::domain::parse_text("name", b.req_str("name")?, 255)?;
    let d = ctx.app.db.write(|tx| {
        if departments::by_name(tx, &name)?.is_some() {
            return Err(Error::Conflict(format!("Department {name:?} already exists")));
        }
        departments::insert(tx, &name)
    })?;
    Ok(Response::json(&json!({ "id": d.id, "name": d.name })).with_status_code(201))
}
