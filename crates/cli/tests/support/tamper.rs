//! A tampering server for end-to-end tests: an HTTP proxy between the real `keyhaven` binary
//! and the real server that forwards every request and rewrites chosen JSON answers, as a
//! malicious or breached server would. Rewrites keep answers well-formed (valid JSON, decodable
//! base64url, real chain links) so a test shows the client's cryptographic check, not a parse
//! error. It also records every request, so a test can show what the client never sent.

#![allow(dead_code, reason = "each test binary uses a different part")]

use std::sync::{Arc, Mutex};

use axum::body::{Body, to_bytes};
use axum::extract::{Request, State};
use axum::http::{HeaderName, HeaderValue, StatusCode};
use axum::response::Response;
use serde_json::Value;

type Rewrite = Box<dyn FnMut(&mut Value) + Send>;

struct Rule {
    method: String,
    path: Box<dyn Fn(&str) -> bool + Send>,
    rewrite: Rewrite,
}

#[derive(Clone)]
struct Shared {
    upstream: String,
    http: reqwest::Client,
    rules: Arc<Mutex<Vec<Rule>>>,
    seen: Arc<Mutex<Vec<(String, String)>>>,
}

/// A running tampering proxy; stops when dropped.
pub struct Tamper {
    /// Where clients reach it (`http://127.0.0.1:port`).
    pub url: String,
    rules: Arc<Mutex<Vec<Rule>>>,
    seen: Arc<Mutex<Vec<(String, String)>>>,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Tamper {
    /// A proxy in front of `upstream`, forwarding everything unchanged until told otherwise.
    pub fn start(upstream: &str) -> Self {
        let rules = Arc::new(Mutex::new(Vec::new()));
        let seen = Arc::new(Mutex::new(Vec::new()));
        let shared = Shared {
            upstream: upstream.trim_end_matches('/').to_owned(),
            http: {
                keyhaven_client::install_crypto_provider();
                reqwest::Client::new()
            },
            rules: Arc::clone(&rules),
            seen: Arc::clone(&seen),
        };
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let (bound, address) = std::sync::mpsc::channel();
        let thread = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .unwrap();
            runtime.block_on(async move {
                let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
                bound.send(listener.local_addr().unwrap()).unwrap();
                let app = axum::Router::new().fallback(forward).with_state(shared);
                axum::serve(listener, app)
                    .with_graceful_shutdown(async {
                        let _ = stopped.await;
                    })
                    .await
                    .unwrap();
            });
        });
        let address = address.recv().unwrap();
        Self {
            url: format!("http://{address}"),
            rules,
            seen,
            stop: Some(stop),
            thread: Some(thread),
        }
    }

    /// From now on, answers to `method` requests whose path (without the query) satisfies
    /// `path` go through `rewrite` when they are JSON.
    pub fn rewrite(
        &self,
        method: &str,
        path: impl Fn(&str) -> bool + Send + 'static,
        rewrite: impl FnMut(&mut Value) + Send + 'static,
    ) {
        self.rules.lock().unwrap().push(Rule {
            method: method.to_uppercase(),
            path: Box::new(path),
            rewrite: Box::new(rewrite),
        });
    }

    /// Back to forwarding unchanged.
    pub fn honest(&self) {
        self.rules.lock().unwrap().clear();
    }

    /// The requests seen so far, as (method, path with query).
    pub fn requests(&self) -> Vec<(String, String)> {
        self.seen.lock().unwrap().clone()
    }

    /// Forgets the requests seen so far.
    pub fn forget_requests(&self) {
        self.seen.lock().unwrap().clear();
    }
}

impl Drop for Tamper {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

const HOP_BY_HOP: [&str; 4] = ["content-length", "transfer-encoding", "connection", "host"];

async fn forward(State(shared): State<Shared>, request: Request) -> Response {
    let method = request.method().clone();
    let path_and_query = request
        .uri()
        .path_and_query()
        .map_or("/".to_owned(), |p| p.as_str().to_owned());
    let path = request.uri().path().to_owned();
    shared
        .seen
        .lock()
        .unwrap()
        .push((method.to_string(), path_and_query.clone()));
    let headers = request.headers().clone();
    let body = to_bytes(request.into_body(), 64 << 20).await.unwrap();
    let mut upstream = shared.http.request(
        reqwest::Method::from_bytes(method.as_str().as_bytes()).unwrap(),
        format!("{}{path_and_query}", shared.upstream),
    );
    for (name, value) in &headers {
        if !HOP_BY_HOP.contains(&name.as_str()) {
            upstream = upstream.header(name.as_str(), value.as_bytes());
        }
    }
    let answer = match upstream.body(body.to_vec()).send().await {
        Ok(answer) => answer,
        Err(_) => {
            return Response::builder()
                .status(StatusCode::BAD_GATEWAY)
                .body(Body::empty())
                .unwrap();
        }
    };
    let status = answer.status().as_u16();
    let answer_headers = answer.headers().clone();
    let mut bytes = answer.bytes().await.unwrap().to_vec();
    {
        let mut rules = shared.rules.lock().unwrap();
        let matching: Vec<&mut Rule> = rules
            .iter_mut()
            .filter(|r| r.method == method.as_str() && (r.path)(&path))
            .collect();
        if !matching.is_empty()
            && let Ok(mut json) = serde_json::from_slice::<Value>(&bytes)
        {
            for rule in matching {
                (rule.rewrite)(&mut json);
            }
            bytes = serde_json::to_vec(&json).unwrap();
        }
    }
    let mut response = Response::builder().status(status);
    for (name, value) in &answer_headers {
        if !HOP_BY_HOP.contains(&name.as_str()) {
            response = response.header(
                HeaderName::from_bytes(name.as_str().as_bytes()).unwrap(),
                HeaderValue::from_bytes(value.as_bytes()).unwrap(),
            );
        }
    }
    response.body(Body::from(bytes)).unwrap()
}

/// Unpadded base64url, as the API carries bytes.
pub fn b64(bytes: &[u8]) -> String {
    use base64::Engine as _;
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

/// The bytes of an unpadded base64url JSON string.
pub fn unb64(value: &Value) -> Vec<u8> {
    use base64::Engine as _;
    base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(value.as_str().expect("a base64url string"))
        .expect("base64url")
}
