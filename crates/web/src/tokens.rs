//! Enrollment tokens and their conflicts in the browser: the flows of `keyhaven escrow token …`
//! and `keyhaven device resolve`. A token is made here (its secret never reaches the server,
//! only a hash) and shown once; the grant that lets it add keys is signed here by the owner or
//! admin.

use keyhaven_client::devices;
use keyhaven_core::ids::WorkspaceId;
use keyhaven_proto::EscrowTokenView;
use wasm_bindgen::prelude::*;

use crate::views::{self, Answerable as _, Json};
use crate::{Opened, Vault, WebError, open, promise, workspace_id};

/// The shortest and longest lives of a token, in hours (as `escrow token create --expires`).
const HOURS: std::ops::RangeInclusive<u32> = 1..=366 * 24;

/// The email of account `id` in the verified roster, or the id when it is not a member now.
fn who(opened: &Opened, id: &str) -> String {
    opened
        .roster
        .members
        .iter()
        .find(|(member, _)| member.to_string() == id)
        .map_or_else(|| id.to_owned(), |(_, m)| m.email.clone())
}

fn token_view(opened: &Opened, token: &EscrowTokenView, now: i64) -> Json {
    let state = match token.revoked_at {
        Some(_) => "revoked",
        None if token.expires_at <= now => "expired",
        None => "active",
    };
    views::object([
        ("id", token.id.clone().into()),
        ("name", token.name.clone().into()),
        ("createdBy", who(opened, &token.created_by).into()),
        ("createdAt", token.created_at.into()),
        ("expiresAt", token.expires_at.into()),
        ("revokedAt", token.revoked_at.into()),
        ("submissions", token.submissions.into()),
        ("state", state.into()),
    ])
}

fn now() -> i64 {
    i64::try_from(devices::now()).unwrap_or(i64::MAX)
}

fn token_id(id: &str) -> Result<String, WebError> {
    id.trim()
        .parse::<uuid::Uuid>()
        .map(|u| u.hyphenated().to_string())
        .map_err(|_| WebError::input("that is not a token id (a UUID, as the list shows it)"))
}

async fn opened(
    state: &std::rc::Rc<std::cell::RefCell<crate::State>>,
    workspace: &str,
) -> Result<(WorkspaceId, std::rc::Rc<Opened>), WebError> {
    let ws = workspace_id(workspace)?;
    Ok((ws, open(state, ws).await?))
}

#[wasm_bindgen]
impl Vault {
    /// The workspace's enrollment tokens (never their secrets), newest first, creators named
    /// by the verified roster.
    #[wasm_bindgen(js_name = enrollmentTokens)]
    pub fn enrollment_tokens(&self, workspace: String) -> js_sys::Promise {
        let state = self.state.clone();
        promise(async move {
            let (ws, opened) = opened(&state, &workspace).await?;
            let (client, _, _) = crate::signed_in(&state)?;
            let mut list = devices::tokens(&client, ws).await?;
            list.sort_by(|a, b| (b.created_at, &b.id).cmp(&(a.created_at, &a.id)));
            let now = now();
            Json::Array(list.iter().map(|t| token_view(&opened, t, now)).collect()).json()
        })
    }

    /// Creates a token living `hours` (1 hour to 366 days), labelled `name`. Answers the
    /// token's text once (`token`) with its listing.
    #[wasm_bindgen(js_name = createEnrollmentToken)]
    pub fn create_enrollment_token(
        &self,
        workspace: String,
        name: Option<String>,
        hours: u32,
    ) -> js_sys::Promise {
        let state = self.state.clone();
        promise(async move {
            if !HOURS.contains(&hours) {
                return Err(WebError::input("a token lives from 1 hour to 366 days"));
            }
            let name = name.as_deref().map(str::trim).filter(|n| !n.is_empty());
            if name.is_some_and(|n| n.chars().count() > 100) {
                return Err(WebError::input(
                    "a token's label has at most 100 characters",
                ));
            }
            let (_, opened) = opened(&state, &workspace).await?;
            let (client, me, _) = crate::signed_in(&state)?;
            let expires_at = devices::now() + u64::from(hours) * 3600;
            let created = devices::create_token(&client, &me, &opened, expires_at, name).await?;
            let text = created.token.expose_text();
            views::object([
                ("token", text.as_str().into()),
                ("listing", token_view(&opened, &created.view, now())),
            ])
            .json()
        })
    }

    /// Revokes a token: the server refuses it from now on.
    #[wasm_bindgen(js_name = revokeEnrollmentToken)]
    pub fn revoke_enrollment_token(&self, workspace: String, id: String) -> js_sys::Promise {
        let state = self.state.clone();
        promise(async move {
            let id = token_id(&id)?;
            let ws = workspace_id(&workspace)?;
            let (client, _, _) = crate::signed_in(&state)?;
            devices::revoke_token(&client, ws, &id).await?;
            Ok(JsValue::UNDEFINED)
        })
    }

    /// Accepts a token submission that conflicts with the escrowed key of its identifier (it
    /// becomes the current key, the escrowed one its history) or rejects it (deleted).
    #[wasm_bindgen(js_name = resolveConflict)]
    pub fn resolve_conflict(&self, workspace: String, id: String, accept: bool) -> js_sys::Promise {
        let state = self.state.clone();
        promise(async move {
            let escrow = crate::devices::escrow(&state, &workspace).await?;
            // The server decides whether it still conflicts (someone may have resolved it).
            let key = crate::devices::record(&state, &escrow, &id).await?;
            let (client, _, _) = crate::signed_in(&state)?;
            devices::resolve_conflict(&client, &escrow, &key, accept).await?;
            crate::devices::forget(&state, &escrow);
            Ok(JsValue::UNDEFINED)
        })
    }
}
