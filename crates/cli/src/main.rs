//! `keyhaven`: the command-line client.
#![forbid(unsafe_code)]

mod key;

use std::process::ExitCode;

use clap::{Parser, Subcommand};

/// Exit codes, documented in `--help`.
const AFTER_HELP: &str = "\
Exit codes:
  0  success (for `key check`: the key is valid)
  1  the input was read but is invalid (for `key check`: the key or file is not valid)
  2  usage error, or an input could not be read";

/// Keyhaven: a self-hosted, zero-knowledge vault for secrets and recovery keys.
#[derive(Debug, Parser)]
#[command(name = "keyhaven", version, about, after_help = AFTER_HELP)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Work with recovery keys offline (no server needed).
    #[command(subcommand, after_help = AFTER_HELP)]
    Key(key::KeyCommand),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.command {
        Command::Key(cmd) => key::run(cmd),
    }
}
