//! End to end, with the real binary on 127.0.0.1:0: forgot password with the emailed access
//! code, the two acknowledgements, a new encryption key, every session signed out, no
//! automatic sign-in. On SQLite and on PostgreSQL.

mod support;

use std::process::{Command, Output, Stdio};

use support::{Db, Server, User, code_in, stderr, stdout};

const EMAIL: &str = "Alice@Example.com";
const PASSWORD: &str = "correct horse battery staple";
const NEW_PASSWORD: &str = "a new and longer passphrase";

/// `keyhaven args…` as `user`, with `KEYHAVEN_NEW_PASSWORD` set when given, and no terminal.
fn run_new_password(user: &User, args: &[&str], new_password: Option<&str>) -> Output {
    let mut cmd = Command::new(support::BIN);
    cmd.args(args)
        .env("KEYHAVEN_HOME", user.home.path())
        .env_remove("KEYHAVEN_PASSWORD")
        .env_remove("KEYHAVEN_NEW_PASSWORD")
        .env_remove("KEYHAVEN_SERVER")
        .stdin(Stdio::null());
    if let Some(password) = new_password {
        cmd.env("KEYHAVEN_NEW_PASSWORD", password);
    }
    cmd.output().unwrap()
}

/// The 8-digit code in a password reset email.
fn access_code(mail: &str) -> String {
    let at = mail.find("access code is ").expect("a reset code email") + "access code is ".len();
    mail[at..at + 8].to_owned()
}

/// The fingerprint on the line that starts with `label`.
fn fingerprint(out: &str, label: &str) -> String {
    out.lines()
        .find_map(|line| line.strip_prefix(label))
        .unwrap_or_else(|| panic!("no {label:?} in {out}"))
        .trim()
        .to_owned()
}

fn password_story(db: Db) {
    let server = Server::start(db);
    let alice = User::new(&server);
    let url = server.url.clone();

    // An account, signed in.
    let out = alice.run(&["signup", "--server", &url, "--email", EMAIL], None);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let code = code_in(&server.mail(0));
    let out = alice.run(
        &[
            "signup", "--server", &url, "--email", EMAIL, "--code", &code,
        ],
        Some(PASSWORD),
    );
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let out = alice.run(
        &["login", "--server", &url, "--email", EMAIL],
        Some(PASSWORD),
    );
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let old_fingerprint = fingerprint(&stdout(&out), "Your key fingerprint:");
    let out = alice.run(&["whoami", "--json"], None);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let who: serde_json::Value = serde_json::from_str(&stdout(&out)).unwrap();
    let account_id = who["id"].as_str().unwrap().to_owned();

    // Forgot: the same answer for an unknown address, which gets no mail.
    let out = alice.run(
        &[
            "password",
            "forgot",
            "--server",
            &url,
            "--email",
            "nobody@example.com",
        ],
        None,
    );
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let unknown = stdout(&out);
    let out = alice.run(
        &["password", "forgot", "--server", &url, "--email", EMAIL],
        None,
    );
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(
        stdout(&out).replace(EMAIL, "EMAIL"),
        unknown.replace("nobody@example.com", "EMAIL"),
        "the CLI cannot tell either"
    );
    assert!(
        stdout(&out).contains("keyhaven password reset --server"),
        "{}",
        stdout(&out)
    );
    let mail = server.mail(1);
    assert!(
        mail.contains("To: alice@example.com"),
        "the unknown address got nothing, so mail #1 is Alice's: {mail}"
    );
    let code = access_code(&mail);

    // Without --i-understand and without a terminal: refused before anything is sent.
    let reset = [
        "password", "reset", "--server", &url, "--email", EMAIL, "--code", &code,
    ];
    let out = run_new_password(&alice, &reset, Some(NEW_PASSWORD));
    assert_eq!(out.status.code(), Some(1), "{}", stdout(&out));
    assert!(
        stderr(&out).contains("both acknowledgements are needed"),
        "{}",
        stderr(&out)
    );
    assert!(
        stderr(&out).contains("hint: run it on a terminal")
            && stderr(&out).contains("--i-understand"),
        "{}",
        stderr(&out)
    );

    // A wrong code is refused with a hint.
    let wrong = if code == "00000000" {
        "11111111"
    } else {
        "00000000"
    };
    let out = run_new_password(
        &alice,
        &[
            "password",
            "reset",
            "--server",
            &url,
            "--email",
            EMAIL,
            "--code",
            wrong,
            "--i-understand",
        ],
        Some(NEW_PASSWORD),
    );
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr(&out).contains("the code is wrong or has expired"),
        "{}",
        stderr(&out)
    );
    assert!(
        stderr(&out).contains("hint: request a new code with `keyhaven password forgot`"),
        "{}",
        stderr(&out)
    );

    // The reset: warned, both acknowledged by the flag, a new key, sessions signed out.
    let session_before = std::fs::read_to_string(alice.session_file()).unwrap();
    let mut with_flag = reset.to_vec();
    with_flag.push("--i-understand");
    let out = run_new_password(&alice, &with_flag, Some(NEW_PASSWORD));
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let said = stdout(&out);
    assert!(
        stderr(&out).contains("generates a new encryption key"),
        "the warning is shown: {}",
        stderr(&out)
    );
    assert!(
        stderr(&out).contains(
            "I understand that without my recovery key, I will no longer be able to access \
             the workspace"
        ) && stderr(&out).contains("I understand and accept the risks"),
        "{}",
        stderr(&out)
    );
    assert!(
        said.contains(&format!(
            "Password reset for alice@example.com (account {account_id})"
        )),
        "{said}"
    );
    assert!(
        said.contains("Every session of this account was signed out (1 on the server)"),
        "{said}"
    );
    assert!(said.contains("emergency reset code"), "{said}");
    let new_fingerprint = fingerprint(
        &said,
        "A new encryption key was generated. Your new key fingerprint:",
    );
    assert_ne!(new_fingerprint, old_fingerprint);

    // No automatic sign-in; the local session was this account's and is gone.
    assert!(!alice.session_file().exists(), "no automatic sign-in");
    let out = alice.run(&["whoami"], None);
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr(&out).contains("not signed in"), "{}", stderr(&out));
    // The server revoked the old session too.
    std::fs::write(alice.session_file(), session_before).unwrap();
    let out = alice.run(&["whoami"], None);
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr(&out).contains("sign in first"), "{}", stderr(&out));

    // The code and its reset are used up.
    let out = run_new_password(&alice, &with_flag, Some("yet another password"));
    assert_eq!(out.status.code(), Some(1), "{}", stdout(&out));

    // The old password no longer works; the new one does, for the same account, with the new
    // keys (they unwrap under the new password and match the fingerprint shown at the reset).
    let out = alice.run(
        &["login", "--server", &url, "--email", EMAIL],
        Some(PASSWORD),
    );
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr(&out).starts_with("error: incorrect email or password\n"),
        "{}",
        stderr(&out)
    );
    let out = alice.run(
        &["login", "--server", &url, "--email", EMAIL],
        Some(NEW_PASSWORD),
    );
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(
        fingerprint(&stdout(&out), "Your key fingerprint:"),
        new_fingerprint
    );
    let out = alice.run(&["whoami", "--json"], None);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let who: serde_json::Value = serde_json::from_str(&stdout(&out)).unwrap();
    assert_eq!(
        who["id"],
        account_id.as_str(),
        "the account id is unchanged"
    );

    // The notice arrived.
    let notice = server.mail(2);
    assert!(notice.contains("To: alice@example.com"), "{notice}");
    assert!(
        notice.contains("Subject: Your Keyhaven password was reset"),
        "{notice}"
    );
    assert!(notice.contains("emergency reset code"), "{notice}");
    assert!(notice.contains("Sign in again"), "{notice}");

    assert!(server.stop().success());
}

#[test]
fn password_reset_on_sqlite() {
    password_story(Db::Sqlite);
}

#[test]
fn password_reset_on_postgres() {
    password_story(Db::Postgres);
}
