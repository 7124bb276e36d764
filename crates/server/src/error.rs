//! The one error type of every handler, and the one error shape of every response.
//!
//! Each variant maps to an explicit status and a stable `code`. Internal failures are logged
//! with the request id and answered with a generic message: no internals reach a client. The
//! [`error_shape`] middleware also turns the framework's own refusals (unknown route, wrong
//! method, body too large, malformed JSON) into the same `{code, message, request_id}` shape.

use axum::body::Body;
use axum::extract::Request;
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use keyhaven_proto::ErrorBody;
use tracing::Instrument;

/// What a handler can fail with.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    /// The request is malformed or a value is out of range; the message says which.
    #[error("{0}")]
    BadRequest(String),
    /// No valid session.
    #[error("sign in first (the session is missing, expired or revoked)")]
    Unauthorized,
    /// Wrong email or password, or an unknown account: deliberately one answer.
    #[error("incorrect email or password")]
    InvalidCredentials,
    /// A wrong, expired, used-up or superseded emailed code.
    #[error("the code is wrong or has expired; request a new one")]
    InvalidCode,
    /// A signup token that is unknown, used or expired.
    #[error("this signup has expired; start again")]
    InvalidSignupToken,
    /// A password-reset token that is unknown, used or expired.
    #[error("this password reset has expired or was already used; start again")]
    InvalidResetToken,
    /// Too many attempts in the current window.
    #[error("too many attempts; wait a few minutes and try again")]
    RateLimited,
    /// Too many attempts lately: this one may be tried again after `wait_secs` (sent as
    /// `Retry-After`).
    #[error("too many attempts; try again in {}", wait_text(*wait_secs))]
    Throttled {
        /// Seconds until the next attempt is allowed.
        wait_secs: i64,
    },
    /// The body is larger than the endpoint accepts.
    #[error("the request body is too large")]
    PayloadTooLarge,
    /// A configured quota is used up; the message names it.
    #[error("{0}")]
    QuotaExceeded(String),
    /// Signup is closed to this address by the server's `signup` setting.
    #[error("{0}")]
    SignupClosed(&'static str),
    /// The action needs a recent sign-in.
    #[error("this needs a fresh sign-in: run `keyhaven login` again, then retry")]
    FreshSignInRequired,
    /// The caller is signed in but may not do this.
    #[error("{0}")]
    Forbidden(&'static str),
    /// The caller's password was reset and this membership is not relinked yet: it may only
    /// read the roster and its shares and take the emergency reset.
    #[error(
        "your password was reset, so your membership has no authority until it is relinked: \
         owners enter the emergency reset code (`keyhaven recovery-key use`), members ask an \
         owner or admin to run `keyhaven member relink`"
    )]
    NeedsRelink,
    /// No such thing (or not visible to the caller).
    #[error("{0}")]
    NotFound(&'static str),
    /// The thing already exists.
    #[error("{0}")]
    Conflict(&'static str),
    /// The node cannot serve now (`/readyz`); the message says why.
    #[error("{0}")]
    Unavailable(&'static str),
    /// Anything unexpected; details go to the log only.
    #[error("internal error")]
    Internal(#[from] anyhow::Error),
}

impl From<crate::store::StoreError> for ApiError {
    fn from(err: crate::store::StoreError) -> Self {
        match err {
            // Two changes raced for one audit chain and this one lost twice; nothing of it was
            // stored, so the client may simply send it again.
            crate::store::StoreError::ChainConflict => {
                ApiError::Conflict("another change was recorded at the same moment; try again")
            }
            err => ApiError::Internal(err.into()),
        }
    }
}

/// Marks an error response whose body is a page for people, not the API's error shape (the web
/// vault's "not built" page): the middleware leaves its body alone.
#[derive(Debug, Clone, Copy)]
pub struct OwnBody;

/// Marks a response as one of ours: the middleware adds the request id to it.
#[derive(Debug, Clone)]
struct Rendered {
    code: &'static str,
    message: String,
}

impl ApiError {
    fn status_and_code(&self) -> (StatusCode, &'static str) {
        match self {
            ApiError::BadRequest(_) => (StatusCode::BAD_REQUEST, "invalid_request"),
            ApiError::Unauthorized => (StatusCode::UNAUTHORIZED, "unauthorized"),
            ApiError::InvalidCredentials => (StatusCode::UNAUTHORIZED, "invalid_credentials"),
            ApiError::InvalidCode => (StatusCode::BAD_REQUEST, "invalid_code"),
            ApiError::InvalidSignupToken => (StatusCode::BAD_REQUEST, "invalid_signup_token"),
            ApiError::InvalidResetToken => (StatusCode::BAD_REQUEST, "invalid_reset_token"),
            ApiError::RateLimited | ApiError::Throttled { .. } => {
                (StatusCode::TOO_MANY_REQUESTS, "rate_limited")
            }
            ApiError::QuotaExceeded(_) => (StatusCode::FORBIDDEN, "quota_exceeded"),
            ApiError::PayloadTooLarge => (StatusCode::PAYLOAD_TOO_LARGE, "payload_too_large"),
            ApiError::SignupClosed(_) => (StatusCode::FORBIDDEN, "signup_closed"),
            ApiError::FreshSignInRequired => (StatusCode::FORBIDDEN, "fresh_sign_in_required"),
            ApiError::Forbidden(_) => (StatusCode::FORBIDDEN, "forbidden"),
            ApiError::NeedsRelink => (StatusCode::FORBIDDEN, "needs_relink"),
            ApiError::NotFound(_) => (StatusCode::NOT_FOUND, "not_found"),
            ApiError::Conflict(_) => (StatusCode::CONFLICT, "conflict"),
            ApiError::Unavailable(_) => (StatusCode::SERVICE_UNAVAILABLE, "unavailable"),
            ApiError::Internal(_) => (StatusCode::INTERNAL_SERVER_ERROR, "internal"),
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let (status, code) = self.status_and_code();
        if let ApiError::Internal(err) = &self {
            // `{err:#}` prints the cause chain; the response says only "internal error".
            tracing::error!(error = format!("{err:#}"), "internal error");
        }
        let mut response = status.into_response();
        if let ApiError::Throttled { wait_secs } = &self {
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from(*wait_secs));
        }
        response.extensions_mut().insert(Rendered {
            code,
            message: self.to_string(),
        });
        response
    }
}

/// Gives every request an id (response header `x-request-id`, and the log line) and every
/// error response the shape `{code, message, request_id}`.
pub async fn error_shape(request: Request, next: Next) -> Response {
    let request_id = new_request_id();
    let method = request.method().clone();
    let path = request.uri().path().to_owned();
    let started = std::time::Instant::now();
    let span = tracing::info_span!("request", id = %request_id);
    // `instrument`, not `span.enter()`: an entered guard held across the `.await` would be
    // dropped on whatever thread the future resumes on (tracing's "tried to clone a span
    // that already closed" panics under load).
    let mut response = next.run(request).instrument(span).await;
    let status = response.status();
    let own_body = response.extensions().get::<OwnBody>().is_some();
    if (status.is_client_error() || status.is_server_error()) && !own_body {
        let (code, message) = match response.extensions_mut().remove::<Rendered>() {
            Some(Rendered { code, message }) => (code, message),
            None => framework_error(status),
        };
        let body = ErrorBody {
            code: code.into(),
            message,
            request_id: request_id.clone(),
        };
        let json = serde_json::to_vec(&body).expect("error body serializes");
        let mut rebuilt = Response::new(Body::from(json));
        *rebuilt.status_mut() = status;
        if let Some(retry_after) = response.headers().get(header::RETRY_AFTER) {
            rebuilt
                .headers_mut()
                .insert(header::RETRY_AFTER, retry_after.clone());
        }
        rebuilt.headers_mut().insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/json"),
        );
        response = rebuilt;
    }
    if let Ok(value) = HeaderValue::from_str(&request_id) {
        response.headers_mut().insert("x-request-id", value);
    }
    tracing::info!(
        id = %request_id,
        %method,
        path,
        status = status.as_u16(),
        ms = started.elapsed().as_millis() as u64,
        "request"
    );
    response
}

/// Codes and messages for refusals that come from axum itself rather than a handler.
fn framework_error(status: StatusCode) -> (&'static str, String) {
    match status {
        StatusCode::NOT_FOUND => ("not_found", "no such endpoint".into()),
        StatusCode::METHOD_NOT_ALLOWED => ("method_not_allowed", "method not allowed here".into()),
        StatusCode::PAYLOAD_TOO_LARGE => {
            ("payload_too_large", "the request body is too large".into())
        }
        StatusCode::UNSUPPORTED_MEDIA_TYPE => (
            "unsupported_media_type",
            "send JSON with Content-Type: application/json".into(),
        ),
        StatusCode::UNPROCESSABLE_ENTITY => (
            "invalid_request",
            "the request body is not valid JSON for this endpoint".into(),
        ),
        StatusCode::BAD_REQUEST => (
            "invalid_request",
            "the request is malformed: check its path and query string".into(),
        ),
        _ if status.is_server_error() => ("internal", "internal error".into()),
        _ => ("error", status.canonical_reason().unwrap_or("error").into()),
    }
}

/// "12 seconds", "3 minutes", "1 hour".
fn wait_text(secs: i64) -> String {
    let (amount, unit) = match secs {
        ..=90 => (secs.max(1), "second"),
        91..=5400 => ((secs + 59) / 60, "minute"),
        _ => ((secs + 3599) / 3600, "hour"),
    };
    let plural = if amount == 1 { "" } else { "s" };
    format!("{amount} {unit}{plural}")
}

fn new_request_id() -> String {
    let bytes: [u8; 8] = keyhaven_crypto::random_array();
    hex::encode(bytes)
}
