//! `chat_sessions`: the sessions of both families.

use super::optional;
use crate::domain::{new_id, now, Family, Priority, Status};
use crate::error::Result;
use rusqlite::{params, Connection, Row};

#[derive(Debug, Clone, PartialEq)]
pub struct Session {
    pub id: String,
    pub family: Family,
    pub chat_user_id: Option<String>,
    pub tenant_id: Option<i64>,
    /// Tenant family: the user number who opened it.
    pub opened_by: Option<i64>,
    pub agent_id: Option<String>,
    pub department_id: Option<String>,
    pub topic: String,
    pub status: Status,
    pub priority: Priority,
    pub page_url: Option<String>,
    pub user_agent: Option<String>,
    pub started_at: String,
    pub ended_at: Option<String>,
    pub created_at: String,
    pub updated_at: String,
}

pub(crate) const COLS: &str = "s.id, s.family, s.chat_user_id, s.tenant_id, s.opened_by, s.agent_id,
    s.department_id, s.topic, s.status, s.priority, s.page_url, s.user_agent, s.started_at,
    s.ended_at, s.created_at, s.updated_at";

pub(crate) fn from_row(r: &Row) -> rusqlite::Result<Session> {
    Ok(Session {
        id: r.get(0)?,
        family: Family::from_db(&r.get::<_, String>(1)?),
        chat_user_id: r.get(2)?,
        tenant_id: r.get(3)?,
        opened_by: r.get(4)?,
        agent_id: r.get(5)?,
        department_id: r.get(6)?,
        topic: r.get(7)?,
        status: Status::from_db(&r.get::<_, String>(8)?),
        priority: Priority::from_db(&r.get::<_, String>(9)?),
        page_url: r.get(10)?,
        user_agent: r.get(11)?,
        started_at: r.get(12)?,
        ended_at: r.get(13)?,
        created_at: r.get(14)?,
        updated_at: r.get(15)?,
    })
}

/// What a new session needs; the rest starts as `waiting`, unassigned.
#[derive(Debug, Clone, Default)]
pub struct NewSession {
    pub chat_user_id: Option<String>,
    pub tenant_id: Option<i64>,
    pub opened_by: Option<i64>,
    pub department_id: Option<String>,
    pub topic: String,
    pub priority: Option<Priority>,
    pub page_url: Option<String>,
    pub user_agent: Option<String>,
}

pub fn get(c: &Connection, id: &str) -> Result<Option<Session>> {
    let sql = format!("SELECT {COLS} FROM chat_sessions s WHERE s.id = ?1 AND s.deleted_at IS NULL");
    optional(c.query_row(&sql, [id], from_row))
}

pub fn insert(c: &Connection, family: Family, n: &NewSession) -> Result<Session> {
    let (id, t) = (new_id(), now());
    let priority = n.priority.unwrap_or(Priority::Normal);
    c.execute(
        "INSERT INTO chat_sessions (id, family, chat_user_id, tenant_id, opened_by, department_id, topic,
            status, priority, priority_rank, page_url, user_agent, last_activity_at, started_at, created_at, updated_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, 'waiting', ?8, ?9, ?10, ?11, ?12, ?12, ?12, ?12)",
        params![
            id, family.as_str(), n.chat_user_id, n.tenant_id, n.opened_by, n.department_id, n.topic,
            priority.as_str(), priority.rank(), n.page_url, n.user_agent, t
        ],
    )?;
    Ok(Session {
        id,
        family,
        chat_user_id: n.chat_user_id.clone(),
        tenant_id: n.tenant_id,
        opened_by: n.opened_by,
        agent_id: None,
        department_id: n.department_id.clone(),
        topic: n.topic.clone(),
        status: Status::Waiting,
        priority,
        page_url: n.page_url.clone(),
        user_agent: n.user_agent.clone(),
        started_at: t.clone(),
        ended_at: None,
        created_at: t.clone(),
        updated_at: t,
    })
}

/// Assigns to `agent_id` (status `active`), or returns to the queue with `None` (`waiting`).
pub fn set_agent(c: &Connection, id: &str, agent_id: Option<&str>) -> Result<()> {
    let status = if agent_id.is_some() { Status::Active } else { Status::Waiting };
    c.execute(
        "UPDATE chat_sessions SET agent_id = ?2, status = ?3, updated_at = ?4
         WHERE id = ?1 AND status <> 'closed'",
        params![id, agent_id, status.as_str(), now()],
    )?;
    Ok(())
}

pub fn set_department(c: &Connection, id: &str, department_id: Option<&str>) -> Result<()> {
    c.execute(
        "UPDATE chat_sessions SET department_id = ?2, updated_at = ?3 WHERE id = ?1",
        params![id, department_id, now()],
    )?;
    Ok(())
}

/// Closes the session; returns false when it already was closed.
pub fn close(c: &Connection, id: &str) -> Result<bool> {
    let t = now();
    let n = c.execute(
        "UPDATE chat_sessions SET status = 'closed', ended_at = ?2, updated_at = ?2
         WHERE id = ?1 AND status <> 'closed'",
        params![id, t],
    )?;
    Ok(n > 0)
}

/// Records activity (a message) for the idle-close rule.
pub fn touch_activity(c: &Connection, id: &str, at: &str) -> Result<()> {
    c.execute(
        "UPDATE chat_sessions SET last_activity_at = ?2, updated_at = ?2 WHERE id = ?1",
        params![id, at],
    )?;
    Ok(())
}

/// Moves every session of one chat user to another (link-user's merge).
pub fn move_to_user(c: &Connection, from: &str, to: &str) -> Result<usize> {
    Ok(c.execute(
        "UPDATE chat_sessions SET chat_user_id = ?2, updated_at = ?3 WHERE chat_user_id = ?1",
        params![from, to, now()],
    )?)
}

/// A chat user's sessions, newest first, with the total count.
pub fn page_for_user(c: &Connection, chat_user_id: &str, limit: i64, offset: i64) -> Result<(Vec<Session>, i64)> {
    let total = c.query_row(
        "SELECT COUNT(*) FROM chat_sessions WHERE chat_user_id = ?1 AND deleted_at IS NULL",
        [chat_user_id],
        |r| r.get(0),
    )?;
    let sql = format!(
        "SELECT {COLS} FROM chat_sessions s WHERE s.chat_user_id = ?1 AND s.deleted_at IS NULL
         ORDER BY s.started_at DESC, s.rowid DESC LIMIT ?2 OFFSET ?3"
    );
    let mut st = c.prepare(&sql)?;
    let rows = st.query_map(params![chat_user_id, limit, offset], from_row)?;
    Ok((rows.collect::<rusqlite::Result<_>>()?, total))
}

/// Waiting sessions in queue order: highest priority first, then oldest.
pub fn queue(c: &Connection, limit: i64) -> Result<Vec<Session>> {
    let sql = format!(
        "SELECT {COLS} FROM chat_sessions s WHERE s.status = 'waiting' AND s.deleted_at IS NULL
         ORDER BY s.priority_rank DESC, s.started_at, s.rowid LIMIT ?1"
    );
    let mut st = c.prepare(&sql)?;
    let rows = st.query_map([limit], from_row)?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

pub fn waiting_count(c: &Connection) -> Result<i64> {
    Ok(c.query_row("SELECT COUNT(*) FROM chat_sessions WHERE status = 'waiting' AND deleted_at IS NULL", [], |r| r.get(0))?)
}

/// Ids of waiting sessions in queue order (at most `limit`): position i + 1 is `ids[i]`.
pub fn queue_ids(c: &Connection, limit: i64) -> Result<Vec<String>> {
    let mut st = c.prepare(
        "SELECT s.id FROM chat_sessions s WHERE s.status = 'waiting' AND s.deleted_at IS NULL
         ORDER BY s.priority_rank DESC, s.started_at, s.rowid LIMIT ?1",
    )?;
    let rows = st.query_map([limit], |r| r.get(0))?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

/// 1-based place of a waiting session in the queue; `None` when it is not waiting.
pub fn queue_position(c: &Connection, s: &Session) -> Result<Option<i64>> {
    if s.status != Status::Waiting {
        return Ok(None);
    }
    let ahead: i64 = c.query_row(
        "SELECT COUNT(*) FROM chat_sessions q, chat_sessions me
         WHERE me.id = ?1 AND q.status = 'waiting' AND q.deleted_at IS NULL AND q.id <> me.id
           AND (q.priority_rank > me.priority_rank
             OR (q.priority_rank = me.priority_rank AND (q.started_at < me.started_at
                 OR (q.started_at = me.started_at AND q.rowid < me.rowid))))",
        [&s.id],
        |r| r.get(0),
    )?;
    Ok(Some(ahead + 1))
}

/// The tenant's open (waiting or active) session, if any.
pub fn open_for_tenant(c: &Connection, tenant_id: i64) -> Result<Option<Session>> {
    let sql = format!(
        "SELECT {COLS} FROM chat_sessions s WHERE s.family = 'tenant' AND s.tenant_id = ?1
         AND s.status <> 'closed' AND s.deleted_at IS NULL"
    );
    optional(c.query_row(&sql, [tenant_id], from_row))
}

/// A tenant session's place in the tenant's listing: (created_at, rowid), newest first.
pub type TenantKey = (String, i64);

/// Where a page of a tenant's sessions starts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KeyBound {
    Newest,
    /// Older than the key, newest first.
    Before(TenantKey),
    /// Newer than the key, oldest first.
    After(TenantKey),
}

/// The listing key of a session of this tenant (a cursor), if it is one.
pub fn tenant_key(c: &Connection, tenant_id: i64, id: &str) -> Result<Option<TenantKey>> {
    optional(c.query_row(
        "SELECT created_at, rowid FROM chat_sessions
         WHERE id = ?1 AND family = 'tenant' AND tenant_id = ?2 AND deleted_at IS NULL",
        params![id, tenant_id],
        |r| Ok((r.get(0)?, r.get(1)?)),
    ))
}

/// Up to `limit` sessions of the tenant from `bound`, in the bound's order, with their keys.
/// `closed`: `Some(true)` only closed ones, `Some(false)` only open ones.
pub fn tenant_page(
    c: &Connection,
    tenant_id: i64,
    closed: Option<bool>,
    bound: &KeyBound,
    limit: i64,
) -> Result<Vec<(Session, TenantKey)>> {
    let (mode, order, key) = match bound {
        KeyBound::Newest => (0, "DESC", None),
        KeyBound::Before(k) => (1, "DESC", Some(k)),
        KeyBound::After(k) => (2, "ASC", Some(k)),
    };
    let status = match closed {
        None => "1",
        Some(true) => "s.status = 'closed'",
        Some(false) => "s.status <> 'closed'",
    };
    let sql = format!(
        "SELECT {COLS}, s.rowid FROM chat_sessions s
         WHERE s.family = 'tenant' AND s.tenant_id = ?1 AND s.deleted_at IS NULL AND {status}
           AND (?2 = 0 OR (?2 = 1 AND (s.created_at, s.rowid) < (?3, ?4))
                       OR (?2 = 2 AND (s.created_at, s.rowid) > (?3, ?4)))
         ORDER BY s.created_at {order}, s.rowid {order} LIMIT ?5"
    );
    let (k_at, k_row) = match key {
        Some((at, row)) => (Some(at.as_str()), Some(*row)),
        None => (None, None),
    };
    let mut st = c.prepare(&sql)?;
    let rows = st.query_map(params![tenant_id, mode, k_at, k_row, limit], |r| {
        let s = from_row(r)?;
        let key = (s.created_at.clone(), r.get(16)?);
        Ok((s, key))
    })?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

/// Open sessions with no activity since `before` (for the idle-close rule).
pub fn idle_since(c: &Connection, before: &str, limit: i64) -> Result<Vec<Session>> {
    let sql = format!(
        "SELECT {COLS} FROM chat_sessions s WHERE s.status <> 'closed' AND s.last_activity_at < ?1
         AND s.deleted_at IS NULL ORDER BY s.last_activity_at LIMIT ?2"
    );
    let mut st = c.prepare(&sql)?;
    let rows = st.query_map(params![before, limit], from_row)?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

/// Active sessions of an agent.
pub fn active_for_agent(c: &Connection, agent_id: &str) -> Result<Vec<Session>> {
    let sql = format!(
        "SELECT {COLS} FROM chat_sessions s WHERE s.agent_id = ?1 AND s.status = 'active'
         AND s.deleted_at IS NULL ORDER BY s.started_at"
    );
    let mut st = c.prepare(&sql)?;
    let rows = st.query_map([agent_id], from_row)?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

/// Whether the session is still open and idle since `before` (re-checked inside a write).
pub fn is_idle(c: &Connection, id: &str, before: &str) -> Result<bool> {
    Ok(c.query_row(
        "SELECT EXISTS(SELECT 1 FROM chat_sessions WHERE id = ?1 AND status <> 'closed' AND last_activity_at < ?2)",
        params![id, before],
        |r| r.get(0),
    )?)
}

/// Which sessions an agent's inbox lists (see `inbox`).
#[derive(Debug, Clone, Default)]
pub struct InboxFilter {
    pub status: Option<Status>,
    pub family: Option<Family>,
    /// An FTS5 query over message text (already made safe by the caller).
    pub fts: Option<String>,
    /// The agent asking; `None` for admins, who see every conversation.
    pub viewer: Option<String>,
    /// Only this agent's conversations (`status=active` is "mine").
    pub assigned_to: Option<String>,
    pub limit: i64,
    pub offset: i64,
}

/// A page of the inbox and the number of all matching sessions. Non-admin viewers see
/// waiting and closed conversations and their own active ones. Waiting ones come in queue
/// order, active ones most recently active first, closed ones most recently ended first.
pub fn inbox(c: &Connection, f: &InboxFilter) -> Result<(Vec<Session>, i64)> {
    let mut cond = vec!["s.deleted_at IS NULL".to_string()];
    let mut args: Vec<rusqlite::types::Value> = Vec::new();
    let arg = |v: rusqlite::types::Value, args: &mut Vec<rusqlite::types::Value>| {
        args.push(v);
        format!("?{}", args.len())
    };
    if let Some(st) = f.status {
        cond.push(format!("s.status = {}", arg(st.as_str().to_string().into(), &mut args)));
    }
    if let Some(fam) = f.family {
        cond.push(format!("s.family = {}", arg(fam.as_str().to_string().into(), &mut args)));
    }
    if let Some(me) = &f.viewer {
        cond.push(format!("(s.status <> 'active' OR s.agent_id = {})", arg(me.clone().into(), &mut args)));
    }
    if let Some(a) = &f.assigned_to {
        cond.push(format!("s.agent_id = {}", arg(a.clone().into(), &mut args)));
    }
    if let Some(q) = &f.fts {
        cond.push(format!(
            "s.id IN (SELECT m.session_id FROM messages_fts JOIN messages m ON m.seq = messages_fts.rowid
                      WHERE messages_fts MATCH {} AND m.deleted_at IS NULL)",
            arg(q.clone().into(), &mut args)
        ));
    }
    let order = match f.status {
        Some(Status::Waiting) => "s.priority_rank DESC, s.started_at, s.rowid",
        Some(Status::Active) => "s.last_activity_at DESC, s.rowid DESC",
        Some(Status::Closed) => "s.ended_at DESC, s.rowid DESC",
        None => "s.started_at DESC, s.rowid DESC",
    };
    let wh = cond.join(" AND ");
    let total: i64 = c.query_row(
        &format!("SELECT COUNT(*) FROM chat_sessions s WHERE {wh}"),
        rusqlite::params_from_iter(args.iter()),
        |r| r.get(0),
    )?;
    let lim = arg(f.limit.into(), &mut args);
    let off = arg(f.offset.into(), &mut args);
    let sql = format!("SELECT {COLS} FROM chat_sessions s WHERE {wh} ORDER BY {order} LIMIT {lim} OFFSET {off}");
    let mut st = c.prepare(&sql)?;
    let rows = st.query_map(rusqlite::params_from_iter(args.iter()), from_row)?;
    Ok((rows.collect::<rusqlite::Result<_>>()?, total))
}
