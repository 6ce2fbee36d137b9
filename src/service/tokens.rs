//! Credentials of the tenant family (SPEC §3, §6): opaque API tokens issued by
//! `obrol token create` (random, shown once, stored as a SHA-256, expiring, revocable) and,
//! when `OBROL_JWT_SECRET` is set, HS256 JWTs from the host application. Both resolve to the
//! same `Principal`, so the rest of the family never knows which one was used.

use super::App;
use crate::auth::{self, jwt};
use crate::domain::{fmt_time, now, parse_uuid, TenantRole};
use crate::error::{Error, Result};
use crate::store::api_tokens::{self, ApiToken};
use rusqlite::Connection;

/// Prefix of opaque tenant API tokens (recognisable in a leaked-secret scan).
pub const TOKEN_PREFIX: &str = "obrol_api";

/// Longest accepted `--expires-in-days` (ten years).
const MAX_EXPIRY_DAYS: i64 = 3650;

/// Who a bearer token speaks for. `role` is not checked against the allowlist here: an
/// unknown role is a 403, not a 401.
#[derive(Debug, Clone, PartialEq)]
pub struct Principal {
    pub user: i64,
    pub role: String,
    pub tenants: Vec<i64>,
}

fn denied() -> Error {
    Error::Unauthorized("Invalid or expired token".into())
}

/// The principal behind `Authorization: Bearer <token>` (401 when unknown, expired,
/// revoked, badly signed, or a JWT while JWTs are off).
pub fn authenticate(app: &App, token: &str) -> Result<Principal> {
    if jwt::looks_like_jwt(token) {
        let secret = app.config.jwt_secret.as_deref().ok_or_else(denied)?;
        let c = jwt::verify(secret, token).ok_or_else(denied)?;
        return Ok(Principal { user: c.user, role: c.role, tenants: c.tenants });
    }
    let t = app.db.read(|c| api_tokens::valid_by_hash(c, &auth::token_hash(token), &now()))?.ok_or_else(denied)?;
    Ok(Principal { user: t.user_number, role: t.role, tenants: t.tenants })
}

/// Issues a token; returns the secret (to show once) and the stored row. A role outside the
/// allowlist is accepted (the host may have more roles) and refused with 403 on use; the
/// caller warns about it.
pub fn create(c: &Connection, user: i64, role: &str, tenants: &[i64], expires_in_days: Option<i64>) -> Result<(String, ApiToken)> {
    if user < 1 {
        return Err(Error::field("user", "must be a positive whole number"));
    }
    let role = role.trim();
    if role.is_empty() || role.len() > 64 || !role.chars().all(|ch| ch.is_ascii_alphanumeric() || ch == '_' || ch == '-') {
        return Err(Error::field("role", "must be a role name like umkm_admin"));
    }
    if let Some(bad) = tenants.iter().find(|t| **t < 1) {
        return Err(Error::field("tenant", format!("must be a positive whole number, not {bad}")));
    }
    let mut tenants = tenants.to_vec();
    tenants.sort_unstable();
    tenants.dedup();
    if tenants.is_empty() && role != TenantRole::SupportAgent.as_str() {
        return Err(Error::field("tenant", format!("is required for role {role} (only support_agent acts for any tenant)")));
    }
    let expires_at = match expires_in_days {
        None => None,
        Some(d) => {
            crate::domain::check_range("expires-in-days", d, 1, MAX_EXPIRY_DAYS)?;
            Some(fmt_time(chrono::Utc::now() + chrono::Duration::days(d)))
        }
    };
    let secret = auth::new_token(TOKEN_PREFIX);
    let row = api_tokens::insert(c, &auth::token_hash(&secret), user, role, &tenants, expires_at.as_deref())?;
    Ok((secret, row))
}

/// Revokes a token named by its id or by the token itself. Returns the token and whether
/// this call revoked it (false: it already was).
pub fn revoke(c: &Connection, token_or_id: &str) -> Result<(ApiToken, bool)> {
    let given = token_or_id.trim();
    let id = parse_uuid("token", given).unwrap_or_default();
    let t = api_tokens::by_id_or_hash(c, &id, &auth::token_hash(given))?.ok_or(Error::NotFound("Token"))?;
    let revoked = api_tokens::revoke(c, &t.id)?;
    Ok((t, revoked))
}

/// Every token (never a secret: only hashes are stored).
pub fn list(c: &Connection) -> Result<Vec<ApiToken>> {
    api_tokens::list(c)
}

/// A token's state at `now`, for `obrol token list`.
pub fn state(t: &ApiToken, now: &str) -> &'static str {
    if t.revoked_at.is_some() {
        "revoked"
    } else if t.expires_at.as_deref().is_some_and(|e| e <= now) {
        "expired"
    } else {
        "active"
    }
}
