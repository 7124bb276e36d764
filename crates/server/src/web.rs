//! The web vault, served at `/` on the API's origin from assets embedded at build time
//! (`build.rs` reads `web/dist`). The page runs the client's own Rust code compiled to
//! WebAssembly; the server only hands out files, and under a policy that lets them run nothing
//! else: scripts, styles, workers and connections from this origin only, WebAssembly compiled
//! (`'wasm-unsafe-eval'`) but no `eval`, no inline script or style, no frame, no third party.

use axum::Router;
use axum::extract::Path;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;

use crate::app::AppState;

/// One embedded file.
#[derive(Debug)]
pub struct Asset {
    /// Its URL path (`/index.html`, `/assets/index-3f2a.js`).
    pub path: &'static str,
    /// The file as built.
    pub body: &'static [u8],
    /// The same, gzip-compressed.
    pub gzip: &'static [u8],
}

/// Every file of `web/dist`, as the build found it (empty if it was not built).
pub static ASSETS: &[Asset] = include!(concat!(env!("OUT_DIR"), "/web_assets.rs"));

/// The Content-Security-Policy of the vault's pages.
pub const PAGE_POLICY: &str = "default-src 'none'; script-src 'self' 'wasm-unsafe-eval'; \
     style-src 'self'; img-src 'self' blob: data:; connect-src 'self'; worker-src 'self'; \
     manifest-src 'self'; form-action 'none'; base-uri 'none'; frame-ancestors 'none'";

/// `/` and `/assets/…`, from `assets` ([`ASSETS`] in the binary; tests pass their own).
pub fn routes(assets: &'static [Asset]) -> Router<AppState> {
    let index = move |headers: HeaderMap| async move {
        match find(assets, "/index.html") {
            Some(asset) => serve(asset, &headers, "no-cache"),
            None => not_built(),
        }
    };
    let asset = move |Path(file): Path<String>, headers: HeaderMap| async move {
        match find(assets, &format!("/assets/{file}")) {
            // Vite names every asset by its content's hash: it never changes under its name.
            Some(asset) => serve(asset, &headers, "public, max-age=31536000, immutable"),
            None => (
                StatusCode::NOT_FOUND,
                [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
                "no such file\n",
            )
                .into_response(),
        }
    };
    Router::new()
        .route("/", get(index))
        .route("/index.html", get(index))
        .route("/assets/{file}", get(asset))
}

/// Whether the web vault was built into this binary.
pub fn is_built() -> bool {
    find(ASSETS, "/index.html").is_some()
}

fn find(assets: &'static [Asset], path: &str) -> Option<&'static Asset> {
    assets.iter().find(|a| a.path == path)
}

fn serve(asset: &'static Asset, request: &HeaderMap, cache: &'static str) -> Response {
    let gzip = request
        .get_all(header::ACCEPT_ENCODING)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .any(|coding| {
            let mut parts = coding.split(';');
            let name = parts.next().unwrap_or("").trim();
            let refused = parts.any(|p| matches!(p.trim(), "q=0" | "q=0.0" | "q=0.00" | "q=0.000"));
            name.eq_ignore_ascii_case("gzip") && !refused
        });
    let mut response = if gzip {
        asset.gzip.into_response()
    } else {
        asset.body.into_response()
    };
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static(mime(asset.path)),
    );
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static(cache));
    headers.insert(header::VARY, HeaderValue::from_static("accept-encoding"));
    headers.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(PAGE_POLICY),
    );
    headers.insert(
        header::HeaderName::from_static("cross-origin-opener-policy"),
        HeaderValue::from_static("same-origin"),
    );
    if gzip {
        headers.insert(header::CONTENT_ENCODING, HeaderValue::from_static("gzip"));
    }
    response
}

fn not_built() -> Response {
    let mut response = (
        StatusCode::SERVICE_UNAVAILABLE,
        [
            (header::CONTENT_TYPE, "text/html; charset=utf-8"),
            (header::CACHE_CONTROL, "no-store"),
        ],
        "<!doctype html><html lang=\"en\"><meta charset=\"utf-8\"><title>Keyhaven</title>\
         <h1>The web vault is not in this build</h1>\
         <p>This server was built without the web vault's files. Build them with \
         <code>scripts/build-web.sh</code> (the README's run command does), then build the \
         server again. The API and the <code>keyhaven</code> command line work without them.</p>\
         </html>\n",
    )
        .into_response();
    // A page for whoever opened `/`, not the API's error shape.
    response.extensions_mut().insert(crate::error::OwnBody);
    response
}

fn mime(path: &str) -> &'static str {
    match path.rsplit('.').next().unwrap_or("") {
        "html" => "text/html; charset=utf-8",
        "js" | "mjs" => "text/javascript; charset=utf-8",
        "css" => "text/css; charset=utf-8",
        "wasm" => "application/wasm",
        "svg" => "image/svg+xml",
        "png" => "image/png",
        "ico" => "image/x-icon",
        "json" | "map" => "application/json",
        "txt" => "text/plain; charset=utf-8",
        "woff2" => "font/woff2",
        _ => "application/octet-stream",
    }
}
