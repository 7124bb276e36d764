//! End to end, with the real binary, on SQLite and PostgreSQL: one bad item does not take the
//! workspace down (issue 10.2). The server refuses an envelope no client could parse; one that
//! reaches the database anyway (written behind the server's back) is named by id with what is
//! wrong with it, and every other secret still lists, opens, and is re-encrypted.

mod support;

use support::{Db, Server, join, ok, run, sign_up, stderr, stdout};

const BAD: &str = "0badbad0-0000-4000-8000-000000000000";

fn story(db: Db) {
    let server = Server::start(db);
    let (alice, _) = sign_up(&server, "alice@example.com");
    ok(&alice, &["workspace", "create", "Acme"]);
    for name in ["prod-db", "stripe"] {
        let out = run(&alice, &["secret", "add", name], &[], "hunter2\n");
        assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    }
    let ws: serde_json::Value =
        serde_json::from_str(&ok(&alice, &["workspace", "list", "--json"])).unwrap();
    let ws = ws[0]["id"].as_str().unwrap().to_owned();

    // The PUT: refused now, with the reason.
    let saved: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(alice.session_file()).unwrap()).unwrap();
    let client = keyhaven_client::Client::new(&server.url)
        .unwrap()
        .with_session(saved["session_token"].as_str().unwrap());
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let refused = runtime.block_on(client.send_put(
        &format!("/v1/workspaces/{ws}/items/{BAD}"),
        &serde_json::json!({"revision": 1, "sealed": "AAAA"}),
    ));
    match refused {
        Err(keyhaven_client::ClientError::Api {
            status, message, ..
        }) => {
            assert_eq!(status, 400);
            assert!(message.contains("not a sealed item"), "{message}");
        }
        other => panic!("the malformed item was not refused: {other:?}"),
    }

    // The same bytes written behind the server's back.
    let bytes = match db {
        Db::Sqlite => "X'000000'",
        Db::Postgres => "decode('000000', 'hex')",
    };
    server.sql(&format!(
        "INSERT INTO items (workspace_id, id, revision, sealed, updated_at) \
         VALUES ('{ws}', '{BAD}', 1, {bytes}, 0)"
    ));
    let out = run(&alice, &["secret", "list"], &[], "");
    assert_eq!(out.status.code(), Some(1), "the bad item is reported");
    let listed = stdout(&out);
    assert!(
        listed.contains("prod-db") && listed.contains("stripe"),
        "every good item is shown: {listed}"
    );
    let said = stderr(&out);
    assert!(
        said.contains(BAD) && said.contains("unknown format version 0"),
        "the bad one is named with what is wrong: {said}"
    );
    assert!(!said.contains("password reset"), "{said}");
    let shown = ok(&alice, &["secret", "get", "stripe"]);
    assert!(shown.contains("hunter2"), "{shown}");
    let out = run(&alice, &["secret", "add", "third"], &[], "x\n");
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    // A removal with re-encryption moves every good secret and leaves the bad one.
    let (bob, _) = sign_up(&server, "bob@example.com");
    join(&server, &alice, &bob, "bob@example.com", "member");
    let out = run(
        &alice,
        &["member", "remove", "bob@example.com", "--reencrypt"],
        &[],
        "",
    );
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(
        stdout(&out).contains("Re-encrypted 3 secrets"),
        "{}",
        stdout(&out)
    );
    assert!(
        stderr(&out).contains("1 stored item(s) do not check out"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn one_bad_item_does_not_take_the_workspace_down_on_sqlite() {
    story(Db::Sqlite);
}

#[test]
fn one_bad_item_does_not_take_the_workspace_down_on_postgres() {
    story(Db::Postgres);
}
