//! The tenant livechat family's use cases (seed 002, SPEC §3). A caller is a `Principal`
//! (from a token) authorized for one tenant (`X-Tenant-ID`) as an `Access`; every session
//! lookup is scoped to that tenant, so another tenant's session is "not found", exactly
//! like one that does not exist.

use super::messages::{self as sending, Sent};
use super::tokens::Principal;
use super::{routing, sessions as lifecycle, sref, App};
use crate::domain::{Family, MessageText, SenderType, Status, TenantRole};
use crate::error::{Error, Result};
use crate::hub::Event;
use crate::store::agents::{self, Agent};
use crate::store::messages::{self, Message, MessageFilter, Sender, SeqBound};
use crate::store::sessions::{self, KeyBound, NewSession, Session};
use rusqlite::Connection;

/// A caller allowed to act for `tenant_id`.
#[derive(Debug, Clone)]
pub struct Access {
    /// The host's user number (seed 002 `sender_id`).
    pub user: i64,
    pub role: TenantRole,
    pub tenant_id: i64,
    /// A support_agent whose number is an (enabled) agent's acts as that agent.
    pub agent: Option<Agent>,
}

impl Access {
    pub fn is_support(&self) -> bool {
        self.role == TenantRole::SupportAgent
    }

    /// Support agents write as agents (with their agent row when they have one); everyone
    /// else writes as the customer side.
    fn sender(&self) -> Sender {
        if self.is_support() {
            Sender { kind: SenderType::Agent, agent_id: self.agent.as_ref().map(|a| a.id.clone()), number: Some(self.user) }
        } else {
            Sender { kind: SenderType::Customer, agent_id: None, number: Some(self.user) }
        }
    }
}

fn forbidden() -> Error {
    Error::Forbidden("forbidden".into())
}

/// Checks the role allowlist (403) and the tenant header: present and a positive number
/// (400), one of the token's tenants unless the caller is a support_agent (403).
pub fn authorize(app: &App, p: Principal, tenant_header: Option<&str>) -> Result<Access> {
    let role = TenantRole::parse("role", &p.role).map_err(|_| forbidden())?;
    let raw = tenant_header.map(str::trim).filter(|h| !h.is_empty());
    let raw = raw.ok_or_else(|| Error::BadRequest("X-Tenant-ID header is required".into()))?;
    let tenant_id = raw
        .parse::<i64>()
        .ok()
        .filter(|t| *t >= 1)
        .ok_or_else(|| Error::BadRequest("X-Tenant-ID must be a positive whole number".into()))?;
    if role != TenantRole::SupportAgent && !p.tenants.contains(&tenant_id) {
        return Err(forbidden());
    }
    let agent = if role == TenantRole::SupportAgent {
        app.db.read(|c| agents::by_number(c, p.user))?.filter(|a| !a.disabled)
    } else {
        None
    };
    Ok(Access { user: p.user, role, tenant_id, agent })
}

/// A session with the assigned agent's number (seed 002 `agent_id`).
#[derive(Debug, Clone)]
pub struct TenantSession {
    pub session: Session,
    pub agent_number: Option<i64>,
    /// The assigned agent's name (an addition to the seed's `ChatSession`, for display).
    pub agent_name: Option<String>,
}

/// The session as the tenant family shows it (for renderers outside a request, e.g. a
/// socket's `session.updated`).
pub fn load(c: &Connection, session: Session) -> Result<TenantSession> {
    with_agent(c, session)
}

fn with_agent(c: &Connection, session: Session) -> Result<TenantSession> {
    let agent = match &session.agent_id {
        Some(id) => agents::get(c, id)?,
        None => None,
    };
    let (agent_number, agent_name) = agent.map(|a| (a.number, a.name)).unzip();
    Ok(TenantSession { session, agent_number, agent_name })
}

/// The session if it is a tenant session of the caller's tenant; 404 otherwise.
fn tenant_session(c: &Connection, a: &Access, id: &str) -> Result<Session> {
    match sessions::get(c, id)? {
        Some(s) if s.family == Family::Tenant && s.tenant_id == Some(a.tenant_id) => Ok(s),
        _ => Err(Error::NotFound("Session")),
    }
}

/// Opens the tenant's session: at most one OPEN per tenant (400); a support_agent's
/// `agent_id` names the agent (who must exist), otherwise the least-loaded online agent
/// with free capacity takes it, or it waits OPEN while every online agent is full; no
/// agent online at all is 400.
pub fn open(app: &App, a: &Access, agent_id: Option<i64>) -> Result<TenantSession> {
    let (ts, events) = app.db.write(|tx| {
        if sessions::open_for_tenant(tx, a.tenant_id)?.is_some() {
            return Err(Error::BadRequest("This tenant already has an open session".into()));
        }
        let named = match agent_id.filter(|_| a.is_support()) {
            Some(n) => Some(
                agents::by_number(tx, n)?
                    .filter(|ag| !ag.disabled)
                    .ok_or_else(|| Error::field("agent_id", "does not name an agent"))?,
            ),
            None => None,
        };
        if named.is_none() && agents::online_count(tx, None)? == 0 {
            return Err(Error::BadRequest("No agent is online".into()));
        }
        let new = NewSession { tenant_id: Some(a.tenant_id), opened_by: Some(a.user), ..NewSession::default() };
        let mut s = sessions::insert(tx, Family::Tenant, &new)?;
        match &named {
            Some(ag) => routing::assign(tx, &mut s, &ag.id)?,
            None => {
                routing::try_assign(tx, app, &mut s)?;
            }
        }
        let s = sessions::get(tx, &s.id)?.ok_or(Error::NotFound("Session"))?;
        let events = vec![Event::SessionUpdated { session: sref(&s) }, routing::queue_event(tx)?];
        Ok((with_agent(tx, s)?, events))
    })?;
    app.publish_all(events);
    Ok(ts)
}

pub fn get(app: &App, a: &Access, id: &str) -> Result<TenantSession> {
    app.db.read(|c| {
        let s = tenant_session(c, a, id)?;
        with_agent(c, s)
    })
}

/// Closes the session: only a support_agent or the assigned agent may (403). Closing a
/// closed session changes nothing and answers it as it is.
pub fn close(app: &App, a: &Access, id: &str) -> Result<TenantSession> {
    let (ts, events) = app.db.write(|tx| {
        let s = tenant_session(tx, a, id)?;
        let assigned = match &s.agent_id {
            Some(aid) => agents::get(tx, aid)?.is_some_and(|ag| ag.number == a.user),
            None => false,
        };
        if !a.is_support() && !assigned {
            return Err(forbidden());
        }
        let events = lifecycle::close_in_tx(tx, app, &s, None)?;
        let s = sessions::get(tx, id)?.ok_or(Error::NotFound("Session"))?;
        Ok((with_agent(tx, s)?, events))
    })?;
    app.publish_all(events);
    Ok(ts)
}

/// Shows the caller (not) typing to the other side. A closed session takes no input (404).
pub fn typing(app: &App, a: &Access, id: &str, typing: bool) -> Result<()> {
    let s = app.db.read(|c| tenant_session(c, a, id))?;
    if s.status == Status::Closed {
        return Err(Error::NotFound("Session"));
    }
    let from = a.sender();
    let name = a.agent.as_ref().map(|ag| ag.name.clone());
    app.hub.publish(Event::Typing { session: sref(&s), typing, sender_type: from.kind, name });
    Ok(())
}

/// Sends a message as the caller; a closed or unknown session is 404. A repeated
/// `client_id` returns the stored message (`created` false).
pub fn send(app: &App, a: &Access, id: &str, text: &MessageText, client_id: Option<&str>) -> Result<Sent> {
    sending::send(
        app,
        id,
        &a.sender(),
        text,
        client_id,
        |c, s| tenant_session(c, a, &s.id).map(|_| ()),
        Error::NotFound("Session"),
    )
}

/// What page of a newest-first listing to read: `limit` items older than `cursor` (or the
/// newest), or with `newer` the `limit` items just newer than `cursor`.
#[derive(Debug, Clone, Default)]
pub struct PageReq {
    pub cursor: Option<String>,
    pub newer: bool,
    pub limit: i64,
}

/// A newest-first page. `next_cursor` (the oldest item's id) is set when older items
/// exist, `prev_cursor` (the newest item's id) when newer ones do.
#[derive(Debug, Clone)]
pub struct Page<T> {
    pub items: Vec<T>,
    pub next_cursor: Option<String>,
    pub prev_cursor: Option<String>,
}

/// Which side of an item `beyond` asks about.
#[derive(Clone, Copy)]
enum Side {
    Older,
    Newer,
}

/// Turns `rows` (read with one extra, in the bound's order) into a newest-first page.
fn assemble<T>(
    mut rows: Vec<T>,
    limit: usize,
    newer: bool,
    id: impl Fn(&T) -> String,
    beyond: impl Fn(&T, Side) -> Result<bool>,
) -> Result<Page<T>> {
    let more = rows.len() > limit;
    rows.truncate(limit);
    if newer {
        rows.reverse();
    }
    let (Some(first), Some(last)) = (rows.first(), rows.last()) else {
        return Ok(Page { items: rows, next_cursor: None, prev_cursor: None });
    };
    let has_older = if newer { beyond(last, Side::Older)? } else { more };
    let has_newer = if newer { more } else { beyond(first, Side::Newer)? };
    let next_cursor = has_older.then(|| id(last));
    let prev_cursor = has_newer.then(|| id(first));
    Ok(Page { items: rows, next_cursor, prev_cursor })
}

fn page_size(r: &PageReq) -> usize {
    usize::try_from(r.limit).unwrap_or(1).max(1)
}

/// The session's messages matching `f`, newest first, one page at a time. Stable by the
/// message sequence, so equal timestamps never skip or repeat a message. A closed session
/// stays readable.
pub fn messages(app: &App, a: &Access, id: &str, f: &MessageFilter, r: &PageReq) -> Result<Page<Message>> {
    app.db.read(|c| {
        let s = tenant_session(c, a, id)?;
        let cursor = match &r.cursor {
            Some(cid) => Some(super::messages::cursor_seq(c, &s.id, "cursor", cid).map_err(Error::in_query)?),
            None => None,
        };
        let bound = page_bound(cursor, r.newer, SeqBound::Before, SeqBound::After, SeqBound::Newest)?;
        let n = page_size(r);
        let rows = messages::filtered(c, &s.id, f, bound, n + 1)?;
        assemble(rows, n, r.newer, |m| m.id.clone(), |m, side| {
            let b = match side {
                Side::Older => SeqBound::Before(m.seq),
                Side::Newer => SeqBound::After(m.seq),
            };
            messages::filtered_exists(c, &s.id, f, b)
        })
    })
}

/// Where a page starts: before the cursor (older), after it (`direction=newer`, which needs
/// a cursor), or at the newest item. One rule for both listings.
fn page_bound<K, B>(cursor: Option<K>, newer: bool, before: fn(K) -> B, after: fn(K) -> B, newest: B) -> Result<B> {
    match (cursor, newer) {
        (Some(k), true) => Ok(after(k)),
        (Some(k), false) => Ok(before(k)),
        (None, true) => Err(Error::query("cursor", "is required with direction=newer")),
        (None, false) => Ok(newest),
    }
}

/// The tenant's sessions, newest first (`closed` filters by status), paged like messages.
pub fn list(app: &App, a: &Access, closed: Option<bool>, r: &PageReq) -> Result<Page<TenantSession>> {
    app.db.read(|c| {
        let cursor = match &r.cursor {
            Some(cid) => Some(
                sessions::tenant_key(c, a.tenant_id, cid)?
                    .ok_or_else(|| Error::query("cursor", "is not a session of this tenant"))?,
            ),
            None => None,
        };
        let bound = page_bound(cursor, r.newer, KeyBound::Before, KeyBound::After, KeyBound::Newest)?;
        let n = page_size(r);
        let rows = sessions::tenant_page(c, a.tenant_id, closed, &bound, n as i64 + 1)?;
        let page = assemble(rows, n, r.newer, |(s, _)| s.id.clone(), |(_, k), side| {
            let b = match side {
                Side::Older => KeyBound::Before(k.clone()),
                Side::Newer => KeyBound::After(k.clone()),
            };
            Ok(!sessions::tenant_page(c, a.tenant_id, closed, &b, 1)?.is_empty())
        })?;
        let items = page.items.into_iter().map(|(s, _)| with_agent(c, s)).collect::<Result<_>>()?;
        Ok(Page { items, next_cursor: page.next_cursor, prev_cursor: page.prev_cursor })
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn page(rows: Vec<i64>, limit: usize, newer: bool, all: &[i64]) -> Page<i64> {
        assemble(rows, limit, newer, |x| x.to_string(), |x, side| {
            Ok(match side {
                Side::Older => all.iter().any(|y| y < x),
                Side::Newer => all.iter().any(|y| y > x),
            })
        })
        .expect("page")
    }

    #[test]
    fn older_pages_know_both_sides() {
        let all: Vec<i64> = (1..=10).collect();
        let p = page(vec![10, 9, 8, 7], 3, false, &all);
        assert_eq!(p.items, vec![10, 9, 8]);
        assert_eq!((p.next_cursor.as_deref(), p.prev_cursor.as_deref()), (Some("8"), None));
        let p = page(vec![7, 6, 5, 4], 3, false, &all);
        assert_eq!((p.next_cursor.as_deref(), p.prev_cursor.as_deref()), (Some("5"), Some("7")));
        let p = page(vec![2, 1], 3, false, &all);
        assert_eq!((p.next_cursor.as_deref(), p.prev_cursor.as_deref()), (None, Some("2")));
    }

    #[test]
    fn newer_pages_come_back_newest_first() {
        let all: Vec<i64> = (1..=10).collect();
        let p = page(vec![5, 6, 7, 8], 3, true, &all);
        assert_eq!(p.items, vec![7, 6, 5]);
        assert_eq!((p.next_cursor.as_deref(), p.prev_cursor.as_deref()), (Some("5"), Some("7")));
        let p = page(vec![9, 10], 3, true, &all);
        assert_eq!(p.items, vec![10, 9]);
        assert_eq!((p.next_cursor.as_deref(), p.prev_cursor.as_deref()), (Some("9"), None));
        let p = page(vec![], 3, true, &all);
        assert!(p.items.is_empty() && p.next_cursor.is_none() && p.prev_cursor.is_none());
    }
}
