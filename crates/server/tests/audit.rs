//! The audit log fails closed: on SQLite and on PostgreSQL, an operation whose event cannot be
//! written fails and leaves no trace; chains stay linked under concurrent appends; the audit
//! endpoints answer owners and admins only.
//!
//! How the event write is made to fail: a trigger, installed by the test on a second connection
//! to the same database, that aborts `INSERT INTO audit_events` for one event kind. It refuses
//! exactly the statement the store runs to append the event, inside the operation's own
//! transaction, the way a full disk, a lost connection or a constraint would; the store code
//! under test is the production code, with no test hook in it. A pre-inserted row at the next
//! position would not do: `append` reads the chain's head first, so it would simply append
//! after it.

mod support;

use axum::body::{Body, to_bytes};
use axum::http::{Request, StatusCode};
use keyhaven_crypto::sha256;
use keyhaven_server::app::{AppState, router};
use keyhaven_server::config::{Config, ConfigOverrides};
use keyhaven_server::mail::{Email, Mailer};
use keyhaven_server::store::{
    AccountRecord, AuditEvent, Backend, ItemRow, NewCredentials, NewWorkspace, PutOutcome,
    RecoveryRow, Store, StoreError, account_chain, event_hash, workspace_chain,
};
use sqlx::{AnyPool, Executor};
use tower::ServiceExt;

const T: i64 = 1_795_305_600;
const ALICE: &str = "00000000-0000-4000-8000-0000000a11ce";
const BOB: &str = "00000000-0000-4000-8000-000000000b0b";
const WS: &str = "00000000-0000-4000-8000-00000000000e";
const KEY_1: &str = "AAAAAAAA-0000-4000-8000-000000000001";
const KEY_2: &str = "AAAAAAAA-0000-4000-8000-000000000002";

/// A second connection to the store's database, for what the store never does: installing
/// the refusing trigger, reading rows behind its back.
struct Raw {
    pool: AnyPool,
    backend: Backend,
}

impl Raw {
    async fn connect(url: &str, backend: Backend) -> Self {
        sqlx::any::install_default_drivers();
        Self {
            // One connection: what it does is seen in order.
            pool: sqlx::any::AnyPoolOptions::new()
                .max_connections(1)
                .connect(url)
                .await
                .unwrap(),
            backend,
        }
    }

    /// From now on, every attempt to write an audit event of `kind` fails.
    async fn refuse(&self, kind: &str) {
        let sql = match self.backend {
            Backend::Sqlite => format!(
                "CREATE TRIGGER refuse_audit BEFORE INSERT ON audit_events
                 WHEN NEW.kind = '{kind}'
                 BEGIN SELECT RAISE(ABORT, 'audit write refused by the test'); END"
            ),
            Backend::Postgres => format!(
                "CREATE OR REPLACE FUNCTION refuse_audit() RETURNS trigger LANGUAGE plpgsql AS
                 $$ BEGIN RAISE EXCEPTION 'audit write refused by the test'; END $$;
                 CREATE TRIGGER refuse_audit BEFORE INSERT ON audit_events FOR EACH ROW
                 WHEN (NEW.kind = '{kind}') EXECUTE FUNCTION refuse_audit()"
            ),
        };
        self.pool.execute(sqlx::AssertSqlSafe(sql)).await.unwrap();
    }

    /// Audit writes work again.
    async fn allow(&self) {
        let sql = match self.backend {
            Backend::Sqlite => "DROP TRIGGER refuse_audit",
            Backend::Postgres => "DROP TRIGGER refuse_audit ON audit_events",
        };
        self.pool.execute(sql).await.unwrap();
    }

    async fn count(&self, sql: &'static str, id: &str) -> i64 {
        use sqlx::Row;
        // `fetch_all`, not `fetch_one`: a statement left unfinished would keep this
        // connection's SQLite read snapshot (and its view of the schema) open.
        sqlx::query(sql)
            .bind(id)
            .fetch_all(&self.pool)
            .await
            .unwrap()[0]
            .get(0)
    }
}

fn account(id: &str, email: &str) -> AccountRecord {
    AccountRecord {
        id: id.into(),
        email: email.into(),
        password_file: vec![1; 192],
        ksf_memory_kib: 65_536,
        ksf_iterations: 3,
        ksf_parallelism: 4,
        public_keys: vec![2; 64],
        wrapped_keys: vec![3; 105],
        created_at: T,
    }
}

fn recovery(key_id: &str, expires_at: Option<i64>) -> RecoveryRow {
    RecoveryRow {
        key_id: key_id.into(),
        kind: if expires_at.is_some() {
            "temporary"
        } else {
            "permanent"
        }
        .into(),
        expires_at,
        proof_hash: vec![9; 32],
        created_at: T,
        last_validated_at: T,
    }
}

fn item(id: u8, revision: i64) -> ItemRow {
    ItemRow {
        id: format!("00000000-0000-4000-8000-0000000001{id:02x}"),
        revision,
        sealed: vec![id; 40],
    }
}

/// The kinds of a chain's events, in order.
async fn kinds(store: &Store, chain: &str) -> Vec<String> {
    store
        .audit_events(chain)
        .await
        .unwrap()
        .into_iter()
        .map(|e| e.kind)
        .collect()
}

/// Checks what `keyhaven audit verify` checks: positions from 0, links, recomputed hashes.
fn assert_intact(events: &[AuditEvent]) {
    let mut prev = vec![0u8; 32];
    for (i, e) in events.iter().enumerate() {
        assert_eq!(e.seq, i as i64, "{e:?}");
        assert_eq!(e.prev_hash, prev, "link of event {i}");
        let hash = event_hash(
            &e.chain,
            e.seq,
            e.at,
            &e.actor,
            &e.kind,
            &e.details,
            &e.prev_hash,
        );
        assert_eq!(e.hash, hash.to_vec(), "hash of event {i}");
        prev = e.hash.clone();
    }
}

fn refused<T: std::fmt::Debug>(result: Result<T, StoreError>) {
    match result {
        Err(StoreError::Database(_)) => {}
        other => panic!("expected the refused audit write to fail the operation: {other:?}"),
    }
}

async fn fail_closed_story(store: Store, raw: Raw) {
    let alice = account(ALICE, "alice@example.com");

    // Account created.
    store
        .put_signup_token(b"tok-a", &alice.email, T + 600)
        .await
        .unwrap();
    raw.refuse("account-created").await;
    refused(store.create_account(b"tok-a", T, &alice).await);
    assert_eq!(store.account_by_id(ALICE).await.unwrap(), None);
    assert!(kinds(&store, &account_chain(ALICE)).await.is_empty());
    raw.allow().await;
    assert!(
        store.create_account(b"tok-a", T, &alice).await.unwrap(),
        "the failed attempt did not consume the signup token"
    );

    // Login and logout.
    raw.refuse("login").await;
    refused(store.put_session(b"s1", ALICE, T).await);
    assert_eq!(store.touch_session(b"s1", T, 60, 60).await.unwrap(), None);
    raw.allow().await;
    store.put_session(b"s1", ALICE, T).await.unwrap();
    raw.refuse("logout").await;
    refused(store.delete_session(b"s1", T).await);
    assert!(
        store
            .touch_session(b"s1", T, 60, 60)
            .await
            .unwrap()
            .is_some(),
        "the session outlives a logout whose event failed"
    );
    raw.allow().await;
    store.delete_session(b"s1", T).await.unwrap();
    store.delete_session(b"s1", T).await.unwrap();
    assert_eq!(
        kinds(&store, &account_chain(ALICE)).await,
        ["account-created", "login", "logout"],
        "ending a session that is gone records nothing"
    );

    // Workspace created: nothing exists and the welcome email is not sent.
    let roster = [vec![1u8; 100], vec![2u8; 100]];
    let temporary = recovery(KEY_1, Some(T + 30 * 86_400));
    let new = NewWorkspace {
        id: WS,
        name: "Acme",
        owner: ALICE,
        roster: &roster,
        shares: &[],
        recovery: &temporary,
        now: T,
    };
    let welcome = Email {
        to: "alice@example.com".into(),
        subject: "Welcome".into(),
        text: "the temporary key".into(),
    };
    raw.refuse("workspace-created").await;
    refused(store.create_workspace(&new, Some(&welcome)).await);
    assert_eq!(store.outbox_len().await.unwrap(), 0, "no welcome email");
    assert!(store.memberships(ALICE).await.unwrap().is_empty());
    assert!(store.roster(WS).await.unwrap().is_empty());
    assert_eq!(store.recovery(WS).await.unwrap(), None);
    assert_eq!(
        raw.count("SELECT COUNT(*) FROM workspaces WHERE id = $1", WS)
            .await,
        0
    );
    raw.allow().await;
    store.create_workspace(&new, Some(&welcome)).await.unwrap();
    assert_eq!(
        store.outbox_len().await.unwrap(),
        1,
        "the welcome email is queued"
    );

    // Items: added, changed, deleted.
    raw.refuse("item-added").await;
    refused(store.put_item(WS, ALICE, &item(1, 1), i64::MAX, T).await);
    assert!(store.items(WS).await.unwrap().is_empty(), "not stored");
    raw.allow().await;
    assert_eq!(
        store
            .put_item(WS, ALICE, &item(1, 1), i64::MAX, T)
            .await
            .unwrap(),
        PutOutcome::Stored
    );
    raw.refuse("item-changed").await;
    refused(store.put_item(WS, ALICE, &item(1, 2), i64::MAX, T).await);
    assert_eq!(store.items(WS).await.unwrap(), [item(1, 1)], "unchanged");
    raw.allow().await;
    assert_eq!(
        store
            .put_item(WS, ALICE, &item(1, 2), i64::MAX, T)
            .await
            .unwrap(),
        PutOutcome::Stored
    );
    assert_eq!(
        store
            .put_item(WS, ALICE, &item(1, 2), i64::MAX, T)
            .await
            .unwrap(),
        PutOutcome::Stale,
        "a stale revision records nothing"
    );
    raw.refuse("item-deleted").await;
    refused(store.delete_item(WS, ALICE, &item(1, 2).id, T).await);
    assert_eq!(store.items(WS).await.unwrap(), [item(1, 2)], "not deleted");
    raw.allow().await;
    assert!(
        store
            .delete_item(WS, ALICE, &item(1, 2).id, T)
            .await
            .unwrap()
    );
    assert!(
        !store
            .delete_item(WS, ALICE, &item(1, 2).id, T)
            .await
            .unwrap()
    );

    // A temporary key's expiry.
    raw.refuse("recovery-key-expired").await;
    refused(store.expire_recovery(WS, T + 31 * 86_400).await);
    assert_eq!(store.recovery(WS).await.unwrap(), Some(temporary.clone()));
    raw.allow().await;

    // Recovery key generated, validated, used; a rejected proof.
    let permanent = recovery(KEY_2, None);
    raw.refuse("recovery-key-generated").await;
    refused(
        store
            .replace_recovery(WS, ALICE, 2, &[3; 100], &permanent, &[])
            .await,
    );
    assert_eq!(
        store.roster(WS).await.unwrap().len(),
        2,
        "no entry appended"
    );
    assert_eq!(store.recovery(WS).await.unwrap(), Some(temporary.clone()));
    raw.allow().await;
    assert!(
        store
            .replace_recovery(WS, ALICE, 2, &[3; 100], &permanent, &[])
            .await
            .unwrap()
    );
    raw.refuse("recovery-key-validated").await;
    refused(
        store
            .mark_recovery_validated(WS, ALICE, None, T + 100)
            .await,
    );
    assert_eq!(
        store.recovery(WS).await.unwrap().unwrap().last_validated_at,
        T
    );
    raw.allow().await;
    assert!(
        store
            .mark_recovery_validated(WS, ALICE, None, T + 100)
            .await
            .unwrap()
    );
    let rejected = serde_json::json!({ "key_id": KEY_2 });
    raw.refuse("recovery-key-rejected").await;
    refused(
        store
            .record_event(
                &workspace_chain(WS),
                "account:x",
                keyhaven_server::store::EventKind::RecoveryKeyRejected,
                &rejected,
                T,
            )
            .await,
    );
    raw.allow().await;
    store
        .record_event(
            &workspace_chain(WS),
            &format!("account:{ALICE}"),
            keyhaven_server::store::EventKind::RecoveryKeyRejected,
            &rejected,
            T + 200,
        )
        .await
        .unwrap();

    // Password reset: its events go to two chains; refusing the second (the workspace's)
    // undoes the first too, and the whole reset.
    let creds = NewCredentials {
        password_file: vec![7; 192],
        ksf_memory_kib: 131_072,
        ksf_iterations: 4,
        ksf_parallelism: 2,
        public_keys: vec![8; 64],
        wrapped_keys: vec![9; 105],
    };
    store.put_session(b"s2", ALICE, T).await.unwrap();
    store.put_reset_token(b"rt", ALICE, T + 600).await.unwrap();
    let account_events = kinds(&store, &account_chain(ALICE)).await;
    raw.refuse("member-password-reset").await;
    refused(store.reset_password(b"rt", T, &creds).await);
    assert_eq!(store.account_by_id(ALICE).await.unwrap(), Some(alice));
    assert!(
        store
            .touch_session(b"s2", T, 60, 60)
            .await
            .unwrap()
            .is_some()
    );
    assert!(!store.memberships(ALICE).await.unwrap()[0].needs_relink);
    assert_eq!(
        kinds(&store, &account_chain(ALICE)).await,
        account_events,
        "the account chain's event went with the rest"
    );
    raw.allow().await;
    let done = store.reset_password(b"rt", T, &creds).await.unwrap();
    assert!(
        done.is_some(),
        "the reset token survived the failed attempt"
    );
    assert!(store.memberships(ALICE).await.unwrap()[0].needs_relink);

    // Password change (same keys, re-wrapped): the other sessions survive a refused event.
    store.put_session(b"s3", ALICE, T).await.unwrap();
    store.put_session(b"s4", ALICE, T).await.unwrap();
    let before = store.account_by_id(ALICE).await.unwrap();
    raw.refuse("password-changed").await;
    refused(
        store
            .change_password(ALICE, b"s3", &[5; 192], (65_536, 3, 4), &[6; 105], T)
            .await,
    );
    assert_eq!(store.account_by_id(ALICE).await.unwrap(), before);
    assert!(
        store
            .touch_session(b"s4", T, 60, 60)
            .await
            .unwrap()
            .is_some()
    );
    raw.allow().await;
    assert_eq!(
        store
            .change_password(ALICE, b"s3", &[5; 192], (65_536, 3, 4), &[6; 105], T)
            .await
            .unwrap(),
        1
    );

    // Relink with the recovery key.
    raw.refuse("recovery-key-used").await;
    refused(
        store
            .relink(WS, ALICE, KEY_2, 3, &[4; 100], &[], T + 300)
            .await,
    );
    assert_eq!(store.roster(WS).await.unwrap().len(), 3);
    assert!(store.memberships(ALICE).await.unwrap()[0].needs_relink);
    raw.allow().await;
    assert!(
        store
            .relink(WS, ALICE, KEY_2, 3, &[4; 100], &[], T + 300)
            .await
            .unwrap()
    );

    // What survived, in order, with intact chains.
    assert_eq!(
        kinds(&store, &workspace_chain(WS)).await,
        [
            "workspace-created",
            "item-added",
            "item-changed",
            "item-deleted",
            "recovery-key-generated",
            "recovery-key-validated",
            "recovery-key-rejected",
            "member-password-reset",
            "recovery-key-used",
        ]
    );
    assert_eq!(
        kinds(&store, &account_chain(ALICE)).await,
        [
            "account-created",
            "login",
            "logout",
            "login",
            "password-reset",
            "login",
            "login",
            "password-changed",
        ]
    );
    let events = store.audit_events(&workspace_chain(WS)).await.unwrap();
    assert_intact(&events);
    assert_intact(&store.audit_events(&account_chain(ALICE)).await.unwrap());
    assert_eq!(
        events[1].details,
        format!(r#"{{"item":"{}","revision":1}}"#, item(1, 1).id),
        "item events carry the item id and revision only"
    );
    assert_eq!(events[1].actor, format!("account:{ALICE}"));
    assert_eq!(
        events[4].details,
        format!(r#"{{"key_id":"{KEY_2}","kind":"permanent","replaced":"{KEY_1}","roster_seq":2}}"#)
    );

    // A temporary key that expires is recorded as the server's doing.
    let ws2 = "00000000-0000-4000-8000-0000000000e2";
    let new = NewWorkspace {
        id: ws2,
        name: "Short-lived",
        owner: ALICE,
        roster: &roster,
        shares: &[],
        recovery: &temporary,
        now: T,
    };
    store.create_workspace(&new, None).await.unwrap();
    assert!(!store.expire_recovery(ws2, T + 100).await.unwrap());
    assert!(store.expire_recovery(ws2, T + 31 * 86_400).await.unwrap());
    let events = store.audit_events(&workspace_chain(ws2)).await.unwrap();
    assert_eq!(events[1].kind, "recovery-key-expired");
    assert_eq!(events[1].actor, "server");
    assert_intact(&events);

    concurrent_appends(&store, &raw).await;
}

/// Appends racing for one chain. Many writers at once: each stores its item with exactly one
/// event, and the chain stays linked (they queue on the chain's append lock). And the backstop:
/// a transaction that skips the lock and takes the next position itself delays an item write,
/// which then lands after it (on PostgreSQL through the primary-key conflict and the one
/// retry).
async fn concurrent_appends(store: &Store, raw: &Raw) {
    let chain = workspace_chain(WS);
    let writers: Vec<_> = (10..30u8)
        .map(|n| {
            let store = store.clone();
            tokio::spawn(
                async move { (n, store.put_item(WS, ALICE, &item(n, 1), i64::MAX, T).await) },
            )
        })
        .collect();
    let mut stored = Vec::new();
    for writer in writers {
        match writer.await.unwrap() {
            (n, Ok(PutOutcome::Stored)) => stored.push(item(n, 1).id),
            (n, other) => panic!("writer {n}: {other:?}"),
        }
    }
    assert_eq!(stored.len(), 20, "writers queue; none fails");
    let events = store.audit_events(&chain).await.unwrap();
    assert_intact(&events);
    let mut recorded: Vec<String> = events
        .iter()
        .filter(|e| e.kind == "item-added")
        .map(|e| {
            let details: serde_json::Value = serde_json::from_str(&e.details).unwrap();
            details["item"].as_str().unwrap().to_owned()
        })
        .filter(|id| id != &item(1, 1).id)
        .collect();
    let mut in_store: Vec<String> = store
        .items(WS)
        .await
        .unwrap()
        .into_iter()
        .map(|i| i.id)
        .collect();
    recorded.sort();
    in_store.sort();
    stored.sort();
    assert_eq!(recorded, stored, "one event per stored item");
    assert_eq!(in_store, stored, "no item without its event");

    let before = store.audit_events(&chain).await.unwrap();
    let head = before.last().unwrap();
    let (seq, details) = (head.seq + 1, "{}");
    let hash = event_hash(&chain, seq, T, "server", "test-event", details, &head.hash);
    let mut holder = raw.pool.begin().await.unwrap();
    sqlx::query(
        "INSERT INTO audit_events (chain, seq, at, actor, kind, details, prev_hash, hash)
         VALUES ($1, $2, $3, 'server', 'test-event', $4, $5, $6)",
    )
    .bind(&chain)
    .bind(seq)
    .bind(T)
    .bind(details)
    .bind(head.hash.as_slice())
    .bind(hash.as_slice())
    .execute(&mut *holder)
    .await
    .unwrap();
    let writer = {
        let store = store.clone();
        tokio::spawn(async move { store.put_item(WS, ALICE, &item(3, 1), i64::MAX, T).await })
    };
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    assert!(!writer.is_finished(), "the writer waits for the holder");
    holder.commit().await.unwrap();
    assert_eq!(writer.await.unwrap().unwrap(), PutOutcome::Stored);
    let events = store.audit_events(&chain).await.unwrap();
    assert_eq!(events[events.len() - 2].kind, "test-event");
    assert_eq!(events[events.len() - 1].kind, "item-added");
    assert_intact(&events);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn fail_closed_on_sqlite() {
    let (store, dir) = support::sqlite().await;
    let url = format!(
        "sqlite://{}?mode=rwc",
        dir.path().join("keyhaven.db").display()
    );
    let raw = Raw::connect(&url, Backend::Sqlite).await;
    fail_closed_story(store, raw).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn fail_closed_on_postgres() {
    let db = support::PgDatabase::create().await;
    let store = Store::connect(&db.url).await.unwrap();
    let raw = Raw::connect(&db.url, Backend::Postgres).await;
    fail_closed_story(store.clone(), raw).await;
    store.close().await;
    db.drop_now().await;
}

// --- the endpoints ----------------------------------------------------------------------

async fn call(
    app: &axum::Router,
    method: &str,
    uri: &str,
    token: &str,
    body: &str,
) -> (StatusCode, serde_json::Value) {
    let request = Request::builder()
        .method(method)
        .uri(uri)
        .header("authorization", format!("Bearer {token}"))
        .header("content-type", "application/json")
        .body(Body::from(body.to_owned()))
        .unwrap();
    let response = app.clone().oneshot(request).await.unwrap();
    let status = response.status();
    let bytes = to_bytes(response.into_body(), 1 << 20).await.unwrap();
    let json = if bytes.is_empty() {
        serde_json::Value::Null
    } else {
        serde_json::from_slice(&bytes).unwrap()
    };
    (status, json)
}

#[tokio::test]
async fn endpoints_serve_owners_admins_and_the_account_itself() {
    let (store, dir) = support::sqlite().await;
    let env = |_: &str| None;
    let mut config = Config::load(None, &env, ConfigOverrides::default()).unwrap();
    config.data_dir = dir.path().to_owned();
    let mailer = Mailer::outbox(dir.path().join("outbox"));
    let state = AppState::new(store.clone(), mailer, config).await.unwrap();
    let now = state.now();
    for (id, email, token) in [(ALICE, "alice@x.test", "alice"), (BOB, "bob@x.test", "bob")] {
        store
            .put_signup_token(token.as_bytes(), email, now + 60)
            .await
            .unwrap();
        let mut a = account(id, email);
        a.created_at = now;
        assert!(
            store
                .create_account(token.as_bytes(), now, &a)
                .await
                .unwrap()
        );
        store
            .put_session(&sha256(token.as_bytes()), id, now)
            .await
            .unwrap();
    }
    // Mail is delivered from the outbox by its sender, as in `serve`.
    tokio::spawn(keyhaven_server::outbox::run(state.clone()));
    let app = router(state);

    let (status, events) = call(&app, "GET", "/v1/account/audit", "alice", "").await;
    assert_eq!(status, StatusCode::OK);
    let events = events.as_array().unwrap();
    assert_eq!(events.len(), 2);
    assert_eq!(events[0]["kind"], "account-created");
    assert_eq!(events[1]["kind"], "login");
    assert_eq!(events[1]["chain"], format!("account:{ALICE}"));
    assert_eq!(events[1]["prev_hash"], events[0]["hash"]);

    // The server verifies the roster: genesis signed by alice, then the recovery key KEY_1.
    let owner = support::signed::Person::new(
        *uuid::Uuid::parse_str(ALICE).unwrap().as_bytes(),
        "alice@x.test",
    );
    let key_1 = keyhaven_roster::ids::RecoveryKeyId(KEY_1.parse().unwrap());
    let chain = support::signed::Chain::new(
        *uuid::Uuid::parse_str(WS).unwrap().as_bytes(),
        "Acme",
        &owner,
        key_1,
    );
    let roster: Vec<String> = chain
        .entries
        .iter()
        .map(|e| keyhaven_proto_bytes(e))
        .collect();
    let body = serde_json::json!({
        "id": WS, "name": "Acme", "roster": roster, "shares": [],
        "recovery": {"key_id": KEY_1, "kind": "permanent", "expires_at": null,
                     "proof_hash": keyhaven_proto_bytes(&sha256(b"proof"))},
        "welcome": null,
    });
    let (status, _) = call(&app, "POST", "/v1/workspaces", "alice", &body.to_string()).await;
    assert_eq!(status, StatusCode::CREATED);
    // A sealed item of the right shape (the server checks shape, not signatures).
    let item_id = item(1, 1).id;
    let mut w = keyhaven_roster::codec::Writer::new();
    w.u8(1)
        .array(WS.parse::<uuid::Uuid>().unwrap().as_bytes())
        .array(item_id.parse::<uuid::Uuid>().unwrap().as_bytes())
        .u32(1)
        .u64(1)
        .u8(1)
        .array(&[4; 16])
        .u32(1);
    w.str("title").bytes(&[5; 40]);
    w.array(&[6; 64]);
    let put = format!(
        r#"{{"revision":1,"sealed":"{}"}}"#,
        keyhaven_proto_bytes(&w.finish())
    );
    let put = put.as_str();
    let uri = format!("/v1/workspaces/{WS}/items/{item_id}");
    assert_eq!(
        call(&app, "PUT", &uri, "alice", put).await.0,
        StatusCode::NO_CONTENT
    );

    // A wrong recovery proof is refused and recorded.
    let wrong = format!(r#"{{"proof":"{}"}}"#, keyhaven_proto_bytes(b"wrong"));
    let validate = format!("/v1/workspaces/{WS}/recovery/validate");
    let use_key = format!("/v1/workspaces/{WS}/recovery/use");
    assert_eq!(
        call(&app, "POST", &use_key, "alice", &wrong).await.0,
        StatusCode::FORBIDDEN
    );
    // ...and every owner is told (the sender delivers within seconds).
    let told = |m: &String| {
        m.contains("a wrong recovery key was entered") && m.contains("To: alice@x.test")
    };
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    loop {
        let outbox: Vec<String> = std::fs::read_dir(dir.path().join("outbox"))
            .map(|d| {
                d.map(|e| e.unwrap().path())
                    .filter(|p| p.extension().is_some_and(|e| e == "eml"))
                    .map(|p| std::fs::read_to_string(p).unwrap())
                    .collect()
            })
            .unwrap_or_default();
        if outbox.iter().any(told) {
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "owners are emailed about a wrong recovery key"
        );
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    let right = format!(r#"{{"proof":"{}"}}"#, keyhaven_proto_bytes(b"proof"));
    assert_eq!(
        call(&app, "POST", &validate, "alice", &right).await.0,
        StatusCode::NO_CONTENT
    );

    let audit = format!("/v1/workspaces/{WS}/audit");
    let (status, events) = call(&app, "GET", &audit, "alice", "").await;
    assert_eq!(status, StatusCode::OK, "{events}");
    let kinds: Vec<_> = events
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["kind"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(
        kinds,
        [
            "workspace-created",
            "item-added",
            "recovery-key-rejected",
            "recovery-key-validated"
        ]
    );
    assert_eq!(events[2]["actor"], format!("account:{ALICE}"));

    // Bob: not a member (no such workspace), then a member (not allowed), then an admin.
    let (status, body) = call(&app, "GET", &audit, "bob", "").await;
    assert_eq!(status, StatusCode::NOT_FOUND, "{body}");
    let raw = Raw::connect(
        &format!(
            "sqlite://{}?mode=rwc",
            dir.path().join("keyhaven.db").display()
        ),
        Backend::Sqlite,
    )
    .await;
    sqlx::query(
        "INSERT INTO memberships (workspace_id, account_id, role, needs_relink)
         VALUES ($1, $2, 'member', 0)",
    )
    .bind(WS)
    .bind(BOB)
    .execute(&raw.pool)
    .await
    .unwrap();
    let (status, body) = call(&app, "GET", &audit, "bob", "").await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
    assert_eq!(body["code"], "forbidden");
    sqlx::query("UPDATE memberships SET role = 'admin' WHERE account_id = $1")
        .bind(BOB)
        .execute(&raw.pool)
        .await
        .unwrap();
    let (status, body) = call(&app, "GET", &audit, "bob", "").await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body.as_array().unwrap().len(), 4);

    let (status, body) = call(&app, "GET", "/v1/account/audit", "nobody", "").await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "{body}");
}

fn keyhaven_proto_bytes(bytes: &[u8]) -> String {
    serde_json::to_value(keyhaven_proto::Bytes(bytes.to_vec()))
        .unwrap()
        .as_str()
        .unwrap()
        .to_owned()
}
