//! End to end, with the real binary on 127.0.0.1:0: signup with the emailed code, login,
//! whoami, logout; no account enumeration; graceful shutdown. On SQLite and on PostgreSQL.

mod support;

use support::{Db, Server, User, code_in, stderr, stdout};

const EMAIL: &str = "Alice@Example.com";
const PASSWORD: &str = "correct horse battery staple";

fn accounts_story(db: Db) {
    let server = Server::start(db);
    let alice = User::new(&server);
    let url = server.url.clone();

    // Without --code and without a terminal: the code is emailed, and the CLI says what next.
    let out = alice.run(&["signup", "--server", &url, "--email", EMAIL], None);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(
        stdout(&out).contains("Re-run with --code CODE"),
        "{}",
        stdout(&out)
    );
    let mail = server.mail(0);
    assert!(mail.contains("To: alice@example.com"), "{mail}");
    assert!(
        mail.contains("http://keyhaven.test"),
        "emails use the public URL: {mail}"
    );
    let code = code_in(&mail);

    // A wrong code is refused with a hint; the right one then works.
    let wrong = if code == "00000000" {
        "11111111"
    } else {
        "00000000"
    };
    let out = alice.run(
        &[
            "signup", "--server", &url, "--email", EMAIL, "--code", wrong,
        ],
        Some(PASSWORD),
    );
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr(&out).contains("the code is wrong or has expired"),
        "{}",
        stderr(&out)
    );
    assert!(
        stderr(&out).contains("hint: request a new code"),
        "{}",
        stderr(&out)
    );

    let out = alice.run(
        &[
            "signup", "--server", &url, "--email", EMAIL, "--code", &code,
        ],
        Some(PASSWORD),
    );
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(
        stdout(&out).contains("Account created for alice@example.com"),
        "{}",
        stdout(&out)
    );

    // The code is single use.
    let out = alice.run(
        &[
            "signup", "--server", &url, "--email", EMAIL, "--code", &code,
        ],
        Some(PASSWORD),
    );
    assert_eq!(out.status.code(), Some(1));

    // Signing up again with a taken address looks the same from outside; the owner gets a notice.
    let out = alice.run(&["signup", "--server", &url, "--email", EMAIL], None);
    assert_eq!(out.status.code(), Some(0));
    assert!(
        stdout(&out).contains("A verification code was sent"),
        "{}",
        stdout(&out)
    );
    assert!(server.mail(1).contains("You already have one"));

    // Wrong password and unknown account: the same message.
    let out = alice.run(
        &["login", "--server", &url, "--email", EMAIL],
        Some("wrong password"),
    );
    assert_eq!(out.status.code(), Some(1));
    let wrong_password = stderr(&out);
    let out = alice.run(
        &["login", "--server", &url, "--email", "nobody@example.com"],
        Some(PASSWORD),
    );
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(stderr(&out), wrong_password);
    assert!(
        wrong_password.starts_with("error: incorrect email or password\n"),
        "{wrong_password}"
    );

    // Login, whoami, logout.
    let out = alice.run(
        &["login", "--server", &url, "--email", EMAIL],
        Some(PASSWORD),
    );
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(stdout(&out).contains("Signed in as alice@example.com"));
    assert!(stdout(&out).contains("Your key fingerprint: "));
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(alice.session_file())
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600, "the session file is private");
    }
    let out = alice.run(&["whoami", "--json"], None);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let who: serde_json::Value = serde_json::from_str(&stdout(&out)).unwrap();
    assert_eq!(who["email"], "alice@example.com");

    let token_before = std::fs::read_to_string(alice.session_file()).unwrap();
    let out = alice.run(&["logout"], None);
    assert_eq!(out.status.code(), Some(0));
    let out = alice.run(&["whoami"], None);
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr(&out).contains("not signed in"), "{}", stderr(&out));

    // The old token no longer works on the server either.
    std::fs::write(alice.session_file(), token_before).unwrap();
    let out = alice.run(&["whoami"], None);
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr(&out).contains("sign in first"), "{}", stderr(&out));

    // SIGTERM: graceful shutdown, exit status 0.
    assert!(server.stop().success());
}

#[test]
fn accounts_on_sqlite() {
    accounts_story(Db::Sqlite);
}

#[test]
fn accounts_on_postgres() {
    accounts_story(Db::Postgres);
}

/// A saved session past its lifetime is deleted with the account keys it holds, not kept on
/// the device after the server stopped accepting it (issue 8.10).
#[test]
fn an_expired_session_file_is_deleted_with_its_keys() {
    let server = Server::start(Db::Sqlite);
    let (user, _) = support::sign_up(&server, "erin@example.com");
    let path = user.session_file();
    let mut saved: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap();
    let expires = saved["expires_at"]
        .as_u64()
        .expect("login records the expiry");
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    assert!(
        expires > now && expires <= now + 7 * 86_400 + 60,
        "{expires}"
    );
    let out = user.run(&["whoami"], None);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));

    saved["expires_at"] = serde_json::json!(now - 1);
    std::fs::write(&path, serde_json::to_vec(&saved).unwrap()).unwrap();
    let out = user.run(&["whoami"], None);
    assert_eq!(out.status.code(), Some(1), "{}", stdout(&out));
    assert!(stderr(&out).contains("expired"), "{}", stderr(&out));
    assert!(stderr(&out).contains("not signed in"), "{}", stderr(&out));
    assert!(!path.exists(), "the file and the keys in it are gone");
}
