//! `departments`.

use super::optional;
use crate::domain::{new_id, now};
use crate::error::Result;
use rusqlite::{params, Connection};
use serde::Serialize;

#[derive(Debug, Clone, Serialize)]
pub struct Department {
    pub id: String,
    pub name: String,
}

pub fn get(c: &Connection, id: &str) -> Result<Option<Department>> {
    optional(c.query_row(
        "SELECT id, name FROM departments WHERE id = ?1 AND deleted_at IS NULL",
        [id],
        |r| Ok(Department { id: r.get(0)?, name: r.get(1)? }),
    ))
}

pub fn by_name(c: &Connection, name: &str) -> Result<Option<Department>> {
    optional(c.query_row(
        "SELECT id, name FROM departments WHERE name = ?1 AND deleted_at IS NULL",
        [name],
        |r| Ok(Department { id: r.get(0)?, name: r.get(1)? }),
    ))
}

pub fn list(c: &Connection) -> Result<Vec<Department>> {
    let mut st = c.prepare("SELECT id, name FROM departments WHERE deleted_at IS NULL ORDER BY name")?;
    let rows = st.query_map([], |r| Ok(Department { id: r.get(0)?, name: r.get(1)? }))?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

pub fn insert(c: &Connection, name: &str) -> Result<Department> {
    let (id, t) = (new_id(), now());
    c.execute(
        "INSERT INTO departments (id, name, created_at, updated_at) VALUES (?1, ?2, ?3, ?3)",
        params![id, name, t],
    )?;
    Ok(Department { id, name: name.into() })
}
