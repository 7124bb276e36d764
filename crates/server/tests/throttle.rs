//! Strangers cannot lock people out, and signup follows the server's `signup` setting: the
//! router with `oneshot`, each request from a chosen client address, on SQLite and PostgreSQL.
//! Sign-ins are real OPAQUE runs.

mod support;

use std::net::SocketAddr;

use axum::body::{Body, to_bytes};
use axum::extract::ConnectInfo;
use axum::http::{Request, StatusCode};
use keyhaven_crypto::opaque::{self, KsfParams as CryptoKsf};
use keyhaven_proto::{Bytes, ErrorBody, LoginFinish, LoginStart, LoginStarted};
use keyhaven_server::app::{AppState, router};
use keyhaven_server::config::{Config, ConfigOverrides, SignupPolicy, parse_ip_ranges};
use keyhaven_server::mail::Mailer;
use keyhaven_server::store::{AccountRecord, NewWorkspace, RecoveryRow, Store};
use tower::ServiceExt;

const BOB: &str = "bob@x.test";
const PASSWORD: &[u8] = b"correct horse battery staple";
const KSF: CryptoKsf = CryptoKsf {
    memory_kib: 19 * 1024,
    iterations: 2,
    parallelism: 1,
};

#[derive(Clone, Copy)]
enum Db {
    Sqlite,
    Postgres,
}

struct Server {
    app: axum::Router,
    state: AppState,
    dir: tempfile::TempDir,
    pg: Option<support::PgDatabase>,
}

impl Server {
    async fn new(db: Db, configure: impl FnOnce(&mut Config)) -> Self {
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
        let env = |_: &str| None;
        let mut config = Config::load(None, &env, ConfigOverrides::default()).unwrap();
        config.data_dir = dir.path().to_owned();
        configure(&mut config);
        let mailer = Mailer::outbox(dir.path().join("outbox"));
        let state = AppState::new(store, mailer, config).await.unwrap();
        tokio::spawn(keyhaven_server::outbox::run(state.clone()));
        Self {
            app: router(state.clone()),
            state,
            dir,
            pg,
        }
    }

    async fn finish(self) {
        self.state.store().close().await;
        if let Some(pg) = self.pg {
            pg.drop_now().await;
        }
    }

    /// An account for `email` whose password is [`PASSWORD`].
    async fn account(&self, email: &str, id: &str) {
        let (client, request) = opaque::client_registration_start(PASSWORD).unwrap();
        let response =
            opaque::server_registration_start(self.state.opaque(), &request, email.as_bytes())
                .unwrap();
        let (upload, _export) =
            opaque::client_registration_finish(client, PASSWORD, &response, KSF).unwrap();
        let account = AccountRecord {
            id: id.into(),
            email: email.into(),
            password_file: opaque::server_registration_finish(&upload).unwrap(),
            ksf_memory_kib: i64::from(KSF.memory_kib),
            ksf_iterations: i64::from(KSF.iterations),
            ksf_parallelism: i64::from(KSF.parallelism),
            public_keys: vec![2; 64],
            wrapped_keys: vec![3; 105],
            created_at: self.state.now(),
        };
        let store = self.state.store();
        let token = format!("signup-{email}");
        store
            .put_signup_token(token.as_bytes(), email, self.state.now() + 60)
            .await
            .unwrap();
        assert!(
            store
                .create_account(token.as_bytes(), self.state.now(), &account)
                .await
                .unwrap()
        );
    }

    async fn call(
        &self,
        from: &str,
        uri: &str,
        body: String,
        forwarded_for: Option<&str>,
    ) -> (StatusCode, Vec<u8>, Option<String>) {
        let mut request = Request::post(uri).header("content-type", "application/json");
        if let Some(hops) = forwarded_for {
            request = request.header("x-forwarded-for", hops);
        }
        let mut request = request.body(Body::from(body)).unwrap();
        let peer: SocketAddr = format!("{from}:40000").parse().unwrap();
        request.extensions_mut().insert(ConnectInfo(peer));
        let response = self.app.clone().oneshot(request).await.unwrap();
        let status = response.status();
        let retry_after = response
            .headers()
            .get("retry-after")
            .map(|v| v.to_str().unwrap().to_owned());
        let body = to_bytes(response.into_body(), 1 << 20).await.unwrap();
        (status, body.to_vec(), retry_after)
    }

    /// `login/start` with a guess that is never finished: what a guesser does.
    async fn start(&self, email: &str, from: &str) -> (StatusCode, Option<String>) {
        let (_state, request) = opaque::client_login_start(b"a wrong guess").unwrap();
        let body = serde_json::to_string(&LoginStart {
            email: email.into(),
            credential_request: Bytes(request),
        })
        .unwrap();
        let (status, _, retry_after) = self.call(from, "/v1/login/start", body, None).await;
        (status, retry_after)
    }

    /// A whole sign-in with the right password; the status of the step that answered last.
    async fn sign_in(&self, email: &str, from: &str) -> StatusCode {
        let (client, request) = opaque::client_login_start(PASSWORD).unwrap();
        let body = serde_json::to_string(&LoginStart {
            email: email.into(),
            credential_request: Bytes(request),
        })
        .unwrap();
        let (status, body, _) = self.call(from, "/v1/login/start", body, None).await;
        if status != StatusCode::OK {
            return status;
        }
        let started: LoginStarted = serde_json::from_slice(&body).unwrap();
        let (finalization, _, _) =
            opaque::client_login_finish(client, PASSWORD, &started.credential_response.0, KSF)
                .unwrap();
        let body = serde_json::to_string(&LoginFinish {
            login_id: started.login_id,
            credential_finalization: Bytes(finalization),
        })
        .unwrap();
        self.call(from, "/v1/login/finish", body, None).await.0
    }

    async fn forgot(&self, email: &str, from: &str) -> StatusCode {
        let body = format!(r#"{{"email":"{email}"}}"#);
        self.call(from, "/v1/password/forgot", body, None).await.0
    }

    async fn signup(&self, email: &str, from: &str) -> (StatusCode, Vec<u8>) {
        let body = format!(r#"{{"email":"{email}"}}"#);
        let (status, body, _) = self.call(from, "/v1/signup/start", body, None).await;
        (status, body)
    }

    /// The message to `to` whose subject contains `subject`, waiting up to 10 s for it.
    async fn mail(&self, to: &str, subject: &str) -> String {
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
        loop {
            let found = std::fs::read_dir(self.dir.path().join("outbox"))
                .into_iter()
                .flatten()
                .map(|e| std::fs::read_to_string(e.unwrap().path()).unwrap())
                .find(|m| m.contains(&format!("To: {to}")) && m.contains(subject));
            if let Some(mail) = found {
                return mail;
            }
            assert!(
                std::time::Instant::now() < deadline,
                "no mail to {to} about {subject:?}"
            );
            tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        }
    }
}

fn code(body: &[u8]) -> String {
    serde_json::from_slice::<ErrorBody>(body).unwrap().code
}

async fn strangers_cannot_lock_the_owner_out(db: Db) {
    let server = Server::new(db, |_| {}).await;
    server
        .account(BOB, "00000000-0000-4000-8000-00000000b0b0")
        .await;
    // Before the fix, 10 junk starts locked the account for 15 minutes, wherever the owner was.
    let stranger = "203.0.113.66";
    for n in 0..10 {
        assert_eq!(server.start(BOB, stranger).await.0, StatusCode::OK, "{n}");
    }
    let (status, retry_after) = server.start(BOB, stranger).await;
    assert_eq!(
        status,
        StatusCode::TOO_MANY_REQUESTS,
        "the stranger backs off"
    );
    let wait: u64 = retry_after.unwrap().parse().unwrap();
    assert!(
        (1..=5).contains(&wait),
        "a short wait, not a lock: {wait} s"
    );
    // The owner, elsewhere, signs in at once, and from then on that address is known.
    let home = "198.51.100.7";
    assert_eq!(server.sign_in(BOB, home).await, StatusCode::OK);

    // Guessing spread over 100 addresses uses up the per-account allowance...
    for n in 0..100 {
        let from = format!("192.0.2.{}", n + 1);
        assert_eq!(server.start(BOB, &from).await.0, StatusCode::OK, "{from}");
    }
    let (status, retry_after) = server.start(BOB, "192.0.2.200").await;
    assert_eq!(
        status,
        StatusCode::TOO_MANY_REQUESTS,
        "one account from everywhere"
    );
    assert!(retry_after.is_some());
    // ...but not for an address the owner signed in from, and the sign-in clears it.
    assert_eq!(server.sign_in(BOB, home).await, StatusCode::OK);
    assert_eq!(server.start(BOB, "192.0.2.201").await.0, StatusCode::OK);

    // Reset mail: a stranger's requests do not block the owner's.
    for _ in 0..3 {
        assert_eq!(server.forgot(BOB, stranger).await, StatusCode::ACCEPTED);
    }
    assert_eq!(
        server.forgot(BOB, stranger).await,
        StatusCode::TOO_MANY_REQUESTS
    );
    assert_eq!(server.forgot(BOB, home).await, StatusCode::ACCEPTED);
    server.finish().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn strangers_cannot_lock_the_owner_out_on_sqlite() {
    strangers_cannot_lock_the_owner_out(Db::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn strangers_cannot_lock_the_owner_out_on_postgres() {
    strangers_cannot_lock_the_owner_out(Db::Postgres).await;
}

#[tokio::test]
async fn behind_a_trusted_proxy_the_forwarded_address_counts() {
    let server = Server::new(Db::Sqlite, |config| {
        config.trusted_proxies = parse_ip_ranges("127.0.0.1").unwrap();
    })
    .await;
    let body = || format!(r#"{{"email":"{BOB}"}}"#);
    for _ in 0..3 {
        let (status, _, _) = server
            .call(
                "127.0.0.1",
                "/v1/password/forgot",
                body(),
                Some("203.0.113.5"),
            )
            .await;
        assert_eq!(status, StatusCode::ACCEPTED);
    }
    let (status, _, _) = server
        .call(
            "127.0.0.1",
            "/v1/password/forgot",
            body(),
            Some("203.0.113.5"),
        )
        .await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS);
    // Another client behind the same proxy is another address.
    let (status, _, _) = server
        .call(
            "127.0.0.1",
            "/v1/password/forgot",
            body(),
            Some("203.0.113.6"),
        )
        .await;
    assert_eq!(status, StatusCode::ACCEPTED);
    // An untrusted peer cannot pick its address with the header.
    for _ in 0..3 {
        server
            .call(
                "198.51.100.9",
                "/v1/password/forgot",
                body(),
                Some("10.0.0.1"),
            )
            .await;
    }
    let (status, _, _) = server
        .call(
            "198.51.100.9",
            "/v1/password/forgot",
            body(),
            Some("10.0.0.2"),
        )
        .await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS);
    server.finish().await;
}

async fn signup_policies(db: Db) {
    const ALICE: &str = "00000000-0000-4000-8000-00000000a11c";
    // invite-only: the first account of a new server may sign up...
    let server = Server::new(db, |config| config.signup = SignupPolicy::InviteOnly).await;
    assert_eq!(
        server.signup("alice@x.test", "203.0.113.1").await.0,
        StatusCode::ACCEPTED
    );
    server
        .mail("alice@x.test", "Your Keyhaven verification code")
        .await;
    server.account("alice@x.test", ALICE).await;
    // ...then a stranger gets the same answer, and a mail that says why, but no code...
    assert_eq!(
        server.signup("mallory@x.test", "203.0.113.2").await.0,
        StatusCode::ACCEPTED
    );
    let refusal = server
        .mail("mallory@x.test", "Signups are by invitation")
        .await;
    assert!(!refusal.contains("verification code is"), "{refusal}");
    // ...and an invited address gets its code.
    let recovery = RecoveryRow {
        key_id: "AAAAAAAA-AAAA-4AAA-8AAA-AAAAAAAAAAAA".into(),
        kind: "permanent".into(),
        expires_at: None,
        proof_hash: vec![7; 32],
        created_at: server.state.now(),
        last_validated_at: server.state.now(),
    };
    let ws = "11111111-1111-4111-8111-111111111111";
    let new = NewWorkspace {
        id: ws,
        name: "Acme",
        owner: ALICE,
        roster: &[vec![1; 10]],
        shares: &[],
        recovery: &recovery,
        now: server.state.now(),
    };
    let store = server.state.store();
    store.create_workspace(&new, None).await.unwrap();
    store
        .invite(ws, "bob@x.test", "member", ALICE, server.state.now())
        .await
        .unwrap();
    assert_eq!(
        server.signup("bob@x.test", "203.0.113.3").await.0,
        StatusCode::ACCEPTED
    );
    server
        .mail("bob@x.test", "Your Keyhaven verification code")
        .await;
    server.finish().await;

    // domains: other domains are refused with a clear error; listed domains get a code.
    let server = Server::new(db, |config| {
        config.signup = SignupPolicy::Domains;
        config.signup_domains = vec!["example.com".into()];
    })
    .await;
    let (status, body) = server.signup("mallory@evil.test", "203.0.113.1").await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert_eq!(code(&body), "signup_closed");
    assert_eq!(
        server.signup("Carol@Example.com", "203.0.113.1").await.0,
        StatusCode::ACCEPTED
    );
    server
        .mail("carol@example.com", "Your Keyhaven verification code")
        .await;
    server.finish().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn signup_follows_the_setting_on_sqlite() {
    signup_policies(Db::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn signup_follows_the_setting_on_postgres() {
    signup_policies(Db::Postgres).await;
}
