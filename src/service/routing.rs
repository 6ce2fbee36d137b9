//! The one routing rule (SPEC §4): a conversation goes to the least-loaded online agent of
//! its department (any department when it names none) with free capacity; otherwise it
//! waits in the queue (priority, then age) and is assigned as capacity frees.

use super::{sref, App};
use crate::config::Routing;
use crate::error::Result;
use crate::hub::Event;
use crate::store::{agents, sessions};
use crate::store::sessions::Session;
use rusqlite::Connection;

/// How many waiting sessions one drain looks at; the rest wait for the next drain.
const DRAIN_BATCH: i64 = 500;

/// Assigns `s` (waiting) to a free agent when auto-routing finds one. Updates `s`.
pub fn try_assign(c: &Connection, app: &App, s: &mut Session) -> Result<bool> {
    if app.config.routing == Routing::Manual {
        return Ok(false);
    }
    let Some(agent) = agents::least_loaded_free(c, s.department_id.as_deref())? else {
        return Ok(false);
    };
    assign(c, s, &agent.id)?;
    Ok(true)
}

/// Assigns `s` to `agent_id` (status `active`).
pub fn assign(c: &Connection, s: &mut Session, agent_id: &str) -> Result<()> {
    sessions::set_agent(c, &s.id, Some(agent_id))?;
    agents::mark_assigned(c, agent_id)?;
    s.agent_id = Some(agent_id.to_string());
    s.status = crate::domain::Status::Active;
    Ok(())
}

/// Offers waiting conversations to free agents, in queue order. Returns the events to
/// publish after commit (one per assignment, then the queue size).
pub fn drain_queue(c: &Connection, app: &App) -> Result<Vec<Event>> {
    drain_queue_except(c, app, None)
}

/// `drain_queue`, leaving `skip` waiting (a conversation just transferred away from an agent
/// must not go straight back to them).
pub fn drain_queue_except(c: &Connection, app: &App, skip: Option<&str>) -> Result<Vec<Event>> {
    let mut events = Vec::new();
    if app.config.routing == Routing::Manual {
        return Ok(events);
    }
    for mut s in sessions::queue(c, DRAIN_BATCH)? {
        if Some(s.id.as_str()) == skip {
            continue;
        }
        if agents::online_count(c, None)? == 0 {
            break;
        }
        if try_assign(c, app, &mut s)? {
            events.push(Event::SessionUpdated { session: sref(&s) });
        }
    }
    if !events.is_empty() {
        events.push(queue_event(c)?);
    }
    Ok(events)
}

pub fn queue_event(c: &Connection) -> Result<Event> {
    Ok(Event::QueueUpdated { waiting: sessions::waiting_count(c)? })
}
