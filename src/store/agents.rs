//! `users`: the agents (SPEC §4).

use super::optional;
use crate::domain::{new_id, now, AgentRole, Presence};
use crate::error::Result;
use rusqlite::{params, Connection, Row};

#[derive(Debug, Clone, PartialEq)]
pub struct Agent {
    pub id: String,
    pub number: i64,
    pub name: String,
    pub email: String,
    pub department_id: Option<String>,
    pub role: AgentRole,
    pub max_chats: i64,
    pub disabled: bool,
    pub status: Presence,
}

const COLS: &str = "id, number, name, email, department_id, role, max_chats, disabled, status";

fn from_row(r: &Row) -> rusqlite::Result<Agent> {
    Ok(Agent {
        id: r.get(0)?,
        number: r.get(1)?,
        name: r.get(2)?,
        email: r.get(3)?,
        department_id: r.get(4)?,
        role: AgentRole::from_db(&r.get::<_, String>(5)?),
        max_chats: r.get(6)?,
        disabled: r.get(7)?,
        status: Presence::from_db(&r.get::<_, String>(8)?),
    })
}

pub fn get(c: &Connection, id: &str) -> Result<Option<Agent>> {
    let sql = format!("SELECT {COLS} FROM users WHERE id = ?1 AND deleted_at IS NULL");
    optional(c.query_row(&sql, [id], from_row))
}

pub fn by_number(c: &Connection, number: i64) -> Result<Option<Agent>> {
    let sql = format!("SELECT {COLS} FROM users WHERE number = ?1 AND deleted_at IS NULL");
    optional(c.query_row(&sql, [number], from_row))
}

/// The agent and their password hash, by e-mail (case-insensitive).
pub fn by_email_with_hash(c: &Connection, email: &str) -> Result<Option<(Agent, String)>> {
    let sql = format!("SELECT {COLS}, password_hash FROM users WHERE email = ?1 AND deleted_at IS NULL");
    optional(c.query_row(&sql, [email], |r| Ok((from_row(r)?, r.get(9)?))))
}

pub fn list(c: &Connection) -> Result<Vec<Agent>> {
    let sql = format!("SELECT {COLS} FROM users WHERE deleted_at IS NULL ORDER BY number");
    let mut st = c.prepare(&sql)?;
    let rows = st.query_map([], from_row)?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

pub fn count(c: &Connection) -> Result<i64> {
    Ok(c.query_row("SELECT COUNT(*) FROM users WHERE deleted_at IS NULL", [], |r| r.get(0))?)
}

pub fn next_number(c: &Connection) -> Result<i64> {
    Ok(c.query_row("SELECT COALESCE(MAX(number), 0) + 1 FROM users", [], |r| r.get(0))?)
}

/// What a new agent needs; the password is already hashed.
#[derive(Debug, Clone)]
pub struct NewAgent {
    pub number: i64,
    pub name: String,
    pub email: String,
    pub password_hash: String,
    pub department_id: Option<String>,
    pub role: AgentRole,
    pub max_chats: i64,
}

pub fn insert(c: &Connection, a: &NewAgent) -> Result<Agent> {
    let (id, t) = (new_id(), now());
    c.execute(
        "INSERT INTO users (id, number, name, email, password_hash, department_id, role, max_chats, created_at, updated_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?9)",
        params![id, a.number, a.name, a.email, a.password_hash, a.department_id, a.role.as_str(), a.max_chats, t],
    )?;
    Ok(Agent {
        id,
        number: a.number,
        name: a.name.clone(),
        email: a.email.clone(),
        department_id: a.department_id.clone(),
        role: a.role,
        max_chats: a.max_chats,
        disabled: false,
        status: Presence::Offline,
    })
}

pub fn set_presence(c: &Connection, id: &str, p: Presence) -> Result<()> {
    c.execute("UPDATE users SET status = ?2, updated_at = ?3 WHERE id = ?1", params![id, p.as_str(), now()])?;
    Ok(())
}

pub fn set_password_hash(c: &Connection, id: &str, hash: &str) -> Result<()> {
    c.execute("UPDATE users SET password_hash = ?2, updated_at = ?3 WHERE id = ?1", params![id, hash, now()])?;
    Ok(())
}

/// Changes the editable fields; `None` leaves a field as it is.
#[derive(Debug, Clone, Default)]
pub struct AgentPatch {
    pub name: Option<String>,
    pub department_id: Option<Option<String>>,
    pub role: Option<AgentRole>,
    pub max_chats: Option<i64>,
    pub disabled: Option<bool>,
}

pub fn update(c: &Connection, id: &str, p: &AgentPatch) -> Result<()> {
    let t = now();
    if let Some(v) = &p.name {
        c.execute("UPDATE users SET name = ?2, updated_at = ?3 WHERE id = ?1", params![id, v, t])?;
    }
    if let Some(v) = &p.department_id {
        c.execute("UPDATE users SET department_id = ?2, updated_at = ?3 WHERE id = ?1", params![id, v, t])?;
    }
    if let Some(v) = p.role {
        c.execute("UPDATE users SET role = ?2, updated_at = ?3 WHERE id = ?1", params![id, v.as_str(), t])?;
    }
    if let Some(v) = p.max_chats {
        c.execute("UPDATE users SET max_chats = ?2, updated_at = ?3 WHERE id = ?1", params![id, v, t])?;
    }
    if let Some(v) = p.disabled {
        c.execute("UPDATE users SET disabled = ?2, updated_at = ?3 WHERE id = ?1", params![id, v, t])?;
    }
    Ok(())
}

/// Online, enabled agents (optionally of one department).
pub fn online_count(c: &Connection, department_id: Option<&str>) -> Result<i64> {
    Ok(c.query_row(
        "SELECT COUNT(*) FROM users WHERE status = 'online' AND disabled = 0 AND deleted_at IS NULL
         AND (?1 IS NULL OR department_id = ?1)",
        [department_id],
        |r| r.get(0),
    )?)
}

/// The least-loaded online agent with free capacity (of `department_id` when given);
/// ties go to whoever was assigned least recently, so work spreads round-robin.
pub fn least_loaded_free(c: &Connection, department_id: Option<&str>) -> Result<Option<Agent>> {
    let sql = format!(
        "SELECT {COLS} FROM (
           SELECT u.*, (SELECT COUNT(*) FROM chat_sessions s WHERE s.agent_id = u.id AND s.status = 'active') AS load
           FROM users u WHERE u.status = 'online' AND u.disabled = 0 AND u.deleted_at IS NULL
             AND (?1 IS NULL OR u.department_id = ?1))
         WHERE load < max_chats
         ORDER BY load, COALESCE(last_assigned_at, ''), number LIMIT 1"
    );
    optional(c.query_row(&sql, [department_id], from_row))
}

/// Number of active chats of an agent.
pub fn load(c: &Connection, id: &str) -> Result<i64> {
    Ok(c.query_row(
        "SELECT COUNT(*) FROM chat_sessions WHERE agent_id = ?1 AND status = 'active'",
        [id],
        |r| r.get(0),
    )?)
}

pub fn mark_assigned(c: &Connection, id: &str) -> Result<()> {
    c.execute("UPDATE users SET last_assigned_at = ?2 WHERE id = ?1", params![id, now()])?;
    Ok(())
}

/// Like `least_loaded_free`, but never `except` (a transfer does not come back to its sender).
pub fn least_loaded_free_except(c: &Connection, department_id: Option<&str>, except: &str) -> Result<Option<Agent>> {
    let sql = format!(
        "SELECT {COLS} FROM (
           SELECT u.*, (SELECT COUNT(*) FROM chat_sessions s WHERE s.agent_id = u.id AND s.status = 'active') AS load
           FROM users u WHERE u.status = 'online' AND u.disabled = 0 AND u.deleted_at IS NULL
             AND (?1 IS NULL OR u.department_id = ?1) AND u.id <> ?2)
         WHERE load < max_chats
         ORDER BY load, COALESCE(last_assigned_at, ''), number LIMIT 1"
    );
    optional(c.query_row(&sql, params![department_id, except], from_row))
}

/// Enabled admins other than `except`.
pub fn other_admins(c: &Connection, except: &str) -> Result<i64> {
    Ok(c.query_row(
        "SELECT COUNT(*) FROM users WHERE role = 'admin' AND disabled = 0 AND deleted_at IS NULL AND id <> ?1",
        [except],
        |r| r.get(0),
    )?)
}
