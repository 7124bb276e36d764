//! Configuration: defaults < file < environment < flags, and the errors for bad values.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use keyhaven_server::config::{Config, ConfigError, ConfigOverrides, Origin, default_toml};

/// A fake environment: tests never touch the process environment, which test threads share.
fn env(pairs: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> {
    let map: HashMap<String, String> = pairs
        .iter()
        .map(|(key, value)| ((*key).to_owned(), (*value).to_owned()))
        .collect();
    move |key| map.get(key).cloned()
}

fn no_env() -> impl Fn(&str) -> Option<String> {
    env(&[])
}

/// Writes `text` to a `keyhaven.toml` in a fresh temporary folder.
fn config_file(text: &str) -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("keyhaven.toml");
    std::fs::write(&path, text).expect("write config file");
    (dir, path)
}

fn load(
    file: Option<&Path>,
    env: &dyn Fn(&str) -> Option<String>,
    flags: ConfigOverrides,
) -> Result<Config, ConfigError> {
    Config::load(file, env, flags)
}

fn addr(text: &str) -> SocketAddr {
    text.parse().expect("socket address")
}

/// Every key set to a non-default value, as a file.
const FULL_FILE: &str = r#"
listen = "0.0.0.0:9000"
data_dir = "/var/lib/keyhaven"
database = "postgres://kh@db/file"
smtp_url = "smtp://relay.file:2525"
public_url = "https://file.example/"
mail_from = "Vault <vault@file.example>"
temporary_key_days = 7
validation_interval_days = 90
max_body_bytes = 2048
log = "debug"
"#;

// --- Defaults -------------------------------------------------------------------------------

#[test]
fn defaults_apply_when_nothing_is_set() {
    let config = load(None, &no_env(), ConfigOverrides::default()).unwrap();
    assert_eq!(config, Config::default());
    assert_eq!(config.listen, addr("127.0.0.1:8200"));
    assert_eq!(config.data_dir, PathBuf::from("./keyhaven-data"));
    assert_eq!(config.database, None);
    assert_eq!(config.smtp_url, None);
    assert_eq!(config.public_url, "http://127.0.0.1:8200");
    assert_eq!(config.mail_from, "Keyhaven <keyhaven@localhost>");
    assert_eq!(config.temporary_key_days, 30);
    assert_eq!(config.validation_interval_days, 183);
    assert_eq!(config.max_body_bytes, 1024 * 1024);
    assert_eq!(config.log, "info");
}

#[test]
fn default_database_is_sqlite_in_the_data_dir() {
    let config = Config::default();
    assert_eq!(
        config.database_url(),
        "sqlite://./keyhaven-data/keyhaven.db?mode=rwc"
    );
    assert_eq!(config.outbox_dir(), PathBuf::from("./keyhaven-data/outbox"));

    let config = load(
        None,
        &env(&[("KEYHAVEN_DATA_DIR", "/srv/kh")]),
        ConfigOverrides::default(),
    )
    .unwrap();
    assert_eq!(
        config.database_url(),
        "sqlite:///srv/kh/keyhaven.db?mode=rwc"
    );
    assert_eq!(config.outbox_dir(), PathBuf::from("/srv/kh/outbox"));
}

#[test]
fn a_given_database_url_is_used_as_is() {
    let config = load(
        None,
        &env(&[("KEYHAVEN_DATABASE", "postgres://kh@db:5432/keyhaven")]),
        ConfigOverrides::default(),
    )
    .unwrap();
    assert_eq!(config.database_url(), "postgres://kh@db:5432/keyhaven");
}

#[test]
fn default_toml_parses_back_to_the_defaults() {
    let (_dir, path) = config_file(&default_toml());
    let config = load(Some(&path), &no_env(), ConfigOverrides::default()).unwrap();
    assert_eq!(config, Config::default());
}

#[test]
fn default_toml_mentions_every_key_and_variable() {
    let text = default_toml();
    for key in [
        "listen = ",
        "data_dir = ",
        "# database = ",
        "# smtp_url = ",
        "public_url = ",
        "mail_from = ",
        "temporary_key_days = ",
        "validation_interval_days = ",
        "max_body_bytes = ",
        "log = ",
        "trusted_proxies = ",
        "signup = ",
        "signup_domains = ",
        "max_workspaces_per_account = ",
        "max_items_per_workspace = ",
        "max_devices_per_workspace = ",
        "max_members_per_workspace = ",
    ] {
        assert!(text.contains(key), "default_toml() lacks {key:?}");
    }
    for var in [
        "KEYHAVEN_LISTEN",
        "KEYHAVEN_DATA_DIR",
        "KEYHAVEN_DATABASE",
        "KEYHAVEN_SMTP_URL",
        "KEYHAVEN_PUBLIC_URL",
        "KEYHAVEN_MAIL_FROM",
        "KEYHAVEN_TEMPORARY_KEY_DAYS",
        "KEYHAVEN_VALIDATION_INTERVAL_DAYS",
        "KEYHAVEN_MAX_BODY_BYTES",
        "KEYHAVEN_LOG",
        "KEYHAVEN_TRUSTED_PROXIES",
        "KEYHAVEN_SIGNUP",
        "KEYHAVEN_SIGNUP_DOMAINS",
        "KEYHAVEN_MAX_WORKSPACES_PER_ACCOUNT",
        "KEYHAVEN_MAX_ITEMS_PER_WORKSPACE",
        "KEYHAVEN_MAX_DEVICES_PER_WORKSPACE",
        "KEYHAVEN_MAX_MEMBERS_PER_WORKSPACE",
    ] {
        assert!(text.contains(var), "default_toml() lacks {var}");
    }
}

// --- Precedence -----------------------------------------------------------------------------

#[test]
fn file_overrides_defaults() {
    let (_dir, path) = config_file(FULL_FILE);
    let config = load(Some(&path), &no_env(), ConfigOverrides::default()).unwrap();
    assert_eq!(config.listen, addr("0.0.0.0:9000"));
    assert_eq!(config.data_dir, PathBuf::from("/var/lib/keyhaven"));
    assert_eq!(config.database.as_deref(), Some("postgres://kh@db/file"));
    assert_eq!(config.smtp_url.as_deref(), Some("smtp://relay.file:2525"));
    assert_eq!(config.public_url, "https://file.example");
    assert_eq!(config.mail_from, "Vault <vault@file.example>");
    assert_eq!(config.temporary_key_days, 7);
    assert_eq!(config.validation_interval_days, 90);
    assert_eq!(config.max_body_bytes, 2048);
    assert_eq!(config.log, "debug");
}

#[test]
fn environment_overrides_the_file() {
    let (_dir, path) = config_file(FULL_FILE);
    let environment = env(&[
        ("KEYHAVEN_LISTEN", "[::1]:9100"),
        ("KEYHAVEN_DATA_DIR", "/env/data"),
        ("KEYHAVEN_DATABASE", "postgresql://kh@db/env"),
        ("KEYHAVEN_SMTP_URL", "smtp://relay.env"),
        ("KEYHAVEN_PUBLIC_URL", "https://env.example/vault"),
        ("KEYHAVEN_MAIL_FROM", "env@env.example"),
        ("KEYHAVEN_TEMPORARY_KEY_DAYS", "14"),
        ("KEYHAVEN_VALIDATION_INTERVAL_DAYS", "365"),
        ("KEYHAVEN_MAX_BODY_BYTES", "4096"),
        ("KEYHAVEN_LOG", "warn"),
    ]);
    let config = load(Some(&path), &environment, ConfigOverrides::default()).unwrap();
    assert_eq!(config.listen, addr("[::1]:9100"));
    assert_eq!(config.data_dir, PathBuf::from("/env/data"));
    assert_eq!(config.database.as_deref(), Some("postgresql://kh@db/env"));
    assert_eq!(config.smtp_url.as_deref(), Some("smtp://relay.env"));
    assert_eq!(config.public_url, "https://env.example/vault");
    assert_eq!(config.mail_from, "env@env.example");
    assert_eq!(config.temporary_key_days, 14);
    assert_eq!(config.validation_interval_days, 365);
    assert_eq!(config.max_body_bytes, 4096);
    assert_eq!(config.log, "warn");
}

#[test]
fn environment_overrides_defaults_without_a_file() {
    let config = load(
        None,
        &env(&[("KEYHAVEN_TEMPORARY_KEY_DAYS", "3")]),
        ConfigOverrides::default(),
    )
    .unwrap();
    assert_eq!(config.temporary_key_days, 3);
    assert_eq!(
        config,
        Config {
            temporary_key_days: 3,
            ..Config::default()
        }
    );
}

#[test]
fn flags_override_the_environment_and_the_file() {
    let (_dir, path) = config_file(FULL_FILE);
    let environment = env(&[
        ("KEYHAVEN_LISTEN", "[::1]:9100"),
        ("KEYHAVEN_DATA_DIR", "/env/data"),
        ("KEYHAVEN_DATABASE", "postgresql://kh@db/env"),
        ("KEYHAVEN_SMTP_URL", "smtp://relay.env"),
        ("KEYHAVEN_PUBLIC_URL", "https://env.example"),
    ]);
    let flags = ConfigOverrides {
        listen: Some(addr("127.0.0.2:9200")),
        data_dir: Some(PathBuf::from("/flag/data")),
        database: Some("sqlite:///flag/kh.db?mode=rwc".to_owned()),
        smtp_url: Some("smtp://relay.flag:26".to_owned()),
        public_url: Some("http://flag.example:8080/".to_owned()),
        tls_cert: Some(PathBuf::from("/flag/cert.pem")),
        tls_key: Some(PathBuf::from("/flag/key.pem")),
        metrics_listen: Some(addr("127.0.0.1:9300")),
    };
    let config = load(Some(&path), &environment, flags).unwrap();
    assert_eq!(config.tls_cert, Some(PathBuf::from("/flag/cert.pem")));
    assert_eq!(config.tls_key, Some(PathBuf::from("/flag/key.pem")));
    assert_eq!(config.metrics_listen, Some(addr("127.0.0.1:9300")));
    assert_eq!(config.listen, addr("127.0.0.2:9200"));
    assert_eq!(config.data_dir, PathBuf::from("/flag/data"));
    assert_eq!(config.database_url(), "sqlite:///flag/kh.db?mode=rwc");
    assert_eq!(config.smtp_url.as_deref(), Some("smtp://relay.flag:26"));
    assert_eq!(config.public_url, "http://flag.example:8080");
    // Keys without a flag keep the file's values.
    assert_eq!(config.temporary_key_days, 7);
    assert_eq!(config.log, "debug");
}

#[test]
fn each_layer_overrides_only_what_it_sets() {
    let (_dir, path) = config_file("listen = \"0.0.0.0:9000\"\nlog = \"debug\"\n");
    let environment = env(&[("KEYHAVEN_LOG", "trace"), ("KEYHAVEN_MAX_BODY_BYTES", "10")]);
    let flags = ConfigOverrides {
        public_url: Some("https://flag.example".to_owned()),
        ..ConfigOverrides::default()
    };
    let config = load(Some(&path), &environment, flags).unwrap();
    assert_eq!(
        config,
        Config {
            listen: addr("0.0.0.0:9000"),                  // file
            log: "trace".to_owned(),                       // env over file
            max_body_bytes: 10,                            // env over default
            public_url: "https://flag.example".to_owned(), // flag over default
            ..Config::default()
        }
    );
}

#[test]
fn empty_environment_variables_count_as_unset() {
    let (_dir, path) = config_file("smtp_url = \"smtp://relay.file\"\nlog = \"debug\"\n");
    let environment = env(&[("KEYHAVEN_SMTP_URL", ""), ("KEYHAVEN_LOG", "")]);
    let config = load(Some(&path), &environment, ConfigOverrides::default()).unwrap();
    assert_eq!(config.smtp_url.as_deref(), Some("smtp://relay.file"));
    assert_eq!(config.log, "debug");
}

#[test]
fn public_url_loses_its_trailing_slashes() {
    for (given, kept) in [
        ("https://vault.example/", "https://vault.example"),
        ("https://vault.example//", "https://vault.example"),
        (
            "http://10.0.0.1:8200/keyhaven/",
            "http://10.0.0.1:8200/keyhaven",
        ),
        ("http://localhost:8200", "http://localhost:8200"),
    ] {
        let flags = ConfigOverrides {
            public_url: Some(given.to_owned()),
            ..ConfigOverrides::default()
        };
        assert_eq!(load(None, &no_env(), flags).unwrap().public_url, kept);
    }
}

// --- Errors ---------------------------------------------------------------------------------

/// Asserts `result` is `Invalid` for `key` from `origin`, and returns its message.
fn expect_invalid(result: Result<Config, ConfigError>, key: &str, origin: Origin) -> String {
    match result {
        Err(error @ ConfigError::Invalid { .. }) => {
            let ConfigError::Invalid {
                key: found_key,
                origin: found_origin,
                ..
            } = &error
            else {
                unreachable!()
            };
            assert_eq!(*found_key, key, "{error}");
            assert_eq!(*found_origin, origin, "{error}");
            let message = error.to_string();
            assert!(message.contains(key), "{message}");
            message
        }
        other => panic!("expected Invalid for {key}, got {other:?}"),
    }
}

#[test]
fn unknown_file_key_is_named() {
    let (_dir, path) = config_file("listen = \"127.0.0.1:1\"\nlisten_adress = \"x\"\n");
    let error = load(Some(&path), &no_env(), ConfigOverrides::default()).unwrap_err();
    assert!(
        matches!(&error, ConfigError::UnknownKey { key, path: p } if key == "listen_adress" && p == &path),
        "{error:?}"
    );
    assert!(error.to_string().contains("`listen_adress`"), "{error}");
}

#[test]
fn nested_tables_are_unknown_keys_too() {
    let (_dir, path) = config_file("[server]\nlisten = \"127.0.0.1:1\"\n");
    let error = load(Some(&path), &no_env(), ConfigOverrides::default()).unwrap_err();
    assert!(
        matches!(&error, ConfigError::UnknownKey { key, .. } if key == "server"),
        "{error:?}"
    );
}

#[test]
fn bad_file_values_name_the_key_and_the_file() {
    for (text, key) in [
        ("listen = \"localhost\"", "listen"),
        ("listen = 8200", "listen"),
        ("temporary_key_days = \"30\"", "temporary_key_days"),
        ("temporary_key_days = 0", "temporary_key_days"),
        ("validation_interval_days = -1", "validation_interval_days"),
        (
            "validation_interval_days = 4294967296",
            "validation_interval_days",
        ),
        ("max_body_bytes = 1.5", "max_body_bytes"),
        ("public_url = \"vault.example\"", "public_url"),
        ("smtp_url = \"smtps://relay:465?tls=none\"", "smtp_url"),
        ("database = \"mysql://db\"", "database"),
        ("mail_from = \"nobody\"", "mail_from"),
        ("log = \"\"", "log"),
        ("data_dir = \"\"", "data_dir"),
    ] {
        let (_dir, path) = config_file(text);
        let result = load(Some(&path), &no_env(), ConfigOverrides::default());
        let message = expect_invalid(result, key, Origin::File(path.clone()));
        assert!(message.contains("keyhaven.toml"), "{message}");
    }
}

#[test]
fn bad_environment_values_name_the_variable() {
    for (var, value, key) in [
        ("KEYHAVEN_LISTEN", "127.0.0.1", "listen"),
        ("KEYHAVEN_DATABASE", "redis://x", "database"),
        ("KEYHAVEN_SMTP_URL", "relay:25", "smtp_url"),
        ("KEYHAVEN_PUBLIC_URL", "ftp://x", "public_url"),
        ("KEYHAVEN_MAIL_FROM", "@", "mail_from"),
        (
            "KEYHAVEN_TEMPORARY_KEY_DAYS",
            "thirty",
            "temporary_key_days",
        ),
        (
            "KEYHAVEN_VALIDATION_INTERVAL_DAYS",
            "0",
            "validation_interval_days",
        ),
        ("KEYHAVEN_MAX_BODY_BYTES", "-5", "max_body_bytes"),
        ("KEYHAVEN_LOG", "  ", "log"),
    ] {
        let result = load(None, &env(&[(var, value)]), ConfigOverrides::default());
        let message = expect_invalid(result, key, Origin::Env(var));
        assert!(message.contains(var), "{message}");
    }
}

#[test]
fn bad_flag_values_name_the_flag() {
    let cases: [(ConfigOverrides, &str, &str); 4] = [
        (
            ConfigOverrides {
                data_dir: Some(PathBuf::new()),
                ..ConfigOverrides::default()
            },
            "data_dir",
            "--data-dir",
        ),
        (
            ConfigOverrides {
                database: Some("postgress://kh@db/kh".to_owned()),
                ..ConfigOverrides::default()
            },
            "database",
            "--database",
        ),
        (
            ConfigOverrides {
                smtp_url: Some("smtp://relay:0".to_owned()),
                ..ConfigOverrides::default()
            },
            "smtp_url",
            "--smtp-url",
        ),
        (
            ConfigOverrides {
                public_url: Some("https://".to_owned()),
                ..ConfigOverrides::default()
            },
            "public_url",
            "--public-url",
        ),
    ];
    for (flags, key, flag) in cases {
        let message = expect_invalid(load(None, &no_env(), flags), key, Origin::Flag(flag));
        assert!(message.contains(flag), "{message}");
    }
}

#[test]
fn a_bad_lower_layer_value_fails_even_if_a_higher_layer_overrides_it() {
    // Every layer is validated as it is applied: a typo in the file is reported even when the
    // environment happens to hide it today, so it cannot surface later by surprise.
    let (_dir, path) = config_file("listen = \"nonsense\"");
    let result = load(
        Some(&path),
        &env(&[("KEYHAVEN_LISTEN", "127.0.0.1:1")]),
        ConfigOverrides::default(),
    );
    expect_invalid(result, "listen", Origin::File(path.clone()));
}

#[test]
fn public_url_must_be_a_plain_http_base() {
    for bad in [
        "vault.example",
        "ftp://vault.example",
        "http://",
        "https:///path",
        "https://vault.example/?x=1",
        "https://vault.example/#top",
        "https://vault example",
    ] {
        let result = load(
            None,
            &env(&[("KEYHAVEN_PUBLIC_URL", bad)]),
            ConfigOverrides::default(),
        );
        expect_invalid(result, "public_url", Origin::Env("KEYHAVEN_PUBLIC_URL"));
    }
}

#[test]
fn missing_file_is_a_read_error() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("missing.toml");
    let error = load(Some(&path), &no_env(), ConfigOverrides::default()).unwrap_err();
    assert!(
        matches!(&error, ConfigError::ReadFile { path: p, .. } if p == &path),
        "{error:?}"
    );
}

#[test]
fn syntax_errors_give_a_position_but_not_the_line() {
    let (_dir, path) =
        config_file("listen = \"127.0.0.1:8200\"\ndatabase = \"postgres://kh:hunter2@db/kh\n");
    let error = load(Some(&path), &no_env(), ConfigOverrides::default()).unwrap_err();
    let ConfigError::ParseFile { line, .. } = &error else {
        panic!("expected ParseFile, got {error:?}");
    };
    assert_eq!(*line, 2, "{error}");
    assert!(!error.to_string().contains("hunter2"), "{error}");
    assert!(!format!("{error:?}").contains("hunter2"), "{error:?}");
}

#[test]
fn passwords_in_urls_stay_out_of_errors_and_debug() {
    let result = load(
        None,
        &env(&[("KEYHAVEN_DATABASE", "postgress://kh:hunter2@db/kh")]),
        ConfigOverrides::default(),
    );
    let message = expect_invalid(result, "database", Origin::Env("KEYHAVEN_DATABASE"));
    assert!(!message.contains("hunter2"), "{message}");

    let result = load(
        None,
        &env(&[("KEYHAVEN_SMTP_URL", "smtp://kh:hunter2@relay:25")]),
        ConfigOverrides::default(),
    );
    let message = expect_invalid(result, "smtp_url", Origin::Env("KEYHAVEN_SMTP_URL"));
    assert!(!message.contains("hunter2"), "{message}");

    let flags = ConfigOverrides {
        database: Some("postgres://kh:hunter2@db/kh".to_owned()),
        ..ConfigOverrides::default()
    };
    assert!(!format!("{flags:?}").contains("hunter2"));
    let config = load(None, &no_env(), flags).unwrap();
    let shown = format!("{config:?}");
    assert!(!shown.contains("hunter2"), "{shown}");
    assert!(shown.contains("postgres://kh:***@db/kh"), "{shown}");
}

#[cfg(unix)]
#[test]
fn data_dir_must_be_utf8_for_the_default_sqlite_url() {
    use std::ffi::OsStr;
    use std::os::unix::ffi::OsStrExt as _;

    let not_utf8 = PathBuf::from(OsStr::from_bytes(b"/srv/\xff"));
    let flags = ConfigOverrides {
        data_dir: Some(not_utf8.clone()),
        ..ConfigOverrides::default()
    };
    expect_invalid(
        load(None, &no_env(), flags),
        "data_dir",
        Origin::Flag("--data-dir"),
    );

    // With an explicit database the data folder is only used for the outbox: allowed.
    let flags = ConfigOverrides {
        data_dir: Some(not_utf8.clone()),
        database: Some("sqlite:///srv/kh.db".to_owned()),
        ..ConfigOverrides::default()
    };
    let config = load(None, &no_env(), flags).unwrap();
    assert_eq!(config.outbox_dir(), not_utf8.join("outbox"));
}

#[test]
fn tls_cert_and_key_go_together() {
    let error = load(
        None,
        &env(&[("KEYHAVEN_TLS_CERT", "/etc/cert.pem")]),
        Default::default(),
    )
    .unwrap_err()
    .to_string();
    assert!(
        error.contains("`tls_cert` and `tls_key` go together"),
        "{error}"
    );
    let config = load(
        None,
        &env(&[
            ("KEYHAVEN_TLS_CERT", "/etc/cert.pem"),
            ("KEYHAVEN_TLS_KEY", "/etc/key.pem"),
        ]),
        Default::default(),
    )
    .unwrap();
    assert_eq!(config.tls_key, Some(PathBuf::from("/etc/key.pem")));
}

#[test]
fn the_smtp_password_comes_from_a_file_or_the_environment_never_the_url() {
    let user_url = "smtp://me%40example.com@relay.example.com:587?tls=required";
    let error = load(
        None,
        &env(&[("KEYHAVEN_SMTP_URL", user_url)]),
        Default::default(),
    )
    .unwrap_err()
    .to_string();
    assert!(error.contains("smtp_password_file"), "{error}");

    let config = load(
        None,
        &env(&[
            ("KEYHAVEN_SMTP_URL", user_url),
            ("KEYHAVEN_SMTP_PASSWORD", "from-env"),
        ]),
        Default::default(),
    )
    .unwrap();
    assert_eq!(
        config.smtp_password.as_ref().map(|p| p.as_str()),
        Some("from-env")
    );
    assert!(
        !format!("{config:?}").contains("from-env"),
        "Debug shows no password"
    );

    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("smtp-password");
    std::fs::write(&file, "from-file\n").unwrap();
    let config = load(
        None,
        &env(&[
            ("KEYHAVEN_SMTP_URL", user_url),
            ("KEYHAVEN_SMTP_PASSWORD_FILE", file.to_str().unwrap()),
            ("KEYHAVEN_SMTP_PASSWORD", "from-env"),
        ]),
        Default::default(),
    )
    .unwrap();
    assert_eq!(
        config.smtp_password.as_ref().map(|p| p.as_str()),
        Some("from-file"),
        "the file wins, without its line end"
    );

    let error = load(
        None,
        &env(&[("KEYHAVEN_SMTP_URL", "smtps://me:hunter2@relay.example.com")]),
        Default::default(),
    )
    .unwrap_err()
    .to_string();
    assert!(error.contains("password in the URL is refused"), "{error}");
    assert!(!error.contains("hunter2"), "{error}");
}
