//! SQL, one file per table group. Functions take a `Connection` (a `Transaction` derefs to
//! one) so services decide the transaction; nothing here publishes events or knows HTTP.

pub mod agents;
pub mod chat_users;
pub mod contacts;
pub mod departments;
pub mod messages;
pub mod sessions;
pub mod agent_tokens;
pub mod api_tokens;

use rusqlite::OptionalExtension;

/// `query_row` that turns "no row" into `None`.
pub(crate) fn optional<T>(r: rusqlite::Result<T>) -> crate::error::Result<Option<T>> {
    Ok(r.optional()?)
}
