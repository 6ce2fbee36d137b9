//! The `obrol` executable: parses the command line and dispatches.

use clap::Parser;

fn main() {
    env_logger::Builder::from_env(env_logger::Env::default().default_filter_or("info")).init();
    let cli = obrol::cli::Cli::parse();
    if let Err(e) = obrol::commands::run(cli.command) {
        eprintln!("error: {e}");
        std::process::exit(1);
    }
}
