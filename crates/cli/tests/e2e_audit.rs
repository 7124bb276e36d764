//! End to end, with the real binary, on SQLite and PostgreSQL: what a workspace owner does is in
//! the workspace's audit log, in order; `keyhaven audit verify` finds the chain intact, names
//! an event edited directly in the database, and reports a log truncated below the head this
//! device pinned.

mod support;

use std::io::Write;
use std::process::{Command, Output, Stdio};

use support::{Db, Server, User, mail, recovery_key_in, signed_in_user, stderr, stdout};

/// Runs a command with `input` on stdin.
fn with_stdin(user: &User, args: &[&str], input: &str) -> Output {
    let mut child = Command::new(support::BIN)
        .args(args)
        .env("KEYHAVEN_HOME", user.home.path())
        .env("KEYHAVEN_SKIP_PROMPTS", "1")
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

fn ok(out: &Output) -> String {
    assert_eq!(out.status.code(), Some(0), "{}", stderr(out));
    stdout(out)
}

fn json(out: &Output) -> serde_json::Value {
    serde_json::from_str(&stdout(out)).unwrap_or_else(|e| panic!("not JSON ({e}): {}", stdout(out)))
}

fn audit_story(db: Db) {
    let server = Server::start(db);
    let alice = signed_in_user(&server, "alice@example.com", 0);
    let alice_id = json(&alice.run(&["whoami", "--json"], None))["id"]
        .as_str()
        .unwrap()
        .to_owned();

    ok(&alice.run(&["workspace", "create", "Acme"], None));
    ok(&with_stdin(
        &alice,
        &["secret", "add", "payroll"],
        "hunter2\n",
    ));
    ok(&with_stdin(
        &alice,
        &["secret", "add", "stripe", "--kind", "api-key"],
        "sk_live_123\n",
    ));
    ok(&alice.run(&["secret", "rm", "stripe"], None));
    let kit = alice.home.path().join("kit.txt");
    let temporary = recovery_key_in(&mail(
        &server,
        "alice@example.com",
        "temporary recovery key",
    ));
    ok(&support::run(
        &alice,
        &[
            "recovery-key",
            "generate",
            "--yes",
            "--out",
            kit.to_str().unwrap(),
        ],
        &[("KEYHAVEN_RECOVERY_KEY", &temporary)],
        "",
    ));
    let ws = json(&alice.run(&["workspace", "show", "--json"], None))["id"]
        .as_str()
        .unwrap()
        .to_owned();

    // The log lists those events, in order, linked, with item ids and revisions only.
    let out = alice.run(&["audit", "list", "--json"], None);
    ok(&out);
    let events = json(&out);
    let events = events.as_array().unwrap();
    let kinds: Vec<&str> = events.iter().map(|e| e["kind"].as_str().unwrap()).collect();
    assert_eq!(
        kinds,
        [
            "workspace-created",
            "item-added",
            "item-added",
            "item-deleted",
            "recovery-key-generated"
        ]
    );
    let mut prev = "0".repeat(64);
    for (i, e) in events.iter().enumerate() {
        assert_eq!(e["seq"], i);
        assert_eq!(e["chain"], format!("workspace:{ws}"));
        assert_eq!(e["actor"], format!("account:{alice_id}"));
        // Named on this device by the verified roster; the server recorded the id only.
        assert_eq!(e["actor_email"], "alice@example.com");
        assert_eq!(
            e["prev_hash"],
            prev.as_str(),
            "event {i} links to event {}",
            i.wrapping_sub(1)
        );
        prev = e["hash"].as_str().unwrap().to_owned();
    }
    let text = ok(&alice.run(&["audit", "list"], None));
    assert!(
        text.lines()
            .any(|l| l.contains("workspace-created") && l.contains("alice@example.com")),
        "{text}"
    );
    assert!(!text.contains(&format!("account:{alice_id}")), "{text}");
    assert_eq!(events[0]["details"]["name"], "Acme");
    assert_eq!(events[0]["details"]["recovery_key_kind"], "temporary");
    let deleted = events[3]["details"].as_object().unwrap();
    assert_eq!(
        deleted.keys().collect::<Vec<_>>(),
        ["item", "revision"],
        "nothing about the secret but its id and revision"
    );
    assert_eq!(deleted["item"], events[2]["details"]["item"]);
    assert_eq!(events[4]["details"]["kind"], "permanent");
    let text = stdout(&alice.run(&["audit", "list"], None));
    assert!(text.contains("item-deleted"), "{text}");
    assert!(
        !text.contains("hunter2") && !text.contains("sk_live"),
        "{text}"
    );

    // The list was checked, and its head pinned; verify finds it intact.
    assert!(alice.home.path().join("audit-pins.json").exists());
    let said = ok(&alice.run(&["audit", "verify", "--workspace", "Acme"], None));
    assert!(said.contains("5 events, chain intact"), "{said}");
    assert!(!said.contains("First check"), "{said}");

    // The account's own log.
    let out = alice.run(&["audit", "list", "--account", "--json"], None);
    ok(&out);
    let kinds: Vec<String> = json(&out)
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["kind"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(kinds, ["account-created", "login"]);
    let said = ok(&alice.run(&["audit", "verify", "--account"], None));
    assert!(said.contains("2 events, chain intact"), "{said}");
    let out = alice.run(
        &["audit", "verify", "--account", "--workspace", "Acme"],
        None,
    );
    assert_eq!(out.status.code(), Some(2), "one log at a time");

    // Someone with database access edits an event: verify names it.
    let chain = format!("workspace:{ws}");
    let edit = |from: &str, to: &str| {
        server.sql(&format!(
            "UPDATE audit_events SET details = replace(details, '{from}', '{to}') \
             WHERE chain = '{chain}' AND seq = 1"
        ))
    };
    edit(r#""revision":1"#, r#""revision":7"#);
    let out = alice.run(&["audit", "verify"], None);
    assert_eq!(out.status.code(), Some(1), "{}", stdout(&out));
    assert!(
        stderr(&out).contains("event 1 (item-added) does not match its hash"),
        "{}",
        stderr(&out)
    );
    assert!(stderr(&out).contains("hint: "), "{}", stderr(&out));
    let out = alice.run(&["audit", "list", "--json"], None);
    assert_eq!(out.status.code(), Some(1), "list checks too");
    assert_eq!(
        json(&out)[1]["details"]["revision"],
        7,
        "and still shows what the server returned"
    );
    edit(r#""revision":7"#, r#""revision":1"#);
    let said = ok(&alice.run(&["audit", "verify"], None));
    assert!(said.contains("5 events, chain intact"), "{said}");

    // The last event is deleted: the chain that is left links up, but this device pinned a
    // longer one.
    server.sql(&format!(
        "DELETE FROM audit_events WHERE chain = '{chain}' AND seq = 4"
    ));
    let out = alice.run(&["audit", "verify"], None);
    assert_eq!(out.status.code(), Some(1), "{}", stdout(&out));
    assert!(
        stderr(&out).contains(
            "the server rolled back or forked this audit log (it returned 4 events; this device \
             has seen 5)"
        ),
        "{}",
        stderr(&out)
    );

    // Another device, which never saw event 4, cannot tell: that is what pinning is for.
    let fresh = User::new(&server);
    std::fs::copy(alice.session_file(), fresh.session_file()).unwrap();
    let said = ok(&fresh.run(&["audit", "verify"], None));
    assert!(said.contains("4 events, chain intact"), "{said}");
    assert!(said.contains("First check on this device"), "{said}");
}

#[test]
fn audit_on_sqlite() {
    audit_story(Db::Sqlite);
}

#[test]
fn audit_on_postgres() {
    audit_story(Db::Postgres);
}
