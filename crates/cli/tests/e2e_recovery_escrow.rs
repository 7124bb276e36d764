//! End to end, with the real binary, on SQLite and PostgreSQL: the recovery key restores device
//! keys as well as secrets (decision 0005). A workspace's only owner escrows device keys,
//! forgets the password, resets it and enters the recovery key: `device reveal` shows the keys
//! again. The same after a permanent key replaced the temporary one and after an escrow-key
//! rotation. A workspace whose recovery key holds no escrow share (made before this change) is
//! repaired by another escrow holder with `member reshare`, and the errors say so.

mod support;

use support::{
    Db, PASSWORD, Server, User, join, log_in, mail, ok, recovery_key_in, refused, run, sign_up,
    stderr, stdout,
};

const KEY_A: &str = "236808-089419-192665-495704-618299-073414-538373-542366";
const ID_A: &str = "AC9D5655-F7CA-4D1D-902F-1B6087118138";
const KEY_B: &str = "002475-590744-001463-604230-330539-061666-707498-574750";
const ID_B: &str = "1F8C3E21-9B4D-4C2A-8E6F-0A1B2C3D4E5F";

fn add_device(user: &User, device: &str, id: &str, key: &str) {
    let out = run(
        user,
        &[
            "device",
            "add",
            "--device",
            device,
            "--kind",
            "bitlocker",
            "--key-id",
            id,
        ],
        &[("KEYHAVEN_DEVICE_KEY", key)],
        "",
    );
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
}

/// Forgot password → emailed access code → new encryption key → sign in with the new
/// password.
fn reset_password(server: &Server, user: &User, email: &str, new_password: &str) {
    // This story resets one password four times in a minute; a real owner would be throttled
    // (3 codes, then a growing wait; 5 recovery-key proofs per 15 minutes; tested in their own
    // stories), so the counters are cleared between resets.
    server.sql("DELETE FROM rate_limits");
    server.sql("DELETE FROM throttles");
    let url = server.url.as_str();
    let codes = || {
        server
            .mails()
            .iter()
            .filter(|m| m.contains(&format!("To: {email}")) && m.contains("access code is "))
            .count()
    };
    let before = codes();
    ok(
        user,
        &["password", "forgot", "--server", url, "--email", email],
    );
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    while codes() == before {
        assert!(std::time::Instant::now() < deadline, "no new access code");
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
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
        &[("KEYHAVEN_NEW_PASSWORD", new_password)],
        "",
    );
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    log_in(server, user, email, new_password);
}

fn recovery_use(user: &User, key: &str) -> std::process::Output {
    run(
        user,
        &["recovery-key", "use"],
        &[("KEYHAVEN_RECOVERY_KEY", key)],
        "",
    )
}

fn reveals(user: &User, prefix: &str, key: &str) {
    let out = ok(user, &["device", "reveal", prefix, "--reason", "e2e"]);
    assert!(out.contains(key), "{out}");
}

fn story(db: Db) {
    let server = Server::start(db);
    let (alice, _) = sign_up(&server, "alice@example.com");
    ok(&alice, &["workspace", "create", "Acme"]);
    let temporary = recovery_key_in(&mail(
        &server,
        "alice@example.com",
        "temporary recovery key",
    ));
    add_device(&alice, "FIN-LAPTOP-07", ID_A, KEY_A);

    // 1. The temporary (emailed) key restores the device key of a sole owner.
    reset_password(&server, &alice, "alice@example.com", "second passphrase");
    let out = run(&alice, &["device", "reveal", "ac9d5655"], &[], "");
    assert_eq!(out.status.code(), Some(1), "{}", stdout(&out));
    assert!(!stdout(&out).contains(KEY_A));
    let out = recovery_use(&alice, &temporary);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(
        stdout(&out).contains("its secrets and device keys are readable again"),
        "{}",
        stdout(&out)
    );
    reveals(&alice, "ac9d5655", KEY_A);

    // 2. A permanent key replaces the temporary one and receives the escrow key too.
    let out = run(
        &alice,
        &["recovery-key", "generate", "--yes"],
        &[("KEYHAVEN_RECOVERY_KEY", &temporary)],
        "",
    );
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let permanent = recovery_key_in(&stdout(&out));
    assert_ne!(permanent, temporary);

    // 3. An escrow-key rotation (a helpdesk member removed) is shared to the recovery key.
    let (hugo, _) = sign_up(&server, "hugo@example.com");
    join(&server, &alice, &hugo, "hugo@example.com", "helpdesk");
    let out = ok(&alice, &["member", "remove", "hugo@example.com"]);
    assert!(out.contains("The escrow key is now version 2."), "{out}");
    add_device(&alice, "HR-DESK-02", ID_B, KEY_B);

    reset_password(&server, &alice, "alice@example.com", "third passphrase");
    let out = recovery_use(&alice, &temporary);
    assert_eq!(out.status.code(), Some(1), "the replaced key opens nothing");
    let out = recovery_use(&alice, &permanent);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    reveals(&alice, "ac9d5655", KEY_A); // sealed to escrow key version 1
    reveals(&alice, "1f8c3e21", KEY_B); // sealed to escrow key version 2

    // 4. A workspace already in the broken state: its recovery key holds no escrow share (as
    // every one made before decision 0005). An admin who holds the escrow keys repairs it.
    let (carol, _) = sign_up(&server, "carol@example.com");
    join(&server, &alice, &carol, "carol@example.com", "admin");
    server.sql("DELETE FROM key_shares WHERE recipient LIKE 'recovery:%' AND key_kind = 'escrow'");
    reset_password(&server, &alice, "alice@example.com", "fourth passphrase");
    let out = recovery_use(&alice, &permanent);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let warning = stderr(&out);
    assert!(
        warning.contains("holds no share of escrow key version(s) 1 and 2")
            && warning.contains("keyhaven member reshare alice@example.com"),
        "{warning}"
    );
    let error = refused(&alice, &["device", "reveal", "ac9d5655"]);
    assert!(error.contains("member reshare"), "{error}");
    // A relink has nothing to do (the keys are the ones the roster has) and says what does.
    let error = refused(&carol, &["member", "relink", "alice@example.com", "--yes"]);
    assert!(
        error.contains("keyhaven member reshare alice@example.com"),
        "{error}"
    );
    let out = ok(&carol, &["member", "reshare", "alice@example.com"]);
    assert!(
        out.contains(
            "Gave alice@example.com workspace key version(s) 1 and escrow key version(s) 1 and 2"
        ),
        "{out}"
    );
    assert!(
        out.contains("The recovery key now holds every key version"),
        "{out}"
    );
    reveals(&alice, "ac9d5655", KEY_A);
    reveals(&alice, "1f8c3e21", KEY_B);
    let audit = ok(&alice, &["audit", "list"]);
    assert!(audit.contains("keys-reshared"), "{audit}");

    // The reshare also repaired the recovery key: the next emergency reset restores all.
    reset_password(&server, &alice, "alice@example.com", PASSWORD);
    let out = recovery_use(&alice, &permanent);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(!stderr(&out).contains("holds no share"), "{}", stderr(&out));
    reveals(&alice, "ac9d5655", KEY_A);
    reveals(&alice, "1f8c3e21", KEY_B);
}

#[test]
fn recovery_key_restores_device_keys_on_sqlite() {
    story(Db::Sqlite);
}

#[test]
fn recovery_key_restores_device_keys_on_postgres() {
    story(Db::Postgres);
}
