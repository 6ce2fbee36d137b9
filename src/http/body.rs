//! Reading request input: the body (at most 64 KiB, a JSON object) and query parameters,
//! with typed accessors whose errors name the field.

use crate::error::{Error, Result};
use rouille::Request;
use serde_json::{Map, Value};
use std::io::Read;

/// Largest request body accepted (SPEC §1); larger is 413.
pub const MAX_BODY: usize = 64 * 1024;

/// A JSON object body.
pub struct Body(Map<String, Value>);

impl Body {
    /// Reads and parses the body; an empty body is an empty object.
    pub fn read(req: &Request) -> Result<Body> {
        if let Some(len) = req.header("Content-Length").and_then(|v| v.trim().parse::<usize>().ok()) {
            if len > MAX_BODY {
                return Err(Error::PayloadTooLarge);
            }
        }
        let mut buf = Vec::new();
        if let Some(data) = req.data() {
            data.take(MAX_BODY as u64 + 1)
                .read_to_end(&mut buf)
                .map_err(|_| Error::BadRequest("Could not read the request body".into()))?;
        }
        if buf.len() > MAX_BODY {
            return Err(Error::PayloadTooLarge);
        }
        Body::parse(&buf)
    }

    pub fn parse(buf: &[u8]) -> Result<Body> {
        if buf.iter().all(|b| b.is_ascii_whitespace()) {
            return Ok(Body(Map::new()));
        }
        match serde_json::from_slice::<Value>(buf) {
            Ok(Value::Object(m)) => Ok(Body(m)),
            Ok(_) => Err(Error::Field { field: "body".into(), message: "body must be a JSON object".into() }),
            Err(e) => Err(Error::Field { field: "body".into(), message: format!("malformed JSON: {e}") }),
        }
    }

    fn get(&self, f: &str) -> Option<&Value> {
        self.0.get(f).filter(|v| !v.is_null())
    }

    /// An optional string (`null` counts as absent).
    pub fn str(&self, f: &str) -> Result<Option<&str>> {
        match self.get(f) {
            None => Ok(None),
            Some(Value::String(s)) => Ok(Some(s)),
            Some(_) => Err(Error::field(f, "must be a string")),
        }
    }

    /// A required string.
    pub fn req_str(&self, f: &str) -> Result<&str> {
        self.str(f)?.ok_or_else(|| Error::missing(f))
    }

    pub fn bool(&self, f: &str) -> Result<Option<bool>> {
        match self.get(f) {
            None => Ok(None),
            Some(Value::Bool(b)) => Ok(Some(*b)),
            Some(_) => Err(Error::field(f, "must be true or false")),
        }
    }

    /// An optional whole number.
    pub fn int(&self, f: &str) -> Result<Option<i64>> {
        match self.get(f) {
            None => Ok(None),
            Some(v) => v.as_i64().map(Some).ok_or_else(|| Error::field(f, "must be a whole number")),
        }
    }

    /// Whether the field is present at all (even as `null`), for PATCH semantics.
    pub fn has(&self, f: &str) -> bool {
        self.0.contains_key(f)
    }
}

/// A query parameter; empty counts as absent.
pub fn query(req: &Request, name: &str) -> Option<String> {
    req.get_param(name).filter(|v| !v.is_empty())
}

/// An integer query parameter in `min..=max`, or `default` when absent.
pub fn query_int(req: &Request, name: &str, default: i64, min: i64, max: i64) -> Result<i64> {
    match query(req, name) {
        None => Ok(default),
        Some(v) => {
            let n: i64 = v.trim().parse().map_err(|_| Error::query(name, "must be a whole number"))?;
            crate::domain::check_range(name, n, min, max).map_err(Error::in_query)
        }
    }
}
