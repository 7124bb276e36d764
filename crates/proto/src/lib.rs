//! Wire types shared by the Keyhaven server and its clients: plain data, no crypto.
//!
//! Binary values (ciphertexts, signed roster entries, shares) travel as the bytes the core crate
//! encodes, base64url in JSON; this crate never interprets them. The endpoints arrive with the
//! server (see the lifecycle issue); what is fixed now is the one error shape every endpoint uses.
#![forbid(unsafe_code)]

use serde::{Deserialize, Serialize};

/// The body of every error response: `{code, message, request_id}`.
///
/// `code` is a stable machine-readable string (`invalid_request`, `rate_limited`, …);
/// `message` is for people and never carries internals or secrets; `request_id` matches the
/// server's log line for the request.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ErrorBody {
    /// Stable machine-readable code.
    pub code: String,
    /// Human-readable explanation.
    pub message: String,
    /// Correlates with the server log.
    pub request_id: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn error_shape_is_exactly_three_fields() {
        let body = ErrorBody {
            code: "rate_limited".into(),
            message: "too many attempts; try again in 15 minutes".into(),
            request_id: "r-1".into(),
        };
        let json = serde_json::to_value(&body).unwrap();
        assert_eq!(json.as_object().unwrap().len(), 3);
        assert_eq!(json["code"], "rate_limited");
        let back: ErrorBody = serde_json::from_value(json).unwrap();
        assert_eq!(back, body);
    }
}
