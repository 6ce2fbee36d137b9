//! WebSocket endpoints (SPEC §4): push-only sockets fed by the hub.
//! Not built yet: every endpoint answers 404 until the real-time issue lands.

use super::Ctx;
use crate::error::{Error, Result};
use rouille::Response;

/// `GET /api/chat/session/{id}/ws`: the visitor's socket.
pub fn visitor(_ctx: &Ctx, _session_id: &str) -> Result<Response> {
    Err(Error::NotFound("Route"))
}
