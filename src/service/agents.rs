//! Agents: creating them, logging in, presence (SPEC §4).

use super::{routing, sref, App};
use crate::auth;
use crate::domain::{now, fmt_time, parse_email, parse_text, AgentRole, Presence};
use crate::error::{Error, Result};
use crate::hub::Event;
use crate::store::agents::{self, Agent, NewAgent};
use crate::store::{agent_tokens, departments, sessions};
use rusqlite::Connection;

/// How long an agent login lasts.
pub const LOGIN_DAYS: i64 = 7;

/// Default concurrent chats per agent.
pub const DEFAULT_MAX_CHATS: i64 = 5;

/// Everything `obrol agent add` and `POST /api/agent/agents` take.
#[derive(Debug, Clone, Default)]
pub struct AgentInput {
    pub email: String,
    pub name: String,
    pub password: String,
    pub number: Option<i64>,
    pub department_id: Option<String>,
    pub max_chats: Option<i64>,
    pub role: Option<AgentRole>,
}

/// Validates and stores a new agent (the password hashed with argon2).
pub fn create(c: &Connection, input: &AgentInput) -> Result<Agent> {
    let email = parse_email("email", &input.email)?;
    let name = parse_text("name", &input.name, 255)?;
    let password_hash = auth::hash_password(&input.password)?;
    if agents::by_email_with_hash(c, &email)?.is_some() {
        return Err(Error::Conflict(format!("An agent with e-mail {email} already exists")));
    }
    let number = match input.number {
        Some(n) if n < 1 => return Err(Error::field("number", "must be a positive whole number")),
        Some(n) if agents::by_number(c, n)?.is_some() => {
            return Err(Error::Conflict(format!("Agent number {n} is taken")))
        }
        Some(n) => n,
        None => agents::next_number(c)?,
    };
    if let Some(d) = &input.department_id {
        if departments::get(c, d)?.is_none() {
            return Err(Error::field("department_id", "does not name a department"));
        }
    }
    let max_chats = crate::domain::check_range("max_chats", input.max_chats.unwrap_or(DEFAULT_MAX_CHATS), 1, 1000)?;
    agents::insert(
        c,
        &NewAgent {
            number,
            name,
            email,
            password_hash,
            department_id: input.department_id.clone(),
            role: input.role.unwrap_or(AgentRole::Agent),
            max_chats,
        },
    )
}

/// Checks credentials and issues a login token. Disabled agents fail like wrong passwords.
pub fn login(app: &App, email: &str, password: &str) -> Result<(String, String, Agent)> {
    let denied = || Error::Unauthorized("Invalid email or password".into());
    let (agent, hash) = app.db.read(|c| agents::by_email_with_hash(c, email.trim()))?.ok_or_else(denied)?;
    if agent.disabled || !auth::verify_password(password, &hash) {
        return Err(denied());
    }
    let token = auth::new_token("obrol_agent");
    let expires_at = fmt_time(chrono::Utc::now() + chrono::Duration::days(LOGIN_DAYS));
    app.db.write(|tx| agent_tokens::insert(tx, &auth::token_hash(&token), &agent.id, &now(), &expires_at))?;
    Ok((token, expires_at, agent))
}

/// The agent behind a console token (401 when unknown, expired or disabled).
pub fn authenticate(app: &App, token: &str) -> Result<Agent> {
    let denied = || Error::Unauthorized("Invalid or expired token".into());
    app.db.read(|c| {
        let id = agent_tokens::user_of(c, &auth::token_hash(token), &now())?.ok_or_else(denied)?;
        agents::get(c, &id)?.filter(|a| !a.disabled).ok_or_else(denied)
    })
}

/// Ends a login; the agent goes offline when it was their last.
pub fn logout(app: &App, agent: &Agent, token: &str) -> Result<()> {
    let hash = auth::token_hash(token);
    app.db.write(|tx| agent_tokens::delete(tx, &hash))?;
    app.realtime.close_consoles(&agent.id, Some(&hash));
    app.realtime.consoles.forget(&agent.id);
    set_presence(app, &agent.id, Presence::Offline)
}

/// Sets presence. Going online offers the queue; going offline returns the agent's active
/// chats to the queue (never lost) and offers them to others.
pub fn set_presence(app: &App, agent_id: &str, p: Presence) -> Result<()> {
    let events = app.db.write(|tx| presence_in_tx(tx, app, agent_id, p))?;
    app.publish_all(events);
    Ok(())
}

pub fn presence_in_tx(c: &Connection, app: &App, agent_id: &str, p: Presence) -> Result<Vec<Event>> {
    agents::set_presence(c, agent_id, p)?;
    let mut events = Vec::new();
    if p == Presence::Offline {
        for s in sessions::active_for_agent(c, agent_id)? {
            sessions::set_agent(c, &s.id, None)?;
            let mut back = s.clone();
            back.agent_id = None;
            back.status = crate::domain::Status::Waiting;
            events.push(Event::SessionUpdated { session: sref(&back) });
        }
    }
    events.extend(routing::drain_queue(c, app)?);
    events.push(routing::queue_event(c)?);
    Ok(events)
}

/// The agent chose a presence (`PUT /presence`): it is stored, and auto-away's timers for
/// them are forgotten.
pub fn choose_presence(app: &App, agent_id: &str, p: Presence) -> Result<()> {
    app.realtime.consoles.forget(agent_id);
    set_presence(app, agent_id, p)
}

/// Auto-away: an `online` agent whose consoles are all gone becomes `away` (keeping chats).
pub fn auto_away(app: &App, agent_id: &str) -> Result<()> {
    let events = app.db.write(|tx| match agents::get(tx, agent_id)? {
        Some(a) if a.status == Presence::Online => presence_in_tx(tx, app, agent_id, Presence::Away),
        _ => Ok(Vec::new()),
    })?;
    if !events.is_empty() {
        log::info!("agent {agent_id} set away: console gone for {:?}", app.config.away_after);
    }
    app.publish_all(events);
    Ok(())
}

/// A console socket opened after auto-away set its agent away: back online.
pub fn back_from_auto_away(app: &App, agent_id: &str) -> Result<()> {
    let events = app.db.write(|tx| match agents::get(tx, agent_id)? {
        Some(a) if a.status == Presence::Away && !a.disabled => presence_in_tx(tx, app, agent_id, Presence::Online),
        _ => Ok(Vec::new()),
    })?;
    app.publish_all(events);
    Ok(())
}

/// What an admin may change on an agent (`PATCH /agents/{id}`); `None` leaves it.
#[derive(Debug, Clone, Default)]
pub struct AgentChange {
    pub name: Option<String>,
    pub department_id: Option<Option<String>>,
    pub role: Option<AgentRole>,
    pub max_chats: Option<i64>,
    pub disabled: Option<bool>,
    pub password: Option<String>,
}

/// Applies an admin's change. Disabling ends the agent's logins and sockets and returns
/// their chats to the queue; more capacity or another department offers the queue again.
/// The last enabled admin cannot be demoted or disabled (nobody could administer then).
pub fn change(app: &App, by: &Agent, id: &str, ch: &AgentChange) -> Result<Agent> {
    let password_hash = ch.password.as_deref().map(auth::hash_password).transpose()?;
    let name = ch.name.as_deref().map(|n| parse_text("name", n, 255)).transpose()?;
    if let Some(m) = ch.max_chats {
        crate::domain::check_range("max_chats", m, 1, 1000)?;
    }
    let (agent, events) = app.db.write(|tx| {
        let current = agents::get(tx, id)?.ok_or(Error::NotFound("Agent"))?;
        if let Some(Some(d)) = &ch.department_id {
            if departments::get(tx, d)?.is_none() {
                return Err(Error::field("department_id", "does not name a department"));
            }
        }
        let loses_admin = current.role == AgentRole::Admin
            && (ch.role == Some(AgentRole::Agent) || ch.disabled == Some(true))
            && !current.disabled;
        if loses_admin && agents::other_admins(tx, id)? == 0 {
            return Err(Error::Conflict("This is the last admin: make another admin first".into()));
        }
        if ch.disabled == Some(true) && by.id == id {
            return Err(Error::Conflict("You cannot disable yourself".into()));
        }
        agents::update(
            tx,
            id,
            &agents::AgentPatch {
                name,
                department_id: ch.department_id.clone(),
                role: ch.role,
                max_chats: ch.max_chats,
                disabled: ch.disabled,
            },
        )?;
        if let Some(h) = &password_hash {
            agents::set_password_hash(tx, id, h)?;
        }
        let mut events = Vec::new();
        if ch.disabled == Some(true) && !current.disabled {
            agent_tokens::delete_for_user(tx, id)?;
            events = presence_in_tx(tx, app, id, Presence::Offline)?;
        } else if ch.max_chats.is_some() || ch.department_id.is_some() {
            events = routing::drain_queue(tx, app)?;
        }
        Ok((agents::get(tx, id)?.ok_or(Error::NotFound("Agent"))?, events))
    })?;
    if agent.disabled {
        app.realtime.close_consoles(&agent.id, None);
    }
    app.publish_all(events);
    Ok(agent)
}
