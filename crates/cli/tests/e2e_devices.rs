//! End to end, with the real binary, on SQLite and PostgreSQL: device recovery-key escrow.
//! A folder of BitLocker files in every encoding Windows and editors produce (with one bad
//! file), an idempotent re-import, find by prefix, reveal with a reason (audited first, marked
//! "rotate after use"), export to a folder exactly as Windows writes it and back, the
//! wrong-key check, a helpdesk member who reveals device keys but reads no secret, enrollment
//! tokens (write-only, resubmission, revocation), reveal refused when its audit event cannot
//! be written, and removal.

mod support;

use std::path::Path;

use keyhaven_core::device::{BitLockerRecoveryFile, BitLockerRecoveryPassword, ProtectorId};
use support::{Db, Server, User, join, ok, refused, run, sign_up, stderr, stdout};

/// Valid recovery passwords (every group divisible by 11 and below 720896).
const KEY_A: &str = "236808-089419-192665-495704-618299-073414-538373-542366";
const KEY_B: &str = "002475-590744-001463-604230-330539-061666-707498-574750";
const KEY_C: &str = "368291-516923-041811-671330-359073-074756-226138-163218";
const KEY_D: &str = "419287-020020-063118-564762-045331-224147-181918-275913";
/// Group 3 is not divisible by 11.
const KEY_BAD: &str = "236808-089419-192666-495704-618299-073414-538373-542366";

const ID_A: &str = "AC9D5655-F7CA-4D1D-902F-1B6087118138";
const ID_B: &str = "1F8C3E21-9B4D-4C2A-8E6F-0A1B2C3D4E5F";
const ID_C: &str = "5E0B7C44-2D1A-4F3E-9C8B-7A6D5E4F3A2B";
const ID_D: &str = "9A7B6C5D-4E3F-4A1B-8C2D-1E0F9A8B7C6D";
const ID_F: &str = "F0F1F2F3-0000-4000-8000-00000000F4F5";
const KEY_F: &str = "652234-671363-651442-273790-266233-685949-268422-135696";
const ID_E: &str = "E1E2E3E4-0000-4000-8000-00000000E5E6";
const KEY_E: &str = "667557-538230-385143-199738-268378-009273-487795-668580";

fn windows_file(id: &str, key: &str) -> Vec<u8> {
    BitLockerRecoveryFile {
        identifier: id.parse::<ProtectorId>().unwrap(),
        password: BitLockerRecoveryPassword::parse(key).unwrap(),
    }
    .to_windows_bytes()
    .to_vec()
}

fn utf8_file(id: &str, key: &str, bom: bool) -> Vec<u8> {
    let text = format!(
        "BitLocker Drive Encryption recovery key\n\nTo verify that this is the correct recovery \
         key, compare the start of the following identifier with the identifier value \
         displayed on your PC.\n\nIdentifier:\n\n    {{{}}}\n\nIf the above identifier \
         matches the one displayed by your PC, then use the following key to unlock your \
         drive.\n\nRecovery Key:\n\n    {key}\n",
        id.to_lowercase()
    );
    let mut bytes = if bom {
        vec![0xEF, 0xBB, 0xBF]
    } else {
        Vec::new()
    };
    bytes.extend_from_slice(text.as_bytes());
    bytes
}

fn write(path: &Path, bytes: &[u8]) {
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, bytes).unwrap();
}

fn devices_story(db: Db) {
    let server = Server::start(db);
    let (alice, _) = sign_up(&server, "alice@example.com");
    ok(&alice, &["workspace", "create", "Acme"]);

    // A USB stick of recovery files: Windows' own UTF-16LE file, UTF-8 with and without a
    // BOM (lower-case braced identifiers, LF), one with a typo in group 3, and a photo.
    let usb = tempfile::tempdir().unwrap();
    write(
        &usb.path()
            .join(format!("BitLocker Recovery Key {ID_A}.TXT")),
        &windows_file(ID_A, KEY_A),
    );
    write(
        &usb.path().join("sub/b.txt"),
        &utf8_file(ID_B, KEY_B, false),
    );
    write(
        &usb.path().join("sub/deeper/c.txt"),
        &utf8_file(ID_C, KEY_C, true),
    );
    write(
        &usb.path().join("typo.txt"),
        &utf8_file(ID_D, KEY_BAD, false),
    );
    let folder = usb.path().to_str().unwrap();

    let out = run(
        &alice,
        &[
            "device",
            "import",
            folder,
            "--device",
            "FIN-LAPTOP-07",
            "--volume",
            "C:",
        ],
        &[],
        "",
    );
    assert_eq!(out.status.code(), Some(1), "one file is invalid");
    let summary = stdout(&out);
    assert!(
        summary.contains("Imported 3 key(s)") && summary.contains("1 invalid"),
        "{summary}"
    );
    assert!(
        summary.contains("typo.txt") && summary.contains("group 3 is not divisible by 11"),
        "{summary}"
    );
    assert!(
        !summary.contains(&KEY_BAD[..20]),
        "no key material in the report"
    );

    // Re-running the same import stores nothing new.
    let out = run(
        &alice,
        &[
            "device",
            "import",
            folder,
            "--device",
            "FIN-LAPTOP-07",
            "--volume",
            "C:",
        ],
        &[],
        "",
    );
    assert!(
        stdout(&out).contains("Imported 0 key(s); 3 already present; 1 invalid."),
        "{}",
        stdout(&out)
    );

    // A CSV export of another fleet.
    let csv = usb.path().join("fleet.csv");
    write(
        &csv,
        format!(
            "Device name,Serial,Key ID,Recovery key,Volume\n\
             \"HR-DESK-02\",5CG9,{ID_D},{KEY_D},C:\n"
        )
        .as_bytes(),
    );
    let out = ok(&alice, &["device", "import", csv.to_str().unwrap()]);
    assert!(out.contains("Imported 1 key(s)"), "{out}");
    // One identifier twice with two keys in one import: the first is kept, the second named.
    let twice = usb.path().join("twice.csv");
    write(
        &twice,
        format!(
            "Device name,Key ID,Recovery key\n\
             TWICE-1,{ID_E},{KEY_E}\nTWICE-1,{ID_E},{KEY_A}\n"
        )
        .as_bytes(),
    );
    let out = run(
        &alice,
        &["device", "import", twice.to_str().unwrap()],
        &[],
        "",
    );
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stdout(&out)
            .contains("twice.csv:line 3: an earlier input of this import has the same identifier"),
        "{}",
        stdout(&out)
    );
    ok(&alice, &["device", "rm", ID_E]);

    // Every published BitLocker example of the foundation issue, as one JSON import: the
    // valid ones are escrowed, each invalid one is reported with its group.
    published_examples(&alice, usb.path());

    // The list shows metadata only.
    let list = ok(&alice, &["device", "list"]);
    for id in [ID_A, ID_B, ID_C, ID_D] {
        assert!(list.contains(id), "{list}");
    }
    for key in [KEY_A, KEY_B, KEY_C, KEY_D] {
        assert!(!list.contains(key), "list never shows a key");
    }
    let one: serde_json::Value = serde_json::from_str(&ok(
        &alice,
        &["device", "list", "--device", "hr-desk-02", "--json"],
    ))
    .unwrap();
    assert_eq!(one.as_array().unwrap().len(), 1, "{one}");
    assert_eq!(one[0]["serial"], "5CG9");

    // Find by what the recovery screen shows: 8 characters, any case, braces allowed.
    let found = ok(&alice, &["device", "find", "{ac9d5655"]);
    assert!(
        found.contains(ID_A) && found.contains("FIN-LAPTOP-07"),
        "{found}"
    );
    assert!(!found.contains(KEY_A), "find never shows a key");
    let err = refused(&alice, &["device", "find", "ac9d565"]);
    assert!(err.contains("at least 8"), "{err}");

    // Reveal: audited with the reason, then marked "rotate after use".
    let out = ok(
        &alice,
        &["device", "reveal", "AC9D5655", "--reason", "ticket 4711"],
    );
    assert!(out.contains(KEY_A), "{out}");
    let audit = ok(&alice, &["audit", "list"]);
    assert!(
        audit.contains("device-key-revealed") && audit.contains("ticket 4711"),
        "{audit}"
    );
    // The server logged a record id only; this device names the key from the escrow.
    assert!(
        audit.contains(&format!("key {ID_A} of FIN-LAPTOP-07")),
        "{audit}"
    );
    let rotation = ok(&alice, &["device", "list", "--needs-rotation"]);
    assert!(
        rotation.contains(ID_A) && !rotation.contains(ID_B),
        "{rotation}"
    );

    // Export to a folder (a USB drive): Windows' file name and bytes; importing it gives back
    // the same record.
    let export = tempfile::tempdir().unwrap();
    ok(
        &alice,
        &[
            "device",
            "export",
            "ac9d5655-f7ca",
            "--format",
            "bitlocker-txt",
            "--out",
            export.path().to_str().unwrap(),
        ],
    );
    let written = export
        .path()
        .join(format!("BitLocker Recovery Key {ID_A}.TXT"));
    assert_eq!(std::fs::read(&written).unwrap(), windows_file(ID_A, KEY_A));
    let out = ok(
        &alice,
        &[
            "device",
            "import",
            written.to_str().unwrap(),
            "--device",
            "FIN-LAPTOP-07",
        ],
    );
    assert!(
        out.contains("Imported 0 key(s); 1 already present"),
        "{out}"
    );
    for (format, magic) in [("html", "<!DOCTYPE html"), ("pdf", "%PDF")] {
        let path = export.path().join(format!("a.{format}"));
        ok(
            &alice,
            &[
                "device",
                "export",
                ID_A,
                "--format",
                format,
                "--out",
                path.to_str().unwrap(),
            ],
        );
        let bytes = std::fs::read(&path).unwrap();
        assert!(
            String::from_utf8_lossy(&bytes[..64.min(bytes.len())]).contains(magic),
            "{format}"
        );
    }

    // Wrong-key guidance: a typo names the group; another device's key names that device.
    let check = |typed: &str| {
        run(
            &alice,
            &["device", "check", "--key-id", "1f8c3e21"],
            &[("KEYHAVEN_DEVICE_KEY", typed)],
            "",
        )
    };
    let out = check(KEY_B);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(stdout(&out).contains("Yes"), "{}", stdout(&out));
    let out = check(KEY_D);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr(&out).contains("HR-DESK-02") && stderr(&out).contains(ID_D),
        "{}",
        stderr(&out)
    );
    let out = check(KEY_BAD);
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr(&out).contains("group 3"), "{}", stderr(&out));

    // A new key for the same device and volume replaces the old one, which stays as history
    // and can still be revealed (the device may still use it).
    let out = run(
        &alice,
        &[
            "device",
            "add",
            "--device",
            "HR-DESK-02",
            "--volume",
            "C:",
            "--kind",
            "bitlocker",
            "--key-id",
            ID_F,
        ],
        &[("KEYHAVEN_DEVICE_KEY", KEY_F)],
        "",
    );
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(stdout(&out).contains("kept as history"), "{}", stdout(&out));
    let list = ok(&alice, &["device", "list", "--device", "HR-DESK-02"]);
    assert!(list.contains(ID_F) && !list.contains(ID_D), "{list}");
    let out = run(&alice, &["device", "reveal", "9a7b6c5d"], &[], "");
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(stdout(&out).contains(KEY_D), "{}", stdout(&out));
    assert!(
        stderr(&out).contains("was replaced by a newer key"),
        "{}",
        stderr(&out)
    );

    // A helpdesk member finds and reveals device keys, and reads no secret.
    let (hugo, _) = sign_up(&server, "hugo@example.com");
    join(&server, &alice, &hugo, "hugo@example.com", "helpdesk");
    let out = ok(
        &hugo,
        &[
            "device",
            "reveal",
            "5e0b7c44",
            "--reason",
            "user locked out",
        ],
    );
    assert!(out.contains(KEY_C), "{out}");
    let err = refused(&hugo, &["secret", "list"]);
    assert!(!err.is_empty());
    let err = refused(&hugo, &["device", "rm", "5e0b7c44"]);
    assert!(err.contains("owners and admins"), "{err}");

    // A workspace that requires a reason for every reveal: the server refuses one without,
    // whoever asks; only owners and admins change the rule, and the change is audited.
    let out = ok(&alice, &["device", "settings"]);
    assert!(out.contains("is optional"), "{out}");
    let err = refused(&hugo, &["device", "settings", "--reason", "required"]);
    assert!(err.contains("owners and admins"), "{err}");
    let out = ok(&alice, &["device", "settings", "--reason", "required"]);
    assert!(out.contains("is required"), "{out}");
    let err = refused(&hugo, &["device", "reveal", "5e0b7c44"]);
    assert!(err.contains("requires a reason"), "{err}");
    let nowhere = tempfile::tempdir().unwrap();
    let err = refused(
        &alice,
        &[
            "device",
            "export",
            "5e0b7c44",
            "--format",
            "json",
            "--out",
            nowhere.path().to_str().unwrap(),
        ],
    );
    assert!(err.contains("requires a reason"), "{err}");
    let out = ok(
        &hugo,
        &["device", "reveal", "5e0b7c44", "--reason", "ticket 99"],
    );
    assert!(out.contains(KEY_C), "{out}");
    let audit = ok(&alice, &["audit", "list"]);
    assert!(audit.contains("device-setting-changed"), "{audit}");
    assert_eq!(std::fs::read_dir(nowhere.path()).unwrap().count(), 0);
    ok(&alice, &["device", "settings", "--reason", "optional"]);

    // Enrollment tokens: write-only, resubmission stored once, revocable.
    let created = ok(
        &alice,
        &[
            "escrow",
            "token",
            "create",
            "--expires",
            "30d",
            "--name",
            "intune",
        ],
    );
    let token = created
        .split_whitespace()
        .find(|w| w.starts_with("KHT2-"))
        .expect("the token is shown once")
        .to_owned();
    let token_id = created
        .split_whitespace()
        .nth(2)
        .expect("token id")
        .trim_end_matches(':')
        .to_owned();
    let agent = User::new(&server);
    let submit = |key: &str| {
        run(
            &agent,
            &[
                "escrow",
                "submit",
                "--server",
                &server.url,
                "--device",
                "LAB-PC-9",
                "--kind",
                "bitlocker",
                "--key-id",
                "{0badc0de-1111-4222-8333-444455556666}",
                "--volume",
                "C:",
            ],
            &[
                ("KEYHAVEN_ESCROW_TOKEN", &token),
                ("KEYHAVEN_DEVICE_KEY", key),
            ],
            "",
        )
    };
    let out = submit(KEY_B);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(
        stdout(&out).contains("Submitted 1 key(s)"),
        "{}",
        stdout(&out)
    );
    let out = submit(KEY_B);
    assert!(
        stdout(&out).contains("Submitted 0 key(s) to the workspace escrow (1 already there)"),
        "{}",
        stdout(&out)
    );
    // A BitLocker file, named after the machine the agent runs on.
    let agent_file = usb.path().join("agent/BitLocker Recovery Key E.TXT");
    write(&agent_file, &windows_file(ID_E, KEY_E));
    let out = run(
        &agent,
        &[
            "escrow",
            "submit",
            "--server",
            &server.url,
            "--file",
            agent_file.to_str().unwrap(),
        ],
        &[("KEYHAVEN_ESCROW_TOKEN", &token)],
        "",
    );
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    // The agent has no session: it cannot list or find. Nor can the token itself, sent as a
    // session, read, reveal or delete anything; and a wrong auth value is refused.
    let out = run(&agent, &["device", "list"], &[], "");
    assert_eq!(out.status.code(), Some(1));
    token_cannot_read(&server, &alice, &token);
    // Holders of the escrow key index the submission on their next look, and find it.
    let found = ok(&alice, &["device", "find", "0BADC0DE"]);
    assert!(found.contains("LAB-PC-9"), "{found}");
    let host = std::fs::read_to_string("/proc/sys/kernel/hostname").unwrap();
    let found = ok(&alice, &["device", "find", "e1e2e3e4"]);
    assert!(found.contains(host.trim()), "{found}");
    let tokens = ok(&alice, &["escrow", "token", "list"]);
    assert!(tokens.contains("2 key(s) submitted"), "{tokens}");
    ok(&alice, &["escrow", "token", "revoke", &token_id]);
    let out = submit(KEY_C);
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr(&out).contains("revoked"), "{}", stderr(&out));
    // An expired token is refused too.
    let created = ok(&alice, &["escrow", "token", "create", "--expires", "1h"]);
    let second = created
        .split_whitespace()
        .find(|w| w.starts_with("KHT2-"))
        .unwrap()
        .to_owned();
    server.sql("UPDATE escrow_tokens SET expires_at = 1000 WHERE revoked_at IS NULL");
    let out = run(
        &agent,
        &[
            "escrow",
            "submit",
            "--server",
            &server.url,
            "--device",
            "LAB-PC-9",
            "--kind",
            "bitlocker",
            "--key-id",
            ID_C,
        ],
        &[
            ("KEYHAVEN_ESCROW_TOKEN", &second),
            ("KEYHAVEN_DEVICE_KEY", KEY_C),
        ],
        "",
    );
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr(&out).contains("expired"), "{}", stderr(&out));

    // Removing the helpdesk member rotates the escrow key: new keys are sealed to version 2,
    // the older ones stay readable by the remaining holders, and Hugo is refused.
    let out = ok(&alice, &["member", "remove", "hugo@example.com"]);
    assert!(out.contains("The escrow key is now version 2."), "{out}");
    let out = run(
        &alice,
        &[
            "device",
            "add",
            "--device",
            "NEW-PC-1",
            "--kind",
            "bitlocker",
            "--key-id",
            ID_C,
        ],
        &[("KEYHAVEN_DEVICE_KEY", KEY_D)],
        "",
    );
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(
        stdout(&out).contains("the key it replaces is kept as history"),
        "{}",
        stdout(&out)
    );
    let history = ok(&alice, &["device", "list", "--history"]);
    assert!(
        history.contains("NEW-PC-1") && history.contains("replaced"),
        "{history}"
    );
    let found = ok(&alice, &["device", "find", "5E0B7C44"]);
    assert!(found.contains("NEW-PC-1"), "{found}");
    // The current key wins; history stays readable.
    let out = ok(&alice, &["device", "reveal", "5E0B7C44"]);
    assert!(out.contains(KEY_D) && !out.contains(KEY_C), "{out}");
    let err = refused(&hugo, &["device", "find", "5E0B7C44"]);
    assert!(!err.is_empty());

    // If the audit event cannot be written, nothing is revealed and nothing is marked.
    let refuse = match db {
        Db::Sqlite => {
            "CREATE TRIGGER refuse_audit BEFORE INSERT ON audit_events \
             BEGIN SELECT RAISE(ABORT, 'audit disk full'); END;"
        }
        Db::Postgres => {
            "CREATE FUNCTION refuse_audit() RETURNS trigger LANGUAGE plpgsql AS \
             $$ BEGIN RAISE EXCEPTION 'audit disk full'; END $$; \
             CREATE TRIGGER refuse_audit BEFORE INSERT ON audit_events \
             FOR EACH ROW EXECUTE FUNCTION refuse_audit();"
        }
    };
    server.sql(refuse);
    let out = run(&alice, &["device", "reveal", ID_F], &[], "");
    assert_eq!(out.status.code(), Some(1));
    assert!(
        !stdout(&out).contains(KEY_F),
        "no key without its audit event"
    );
    server.sql(match db {
        Db::Sqlite => "DROP TRIGGER refuse_audit",
        Db::Postgres => "DROP TRIGGER refuse_audit ON audit_events",
    });
    let rotation = ok(&alice, &["device", "list", "--needs-rotation"]);
    assert!(!rotation.contains(ID_F), "{rotation}");

    // Removal takes the history behind a key with it.
    ok(&alice, &["device", "rm", ID_F]);
    let list = ok(&alice, &["device", "list", "--history"]);
    assert!(!list.contains(ID_F) && !list.contains(ID_D), "{list}");
    assert!(list.contains(ID_A), "{list}");
}

fn published_examples(alice: &User, dir: &Path) {
    let vectors: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../docs/vectors/bitlocker-recovery-passwords.json"
        ))
        .unwrap(),
    )
    .unwrap();
    let vectors = vectors["vectors"].as_array().unwrap();
    let rows: Vec<serde_json::Value> = vectors
        .iter()
        .enumerate()
        .map(|(i, v)| {
            serde_json::json!({
                "device": format!("PUBLISHED-{i:02}"),
                "key_id": format!("{i:08X}-0000-4000-8000-00000000AAAA"),
                "recovery_password": v["password"],
            })
        })
        .collect();
    let path = dir.join("published.json");
    write(&path, serde_json::to_string(&rows).unwrap().as_bytes());
    let out = run(
        alice,
        &["device", "import", path.to_str().unwrap(), "--json"],
        &[],
        "",
    );
    assert_eq!(out.status.code(), Some(1), "some examples are invalid");
    let summary: serde_json::Value = serde_json::from_str(&stdout(&out)).unwrap();
    let valid = vectors.iter().filter(|v| v["expected"] == "valid").count();
    assert_eq!(summary["imported"], valid);
    let invalid = summary["invalid"].as_array().unwrap();
    assert_eq!(invalid.len(), vectors.len() - valid);
    for (i, v) in vectors.iter().enumerate() {
        if v["expected"] == "valid" {
            continue;
        }
        let reason = invalid
            .iter()
            .find(|r| {
                r["input"]
                    .as_str()
                    .unwrap()
                    .ends_with(&format!("#{}", i + 1))
            })
            .unwrap_or_else(|| panic!("example {i} reported: {invalid:?}"))["reason"]
            .as_str()
            .unwrap()
            .to_owned();
        assert!(
            reason.contains(&format!("group {}", v["group"])),
            "example {i}: {reason}"
        );
    }
    // They are not this story's devices: remove them again.
    for (i, v) in vectors.iter().enumerate() {
        if v["expected"] == "valid" {
            ok(alice, &["device", "rm", &format!("{i:08X}")]);
        }
    }
}

/// The enrollment token used as a session, or with a wrong auth value: refused everywhere.
fn token_cannot_read(server: &Server, alice: &User, token: &str) {
    let ws: serde_json::Value =
        serde_json::from_str(&ok(alice, &["workspace", "list", "--json"])).unwrap();
    let ws = ws[0]["id"].as_str().unwrap().to_owned();
    let parsed = keyhaven_core::escrow::TokenSecret::parse(token).unwrap();
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        let as_session = keyhaven_client::Client::new(&server.url)
            .unwrap()
            .with_session(token);
        let key = "00000000-0000-4000-8000-000000000001";
        let list: Result<serde_json::Value, _> = as_session
            .get(&format!("/v1/workspaces/{ws}/devices"))
            .await;
        let reveal: Result<serde_json::Value, _> = as_session
            .post(
                &format!("/v1/workspaces/{ws}/devices/{key}/reveal"),
                &serde_json::json!({"purpose": "reveal", "reason": null}),
            )
            .await;
        let delete = as_session
            .send_delete(&format!("/v1/workspaces/{ws}/devices/{key}"))
            .await;
        for err in [list.err(), reveal.err(), delete.err()] {
            assert_eq!(
                err.and_then(|e| e.code().map(str::to_owned)).as_deref(),
                Some("unauthorized")
            );
        }
        let anonymous = keyhaven_client::Client::new(&server.url).unwrap();
        let wrong: Result<serde_json::Value, _> = anonymous
            .post(
                "/v1/escrow/submit",
                &serde_json::json!({
                    "auth": {"token_id": parsed.id.to_string(), "auth": "AAAA"},
                    "keys": [],
                }),
            )
            .await;
        assert_eq!(wrong.unwrap_err().code(), Some("forbidden"));
        // A token reads nothing: the roster endpoint (with every member's address) is gone.
        let roster: Result<serde_json::Value, _> = anonymous
            .post(
                "/v1/escrow/roster",
                &serde_json::json!({"token_id": parsed.id.to_string(), "auth": "AAAA"}),
            )
            .await;
        assert_eq!(roster.unwrap_err().code(), Some("not_found"));
    });
}

#[test]
fn devices_on_sqlite() {
    devices_story(Db::Sqlite);
}

#[test]
fn devices_on_postgres() {
    devices_story(Db::Postgres);
}
