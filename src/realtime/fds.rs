//! Raw descriptors of upgraded connections. tiny_http hands an upgraded connection over as a
//! `Box<dyn ReadWrite>` (a blocking stream without its descriptor), and a blocking write to
//! one slow client would stall every socket its writer thread owns. So the handler finds the
//! connection's descriptor by its peer address before answering 101, and the writer threads
//! do non-blocking I/O on it directly; the box is only kept to own (and finally close) it.
//!
//! Finding it means looking at the process's descriptors; descriptors already known to
//! belong to open sockets are skipped, so a lookup costs a syscall per *other* descriptor
//! (HTTP connections, database files), not per socket.

use std::collections::HashSet;
use std::io;
use std::net::{IpAddr, SocketAddr};
use std::os::fd::RawFd;
use std::sync::Mutex;

/// How far past the first match to look for its twin (tiny_http `dup`s each connection once,
/// right after accepting it, so the twin is normally the next free number).
const TWIN_WINDOW: RawFd = 64;

/// The descriptors owned by open sockets (and sockets being opened).
#[derive(Default)]
pub struct FdIndex {
    owned: Mutex<HashSet<RawFd>>,
}

impl FdIndex {
    /// Finds and reserves the descriptors of our connection from `peer` to local port
    /// `local_port`. Empty when none was found.
    pub fn reserve(&self, peer: SocketAddr, local_port: u16) -> Vec<RawFd> {
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
            if !owned.contains(&fd)
                && addr_of(fd, false).map(canonical) == Some(peer)
                && addr_of(fd, true).map(|a| a.port()) == Some(local_port)
            {
                found.push(fd);
            }
            fd += 1;
        }
        owned.extend(found.iter().copied());
        found
    }

    /// Forgets descriptors that are about to be closed (or were never taken over).
    pub fn release(&self, fds: &[RawFd]) {
        let mut owned = self.owned.lock().unwrap_or_else(|p| p.into_inner());
        for fd in fds {
            owned.remove(fd);
        }
    }
}

/// The soft open-file limit (the highest descriptor number plus one).
pub fn max_fds() -> RawFd {
    let mut lim = libc::rlimit { rlim_cur: 0, rlim_max: 0 };
    // SAFETY: getrlimit writes into the struct we pass and nothing else.
    let ok = unsafe { libc::getrlimit(libc::RLIMIT_NOFILE, &mut lim) } == 0;
    if !ok || lim.rlim_cur == libc::RLIM_INFINITY {
        return 1 << 20;
    }
    RawFd::try_from(lim.rlim_cur).unwrap_or(1 << 20).min(1 << 20)
}

/// Raises the soft open-file limit to the hard one (sockets need two descriptors each).
pub fn raise_fd_limit() {
    let mut lim = libc::rlimit { rlim_cur: 0, rlim_max: 0 };
    // SAFETY: get/setrlimit only read and write the struct we pass.
    unsafe {
        if libc::getrlimit(libc::RLIMIT_NOFILE, &mut lim) == 0 && lim.rlim_cur < lim.rlim_max {
            lim.rlim_cur = lim.rlim_max;
            libc::setrlimit(libc::RLIMIT_NOFILE, &lim);
        }
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

/// The peer (or, with `local`, the local) address of a TCP socket descriptor.
fn addr_of(fd: RawFd, local: bool) -> Option<SocketAddr> {
    // SAFETY: sockaddr_storage is plain data; the calls write at most `len` bytes into it and
    // fail harmlessly (EBADF, ENOTSOCK) on descriptors that are not connected sockets.
    let mut ss: libc::sockaddr_storage = unsafe { std::mem::zeroed() };
    let mut len = std::mem::size_of::<libc::sockaddr_storage>() as libc::socklen_t;
    let p = &mut ss as *mut libc::sockaddr_storage as *mut libc::sockaddr;
    let rc = unsafe {
        if local {
            libc::getsockname(fd, p, &mut len)
        } else {
            libc::getpeername(fd, p, &mut len)
        }
    };
    if rc != 0 {
        return None;
    }
    match i32::from(ss.ss_family) {
        libc::AF_INET => {
            // SAFETY: the family says the storage holds a sockaddr_in.
            let sin: libc::sockaddr_in = unsafe { *(p as *const libc::sockaddr_in) };
            let ip = std::net::Ipv4Addr::from(u32::from_be(sin.sin_addr.s_addr));
            Some(SocketAddr::new(IpAddr::V4(ip), u16::from_be(sin.sin_port)))
        }
        libc::AF_INET6 => {
            // SAFETY: the family says the storage holds a sockaddr_in6.
            let sin6: libc::sockaddr_in6 = unsafe { *(p as *const libc::sockaddr_in6) };
            let ip = std::net::Ipv6Addr::from(sin6.sin6_addr.s6_addr);
            Some(SocketAddr::new(IpAddr::V6(ip), u16::from_be(sin6.sin6_port)))
        }
        _ => None,
    }
}

/// Puts a descriptor in non-blocking mode (shared by its `dup`s).
pub fn set_nonblocking(fd: RawFd) -> io::Result<()> {
    // SAFETY: fcntl on a descriptor we own; bad descriptors give an error, not UB.
    let flags = unsafe { libc::fcntl(fd, libc::F_GETFL) };
    if flags < 0 {
        return Err(io::Error::last_os_error());
    }
    // SAFETY: as above.
    if unsafe { libc::fcntl(fd, libc::F_SETFL, flags | libc::O_NONBLOCK) } < 0 {
        return Err(io::Error::last_os_error());
    }
    Ok(())
}

/// Sets SO_SNDBUF (best effort: the kernel's own size is a fine fallback).
pub fn set_send_buffer(fd: RawFd, bytes: usize) {
    let v = libc::c_int::try_from(bytes).unwrap_or(libc::c_int::MAX);
    // SAFETY: setsockopt reads `size_of::<c_int>()` bytes from the pointer we pass.
    unsafe {
        libc::setsockopt(
            fd,
            libc::SOL_SOCKET,
            libc::SO_SNDBUF,
            &v as *const libc::c_int as *const libc::c_void,
            std::mem::size_of::<libc::c_int>() as libc::socklen_t,
        );
    }
}

/// Non-blocking send; never raises SIGPIPE.
pub fn send(fd: RawFd, buf: &[u8]) -> io::Result<usize> {
    #[cfg(target_os = "linux")]
    let flags = libc::MSG_NOSIGNAL | libc::MSG_DONTWAIT;
    #[cfg(not(target_os = "linux"))]
    let flags = 0;
    // SAFETY: the buffer is valid for `buf.len()` bytes; the descriptor is owned by the caller.
    let n = unsafe { libc::send(fd, buf.as_ptr() as *const libc::c_void, buf.len(), flags) };
    if n < 0 {
        Err(io::Error::last_os_error())
    } else {
        Ok(n as usize)
    }
}

/// Non-blocking read.
pub fn recv(fd: RawFd, buf: &mut [u8]) -> io::Result<usize> {
    // SAFETY: the buffer is valid for writes of `buf.len()` bytes.
    let n = unsafe { libc::recv(fd, buf.as_mut_ptr() as *mut libc::c_void, buf.len(), libc::MSG_DONTWAIT) };
    if n < 0 {
        Err(io::Error::last_os_error())
    } else {
        Ok(n as usize)
    }
}

/// Readiness of one registered descriptor.
#[derive(Debug, Clone, Copy)]
pub struct Ready {
    pub token: u64,
    pub readable: bool,
    pub writable: bool,
    /// Error or hang-up: the connection is over (read to find out how).
    pub broken: bool,
}

/// Waits on many sockets at once. On Linux, epoll: a wake-up costs the sockets that are
/// ready, not all of them (with `poll(2)` over 4,000 sockets each wake-up cost ~1 ms).
/// Level-triggered: interest in writing is on only while output waits.
#[cfg(target_os = "linux")]
pub struct Poller {
    ep: std::os::fd::OwnedFd,
    buf: Vec<libc::epoll_event>,
}

#[cfg(target_os = "linux")]
impl Poller {
    pub fn new() -> io::Result<Poller> {
        use std::os::fd::FromRawFd;
        // SAFETY: epoll_create1 returns a new descriptor we then own, or -1.
        let fd = unsafe { libc::epoll_create1(libc::EPOLL_CLOEXEC) };
        if fd < 0 {
            return Err(io::Error::last_os_error());
        }
        // SAFETY: `fd` is a fresh descriptor owned by nothing else.
        let ep = unsafe { std::os::fd::OwnedFd::from_raw_fd(fd) };
        Ok(Poller { ep, buf: vec![libc::epoll_event { events: 0, u64: 0 }; 1024] })
    }

    fn ctl(&self, op: libc::c_int, fd: RawFd, token: u64, write: bool) -> io::Result<()> {
        use std::os::fd::AsRawFd;
        let mut events = (libc::EPOLLIN | libc::EPOLLRDHUP) as u32;
        if write {
            events |= libc::EPOLLOUT as u32;
        }
        let mut ev = libc::epoll_event { events, u64: token };
        // SAFETY: `ev` is a valid epoll_event; bad descriptors give an error.
        if unsafe { libc::epoll_ctl(self.ep.as_raw_fd(), op, fd, &mut ev) } < 0 {
            return Err(io::Error::last_os_error());
        }
        Ok(())
    }

    pub fn add(&mut self, fd: RawFd, token: u64) -> io::Result<()> {
        self.ctl(libc::EPOLL_CTL_ADD, fd, token, false)
    }

    pub fn set_write(&mut self, fd: RawFd, token: u64, write: bool) -> io::Result<()> {
        self.ctl(libc::EPOLL_CTL_MOD, fd, token, write)
    }

    pub fn remove(&mut self, fd: RawFd) {
        let _ = self.ctl(libc::EPOLL_CTL_DEL, fd, 0, false);
    }

    /// Waits at most `timeout_ms` and appends what is ready to `out`.
    pub fn wait(&mut self, out: &mut Vec<Ready>, timeout_ms: i32) -> io::Result<()> {
        use std::os::fd::AsRawFd;
        // SAFETY: the buffer holds `len` initialised events for the kernel to overwrite.
        let n = unsafe { libc::epoll_wait(self.ep.as_raw_fd(), self.buf.as_mut_ptr(), self.buf.len() as libc::c_int, timeout_ms) };
        if n < 0 {
            let e = io::Error::last_os_error();
            return if e.kind() == io::ErrorKind::Interrupted { Ok(()) } else { Err(e) };
        }
        for ev in &self.buf[..n as usize] {
            let (flags, token) = (ev.events, ev.u64);
            out.push(Ready {
                token,
                readable: flags & (libc::EPOLLIN | libc::EPOLLRDHUP) as u32 != 0,
                writable: flags & libc::EPOLLOUT as u32 != 0,
                broken: flags & (libc::EPOLLERR | libc::EPOLLHUP) as u32 != 0,
            });
        }
        Ok(())
    }
}

/// Elsewhere, `poll(2)` over every registered descriptor (fine for small installations).
#[cfg(not(target_os = "linux"))]
pub struct Poller {
    fds: Vec<(RawFd, u64, bool)>,
}

#[cfg(not(target_os = "linux"))]
impl Poller {
    pub fn new() -> io::Result<Poller> {
        Ok(Poller { fds: Vec::new() })
    }

    pub fn add(&mut self, fd: RawFd, token: u64) -> io::Result<()> {
        self.fds.push((fd, token, false));
        Ok(())
    }

    pub fn set_write(&mut self, fd: RawFd, _token: u64, write: bool) -> io::Result<()> {
        for e in self.fds.iter_mut().filter(|e| e.0 == fd) {
            e.2 = write;
        }
        Ok(())
    }

    pub fn remove(&mut self, fd: RawFd) {
        self.fds.retain(|e| e.0 != fd);
    }

    pub fn wait(&mut self, out: &mut Vec<Ready>, timeout_ms: i32) -> io::Result<()> {
        let mut p: Vec<libc::pollfd> = self
            .fds
            .iter()
            .map(|(fd, _, w)| libc::pollfd { fd: *fd, events: libc::POLLIN | if *w { libc::POLLOUT } else { 0 }, revents: 0 })
            .collect();
        // SAFETY: the vector is a valid array of pollfd for its length.
        let n = unsafe { libc::poll(p.as_mut_ptr(), p.len() as libc::nfds_t, timeout_ms) };
        if n < 0 {
            let e = io::Error::last_os_error();
            return if e.kind() == io::ErrorKind::Interrupted { Ok(()) } else { Err(e) };
        }
        for (pfd, (_, token, _)) in p.iter().zip(&self.fds) {
            if pfd.revents != 0 {
                out.push(Ready {
                    token: *token,
                    readable: pfd.revents & libc::POLLIN != 0,
                    writable: pfd.revents & libc::POLLOUT != 0,
                    broken: pfd.revents & (libc::POLLERR | libc::POLLHUP | libc::POLLNVAL) != 0,
                });
            }
        }
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
        let index = FdIndex::default();
        let mut got = index.reserve(peer, port);
        got.sort();
        let mut want = vec![server_side.as_raw_fd(), twin.as_raw_fd()];
        want.sort();
        assert_eq!(got, want);
        // reserved descriptors are skipped by the next lookup
        assert!(index.reserve(peer, port).is_empty());
        index.release(&got);
        assert_eq!(index.reserve(peer, port).len(), 2);
        // the client's own descriptor has the server as its peer, not `peer`
        assert_ne!(client.local_addr().ok(), Some(l.local_addr().expect("addr")));
    }
}
