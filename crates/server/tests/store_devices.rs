//! The escrow store story, run against SQLite and against PostgreSQL: device keys stored all or
//! nothing with their event, looked up by blind index, resubmissions stored once, a reveal that
//! commits its event (and the "rotate after use" mark) before the secret is returned, indexing
//! of token submissions, replacement history, deletion of a key with its history, and tokens.

mod support;

use keyhaven_server::store::{
    AccountRecord, DeviceFilter, EventKind, NewDeviceKeyRow, NewWorkspace, RecoveryRow,
    RevealPurpose, Store, StoreError, TagKind, TagsRow, TokenRow, workspace_chain,
};

const T: i64 = 1_795_305_600;
const WS: &str = "22222222-2222-4222-8222-222222222222";
const ALICE: &str = "00000000-0000-4000-8000-000000000001";

fn key_id(n: u8) -> String {
    format!("00000000-0000-4000-8000-0000000001{n:02}")
}

fn tags(n: u8) -> TagsRow {
    TagsRow {
        id: vec![n; 32],
        prefix: Some(vec![100 + n; 32]),
        device: vec![200; 32],
        secret: vec![n ^ 0x55; 32],
    }
}

fn record(n: u8, with_tags: bool) -> NewDeviceKeyRow {
    NewDeviceKeyRow {
        id: key_id(n),
        header: vec![n; 300],
        secret: vec![n; 90],
        tags: with_tags.then(|| tags(n)),
        resubmission: (!with_tags).then(|| vec![n; 32]),
        replaces: None,
    }
}

async fn setup(store: &Store) {
    let token = [1u8; 8];
    store
        .put_signup_token(&token, "alice@example.com", T + 600)
        .await
        .unwrap();
    let account = AccountRecord {
        id: ALICE.into(),
        email: "alice@example.com".into(),
        password_file: vec![1; 192],
        ksf_memory_kib: 65_536,
        ksf_iterations: 3,
        ksf_parallelism: 4,
        public_keys: vec![1; 64],
        wrapped_keys: vec![3; 105],
        created_at: T,
    };
    assert!(store.create_account(&token, T, &account).await.unwrap());
    let recovery = RecoveryRow {
        key_id: "AAAAAAAA-AAAA-4AAA-8AAA-AAAAAAAAAAAA".into(),
        kind: "permanent".into(),
        expires_at: None,
        proof_hash: vec![5; 32],
        created_at: T,
        last_validated_at: T,
    };
    let new = NewWorkspace {
        id: WS,
        name: "Acme",
        owner: ALICE,
        roster: &[vec![9; 100]],
        shares: &[],
        recovery: &recovery,
        now: T,
    };
    store.create_workspace(&new, None).await.unwrap();
}

fn ids(rows: &[keyhaven_server::store::DeviceKeyListed]) -> Vec<String> {
    rows.iter().map(|r| r.id.clone()).collect()
}

async fn story(store: Store) {
    setup(&store).await;
    let actor = format!("account:{ALICE}");

    // Stored all or nothing: a batch repeating a record id stores neither.
    let err = store
        .add_device_keys(
            WS,
            &actor,
            EventKind::DeviceKeysAdded,
            &[record(1, true), record(1, true)],
            None,
            T,
        )
        .await
        .unwrap_err();
    assert!(matches!(err, StoreError::Conflict), "{err:?}");
    let all = DeviceFilter::All {
        history: false,
        needs_rotation: false,
    };
    assert!(store.device_keys(WS, &all).await.unwrap().is_empty());

    let (added, present) = store
        .add_device_keys(
            WS,
            &actor,
            EventKind::DeviceKeysAdded,
            &[record(1, true), record(2, true)],
            None,
            T,
        )
        .await
        .unwrap();
    assert_eq!((added, present), (2, 0));

    // Lookups by each blind index.
    let by = |kind, tag: Vec<u8>| DeviceFilter::Tags(kind, vec![tag]);
    let found = store
        .device_keys(WS, &by(TagKind::Prefix, vec![101; 32]))
        .await
        .unwrap();
    assert_eq!(ids(&found), [key_id(1)]);
    assert_eq!(found[0].header, vec![1; 300]);
    assert_eq!(found[0].secret_tag, Some(vec![1 ^ 0x55; 32]));
    assert!(found[0].indexed && !found[0].rotate_after_use);
    let found = store
        .device_keys(WS, &by(TagKind::Device, vec![200; 32]))
        .await
        .unwrap();
    assert_eq!(found.len(), 2);
    let found = store
        .device_keys(WS, &by(TagKind::Secret, vec![2 ^ 0x55; 32]))
        .await
        .unwrap();
    assert_eq!(ids(&found), [key_id(2)]);
    assert!(
        store
            .device_keys(WS, &by(TagKind::Id, vec![7; 32]))
            .await
            .unwrap()
            .is_empty()
    );

    // Reading an indexed record unmarked is refused (the client cannot choose "check" to skip
    // the mark); a reveal is audited and marked.
    assert!(matches!(
        store
            .reveal_device_key(WS, &actor, &key_id(1), RevealPurpose::Index, None, T + 1)
            .await,
        Err(StoreError::Conflict)
    ));
    let rotation = DeviceFilter::All {
        history: false,
        needs_rotation: true,
    };
    assert!(store.device_keys(WS, &rotation).await.unwrap().is_empty());
    store
        .reveal_device_key(
            WS,
            &actor,
            &key_id(1),
            RevealPurpose::Reveal,
            Some("ticket 9"),
            T + 2,
        )
        .await
        .unwrap()
        .unwrap();
    let marked = store.device_keys(WS, &rotation).await.unwrap();
    assert_eq!(ids(&marked), [key_id(1)]);
    assert_eq!(marked[0].revealed_at, Some(T + 2));
    assert_eq!(
        store
            .reveal_device_key(WS, &actor, &key_id(9), RevealPurpose::Reveal, None, T)
            .await
            .unwrap(),
        None
    );

    // Token submissions: no indexes, stored once per resubmission tag.
    let tok = TokenRow {
        id: "33333333-3333-4333-8333-333333333333".into(),
        workspace_id: WS.into(),
        name: Some("intune".into()),
        auth_hash: vec![4; 32],
        grant: vec![5; 150],
        created_by: ALICE.into(),
        created_at: T,
        expires_at: T + 86_400,
        revoked_at: None,
        submissions: 0,
        escrow_version: 1,
    };
    store.create_escrow_token(&tok).await.unwrap();
    let token_actor = format!("token:{}", tok.id);
    let (added, present) = store
        .add_device_keys(
            WS,
            &token_actor,
            EventKind::DeviceKeysSubmitted,
            &[record(3, false)],
            Some(&tok.id),
            T + 3,
        )
        .await
        .unwrap();
    assert_eq!((added, present), (1, 0));
    let mut again = record(3, false);
    again.id = key_id(4);
    let (added, present) = store
        .add_device_keys(
            WS,
            &token_actor,
            EventKind::DeviceKeysSubmitted,
            &[again],
            Some(&tok.id),
            T + 4,
        )
        .await
        .unwrap();
    assert_eq!((added, present), (0, 1));
    let listed = store.escrow_tokens(WS).await.unwrap();
    assert_eq!(listed[0].submissions, 1);
    let pending = store
        .device_keys(WS, &DeviceFilter::Unindexed)
        .await
        .unwrap();
    assert_eq!(ids(&pending), [key_id(3)]);
    assert!(!pending[0].indexed);
    // An unindexed submission is served for indexing, audited and not marked.
    assert_eq!(
        store
            .reveal_device_key(WS, &actor, &key_id(3), RevealPurpose::Index, None, T + 4)
            .await
            .unwrap(),
        Some(record(3, false).secret)
    );

    // Indexing: once. A submission that contradicts the escrowed key of its identifier is
    // kept as a flagged conflict, history of that record: never the current key.
    let entries = [(key_id(3), tags(3), Some(key_id(2)), None)];
    assert_eq!(
        store
            .index_device_keys(WS, &actor, &entries, T + 5)
            .await
            .unwrap(),
        1
    );
    assert_eq!(
        store
            .index_device_keys(WS, &actor, &entries, T + 6)
            .await
            .unwrap(),
        0
    );
    assert!(
        store
            .device_keys(WS, &DeviceFilter::Unindexed)
            .await
            .unwrap()
            .is_empty()
    );
    let current = store.device_keys(WS, &all).await.unwrap();
    assert_eq!(ids(&current), [key_id(1), key_id(2), key_id(3)]);
    let conflict = current.iter().find(|r| r.id == key_id(3)).unwrap();
    assert!(conflict.conflict);
    assert_eq!(conflict.replaced_by, Some(key_id(2)));
    let escrowed = current.iter().find(|r| r.id == key_id(2)).unwrap();
    assert!(!escrowed.conflict && escrowed.replaced_by.is_none());
    // Only open conflicts resolve, once; not the escrowed record, not an unknown one.
    for wrong in [key_id(2), key_id(9)] {
        assert!(
            !store
                .resolve_conflict(WS, &actor, &wrong, true, T + 6)
                .await
                .unwrap()
        );
    }
    // Accepted: the submission is current, the escrowed record its history.
    assert!(
        store
            .resolve_conflict(WS, &actor, &key_id(3), true, T + 6)
            .await
            .unwrap()
    );
    assert!(
        !store
            .resolve_conflict(WS, &actor, &key_id(3), false, T + 6)
            .await
            .unwrap()
    );
    let current = store.device_keys(WS, &all).await.unwrap();
    assert_eq!(ids(&current), [key_id(1), key_id(3)]);
    assert!(!current[1].conflict);
    let history = DeviceFilter::All {
        history: true,
        needs_rotation: false,
    };
    let everything = store.device_keys(WS, &history).await.unwrap();
    let replaced = everything.iter().find(|r| r.id == key_id(2)).unwrap();
    assert_eq!(replaced.replaced_by, Some(key_id(3)));
    // Rejected: the submission is deleted, the escrowed record stays current.
    let mut third = record(5, false);
    third.id = key_id(5);
    store
        .add_device_keys(
            WS,
            &token_actor,
            EventKind::DeviceKeysSubmitted,
            &[third],
            Some(&tok.id),
            T + 6,
        )
        .await
        .unwrap();
    store
        .index_device_keys(
            WS,
            &actor,
            &[(key_id(5), tags(5), Some(key_id(3)), None)],
            T + 6,
        )
        .await
        .unwrap();
    assert!(
        store
            .resolve_conflict(WS, &actor, &key_id(5), false, T + 6)
            .await
            .unwrap()
    );
    let everything = store.device_keys(WS, &history).await.unwrap();
    assert_eq!(ids(&everything), [key_id(1), key_id(2), key_id(3)]);
    let current = store.device_keys(WS, &all).await.unwrap();
    assert_eq!(ids(&current), [key_id(1), key_id(3)]);

    // Deleting a key deletes the history it replaced.
    assert!(
        store
            .delete_device_key(WS, &actor, &key_id(3), T + 7)
            .await
            .unwrap()
    );
    assert!(
        !store
            .delete_device_key(WS, &actor, &key_id(3), T + 7)
            .await
            .unwrap()
    );
    let left = store.device_keys(WS, &history).await.unwrap();
    assert_eq!(ids(&left), [key_id(1)]);

    // Revocation, once.
    assert!(
        store
            .revoke_escrow_token(WS, &actor, &tok.id, T + 8)
            .await
            .unwrap()
    );
    assert!(
        !store
            .revoke_escrow_token(WS, &actor, &tok.id, T + 9)
            .await
            .unwrap()
    );
    assert_eq!(
        store
            .escrow_token(&tok.id)
            .await
            .unwrap()
            .unwrap()
            .revoked_at,
        Some(T + 8)
    );

    // Every change is in the workspace chain, in order, with the reveal's reason.
    let events = store.audit_events(&workspace_chain(WS)).await.unwrap();
    let kinds: Vec<&str> = events.iter().map(|e| e.kind.as_str()).collect();
    assert_eq!(
        kinds,
        [
            "workspace-created",
            "device-keys-added",
            "device-key-revealed",
            "escrow-token-created",
            "device-keys-submitted",
            "device-key-checked",
            "device-keys-indexed",
            "device-key-conflict-resolved",
            "device-keys-submitted",
            "device-keys-indexed",
            "device-key-conflict-resolved",
            "device-key-deleted",
            "escrow-token-revoked",
        ]
    );
    let accepted = &events[7];
    assert!(
        accepted.details.contains(r#""accepted":true"#) && accepted.details.contains(&key_id(3)),
        "{}",
        accepted.details
    );
    assert!(events[10].details.contains(r#""accepted":false"#));
    let revealed = &events[2];
    assert_eq!(revealed.actor, actor);
    assert!(revealed.details.contains("ticket 9") && revealed.details.contains(&key_id(1)));
    assert!(
        events[11].details.contains(&key_id(2)),
        "{}",
        events[11].details
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn devices_story_on_sqlite() {
    let (store, _dir) = support::sqlite().await;
    story(store).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn devices_story_on_postgres() {
    let db = support::PgDatabase::create().await;
    let store = Store::connect(&db.url).await.unwrap();
    story(store.clone()).await;
    store.close().await;
    db.drop_now().await;
}
