//! WebSocket endpoints (SPEC §4): push-only sockets fed by the hub, one per family.
//! Browsers cannot set headers on a WebSocket, so identity travels in the query string, and
//! each endpoint applies the same authorization as the family's REST calls. The handler
//! subscribes to the hub *before* it reads the replay cursor and the session's last message,
//! so every message committed after the handshake is either replayed or delivered live.

use super::body::query;
use super::{agent as agent_api, oss as oss_api, Ctx};
use crate::auth;
use crate::domain::parse_uuid;
use crate::error::{Error, Result};
use crate::hub::Topic;
use crate::realtime::feed::{Feed, Render, Scope};
use crate::service::messages::cursor_seq;
use crate::service::oss::{owned_session, Identity};
use crate::service::{agents, view};
use crate::store::{messages, sessions};
use crate::store::sessions::Session;
use rouille::Response;
use rusqlite::Connection;

/// The OSS family's renderers (`http::oss` shapes).
pub const OSS: Render = Render { message: oss_api::message_json, session: oss_session, queue_position: true };

/// The agent console's renderers (`http::agent` shapes).
pub const AGENT: Render = Render { message: agent_api::message_json, session: agent_api::conversation_value, queue_position: false };

fn oss_session(c: &Connection, s: Session) -> Result<serde_json::Value> {
    Ok(oss_api::session_json(&view::load(c, s)?))
}

/// The 101 answer, or 400 when the request is not a WebSocket handshake.
fn handshake(ctx: &Ctx) -> Result<Response> {
    rouille::websocket::start(ctx.req, None::<&str>)
        .map(|(response, _)| response) // the upgrade hook is replaced by ours
        .map_err(|_| Error::BadRequest("Expected a WebSocket upgrade request (GET with Upgrade: websocket)".into()))
}

/// `GET /api/chat/session/{id}/ws?browser_uuid=…|oss_user_id=…&user_hash=…[&after=<message id>]`:
/// the visitor's socket, with the ownership rules of the OSS REST calls (another's session
/// is 404; a missing or wrong `user_hash` is 401 when verification is on).
pub fn visitor(ctx: &Ctx, session_id: &str) -> Result<Response> {
    let session_id = parse_uuid("session_id", session_id)?;
    let who = visitor_identity(ctx)?;
    let after = after_param(ctx)?;
    let session = ctx.app.db.read(|c| owned_session(c, ctx.app, &who, &session_id))?;
    session_socket(ctx, session, OSS, after.as_deref())
}

fn visitor_identity(ctx: &Ctx) -> Result<Identity> {
    let oss_user_id = query(ctx.req, "oss_user_id");
    let browser_uuid = query(ctx.req, "browser_uuid");
    match (oss_user_id, browser_uuid) {
        (Some(id), _) => Ok(Identity::Account { oss_user_id: id, user_hash: query(ctx.req, "user_hash") }),
        (None, Some(b)) => Ok(Identity::Browser(parse_uuid("browser_uuid", &b).map_err(Error::in_query)?)),
        (None, None) => Err(Error::query("browser_uuid", "or oss_user_id is required")),
    }
}

fn after_param(ctx: &Ctx) -> Result<Option<String>> {
    query(ctx.req, "after").map(|a| parse_uuid("after", &a).map_err(Error::in_query)).transpose()
}

/// `GET /api/livechat/sessions/{id}/ws?access_token=…&tenant_id=…[&after=…]`: the tenant
/// client's socket. The tenant handler authenticates and resolves the session (its own
/// rules), then calls this with the family's renderers.
pub fn tenant(ctx: &Ctx, session: Session, render: Render, after: Option<&str>) -> Result<Response> {
    session_socket(ctx, session, render, after)
}

/// A socket on one session: replays what came after `after` (a message id of the session,
/// else 400), then everything live.
pub fn session_socket(ctx: &Ctx, session: Session, render: Render, after: Option<&str>) -> Result<Response> {
    let mut response = handshake(ctx)?;
    let mut pending = ctx.app.realtime.admit(ctx.req.remote_addr().to_owned())?;
    pending.listen(&ctx.app.hub, Topic::Session(session.id.clone()));
    // read only now that the subscription exists: nothing can fall in between
    let (after_seq, until, position) = ctx.app.db.read(|c| {
        let after_seq = match after {
            Some(id) => Some(cursor_seq(c, &session.id, "after", id).map_err(Error::in_query)?),
            None => None,
        };
        let position = match sessions::get(c, &session.id)? {
            Some(now) => sessions::queue_position(c, &now)?,
            None => None,
        };
        Ok((after_seq, messages::max_seq(c, &session.id)?, position))
    })?;
    // without a cursor, what was committed before the handshake is history, not news
    let last_seq = after_seq.unwrap_or(until);
    let replay_until = (last_seq < until).then_some(until);
    // the client knows the queue position from the REST call that gave it the session
    let feed = Feed { scope: Scope::Session { id: session.id, last_seq, position }, render, replay: Vec::new() };
    response.upgrade = Some(Box::new(pending.handover(feed, replay_until)));
    Ok(response)
}

/// `GET /api/agent/ws?access_token=…`: the agent console's socket. On reconnect the console
/// reloads its inbox over REST; there is no replay.
pub fn agent(ctx: &Ctx) -> Result<Response> {
    let token = query(ctx.req, "access_token")
        .or_else(|| agent_api::bearer(ctx))
        .ok_or_else(|| Error::Unauthorized("Missing access_token".into()))?;
    let agent = agents::authenticate(ctx.app, &token)?;
    let mut response = handshake(ctx)?;
    let mut pending = ctx.app.realtime.admit(ctx.req.remote_addr().to_owned())?;
    let (guard, was_auto_away) = ctx.app.realtime.consoles.opened(&agent.id, &auth::token_hash(&token));
    pending.console(guard);
    pending.listen(&ctx.app.hub, Topic::Agents);
    if was_auto_away {
        agents::back_from_auto_away(ctx.app, &agent.id)?;
    }
    let admin = agent.role == crate::domain::AgentRole::Admin;
    let feed = Feed { scope: Scope::Console { agent_id: agent.id, admin }, render: AGENT, replay: Vec::new() };
    response.upgrade = Some(Box::new(pending.handover(feed, None)));
    Ok(response)
}
