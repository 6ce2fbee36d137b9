//! `messages`: the messages of both families, in `seq` order.

use super::optional;
use crate::domain::{new_id, SenderType};
use crate::error::Result;
use rusqlite::{params, Connection, Row};

#[derive(Debug, Clone, PartialEq)]
pub struct Message {
    /// Total order of all messages; cursors and replays use it.
    pub seq: i64,
    pub id: String,
    pub session_id: String,
    pub sender_type: SenderType,
    /// The agent who wrote it (sender_type agent).
    pub sender_agent_id: Option<String>,
    /// The seed-002 `sender_id`: the tenant user's or the agent's number.
    pub sender_number: Option<i64>,
    /// The agent's name, for display.
    pub sender_name: Option<String>,
    pub message: String,
    pub client_id: Option<String>,
    pub created_at: String,
}

pub(crate) const COLS: &str = "m.seq, m.id, m.session_id, m.sender_type, m.sender_agent_id,
    m.sender_number, u.name, m.message, m.client_id, m.created_at";
pub(crate) const FROM: &str = "messages m LEFT JOIN users u ON u.id = m.sender_agent_id";

pub(crate) fn from_row(r: &Row) -> rusqlite::Result<Message> {
    Ok(Message {
        seq: r.get(0)?,
        id: r.get(1)?,
        session_id: r.get(2)?,
        sender_type: SenderType::from_db(&r.get::<_, String>(3)?),
        sender_agent_id: r.get(4)?,
        sender_number: r.get(5)?,
        sender_name: r.get(6)?,
        message: r.get(7)?,
        client_id: r.get(8)?,
        created_at: r.get(9)?,
    })
}

/// Who is writing a new message.
#[derive(Debug, Clone)]
pub struct Sender {
    pub kind: SenderType,
    pub agent_id: Option<String>,
    pub number: Option<i64>,
}

pub fn insert(c: &Connection, session_id: &str, from: &Sender, text: &str, client_id: Option<&str>, at: &str) -> Result<Message> {
    let id = new_id();
    c.execute(
        "INSERT INTO messages (id, session_id, sender_type, sender_agent_id, sender_number, message, client_id, created_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
        params![id, session_id, from.kind.as_str(), from.agent_id, from.number, text, client_id, at],
    )?;
    let seq = c.last_insert_rowid();
    by_seq(c, seq)?.ok_or_else(|| crate::error::Error::Internal("inserted message vanished".into()))
}

pub fn by_seq(c: &Connection, seq: i64) -> Result<Option<Message>> {
    let sql = format!("SELECT {COLS} FROM {FROM} WHERE m.seq = ?1");
    optional(c.query_row(&sql, [seq], from_row))
}

/// A message of this session by its public id.
pub fn get_in_session(c: &Connection, session_id: &str, id: &str) -> Result<Option<Message>> {
    let sql = format!("SELECT {COLS} FROM {FROM} WHERE m.id = ?1 AND m.session_id = ?2 AND m.deleted_at IS NULL");
    optional(c.query_row(&sql, [id, session_id], from_row))
}

pub fn by_client_id(c: &Connection, session_id: &str, client_id: &str) -> Result<Option<Message>> {
    let sql = format!("SELECT {COLS} FROM {FROM} WHERE m.session_id = ?1 AND m.client_id = ?2");
    optional(c.query_row(&sql, [session_id, client_id], from_row))
}

/// Filters of the tenant family's message listing (seed 002). `term` is matched in Rust,
/// not in SQL: a case-insensitive substring over all of Unicode, and `%`/`_` stay literal.
#[derive(Debug, Clone, Default)]
pub struct MessageFilter {
    /// Already lower-cased.
    pub term: Option<String>,
    pub sender_number: Option<i64>,
    /// Inclusive bounds, in the stored timestamp format.
    pub start: Option<String>,
    pub end: Option<String>,
}

impl MessageFilter {
    fn accepts(&self, m: &Message) -> bool {
        match &self.term {
            Some(t) => m.message.to_lowercase().contains(t.as_str()),
            None => true,
        }
    }
}

/// Where a keyset page starts, by `seq` (the total order, so equal timestamps never tie).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SeqBound {
    /// From the newest message, going older.
    Newest,
    /// Messages older than this seq, newest first.
    Before(i64),
    /// Messages newer than this seq, oldest first.
    After(i64),
}

/// Up to `limit` messages of the session matching `f` from `bound`, in the bound's order
/// (newest first for `Newest`/`Before`, oldest first for `After`). Rows are read lazily, so
/// a page stops reading as soon as it is full.
pub fn filtered(c: &Connection, session_id: &str, f: &MessageFilter, bound: SeqBound, limit: usize) -> Result<Vec<Message>> {
    let (lo, hi, order) = match bound {
        SeqBound::Newest => (i64::MIN, i64::MAX, "DESC"),
        SeqBound::Before(s) => (i64::MIN, s, "DESC"),
        SeqBound::After(s) => (s, i64::MAX, "ASC"),
    };
    let sql = format!(
        "SELECT {COLS} FROM {FROM} WHERE m.session_id = ?1 AND m.deleted_at IS NULL
           AND m.seq > ?2 AND m.seq < ?3
           AND (?4 IS NULL OR m.sender_number = ?4)
           AND (?5 IS NULL OR m.created_at >= ?5)
           AND (?6 IS NULL OR m.created_at <= ?6)
         ORDER BY m.seq {order}"
    );
    let mut st = c.prepare(&sql)?;
    let mut rows = st.query(params![session_id, lo, hi, f.sender_number, f.start, f.end])?;
    let mut out = Vec::new();
    while out.len() < limit {
        let Some(row) = rows.next()? else { break };
        let m = from_row(row)?;
        if f.accepts(&m) {
            out.push(m);
        }
    }
    Ok(out)
}

/// Whether any message matching `f` lies beyond `bound`.
pub fn filtered_exists(c: &Connection, session_id: &str, f: &MessageFilter, bound: SeqBound) -> Result<bool> {
    Ok(!filtered(c, session_id, f, bound, 1)?.is_empty())
}

/// Messages after `after_seq`, oldest first.
pub fn after(c: &Connection, session_id: &str, after_seq: i64, limit: i64) -> Result<Vec<Message>> {
    let sql = format!(
        "SELECT {COLS} FROM {FROM} WHERE m.session_id = ?1 AND m.seq > ?2 AND m.deleted_at IS NULL
         ORDER BY m.seq LIMIT ?3"
    );
    let mut st = c.prepare(&sql)?;
    let rows = st.query_map(params![session_id, after_seq, limit], from_row)?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

/// The latest `n` messages, oldest first.
pub fn latest(c: &Connection, session_id: &str, n: i64) -> Result<Vec<Message>> {
    let sql = format!(
        "SELECT {COLS} FROM {FROM} WHERE m.session_id = ?1 AND m.deleted_at IS NULL
         ORDER BY m.seq DESC LIMIT ?2"
    );
    let mut st = c.prepare(&sql)?;
    let rows = st.query_map(params![session_id, n], from_row)?;
    let mut v: Vec<Message> = rows.collect::<rusqlite::Result<_>>()?;
    v.reverse();
    Ok(v)
}

pub fn last(c: &Connection, session_id: &str) -> Result<Option<Message>> {
    Ok(latest(c, session_id, 1)?.pop())
}

/// The highest `seq` of the session's messages (0 when it has none).
pub fn max_seq(c: &Connection, session_id: &str) -> Result<i64> {
    Ok(c.query_row(
        "SELECT COALESCE(MAX(seq), 0) FROM messages WHERE session_id = ?1",
        [session_id],
        |r| r.get(0),
    )?)
}

/// The `limit` messages just before `before_seq`, oldest first.
pub fn before(c: &Connection, session_id: &str, before_seq: i64, limit: i64) -> Result<Vec<Message>> {
    let sql = format!(
        "SELECT {COLS} FROM {FROM} WHERE m.session_id = ?1 AND m.seq < ?2 AND m.deleted_at IS NULL
         ORDER BY m.seq DESC LIMIT ?3"
    );
    let mut st = c.prepare(&sql)?;
    let rows = st.query_map(params![session_id, before_seq, limit], from_row)?;
    let mut v: Vec<Message> = rows.collect::<rusqlite::Result<_>>()?;
    v.reverse();
    Ok(v)
}
