//! The socket writer threads. Each owns a share of the sockets (the least loaded takes the
//! next one) and drives them with non-blocking I/O and a `polling::Poller` (epoll on Linux,
//! kqueue on the BSDs and macOS; level-triggered): it turns queued hub events into frames,
//! writes what each socket's kernel buffer accepts, reads what clients send (close and ping
//! frames, end of stream), sends heartbeats, and closes dead, lagging or too slow sockets.
//! A thread never waits on one client, so a slow client only grows its own buffer (and is
//! closed past a limit) while the others go on. ARCHITECTURE.md has the numbers behind this:
//! a thread per socket hit the thread ceiling near 8,000 sockets; shared writers held 9,500.

use super::feed::{Feed, RenderCache, Scope, PING};
use super::fds::Upgraded;
use super::frame::{self, Decoded};
use super::presence::ConsoleGuard;
use crate::hub::{Event, Listener};
use crate::service::App;
use crate::store::{messages, sessions};
use polling::{Event as Interest, Events, PollMode, Poller};
use std::collections::{HashMap, VecDeque};
use std::io::{ErrorKind, Read, Write};
use std::os::fd::{AsFd, AsRawFd};
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::mpsc::{Receiver, Sender, TryRecvError};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// Events a socket may have queued before it counts as lagging and is closed (the client
/// reconnects with `after=` and catches up from the database).
const MAILBOX_CAP: usize = 1024;
/// Bytes a socket may have waiting for its client before it counts as too slow.
const MAX_PENDING: usize = 512 * 1024;
/// Kernel send buffer of a socket. Fixed rather than autotuned (up to 4 MiB): with
/// thousands of sockets, a few slow clients must not pin gigabytes of kernel memory.
const SEND_BUFFER: usize = 128 * 1024;
/// How long a socket may accept nothing at all while bytes wait for it.
const STALL_LIMIT: Duration = Duration::from_secs(60);
/// Replay is read in batches of this many messages, and only while the socket keeps up.
const REPLAY_BATCH: i64 = 200;
const REPLAY_LOW_WATER: usize = 64 * 1024;
/// How long a closing socket may take to flush its close frame.
const CLOSE_GRACE: Duration = Duration::from_secs(5);
/// Longest sleep of a writer thread (heartbeats and limits are checked this often).
const TICK: Duration = Duration::from_secs(1);
/// Queue positions are re-sent at most this often (a busy queue changes constantly).
const QUEUE_REFRESH: Duration = Duration::from_secs(1);
/// Waiting sessions whose position is tracked.
const QUEUE_TRACKED: i64 = 10_000;

/// Counters shared by the writers, for `/metrics`.
#[derive(Default)]
pub struct Counters {
    pub opened: AtomicU64,
    pub closed_lagging: AtomicU64,
    pub closed_slow: AtomicU64,
    pub closed_dead: AtomicU64,
}

/// What a writer thread is told.
pub enum Cmd {
    Attach(Box<NewConn>),
    /// The socket's mailbox has events.
    Ready(u64),
    /// Close the console sockets of an agent (all, or those of one login token).
    CloseConsoles { agent_id: String, token_hash: Option<String> },
    Shutdown,
}

/// The sending side of a writer thread: commands, and its poller to wake it.
pub struct WriterHandle {
    tx: Mutex<Sender<Cmd>>,
    poller: Arc<Poller>,
    /// Sockets this writer owns (to spread new ones).
    pub load: AtomicUsize,
    /// The queue changed since this writer last re-sent queue positions.
    queue_dirty: std::sync::atomic::AtomicBool,
}

impl WriterHandle {
    /// The waiting queue changed: waiting visitors' positions may have too.
    pub fn queue_changed(&self) {
        if !self.queue_dirty.swap(true, Ordering::SeqCst) {
            self.wake();
        }
    }

    pub fn send(&self, cmd: Cmd) {
        let sent = self.tx.lock().unwrap_or_else(|p| p.into_inner()).send(cmd).is_ok();
        if sent {
            self.wake();
        }
    }

    /// Wakes the writer's `wait`. It takes its commands after every wait, and a wake-up
    /// still pending from before counts, so nothing sent before this call is left waiting.
    fn wake(&self) {
        if let Err(e) = self.poller.notify() {
            log::error!("socket writer: cannot wake it: {e}");
        }
    }
}

/// Hub events waiting for one socket. The hub pushes (never blocking); the writer takes.
pub struct Mailbox {
    conn_id: u64,
    writer: Arc<WriterHandle>,
    state: Mutex<MailState>,
}

#[derive(Default)]
struct MailState {
    events: VecDeque<Arc<Event>>,
    /// The writer has been told and has not taken the events yet.
    notified: bool,
    overflowed: bool,
}

impl Mailbox {
    pub fn new(conn_id: u64, writer: Arc<WriterHandle>) -> Arc<Mailbox> {
        Arc::new(Mailbox { conn_id, writer, state: Mutex::new(MailState::default()) })
    }

    /// Called by the hub under its lock. False (unsubscribe) once the socket lags too far.
    pub fn push(&self, ev: &Arc<Event>) -> bool {
        let mut st = self.state.lock().unwrap_or_else(|p| p.into_inner());
        if st.overflowed {
            return false;
        }
        if st.events.len() >= MAILBOX_CAP {
            st.overflowed = true;
        } else {
            st.events.push_back(Arc::clone(ev));
        }
        let keep = !st.overflowed;
        if !st.notified {
            st.notified = true;
            drop(st);
            self.writer.send(Cmd::Ready(self.conn_id));
        }
        keep
    }

    pub fn writer_handle(&self) -> &Arc<WriterHandle> {
        &self.writer
    }

    fn take(&self) -> (Vec<Arc<Event>>, bool) {
        let mut st = self.state.lock().unwrap_or_else(|p| p.into_inner());
        st.notified = false;
        (st.events.drain(..).collect(), st.overflowed)
    }
}

/// Counts one open socket against the cap; dropping it frees the place.
pub struct Permit(pub Arc<AtomicUsize>);

impl Drop for Permit {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::SeqCst);
    }
}

/// A socket whose 101 has been sent, on its way to its writer.
pub struct NewConn {
    pub id: u64,
    pub conn: Upgraded,
    pub feed: Feed,
    pub mailbox: Arc<Mailbox>,
    pub listener: Option<Listener>,
    pub console: Option<ConsoleGuard>,
    pub permit: Permit,
    /// Replay `(after_seq, until_seq]` from the database before anything live.
    pub replay_until: Option<i64>,
}

struct Conn {
    // Drop order matters: unsubscribe, then release the descriptors and close (`Upgraded`).
    listener: Option<Listener>,
    sock: Upgraded,
    _permit: Permit,
    console: Option<ConsoleGuard>,
    feed: Feed,
    mailbox: Arc<Mailbox>,
    replay_until: Option<i64>,
    out: Vec<u8>,
    out_pos: usize,
    inbuf: Vec<u8>,
    /// Last time a frame was queued (heartbeats are due after a quiet interval).
    last_queued: Instant,
    /// Last time the kernel accepted bytes, or when pending bytes first had to wait.
    last_progress: Instant,
    /// Set when closing: the close frame is flushed (for at most CLOSE_GRACE) and then it goes.
    closing_since: Option<Instant>,
    dead: bool,
    /// The poller reports writability (only while output waits).
    want_write: bool,
}

impl Conn {
    fn pending(&self) -> usize {
        self.out.len() - self.out_pos
    }

    fn queue_text(&mut self, text: &str) {
        if self.pending() == 0 {
            self.last_progress = Instant::now();
        }
        frame::encode(&mut self.out, frame::TEXT, text.as_bytes());
        self.last_queued = Instant::now();
    }

    fn begin_close(&mut self, code: u16, reason: &str) {
        if self.closing_since.is_none() {
            frame::encode_close(&mut self.out, code, reason);
            self.closing_since = Some(Instant::now());
            self.listener = None;
        }
    }

    /// Writes what the kernel takes now.
    fn flush(&mut self) {
        while self.pending() > 0 {
            match self.sock.write(&self.out[self.out_pos..]) {
                Ok(0) => break,
                Ok(n) => {
                    self.out_pos += n;
                    self.last_progress = Instant::now();
                }
                Err(e) if e.kind() == ErrorKind::WouldBlock => break,
                Err(e) if e.kind() == ErrorKind::Interrupted => continue,
                Err(_) => {
                    self.dead = true;
                    break;
                }
            }
        }
        if self.out_pos == self.out.len() {
            self.out.clear();
            self.out_pos = 0;
        } else if self.out_pos > 64 * 1024 && self.out_pos * 2 > self.out.len() {
            self.out.drain(..self.out_pos);
            self.out_pos = 0;
        }
    }

    /// Reads what the client sent: answers pings, honours close, notices end of stream.
    fn read(&mut self) {
        let mut buf = [0u8; 4096];
        loop {
            match self.sock.read(&mut buf) {
                Ok(0) => {
                    self.dead = true;
                    return;
                }
                Ok(n) => self.inbuf.extend_from_slice(&buf[..n]),
                Err(e) if e.kind() == ErrorKind::WouldBlock => break,
                Err(e) if e.kind() == ErrorKind::Interrupted => continue,
                Err(_) => {
                    self.dead = true;
                    return;
                }
            }
            if self.inbuf.len() > 2 * frame::MAX_CLIENT_PAYLOAD as usize {
                break;
            }
        }
        loop {
            match frame::decode(&self.inbuf) {
                Decoded::Incomplete => break,
                Decoded::Invalid(code) => {
                    self.inbuf.clear();
                    self.begin_close(code, "protocol error");
                    break;
                }
                Decoded::Frame(f, used) => {
                    self.inbuf.drain(..used);
                    match f.opcode {
                        frame::PING if self.closing_since.is_none() => {
                            frame::encode(&mut self.out, frame::PONG, &f.payload);
                        }
                        frame::CLOSE => {
                            let code = match f.payload.get(..2) {
                                Some(c) => u16::from_be_bytes([c[0], c[1]]),
                                None => 1000,
                            };
                            self.begin_close(code, "");
                        }
                        _ => {} // push-only: client messages go over REST
                    }
                }
            }
        }
    }
}

/// One writer thread's state.
pub struct Writer {
    app: Arc<App>,
    poller: Arc<Poller>,
    rx: Receiver<Cmd>,
    handle: Arc<WriterHandle>,
    counters: Arc<Counters>,
    heartbeat: Duration,
    conns: HashMap<u64, Conn>,
    ready: Vec<u64>,
    cache: RenderCache,
    queue_refreshed: Instant,
}

impl Writer {
    /// A writer and its handle.
    pub fn new(app: Arc<App>, counters: Arc<Counters>, heartbeat: Duration) -> std::io::Result<(Writer, Arc<WriterHandle>)> {
        let (tx, rx) = std::sync::mpsc::channel();
        let poller = Arc::new(Poller::new()?);
        let handle = Arc::new(WriterHandle {
            tx: Mutex::new(tx),
            poller: Arc::clone(&poller),
            load: AtomicUsize::new(0),
            queue_dirty: std::sync::atomic::AtomicBool::new(false),
        });
        let w = Writer {
            app,
            poller,
            rx,
            handle: Arc::clone(&handle),
            counters,
            heartbeat,
            conns: HashMap::new(),
            ready: Vec::new(),
            cache: RenderCache::default(),
            queue_refreshed: Instant::now(),
        };
        Ok((w, handle))
    }

    pub fn run(mut self) {
        let mut events = Events::new();
        loop {
            if self.commands() {
                self.close_all();
                return;
            }
            self.cache.clear();
            let ready_ids = std::mem::take(&mut self.ready);
            for id in ready_ids {
                self.pump(id);
            }
            let busy = self.upkeep();
            let queue_wait = self.refresh_queue();
            self.reap();
            self.watch_writes();

            let timeout = if busy {
                Duration::ZERO
            } else {
                queue_wait.map_or(TICK, |w| w.clamp(Duration::from_millis(1), TICK))
            };
            events.clear();
            if let Err(e) = self.poller.wait(&mut events, Some(timeout)) {
                log::error!("socket writer: wait failed: {e}");
                std::thread::sleep(Duration::from_millis(100));
                continue;
            }
            // (wake-ups from `notify` are not listed: the commands are taken at the top)
            for ev in events.iter() {
                let Some(c) = self.conns.get_mut(&(ev.key as u64)) else { continue };
                // readable includes hang-up and error: reading finds out how it ended
                if ev.readable {
                    c.read();
                }
                if !c.dead && (ev.writable || c.pending() > 0) {
                    c.flush();
                }
            }
            self.reap();
        }
    }

    /// Turns the poller's interest in writing on for sockets with output waiting, off for
    /// the others (level-triggered writability would otherwise wake the thread constantly).
    fn watch_writes(&mut self) {
        for (id, c) in self.conns.iter_mut() {
            let want = c.pending() > 0;
            if want != c.want_write && self.poller.modify_with_mode(&c.sock, interest(*id, want), PollMode::Level).is_ok() {
                c.want_write = want;
            }
        }
    }

    /// Takes the queued commands; true on shutdown.
    fn commands(&mut self) -> bool {
        loop {
            match self.rx.try_recv() {
                Ok(Cmd::Attach(nc)) => self.attach(*nc),
                Ok(Cmd::Ready(id)) => self.ready.push(id),
                Ok(Cmd::CloseConsoles { agent_id, token_hash }) => {
                    for c in self.conns.values_mut() {
                        let hit = c.console.as_ref().is_some_and(|g| {
                            g.agent_id == agent_id && token_hash.as_ref().is_none_or(|t| *t == g.token_hash)
                        });
                        if hit {
                            c.begin_close(1008, "logged out");
                        }
                    }
                }
                Ok(Cmd::Shutdown) | Err(TryRecvError::Disconnected) => return true,
                Err(TryRecvError::Empty) => return false,
            }
        }
    }

    fn attach(&mut self, nc: NewConn) {
        self.counters.opened.fetch_add(1, Ordering::Relaxed);
        if let Err(e) = nc.conn.prepare(SEND_BUFFER) {
            log::warn!("socket: cannot make it non-blocking: {e}");
            return;
        }
        let now = Instant::now();
        let mut conn = Conn {
            listener: nc.listener,
            sock: nc.conn,
            _permit: nc.permit,
            console: nc.console,
            feed: nc.feed,
            mailbox: nc.mailbox,
            replay_until: nc.replay_until,
            out: Vec::new(),
            out_pos: 0,
            inbuf: Vec::new(),
            last_queued: now,
            last_progress: now,
            closing_since: None,
            dead: false,
            want_write: false,
        };
        let fd = conn.sock.as_fd().as_raw_fd();
        // SAFETY: `fd` is open for as long as `conn.sock` lives, and it leaves the poller
        // before that ends (`reap`, `close_all`); if adding fails, nothing was registered.
        if let Err(e) = unsafe { self.poller.add_with_mode(fd, interest(nc.id, false), PollMode::Level) } {
            log::warn!("socket: cannot watch it: {e}");
            return;
        }
        for f in conn.feed.take_replay() {
            conn.queue_text(&f);
        }
        conn.flush();
        self.handle.load.fetch_add(1, Ordering::Relaxed);
        self.conns.insert(nc.id, conn);
        self.ready.push(nc.id);
    }

    /// Moves a socket's queued events into frames (after any replay still to send).
    fn pump(&mut self, id: u64) {
        let Some(c) = self.conns.get_mut(&id) else { return };
        if c.replay_until.is_some() || c.closing_since.is_some() {
            return; // the replay comes first; upkeep pumps again when it is done
        }
        let (events, overflowed) = c.mailbox.take();
        for ev in &events {
            if let Some(f) = c.feed.frame_for(&self.app, ev, &mut self.cache) {
                c.queue_text(&f);
            }
        }
        if overflowed {
            self.counters.closed_lagging.fetch_add(1, Ordering::Relaxed);
            c.begin_close(4000, "lagging behind: reconnect with after=<last message id>");
        }
        c.flush();
    }

    /// Replays, heartbeats, limits. True when some socket has replay work left right now.
    fn upkeep(&mut self) -> bool {
        let now = Instant::now();
        let mut busy = false;
        let mut replay_done = Vec::new();
        for (id, c) in self.conns.iter_mut() {
            if c.replay_until.is_some() && c.closing_since.is_none() && c.pending() < REPLAY_LOW_WATER {
                if replay_batch(&self.app, c) {
                    replay_done.push(*id);
                } else {
                    busy |= c.pending() < REPLAY_LOW_WATER;
                }
                c.flush();
            }
            if c.closing_since.is_none() && now.duration_since(c.last_queued) >= self.heartbeat {
                c.queue_text(PING);
                c.flush();
            }
            if c.pending() > MAX_PENDING || (c.pending() > 0 && now.duration_since(c.last_progress) >= STALL_LIMIT) {
                self.counters.closed_slow.fetch_add(1, Ordering::Relaxed);
                c.dead = true; // nothing more can be written to it, not even a close frame
            }
            if c.closing_since.is_some_and(|t| c.pending() == 0 || now.duration_since(t) >= CLOSE_GRACE) {
                c.dead = true;
            }
        }
        for id in replay_done {
            self.pump(id);
        }
        busy
    }

    /// Re-sends waiting sessions' queue positions when the queue changed (at most once per
    /// QUEUE_REFRESH). Returns how long until a pending refresh is due.
    fn refresh_queue(&mut self) -> Option<Duration> {
        if !self.handle.queue_dirty.load(Ordering::SeqCst) {
            return None;
        }
        let since = self.queue_refreshed.elapsed();
        if since < QUEUE_REFRESH {
            return Some(QUEUE_REFRESH - since);
        }
        self.handle.queue_dirty.store(false, Ordering::SeqCst);
        self.queue_refreshed = Instant::now();
        if !self.conns.values().any(|c| c.feed.render.queue_position) {
            return None;
        }
        let ids = match self.app.db.read(|c| sessions::queue_ids(c, QUEUE_TRACKED)) {
            Ok(ids) => ids,
            Err(e) => {
                log::warn!("socket: cannot read the queue: {e}");
                return None;
            }
        };
        let positions: HashMap<String, i64> = ids.into_iter().zip(1..).collect();
        for c in self.conns.values_mut() {
            if c.replay_until.is_some() || c.closing_since.is_some() {
                continue;
            }
            if let Some(f) = c.feed.position_frame(&self.app, &positions) {
                c.queue_text(&f);
                c.flush();
            }
        }
        None
    }

    /// Drops the sockets that are done.
    fn reap(&mut self) {
        let before = self.conns.len();
        let poller = &self.poller;
        self.conns.retain(|_, c| {
            if c.dead {
                let _ = poller.delete(&c.sock); // before the descriptor closes
            }
            !c.dead
        });
        let gone = before - self.conns.len();
        if gone > 0 {
            self.counters.closed_dead.fetch_add(gone as u64, Ordering::Relaxed);
            self.handle.load.fetch_sub(gone, Ordering::Relaxed);
        }
    }

    /// Shutdown: a close frame to each socket (best effort, never waiting), then close.
    fn close_all(&mut self) {
        for c in self.conns.values_mut() {
            c.begin_close(1001, "server shutting down");
            c.flush();
            let _ = self.poller.delete(&c.sock);
        }
        self.handle.load.fetch_sub(self.conns.len(), Ordering::Relaxed);
        self.conns.clear();
    }
}

/// What the poller watches a socket for: always reading (which includes hang-up and error),
/// writing only while output waits (level-triggered writability would otherwise wake the
/// thread constantly).
fn interest(id: u64, write: bool) -> Interest {
    Interest::new(id as usize, true, write)
}

/// Sends the next batch of a socket's replay; true when the replay is complete.
fn replay_batch(app: &App, c: &mut Conn) -> bool {
    let (Some(until), Scope::Session { id, last_seq, .. }) = (c.replay_until, &c.feed.scope) else {
        c.replay_until = None;
        return true;
    };
    let batch = app.db.read(|db| messages::after(db, id, *last_seq, REPLAY_BATCH));
    let batch = match batch {
        Ok(b) => b,
        Err(e) => {
            log::warn!("socket: replay failed: {e}");
            c.begin_close(1011, "replay failed: reconnect");
            return false;
        }
    };
    let mut done = batch.len() < REPLAY_BATCH as usize;
    for m in batch {
        if m.seq > until {
            done = true;
            break; // live from here on: it comes through the mailbox
        }
        c.feed.replay.push(m);
    }
    for f in c.feed.take_replay() {
        c.queue_text(&f);
    }
    if done {
        c.replay_until = None;
    }
    done
}
