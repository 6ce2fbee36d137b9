//! Real-time fan-out. Every write path publishes here after its transaction commits;
//! long-polls and WebSocket writers subscribe. A subscriber that falls behind is dropped
//! (it reconnects with its last seen message id and catches up from the database), so a
//! slow client never stalls a publisher or the other subscribers.

use crate::domain::{Family, SenderType};
use crate::store::messages::Message;
use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::mpsc::{sync_channel, Receiver, SyncSender, TrySendError};
use std::sync::{Arc, Mutex};

/// Events a subscriber can hold before it counts as too slow and is dropped.
const SUBSCRIBER_BUFFER: usize = 256;

/// Which session an event belongs to, and to whom that session is visible.
#[derive(Debug, Clone, PartialEq)]
pub struct SessionRef {
    pub id: String,
    pub family: Family,
    pub tenant_id: Option<i64>,
    pub agent_id: Option<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Event {
    MessageCreated { session: SessionRef, message: Message },
    /// Status, assignment, department or contact changed; subscribers re-read the session.
    SessionUpdated { session: SessionRef },
    Typing { session: SessionRef, typing: bool, sender_type: SenderType, name: Option<String> },
    /// The waiting queue changed (for agents).
    QueueUpdated { waiting: i64 },
}

impl Event {
    pub fn session(&self) -> Option<&SessionRef> {
        match self {
            Event::MessageCreated { session, .. }
            | Event::SessionUpdated { session }
            | Event::Typing { session, .. } => Some(session),
            Event::QueueUpdated { .. } => None,
        }
    }
}

/// What a subscriber listens to.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Topic {
    /// One session (visitor, tenant client, long-poll).
    Session(String),
    /// Everything (agent consoles; they filter what they show).
    Agents,
}

struct Sub {
    topic: Topic,
    tx: SyncSender<Arc<Event>>,
}

#[derive(Default)]
pub struct Hub {
    subs: Mutex<HashMap<Topic, HashMap<u64, SyncSender<Arc<Event>>>>>,
    next_id: AtomicU64,
    closed: AtomicBool,
    published: AtomicU64,
    dropped_slow: AtomicU64,
}

/// A live subscription; dropping it unsubscribes.
pub struct Subscription {
    hub: Arc<Hub>,
    id: u64,
    topic: Topic,
    pub rx: Receiver<Arc<Event>>,
}

impl Drop for Subscription {
    fn drop(&mut self) {
        self.hub.remove(&self.topic, self.id);
    }
}

impl Hub {
    pub fn new() -> Arc<Hub> {
        Arc::new(Hub::default())
    }

    pub fn subscribe(self: &Arc<Hub>, topic: Topic) -> Subscription {
        let (tx, rx) = sync_channel(SUBSCRIBER_BUFFER);
        let id = self.next_id.fetch_add(1, Ordering::Relaxed);
        let sub = Sub { topic: topic.clone(), tx };
        if !self.closed.load(Ordering::SeqCst) {
            let mut subs = self.subs.lock().unwrap_or_else(|p| p.into_inner());
            subs.entry(sub.topic).or_default().insert(id, sub.tx);
        } // once closed, the sender drops here and the receiver sees the hub is gone
        Subscription { hub: Arc::clone(self), id, topic, rx }
    }

    fn remove(&self, topic: &Topic, id: u64) {
        let mut subs = self.subs.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(m) = subs.get_mut(topic) {
            m.remove(&id);
            if m.is_empty() {
                subs.remove(topic);
            }
        }
    }

    /// Sends `event` to its session's subscribers and to the agents.
    pub fn publish(&self, event: Event) {
        let event = Arc::new(event);
        self.published.fetch_add(1, Ordering::Relaxed);
        let mut subs = self.subs.lock().unwrap_or_else(|p| p.into_inner());
        let mut topics = vec![Topic::Agents];
        if let Some(s) = event.session() {
            topics.push(Topic::Session(s.id.clone()));
        }
        for topic in topics {
            let Some(m) = subs.get_mut(&topic) else { continue };
            m.retain(|_, tx| match tx.try_send(Arc::clone(&event)) {
                Ok(()) => true,
                Err(TrySendError::Full(_)) => {
                    self.dropped_slow.fetch_add(1, Ordering::Relaxed);
                    false
                }
                Err(TrySendError::Disconnected(_)) => false,
            });
            if m.is_empty() {
                subs.remove(&topic);
            }
        }
    }

    /// Ends every subscription (shutdown): waiting long-polls return, socket writers close.
    pub fn close(&self) {
        self.closed.store(true, Ordering::SeqCst);
        self.subs.lock().unwrap_or_else(|p| p.into_inner()).clear();
    }

    pub fn is_closed(&self) -> bool {
        self.closed.load(Ordering::SeqCst)
    }

    /// (subscribers, events published, subscribers dropped for being slow) for /metrics.
    pub fn stats(&self) -> (usize, u64, u64) {
        let n = self.subs.lock().unwrap_or_else(|p| p.into_inner()).values().map(HashMap::len).sum();
        (n, self.published.load(Ordering::Relaxed), self.dropped_slow.load(Ordering::Relaxed))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    fn sref(id: &str) -> SessionRef {
        SessionRef { id: id.into(), family: Family::Oss, tenant_id: None, agent_id: None }
    }

    #[test]
    fn delivers_by_topic_and_unsubscribes_on_drop() {
        let hub = Hub::new();
        let a = hub.subscribe(Topic::Session("a".into()));
        let agents = hub.subscribe(Topic::Agents);
        hub.publish(Event::SessionUpdated { session: sref("b") });
        hub.publish(Event::SessionUpdated { session: sref("a") });
        let got = a.rx.recv_timeout(Duration::from_millis(100)).expect("event for a");
        assert_eq!(got.session().map(|s| s.id.as_str()), Some("a"));
        assert!(a.rx.try_recv().is_err());
        assert_eq!(agents.rx.try_iter().count(), 2);
        drop(a);
        assert_eq!(hub.stats().0, 1);
    }

    #[test]
    fn slow_subscriber_is_dropped_not_waited_for() {
        let hub = Hub::new();
        let slow = hub.subscribe(Topic::Session("s".into()));
        for _ in 0..SUBSCRIBER_BUFFER + 1 {
            hub.publish(Event::SessionUpdated { session: sref("s") });
        }
        assert_eq!(slow.rx.try_iter().count(), SUBSCRIBER_BUFFER);
        assert!(slow.rx.recv_timeout(Duration::from_millis(10)).is_err());
        assert_eq!(hub.stats().2, 1);
    }

    #[test]
    fn close_wakes_waiters() {
        let hub = Hub::new();
        let s = hub.subscribe(Topic::Session("s".into()));
        hub.close();
        assert!(matches!(
            s.rx.recv_timeout(Duration::from_secs(1)),
            Err(std::sync::mpsc::RecvTimeoutError::Disconnected)
        ));
    }
}
