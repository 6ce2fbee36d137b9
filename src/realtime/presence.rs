//! Which agents have a console socket open, for auto-away (SPEC §4): an agent whose console
//! sockets have all been gone for `--away-after` is set `away`. Agents who never opened a
//! socket (REST-only clients, or since the server started) are left as they are. When the
//! agent comes back (a console socket opens) after auto-away set them away, they are set
//! online again; an explicit `PUT /presence` forgets the timers (the agent's choice wins).

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

#[derive(Default)]
struct Console {
    open: usize,
    gone_since: Option<Instant>,
    /// Auto-away set this agent away and nothing has changed it since.
    auto_away: bool,
}

#[derive(Default)]
pub struct Consoles {
    state: Mutex<HashMap<String, Console>>,
}

/// Counts one open console socket; dropping it counts it closed.
pub struct ConsoleGuard {
    consoles: Arc<Consoles>,
    pub agent_id: String,
    /// The login token's hash, so logging out closes the sockets it opened.
    pub token_hash: String,
}

impl Drop for ConsoleGuard {
    fn drop(&mut self) {
        let mut st = self.consoles.state.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(c) = st.get_mut(&self.agent_id) {
            c.open = c.open.saturating_sub(1);
            if c.open == 0 {
                c.gone_since = Some(Instant::now());
            }
        }
    }
}

impl Consoles {
    /// A console socket of `agent_id` opens. Returns true when auto-away had set the agent
    /// away, so the caller sets them online again.
    pub fn opened(self: &Arc<Self>, agent_id: &str, token_hash: &str) -> (ConsoleGuard, bool) {
        let mut st = self.state.lock().unwrap_or_else(|p| p.into_inner());
        let c = st.entry(agent_id.to_string()).or_default();
        c.open += 1;
        c.gone_since = None;
        let was_auto_away = std::mem::take(&mut c.auto_away);
        let guard = ConsoleGuard { consoles: Arc::clone(self), agent_id: agent_id.into(), token_hash: token_hash.into() };
        (guard, was_auto_away)
    }

    /// The agent chose a presence: no timer or auto-away applies until a socket opens again.
    pub fn forget(&self, agent_id: &str) {
        let mut st = self.state.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(c) = st.get_mut(agent_id) {
            c.gone_since = None;
            c.auto_away = false;
            if c.open == 0 {
                st.remove(agent_id);
            }
        }
    }

    /// Agents whose consoles have all been gone for `after`; each is returned once and
    /// marked as set away automatically.
    pub fn due(&self, after: Duration) -> Vec<String> {
        let now = Instant::now();
        let mut st = self.state.lock().unwrap_or_else(|p| p.into_inner());
        let mut due = Vec::new();
        for (id, c) in st.iter_mut() {
            if c.open == 0 && c.gone_since.is_some_and(|t| now.duration_since(t) >= after) {
                c.gone_since = None;
                c.auto_away = true;
                due.push(id.clone());
            }
        }
        due
    }

    /// Open console sockets of an agent.
    pub fn open_count(&self, agent_id: &str) -> usize {
        self.state.lock().unwrap_or_else(|p| p.into_inner()).get(agent_id).map_or(0, |c| c.open)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn away_only_after_all_sockets_are_gone_long_enough() {
        let c = Arc::new(Consoles::default());
        let (a1, _) = c.opened("a", "t");
        let (a2, _) = c.opened("a", "t");
        drop(a1);
        assert!(c.due(Duration::ZERO).is_empty(), "one socket still open");
        drop(a2);
        assert!(c.due(Duration::from_secs(60)).is_empty(), "not long enough");
        assert_eq!(c.due(Duration::ZERO), vec!["a".to_string()]);
        assert!(c.due(Duration::ZERO).is_empty(), "reported once");
        let (_a3, was_away) = c.opened("a", "t");
        assert!(was_away);
        assert!(c.due(Duration::ZERO).is_empty());
    }

    #[test]
    fn agents_without_sockets_and_explicit_choices_are_left_alone() {
        let c = Arc::new(Consoles::default());
        assert!(c.due(Duration::ZERO).is_empty());
        let (g, _) = c.opened("b", "t");
        drop(g);
        c.forget("b");
        assert!(c.due(Duration::ZERO).is_empty());
    }
}
