//! Background upkeep: closes sessions idle for `--idle-close-after` with a system message,
//! so a forgotten session never blocks a tenant's next one.

use super::{sessions as lifecycle, App};
use crate::domain::fmt_time;
use crate::error::Result;
use crate::store::sessions;
use std::sync::Arc;
use std::time::Duration;

pub const IDLE_CLOSE_MESSAGE: &str = "Sesi ditutup otomatis karena tidak ada aktivitas. / Session closed after inactivity.";

/// One sweep; returns how many sessions it closed.
pub fn close_idle(app: &App) -> Result<usize> {
    let idle = chrono::Duration::from_std(app.config.idle_close_after).unwrap_or(chrono::Duration::days(1));
    let before = fmt_time(chrono::Utc::now() - idle);
    let stale = app.db.read(|c| sessions::idle_since(c, &before, 100))?;
    let mut closed = 0;
    for s in stale {
        // the system message must reach sockets in seq order, like every other message
        let _order = app.hub.message_order();
        let events = app.db.write(|tx| {
            // re-checked inside the write: a message may have arrived since the read
            if sessions::is_idle(tx, &s.id, &before)? {
                lifecycle::close_in_tx(tx, app, &s, Some(IDLE_CLOSE_MESSAGE))
            } else {
                Ok(Vec::new())
            }
        })?;
        if !events.is_empty() {
            closed += 1;
        }
        app.publish_all(events);
    }
    Ok(closed)
}

/// Runs the sweeps until the hub closes (shutdown).
pub fn spawn(app: Arc<App>) {
    let every = (app.config.idle_close_after / 10).clamp(Duration::from_millis(200), Duration::from_secs(60));
    std::thread::spawn(move || {
        while !app.hub.is_closed() {
            if let Err(e) = close_idle(&app) {
                log::warn!("idle-close sweep failed: {e}");
            }
            std::thread::sleep(every);
        }
    });
}
