//! `keyhaven server`: runs the server.

use std::net::SocketAddr;
use std::path::PathBuf;

use anyhow::Result;
use clap::Args;
use keyhaven_server::config::{Config, ConfigOverrides};

/// Run the Keyhaven server (SQLite under --data-dir by default, or PostgreSQL with --database).
///
/// Settings come from, lowest first: built-in defaults, the TOML file of --config, KEYHAVEN_*
/// environment variables, then these flags. --print-default-config shows every setting.
#[derive(Debug, Args)]
pub struct ServerArgs {
    /// Address to listen on (port 0 picks a free port; the address is printed).
    #[arg(long, value_name = "ADDR")]
    listen: Option<SocketAddr>,
    /// Directory for the SQLite database and the outbox [default: ./keyhaven-data].
    #[arg(long, value_name = "DIR")]
    data_dir: Option<PathBuf>,
    /// PostgreSQL URL (postgres://user@host/db) instead of the embedded SQLite file.
    #[arg(long, value_name = "URL")]
    database: Option<String>,
    /// SMTP relay (smtp://host:port) instead of the outbox folder <data-dir>/outbox.
    #[arg(long, value_name = "URL")]
    smtp_url: Option<String>,
    /// The URL users reach this server at; the only origin used in emails.
    #[arg(long, value_name = "URL")]
    public_url: Option<String>,
    /// A TOML configuration file.
    #[arg(long, value_name = "FILE")]
    config: Option<PathBuf>,
    /// Print the default configuration (every setting, commented) and exit.
    #[arg(long)]
    print_default_config: bool,
    /// Start even if other users of this machine can read the data directory (it holds the
    /// server's secrets; by default the server refuses to start then).
    #[arg(long)]
    dangerous_allow_readable_data_dir: bool,
}

pub fn run(args: ServerArgs) -> Result<()> {
    if args.print_default_config {
        print!("{}", keyhaven_server::config::default_toml());
        return Ok(());
    }
    let overrides = ConfigOverrides {
        listen: args.listen,
        data_dir: args.data_dir,
        database: args.database,
        smtp_url: args.smtp_url,
        public_url: args.public_url,
    };
    let env = |name: &str| std::env::var(name).ok();
    let config = Config::load(args.config.as_deref(), &env, overrides)?;
    tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::new(&config.log))
        .with_writer(std::io::stderr)
        .init();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    let options = keyhaven_server::app::ServeOptions {
        dangerous_allow_readable_data_dir: args.dangerous_allow_readable_data_dir,
    };
    runtime.block_on(keyhaven_server::app::serve(config, options))
}
