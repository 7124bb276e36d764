//! The JSON the page receives (the shapes of `web/src/api.ts`): what it shows, nothing more.

use keyhaven_client::flows::{self, FlowError};
use keyhaven_client::workspaces::{Chore, Me, Opened, Secret, Secrets};
use keyhaven_core::item::ItemKind;
use keyhaven_core::recovery_key::RecoveryKey;
use keyhaven_proto::{AccountInfo, ServerInfo, WorkspaceSummary};
use serde::Serialize;
use wasm_bindgen::JsValue;
use zeroize::Zeroizing;

use crate::error::WebError;

pub(crate) use serde_json::Value as Json;

const DAY: u64 = 86_400;

/// Turns an answer into the JSON text the page parses.
pub(crate) trait Answerable {
    fn json(self) -> Result<JsValue, WebError>;
}

impl<T: Serialize> Answerable for T {
    fn json(self) -> Result<JsValue, WebError> {
        serde_json::to_string(&self)
            .map(|text| JsValue::from_str(&text))
            .map_err(|e| WebError::refused(format!("the answer could not be encoded: {e}")))
    }
}

/// A JSON object of `pairs`, in order.
pub(crate) fn object<const N: usize>(pairs: [(&str, Json); N]) -> Json {
    Json::Object(pairs.into_iter().map(|(k, v)| (k.to_owned(), v)).collect())
}

#[derive(Debug, Serialize)]
pub(crate) struct AccountView {
    id: String,
    email: String,
    fingerprint: String,
}

impl AccountView {
    pub(crate) fn of(me: &Me) -> Self {
        Self {
            id: me.id.to_string(),
            email: me.email.clone(),
            fingerprint: me.keys.public().fingerprint().to_string(),
        }
    }

    pub(crate) fn of_info(info: &AccountInfo) -> Result<Self, WebError> {
        let public = flows::decode_public(&info.public_keys.0)
            .ok_or_else(|| FlowError::Integrity("malformed public keys".into()))?;
        Ok(Self {
            id: info.id.clone(),
            email: info.email.clone(),
            fingerprint: public.fingerprint().to_string(),
        })
    }
}

/// A banner of [`Chore`] (`Banner` in api.ts).
pub(crate) fn banner(chore: Chore, short_key_id: &str, now: u64) -> Json {
    match chore {
        Chore::EmergencyReset => object([
            ("kind", "emergency_reset".into()),
            ("shortKeyId", short_key_id.into()),
        ]),
        Chore::AskOwnerToRelink => object([("kind", "relink_by_owner".into())]),
        Chore::NoValidKey => object([("kind", "no_valid_key".into())]),
        Chore::TemporaryKey { expires_at } => object([
            ("kind", "temporary_key".into()),
            ("expiresAt", expires_at.into()),
            (
                "daysLeft",
                expires_at.saturating_sub(now).div_ceil(DAY).into(),
            ),
        ]),
        Chore::ValidationDue { due_at } => {
            object([("kind", "validation_due".into()), ("dueAt", due_at.into())])
        }
    }
}

pub(crate) fn summary(summary: &WorkspaceSummary, banners: Vec<Json>) -> Json {
    object([
        ("id", summary.id.clone().into()),
        ("name", summary.name.clone().into()),
        ("role", summary.role.clone().into()),
        ("banners", Json::Array(banners)),
    ])
}

/// An opened workspace (`Workspace` in api.ts): names and dates from the verified roster and
/// the signed validation statement, never from the server's word.
pub(crate) fn workspace(opened: &Opened, info: &ServerInfo, now: u64) -> Json {
    let short = opened
        .roster
        .recovery
        .map(|r| r.id.short())
        .unwrap_or_default();
    let interval = u64::from(info.validation_interval_days) * DAY;
    let recovery = opened.recovery_facts().map(|facts| {
        object([
            ("keyId", facts.key_id.to_upper().into()),
            ("shortKeyId", facts.key_id.short().into()),
            ("kind", facts.kind().into()),
            ("expiresAt", facts.expires_at.into()),
            ("lastValidatedAt", facts.last_validated_at.into()),
            (
                "validationDueAt",
                (facts.last_validated_at + interval).into(),
            ),
        ])
    });
    let mut banners = Vec::new();
    let chore = keyhaven_client::workspaces::relink_chore(&opened.summary).or_else(|| {
        (opened.summary.role == "owner").then(|| {
            keyhaven_client::workspaces::recovery_chore(
                &opened.roster,
                opened.recovery.as_ref(),
                info.validation_interval_days,
                now,
            )
        })?
    });
    if let Some(chore) = chore {
        banners.push(banner(chore, &short, now));
    }
    object([
        ("id", opened.roster.workspace.to_string().into()),
        ("name", opened.roster.name.clone().into()),
        ("role", opened.summary.role.clone().into()),
        ("linked", opened.linked.into()),
        ("recovery", recovery.into()),
        ("shortKeyId", short.into()),
        ("banners", Json::Array(banners)),
    ])
}

fn text(secret: &Secret, field: &str) -> Option<String> {
    secret
        .plain
        .fields
        .get(field)
        .map(|v| String::from_utf8_lossy(v.expose()).into_owned())
}

/// The list: names, kinds, user names and URLs; never a password, text or key.
pub(crate) fn secret_list(secrets: &Secrets) -> Json {
    let items = secrets
        .good
        .iter()
        .map(|s| {
            let kind = match s.plain.kind {
                ItemKind::Login => "login",
                ItemKind::Note => "note",
                ItemKind::ApiKey => "api-key",
            };
            object([
                ("id", s.id.to_string().into()),
                ("name", s.name().into()),
                ("kind", kind.into()),
                ("username", text(s, "username").into()),
                ("url", text(s, "url").into()),
                ("revision", s.revision.into()),
            ])
        })
        .collect();
    let bad = secrets
        .bad
        .iter()
        .map(|b| {
            object([
                ("id", b.id.clone().into()),
                ("reason", b.reason.clone().into()),
            ])
        })
        .collect();
    object([("items", Json::Array(items)), ("bad", Json::Array(bad))])
}

/// Every field of one secret but its name, which the user asked to see.
pub(crate) fn fields(secret: &Secret) -> Json {
    Json::Object(
        secret
            .plain
            .fields
            .iter()
            .filter(|(name, _)| name.as_str() != "title")
            .map(|(name, value)| {
                (
                    name.clone(),
                    String::from_utf8_lossy(value.expose()).into_owned().into(),
                )
            })
            .collect(),
    )
}

/// The key's 8 groups of 6 digits, to show.
pub(crate) fn groups(key: &RecoveryKey) -> Vec<String> {
    key.encode().split('-').map(str::to_owned).collect()
}

/// Whether the user re-typed groups `which` (1-based) of `key` exactly (spaces ignored),
/// compared in constant time.
pub(crate) fn check_confirmation(
    key: &RecoveryKey,
    which: [usize; 2],
    typed: &[Zeroizing<String>],
) -> Result<(), WebError> {
    use subtle::ConstantTimeEq as _;
    let encoded = key.encode();
    let groups: Vec<&str> = encoded.split('-').collect();
    if typed.len() != 2 {
        return Err(WebError::input("re-type the two groups asked for"));
    }
    for (group, typed) in which.iter().zip(typed) {
        let typed: Zeroizing<String> =
            Zeroizing::new(typed.chars().filter(|c| !c.is_whitespace()).collect());
        let expected = groups[group - 1].as_bytes();
        if !bool::from(typed.as_bytes().ct_eq(expected)) {
            return Err(WebError::input(format!(
                "group {group} does not match the key shown: check what you wrote down"
            )));
        }
    }
    Ok(())
}
