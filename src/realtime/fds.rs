//! Descriptors of upgraded connections. tiny_http hands an upgraded connection over as a
//! `Box<dyn ReadWrite>` (a blocking stream without its descriptor), and a blocking write to
//! one slow client would stall every socket its writer thread owns. So the handler finds the
//! connection's descriptor by its peer address before answering 101, and the writer threads
//! do non-blocking I/O on it directly; the box is only kept to own (and finally close) it.
//!
//! Finding it means looking at the process's descriptors; descriptors already known to
//! belong to open sockets are skipped, so a lookup costs a syscall per *other* descriptor
//! (HTTP connections, database files), not per socket.
//!
//! The system calls go through `socket2`, std and `rlimit`. What is left `unsafe` is about
//! descriptor ownership, which no crate can know: probing a descriptor number
//! (`is_connection`) and adopting the connection's descriptor (`Upgraded::adopt`, called
//! once, by `Handover::build`). The writer adds the adopted descriptor to its poller (the
//! third and last `unsafe` block of the realtime module).

use std::collections::HashSet;
use std::io::{self, Read, Write};
use std::mem::ManuallyDrop;
use std::net::{IpAddr, SocketAddr, TcpStream};
use std::os::fd::{AsFd, BorrowedFd, FromRawFd, RawFd};
use std::sync::{Arc, Mutex};

use rouille::ReadWrite;
use socket2::SockRef;

/// How far past the first match to look for its twin (tiny_http `dup`s each connection once,
/// right after accepting it, so the twin is normally the next free number).
const TWIN_WINDOW: RawFd = 64;

/// The descriptors owned by open sockets (and sockets being opened).
#[derive(Default)]
pub struct FdIndex {
    owned: Mutex<HashSet<RawFd>>,
}

/// Descriptors reserved in the index; released (before the stream closes them) on drop.
pub struct Reserved {
    index: Arc<FdIndex>,
    fds: Vec<RawFd>,
}

impl Reserved {
    pub fn fds(&self) -> &[RawFd] {
        &self.fds
    }
}

impl Drop for Reserved {
    fn drop(&mut self) {
        self.index.release(&self.fds);
    }
}

impl FdIndex {
    /// Finds and reserves the descriptors of our connection from `peer` to local port
    /// `local_port`. `None` when none was found.
    pub fn reserve(self: &Arc<Self>, peer: SocketAddr, local_port: u16) -> Option<Reserved> {
        // Held during the scan: a descriptor is released (below) before it is closed, so a
        // number still in the set cannot have been reused by the connection we look for.
        let mut owned = self.owned.lock().unwrap_or_else(|p| p.into_inner());
        let peer = canonical(peer);
        let limit = max_fds();
        let mut found: Vec<RawFd> = Vec::new();
        let mut fd: RawFd = 0;
        while fd < limit {
            if let Some(first) = found.first() {
                if found.len() == 2 || fd > first + TWIN_WINDOW {
                    break;
                }
            }
            if !owned.contains(&fd) && is_connection(fd, peer, local_port) {
                found.push(fd);
            }
            fd += 1;
        }
        if found.is_empty() {
            return None;
        }
        owned.extend(found.iter().copied());
        Some(Reserved { index: Arc::clone(self), fds: found })
    }

    /// Forgets descriptors that are about to be closed (or were never taken over).
    fn release(&self, fds: &[RawFd]) {
        let mut owned = self.owned.lock().unwrap_or_else(|p| p.into_inner());
        for fd in fds {
            owned.remove(fd);
        }
    }
}

/// The soft open-file limit (the highest descriptor number plus one).
pub fn max_fds() -> RawFd {
    match rlimit::Resource::NOFILE.get() {
        Ok((soft, _)) if soft != rlimit::INFINITY => RawFd::try_from(soft).unwrap_or(1 << 20).min(1 << 20),
        _ => 1 << 20,
    }
}

/// Raises the soft open-file limit to the hard one (sockets need two descriptors each).
pub fn raise_fd_limit() {
    if let Err(e) = rlimit::increase_nofile_limit(u64::MAX) {
        log::warn!("cannot raise the open-file limit: {e}");
    }
}

fn canonical(a: SocketAddr) -> SocketAddr {
    match a.ip() {
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => SocketAddr::new(IpAddr::V4(v4), a.port()),
            None => a,
        },
        IpAddr::V4(_) => a,
    }
}

/// Whether descriptor number `fd` is a socket connected from `peer` to our `local_port`
/// (one system call for most descriptors: the local address is asked only on a match).
fn is_connection(fd: RawFd, peer: SocketAddr, local_port: u16) -> bool {
    // SAFETY: `fd` is just a number here: it may be closed, or closed and reused by another
    // thread while we look. The borrow lives only for two read-only queries (getsockname,
    // getpeername) that neither change nor close the descriptor; on a number that is not an
    // open socket they fail (EBADF, ENOTSOCK), and on a reused one they describe that one.
    // The caller only keeps a match for the connection of the request it is handling, which
    // tiny_http keeps open until that request is answered.
    let borrowed = unsafe { BorrowedFd::borrow_raw(fd) };
    let sock = SockRef::from(&borrowed);
    sock.peer_addr().ok().and_then(|a| a.as_socket()).map(canonical) == Some(peer)
        && sock.local_addr().ok().and_then(|a| a.as_socket()).map(|a| a.port()) == Some(local_port)
}

/// An upgraded connection taken over by a writer thread: non-blocking I/O on its descriptor,
/// which `owner` (tiny_http's stream) owns and closes when this is dropped.
pub struct Upgraded {
    /// The descriptor as a stream. Borrowed: `ManuallyDrop` keeps it from closing it.
    stream: ManuallyDrop<TcpStream>,
    // Field order is drop order: the descriptors leave the index before `owner` closes them.
    _reserved: Reserved,
    _owner: Box<dyn ReadWrite + Send>,
    /// Bytes the kernel has accepted so far.
    written: u64,
}

impl Upgraded {
    /// Takes over the connection `owner`, whose descriptors `reserved` holds.
    ///
    /// # Safety
    /// `owner` must be the connection whose descriptors were reserved in `reserved` (so they
    /// stay open until `owner` is dropped, which happens only when this is).
    pub unsafe fn adopt(reserved: Reserved, owner: Box<dyn ReadWrite + Send>) -> Option<Upgraded> {
        let fd = *reserved.fds.first()?;
        // SAFETY (the caller's contract): `owner` keeps `fd` open until it is dropped, and it
        // is a field of the same struct as `stream`, so `fd` is open whenever `stream` can be
        // used; `ManuallyDrop` keeps `stream` from ever closing it (`owner` does).
        let stream = ManuallyDrop::new(TcpStream::from_raw_fd(fd));
        Some(Upgraded { stream, _reserved: reserved, _owner: owner, written: 0 })
    }

    /// Non-blocking mode (shared by the descriptor's `dup`), and a fixed kernel send buffer
    /// (best effort: the kernel's own size is a fine fallback).
    pub fn prepare(&self, send_buffer: usize) -> io::Result<()> {
        self.stream.set_nonblocking(true)?;
        let _ = SockRef::from(&*self.stream).set_send_buffer_size(send_buffer);
        Ok(())
    }

    /// Bytes the kernel has accepted so far.
    pub fn written(&self) -> u64 {
        self.written
    }
}

impl AsFd for Upgraded {
    fn as_fd(&self) -> BorrowedFd<'_> {
        self.stream.as_fd()
    }
}

/// Reads without blocking (the descriptor is non-blocking once `prepare`d).
impl Read for Upgraded {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        (&*self.stream).read(buf)
    }
}

/// Writes without blocking and never raises SIGPIPE (std sends with MSG_NOSIGNAL).
impl Write for Upgraded {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let n = (&*self.stream).write(buf)?;
        self.written += n as u64;
        Ok(n)
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::{TcpListener, TcpStream};
    use std::os::fd::AsRawFd;

    #[test]
    fn finds_both_descriptors_of_an_accepted_connection_once() {
        let l = TcpListener::bind("127.0.0.1:0").expect("bind");
        let port = l.local_addr().expect("addr").port();
        let client = TcpStream::connect(("127.0.0.1", port)).expect("connect");
        let (server_side, peer) = l.accept().expect("accept");
        let twin = server_side.try_clone().expect("dup");
        let index = Arc::new(FdIndex::default());
        let got = index.reserve(peer, port).expect("found");
        let mut fds = got.fds().to_vec();
        fds.sort();
        let mut want = vec![server_side.as_raw_fd(), twin.as_raw_fd()];
        want.sort();
        assert_eq!(fds, want);
        // reserved descriptors are skipped by the next lookup
        assert!(index.reserve(peer, port).is_none());
        drop(got);
        assert_eq!(index.reserve(peer, port).map(|r| r.fds().len()), Some(2));
        // the client's own descriptor has the server as its peer, not `peer`
        assert_ne!(client.local_addr().ok(), Some(l.local_addr().expect("addr")));
    }

    #[test]
    fn an_adopted_connection_does_non_blocking_io_and_closes_with_its_owner() {
        let l = TcpListener::bind("127.0.0.1:0").expect("bind");
        let port = l.local_addr().expect("addr").port();
        let mut client = TcpStream::connect(("127.0.0.1", port)).expect("connect");
        let (server_side, peer) = l.accept().expect("accept");
        let index = Arc::new(FdIndex::default());
        let reserved = index.reserve(peer, port).expect("found");
        let owner: Box<dyn ReadWrite + Send> = Box::new(server_side);
        // SAFETY: `owner` is the very connection whose descriptor was reserved.
        let mut conn = unsafe { Upgraded::adopt(reserved, owner) }.expect("adopted");
        conn.prepare(64 * 1024).expect("prepare");
        let mut buf = [0u8; 16];
        assert_eq!(conn.read(&mut buf).map_err(|e| e.kind()), Err(io::ErrorKind::WouldBlock));
        assert_eq!(conn.write(b"hello").ok(), Some(5));
        assert_eq!(conn.written(), 5);
        client.read_exact(&mut buf[..5]).expect("read");
        assert_eq!(&buf[..5], b"hello");
        // dropping it closes the connection (through its owner) and frees the index
        drop(conn);
        assert_eq!(client.read(&mut buf).ok(), Some(0));
        assert!(index.owned.lock().expect("lock").is_empty());
    }

    #[test]
    fn the_open_file_limit_is_read() {
        raise_fd_limit();
        assert!(max_fds() > 0);
    }
}
