//! `chat_session_contacts`: at most one contact per session.

use super::optional;
use crate::domain::{new_id, now};
use crate::error::Result;
use rusqlite::{params, Connection, Row};
use serde::Serialize;

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Contact {
    #[serde(skip)]
    pub id: String,
    pub contact_name: String,
    pub contact_email: String,
    pub contact_phone: Option<String>,
    pub position: Option<String>,
    pub company_name: Option<String>,
}

fn from_row(r: &Row) -> rusqlite::Result<Contact> {
    Ok(Contact {
        id: r.get(0)?,
        contact_name: r.get(1)?,
        contact_email: r.get(2)?,
        contact_phone: r.get(3)?,
        position: r.get(4)?,
        company_name: r.get(5)?,
    })
}

pub fn for_session(c: &Connection, session_id: &str) -> Result<Option<Contact>> {
    optional(c.query_row(
        "SELECT id, contact_name, contact_email, contact_phone, position, company_name
         FROM chat_session_contacts WHERE session_id = ?1 AND deleted_at IS NULL",
        [session_id],
        from_row,
    ))
}

/// The most recent contact any session of this chat user had (to pre-fill a new session).
pub fn latest_for_user(c: &Connection, chat_user_id: &str) -> Result<Option<Contact>> {
    optional(c.query_row(
        "SELECT k.id, k.contact_name, k.contact_email, k.contact_phone, k.position, k.company_name
         FROM chat_session_contacts k JOIN chat_sessions s ON s.id = k.session_id
         WHERE s.chat_user_id = ?1 AND k.deleted_at IS NULL
         ORDER BY k.updated_at DESC LIMIT 1",
        [chat_user_id],
        from_row,
    ))
}

/// Sets the session's contact, keeping its id when it already has one. Returns the id.
pub fn upsert(c: &Connection, session_id: &str, k: &Contact) -> Result<String> {
    let t = now();
    c.execute(
        "INSERT INTO chat_session_contacts
           (id, session_id, contact_name, contact_email, contact_phone, position, company_name, created_at, updated_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?8)
         ON CONFLICT(session_id) DO UPDATE SET contact_name = excluded.contact_name,
           contact_email = excluded.contact_email, contact_phone = excluded.contact_phone,
           position = excluded.position, company_name = excluded.company_name,
           updated_at = excluded.updated_at, deleted_at = NULL",
        params![new_id(), session_id, k.contact_name, k.contact_email, k.contact_phone, k.position, k.company_name, t],
    )?;
    Ok(c.query_row("SELECT id FROM chat_session_contacts WHERE session_id = ?1", [session_id], |r| r.get(0))?)
}
