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

/// Sessions and messages seeded straight into the database for the search phase.
const SEED_SESSIONS: usize = 10_000;
const SEED_MESSAGES_PER_SESSION: usize = 20;

/// Seeds a large closed history, then times the agent inbox: full-text search for a rare
/// and a common word, and the closed list, as an agent would page through them.
fn search_phase(base: &str, db: &std::path::Path) {
    let words = ["izin", "usaha", "paket", "belum", "sampai", "tolong", "bantu", "akun", "login", "bayar",
        "tagihan", "pajak", "dokumen", "unggah", "gagal", "berhasil", "terima", "kasih", "mohon", "info"];
    let t = Instant::now();
    {
        let mut c = rusqlite::Connection::open(db).expect("open bench db");
        c.busy_timeout(Duration::from_secs(30)).ok();
        let tx = c.transaction().expect("tx");
        let user = uuid::Uuid::new_v4().to_string();
        tx.execute(
            "INSERT INTO chat_users (id, browser_uuid, ip_address, created_at, updated_at) VALUES (?1, ?2, '127.0.0.1', '2025-01-01T00:00:00.000Z', '2025-01-01T00:00:00.000Z')",
            [&user, &uuid::Uuid::new_v4().to_string()],
        ).expect("user");
        let mut n = 0usize;
        for i in 0..SEED_SESSIONS {
            let sid = uuid::Uuid::new_v4().to_string();
            let at = format!("2025-01-{:02}T{:02}:{:02}:00.000Z", 1 + i % 28, i % 24, i % 60);
            tx.execute(
                "INSERT INTO chat_sessions (id, family, chat_user_id, topic, status, last_activity_at, started_at, ended_at, created_at, updated_at)
                 VALUES (?1, 'oss', ?2, 'seeded', 'closed', ?3, ?3, ?3, ?3, ?3)",
                rusqlite::params![sid, user, at],
            ).expect("session");
            for j in 0..SEED_MESSAGES_PER_SESSION {
                n += 1;
                let mut text: Vec<&str> = (0..8).map(|k| words[(n * 7 + k * 13 + j) % words.len()]).collect();
                if n % 5_000 == 0 {
                    text.push("kedaluwarsa"); // the rare word: 40 messages
                }
                tx.execute(
                    "INSERT INTO messages (id, session_id, sender_type, message, created_at) VALUES (?1, ?2, 'customer', ?3, ?4)",
                    rusqlite::params![uuid::Uuid::new_v4().to_string(), sid, text.join(" "), at],
                ).expect("message");
            }
        }
        tx.commit().expect("commit");
    }
    println!(
        "seeded {SEED_SESSIONS} closed sessions, {} messages (with the FTS index) in {:.1} s",
        SEED_SESSIONS * SEED_MESSAGES_PER_SESSION,
        t.elapsed().as_secs_f64()
    );
    let out = Command::new(env!("CARGO_BIN_EXE_obrol"))
        .args(["agent", "add", "--email", "bench@example.com", "--name", "Bench", "--password", "password123", "--db"])
        .arg(db)
        .output()
        .expect("agent add");
    assert!(out.status.success(), "agent add failed");
    let login = post(&agent(), &format!("{base}/api/agent/login"), &json!({ "email": "bench@example.com", "password": "password123" }));
    let token = login["token"].as_str().unwrap_or("").to_string();
    let a = agent();
    for (name, query) in [
        ("search, rare word", "q=kedaluwarsa"),
        ("search, common word", "q=tagihan&status=closed"),
        ("search, two words", "q=paket%20belum"),
        ("closed list, page 1", "status=closed"),
        ("closed list, page 50", "status=closed&offset=1000"),
    ] {
        let mut lat = Vec::new();
        let mut total = 0;
        for _ in 0..30 {
            let t = Instant::now();
            let r: Value = a
                .get(&format!("{base}/api/agent/conversations?{query}"))
                .set("Authorization", &format!("Bearer {token}"))
                .call()
                .ok()
                .and_then(|r| r.into_json().ok())
                .unwrap_or(Value::Null);
            lat.push(t.elapsed());
            total = r["total"].as_i64().unwrap_or(-1);
        }
        lat.sort();
        println!("{name:<28} p50 {:>7.2} ms   p99 {:>7.2} ms   ({total} conversations match)", pct(&lat, 0.5), pct(&lat, 0.99));
    }
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
    search_phase(&base, &db);
    println!("resident memory at end: {} KiB", rss_kib(pid));
    let size = std::fs::metadata(&db).map(|m| m.len()).unwrap_or(0);
    println!("database file: {} KiB", size / 1024);
    child.kill().ok();
    child.wait().ok();
}
