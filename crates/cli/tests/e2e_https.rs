//! The real `keyhaven` binary on HTTPS with a certificate from a CA made in the test, mail out
//! over STARTTLS with AUTH to a real SMTP sink, and the client's transport rules: signup,
//! login, workspace, secrets and device escrow over TLS; certificate errors in words; a
//! certificate renewed on disk taken up on SIGHUP; plain HTTP to another machine refused;
//! HTTP/2 and the security headers; metrics without addresses or emails.

mod support;

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use keyhaven_testkit::pki::{Leaf, TestCa};
use keyhaven_testkit::smtp_sink::{ReceivedMail, SinkOptions, SinkTls, SmtpSink};
use support::{Db, Options, PASSWORD, Server, User, ok, run, stderr};

const RELAY_USER: &str = "keyhaven@relay.test";
const RELAY_PASSWORD: &str = "relay-password-7f3a";
const KEY_A: &str = "236808-089419-192665-495704-618299-073414-538373-542366";
const ID_A: &str = "AC9D5655-F7CA-4D1D-902F-1B6087118138";

/// The relay the server sends through, on a runtime of its own for the whole test.
struct Relay {
    runtime: tokio::runtime::Runtime,
    sink: SmtpSink,
}

impl Relay {
    fn start(leaf: &Leaf) -> Relay {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()
            .unwrap();
        let sink = runtime
            .block_on(SmtpSink::start_with(SinkOptions {
                tls: SinkTls::StartTls {
                    config: leaf.server_config(),
                    required: true,
                },
                auth: Some((RELAY_USER.to_owned(), RELAY_PASSWORD.to_owned())),
            }))
            .unwrap();
        Relay { runtime, sink }
    }

    /// The newest message to `to` containing `needle`, waiting for it.
    fn mail(&self, to: &str, needle: &str) -> ReceivedMail {
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            let found = self
                .sink
                .messages()
                .into_iter()
                .rev()
                .find(|m| m.to.iter().any(|t| t == to) && m.data.contains(needle));
            if let Some(mail) = found {
                return mail;
            }
            assert!(Instant::now() < deadline, "no mail to {to} with {needle:?}");
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

/// Files of one test: the CA, the server's certificate and key, the relay password.
struct Files {
    dir: tempfile::TempDir,
    ca: PathBuf,
    cert: PathBuf,
    key: PathBuf,
}

impl Files {
    fn new(ca: &TestCa, leaf: &Leaf) -> Files {
        let dir = tempfile::tempdir().unwrap();
        let ca_path = dir.path().join("ca.pem");
        std::fs::write(&ca_path, ca.pem()).unwrap();
        let (cert, key) = leaf.write(dir.path());
        Files {
            dir,
            ca: ca_path,
            cert,
            key,
        }
    }

    /// Replaces the server's certificate files in place, as certbot does.
    fn renew(&self, leaf: &Leaf) {
        let staged = self.dir.path().join("staged");
        std::fs::create_dir_all(&staged).unwrap();
        let (cert, key) = leaf.write(&staged);
        std::fs::rename(cert, &self.cert).unwrap();
        std::fs::rename(key, &self.key).unwrap();
    }
}

fn https_server(files: &Files, relay: &Relay, extra: &[&str]) -> Server {
    let password_file = files.dir.path().join("smtp-password");
    std::fs::write(&password_file, format!("{RELAY_PASSWORD}\n")).unwrap();
    let mut args = vec![
        "--tls-cert".to_owned(),
        path(&files.cert),
        "--tls-key".to_owned(),
        path(&files.key),
    ];
    args.extend(extra.iter().map(|a| (*a).to_owned()));
    Server::start_with(
        Db::Sqlite,
        Options {
            args,
            env: vec![
                (
                    "KEYHAVEN_SMTP_URL".into(),
                    format!(
                        "smtp://keyhaven%40relay.test@127.0.0.1:{}?tls=required",
                        relay.sink.addr().port()
                    ),
                ),
                ("KEYHAVEN_SMTP_PASSWORD_FILE".into(), path(&password_file)),
                ("KEYHAVEN_SMTP_CA_CERT".into(), path(&files.ca)),
            ],
        },
    )
}

fn path(p: &Path) -> String {
    p.to_str().unwrap().to_owned()
}

fn code_in(mail: &ReceivedMail, marker: &str) -> String {
    let at = mail.data.find(marker).expect("a code") + marker.len();
    mail.data[at..at + 8].to_owned()
}

#[test]
fn the_whole_story_runs_over_https_with_mail_over_starttls() {
    let ca = TestCa::new("Keyhaven e2e CA");
    let leaf = ca.leaf(&["localhost", "127.0.0.1"]);
    let files = Files::new(&ca, &leaf);
    let relay = Relay::start(&leaf);
    let server = https_server(&files, &relay, &["--metrics-listen", "127.0.0.1:0"]);
    assert!(
        server.url.starts_with("https://127.0.0.1:"),
        "{}",
        server.url
    );

    // Sign up: --server and --ca-cert once; both are remembered for this KEYHAVEN_HOME.
    let alice = User::new(&server);
    let ca_flag = path(&files.ca);
    ok(
        &alice,
        &[
            "signup",
            "--server",
            &server.url,
            "--ca-cert",
            &ca_flag,
            "--email",
            "alice@example.com",
        ],
    );
    let mail = relay.mail("alice@example.com", "verification code is ");
    assert!(mail.tls, "the code went to the relay over TLS");
    assert_eq!(mail.user.as_deref(), Some(RELAY_USER), "after AUTH");
    let code = code_in(&mail, "verification code is ");
    let out = run(
        &alice,
        &["signup", "--email", "alice@example.com", "--code", &code],
        &[("KEYHAVEN_PASSWORD", PASSWORD)],
        "",
    );
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let out = run(
        &alice,
        &["login", "--email", "alice@example.com"],
        &[("KEYHAVEN_PASSWORD", PASSWORD)],
        "",
    );
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));

    // Workspace (its welcome mail with the temporary key goes out over TLS too), secrets,
    // device escrow.
    ok(&alice, &["workspace", "create", "Acme"]);
    let welcome = relay.mail("alice@example.com", "temporary recovery key");
    assert!(welcome.tls);
    let out = run(&alice, &["secret", "add", "payroll"], &[], "hunter2\n");
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let out = ok(&alice, &["secret", "get", "payroll", "--json"]);
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["fields"]["password"], "hunter2");
    let out = run(
        &alice,
        &[
            "device",
            "add",
            "--device",
            "LAPTOP-7",
            "--kind",
            "bitlocker",
            "--key-id",
            ID_A,
        ],
        &[("KEYHAVEN_DEVICE_KEY", KEY_A)],
        "",
    );
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let out = ok(
        &alice,
        &["device", "reveal", "ac9d5655", "--reason", "helpdesk call"],
    );
    assert!(out.contains(KEY_A), "{out}");

    // Metrics: on their own listener, counting what happened, naming no one.
    let metrics_url = server
        .banner
        .iter()
        .find_map(|l| l.strip_prefix("metrics on "))
        .expect("the metrics address is printed")
        .to_owned();
    let text = http_get_text(&metrics_url);
    for line in [
        "keyhaven_sign_ins_total 1",
        "keyhaven_reveals_total 1",
        "keyhaven_codes_sent_total{purpose=\"signup\"} 1",
    ] {
        assert!(text.lines().any(|l| l == line), "{line:?} in\n{text}");
    }
    assert!(
        text.contains("route=\"/v1/workspaces/{id}/items/{item}\"")
            || text.contains("route=\"/v1/workspaces/{id}/items\""),
        "routes are templates:\n{text}"
    );
    assert!(!text.contains("alice"), "no email in metrics");
    assert!(!text.contains("127.0.0.1"), "no address in metrics");
}

#[test]
fn certificate_problems_are_named_and_a_renewal_is_taken_up_on_sighup() {
    let ca = TestCa::new("Keyhaven e2e CA");
    let leaf = ca.leaf(&["localhost", "127.0.0.1"]);
    let files = Files::new(&ca, &leaf);
    let relay = Relay::start(&leaf);
    let server = https_server(&files, &relay, &[]);
    let ca_flag = path(&files.ca);
    let health = |user: &User, with_ca: bool| {
        let mut args = vec!["login", "--server", &server.url, "--email", "x@example.com"];
        if with_ca {
            args.extend(["--ca-cert", &ca_flag]);
        }
        run(user, &args, &[("KEYHAVEN_PASSWORD", "wrong password")], "")
    };

    // Unknown issuer without --ca-cert: the message says what failed and how to fix it.
    let user = User::new(&server);
    let out = health(&user, false);
    assert_eq!(out.status.code(), Some(1));
    let error = stderr(&out);
    assert!(
        error.contains("issued by an authority this machine does not trust")
            && error.contains("--ca-cert"),
        "{error}"
    );
    // With the CA the connection works (the sign-in itself is refused: no such account).
    let out = health(&user, true);
    assert!(
        stderr(&out).contains("incorrect email or password"),
        "{}",
        stderr(&out)
    );

    // The certificate on disk expires; SIGHUP makes the server serve it; the client says so.
    files.renew(&ca.expired_leaf(&["localhost", "127.0.0.1"]));
    sighup(&server);
    let error = wait_for_error(|| stderr(&health(&user, true)), "has expired");
    assert!(error.contains("certificate check failed"), "{error}");

    // A certificate for another name.
    files.renew(&ca.leaf(&["vault.example.com"]));
    sighup(&server);
    let error = wait_for_error(|| stderr(&health(&user, true)), "not valid for");
    assert!(error.contains("vault.example.com"), "{error}");

    // A broken file is not taken up: the last good certificate stays in use.
    std::fs::write(&files.key, "not a key").unwrap();
    sighup(&server);
    std::thread::sleep(Duration::from_millis(500));
    let error = stderr(&health(&user, true));
    assert!(
        error.contains("not valid for"),
        "still the previous one: {error}"
    );

    // The renewal arrives; taken up without SIGHUP too (the files are watched).
    files.renew(&ca.leaf(&["localhost", "127.0.0.1"]));
    wait_for_error(
        || stderr(&health(&user, true)),
        "incorrect email or password",
    );
}

#[test]
fn plain_http_to_another_machine_is_refused_before_anything_is_sent() {
    let user = User {
        home: tempfile::tempdir().unwrap(),
        server: String::new(),
    };
    let started = Instant::now();
    let out = run(
        &user,
        &[
            "login",
            "--server",
            "http://192.0.2.10:8200",
            "--email",
            "a@example.com",
        ],
        &[("KEYHAVEN_PASSWORD", PASSWORD)],
        "",
    );
    assert_eq!(out.status.code(), Some(1));
    let error = stderr(&out);
    assert!(
        error.contains("refusing plain http:// to 192.0.2.10"),
        "{error}"
    );
    assert!(
        error.contains("https://192.0.2.10:8200"),
        "the hint shows the fix: {error}"
    );
    // 192.0.2.0/24 is TEST-NET: a connection attempt would hang until the timeout.
    assert!(
        started.elapsed() < Duration::from_secs(20),
        "no connection was tried"
    );

    // The server refuses a plain http:// public URL on a listener other machines can reach.
    let data = support::private_dir();
    let out = std::process::Command::new(support::BIN)
        .args([
            "server",
            "--listen",
            "0.0.0.0:0",
            "--public-url",
            "http://vault.example.com",
            "--data-dir",
        ])
        .arg(data.path())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr(&out).contains("--tls-cert") && stderr(&out).contains("--dangerous-allow-http"),
        "{}",
        stderr(&out)
    );
    assert!(
        !data.path().join("keyhaven.db").exists(),
        "nothing is created before the check"
    );
}

#[test]
fn https_speaks_http2_and_sends_the_security_headers() {
    let ca = TestCa::new("Keyhaven e2e CA");
    let leaf = ca.leaf(&["localhost", "127.0.0.1"]);
    let files = Files::new(&ca, &leaf);
    let relay = Relay::start(&leaf);
    let server = https_server(&files, &relay, &[]);
    keyhaven_client::install_crypto_provider();
    let client = reqwest::Client::builder()
        .tls_certs_only([reqwest::Certificate::from_pem(ca.pem().as_bytes()).unwrap()])
        .build()
        .unwrap();
    relay.runtime.block_on(async {
        for path in ["/healthz", "/readyz", "/no/such/route"] {
            let response = client
                .get(format!("{}{path}", server.url))
                .send()
                .await
                .unwrap();
            assert_eq!(response.version(), reqwest::Version::HTTP_2, "{path}");
            let headers = response.headers();
            let header = |name: &str| {
                headers
                    .get(name)
                    .and_then(|v| v.to_str().ok())
                    .unwrap_or_default()
                    .to_owned()
            };
            assert_eq!(
                header("strict-transport-security"),
                "max-age=31536000",
                "{path}"
            );
            assert_eq!(header("x-content-type-options"), "nosniff", "{path}");
            assert_eq!(header("x-frame-options"), "DENY", "{path}");
            assert_eq!(header("cache-control"), "no-store", "{path}");
            assert!(header("content-security-policy").contains("frame-ancestors 'none'"));
            let status = response.status().as_u16();
            let body = response.text().await.unwrap();
            match path {
                "/healthz" => assert_eq!((status, body.as_str()), (200, "{\"status\":\"ok\"}")),
                "/readyz" => assert_eq!((status, body.as_str()), (200, "{\"status\":\"ready\"}")),
                _ => assert_eq!(status, 404),
            }
        }
    });
}

fn sighup(server: &Server) {
    let status = std::process::Command::new("kill")
        .args(["-HUP", &server.pid().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
}

/// Retries `attempt` until its output contains `needle` (a reload takes a moment).
fn wait_for_error(attempt: impl Fn() -> String, needle: &str) -> String {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let text = attempt();
        if text.contains(needle) {
            return text;
        }
        assert!(
            Instant::now() < deadline,
            "never saw {needle:?}; last: {text}"
        );
        std::thread::sleep(Duration::from_millis(200));
    }
}

/// A plain GET on this machine (the metrics listener), with a std TCP stream.
fn http_get_text(url: &str) -> String {
    use std::io::{Read, Write};
    let rest = url.strip_prefix("http://").unwrap();
    let (host, path) = rest.split_once('/').unwrap();
    let mut stream = std::net::TcpStream::connect(host).unwrap();
    write!(
        stream,
        "GET /{path} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n"
    )
    .unwrap();
    let mut response = String::new();
    stream.read_to_string(&mut response).unwrap();
    assert!(response.starts_with("HTTP/1.1 200"), "{response}");
    response
}
