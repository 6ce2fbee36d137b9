//! The OSS chat family's use cases (seed 000, SPEC §2): visitors identified by
//! `browser_uuid`, logged-in users by `oss_user_id` (+ `user_hash` when verification is on).

use super::{routing, sessions as lifecycle, sref, view, App};
use crate::auth;
use crate::domain::{Family, Priority, SenderType, Status};
use crate::error::{Error, Result};
use crate::hub::{Event, Topic};
use crate::store::contacts::{self, Contact};
use crate::store::messages::{self, Message};
use crate::store::sessions::{self, NewSession, Session};
use crate::store::{agents, chat_users, departments};
use crate::store::chat_users::ChatUser;
use rusqlite::Connection;
use std::time::{Duration, Instant};

/// Who is calling: an anonymous browser or a logged-in account.
#[derive(Debug, Clone, PartialEq)]
pub enum Identity {
    Browser(String),
    Account { oss_user_id: String, user_hash: Option<String> },
}

/// Where a request came from, recorded on the chat user.
#[derive(Debug, Clone, Default)]
pub struct Origin {
    pub ip: String,
    pub user_agent: Option<String>,
}

fn check_hash(app: &App, oss_user_id: &str, user_hash: Option<&str>) -> Result<()> {
    match &app.config.identity_secret {
        None => Ok(()),
        Some(secret) => match user_hash {
            Some(h) if auth::verify_identity(secret, oss_user_id, h) => Ok(()),
            Some(_) => Err(Error::Unauthorized("Invalid user_hash".into())),
            None => Err(Error::Unauthorized("user_hash is required for oss_user_id".into())),
        },
    }
}

/// The chat user whose sessions this identity may see, or `None` if it has none yet.
pub fn resolve(c: &Connection, app: &App, who: &Identity) -> Result<Option<ChatUser>> {
    match who {
        Identity::Account { oss_user_id, user_hash } => {
            check_hash(app, oss_user_id, user_hash.as_deref())?;
            chat_users::by_oss_user(c, oss_user_id)
        }
        Identity::Browser(b) => match chat_users::by_browser(c, b)? {
            Some(row) => match &row.linked_to {
                Some(_) if app.config.identity_secret.is_some() => Err(Error::Unauthorized(
                    "This browser is linked to an account: identify with oss_user_id and user_hash".into(),
                )),
                Some(account) => chat_users::get(c, account),
                None => Ok(Some(row)),
            },
            None => Ok(None),
        },
    }
}

/// The session if it belongs to `who`; 404 otherwise, exactly as for a missing one.
pub fn owned_session(c: &Connection, app: &App, who: &Identity, session_id: &str) -> Result<Session> {
    let user = resolve(c, app, who)?.ok_or(Error::NotFound("Session"))?;
    match sessions::get(c, session_id)? {
        Some(s) if s.chat_user_id.as_deref() == Some(user.id.as_str()) => Ok(s),
        _ => Err(Error::NotFound("Session")),
    }
}

/// Attaches a browser to an account: its sessions move to the account and from now on the
/// browser resolves to it.
fn link_browser(c: &Connection, browser_uuid: &str, account: &ChatUser, origin: &Origin, must_exist: bool) -> Result<()> {
    let row = match chat_users::by_browser(c, browser_uuid)? {
        Some(r) => r,
        None if must_exist => return Err(Error::NotFound("Chat user")),
        None => chat_users::insert_anonymous(c, browser_uuid, &origin.ip, origin.user_agent.as_deref())?,
    };
    sessions::move_to_user(c, &row.id, &account.id)?;
    chat_users::set_linked_to(c, &row.id, &account.id)
}

fn find_or_create_account(c: &Connection, oss_user_id: &str, email: Option<&str>, origin: &Origin) -> Result<ChatUser> {
    match chat_users::by_oss_user(c, oss_user_id)? {
        Some(u) => {
            chat_users::touch(c, &u.id, &origin.ip, origin.user_agent.as_deref(), email)?;
            Ok(u)
        }
        None => chat_users::insert_account(c, oss_user_id, email, &origin.ip, origin.user_agent.as_deref()),
    }
}

#[derive(Debug, Clone, Default)]
pub struct StartInput {
    pub browser_uuid: Option<String>,
    pub oss_user_id: Option<String>,
    pub email: Option<String>,
    pub user_hash: Option<String>,
    pub topic: String,
    pub priority: Option<Priority>,
    pub department_id: Option<String>,
    pub page_url: Option<String>,
    pub origin: Origin,
}

pub struct Started {
    pub session: Session,
    pub chat_user_id: String,
    pub requires_contact: bool,
}

pub fn start(app: &App, input: StartInput) -> Result<Started> {
    let origin = &input.origin;
    let (started, events) = app.db.write(|tx| {
        let user = match (&input.oss_user_id, &input.browser_uuid) {
            (Some(oss), browser) => {
                check_hash(app, oss, input.user_hash.as_deref())?;
                let account = find_or_create_account(tx, oss, input.email.as_deref(), origin)?;
                if let Some(b) = browser {
                    link_browser(tx, b, &account, origin, false)?;
                }
                account
            }
            (None, Some(b)) => match resolve(tx, app, &Identity::Browser(b.clone()))? {
                Some(u) => {
                    chat_users::touch(tx, &u.id, &origin.ip, origin.user_agent.as_deref(), None)?;
                    u
                }
                None => chat_users::insert_anonymous(tx, b, &origin.ip, origin.user_agent.as_deref())?,
            },
            (None, None) => {
                return Err(Error::missing("browser_uuid or oss_user_id"))
            }
        };
        if let Some(d) = &input.department_id {
            if departments::get(tx, d)?.is_none() {
                return Err(Error::field("department_id", "does not name a department"));
            }
        }
        let mut session = sessions::insert(
            tx,
            Family::Oss,
            &NewSession {
                chat_user_id: Some(user.id.clone()),
                department_id: input.department_id.clone(),
                topic: input.topic.clone(),
                priority: input.priority,
                page_url: input.page_url.clone(),
                user_agent: origin.user_agent.clone(),
                ..NewSession::default()
            },
        )?;
        let mut requires_contact = true;
        if let Some(prev) = contacts::latest_for_user(tx, &user.id)? {
            contacts::upsert(tx, &session.id, &prev)?;
            requires_contact = false;
        }
        routing::try_assign(tx, app, &mut session)?;
        let events = vec![Event::SessionUpdated { session: sref(&session) }, routing::queue_event(tx)?];
        Ok((Started { session, chat_user_id: user.id, requires_contact }, events))
    })?;
    app.publish_all(events);
    Ok(started)
}

/// Sets the session's contact (one per session; setting it again updates it).
pub fn set_contact(app: &App, session_id: &str, contact: &Contact) -> Result<String> {
    let (id, s) = app.db.write(|tx| {
        let s = sessions::get(tx, session_id)?
            .filter(|s| s.family == Family::Oss)
            .ok_or(Error::NotFound("Session"))?;
        Ok((contacts::upsert(tx, session_id, contact)?, s))
    })?;
    app.hub.publish(Event::SessionUpdated { session: sref(&s) });
    Ok(id)
}

/// Links a known browser to an OSS account (idempotent); returns the account's id.
pub fn link_user(app: &App, browser_uuid: &str, oss_user_id: &str, email: &str, user_hash: Option<&str>, origin: &Origin) -> Result<String> {
    check_hash(app, oss_user_id, user_hash)?;
    app.db.write(|tx| {
        if chat_users::by_browser(tx, browser_uuid)?.is_none() {
            return Err(Error::NotFound("Chat user"));
        }
        let account = find_or_create_account(tx, oss_user_id, Some(email), origin)?;
        link_browser(tx, browser_uuid, &account, origin, true)?;
        Ok(account.id)
    })
}

/// A page of the caller's sessions (newest first) as views, and their total count.
pub fn history(app: &App, who: &Identity, limit: i64, offset: i64) -> Result<(Vec<view::SessionView>, i64)> {
    app.db.read(|c| {
        let Some(user) = resolve(c, app, who)? else { return Ok((Vec::new(), 0)) };
        let (page, total) = sessions::page_for_user(c, &user.id, limit, offset)?;
        let views = page.into_iter().map(|s| view::load(c, s)).collect::<Result<_>>()?;
        Ok((views, total))
    })
}

/// The session (as a view) with its latest `n` messages, oldest first.
pub fn details(app: &App, who: &Identity, session_id: &str, n: i64) -> Result<(view::SessionView, Vec<Message>)> {
    app.db.read(|c| {
        let s = owned_session(c, app, who, session_id)?;
        let msgs = messages::latest(c, &s.id, n)?;
        Ok((view::load(c, s)?, msgs))
    })
}

/// Messages after the cursor, oldest first. With `wait`, holds the call until a message or a
/// status change arrives or the time runs out (the long-poll fallback of WebSocket).
pub fn poll_messages(app: &App, who: &Identity, session_id: &str, after: Option<&str>, limit: i64, wait: Duration) -> Result<(Vec<Message>, view::SessionView)> {
    let sub = app.hub.subscribe(Topic::Session(session_id.to_string()));
    let (after_seq, first_status) = app.db.read(|c| {
        let s = owned_session(c, app, who, session_id)?;
        let seq = match after {
            Some(id) => super::messages::cursor_seq(c, session_id, "after", id)?,
            None => 0,
        };
        Ok((seq, (s.status, s.agent_id)))
    })?;
    let deadline = Instant::now() + wait;
    loop {
        let (msgs, v) = app.db.read(|c| {
            let s = owned_session(c, app, who, session_id)?;
            Ok((messages::after(c, session_id, after_seq, limit)?, view::load(c, s)?))
        })?;
        let changed = (v.session.status, v.session.agent_id.clone()) != first_status;
        let left = deadline.saturating_duration_since(Instant::now());
        if !msgs.is_empty() || changed || left.is_zero() {
            return Ok((msgs, v));
        }
        // Typing and other sessions' news do not end the wait; anything else re-reads.
        loop {
            match sub.rx.recv_timeout(deadline.saturating_duration_since(Instant::now())) {
                Ok(ev) if matches!(*ev, Event::Typing { .. }) => continue,
                Ok(_) => break,
                Err(_) => return Ok((msgs, v)),
            }
        }
    }
}

/// The visitor ends the chat.
pub fn close(app: &App, who: &Identity, session_id: &str) -> Result<view::SessionView> {
    let (v, events) = app.db.write(|tx| {
        let s = owned_session(tx, app, who, session_id)?;
        let events = lifecycle::close_in_tx(tx, app, &s, None)?;
        let s = sessions::get(tx, session_id)?.ok_or(Error::NotFound("Session"))?;
        Ok((view::load(tx, s)?, events))
    })?;
    app.publish_all(events);
    Ok(v)
}

/// The visitor is (not) typing; shown live to the agent.
pub fn typing(app: &App, who: &Identity, session_id: &str, typing: bool) -> Result<()> {
    let s = app.db.read(|c| owned_session(c, app, who, session_id))?;
    if s.status != Status::Closed {
        app.hub.publish(Event::Typing { session: sref(&s), typing, sender_type: SenderType::Customer, name: None });
    }
    Ok(())
}

/// Online agents (of a department, when given).
pub fn availability(app: &App, department_id: Option<&str>) -> Result<i64> {
    app.db.read(|c| agents::online_count(c, department_id))
}
