//! Types and rules of the chat domain: no SQL, no HTTP. Parsing functions return
//! `Error::Field` naming the field, so a handler cannot forget validation.

mod input;
mod kinds;

pub use input::*;
pub use kinds::*;

use chrono::{DateTime, SecondsFormat, Utc};

/// Now, as stored and rendered: RFC 3339 UTC with milliseconds (`2025-01-15T10:00:00.000Z`).
pub fn now() -> String {
    fmt_time(Utc::now())
}

pub fn fmt_time(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Millis, true)
}

/// A new row id (UUID v4).
pub fn new_id() -> String {
    uuid::Uuid::new_v4().to_string()
}
