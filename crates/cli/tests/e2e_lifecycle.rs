//! End to end, with the real binary: workspace creation with the welcome email, secrets, and
//! what a malicious or confused server cannot make the client accept. SQLite and PostgreSQL.

mod support;

use std::io::Write;
use std::process::{Command, Stdio};

use support::{Db, Server, User, code_in, stderr, stdout};

const PASSWORD: &str = "correct horse battery staple";

/// Signs `email` up and in; returns the user.
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

/// Runs a command with `input` on stdin.
fn with_stdin(user: &User, args: &[&str], input: &str) -> std::process::Output {
    let mut child = Command::new(support::BIN)
        .args(args)
        .env("KEYHAVEN_HOME", user.home.path())
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

/// The 48-digit key in a welcome email.
fn recovery_key_in(mail: &str) -> String {
    let line = mail
        .lines()
        .map(str::trim)
        .find(|l| l.len() == 55 && l.split('-').count() == 8 && l.split('-').all(|g| g.len() == 6))
        .expect("a recovery key in the welcome email");
    line.to_owned()
}

fn workspace_and_secrets(db: Db) {
    let server = Server::start(db);
    let alice = signed_in_user(&server, "alice@example.com", 0);

    let out = alice.run(&["workspace", "create", "Acme"], None);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(
        stdout(&out).contains("temporary recovery key"),
        "{}",
        stdout(&out)
    );
    let welcome = server.mail(1);
    assert!(
        welcome.contains("Subject: Welcome to Keyhaven"),
        "{welcome}"
    );
    assert!(
        welcome.contains("KEYHAVEN RECOVERY KIT"),
        "the kit is in the email: {welcome}"
    );
    let key = recovery_key_in(&welcome);
    let out = alice.run(&["key", "check", "--kind", "keyhaven", &key], None);
    assert_eq!(out.status.code(), Some(0), "the emailed key is well formed");

    let out = with_stdin(
        &alice,
        &["secret", "add", "payroll", "--username", "ops"],
        "hunter2\n",
    );
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let out = with_stdin(
        &alice,
        &["secret", "add", "stripe", "--kind", "api-key"],
        "sk_live_123\n",
    );
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let out = with_stdin(&alice, &["secret", "add", "payroll"], "again\n");
    assert_eq!(out.status.code(), Some(1), "names are unique");

    let out = alice.run(&["secret", "get", "payroll", "--json"], None);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let v: serde_json::Value = serde_json::from_str(&stdout(&out)).unwrap();
    assert_eq!(v["fields"]["password"], "hunter2");
    assert_eq!(v["fields"]["username"], "ops");
    assert_eq!(v["kind"], "login");

    let out = alice.run(&["secret", "list"], None);
    assert_eq!(stdout(&out), "payroll  (login)\nstripe  (api-key)\n");

    let out = alice.run(&["secret", "rm", "stripe"], None);
    assert_eq!(out.status.code(), Some(0));
    let out = alice.run(&["secret", "list", "--json"], None);
    let v: serde_json::Value = serde_json::from_str(&stdout(&out)).unwrap();
    assert_eq!(v.as_array().unwrap().len(), 1);

    let out = alice.run(&["workspace", "show", "--json"], None);
    let v: serde_json::Value = serde_json::from_str(&stdout(&out)).unwrap();
    assert_eq!(v["name"], "Acme");
    assert_eq!(v["recovery_key"]["kind"], "temporary");
    assert_eq!(v["members"][0]["role"], "Owner");

    // Another user sees nothing of Acme.
    let bob = signed_in_user(&server, "bob@example.com", 2);
    let out = bob.run(&["workspace", "list"], None);
    assert!(
        stdout(&out).contains("No workspaces yet"),
        "{}",
        stdout(&out)
    );
    let out = bob.run(&["secret", "list", "--workspace", "Acme"], None);
    assert_eq!(out.status.code(), Some(1));

    // --no-email: a permanent key, written to the kit file (and never emailed).
    let kit = alice.home.path().join("kit.txt");
    let kit_arg = kit.to_str().unwrap();
    let out = alice.run(
        &[
            "workspace",
            "create",
            "Offline",
            "--no-email",
            "--kit-out",
            kit_arg,
        ],
        None,
    );
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let text = std::fs::read_to_string(&kit).unwrap();
    assert!(
        text.contains("Kind:          permanent (does not expire)"),
        "{text}"
    );
    assert_eq!(server.mails().len(), 3, "no welcome email for --no-email");
    let out = alice.run(&["secret", "list"], None);
    assert_eq!(
        out.status.code(),
        Some(1),
        "two workspaces: the CLI asks which"
    );
    assert!(stderr(&out).contains("--workspace"), "{}", stderr(&out));
}

#[test]
fn workspace_and_secrets_on_sqlite() {
    workspace_and_secrets(Db::Sqlite);
}

#[test]
fn workspace_and_secrets_on_postgres() {
    workspace_and_secrets(Db::Postgres);
}
