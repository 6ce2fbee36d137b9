//! The read model of a session: the session with the rows it points to, as every family's
//! renderer and the agent inbox need them.

use crate::error::Result;
use crate::store::agents::{self, Agent};
use crate::store::chat_users::{self, ChatUser};
use crate::store::contacts::{self, Contact};
use crate::store::departments::{self, Department};
use crate::store::messages::{self, Message};
use crate::store::sessions::{self, Session};
use rusqlite::Connection;

#[derive(Debug, Clone)]
pub struct SessionView {
    pub session: Session,
    pub agent: Option<Agent>,
    pub department: Option<Department>,
    pub contact: Option<Contact>,
    pub chat_user: Option<ChatUser>,
    pub last_message: Option<Message>,
    /// 1 = next, while waiting.
    pub queue_position: Option<i64>,
}

pub fn load(c: &Connection, s: Session) -> Result<SessionView> {
    let agent = match &s.agent_id {
        Some(id) => agents::get(c, id)?,
        None => None,
    };
    let department = match &s.department_id {
        Some(id) => departments::get(c, id)?,
        None => None,
    };
    let chat_user = match &s.chat_user_id {
        Some(id) => chat_users::get(c, id)?,
        None => None,
    };
    Ok(SessionView {
        agent,
        department,
        contact: contacts::for_session(c, &s.id)?,
        chat_user,
        last_message: messages::last(c, &s.id)?,
        queue_position: sessions::queue_position(c, &s)?,
        session: s,
    })
}
