//! Server configuration: one typed [`Config`], built once in `main` by [`Config::load`].
//!
//! Precedence, lowest first: built-in defaults < TOML file (`--config FILE`) < `KEYHAVEN_*`
//! environment variables < command-line flags. Each layer only overrides the keys it sets.
//!
//! Nothing here reads the process environment or exits the process on its own: the environment
//! is passed in as a lookup function (so tests never touch the process-wide environment, which is
//! shared between test threads) and every problem is returned as a [`ConfigError`] that names the
//! key and where the bad value came from.
//!
//! Database and SMTP URLs may carry passwords, so neither [`Config`]'s nor
//! [`ConfigOverrides`]' `Debug` shows them in full, and no error message repeats them.

use std::fmt;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};

/// The server's configuration, validated.
///
/// [`Config::load`] guarantees these invariants; [`Config::default`] satisfies them too. Code
/// that builds a `Config` by hand (tests) must keep them:
///
/// - `public_url` starts with `http://` or `https://`, has a host, and has no trailing `/`, so
///   links are built as `format!("{}/path", config.public_url)`;
/// - `database`, when set, is a `postgres://`, `postgresql://` or `sqlite:` URL;
/// - `smtp_url`, when set, is an `smtp://` or `smtps://` URL [`crate::mail::Mailer::smtp`]
///   takes, and `smtp_password` is set when it names a user;
/// - `tls_cert` and `tls_key` are both set or both unset;
/// - when `database` is unset, `data_dir` is valid UTF-8 (it becomes part of a SQLite URL);
/// - the day counts and `max_body_bytes` are at least 1.
#[derive(Clone, PartialEq, Eq)]
pub struct Config {
    /// Address and port the HTTP server listens on. Default `127.0.0.1:8200`.
    pub listen: SocketAddr,
    /// Folder for the embedded SQLite database and the mail outbox. Default `./keyhaven-data`,
    /// relative to the working directory the server starts in.
    pub data_dir: PathBuf,
    /// Database URL; `None` means the SQLite file `<data_dir>/keyhaven.db`. Use
    /// [`Config::database_url`] rather than this field.
    pub database: Option<String>,
    /// SMTP relay URL (`smtp://host:port`, `smtp://user@host:587?tls=required`,
    /// `smtps://host`); `None` means each message is written as an `.eml` file into
    /// [`Config::outbox_dir`].
    pub smtp_url: Option<String>,
    /// File holding the SMTP AUTH password (`smtp_password_file`); only its contents are kept,
    /// in `smtp_password`.
    pub smtp_password_file: Option<PathBuf>,
    /// The SMTP AUTH password: from `smtp_password_file`, else `KEYHAVEN_SMTP_PASSWORD`.
    /// Never from a flag or the URL.
    pub smtp_password: Option<SecretString>,
    /// PEM file of certificate authorities to trust for the relay beside the system's.
    pub smtp_ca_cert: Option<PathBuf>,
    /// PEM certificate chain for HTTPS; with `tls_key`, the server speaks HTTPS only.
    pub tls_cert: Option<PathBuf>,
    /// PEM private key for `tls_cert`.
    pub tls_key: Option<PathBuf>,
    /// Address of the Prometheus metrics listener (`/metrics`); `None`: no metrics.
    pub metrics_listen: Option<SocketAddr>,
    /// The address users reach the server at, used to build links in mail. No trailing `/`.
    pub public_url: String,
    /// The `From` of outgoing mail. Default `Keyhaven <keyhaven@localhost>`; a real relay will
    /// usually insist on an address in a domain it serves.
    pub mail_from: String,
    /// Days a temporary recovery key stays valid after the workspace is created. Default 30.
    pub temporary_key_days: u32,
    /// Days after the last validation (or generation) of a recovery key before owners are asked
    /// to validate it again. Default 183, about six months.
    pub validation_interval_days: u32,
    /// Largest request body the server accepts, in bytes. Default 1 MiB.
    pub max_body_bytes: usize,
    /// Log filter in `tracing_subscriber::EnvFilter` syntax, e.g. `info` or
    /// `keyhaven_server=debug,info`. Default `info`.
    pub log: String,
    /// Reverse proxies whose `X-Forwarded-For` names the client (addresses or CIDR ranges).
    /// Default none: the TCP peer is the client. See [`crate::throttle`].
    pub trusted_proxies: Vec<IpRange>,
    /// Who may create an account. Default [`SignupPolicy::Open`].
    pub signup: SignupPolicy,
    /// Mail domains (lower case) whose addresses may sign up when `signup` is `domains`;
    /// invited addresses may sign up whatever their domain.
    pub signup_domains: Vec<String>,
    /// Workspaces one account may create. Default 100.
    pub max_workspaces_per_account: u32,
    /// Items (secrets) in one workspace. Default 250,000.
    pub max_items_per_workspace: u32,
    /// Device records in one workspace. Default 100,000.
    pub max_devices_per_workspace: u32,
    /// Members plus open invitations of one workspace. Default 1,000.
    pub max_members_per_workspace: u32,
}

/// A secret read from a file or the environment: wiped when dropped, never shown by `Debug`,
/// compared in constant time.
#[derive(Clone)]
pub struct SecretString(zeroize::Zeroizing<String>);

impl SecretString {
    /// Wraps `secret`.
    pub fn new(secret: String) -> Self {
        Self(zeroize::Zeroizing::new(secret))
    }

    /// The secret.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl PartialEq for SecretString {
    fn eq(&self, other: &Self) -> bool {
        keyhaven_crypto::ct_eq(self.0.as_bytes(), other.0.as_bytes())
    }
}

impl Eq for SecretString {}

impl fmt::Debug for SecretString {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("***")
    }
}

/// Who may create an account (`signup`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SignupPolicy {
    /// Anyone with a mailbox.
    Open,
    /// Addresses with an open invitation to a workspace, and the very first account of a new
    /// server (someone has to create the first workspace).
    InviteOnly,
    /// Addresses in `signup_domains`, and invited addresses.
    Domains,
}

impl SignupPolicy {
    /// The value as written in the configuration.
    pub fn name(self) -> &'static str {
        match self {
            SignupPolicy::Open => "open",
            SignupPolicy::InviteOnly => "invite-only",
            SignupPolicy::Domains => "domains",
        }
    }
}

/// An IP address range (`10.0.0.0/8`, `2001:db8::/32`, or one address).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct IpRange {
    network: std::net::IpAddr,
    prefix: u8,
}

impl IpRange {
    /// Whether `ip` is in the range (IPv4-mapped IPv6 addresses count as IPv4).
    pub fn contains(&self, ip: std::net::IpAddr) -> bool {
        use std::net::IpAddr;
        let ip = match ip {
            IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(IpAddr::V6(v6), IpAddr::V4),
            v4 => v4,
        };
        match (self.network, ip) {
            (IpAddr::V4(net), IpAddr::V4(ip)) => {
                let mask = u32::MAX
                    .checked_shl(32 - u32::from(self.prefix))
                    .unwrap_or(0);
                u32::from(net) & mask == u32::from(ip) & mask
            }
            (IpAddr::V6(net), IpAddr::V6(ip)) => {
                let mask = u128::MAX
                    .checked_shl(128 - u32::from(self.prefix))
                    .unwrap_or(0);
                u128::from(net) & mask == u128::from(ip) & mask
            }
            _ => false,
        }
    }
}

impl fmt::Display for IpRange {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.network, self.prefix)
    }
}

/// Parses a comma-separated list of addresses and CIDR ranges; an empty list is allowed.
pub fn parse_ip_ranges(text: &str) -> Result<Vec<IpRange>, String> {
    let mut ranges = Vec::new();
    for part in text
        .split(',')
        .map(str::trim)
        .filter(|part| !part.is_empty())
    {
        let (address, prefix) = match part.split_once('/') {
            Some((address, prefix)) => (address, Some(prefix)),
            None => (part, None),
        };
        let network: std::net::IpAddr = address.parse().map_err(|_| {
            format!("expected IP addresses or CIDR ranges such as 10.0.0.0/8, found {part:?}")
        })?;
        let longest = if network.is_ipv4() { 32 } else { 128 };
        let prefix = match prefix {
            None => longest,
            Some(prefix) => match prefix.parse::<u8>() {
                Ok(prefix) if prefix <= longest => prefix,
                _ => {
                    return Err(format!(
                        "the prefix length in {part:?} must be 0 to {longest}"
                    ));
                }
            },
        };
        ranges.push(IpRange { network, prefix });
    }
    Ok(ranges)
}

/// Parses a comma-separated list of mail domains (`example.com, example.org`), lower-cased.
fn parse_domains(text: &str) -> Result<Vec<String>, String> {
    let mut domains = Vec::new();
    for part in text
        .split(',')
        .map(str::trim)
        .filter(|part| !part.is_empty())
    {
        let domain = part.trim_start_matches('@').to_lowercase();
        let valid = !domain.is_empty()
            && domain.len() <= 253
            && domain.split('.').all(|label| {
                !label.is_empty() && label.chars().all(|c| c.is_alphanumeric() || c == '-')
            });
        if !valid {
            return Err(format!(
                "expected mail domains such as example.com, found {part:?}"
            ));
        }
        domains.push(domain);
    }
    Ok(domains)
}

/// Values given as command-line flags: the top layer of the precedence order.
///
/// `None` means "flag not given". The binary's argument parser fills this; only the settings
/// that are commonly changed per run have flags, the rest go in the file or the environment.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct ConfigOverrides {
    /// `--listen`.
    pub listen: Option<SocketAddr>,
    /// `--data-dir`.
    pub data_dir: Option<PathBuf>,
    /// `--database`.
    pub database: Option<String>,
    /// `--smtp-url`.
    pub smtp_url: Option<String>,
    /// `--public-url`.
    pub public_url: Option<String>,
    /// `--tls-cert`.
    pub tls_cert: Option<PathBuf>,
    /// `--tls-key`.
    pub tls_key: Option<PathBuf>,
    /// `--metrics-listen`.
    pub metrics_listen: Option<SocketAddr>,
}

/// Why a configuration could not be loaded.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// The configuration file could not be read (missing, unreadable, or not UTF-8).
    #[error("cannot read the configuration file {}: {source}", path.display())]
    ReadFile {
        /// The file that was given with `--config`.
        path: PathBuf,
        /// What the operating system said.
        source: std::io::Error,
    },
    /// The configuration file is not valid TOML.
    ///
    /// Only the parser's message and position are kept, not the offending line: that line may
    /// hold a database password.
    #[error("the configuration file {} is not valid TOML (line {line}, column {column}): {message}", path.display())]
    ParseFile {
        /// The file that was given with `--config`.
        path: PathBuf,
        /// 1-based line of the error (0 if the parser gave no position).
        line: usize,
        /// 1-based column of the error (0 if the parser gave no position).
        column: usize,
        /// The parser's description of the problem.
        message: String,
    },
    /// The configuration file has a key this version does not know (often a typo). Unknown
    /// keys are rejected rather than ignored so a misspelt setting cannot silently fall back to
    /// its default.
    #[error(
        "unknown key `{key}` in the configuration file {} (run `keyhaven server --print-default-config` to see every key)",
        path.display()
    )]
    UnknownKey {
        /// The unknown key, as written.
        key: String,
        /// The file it is in.
        path: PathBuf,
    },
    /// A value has the wrong type or fails validation.
    #[error("invalid `{key}` from {origin}: {reason}")]
    Invalid {
        /// The configuration key (as written in the TOML file) the value is for.
        key: &'static str,
        /// Where the value came from: the file, an environment variable or a flag.
        origin: Origin,
        /// What is wrong and what is expected. Never repeats a URL that may carry a password.
        reason: String,
    },
}

/// Where a configuration value came from; named in [`ConfigError::Invalid`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Origin {
    /// The configuration file given with `--config`.
    File(PathBuf),
    /// An environment variable, e.g. `KEYHAVEN_LISTEN`.
    Env(&'static str),
    /// A command-line flag, e.g. `--listen`.
    Flag(&'static str),
    /// No layer set it: the built-in default.
    Default,
}

impl fmt::Display for Origin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Origin::File(path) => write!(f, "the configuration file {}", path.display()),
            Origin::Env(name) => write!(f, "the environment variable {name}"),
            Origin::Flag(flag) => write!(f, "the command-line flag {flag}"),
            Origin::Default => write!(f, "the built-in default"),
        }
    }
}

impl Config {
    /// Builds the configuration from the built-in defaults, then `file` (if given), then the
    /// `KEYHAVEN_*` variables that `env` returns, then `flags`.
    ///
    /// `env` looks up one environment variable by name; `main` passes [`process_env`], tests
    /// pass a map. An empty variable counts as unset, so `KEYHAVEN_SMTP_URL=` in a container
    /// definition leaves the setting at its lower-layer value.
    ///
    /// Every layer is validated as it is applied, so a bad value in the file is reported even
    /// when the environment overrides it today. Relative paths (in any layer) are kept relative
    /// to the working directory, not to the configuration file.
    pub fn load(
        file: Option<&Path>,
        env: &dyn Fn(&str) -> Option<String>,
        flags: ConfigOverrides,
    ) -> Result<Config, ConfigError> {
        let mut config = Config::default();
        if let Some(path) = file {
            let text = std::fs::read_to_string(path).map_err(|source| ConfigError::ReadFile {
                path: path.to_owned(),
                source,
            })?;
            config.apply_toml(&text, path)?;
        }
        config.apply_env(env)?;
        config.apply_flags(flags)?;
        config.finish(env)?;
        if config.signup == SignupPolicy::Domains && config.signup_domains.is_empty() {
            return Err(ConfigError::Invalid {
                key: Key::SignupDomains.name(),
                origin: Origin::Default,
                reason: "must list at least one domain when `signup` is \"domains\"".to_owned(),
            });
        }
        Ok(config)
    }

    /// Checks what involves several keys, and reads the SMTP password.
    fn finish(&mut self, env: &dyn Fn(&str) -> Option<String>) -> Result<(), ConfigError> {
        match (&self.tls_cert, &self.tls_key) {
            (Some(_), None) | (None, Some(_)) => {
                return Err(ConfigError::Invalid {
                    key: Key::TlsCert.name(),
                    origin: Origin::Default,
                    reason: "`tls_cert` and `tls_key` go together: set both for HTTPS, or \
                             neither for plain HTTP behind a TLS-terminating proxy"
                        .to_owned(),
                });
            }
            _ => {}
        }
        self.smtp_password = match &self.smtp_password_file {
            Some(path) => {
                let text = std::fs::read_to_string(path).map_err(|e| ConfigError::Invalid {
                    key: Key::SmtpPasswordFile.name(),
                    origin: Origin::Default,
                    reason: format!("cannot read {}: {e}", path.display()),
                })?;
                // One trailing line end, as `echo` writes it, is not part of the password.
                let trimmed = text
                    .strip_suffix('\n')
                    .map(|t| t.strip_suffix('\r').unwrap_or(t))
                    .unwrap_or(&text);
                Some(SecretString::new(trimmed.to_owned()))
            }
            None => env(SMTP_PASSWORD_VAR)
                .filter(|value| !value.is_empty())
                .map(SecretString::new),
        };
        if let Some(url) = &self.smtp_url {
            let endpoint =
                crate::mail::SmtpEndpoint::parse(url).map_err(|error| ConfigError::Invalid {
                    key: Key::SmtpUrl.name(),
                    origin: Origin::Default,
                    reason: error.to_string(),
                })?;
            if endpoint.has_user() && self.smtp_password.is_none() {
                return Err(ConfigError::Invalid {
                    key: Key::SmtpPasswordFile.name(),
                    origin: Origin::Default,
                    reason: format!(
                        "`smtp_url` names a user, so a password is needed: put it in a file \
                         named by `smtp_password_file` (readable by the server only), or in \
                         {SMTP_PASSWORD_VAR}"
                    ),
                });
            }
        }
        Ok(())
    }

    /// The URL to open the database with: the `database` setting, or
    /// `sqlite://<data_dir>/keyhaven.db?mode=rwc` (created if missing) when it is unset.
    pub fn database_url(&self) -> String {
        match &self.database {
            Some(url) => url.clone(),
            None => {
                let path = self.data_dir.join("keyhaven.db");
                // Invariant (checked by `load`): with `database` unset, `data_dir` is UTF-8, so
                // the lossy conversion never replaces anything. sqlx percent-decodes the path,
                // so `%`, `?` and `#` in it must be encoded to survive.
                let path = path.to_string_lossy();
                format!("sqlite://{}?mode=rwc", percent_encode_path(&path))
            }
        }
    }

    /// The folder the mail outbox writes `.eml` files to when no SMTP relay is configured:
    /// `<data_dir>/outbox/`.
    pub fn outbox_dir(&self) -> PathBuf {
        self.data_dir.join("outbox")
    }

    fn apply_toml(&mut self, text: &str, path: &Path) -> Result<(), ConfigError> {
        let table: toml::Table = toml::from_str(text).map_err(|error| {
            let (line, column) = error
                .span()
                .map(|span| line_and_column(text, span.start))
                .unwrap_or((0, 0));
            ConfigError::ParseFile {
                path: path.to_owned(),
                line,
                column,
                message: error.message().trim_end().to_owned(),
            }
        })?;
        let origin = || Origin::File(path.to_owned());
        for (key, value) in &table {
            let Some(key) = Key::from_toml(key) else {
                return Err(ConfigError::UnknownKey {
                    key: key.clone(),
                    path: path.to_owned(),
                });
            };
            let invalid = |reason: String| ConfigError::Invalid {
                key: key.name(),
                origin: origin(),
                reason,
            };
            let raw = match (key.kind(), value) {
                (Kind::Text, toml::Value::String(text)) => RawValue::Text(text.clone()),
                (Kind::Number, toml::Value::Integer(number)) => RawValue::Number(*number),
                (Kind::Text, other) => {
                    return Err(invalid(format!(
                        "expected a string, found {}",
                        other.type_str()
                    )));
                }
                (Kind::Number, other) => {
                    return Err(invalid(format!(
                        "expected a whole number, found {}",
                        other.type_str()
                    )));
                }
            };
            self.set(key, raw, origin())?;
        }
        Ok(())
    }

    fn apply_env(&mut self, env: &dyn Fn(&str) -> Option<String>) -> Result<(), ConfigError> {
        for key in Key::ALL {
            let var = key.env_var();
            let Some(value) = env(var).filter(|value| !value.is_empty()) else {
                continue;
            };
            let origin = Origin::Env(var);
            let raw = match key.kind() {
                Kind::Text => RawValue::Text(value),
                Kind::Number => match value.trim().parse::<i64>() {
                    Ok(number) => RawValue::Number(number),
                    Err(_) => {
                        return Err(ConfigError::Invalid {
                            key: key.name(),
                            origin,
                            reason: format!("expected a whole number, found {value:?}"),
                        });
                    }
                },
            };
            self.set(key, raw, origin)?;
        }
        Ok(())
    }

    fn apply_flags(&mut self, flags: ConfigOverrides) -> Result<(), ConfigError> {
        let ConfigOverrides {
            listen,
            data_dir,
            database,
            smtp_url,
            public_url,
            tls_cert,
            tls_key,
            metrics_listen,
        } = flags;
        if metrics_listen.is_some() {
            self.metrics_listen = metrics_listen;
        }
        for (key, value) in [(Key::TlsCert, tls_cert), (Key::TlsKey, tls_key)] {
            if let Some(value) = value {
                let text = value.to_str().ok_or_else(|| ConfigError::Invalid {
                    key: key.name(),
                    origin: Origin::Flag(key.flag()),
                    reason: "must be valid UTF-8".to_owned(),
                })?;
                self.set(
                    key,
                    RawValue::Text(text.to_owned()),
                    Origin::Flag(key.flag()),
                )?;
            }
        }
        // `listen` and `data_dir` arrive already typed from the argument parser.
        if let Some(listen) = listen {
            self.listen = listen;
        }
        if let Some(data_dir) = data_dir {
            if data_dir.as_os_str().is_empty() {
                return Err(ConfigError::Invalid {
                    key: Key::DataDir.name(),
                    origin: Origin::Flag(Key::DataDir.flag()),
                    reason: "must not be empty".to_owned(),
                });
            }
            self.data_dir = data_dir;
        }
        for (key, value) in [
            (Key::Database, database),
            (Key::SmtpUrl, smtp_url),
            (Key::PublicUrl, public_url),
        ] {
            if let Some(value) = value {
                self.set(key, RawValue::Text(value), Origin::Flag(key.flag()))?;
            }
        }
        // TOML and environment values are `String`s, so only this flag can bring a path that
        // is not UTF-8; it is checked last because `--database` may make it irrelevant.
        if self.database.is_none() && self.data_dir.to_str().is_none() {
            return Err(ConfigError::Invalid {
                key: Key::DataDir.name(),
                origin: Origin::Flag(Key::DataDir.flag()),
                reason: "must be valid UTF-8 when `database` is unset, because it becomes part \
                         of the SQLite URL; set `database` to a sqlite: URL instead"
                    .to_owned(),
            });
        }
        Ok(())
    }

    /// Validates `raw` for `key` and stores it. `origin` is only used in the error.
    fn set(&mut self, key: Key, raw: RawValue, origin: Origin) -> Result<(), ConfigError> {
        let invalid = |reason: String| ConfigError::Invalid {
            key: key.name(),
            origin: origin.clone(),
            reason,
        };
        match (key, raw) {
            (Key::Listen, RawValue::Text(text)) => {
                self.listen = text.trim().parse().map_err(|_| {
                    invalid(format!(
                        "expected an IP address and port such as 127.0.0.1:8200 or [::1]:8200, \
                         found {text:?}"
                    ))
                })?;
            }
            (Key::DataDir, RawValue::Text(text)) => {
                if text.is_empty() {
                    return Err(invalid("must not be empty".to_owned()));
                }
                self.data_dir = PathBuf::from(text);
            }
            (Key::Database, RawValue::Text(text)) => {
                check_database_url(&text).map_err(invalid)?;
                self.database = Some(text);
            }
            (Key::SmtpUrl, RawValue::Text(text)) => {
                // One parser for both places, so what the configuration accepts is exactly
                // what the mailer can use. Its errors never repeat the URL.
                crate::mail::SmtpEndpoint::parse(&text)
                    .map_err(|error| invalid(error.to_string()))?;
                self.smtp_url = Some(text);
            }
            (
                key @ (Key::TlsCert | Key::TlsKey | Key::SmtpPasswordFile | Key::SmtpCaCert),
                RawValue::Text(text),
            ) => {
                if text.trim().is_empty() {
                    return Err(invalid("must not be empty".to_owned()));
                }
                let path = Some(PathBuf::from(text));
                match key {
                    Key::TlsCert => self.tls_cert = path,
                    Key::TlsKey => self.tls_key = path,
                    Key::SmtpPasswordFile => self.smtp_password_file = path,
                    _ => self.smtp_ca_cert = path,
                }
            }
            (Key::MetricsListen, RawValue::Text(text)) => {
                self.metrics_listen = Some(text.trim().parse().map_err(|_| {
                    invalid(format!(
                        "expected an IP address and port such as 127.0.0.1:9200, found {text:?}"
                    ))
                })?);
            }
            (Key::PublicUrl, RawValue::Text(text)) => {
                self.public_url = normalize_public_url(&text).map_err(invalid)?;
            }
            (Key::MailFrom, RawValue::Text(text)) => {
                crate::mail::parse_mailbox(&text)
                    .map_err(|error| invalid(format!("not a mail address: {error}")))?;
                self.mail_from = text;
            }
            (Key::TemporaryKeyDays, RawValue::Number(number)) => {
                self.temporary_key_days = positive(number).map_err(invalid)?;
            }
            (Key::ValidationIntervalDays, RawValue::Number(number)) => {
                self.validation_interval_days = positive(number).map_err(invalid)?;
            }
            (Key::MaxBodyBytes, RawValue::Number(number)) => {
                self.max_body_bytes = positive(number).map_err(invalid)?;
            }
            (Key::TrustedProxies, RawValue::Text(text)) => {
                self.trusted_proxies = parse_ip_ranges(&text).map_err(invalid)?;
            }
            (Key::Signup, RawValue::Text(text)) => {
                self.signup = match text.trim() {
                    "open" => SignupPolicy::Open,
                    "invite-only" => SignupPolicy::InviteOnly,
                    "domains" => SignupPolicy::Domains,
                    _ => {
                        return Err(invalid(format!(
                            "expected \"open\", \"invite-only\" or \"domains\", found {text:?}"
                        )));
                    }
                };
            }
            (Key::SignupDomains, RawValue::Text(text)) => {
                self.signup_domains = parse_domains(&text).map_err(invalid)?;
            }
            (Key::MaxWorkspacesPerAccount, RawValue::Number(number)) => {
                self.max_workspaces_per_account = positive(number).map_err(invalid)?;
            }
            (Key::MaxItemsPerWorkspace, RawValue::Number(number)) => {
                self.max_items_per_workspace = positive(number).map_err(invalid)?;
            }
            (Key::MaxDevicesPerWorkspace, RawValue::Number(number)) => {
                self.max_devices_per_workspace = positive(number).map_err(invalid)?;
            }
            (Key::MaxMembersPerWorkspace, RawValue::Number(number)) => {
                self.max_members_per_workspace = positive(number).map_err(invalid)?;
            }
            (Key::Log, RawValue::Text(text)) => {
                // The filter syntax is checked where the subscriber is built (in `main`), which
                // owns the tracing-subscriber dependency; an empty filter would silently log
                // nothing, so catch that here.
                if text.trim().is_empty() {
                    return Err(invalid("must not be empty".to_owned()));
                }
                self.log = text;
            }
            // `Key::kind` decides which `RawValue` each key gets, so this never occurs; an
            // error is still kinder than a panic if a new key is wired up wrongly.
            (key, raw) => {
                return Err(invalid(format!(
                    "internal error: {raw:?} is the wrong kind of value for {}",
                    key.name()
                )));
            }
        }
        Ok(())
    }
}

impl Default for Config {
    /// The built-in defaults: the bottom layer of the precedence order.
    fn default() -> Self {
        Config {
            listen: SocketAddr::from(([127, 0, 0, 1], 8200)),
            data_dir: PathBuf::from("./keyhaven-data"),
            database: None,
            smtp_url: None,
            smtp_password_file: None,
            smtp_password: None,
            smtp_ca_cert: None,
            tls_cert: None,
            tls_key: None,
            metrics_listen: None,
            public_url: "http://127.0.0.1:8200".to_owned(),
            mail_from: crate::mail::DEFAULT_FROM.to_owned(),
            temporary_key_days: 30,
            validation_interval_days: 183,
            max_body_bytes: 1024 * 1024,
            log: "info".to_owned(),
            trusted_proxies: Vec::new(),
            signup: SignupPolicy::Open,
            signup_domains: Vec::new(),
            max_workspaces_per_account: 100,
            max_items_per_workspace: 250_000,
            max_devices_per_workspace: 100_000,
            max_members_per_workspace: 1_000,
        }
    }
}

impl fmt::Debug for Config {
    /// Shows every setting, with any password in the database or SMTP URL replaced by `***`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Config")
            .field("listen", &self.listen)
            .field("data_dir", &self.data_dir)
            .field("database", &self.database.as_deref().map(redact_url))
            .field("smtp_url", &self.smtp_url.as_deref().map(redact_url))
            .field("smtp_password_file", &self.smtp_password_file)
            .field("smtp_password", &self.smtp_password)
            .field("smtp_ca_cert", &self.smtp_ca_cert)
            .field("tls_cert", &self.tls_cert)
            .field("tls_key", &self.tls_key)
            .field("metrics_listen", &self.metrics_listen)
            .field("public_url", &self.public_url)
            .field("mail_from", &self.mail_from)
            .field("temporary_key_days", &self.temporary_key_days)
            .field("validation_interval_days", &self.validation_interval_days)
            .field("max_body_bytes", &self.max_body_bytes)
            .field("log", &self.log)
            .field("trusted_proxies", &self.trusted_proxies)
            .field("signup", &self.signup)
            .field("signup_domains", &self.signup_domains)
            .field(
                "max_workspaces_per_account",
                &self.max_workspaces_per_account,
            )
            .field("max_items_per_workspace", &self.max_items_per_workspace)
            .field("max_devices_per_workspace", &self.max_devices_per_workspace)
            .field("max_members_per_workspace", &self.max_members_per_workspace)
            .finish()
    }
}

impl fmt::Debug for ConfigOverrides {
    /// Like [`Config`]'s: URL passwords are replaced by `***`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ConfigOverrides")
            .field("listen", &self.listen)
            .field("data_dir", &self.data_dir)
            .field("database", &self.database.as_deref().map(redact_url))
            .field("smtp_url", &self.smtp_url.as_deref().map(redact_url))
            .field("public_url", &self.public_url)
            .field("tls_cert", &self.tls_cert)
            .field("tls_key", &self.tls_key)
            .field("metrics_listen", &self.metrics_listen)
            .finish()
    }
}

/// The environment variable with the SMTP password (when `smtp_password_file` is unset).
pub const SMTP_PASSWORD_VAR: &str = "KEYHAVEN_SMTP_PASSWORD";

/// Looks up a variable in the process environment; what `main` passes to [`Config::load`].
///
/// A value that is not valid Unicode is treated as unset.
pub fn process_env(name: &str) -> Option<String> {
    std::env::var(name).ok()
}

/// The commented default configuration file (`keyhaven server --print-default-config`).
///
/// Every key is listed with its built-in default; the two that default to "unset" are
/// commented out. Loading this text gives exactly [`Config::default`] (tested).
pub fn default_toml() -> String {
    let defaults = Config::default();
    format!(
        r#"# Keyhaven server configuration.
#
# Precedence, lowest first: built-in defaults < this file (--config FILE) < KEYHAVEN_*
# environment variables < command-line flags. Every key is optional; the values below are the
# built-in defaults. Relative paths are relative to the server's working directory.

# Address and port the HTTP server listens on.
# Environment: KEYHAVEN_LISTEN. Flag: --listen.
listen = "{listen}"

# Folder for the embedded SQLite database and the mail outbox.
# Environment: KEYHAVEN_DATA_DIR. Flag: --data-dir.
data_dir = "{data_dir}"

# Database URL. When unset, the SQLite file <data_dir>/keyhaven.db is used (created if
# missing). For PostgreSQL, for example:
# database = "postgres://keyhaven@localhost/keyhaven"
# Environment: KEYHAVEN_DATABASE. Flag: --database.

# SMTP relay for outgoing mail. When unset, each message is written as an .eml file into
# <data_dir>/outbox/ instead of being sent.
#   smtp://host:25                          STARTTLS when the relay offers it
#   smtp://host:25?tls=none                 plain text (a relay on this host)
#   smtp://user@host:587?tls=required       STARTTLS, then AUTH PLAIN/LOGIN
#   smtps://user@host:465                   TLS from the first byte, then AUTH
# A user name that is a mail address is written percent-encoded: me%40example.com@host.
# smtp_url = "smtp://127.0.0.1:25"
# Environment: KEYHAVEN_SMTP_URL. Flag: --smtp-url.

# The AUTH password, read from this file (one line; keep it readable by the server only).
# Without it, the environment variable KEYHAVEN_SMTP_PASSWORD is used. Never a flag.
# smtp_password_file = "/etc/keyhaven/smtp-password"
# Environment: KEYHAVEN_SMTP_PASSWORD_FILE.

# PEM file of certificate authorities to trust for the relay beside the system's.
# smtp_ca_cert = "/etc/keyhaven/relay-ca.pem"
# Environment: KEYHAVEN_SMTP_CA_CERT.

# HTTPS: a PEM certificate chain and its private key. With both set the server speaks HTTPS
# only (HTTP/1.1 and HTTP/2), sends HSTS, and reloads both files when they change or on
# SIGHUP (certbot renewals need no restart). Leave unset behind a TLS-terminating proxy.
# tls_cert = "/etc/letsencrypt/live/vault.example.com/fullchain.pem"
# tls_key = "/etc/letsencrypt/live/vault.example.com/privkey.pem"
# Environment: KEYHAVEN_TLS_CERT, KEYHAVEN_TLS_KEY. Flags: --tls-cert, --tls-key.

# Prometheus metrics (GET /metrics) on a listener of their own; unset: no metrics.
# metrics_listen = "127.0.0.1:9200"
# Environment: KEYHAVEN_METRICS_LISTEN. Flag: --metrics-listen.

# The address users reach this server at, used to build links in mail. It must be https://
# unless the server listens on loopback only (or starts with --dangerous-allow-http).
# Environment: KEYHAVEN_PUBLIC_URL. Flag: --public-url.
public_url = "{public_url}"

# The From address of outgoing mail.
# Environment: KEYHAVEN_MAIL_FROM.
mail_from = "{mail_from}"

# Days a temporary recovery key (the one emailed at workspace creation) stays valid.
# Environment: KEYHAVEN_TEMPORARY_KEY_DAYS.
temporary_key_days = {temporary_key_days}

# Days after the last validation or generation of a recovery key before owners are asked to
# validate it again (183 is about six months).
# Environment: KEYHAVEN_VALIDATION_INTERVAL_DAYS.
validation_interval_days = {validation_interval_days}

# Largest request body the server accepts, in bytes.
# Environment: KEYHAVEN_MAX_BODY_BYTES.
max_body_bytes = {max_body_bytes}

# Log filter, e.g. "info", "debug" or "keyhaven_server=debug,info".
# Environment: KEYHAVEN_LOG.
log = "{log}"

# Reverse proxies (comma-separated addresses or CIDR ranges) whose X-Forwarded-For header
# names the client. Sign-in and mail throttles count per client address, so list your proxy
# here when the server runs behind one, and nothing else: a listed address can claim to be
# any client. Empty: the TCP peer is the client.
# Environment: KEYHAVEN_TRUSTED_PROXIES.
trusted_proxies = ""

# Who may create an account: "open" (anyone with a mailbox), "invite-only" (addresses with an
# open invitation; the first account of a new server too), or "domains" (addresses in
# signup_domains, and invited addresses).
# Environment: KEYHAVEN_SIGNUP.
signup = "{signup}"

# Comma-separated mail domains that may sign up when signup = "domains", e.g.
# "example.com, example.org".
# Environment: KEYHAVEN_SIGNUP_DOMAINS.
signup_domains = ""

# Quotas. Workspaces one account may create; items (secrets), device records, and members
# plus open invitations in one workspace.
# Environment: KEYHAVEN_MAX_WORKSPACES_PER_ACCOUNT, KEYHAVEN_MAX_ITEMS_PER_WORKSPACE,
# KEYHAVEN_MAX_DEVICES_PER_WORKSPACE, KEYHAVEN_MAX_MEMBERS_PER_WORKSPACE.
max_workspaces_per_account = {max_workspaces_per_account}
max_items_per_workspace = {max_items_per_workspace}
max_devices_per_workspace = {max_devices_per_workspace}
max_members_per_workspace = {max_members_per_workspace}
"#,
        signup = defaults.signup.name(),
        max_workspaces_per_account = defaults.max_workspaces_per_account,
        max_items_per_workspace = defaults.max_items_per_workspace,
        max_devices_per_workspace = defaults.max_devices_per_workspace,
        max_members_per_workspace = defaults.max_members_per_workspace,
        listen = defaults.listen,
        data_dir = defaults.data_dir.display(),
        public_url = defaults.public_url,
        mail_from = defaults.mail_from,
        temporary_key_days = defaults.temporary_key_days,
        validation_interval_days = defaults.validation_interval_days,
        max_body_bytes = defaults.max_body_bytes,
        log = defaults.log,
    )
}

/// Replaces the password of a `scheme://user:password@host…` URL by `***`, for `Debug` output.
fn redact_url(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_owned();
    };
    let authority_end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let (authority, tail) = rest.split_at(authority_end);
    // The last `@` ends the user info: a password may itself contain `@` if the user did not
    // percent-encode it.
    match authority.rsplit_once('@') {
        Some((userinfo, host)) => {
            let user = userinfo.split_once(':').map_or(userinfo, |(user, _)| user);
            format!("{scheme}://{user}:***@{host}{tail}")
        }
        None => url.to_owned(),
    }
}

fn check_database_url(url: &str) -> Result<(), String> {
    const SCHEMES: [&str; 3] = ["postgres://", "postgresql://", "sqlite:"];
    if !SCHEMES.iter().any(|scheme| url.starts_with(scheme)) {
        // Not repeating the value: it may be a PostgreSQL URL with a password and a typo.
        return Err(
            "expected a URL starting with postgres://, postgresql:// or sqlite:".to_owned(),
        );
    }
    Ok(())
}

fn normalize_public_url(url: &str) -> Result<String, String> {
    let trimmed = url.trim_end_matches('/');
    let Some(rest) = trimmed
        .strip_prefix("https://")
        .or_else(|| trimmed.strip_prefix("http://"))
    else {
        return Err(format!(
            "must start with http:// or https://, found {url:?}"
        ));
    };
    let host = rest.split('/').next().unwrap_or_default();
    if host.is_empty() {
        return Err(format!("has no host, found {url:?}"));
    }
    // Links are built by appending a path, which a query or fragment would swallow.
    if rest.contains(['?', '#']) || rest.chars().any(char::is_whitespace) {
        return Err(format!(
            "must not contain a query, a fragment or whitespace, found {url:?}"
        ));
    }
    Ok(trimmed.to_owned())
}

fn positive<T: TryFrom<i64>>(number: i64) -> Result<T, String> {
    if number < 1 {
        return Err(format!("must be at least 1, found {number}"));
    }
    T::try_from(number).map_err(|_| format!("is too large, found {number}"))
}

/// sqlx decodes `%XX` in a SQLite path and splits the URL at `?`; `#` is encoded as well
/// because sqlx's own URL builder does.
fn percent_encode_path(path: &str) -> String {
    let mut encoded = String::with_capacity(path.len());
    for c in path.chars() {
        match c {
            '%' => encoded.push_str("%25"),
            '?' => encoded.push_str("%3F"),
            '#' => encoded.push_str("%23"),
            c => encoded.push(c),
        }
    }
    encoded
}

fn line_and_column(text: &str, offset: usize) -> (usize, usize) {
    let before = &text[..offset.min(text.len())];
    let line = before.matches('\n').count() + 1;
    let column = before
        .rsplit('\n')
        .next()
        .unwrap_or_default()
        .chars()
        .count()
        + 1;
    (line, column)
}

/// The keys that the file and the environment can set.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
// Named after the settings (`tls_key` is a key like the others).
#[allow(clippy::enum_variant_names)]
enum Key {
    Listen,
    DataDir,
    Database,
    SmtpUrl,
    SmtpPasswordFile,
    SmtpCaCert,
    TlsCert,
    TlsKey,
    MetricsListen,
    PublicUrl,
    MailFrom,
    TemporaryKeyDays,
    ValidationIntervalDays,
    MaxBodyBytes,
    Log,
    TrustedProxies,
    Signup,
    SignupDomains,
    MaxWorkspacesPerAccount,
    MaxItemsPerWorkspace,
    MaxDevicesPerWorkspace,
    MaxMembersPerWorkspace,
}

/// Whether a key takes a string or a whole number.
#[derive(Debug, Clone, Copy)]
enum Kind {
    Text,
    Number,
}

/// A value as given, before validation.
#[derive(Debug)]
enum RawValue {
    Text(String),
    Number(i64),
}

impl Key {
    const ALL: [Key; 22] = [
        Key::Listen,
        Key::DataDir,
        Key::Database,
        Key::SmtpUrl,
        Key::SmtpPasswordFile,
        Key::SmtpCaCert,
        Key::TlsCert,
        Key::TlsKey,
        Key::MetricsListen,
        Key::PublicUrl,
        Key::MailFrom,
        Key::TemporaryKeyDays,
        Key::ValidationIntervalDays,
        Key::MaxBodyBytes,
        Key::Log,
        Key::TrustedProxies,
        Key::Signup,
        Key::SignupDomains,
        Key::MaxWorkspacesPerAccount,
        Key::MaxItemsPerWorkspace,
        Key::MaxDevicesPerWorkspace,
        Key::MaxMembersPerWorkspace,
    ];

    /// The key as written in the TOML file and named in errors.
    fn name(self) -> &'static str {
        match self {
            Key::Listen => "listen",
            Key::DataDir => "data_dir",
            Key::Database => "database",
            Key::SmtpUrl => "smtp_url",
            Key::SmtpPasswordFile => "smtp_password_file",
            Key::SmtpCaCert => "smtp_ca_cert",
            Key::TlsCert => "tls_cert",
            Key::TlsKey => "tls_key",
            Key::MetricsListen => "metrics_listen",
            Key::PublicUrl => "public_url",
            Key::MailFrom => "mail_from",
            Key::TemporaryKeyDays => "temporary_key_days",
            Key::ValidationIntervalDays => "validation_interval_days",
            Key::MaxBodyBytes => "max_body_bytes",
            Key::Log => "log",
            Key::TrustedProxies => "trusted_proxies",
            Key::Signup => "signup",
            Key::SignupDomains => "signup_domains",
            Key::MaxWorkspacesPerAccount => "max_workspaces_per_account",
            Key::MaxItemsPerWorkspace => "max_items_per_workspace",
            Key::MaxDevicesPerWorkspace => "max_devices_per_workspace",
            Key::MaxMembersPerWorkspace => "max_members_per_workspace",
        }
    }

    fn env_var(self) -> &'static str {
        match self {
            Key::Listen => "KEYHAVEN_LISTEN",
            Key::DataDir => "KEYHAVEN_DATA_DIR",
            Key::Database => "KEYHAVEN_DATABASE",
            Key::SmtpUrl => "KEYHAVEN_SMTP_URL",
            Key::SmtpPasswordFile => "KEYHAVEN_SMTP_PASSWORD_FILE",
            Key::SmtpCaCert => "KEYHAVEN_SMTP_CA_CERT",
            Key::TlsCert => "KEYHAVEN_TLS_CERT",
            Key::TlsKey => "KEYHAVEN_TLS_KEY",
            Key::MetricsListen => "KEYHAVEN_METRICS_LISTEN",
            Key::PublicUrl => "KEYHAVEN_PUBLIC_URL",
            Key::MailFrom => "KEYHAVEN_MAIL_FROM",
            Key::TemporaryKeyDays => "KEYHAVEN_TEMPORARY_KEY_DAYS",
            Key::ValidationIntervalDays => "KEYHAVEN_VALIDATION_INTERVAL_DAYS",
            Key::MaxBodyBytes => "KEYHAVEN_MAX_BODY_BYTES",
            Key::Log => "KEYHAVEN_LOG",
            Key::TrustedProxies => "KEYHAVEN_TRUSTED_PROXIES",
            Key::Signup => "KEYHAVEN_SIGNUP",
            Key::SignupDomains => "KEYHAVEN_SIGNUP_DOMAINS",
            Key::MaxWorkspacesPerAccount => "KEYHAVEN_MAX_WORKSPACES_PER_ACCOUNT",
            Key::MaxItemsPerWorkspace => "KEYHAVEN_MAX_ITEMS_PER_WORKSPACE",
            Key::MaxDevicesPerWorkspace => "KEYHAVEN_MAX_DEVICES_PER_WORKSPACE",
            Key::MaxMembersPerWorkspace => "KEYHAVEN_MAX_MEMBERS_PER_WORKSPACE",
        }
    }

    /// The command-line flag, for the keys that have one (named in errors).
    fn flag(self) -> &'static str {
        match self {
            Key::Listen => "--listen",
            Key::DataDir => "--data-dir",
            Key::Database => "--database",
            Key::SmtpUrl => "--smtp-url",
            Key::PublicUrl => "--public-url",
            Key::TlsCert => "--tls-cert",
            Key::TlsKey => "--tls-key",
            Key::MetricsListen => "--metrics-listen",
            // No flags: set in the file or the environment.
            Key::SmtpPasswordFile
            | Key::SmtpCaCert
            | Key::MailFrom
            | Key::TemporaryKeyDays
            | Key::ValidationIntervalDays
            | Key::MaxBodyBytes
            | Key::Log
            | Key::TrustedProxies
            | Key::Signup
            | Key::SignupDomains
            | Key::MaxWorkspacesPerAccount
            | Key::MaxItemsPerWorkspace
            | Key::MaxDevicesPerWorkspace
            | Key::MaxMembersPerWorkspace => "(no flag)",
        }
    }

    fn kind(self) -> Kind {
        match self {
            Key::TemporaryKeyDays
            | Key::ValidationIntervalDays
            | Key::MaxBodyBytes
            | Key::MaxWorkspacesPerAccount
            | Key::MaxItemsPerWorkspace
            | Key::MaxDevicesPerWorkspace
            | Key::MaxMembersPerWorkspace => Kind::Number,
            _ => Kind::Text,
        }
    }

    fn from_toml(name: &str) -> Option<Key> {
        Key::ALL.into_iter().find(|key| key.name() == name)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn redact_url_hides_only_the_password() {
        assert_eq!(
            redact_url("postgres://kh:s3cr%40t@db:5432/kh?sslmode=require"),
            "postgres://kh:***@db:5432/kh?sslmode=require"
        );
        assert_eq!(
            redact_url("postgres://kh:p@ss@db/kh"),
            "postgres://kh:***@db/kh"
        );
        assert_eq!(redact_url("postgres://db/kh"), "postgres://db/kh");
        assert_eq!(redact_url("sqlite:///tmp/x.db"), "sqlite:///tmp/x.db");
    }

    #[test]
    fn database_url_encodes_what_sqlx_would_decode() {
        let config = Config {
            data_dir: PathBuf::from("/srv/a%b?c#d"),
            ..Config::default()
        };
        assert_eq!(
            config.database_url(),
            "sqlite:///srv/a%25b%3Fc%23d/keyhaven.db?mode=rwc"
        );
    }

    #[test]
    fn line_and_column_are_one_based() {
        assert_eq!(line_and_column("ab\ncd", 0), (1, 1));
        assert_eq!(line_and_column("ab\ncd", 4), (2, 2));
    }

    #[test]
    fn every_key_has_distinct_names() {
        let mut names: Vec<_> = Key::ALL.iter().map(|key| key.name()).collect();
        let mut vars: Vec<_> = Key::ALL.iter().map(|key| key.env_var()).collect();
        names.sort_unstable();
        names.dedup();
        vars.sort_unstable();
        vars.dedup();
        assert_eq!(names.len(), Key::ALL.len());
        assert_eq!(vars.len(), Key::ALL.len());
        for key in Key::ALL {
            assert_eq!(
                key.env_var(),
                format!("KEYHAVEN_{}", key.name().to_uppercase())
            );
        }
    }
}
