//! The router with `oneshot` (no socket): health, the error shape of every refusal, limits,
//! and the forgot-password endpoints.

mod support;

use axum::body::{Body, to_bytes};
use axum::http::{Request, StatusCode};
use keyhaven_crypto::{opaque, sha256};
use keyhaven_proto::{
    Bytes, ErrorBody, KsfParams, ResetFinish, ResetFinished, ResetStart, ResetStarted,
    ResetVerified,
};
use keyhaven_server::app::{AppState, router};
use keyhaven_server::config::{Config, ConfigOverrides};
use keyhaven_server::mail::Mailer;
use keyhaven_server::store::AccountRecord;
use tower::ServiceExt;

async fn app() -> (axum::Router, tempfile::TempDir) {
    let (store, dir) = support::sqlite().await;
    let env = |_: &str| None;
    let mut config = Config::load(None, &env, ConfigOverrides::default()).unwrap();
    config.data_dir = dir.path().to_owned();
    config.max_body_bytes = 4096;
    let mailer = Mailer::outbox(dir.path().join("outbox"));
    let state = AppState::new(store, mailer, config).await.unwrap();
    (router(state), dir)
}

async fn call(app: &axum::Router, request: Request<Body>) -> (StatusCode, Vec<u8>, Option<String>) {
    let response = app.clone().oneshot(request).await.unwrap();
    let status = response.status();
    let id = response
        .headers()
        .get("x-request-id")
        .map(|v| v.to_str().unwrap().to_owned());
    let body = to_bytes(response.into_body(), 1 << 20)
        .await
        .unwrap()
        .to_vec();
    (status, body, id)
}

fn json(method: &str, uri: &str, body: impl Into<Body>) -> Request<Body> {
    Request::builder()
        .method(method)
        .uri(uri)
        .header("content-type", "application/json")
        .body(body.into())
        .unwrap()
}

fn error(body: &[u8]) -> ErrorBody {
    serde_json::from_slice(body).unwrap_or_else(|e| {
        panic!(
            "not the error shape ({e}): {}",
            String::from_utf8_lossy(body)
        )
    })
}

#[tokio::test]
async fn health() {
    let (app, _dir) = app().await;
    let (status, body, id) =
        call(&app, Request::get("/healthz").body(Body::empty()).unwrap()).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body, br#"{"status":"ok"}"#);
    assert_eq!(id.unwrap().len(), 16);
}

#[tokio::test]
async fn every_refusal_has_the_error_shape() {
    let (app, _dir) = app().await;
    let cases = [
        (
            Request::get("/nope").body(Body::empty()).unwrap(),
            StatusCode::NOT_FOUND,
            "not_found",
        ),
        (
            Request::get("/v1/login/start").body(Body::empty()).unwrap(),
            StatusCode::METHOD_NOT_ALLOWED,
            "method_not_allowed",
        ),
        (
            json("POST", "/v1/signup/start", "{not json"),
            StatusCode::BAD_REQUEST,
            "invalid_request",
        ),
        (
            json("POST", "/v1/signup/start", r#"{"mail":"a@x"}"#),
            StatusCode::BAD_REQUEST,
            "invalid_request",
        ),
        (
            json("POST", "/v1/signup/start", r#"{"email":"not an address"}"#),
            StatusCode::BAD_REQUEST,
            "invalid_request",
        ),
        (
            json("POST", "/v1/signup/start", vec![b' '; 10_000]),
            StatusCode::PAYLOAD_TOO_LARGE,
            "payload_too_large",
        ),
        (
            Request::get("/v1/workspaces/00000000-0000-4000-8000-000000000001/items?limit=x")
                .header("authorization", "Bearer forged")
                .body(Body::empty())
                .unwrap(),
            StatusCode::UNAUTHORIZED,
            "unauthorized",
        ),
        (
            Request::get("/v1/account").body(Body::empty()).unwrap(),
            StatusCode::UNAUTHORIZED,
            "unauthorized",
        ),
        (
            Request::get("/v1/account")
                .header("authorization", "Bearer forged")
                .body(Body::empty())
                .unwrap(),
            StatusCode::UNAUTHORIZED,
            "unauthorized",
        ),
        (
            json(
                "POST",
                "/v1/signup/verify",
                r#"{"email":"a@x.test","code":"12345678"}"#,
            ),
            StatusCode::BAD_REQUEST,
            "invalid_code",
        ),
        (
            json(
                "POST",
                "/v1/login/finish",
                r#"{"login_id":"unknown","credential_finalization":"AAAA"}"#,
            ),
            StatusCode::UNAUTHORIZED,
            "invalid_credentials",
        ),
    ];
    for (request, status, code) in cases {
        let uri = request.uri().to_string();
        let (got, body, id) = call(&app, request).await;
        assert_eq!(got, status, "{uri}");
        let err = error(&body);
        assert_eq!(err.code, code, "{uri}: {}", err.message);
        assert_eq!(
            Some(err.request_id),
            id,
            "{uri}: the body names the request id of the header"
        );
        assert!(!err.message.is_empty());
    }
}

#[tokio::test]
async fn missing_field_is_named() {
    let (app, _dir) = app().await;
    let (_, body, _) = call(&app, json("POST", "/v1/signup/start", "{}")).await;
    assert!(
        error(&body).message.contains("email"),
        "{}",
        String::from_utf8_lossy(&body)
    );
}

#[tokio::test]
async fn signup_sends_are_rate_limited() {
    let (app, _dir) = app().await;
    for _ in 0..3 {
        let (status, _, _) = call(
            &app,
            json("POST", "/v1/signup/start", r#"{"email":"a@x.test"}"#),
        )
        .await;
        assert_eq!(status, StatusCode::ACCEPTED);
    }
    let (status, body, _) = call(
        &app,
        json("POST", "/v1/signup/start", r#"{"email":"A@x.test"}"#),
    )
    .await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(error(&body).code, "rate_limited");
}

// --- forgot password ---------------------------------------------------------------------

const BOB: &str = "bob@x.test";

/// The app with one account (bob, with one live session whose token is `bob-session`), its
/// state, and the outbox folder.
async fn app_with_account() -> (axum::Router, AppState, tempfile::TempDir) {
    let (store, dir) = support::sqlite().await;
    let env = |_: &str| None;
    let mut config = Config::load(None, &env, ConfigOverrides::default()).unwrap();
    config.data_dir = dir.path().to_owned();
    let mailer = Mailer::outbox(dir.path().join("outbox"));
    let state = AppState::new(store, mailer, config).await.unwrap();
    // Mail is queued in the database and delivered by the outbox sender, as in `serve`.
    tokio::spawn(keyhaven_server::outbox::run(state.clone()));
    let account = AccountRecord {
        id: "00000000-0000-4000-8000-00000000b0b0".into(),
        email: BOB.into(),
        password_file: vec![1; 192],
        ksf_memory_kib: 65_536,
        ksf_iterations: 3,
        ksf_parallelism: 4,
        public_keys: vec![2; 64],
        wrapped_keys: vec![3; 105],
        created_at: state.now(),
    };
    let store = state.store();
    store
        .put_signup_token(b"t", BOB, state.now() + 60)
        .await
        .unwrap();
    assert!(
        store
            .create_account(b"t", state.now(), &account)
            .await
            .unwrap()
    );
    store
        .put_session(&sha256(b"bob-session"), &account.id, state.now())
        .await
        .unwrap();
    (router(state.clone()), state, dir)
}

/// Every message in the outbox, oldest first, after waiting up to 10 s for `n` of them (reset
/// codes are sent in the background).
async fn outbox(dir: &tempfile::TempDir, n: usize) -> Vec<String> {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    loop {
        let mut files: Vec<_> = std::fs::read_dir(dir.path().join("outbox"))
            .map(|d| d.map(|e| e.unwrap().path()).collect())
            .unwrap_or_default();
        files.retain(|p| p.extension().is_some_and(|e| e == "eml"));
        files.sort();
        if files.len() >= n || std::time::Instant::now() > deadline {
            return files
                .iter()
                .map(|p| std::fs::read_to_string(p).unwrap())
                .collect();
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
}

fn access_code(mail: &str) -> String {
    let at = mail.find("access code is ").expect("a reset code email") + "access code is ".len();
    mail[at..at + 8].to_owned()
}

fn reset_finish_body(token: &str, upload: Vec<u8>) -> String {
    serde_json::to_string(&ResetFinish {
        reset_token: token.to_owned().into(),
        registration_upload: Bytes(upload),
        ksf: KsfParams {
            memory_kib: 19 * 1024,
            iterations: 2,
            parallelism: 1,
        },
        public_keys: Bytes(vec![7; 64]),
        wrapped_keys: Bytes(vec![8; 105]),
    })
    .unwrap()
}

#[tokio::test]
async fn password_reset_refusals_have_the_error_shape() {
    let (app, _state, _dir) = app_with_account().await;
    let cases = [
        (
            Request::get("/v1/password/forgot")
                .body(Body::empty())
                .unwrap(),
            StatusCode::METHOD_NOT_ALLOWED,
            "method_not_allowed",
        ),
        (
            json(
                "POST",
                "/v1/password/forgot",
                r#"{"email":"not an address"}"#,
            ),
            StatusCode::BAD_REQUEST,
            "invalid_request",
        ),
        (
            json(
                "POST",
                "/v1/password/forgot",
                r#"{"email":"bob@x.test","admin":true}"#,
            ),
            StatusCode::BAD_REQUEST,
            "invalid_request",
        ),
        (
            json(
                "POST",
                "/v1/password/reset/verify",
                r#"{"email":"bob@x.test","code":"12345678"}"#,
            ),
            StatusCode::BAD_REQUEST,
            "invalid_code",
        ),
        (
            json(
                "POST",
                "/v1/password/reset/verify",
                r#"{"email":"nobody@x.test","code":"12345678"}"#,
            ),
            StatusCode::BAD_REQUEST,
            "invalid_code",
        ),
        (
            json(
                "POST",
                "/v1/password/reset/start",
                r#"{"reset_token":"unknown","registration_request":"AAAA"}"#,
            ),
            StatusCode::BAD_REQUEST,
            "invalid_reset_token",
        ),
        (
            json(
                "POST",
                "/v1/password/reset/finish",
                reset_finish_body("unknown", vec![0; 32]),
            ),
            StatusCode::BAD_REQUEST,
            "invalid_reset_token",
        ),
        (
            json(
                "POST",
                "/v1/password/reset/finish",
                r#"{"reset_token":"x"}"#,
            ),
            StatusCode::BAD_REQUEST,
            "invalid_request",
        ),
    ];
    for (request, status, code) in cases {
        let uri = request.uri().to_string();
        let (got, body, id) = call(&app, request).await;
        assert_eq!(got, status, "{uri}");
        let err = error(&body);
        assert_eq!(err.code, code, "{uri}: {}", err.message);
        assert_eq!(Some(err.request_id), id, "{uri}");
        assert!(!err.message.is_empty());
    }
}

#[tokio::test]
async fn the_api_says_what_is_wrong() {
    let (app, state, _dir) = app_with_account().await;
    let get = |uri: &str, auth: &str| {
        Request::get(uri)
            .header("authorization", auth)
            .body(Body::empty())
            .unwrap()
    };
    // The scheme name is case-insensitive.
    for auth in [
        "Bearer bob-session",
        "bearer bob-session",
        "BEARER bob-session",
    ] {
        let (status, _, _) = call(&app, get("/v1/account", auth)).await;
        assert_eq!(status, StatusCode::OK, "{auth}");
    }
    let (status, _, _) = call(&app, get("/v1/account", "Basic bob-session")).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);

    // A workspace of bob's, to reach the item and list endpoints.
    let ws = "11111111-1111-4111-8111-111111111111";
    let recovery = keyhaven_server::store::RecoveryRow {
        key_id: "AAAAAAAA-AAAA-4AAA-8AAA-AAAAAAAAAAAA".into(),
        kind: "permanent".into(),
        expires_at: None,
        proof_hash: vec![7; 32],
        created_at: state.now(),
        last_validated_at: state.now(),
    };
    let new = keyhaven_server::store::NewWorkspace {
        id: ws,
        name: "Acme",
        owner: "00000000-0000-4000-8000-00000000b0b0",
        roster: &[vec![1; 10]],
        shares: &[],
        recovery: &recovery,
        now: state.now(),
    };
    state.store().create_workspace(&new, None).await.unwrap();
    let item = format!("/v1/workspaces/{ws}/items/00000000-0000-4000-8000-000000000001");
    let put = |revision: &str| {
        Request::put(&item)
            .header("authorization", "Bearer bob-session")
            .header("content-type", "application/json")
            .body(Body::from(format!(
                r#"{{"revision":{revision},"sealed":"AAAA"}}"#
            )))
            .unwrap()
    };
    for revision in ["18446744073709551615", "9223372036854775808", "0"] {
        let (status, body, _) = call(&app, put(revision)).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "revision {revision}");
        assert!(
            error(&body).message.contains("revision"),
            "revision {revision}"
        );
    }
    // An envelope no client could parse is refused (it would break every listing).
    let (status, body, _) = call(&app, put("1")).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(
        error(&body).message.contains("not a sealed item"),
        "{}",
        error(&body).message
    );
    // A bad query string is named as one, not as a bad body.
    let (status, body, _) = call(
        &app,
        get(
            &format!("/v1/workspaces/{ws}/items?limit=x"),
            "Bearer bob-session",
        ),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    let message = error(&body).message;
    assert!(message.contains("query string"), "{message}");
    assert!(!message.contains("JSON"), "{message}");
    // A body over the limit is 413.
    let huge = Request::put(&item)
        .header("authorization", "Bearer bob-session")
        .header("content-type", "application/json")
        .body(Body::from(vec![b' '; 2 * 1024 * 1024]))
        .unwrap();
    let (status, body, _) = call(&app, huge).await;
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(error(&body).code, "payload_too_large");
}

#[tokio::test]
async fn forgot_answers_alike_whether_or_not_the_account_exists() {
    let (app, _state, dir) = app_with_account().await;
    let mut answers = Vec::new();
    for email in ["Bob@X.test", "nobody@x.test"] {
        let body = format!(r#"{{"email":"{email}"}}"#);
        for _ in 0..3 {
            answers.push(call(&app, json("POST", "/v1/password/forgot", body.clone())).await);
        }
        let (status, body, _) = call(&app, json("POST", "/v1/password/forgot", body)).await;
        assert_eq!(status, StatusCode::TOO_MANY_REQUESTS, "{email}");
        assert_eq!(error(&body).code, "rate_limited");
    }
    for (status, body, _) in &answers {
        assert_eq!(*status, StatusCode::ACCEPTED);
        assert!(body.is_empty());
    }
    let mails = outbox(&dir, 3).await;
    tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    assert_eq!(
        outbox(&dir, 0).await.len(),
        3,
        "nothing is sent to an address without an account"
    );
    for mail in &mails {
        assert!(mail.contains("To: bob@x.test"), "{mail}");
        assert_eq!(access_code(mail).len(), 8);
    }
}

#[tokio::test]
async fn a_reset_replaces_the_keys_revokes_sessions_and_uses_the_token_once() {
    let (app, state, dir) = app_with_account().await;
    let whoami = || {
        Request::get("/v1/account")
            .header("authorization", "Bearer bob-session")
            .body(Body::empty())
            .unwrap()
    };
    assert_eq!(call(&app, whoami()).await.0, StatusCode::OK);

    let (status, _, _) = call(
        &app,
        json("POST", "/v1/password/forgot", r#"{"email":"bob@x.test"}"#),
    )
    .await;
    assert_eq!(status, StatusCode::ACCEPTED);
    let code = access_code(&outbox(&dir, 1).await[0]);
    let verify = format!(r#"{{"email":"bob@x.test","code":"{code}"}}"#);
    let (status, body, _) = call(
        &app,
        json("POST", "/v1/password/reset/verify", verify.clone()),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{}", String::from_utf8_lossy(&body));
    let verified: ResetVerified = serde_json::from_slice(&body).unwrap();
    assert_eq!(verified.account_id, "00000000-0000-4000-8000-00000000b0b0");
    assert_eq!(verified.reset_token.as_str().len(), 64, "256 bits, hex");
    let (status, body, _) = call(&app, json("POST", "/v1/password/reset/verify", verify)).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "the code is single use");
    assert_eq!(error(&body).code, "invalid_code");

    let ksf = keyhaven_crypto::opaque::KsfParams {
        memory_kib: 19 * 1024,
        iterations: 2,
        parallelism: 1,
    };
    let (client_state, request) = opaque::client_registration_start(b"new password").unwrap();
    let start = serde_json::to_string(&ResetStart {
        reset_token: verified.reset_token.clone(),
        registration_request: Bytes(request),
    })
    .unwrap();
    let (status, body, _) = call(&app, json("POST", "/v1/password/reset/start", start)).await;
    assert_eq!(status, StatusCode::OK, "{}", String::from_utf8_lossy(&body));
    let started: ResetStarted = serde_json::from_slice(&body).unwrap();
    let (upload, _export_key) = opaque::client_registration_finish(
        client_state,
        b"new password",
        &started.registration_response.0,
        ksf,
    )
    .unwrap();

    let finish = reset_finish_body(verified.reset_token.as_str(), upload);
    let (status, body, _) = call(
        &app,
        json("POST", "/v1/password/reset/finish", finish.clone()),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{}", String::from_utf8_lossy(&body));
    let finished: ResetFinished = serde_json::from_slice(&body).unwrap();
    assert_eq!(finished.sessions_revoked, 1);
    assert_eq!(finished.account.id, verified.account_id);
    assert_eq!(finished.account.public_keys, Bytes(vec![7; 64]));
    assert!(
        !String::from_utf8_lossy(&body).contains("session_token"),
        "no automatic sign-in"
    );
    let stored = state.store().account_by_email(BOB).await.unwrap().unwrap();
    assert_eq!(stored.public_keys, vec![7; 64]);
    assert_eq!(stored.ksf_memory_kib, 19 * 1024);

    let (status, body, _) = call(&app, whoami()).await;
    assert_eq!(
        status,
        StatusCode::UNAUTHORIZED,
        "the old session is revoked"
    );
    assert_eq!(error(&body).code, "unauthorized");
    let (status, body, _) = call(&app, json("POST", "/v1/password/reset/finish", finish)).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "the token is single use");
    assert_eq!(error(&body).code, "invalid_reset_token");

    let notice = &outbox(&dir, 2).await[1];
    assert!(
        notice.contains("Subject: Your Keyhaven password was reset"),
        "{notice}"
    );
    assert!(notice.contains("emergency reset code"), "{notice}");
}

/// Every documented endpoint exists with its method (no "no such endpoint", no 405), and the
/// document is served and names every one of them.
#[tokio::test]
async fn openapi_matches_the_router() {
    let (app, _dir) = app().await;
    let (status, body, _) = call(
        &app,
        Request::get("/v1/openapi.json")
            .body(Body::empty())
            .unwrap(),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    let doc: serde_json::Value = serde_json::from_slice(&body).unwrap();
    assert_eq!(doc["openapi"], "3.1.0");
    // Both ways: every served route is documented, every documented one is served.
    let served: std::collections::BTreeSet<_> =
        keyhaven_server::app::route_table().into_iter().collect();
    let documented: std::collections::BTreeSet<_> = keyhaven_server::openapi::ENDPOINTS
        .iter()
        .map(|ep| (ep.method, ep.path))
        .collect();
    let undocumented: Vec<_> = served.difference(&documented).collect();
    let unserved: Vec<_> = documented.difference(&served).collect();
    assert!(
        undocumented.is_empty(),
        "served but not documented: {undocumented:?}"
    );
    assert!(
        unserved.is_empty(),
        "documented but not served: {unserved:?}"
    );
    let operations: usize = doc["paths"]
        .as_object()
        .unwrap()
        .values()
        .map(|ops| ops.as_object().unwrap().len())
        .sum();
    assert_eq!(operations, served.len(), "one operation per route");
    let uuid = "00000000-0000-4000-8000-000000000001";
    for ep in keyhaven_server::openapi::ENDPOINTS {
        assert!(
            doc["paths"][ep.path][ep.method].is_object(),
            "{} {} is documented",
            ep.method,
            ep.path
        );
        for schema in ep.request.iter().chain(ep.response.iter()) {
            assert!(
                doc["components"]["schemas"][*schema].is_object(),
                "schema {schema} exists"
            );
        }
        let path = ep
            .path
            .replace("{id}", uuid)
            .replace("{item}", uuid)
            .replace("{account}", uuid)
            .replace("{key}", uuid)
            .replace("{token}", uuid);
        let request = Request::builder()
            .method(ep.method.to_uppercase().as_str())
            .uri(&path)
            .header("content-type", "application/json")
            .body(Body::from("{}"))
            .unwrap();
        let (status, body, _) = call(&app, request).await;
        assert_ne!(
            status,
            StatusCode::METHOD_NOT_ALLOWED,
            "{} {path}",
            ep.method
        );
        if status == StatusCode::NOT_FOUND {
            assert_ne!(
                error(&body).message,
                "no such endpoint",
                "{} {path} is routed",
                ep.method
            );
        }
    }
}

/// A relay that accepts connections and never answers does not hold up requests (issue 8.5):
/// signup codes are queued, every caller gets its answer, and the sender keeps retrying.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_stalled_relay_holds_up_no_request() {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("smtp://{}", listener.local_addr().unwrap());
    let accepted = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let relay = {
        let accepted = accepted.clone();
        tokio::spawn(async move {
            let mut held = Vec::new();
            while let Ok((stream, _)) = listener.accept().await {
                accepted.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                held.push(stream);
            }
        })
    };
    let (store, dir) = support::sqlite().await;
    let env = |_: &str| None;
    let mut config = Config::load(None, &env, ConfigOverrides::default()).unwrap();
    config.data_dir = dir.path().to_owned();
    let state = AppState::new(store.clone(), Mailer::smtp(&url).unwrap(), config)
        .await
        .unwrap();
    tokio::spawn(keyhaven_server::outbox::run(state.clone()));
    let app = router(state);
    let calls: Vec<_> = (0..8)
        .map(|n| {
            let app = app.clone();
            tokio::spawn(async move {
                let body = format!(r#"{{"email":"user{n}@example.com"}}"#);
                call(&app, json("POST", "/v1/signup/start", body)).await.0
            })
        })
        .collect();
    for c in calls {
        assert_eq!(c.await.unwrap(), StatusCode::ACCEPTED);
    }
    // The sender is talking to the relay, which says nothing; every code waits in the outbox.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    while accepted.load(std::sync::atomic::Ordering::SeqCst) == 0 {
        assert!(
            std::time::Instant::now() < deadline,
            "the sender never tried"
        );
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    assert_eq!(store.outbox_len().await.unwrap(), 8);
    relay.abort();
}
