//! What one socket is shown: which hub events reach it and how each becomes a frame
//! `{"type": …, "data": …}` in the shape of the socket's API family. The HTTP layer supplies
//! the family's renderers, so this module knows the events but not the families' JSON.

use crate::domain::SenderType;
use crate::error::Result;
use crate::hub::{Event, Topic};
use crate::service::App;
use crate::store::messages::Message;
use crate::store::sessions::{self, Session};
use rusqlite::Connection;
use serde_json::{json, Value};
use std::collections::HashMap;
use std::sync::Arc;

/// A family's JSON shapes for the two events that carry rows.
#[derive(Clone, Copy)]
pub struct Render {
    /// `message.created` data.
    pub message: fn(&Message) -> Value,
    /// `session.updated` data, from the session as it is now.
    pub session: fn(&Connection, Session) -> Result<Value>,
    /// Whether that data shows `queue_position`: then a waiting session's socket gets a
    /// `session.updated` whenever its place in the queue changes.
    pub queue_position: bool,
}

/// Whose events a socket gets.
pub enum Scope {
    /// A visitor's or tenant client's socket on one session. `last_seq` is the last message
    /// sent (or replayed); live messages at or below it were already seen. `position` is the
    /// queue position last shown.
    Session { id: String, last_seq: i64, position: Option<i64> },
    /// An agent console: every session's status changes and the queue; messages and typing
    /// of the agent's own and waiting conversations (all of them for admins).
    Console { agent_id: String, admin: bool },
}

pub struct Feed {
    pub scope: Scope,
    pub render: Render,
    /// Messages to send before anything live (`after=` on connect), oldest first.
    pub replay: Vec<Message>,
}

/// Frames rendered during one pass of a writer thread, shared by its sockets: an agent
/// console's `session.updated` costs database reads, and every console shows it alike.
#[derive(Default)]
pub struct RenderCache {
    frames: HashMap<CacheKey, Cached>,
}

/// (event address, renderer address).
type CacheKey = (usize, usize);
/// The event (held, so its address stays unique while cached) and its frame, if shown.
type Cached = (Arc<Event>, Option<Arc<str>>);

impl RenderCache {
    pub fn clear(&mut self) {
        self.frames.clear();
    }
}

/// `{"type": t, "data": data}` as text.
pub fn frame(t: &str, data: Value) -> String {
    json!({ "type": t, "data": data }).to_string()
}

/// The heartbeat frame.
pub const PING: &str = r#"{"type":"ping"}"#;

impl Feed {
    pub fn topic(&self) -> Topic {
        match &self.scope {
            Scope::Session { id, .. } => Topic::Session(id.clone()),
            Scope::Console { .. } => Topic::Agents,
        }
    }

    /// The replay's frames; afterwards live messages up to the last replayed one are skipped.
    pub fn take_replay(&mut self) -> Vec<String> {
        let replay = std::mem::take(&mut self.replay);
        if let (Scope::Session { last_seq, .. }, Some(last)) = (&mut self.scope, replay.last()) {
            *last_seq = (*last_seq).max(last.seq);
        }
        replay.iter().map(|m| frame("message.created", (self.render.message)(m))).collect()
    }

    /// The `session.updated` frame for a new queue position, when this socket shows one and
    /// it changed. `positions`: waiting session id → position.
    pub fn position_frame(&mut self, app: &App, positions: &HashMap<String, i64>) -> Option<String> {
        let Scope::Session { id, position, .. } = &mut self.scope else { return None };
        if !self.render.queue_position {
            return None;
        }
        let now = positions.get(id.as_str()).copied();
        if now == *position || now.is_none() {
            *position = now;
            return None;
        }
        *position = now;
        session_frame(app, self.render, id)
    }

    /// The frame this socket shows for `ev`, if any.
    pub fn frame_for(&mut self, app: &App, ev: &Arc<Event>, cache: &mut RenderCache) -> Option<Arc<str>> {
        if !self.wants(ev) {
            return None;
        }
        let key = (Arc::as_ptr(ev) as usize, self.render.session as usize ^ (self.render.message as usize).rotate_left(1));
        if let Some((_, f)) = cache.frames.get(&key) {
            return f.clone();
        }
        let f = render(app, self.render, ev).map(Arc::from);
        cache.frames.insert(key, (Arc::clone(ev), f.clone()));
        f
    }

    /// Whether this socket shows `ev` (and, for messages, records it as seen).
    fn wants(&mut self, ev: &Event) -> bool {
        match (&mut self.scope, ev) {
            (Scope::Session { last_seq, .. }, Event::MessageCreated { message, .. }) => {
                if message.seq <= *last_seq {
                    return false; // already replayed or sent
                }
                *last_seq = message.seq;
                true
            }
            // the visitor's own typing is not echoed back
            (Scope::Session { .. }, Event::Typing { sender_type, .. }) => *sender_type != SenderType::Customer,
            (Scope::Session { .. }, Event::SessionUpdated { .. }) => true,
            (Scope::Session { .. }, Event::QueueUpdated { .. }) => false,
            (Scope::Console { .. }, Event::SessionUpdated { .. } | Event::QueueUpdated { .. }) => true,
            (Scope::Console { agent_id, admin }, Event::MessageCreated { session, .. }) => {
                *admin || session.agent_id.is_none() || session.agent_id.as_deref() == Some(agent_id.as_str())
            }
            (Scope::Console { agent_id, admin }, Event::Typing { session, sender_type, .. }) => {
                *sender_type != SenderType::Agent
                    && (*admin || session.agent_id.as_deref() == Some(agent_id.as_str()))
            }
        }
    }
}

fn render(app: &App, r: Render, ev: &Event) -> Option<String> {
    match ev {
        Event::MessageCreated { message, .. } => Some(frame("message.created", (r.message)(message))),
        Event::SessionUpdated { session } => session_frame(app, r, &session.id),
        Event::Typing { session, typing, sender_type, name } => Some(frame(
            "typing",
            json!({ "session_id": session.id, "typing": typing, "sender_type": sender_type.as_str(), "name": name }),
        )),
        Event::QueueUpdated { waiting } => Some(frame("queue.updated", json!({ "waiting": waiting }))),
    }
}

/// `session.updated` with the session as it is now.
fn session_frame(app: &App, r: Render, id: &str) -> Option<String> {
    let data = app.db.read(|c| match sessions::get(c, id)? {
        Some(s) => (r.session)(c, s).map(Some),
        None => Ok(None),
    });
    match data {
        Ok(Some(d)) => Some(frame("session.updated", d)),
        Ok(None) => None,
        Err(e) => {
            log::warn!("socket: cannot render session {id}: {e}");
            None
        }
    }
}
