//! One store test story, run against SQLite and against PostgreSQL.

mod support;

use std::sync::Arc;

use keyhaven_server::store::{
    AccountRecord, Backend, CodeCheck, NewCredentials, Store, StoreError,
};

const T: i64 = 1_795_305_600;

fn account(email: &str) -> AccountRecord {
    AccountRecord {
        id: format!("00000000-0000-4000-8000-{:012}", email.len()),
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

async fn story(store: Store) {
    store.ping().await.unwrap();

    // Rate limits: 3 per window, then refused; a new window starts over.
    for _ in 0..3 {
        assert!(store.rate_limit_hit("send:a@x", T, 900, 3).await.unwrap());
    }
    assert!(
        !store
            .rate_limit_hit("send:a@x", T + 10, 900, 3)
            .await
            .unwrap()
    );
    assert!(
        store
            .rate_limit_hit("send:b@x", T + 10, 900, 3)
            .await
            .unwrap(),
        "keys are separate"
    );
    assert!(
        store
            .rate_limit_hit("send:a@x", T + 900, 900, 3)
            .await
            .unwrap(),
        "new window"
    );

    // Signup codes: only the newest is valid; wrong tries count; five voids the code.
    store.put_signup_code("a@x", b"old", T + 600).await.unwrap();
    store.put_signup_code("a@x", b"new", T + 600).await.unwrap();
    assert_eq!(
        store.check_signup_code("a@x", b"old", T, 5).await.unwrap(),
        CodeCheck::Rejected
    );
    assert_eq!(
        store.check_signup_code("a@x", b"new", T, 5).await.unwrap(),
        CodeCheck::Accepted
    );
    assert_eq!(
        store.check_signup_code("a@x", b"new", T, 5).await.unwrap(),
        CodeCheck::NoTriesLeft,
        "single use"
    );
    store.put_signup_code("a@x", b"c", T + 600).await.unwrap();
    for _ in 0..5 {
        assert_eq!(
            store
                .check_signup_code("a@x", b"wrong", T, 5)
                .await
                .unwrap(),
            CodeCheck::Rejected
        );
    }
    assert_eq!(
        store.check_signup_code("a@x", b"c", T, 5).await.unwrap(),
        CodeCheck::NoTriesLeft,
        "void after 5"
    );
    store.put_signup_code("a@x", b"c", T + 600).await.unwrap();
    assert_eq!(
        store
            .check_signup_code("a@x", b"c", T + 600, 5)
            .await
            .unwrap(),
        CodeCheck::NoTriesLeft,
        "expired"
    );

    // 50 concurrent submissions of the right code: exactly one succeeds.
    store
        .put_signup_code("race@x", b"right", T + 600)
        .await
        .unwrap();
    let shared = Arc::new(store.clone());
    let tasks: Vec<_> = (0..50)
        .map(|_| {
            let store = Arc::clone(&shared);
            tokio::spawn(async move {
                store
                    .check_signup_code("race@x", b"right", T, 100)
                    .await
                    .unwrap()
            })
        })
        .collect();
    let mut accepted = 0;
    for task in tasks {
        if task.await.unwrap() == CodeCheck::Accepted {
            accepted += 1;
        }
    }
    assert_eq!(accepted, 1);

    // 200 concurrent guesses with the right code among them: the try limit holds, at most 5
    // are compared (issue 8, item 4), and the code is void afterwards.
    for table in ["signup", "reset"] {
        let email = format!("burst-{table}@x");
        let put = |code: &'static [u8]| {
            let (store, email) = (Arc::clone(&shared), email.clone());
            async move {
                if table == "signup" {
                    store.put_signup_code(&email, code, T + 600).await.unwrap();
                } else {
                    store.put_reset_code(&email, code, T + 600).await.unwrap();
                }
            }
        };
        put(b"right").await;
        let tasks: Vec<_> = (0..200)
            .map(|i| {
                let (store, email) = (Arc::clone(&shared), email.clone());
                let code: &'static [u8] = if i == 100 { b"right" } else { b"wrong" };
                tokio::spawn(async move {
                    if table == "signup" {
                        store.check_signup_code(&email, code, T, 5).await.unwrap()
                    } else {
                        store.check_reset_code(&email, code, T, 5).await.unwrap()
                    }
                })
            })
            .collect();
        let mut evaluated = 0;
        for task in tasks {
            if task.await.unwrap() != CodeCheck::NoTriesLeft {
                evaluated += 1;
            }
        }
        assert!(evaluated <= 5, "{table}: {evaluated} guesses were compared");
        let after = if table == "signup" {
            store
                .check_signup_code(&email, b"right", T, 5)
                .await
                .unwrap()
        } else {
            store
                .check_reset_code(&email, b"right", T, 5)
                .await
                .unwrap()
        };
        assert_eq!(
            after,
            CodeCheck::NoTriesLeft,
            "{table}: void after the burst"
        );
    }

    // Recovery-key proofs are limited by a counter: 200 concurrent hits, exactly 5 let through.
    let tasks: Vec<_> = (0..200)
        .map(|_| {
            let store = Arc::clone(&shared);
            tokio::spawn(async move {
                store
                    .rate_limit_hit("recovery:burst", T, 900, 5)
                    .await
                    .unwrap()
            })
        })
        .collect();
    let mut through = 0;
    for task in tasks {
        if task.await.unwrap() {
            through += 1;
        }
    }
    assert_eq!(through, 5);

    // Signup tokens create exactly one account; the email is unique.
    let a = account("alice@example.com");
    store
        .put_signup_token(b"tok-a", &a.email, T + 600)
        .await
        .unwrap();
    assert_eq!(
        store
            .signup_token_email(b"tok-a", T)
            .await
            .unwrap()
            .as_deref(),
        Some("alice@example.com")
    );
    assert!(store.create_account(b"tok-a", T, &a).await.unwrap());
    assert!(
        !store.create_account(b"tok-a", T, &a).await.unwrap(),
        "token is single use"
    );
    store
        .put_signup_token(b"tok-a2", &a.email, T + 600)
        .await
        .unwrap();
    let mut again = a.clone();
    again.id = "00000000-0000-4000-8000-999999999999".into();
    assert!(matches!(
        store.create_account(b"tok-a2", T, &again).await,
        Err(StoreError::Conflict)
    ));
    assert_eq!(
        store.account_by_email("alice@example.com").await.unwrap(),
        Some(a.clone())
    );
    assert_eq!(store.account_by_id(&a.id).await.unwrap(), Some(a.clone()));
    assert_eq!(
        store.account_by_email("nobody@example.com").await.unwrap(),
        None
    );

    // Pending logins are taken once, and not after they expire.
    store
        .put_pending_login("L1", &a.email, b"state", T + 60)
        .await
        .unwrap();
    assert_eq!(
        store.take_pending_login("L1", T).await.unwrap(),
        Some((a.email.clone(), b"state".to_vec()))
    );
    assert_eq!(store.take_pending_login("L1", T).await.unwrap(), None);
    store
        .put_pending_login("L2", &a.email, b"state", T + 60)
        .await
        .unwrap();
    assert_eq!(store.take_pending_login("L2", T + 60).await.unwrap(), None);

    // Reminders for a temporary key: due 7 days before, claimed exactly once.
    let recovery = keyhaven_server::store::RecoveryRow {
        key_id: "0D0E0F10-1112-4314-9516-1718191A1B1C".into(),
        kind: "temporary".into(),
        expires_at: Some(T + 30 * 86_400),
        proof_hash: vec![7; 32],
        created_at: T,
        last_validated_at: T,
    };
    let ws = keyhaven_server::store::NewWorkspace {
        id: "00000000-0000-4000-8000-00000000aaaa",
        name: "Acme",
        owner: &a.id,
        roster: &[vec![1, 2, 3]],
        shares: &[],
        recovery: &recovery,
        now: T,
    };
    store.create_workspace(&ws, None).await.unwrap();
    assert!(
        store
            .due_reminders(T + 22 * 86_400, 7)
            .await
            .unwrap()
            .is_empty(),
        "8 days before: not yet"
    );
    let due = store.due_reminders(T + 23 * 86_400, 7).await.unwrap();
    assert_eq!(due.len(), 1);
    assert!(
        store
            .claim_reminder(&due[0], T + 23 * 86_400)
            .await
            .unwrap()
    );
    assert!(
        !store
            .claim_reminder(&due[0], T + 23 * 86_400)
            .await
            .unwrap(),
        "claimed once"
    );
    assert!(
        store
            .due_reminders(T + 24 * 86_400, 7)
            .await
            .unwrap()
            .is_empty()
    );
    assert_eq!(
        store.due_reminders(T + 29 * 86_400, 1).await.unwrap().len(),
        1
    );
    assert!(
        store
            .due_reminders(T + 30 * 86_400, 1)
            .await
            .unwrap()
            .is_empty(),
        "expired: no reminder"
    );

    // Sessions: idle and absolute timeouts, logout, revoke all.
    store.put_session(b"s1", &a.id, T).await.unwrap();
    assert_eq!(
        store
            .touch_session(b"s1", T + 100, 3600, 86_400)
            .await
            .unwrap()
            .as_deref(),
        Some(a.id.as_str())
    );
    assert_eq!(
        store
            .touch_session(b"s1", T + 100 + 3600, 3600, 86_400)
            .await
            .unwrap(),
        None,
        "idle"
    );
    store.put_session(b"s2", &a.id, T).await.unwrap();
    for step in 1..=30 {
        let now = T + step * 3000;
        let live = store.touch_session(b"s2", now, 3600, 86_400).await.unwrap();
        assert_eq!(
            live.is_some(),
            now < T + 86_400,
            "absolute timeout at step {step}"
        );
    }
    // Activity is written at most once a minute: a request 30 s after the last recorded one
    // is a pure read and leaves the idle clock where it was; one after a minute moves it.
    store.put_session(b"s6", &a.id, T).await.unwrap();
    assert!(
        store
            .touch_session(b"s6", T + 30, 3600, 86_400)
            .await
            .unwrap()
            .is_some()
    );
    assert_eq!(
        store
            .touch_session(b"s6", T + 3600, 3600, 86_400)
            .await
            .unwrap(),
        None,
        "the read at T+30 was not written: idle since T"
    );
    store.put_session(b"s7", &a.id, T).await.unwrap();
    assert!(
        store
            .touch_session(b"s7", T + 60, 3600, 86_400)
            .await
            .unwrap()
            .is_some()
    );
    assert!(
        store
            .touch_session(b"s7", T + 3600 + 30, 3600, 86_400)
            .await
            .unwrap()
            .is_some(),
        "the touch at T+60 was written: idle since T+60"
    );
    store.put_session(b"s3", &a.id, T).await.unwrap();
    store.delete_session(b"s3", T).await.unwrap();
    assert_eq!(
        store.touch_session(b"s3", T, 3600, 86_400).await.unwrap(),
        None
    );
    store.put_session(b"s4", &a.id, T).await.unwrap();
    store.put_session(b"s5", &a.id, T).await.unwrap();
    assert_eq!(
        store.delete_sessions_of(&a.id).await.unwrap(),
        6,
        "s1, s2, s4, s5, s6, s7 were left"
    );
    assert_eq!(
        store.touch_session(b"s4", T, 3600, 86_400).await.unwrap(),
        None
    );

    reset_story(&store).await;
}

/// Forgot password: reset codes, reset tokens, and the one transaction that replaces the
/// password and keys and revokes the account's sessions.
async fn reset_story(store: &Store) {
    let alice = store
        .account_by_email("alice@example.com")
        .await
        .unwrap()
        .unwrap();
    let bob = account("bob@example.com");
    store
        .put_signup_token(b"tok-b", &bob.email, T + 600)
        .await
        .unwrap();
    assert!(store.create_account(b"tok-b", T, &bob).await.unwrap());

    // Reset codes: only the newest is valid; single use; five wrong tries void; expiry.
    store
        .put_reset_code(&bob.email, b"old", T + 600)
        .await
        .unwrap();
    store
        .put_reset_code(&bob.email, b"new", T + 600)
        .await
        .unwrap();
    let check = |code: &'static [u8], now: i64| store.check_reset_code(&bob.email, code, now, 5);
    assert_eq!(
        check(b"old", T).await.unwrap(),
        CodeCheck::Rejected,
        "newest only"
    );
    assert_eq!(check(b"new", T).await.unwrap(), CodeCheck::Accepted);
    assert_eq!(
        check(b"new", T).await.unwrap(),
        CodeCheck::NoTriesLeft,
        "single use"
    );
    store
        .put_reset_code(&bob.email, b"c", T + 600)
        .await
        .unwrap();
    for _ in 0..5 {
        assert_eq!(check(b"wrong", T).await.unwrap(), CodeCheck::Rejected);
    }
    assert_eq!(
        check(b"c", T).await.unwrap(),
        CodeCheck::NoTriesLeft,
        "void after 5"
    );
    store
        .put_reset_code(&bob.email, b"c", T + 600)
        .await
        .unwrap();
    for _ in 0..4 {
        assert_eq!(check(b"wrong", T).await.unwrap(), CodeCheck::Rejected);
    }
    assert_eq!(
        check(b"c", T).await.unwrap(),
        CodeCheck::Accepted,
        "four wrong tries leave the code usable"
    );
    store
        .put_reset_code(&bob.email, b"c", T + 600)
        .await
        .unwrap();
    assert_eq!(
        check(b"c", T + 600).await.unwrap(),
        CodeCheck::NoTriesLeft,
        "expired"
    );
    store
        .put_signup_code(&bob.email, b"s", T + 600)
        .await
        .unwrap();
    assert_eq!(
        check(b"s", T).await.unwrap(),
        CodeCheck::Rejected,
        "a signup code is not a reset code"
    );

    // 50 concurrent submissions of the right code: exactly one succeeds.
    store
        .put_reset_code("race@x", b"right", T + 600)
        .await
        .unwrap();
    let tasks: Vec<_> = (0..50)
        .map(|_| {
            let store = store.clone();
            tokio::spawn(async move {
                store
                    .check_reset_code("race@x", b"right", T, 100)
                    .await
                    .unwrap()
            })
        })
        .collect();
    let mut accepted = 0;
    for task in tasks {
        if task.await.unwrap() == CodeCheck::Accepted {
            accepted += 1;
        }
    }
    assert_eq!(accepted, 1);

    // Reset tokens: live until they expire; unknown and expired ones change nothing.
    let new = |n: u8| NewCredentials {
        password_file: vec![n; 192],
        ksf_memory_kib: 131_072,
        ksf_iterations: 4,
        ksf_parallelism: 2,
        public_keys: vec![n.wrapping_add(100); 64],
        wrapped_keys: vec![n.wrapping_add(200); 105],
    };
    store
        .put_reset_token(b"rt-old", &bob.id, T + 600)
        .await
        .unwrap();
    assert_eq!(
        store
            .reset_token_account(b"rt-old", T)
            .await
            .unwrap()
            .as_deref(),
        Some(bob.id.as_str())
    );
    assert_eq!(
        store.reset_token_account(b"rt-old", T + 600).await.unwrap(),
        None
    );
    assert_eq!(store.reset_token_account(b"nope", T).await.unwrap(), None);
    assert_eq!(
        store
            .reset_password(b"rt-old", T + 600, &new(1))
            .await
            .unwrap(),
        None,
        "expired"
    );
    assert_eq!(
        store.reset_password(b"nope", T, &new(1)).await.unwrap(),
        None,
        "unknown"
    );
    assert_eq!(
        store.account_by_id(&bob.id).await.unwrap(),
        Some(bob.clone()),
        "refused resets change nothing"
    );

    // What a reset must end: bob's sessions, a login bob started before it, his other reset
    // tokens and a pending reset code. Alice's session is not his.
    store.put_session(b"sb1", &bob.id, T).await.unwrap();
    store.put_session(b"sb2", &bob.id, T).await.unwrap();
    store.put_session(b"sa1", &alice.id, T).await.unwrap();
    store
        .put_pending_login("Lb", &bob.email, b"old-password-state", T + 60)
        .await
        .unwrap();
    store
        .put_reset_token(b"rt-other", &bob.id, T + 600)
        .await
        .unwrap();
    store
        .put_reset_code(&bob.email, b"pending", T + 600)
        .await
        .unwrap();

    // 50 concurrent reset finishes with the right token: exactly one succeeds.
    store
        .put_reset_token(b"rt-right", &bob.id, T + 600)
        .await
        .unwrap();
    let tasks: Vec<_> = (0..50u8)
        .map(|n| {
            let store = store.clone();
            tokio::spawn(async move {
                let done = store.reset_password(b"rt-right", T, &new(n)).await.unwrap();
                (n, done)
            })
        })
        .collect();
    let mut winners = Vec::new();
    for task in tasks {
        let (n, done) = task.await.unwrap();
        if let Some(done) = done {
            winners.push((n, done));
        }
    }
    assert_eq!(winners.len(), 1, "exactly one reset succeeds");
    let (n, done) = winners.pop().unwrap();
    assert_eq!(done.account_id, bob.id);
    assert_eq!(done.email, bob.email);
    assert_eq!(done.sessions_revoked, 2);

    // The winner's credentials are stored; the id, email and creation time stay.
    let after = store.account_by_id(&bob.id).await.unwrap().unwrap();
    let expected = new(n);
    assert_eq!(
        after,
        AccountRecord {
            password_file: expected.password_file,
            ksf_memory_kib: expected.ksf_memory_kib,
            ksf_iterations: expected.ksf_iterations,
            ksf_parallelism: expected.ksf_parallelism,
            public_keys: expected.public_keys,
            wrapped_keys: expected.wrapped_keys,
            ..bob.clone()
        }
    );
    for session in [b"sb1", b"sb2"] {
        assert_eq!(
            store.touch_session(session, T, 3600, 86_400).await.unwrap(),
            None,
            "every session of the account is revoked"
        );
    }
    assert_eq!(
        store
            .touch_session(b"sa1", T, 3600, 86_400)
            .await
            .unwrap()
            .as_deref(),
        Some(alice.id.as_str()),
        "other accounts keep their sessions"
    );
    assert_eq!(
        store.take_pending_login("Lb", T).await.unwrap(),
        None,
        "a login started with the old password cannot finish"
    );
    assert_eq!(
        store.reset_token_account(b"rt-other", T).await.unwrap(),
        None
    );
    assert_eq!(
        store
            .reset_password(b"rt-other", T, &new(99))
            .await
            .unwrap(),
        None,
        "the account's other reset tokens are void"
    );
    assert_eq!(
        store
            .check_reset_code(&bob.email, b"pending", T, 5)
            .await
            .unwrap(),
        CodeCheck::NoTriesLeft,
        "a code sent before the reset is void"
    );
    assert_eq!(
        store
            .reset_password(b"rt-right", T, &new(98))
            .await
            .unwrap(),
        None,
        "the token is single use"
    );
    assert_eq!(store.account_by_id(&bob.id).await.unwrap(), Some(after));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn story_on_sqlite() {
    let (store, _dir) = support::sqlite().await;
    assert_eq!(store.backend(), Backend::Sqlite);
    story(store).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn story_on_postgres() {
    let db = support::PgDatabase::create().await;
    let store = Store::connect(&db.url).await.unwrap();
    assert_eq!(store.backend(), Backend::Postgres);
    story(store.clone()).await;
    store.close().await;
    db.drop_now().await;
}

#[tokio::test]
async fn unsupported_url_is_refused() {
    assert!(matches!(
        Store::connect("mysql://x").await,
        Err(StoreError::UnsupportedUrl)
    ));
}
