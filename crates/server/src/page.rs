//! Pagination of list endpoints: `?limit=N&after=CURSOR`, and the `x-next-after` response
//! header naming the cursor of the next page when more are left (`docs/protocol.md` §21).

use axum::Json;
use axum::http::{HeaderName, HeaderValue};
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};

use crate::error::ApiError;

/// The response header that names the next page's cursor.
pub const NEXT: HeaderName = HeaderName::from_static("x-next-after");

/// `limit` and `after`, as every paginated list takes them.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PageQuery {
    /// Most entries in the page (1 to the endpoint's maximum, which is the default).
    pub limit: Option<u32>,
    /// The cursor from the previous page's `x-next-after`.
    pub after: Option<String>,
}

/// `limit` checked against `max` (the default when absent).
pub fn limit(limit: Option<u32>, max: u32) -> Result<i64, ApiError> {
    match limit {
        None => Ok(i64::from(max)),
        Some(n) if (1..=max).contains(&n) => Ok(i64::from(n)),
        Some(n) => Err(ApiError::BadRequest(format!(
            "limit must be 1 to {max}, found {n}"
        ))),
    }
}

/// A page: the JSON body, and the next cursor in [`NEXT`] when more are left.
#[derive(Debug)]
pub struct Paged<T>(pub T, pub Option<String>);

impl<T: Serialize> IntoResponse for Paged<T> {
    fn into_response(self) -> Response {
        let mut response = Json(self.0).into_response();
        if let Some(next) = self.1.and_then(|next| HeaderValue::from_str(&next).ok()) {
            response.headers_mut().insert(NEXT, next);
        }
        response
    }
}
