//! Sending a message, the same for visitors, tenant users and agents.

use super::{sref, App};
use crate::domain::{now, MessageText, Status};
use crate::error::{Error, Result};
use crate::hub::Event;
use crate::store::messages::{self, Message, Sender};
use crate::store::sessions::{self, Session};

/// The outcome of a send: the stored message, and whether this call stored it
/// (false when `client_id` named a message already stored: a retried POST).
pub struct Sent {
    pub message: Message,
    pub created: bool,
    pub session: Session,
}

/// Stores `text` in `session_id` unless a message with the same `client_id` exists there.
/// `check` runs inside the transaction on the current session (ownership, status rules);
/// a closed session is refused with `closed_err`.
pub fn send(
    app: &App,
    session_id: &str,
    from: &Sender,
    text: &MessageText,
    client_id: Option<&str>,
    check: impl FnOnce(&rusqlite::Connection, &Session) -> Result<()>,
    closed_err: Error,
) -> Result<Sent> {
    let _order = app.hub.message_order();
    let sent = app.db.write(|tx| {
        let session = sessions::get(tx, session_id)?.ok_or(Error::NotFound("Session"))?;
        check(tx, &session)?;
        if let Some(cid) = client_id {
            if let Some(existing) = messages::by_client_id(tx, session_id, cid)? {
                return Ok(Sent { message: existing, created: false, session });
            }
        }
        if session.status == Status::Closed {
            return Err(closed_err);
        }
        let at = now();
        let message = messages::insert(tx, session_id, from, text.as_str(), client_id, &at)?;
        sessions::touch_activity(tx, session_id, &at)?;
        Ok(Sent { message, created: true, session })
    })?;
    if sent.created {
        app.hub.publish(Event::MessageCreated { session: sref(&sent.session), message: sent.message.clone() });
    }
    Ok(sent)
}

/// The sequence number behind a message id of this session (a cursor), else 400 on `field`.
pub fn cursor_seq(c: &rusqlite::Connection, session_id: &str, field: &str, message_id: &str) -> Result<i64> {
    messages::get_in_session(c, session_id, message_id)?
        .map(|m| m.seq)
        .ok_or_else(|| Error::field(field, "is not a message of this session"))
}
