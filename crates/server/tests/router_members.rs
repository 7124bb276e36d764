//! The member and recovery endpoints with `oneshot`: the server verifies every roster entry it
//! appends (chain, signature, roster rules) and answers a membership that waits for a relink
//! with 403 for everything but the emergency reset. Entries are signed with real keys
//! (`support::signed`), as a client makes them; the stories run on SQLite and PostgreSQL.

mod support;

use axum::body::{Body, to_bytes};
use axum::http::{Request, StatusCode};
use keyhaven_crypto::sha256;
use keyhaven_crypto::sign::SigningKey;
use keyhaven_proto::{Bytes, ErrorBody, MembersView, RecoveryGenerate, RecoveryUpload};
use keyhaven_proto::{RosterChange, ShareUpload};
use keyhaven_roster::ids::RecoveryKeyId;
use keyhaven_roster::roster::{EntryBody, RecoveryKind, Role};
use keyhaven_server::app::{AppState, router};
use keyhaven_server::config::{Config, ConfigOverrides};
use keyhaven_server::mail::Mailer;
use keyhaven_server::store::{AccountRecord, Append, NewWorkspace, RecoveryRow, Store};
use support::signed::{Chain, Person, add, recovery_key};
use tower::ServiceExt;
use uuid::Uuid;

const WS: [u8; 16] = [0x11; 16];
const ALICE: [u8; 16] = [0xa1; 16];
const BOB: [u8; 16] = [0xb0; 16];
const CAROL: [u8; 16] = [0xc0; 16];
const DAVE: [u8; 16] = [0xd0; 16];
const EVE: [u8; 16] = [0xe0; 16];
const RECOVERY_ID: [u8; 16] = [0xaa; 16];

fn id(bytes: [u8; 16]) -> String {
    Uuid::from_bytes(bytes).to_string()
}

fn recovery_id() -> RecoveryKeyId {
    RecoveryKeyId(Uuid::from_bytes(RECOVERY_ID))
}

fn recovery_recipient() -> String {
    format!("recovery:{}", recovery_id().to_upper())
}

fn share(recipient: &str, kind: &str, version: u32) -> ShareUpload {
    ShareUpload {
        recipient: recipient.into(),
        key_kind: kind.into(),
        key_version: version,
        share: Bytes(vec![version as u8; 213]),
    }
}

fn workspace_share(account: [u8; 16], version: u32) -> ShareUpload {
    share(&format!("account:{}", id(account)), "workspace", version)
}

fn now() -> i64 {
    keyhaven_server::clock::now_unix() as i64
}

#[derive(Clone, Copy, Debug)]
enum Db {
    Sqlite,
    Postgres,
}

/// The story's workspace: Acme with alice owner, bob member and carol admin (entries 0 to 4);
/// dave and eve have accounts only. Each account's bearer token is its email.
struct Acme {
    app: axum::Router,
    url: String,
    chain: Chain,
    alice: Person,
    bob: Person,
    carol: Person,
    dave: Person,
    eve: Person,
    _dir: tempfile::TempDir,
    pg: Option<support::PgDatabase>,
}

impl Acme {
    async fn new(db: Db) -> Self {
        let dir = tempfile::tempdir().unwrap();
        let pg = match db {
            Db::Sqlite => None,
            Db::Postgres => Some(support::PgDatabase::create().await),
        };
        let url = match &pg {
            None => format!(
                "sqlite://{}?mode=rwc",
                dir.path().join("keyhaven.db").display()
            ),
            Some(pg) => pg.url.clone(),
        };
        let store = Store::connect(&url).await.unwrap();
        let alice = Person::new(ALICE, "alice@x.test");
        let bob = Person::new(BOB, "bob@x.test");
        let carol = Person::new(CAROL, "carol@x.test");
        let dave = Person::new(DAVE, "dave@x.test");
        let eve = Person::new(EVE, "eve@x.test");
        for p in [&alice, &bob, &carol, &dave, &eve] {
            account(&store, p).await;
        }
        let ws = id(WS);
        let mut chain = Chain::new(WS, "Acme", &alice, recovery_id());
        let recovery = RecoveryRow {
            key_id: recovery_id().to_upper(),
            kind: "permanent".into(),
            expires_at: None,
            proof_hash: sha256(b"the proof").to_vec(),
            created_at: now(),
            last_validated_at: now(),
        };
        let new = NewWorkspace {
            id: &ws,
            name: "Acme",
            owner: &id(ALICE),
            roster: &chain.entries,
            shares: &[],
            recovery: &recovery,
            now: now(),
        };
        store.create_workspace(&new, None).await.unwrap();
        for (person, role, name) in [
            (&bob, Role::Member, "member"),
            (&carol, Role::Admin, "admin"),
        ] {
            store
                .invite(&ws, &person.email, name, &id(ALICE), now())
                .await
                .unwrap();
            store
                .accept_invitation(&ws, &person.email, &id(person.id), now())
                .await
                .unwrap();
            let seq = chain.entries.len() as i64;
            let entry = chain.push(&alice, add(person, role));
            let change = Append {
                seq,
                entries: &[entry],
                shares: &[],
                by: &id(ALICE),
                now: now(),
            };
            store
                .add_member(&ws, &id(person.id), name, change)
                .await
                .unwrap();
        }
        let env = |_: &str| None;
        let mut config = Config::load(None, &env, ConfigOverrides::default()).unwrap();
        config.data_dir = dir.path().to_owned();
        let mailer = Mailer::outbox(dir.path().join("outbox"));
        let state = AppState::new(store, mailer, config).await.unwrap();
        Self {
            app: router(state),
            url,
            chain,
            alice,
            bob,
            carol,
            dave,
            eve,
            _dir: dir,
            pg,
        }
    }

    /// Calls `method uri` as `who` (their email is their token) with an optional JSON body.
    async fn call(
        &self,
        who: &Person,
        method: &str,
        uri: &str,
        body: Option<String>,
    ) -> (StatusCode, Vec<u8>) {
        let request = Request::builder()
            .method(method)
            .uri(uri)
            .header("authorization", format!("Bearer {}", who.email))
            .header("content-type", "application/json")
            .body(body.map_or_else(Body::empty, Body::from))
            .unwrap();
        let response = self.app.clone().oneshot(request).await.unwrap();
        let status = response.status();
        let bytes = to_bytes(response.into_body(), 1 << 20).await.unwrap();
        (status, bytes.to_vec())
    }

    /// Runs one statement on the database behind the server's back.
    async fn sql(&self, statement: &str) {
        use sqlx::Executor;
        let pool = sqlx::AnyPool::connect(&self.url).await.unwrap();
        pool.execute(sqlx::AssertSqlSafe(statement.to_owned()))
            .await
            .unwrap();
        pool.close().await;
    }

    async fn roster_len(&self) -> usize {
        let (status, body) = self
            .call(
                &self.alice,
                "GET",
                &format!("/v1/workspaces/{}", id(WS)),
                None,
            )
            .await;
        assert_eq!(status, StatusCode::OK);
        let view: serde_json::Value = serde_json::from_slice(&body).unwrap();
        view["roster"].as_array().unwrap().len()
    }

    async fn finish(self) {
        if let Some(pg) = self.pg {
            pg.drop_now().await;
        }
    }
}

async fn account(store: &Store, person: &Person) {
    store
        .put_signup_token(&person.id, &person.email, i64::MAX)
        .await
        .unwrap();
    let record = AccountRecord {
        id: id(person.id),
        email: person.email.clone(),
        password_file: vec![1; 192],
        ksf_memory_kib: 65_536,
        ksf_iterations: 3,
        ksf_parallelism: 4,
        public_keys: person.public_keys(),
        wrapped_keys: vec![3; 105],
        created_at: 0,
    };
    assert!(store.create_account(&person.id, 0, &record).await.unwrap());
    store
        .put_session(&sha256(person.email.as_bytes()), &record.id, now())
        .await
        .unwrap();
}

fn change(seq: usize, entries: Vec<Vec<u8>>, shares: Vec<ShareUpload>) -> Option<String> {
    Some(
        serde_json::to_string(&RosterChange {
            seq: seq as u64,
            entries: entries.into_iter().map(Bytes).collect(),
            shares,
        })
        .unwrap(),
    )
}

#[track_caller]
fn refused(got: (StatusCode, Vec<u8>), status: StatusCode, message: &str) -> ErrorBody {
    let body: ErrorBody = serde_json::from_slice(&got.1).unwrap();
    assert_eq!(got.0, status, "{}", body.message);
    assert!(body.message.contains(message), "{}", body.message);
    body
}

async fn invitations_and_adds(db: Db) {
    let acme = Acme::new(db).await;
    let (alice, bob, carol, dave, eve) =
        (&acme.alice, &acme.bob, &acme.carol, &acme.dave, &acme.eve);
    let uri = format!("/v1/workspaces/{}/invitations", id(WS));
    let invite = |role: &str| Some(format!(r#"{{"email":"dave@x.test","role":"{role}"}}"#));
    refused(
        acme.call(bob, "POST", &uri, invite("member")).await,
        StatusCode::FORBIDDEN,
        "only owners and admins manage members",
    );
    refused(
        acme.call(carol, "POST", &uri, invite("owner")).await,
        StatusCode::FORBIDDEN,
        "only owners may add owners",
    );
    refused(
        acme.call(alice, "POST", &uri, invite("boss")).await,
        StatusCode::BAD_REQUEST,
        "role must be one of",
    );
    let dup = Some(r#"{"email":"Bob@X.test","role":"member"}"#.to_owned());
    refused(
        acme.call(alice, "POST", &uri, dup).await,
        StatusCode::CONFLICT,
        "already a member",
    );
    let (status, _) = acme.call(carol, "POST", &uri, invite("helpdesk")).await;
    assert_eq!(status, StatusCode::CREATED);

    // Only the invited address accepts; then owners and admins see its keys, others do not.
    let accept = format!("/v1/invitations/{}/accept", id(WS));
    refused(
        acme.call(eve, "POST", &accept, None).await,
        StatusCode::NOT_FOUND,
        "no invitation",
    );
    let (status, _) = acme.call(dave, "POST", &accept, None).await;
    assert_eq!(status, StatusCode::OK);
    let members = format!("/v1/workspaces/{}/members", id(WS));
    let (status, body) = acme.call(carol, "GET", &members, None).await;
    assert_eq!(status, StatusCode::OK);
    let view: MembersView = serde_json::from_slice(&body).unwrap();
    assert_eq!(view.members.len(), 3);
    assert_eq!(view.invitations.len(), 1);
    assert_eq!(view.invitations[0].account_id, Some(id(DAVE)));
    assert_eq!(
        view.invitations[0].public_keys,
        Some(Bytes(dave.public_keys()))
    );
    let (_, body) = acme.call(bob, "GET", &members, None).await;
    let view: MembersView = serde_json::from_slice(&body).unwrap();
    assert!(view.invitations.is_empty());
    assert!(view.members.iter().all(|m| m.public_keys.is_none()));

    let seq = acme.chain.entries.len();
    let add_dave = |signer: &Person| acme.chain.next(signer, add(dave, Role::Helpdesk));
    // Validly signed by another manager: still not the caller's own change.
    refused(
        acme.call(
            alice,
            "POST",
            &members,
            change(seq, vec![add_dave(carol)], vec![]),
        )
        .await,
        StatusCode::BAD_REQUEST,
        "signed by the caller",
    );
    let add_eve = acme.chain.next(alice, add(eve, Role::Helpdesk));
    refused(
        acme.call(alice, "POST", &members, change(seq, vec![add_eve], vec![]))
            .await,
        StatusCode::NOT_FOUND,
        "no accepted invitation",
    );
    let with_share = change(seq, vec![add_dave(alice)], vec![workspace_share(DAVE, 1)]);
    refused(
        acme.call(alice, "POST", &members, with_share).await,
        StatusCode::BAD_REQUEST,
        "not entitled",
    );

    // What the server verifies before it appends (each refused whole, nothing appended).
    let garbage = change(seq, vec![vec![1, 2, 3]], vec![]);
    refused(
        acme.call(alice, "POST", &members, garbage).await,
        StatusCode::BAD_REQUEST,
        "malformed",
    );
    let mut flipped = add_dave(alice);
    let last = flipped.len() - 1;
    flipped[last] ^= 1;
    refused(
        acme.call(alice, "POST", &members, change(seq, vec![flipped], vec![]))
            .await,
        StatusCode::BAD_REQUEST,
        "invalid signature",
    );
    // Signed in alice's name with a key that is not hers.
    let stranger = SigningKey::generate();
    let forged = acme
        .chain
        .next_by(alice.account(), &stranger, add(dave, Role::Helpdesk));
    refused(
        acme.call(alice, "POST", &members, change(seq, vec![forged], vec![]))
            .await,
        StatusCode::BAD_REQUEST,
        "invalid signature",
    );
    // A roster rule: an admin may not add an owner (checked on the signed entry itself).
    let owner_by_admin = acme.chain.next(carol, add(dave, Role::Owner));
    refused(
        acme.call(
            carol,
            "POST",
            &members,
            change(seq, vec![owner_by_admin], vec![]),
        )
        .await,
        StatusCode::FORBIDDEN,
        "only owners may add owners",
    );
    assert_eq!(acme.roster_len().await, seq);

    let (status, _) = acme
        .call(
            alice,
            "POST",
            &members,
            change(seq, vec![add_dave(alice)], vec![]),
        )
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    assert_eq!(acme.roster_len().await, seq + 1);
    let (_, body) = acme.call(dave, "GET", "/v1/workspaces", None).await;
    assert!(String::from_utf8_lossy(&body).contains(r#""role":"helpdesk""#));
    acme.finish().await;
}

#[tokio::test]
async fn invitations_and_adds_on_sqlite() {
    invitations_and_adds(Db::Sqlite).await;
}

#[tokio::test]
async fn invitations_and_adds_on_postgres() {
    invitations_and_adds(Db::Postgres).await;
}

async fn removal(db: Db) {
    let mut acme = Acme::new(db).await;
    let (alice, carol) = (&acme.alice, &acme.carol);
    let uri = format!("/v1/workspaces/{}/members/{}/remove", id(WS), id(BOB));
    let seq = acme.chain.entries.len();
    let remove_bob = EntryBody::RemoveMember {
        account: acme.bob.account(),
    };
    let mut after = acme.chain.clone();
    let entries = vec![
        after.push(alice, remove_bob.clone()),
        after.push(alice, EntryBody::RotateWorkspaceKey { version: 2 }),
    ];
    let removal = |shares| change(seq, entries.clone(), shares);
    refused(
        acme.call(
            alice,
            "POST",
            &uri,
            change(
                seq,
                vec![acme.chain.next(alice, remove_bob.clone())],
                vec![],
            ),
        )
        .await,
        StatusCode::BAD_REQUEST,
        "rotates exactly the keys the member received",
    );
    refused(
        acme.call(
            alice,
            "POST",
            &uri,
            removal(vec![workspace_share(ALICE, 2), workspace_share(CAROL, 2)]),
        )
        .await,
        StatusCode::BAD_REQUEST,
        "to the recovery key",
    );
    refused(
        acme.call(
            alice,
            "POST",
            &uri,
            removal(vec![
                workspace_share(ALICE, 2),
                workspace_share(CAROL, 2),
                workspace_share(BOB, 2),
                share(&recovery_recipient(), "workspace", 2),
            ]),
        )
        .await,
        StatusCode::BAD_REQUEST,
        "not entitled",
    );
    // An admin may not remove an owner: the roster rule, on the signed entry.
    let owner = format!("/v1/workspaces/{}/members/{}/remove", id(WS), id(ALICE));
    let by_admin = acme.chain.next(
        carol,
        EntryBody::RemoveMember {
            account: alice.account(),
        },
    );
    refused(
        acme.call(carol, "POST", &owner, change(seq, vec![by_admin], vec![]))
            .await,
        StatusCode::FORBIDDEN,
        "only owners may remove owners",
    );
    let good = || {
        removal(vec![
            workspace_share(ALICE, 2),
            workspace_share(CAROL, 2),
            share(&recovery_recipient(), "workspace", 2),
        ])
    };
    let (status, body) = acme.call(alice, "POST", &uri, good()).await;
    assert_eq!(status, StatusCode::OK);
    let body: serde_json::Value = serde_json::from_slice(&body).unwrap();
    assert_eq!(body["tokens_revoked"], 0, "Bob made no enrollment token");
    let items = format!("/v1/workspaces/{}/items", id(WS));
    refused(
        acme.call(&acme.bob, "GET", &items, None).await,
        StatusCode::NOT_FOUND,
        "no such workspace",
    );
    refused(
        acme.call(alice, "POST", &uri, good()).await,
        StatusCode::NOT_FOUND,
        "no such member",
    );
    // A change built on an old roster position is refused whole; at the head it lands.
    let carol_uri = format!("/v1/workspaces/{}/members/{}/role", id(WS), id(CAROL));
    let promote = EntryBody::ChangeRole {
        account: carol.account(),
        role: Role::Owner,
    };
    let stale = acme.chain.next(alice, promote.clone());
    refused(
        acme.call(alice, "POST", &carol_uri, change(seq, vec![stale], vec![]))
            .await,
        StatusCode::CONFLICT,
        "the roster changed meanwhile",
    );
    acme.chain = after;
    let fresh = acme.chain.next(&acme.alice, promote);
    let (status, _) = acme
        .call(
            &acme.alice,
            "POST",
            &carol_uri,
            change(seq + 2, vec![fresh], vec![]),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    acme.finish().await;
}

#[tokio::test]
async fn a_removal_rotates_and_reaches_everyone_entitled_on_sqlite() {
    removal(Db::Sqlite).await;
}

#[tokio::test]
async fn a_removal_rotates_and_reaches_everyone_entitled_on_postgres() {
    removal(Db::Postgres).await;
}

/// Issue 8, item 2: an account reset by its mailbox alone (new keys, session) has no authority
/// until it is relinked: it may read the roster and its shares and take the emergency reset,
/// nothing else.
async fn a_reset_account_has_no_authority(db: Db) {
    let acme = Acme::new(db).await;
    let alice = &acme.alice;
    acme.sql(&format!(
        "UPDATE memberships SET needs_relink = 1 WHERE account_id = '{}'",
        id(ALICE)
    ))
    .await;
    let ws = id(WS);
    let item = id([0x99; 16]);
    for (method, uri) in [
        ("GET", format!("/v1/workspaces/{ws}")),
        ("GET", format!("/v1/workspaces/{ws}/shares")),
        ("GET", format!("/v1/workspaces/{ws}/members")),
    ] {
        let (status, _) = acme.call(alice, method, &uri, None).await;
        assert_eq!(status, StatusCode::OK, "{method} {uri}");
    }
    // The proof endpoints are open to it (a wrong proof is refused as wrong, not as unlinked).
    let wrong = Some(format!(r#"{{"proof":"{}"}}"#, b64(b"wrong")));
    refused(
        acme.call(
            alice,
            "POST",
            &format!("/v1/workspaces/{ws}/recovery/use"),
            wrong,
        )
        .await,
        StatusCode::FORBIDDEN,
        "not the workspace's current recovery key",
    );
    let put = Some(r#"{"revision":1,"sealed":"AQID"}"#.to_owned());
    let members_change = change(acme.chain.entries.len(), vec![vec![1]], vec![]);
    let token = Some(format!(
        r#"{{"id":"{item}","auth_hash":"AQID","grant":"AQID","expires_at":{},"name":null,"escrow_version":1}}"#,
        now() + 86_400
    ));
    for (method, uri, body) in [
        ("GET", format!("/v1/workspaces/{ws}/items"), None),
        ("GET", format!("/v1/workspaces/{ws}/items/{item}"), None),
        ("PUT", format!("/v1/workspaces/{ws}/items/{item}"), put),
        ("DELETE", format!("/v1/workspaces/{ws}/items/{item}"), None),
        (
            "POST",
            format!("/v1/workspaces/{ws}/invitations"),
            Some(r#"{"email":"dave@x.test","role":"member"}"#.to_owned()),
        ),
        (
            "POST",
            format!("/v1/workspaces/{ws}/members"),
            members_change,
        ),
        ("GET", format!("/v1/workspaces/{ws}/audit"), None),
        ("GET", format!("/v1/workspaces/{ws}/devices"), None),
        (
            "DELETE",
            format!("/v1/workspaces/{ws}/devices/{item}"),
            None,
        ),
        ("GET", format!("/v1/workspaces/{ws}/escrow-tokens"), None),
        ("POST", format!("/v1/workspaces/{ws}/escrow-tokens"), token),
        (
            "POST",
            format!("/v1/workspaces/{ws}/shares"),
            Some(r#"{"shares":[]}"#.to_owned()),
        ),
        (
            "POST",
            format!("/v1/workspaces/{ws}/recovery/validate"),
            Some(format!(r#"{{"proof":"{}"}}"#, b64(b"the proof"))),
        ),
        (
            "POST",
            format!("/v1/workspaces/{ws}/recovery/generate"),
            Some(generate_body(&acme, b"garbage".to_vec(), None)),
        ),
    ] {
        let body = refused(
            acme.call(alice, method, &uri, body).await,
            StatusCode::FORBIDDEN,
            "your password was reset",
        );
        assert_eq!(body.code, "needs_relink", "{method} {uri}");
    }
    acme.finish().await;
}

#[tokio::test]
async fn a_reset_account_has_no_authority_on_sqlite() {
    a_reset_account_has_no_authority(Db::Sqlite).await;
}

#[tokio::test]
async fn a_reset_account_has_no_authority_on_postgres() {
    a_reset_account_has_no_authority(Db::Postgres).await;
}

fn b64(bytes: &[u8]) -> String {
    serde_json::to_value(Bytes(bytes.to_vec()))
        .unwrap()
        .as_str()
        .unwrap()
        .to_owned()
}

const NEW_KEY: [u8; 16] = [0xbb; 16];

fn generate_body(acme: &Acme, entry: Vec<u8>, current_proof: Option<&[u8]>) -> String {
    let key_id = RecoveryKeyId(Uuid::from_bytes(NEW_KEY)).to_upper();
    serde_json::to_string(&RecoveryGenerate {
        seq: acme.chain.entries.len() as u64,
        entry: Bytes(entry),
        recovery: RecoveryUpload {
            key_id: key_id.clone(),
            kind: "permanent".into(),
            expires_at: None,
            proof_hash: Bytes(sha256(b"new proof").to_vec()),
        },
        shares: vec![share(&format!("recovery:{key_id}"), "workspace", 1)],
        current_proof: current_proof.map(|p| Bytes(p.to_vec())),
    })
    .unwrap()
}

/// Issue 8, item 2: replacing the recovery key takes a verified "set recovery key" entry of the
/// caller for exactly this key, and proof of the current key.
async fn recovery_generate_checks_entry_and_proof(db: Db) {
    let acme = Acme::new(db).await;
    let uri = format!("/v1/workspaces/{}/recovery/generate", id(WS));
    let alice = &acme.alice;
    let new_id = RecoveryKeyId(Uuid::from_bytes(NEW_KEY));
    let entry = acme
        .chain
        .next(alice, recovery_key(new_id, RecoveryKind::Permanent));
    refused(
        acme.call(
            alice,
            "POST",
            &uri,
            Some(generate_body(&acme, vec![7; 300], Some(b"the proof"))),
        )
        .await,
        StatusCode::BAD_REQUEST,
        "malformed",
    );
    let other = acme.chain.next(
        alice,
        recovery_key(
            RecoveryKeyId(Uuid::from_bytes([0xcc; 16])),
            RecoveryKind::Permanent,
        ),
    );
    refused(
        acme.call(
            alice,
            "POST",
            &uri,
            Some(generate_body(&acme, other, Some(b"the proof"))),
        )
        .await,
        StatusCode::BAD_REQUEST,
        "must set this permanent recovery key",
    );
    // An admin's entry is refused by the roster rules; the endpoint refuses admins anyway.
    refused(
        acme.call(
            &acme.carol,
            "POST",
            &uri,
            Some(generate_body(
                &acme,
                acme.chain
                    .next(&acme.carol, recovery_key(new_id, RecoveryKind::Permanent)),
                Some(b"the proof"),
            )),
        )
        .await,
        StatusCode::FORBIDDEN,
        "only owners generate recovery keys",
    );
    // The session is fresh (made just now); the proof is what is missing or wrong.
    refused(
        acme.call(
            alice,
            "POST",
            &uri,
            Some(generate_body(&acme, entry.clone(), None)),
        )
        .await,
        StatusCode::FORBIDDEN,
        "needs proof of the current one",
    );
    refused(
        acme.call(
            alice,
            "POST",
            &uri,
            Some(generate_body(&acme, entry.clone(), Some(b"nope"))),
        )
        .await,
        StatusCode::FORBIDDEN,
        "not the workspace's current recovery key",
    );
    assert_eq!(acme.roster_len().await, acme.chain.entries.len());
    let (status, _) = acme
        .call(
            alice,
            "POST",
            &uri,
            Some(generate_body(&acme, entry, Some(b"the proof"))),
        )
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    assert_eq!(acme.roster_len().await, acme.chain.entries.len() + 1);
    acme.finish().await;
}

#[tokio::test]
async fn recovery_generate_checks_entry_and_proof_on_sqlite() {
    recovery_generate_checks_entry_and_proof(Db::Sqlite).await;
}

#[tokio::test]
async fn recovery_generate_checks_entry_and_proof_on_postgres() {
    recovery_generate_checks_entry_and_proof(Db::Postgres).await;
}
