//! The web vault's files as the router serves them (`oneshot`, no socket): the page's own
//! Content-Security-Policy, gzip, caching, MIME types, and a clear page when the binary was
//! built without them (with a table of our own and with none, whatever this build holds); and
//! the files this binary embedded (scripts/test.sh builds `web/dist` first, so CI checks the
//! real vault).

mod support;

use axum::body::{Body, to_bytes};
use axum::http::{Request, StatusCode, header};
use keyhaven_server::app::{AppState, router, router_with_web};
use keyhaven_server::config::{Config, ConfigOverrides};
use keyhaven_server::mail::Mailer;
use keyhaven_server::web::{ASSETS, Asset, PAGE_POLICY, is_built};
use tower::ServiceExt;

async fn app() -> (axum::Router, tempfile::TempDir) {
    let (state, dir) = state().await;
    (router(state), dir)
}

async fn state() -> (AppState, tempfile::TempDir) {
    let (store, dir) = support::sqlite().await;
    let env = |_: &str| None;
    let mut config = Config::load(None, &env, ConfigOverrides::default()).unwrap();
    config.data_dir = dir.path().to_owned();
    let mailer = Mailer::outbox(dir.path().join("outbox"));
    let state = AppState::new(store, mailer, config).await.unwrap();
    (state, dir)
}

async fn get(
    app: &axum::Router,
    uri: &str,
    gzip: bool,
) -> (StatusCode, axum::http::HeaderMap, Vec<u8>) {
    let mut request = Request::builder().uri(uri);
    if gzip {
        request = request.header(header::ACCEPT_ENCODING, "br, gzip;q=0.9");
    }
    let response = app
        .clone()
        .oneshot(request.body(Body::empty()).unwrap())
        .await
        .unwrap();
    let status = response.status();
    let headers = response.headers().clone();
    let body = to_bytes(response.into_body(), 64 << 20)
        .await
        .unwrap()
        .to_vec();
    (status, headers, body)
}

fn header<'a>(headers: &'a axum::http::HeaderMap, name: &str) -> &'a str {
    headers
        .get(name)
        .map(|v| v.to_str().unwrap())
        .unwrap_or_default()
}

fn gunzip(bytes: &[u8]) -> Vec<u8> {
    use std::io::Read as _;
    let mut out = Vec::new();
    flate2::read::GzDecoder::new(bytes)
        .read_to_end(&mut out)
        .expect("valid gzip");
    out
}

#[tokio::test]
async fn the_vault_is_served_under_its_own_policy_or_its_absence_is_explained() {
    let (app, _dir) = app().await;
    let (status, headers, body) = get(&app, "/", false).await;
    if !is_built() {
        assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE);
        let page = String::from_utf8(body).unwrap();
        assert!(page.contains("scripts/build-web.sh"), "{page}");
        return;
    }
    assert_eq!(status, StatusCode::OK);
    assert_eq!(header(&headers, "content-type"), "text/html; charset=utf-8");
    assert_eq!(header(&headers, "content-security-policy"), PAGE_POLICY);
    assert_eq!(header(&headers, "cache-control"), "no-cache");
    assert_eq!(header(&headers, "x-frame-options"), "DENY");
    assert_eq!(
        header(&headers, "cross-origin-opener-policy"),
        "same-origin"
    );
    let page = String::from_utf8(body).unwrap();
    assert!(page.contains("<script type=\"module\""), "{page}");
    assert!(!page.contains("<script>"), "no inline script: {page}");

    // Every asset the page can load is served, compressed when asked, as the build left it.
    let wasm = ASSETS.iter().filter(|a| a.path.ends_with(".wasm")).count();
    assert_eq!(wasm, 1, "one WebAssembly module (the client)");
    for asset in ASSETS.iter().filter(|a| a.path.starts_with("/assets/")) {
        let (status, headers, body) = get(&app, asset.path, true).await;
        assert_eq!(status, StatusCode::OK, "{}", asset.path);
        assert_eq!(
            header(&headers, "content-encoding"),
            "gzip",
            "{}",
            asset.path
        );
        assert_eq!(gunzip(&body), asset.body, "{}", asset.path);
        assert_eq!(header(&headers, "content-security-policy"), PAGE_POLICY);
        assert!(header(&headers, "cache-control").contains("immutable"));
        if asset.path.ends_with(".wasm") {
            assert_eq!(header(&headers, "content-type"), "application/wasm");
        }
        if asset.path.ends_with(".js") {
            assert_eq!(
                header(&headers, "content-type"),
                "text/javascript; charset=utf-8"
            );
        }
    }
}

#[tokio::test]
async fn the_api_keeps_its_document_less_policy_and_unknown_files_are_404() {
    let (app, _dir) = app().await;
    let (status, headers, _) = get(&app, "/healthz", false).await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        header(&headers, "content-security-policy")
            .starts_with("default-src 'none'; frame-ancestors"),
        "the API's responses are not documents"
    );
    assert_eq!(header(&headers, "cache-control"), "no-store");
    let (status, headers, _) = get(&app, "/assets/nope.js", true).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(header(&headers, "content-encoding"), "");
    let (status, _, _) = get(&app, "/assets/..%2Fkeyhaven.db", false).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn a_client_that_refuses_gzip_gets_the_plain_file() {
    let (app, _dir) = app().await;
    let Some(asset) = ASSETS.iter().find(|a| a.path.starts_with("/assets/")) else {
        assert!(!is_built() || ASSETS.len() == 1);
        return;
    };
    let request = Request::builder()
        .uri(asset.path)
        .header(header::ACCEPT_ENCODING, "gzip;q=0, identity")
        .body(Body::empty())
        .unwrap();
    let response = app.clone().oneshot(request).await.unwrap();
    assert!(response.headers().get("content-encoding").is_none());
    let body = to_bytes(response.into_body(), 64 << 20).await.unwrap();
    assert_eq!(body.as_ref(), asset.body);
}

fn gzip(bytes: &[u8]) -> &'static [u8] {
    use std::io::Write as _;
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    encoder.write_all(bytes).unwrap();
    Box::leak(encoder.finish().unwrap().into_boxed_slice())
}

#[tokio::test]
async fn a_binary_without_the_vault_says_so_on_its_front_page() {
    let (state, _dir) = state().await;
    let app = router_with_web(state, &[]);
    let (status, headers, body) = get(&app, "/", true).await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(header(&headers, "content-type"), "text/html; charset=utf-8");
    let page = String::from_utf8(body).unwrap();
    assert!(
        page.contains("The web vault is not in this build"),
        "{page}"
    );
    assert!(page.contains("scripts/build-web.sh"), "{page}");
    assert!(
        !headers.get("x-request-id").unwrap().is_empty(),
        "still one of ours"
    );
    // The API is there all the same.
    let (status, _, _) = get(&app, "/healthz", false).await;
    assert_eq!(status, StatusCode::OK);
}

#[tokio::test]
async fn a_table_of_files_is_served_as_given() {
    let page: &'static [u8] = b"<!doctype html><script type=module src=/assets/app-1.js></script>";
    let script: &'static [u8] = b"console.log('vault')";
    let table: &'static [Asset] = Box::leak(Box::new([
        Asset {
            path: "/index.html",
            body: page,
            gzip: gzip(page),
        },
        Asset {
            path: "/assets/app-1.js",
            body: script,
            gzip: gzip(script),
        },
    ]));
    let (state, _dir) = state().await;
    let app = router_with_web(state, table);
    for uri in ["/", "/index.html"] {
        let (status, headers, body) = get(&app, uri, false).await;
        assert_eq!(status, StatusCode::OK, "{uri}");
        assert_eq!(body, page);
        assert_eq!(header(&headers, "content-security-policy"), PAGE_POLICY);
        assert_eq!(header(&headers, "cache-control"), "no-cache");
    }
    let (status, headers, body) = get(&app, "/assets/app-1.js", true).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(header(&headers, "content-encoding"), "gzip");
    assert_eq!(gunzip(&body), script);
    assert_eq!(
        header(&headers, "content-type"),
        "text/javascript; charset=utf-8"
    );
    let (status, _, _) = get(&app, "/assets/app-2.js", true).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}
