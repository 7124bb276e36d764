//! The mail outbox on SQLite and PostgreSQL (issue 8.5): mail is written in the transaction of
//! its change and delivered afterwards, so a relay that does not answer holds no database lock;
//! failed deliveries are retried with backoff; of several nodes exactly one sends each message;
//! a claim that a crashed node left behind is taken over once its lease ran out.

mod support;

use std::time::Duration;

use keyhaven_server::mail::{Email, Mailer};
use keyhaven_server::outbox::{LEASE_SECS, backoff_secs, deliver_due};
use keyhaven_server::store::Store;
use keyhaven_testkit::smtp_sink::SmtpSink;

const T: i64 = 1_800_000_000;

fn email(n: usize) -> Email {
    Email {
        to: format!("user{n}@example.com"),
        subject: format!("message {n}"),
        text: format!("body {n}\n"),
    }
}

/// A relay that accepts connections and never says a word.
async fn stalled_relay() -> (String, tokio::task::JoinHandle<()>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("smtp://{}", listener.local_addr().unwrap());
    let task = tokio::spawn(async move {
        let mut held = Vec::new();
        while let Ok((stream, _)) = listener.accept().await {
            held.push(stream);
        }
    });
    (url, task)
}

fn eml_files(dir: &std::path::Path) -> Vec<String> {
    let mut files: Vec<_> = match std::fs::read_dir(dir) {
        Ok(d) => d
            .map(|e| e.unwrap().path())
            .filter(|p| p.extension().is_some_and(|e| e == "eml"))
            .collect(),
        Err(_) => Vec::new(),
    };
    files.sort();
    files
        .iter()
        .map(|p| std::fs::read_to_string(p).unwrap())
        .collect()
}

async fn story(store: Store) {
    // 1. A stalled relay: the sender waits, the database does not. While a delivery hangs,
    //    other requests write (a signup token, a rate-limit hit, more mail) at once.
    let (url, _relay) = stalled_relay().await;
    let stalled = Mailer::smtp(&url).unwrap();
    store.enqueue_mail(&email(0), T).await.unwrap();
    let sending = {
        let store = store.clone();
        tokio::spawn(async move {
            deliver_due(&store, &stalled, "node-a", T, Duration::from_secs(2)).await
        })
    };
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(!sending.is_finished(), "the relay is still stalling");
    store
        .put_signup_token(&[7u8; 8], "alice@example.com", T + 600)
        .await
        .unwrap();
    assert!(
        store
            .rate_limit_hit("signup:alice", T, 900, 5)
            .await
            .unwrap()
    );
    store.enqueue_mail(&email(1), T).await.unwrap();
    assert!(
        !sending.is_finished(),
        "the writes did not wait for the relay"
    );
    let pass = sending.await.unwrap().unwrap();
    assert_eq!((pass.delivered, pass.failed), (0, 1));
    assert_eq!(store.outbox_len().await.unwrap(), 2, "nothing is lost");

    // 2. Retried with backoff: not before 5 s, then delivered and deleted.
    let dir = tempfile::tempdir().unwrap();
    let folder = Mailer::outbox(dir.path().to_owned());
    let wait = Duration::from_secs(5);
    let pass = deliver_due(&store, &folder, "node-a", T, wait)
        .await
        .unwrap();
    assert_eq!(pass.delivered, 1, "message 1 was due, message 0 waits");
    assert_eq!(backoff_secs(1), 5);
    let pass = deliver_due(&store, &folder, "node-a", T + 4, wait)
        .await
        .unwrap();
    assert_eq!(pass.delivered, 0);
    let pass = deliver_due(&store, &folder, "node-a", T + 5, wait)
        .await
        .unwrap();
    assert_eq!(pass.delivered, 1);
    assert_eq!(store.outbox_len().await.unwrap(), 0);
    let files = eml_files(dir.path());
    assert_eq!(files.len(), 2);
    assert!(files.iter().any(|f| f.contains("body 0")));

    // 3. Two nodes, one outbox: every message is sent exactly once.
    for n in 10..50 {
        store.enqueue_mail(&email(n), T + 10).await.unwrap();
    }
    let two = tempfile::tempdir().unwrap();
    let nodes: Vec<_> = ["node-a", "node-b"]
        .into_iter()
        .map(|node| {
            let store = store.clone();
            let mailer = Mailer::outbox(two.path().to_owned());
            tokio::spawn(async move {
                let mut delivered = 0;
                loop {
                    let pass = deliver_due(&store, &mailer, node, T + 10, wait)
                        .await
                        .unwrap();
                    if pass.delivered == 0 {
                        return delivered;
                    }
                    delivered += pass.delivered;
                }
            })
        })
        .collect();
    let mut total = 0;
    for node in nodes {
        total += node.await.unwrap();
    }
    assert_eq!(total, 40);
    let files = eml_files(two.path());
    assert_eq!(files.len(), 40);
    for n in 10..50 {
        let copies = files
            .iter()
            .filter(|f| f.contains(&format!("body {n}\r\n")))
            .count();
        assert_eq!(copies, 1, "message {n}");
    }

    // 4. A node that claimed and died: its claim holds for the lease, then another node
    //    takes the message over.
    store.enqueue_mail(&email(99), T + 20).await.unwrap();
    let claimed = store
        .claim_mail("node-dead", T + 20, LEASE_SECS, 10)
        .await
        .unwrap();
    assert_eq!(claimed.len(), 1);
    assert!(
        !format!("{claimed:?}").contains("body 99"),
        "Debug leaves the body out"
    );
    let taken = store
        .claim_mail("node-b", T + 21, LEASE_SECS, 10)
        .await
        .unwrap();
    assert!(taken.is_empty());
    let three = tempfile::tempdir().unwrap();
    let mailer = Mailer::outbox(three.path().to_owned());
    let pass = deliver_due(&store, &mailer, "node-b", T + 20 + LEASE_SECS, wait)
        .await
        .unwrap();
    assert_eq!(pass.delivered, 1);
    // The dead node's late report changes nothing.
    store
        .mail_delivered(&claimed[0].id, "node-dead")
        .await
        .unwrap();
    assert_eq!(store.outbox_len().await.unwrap(), 0);
}

/// Through the real SMTP client to the sink: the outbox delivers to a relay too.
async fn through_smtp(store: Store) {
    let sink = SmtpSink::start().await.unwrap();
    let mailer = Mailer::smtp(&sink.url()).unwrap();
    store.enqueue_mail(&email(5), T).await.unwrap();
    let pass = deliver_due(&store, &mailer, "node-a", T, Duration::from_secs(10))
        .await
        .unwrap();
    assert_eq!(pass.delivered, 1);
    let got = sink.wait_for(1, Duration::from_secs(10)).await;
    assert_eq!(got.len(), 1);
    assert_eq!(got[0].to, ["user5@example.com"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn outbox_on_sqlite() {
    let (store, _dir) = support::sqlite().await;
    story(store.clone()).await;
    through_smtp(store).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn outbox_on_postgres() {
    let db = support::PgDatabase::create().await;
    let store = Store::connect(&db.url).await.unwrap();
    story(store.clone()).await;
    through_smtp(store.clone()).await;
    store.close().await;
    db.drop_now().await;
}
