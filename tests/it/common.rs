//! The test harness: `TestServer::start()` runs the real binary on port 0 with a temporary
//! database (killed on drop), plus small JSON HTTP helpers. Set TEST_LOG=1 to see its log.

#![allow(dead_code)]

use serde_json::Value;
use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Child, Command, Output, Stdio};
use std::sync::{Arc, Mutex};
use std::time::Duration;

pub const BIN: &str = env!("CARGO_BIN_EXE_obrol");

pub struct TestServer {
    child: Child,
    pub base: String,
    pub db: PathBuf,
    pub dir: tempfile::TempDir,
    /// Lines the server printed on stdout after "listening on".
    pub stdout: Arc<Mutex<Vec<String>>>,
}

impl TestServer {
    pub fn start() -> TestServer {
        TestServer::start_with(&[], &[])
    }

    /// Starts with extra `serve` flags and environment variables.
    pub fn start_with(args: &[&str], envs: &[(&str, &str)]) -> TestServer {
        let dir = tempfile::tempdir().expect("tempdir");
        let db = dir.path().join("obrol.db");
        TestServer::start_on(dir, db, args, envs)
    }

    /// Starts on an existing database (restart tests).
    pub fn start_on(dir: tempfile::TempDir, db: PathBuf, args: &[&str], envs: &[(&str, &str)]) -> TestServer {
        let verbose = std::env::var("TEST_LOG").is_ok();
        let stderr = if verbose { Stdio::inherit() } else { Stdio::null() };
        TestServer::spawn(dir, db, args, envs, if verbose { "info" } else { "warn" }, stderr)
    }

    fn spawn(dir: tempfile::TempDir, db: PathBuf, args: &[&str], envs: &[(&str, &str)], log_level: &str, stderr: Stdio) -> TestServer {
        let mut cmd = Command::new(BIN);
        cmd.arg("serve").arg("--addr").arg("127.0.0.1:0").arg("--db").arg(&db).args(args);
        cmd.env("OBROL_RATE_LIMIT", "off");
        for k in ["OBROL_IDENTITY_SECRET", "OBROL_JWT_SECRET", "OBROL_ADDR", "OBROL_DB", "OBROL_ROUTING"] {
            cmd.env_remove(k);
        }
        cmd.env("RUST_LOG", log_level);
        for (k, v) in envs {
            cmd.env(k, v);
        }
        cmd.stdout(Stdio::piped()).stderr(stderr);
        let mut child = cmd.spawn().expect("spawn obrol");
        let stdout = child.stdout.take().expect("stdout");
        let mut lines = BufReader::new(stdout).lines();
        let first = lines.next().expect("server printed nothing").expect("read stdout");
        let base = first.strip_prefix("listening on ").expect("first line is 'listening on …'").trim().to_string();
        let printed = Arc::new(Mutex::new(Vec::new()));
        let sink = Arc::clone(&printed);
        std::thread::spawn(move || {
            for line in lines.map_while(Result::ok) {
                sink.lock().expect("lock").push(line);
            }
        });
        TestServer { child, base, db, dir, stdout: printed }
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.base, path)
    }

    /// The `setup code: …` the server printed, if any.
    pub fn setup_code(&self) -> Option<String> {
        for _ in 0..50 {
            let found = self.stdout.lock().expect("lock").iter().find_map(|l| {
                l.strip_prefix("setup code: ").map(|r| r.split_whitespace().next().unwrap_or("").to_string())
            });
            if found.is_some() {
                return found;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        None
    }

    /// Runs an `obrol` subcommand against this server's database.
    pub fn cli(&self, args: &[&str]) -> Output {
        cli(&self.db, args)
    }

    /// Kills the server with SIGKILL and waits for it.
    pub fn kill9(&mut self) {
        self.child.kill().ok();
        self.child.wait().ok();
    }

    /// Sends SIGTERM and waits for a clean exit; returns the exit status.
    pub fn terminate(&mut self) -> std::process::ExitStatus {
        Command::new("kill").arg("-TERM").arg(self.child.id().to_string()).status().expect("kill -TERM");
        self.child.wait().expect("wait")
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }
}

impl Drop for TestServer {
    fn drop(&mut self) {
        self.child.kill().ok();
        self.child.wait().ok();
    }
}

/// Runs an `obrol` subcommand on `db`.
pub fn cli(db: &std::path::Path, args: &[&str]) -> Output {
    Command::new(BIN).args(args).arg("--db").arg(db).env("RUST_LOG", "warn").output().expect("run obrol")
}

/// The trimmed stdout of a successful subcommand (panics with its stderr otherwise).
pub fn cli_ok(db: &std::path::Path, args: &[&str]) -> String {
    let out = cli(db, args);
    assert!(out.status.success(), "obrol {args:?} failed: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}

/// A response: status, headers we care about, parsed JSON body (Null when not JSON).
#[derive(Debug)]
pub struct Resp {
    pub status: u16,
    pub body: Value,
    pub text: String,
    pub headers: Vec<(String, String)>,
}

impl Resp {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(k, _)| k.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str())
    }
}

fn agent() -> ureq::Agent {
    ureq::AgentBuilder::new().timeout(Duration::from_secs(40)).build()
}

fn finish(r: Result<ureq::Response, ureq::Error>) -> Resp {
    let resp = match r {
        Ok(r) => r,
        Err(ureq::Error::Status(_, r)) => r,
        Err(e) => panic!("transport error: {e}"),
    };
    let status = resp.status();
    let headers = resp
        .headers_names()
        .into_iter()
        .filter_map(|n| resp.header(&n).map(|v| (n.clone(), v.to_string())))
        .collect();
    let text = resp.into_string().unwrap_or_default();
    let body = serde_json::from_str(&text).unwrap_or(Value::Null);
    Resp { status, body, text, headers }
}

/// Any request with optional JSON body and extra headers.
pub fn request(method: &str, url: &str, body: Option<&Value>, headers: &[(&str, &str)]) -> Resp {
    let mut req = agent().request(method, url);
    for (k, v) in headers {
        req = req.set(k, v);
    }
    finish(match body {
        Some(b) => req.set("Content-Type", "application/json").send_string(&b.to_string()),
        None => req.call(),
    })
}

/// A request with a raw body.
pub fn request_raw(method: &str, url: &str, body: &[u8], headers: &[(&str, &str)]) -> Resp {
    let mut req = agent().request(method, url);
    for (k, v) in headers {
        req = req.set(k, v);
    }
    finish(req.send_bytes(body))
}

pub fn get(url: &str) -> Resp {
    request("GET", url, None, &[])
}

pub fn post(url: &str, body: &Value) -> Resp {
    request("POST", url, Some(body), &[])
}

pub fn new_uuid() -> String {
    uuid::Uuid::new_v4().to_string()
}

/// Creates an agent via the CLI and returns its id.
pub fn add_agent(db: &std::path::Path, email: &str, extra: &[&str]) -> String {
    let mut args = vec!["agent", "add", "--email", email, "--name", email.split('@').next().unwrap_or("Agent"), "--password", "password123"];
    args.extend_from_slice(extra);
    cli_ok(db, &args)
}

/// Logs an agent in (password `password123`) and returns the bearer token.
pub fn login(server: &TestServer, email: &str) -> String {
    let r = post(&server.url("/api/agent/login"), &serde_json::json!({ "email": email, "password": "password123" }));
    assert_eq!(r.status, 200, "login {email}: {}", r.text);
    r.body["token"].as_str().expect("token").to_string()
}

/// An agent who is logged in and online; returns (agent id, token).
pub fn online_agent(server: &TestServer, email: &str, extra: &[&str]) -> (String, String) {
    let id = add_agent(&server.db, email, extra);
    let token = login(server, email);
    let r = request("PUT", &server.url("/api/agent/presence"), Some(&serde_json::json!({ "status": "online" })), &[("Authorization", &format!("Bearer {token}"))]);
    assert_eq!(r.status, 200, "presence: {}", r.text);
    (id, token)
}

/// Where `TestServer::start_logged` writes the server's stderr.
fn log_file(dir: &tempfile::TempDir) -> PathBuf {
    dir.path().join("server.log")
}

impl TestServer {
    /// Starts like `start_with`, with the server's log at `RUST_LOG=debug` captured in a file
    /// (read it with `log_text`), for tests about what the log says or must never say.
    pub fn start_logged(args: &[&str], envs: &[(&str, &str)]) -> TestServer {
        let dir = tempfile::tempdir().expect("tempdir");
        let db = dir.path().join("obrol.db");
        let log = std::fs::File::create(log_file(&dir)).expect("log file");
        TestServer::spawn(dir, db, args, envs, "debug", Stdio::from(log))
    }

    /// Everything a `start_logged` server has logged so far.
    pub fn log_text(&self) -> String {
        std::fs::read_to_string(log_file(&self.dir)).unwrap_or_default()
    }
}
