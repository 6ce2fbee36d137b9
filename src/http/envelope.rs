//! The seed-002 `APIResponse<T>` envelope: `{success, message, data, meta, errors}` with
//! `meta.request_id`, `meta.timestamp` and, on lists, `meta.pagination`. Optional fields of
//! the seed's types are omitted when empty, never `null`.

use crate::domain::now;
use crate::error::Error;
use rouille::Response;
use serde::Serialize;
use serde_json::{json, Value};

/// Seed 002 `Pagination`.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Pagination {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_cursor: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub prev_cursor: Option<String>,
    pub has_next: bool,
    pub has_prev: bool,
    pub limit: i64,
}

fn meta(request_id: &str, pagination: Option<&Pagination>) -> Value {
    let mut m = json!({ "request_id": request_id, "timestamp": now() });
    if let (Some(p), Some(obj)) = (pagination, m.as_object_mut()) {
        obj.insert("pagination".into(), json!(p));
    }
    m
}

pub fn ok(status: u16, message: &str, data: Value, request_id: &str, pagination: Option<&Pagination>) -> Response {
    Response::json(&json!({
        "success": true,
        "message": message,
        "data": data,
        "meta": meta(request_id, pagination),
        "errors": null,
    }))
    .with_status_code(status)
}

pub fn error(e: &Error, request_id: &str) -> Response {
    if let Error::Internal(detail) = e {
        log::error!("{detail}");
    }
    let errors = match (e.field_name(), e.details()) {
        (Some(f), Some(d)) => json!({ f: [d] }),
        _ => Value::Null,
    };
    let message = match e {
        Error::Forbidden(_) => "forbidden".to_string(),
        other => other.title(),
    };
    Response::json(&json!({
        "success": false,
        "message": message,
        "data": null,
        "meta": meta(request_id, None),
        "errors": errors,
    }))
    .with_status_code(e.status())
}
