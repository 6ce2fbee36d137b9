//! Integration tests: each starts the real `obrol` binary on a free port with a fresh
//! temporary database and talks HTTP/WebSocket to it. One test binary, a module per area.

mod common;

mod agent;
mod ops;
mod oss;
mod realtime;
mod tenant;
mod ws_client;
