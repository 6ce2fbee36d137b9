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

/// A function subscriber: called under the hub's lock, so it must only hand the event on
/// (never block); it returns false to be removed.
pub type SinkFn = Box<dyn Fn(&Arc<Event>) -> bool + Send + Sync>;

/// Where a subscriber's events go.
enum Target {
    /// A bounded channel (long-polls): when full, the subscriber is dropped.
    Channel(SyncSender<Arc<Event>>),
    /// A function (socket writers, which queue per socket and wake their thread).
    Sink(SinkFn),
}

#[derive(Default)]
pub struct Hub {
    subs: Mutex<HashMap<Topic, HashMap<u64, Target>>>,
    next_id: AtomicU64,
    closed: AtomicBool,
    published: AtomicU64,
    dropped_slow: AtomicU64,
    order: Mutex<()>,
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

/// A live function subscription; dropping it unsubscribes.
pub struct Listener {
    hub: Arc<Hub>,
    id: u64,
    topic: Topic,
}

impl Drop for Listener {
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
        // once closed, the sender drops at once and the receiver sees the hub is gone
        let id = self.add(&topic, Target::Channel(tx));
        Subscription { hub: Arc::clone(self), id, topic, rx }
    }

    /// Subscribes a function (see `SinkFn`). After `close`, it is never called.
    pub fn listen(self: &Arc<Hub>, topic: Topic, sink: SinkFn) -> Listener {
        let id = self.add(&topic, Target::Sink(sink));
        Listener { hub: Arc::clone(self), id, topic }
    }

    fn add(&self, topic: &Topic, target: Target) -> u64 {
        let id = self.next_id.fetch_add(1, Ordering::Relaxed);
        if !self.closed.load(Ordering::SeqCst) {
            let mut subs = self.subs.lock().unwrap_or_else(|p| p.into_inner());
            subs.entry(topic.clone()).or_default().insert(id, target);
        }
        id
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
            m.retain(|_, target| match target {
                Target::Channel(tx) => match tx.try_send(Arc::clone(&event)) {
                    Ok(()) => true,
                    Err(TrySendError::Full(_)) => {
                        self.dropped_slow.fetch_add(1, Ordering::Relaxed);
                        false
                    }
                    Err(TrySendError::Disconnected(_)) => false,
                },
                Target::Sink(f) => {
                    let keep = f(&event);
                    if !keep {
                        self.dropped_slow.fetch_add(1, Ordering::Relaxed);
                    }
                    keep
                }
            });
            if m.is_empty() {
                subs.remove(&topic);
            }
        }
    }

    /// Held by a message writer from before its transaction until it has published, so
    /// messages reach subscribers in commit (`seq`) order. Sockets skip messages whose `seq`
    /// they have already passed (that is how a replay and the live stream join without
    /// duplicates), so a message published after a later one would be lost to them.
    pub fn message_order(&self) -> std::sync::MutexGuard<'_, ()> {
        self.order.lock().unwrap_or_else(|p| p.into_inner())
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
    fn function_listeners_get_their_topic_until_dropped_or_refusing() {
        use std::sync::atomic::AtomicUsize;
        let hub = Hub::new();
        let seen = Arc::new(AtomicUsize::new(0));
        let s2 = Arc::clone(&seen);
        let l = hub.listen(Topic::Session("a".into()), Box::new(move |_| s2.fetch_add(1, Ordering::SeqCst) < 1));
        hub.publish(Event::SessionUpdated { session: sref("b") });
        hub.publish(Event::SessionUpdated { session: sref("a") });
        hub.publish(Event::SessionUpdated { session: sref("a") }); // refused: removed
        hub.publish(Event::SessionUpdated { session: sref("a") });
        assert_eq!(seen.load(Ordering::SeqCst), 2);
        assert_eq!(hub.stats().0, 0);
        drop(l);
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
