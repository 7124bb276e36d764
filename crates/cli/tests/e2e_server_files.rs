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

/// Issue 8, item 11: under concurrent load the server answers every request and logs no panic
/// (a tracing span guard held across an `.await` used to panic "tried to clone a span that
/// already closed" and drop connections). The log is read after the load; any panic fails.
#[test]
fn healthz_under_load_logs_no_panic() {
    use std::io::{Read, Write};
    let root = support::private_dir();
    let log_path = root.path().join("server.log");
    let log = std::fs::File::create(&log_path).unwrap();
    let mut child = server(&root.path().join("data"), &[])
        .env("KEYHAVEN_LOG", "debug")
        .stdout(Stdio::piped())
        .stderr(log)
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let mut lines = BufReader::new(stdout).lines();
    let address = loop {
        let line = lines.next().expect("the server exited").unwrap();
        if let Some(rest) = line.strip_prefix("keyhaven server listening on http://") {
            break rest.trim().to_owned();
        }
    };
    std::thread::spawn(move || for _ in lines {});
    // Keep-alive connections, each with many requests in a row, as a load generator sends
    // them: requests of one connection resume on whichever worker thread is free.
    let workers: Vec<_> = (0..16)
        .map(|_| {
            let address = address.clone();
            std::thread::spawn(move || {
                let mut stream = std::net::TcpStream::connect(&address).unwrap();
                let mut reader = BufReader::new(stream.try_clone().unwrap());
                let mut ok = 0;
                for _ in 0..200 {
                    stream
                        .write_all(b"GET /healthz HTTP/1.1\r\nHost: load\r\n\r\n")
                        .unwrap();
                    let mut status = String::new();
                    reader.read_line(&mut status).unwrap();
                    let mut length = 0;
                    loop {
                        let mut line = String::new();
                        reader.read_line(&mut line).unwrap();
                        let line = line.trim_end();
                        if line.is_empty() {
                            break;
                        }
                        if let Some(v) = line.to_ascii_lowercase().strip_prefix("content-length:") {
                            length = v.trim().parse().unwrap();
                        }
                    }
                    let mut body = vec![0; length];
                    reader.read_exact(&mut body).unwrap();
                    if status.starts_with("HTTP/1.1 200") {
                        ok += 1;
                    }
                }
                ok
            })
        })
        .collect();
    let answered: usize = workers.into_iter().map(|w| w.join().unwrap()).sum();
    let _ = Command::new("kill")
        .arg("-TERM")
        .arg(child.id().to_string())
        .status();
    child.wait().unwrap();
    let log = std::fs::read_to_string(&log_path).unwrap();
    assert!(
        !log.contains("panicked") && !log.contains("tried to clone"),
        "the server panicked under load:\n{log}"
    );
    assert_eq!(answered, 3200, "every request is answered 200");
}
