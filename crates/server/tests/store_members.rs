//! The member store story, run against SQLite and against PostgreSQL: invitations, and member
//! changes that append at the expected roster position together with their shares and the
//! membership mirror, all or nothing.

mod support;

use keyhaven_server::store::{
    AccountRecord, Append, ChangeOutcome, INVITATION_SECS, NewWorkspace, RecoveryRow, ShareRow,
    Store, StoreError, workspace_chain,
};

const T: i64 = 1_795_305_600;
const WS: &str = "11111111-1111-4111-8111-111111111111";

async fn account(store: &Store, n: u8, email: &str) -> String {
    let id = format!("00000000-0000-4000-8000-{n:012}");
    let token = [n; 8];
    store
        .put_signup_token(&token, email, T + 600)
        .await
        .unwrap();
    let record = AccountRecord {
        id: id.clone(),
        email: email.into(),
        password_file: vec![1; 192],
        ksf_memory_kib: 65_536,
        ksf_iterations: 3,
        ksf_parallelism: 4,
        public_keys: vec![n; 64],
        wrapped_keys: vec![3; 105],
        created_at: T,
    };
    assert!(store.create_account(&token, T, &record).await.unwrap());
    id
}

fn share(recipient: &str, kind: &str, version: i64) -> ShareRow {
    ShareRow {
        recipient: recipient.into(),
        key_kind: kind.into(),
        key_version: version,
        share: format!("{recipient}/{kind}/{version}").into_bytes(),
    }
}

fn entries(first: u8, n: usize) -> Vec<Vec<u8>> {
    (0..n).map(|i| vec![first + i as u8; 100]).collect()
}

async fn story(store: Store) {
    let alice = account(&store, 1, "alice@example.com").await;
    let bob = account(&store, 2, "bob@example.com").await;
    let carol = account(&store, 3, "carol@example.com").await;
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
        owner: &alice,
        roster: &entries(10, 3),
        shares: &[share(&format!("account:{alice}"), "workspace", 1)],
        recovery: &recovery,
        now: T,
    };
    store.create_workspace(&new, None).await.unwrap();

    // Invitations: recorded, renewed (acceptance cleared), listed for the workspace and for the
    // invitee, accepted only by address.
    store
        .invite(WS, "bob@example.com", "admin", &alice, T)
        .await
        .unwrap();
    store
        .invite(WS, "bob@example.com", "member", &alice, T + 1)
        .await
        .unwrap();
    let listed = store.workspace_invitations(WS, T + 1).await.unwrap();
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0].role, "member", "renewing replaces the role");
    assert_eq!(listed[0].invited_by, "alice@example.com");
    assert_eq!(listed[0].workspace_name, "Acme");
    assert_eq!(listed[0].accepted_at, None);
    assert_eq!(listed[0].public_keys, None, "no keys before acceptance");
    assert_eq!(
        store
            .invitations_for("bob@example.com", T + 1)
            .await
            .unwrap(),
        listed
    );
    // An invitation expires INVITATION_SECS after it was made (or renewed): no longer listed,
    // accepted or counted for signup.
    let expired = T + 1 + INVITATION_SECS;
    assert!(
        store
            .workspace_invitations(WS, expired)
            .await
            .unwrap()
            .is_empty()
    );
    assert!(
        store
            .invitations_for("bob@example.com", expired)
            .await
            .unwrap()
            .is_empty()
    );
    assert!(
        store
            .accept_invitation(WS, "bob@example.com", &bob, expired)
            .await
            .unwrap()
            .is_none()
    );
    assert!(store.invited("bob@example.com", T + 1).await.unwrap());
    assert!(!store.invited("bob@example.com", T + 2).await.unwrap());
    assert!(
        store
            .accept_invitation(WS, "nobody@example.com", &carol, T)
            .await
            .unwrap()
            .is_none()
    );
    let accepted = store
        .accept_invitation(WS, "bob@example.com", &bob, T + 2)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(accepted.account_id.as_deref(), Some(bob.as_str()));
    assert_eq!(accepted.accepted_at, Some(T + 2));
    assert_eq!(accepted.public_keys, Some(vec![2; 64]), "bob's keys");

    // Adding: a wrong position writes nothing; the right one turns the invitation into a
    // membership with the shares. Only an accepted invitation can be used.
    let bob_share = [share(&format!("account:{bob}"), "workspace", 1)];
    let add_entry = entries(20, 1);
    let at = |seq| Append {
        seq,
        entries: &add_entry,
        shares: &bob_share,
        by: &alice,
        now: T,
    };
    assert_eq!(
        store.add_member(WS, &bob, "member", at(2)).await.unwrap(),
        ChangeOutcome::RosterMoved
    );
    assert_eq!(
        store.add_member(WS, &carol, "member", at(3)).await.unwrap(),
        ChangeOutcome::Gone,
        "carol has no accepted invitation"
    );
    assert_eq!(store.roster(WS).await.unwrap().len(), 3, "nothing appended");
    assert_eq!(
        store.add_member(WS, &bob, "member", at(3)).await.unwrap(),
        ChangeOutcome::Done
    );
    assert_eq!(store.roster(WS).await.unwrap().len(), 4);
    assert!(
        store
            .workspace_invitations(WS, T + 3)
            .await
            .unwrap()
            .is_empty()
    );
    let members = store.members(WS).await.unwrap();
    assert_eq!(members.len(), 2);
    assert_eq!(
        (members[1].email.as_str(), members[1].role.as_str()),
        ("bob@example.com", "member")
    );
    assert_eq!(
        store
            .shares_for(WS, &format!("account:{bob}"))
            .await
            .unwrap(),
        bob_share
    );

    // Concurrent appends at the same position: exactly one lands.
    let tasks: Vec<_> = (0..20u8)
        .map(|n| {
            let store = store.clone();
            let (alice, bob) = (alice.clone(), bob.clone());
            tokio::spawn(async move {
                let entry = vec![vec![100 + n; 100]];
                let change = Append {
                    seq: 4,
                    entries: &entry,
                    shares: &[],
                    by: &alice,
                    now: T,
                };
                store.change_role(WS, &bob, "read-only", &[], change).await
            })
        })
        .collect();
    let mut done = 0;
    for task in tasks {
        match task.await.unwrap() {
            Ok(ChangeOutcome::Done) => done += 1,
            Ok(ChangeOutcome::RosterMoved) | Err(StoreError::Conflict) => {}
            other => panic!("unexpected {other:?}"),
        }
    }
    assert_eq!(done, 1);
    assert_eq!(store.roster(WS).await.unwrap().len(), 5);

    // A role change that withdraws a key kind drops the member's shares of it and stores the
    // rotated key's shares; one that comes too late changes nothing.
    let rotation = [
        share(&format!("account:{alice}"), "workspace", 2),
        share(
            "recovery:AAAAAAAA-AAAA-4AAA-8AAA-AAAAAAAAAAAA",
            "workspace",
            2,
        ),
    ];
    let two = entries(30, 2);
    let late = Append {
        seq: 4,
        entries: &two,
        shares: &rotation,
        by: &alice,
        now: T,
    };
    assert_eq!(
        store
            .change_role(WS, &bob, "helpdesk", &["workspace"], late)
            .await
            .unwrap(),
        ChangeOutcome::RosterMoved
    );
    assert_eq!(store.members(WS).await.unwrap()[1].role, "read-only");
    assert_eq!(
        store
            .shares_for(WS, &format!("account:{bob}"))
            .await
            .unwrap()
            .len(),
        1,
        "a refused change keeps the shares"
    );
    let change = Append { seq: 5, ..late };
    assert_eq!(
        store
            .change_role(WS, &bob, "helpdesk", &["workspace"], change)
            .await
            .unwrap(),
        ChangeOutcome::Done
    );
    assert_eq!(store.members(WS).await.unwrap()[1].role, "helpdesk");
    assert!(
        store
            .shares_for(WS, &format!("account:{bob}"))
            .await
            .unwrap()
            .is_empty()
    );
    assert_eq!(
        store
            .shares_for(WS, &format!("account:{alice}"))
            .await
            .unwrap()
            .len(),
        2
    );

    // Removal: the membership and every share of the account go, the entries land.
    store
        .invite(WS, "carol@example.com", "member", &alice, T)
        .await
        .unwrap();
    store
        .accept_invitation(WS, "carol@example.com", &carol, T)
        .await
        .unwrap();
    assert_eq!(
        store
            .remove_member(
                WS,
                &carol,
                Append {
                    seq: 7,
                    entries: &entries(40, 1),
                    shares: &[],
                    by: &alice,
                    now: T,
                }
            )
            .await
            .unwrap(),
        ChangeOutcome::Gone,
        "an invitee is not a member"
    );
    let removal = entries(50, 2);
    assert_eq!(
        store
            .remove_member(
                WS,
                &bob,
                Append {
                    seq: 7,
                    entries: &removal,
                    shares: &[share(&format!("account:{alice}"), "escrow", 2)],
                    by: &alice,
                    now: T,
                }
            )
            .await
            .unwrap(),
        ChangeOutcome::Done
    );
    assert_eq!(store.members(WS).await.unwrap().len(), 1);
    assert!(store.membership(WS, &bob).await.unwrap().is_none());
    let roster = store.roster(WS).await.unwrap();
    assert_eq!(roster.len(), 9);
    assert_eq!(roster[7..], removal[..]);
    assert_eq!(
        store
            .remove_member(
                WS,
                &bob,
                Append {
                    seq: 9,
                    entries: &entries(60, 1),
                    shares: &[],
                    by: &alice,
                    now: T,
                }
            )
            .await
            .unwrap(),
        ChangeOutcome::Gone,
        "removed once"
    );

    // Every change that happened is in the workspace's audit chain, in order; the refused ones
    // left no event (their transactions rolled back whole).
    let kinds: Vec<String> = store
        .audit_events(&workspace_chain(WS))
        .await
        .unwrap()
        .into_iter()
        .map(|e| e.kind)
        .collect();
    assert_eq!(
        kinds,
        [
            "workspace-created",
            "member-invited",
            "member-invited",
            "invitation-accepted",
            "member-added",
            "member-role-changed",
            "member-role-changed",
            "member-invited",
            "invitation-accepted",
            "member-removed",
        ]
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn members_story_on_sqlite() {
    let (store, _dir) = support::sqlite().await;
    story(store).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn members_story_on_postgres() {
    let db = support::PgDatabase::create().await;
    let store = Store::connect(&db.url).await.unwrap();
    story(store.clone()).await;
    store.close().await;
    db.drop_now().await;
}
