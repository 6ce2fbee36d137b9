//! Load benchmark: starts the release server on a temporary database and prints figures
//! (throughput, latency percentiles, long-poll wake-up, resident memory). Run with
//! `cargo bench --bench load`; `BENCH_SECS` sets each phase's length (default 5).

use serde_json::{json, Value};
use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

const CLIENTS: usize = 16;

fn agent() -> ureq::Agent {
    ureq::AgentBuilder::new().timeout(Duration::from_secs(60)).build()
}

fn post(a: &ureq::Agent, url: &str, body: &Value) -> Value {
    a.post(url).send_json(body.clone()).ok().and_then(|r| r.into_json().ok()).unwrap_or(Value::Null)
}

fn rss_kib(pid: u32) -> u64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .ok()
        .and_then(|s| s.lines().find(|l| l.starts_with("VmRSS:")).and_then(|l| l.split_whitespace().nth(1)?.parse().ok()))
        .unwrap_or(0)
}

fn pct(sorted: &[Duration], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i].as_secs_f64() * 1000.0
}

/// Runs `f` from CLIENTS threads for `secs`; prints requests/s and latency percentiles.
fn phase(name: &str, secs: u64, f: impl Fn(&ureq::Agent, usize) -> bool + Send + Sync + 'static) {
    let f = Arc::new(f);
    let stop = Arc::new(AtomicBool::new(false));
    let started = Instant::now();
    let handles: Vec<_> = (0..CLIENTS)
        .map(|c| {
            let (f, stop) = (Arc::clone(&f), Arc::clone(&stop));
            std::thread::spawn(move || {
                let a = agent();
                let (mut lat, mut errors) = (Vec::new(), 0usize);
                while !stop.load(Ordering::Relaxed) {
                    let t = Instant::now();
                    if f(&a, c) {
                        lat.push(t.elapsed());
                    } else {
                        errors += 1;
                    }
                }
                (lat, errors)
            })
        })
        .collect();
    std::thread::sleep(Duration::from_secs(secs));
    stop.store(true, Ordering::Relaxed);
    let (mut all, mut errors) = (Vec::new(), 0);
    for h in handles {
        let (l, e) = h.join().unwrap_or_default();
        all.extend(l);
        errors += e;
    }
    let took = started.elapsed().as_secs_f64();
    all.sort();
    println!(
        "{name:<28} {:>8.0} req/s   p50 {:>6.2} ms   p99 {:>6.2} ms   errors {errors}",
        all.len() as f64 / took,
        pct(&all, 0.5),
        pct(&all, 0.99)
    );
}

fn main() {
    let secs: u64 = std::env::var("BENCH_SECS").ok().and_then(|s| s.parse().ok()).unwrap_or(5);
    let dir = tempfile::tempdir().expect("tempdir");
    let db = dir.path().join("bench.db");
    let mut child = Command::new(env!("CARGO_BIN_EXE_obrol"))
        .args(["serve", "--addr", "127.0.0.1:0", "--db"])
        .arg(&db)
        .env("OBROL_RATE_LIMIT", "off")
        .env("RUST_LOG", "warn")
        .stdout(Stdio::piped())
        .spawn()
        .expect("start obrol");
    let mut lines = BufReader::new(child.stdout.take().expect("stdout")).lines();
    let base = lines.next().and_then(Result::ok).and_then(|l| l.strip_prefix("listening on ").map(str::to_string)).expect("address");
    std::thread::spawn(move || for _ in lines {});
    let pid = child.id();
    println!("obrol load benchmark: {CLIENTS} client threads, {secs} s a phase, 2 cores shared with the clients");
    println!("resident memory at start: {} KiB", rss_kib(pid));

    let a = agent();
    let sessions: Arc<Vec<(String, String)>> = Arc::new(
        (0..CLIENTS)
            .map(|_| {
                let b = uuid::Uuid::new_v4().to_string();
                let r = post(&a, &format!("{base}/api/chat/start"), &json!({ "browser_uuid": b, "topic": "bench" }));
                (b, r["session_id"].as_str().unwrap_or("").to_string())
            })
            .collect(),
    );
    let (s, u) = (Arc::clone(&sessions), base.clone());
    phase("POST message (commit)", secs, move |a, c| {
        let (b, id) = &s[c];
        a.post(&format!("{u}/api/chat/session/{id}/messages"))
            .send_json(json!({ "browser_uuid": b, "message": "halo, saya mau tanya soal izin usaha" }))
            .is_ok()
    });
    let (s, u) = (Arc::clone(&sessions), base.clone());
    phase("GET 20 messages", secs, move |a, c| {
        let (b, id) = &s[c];
        a.get(&format!("{u}/api/chat/session/{id}/messages?browser_uuid={b}&limit=20")).call().is_ok()
    });
    let (s, u) = (Arc::clone(&sessions), base.clone());
    phase("GET history", secs, move |a, c| {
        let (b, _) = &s[c];
        a.get(&format!("{u}/api/chat/history?browser_uuid={b}")).call().is_ok()
    });

    // Long-poll wake-up: time from a POST's answer to the waiting poll's answer.
    let (b, id) = sessions[0].clone();
    let mut wake = Vec::new();
    for _ in 0..50 {
        let last = post(&a, &format!("{base}/api/chat/session/{id}/messages"), &json!({ "browser_uuid": b, "message": "x" }));
        let after = last["id"].as_str().unwrap_or("").to_string();
        let url = format!("{base}/api/chat/session/{id}/messages?browser_uuid={b}&after={after}&wait=10");
        let poller = std::thread::spawn(move || {
            let r = agent().get(&url).call();
            (Instant::now(), r.is_ok())
        });
        std::thread::sleep(Duration::from_millis(20));
        post(&a, &format!("{base}/api/chat/session/{id}/messages"), &json!({ "browser_uuid": b, "message": "wake" }));
        let sent = Instant::now();
        if let Ok((woke, true)) = poller.join() {
            wake.push(woke.saturating_duration_since(sent));
        }
    }
    wake.sort();
    println!("long-poll wake-up after a POST  p50 {:.2} ms   p99 {:.2} ms   ({} polls)", pct(&wake, 0.5), pct(&wake, 0.99), wake.len());
    println!("resident memory at end: {} KiB", rss_kib(pid));
    let size = std::fs::metadata(&db).map(|m| m.len()).unwrap_or(0);
    println!("database file: {} KiB", size / 1024);
    child.kill().ok();
    child.wait().ok();
}
