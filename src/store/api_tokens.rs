//! `api_tokens`: opaque bearer tokens of the tenant family (SPEC §3, §6). Only the SHA-256
//! of a token is stored, so a copy of the database never yields a usable token.

use super::optional;
use crate::domain::{new_id, now};
use crate::error::Result;
use rusqlite::{params, Connection, Row};

/// A token as stored: everything but its secret.
#[derive(Debug, Clone, PartialEq)]
pub struct ApiToken {
    pub id: String,
    pub user_number: i64,
    pub role: String,
    pub tenants: Vec<i64>,
    pub created_at: String,
    pub expires_at: Option<String>,
    pub revoked_at: Option<String>,
}

const COLS: &str = "id, user_number, role, tenants, created_at, expires_at, revoked_at";

fn from_row(r: &Row) -> rusqlite::Result<ApiToken> {
    let tenants: String = r.get(3)?;
    Ok(ApiToken {
        id: r.get(0)?,
        user_number: r.get(1)?,
        role: r.get(2)?,
        // written by `insert` only; an unreadable list grants no tenant
        tenants: serde_json::from_str(&tenants).unwrap_or_default(),
        created_at: r.get(4)?,
        expires_at: r.get(5)?,
        revoked_at: r.get(6)?,
    })
}

/// Stores a new token by its hash; returns the stored row.
pub fn insert(
    c: &Connection,
    token_hash: &str,
    user_number: i64,
    role: &str,
    tenants: &[i64],
    expires_at: Option<&str>,
) -> Result<ApiToken> {
    let (id, t) = (new_id(), now());
    let tenants_json = serde_json::to_string(tenants)?;
    c.execute(
        "INSERT INTO api_tokens (id, token_hash, user_number, role, tenants, created_at, expires_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
        params![id, token_hash, user_number, role, tenants_json, t, expires_at],
    )?;
    Ok(ApiToken {
        id,
        user_number,
        role: role.to_string(),
        tenants: tenants.to_vec(),
        created_at: t,
        expires_at: expires_at.map(str::to_string),
        revoked_at: None,
    })
}

/// The token with this hash if it is neither revoked nor expired at `now`.
pub fn valid_by_hash(c: &Connection, token_hash: &str, now: &str) -> Result<Option<ApiToken>> {
    let sql = format!(
        "SELECT {COLS} FROM api_tokens WHERE token_hash = ?1 AND revoked_at IS NULL
         AND (expires_at IS NULL OR expires_at > ?2)"
    );
    optional(c.query_row(&sql, params![token_hash, now], from_row))
}

/// The token with this id or this hash, whatever its state.
pub fn by_id_or_hash(c: &Connection, id: &str, token_hash: &str) -> Result<Option<ApiToken>> {
    let sql = format!("SELECT {COLS} FROM api_tokens WHERE id = ?1 OR token_hash = ?2");
    optional(c.query_row(&sql, params![id, token_hash], from_row))
}

/// Every token, oldest first.
pub fn list(c: &Connection) -> Result<Vec<ApiToken>> {
    let sql = format!("SELECT {COLS} FROM api_tokens ORDER BY created_at, rowid");
    let mut st = c.prepare(&sql)?;
    let rows = st.query_map([], from_row)?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

/// Revokes the token; false when it already was revoked.
pub fn revoke(c: &Connection, id: &str) -> Result<bool> {
    let n = c.execute(
        "UPDATE api_tokens SET revoked_at = ?2 WHERE id = ?1 AND revoked_at IS NULL",
        params![id, now()],
    )?;
    Ok(n > 0)
}
