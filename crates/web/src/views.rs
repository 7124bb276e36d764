//! The JSON the page receives (the shapes of `web/src/api.ts`): what it shows, nothing more.

use keyhaven_client::flows::{self, FlowError};
use keyhaven_client::members::role_name;
use keyhaven_client::workspaces::{Chore, Me, Opened, Secret, Secrets};
use keyhaven_core::ids::AccountId;
use keyhaven_core::item::ItemKind;
use keyhaven_core::recovery_key::RecoveryKey;
use keyhaven_core::roster::{Role, RosterState};
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

/// The role of `account` in a verified roster, by its name (`owner`, `helpdesk`, …).
fn role_in(roster: &RosterState, account: AccountId) -> Option<&'static str> {
    roster.members.get(&account).map(|m| role_name(m.role))
}

/// Whether `account` is an owner of the opened workspace, by its verified roster.
pub(crate) fn is_owner(opened: &Opened, account: AccountId) -> bool {
    opened
        .roster
        .members
        .get(&account)
        .is_some_and(|m| m.role == Role::Owner)
}

/// A banner for a workspace that does not check out.
pub(crate) fn broken(message: &str) -> Json {
    object([("kind", "broken".into()), ("message", message.into())])
}

/// A listed workspace: name and role from its verified roster (the server's word only for one
/// that does not verify, which says so).
pub(crate) fn summary(
    summary: &WorkspaceSummary,
    roster: Option<&RosterState>,
    account: AccountId,
    banner: Option<Json>,
) -> Json {
    let (name, role) = match roster {
        Some(roster) => (
            roster.name.clone(),
            role_in(roster, account)
                .unwrap_or("not a member")
                .to_owned(),
        ),
        None => (summary.name.clone(), summary.role.clone()),
    };
    object([
        ("id", summary.id.clone().into()),
        ("name", name.into()),
        ("role", role.into()),
        ("banners", Json::Array(banner.into_iter().collect())),
    ])
}

/// An opened workspace (`Workspace` in api.ts): names, role and dates from the verified roster
/// and the signed validation statement, never from the server's word.
pub(crate) fn workspace(opened: &Opened, me: &Me, info: &ServerInfo, now: u64) -> Json {
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
    let chore = keyhaven_client::workspaces::chore(
        &opened.roster,
        me.id,
        &me.keys.public(),
        opened.recovery.as_ref(),
        info.validation_interval_days,
        now,
    );
    let banners: Vec<Json> = chore.map(|c| banner(c, &short, now)).into_iter().collect();
    object([
        ("id", opened.roster.workspace.to_string().into()),
        ("name", opened.roster.name.clone().into()),
        (
            "role",
            role_in(&opened.roster, me.id)
                .unwrap_or("not a member")
                .into(),
        ),
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

#[cfg(test)]
mod tests {
    use super::*;

    fn typed(a: &str, b: &str) -> Vec<Zeroizing<String>> {
        vec![Zeroizing::new(a.into()), Zeroizing::new(b.into())]
    }

    #[test]
    fn the_confirmation_takes_the_two_named_groups_and_names_a_wrong_one() {
        let key = RecoveryKey::parse("050875-056529-062183-067837-073491-079145-084799-090453")
            .expect("a valid key");
        check_confirmation(&key, [2, 7], &typed("056529", " 084 799 ")).expect("right groups");
        let wrong = check_confirmation(&key, [2, 7], &typed("056529", "084798")).unwrap_err();
        assert!(format!("{wrong:?}").contains("group 7"), "{wrong:?}");
        let swapped = check_confirmation(&key, [2, 7], &typed("084799", "056529")).unwrap_err();
        assert!(format!("{swapped:?}").contains("group 2"), "{swapped:?}");
        assert!(check_confirmation(&key, [2, 7], &typed("056529", "")).is_err());
    }

    #[test]
    fn banners_count_days_left_up() {
        let now = 1_800_000_000;
        let banner = banner(
            Chore::TemporaryKey {
                expires_at: now + DAY + 1,
            },
            "",
            now,
        );
        assert_eq!(banner["daysLeft"], 2, "a day and a second is 2 days left");
        let due = banner_kind(Chore::ValidationDue { due_at: now });
        assert_eq!(due, "validation_due");
    }

    fn banner_kind(chore: Chore) -> String {
        banner(chore, "ABCDEF12", 0)["kind"]
            .as_str()
            .unwrap_or_default()
            .to_owned()
    }
}
