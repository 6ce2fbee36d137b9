//! Sockets benchmark: holds many WebSocket clients on one release server and prints its
//! memory, threads and descriptors, the delivery latency (POST start → frame) and a fan-out
//! of one message to every socket. Run with `cargo bench --bench sockets`
//! (`OBROL_SOAK_SOCKETS=8000` for the figures in the README; raise `ulimit -n` first).

#[path = "../tests/it/common.rs"]
mod common;
#[path = "../tests/it/ws_client.rs"]
mod ws_client;

use common::*;
use serde_json::json;
use std::time::{Duration, Instant};
use ws_client::*;

fn main() {
    let n: usize = std::env::var("OBROL_SOAK_SOCKETS").ok().and_then(|v| v.parse().ok()).unwrap_or(3000);
    println!("obrol sockets benchmark: {n} WebSocket clients (OBROL_SOAK_SOCKETS sets n)");
    let s = TestServer::start();
    let pid = s.pid();
    let base_rss = proc_status(pid, "VmRSS:");
    let t = Instant::now();
    let sessions: Vec<(String, String)> = (0..n).map(|i| start_visitor(&s, &format!("soak {i}"))).collect();
    println!("{n} sessions started in {:?}", t.elapsed());
    let t = Instant::now();
    let mut sockets: Vec<Ws> = sessions.iter().map(|(b, id)| Ws::open(&s, &ws_path(id, b))).collect();
    println!("{n} sockets opened in {:?}", t.elapsed());
    std::thread::sleep(Duration::from_secs(1));
    println!(
        "server: RSS {} (idle {base_rss}), threads {}, fds {}, obrol_ws_sockets {}",
        proc_status(pid, "VmRSS:"),
        proc_status(pid, "Threads:"),
        std::fs::read_dir(format!("/proc/{pid}/fd")).map(|d| d.count()).unwrap_or(0),
        metric(&s, "obrol_ws_sockets")
    );
    // latency: POST start to frame, one session at a time
    let mut lat = Vec::new();
    for i in (0..n).step_by((n / 500).max(1)) {
        let (b, id) = &sessions[i];
        let t0 = Instant::now();
        visitor_says(&s, id, b, "latency");
        let f = sockets[i].expect("message.created");
        assert_eq!(f["message"], "latency");
        lat.push(t0.elapsed());
    }
    lat.sort();
    let pct = |p: f64| lat[((lat.len() as f64 * p) as usize).min(lat.len() - 1)];
    println!("delivery (POST start → frame), {} samples: p50 {:?}, p99 {:?}, max {:?}", lat.len(), pct(0.5), pct(0.99), pct(1.0));
    // every socket gets one message, posted from 4 threads
    let t = Instant::now();
    let chunks: Vec<Vec<(String, String)>> = sessions.chunks(n.div_ceil(4)).map(|c| c.to_vec()).collect();
    let posters: Vec<_> = chunks
        .into_iter()
        .map(|chunk| {
            let url = s.url("");
            std::thread::spawn(move || {
                for (b, id) in &chunk {
                    let r = post(&format!("{url}/api/chat/session/{id}/messages"), &json!({ "browser_uuid": b, "message": "all" }));
                    assert_eq!(r.status, 201);
                }
            })
        })
        .collect();
    for p in posters {
        p.join().expect("poster");
    }
    let posted = t.elapsed();
    let mut lost = 0;
    for ws in sockets.iter_mut() {
        match ws.next(Duration::from_secs(5)) {
            Some(f) if f["data"]["message"] == "all" => {}
            _ => lost += 1,
        }
    }
    println!("{n} messages to {n} sockets: posted in {posted:?}, all read after {:?}, lost {lost}", t.elapsed());
    println!("server after: RSS {}, threads {}", proc_status(pid, "VmRSS:"), proc_status(pid, "Threads:"));
    if lost > 0 {
        eprintln!("{lost} sockets missed their message");
        std::process::exit(1);
    }
}
