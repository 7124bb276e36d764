//! Workspace members in the browser: the flows of `keyhaven member …`. The roster shown is the
//! verified one; what only the server says (open invitations, who accepted with which keys) is
//! marked as such, and nobody enters the roster before the owner or admin compared the
//! invitee's fingerprint with them: the fingerprint the page showed is checked here again
//! against the keys that are signed in, so what the user compared is what is added.

use std::cell::RefCell;
use std::rc::Rc;

use keyhaven_client::members::{self, Invitee, parse_role, role_name};
use keyhaven_core::ids::WorkspaceId;
use keyhaven_proto::InvitationView;
use wasm_bindgen::prelude::*;

use crate::views::{self, Answerable as _, Json};
use crate::{State, Vault, WebError, open, promise, workspace_id};

fn role(name: &str) -> Result<keyhaven_core::roster::Role, WebError> {
    parse_role(name).ok_or_else(|| {
        WebError::input(format!(
            "{name:?} is not a role (owner, admin, member, read-only or helpdesk)"
        ))
    })
}

/// Compares fingerprints as people read them: spaces and case do not matter.
fn same_fingerprint(shown: &str, actual: &str) -> bool {
    let compact = |s: &str| -> String {
        s.chars()
            .filter(|c| !c.is_whitespace())
            .map(|c| c.to_ascii_uppercase())
            .collect()
    };
    compact(shown) == compact(actual)
}

fn invitation_view(invitation: &InvitationView) -> Json {
    let fingerprint = Invitee::of(invitation)
        .ok()
        .flatten()
        .map(|i| i.keys.fingerprint().to_string());
    views::object([
        ("email", invitation.email.clone().into()),
        ("role", invitation.role.clone().into()),
        ("invitedBy", invitation.invited_by.clone().into()),
        ("createdAt", invitation.created_at.into()),
        ("acceptedAt", invitation.accepted_at.into()),
        ("fingerprint", fingerprint.into()),
    ])
}

/// The accepted invitation of `email` to `ws`, as the server reports it.
async fn invitee(
    state: &Rc<RefCell<State>>,
    ws: WorkspaceId,
    email: &str,
) -> Result<(Invitee, keyhaven_core::roster::Role), WebError> {
    let (client, _, _) = crate::signed_in(state)?;
    let view = members::server_view(&client, ws).await?;
    let invitation = view
        .invitations
        .iter()
        .find(|i| i.email.eq_ignore_ascii_case(email.trim()))
        .ok_or_else(|| WebError::input(format!("there is no invitation for {}", email.trim())))?;
    let invitee = Invitee::of(invitation)?.ok_or_else(|| {
        WebError::refused(format!(
            "{} has not accepted the invitation yet",
            invitation.email
        ))
    })?;
    let role = invitee.role;
    Ok((invitee, role))
}

/// Whether `email` has an open invitation to `ws` (the server's word).
async fn invitee_exists(
    client: &keyhaven_client::Client,
    ws: WorkspaceId,
    email: &str,
) -> Result<bool, WebError> {
    let view = members::server_view(client, ws).await?;
    Ok(view
        .invitations
        .iter()
        .any(|i| i.email.eq_ignore_ascii_case(email)))
}

#[wasm_bindgen]
impl Vault {
    /// The verified members (email, role, fingerprint, whether their password was reset since)
    /// and the open invitations (the server's word).
    pub fn members(&self, workspace: String) -> js_sys::Promise {
        let state = self.state.clone();
        promise(async move {
            let ws = workspace_id(&workspace)?;
            let opened = open(&state, ws).await?;
            let (client, _, _) = crate::signed_in(&state)?;
            let view = members::server_view(&client, ws).await?;
            let list = opened
                .roster
                .members
                .iter()
                .map(|(id, m)| {
                    // A reset shows as new keys in the server's mirror: a relink is due, after
                    // the new keys' fingerprint is compared with the person.
                    let new_keys = view
                        .members
                        .iter()
                        .filter(|v| v.account_id == id.to_string())
                        .filter_map(|v| v.public_keys.as_ref())
                        .filter_map(|k| keyhaven_client::flows::decode_public(&k.0))
                        .find(|k| *k != m.keys);
                    views::object([
                        ("accountId", id.to_string().into()),
                        ("email", m.email.clone().into()),
                        ("role", role_name(m.role).into()),
                        ("fingerprint", m.keys.fingerprint().to_string().into()),
                        ("needsRelink", new_keys.is_some().into()),
                        (
                            "newFingerprint",
                            new_keys.map(|k| k.fingerprint().to_string()).into(),
                        ),
                    ])
                })
                .collect();
            views::object([
                ("members", Json::Array(list)),
                (
                    "invitations",
                    Json::Array(view.invitations.iter().map(invitation_view).collect()),
                ),
            ])
            .json()
        })
    }

    /// Invites `email` with `role` (nothing enters the roster yet).
    pub fn invite(&self, workspace: String, email: String, role_name: String) -> js_sys::Promise {
        let state = self.state.clone();
        promise(async move {
            let ws = workspace_id(&workspace)?;
            let role = role(&role_name)?;
            let opened = open(&state, ws).await?;
            let (client, me, _) = crate::signed_in(&state)?;
            let invitation = members::invite(&client, &opened, &me, email.trim(), role).await?;
            invitation_view(&invitation).json()
        })
    }

    /// The invitations addressed to this account.
    #[wasm_bindgen(js_name = myInvitations)]
    pub fn my_invitations(&self) -> js_sys::Promise {
        let state = self.state.clone();
        promise(async move {
            let (client, _, _) = crate::signed_in(&state)?;
            let list = members::my_invitations(&client).await?;
            Json::Array(
                list.iter()
                    .map(|i| {
                        views::object([
                            ("workspaceId", i.workspace_id.clone().into()),
                            ("workspaceName", i.workspace_name.clone().into()),
                            ("role", i.role.clone().into()),
                            ("invitedBy", i.invited_by.clone().into()),
                            ("acceptedAt", i.accepted_at.into()),
                        ])
                    })
                    .collect(),
            )
            .json()
        })
    }

    /// Accepts an invitation; this browser consents to the workspace (it opens here once an
    /// owner or admin added the account). Answers this account's fingerprint, to read out.
    #[wasm_bindgen(js_name = acceptInvitation)]
    pub fn accept_invitation(&self, workspace: String) -> js_sys::Promise {
        let state = self.state.clone();
        promise(async move {
            let ws = workspace_id(&workspace)?;
            let (client, me, local) = crate::signed_in(&state)?;
            members::accept(&client, &workspace).await?;
            local.consent(ws).await?;
            views::object([(
                "fingerprint",
                me.keys.public().fingerprint().to_string().into(),
            )])
            .json()
        })
    }

    /// Adds the invitee of `email`, whose fingerprint the user compared with them: refused if
    /// the keys the server reports now are not the ones whose fingerprint was shown.
    #[wasm_bindgen(js_name = addMember)]
    pub fn add_member(
        &self,
        workspace: String,
        email: String,
        compared_fingerprint: String,
    ) -> js_sys::Promise {
        let state = self.state.clone();
        promise(async move {
            let ws = workspace_id(&workspace)?;
            let (invitee, role) = invitee(&state, ws, &email).await?;
            if !same_fingerprint(
                &compared_fingerprint,
                &invitee.keys.fingerprint().to_string(),
            ) {
                return Err(WebError::refused(
                    "the invitee's keys are not the ones whose fingerprint you compared: nothing \
                     was added; compare the fingerprint shown now with them again",
                ));
            }
            let opened = open(&state, ws).await?;
            let (client, me, local) = crate::signed_in(&state)?;
            let head = members::add(&client, &me, &opened, &invitee, role).await?;
            local.pin(ws, &head, &opened.roster.name).await?;
            Ok(JsValue::UNDEFINED)
        })
    }

    /// Changes a member's role (rotating keys when someone loses access to them).
    #[wasm_bindgen(js_name = changeRole)]
    pub fn change_role(
        &self,
        workspace: String,
        email: String,
        role_name: String,
    ) -> js_sys::Promise {
        let state = self.state.clone();
        promise(async move {
            let ws = workspace_id(&workspace)?;
            let role = role(&role_name)?;
            let opened = open(&state, ws).await?;
            let (client, me, local) = crate::signed_in(&state)?;
            let changed = members::change_role(&client, &me, &opened, email.trim(), role).await?;
            local.pin(ws, &changed.head, &opened.roster.name).await?;
            crate::forget_secrets(&state, ws);
            Ok(JsValue::UNDEFINED)
        })
    }

    /// Removes a member: rotates every key they could open, then re-encrypts the secrets under
    /// the new workspace key (progress: "re-encrypting N of M"). Interrupted? Run it again.
    #[wasm_bindgen(js_name = removeMember)]
    pub fn remove_member(&self, workspace: String, email: String) -> js_sys::Promise {
        let state = self.state.clone();
        let progress = self.progress_with_detail();
        promise(async move {
            let ws = workspace_id(&workspace)?;
            let opened = open(&state, ws).await?;
            let (client, me, local) = crate::signed_in(&state)?;
            let email = email.trim().to_lowercase();
            // A re-run after an interruption finds the member gone: it finishes the
            // re-encryption (as `keyhaven member remove --reencrypt` does).
            let member = opened.roster.members.values().any(|m| m.email == email);
            let tokens_revoked = if member {
                let changed = members::remove(&client, &me, &opened, &email).await?;
                local.pin(ws, &changed.head, &opened.roster.name).await?;
                changed.tokens_revoked
            } else if invitee_exists(&client, ws, &email).await? {
                return Err(WebError::input(format!(
                    "{email} is invited but not a member: nothing to remove"
                )));
            } else {
                0
            };
            crate::forget_secrets(&state, ws);
            // The secrets go under the new workspace key, which the removed member never had.
            let opened = open(&state, ws).await?;
            let done = members::reencrypt(&client, &me, &opened, |done, total| {
                progress("reencrypting", &format!("{done} of {total}"))
            })
            .await?;
            views::object([
                ("rewritten", done.rewritten.into()),
                ("changedMeanwhile", done.changed_meanwhile.into()),
                ("unreadable", done.unreadable.into()),
                ("tokensRevoked", tokens_revoked.into()),
                ("alreadyRemoved", (!member).into()),
            ])
            .json()
        })
    }

    /// Gives a member whose password was reset access again, after the user compared their
    /// new fingerprint with them.
    #[wasm_bindgen(js_name = relinkMember)]
    pub fn relink_member(
        &self,
        workspace: String,
        email: String,
        compared_fingerprint: String,
    ) -> js_sys::Promise {
        let state = self.state.clone();
        promise(async move {
            let ws = workspace_id(&workspace)?;
            let opened = open(&state, ws).await?;
            let (client, me, local) = crate::signed_in(&state)?;
            let member = members::relinkable(&client, &opened, email.trim()).await?;
            if !same_fingerprint(
                &compared_fingerprint,
                &member.new_keys.fingerprint().to_string(),
            ) {
                return Err(WebError::refused(
                    "the member's new keys are not the ones whose fingerprint you compared: \
                     nothing was changed",
                ));
            }
            let head = members::relink(&client, &me, &opened, &member).await?;
            local.pin(ws, &head, &opened.roster.name).await?;
            Ok(JsValue::UNDEFINED)
        })
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn fingerprints_compare_as_people_read_them() {
        assert!(super::same_fingerprint("8c1d 02f4\nAB", "8C1D 02F4 AB"));
        assert!(!super::same_fingerprint("8C1D 02F4 AB", "8C1D 02F4 AC"));
        assert!(!super::same_fingerprint("", "8C1D"));
    }
}
