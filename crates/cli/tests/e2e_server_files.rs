//! End to end, with the real binary: the server's data directory and database file are readable
//! by the server's user only, and the server refuses to start on a data directory that other
//! users can read (it holds the OPAQUE server setup, the code key and the mail outbox), unless
//! told otherwise (issue 8, item 9).

mod support;

use std::io::{BufRead, BufReader};
use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::process::{Command, Stdio};

fn server(data_dir: &Path, extra: &[&str]) -> Command {
    let mut cmd = Command::new(support::BIN);
    cmd.args(["server", "--listen", "127.0.0.1:0"])
        .arg("--data-dir")
        .arg(data_dir)
        .args(extra)
        .env_remove("KEYHAVEN_DATABASE")
        .env("KEYHAVEN_LOG", "warn")
        .stdin(Stdio::null());
    cmd
}

/// Starts the server, waits until it listens, and stops it.
fn starts(data_dir: &Path, extra: &[&str]) {
    let mut child = server(data_dir, extra)
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let listening = BufReader::new(stdout)
        .lines()
        .map_while(Result::ok)
        .any(|line| line.starts_with("keyhaven server listening on "));
    child.kill().unwrap();
    child.wait().unwrap();
    assert!(
        listening,
        "the server did not start on {}",
        data_dir.display()
    );
}

fn mode(path: &Path) -> u32 {
    std::fs::metadata(path).unwrap().permissions().mode() & 0o777
}

#[test]
fn data_directory_is_private_and_a_readable_one_is_refused() {
    let root = tempfile::tempdir().unwrap();
    // A new data directory (and its parent) is created 0700; the database is 0600.
    let fresh = root.path().join("srv/keyhaven-data");
    starts(&fresh, &[]);
    assert_eq!(mode(&fresh), 0o700);
    assert_eq!(mode(&fresh.join("keyhaven.db")), 0o600);

    // A data directory other users can read: refused, with what to do, and nothing written.
    let shared = root.path().join("shared");
    std::fs::create_dir(&shared).unwrap();
    std::fs::set_permissions(&shared, std::fs::Permissions::from_mode(0o755)).unwrap();
    let out = server(&shared, &[]).output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("can be read by other users (mode 0755)") && stderr.contains("chmod 700"),
        "{stderr}"
    );
    assert!(!shared.join("keyhaven.db").exists());

    // Unless told otherwise; the database file is still private.
    starts(&shared, &["--dangerous-allow-readable-data-dir"]);
    assert_eq!(mode(&shared.join("keyhaven.db")), 0o600);
}
