//! obrol: a live-chat server in one executable and one SQLite file.
//!
//! The flow of a request: `http` (router, family adapters) → `service` (one use case, one
//! transaction, then events to the `hub`) → `store` (SQL) → back to `http`, which renders
//! the family's shape. `domain` holds the rules and types that know neither HTTP nor SQL.

pub mod auth;
pub mod cli;
pub mod commands;
pub mod config;
pub mod db;
pub mod domain;
pub mod error;
pub mod http;
pub mod hub;
pub mod net;
pub mod realtime;
pub mod service;
pub mod store;

use config::Config;
use service::App;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

/// The request handler rouille runs for every request.
type Handler = Box<dyn Fn(&rouille::Request) -> rouille::Response + Send + Sync>;

/// A running server.
pub struct Server {
    pub app: Arc<App>,
    inner: rouille::Server<Handler>,
}

impl Server {
    /// Opens the database, binds the address and starts the background work.
    pub fn start(config: Config) -> Result<Server, String> {
        let app = Arc::new(App::new(config).map_err(|e| e.to_string())?);
        let handler_app = Arc::clone(&app);
        let handler: Handler = Box::new(move |req| http::handle(&handler_app, req));
        let inner = rouille::Server::new(app.config.addr.as_str(), handler)
            .map_err(|e| format!("cannot listen on {}: {e}", app.config.addr))?;
        if !net::tune_listener(inner.server_addr()) {
            log::warn!("could not set TCP_NODELAY on the listening socket");
        }
        service::janitor::spawn(Arc::clone(&app));
        realtime::Realtime::spawn(&app, inner.server_addr()).map_err(|e| e.to_string())?;
        Ok(Server { app, inner })
    }

    pub fn addr(&self) -> SocketAddr {
        self.inner.server_addr()
    }

    /// Serves until `stop` turns true, then finishes in-flight requests, ends long-polls and
    /// sockets, and checkpoints the WAL so the database file alone is complete.
    pub fn run_until(self, stop: Arc<AtomicBool>) {
        while !stop.load(Ordering::SeqCst) {
            self.inner.poll_timeout(Duration::from_millis(100));
        }
        log::info!("shutting down");
        self.app.hub.close();
        self.app.realtime.shutdown();
        self.inner.poll_timeout(Duration::from_millis(50));
        self.inner.join();
        if let Err(e) = self.app.db.checkpoint() {
            log::warn!("checkpoint at shutdown failed: {e}");
        }
        log::info!("stopped");
    }
}
