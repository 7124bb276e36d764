//! The member endpoints with `oneshot`: the server's own checks, which mirror the roster rules
//! on its membership mirror and read the signed entries' fixed fields (no signatures are
//! verified here: clients do that). Entries are laid out by hand as `docs/protocol.md` §10.1.

mod support;

use axum::body::{Body, to_bytes};
use axum::http::{Request, StatusCode};
use keyhaven_crypto::sha256;
use keyhaven_proto::{Bytes, ErrorBody, MembersView, RosterChange, ShareUpload};
use keyhaven_server::app::{AppState, router};
use keyhaven_server::config::{Config, ConfigOverrides};
use keyhaven_server::mail::Mailer;
use keyhaven_server::store::{AccountRecord, Append, NewWorkspace, RecoveryRow, Store};
use tower::ServiceExt;
use uuid::Uuid;

const WS: [u8; 16] = [0x11; 16];
const ALICE: [u8; 16] = [0xa1; 16];
const BOB: [u8; 16] = [0xb0; 16];
const CAROL: [u8; 16] = [0xc0; 16];
const DAVE: [u8; 16] = [0xd0; 16];
const EVE: [u8; 16] = [0xe0; 16];
const RECOVERY: &str = "recovery:AAAAAAAA-AAAA-4AAA-8AAA-AAAAAAAAAAAA";

fn id(bytes: [u8; 16]) -> String {
    Uuid::from_bytes(bytes).to_string()
}

/// A roster entry as §10.1 lays it out, signed (in name only) by `signer`.
fn entry(seq: u64, signer: [u8; 16], body: &[u8]) -> Bytes {
    let mut e = vec![1];
    e.extend_from_slice(&WS);
    e.extend_from_slice(&seq.to_be_bytes());
    e.extend_from_slice(&[0; 32]);
    e.extend_from_slice(&1_800_000_000u64.to_be_bytes());
    e.push(1);
    e.extend_from_slice(&signer);
    e.extend_from_slice(body);
    e.extend_from_slice(&[0; 64]);
    Bytes(e)
}

fn remove_body(account: [u8; 16]) -> Vec<u8> {
    let mut b = vec![4];
    b.extend_from_slice(&account);
    b
}

fn rotate_body(version: u32) -> Vec<u8> {
    let mut b = vec![7];
    b.extend_from_slice(&version.to_be_bytes());
    b
}

fn add_body(account: [u8; 16], email: &str, role: u8) -> Vec<u8> {
    let mut b = vec![2];
    b.extend_from_slice(&account);
    b.extend_from_slice(&(email.len() as u32).to_be_bytes());
    b.extend_from_slice(email.as_bytes());
    b.extend_from_slice(&[9; 64]);
    b.push(role);
    b
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

async fn account(store: &Store, bytes: [u8; 16], email: &str) {
    store
        .put_signup_token(&bytes, email, i64::MAX)
        .await
        .unwrap();
    let record = AccountRecord {
        id: id(bytes),
        email: email.into(),
        password_file: vec![1; 192],
        ksf_memory_kib: 65_536,
        ksf_iterations: 3,
        ksf_parallelism: 4,
        public_keys: vec![bytes[0]; 64],
        wrapped_keys: vec![3; 105],
        created_at: 0,
    };
    assert!(store.create_account(&bytes, 0, &record).await.unwrap());
    store
        .put_session(&sha256(email.as_bytes()), &record.id, now())
        .await
        .unwrap();
}

fn now() -> i64 {
    keyhaven_server::clock::now_unix() as i64
}

/// Acme: alice owner, bob member, carol admin (roster entries 0 to 4); dave and eve have
/// accounts only. Each account's bearer token is its email.
async fn acme() -> (axum::Router, tempfile::TempDir) {
    let (store, dir) = support::sqlite().await;
    for (bytes, email) in [
        (ALICE, "alice@x.test"),
        (BOB, "bob@x.test"),
        (CAROL, "carol@x.test"),
        (DAVE, "dave@x.test"),
        (EVE, "eve@x.test"),
    ] {
        account(&store, bytes, email).await;
    }
    let ws = id(WS);
    let recovery = RecoveryRow {
        key_id: RECOVERY["recovery:".len()..].into(),
        kind: "permanent".into(),
        expires_at: None,
        proof_hash: vec![5; 32],
        created_at: now(),
        last_validated_at: now(),
    };
    let genesis: Vec<Vec<u8>> = (0..3).map(|i| vec![i; 100]).collect();
    let new = NewWorkspace {
        id: &ws,
        name: "Acme",
        owner: &id(ALICE),
        roster: &genesis,
        shares: &[],
        recovery: &recovery,
        now: now(),
    };
    store
        .create_workspace(&new, || async { Ok::<(), ()>(()) })
        .await
        .unwrap()
        .unwrap();
    let alice = id(ALICE);
    for (seq, bytes, email, role) in [
        (3, BOB, "bob@x.test", "member"),
        (4, CAROL, "carol@x.test", "admin"),
    ] {
        store
            .invite(&ws, email, role, &id(ALICE), now())
            .await
            .unwrap();
        store
            .accept_invitation(&ws, email, &id(bytes), now())
            .await
            .unwrap();
        let change = Append {
            seq,
            entries: &[vec![seq as u8; 100]],
            shares: &[],
            by: &alice,
            now: now(),
        };
        store
            .add_member(&ws, &id(bytes), role, change)
            .await
            .unwrap();
    }
    let env = |_: &str| None;
    let mut config = Config::load(None, &env, ConfigOverrides::default()).unwrap();
    config.data_dir = dir.path().to_owned();
    let mailer = Mailer::outbox(dir.path().join("outbox"));
    let state = AppState::new(store, mailer, config).await.unwrap();
    (router(state), dir)
}

/// Calls `method uri` as `who` (their email is their token) with an optional JSON body.
async fn call(
    app: &axum::Router,
    who: &str,
    method: &str,
    uri: &str,
    body: Option<String>,
) -> (StatusCode, Vec<u8>) {
    let request = Request::builder()
        .method(method)
        .uri(uri)
        .header("authorization", format!("Bearer {who}"))
        .header("content-type", "application/json")
        .body(body.map_or_else(Body::empty, Body::from))
        .unwrap();
    let response = app.clone().oneshot(request).await.unwrap();
    let status = response.status();
    let bytes = to_bytes(response.into_body(), 1 << 20).await.unwrap();
    (status, bytes.to_vec())
}

fn change(seq: u64, entries: Vec<Bytes>, shares: Vec<ShareUpload>) -> Option<String> {
    Some(
        serde_json::to_string(&RosterChange {
            seq,
            entries,
            shares,
        })
        .unwrap(),
    )
}

#[track_caller]
fn refused(got: (StatusCode, Vec<u8>), status: StatusCode, message: &str) {
    let body: ErrorBody = serde_json::from_slice(&got.1).unwrap();
    assert_eq!(got.0, status, "{}", body.message);
    assert!(body.message.contains(message), "{}", body.message);
}

#[tokio::test]
async fn only_owners_and_admins_invite_and_admins_not_owners() {
    let (app, _dir) = acme().await;
    let uri = format!("/v1/workspaces/{}/invitations", id(WS));
    let invite = |role: &str| Some(format!(r#"{{"email":"dave@x.test","role":"{role}"}}"#));
    refused(
        call(&app, "bob@x.test", "POST", &uri, invite("member")).await,
        StatusCode::FORBIDDEN,
        "only owners and admins manage members",
    );
    refused(
        call(&app, "carol@x.test", "POST", &uri, invite("owner")).await,
        StatusCode::FORBIDDEN,
        "only owners may add owners",
    );
    refused(
        call(&app, "alice@x.test", "POST", &uri, invite("boss")).await,
        StatusCode::BAD_REQUEST,
        "role must be one of",
    );
    let dup = Some(r#"{"email":"Bob@X.test","role":"member"}"#.to_owned());
    refused(
        call(&app, "alice@x.test", "POST", &uri, dup).await,
        StatusCode::CONFLICT,
        "already a member",
    );
    let (status, _) = call(&app, "carol@x.test", "POST", &uri, invite("helpdesk")).await;
    assert_eq!(status, StatusCode::CREATED);

    // Only the invited address accepts; then owners and admins see its keys, others do not.
    let accept = format!("/v1/invitations/{}/accept", id(WS));
    refused(
        call(&app, "eve@x.test", "POST", &accept, None).await,
        StatusCode::NOT_FOUND,
        "no invitation",
    );
    let (status, _) = call(&app, "dave@x.test", "POST", &accept, None).await;
    assert_eq!(status, StatusCode::OK);
    let members = format!("/v1/workspaces/{}/members", id(WS));
    let (status, body) = call(&app, "carol@x.test", "GET", &members, None).await;
    assert_eq!(status, StatusCode::OK);
    let view: MembersView = serde_json::from_slice(&body).unwrap();
    assert_eq!(view.members.len(), 3);
    assert_eq!(view.invitations.len(), 1);
    assert_eq!(view.invitations[0].account_id, Some(id(DAVE)));
    assert_eq!(view.invitations[0].public_keys, Some(Bytes(vec![0xd0; 64])));
    let (_, body) = call(&app, "bob@x.test", "GET", &members, None).await;
    let view: MembersView = serde_json::from_slice(&body).unwrap();
    assert!(view.invitations.is_empty());
    assert!(view.members.iter().all(|m| m.public_keys.is_none()));

    // The add must be the caller's own signed entry for the account that accepted.
    let add = |signer, account| {
        change(
            5,
            vec![entry(5, signer, &add_body(account, "dave@x.test", 5))],
            vec![],
        )
    };
    refused(
        call(&app, "alice@x.test", "POST", &members, add(CAROL, DAVE)).await,
        StatusCode::BAD_REQUEST,
        "signed by the caller",
    );
    refused(
        call(&app, "alice@x.test", "POST", &members, add(ALICE, EVE)).await,
        StatusCode::NOT_FOUND,
        "no accepted invitation",
    );
    let with_share = change(
        5,
        vec![entry(5, ALICE, &add_body(DAVE, "dave@x.test", 5))],
        vec![workspace_share(DAVE, 1)],
    );
    refused(
        call(&app, "alice@x.test", "POST", &members, with_share).await,
        StatusCode::BAD_REQUEST,
        "not entitled",
    );
    let (status, _) = call(&app, "alice@x.test", "POST", &members, add(ALICE, DAVE)).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (_, body) = call(&app, "dave@x.test", "GET", "/v1/workspaces", None).await;
    assert!(String::from_utf8_lossy(&body).contains(r#""role":"helpdesk""#));
}

#[tokio::test]
async fn a_removal_rotates_and_reaches_everyone_entitled() {
    let (app, _dir) = acme().await;
    let uri = format!("/v1/workspaces/{}/members/{}/remove", id(WS), id(BOB));
    let removal = |shares| {
        change(
            5,
            vec![
                entry(5, ALICE, &remove_body(BOB)),
                entry(6, ALICE, &rotate_body(2)),
            ],
            shares,
        )
    };
    refused(
        call(
            &app,
            "alice@x.test",
            "POST",
            &uri,
            change(5, vec![entry(5, ALICE, &remove_body(BOB))], vec![]),
        )
        .await,
        StatusCode::BAD_REQUEST,
        "rotates exactly the keys the member received",
    );
    refused(
        call(
            &app,
            "alice@x.test",
            "POST",
            &uri,
            removal(vec![workspace_share(ALICE, 2), workspace_share(CAROL, 2)]),
        )
        .await,
        StatusCode::BAD_REQUEST,
        "to the recovery key",
    );
    refused(
        call(
            &app,
            "alice@x.test",
            "POST",
            &uri,
            removal(vec![
                workspace_share(ALICE, 2),
                workspace_share(CAROL, 2),
                workspace_share(BOB, 2),
                share(RECOVERY, "workspace", 2),
            ]),
        )
        .await,
        StatusCode::BAD_REQUEST,
        "not entitled",
    );
    // An admin may not remove an owner (and the entry must name the member of the path).
    let owner = format!("/v1/workspaces/{}/members/{}/remove", id(WS), id(ALICE));
    refused(
        call(
            &app,
            "carol@x.test",
            "POST",
            &owner,
            change(5, vec![entry(5, CAROL, &remove_body(ALICE))], vec![]),
        )
        .await,
        StatusCode::FORBIDDEN,
        "only owners may remove owners",
    );
    let good = || {
        removal(vec![
            workspace_share(ALICE, 2),
            workspace_share(CAROL, 2),
            share(RECOVERY, "workspace", 2),
        ])
    };
    let (status, _) = call(&app, "alice@x.test", "POST", &uri, good()).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let items = format!("/v1/workspaces/{}/items", id(WS));
    refused(
        call(&app, "bob@x.test", "GET", &items, None).await,
        StatusCode::NOT_FOUND,
        "no such workspace",
    );
    refused(
        call(&app, "alice@x.test", "POST", &uri, good()).await,
        StatusCode::NOT_FOUND,
        "no such member",
    );
    // A change built on an old roster position is refused whole; at the head it lands.
    let carol = format!("/v1/workspaces/{}/members/{}/role", id(WS), id(CAROL));
    let promote = |seq| {
        let mut body = vec![3];
        body.extend_from_slice(&CAROL);
        body.push(1);
        change(seq, vec![entry(seq, ALICE, &body)], vec![])
    };
    refused(
        call(&app, "alice@x.test", "POST", &carol, promote(5)).await,
        StatusCode::CONFLICT,
        "the roster changed meanwhile",
    );
    let (status, _) = call(&app, "alice@x.test", "POST", &carol, promote(7)).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
}
