//! Validated inputs: each `parse` names the field it was given on failure.

use crate::error::{Error, Result};
use chrono::{DateTime, Utc};

/// Longest message, in characters, after trimming (SPEC §1).
pub const MAX_MESSAGE_CHARS: usize = 4000;

/// A message body: 1..=4000 characters after trimming, stored exactly as sent.
#[derive(Debug, Clone, PartialEq)]
pub struct MessageText(String);

impl MessageText {
    pub fn parse(field: &str, s: &str) -> Result<MessageText> {
        let n = s.trim().chars().count();
        if n == 0 {
            return Err(Error::field(field, "must not be empty"));
        }
        if n > MAX_MESSAGE_CHARS {
            return Err(Error::field(field, format!("must be at most {MAX_MESSAGE_CHARS} characters")));
        }
        Ok(MessageText(s.to_string()))
    }
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A canonical (lower-case, hyphenated) UUID.
pub fn parse_uuid(field: &str, s: &str) -> Result<String> {
    uuid::Uuid::parse_str(s.trim())
        .map(|u| u.hyphenated().to_string())
        .map_err(|_| Error::field(field, "must be a UUID"))
}

/// Required text: 1..=`max` characters after trimming; returns it trimmed.
pub fn parse_text(field: &str, s: &str, max: usize) -> Result<String> {
    let t = s.trim();
    if t.is_empty() {
        return Err(Error::field(field, "must not be empty"));
    }
    if t.chars().count() > max {
        return Err(Error::field(field, format!("must be at most {max} characters")));
    }
    Ok(t.to_string())
}

/// Optional text: empty means absent.
pub fn parse_opt_text(field: &str, s: Option<&str>, max: usize) -> Result<Option<String>> {
    match s.map(str::trim) {
        None | Some("") => Ok(None),
        Some(t) => parse_text(field, t, max).map(Some),
    }
}

/// A plausible e-mail address: one `@`, a non-empty local part, a dotted domain, no spaces.
pub fn parse_email(field: &str, s: &str) -> Result<String> {
    let t = parse_text(field, s, 255)?;
    let valid = match t.split_once('@') {
        Some((local, domain)) => {
            !local.is_empty()
                && !domain.contains('@')
                && domain.contains('.')
                && !domain.starts_with('.')
                && !domain.ends_with('.')
                && !t.chars().any(|c| c.is_whitespace() || c.is_control())
        }
        None => false,
    };
    if valid {
        Ok(t)
    } else {
        Err(Error::field(field, "must be a valid e-mail address"))
    }
}

/// An RFC 3339 timestamp.
pub fn parse_time(field: &str, s: &str) -> Result<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(s.trim())
        .map(|t| t.with_timezone(&Utc))
        .map_err(|_| Error::field(field, "must be an RFC 3339 timestamp like 2025-01-15T10:00:00Z"))
}

/// An integer within `min..=max`.
pub fn check_range(field: &str, n: i64, min: i64, max: i64) -> Result<i64> {
    if n < min || n > max {
        return Err(Error::field(field, format!("must be between {min} and {max}")));
    }
    Ok(n)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn message_text_bounds() {
        assert!(MessageText::parse("message", "   ").is_err());
        assert!(MessageText::parse("message", &"a".repeat(4000)).is_ok());
        assert!(MessageText::parse("message", &format!("  {}  ", "é".repeat(4000))).is_ok());
        assert!(MessageText::parse("message", &"a".repeat(4001)).is_err());
        assert_eq!(MessageText::parse("m", " hi ").map(|m| m.as_str().to_string()), Ok(" hi ".into()));
    }

    #[test]
    fn emails() {
        assert!(parse_email("e", "a@b.co").is_ok());
        for bad in ["", "a", "a@b", "@b.co", "a@@b.co", "a b@c.co", "a@.co", "a@b."] {
            assert!(parse_email("e", bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn uuids_are_canonical() {
        assert_eq!(
            parse_uuid("id", "550E8400-E29B-41D4-A716-446655440000").ok().as_deref(),
            Some("550e8400-e29b-41d4-a716-446655440000")
        );
        assert!(parse_uuid("id", "nope").is_err());
    }
}
