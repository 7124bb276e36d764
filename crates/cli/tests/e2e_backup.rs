//! Backup and restore keep everything: a SQLite backup taken while secrets are being written,
//! restored into a fresh data directory, serves every secret and device key and its audit
//! chain verifies; a PostgreSQL dump (pg_dump / pg_restore, as the README says) does the same.

mod support;

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

use support::{Db, PASSWORD, Server, User, log_in, ok, run, sign_up, stderr};

const KEY_A: &str = "236808-089419-192665-495704-618299-073414-538373-542366";
const ID_A: &str = "AC9D5655-F7CA-4D1D-902F-1B6087118138";

/// Alice's workspace with a device key and `secrets` secrets.
fn seeded(server: &Server, secrets: usize) -> User {
    let (alice, _) = sign_up(server, "alice@example.com");
    ok(&alice, &["workspace", "create", "Acme"]);
    for i in 0..secrets {
        let out = run(
            &alice,
            &["secret", "add", &format!("seed-{i}")],
            &[],
            &format!("pw-{i}\n"),
        );
        assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    }
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
    alice
}

/// On a new device (its own KEYHAVEN_HOME), signs in to `server` and checks that every one of
/// `expected` secrets decrypts with its value, the device key reveals, and the audit chain
/// verifies. A new device because restoring a backup is a rollback, which the old device's
/// pins rightly refuse.
fn everything_is_there(server: &Server, expected: &[String]) {
    let device = User::new(server);
    log_in(server, &device, "alice@example.com", PASSWORD);
    let out = ok(&device, &["workspace", "list", "--json"]);
    let list: serde_json::Value = serde_json::from_str(&out).unwrap();
    let id = list[0]["id"].as_str().expect("the workspace").to_owned();
    ok(&device, &["workspace", "trust", &id]);
    let out = ok(&device, &["secret", "list", "--json"]);
    let secrets: serde_json::Value = serde_json::from_str(&out).unwrap();
    let mut names: Vec<String> = secrets
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["name"].as_str().unwrap().to_owned())
        .collect();
    names.sort();
    let mut want = expected.to_vec();
    want.sort();
    assert_eq!(names, want);
    for name in expected {
        let out = ok(&device, &["secret", "get", name, "--json"]);
        let v: serde_json::Value = serde_json::from_str(&out).unwrap();
        let n = name.rsplit('-').next().unwrap();
        assert_eq!(v["fields"]["password"], format!("pw-{n}"), "{name}");
    }
    let out = ok(
        &device,
        &["device", "reveal", "ac9d5655", "--reason", "restore check"],
    );
    assert!(out.contains(KEY_A), "{out}");
    let out = ok(&device, &["audit", "verify"]);
    assert!(out.contains("chain intact"), "{out}");
}

#[test]
fn a_sqlite_backup_taken_under_write_load_restores_whole() {
    let server = Server::start(Db::Sqlite);
    let alice = seeded(&server, 5);

    // A writer adds secrets while the backup runs.
    let stop = Arc::new(AtomicBool::new(false));
    let written = Arc::new(AtomicUsize::new(5));
    let writer = {
        let (stop, written) = (Arc::clone(&stop), Arc::clone(&written));
        let home = alice.home.path().to_owned();
        std::thread::spawn(move || {
            while !stop.load(Ordering::SeqCst) {
                let i = written.load(Ordering::SeqCst);
                let out = std::process::Command::new(support::BIN)
                    .args(["secret", "add", &format!("load-{i}")])
                    .env("KEYHAVEN_HOME", &home)
                    .env("KEYHAVEN_SKIP_PROMPTS", "1")
                    .stdin(std::process::Stdio::piped())
                    .stdout(std::process::Stdio::null())
                    .stderr(std::process::Stdio::piped())
                    .spawn()
                    .and_then(|mut child| {
                        use std::io::Write as _;
                        child
                            .stdin
                            .take()
                            .unwrap()
                            .write_all(format!("pw-{i}\n").as_bytes())?;
                        child.wait_with_output()
                    })
                    .unwrap();
                assert!(
                    out.status.success(),
                    "{}",
                    String::from_utf8_lossy(&out.stderr)
                );
                written.fetch_add(1, Ordering::SeqCst);
            }
        })
    };
    while written.load(Ordering::SeqCst) < 8 {
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    let backups = tempfile::tempdir().unwrap();
    let file = backups.path().join("keyhaven-backup.db");
    let out = run(
        &alice,
        &[
            "server",
            "backup",
            "--data-dir",
            server.data_dir.path().to_str().unwrap(),
            "--out",
            file.to_str().unwrap(),
        ],
        &[],
        "",
    );
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let summary = support::stdout(&out);
    // Let the writer go on a little after the snapshot, then stop it.
    let at_backup = written.load(Ordering::SeqCst);
    while written.load(Ordering::SeqCst) < at_backup + 2 {
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    stop.store(true, Ordering::SeqCst);
    writer.join().unwrap();

    // The summary counts the secrets in the snapshot: some of the writer's, not all.
    let items: usize = summary
        .split(" workspaces, ")
        .nth(1)
        .and_then(|rest| rest.split(' ').next())
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("a secret count in {summary:?}"));
    assert!(
        (8..written.load(Ordering::SeqCst)).contains(&items),
        "{summary}"
    );
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&file).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600, "the backup holds the server's secrets");
    }
    let again = run(
        &alice,
        &[
            "server",
            "backup",
            "--data-dir",
            server.data_dir.path().to_str().unwrap(),
            "--out",
            file.to_str().unwrap(),
        ],
        &[],
        "",
    );
    assert_eq!(
        again.status.code(),
        Some(1),
        "an existing file is never overwritten"
    );

    // Restore into a fresh data directory and serve it.
    let restored = support::private_dir();
    let out = run(
        &alice,
        &[
            "server",
            "restore",
            "--from",
            file.to_str().unwrap(),
            "--data-dir",
            restored.path().to_str().unwrap(),
        ],
        &[],
        "",
    );
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let out = run(
        &alice,
        &[
            "server",
            "restore",
            "--from",
            file.to_str().unwrap(),
            "--data-dir",
            restored.path().to_str().unwrap(),
        ],
        &[],
        "",
    );
    assert_eq!(
        out.status.code(),
        Some(1),
        "a database already there needs --force"
    );
    assert!(stderr(&out).contains("--force"), "{}", stderr(&out));
    drop(server);
    let server = Server::start_on(restored);
    let mut expected: Vec<String> = (0..5).map(|i| format!("seed-{i}")).collect();
    expected.extend((5..items).map(|i| format!("load-{i}")));
    everything_is_there(&server, &expected);

    // Not a backup: refused with a reason, nothing replaced.
    let junk = backups.path().join("junk.db");
    std::fs::write(&junk, "not a database").unwrap();
    let out = run(
        &alice,
        &[
            "server",
            "restore",
            "--from",
            junk.to_str().unwrap(),
            "--data-dir",
            server.data_dir.path().to_str().unwrap(),
            "--force",
        ],
        &[],
        "",
    );
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr(&out).contains("not a Keyhaven backup"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn a_postgres_dump_restores_whole() {
    let server = Server::start(Db::Postgres);
    let alice = seeded(&server, 3);
    let source = server.pg_database().unwrap().to_owned();
    let dump = tempfile::tempdir().unwrap();
    let file = dump.path().join("keyhaven.dump");
    let status = std::process::Command::new("pg_dump")
        .args([
            "-h",
            "127.0.0.1",
            "-U",
            "postgres",
            "--format=custom",
            "--file",
        ])
        .arg(&file)
        .arg(&source)
        .status()
        .unwrap();
    assert!(status.success(), "pg_dump");
    let target = format!("{source}_restored");
    let status = std::process::Command::new("createdb")
        .args(["-h", "127.0.0.1", "-U", "postgres", &target])
        .status()
        .unwrap();
    assert!(status.success(), "createdb");
    let status = std::process::Command::new("pg_restore")
        .args([
            "-h",
            "127.0.0.1",
            "-U",
            "postgres",
            "--no-owner",
            "--dbname",
            &target,
        ])
        .arg(&file)
        .status()
        .unwrap();
    assert!(status.success(), "pg_restore");
    drop(alice);
    drop(server);
    let restored = Server::start_on_postgres(&target);
    let expected: Vec<String> = (0..3).map(|i| format!("seed-{i}")).collect();
    everything_is_there(&restored, &expected);

    // `keyhaven server backup` on PostgreSQL says what to use instead.
    let user = User::new(&restored);
    let out = run(
        &user,
        &[
            "server",
            "backup",
            "--database",
            &format!("postgres://postgres@127.0.0.1:5432/{target}"),
            "--out",
            "/tmp/never-written.db",
        ],
        &[],
        "",
    );
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr(&out).contains("pg_dump"), "{}", stderr(&out));
}
