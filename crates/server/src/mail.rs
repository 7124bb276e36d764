//! Outgoing mail: access codes, notices and the welcome mail with the temporary recovery key.
//!
//! A [`Mailer`] either writes each message as an `.eml` file into an outbox folder (the
//! default, so a fresh install works without a mail server and an administrator can read or
//! forward the files) or hands it to an SMTP relay: plain, STARTTLS or implicit TLS, with AUTH
//! (PLAIN or LOGIN) when the URL names a user. The password never comes from the URL.
//!
//! Message bodies carry access codes and the emailed temporary recovery key, so they are never
//! logged and [`Email`]'s `Debug` leaves the text out; the recipient and subject are logged.
//! For the same reason outbox files are created readable by their owner only (on Unix).

use std::fmt;
use std::io::{self, Write as _};
use std::path::{Path, PathBuf};
use std::str::FromStr as _;
use std::time::{SystemTime, UNIX_EPOCH};

use lettre::message::Mailbox;
use lettre::message::header::ContentType;
use lettre::{AsyncSmtpTransport, AsyncTransport as _, Message, Tokio1Executor};
use uuid::Uuid;

use crate::config::Config;

/// The `From` of outgoing mail unless one is configured.
pub const DEFAULT_FROM: &str = "Keyhaven <keyhaven@localhost>";

/// One plain-text message to one recipient.
#[derive(Clone, PartialEq, Eq)]
pub struct Email {
    /// The recipient: `user@example.com` or `Name <user@example.com>`.
    pub to: String,
    /// The subject line. It is logged, so it must never carry a code or key.
    pub subject: String,
    /// The plain-text body. Never logged: it may carry an access code or a recovery key.
    pub text: String,
}

/// Sends [`Email`]s through the outbox folder or an SMTP relay.
pub struct Mailer {
    from: Mailbox,
    transport: Transport,
}

/// Why a message could not be sent, or a [`Mailer`] could not be set up.
#[derive(Debug, thiserror::Error)]
pub enum MailError {
    /// The SMTP URL is not one this version can use (see [`Mailer::smtp`] for the forms it
    /// takes). The message never repeats the URL, which may carry a password.
    #[error("unsupported SMTP URL: {reason}")]
    UnsupportedUrl {
        /// What is wrong and what is expected.
        reason: String,
    },
    /// An address (the configured sender, or a recipient) is not a valid mail address.
    #[error("invalid {role} address {address:?}: {source}")]
    InvalidAddress {
        /// `"from"` or `"to"`.
        role: &'static str,
        /// The address as given.
        address: String,
        /// What lettre found wrong with it.
        source: lettre::address::AddressError,
    },
    /// The message could not be assembled (lettre rejected the headers).
    #[error("cannot build the message: {source}")]
    Build {
        /// lettre's reason.
        #[from]
        source: lettre::error::Error,
    },
    /// The outbox folder or a file in it could not be written.
    #[error("cannot write to the mail outbox {}: {source}", dir.display())]
    Outbox {
        /// The outbox folder.
        dir: PathBuf,
        /// What the operating system said.
        source: io::Error,
    },
    /// The relay's TLS settings could not be built (a CA file that is not PEM).
    #[error("cannot set up TLS for the SMTP relay: {reason}")]
    Tls {
        /// What is wrong.
        reason: String,
    },
    /// The SMTP relay could not be reached or did not accept the message.
    #[error("the SMTP relay {relay} did not accept the message: {source}")]
    Smtp {
        /// `host:port` of the relay.
        relay: String,
        /// lettre's reason (connection error or the relay's reply; never the message).
        source: lettre::transport::smtp::Error,
    },
}

impl Mailer {
    /// A mailer that writes each message as `<unix-nanos>-<uuid>.eml` into `dir`, which is
    /// created when the first message is written.
    ///
    /// File names sort by the time they were written. Each file appears complete or not at all
    /// (written to a hidden temporary file, then renamed), so a reader polling the folder never
    /// sees half a message.
    pub fn outbox(dir: PathBuf) -> Mailer {
        Mailer {
            from: default_from(),
            transport: Transport::Outbox { dir },
        }
    }

    /// A mailer that sends through the SMTP relay at `url`, without a password and trusting
    /// the system's certificate authorities; see [`Mailer::smtp_with`].
    pub fn smtp(url: &str) -> Result<Mailer, MailError> {
        Mailer::smtp_with(url, &SmtpSecrets::default())
    }

    /// A mailer that sends through the SMTP relay at `url`:
    ///
    /// - `smtp://host[:port][?tls=none|opportunistic|required]`: port 25 unless given.
    ///   `tls=required` sends only after STARTTLS; `opportunistic` uses STARTTLS when the relay
    ///   offers it; `none` never does. The default is `opportunistic`, or `required` when a
    ///   user is named.
    /// - `smtps://host[:port]`: TLS from the first byte (RFC 8314), port 465 unless given.
    /// - `user@` before the host (percent-encoded, `me%40example.com@host`) signs in with AUTH
    ///   PLAIN or LOGIN, with the password from `secrets`. A password in the URL is refused, and
    ///   so is AUTH without TLS to a relay that is not on this machine.
    ///
    /// No connection is made here: a relay that is down shows up as [`MailError::Smtp`] on
    /// [`send`](Mailer::send).
    pub fn smtp_with(url: &str, secrets: &SmtpSecrets) -> Result<Mailer, MailError> {
        use lettre::transport::smtp::authentication::{Credentials, Mechanism};
        use lettre::transport::smtp::client::{Certificate, Tls, TlsParameters};
        let endpoint = SmtpEndpoint::parse(url)?;
        let tls_parameters = || -> Result<TlsParameters, MailError> {
            let mut builder = TlsParameters::builder(endpoint.host.clone());
            if let Some(pem) = &secrets.extra_roots_pem {
                for der in pem_certificates(pem)? {
                    let certificate = Certificate::from_der(der).map_err(|e| MailError::Tls {
                        reason: e.to_string(),
                    })?;
                    builder = builder.add_root_certificate(certificate);
                }
            }
            builder.build_rustls().map_err(|e| MailError::Tls {
                reason: e.to_string(),
            })
        };
        let tls = match endpoint.security {
            SmtpSecurity::None => Tls::None,
            SmtpSecurity::Opportunistic => Tls::Opportunistic(tls_parameters()?),
            SmtpSecurity::Required => Tls::Required(tls_parameters()?),
            SmtpSecurity::Implicit => Tls::Wrapper(tls_parameters()?),
        };
        // "dangerous" in lettre's name only means "no TLS set up by the builder": `tls` below
        // sets what the URL asks for.
        let mut builder = AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(&endpoint.host)
            .port(endpoint.port)
            .tls(tls);
        if let Some(user) = &endpoint.user {
            let Some(password) = &secrets.password else {
                return Err(MailError::UnsupportedUrl {
                    reason: format!(
                        "the URL names the user {user:?} but no password was given: put it in \
                         the file named by `smtp_password_file`, or in KEYHAVEN_SMTP_PASSWORD"
                    ),
                });
            };
            builder = builder
                .credentials(Credentials::new(user.clone(), password.as_str().to_owned()))
                .authentication(vec![Mechanism::Plain, Mechanism::Login]);
        }
        Ok(Mailer {
            from: default_from(),
            transport: Transport::Smtp {
                endpoint,
                transport: Box::new(builder.build()),
            },
        })
    }

    /// The mailer the configuration asks for: SMTP if `smtp_url` is set, otherwise the outbox
    /// folder [`Config::outbox_dir`]; sending as `mail_from`.
    pub fn from_config(config: &Config) -> Result<Mailer, MailError> {
        let mailer = match &config.smtp_url {
            Some(url) => Mailer::smtp_with(
                url,
                &SmtpSecrets {
                    password: config.smtp_password.clone(),
                    extra_roots_pem: match &config.smtp_ca_cert {
                        Some(path) => Some(std::fs::read(path).map_err(|e| MailError::Tls {
                            reason: format!("cannot read {}: {e}", path.display()),
                        })?),
                        None => None,
                    },
                },
            )?,
            None => Mailer::outbox(config.outbox_dir()),
        };
        mailer.with_from(&config.mail_from)
    }

    /// The same mailer sending as `from` (`Name <user@example.com>` or `user@example.com`)
    /// instead of [`DEFAULT_FROM`].
    pub fn with_from(self, from: &str) -> Result<Mailer, MailError> {
        let from = parse_mailbox(from).map_err(|source| MailError::InvalidAddress {
            role: "from",
            address: from.to_owned(),
            source,
        })?;
        Ok(Mailer { from, ..self })
    }

    /// Sends one message. On success the outbox file is complete or the relay accepted the
    /// message; nothing is retried here.
    pub async fn send(&self, email: &Email) -> Result<(), MailError> {
        let id = Uuid::new_v4();
        let message = self.build(email, id)?;
        match &self.transport {
            Transport::Outbox { dir } => {
                let file = write_outbox(dir.clone(), id, message.formatted()).await?;
                tracing::info!(
                    to = %email.to,
                    subject = %email.subject,
                    file = %file.display(),
                    "mail written to the outbox"
                );
            }
            Transport::Smtp {
                endpoint,
                transport,
            } => {
                transport
                    .send(message)
                    .await
                    .map_err(|source| MailError::Smtp {
                        relay: endpoint.to_string(),
                        source,
                    })?;
                tracing::info!(
                    to = %email.to,
                    subject = %email.subject,
                    relay = %endpoint,
                    "mail sent"
                );
            }
        }
        Ok(())
    }

    fn build(&self, email: &Email, id: Uuid) -> Result<Message, MailError> {
        let to = parse_mailbox(&email.to).map_err(|source| MailError::InvalidAddress {
            role: "to",
            address: email.to.clone(),
            source,
        })?;
        // lettre would make up a Message-ID under `localhost`; one under the sender's domain
        // is what RFC 5322 §3.6.4 asks for, and reusing the outbox file's UUID links the two.
        let message_id = format!("<{id}@{}>", self.from.email.domain());
        Ok(Message::builder()
            .from(self.from.clone())
            .to(to)
            .subject(email.subject.as_str())
            .message_id(Some(message_id))
            .header(ContentType::TEXT_PLAIN)
            .body(email.text.clone())?)
    }
}

impl fmt::Debug for Email {
    /// Shows the recipient and subject; the body only by its length (it may carry secrets).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Email")
            .field("to", &self.to)
            .field("subject", &self.subject)
            .field("text", &format_args!("<{} bytes>", self.text.len()))
            .finish()
    }
}

impl fmt::Debug for Mailer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut debug = f.debug_struct("Mailer");
        debug.field("from", &self.from.to_string());
        match &self.transport {
            Transport::Outbox { dir } => debug.field("outbox", dir),
            Transport::Smtp { endpoint, .. } => debug.field("smtp", &endpoint.to_string()),
        };
        debug.finish()
    }
}

/// Parses `Name <user@example.com>` or `user@example.com`.
pub(crate) fn parse_mailbox(address: &str) -> Result<Mailbox, lettre::address::AddressError> {
    Mailbox::from_str(address.trim())
}

/// What the relay needs beside its URL.
#[derive(Default)]
pub struct SmtpSecrets {
    /// The AUTH password for the user the URL names.
    pub password: Option<crate::config::SecretString>,
    /// PEM certificates of authorities to trust beside the system's (a private CA).
    pub extra_roots_pem: Option<Vec<u8>>,
}

impl fmt::Debug for SmtpSecrets {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SmtpSecrets")
            .field("password", &self.password.as_ref().map(|_| "***"))
            .field("extra_roots_pem", &self.extra_roots_pem.is_some())
            .finish()
    }
}

/// The DER certificates in a PEM file.
fn pem_certificates(pem: &[u8]) -> Result<Vec<Vec<u8>>, MailError> {
    use rustls::pki_types::CertificateDer;
    use rustls::pki_types::pem::PemObject as _;
    let certificates = CertificateDer::pem_slice_iter(pem)
        .map(|der| der.map(|der| der.to_vec()))
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| MailError::Tls {
            reason: format!("the CA file is not PEM: {e}"),
        })?;
    if certificates.is_empty() {
        return Err(MailError::Tls {
            reason: "the CA file holds no certificate".to_owned(),
        });
    }
    Ok(certificates)
}

/// How the connection to the relay is protected.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum SmtpSecurity {
    /// Plain text (`?tls=none`).
    None,
    /// STARTTLS when offered (`?tls=opportunistic`).
    Opportunistic,
    /// STARTTLS or nothing is sent (`?tls=required`).
    Required,
    /// TLS from the first byte (`smtps://`).
    Implicit,
}

/// An SMTP relay, parsed from `smtp[s]://[user@]host[:port][/][?tls=…]`.
///
/// Shared with the configuration so that what `smtp_url` accepts is exactly what
/// [`Mailer::smtp`] can use.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct SmtpEndpoint {
    host: String,
    port: u16,
    security: SmtpSecurity,
    user: Option<String>,
}

impl SmtpEndpoint {
    /// Whether the URL names a user, so a password must be given.
    pub(crate) fn has_user(&self) -> bool {
        self.user.is_some()
    }

    pub(crate) fn parse(url: &str) -> Result<SmtpEndpoint, MailError> {
        let unsupported = |reason: &str| MailError::UnsupportedUrl {
            reason: reason.to_owned(),
        };
        let Some((scheme, rest)) = url.split_once("://") else {
            return Err(unsupported(
                "expected smtp://host:port, smtp://host:587?tls=required or smtps://host:465",
            ));
        };
        let implicit = match scheme.to_ascii_lowercase().as_str() {
            "smtp" => false,
            "smtps" => true,
            _ => {
                return Err(unsupported(
                    "expected smtp://host:port, smtp://host:587?tls=required or smtps://host:465",
                ));
            }
        };
        let (rest, query) = match rest.split_once('?') {
            Some((rest, query)) => (rest, Some(query)),
            None => (rest, None),
        };
        let authority = rest.strip_suffix('/').unwrap_or(rest);
        if authority.contains(['/', '#']) || query.is_some_and(|query| query.contains('#')) {
            return Err(unsupported(
                "expected smtp://host:port with no path or fragment",
            ));
        }
        let (user, authority) = match authority.rsplit_once('@') {
            Some((userinfo, host)) => {
                if userinfo.contains(':') {
                    return Err(unsupported(
                        "a password in the URL is refused (it would show in process lists and \
                         shell history): name only the user, and put the password in the file \
                         named by `smtp_password_file` or in KEYHAVEN_SMTP_PASSWORD",
                    ));
                }
                let user = percent_decode(userinfo)
                    .filter(|user| !user.is_empty())
                    .ok_or_else(|| unsupported("the user name in the URL is not valid"))?;
                (Some(user), host)
            }
            None => (None, authority),
        };
        let (host, port) = if let Some(bracketed) = authority.strip_prefix('[') {
            // An IPv6 literal: `[::1]` or `[::1]:2525`.
            let Some((host, after)) = bracketed.split_once(']') else {
                return Err(unsupported("unclosed [ in the IPv6 host"));
            };
            match after {
                "" => (host, None),
                _ => match after.strip_prefix(':') {
                    Some(port) => (host, Some(port)),
                    None => return Err(unsupported("expected :port after the IPv6 host")),
                },
            }
        } else {
            match authority.split_once(':') {
                Some((host, port)) => (host, Some(port)),
                None => (authority, None),
            }
        };
        if host.is_empty() {
            return Err(unsupported("the URL has no host"));
        }
        let port = match port {
            // RFC 5321 §4.5.4.2 and RFC 8314 §7.3.
            None if implicit => 465,
            None => 25,
            Some(port) => match port.parse::<u16>() {
                Ok(port) if port != 0 => port,
                _ => return Err(unsupported("the port must be a number from 1 to 65535")),
            },
        };
        let mut tls: Option<SmtpSecurity> = None;
        for pair in query
            .unwrap_or_default()
            .split('&')
            .filter(|p| !p.is_empty())
        {
            match pair.split_once('=') {
                Some(("tls", value)) => {
                    tls = Some(match value {
                        "none" => SmtpSecurity::None,
                        "opportunistic" => SmtpSecurity::Opportunistic,
                        "required" => SmtpSecurity::Required,
                        _ => {
                            return Err(unsupported("tls= takes none, opportunistic or required"));
                        }
                    });
                }
                _ => {
                    return Err(unsupported(
                        "the only query setting is tls=none|opportunistic|required",
                    ));
                }
            }
        }
        let security = match (implicit, tls) {
            (true, None) => SmtpSecurity::Implicit,
            (true, Some(_)) => {
                return Err(unsupported(
                    "smtps:// is TLS from the first byte; tls= is for smtp:// (STARTTLS)",
                ));
            }
            (false, Some(tls)) => tls,
            (false, None) if user.is_some() => SmtpSecurity::Required,
            (false, None) => SmtpSecurity::Opportunistic,
        };
        let loopback = host.eq_ignore_ascii_case("localhost")
            || host
                .parse::<std::net::IpAddr>()
                .is_ok_and(|ip| ip.is_loopback());
        if user.is_some()
            && matches!(security, SmtpSecurity::None | SmtpSecurity::Opportunistic)
            && !loopback
        {
            return Err(unsupported(
                "AUTH would send the password in clear text (or after a STARTTLS an attacker \
                 can strip): use ?tls=required or smtps://",
            ));
        }
        Ok(SmtpEndpoint {
            host: host.to_owned(),
            port,
            security,
            user,
        })
    }
}

/// Decodes `%XX` escapes; `None` for a broken escape or bytes that are not UTF-8.
fn percent_decode(text: &str) -> Option<String> {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = text.get(i + 1..i + 3)?;
            out.push(u8::from_str_radix(hex, 16).ok()?);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).ok()
}

impl fmt::Display for SmtpEndpoint {
    /// `host:port`, then the protection when there is any (`smtp.example.com:587 (STARTTLS)`).
    /// Never the user name, which is often a mail address.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.host.contains(':') {
            write!(f, "[{}]:{}", self.host, self.port)?;
        } else {
            write!(f, "{}:{}", self.host, self.port)?;
        }
        match self.security {
            SmtpSecurity::None | SmtpSecurity::Opportunistic => Ok(()),
            SmtpSecurity::Required => f.write_str(" (STARTTLS)"),
            SmtpSecurity::Implicit => f.write_str(" (TLS)"),
        }
    }
}

enum Transport {
    Outbox {
        dir: PathBuf,
    },
    Smtp {
        endpoint: SmtpEndpoint,
        // Boxed: a TLS configuration makes it ten times the size of the outbox variant.
        transport: Box<AsyncSmtpTransport<Tokio1Executor>>,
    },
}

fn default_from() -> Mailbox {
    // Invariant: DEFAULT_FROM is a valid mailbox (tested below).
    parse_mailbox(DEFAULT_FROM).expect("DEFAULT_FROM is a valid mailbox")
}

/// Writes `bytes` as a new `.eml` file in `dir` on the blocking pool (file I/O and `fsync`
/// would otherwise stall the async executor) and returns its path.
async fn write_outbox(dir: PathBuf, id: Uuid, bytes: Vec<u8>) -> Result<PathBuf, MailError> {
    let task_dir = dir.clone();
    let result = tokio::task::spawn_blocking(move || write_outbox_file(&task_dir, id, &bytes))
        .await
        .unwrap_or_else(|join_error| Err(io::Error::other(join_error)));
    result.map_err(|source| MailError::Outbox { dir, source })
}

fn write_outbox_file(dir: &Path, id: Uuid, bytes: &[u8]) -> io::Result<PathBuf> {
    create_private_dir_all(dir)?;
    // Zero-padded so that names sort by time as plain strings; the UUID keeps two messages
    // written in the same nanosecond apart.
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |elapsed| elapsed.as_nanos());
    let name = format!("{nanos:020}-{id}.eml");
    let path = dir.join(&name);
    // Hidden and without the .eml extension, so a reader listing *.eml skips it until the
    // rename makes the complete file appear at once.
    let temp = dir.join(format!(".{name}.tmp"));
    let written = (|| {
        let mut file = create_private_file(&temp)?;
        file.write_all(bytes)?;
        file.sync_all()?;
        std::fs::rename(&temp, &path)
    })();
    if let Err(error) = written {
        // Best effort: the write already failed, and that is the error worth reporting.
        let _ = std::fs::remove_file(&temp);
        return Err(error);
    }
    Ok(path)
}

/// Creates `dir` and its missing parents, readable by the owner only on Unix: the messages
/// inside carry access codes and recovery keys.
fn create_private_dir_all(dir: &Path) -> io::Result<()> {
    let mut builder = std::fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
    builder.create(dir)
}

fn create_private_file(path: &Path) -> io::Result<std::fs::File> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    options.open(path)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn email() -> Email {
        Email {
            to: "alice@example.com".to_owned(),
            subject: "Your access code".to_owned(),
            text: "Your code is 12345678.\nIt is valid for 10 minutes.\n".to_owned(),
        }
    }

    fn eml_files(dir: &Path) -> Vec<PathBuf> {
        let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
            .expect("outbox exists")
            .map(|entry| entry.expect("dir entry").path())
            .collect();
        files.sort();
        files
    }

    #[test]
    fn default_from_is_valid() {
        assert_eq!(default_from().email.to_string(), "keyhaven@localhost");
    }

    #[test]
    fn smtp_urls() {
        let parse = |url: &str| SmtpEndpoint::parse(url).map(|endpoint| endpoint.to_string());
        assert_eq!(parse("smtp://127.0.0.1:2525").unwrap(), "127.0.0.1:2525");
        assert_eq!(parse("smtp://mail.internal").unwrap(), "mail.internal:25");
        assert_eq!(
            parse("SMTP://mail.internal:587/").unwrap(),
            "mail.internal:587"
        );
        assert_eq!(parse("smtp://[::1]:2525").unwrap(), "[::1]:2525");
        assert_eq!(parse("smtp://[::1]").unwrap(), "[::1]:25");
        assert_eq!(
            parse("smtp://relay.example.com:587?tls=required").unwrap(),
            "relay.example.com:587 (STARTTLS)"
        );
        assert_eq!(
            parse("smtps://relay.example.com").unwrap(),
            "relay.example.com:465 (TLS)"
        );
        assert_eq!(
            parse("smtp://me%40example.com@relay.example.com:587").unwrap(),
            "relay.example.com:587 (STARTTLS)",
            "a user means STARTTLS is required"
        );
        let endpoint = SmtpEndpoint::parse("smtp://me%40example.com@127.0.0.1:2525?tls=none")
            .expect("AUTH without TLS to this machine");
        assert_eq!(endpoint.user.as_deref(), Some("me@example.com"));
        assert_eq!(endpoint.security, SmtpSecurity::None);
        assert_eq!(
            SmtpEndpoint::parse("smtp://relay:25").unwrap().security,
            SmtpSecurity::Opportunistic
        );
        for bad in [
            "smtps://mail.example.com:465?tls=required",
            "smtp://me@relay.example.com?tls=none",
            "smtp://me@relay.example.com?tls=opportunistic",
            "smtp://relay.example.com?tls=maybe",
            "smtp://relay.example.com?starttls=1",
            "smtp://%zz@relay.example.com",
            "http://mail.example.com",
            "mail.example.com:25",
            "smtp://",
            "smtp://:25",
            "smtp://host:0",
            "smtp://host:99999",
            "smtp://host:port",
            "smtp://host:25/ehlo-name",
            "smtp://[::1",
            "smtp://[::1]x",
        ] {
            assert!(
                matches!(
                    SmtpEndpoint::parse(bad),
                    Err(MailError::UnsupportedUrl { .. })
                ),
                "{bad} should be rejected"
            );
        }
    }

    #[test]
    fn smtp_url_errors_never_repeat_credentials() {
        let error = Mailer::smtp("smtp://user:hunter2@mail.example.com:25").unwrap_err();
        assert!(matches!(error, MailError::UnsupportedUrl { .. }));
        assert!(!error.to_string().contains("hunter2"), "{error}");
        let error = Mailer::smtp("smtps://user:hunter2@mail.example.com").unwrap_err();
        assert!(
            error.to_string().contains("KEYHAVEN_SMTP_PASSWORD"),
            "{error}"
        );
        assert!(!error.to_string().contains("hunter2"), "{error}");
        let error = Mailer::smtp("smtps://user@mail.example.com").unwrap_err();
        assert!(error.to_string().contains("no password"), "{error}");
    }

    #[test]
    fn debug_output_leaves_out_the_body() {
        let shown = format!("{:?}", email());
        assert!(shown.contains("alice@example.com"), "{shown}");
        assert!(!shown.contains("12345678"), "{shown}");
    }

    #[tokio::test]
    async fn outbox_writes_one_eml_per_message() {
        let temp = tempfile::tempdir().expect("temp dir");
        let dir = temp.path().join("data").join("outbox");
        let mailer = Mailer::outbox(dir.clone())
            .with_from("Keyhaven Test <noreply@keyhaven.test>")
            .expect("valid from");

        let first = email();
        let second = Email {
            to: "Bob <bob@example.com>".to_owned(),
            subject: "Welcome".to_owned(),
            text: "Second message.\n".to_owned(),
        };
        mailer.send(&first).await.expect("first send");
        mailer.send(&second).await.expect("second send");

        let files = eml_files(&dir);
        assert_eq!(files.len(), 2, "{files:?}");
        let mut ids = Vec::new();
        for file in &files {
            let name = file.file_name().unwrap().to_str().unwrap();
            let (nanos, rest) = name.split_once('-').expect("<nanos>-<uuid>.eml");
            assert_eq!(nanos.len(), 20, "{name}");
            assert!(nanos.bytes().all(|b| b.is_ascii_digit()), "{name}");
            let id = rest.strip_suffix(".eml").expect(".eml extension");
            ids.push(Uuid::parse_str(id).expect("uuid in the name"));
        }

        // Sorted by name is sorted by time: the first message comes first.
        let first_text = std::fs::read_to_string(&files[0]).unwrap();
        let second_text = std::fs::read_to_string(&files[1]).unwrap();
        assert!(
            first_text.contains("\r\nTo: alice@example.com\r\n"),
            "{first_text}"
        );
        assert!(
            first_text.contains("\r\nSubject: Your access code\r\n"),
            "{first_text}"
        );
        assert!(
            first_text.starts_with("From: \"Keyhaven Test\" <noreply@keyhaven.test>\r\n"),
            "{first_text}"
        );
        assert!(first_text.contains("\r\nDate: "), "{first_text}");
        assert!(
            first_text.contains(&format!("\r\nMessage-ID: <{}@keyhaven.test>\r\n", ids[0])),
            "{first_text}"
        );
        assert!(
            first_text.contains("\r\nContent-Type: text/plain; charset=utf-8\r\n"),
            "{first_text}"
        );
        assert!(
            first_text
                .ends_with("\r\n\r\nYour code is 12345678.\r\nIt is valid for 10 minutes.\r\n"),
            "{first_text}"
        );
        assert!(
            second_text.contains("\r\nTo: Bob <bob@example.com>\r\n"),
            "{second_text}"
        );
        assert!(
            second_text.ends_with("\r\n\r\nSecond message.\r\n"),
            "{second_text}"
        );
    }

    #[cfg(unix)]
    #[tokio::test]
    async fn outbox_files_are_private() {
        use std::os::unix::fs::PermissionsExt as _;
        let temp = tempfile::tempdir().expect("temp dir");
        let dir = temp.path().join("outbox");
        Mailer::outbox(dir.clone())
            .send(&email())
            .await
            .expect("send");
        let mode = |path: &Path| std::fs::metadata(path).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode(&dir), 0o700);
        assert_eq!(mode(&eml_files(&dir)[0]), 0o600);
    }

    #[tokio::test]
    async fn outbox_reports_an_unwritable_folder() {
        let temp = tempfile::tempdir().expect("temp dir");
        // A file where the folder should be.
        let blocker = temp.path().join("outbox");
        std::fs::write(&blocker, b"not a folder").unwrap();
        let error = Mailer::outbox(blocker.clone())
            .send(&email())
            .await
            .unwrap_err();
        assert!(
            matches!(&error, MailError::Outbox { dir, .. } if dir == &blocker),
            "{error}"
        );
    }

    #[tokio::test]
    async fn invalid_recipient_is_rejected_before_sending() {
        let temp = tempfile::tempdir().expect("temp dir");
        let mailer = Mailer::outbox(temp.path().join("outbox"));
        let error = mailer
            .send(&Email {
                to: "not an address".to_owned(),
                ..email()
            })
            .await
            .unwrap_err();
        assert!(
            matches!(error, MailError::InvalidAddress { role: "to", .. }),
            "{error}"
        );
        assert!(!temp.path().join("outbox").exists());
    }

    #[test]
    fn invalid_from_is_rejected() {
        let error = Mailer::outbox(PathBuf::from("unused"))
            .with_from("keyhaven")
            .unwrap_err();
        assert!(
            matches!(error, MailError::InvalidAddress { role: "from", .. }),
            "{error}"
        );
    }

    #[test]
    fn from_config_picks_the_transport() {
        let config = Config {
            data_dir: PathBuf::from("/srv/keyhaven"),
            ..Config::default()
        };
        let shown = format!("{:?}", Mailer::from_config(&config).unwrap());
        assert!(
            shown.contains("outbox: \"/srv/keyhaven/outbox\""),
            "{shown}"
        );

        let config = Config {
            smtp_url: Some("smtp://127.0.0.1:2525".to_owned()),
            mail_from: "ops@example.com".to_owned(),
            ..Config::default()
        };
        let shown = format!("{:?}", Mailer::from_config(&config).unwrap());
        assert!(shown.contains("smtp: \"127.0.0.1:2525\""), "{shown}");
        assert!(shown.contains("ops@example.com"), "{shown}");
    }
}
