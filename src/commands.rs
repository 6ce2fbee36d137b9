//! The subcommands: `serve` and the administration commands (SPEC §6). Each opens (creating
//! or migrating) the database, does one thing, and prints its result on stdout.

use crate::cli::{AgentCmd, Command, DepartmentCmd, ServeArgs, TokenCmd};
use crate::config::Config;
use crate::domain::{parse_text, AgentRole};
use crate::error::Error;
use crate::service::agents::{self as agent_service, AgentInput};
use crate::service::App;
use crate::store::{agents, departments};
use crate::{auth, Server};
use std::path::Path;
use std::sync::atomic::AtomicBool;
use std::sync::Arc;

pub fn run(cmd: Command) -> Result<(), String> {
    match cmd {
        Command::Serve(args) => serve(&args),
        Command::Agent { cmd, db } => agent(cmd, &open(&db.db)?),
        Command::Department { cmd, db } => department(cmd, &open(&db.db)?),
        Command::Token { cmd, db } => token(cmd, &open(&db.db)?),
        Command::Backup { file, db } => {
            open(&db.db)?.db.backup_to(&file).map_err(show)?;
            println!("{}", file.display());
            Ok(())
        }
    }
}

fn show(e: Error) -> String {
    match e {
        Error::Internal(d) => d,
        other => other.to_string(),
    }
}

fn open(db: &Path) -> Result<App, String> {
    App::new(Config::for_db(db.to_path_buf())).map_err(show)
}

fn serve(args: &ServeArgs) -> Result<(), String> {
    let config = Config::from_serve_args(args)?;
    let server = Server::start(config)?;
    let base = format!("http://{}", server.addr());
    println!("listening on {base}");
    println!("demo page:     {base}/");
    println!("agent console: {base}/agent/");
    if server.app.db.read(agents::count).map_err(show)? == 0 {
        let code = auth::new_setup_code();
        println!("setup code: {code}  (open {base}/agent/ to create the first admin)");
        *server.app.setup_code.lock().unwrap_or_else(|p| p.into_inner()) = Some(code);
    }
    let stop = Arc::new(AtomicBool::new(false));
    for sig in [signal_hook::consts::SIGINT, signal_hook::consts::SIGTERM] {
        signal_hook::flag::register(sig, Arc::clone(&stop)).map_err(|e| format!("signal handler: {e}"))?;
    }
    server.run_until(stop);
    Ok(())
}

fn agent(cmd: AgentCmd, app: &App) -> Result<(), String> {
    match cmd {
        AgentCmd::Add { email, name, password, number, department, max_chats, role } => {
            let role = role.map(|r| AgentRole::parse("role", &r)).transpose().map_err(show)?;
            let agent = app
                .db
                .write(|tx| {
                    let department_id = match &department {
                        Some(name) => Some(
                            departments::by_name(tx, name)?
                                .ok_or_else(|| Error::BadRequest(format!("no department named {name:?}")))?
                                .id,
                        ),
                        None => None,
                    };
                    let input = AgentInput { email, name, password, number, department_id, max_chats, role };
                    agent_service::create(tx, &input)
                })
                .map_err(show)?;
            println!("{}", agent.id);
        }
        AgentCmd::Disable { email } => {
            let found = app
                .db
                .write(|tx| {
                    let Some((a, _)) = agents::by_email_with_hash(tx, &email)? else { return Ok(false) };
                    agents::update(tx, &a.id, &agents::AgentPatch { disabled: Some(true), ..Default::default() })?;
                    crate::store::agent_tokens::delete_for_user(tx, &a.id)?;
                    // offline returns their chats to the queue; the server offers them on
                    // its next routing pass (this process has no live clients to tell)
                    agent_service::presence_in_tx(tx, app, &a.id, crate::domain::Presence::Offline)?;
                    Ok(true)
                })
                .map_err(show)?;
            if !found {
                return Err(format!("no agent with e-mail {email}"));
            }
            println!("disabled {email}");
        }
        AgentCmd::Passwd { email, password } => {
            let hash = auth::hash_password(&password).map_err(show)?;
            let found = app
                .db
                .write(|tx| {
                    let Some((a, _)) = agents::by_email_with_hash(tx, &email)? else { return Ok(false) };
                    agents::set_password_hash(tx, &a.id, &hash)?;
                    Ok(true)
                })
                .map_err(show)?;
            if !found {
                return Err(format!("no agent with e-mail {email}"));
            }
            println!("password changed for {email}");
        }
        AgentCmd::List => {
            for a in app.db.read(agents::list).map_err(show)? {
                let state = if a.disabled { "disabled" } else { a.status.as_str() };
                println!("{}\t{}\t{}\t{}\t{}\t{}", a.id, a.number, a.email, a.name, a.role.as_str(), state);
            }
        }
    }
    Ok(())
}

fn department(cmd: DepartmentCmd, app: &App) -> Result<(), String> {
    match cmd {
        DepartmentCmd::Add { name } => {
            let name = parse_text("name", &name, 255).map_err(show)?;
            let d = app
                .db
                .write(|tx| {
                    if departments::by_name(tx, &name)?.is_some() {
                        return Err(Error::Conflict(format!("department {name:?} already exists")));
                    }
                    departments::insert(tx, &name)
                })
                .map_err(show)?;
            println!("{}", d.id);
        }
        DepartmentCmd::List => {
            for d in app.db.read(departments::list).map_err(show)? {
                println!("{}\t{}", d.id, d.name);
            }
        }
    }
    Ok(())
}

/// `obrol token create|list|revoke`. The secret is printed once, alone on stdout, and
/// stored only as a hash; `list` never shows it.
fn token(cmd: TokenCmd, app: &App) -> Result<(), String> {
    use crate::service::tokens;
    // an argument error reads as its own sentence ("user must be …"), not as an HTTP title
    let show = |e: Error| match e {
        Error::Field { message, .. } => message,
        other => show(other),
    };
    match cmd {
        TokenCmd::Create { user, role, tenants, expires_in_days } => {
            let (secret, row) =
                app.db.write(|tx| tokens::create(tx, user, &role, &tenants, expires_in_days)).map_err(show)?;
            if crate::domain::TenantRole::parse("role", &row.role).is_err() {
                eprintln!("warning: role {:?} is not in the tenant allowlist; requests with this token get 403", row.role);
            }
            eprintln!("token id {} (the token below is shown only once)", row.id);
            println!("{secret}");
        }
        TokenCmd::List => {
            let now = crate::domain::now();
            for t in app.db.read(tokens::list).map_err(show)? {
                let tenants: Vec<String> = t.tenants.iter().map(i64::to_string).collect();
                let tenants = if tenants.is_empty() { "*".to_string() } else { tenants.join(",") };
                println!(
                    "{}\tuser={}\trole={}\ttenants={}\texpires={}\t{}",
                    t.id,
                    t.user_number,
                    t.role,
                    tenants,
                    t.expires_at.as_deref().unwrap_or("never"),
                    tokens::state(&t, &now)
                );
            }
        }
        TokenCmd::Revoke { token } => {
            let (t, revoked) = app.db.write(|tx| tokens::revoke(tx, &token)).map_err(show)?;
            println!("{} {}", if revoked { "revoked" } else { "already revoked" }, t.id);
        }
    }
    Ok(())
}
