//! The socket writer threads. Each owns a share of the sockets (the least loaded takes the
//! next one) and drives them with non-blocking I/O and a `polling::Poller` (epoll on Linux,
//! kqueue on the BSDs and macOS; level-triggered): it turns queued hub events into frames,
//! writes what each socket's kernel buffer accepts, reads what clients send (close and ping
//! frames, end of stream), sends heartbeats, and closes dead, lagging or too slow sockets.
//! The wire format (RFC 6455) is tungstenite's: a `WebSocket` per socket over the
//! non-blocking connection, used as a codec with a bounded output buffer (a write that
//! would block leaves the frame queued; `flush` writes what the kernel takes).
//! A thread never waits on one client, so a slow client only grows its own buffer (and is
//! closed past a limit) while the others go on. ARCHITECTURE.md has the numbers behind this:
//! a thread per socket hit the thread ceiling near 8,000 sockets; shared writers held 9,500.

use super::feed::{Feed, RenderCache, Scope, PING};
use super::fds::Upgraded;
use super::presence::ConsoleGuard;
use crate::hub::{Event, Listener};
use crate::service::App;
use crate::store::{messages, sessions};
use polling::{Event as Interest, Events, PollMode, Poller};
use std::collections::{HashMap, VecDeque};
use std::io::{ErrorKind, Read};
use std::os::fd::{AsFd, AsRawFd};
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::mpsc::{Receiver, Sender, TryRecvError};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tungstenite::error::ProtocolError;
use tungstenite::protocol::frame::coding::{CloseCode, Data as OpData, OpCode};
use tungstenite::protocol::frame::{CloseFrame, Frame, Utf8Bytes};
use tungstenite::protocol::{Role, WebSocket, WebSocketConfig};
use tungstenite::{Bytes, Error as WsError, Message};

/// Events a socket may have queued before it counts as lagging and is closed (the client
/// reconnects with `after=` and catches up from the database).
const MAILBOX_CAP: usize = 1024;
/// Bytes a socket may have waiting for its client before it counts as too slow.
const MAX_PENDING: usize = 512 * 1024;
/// Largest frame (and message) a client may send. Clients have nothing to send but control
/// frames, so anything bigger is a misbehaving peer (closed with 1009).
const MAX_CLIENT_PAYLOAD: usize = 64 * 1024;
/// Read buffer of a socket (grown to a frame's size while one arrives).
const READ_BUFFER: usize = 256;
/// Most client messages (or 4 KiB reads of a broken client's bytes) handled per wake-up, so
/// a client that floods cannot keep its writer thread from the other sockets; the poller
/// is level-triggered and reports the rest on the next wait.
const READS_PER_WAKE: usize = 64;
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
    /// The codec over the connection; it owns the socket and its bounded output buffer.
    ws: WebSocket<Upgraded>,
    _permit: Permit,
    console: Option<ConsoleGuard>,
    feed: Feed,
    mailbox: Arc<Mailbox>,
    replay_until: Option<i64>,
    /// Output waits in the codec's buffer (set when a frame is queued, cleared when a flush
    /// writes everything).
    output: bool,
    /// Bytes of the frames queued so far (compared with what the kernel accepted, this
    /// tells how much waits; re-synchronised whenever everything has been written).
    queued: u64,
    /// After a protocol error, what the client sends is read and dropped.
    discard_input: bool,
    /// Last time a frame was queued (heartbeats are due after a quiet interval).
    last_queued: Instant,
    /// Last time the kernel accepted bytes, or when pending bytes first had to wait.
    last_progress: Instant,
    /// Set when closing: the close frame is flushed (for at most CLOSE_GRACE) and then it goes.
    closing_since: Option<Instant>,
    dead: bool,
    /// Closed for not reading: too much waiting, or no progress for too long.
    slow: bool,
    /// The poller reports writability (only while output waits).
    want_write: bool,
}

/// The codec's settings: server frames are written by `Conn::flush` (the codec writes by
/// itself only past half the limit), at most MAX_PENDING bytes may wait, and a client may
/// send frames and messages of at most MAX_CLIENT_PAYLOAD bytes (it has nothing to send
/// but control frames). A small read buffer: thousands of sockets keep one each.
fn codec_config() -> WebSocketConfig {
    WebSocketConfig::default()
        .read_buffer_size(READ_BUFFER)
        .write_buffer_size(MAX_PENDING / 2)
        .max_write_buffer_size(MAX_PENDING)
        .max_frame_size(Some(MAX_CLIENT_PAYLOAD))
        .max_message_size(Some(MAX_CLIENT_PAYLOAD))
}

/// A frame's text, shared (not copied) with the render cache.
struct SharedText(Arc<str>);

impl AsRef<[u8]> for SharedText {
    fn as_ref(&self) -> &[u8] {
        self.0.as_bytes()
    }
}

impl Conn {
    /// Bytes waiting for the client.
    fn pending(&self) -> usize {
        if !self.output {
            return 0;
        }
        // at least 1: a pong or close reply the codec queued by itself is not counted in `queued`
        usize::try_from(self.queued.saturating_sub(self.ws.get_ref().written())).unwrap_or(usize::MAX).max(1)
    }

    fn queue_text(&mut self, text: Bytes) {
        if self.pending() == 0 {
            self.last_progress = Instant::now();
        }
        let frame = Frame::message(text, OpCode::Data(OpData::Text), true);
        self.queued += frame.len() as u64;
        self.output = true;
        self.last_queued = Instant::now();
        if let Err(e) = self.ws.write(Message::Frame(frame)) {
            self.write_failed(e);
        }
    }

    fn write_failed(&mut self, e: WsError) {
        match e {
            // the frame is queued; the rest goes out when the client reads
            WsError::Io(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::Interrupted) => {}
            // MAX_PENDING bytes wait: nothing more can be written to it, not even a close frame
            WsError::WriteBufferFull(_) => {
                self.slow = true;
                self.dead = true;
            }
            _ => self.dead = true,
        }
    }

    /// Starts the closing handshake with `code` (a no-op once closing). Reading stops
    /// mattering, the close frame is flushed, and then the socket goes.
    fn begin_close(&mut self, code: u16, reason: &'static str) {
        if self.closing_since.is_some() {
            return;
        }
        self.closing_since = Some(Instant::now());
        self.listener = None;
        self.output = true;
        // After the client's own close the codec has queued its echo and sends no other.
        let frame = CloseFrame { code: CloseCode::from(code), reason: Utf8Bytes::from_static(reason) };
        match self.ws.close(Some(frame)) {
            Ok(()) => self.flushed(),
            Err(e) => self.write_failed(e),
        }
    }

    /// Everything queued has been written.
    fn flushed(&mut self) {
        self.output = false;
        self.queued = self.ws.get_ref().written();
    }

    /// Writes what the kernel takes now.
    fn flush(&mut self) {
        let before = self.ws.get_ref().written();
        let result = loop {
            match self.ws.flush() {
                Err(WsError::Io(e)) if e.kind() == ErrorKind::Interrupted => continue,
                r => break r,
            }
        };
        if self.ws.get_ref().written() > before {
            self.last_progress = Instant::now();
        }
        match result {
            Ok(()) => self.flushed(),
            // (after the client's close, the codec reports the end once its echo is out)
            Err(e) => self.write_failed(e),
        }
    }

    /// Reads what the client sent: the codec answers pings and a close, and notices end of
    /// stream and protocol errors; anything else is ignored (clients act over REST).
    fn read(&mut self) {
        if self.discard_input {
            return self.discard();
        }
        for _ in 0..READS_PER_WAKE {
            match self.ws.read() {
                Ok(Message::Close(_)) => {
                    self.begin_close(1000, ""); // the codec echoes the client's code
                    return;
                }
                // the codec queued the pong (not after our close); `flush` sends it
                Ok(Message::Ping(_)) => {
                    if self.pending() == 0 {
                        self.last_progress = Instant::now();
                    }
                    self.output = true;
                }
                Ok(_) => {} // push-only: client messages go over REST
                Err(WsError::Io(e)) if e.kind() == ErrorKind::WouldBlock => return,
                Err(WsError::Io(e)) if e.kind() == ErrorKind::Interrupted => {}
                Err(WsError::Capacity(_)) => return self.refuse(1009, "frame too large"),
                Err(WsError::Utf8(_)) => return self.refuse(1007, "invalid UTF-8"),
                Err(WsError::Protocol(ProtocolError::ResetWithoutClosingHandshake)) => {
                    self.dead = true; // end of stream
                    return;
                }
                Err(WsError::Protocol(_)) => return self.refuse(1002, "protocol error"),
                Err(_) => {
                    self.dead = true;
                    return;
                }
            }
        }
    }

    /// A client that broke the protocol: close with `code`, and drop what it sends from now
    /// on (it can no longer be parsed).
    fn refuse(&mut self, code: u16, reason: &'static str) {
        self.discard_input = true;
        self.begin_close(code, reason);
        self.discard();
    }

    fn discard(&mut self) {
        let mut sink = [0u8; 4096];
        for _ in 0..READS_PER_WAKE {
            match self.ws.get_mut().read(&mut sink) {
                Ok(0) => {
                    self.dead = true;
                    return;
                }
                Ok(_) => {}
                Err(e) if e.kind() == ErrorKind::Interrupted => {}
                Err(e) if e.kind() == ErrorKind::WouldBlock => return,
                Err(_) => {
                    self.dead = true;
                    return;
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
            if want != c.want_write && self.poller.modify_with_mode(c.ws.get_ref(), interest(*id, want), PollMode::Level).is_ok() {
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
            ws: WebSocket::from_raw_socket(nc.conn, Role::Server, Some(codec_config())),
            _permit: nc.permit,
            console: nc.console,
            feed: nc.feed,
            mailbox: nc.mailbox,
            replay_until: nc.replay_until,
            output: false,
            queued: 0,
            discard_input: false,
            last_queued: now,
            last_progress: now,
            closing_since: None,
            dead: false,
            slow: false,
            want_write: false,
        };
        let fd = conn.ws.get_ref().as_fd().as_raw_fd();
        // SAFETY: `fd` is open for as long as `conn` lives, and it leaves the poller
        // before that ends (`reap`, `close_all`); if adding fails, nothing was registered.
        if let Err(e) = unsafe { self.poller.add_with_mode(fd, interest(nc.id, false), PollMode::Level) } {
            log::warn!("socket: cannot watch it: {e}");
            return;
        }
        for f in conn.feed.take_replay() {
            conn.queue_text(Bytes::from(f));
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
                c.queue_text(Bytes::from_owner(SharedText(f)));
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
                c.queue_text(Bytes::from_static(PING.as_bytes()));
                c.flush();
            }
            // (more than MAX_PENDING waiting is refused by the codec: `write_failed`)
            if c.pending() > 0 && now.duration_since(c.last_progress) >= STALL_LIMIT {
                c.slow = true;
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
                c.queue_text(Bytes::from(f));
                c.flush();
            }
        }
        None
    }

    /// Drops the sockets that are done.
    fn reap(&mut self) {
        let before = self.conns.len();
        let poller = &self.poller;
        let slow = &self.counters.closed_slow;
        self.conns.retain(|_, c| {
            if c.dead {
                let _ = poller.delete(c.ws.get_ref()); // before the descriptor closes
                if c.slow {
                    slow.fetch_add(1, Ordering::Relaxed);
                }
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
            let _ = self.poller.delete(c.ws.get_ref());
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
        c.queue_text(Bytes::from(f));
    }
    if done {
        c.replay_until = None;
    }
    done
}
