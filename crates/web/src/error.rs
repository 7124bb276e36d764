//! What the page is told when a call fails: a kind it can act on, and a message written for
//! the user (never a key, a password or the session token).

use keyhaven_client::ClientError;
use keyhaven_client::flows::FlowError;
use keyhaven_client::local::{AdmitError, StoreError};
use keyhaven_core::recovery_key::RecoveryKeyParseError;
use serde::Serialize;
use wasm_bindgen::JsValue;

/// A failed call, as the page receives it (`VaultError` in `web/src/api.ts`).
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct WebError {
    pub(crate) kind: &'static str,
    pub(crate) message: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    code: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    status: Option<u16>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) group: Option<usize>,
    #[serde(skip_serializing_if = "Option::is_none")]
    owners: Option<Vec<Owner>>,
}

#[derive(Debug, Serialize)]
struct Owner {
    email: String,
    id: String,
    fingerprint: String,
}

impl WebError {
    fn new(kind: &'static str, message: impl Into<String>) -> Self {
        Self {
            kind,
            message: message.into(),
            code: None,
            status: None,
            group: None,
            owners: None,
        }
    }

    /// Bad input from the page (checked before anything is sent).
    pub fn input(message: impl Into<String>) -> Self {
        Self::new("input", message)
    }

    /// A rule of the workspace, checked here.
    pub fn refused(message: impl Into<String>) -> Self {
        Self::new("refused", message)
    }

    /// No one is signed in (or the vault was locked).
    pub fn signed_out() -> Self {
        Self::new("locked", "the vault is locked: sign in again")
    }

    /// Bad input about one group of a typed key (1-based), when it is about one.
    pub fn with_group(message: impl Into<String>, group: Option<usize>) -> Self {
        Self {
            group,
            ..Self::input(message)
        }
    }

    /// A mistyped recovery key, with its group.
    pub fn key_typo(error: RecoveryKeyParseError) -> Self {
        Self {
            group: error.group(),
            ..Self::input(format!("not a valid recovery key: {error}"))
        }
    }

    /// As the promise's rejection: JSON text.
    pub fn into_js(self) -> JsValue {
        let text = serde_json::to_string(&self).unwrap_or_else(|_| {
            r#"{"kind":"integrity","message":"the vault failed to describe an error"}"#.into()
        });
        JsValue::from_str(&text)
    }
}

impl From<FlowError> for WebError {
    fn from(error: FlowError) -> Self {
        let message = error.to_string();
        match error {
            FlowError::Client(ClientError::Api {
                status,
                code,
                message,
                ..
            }) => {
                let kind = if status == 401 { "locked" } else { "api" };
                let message = if status == 401 {
                    "your session ended: sign in again".to_owned()
                } else if status == 404 && message == "no such workspace" {
                    // The server says the same for workspaces one was never in, so that ids
                    // cannot be probed; to a member just removed, it means that.
                    "no such workspace (or you are no longer a member of it)".to_owned()
                } else {
                    message
                };
                Self {
                    code: Some(code),
                    status: Some(status),
                    ..Self::new(kind, message)
                }
            }
            FlowError::Client(ClientError::Unreachable { .. }) => Self::new("unreachable", message),
            FlowError::Client(_) => Self::new("integrity", message),
            FlowError::InvalidCredentials => Self::new("invalid_credentials", message),
            FlowError::Ksf(_) => Self::new("ksf", message),
            FlowError::Recovery(_) => Self::new("recovery", message),
            FlowError::Refused(_) => Self::new("refused", message),
            FlowError::Integrity(_) => Self::new("integrity", message),
        }
    }
}

impl From<StoreError> for WebError {
    fn from(error: StoreError) -> Self {
        Self::new("integrity", error.to_string())
    }
}

impl From<AdmitError> for WebError {
    fn from(error: AdmitError) -> Self {
        match error {
            AdmitError::Store(e) => e.into(),
            AdmitError::FirstContact(contact) => {
                let mut message = format!(
                    "This browser has never opened the workspace {:?}. A server can list a \
                     workspace you never joined, so nothing was shown or written. Compare an \
                     owner's fingerprint with them, out of band, before you trust it.",
                    contact.name
                );
                if let Some(other) = &contact.namesake {
                    message.push_str(&format!(
                        " Careful: another workspace you use here has the same name ({other})."
                    ));
                }
                Self {
                    owners: Some(
                        contact
                            .owners
                            .into_iter()
                            .map(|(email, id, fingerprint)| Owner {
                                email,
                                id,
                                fingerprint,
                            })
                            .collect(),
                    ),
                    ..Self::new("first_contact", message)
                }
            }
        }
    }
}
