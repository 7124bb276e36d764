//! End to end, with the real binary, on SQLite and PostgreSQL: every list endpoint comes in
//! pages (`?limit=`, `x-next-after`), the client joins them into exactly the whole list, and
//! bad page parameters get a clear 400.

mod support;

use std::io::Write;
use std::process::{Command, Stdio};

use keyhaven_client::Client;
use keyhaven_proto::{AuditEvent, ItemView, MembersView};
use support::{Db, Server, User, ok, signed_in_user};

fn add_secret(user: &User, name: &str) {
    let mut child = Command::new(support::BIN)
        .args(["secret", "add", name])
        .env("KEYHAVEN_HOME", user.home.path())
        .env("KEYHAVEN_SKIP_PROMPTS", "1")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(b"value\n").unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

fn session(user: &User) -> (String, String) {
    let saved: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(user.session_file()).unwrap()).unwrap();
    (
        saved["server"].as_str().unwrap().to_owned(),
        saved["session_token"].as_str().unwrap().to_owned(),
    )
}

fn pages(db: Db) {
    let server = Server::start(db);
    let alice = signed_in_user(&server, "alice@example.com", 0);
    ok(&alice, &["workspace", "create", "Acme"]);
    for n in 0..5 {
        add_secret(&alice, &format!("secret-{n}"));
    }
    let listed: serde_json::Value =
        serde_json::from_str(&ok(&alice, &["secret", "list", "--json"])).unwrap();
    assert_eq!(
        listed.as_array().unwrap().len(),
        5,
        "the CLI lists every page"
    );
    let ws: serde_json::Value =
        serde_json::from_str(&ok(&alice, &["workspace", "list", "--json"])).unwrap();
    let ws = ws[0]["id"].as_str().unwrap().to_owned();

    let (url, token) = session(&alice);
    let client = Client::new(&url).unwrap().with_session(token);
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        let items = format!("/v1/workspaces/{ws}/items");
        let whole: Vec<ItemView> = client.get(&items).await.unwrap();
        assert_eq!(whole.len(), 5);
        let joined: Vec<ItemView> = client.get_all(&format!("{items}?limit=2")).await.unwrap();
        let ids = |v: &[ItemView]| v.iter().map(|i| i.id.clone()).collect::<Vec<_>>();
        assert_eq!(
            ids(&joined),
            ids(&whole),
            "pages of 2 join to the whole list"
        );

        let audit = format!("/v1/workspaces/{ws}/audit");
        let whole: Vec<AuditEvent> = client.get(&audit).await.unwrap();
        assert!(whole.len() > 5, "creation and five additions");
        let joined: Vec<AuditEvent> = client.get_all(&format!("{audit}?limit=3")).await.unwrap();
        let seqs = |v: &[AuditEvent]| v.iter().map(|e| e.seq).collect::<Vec<_>>();
        assert_eq!(seqs(&joined), seqs(&whole));
        let own: Vec<AuditEvent> = client.get_all("/v1/account/audit?limit=1").await.unwrap();
        let own_whole: Vec<AuditEvent> = client.get("/v1/account/audit").await.unwrap();
        assert_eq!(seqs(&own), seqs(&own_whole));

        let members: MembersView = client
            .get_all(&format!("/v1/workspaces/{ws}/members?limit=1"))
            .await
            .unwrap();
        assert_eq!(members.members.len(), 1);

        // Bad page parameters: a clear 400 that names the problem.
        for (path, needle) in [
            (format!("{items}?limit=0"), "limit must be 1 to"),
            (format!("{items}?limit=10001"), "limit must be 1 to"),
            (format!("{items}?limit=abc"), "query string"),
            (format!("{items}?after=not-an-id"), "after"),
            (format!("{items}?colour=red"), "query string"),
            (format!("{audit}?after=-4"), "after"),
            (format!("/v1/workspaces/{ws}/devices?after=xyz"), "cursor"),
        ] {
            let err = client
                .get::<serde_json::Value>(&path)
                .await
                .expect_err(&path);
            match &err {
                keyhaven_client::ClientError::Api {
                    status, message, ..
                } => {
                    assert_eq!(*status, 400, "{path}: {message}");
                    assert!(message.contains(needle), "{path}: {message}");
                }
                other => panic!("{path}: {other}"),
            }
        }
    });
}

#[test]
fn lists_come_in_pages_on_sqlite() {
    pages(Db::Sqlite);
}

#[test]
fn lists_come_in_pages_on_postgres() {
    pages(Db::Postgres);
}
