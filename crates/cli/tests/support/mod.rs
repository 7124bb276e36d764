//! Running the real `keyhaven` binary: a server on 127.0.0.1:0 and client commands against it.

#![allow(dead_code, reason = "each test binary uses a different part")]

use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

pub mod tamper;

pub const BIN: &str = env!("CARGO_BIN_EXE_keyhaven");

/// Which database the server under test uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Db {
    Sqlite,
    Postgres,
}

/// A running `keyhaven server`; stopped (SIGTERM, then waited for) on drop.
#[derive(Debug)]
pub struct Server {
    child: Child,
    pub url: String,
    pub data_dir: tempfile::TempDir,
    pg_database: Option<String>,
    options: Options,
    /// What the server printed before its "listening on" line (e.g. the metrics address).
    pub banner: Vec<String>,
}

/// Extra flags and environment for `keyhaven server`, kept across restarts.
#[derive(Debug, Clone, Default)]
pub struct Options {
    pub args: Vec<String>,
    pub env: Vec<(String, String)>,
}

/// A data directory as an operator prepares it: readable by the server's user only (the server
/// refuses one that others can read).
pub fn private_dir() -> tempfile::TempDir {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o700)).unwrap();
    dir
}

impl Server {
    pub fn start(db: Db) -> Self {
        Self::start_with(db, Options::default())
    }

    /// A server with extra flags and environment.
    pub fn start_with(db: Db, options: Options) -> Self {
        let data_dir = private_dir();
        let pg_database = (db == Db::Postgres).then(|| {
            let name = format!("keyhaven_e2e_{}_{}", std::process::id(), nanos());
            psql(&format!("CREATE DATABASE {name}"));
            name
        });
        let (child, url, banner) = spawn(data_dir.path(), pg_database.as_deref(), 0, &options);
        Self {
            child,
            url,
            data_dir,
            pg_database,
            options,
            banner,
        }
    }

    /// A SQLite server on an existing data directory (a restored backup).
    pub fn start_on(data_dir: tempfile::TempDir) -> Self {
        let options = Options::default();
        let (child, url, banner) = spawn(data_dir.path(), None, 0, &options);
        Self {
            child,
            url,
            data_dir,
            pg_database: None,
            options,
            banner,
        }
    }

    /// A server on an existing PostgreSQL database (a restored dump); it is dropped with it.
    pub fn start_on_postgres(name: &str) -> Self {
        let data_dir = private_dir();
        let options = Options::default();
        let (child, url, banner) = spawn(data_dir.path(), Some(name), 0, &options);
        Self {
            child,
            url,
            data_dir,
            pg_database: Some(name.to_owned()),
            options,
            banner,
        }
    }

    /// The PostgreSQL database's name, for a PostgreSQL server.
    pub fn pg_database(&self) -> Option<&str> {
        self.pg_database.as_deref()
    }

    /// The server's process id (to send it signals).
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// A second server process on the same PostgreSQL database (its own data directory, so its
    /// own outbox): several nodes behind a load balancer.
    pub fn second_node(&self) -> (Child, String, tempfile::TempDir) {
        let name = self
            .pg_database
            .as_deref()
            .expect("a second node shares a PostgreSQL database");
        let dir = private_dir();
        let (child, url, _) = spawn(dir.path(), Some(name), 0, &self.options);
        (child, url, dir)
    }

    /// Stops the server and starts it again on the same data, with its clock
    /// `offset_days` ahead (the binary must be built with the `test-clock` feature).
    pub fn restart(&mut self, offset_days: u64) {
        terminate(&mut self.child);
        let (child, url, banner) = spawn(
            self.data_dir.path(),
            self.pg_database.as_deref(),
            offset_days,
            &self.options,
        );
        self.child = child;
        self.url = url;
        self.banner = banner;
    }

    pub fn outbox(&self) -> PathBuf {
        self.data_dir.path().join("outbox")
    }

    /// Every message in the outbox, oldest first.
    pub fn mails(&self) -> Vec<String> {
        let mut files: Vec<_> = match std::fs::read_dir(self.outbox()) {
            Ok(dir) => dir
                .map(|e| e.unwrap().path())
                .filter(|p| p.extension().is_some_and(|e| e == "eml"))
                .collect(),
            Err(_) => Vec::new(),
        };
        files.sort();
        files
            .iter()
            .map(|p| std::fs::read_to_string(p).unwrap())
            .collect()
    }

    /// Waits for the n-th message (0-based) to appear.
    pub fn mail(&self, n: usize) -> String {
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            let mails = self.mails();
            if mails.len() > n {
                return mails[n].clone();
            }
            assert!(
                Instant::now() < deadline,
                "no mail #{n} in {}",
                self.outbox().display()
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// Runs one SQL statement directly on the server's database, behind its back (`sqlite3`
    /// on the SQLite file, `psql` on PostgreSQL): what an attacker with database access does.
    pub fn sql(&self, sql: &str) {
        let status = match &self.pg_database {
            Some(name) => Command::new("psql")
                .args([
                    "-h",
                    "127.0.0.1",
                    "-U",
                    "postgres",
                    "-d",
                    name,
                    "-q",
                    "-c",
                    sql,
                ])
                .status()
                .expect("psql runs (PostgreSQL client)"),
            None => Command::new("sqlite3")
                .args(["-cmd", ".timeout 10000"])
                .arg(self.data_dir.path().join("keyhaven.db"))
                .arg(sql)
                .status()
                .expect("sqlite3 runs (SQLite command-line shell)"),
        };
        assert!(status.success(), "SQL failed: {sql}");
    }

    /// Sends SIGTERM and returns the exit status (graceful shutdown).
    pub fn stop(mut self) -> std::process::ExitStatus {
        terminate(&mut self.child)
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        if self.child.try_wait().ok().flatten().is_none() {
            terminate(&mut self.child);
        }
        if let Some(name) = self.pg_database.take() {
            psql(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"));
        }
    }
}

/// Starts `keyhaven server` on 127.0.0.1:0 and waits for the address it prints.
fn spawn(
    data_dir: &Path,
    pg_database: Option<&str>,
    offset_days: u64,
    options: &Options,
) -> (Child, String, Vec<String>) {
    let mut cmd = Command::new(BIN);
    cmd.args([
        "server",
        "--listen",
        "127.0.0.1:0",
        "--public-url",
        "http://keyhaven.test",
    ])
    .arg("--data-dir")
    .arg(data_dir)
    .env_remove("KEYHAVEN_DATABASE")
    .env("KEYHAVEN_LOG", "warn")
    .env("KEYHAVEN_CLOCK_OFFSET_DAYS", offset_days.to_string())
    .args(&options.args)
    .envs(options.env.iter().map(|(k, v)| (k, v)))
    .stdout(Stdio::piped())
    .stderr(Stdio::inherit());
    if let Some(name) = pg_database {
        cmd.arg("--database")
            .arg(format!("postgres://postgres@127.0.0.1:5432/{name}"));
    }
    let mut child = cmd.spawn().unwrap();
    let stdout = child.stdout.take().unwrap();
    let mut lines = BufReader::new(stdout).lines();
    let mut banner = Vec::new();
    let url = loop {
        let line = lines
            .next()
            .expect("server exited before listening")
            .unwrap();
        if let Some(rest) = line.strip_prefix("keyhaven server listening on ") {
            break rest.trim().to_owned();
        }
        banner.push(line);
    };
    // Keep draining stdout so the server never blocks on a full pipe.
    std::thread::spawn(move || for _ in lines {});
    (child, url, banner)
}

fn terminate(child: &mut Child) -> std::process::ExitStatus {
    let _ = Command::new("kill")
        .arg("-TERM")
        .arg(child.id().to_string())
        .status();
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            return status;
        }
        if Instant::now() > deadline {
            child.kill().unwrap();
            return child.wait().unwrap();
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

fn nanos() -> u128 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos()
}

fn psql(sql: &str) {
    let status = Command::new("psql")
        .args([
            "-h",
            "127.0.0.1",
            "-U",
            "postgres",
            "-d",
            "postgres",
            "-q",
            "-c",
            sql,
        ])
        .status()
        .expect("psql runs (PostgreSQL client)");
    assert!(status.success(), "psql failed: {sql}");
}

/// A user of the CLI with their own KEYHAVEN_HOME.
#[derive(Debug)]
pub struct User {
    pub home: tempfile::TempDir,
    pub server: String,
}

impl User {
    pub fn new(server: &Server) -> Self {
        Self {
            home: tempfile::tempdir().unwrap(),
            server: server.url.clone(),
        }
    }

    /// Runs `keyhaven args…` with this user's home, optional password and stdin.
    pub fn run(&self, args: &[&str], password: Option<&str>) -> Output {
        let mut cmd = Command::new(BIN);
        cmd.args(args)
            .env("KEYHAVEN_HOME", self.home.path())
            .env_remove("KEYHAVEN_PASSWORD")
            .env_remove("KEYHAVEN_SERVER")
            .stdin(Stdio::null());
        if let Some(password) = password {
            cmd.env("KEYHAVEN_PASSWORD", password);
        }
        cmd.output().unwrap()
    }

    pub fn session_file(&self) -> PathBuf {
        self.home.path().join("session.json")
    }
}

pub fn stdout(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

pub fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// The 8-digit code in a verification email.
pub fn code_in(mail: &str) -> String {
    let at = mail
        .find("verification code is ")
        .expect("a verification email")
        + "verification code is ".len();
    mail[at..at + 8].to_owned()
}

/// The first recovery key (8 groups of 6 digits on a line of its own) in `text`: a welcome
/// email, a kit, or the output of `recovery-key generate`.
pub fn recovery_key_in(text: &str) -> String {
    text.lines()
        .map(str::trim)
        .find(|l| l.len() == 55 && l.split('-').count() == 8 && l.split('-').all(|g| g.len() == 6))
        .expect("a recovery key")
        .to_owned()
}

pub fn exists(path: &Path) -> bool {
    path.exists()
}

// Running commands as a user: shared by the end-to-end stories.

/// The password every test account uses.
pub const PASSWORD: &str = "correct horse battery staple";

/// `keyhaven args…` as `user`, with extra environment and `input` on stdin (never a terminal).
pub fn run(user: &User, args: &[&str], env: &[(&str, &str)], input: &str) -> Output {
    let mut child = Command::new(BIN)
        .args(args)
        .env("KEYHAVEN_HOME", user.home.path())
        .env("KEYHAVEN_SKIP_PROMPTS", "1")
        .env_remove("KEYHAVEN_PASSWORD")
        .env_remove("KEYHAVEN_NEW_PASSWORD")
        .env_remove("KEYHAVEN_RECOVERY_KEY")
        .envs(env.iter().copied())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(input.as_bytes())
        .unwrap();
    child.wait_with_output().unwrap()
}

/// Runs a command that must succeed; returns its stdout.
#[track_caller]
pub fn ok(user: &User, args: &[&str]) -> String {
    let out = run(user, args, &[], "");
    assert_eq!(out.status.code(), Some(0), "{args:?}: {}", stderr(&out));
    stdout(&out)
}

/// Runs a command that must fail; returns its stderr.
#[track_caller]
pub fn refused(user: &User, args: &[&str]) -> String {
    let out = run(user, args, &[], "");
    assert_eq!(out.status.code(), Some(1), "{args:?}: {}", stdout(&out));
    stderr(&out)
}

/// The newest mail to `to` that contains `needle`, waiting for it to arrive.
pub fn mail(server: &Server, to: &str, needle: &str) -> String {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let found = server
            .mails()
            .into_iter()
            .rev()
            .find(|m| m.contains(&format!("To: {to}")) && m.contains(needle));
        if let Some(m) = found {
            return m;
        }
        assert!(Instant::now() < deadline, "no mail to {to} with {needle:?}");
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// Signs `email` up and in; returns the user and the fingerprint login showed.
pub fn sign_up(server: &Server, email: &str) -> (User, String) {
    let user = User::new(server);
    let url = server.url.as_str();
    ok(&user, &["signup", "--server", url, "--email", email]);
    let code = code_in(&mail(server, email, "verification code is "));
    let out = run(
        &user,
        &["signup", "--server", url, "--email", email, "--code", &code],
        &[("KEYHAVEN_PASSWORD", PASSWORD)],
        "",
    );
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let fingerprint = log_in(server, &user, email, PASSWORD);
    (user, fingerprint)
}

/// Signs in; returns the fingerprint login showed.
pub fn log_in(server: &Server, user: &User, email: &str, password: &str) -> String {
    let out = run(
        user,
        &["login", "--server", &server.url, "--email", email],
        &[("KEYHAVEN_PASSWORD", password)],
        "",
    );
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    fingerprints(&stdout(&out))
        .pop()
        .expect("login shows a fingerprint")
}

/// Every key fingerprint (16 groups of 4 hex digits) in `text`, in order.
pub fn fingerprints(text: &str) -> Vec<String> {
    text.lines()
        .filter_map(|line| {
            let candidate = line.rsplit(':').next()?.trim();
            let groups: Vec<&str> = candidate.split(' ').collect();
            let shaped = groups.len() == 16
                && groups
                    .iter()
                    .all(|g| g.len() == 4 && g.chars().all(|c| c.is_ascii_hexdigit()));
            shaped.then(|| candidate.to_owned())
        })
        .collect()
}

/// Invites `email`, has them accept, and completes the add with `--yes`; checks that the
/// inviter was shown the fingerprint the invitee saw.
pub fn join(server: &Server, owner: &User, invitee: &User, email: &str, role: &str) {
    let out = ok(owner, &["member", "invite", email, "--role", role]);
    assert!(out.contains("Invited"), "{out}");
    // The mail names the workspace by id in its command; accept with what the mail says.
    let invitation = mail(server, email, "invited you");
    let at = invitation
        .find("keyhaven member accept ")
        .expect("the command in the invitation")
        + "keyhaven member accept ".len();
    let id = &invitation[at..at + 36];
    assert!(id.parse::<uuid::Uuid>().is_ok(), "{invitation}");
    let accepted = ok(invitee, &["member", "accept", id]);
    let seen = fingerprints(&accepted)
        .pop()
        .expect("accept shows a fingerprint");
    let out = run(owner, &["member", "invite", email, "--yes"], &[], "");
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(stdout(&out).contains(&seen), "{}", stdout(&out));
    assert!(
        stderr(&out).contains("warning: --yes skips the fingerprint check"),
        "{}",
        stderr(&out)
    );
}

/// Signs `email` up and in with [`PASSWORD`], reading the code from outbox mail number
/// `mail_index`; returns the user.
pub fn signed_in_user(server: &Server, email: &str, mail_index: usize) -> User {
    let user = User::new(server);
    let url = server.url.clone();
    let out = user.run(&["signup", "--server", &url, "--email", email], None);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let code = code_in(&server.mail(mail_index));
    let out = user.run(
        &[
            "signup", "--server", &url, "--email", email, "--code", &code,
        ],
        Some(PASSWORD),
    );
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let out = user.run(
        &["login", "--server", &url, "--email", email],
        Some(PASSWORD),
    );
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    user
}
