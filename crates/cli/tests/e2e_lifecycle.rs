//! End to end, with the real binary: workspace creation with the welcome email, secrets, and
//! what a malicious or confused server cannot make the client accept. SQLite and PostgreSQL.

mod support;

use std::io::Write;
use std::process::{Command, Stdio};

use support::{Db, Server, User, recovery_key_in, signed_in_user, stderr, stdout};

/// Runs a command with `input` on stdin.
fn with_stdin(user: &User, args: &[&str], input: &str) -> std::process::Output {
    let mut child = Command::new(support::BIN)
        .args(args)
        .env("KEYHAVEN_HOME", user.home.path())
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

/// The 48-digit key in a welcome email.
fn workspace_and_secrets(db: Db) {
    let server = Server::start(db);
    let alice = signed_in_user(&server, "alice@example.com", 0);

    let out = alice.run(&["workspace", "create", "Acme"], None);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(
        stdout(&out).contains("temporary recovery key"),
        "{}",
        stdout(&out)
    );
    let welcome = server.mail(1);
    assert!(
        welcome.contains("Subject: Welcome to Keyhaven"),
        "{welcome}"
    );
    assert!(
        welcome.contains("KEYHAVEN RECOVERY KIT"),
        "the kit is in the email: {welcome}"
    );
    let key = recovery_key_in(&welcome);
    let out = alice.run(&["key", "check", "--kind", "keyhaven", &key], None);
    assert_eq!(out.status.code(), Some(0), "the emailed key is well formed");

    let out = with_stdin(
        &alice,
        &["secret", "add", "payroll", "--username", "ops"],
        "hunter2\n",
    );
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let out = with_stdin(
        &alice,
        &["secret", "add", "stripe", "--kind", "api-key"],
        "sk_live_123\n",
    );
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let out = with_stdin(&alice, &["secret", "add", "payroll"], "again\n");
    assert_eq!(out.status.code(), Some(1), "names are unique");

    let out = alice.run(&["secret", "get", "payroll", "--json"], None);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let v: serde_json::Value = serde_json::from_str(&stdout(&out)).unwrap();
    assert_eq!(v["fields"]["password"], "hunter2");
    assert_eq!(v["fields"]["username"], "ops");
    assert_eq!(v["kind"], "login");
    assert_eq!(v["revision"], 1);

    let out = alice.run(&["secret", "list"], None);
    assert_eq!(stdout(&out), "payroll  (login)\nstripe  (api-key)\n");

    let out = with_stdin(&alice, &["secret", "edit", "payroll"], "hunter3\n");
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(stdout(&out).contains("revision 2"), "{}", stdout(&out));
    let out = alice.run(&["secret", "get", "payroll", "--json"], None);
    let v: serde_json::Value = serde_json::from_str(&stdout(&out)).unwrap();
    assert_eq!(v["fields"]["password"], "hunter3");
    assert_eq!(v["fields"]["username"], "ops", "other fields are kept");
    assert_eq!(v["revision"], 2);

    let out = alice.run(&["secret", "rm", "stripe"], None);
    assert_eq!(out.status.code(), Some(0));
    let out = alice.run(&["secret", "list", "--json"], None);
    let v: serde_json::Value = serde_json::from_str(&stdout(&out)).unwrap();
    assert_eq!(v.as_array().unwrap().len(), 1);

    let out = alice.run(&["workspace", "show", "--json"], None);
    let v: serde_json::Value = serde_json::from_str(&stdout(&out)).unwrap();
    assert_eq!(v["name"], "Acme");
    assert_eq!(v["recovery_key"]["kind"], "temporary");
    assert_eq!(v["members"][0]["role"], "Owner");

    // Another user sees nothing of Acme.
    let bob = signed_in_user(&server, "bob@example.com", 2);
    let out = bob.run(&["workspace", "list"], None);
    assert!(
        stdout(&out).contains("No workspaces yet"),
        "{}",
        stdout(&out)
    );
    let out = bob.run(&["secret", "list", "--workspace", "Acme"], None);
    assert_eq!(out.status.code(), Some(1));

    // --no-email: a permanent key, written to the kit file (and never emailed).
    let kit = alice.home.path().join("kit.txt");
    let kit_arg = kit.to_str().unwrap();
    let out = alice.run(
        &[
            "workspace",
            "create",
            "Offline",
            "--no-email",
            "--kit-out",
            kit_arg,
        ],
        None,
    );
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let text = std::fs::read_to_string(&kit).unwrap();
    assert!(
        text.contains("Kind:          permanent (does not expire)"),
        "{text}"
    );
    // Mail is delivered from the outbox in the order it was queued: once a later message has
    // arrived, a welcome mail for Offline would have arrived too.
    let carol = User::new(&server);
    let url = server.url.clone();
    let out = carol.run(
        &["signup", "--server", &url, "--email", "carol@example.com"],
        None,
    );
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    support::mail(&server, "carol@example.com", "verification code is ");
    assert!(
        server.mails().iter().all(|m| !m.contains("Offline")),
        "no welcome email for --no-email"
    );
    // Replacing a recovery key takes the current one: without it nothing is generated.
    let out = alice.run(
        &["recovery-key", "generate", "--workspace", "Acme", "--yes"],
        None,
    );
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr(&out).contains("KEYHAVEN_RECOVERY_KEY"),
        "{}",
        stderr(&out)
    );
    assert!(!stdout(&out).contains("New permanent recovery key"));
    // Printable kits: HTML with the QR code and large digits, and a PDF; each new key replaces
    // the one before, so each generate proves the previous key.
    let mut current = key.clone();
    for (format, file) in [("html", "kit.html"), ("pdf", "kit.pdf")] {
        let path = alice.home.path().join(file);
        let args = [
            "recovery-key",
            "generate",
            "--workspace",
            "Acme",
            "--yes",
            "--format",
            format,
            "--out",
            path.to_str().unwrap(),
        ];
        let out = with_env(&alice, &args, &[("KEYHAVEN_RECOVERY_KEY", &current)]);
        assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
        let key = recovery_key_in(&stdout(&out));
        let bytes = std::fs::read(&path).unwrap();
        if format == "html" {
            let html = String::from_utf8(bytes).unwrap();
            assert!(html.contains("<svg"), "a QR code");
            assert!(
                html.contains(&format!("<span>{}</span>", &key[..6])),
                "large digits"
            );
        } else {
            assert!(bytes.starts_with(b"%PDF-"));
        }
        current = key;
    }

    let out = alice.run(&["secret", "list"], None);
    assert_eq!(
        out.status.code(),
        Some(1),
        "two workspaces: the CLI asks which"
    );
    assert!(stderr(&out).contains("--workspace"), "{}", stderr(&out));
}

#[test]
fn workspace_and_secrets_on_sqlite() {
    workspace_and_secrets(Db::Sqlite);
}

#[test]
fn workspace_and_secrets_on_postgres() {
    workspace_and_secrets(Db::Postgres);
}

/// Runs `keyhaven args…` with extra environment variables.
fn with_env(user: &User, args: &[&str], env: &[(&str, &str)]) -> std::process::Output {
    let mut cmd = Command::new(support::BIN);
    cmd.args(args)
        .env("KEYHAVEN_HOME", user.home.path())
        .env_remove("KEYHAVEN_PASSWORD")
        .env_remove("KEYHAVEN_NEW_PASSWORD")
        .env_remove("KEYHAVEN_RECOVERY_KEY")
        .stdin(Stdio::null());
    for (k, v) in env {
        cmd.env(k, v);
    }
    cmd.output().unwrap()
}

/// Index of the newest mail whose text contains `needle`.
fn newest_mail_with(server: &Server, needle: &str) -> String {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    loop {
        if let Some(mail) = server
            .mails()
            .into_iter()
            .rev()
            .find(|m| m.contains(needle))
        {
            return mail;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "no mail containing {needle:?}"
        );
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
}

/// The source document's lifecycle: forgot password → emailed access code → new encryption
/// keys → secrets unreadable → the emergency reset code (the temporary recovery key from the
/// welcome email) restores the link → a permanent key replaces the temporary one, which is
/// then refused; validation; owner notices.
fn emergency_reset(db: Db) {
    let server = Server::start(db);
    let url = server.url.clone();
    let alice = signed_in_user(&server, "alice@example.com", 0);
    assert_eq!(
        alice
            .run(&["workspace", "create", "Acme"], None)
            .status
            .code(),
        Some(0)
    );
    let temporary = recovery_key_in(&server.mail(1));
    let out = with_stdin(&alice, &["secret", "add", "payroll"], "hunter2\n");
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));

    // Forgot password: access code by email, both acknowledgements, new encryption keys.
    let out = alice.run(
        &[
            "password",
            "forgot",
            "--server",
            &url,
            "--email",
            "alice@example.com",
        ],
        None,
    );
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let mail = newest_mail_with(&server, "access code is ");
    let at = mail.find("access code is ").unwrap() + "access code is ".len();
    let code = mail[at..at + 8].to_owned();
    let new_password = "a brand new passphrase";
    let out = with_env(
        &alice,
        &[
            "password",
            "reset",
            "--server",
            &url,
            "--email",
            "alice@example.com",
            "--code",
            &code,
            "--i-understand",
        ],
        &[("KEYHAVEN_NEW_PASSWORD", new_password)],
    );
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let out = alice.run(
        &["login", "--server", &url, "--email", "alice@example.com"],
        Some(new_password),
    );
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    // The owner is prompted at sign-in, and before every command, until it is dealt with.
    let prompt = "pending (Acme): your password was reset: enter the emergency reset code";
    assert!(stderr(&out).contains(prompt), "{}", stderr(&out));
    let out = alice.run(&["whoami"], None);
    assert!(stderr(&out).contains(prompt), "{}", stderr(&out));
    let out = with_env(&alice, &["whoami"], &[("KEYHAVEN_SKIP_PROMPTS", "1")]);
    assert!(
        !stderr(&out).contains("pending"),
        "prompts can be skipped: {}",
        stderr(&out)
    );

    // The new keys open nothing yet: the CLI says what to do.
    let out = alice.run(&["workspace", "list"], None);
    assert!(
        stdout(&out).contains("(needs the emergency reset code)"),
        "{}",
        stdout(&out)
    );
    let out = alice.run(&["secret", "get", "payroll"], None);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr(&out).contains("recovery-key use"),
        "{}",
        stderr(&out)
    );

    // A mistyped key names its group; another key is recognized as not this one.
    let mut typo = temporary.clone();
    let bumped = if &typo[18..19] == "9" { "0" } else { "9" };
    typo.replace_range(18..19, bumped);
    let out = with_env(
        &alice,
        &["recovery-key", "use"],
        &[("KEYHAVEN_RECOVERY_KEY", &typo)],
    );
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr(&out).contains("group 3"), "{}", stderr(&out));
    let other = "050875-056529-062183-067837-073491-079145-084799-090453";
    let out = with_env(
        &alice,
        &["recovery-key", "use"],
        &[("KEYHAVEN_RECOVERY_KEY", other)],
    );
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr(&out).contains("does not belong to this workspace's current recovery key"),
        "{}",
        stderr(&out)
    );

    // The emergency reset code restores the link.
    let out = with_env(
        &alice,
        &["recovery-key", "use"],
        &[("KEYHAVEN_RECOVERY_KEY", &temporary)],
    );
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let out = alice.run(&["secret", "get", "payroll"], None);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(stdout(&out), "password: hunter2\n");
    assert!(
        !stderr(&out).contains("password was reset"),
        "{}",
        stderr(&out)
    );
    let temporary_prompt = "pending (Acme): the recovery key is temporary and expires on";
    assert!(stderr(&out).contains(temporary_prompt), "{}", stderr(&out));
    assert!(newest_mail_with(&server, "recovery key was used").contains("To: alice@example.com"));

    // A permanent key replaces the temporary one, which stops working at once.
    let out = alice.run(&["recovery-key", "status", "--json"], None);
    let v: serde_json::Value = serde_json::from_str(&stdout(&out)).unwrap();
    assert_eq!(v["kind"], "temporary");
    let kit = alice.home.path().join("permanent-kit.txt");
    let out = with_env(
        &alice,
        &[
            "recovery-key",
            "generate",
            "--yes",
            "--out",
            kit.to_str().unwrap(),
        ],
        &[("KEYHAVEN_RECOVERY_KEY", &temporary)],
    );
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("warning: --yes skips re-typing"),
        "{}",
        stderr(&out)
    );
    let permanent = recovery_key_in(&stdout(&out));
    assert!(std::fs::read_to_string(&kit).unwrap().contains(&permanent));
    let out = with_env(
        &alice,
        &["recovery-key", "validate"],
        &[("KEYHAVEN_RECOVERY_KEY", &temporary)],
    );
    assert_eq!(
        out.status.code(),
        Some(1),
        "the temporary key is refused after generate"
    );
    assert!(stderr(&out).contains("does not belong"), "{}", stderr(&out));
    let out = with_env(
        &alice,
        &["recovery-key", "validate"],
        &[("KEYHAVEN_RECOVERY_KEY", &permanent)],
    );
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let out = alice.run(&["recovery-key", "status", "--json"], None);
    let v: serde_json::Value = serde_json::from_str(&stdout(&out)).unwrap();
    assert_eq!(v["kind"], "permanent");
    assert!(
        !stderr(&out).contains("pending"),
        "nothing pending any more: {}",
        stderr(&out)
    );
    assert_eq!(v["validation_due"], false);
    assert!(
        newest_mail_with(&server, "recovery key was validated").contains("To: alice@example.com")
    );
    assert!(
        newest_mail_with(&server, "new recovery key was generated")
            .contains("To: alice@example.com")
    );

    // The roster this device pinned still verifies after all of it.
    let out = alice.run(&["workspace", "show"], None);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));

    // A password change keeps the keys: no relink needed, secrets stay readable.
    let third = "a third passphrase";
    let out = with_env(
        &alice,
        &["password", "change"],
        &[("KEYHAVEN_NEW_PASSWORD", third)],
    );
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let login = [
        "login",
        "--server",
        url.as_str(),
        "--email",
        "alice@example.com",
    ];
    assert_eq!(alice.run(&login, Some(new_password)).status.code(), Some(1));
    let out = alice.run(&login, Some(third));
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let out = alice.run(&["secret", "get", "payroll"], None);
    assert_eq!(stdout(&out), "password: hunter2\n", "{}", stderr(&out));
}

#[test]
fn emergency_reset_on_sqlite() {
    emergency_reset(Db::Sqlite);
}

#[test]
fn emergency_reset_on_postgres() {
    emergency_reset(Db::Postgres);
}
