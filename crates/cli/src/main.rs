//! `keyhaven`: the server and every client command in one binary.
#![forbid(unsafe_code)]

mod account;
mod audit;
mod connect;
mod device;
mod device_files;
mod home;
mod key;
mod member;
mod password;
mod progress;
mod server;
mod workspace;

use std::process::ExitCode;

use clap::{Parser, Subcommand};

/// Exit codes, documented in `--help`.
const AFTER_HELP: &str = "\
Exit codes:
  0  success (for `key check`: the key is valid)
  1  the input was read but is invalid, or the server refused (for `key check`: the key or
     file is not valid)
  2  usage error, or an input could not be read";

/// Keyhaven: a self-hosted, zero-knowledge vault for secrets and recovery keys.
#[derive(Debug, Parser)]
#[command(name = "keyhaven", version, about, after_help = AFTER_HELP)]
struct Cli {
    #[command(subcommand)]
    command: Command,
    #[command(flatten)]
    transport: connect::TransportArgs,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Run the server.
    Server(Box<server::ServerArgs>),
    /// Create an account (emails a verification code first).
    Signup(account::SignupArgs),
    /// Sign in.
    Login(account::LoginArgs),
    /// Sign out (ends the session on the server too).
    Logout,
    /// Show the signed-in account.
    Whoami(account::WhoamiArgs),
    /// Workspaces: create, list, show.
    #[command(subcommand)]
    Workspace(workspace::WorkspaceCommand),
    /// Secrets: add, get, list, rm.
    #[command(subcommand)]
    Secret(workspace::SecretCommand),
    /// Workspace members: invite, accept, list, role, remove, relink.
    #[command(subcommand)]
    Member(member::MemberCommand),
    /// The workspace recovery key.
    #[command(subcommand, name = "recovery-key")]
    RecoveryKey(workspace::RecoveryCommand),
    /// Reset a forgotten password (emails an access code first).
    #[command(subcommand)]
    Password(password::PasswordCommand),
    /// Audit logs of a workspace or of your account: list, verify (on this device).
    #[command(subcommand)]
    Audit(audit::AuditCommand),
    /// Device recovery keys (BitLocker, FileVault, LUKS): add, import, list, find, reveal,
    /// export, check, rm.
    #[command(subcommand)]
    Device(device::DeviceCommand),
    /// Enrollment tokens for device agents, and submitting a device's key with one.
    #[command(subcommand)]
    Escrow(device::EscrowCommand),
    /// Work with recovery keys offline (no server needed).
    #[command(subcommand, after_help = AFTER_HELP)]
    Key(key::KeyCommand),
    /// Print a shell completion script.
    ///
    /// bash:  keyhaven completions bash > ~/.local/share/bash-completion/completions/keyhaven
    /// zsh:   keyhaven completions zsh > "${fpath[1]}/_keyhaven"
    /// fish:  keyhaven completions fish > ~/.config/fish/completions/keyhaven.fish
    /// PowerShell: keyhaven completions powershell >> $PROFILE
    Completions {
        /// The shell.
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
    /// Print the manual page (roff), or write one page per command into a folder.
    ///
    /// keyhaven man | man -l -      (read it now)
    /// keyhaven man --out-dir /usr/local/share/man/man1
    Man {
        /// Write keyhaven.1, keyhaven-server.1, … into this folder instead of printing.
        #[arg(long, value_name = "DIR")]
        out_dir: Option<std::path::PathBuf>,
    },
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    connect::init(cli.transport);
    let result = match cli.command {
        Command::Key(cmd) => return key::run(cmd),
        Command::Completions { shell } => {
            let mut command = <Cli as clap::CommandFactory>::command();
            clap_complete::generate(shell, &mut command, "keyhaven", &mut std::io::stdout());
            Ok(())
        }
        Command::Man { out_dir } => man(out_dir.as_deref()),
        Command::Server(args) => server::run(*args),
        Command::Signup(args) => block_on(account::signup(args)),
        Command::Login(args) => block_on(account::login(args)),
        Command::Logout => block_on(account::logout()),
        Command::Whoami(args) => block_on(account::whoami(args)),
        Command::Workspace(cmd) => block_on(workspace::workspace(cmd)),
        Command::Secret(cmd) => block_on(workspace::secret(cmd)),
        Command::RecoveryKey(cmd) => block_on(workspace::recovery(cmd)),
        Command::Member(cmd) => block_on(member::run(cmd)),
        Command::Password(cmd) => block_on(password::run(cmd)),
        Command::Audit(cmd) => block_on(audit::run(cmd)),
        Command::Device(cmd) => block_on(device::run(cmd)),
        Command::Escrow(cmd) => block_on(device::escrow(cmd)),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("error: {err:#}");
            if let Some(hinted) = err.downcast_ref::<Hinted>() {
                eprintln!("hint: {}", hinted.hint);
            }
            ExitCode::from(1)
        }
    }
}

/// `keyhaven man`: the top page on stdout, or every page into `out_dir`.
fn man(out_dir: Option<&std::path::Path>) -> anyhow::Result<()> {
    let command = <Cli as clap::CommandFactory>::command();
    match out_dir {
        None => clap_mangen::Man::new(command).render(&mut std::io::stdout())?,
        Some(dir) => {
            std::fs::create_dir_all(dir)?;
            clap_mangen::generate_to(command, dir)?;
            println!("Manual pages written to {}.", dir.display());
        }
    }
    Ok(())
}

/// Runs a client command on a small runtime (the CLI does one thing at a time).
fn block_on(future: impl std::future::Future<Output = anyhow::Result<()>>) -> anyhow::Result<()> {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?
        .block_on(future)
}

/// An error with a hint line shown under it.
#[derive(Debug)]
struct Hinted {
    error: anyhow::Error,
    hint: &'static str,
}

impl std::fmt::Display for Hinted {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{:#}", self.error)
    }
}

impl std::error::Error for Hinted {}

/// Attaches a hint to an error (printed as `hint: …` under it). An empty hint adds nothing.
fn with_hint(error: anyhow::Error, hint: &'static str) -> anyhow::Error {
    if hint.is_empty() {
        error
    } else {
        anyhow::Error::new(Hinted { error, hint })
    }
}
