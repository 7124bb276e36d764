//! The Keyhaven HTTP client and the user flows built on it, used by the CLI and the
//! end-to-end tests. Every check that protects the user happens here, on the client: the
//! Argon2id floor before a password is stretched, the unwrapped keys against the account's
//! public keys.
//!
//! Beside the flows, the readers and writers of device-key files ([`device_files`],
//! [`device_export`]): pure functions over bytes, shared by the CLI (which does the file I/O)
//! and the web vault.
#![forbid(unsafe_code)]

pub mod audit;
pub mod clock;
pub mod device_export;
pub mod device_files;
pub mod devices;
pub mod flows;
pub mod local;
pub mod members;
pub mod password;
pub mod workspaces;

#[cfg(not(target_arch = "wasm32"))]
#[path = "native.rs"]
mod platform;
#[cfg(target_arch = "wasm32")]
#[path = "browser.rs"]
mod platform;

#[cfg(not(target_arch = "wasm32"))]
pub use platform::install_crypto_provider;

use keyhaven_proto::ErrorBody;
use serde::Serialize;
use serde::de::DeserializeOwned;

/// Why a call failed.
#[derive(Debug, thiserror::Error)]
pub enum ClientError {
    /// The server URL is not usable.
    #[error("{0}")]
    BadUrl(String),
    /// The server could not be reached, or the connection failed.
    #[error("cannot reach the server at {url}: {reason}")]
    Unreachable {
        /// Where we tried.
        url: String,
        /// What failed (no request data in it).
        reason: String,
    },
    /// The server answered with its error shape.
    #[error("{message} (server code {code}, request {request_id})")]
    Api {
        /// HTTP status.
        status: u16,
        /// Stable error code.
        code: String,
        /// Human message.
        message: String,
        /// For the server log.
        request_id: String,
    },
    /// The server answered something that is not Keyhaven's protocol.
    #[error("unexpected answer from the server: {0}")]
    Protocol(String),
}

impl ClientError {
    /// The server's error code, if the server answered with one.
    pub fn code(&self) -> Option<&str> {
        match self {
            ClientError::Api { code, .. } => Some(code),
            _ => None,
        }
    }
}

/// How a [`Client`] reaches servers.
#[derive(Debug, Clone, Default)]
pub struct Transport {
    /// PEM certificates of authorities to trust beside the system's (a private CA).
    pub extra_roots_pem: Option<Vec<u8>>,
    /// Allow plain `http://` to a host that is not this machine. Bearer tokens, access codes
    /// and recovery keys then cross the network unencrypted.
    pub dangerous_allow_http: bool,
}

/// A connection to one Keyhaven server, optionally signed in.
#[derive(Clone)]
pub struct Client {
    base: String,
    #[cfg_attr(target_arch = "wasm32", allow(dead_code))]
    transport: Transport,
    http: reqwest::Client,
    /// The bearer token: wiped when dropped, never printed.
    token: Option<zeroize::Zeroizing<String>>,
}

impl std::fmt::Debug for Client {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Client")
            .field("base", &self.base)
            .field("signed_in", &self.token.is_some())
            .finish_non_exhaustive()
    }
}

impl Client {
    /// A client for the server at `base` (e.g. `https://vault.example.com` or
    /// `http://127.0.0.1:8200`), trusting the system's certificate authorities.
    pub fn new(base: &str) -> Result<Self, ClientError> {
        Self::connect(base, &Transport::default())
    }

    /// A client for the server at `base` over `transport`.
    ///
    /// `https://` is always accepted; `http://` only for this machine (`localhost`,
    /// `127.0.0.0/8`, `::1`) unless [`Transport::dangerous_allow_http`] is set.
    pub fn connect(base: &str, transport: &Transport) -> Result<Self, ClientError> {
        let base = base.trim().trim_end_matches('/').to_owned();
        check_server_url(&base, transport.dangerous_allow_http)?;
        Ok(Self {
            http: Self::http(transport, None)?,
            base,
            transport: transport.clone(),
            token: None,
        })
    }

    fn http(
        transport: &Transport,
        local_address: Option<std::net::IpAddr>,
    ) -> Result<reqwest::Client, ClientError> {
        platform::http(transport, local_address)
    }

    /// The same client, connecting from `address` (a machine with several addresses; the
    /// benchmarks use it to sign in from many loopback addresses).
    #[cfg(not(target_arch = "wasm32"))]
    pub fn with_local_address(mut self, address: std::net::IpAddr) -> Result<Self, ClientError> {
        self.http = Self::http(&self.transport, Some(address))?;
        Ok(self)
    }

    /// The same client, sending `token` as its session.
    #[must_use]
    pub fn with_session(mut self, token: impl Into<String>) -> Self {
        self.token = Some(zeroize::Zeroizing::new(token.into()));
        self
    }

    /// The server URL.
    pub fn base(&self) -> &str {
        &self.base
    }

    /// `POST path` with a JSON body; decodes a JSON answer (or none, for 202/204).
    pub async fn post<B: Serialize, R: DeserializeOwned>(
        &self,
        path: &str,
        body: &B,
    ) -> Result<R, ClientError> {
        let request = self.http.post(format!("{}{path}", self.base)).json(body);
        self.send(request).await
    }

    /// `POST path` with a JSON body, expecting no answer body.
    pub async fn post_empty<B: Serialize>(&self, path: &str, body: &B) -> Result<(), ClientError> {
        let request = self.http.post(format!("{}{path}", self.base)).json(body);
        self.send_empty(request).await
    }

    /// `PUT path` with a JSON body; decodes a JSON answer.
    pub async fn put<B: Serialize, R: DeserializeOwned>(
        &self,
        path: &str,
        body: &B,
    ) -> Result<R, ClientError> {
        let request = self.http.put(format!("{}{path}", self.base)).json(body);
        self.send(request).await
    }

    /// `PUT path` with a JSON body, expecting no answer body.
    pub async fn send_put<B: Serialize>(&self, path: &str, body: &B) -> Result<(), ClientError> {
        let request = self.http.put(format!("{}{path}", self.base)).json(body);
        self.send_empty(request).await
    }

    /// `DELETE path`, expecting no answer body.
    pub async fn send_delete(&self, path: &str) -> Result<(), ClientError> {
        self.send_empty(self.http.delete(format!("{}{path}", self.base)))
            .await
    }

    /// `GET path`, decoding a JSON answer.
    pub async fn get<R: DeserializeOwned>(&self, path: &str) -> Result<R, ClientError> {
        self.send(self.http.get(format!("{}{path}", self.base)))
            .await
    }

    /// `GET path` of a paginated list: one page, and the cursor of the next one (`None` after
    /// the last page). Pass the cursor back as `after=` to get that page.
    pub async fn get_page<R: DeserializeOwned>(
        &self,
        path: &str,
    ) -> Result<(R, Option<String>), ClientError> {
        let response = self
            .execute(self.http.get(format!("{}{path}", self.base)))
            .await?;
        page_of::<R>(response).await
    }

    /// `GET path` of a paginated list, following `x-next-after` until the last page, and
    /// joining the pages. A server that repeats a cursor or sends an empty page with a next
    /// cursor is refused rather than followed forever.
    pub async fn get_all<R: DeserializeOwned + Paged>(&self, path: &str) -> Result<R, ClientError> {
        /// Far beyond any quota: 10,000 pages of the smallest page size in use.
        const MOST_PAGES: usize = 10_000;
        let separator = if path.contains('?') { '&' } else { '?' };
        let response = self
            .execute(self.http.get(format!("{}{path}", self.base)))
            .await?;
        let (mut all, mut next) = page_of::<R>(response).await?;
        let mut seen = std::collections::HashSet::new();
        for _ in 0..MOST_PAGES {
            let Some(after) = next.take() else {
                return Ok(all);
            };
            if !seen.insert(after.clone()) {
                return Err(ClientError::Protocol(
                    "the server sent the same page cursor twice".into(),
                ));
            }
            let url = format!(
                "{}{path}{separator}after={}",
                self.base,
                percent_encode(&after)
            );
            let (page, following) = page_of::<R>(self.execute(self.http.get(url)).await?).await?;
            if page.is_empty() && following.is_some() {
                return Err(ClientError::Protocol(
                    "the server sent an empty page that claims more follow".into(),
                ));
            }
            all.append(page);
            next = following;
        }
        Err(ClientError::Protocol(format!(
            "the server's list goes on for more than {MOST_PAGES} pages"
        )))
    }

    async fn send<R: DeserializeOwned>(
        &self,
        request: reqwest::RequestBuilder,
    ) -> Result<R, ClientError> {
        let response = self.execute(request).await?;
        response
            .json::<R>()
            .await
            .map_err(|e| ClientError::Protocol(e.to_string()))
    }

    async fn send_empty(&self, request: reqwest::RequestBuilder) -> Result<(), ClientError> {
        self.execute(request).await.map(drop)
    }

    async fn execute(
        &self,
        request: reqwest::RequestBuilder,
    ) -> Result<reqwest::Response, ClientError> {
        let request = match &self.token {
            Some(token) => request.bearer_auth(token.as_str()),
            None => request,
        };
        let response = request.send().await.map_err(|e| ClientError::Unreachable {
            url: self.base.clone(),
            reason: platform::describe_send_error(&e),
        })?;
        let status = response.status();
        if status.is_success() {
            return Ok(response);
        }
        let text = response.text().await.unwrap_or_default();
        match serde_json::from_str::<ErrorBody>(&text) {
            Ok(body) => Err(ClientError::Api {
                status: status.as_u16(),
                code: body.code,
                message: body.message,
                request_id: body.request_id,
            }),
            Err(_) => Err(ClientError::Protocol(format!(
                "HTTP {status} without Keyhaven's error shape"
            ))),
        }
    }
}

/// A list answer that comes in pages ([`Client::get_all`] joins them).
pub trait Paged {
    /// Adds the entries of the next page.
    fn append(&mut self, next: Self);
    /// Whether the page holds no entries.
    fn is_empty(&self) -> bool;
}

impl<T> Paged for Vec<T> {
    fn append(&mut self, mut next: Self) {
        Vec::append(self, &mut next);
    }

    fn is_empty(&self) -> bool {
        <[T]>::is_empty(self)
    }
}

impl Paged for keyhaven_proto::MembersView {
    /// Members page by page; the open invitations come whole with every page.
    fn append(&mut self, next: Self) {
        self.members.extend(next.members);
    }

    fn is_empty(&self) -> bool {
        self.members.is_empty()
    }
}

impl Paged for keyhaven_proto::DeviceKeysView {
    fn append(&mut self, next: Self) {
        self.keys.extend(next.keys);
        for grant in next.grants {
            if !self.grants.contains(&grant) {
                self.grants.push(grant);
            }
        }
    }

    fn is_empty(&self) -> bool {
        self.keys.is_empty()
    }
}

/// The body of one page and the cursor of the next, if the server named one.
async fn page_of<R: DeserializeOwned>(
    response: reqwest::Response,
) -> Result<(R, Option<String>), ClientError> {
    let next = match response.headers().get("x-next-after") {
        None => None,
        Some(value) => Some(
            value
                .to_str()
                .map_err(|_| ClientError::Protocol("a page cursor that is not text".into()))?
                .to_owned(),
        ),
    };
    let body = response
        .json::<R>()
        .await
        .map_err(|e| ClientError::Protocol(e.to_string()))?;
    Ok((body, next))
}

/// Percent-encodes everything but unreserved characters (RFC 3986), for a query value.
pub(crate) fn percent_encode(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for byte in value.bytes() {
        if byte.is_ascii_alphanumeric() || b"-._~".contains(&byte) {
            out.push(byte as char);
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}

/// reqwest's message without the URL it appends (the URL is already in our message).
fn without_url(err: &reqwest::Error) -> String {
    let mut source: Option<&dyn std::error::Error> = std::error::Error::source(err);
    let mut deepest = err.to_string();
    while let Some(s) = source {
        deepest = s.to_string();
        source = s.source();
    }
    deepest
}

/// Whether `host` (as in a URL) is this machine: `localhost` or a loopback address.
pub fn is_loopback_host(host: &url::Host<&str>) -> bool {
    match host {
        url::Host::Domain(name) => {
            name.eq_ignore_ascii_case("localhost")
                || name.to_ascii_lowercase().ends_with(".localhost")
        }
        url::Host::Ipv4(ip) => ip.is_loopback(),
        url::Host::Ipv6(ip) => ip.is_loopback(),
    }
}

/// Refuses a server URL that is not `https://`, or `http://` to this machine (unless
/// `allow_http`), or that carries a path, query or credentials.
fn check_server_url(base: &str, allow_http: bool) -> Result<(), ClientError> {
    let url = url::Url::parse(base).map_err(|e| {
        ClientError::BadUrl(format!(
            "the server URL {base:?} is not a URL ({e}); expected e.g. https://vault.example.com"
        ))
    })?;
    let host = url
        .host()
        .ok_or_else(|| ClientError::BadUrl(format!("the server URL {base:?} has no host")))?;
    match url.scheme() {
        "https" => {}
        "http" if allow_http || is_loopback_host(&host) => {}
        "http" => {
            return Err(ClientError::BadUrl(format!(
                "refusing plain http:// to {host}, which is not this machine: the session token, \
                 access codes and recovery keys would cross the network unencrypted\n\
                 hint: use https://{rest}; for a private CA pass --ca-cert FILE (or set \
                 KEYHAVEN_CA_CERT); --dangerous-allow-http overrides this on a network you trust",
                rest = base.trim_start_matches("http://"),
            )));
        }
        other => {
            return Err(ClientError::BadUrl(format!(
                "the server URL must start with https:// (or http:// for this machine), \
                 not {other}://"
            )));
        }
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err(ClientError::BadUrl(
            "the server URL must not carry a user name or password".into(),
        ));
    }
    if url.query().is_some() || url.fragment().is_some() {
        return Err(ClientError::BadUrl(
            "the server URL must not carry a query or a fragment".into(),
        ));
    }
    Ok(())
}

/// Runs `work` (Argon2id: most of a second and 64 MiB) off the async executor: on tokio's
/// blocking pool natively. In the browser the whole client runs in a Web Worker, so the work
/// runs right there, blocking that worker and never the page.
#[cfg(not(target_arch = "wasm32"))]
pub(crate) async fn off_executor<T: Send + 'static>(
    work: impl FnOnce() -> T + Send + 'static,
) -> Result<T, flows::FlowError> {
    tokio::task::spawn_blocking(work)
        .await
        .map_err(|e| flows::FlowError::Integrity(e.to_string()))
}

/// See the native version: in the browser's worker, the work runs in place.
#[cfg(target_arch = "wasm32")]
pub(crate) async fn off_executor<T>(work: impl FnOnce() -> T) -> Result<T, flows::FlowError> {
    Ok(work())
}
