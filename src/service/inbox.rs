//! The agent inbox (SPEC §4): one list over both families' conversations, with the queue,
//! the agent's active chats, closed ones and full-text search, and reading one conversation.
//!
//! The list shows a non-admin agent every waiting and closed conversation and their own
//! active ones (admins: everything). Any agent may open any conversation by id (a colleague's
//! chat for context, a transfer); acting on one needs it to be theirs (`conversations`).

use super::{search, view, App};
use crate::domain::{AgentRole, Family, Status};
use crate::error::{Error, Result};
use crate::store::agents::Agent;
use crate::store::messages::{self, Message};
use crate::store::sessions::{self, InboxFilter, Session};

use rusqlite::Connection;

/// What `GET /conversations` asks for.
#[derive(Debug, Clone, Default)]
pub struct Query {
    pub status: Option<Status>,
    pub family: Option<Family>,
    pub q: Option<String>,
    pub limit: i64,
    pub offset: i64,
}

/// The conversation, or 404.
pub fn conversation(c: &Connection, id: &str) -> Result<Session> {
    sessions::get(c, id)?.ok_or(Error::NotFound("Conversation"))
}

/// A page of the inbox and the number of all matching conversations.
pub fn list(app: &App, agent: &Agent, q: &Query) -> Result<(Vec<view::SessionView>, i64)> {
    let fts = match q.q.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
        Some(text) => match search::fts_query("q", text)? {
            Some(f) => Some(f),
            None => return Ok((Vec::new(), 0)), // nothing searchable: nothing matches
        },
        None => None,
    };
    let filter = InboxFilter {
        status: q.status,
        family: q.family,
        fts,
        viewer: (agent.role != AgentRole::Admin).then(|| agent.id.clone()),
        assigned_to: (q.status == Some(Status::Active)).then(|| agent.id.clone()),
        limit: q.limit,
        offset: q.offset,
    };
    app.db.read(|c| {
        let (page, total) = sessions::inbox(c, &filter)?;
        let views = page.into_iter().map(|s| view::load(c, s)).collect::<Result<_>>()?;
        Ok((views, total))
    })
}

/// One conversation with its latest `n` messages, oldest first.
pub fn get(app: &App, id: &str, n: i64) -> Result<(view::SessionView, Vec<Message>)> {
    app.db.read(|c| {
        let s = conversation(c, id)?;
        let msgs = messages::latest(c, &s.id, n)?;
        Ok((view::load(c, s)?, msgs))
    })
}

/// Where a page of messages starts.
#[derive(Debug, Clone)]
pub enum Page {
    /// The latest messages.
    Latest,
    /// Messages after this message id.
    After(String),
    /// Messages before this message id.
    Before(String),
}

/// A page of a conversation's messages, oldest first.
pub fn messages(app: &App, id: &str, page: &Page, limit: i64) -> Result<Vec<Message>> {
    app.db.read(|c| {
        let s = conversation(c, id)?;
        match page {
            Page::Latest => messages::latest(c, &s.id, limit),
            Page::After(m) => {
                let seq = super::messages::cursor_seq(c, &s.id, "after", m).map_err(Error::in_query)?;
                messages::after(c, &s.id, seq, limit)
            }
            Page::Before(m) => {
                let seq = super::messages::cursor_seq(c, &s.id, "before", m).map_err(Error::in_query)?;
                messages::before(c, &s.id, seq, limit)
            }
        }
    })
}
