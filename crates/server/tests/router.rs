//! The router with `oneshot` (no socket): health, the error shape of every refusal, limits.

mod support;

use axum::body::{Body, to_bytes};
use axum::http::{Request, StatusCode};
use keyhaven_proto::ErrorBody;
use keyhaven_server::app::{AppState, router};
use keyhaven_server::config::{Config, ConfigOverrides};
use keyhaven_server::mail::Mailer;
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
            StatusCode::BAD_REQUEST,
            "invalid_request",
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
