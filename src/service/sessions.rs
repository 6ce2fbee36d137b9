//! Session life-cycle shared by every family: closing.

use super::{routing, sref, App};
use crate::domain::{now, SenderType};
use crate::error::Result;
use crate::hub::Event;
use crate::store::messages::{self, Sender};
use crate::store::sessions::{self, Session};
use rusqlite::Connection;

/// Closes `s` inside the caller's transaction, optionally leaving a system message, and
/// hands the freed capacity to the queue. Returns the events to publish after commit
/// (nothing when it was already closed).
pub fn close_in_tx(c: &Connection, app: &App, s: &Session, system_message: Option<&str>) -> Result<Vec<Event>> {
    let mut events = Vec::new();
    if let Some(text) = system_message {
        let from = Sender { kind: SenderType::System, agent_id: None, number: Some(0) };
        let m = messages::insert(c, &s.id, &from, text, None, &now())?;
        events.push(Event::MessageCreated { session: sref(s), message: m });
    }
    if !sessions::close(c, &s.id)? {
        return Ok(Vec::new());
    }
    let closed = sessions::get(c, &s.id)?.unwrap_or_else(|| s.clone());
    events.push(Event::SessionUpdated { session: sref(&closed) });
    events.extend(routing::drain_queue(c, app)?);
    events.push(routing::queue_event(c)?);
    Ok(events)
}
