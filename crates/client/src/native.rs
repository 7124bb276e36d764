//! The native HTTP client: rustls on ring, the system's roots plus `--ca-cert`, and
//! certificate errors named from rustls' own error.

use crate::{ClientError, Transport, without_url};

pub(crate) fn http(
    transport: &Transport,
    local_address: Option<std::net::IpAddr>,
) -> Result<reqwest::Client, ClientError> {
    install_crypto_provider();
    let mut builder = reqwest::Client::builder()
        .timeout(std::time::Duration::from_secs(60))
        .local_address(local_address);
    if let Some(pem) = &transport.extra_roots_pem {
        let roots = reqwest::Certificate::from_pem_bundle(pem).map_err(|_| {
            ClientError::BadUrl(
                "the CA certificate file is not PEM (expected -----BEGIN CERTIFICATE-----)".into(),
            )
        })?;
        if roots.is_empty() {
            return Err(ClientError::BadUrl(
                "the CA certificate file holds no certificate".into(),
            ));
        }
        builder = builder.tls_certs_merge(roots);
    }
    builder
        .build()
        .map_err(|e| ClientError::BadUrl(format!("cannot set up TLS: {}", without_url(&e))))
}

/// Installs ring as rustls' process-wide provider (once; the client, the server and the mailer
/// all use ring, never aws-lc-rs, which needs a C build).
pub fn install_crypto_provider() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        // rustls 0.23.48 deprecates ring's provider for lacking post-quantum key exchange;
        // ring stays the choice until that exists without aws-lc-rs' C build (decision 0012).
        // Err means another provider was installed first, which then serves as well.
        #[allow(deprecated)]
        let _ = rustls::crypto::ring::default_provider().install_default();
    });
}

/// What went wrong with a request, in words: certificate problems say which check failed.
pub(crate) fn describe_send_error(err: &reqwest::Error) -> String {
    let mut source: Option<&(dyn std::error::Error + 'static)> = Some(err);
    while let Some(current) = source {
        if let Some(tls) = as_rustls_error(current) {
            return describe_tls_error(tls);
        }
        source = current.source();
    }
    without_url(err)
}

/// `err` as a rustls error, also when an `io::Error` wraps it (whose `source` skips the
/// wrapped error).
fn as_rustls_error<'a>(err: &'a (dyn std::error::Error + 'static)) -> Option<&'a rustls::Error> {
    let mut current = err;
    // io::Errors may wrap io::Errors (hyper-rustls and tokio-rustls both wrap).
    for _ in 0..8 {
        if let Some(tls) = current.downcast_ref::<rustls::Error>() {
            return Some(tls);
        }
        let inner = current.downcast_ref::<std::io::Error>()?.get_ref()?;
        current = inner;
    }
    None
}

fn describe_tls_error(err: &rustls::Error) -> String {
    use rustls::CertificateError as C;
    let rustls::Error::InvalidCertificate(cert) = err else {
        return match err {
            rustls::Error::InvalidMessage(_) | rustls::Error::InappropriateMessage { .. } => {
                "the server did not answer with TLS (is it serving plain http?)".into()
            }
            other => format!("TLS failed: {other}"),
        };
    };
    let what = match cert {
        C::Expired | C::ExpiredContext { .. } => "the server's certificate has expired".to_owned(),
        C::NotValidYet | C::NotValidYetContext { .. } => {
            "the server's certificate is not valid yet (check this machine's clock)".to_owned()
        }
        C::NotValidForName => {
            "the server's certificate is for another name than the one in the server URL".to_owned()
        }
        C::NotValidForNameContext { presented, .. } => format!(
            "the server's certificate is not valid for the host in the server URL (it names {})",
            if presented.is_empty() {
                "no name".to_owned()
            } else {
                presented.join(", ")
            }
        ),
        C::UnknownIssuer => "the server's certificate was issued by an authority this machine \
                             does not trust (for a private CA, pass --ca-cert FILE or set \
                             KEYHAVEN_CA_CERT)"
            .to_owned(),
        C::Revoked => "the server's certificate has been revoked".to_owned(),
        C::BadSignature => "the server's certificate has a bad signature".to_owned(),
        C::InvalidPurpose | C::InvalidPurposeContext { .. } => {
            "the server's certificate is not for TLS servers".to_owned()
        }
        other => format!("the server's certificate was refused: {other:?}"),
    };
    format!("certificate check failed: {what}")
}
