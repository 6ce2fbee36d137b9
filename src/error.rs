//! One error type for the whole program. Every variant maps to one HTTP status in
//! `Error::status`; `http::error` renders it in each API family's shape.

use std::fmt;

#[derive(Debug, Clone, PartialEq)]
pub enum Error {
    /// 400: the named body field is missing or malformed; `message` is a whole sentence.
    Field { field: String, message: String },
    /// 400: the named query parameter is malformed.
    Query { field: String, message: String },
    /// 400: a request that is well-formed but not allowed now (e.g. a tenant's second OPEN session).
    BadRequest(String),
    /// 401.
    Unauthorized(String),
    /// 403.
    Forbidden(String),
    /// 404: `what` is e.g. "Session" → "Session not found".
    NotFound(&'static str),
    /// 405.
    MethodNotAllowed,
    /// 409: the resource is in a state that forbids the action (closed session, not assigned).
    Conflict(String),
    /// 410.
    Gone(String),
    /// 413.
    PayloadTooLarge,
    /// 429.
    TooManyRequests,
    /// 503.
    Unavailable(String),
    /// 500: a fault of ours; the detail is logged, never sent.
    Internal(String),
}

pub type Result<T> = std::result::Result<T, Error>;

impl Error {
    /// `field` is malformed: `message` says how ("must be a UUID").
    pub fn field(field: &str, message: impl AsRef<str>) -> Error {
        Error::Field { field: field.to_string(), message: format!("{field} {}", message.as_ref()) }
    }

    /// `field` is required and absent.
    pub fn missing(field: &str) -> Error {
        Error::Field { field: field.to_string(), message: format!("missing required field: {field}") }
    }

    /// Query parameter `field` is malformed.
    pub fn query(field: &str, message: impl AsRef<str>) -> Error {
        Error::Query { field: field.to_string(), message: format!("{field} {}", message.as_ref()) }
    }

    /// The same error, about a query parameter instead of a body field.
    pub fn in_query(self) -> Error {
        match self {
            Error::Field { field, message } => Error::Query { field, message },
            other => other,
        }
    }

    /// The field a 400 is about.
    pub fn field_name(&self) -> Option<&str> {
        match self {
            Error::Field { field, .. } | Error::Query { field, .. } => Some(field),
            _ => None,
        }
    }

    pub fn status(&self) -> u16 {
        match self {
            Error::Field { .. } | Error::Query { .. } | Error::BadRequest(_) => 400,
            Error::Unauthorized(_) => 401,
            Error::Forbidden(_) => 403,
            Error::NotFound(_) => 404,
            Error::MethodNotAllowed => 405,
            Error::Conflict(_) => 409,
            Error::Gone(_) => 410,
            Error::PayloadTooLarge => 413,
            Error::TooManyRequests => 429,
            Error::Unavailable(_) => 503,
            Error::Internal(_) => 500,
        }
    }

    /// The short, human sentence of the error (seed 000 `error`, seed 002 `message`).
    pub fn title(&self) -> String {
        match self {
            Error::Field { .. } => "Invalid request body".into(),
            Error::Query { .. } => "Invalid query parameter".into(),
            Error::BadRequest(m) => m.clone(),
            Error::Unauthorized(m) => m.clone(),
            Error::Forbidden(m) => m.clone(),
            Error::NotFound(what) => format!("{what} not found"),
            Error::MethodNotAllowed => "Method not allowed".into(),
            Error::Conflict(m) => m.clone(),
            Error::Gone(m) => m.clone(),
            Error::PayloadTooLarge => "Request body too large".into(),
            Error::TooManyRequests => "Too many requests".into(),
            Error::Unavailable(m) => m.clone(),
            Error::Internal(_) => "Internal server error".into(),
        }
    }

    /// Detail safe to send (never internal details).
    pub fn details(&self) -> Option<String> {
        match self {
            Error::Field { message, .. } | Error::Query { message, .. } => Some(message.clone()),
            Error::PayloadTooLarge => Some("the limit is 64 KiB".into()),
            _ => None,
        }
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::Internal(d) => write!(f, "internal: {d}"),
            other => match other.details() {
                Some(d) => write!(f, "{} ({d})", other.title()),
                None => write!(f, "{}", other.title()),
            },
        }
    }
}

impl std::error::Error for Error {}

impl From<rusqlite::Error> for Error {
    fn from(e: rusqlite::Error) -> Error {
        Error::Internal(format!("sqlite: {e}"))
    }
}

impl From<r2d2::Error> for Error {
    fn from(e: r2d2::Error) -> Error {
        Error::Internal(format!("pool: {e}"))
    }
}

impl From<serde_json::Error> for Error {
    fn from(e: serde_json::Error) -> Error {
        Error::Internal(format!("json: {e}"))
    }
}
