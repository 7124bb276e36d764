//! Bounded growth in the store, on SQLite and PostgreSQL: throttle backoff (counted one by one
//! under concurrency, cleared by a success, forgotten with time), the sweeper, and the item
//! quota.

mod support;

use std::sync::Arc;

use keyhaven_crypto::sha256;
use keyhaven_server::store::{
    AccountRecord, Backoff, ItemRow, Lifetimes, NewWorkspace, PutOutcome, RecoveryRow, Store,
};

const T: i64 = 1_795_305_600;

const POLICY: Backoff = Backoff {
    free: 3,
    first_wait: 10,
    longest_wait: 60,
    forget_after: 3600,
};

async fn throttles(store: &Store) {
    let key = "login:bob@x.test:203.0.113.1";
    for n in 0..3 {
        assert_eq!(
            store.throttle_attempt(key, T, POLICY).await.unwrap(),
            Ok(()),
            "free attempt {n}"
        );
    }
    // The third attempt set a 10 s wait; an attempt inside it is refused and not counted.
    assert_eq!(
        store.throttle_attempt(key, T + 4, POLICY).await.unwrap(),
        Err(6)
    );
    assert_eq!(
        store.throttle_attempt(key, T + 9, POLICY).await.unwrap(),
        Err(1)
    );
    // Then each attempt doubles the wait, up to the cap: never a lock.
    let mut at = T + 10;
    for wait in [20, 40, 60, 60] {
        assert_eq!(
            store.throttle_attempt(key, at, POLICY).await.unwrap(),
            Ok(())
        );
        assert_eq!(
            store
                .throttle_attempt(key, at + wait - 1, POLICY)
                .await
                .unwrap(),
            Err(1),
            "waits {wait} s"
        );
        at += wait;
    }
    // Another key is not affected.
    let other = "login:bob@x.test:198.51.100.2";
    assert_eq!(
        store.throttle_attempt(other, at, POLICY).await.unwrap(),
        Ok(())
    );
    // A success clears the key.
    store.throttle_clear(key).await.unwrap();
    for _ in 0..3 {
        assert_eq!(
            store.throttle_attempt(key, at, POLICY).await.unwrap(),
            Ok(())
        );
    }
    assert!(
        store
            .throttle_attempt(key, at, POLICY)
            .await
            .unwrap()
            .is_err()
    );
    // Untouched for `forget_after`, a key starts from zero.
    let later = at + POLICY.forget_after;
    for _ in 0..3 {
        assert_eq!(
            store.throttle_attempt(key, later, POLICY).await.unwrap(),
            Ok(())
        );
    }

    // 100 attempts at once: exactly the free ones go ahead (the others wait or lose the
    // compare-and-set and are told to wait), on one key shared by every connection.
    let store = Arc::new(store.clone());
    let key = "login:carol@x.test:203.0.113.1";
    let tasks: Vec<_> = (0..100)
        .map(|_| {
            let store = Arc::clone(&store);
            tokio::spawn(async move { store.throttle_attempt(key, T, POLICY).await.unwrap() })
        })
        .collect();
    let mut allowed = 0;
    for task in tasks {
        if task.await.unwrap().is_ok() {
            allowed += 1;
        }
    }
    assert_eq!(allowed, 3, "concurrent attempts are counted one by one");

    // Known addresses.
    store
        .remember_address("bob@x.test", "203.0.113.1", T)
        .await
        .unwrap();
    assert!(
        store
            .address_known("bob@x.test", "203.0.113.1", T)
            .await
            .unwrap()
    );
    assert!(
        !store
            .address_known("bob@x.test", "203.0.113.1", T + 1)
            .await
            .unwrap()
    );
    assert!(
        !store
            .address_known("eve@x.test", "203.0.113.1", T)
            .await
            .unwrap()
    );
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

const LIFE: Lifetimes = Lifetimes {
    session_idle: 100,
    session_absolute: 1000,
    invitation: 500,
    rate_window: 50,
    throttle: 50,
    known_address: 50,
};

const WS: &str = "11111111-1111-4111-8111-111111111111";
const ALICE: &str = "00000000-0000-4000-8000-00000000a11c";

async fn workspace(store: &Store) {
    let token = b"signup";
    store
        .put_signup_token(token, "alice@x.test", T + 60)
        .await
        .unwrap();
    assert!(
        store
            .create_account(token, T, &account(ALICE, "alice@x.test"))
            .await
            .unwrap()
    );
    let recovery = RecoveryRow {
        key_id: "AAAAAAAA-AAAA-4AAA-8AAA-AAAAAAAAAAAA".into(),
        kind: "permanent".into(),
        expires_at: None,
        proof_hash: vec![7; 32],
        created_at: T,
        last_validated_at: T,
    };
    let new = NewWorkspace {
        id: WS,
        name: "Acme",
        owner: ALICE,
        roster: &[vec![1; 10]],
        shares: &[],
        recovery: &recovery,
        now: T,
    };
    store.create_workspace(&new, None).await.unwrap();
}

async fn sweeper(store: &Store) {
    workspace(store).await;
    // Expired and live rows of each kind.
    store.put_signup_code("old@x.test", b"h", T).await.unwrap();
    store
        .put_signup_code("new@x.test", b"h", T + 1000)
        .await
        .unwrap();
    store.put_reset_code("old@x.test", b"h", T).await.unwrap();
    store
        .put_pending_login("old", "old@x.test", b"s", T)
        .await
        .unwrap();
    store
        .put_pending_login("new", "new@x.test", b"s", T + 1000)
        .await
        .unwrap();
    store.put_session(&sha256(b"idle"), ALICE, T).await.unwrap();
    store
        .put_session(&sha256(b"fresh"), ALICE, T + 50)
        .await
        .unwrap();
    store
        .invite(WS, "bob@x.test", "member", ALICE, T)
        .await
        .unwrap();
    store
        .invite(WS, "carol@x.test", "member", ALICE, T + 100)
        .await
        .unwrap();
    store
        .throttle_attempt("old", T, POLICY)
        .await
        .unwrap()
        .unwrap();
    store
        .remember_address("alice@x.test", "203.0.113.1", T)
        .await
        .unwrap();
    store.rate_limit_hit("old", T, 50, 3).await.unwrap();

    let swept = store.sweep(T + 100, LIFE).await.unwrap();
    let mut got = swept.0.clone();
    got.sort_unstable();
    let expected: Vec<(&str, u64)> = [
        "known_addresses",
        "pending_logins",
        "rate_limits",
        "reset_codes",
        "sessions",
        "signup_codes",
        "throttles",
    ]
    .into_iter()
    .map(|table| (table, 1))
    .collect();
    assert_eq!(
        got, expected,
        "one expired row of each kind, and nothing live"
    );
    assert!(
        store
            .take_pending_login("new", T + 100)
            .await
            .unwrap()
            .is_some()
    );
    assert!(
        store
            .session_created_at(&sha256(b"fresh"))
            .await
            .unwrap()
            .is_some()
    );
    assert!(
        store
            .session_created_at(&sha256(b"idle"))
            .await
            .unwrap()
            .is_none()
    );
    // The invitation made at T is deleted once `invitation` seconds passed; carol's stays.
    let swept = store.sweep(T + 500, LIFE).await.unwrap();
    assert!(swept.0.contains(&("invitations", 1)), "{swept:?}");
    let open = store.workspace_invitations(WS, T + 500).await.unwrap();
    assert_eq!(open.len(), 1);
    assert_eq!(open[0].email, "carol@x.test");
    // A second sweep finds nothing new at the same moment.
    assert_eq!(store.sweep(T + 500, LIFE).await.unwrap().total(), 0);
}

fn item(n: u8) -> ItemRow {
    ItemRow {
        id: format!("{n:08x}-0000-4000-8000-000000000000"),
        revision: 1,
        sealed: vec![n; 40],
    }
}

async fn item_quota(store: &Store) {
    workspace(store).await;
    for n in 1..=2 {
        assert_eq!(
            store.put_item(WS, ALICE, &item(n), 2, T).await.unwrap(),
            PutOutcome::Stored
        );
    }
    assert_eq!(
        store.put_item(WS, ALICE, &item(3), 2, T).await.unwrap(),
        PutOutcome::QuotaExceeded
    );
    assert!(
        store.item(WS, &item(3).id).await.unwrap().is_none(),
        "nothing stored"
    );
    // A new revision of a held item is no new item.
    let second = ItemRow {
        revision: 2,
        ..item(1)
    };
    assert_eq!(
        store.put_item(WS, ALICE, &second, 2, T).await.unwrap(),
        PutOutcome::Stored
    );
    assert!(store.delete_item(WS, ALICE, &item(2).id, T).await.unwrap());
    assert_eq!(
        store.put_item(WS, ALICE, &item(3), 2, T).await.unwrap(),
        PutOutcome::Stored,
        "a delete makes room"
    );
    // Concurrent adds cannot pass the quota either.
    let store = Arc::new(store.clone());
    let tasks: Vec<_> = (10..30)
        .map(|n| {
            let store = Arc::clone(&store);
            tokio::spawn(async move { store.put_item(WS, ALICE, &item(n), 5, T).await.unwrap() })
        })
        .collect();
    let mut stored = 0;
    for task in tasks {
        if task.await.unwrap() == PutOutcome::Stored {
            stored += 1;
        }
    }
    assert_eq!(stored, 3, "two held, five allowed");
    let all = store.items(WS).await.unwrap();
    assert_eq!(all.len(), 5);

    // Pages are bounded by count and by sealed bytes (40 per item here), never empty while
    // items are left, and join to the whole list.
    let (page, more) = store.items_page(WS, None, 10, 100).await.unwrap();
    assert_eq!((page.len(), more), (2, true), "100 bytes hold two items");
    let (page, more) = store.items_page(WS, None, 10, 1).await.unwrap();
    assert_eq!((page.len(), more), (1, true), "always one item");
    let mut joined = Vec::new();
    let mut after: Option<String> = None;
    loop {
        let (page, more) = store
            .items_page(WS, after.as_deref(), 2, 1 << 20)
            .await
            .unwrap();
        after = page.last().map(|i| i.id.clone());
        joined.extend(page);
        if !more {
            break;
        }
    }
    assert_eq!(joined, all);
    let last = all.last().unwrap().id.clone();
    assert_eq!(
        store.items_page(WS, Some(&last), 2, 1 << 20).await.unwrap(),
        (Vec::new(), false)
    );
}

macro_rules! both {
    ($story:ident, $sqlite:ident, $postgres:ident) => {
        #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
        async fn $sqlite() {
            let (store, _dir) = support::sqlite().await;
            $story(&store).await;
        }

        #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
        async fn $postgres() {
            let db = support::PgDatabase::create().await;
            let store = Store::connect(&db.url).await.unwrap();
            $story(&store).await;
            store.close().await;
            db.drop_now().await;
        }
    };
}
both!(
    throttles,
    throttles_back_off_on_sqlite,
    throttles_back_off_on_postgres
);
both!(
    sweeper,
    the_sweeper_deletes_what_expired_on_sqlite,
    the_sweeper_deletes_what_expired_on_postgres
);
both!(
    item_quota,
    the_item_quota_holds_on_sqlite,
    the_item_quota_holds_on_postgres
);
