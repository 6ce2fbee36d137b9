//! Command line: `obrol serve` and the administration subcommands (SPEC §6).
//! Every flag has an `OBROL_*` environment twin where the SPEC names one.

use clap::{Args, Parser, Subcommand};
use std::path::PathBuf;

#[derive(Parser, Debug)]
#[command(name = "obrol", version, about = "Live-chat server: one executable, one SQLite file")]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

/// The database every subcommand works on.
#[derive(Args, Debug, Clone)]
pub struct DbArg {
    /// SQLite database file (created and migrated when needed).
    #[arg(long, env = "OBROL_DB", default_value = "./obrol.db", global = true)]
    pub db: PathBuf,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Run the HTTP/WebSocket server.
    Serve(ServeArgs),
    /// Manage agents.
    Agent {
        #[command(subcommand)]
        cmd: AgentCmd,
        #[command(flatten)]
        db: DbArg,
    },
    /// Manage departments.
    Department {
        #[command(subcommand)]
        cmd: DepartmentCmd,
        #[command(flatten)]
        db: DbArg,
    },
    /// Manage API tokens for the tenant livechat API.
    Token {
        #[command(subcommand)]
        cmd: TokenCmd,
        #[command(flatten)]
        db: DbArg,
    },
    /// Write a consistent copy of the database into one file (safe while serving).
    Backup {
        /// Destination file.
        file: PathBuf,
        #[command(flatten)]
        db: DbArg,
    },
}

#[derive(Args, Debug, Clone)]
pub struct ServeArgs {
    /// Address to listen on (port 0 picks a free port).
    #[arg(long, env = "OBROL_ADDR", default_value = "127.0.0.1:8080")]
    pub addr: String,
    #[command(flatten)]
    pub db: DbArg,
    /// Comma-separated origins allowed by CORS, or `*`.
    #[arg(long, env = "OBROL_ALLOWED_ORIGINS", default_value = "*")]
    pub allowed_origins: String,
    /// Take the client address from X-Forwarded-For (only behind a reverse proxy you run).
    #[arg(long, env = "OBROL_TRUST_PROXY")]
    pub trust_proxy: bool,
    /// `auto` assigns new conversations to agents; `manual` leaves them in the queue.
    #[arg(long, env = "OBROL_ROUTING", default_value = "auto")]
    pub routing: String,
    /// Set an agent `away` when all their console sockets have been gone this long.
    #[arg(long, env = "OBROL_AWAY_AFTER", default_value = "120s")]
    pub away_after: String,
    /// Close a session with no message for this long.
    #[arg(long, env = "OBROL_IDLE_CLOSE_AFTER", default_value = "24h")]
    pub idle_close_after: String,
    /// SQLite synchronous mode: `normal` (default) or `full` (power-loss durable).
    #[arg(long, env = "OBROL_SYNCHRONOUS", default_value = "normal")]
    pub synchronous: String,
    /// Most WebSocket connections open at once; more are refused with 503
    /// (default: from the open-file limit, two descriptors per socket).
    #[arg(long, env = "OBROL_MAX_SOCKETS")]
    pub max_sockets: Option<usize>,
    /// Heartbeat interval of quiet WebSocket connections (at most 30s).
    #[arg(long, env = "OBROL_WS_HEARTBEAT", default_value = "25s")]
    pub ws_heartbeat: String,
}

#[derive(Subcommand, Debug)]
pub enum AgentCmd {
    /// Create an agent and print its id.
    Add {
        #[arg(long)]
        email: String,
        #[arg(long)]
        name: String,
        #[arg(long)]
        password: String,
        /// The agent's user number (seed 002 `agent_id`); default: next free number.
        #[arg(long)]
        number: Option<i64>,
        /// Department name.
        #[arg(long)]
        department: Option<String>,
        #[arg(long)]
        max_chats: Option<i64>,
        /// `admin` or `agent` (default).
        #[arg(long)]
        role: Option<String>,
    },
    /// Disable an agent (their login stops working).
    Disable { email: String },
    /// Set an agent's password.
    Passwd {
        email: String,
        #[arg(long)]
        password: String,
    },
    /// List agents.
    List,
}

#[derive(Subcommand, Debug)]
pub enum DepartmentCmd {
    /// Create a department and print its id.
    Add { name: String },
    /// List departments.
    List,
}

#[derive(Subcommand, Debug)]
pub enum TokenCmd {
    /// Create an API token and print it (shown only this once).
    Create {
        /// The host application's user number.
        #[arg(long)]
        user: i64,
        #[arg(long)]
        role: String,
        /// A tenant the token may act for (repeatable).
        #[arg(long = "tenant")]
        tenants: Vec<i64>,
        #[arg(long)]
        expires_in_days: Option<i64>,
    },
    /// List tokens (never their secret).
    List,
    /// Revoke a token, given the token itself or its id.
    Revoke { token: String },
}
