//! The agent API (SPEC §4) under `/api/agent`; errors in the seed-000 shape.

use super::body::Body;
use super::{error, only, Ctx};
use crate::domain::{AgentRole, Presence};
use crate::error::{Error, Result};
use crate::service::agents::{self, AgentInput};
use crate::store::agents::Agent;
use crate::store::departments;
use rouille::Response;
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
    agents::set_presence(ctx.app, &agent.id, p)?;
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
