//! Full-text search over message text (SQLite FTS5, compiled into the bundled SQLite).
//! FTS5's `MATCH` takes a query language (`"`, `*`, `AND`, `NEAR(…)`, column filters), so
//! user input is never passed through: it is cut into words, and each word becomes a quoted
//! phrase with a prefix star. A search for `"a` or `NEAR(` is then a search, not a 500.

use crate::error::{Error, Result};

/// Longest accepted search text, in characters.
pub const MAX_QUERY_CHARS: usize = 500;
/// Words of a search used at most.
const MAX_TERMS: usize = 16;

/// The FTS5 query for what an agent typed: every word must occur (as a word or the start of
/// one). `Ok(None)` when nothing searchable is left (only punctuation): no conversation matches.
pub fn fts_query(field: &str, q: &str) -> Result<Option<String>> {
    if q.chars().count() > MAX_QUERY_CHARS {
        return Err(Error::query(field, format!("must be at most {MAX_QUERY_CHARS} characters")));
    }
    let terms: Vec<String> = q
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .take(MAX_TERMS)
        .map(|w| format!("\"{}\"*", w.to_lowercase()))
        .collect();
    Ok((!terms.is_empty()).then(|| terms.join(" ")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn user_input_becomes_quoted_prefix_phrases() {
        assert_eq!(fts_query("q", "Refund order").ok().flatten().as_deref(), Some(r#""refund"* "order"*"#));
        assert_eq!(fts_query("q", r#""a"#).ok().flatten().as_deref(), Some(r#""a"*"#));
        assert_eq!(fts_query("q", "NEAR(x y) OR \"").ok().flatten().as_deref(), Some(r#""near"* "x"* "y"* "or"*"#));
        assert_eq!(fts_query("q", "\" * ( ) :").ok().flatten(), None);
        assert!(fts_query("q", &"a".repeat(501)).is_err());
    }

    #[test]
    fn hostile_queries_are_valid_fts5() {
        let c = rusqlite::Connection::open_in_memory().expect("db");
        c.execute_batch("CREATE VIRTUAL TABLE t USING fts5(x); INSERT INTO t VALUES ('paket belum sampai'), ('NEAR or not');")
            .expect("fts5");
        for q in [r#""a"#, "NEAR(", "x:y", "a AND", "*", "^b", "paket-belum", "'; DROP TABLE t; --", "sampai\"*"] {
            let Some(m) = fts_query("q", q).expect("ok") else { continue };
            let n: i64 = c.query_row("SELECT COUNT(*) FROM t WHERE t MATCH ?1", [&m], |r| r.get(0)).expect(q);
            assert!(n <= 2);
        }
        let m = fts_query("q", "paket-bel").expect("ok").expect("terms");
        let n: i64 = c.query_row("SELECT COUNT(*) FROM t WHERE t MATCH ?1", [&m], |r| r.get(0)).expect("match");
        assert_eq!(n, 1);
    }
}
