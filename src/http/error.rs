//! Rendering errors in the seed-000 shape `{"error": "...", "details": "..."}` (the OSS
//! family, the agent API and everything outside the tenant family). The tenant family's
//! `APIResponse` shape is in `envelope.rs`.

use crate::error::Error;
use rouille::Response;
use serde_json::json;

pub fn plain(e: &Error) -> Response {
    if let Error::Internal(detail) = e {
        log::error!("{detail}");
    }
    let body = match e.details() {
        Some(d) => json!({ "error": e.title(), "details": d }),
        None => json!({ "error": e.title() }),
    };
    Response::json(&body).with_status_code(e.status())
}
