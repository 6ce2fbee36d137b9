//! Real-time delivery over WebSocket (SPEC §4): push-only sockets fed by the hub.
//!
//! A socket's life: the HTTP handler authorizes the request, takes a place under the socket
//! cap, finds the connection's descriptor, subscribes to the hub (before reading any replay
//! cursor, so nothing falls between the two) and answers 101 with a `Handover`. rouille then
//! gives the raw connection to `Handover::build`, which passes it to one of a few writer
//! threads (`writer.rs`) that own all sockets. Clients act over REST; sockets only listen.

pub mod feed;
pub mod fds;
pub mod presence;
mod writer;

use crate::error::{Error, Result};
use crate::hub::Hub;
use crate::service::App;
use feed::Feed;
use fds::FdIndex;
use presence::{ConsoleGuard, Consoles};
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU16, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use std::thread::JoinHandle;
use std::time::Duration;
use fds::{Reserved, Upgraded};
use writer::{Cmd, Counters, Mailbox, NewConn, Permit, Writer, WriterHandle};

/// Descriptors kept free for HTTP connections, the database and the rest of the process
/// when the socket cap is derived from the open-file limit.
const FD_RESERVE_MIN: usize = 512;

/// The socket pool: admission, the writer threads, console presence.
pub struct Realtime {
    cap: usize,
    heartbeat: Duration,
    open: Arc<AtomicUsize>,
    refused: AtomicU64,
    fds: Arc<FdIndex>,
    writers: OnceLock<Vec<Arc<WriterHandle>>>,
    joins: Mutex<Vec<JoinHandle<()>>>,
    next_conn: AtomicU64,
    local_port: AtomicU16,
    counters: Arc<Counters>,
    /// Tells the writers when the queue changes (waiting visitors' positions).
    queue_listener: Mutex<Option<crate::hub::Listener>>,
    pub consoles: Arc<Consoles>,
}

/// The socket cap when none is configured: each socket holds two descriptors, and the
/// process needs some for everything else (at EMFILE tiny_http's accept loop ends and the
/// server would stop, so the cap must bite first).
pub fn default_cap() -> usize {
    fds::raise_fd_limit();
    let limit = usize::try_from(fds::max_fds()).unwrap_or(1024);
    let reserve = FD_RESERVE_MIN.max(limit / 10);
    (limit.saturating_sub(reserve) / 2).max(1)
}

impl Realtime {
    /// `cap`: most sockets open at once (`None`: from the open-file limit).
    pub fn new(cap: Option<usize>, heartbeat: Duration) -> Realtime {
        Realtime {
            cap: cap.unwrap_or_else(default_cap),
            heartbeat,
            open: Arc::new(AtomicUsize::new(0)),
            refused: AtomicU64::new(0),
            fds: Arc::new(FdIndex::default()),
            writers: OnceLock::new(),
            joins: Mutex::new(Vec::new()),
            next_conn: AtomicU64::new(1),
            local_port: AtomicU16::new(0),
            counters: Arc::new(Counters::default()),
            queue_listener: Mutex::new(None),
            consoles: Arc::new(Consoles::default()),
        }
    }

    /// Starts the writer threads (and the auto-away check) for the server bound to `addr`.
    pub fn spawn(app: &Arc<App>, addr: SocketAddr) -> Result<()> {
        let rt = &app.realtime;
        rt.local_port.store(addr.port(), Ordering::SeqCst);
        let n = std::thread::available_parallelism().map_or(2, |n| n.get()).clamp(2, 4);
        let mut handles = Vec::new();
        let mut joins = rt.joins.lock().unwrap_or_else(|p| p.into_inner());
        for i in 0..n {
            let (w, h) = Writer::new(Arc::clone(app), Arc::clone(&rt.counters), rt.heartbeat)
                .map_err(|e| Error::Internal(format!("socket writer: {e}")))?;
            let join = std::thread::Builder::new()
                .name(format!("ws-writer-{i}"))
                .spawn(move || w.run())
                .map_err(|e| Error::Internal(format!("socket writer thread: {e}")))?;
            handles.push(h);
            joins.push(join);
        }
        let for_queue = handles.clone();
        if rt.writers.set(handles).is_err() {
            return Err(Error::Internal("socket writers started twice".into()));
        }
        let listener = app.hub.listen(
            crate::hub::Topic::Agents,
            Box::new(move |ev| {
                if matches!(**ev, crate::hub::Event::QueueUpdated { .. }) {
                    for w in &for_queue {
                        w.queue_changed();
                    }
                }
                true
            }),
        );
        *rt.queue_listener.lock().unwrap_or_else(|p| p.into_inner()) = Some(listener);
        let app = Arc::clone(app);
        std::thread::Builder::new()
            .name("auto-away".into())
            .spawn(move || auto_away(&app))
            .map_err(|e| Error::Internal(format!("auto-away thread: {e}")))?;
        Ok(())
    }

    /// Takes a place for a new socket from `peer`: 503 at the cap, or when the connection
    /// cannot be taken over.
    pub fn admit(&self, peer: SocketAddr) -> Result<Pending> {
        let full = || Error::Unavailable("Too many open sockets: try again later or use long-poll".into());
        let writers = self.writers.get().ok_or_else(|| Error::Unavailable("Sockets are not available".into()))?;
        if self.open.fetch_add(1, Ordering::SeqCst) >= self.cap {
            self.open.fetch_sub(1, Ordering::SeqCst);
            self.refused.fetch_add(1, Ordering::Relaxed);
            return Err(full());
        }
        let permit = Permit(Arc::clone(&self.open));
        let Some(fds) = self.fds.reserve(peer, self.local_port.load(Ordering::SeqCst)) else {
            log::warn!("socket: no descriptor found for the connection from {peer}");
            return Err(Error::Unavailable("The socket could not be opened: try again or use long-poll".into()));
        };
        let writer = writers
            .iter()
            .min_by_key(|w| w.load.load(Ordering::Relaxed))
            .cloned()
            .ok_or_else(full)?;
        let id = self.next_conn.fetch_add(1, Ordering::Relaxed);
        Ok(Pending { id, mailbox: Mailbox::new(id, writer), fds, permit, listener: None, console: None })
    }

    /// Closes an agent's console sockets (logout: those of one token; disabling: all).
    pub fn close_consoles(&self, agent_id: &str, token_hash: Option<&str>) {
        for w in self.writers.get().into_iter().flatten() {
            w.send(Cmd::CloseConsoles { agent_id: agent_id.into(), token_hash: token_hash.map(Into::into) });
        }
    }

    /// Shutdown: every writer sends its sockets a close frame and closes them.
    pub fn shutdown(&self) {
        self.queue_listener.lock().unwrap_or_else(|p| p.into_inner()).take();
        for w in self.writers.get().into_iter().flatten() {
            w.send(Cmd::Shutdown);
        }
        let joins = std::mem::take(&mut *self.joins.lock().unwrap_or_else(|p| p.into_inner()));
        for j in joins {
            let _ = j.join();
        }
    }

    /// Prometheus lines for `/metrics`.
    pub fn metrics(&self) -> String {
        let c = &self.counters;
        let mut out = String::new();
        let mut line = |name: &str, kind: &str, help: &str, v: u64| {
            out.push_str(&format!("# HELP {name} {help}\n# TYPE {name} {kind}\n{name} {v}\n"));
        };
        line("obrol_ws_sockets", "gauge", "WebSocket connections open (or opening).", self.open.load(Ordering::SeqCst) as u64);
        line("obrol_ws_socket_cap", "gauge", "Most WebSocket connections accepted at once.", self.cap as u64);
        line("obrol_ws_opened_total", "counter", "WebSocket connections taken over by the writers.", c.opened.load(Ordering::Relaxed));
        line("obrol_ws_refused_total", "counter", "WebSocket connections refused at the cap.", self.refused.load(Ordering::Relaxed));
        line("obrol_ws_closed_total", "counter", "WebSocket connections closed.", c.closed_dead.load(Ordering::Relaxed));
        line("obrol_ws_closed_lagging_total", "counter", "Sockets closed for falling behind the hub.", c.closed_lagging.load(Ordering::Relaxed));
        line("obrol_ws_closed_slow_total", "counter", "Sockets closed because the client did not read.", c.closed_slow.load(Ordering::Relaxed));
        out
    }

    pub fn open_sockets(&self) -> usize {
        self.open.load(Ordering::SeqCst)
    }
}

/// A socket between admission and the 101 response.
pub struct Pending {
    id: u64,
    mailbox: Arc<Mailbox>,
    fds: Reserved,
    permit: Permit,
    listener: Option<crate::hub::Listener>,
    console: Option<ConsoleGuard>,
}

impl Pending {
    /// Subscribes to the hub; events queue until the socket is up.
    pub fn listen(&mut self, hub: &Arc<Hub>, topic: crate::hub::Topic) {
        let mailbox = Arc::clone(&self.mailbox);
        self.listener = Some(hub.listen(topic, Box::new(move |ev| mailbox.push(ev))));
    }

    /// Counts the socket as an agent's console (auto-away, logout).
    pub fn console(&mut self, guard: ConsoleGuard) {
        self.console = Some(guard);
    }

    /// The upgrade that hands the connection to the writer once rouille has sent the 101.
    pub fn handover(self, feed: Feed, replay_until: Option<i64>) -> Handover {
        Handover { pending: Some((self, feed, replay_until)) }
    }
}

/// rouille's upgrade hook: receives the connection after the 101 is written.
pub struct Handover {
    pending: Option<(Pending, Feed, Option<i64>)>,
}

impl rouille::Upgrade for Handover {
    fn build(&mut self, socket: Box<dyn rouille::ReadWrite + Send>) {
        let Some((p, feed, replay_until)) = self.pending.take() else { return };
        // SAFETY: rouille hands `build` the connection of the request this upgrade answers,
        // and `admit` reserved that connection's descriptors while handling the request (by
        // its peer address and our port, skipping every descriptor already taken).
        let Some(conn) = (unsafe { Upgraded::adopt(p.fds, socket) }) else { return };
        let writer = Arc::clone(p.mailbox.writer_handle());
        writer.send(Cmd::Attach(Box::new(NewConn {
            id: p.id,
            conn,
            feed,
            mailbox: p.mailbox,
            listener: p.listener,
            console: p.console,
            permit: p.permit,
            replay_until,
        })));
    }
}

/// Sets agents `away` once their consoles have been gone for `--away-after`.
fn auto_away(app: &Arc<App>) {
    let after = app.config.away_after;
    let every = (after / 4).clamp(Duration::from_millis(100), Duration::from_secs(5));
    while !app.hub.is_closed() {
        std::thread::sleep(every);
        for agent_id in app.realtime.consoles.due(after) {
            if let Err(e) = crate::service::agents::auto_away(app, &agent_id) {
                log::warn!("auto-away of {agent_id} failed: {e}");
            }
        }
    }
}
