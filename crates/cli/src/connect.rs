//! How the CLI reaches the server: the server URL (given, or remembered from the last
//! sign-in with this `KEYHAVEN_HOME`), extra certificate authorities, and the plain-HTTP guard.

use std::path::PathBuf;
use std::sync::OnceLock;

use anyhow::{Context, Result, bail};
use clap::Args;
use keyhaven_client::{Client, Transport};

use crate::home;

/// Transport flags, accepted by every command.
#[derive(Debug, Clone, Args)]
pub struct TransportArgs {
    /// PEM file of certificate authorities to trust beside the system's (a private CA).
    /// Remembered with the server for this KEYHAVEN_HOME.
    #[arg(long, global = true, env = "KEYHAVEN_CA_CERT", value_name = "FILE")]
    pub ca_cert: Option<PathBuf>,
    /// Allow plain http:// to a server that is not this machine (and, for `keyhaven server`,
    /// a plain http:// public URL on a reachable listener). Sign-in tokens, access codes and
    /// recovery keys then cross the network unencrypted.
    #[arg(long, global = true, env = "KEYHAVEN_DANGEROUS_ALLOW_HTTP")]
    pub dangerous_allow_http: bool,
}

static TRANSPORT: OnceLock<TransportArgs> = OnceLock::new();

/// Records the flags of this run (called once by `main`).
pub fn init(args: TransportArgs) {
    let _ = TRANSPORT.set(args);
}

/// The flags of this run.
pub fn flags() -> TransportArgs {
    TRANSPORT.get().cloned().unwrap_or(TransportArgs {
        ca_cert: None,
        dangerous_allow_http: false,
    })
}

/// The server to talk to: `given` (a flag or KEYHAVEN_SERVER), else the one remembered.
pub fn server_url(given: Option<String>) -> Result<String> {
    if let Some(url) = given {
        return Ok(url);
    }
    match home::load_defaults()?.server {
        Some(url) => Ok(url),
        None => bail!(
            "which server? pass --server URL (or set KEYHAVEN_SERVER) once; it is remembered \
             for later commands"
        ),
    }
}

/// Remembers `server` (and the CA file of this run, if any) for later commands.
pub fn remember(server: &str) -> Result<()> {
    let mut defaults = home::load_defaults()?;
    defaults.server = Some(server.to_owned());
    if let Some(ca) = flags().ca_cert {
        // Absolute, so it still names the file from another working directory.
        defaults.ca_cert = Some(std::path::absolute(&ca).unwrap_or(ca));
    }
    home::save_defaults(&defaults)
}

/// A client for `server` with this run's transport settings (the remembered CA file when no
/// --ca-cert / KEYHAVEN_CA_CERT is given).
pub fn client(server: &str) -> Result<Client> {
    let flags = flags();
    let ca = match flags.ca_cert {
        Some(path) => Some(path),
        None => home::load_defaults()?.ca_cert,
    };
    let extra_roots_pem = match ca {
        Some(path) => Some(
            std::fs::read(&path)
                .with_context(|| format!("cannot read the CA certificate {}", path.display()))?,
        ),
        None => None,
    };
    let transport = Transport {
        extra_roots_pem,
        dangerous_allow_http: flags.dangerous_allow_http,
    };
    Ok(Client::connect(server, &transport)?)
}
