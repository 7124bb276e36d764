//! `keyhaven server`: runs the server; `keyhaven server backup | restore` copy its SQLite
//! database.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};
use clap::{Args, Subcommand};
use keyhaven_server::config::{Config, ConfigOverrides};

/// Run the Keyhaven server (SQLite under --data-dir by default, or PostgreSQL with --database).
///
/// Settings come from, lowest first: built-in defaults, the TOML file of --config, KEYHAVEN_*
/// environment variables, then these flags. --print-default-config shows every setting.
///
/// On a network, serve HTTPS with --tls-cert and --tls-key (reloaded when the files change or
/// on SIGHUP), or run behind a TLS-terminating proxy with an https:// --public-url. A plain
/// http:// public URL is refused on a listener other machines can reach unless
/// --dangerous-allow-http is given.
#[derive(Debug, Args)]
#[command(args_conflicts_with_subcommands = true)]
pub struct ServerArgs {
    #[command(subcommand)]
    action: Option<ServerAction>,
    #[command(flatten)]
    settings: Settings,
    /// Print the default configuration (every setting, commented) and exit.
    #[arg(long)]
    print_default_config: bool,
    /// Start even if other users of this machine can read the data directory (it holds the
    /// server's secrets; by default the server refuses to start then).
    #[arg(long)]
    dangerous_allow_readable_data_dir: bool,
}

/// Where the server's settings come from (shared by running, backup and restore).
#[derive(Debug, Args)]
struct Settings {
    /// Address to listen on (port 0 picks a free port; the address is printed).
    #[arg(long, value_name = "ADDR")]
    listen: Option<SocketAddr>,
    /// Directory for the SQLite database and the outbox [default: ./keyhaven-data].
    #[arg(long, value_name = "DIR")]
    data_dir: Option<PathBuf>,
    /// PostgreSQL URL (postgres://user@host/db?sslmode=verify-full&sslrootcert=FILE) instead
    /// of the embedded SQLite file.
    #[arg(long, value_name = "URL")]
    database: Option<String>,
    /// SMTP relay (smtp://host:25, smtp://user@host:587?tls=required, smtps://user@host)
    /// instead of the outbox folder <data-dir>/outbox. The AUTH password comes from
    /// smtp_password_file or KEYHAVEN_SMTP_PASSWORD, never from the command line.
    #[arg(long, value_name = "URL")]
    smtp_url: Option<String>,
    /// The URL users reach this server at; the only origin used in emails.
    #[arg(long, value_name = "URL")]
    public_url: Option<String>,
    /// PEM certificate chain: serve HTTPS (HTTP/1.1 and HTTP/2) instead of plain HTTP.
    #[arg(long, value_name = "FILE", requires = "tls_key")]
    tls_cert: Option<PathBuf>,
    /// PEM private key of --tls-cert.
    #[arg(long, value_name = "FILE", requires = "tls_cert")]
    tls_key: Option<PathBuf>,
    /// Serve Prometheus metrics at http://ADDR/metrics (keep it off the public network).
    #[arg(long, value_name = "ADDR")]
    metrics_listen: Option<SocketAddr>,
    /// A TOML configuration file.
    #[arg(long, value_name = "FILE")]
    config: Option<PathBuf>,
}

#[derive(Debug, Subcommand)]
enum ServerAction {
    /// Copy the SQLite database while the server runs (a consistent snapshot).
    ///
    /// The copy holds everything the server keeps, secrets included (still encrypted for the
    /// members, but the server's own keys in clear): store it like the data directory. For
    /// PostgreSQL use pg_dump (see the README's Deploy section).
    Backup {
        /// The file to write; it must not exist.
        #[arg(long, value_name = "FILE")]
        out: PathBuf,
        #[command(flatten)]
        settings: Settings,
    },
    /// Put a backup back as the data directory's database. Stop the server first.
    Restore {
        /// The backup file (from `keyhaven server backup`).
        #[arg(long = "from", value_name = "FILE")]
        from: PathBuf,
        /// Replace a database that is already there (it is kept beside it as
        /// keyhaven.db.before-restore-UNIXTIME).
        #[arg(long)]
        force: bool,
        #[command(flatten)]
        settings: Settings,
    },
}

impl Settings {
    fn load(self) -> Result<(Config, Option<PathBuf>)> {
        let overrides = ConfigOverrides {
            listen: self.listen,
            data_dir: self.data_dir,
            database: self.database,
            smtp_url: self.smtp_url,
            public_url: self.public_url,
            tls_cert: self.tls_cert,
            tls_key: self.tls_key,
            metrics_listen: self.metrics_listen,
        };
        let env = |name: &str| std::env::var(name).ok();
        let config = Config::load(self.config.as_deref(), &env, overrides)?;
        Ok((config, self.config))
    }
}

pub fn run(args: ServerArgs) -> Result<()> {
    if args.print_default_config {
        print!("{}", keyhaven_server::config::default_toml());
        return Ok(());
    }
    match args.action {
        Some(ServerAction::Backup { out, settings }) => return backup(settings, &out),
        Some(ServerAction::Restore {
            from,
            force,
            settings,
        }) => return restore(settings, &from, force),
        None => {}
    }
    let (config, _) = args.settings.load()?;
    tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::new(&config.log))
        .with_writer(std::io::stderr)
        .init();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    let options = keyhaven_server::app::ServeOptions {
        dangerous_allow_readable_data_dir: args.dangerous_allow_readable_data_dir,
        dangerous_allow_http: crate::connect::flags().dangerous_allow_http,
    };
    runtime.block_on(keyhaven_server::app::serve(config, options))
}

fn runtime() -> Result<tokio::runtime::Runtime> {
    Ok(tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?)
}

fn sqlite_only(config: &Config, what: &str) -> Result<()> {
    if config
        .database
        .as_deref()
        .is_some_and(|url| !url.starts_with("sqlite:"))
    {
        bail!(
            "`keyhaven server {what}` copies the embedded SQLite database; this server uses \
             PostgreSQL\nhint: pg_dump --format=custom --file=keyhaven.dump DBNAME, and \
             pg_restore --dbname=NEWDB keyhaven.dump (the README's Deploy section)"
        );
    }
    Ok(())
}

fn backup(settings: Settings, out: &Path) -> Result<()> {
    let (config, _) = settings.load()?;
    sqlite_only(&config, "backup")?;
    if config.database.is_none() {
        let db = config.data_dir.join("keyhaven.db");
        if !db.exists() {
            bail!(
                "there is no database at {} (pass --data-dir, or --config with the server's \
                 configuration)",
                db.display()
            );
        }
    }
    // Created empty and private first (VACUUM INTO writes into an empty file): the copy holds
    // the server's secrets.
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    options.open(out).map_err(|e| match e.kind() {
        std::io::ErrorKind::AlreadyExists => {
            anyhow::anyhow!("{} exists already; name a new file", out.display())
        }
        _ => anyhow::anyhow!("cannot create {}: {e}", out.display()),
    })?;
    let result = runtime()?.block_on(async {
        keyhaven_server::store::Store::backup_sqlite(&config.database_url(), out).await?;
        keyhaven_server::store::Store::inspect_sqlite(out).await
    });
    let summary = match result {
        Ok(summary) if summary.intact => summary,
        Ok(_) => {
            let _ = std::fs::remove_file(out);
            bail!("the copy failed its integrity check; nothing was kept");
        }
        Err(error) => {
            let _ = std::fs::remove_file(out);
            return Err(error).context("the backup failed; nothing was kept");
        }
    };
    std::fs::File::open(out)?.sync_all()?;
    println!(
        "Backed up to {}: {} accounts, {} workspaces, {} secrets, {} device keys.",
        out.display(),
        summary.accounts,
        summary.workspaces,
        summary.items,
        summary.device_keys
    );
    Ok(())
}

fn restore(settings: Settings, from: &Path, force: bool) -> Result<()> {
    let (config, _) = settings.load()?;
    sqlite_only(&config, "restore")?;
    if config.database.is_some() {
        bail!(
            "`keyhaven server restore` writes <data-dir>/keyhaven.db; drop --database (or the \
             `database` setting) and pass --data-dir"
        );
    }
    if !from.is_file() {
        bail!("{} is not a file", from.display());
    }
    let summary = runtime()?
        .block_on(keyhaven_server::store::Store::inspect_sqlite(from))
        .with_context(|| format!("{} is not a Keyhaven backup", from.display()))?;
    if !summary.intact || summary.migrations == 0 {
        bail!(
            "{} is not a whole Keyhaven backup (integrity check failed or no schema)",
            from.display()
        );
    }
    keyhaven_server::app::prepare_data_dir(&config.data_dir, Default::default())?;
    let db = config.data_dir.join("keyhaven.db");
    if db.exists() {
        if !force {
            bail!(
                "{} exists already\nhint: stop the server, then pass --force (the current \
                 database is kept beside it)",
                db.display()
            );
        }
        let stamp = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_secs());
        // The write-ahead log belongs to the old file: left behind, SQLite would apply it to
        // the restored one. It moves with it.
        for suffix in ["", "-wal", "-shm"] {
            let path = config.data_dir.join(format!("keyhaven.db{suffix}"));
            if path.exists() {
                let kept = config
                    .data_dir
                    .join(format!("keyhaven.db.before-restore-{stamp}{suffix}"));
                std::fs::rename(&path, &kept)
                    .with_context(|| format!("cannot move {} aside", path.display()))?;
            }
        }
        println!(
            "The previous database is kept as {}.",
            config
                .data_dir
                .join(format!("keyhaven.db.before-restore-{stamp}"))
                .display()
        );
    }
    let partial = config.data_dir.join("keyhaven.db.restoring");
    let _ = std::fs::remove_file(&partial);
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let mut target = options
        .open(&partial)
        .with_context(|| format!("cannot create {}", partial.display()))?;
    std::io::copy(&mut std::fs::File::open(from)?, &mut target)?;
    target.sync_all()?;
    drop(target);
    std::fs::rename(&partial, &db)?;
    println!(
        "Restored {} into {}: {} accounts, {} workspaces, {} secrets, {} device keys.\n\
         Start the server with --data-dir {}.",
        from.display(),
        db.display(),
        summary.accounts,
        summary.workspaces,
        summary.items,
        summary.device_keys,
        config.data_dir.display()
    );
    Ok(())
}
