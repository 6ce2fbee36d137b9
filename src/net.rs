//! Socket options on the listening socket. rouille binds inside a private tiny_http server,
//! so we find the bound descriptor by its address and set the options there; Linux copies
//! them to every accepted connection.
//! - TCP_NODELAY: tiny_http writes through a small buffer, and without it every keep-alive
//!   response over ~1 KiB stalls ~40 ms (Nagle + delayed ACK).
//! - keepalive + TCP_USER_TIMEOUT: push-only sockets are never read, so a vanished peer is
//!   otherwise noticed only after many minutes.

use std::net::SocketAddr;
use std::time::Duration;

/// Sets the options on our listening socket bound to `addr`; returns whether it was found.
#[cfg(target_os = "linux")]
pub fn tune_listener(addr: SocketAddr) -> bool {
    use socket2::{SockRef, TcpKeepalive};
    use std::os::fd::BorrowedFd;
    let Ok(dir) = std::fs::read_dir("/proc/self/fd") else { return false };
    for entry in dir.flatten() {
        let Some(fd) = entry.file_name().to_str().and_then(|s| s.parse::<i32>().ok()) else { continue };
        let link = std::fs::read_link(entry.path()).unwrap_or_default();
        if !link.to_string_lossy().starts_with("socket:") {
            continue;
        }
        // SAFETY: the descriptor is open (listed just now) and only borrowed for these calls.
        let borrowed = unsafe { BorrowedFd::borrow_raw(fd) };
        let sock = SockRef::from(&borrowed);
        let is_ours = sock.local_addr().ok().and_then(|a| a.as_socket()) == Some(addr)
            && sock.is_listener().unwrap_or(false);
        if is_ours {
            let ka = TcpKeepalive::new().with_time(Duration::from_secs(60)).with_interval(Duration::from_secs(10));
            let ok = sock.set_nodelay(true).is_ok();
            sock.set_tcp_keepalive(&ka).ok();
            sock.set_tcp_user_timeout(Some(Duration::from_secs(90))).ok();
            return ok;
        }
    }
    false
}

#[cfg(not(target_os = "linux"))]
pub fn tune_listener(_addr: SocketAddr) -> bool {
    false
}
