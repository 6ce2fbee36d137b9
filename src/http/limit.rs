//! Per-client-IP request rate limit: a token bucket per address (SPEC §7).

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Mutex;
use std::time::Instant;

/// Addresses remembered at most; past it, idle (full) buckets are forgotten.
const MAX_TRACKED: usize = 50_000;

struct Bucket {
    tokens: f64,
    at: Instant,
}

pub struct Limiter {
    per_sec: f64,
    burst: f64,
    buckets: Mutex<HashMap<IpAddr, Bucket>>,
}

impl Limiter {
    pub fn new(per_sec: u32) -> Limiter {
        let per_sec = f64::from(per_sec.max(1));
        Limiter { per_sec, burst: per_sec * 4.0, buckets: Mutex::new(HashMap::new()) }
    }

    /// Takes one request's token for `ip`; false when it has none left.
    pub fn allow(&self, ip: IpAddr) -> bool {
        let now = Instant::now();
        let mut map = self.buckets.lock().unwrap_or_else(|p| p.into_inner());
        if map.len() >= MAX_TRACKED {
            let (rate, burst) = (self.per_sec, self.burst);
            map.retain(|_, b| b.tokens + now.duration_since(b.at).as_secs_f64() * rate < burst);
        }
        let b = map.entry(ip).or_insert(Bucket { tokens: self.burst, at: now });
        b.tokens = (b.tokens + now.duration_since(b.at).as_secs_f64() * self.per_sec).min(self.burst);
        b.at = now;
        if b.tokens >= 1.0 {
            b.tokens -= 1.0;
            true
        } else {
            false
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bursts_then_refuses_per_address() {
        let l = Limiter::new(1);
        let a: IpAddr = [10, 0, 0, 1].into();
        let b: IpAddr = [10, 0, 0, 2].into();
        assert_eq!((0..4).filter(|_| l.allow(a)).count(), 4);
        assert!(!l.allow(a));
        assert!(l.allow(b));
    }
}
