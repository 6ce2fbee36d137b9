//! Validated server configuration, built from the command line (and its env twins).

use crate::cli::ServeArgs;
use std::path::PathBuf;
use std::time::Duration;

/// How new conversations reach agents.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Routing {
    Auto,
    Manual,
}

/// SQLite `synchronous` setting.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Synchronous {
    Normal,
    Full,
}

/// Which origins CORS lets in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Origins {
    Any,
    List(Vec<String>),
}

#[derive(Debug, Clone)]
pub struct Config {
    pub addr: String,
    pub db: PathBuf,
    pub origins: Origins,
    pub trust_proxy: bool,
    pub routing: Routing,
    pub away_after: Duration,
    pub idle_close_after: Duration,
    pub synchronous: Synchronous,
    /// `OBROL_IDENTITY_SECRET`: when set, logged-in OSS users must prove identity with `user_hash`.
    pub identity_secret: Option<String>,
    /// `OBROL_JWT_SECRET`: when set, HS256 JWTs from the host application are accepted.
    pub jwt_secret: Option<String>,
    /// Requests per second allowed per client IP (bursts of 4×); `OBROL_RATE_LIMIT=off`
    /// disables the limit (load tests), `OBROL_RATE_LIMIT=<n>` sets it.
    pub rate_limit: Option<u32>,
    /// Most WebSocket connections open at once (`None`: derived from the open-file limit).
    pub max_sockets: Option<usize>,
    /// How often a quiet socket gets a heartbeat frame (at most 30 s, SPEC §4).
    pub ws_heartbeat: Duration,
}

impl Config {
    /// A configuration with defaults for `db`, used by tests and subcommands.
    pub fn for_db(db: PathBuf) -> Config {
        Config {
            addr: "127.0.0.1:8080".into(),
            db,
            origins: Origins::Any,
            trust_proxy: false,
            routing: Routing::Auto,
            away_after: Duration::from_secs(120),
            idle_close_after: Duration::from_secs(24 * 3600),
            synchronous: Synchronous::Normal,
            identity_secret: None,
            jwt_secret: None,
            rate_limit: Some(DEFAULT_RATE_LIMIT),
            max_sockets: None,
            ws_heartbeat: Duration::from_secs(25),
        }
    }

    pub fn from_serve_args(a: &ServeArgs) -> Result<Config, String> {
        let routing = match a.routing.as_str() {
            "auto" => Routing::Auto,
            "manual" => Routing::Manual,
            other => return Err(format!("--routing must be auto or manual, not {other:?}")),
        };
        let synchronous = match a.synchronous.to_ascii_lowercase().as_str() {
            "normal" => Synchronous::Normal,
            "full" => Synchronous::Full,
            other => return Err(format!("--synchronous must be normal or full, not {other:?}")),
        };
        let origins = if a.allowed_origins.trim() == "*" {
            Origins::Any
        } else {
            Origins::List(
                a.allowed_origins
                    .split(',')
                    .map(|s| s.trim().trim_end_matches('/').to_string())
                    .filter(|s| !s.is_empty())
                    .collect(),
            )
        };
        Ok(Config {
            addr: a.addr.clone(),
            db: a.db.db.clone(),
            origins,
            trust_proxy: a.trust_proxy,
            routing,
            away_after: parse_duration(&a.away_after).map_err(|e| format!("--away-after: {e}"))?,
            idle_close_after: parse_duration(&a.idle_close_after)
                .map_err(|e| format!("--idle-close-after: {e}"))?,
            synchronous,
            identity_secret: non_empty_env("OBROL_IDENTITY_SECRET"),
            jwt_secret: non_empty_env("OBROL_JWT_SECRET"),
            rate_limit: parse_rate_limit(std::env::var("OBROL_RATE_LIMIT").ok().as_deref())?,
            max_sockets: match a.max_sockets {
                Some(0) => return Err("--max-sockets must be at least 1".into()),
                n => n,
            },
            ws_heartbeat: {
                let d = parse_duration(&a.ws_heartbeat).map_err(|e| format!("--ws-heartbeat: {e}"))?;
                if d.is_zero() || d > Duration::from_secs(30) {
                    return Err("--ws-heartbeat must be more than 0 and at most 30s".into());
                }
                d
            },
        })
    }
}

/// Requests per second per client IP unless `OBROL_RATE_LIMIT` says otherwise. Generous,
/// because a whole office behind one NAT address shares it.
pub const DEFAULT_RATE_LIMIT: u32 = 50;

fn parse_rate_limit(v: Option<&str>) -> Result<Option<u32>, String> {
    match v.map(str::trim) {
        None | Some("") => Ok(Some(DEFAULT_RATE_LIMIT)),
        Some("off") | Some("0") | Some("false") => Ok(None),
        Some(n) => n
            .parse::<u32>()
            .map(Some)
            .map_err(|_| format!("OBROL_RATE_LIMIT must be off or requests per second, not {n:?}")),
    }
}

fn non_empty_env(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.is_empty())
}

/// Parses `90s`, `2m`, `24h`, `7d` (a number and a unit).
pub fn parse_duration(s: &str) -> Result<Duration, String> {
    let s = s.trim();
    let split = s.find(|c: char| !c.is_ascii_digit()).unwrap_or(s.len());
    let (num, unit) = s.split_at(split);
    let n: u64 = num
        .parse()
        .map_err(|_| format!("{s:?} is not a duration like 90s, 2m, 24h"))?;
    let secs = match unit {
        "ms" => return Ok(Duration::from_millis(n)),
        "s" => n,
        "m" => n * 60,
        "h" => n * 3600,
        "d" => n * 86400,
        _ => return Err(format!("{s:?} needs a unit: ms, s, m, h or d")),
    };
    Ok(Duration::from_secs(secs))
}

#[cfg(test)]
mod tests {
    use super::*;
    #[test]
    fn durations() {
        assert_eq!(parse_duration("90s"), Ok(Duration::from_secs(90)));
        assert_eq!(parse_duration("2m"), Ok(Duration::from_secs(120)));
        assert_eq!(parse_duration("24h"), Ok(Duration::from_secs(86400)));
        assert!(parse_duration("24").is_err());
        assert!(parse_duration("h").is_err());
        assert!(parse_duration("5x").is_err());
    }
}
