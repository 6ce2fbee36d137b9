//! Use cases. Each one runs in one SQLite transaction (`Db::write`) and publishes its
//! events to the hub only after the commit, so no client sees what was not stored.

pub mod agents;
pub mod conversations;
pub mod inbox;
pub mod janitor;
pub mod messages;
pub mod oss;
pub mod routing;
pub mod search;
pub mod sessions;
pub mod tenant;
pub mod tokens;
pub mod view;

use crate::config::Config;
use crate::db::Db;
use crate::hub::{Event, Hub, SessionRef};
use crate::store::sessions::Session;
use std::sync::{Arc, Mutex};

/// The shared state every handler works with.
pub struct App {
    pub db: Db,
    pub hub: Arc<Hub>,
    pub config: Config,
    /// First-run setup code, while no agent exists (SPEC §4).
    pub setup_code: Mutex<Option<String>>,
    /// Per-IP request limit; `None` when turned off.
    pub limiter: Option<crate::http::limit::Limiter>,
    /// WebSocket connections and their writer threads.
    pub realtime: crate::realtime::Realtime,
}

impl App {
    pub fn new(config: Config) -> crate::error::Result<App> {
        let db = Db::open(&config.db, config.synchronous)?;
        let limiter = config.rate_limit.map(crate::http::limit::Limiter::new);
        let realtime = crate::realtime::Realtime::new(config.max_sockets, config.ws_heartbeat);
        Ok(App { db, hub: Hub::new(), config, setup_code: Mutex::new(None), limiter, realtime })
    }

    pub fn publish_all(&self, events: Vec<Event>) {
        for e in events {
            self.hub.publish(e);
        }
    }
}

pub fn sref(s: &Session) -> SessionRef {
    SessionRef { id: s.id.clone(), family: s.family, tenant_id: s.tenant_id, agent_id: s.agent_id.clone() }
}
