//! End to end, with the real binary, on SQLite and PostgreSQL: what an enrollment token can no
//! longer do (issue 8.3). A token that submits another key for an identifier already escrowed
//! never replaces it: the submission is kept as a conflict that an owner, admin or helpdesk
//! member accepts or rejects, audited. Removing or demoting the member who made a token revokes
//! it, and `member remove` says so. Creating a token needs a recent sign-in. A token seals to
//! the escrow key it carries and reads nothing; once that key is rotated the token is refused
//! (issue 9.3).

mod support;

use support::{Db, Server, User, join, ok, refused, run, sign_up, stderr, stdout};

const KEY_A: &str = "236808-089419-192665-495704-618299-073414-538373-542366";
const ID_A: &str = "AC9D5655-F7CA-4D1D-902F-1B6087118138";
/// What a leaked token would plant: a well-formed key nobody escrowed.
const PLANTED: &str = "000000-000000-000000-000000-000000-000000-000000-000000";
const KEY_B: &str = "002475-590744-001463-604230-330539-061666-707498-574750";

fn create_token(user: &User) -> String {
    let created = ok(user, &["escrow", "token", "create", "--expires", "30d"]);
    created
        .split_whitespace()
        .find(|w| w.starts_with("KHT2-"))
        .expect("the token is shown once")
        .to_owned()
}

fn submit(server: &Server, token: &str, key: &str) -> std::process::Output {
    let agent = User::new(server);
    run(
        &agent,
        &[
            "escrow",
            "submit",
            "--server",
            &server.url,
            "--device",
            "FIN-LAPTOP-07",
            "--kind",
            "bitlocker",
            "--key-id",
            ID_A,
        ],
        &[
            ("KEYHAVEN_ESCROW_TOKEN", token),
            ("KEYHAVEN_DEVICE_KEY", key),
        ],
        "",
    )
}

fn revealed(user: &User) -> String {
    ok(user, &["device", "reveal", "ac9d5655", "--reason", "e2e"])
}

fn story(db: Db) {
    let server = Server::start(db);
    let (alice, _) = sign_up(&server, "alice@example.com");
    ok(&alice, &["workspace", "create", "Acme"]);
    let (bob, _) = sign_up(&server, "bob@example.com");
    join(&server, &alice, &bob, "bob@example.com", "admin");
    let (hugo, _) = sign_up(&server, "hugo@example.com");
    join(&server, &alice, &hugo, "hugo@example.com", "helpdesk");
    let out = run(
        &alice,
        &[
            "device",
            "add",
            "--device",
            "FIN-LAPTOP-07",
            "--kind",
            "bitlocker",
            "--key-id",
            ID_A,
        ],
        &[("KEYHAVEN_DEVICE_KEY", KEY_A)],
        "",
    );
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));

    // 1. Bob's token submits another key for the escrowed identifier: stored, not current.
    let token = create_token(&bob);
    let out = submit(&server, &token, PLANTED);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let out = run(&hugo, &["device", "list"], &[], "");
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("1 key(s) submitted by enrollment tokens differ"),
        "{}",
        stderr(&out)
    );
    assert!(stdout(&out).contains("conflict"), "{}", stdout(&out));
    let shown = revealed(&alice);
    assert!(shown.contains(KEY_A) && !shown.contains(PLANTED), "{shown}");
    let shown = revealed(&hugo);
    assert!(shown.contains(KEY_A), "{shown}");
    let json = ok(&alice, &["device", "list", "--json"]);
    let list: serde_json::Value = serde_json::from_str(&json).unwrap();
    let conflicts: Vec<_> = list
        .as_array()
        .unwrap()
        .iter()
        .filter(|k| k["conflict"] == true)
        .collect();
    assert_eq!(conflicts.len(), 1, "{json}");

    // 2. Rejected: deleted, the escrowed key stays.
    let out = ok(&hugo, &["device", "resolve", "ac9d5655", "--reject"]);
    assert!(out.contains("Rejected"), "{out}");
    let list = ok(&alice, &["device", "list"]);
    assert!(!list.contains("conflict"), "{list}");
    let history = ok(&alice, &["device", "list", "--history", "--json"]);
    let all: serde_json::Value = serde_json::from_str(&history).unwrap();
    assert_eq!(all.as_array().unwrap().len(), 1, "{history}");
    assert!(revealed(&alice).contains(KEY_A));
    let error = refused(&alice, &["device", "resolve", "ac9d5655", "--reject"]);
    assert!(error.contains("waits for review"), "{error}");

    // 3. A real rotation on the device, accepted: the new key is current, the old history.
    let out = submit(&server, &token, KEY_B);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let out = run(&alice, &["device", "resolve", "ac9d5655"], &[], "");
    assert_eq!(
        out.status.code(),
        Some(2),
        "a usage error: {}",
        stdout(&out)
    );
    assert!(stderr(&out).contains("--accept"), "{}", stderr(&out));
    let out = ok(&alice, &["device", "resolve", "ac9d5655", "--accept"]);
    assert!(out.contains("Accepted"), "{out}");
    let shown = revealed(&alice);
    assert!(shown.contains(KEY_B) && !shown.contains(KEY_A), "{shown}");
    let history = ok(&alice, &["device", "list", "--history"]);
    assert!(history.contains("replaced"), "{history}");
    let audit = ok(&alice, &["audit", "list"]);
    assert!(audit.contains("device-key-conflict-resolved"), "{audit}");

    // 4. Helpdesk members resolve but cannot create tokens; nobody does without a recent
    //    sign-in.
    let error = refused(&hugo, &["escrow", "token", "create", "--expires", "1d"]);
    assert!(error.contains("owners and admins"), "{error}");
    server.sql("UPDATE sessions SET created_at = created_at - 3600");
    let error = refused(&bob, &["escrow", "token", "create", "--expires", "1d"]);
    assert!(error.contains("sign"), "{error}");
    support::log_in(&server, &bob, "bob@example.com", support::PASSWORD);
    support::log_in(&server, &alice, "alice@example.com", support::PASSWORD);

    // A token of Alice's made now seals to the escrow key Bob holds (issue 9.3).
    let early = create_token(&alice);

    // 5. Demoting Bob revokes his tokens; so does removing him (a second token).
    let out = ok(&alice, &["member", "role", "bob@example.com", "member"]);
    assert!(
        out.contains("The 1 enrollment token(s) they had created were revoked"),
        "{out}"
    );
    let out = submit(&server, &token, KEY_B);
    assert_eq!(out.status.code(), Some(1), "{}", stdout(&out));
    assert!(stderr(&out).contains("revoked"), "{}", stderr(&out));
    ok(&alice, &["member", "role", "bob@example.com", "admin"]);
    let second = create_token(&bob);
    let out = ok(&alice, &["member", "remove", "bob@example.com"]);
    assert!(
        out.contains("The 1 enrollment token(s) they had created were revoked"),
        "{out}"
    );
    let out = submit(&server, &second, KEY_B);
    assert_eq!(out.status.code(), Some(1), "{}", stdout(&out));
    assert!(stderr(&out).contains("revoked"), "{}", stderr(&out));
    // Alice's own token is not revoked, but it seals to the escrow key Bob held, which his
    // departure rotated: refused, so no device key is sealed to a key a removed member has.
    let out = submit(&server, &early, KEY_B);
    assert_eq!(out.status.code(), Some(1), "{}", stdout(&out));
    assert!(stderr(&out).contains("rotated"), "{}", stderr(&out));
    // A token made now seals to the new escrow key, and works.
    let mine = create_token(&alice);
    let out = submit(&server, &mine, KEY_B);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let shown = revealed(&alice);
    assert!(shown.contains(KEY_B), "{shown}");
}

#[test]
fn token_conflicts_and_revocation_on_sqlite() {
    story(Db::Sqlite);
}

#[test]
fn token_conflicts_and_revocation_on_postgres() {
    story(Db::Postgres);
}
