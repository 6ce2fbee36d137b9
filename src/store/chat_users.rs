//! `chat_users`: anonymous browsers and logged-in OSS accounts (seed 000).

use super::optional;
use crate::domain::{new_id, now};
use crate::error::Result;
use rusqlite::{params, Connection, Row};

#[derive(Debug, Clone)]
pub struct ChatUser {
    pub id: String,
    pub browser_uuid: Option<String>,
    pub oss_user_id: Option<String>,
    pub email: Option<String>,
    pub is_anonymous: bool,
    pub ip_address: String,
    pub user_agent: Option<String>,
    /// For a browser linked to an account: the account's id.
    pub linked_to: Option<String>,
}

const COLS: &str = "id, browser_uuid, oss_user_id, email, is_anonymous, ip_address, user_agent, linked_to";

fn from_row(r: &Row) -> rusqlite::Result<ChatUser> {
    Ok(ChatUser {
        id: r.get(0)?,
        browser_uuid: r.get(1)?,
        oss_user_id: r.get(2)?,
        email: r.get(3)?,
        is_anonymous: r.get(4)?,
        ip_address: r.get(5)?,
        user_agent: r.get(6)?,
        linked_to: r.get(7)?,
    })
}

pub fn get(c: &Connection, id: &str) -> Result<Option<ChatUser>> {
    let sql = format!("SELECT {COLS} FROM chat_users WHERE id = ?1 AND deleted_at IS NULL");
    optional(c.query_row(&sql, [id], from_row))
}

pub fn by_browser(c: &Connection, browser_uuid: &str) -> Result<Option<ChatUser>> {
    let sql = format!("SELECT {COLS} FROM chat_users WHERE browser_uuid = ?1 AND deleted_at IS NULL");
    optional(c.query_row(&sql, [browser_uuid], from_row))
}

pub fn by_oss_user(c: &Connection, oss_user_id: &str) -> Result<Option<ChatUser>> {
    let sql = format!("SELECT {COLS} FROM chat_users WHERE oss_user_id = ?1 AND deleted_at IS NULL");
    optional(c.query_row(&sql, [oss_user_id], from_row))
}

pub fn insert_anonymous(c: &Connection, browser_uuid: &str, ip: &str, ua: Option<&str>) -> Result<ChatUser> {
    let (id, t) = (new_id(), now());
    c.execute(
        "INSERT INTO chat_users (id, browser_uuid, is_anonymous, ip_address, user_agent, created_at, updated_at)
         VALUES (?1, ?2, 1, ?3, ?4, ?5, ?5)",
        params![id, browser_uuid, ip, ua, t],
    )?;
    Ok(ChatUser {
        id,
        browser_uuid: Some(browser_uuid.into()),
        oss_user_id: None,
        email: None,
        is_anonymous: true,
        ip_address: ip.into(),
        user_agent: ua.map(Into::into),
        linked_to: None,
    })
}

pub fn insert_account(c: &Connection, oss_user_id: &str, email: Option<&str>, ip: &str, ua: Option<&str>) -> Result<ChatUser> {
    let (id, t) = (new_id(), now());
    c.execute(
        "INSERT INTO chat_users (id, oss_user_id, email, is_anonymous, ip_address, user_agent, created_at, updated_at)
         VALUES (?1, ?2, ?3, 0, ?4, ?5, ?6, ?6)",
        params![id, oss_user_id, email, ip, ua, t],
    )?;
    Ok(ChatUser {
        id,
        browser_uuid: None,
        oss_user_id: Some(oss_user_id.into()),
        email: email.map(Into::into),
        is_anonymous: false,
        ip_address: ip.into(),
        user_agent: ua.map(Into::into),
        linked_to: None,
    })
}

/// Records what we last saw of a user: address, browser and (for accounts) e-mail.
pub fn touch(c: &Connection, id: &str, ip: &str, ua: Option<&str>, email: Option<&str>) -> Result<()> {
    c.execute(
        "UPDATE chat_users SET ip_address = ?2, user_agent = COALESCE(?3, user_agent),
                email = COALESCE(?4, email), updated_at = ?5 WHERE id = ?1",
        params![id, ip, ua, email, now()],
    )?;
    Ok(())
}

pub fn set_linked_to(c: &Connection, browser_user_id: &str, account_id: &str) -> Result<()> {
    c.execute(
        "UPDATE chat_users SET linked_to = ?2, updated_at = ?3 WHERE id = ?1",
        params![browser_user_id, account_id, now()],
    )?;
    Ok(())
}
