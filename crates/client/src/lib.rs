//! The Keyhaven HTTP client and the user flows built on it, used by the CLI and the
//! end-to-end tests. Every check that protects the user happens here, on the client: the
//! Argon2id floor before a password is stretched, the unwrapped keys against the account's
//! public keys.
#![forbid(unsafe_code)]

pub mod audit;
pub mod clock;
pub mod devices;
pub mod flows;
pub mod members;
pub mod password;
pub mod workspaces;

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

/// A connection to one Keyhaven server, optionally signed in.
#[derive(Debug, Clone)]
pub struct Client {
    base: String,
    http: reqwest::Client,
    token: Option<String>,
}

impl Client {
    /// A client for the server at `base` (e.g. `http://127.0.0.1:8200`).
    pub fn new(base: &str) -> Result<Self, ClientError> {
        let base = base.trim().trim_end_matches('/').to_owned();
        if base.starts_with("https://") {
            return Err(ClientError::BadUrl(
                "this build of keyhaven speaks plain http only; TLS support is not built yet \
                 (put the server on a trusted network or a local TLS-terminating proxy)"
                    .into(),
            ));
        }
        if !base.starts_with("http://") {
            return Err(ClientError::BadUrl(format!(
                "the server URL must start with http:// (got {base:?})"
            )));
        }
        let http = reqwest::Client::builder()
            .timeout(std::time::Duration::from_secs(60))
            .build()
            .map_err(|e| ClientError::BadUrl(e.to_string()))?;
        Ok(Self {
            base,
            http,
            token: None,
        })
    }

    /// The same client, sending `token` as its session.
    #[must_use]
    pub fn with_session(mut self, token: impl Into<String>) -> Self {
        self.token = Some(token.into());
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
            Some(token) => request.bearer_auth(token),
            None => request,
        };
        let response = request.send().await.map_err(|e| ClientError::Unreachable {
            url: self.base.clone(),
            reason: without_url(&e),
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
