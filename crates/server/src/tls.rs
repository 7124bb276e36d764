//! HTTPS: the certificate and key files, loaded with rustls on ring, and reloaded in place when
//! they change or on SIGHUP, so a certbot/ACME renewal needs no restart.
//!
//! A reload that fails (a half-written file, a key that does not match) keeps the certificate
//! in use and logs why; the next change or SIGHUP tries again.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use axum_server::tls_rustls::RustlsConfig;
use rustls::pki_types::pem::PemObject as _;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};

/// How often the files are checked for changes.
pub const POLL_INTERVAL: Duration = Duration::from_secs(5);

/// The rustls provider every TLS connection of the server uses: ring (no C build; decision
/// 0012). rustls 0.23.48 deprecates it for lacking post-quantum key exchange.
#[allow(deprecated)]
pub fn provider() -> Arc<rustls::crypto::CryptoProvider> {
    Arc::new(rustls::crypto::ring::default_provider())
}

/// Reads `cert` (a PEM chain, leaf first) and `key` (PKCS#8, PKCS#1 or SEC1 PEM) into a
/// server configuration offering HTTP/2 and HTTP/1.1. Errors name the file and the problem,
/// never the key's bytes.
pub fn server_config(cert: &Path, key: &Path) -> anyhow::Result<rustls::ServerConfig> {
    let cert_pem = std::fs::read(cert)
        .map_err(|e| anyhow::anyhow!("cannot read the TLS certificate {}: {e}", cert.display()))?;
    let key_pem = zeroize::Zeroizing::new(
        std::fs::read(key)
            .map_err(|e| anyhow::anyhow!("cannot read the TLS key {}: {e}", key.display()))?,
    );
    let chain: Vec<CertificateDer<'static>> = CertificateDer::pem_slice_iter(&cert_pem)
        .collect::<Result<_, _>>()
        .map_err(|e| anyhow::anyhow!("the TLS certificate {} is not PEM: {e}", cert.display()))?;
    if chain.is_empty() {
        anyhow::bail!(
            "the TLS certificate {} holds no certificate (expected -----BEGIN CERTIFICATE-----)",
            cert.display()
        );
    }
    let private_key = PrivateKeyDer::from_pem_slice(&key_pem).map_err(|_| {
        anyhow::anyhow!(
            "the TLS key {} holds no private key in PEM (expected -----BEGIN PRIVATE KEY-----)",
            key.display()
        )
    })?;
    let mut config = rustls::ServerConfig::builder_with_provider(provider())
        .with_safe_default_protocol_versions()
        .map_err(|e| anyhow::anyhow!("TLS versions: {e}"))?
        .with_no_client_auth()
        .with_single_cert(chain, private_key)
        .map_err(|e| {
            anyhow::anyhow!(
                "the TLS key {} does not go with the certificate {}: {e}",
                key.display(),
                cert.display()
            )
        })?;
    config.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
    Ok(config)
}

/// Watches the two files and swaps the configuration in `live` when either changes or the
/// process gets SIGHUP. Runs until dropped.
pub async fn reload_when_changed(live: RustlsConfig, cert: PathBuf, key: PathBuf) {
    let mut seen = stamps(&cert, &key);
    #[cfg(unix)]
    let mut hangup = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::hangup()).ok();
    loop {
        #[cfg(unix)]
        let signalled = async {
            match hangup.as_mut() {
                Some(signal) => {
                    signal.recv().await;
                }
                None => std::future::pending::<()>().await,
            }
        };
        #[cfg(not(unix))]
        let signalled = std::future::pending::<()>();
        let forced = tokio::select! {
            () = signalled => true,
            () = tokio::time::sleep(POLL_INTERVAL) => false,
        };
        let now = stamps(&cert, &key);
        if !forced && now == seen {
            continue;
        }
        seen = now;
        let (cert_path, key_path) = (cert.clone(), key.clone());
        let loaded =
            tokio::task::spawn_blocking(move || server_config(&cert_path, &key_path)).await;
        match loaded {
            Ok(Ok(config)) => {
                live.reload_from_config(Arc::new(config));
                tracing::info!(cert = %cert.display(), "TLS certificate reloaded");
            }
            Ok(Err(error)) => {
                tracing::error!(%error, "TLS certificate not reloaded; the previous one stays in use");
            }
            Err(error) => tracing::error!(%error, "TLS reload task failed"),
        }
    }
}

/// Modification times and sizes of both files (`None` for one that cannot be read now).
fn stamps(cert: &Path, key: &Path) -> [Option<(SystemTime, u64)>; 2] {
    let stamp = |path: &Path| {
        std::fs::metadata(path)
            .ok()
            .and_then(|meta| Some((meta.modified().ok()?, meta.len())))
    };
    [stamp(cert), stamp(key)]
}
