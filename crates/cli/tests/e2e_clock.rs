//! End to end across time (the `test-clock` feature moves the server's and the CLI's clocks):
//! a temporary key that expired unreplaced can no longer recover its workspace; a permanent
//! key stays valid; validation falls due six months after the last one and the prompt goes
//! away once it is done. Run with `cargo test -p keyhaven-cli --features test-clock --test
//! e2e_clock` (`.ci/run` does).
#![cfg(feature = "test-clock")]

mod support;

use std::process::{Command, Output, Stdio};

use support::{Db, Server, User, code_in, stderr, stdout};

const PASSWORD: &str = "correct horse battery staple";

/// `keyhaven args…` as `user`, `days` ahead, with extra environment.
fn at(user: &User, days: u64, args: &[&str], env: &[(&str, &str)]) -> Output {
    let mut cmd = Command::new(support::BIN);
    cmd.args(args)
        .env("KEYHAVEN_HOME", user.home.path())
        .env("KEYHAVEN_CLOCK_OFFSET_DAYS", days.to_string())
        .env_remove("KEYHAVEN_PASSWORD")
        .env_remove("KEYHAVEN_RECOVERY_KEY")
        .env_remove("KEYHAVEN_SKIP_PROMPTS")
        .stdin(Stdio::null());
    for (k, v) in env {
        cmd.env(k, v);
    }
    cmd.output().unwrap()
}

fn key_in(text: &str) -> String {
    text.lines()
        .map(str::trim)
        .find(|l| l.len() == 55 && l.split('-').count() == 8)
        .expect("a 48-digit key")
        .to_owned()
}

fn wait_for(condition: impl Fn() -> bool) {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    while !condition() {
        assert!(std::time::Instant::now() < deadline, "timed out");
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
}

fn login(server: &Server, user: &User, days: u64) -> Output {
    let out = at(
        user,
        days,
        &[
            "login",
            "--server",
            &server.url,
            "--email",
            "alice@example.com",
        ],
        &[("KEYHAVEN_PASSWORD", PASSWORD)],
    );
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    out
}

fn clock_story(db: Db) {
    let mut server = Server::start(db);
    let alice = User::new(&server);
    let signup = [
        "signup",
        "--server",
        &server.url,
        "--email",
        "alice@example.com",
    ];
    assert_eq!(at(&alice, 0, &signup, &[]).status.code(), Some(0));
    let code = code_in(&server.mail(0));
    let mut with_code = signup.to_vec();
    with_code.extend(["--code", &code]);
    let out = at(&alice, 0, &with_code, &[("KEYHAVEN_PASSWORD", PASSWORD)]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    login(&server, &alice, 0);

    // Day 0: "Kept" gets a permanent key; "Lapsed" keeps its emailed temporary key.
    assert_eq!(
        at(&alice, 0, &["workspace", "create", "Kept"], &[])
            .status
            .code(),
        Some(0)
    );
    let temporary = key_in(&support::mail(
        &server,
        "alice@example.com",
        "temporary recovery key of Kept",
    ));
    let out = at(
        &alice,
        0,
        &["recovery-key", "generate", "--workspace", "Kept", "--yes"],
        &[("KEYHAVEN_RECOVERY_KEY", &temporary)],
    );
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let permanent = key_in(&stdout(&out));
    assert_eq!(
        at(&alice, 0, &["workspace", "create", "Lapsed"], &[])
            .status
            .code(),
        Some(0)
    );
    let temporary = key_in(&support::mail(
        &server,
        "alice@example.com",
        "temporary recovery key of Lapsed",
    ));

    // Day 23 and day 29: the owners are reminded 7 days and 1 day before the expiry, once
    // each (a restart runs the reminder pass again and must not repeat them).
    let reminder = "Subject: Keyhaven: the temporary recovery key of Lapsed expires on";
    let count = |server: &Server| {
        server
            .mails()
            .iter()
            .filter(|m| m.contains(reminder))
            .count()
    };
    server.restart(23);
    wait_for(|| count(&server) == 1);
    server.restart(23);
    server.restart(29);
    wait_for(|| count(&server) == 2);
    assert!(
        server
            .mails()
            .iter()
            .all(|m| !m.contains("recovery key of Kept expires"))
    );

    // Day 31: the temporary key has expired unreplaced; the permanent one is still valid.
    server.restart(31);
    let out = login(&server, &alice, 31);
    assert!(
        stderr(&out).contains("pending (Lapsed): there is no valid recovery key"),
        "{}",
        stderr(&out)
    );
    let out = at(
        &alice,
        31,
        &["recovery-key", "validate", "--workspace", "Kept"],
        &[("KEYHAVEN_RECOVERY_KEY", &permanent)],
    );
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let out = at(
        &alice,
        31,
        &["recovery-key", "use", "--workspace", "Lapsed"],
        &[("KEYHAVEN_RECOVERY_KEY", &temporary)],
    );
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr(&out).contains("temporary recovery key expired"),
        "{}",
        stderr(&out)
    );
    let out = at(
        &alice,
        31,
        &["recovery-key", "status", "--workspace", "Lapsed"],
        &[],
    );
    assert!(
        stdout(&out).contains("has no valid recovery key"),
        "{}",
        stdout(&out)
    );

    // Six months after the last validation: due, prompted, validated, and the prompt is gone.
    server.restart(31 + 184);
    let out = login(&server, &alice, 31 + 184);
    let due = "pending (Kept): recovery key validation is due";
    assert!(stderr(&out).contains(due), "{}", stderr(&out));
    let out = at(
        &alice,
        31 + 184,
        &["recovery-key", "status", "--workspace", "Kept", "--json"],
        &[],
    );
    let v: serde_json::Value = serde_json::from_str(&stdout(&out)).unwrap();
    assert_eq!(v["validation_due"], true);
    let out = at(
        &alice,
        31 + 184,
        &["recovery-key", "validate", "--workspace", "Kept"],
        &[("KEYHAVEN_RECOVERY_KEY", &permanent)],
    );
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let out = at(&alice, 31 + 184, &["whoami"], &[]);
    assert!(!stderr(&out).contains(due), "{}", stderr(&out));
    let out = login(&server, &alice, 31 + 184);
    assert!(
        !stderr(&out).contains(due),
        "the prompt stays gone at the next sign-in: {}",
        stderr(&out)
    );
}

#[test]
fn clock_on_sqlite() {
    clock_story(Db::Sqlite);
}

#[test]
fn clock_on_postgres() {
    clock_story(Db::Postgres);
}
