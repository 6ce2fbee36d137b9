//! `agent_tokens`: agent console logins. Only the SHA-256 of a token is stored.

use super::optional;
use crate::error::Result;
use rusqlite::{params, Connection};

pub fn insert(c: &Connection, token_hash: &str, user_id: &str, created_at: &str, expires_at: &str) -> Result<()> {
    c.execute(
        "INSERT INTO agent_tokens (token_hash, user_id, created_at, expires_at) VALUES (?1, ?2, ?3, ?4)",
        params![token_hash, user_id, created_at, expires_at],
    )?;
    Ok(())
}

/// The agent id of an unexpired token.
pub fn user_of(c: &Connection, token_hash: &str, now: &str) -> Result<Option<String>> {
    optional(c.query_row(
        "SELECT user_id FROM agent_tokens WHERE token_hash = ?1 AND expires_at > ?2",
        params![token_hash, now],
        |r| r.get(0),
    ))
}

pub fn delete(c: &Connection, token_hash: &str) -> Result<()> {
    c.execute("DELETE FROM agent_tokens WHERE token_hash = ?1", [token_hash])?;
    Ok(())
}

pub fn delete_for_user(c: &Connection, user_id: &str) -> Result<()> {
    c.execute("DELETE FROM agent_tokens WHERE user_id = ?1", [user_id])?;
    Ok(())
}
