//! The HTTP application: shared state, the router, and `serve` with graceful shutdown.

use std::sync::Arc;

use axum::extract::rejection::JsonRejection;
use axum::extract::{DefaultBodyLimit, FromRequest, FromRequestParts, Request, State};
use axum::http::request::Parts;
use axum::http::{StatusCode, header};
use axum::{Json, Router, middleware};
use keyhaven_crypto::opaque::ServerSetup;
use keyhaven_crypto::{SymmetricKey, sha256};
use serde::Serialize;

use crate::config::Config;
use crate::error::{ApiError, error_shape};
use crate::mail::{Email, Mailer};
use crate::store::Store;
use crate::{accounts, clock, workspaces};

/// Sessions end after this long without a request.
pub const SESSION_IDLE_SECS: i64 = 12 * 3600;
/// Sessions end this long after sign-in, whatever happens.
pub const SESSION_ABSOLUTE_SECS: i64 = 7 * 86_400;

/// What every handler shares.
#[derive(Clone)]
pub struct AppState {
    inner: Arc<Inner>,
}

struct Inner {
    store: Store,
    mailer: Mailer,
    config: Config,
    opaque: ServerSetup,
    code_key: SymmetricKey,
    /// This process's name in outbox claims.
    node_id: String,
    /// Wakes this node's outbox sender when a message is queued.
    mail_queued: tokio::sync::Notify,
    metrics: crate::metrics::Metrics,
}

impl core::fmt::Debug for AppState {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("AppState")
            .field("backend", &self.inner.store.backend())
            .finish_non_exhaustive()
    }
}

impl AppState {
    /// Loads (or, on first start, creates) the server secrets and builds the state.
    pub async fn new(store: Store, mailer: Mailer, config: Config) -> anyhow::Result<Self> {
        let setup_bytes = store
            .server_secret("opaque_server_setup", || {
                ServerSetup::generate().to_bytes().to_vec()
            })
            .await?;
        let opaque = ServerSetup::from_bytes(&setup_bytes)
            .map_err(|_| anyhow::anyhow!("the stored OPAQUE server setup is corrupt"))?;
        let code_key = store
            .server_secret("code_hmac_key", || {
                keyhaven_crypto::random_array::<32>().to_vec()
            })
            .await?;
        let code_key = SymmetricKey::from_bytes(
            code_key
                .try_into()
                .map_err(|_| anyhow::anyhow!("the stored code key is corrupt"))?,
        );
        Ok(Self {
            inner: Arc::new(Inner {
                store,
                mailer,
                config,
                opaque,
                code_key,
                node_id: uuid::Uuid::new_v4().to_string(),
                mail_queued: tokio::sync::Notify::new(),
                metrics: crate::metrics::Metrics::default(),
            }),
        })
    }

    /// The store.
    pub fn store(&self) -> &Store {
        &self.inner.store
    }

    /// The mailer (used by the outbox sender; handlers queue mail with
    /// [`AppState::queue_mail`]).
    pub fn mailer(&self) -> &Mailer {
        &self.inner.mailer
    }

    /// Writes `email` into the outbox and wakes this node's sender ([`crate::outbox`]).
    pub async fn queue_mail(&self, email: Email) -> Result<(), crate::store::StoreError> {
        self.store().enqueue_mail(&email, self.now()).await?;
        self.mail_was_queued();
        Ok(())
    }

    /// Wakes this node's sender after a transaction that queued mail committed.
    pub fn mail_was_queued(&self) {
        self.inner.mail_queued.notify_one();
    }

    /// Resolves when mail was queued on this node (the sender waits on it).
    pub async fn mail_queued(&self) {
        self.inner.mail_queued.notified().await;
    }

    /// This process's name in outbox claims.
    pub fn node_id(&self) -> &str {
        &self.inner.node_id
    }

    /// This process's counters (served on the metrics listener).
    pub fn metrics(&self) -> &crate::metrics::Metrics {
        &self.inner.metrics
    }

    /// The configuration.
    pub fn config(&self) -> &Config {
        &self.inner.config
    }

    /// The OPAQUE server secrets.
    pub fn opaque(&self) -> &ServerSetup {
        &self.inner.opaque
    }

    /// Keyed hash of an emailed code, bound to its purpose and address: a database leak does
    /// not let anyone test the 10^8 possible codes offline without this key.
    pub fn code_hash(&self, purpose: &str, email: &str, code: &str) -> [u8; 32] {
        let input = keyhaven_crypto::Context::new(purpose)
            .field(email)
            .field(code);
        keyhaven_crypto::kdf::hmac_sha256(&self.inner.code_key, input.as_bytes())
    }

    /// Now, in Unix seconds (shifted by the test clock when built with it).
    pub fn now(&self) -> i64 {
        i64::try_from(clock::now_unix()).expect("the clock is before year 292 billion")
    }
}

/// The router with every endpoint, the web vault built into this binary, and the middleware
/// around them.
pub fn router(state: AppState) -> Router {
    router_with_web(state, crate::web::ASSETS)
}

/// [`router`] serving the web vault from `assets` (tests pass their own table).
pub fn router_with_web(state: AppState, assets: &'static [crate::web::Asset]) -> Router {
    let max_body = state.config().max_body_bytes;
    let headers = SecurityHeaders {
        hsts: state.config().tls_cert.is_some()
            || state.config().public_url.starts_with("https://"),
    };
    api_routes()
        .into_router()
        // A route layer sees the matched route template, the only path the metrics name.
        .route_layer(middleware::from_fn_with_state(
            state.clone(),
            crate::metrics::track,
        ))
        .merge(crate::web::routes(assets))
        .layer(DefaultBodyLimit::max(max_body))
        .layer(middleware::from_fn(error_shape))
        .layer(middleware::from_fn(move |request, next| {
            security_headers(headers, request, next)
        }))
        .with_state(state)
}

/// Which optional security headers every response gets.
#[derive(Debug, Clone, Copy)]
struct SecurityHeaders {
    /// `Strict-Transport-Security`: only when users reach the server over HTTPS (its own
    /// listener, or a TLS-terminating proxy named by an https:// `public_url`).
    hsts: bool,
}

/// Adds the security headers to every response (errors and 404s included). The API answers
/// JSON only, so nothing may be framed, sniffed, cached or run as a document; the web vault's
/// files (`crate::web`) bring their own Content-Security-Policy and caching, and keep them.
async fn security_headers(
    options: SecurityHeaders,
    request: Request,
    next: middleware::Next,
) -> axum::response::Response {
    use axum::http::HeaderValue;
    let mut response = next.run(request).await;
    let headers = response.headers_mut();
    let fixed = [
        (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
        (header::X_FRAME_OPTIONS, "DENY"),
        (header::REFERRER_POLICY, "no-referrer"),
        (
            header::CONTENT_SECURITY_POLICY,
            "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'",
        ),
        (header::CACHE_CONTROL, "no-store"),
        (
            header::HeaderName::from_static("cross-origin-resource-policy"),
            "same-origin",
        ),
    ];
    for (name, value) in fixed {
        // The web vault's files set their own policy and caching (`crate::web`).
        headers
            .entry(name)
            .or_insert(HeaderValue::from_static(value));
    }
    if options.hsts {
        headers.insert(
            header::STRICT_TRANSPORT_SECURITY,
            HeaderValue::from_static("max-age=31536000"),
        );
    }
    response
}

/// Every route of the API, with its table.
pub fn api_routes() -> Routes {
    Routes::new()
        .get("/healthz", healthz)
        .get("/readyz", readyz)
        .get("/v1/openapi.json", openapi)
        .merge(accounts::routes())
        .merge(workspaces::routes())
        .merge(crate::password::routes())
        .merge(crate::members::routes())
        .merge(crate::audit::routes())
        .merge(crate::devices::routes())
}

/// The (method, path) pairs the router serves, for the OpenAPI drift test: every one must be
/// documented and every documented one served.
pub fn route_table() -> Vec<(&'static str, &'static str)> {
    api_routes().table
}

/// Routes and the table of what they serve, built together so the two cannot disagree.
pub struct Routes {
    router: Router<AppState>,
    table: Vec<(&'static str, &'static str)>,
}

impl core::fmt::Debug for Routes {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Routes")
            .field("table", &self.table)
            .finish()
    }
}

impl Default for Routes {
    fn default() -> Self {
        Self::new()
    }
}

impl Routes {
    /// No routes.
    pub fn new() -> Self {
        Self {
            router: Router::new(),
            table: Vec::new(),
        }
    }

    /// `GET path`.
    pub fn get<H, T>(self, path: &'static str, handler: H) -> Self
    where
        H: axum::handler::Handler<T, AppState>,
        T: 'static,
    {
        self.with(&["get"], path, axum::routing::get(handler))
    }

    /// `POST path`.
    pub fn post<H, T>(self, path: &'static str, handler: H) -> Self
    where
        H: axum::handler::Handler<T, AppState>,
        T: 'static,
    {
        self.with(&["post"], path, axum::routing::post(handler))
    }

    /// `PUT path`.
    pub fn put<H, T>(self, path: &'static str, handler: H) -> Self
    where
        H: axum::handler::Handler<T, AppState>,
        T: 'static,
    {
        self.with(&["put"], path, axum::routing::put(handler))
    }

    /// `DELETE path`.
    pub fn delete<H, T>(self, path: &'static str, handler: H) -> Self
    where
        H: axum::handler::Handler<T, AppState>,
        T: 'static,
    {
        self.with(&["delete"], path, axum::routing::delete(handler))
    }

    /// A method router built by hand (to add a layer), serving `methods`.
    pub fn with(
        mut self,
        methods: &[&'static str],
        path: &'static str,
        route: axum::routing::MethodRouter<AppState>,
    ) -> Self {
        // axum merges method routers given for one path.
        self.router = self.router.route(path, route);
        self.table
            .extend(methods.iter().map(|method| (*method, path)));
        self
    }

    /// Adds `other`'s routes.
    pub fn merge(mut self, other: Routes) -> Self {
        self.router = self.router.merge(other.router);
        self.table.extend(other.table);
        self
    }

    /// The router.
    pub fn into_router(self) -> Router<AppState> {
        self.router
    }
}

async fn openapi() -> Json<serde_json::Value> {
    Json(crate::openapi::document())
}

#[derive(Serialize)]
struct Health {
    status: &'static str,
}

async fn healthz(State(state): State<AppState>) -> Result<Json<Health>, ApiError> {
    state.store().ping().await?;
    Ok(Json(Health { status: "ok" }))
}

/// Ready for traffic: the database answers and has exactly this build's migrations. 503 with
/// the reason otherwise (a load balancer takes the node out; nothing else changes).
async fn readyz(State(state): State<AppState>) -> Result<Json<Health>, ApiError> {
    match state.store().migrations_current().await {
        Ok(true) => Ok(Json(Health { status: "ready" })),
        Ok(false) => Err(ApiError::Unavailable(
            "the database's migrations differ from this build's (another version ran last?)",
        )),
        Err(_) => Err(ApiError::Unavailable("the database does not answer")),
    }
}

/// JSON body extractor whose refusals carry axum's explanation ("missing field `email`") in
/// our error shape.
#[derive(Debug)]
pub struct ApiJson<T>(pub T);

impl<T, S> FromRequest<S> for ApiJson<T>
where
    Json<T>: FromRequest<S, Rejection = JsonRejection>,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        match Json::<T>::from_request(req, state).await {
            Ok(Json(value)) => Ok(Self(value)),
            Err(rejection) if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE => {
                Err(ApiError::PayloadTooLarge)
            }
            Err(rejection) => Err(ApiError::BadRequest(rejection.body_text())),
        }
    }
}

/// Query-string extractor whose refusals say what is wrong with the query string (not
/// "the body is not valid JSON").
#[derive(Debug)]
pub struct ApiQuery<T>(pub T);

impl<T, S> FromRequestParts<S> for ApiQuery<T>
where
    T: serde::de::DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        match axum::extract::Query::<T>::from_request_parts(parts, state).await {
            Ok(axum::extract::Query(value)) => Ok(Self(value)),
            Err(rejection) => Err(ApiError::BadRequest(format!(
                "the query string is not valid here: {}",
                rejection.body_text()
            ))),
        }
    }
}

/// A signed-in caller: extracting it checks the bearer token against live sessions.
#[derive(Debug, Clone)]
pub struct Session {
    /// The account.
    pub account_id: String,
    /// SHA-256 of the token (what the database stores).
    pub token_hash: [u8; 32],
}

impl FromRequestParts<AppState> for Session {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        // The scheme name is case-insensitive (RFC 9110 §11.1).
        let token = parts
            .headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.split_once(' '))
            .filter(|(scheme, _)| scheme.eq_ignore_ascii_case("bearer"))
            .map(|(_, token)| token)
            .ok_or(ApiError::Unauthorized)?;
        let token_hash = sha256(token.trim().as_bytes());
        let account_id = state
            .store()
            .touch_session(
                &token_hash,
                state.now(),
                SESSION_IDLE_SECS,
                SESSION_ABSOLUTE_SECS,
            )
            .await?
            .ok_or(ApiError::Unauthorized)?;
        Ok(Self {
            account_id,
            token_hash,
        })
    }
}

/// A background task that is stopped when this is dropped.
#[derive(Debug)]
pub struct Supervised(tokio::task::JoinHandle<()>);

impl Drop for Supervised {
    fn drop(&mut self) {
        self.0.abort();
    }
}

/// Runs the task `make` returns and starts it again whenever it panics or ends, after a backoff
/// that grows from 1 second to 5 minutes (and starts over after an hour of running): one bad
/// pass must not stop reminders until the next restart. Each restart is logged.
pub fn supervise<F, Fut>(name: &'static str, make: F) -> Supervised
where
    F: Fn() -> Fut + Send + 'static,
    Fut: std::future::Future<Output = ()> + Send + 'static,
{
    const FIRST: std::time::Duration = std::time::Duration::from_secs(1);
    const LONGEST: std::time::Duration = std::time::Duration::from_secs(300);
    Supervised(tokio::spawn(async move {
        let mut backoff = FIRST;
        loop {
            let started = tokio::time::Instant::now();
            // Held across the await: when the supervisor is aborted, dropping this aborts the
            // running task too.
            let mut inner = Supervised(tokio::spawn(make()));
            let outcome = (&mut inner.0).await;
            match outcome {
                Err(e) if e.is_panic() => {
                    tracing::error!(task = name, "background task panicked; restarting it");
                }
                Err(_) => return,
                Ok(()) => tracing::warn!(task = name, "background task ended; restarting it"),
            }
            if started.elapsed() > std::time::Duration::from_secs(3600) {
                backoff = FIRST;
            }
            tokio::time::sleep(backoff).await;
            backoff = (backoff * 2).min(LONGEST);
        }
    }))
}

/// How [`serve`] treats its data directory.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ServeOptions {
    /// Start even if other users of the machine can read the data directory
    /// (`--dangerous-allow-readable-data-dir`).
    pub dangerous_allow_readable_data_dir: bool,
    /// Start with an `http://` public URL on a listener other machines can reach
    /// (`--dangerous-allow-http`).
    pub dangerous_allow_http: bool,
}

/// Refuses a plain-HTTP public URL unless only this machine can reach the listener: users'
/// tokens, access codes and the emailed temporary recovery key would cross the network in
/// clear. Behind a TLS-terminating proxy the public URL is the proxy's `https://` one.
fn check_public_url(config: &Config, options: ServeOptions) -> anyhow::Result<()> {
    if config.public_url.starts_with("https://")
        || config.listen.ip().is_loopback()
        || options.dangerous_allow_http
    {
        return Ok(());
    }
    anyhow::bail!(
        "the public URL {url} is plain http:// and the server listens on {listen}, which other \
         machines can reach: sign-in tokens, access codes and recovery keys would cross the \
         network unencrypted\n\
         hint: serve HTTPS with --tls-cert FILE --tls-key FILE and --public-url https://…, or run \
         behind a TLS proxy with --public-url https://… (and trusted_proxies); \
         --dangerous-allow-http overrides this on a network you trust",
        url = config.public_url,
        listen = config.listen,
    )
}

/// Binds `config.listen`, prints the address it got (tests start the server on port 0 and read
/// it), and serves until SIGINT/SIGTERM, then finishes in-flight requests and closes the pool.
/// With `tls_cert`/`tls_key` it speaks HTTPS only, reloading the files when they change.
pub async fn serve(config: Config, options: ServeOptions) -> anyhow::Result<()> {
    check_public_url(&config, options)?;
    // Read before anything is created, so a bad certificate leaves nothing behind.
    let tls = match (&config.tls_cert, &config.tls_key) {
        (Some(cert), Some(key)) => Some((
            crate::tls::server_config(cert, key)?,
            cert.clone(),
            key.clone(),
        )),
        _ => None,
    };
    prepare_data_dir(&config.data_dir, options)?;
    let store = Store::connect(&config.database_url()).await?;
    if config.database.is_none() {
        restrict_database_files(&config.data_dir)?;
    }
    let mailer = Mailer::from_config(&config)?;
    let listener = std::net::TcpListener::bind(config.listen)
        .map_err(|e| anyhow::anyhow!("cannot listen on {}: {e}", config.listen))?;
    listener.set_nonblocking(true)?;
    let address = listener.local_addr()?;
    let metrics_listener = match config.metrics_listen {
        Some(metrics) => Some(
            tokio::net::TcpListener::bind(metrics)
                .await
                .map_err(|e| anyhow::anyhow!("cannot listen on {metrics} for metrics: {e}"))?,
        ),
        None => None,
    };
    let state = AppState::new(store.clone(), mailer, config).await?;
    let scheme = if tls.is_some() { "https" } else { "http" };
    // The metrics line first: the "listening" line is the last one tests wait for.
    if let Some(metrics) = &metrics_listener {
        println!("metrics on http://{}/metrics", metrics.local_addr()?);
    }
    println!("keyhaven server listening on {scheme}://{address}");
    tracing::info!(%address, backend = ?store.backend(), tls = tls.is_some(), "listening");
    let reminders = {
        let state = state.clone();
        supervise("reminders", move || crate::reminders::run(state.clone()))
    };
    let outbox = {
        let state = state.clone();
        supervise("outbox", move || crate::outbox::run(state.clone()))
    };
    let sweeper = {
        let state = state.clone();
        supervise("sweeper", move || crate::sweeper::run(state.clone()))
    };
    let metrics = metrics_listener.map(|listener| {
        let router = crate::metrics::router(state.clone());
        Supervised(tokio::spawn(async move {
            if let Err(error) = axum::serve(listener, router).await {
                tracing::error!(%error, "the metrics listener stopped");
            }
        }))
    });
    // With the peer address, which the throttles count by (crate::throttle).
    let app = router(state).into_make_service_with_connect_info::<std::net::SocketAddr>();
    match tls {
        Some((server_config, cert, key)) => {
            let live = axum_server::tls_rustls::RustlsConfig::from_config(std::sync::Arc::new(
                server_config,
            ));
            let reloader = {
                let live = live.clone();
                supervise("tls-reload", move || {
                    crate::tls::reload_when_changed(live.clone(), cert.clone(), key.clone())
                })
            };
            let handle = axum_server::Handle::new();
            let stopper = {
                let handle = handle.clone();
                tokio::spawn(async move {
                    shutdown_signal().await;
                    handle.graceful_shutdown(Some(std::time::Duration::from_secs(30)));
                })
            };
            axum_server::from_tcp_rustls(listener, live)?
                .handle(handle)
                .serve(app)
                .await?;
            stopper.abort();
            drop(reloader);
        }
        None => {
            axum::serve(tokio::net::TcpListener::from_std(listener)?, app)
                .with_graceful_shutdown(shutdown_signal())
                .await?;
        }
    }
    drop(metrics);
    drop(reminders);
    drop(outbox);
    drop(sweeper);
    store.close().await;
    tracing::info!("stopped");
    Ok(())
}

/// Creates the data directory readable by its owner only (0700), and refuses one that other
/// users can read: it holds the SQLite database (the OPAQUE server setup, the code key) and the
/// outbox (access codes, temporary recovery keys).
pub fn prepare_data_dir(dir: &std::path::Path, options: ServeOptions) -> anyhow::Result<()> {
    let mut builder = std::fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
    builder
        .create(dir)
        .map_err(|e| anyhow::anyhow!("cannot create data directory {}: {e}", dir.display()))?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(dir)?.permissions().mode() & 0o777;
        if mode & 0o077 != 0 {
            if !options.dangerous_allow_readable_data_dir {
                anyhow::bail!(
                    "the data directory {dir} can be read by other users (mode {mode:04o}), and it \
                     holds the server's secrets\n\
                     hint: run `chmod 700 {dir}`, or start with \
                     --dangerous-allow-readable-data-dir if another control protects it",
                    dir = dir.display()
                );
            }
            tracing::warn!(
                mode = format!("{mode:04o}"),
                "the data directory is readable by other users"
            );
        }
    }
    Ok(())
}

/// The SQLite database and its journal files: owner only (0600), whatever the umask made them.
fn restrict_database_files(dir: &std::path::Path) -> anyhow::Result<()> {
    #[cfg(unix)]
    for name in ["keyhaven.db", "keyhaven.db-wal", "keyhaven.db-shm"] {
        use std::os::unix::fs::PermissionsExt;
        let path = dir.join(name);
        match std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600)) {
            Ok(()) => {}
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => anyhow::bail!("cannot restrict {}: {e}", path.display()),
        }
    }
    #[cfg(not(unix))]
    let _ = dir;
    Ok(())
}

async fn shutdown_signal() {
    let interrupt = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = interrupt => {},
        () = terminate => {},
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicUsize, Ordering};

    use super::supervise;

    #[tokio::test(start_paused = true)]
    async fn a_panicking_task_is_restarted_and_dropping_stops_it() {
        let runs = Arc::new(AtomicUsize::new(0));
        let counter = Arc::clone(&runs);
        let task = supervise("test", move || {
            let counter = Arc::clone(&counter);
            async move {
                if counter.fetch_add(1, Ordering::SeqCst) == 0 {
                    panic!("the first pass fails");
                }
                std::future::pending::<()>().await;
            }
        });
        tokio::time::sleep(std::time::Duration::from_secs(5)).await;
        assert_eq!(
            runs.load(Ordering::SeqCst),
            2,
            "restarted once after the panic"
        );
        drop(task);
        tokio::time::sleep(std::time::Duration::from_secs(600)).await;
        assert_eq!(runs.load(Ordering::SeqCst), 2);
    }
}
