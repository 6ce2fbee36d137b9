//! What an agent does to a conversation of either family (SPEC §4): accept it from the
//! queue, transfer it to an agent or a department, close it, write in it, type. Each runs
//! in one transaction and publishes after commit, like every other write.

use super::inbox::conversation;
use super::messages::{send as send_message, Sent};
use super::{routing, sessions as lifecycle, sref, view, App};
use crate::config::Routing;
use crate::domain::{AgentRole, MessageText, Presence, SenderType, Status};
use crate::error::{Error, Result};
use crate::hub::Event;
use crate::store::agents::{self, Agent};
use crate::store::messages::Sender;
use crate::store::sessions::{self, Session};
use crate::store::departments;
use rusqlite::Connection;

fn is_admin(a: &Agent) -> bool {
    a.role == AgentRole::Admin
}

fn not_closed(s: &Session) -> Result<()> {
    if s.status == Status::Closed {
        return Err(Error::Conflict("Conversation is closed".into()));
    }
    Ok(())
}

/// The assignee, an admin, or anyone while the conversation waits in the queue.
fn may_manage(agent: &Agent, s: &Session) -> Result<()> {
    if is_admin(agent) || s.status == Status::Waiting || s.agent_id.as_deref() == Some(agent.id.as_str()) {
        Ok(())
    } else {
        Err(Error::Conflict("Conversation is assigned to another agent".into()))
    }
}

fn reload(c: &Connection, id: &str) -> Result<view::SessionView> {
    let s = sessions::get(c, id)?.ok_or(Error::NotFound("Conversation"))?;
    view::load(c, s)
}

/// The agent takes a waiting conversation (allowed over their `max_chats`: it is their choice).
pub fn accept(app: &App, agent: &Agent, id: &str) -> Result<view::SessionView> {
    let (v, events) = app.db.write(|tx| {
        let mut s = conversation(tx, id)?;
        not_closed(&s)?;
        if s.agent_id.as_deref() == Some(agent.id.as_str()) {
            return Ok((view::load(tx, s)?, Vec::new())); // already theirs
        }
        if s.status != Status::Waiting {
            return Err(Error::Conflict("Conversation is assigned to another agent".into()));
        }
        routing::assign(tx, &mut s, &agent.id)?;
        let events = vec![Event::SessionUpdated { session: sref(&s) }, routing::queue_event(tx)?];
        Ok((reload(tx, id)?, events))
    })?;
    app.publish_all(events);
    Ok(v)
}

/// Where a transfer goes.
#[derive(Debug, Clone)]
pub enum Target {
    /// This agent (who must be online), optionally moving the conversation to a department.
    Agent { agent_id: String, department_id: Option<String> },
    /// Back to the queue of this department, and (auto routing) on to its least-loaded
    /// online agent other than the one transferring.
    Department(String),
}

pub fn transfer(app: &App, agent: &Agent, id: &str, target: &Target) -> Result<view::SessionView> {
    let (v, events) = app.db.write(|tx| {
        let mut s = conversation(tx, id)?;
        not_closed(&s)?;
        may_manage(agent, &s)?;
        let previous = s.agent_id.clone();
        let mut events = Vec::new();
        match target {
            Target::Agent { agent_id, department_id } => {
                let to = agents::get(tx, agent_id)?
                    .filter(|a| !a.disabled)
                    .ok_or_else(|| Error::field("agent_id", "does not name an agent"))?;
                if let Some(d) = department_id {
                    if departments::get(tx, d)?.is_none() {
                        return Err(Error::field("department_id", "does not name a department"));
                    }
                    sessions::set_department(tx, &s.id, Some(d))?;
                    s.department_id = Some(d.clone());
                }
                if to.status != Presence::Online {
                    return Err(Error::Conflict(format!("{} is not online", to.name)));
                }
                if previous.as_deref() != Some(to.id.as_str()) {
                    routing::assign(tx, &mut s, &to.id)?;
                }
            }
            Target::Department(d) => {
                if departments::get(tx, d)?.is_none() {
                    return Err(Error::field("department_id", "does not name a department"));
                }
                sessions::set_department(tx, &s.id, Some(d))?;
                sessions::set_agent(tx, &s.id, None)?;
                s.department_id = Some(d.clone());
                s.agent_id = None;
                s.status = Status::Waiting;
                if app.config.routing == Routing::Auto {
                    if let Some(next) = agents::least_loaded_free_except(tx, Some(d), &agent.id)? {
                        routing::assign(tx, &mut s, &next.id)?;
                    }
                }
            }
        }
        events.push(Event::SessionUpdated { session: sref(&s) });
        if previous.is_some() && previous != s.agent_id {
            // the previous agent has room again (for other conversations than this one)
            events.extend(routing::drain_queue_except(tx, app, Some(&s.id))?);
        }
        events.push(routing::queue_event(tx)?);
        Ok((reload(tx, id)?, events))
    })?;
    app.publish_all(events);
    Ok(v)
}

/// Closes the conversation (the assignee, an admin, or anyone for a waiting one). Closing a
/// closed conversation changes nothing.
pub fn close(app: &App, agent: &Agent, id: &str) -> Result<view::SessionView> {
    let (v, events) = app.db.write(|tx| {
        let s = conversation(tx, id)?;
        if s.status == Status::Closed {
            return Ok((view::load(tx, s)?, Vec::new()));
        }
        may_manage(agent, &s)?;
        let events = lifecycle::close_in_tx(tx, app, &s, None)?;
        Ok((reload(tx, id)?, events))
    })?;
    app.publish_all(events);
    Ok(v)
}

/// The agent writes in a conversation assigned to them (409 otherwise). Repeating a
/// `client_id` returns the stored message.
pub fn send(app: &App, agent: &Agent, id: &str, text: &MessageText, client_id: Option<&str>) -> Result<Sent> {
    let from = Sender { kind: SenderType::Agent, agent_id: Some(agent.id.clone()), number: Some(agent.number) };
    send_message(
        app,
        id,
        &from,
        text,
        client_id,
        |_, s| {
            if s.status != Status::Closed && s.agent_id.as_deref() != Some(agent.id.as_str()) {
                return Err(Error::Conflict("Conversation is not assigned to you: accept it first".into()));
            }
            Ok(())
        },
        Error::Conflict("Conversation is closed".into()),
    )
    .map_err(|e| match e {
        Error::NotFound(_) => Error::NotFound("Conversation"),
        other => other,
    })
}

/// The agent is (not) typing in a conversation assigned to them; shown live to the visitor.
pub fn typing(app: &App, agent: &Agent, id: &str, typing: bool) -> Result<()> {
    let s = app.db.read(|c| conversation(c, id))?;
    not_closed(&s)?;
    if s.agent_id.as_deref() != Some(agent.id.as_str()) {
        return Err(Error::Conflict("Conversation is not assigned to you".into()));
    }
    app.hub.publish(Event::Typing { session: sref(&s), typing, sender_type: SenderType::Agent, name: Some(agent.name.clone()) });
    Ok(())
}
