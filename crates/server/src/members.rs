//! Workspace members: invitations, adding an accepted invitee, role changes, removal with key
//! rotation, relinking a member after a password reset, and resharing.
//!
//! The server never sees a key. It records invitations, shows an accepted invitee's public keys
//! to owners and admins, and appends what they sign, atomically at the roster position the
//! client built on, after verifying every entry against the stored roster
//! ([`crate::roster_entry`]). It refuses a key rotation that leaves an entitled member or the
//! recovery key without a share (availability is the server's job). Clients verify the roster
//! and every share regardless.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use keyhaven_proto::{
    Bytes, InvitationView, InviteMember, MemberChanged, MemberView, MembersView, Reshare,
    RosterChange,
};

use crate::access::{self, Action, Membership, Role};
use crate::accounts::normalize_email;
use crate::app::{ApiJson, ApiQuery, AppState, Routes, Session};
use crate::error::ApiError;
use crate::mail::Email;
use crate::page::{self, PageQuery, Paged};
use crate::roster_entry::{self, Body, EntryFacts};
use crate::store::{Append, ChangeOutcome, InvitationRow, MemberRow, ShareRow, StoreError};
use crate::workspaces::{FRESH_SIGN_IN_SECS, MAX_ENTRY_BYTES, parse_uuid, share_row};

/// The member endpoints.
pub fn routes() -> Routes {
    Routes::new()
        .get("/v1/invitations", my_invitations)
        .post("/v1/invitations/{id}/accept", accept)
        .post("/v1/workspaces/{id}/invitations", invite)
        .get("/v1/workspaces/{id}/members", list)
        .post("/v1/workspaces/{id}/members", add)
        .post("/v1/workspaces/{id}/members/{account}/role", change_role)
        .post("/v1/workspaces/{id}/members/{account}/remove", remove)
        .post("/v1/workspaces/{id}/members/{account}/relink", relink)
}

/// At most this many invitations per inviter and hour (each one sends an email).
const INVITES_PER_HOUR: i64 = 30;

/// The caller's membership, which must be a linked owner or admin.
async fn manager(state: &AppState, session: &Session, id: &str) -> Result<Membership, ApiError> {
    access::require(state, session, id, Action::ManageMembers).await
}

/// A mirrored member's role.
fn role_of(row: &MemberRow) -> Result<Role, ApiError> {
    Role::parse(&row.role)
        .ok_or_else(|| ApiError::Internal(anyhow::anyhow!("stored role {:?} is unknown", row.role)))
}

fn invitation_view(row: InvitationRow, with_keys: bool) -> InvitationView {
    InvitationView {
        workspace_id: row.workspace_id,
        workspace_name: row.workspace_name,
        email: row.email,
        role: row.role,
        invited_by: row.invited_by,
        created_at: row.created_at,
        accepted_at: row.accepted_at,
        account_id: row.account_id.filter(|_| with_keys),
        public_keys: row.public_keys.filter(|_| with_keys).map(Bytes),
    }
}

/// Sends a notice; a mail failure is logged, not fatal (the change already happened, and the
/// command line tells the same story).
async fn notify(state: &AppState, to: String, subject: String, text: String) {
    crate::outbox::queue_notice(state, Email { to, subject, text }, "member notice").await;
}

async fn invite(
    State(state): State<AppState>,
    session: Session,
    Path(id): Path<String>,
    ApiJson(req): ApiJson<InviteMember>,
) -> Result<(StatusCode, Json<InvitationView>), ApiError> {
    let m = manager(&state, &session, &id).await?;
    let email = normalize_email(&req.email)?;
    let role = Role::parse(&req.role).ok_or_else(|| {
        let names: Vec<&str> = Role::ALL.iter().map(|r| r.as_str()).collect();
        ApiError::BadRequest(format!("role must be one of {}", names.join(", ")))
    })?;
    if role == Role::Owner && m.role != Role::Owner {
        return Err(ApiError::Forbidden("only owners may add owners"));
    }
    let role = role.as_str();
    let store = state.store();
    let members = store.members(&m.workspace_id).await?;
    if members.iter().any(|x| x.email == email) {
        return Err(ApiError::Conflict("this address is already a member"));
    }
    let now = state.now();
    let open = store.workspace_invitations(&m.workspace_id, now).await?;
    let max = state.config().max_members_per_workspace as usize;
    let renewing = open.iter().any(|i| i.email == email);
    if !renewing && members.len() + open.len() >= max {
        return Err(ApiError::QuotaExceeded(format!(
            "this workspace has {} members and {} open invitations, and may have {max} in all \
             (max_members_per_workspace)",
            members.len(),
            open.len()
        )));
    }
    let key = format!("invite:{}", session.account_id);
    if !store
        .rate_limit_hit(&key, now, 3600, INVITES_PER_HOUR)
        .await?
    {
        return Err(ApiError::RateLimited);
    }
    store
        .invite(&m.workspace_id, &email, role, &session.account_id, now)
        .await?;
    let row = store
        .workspace_invitations(&m.workspace_id, state.now())
        .await?
        .into_iter()
        .find(|i| i.email == email)
        .ok_or_else(|| ApiError::Internal(anyhow::anyhow!("the invitation just made is gone")))?;
    // The same email whether or not the address has an account yet, so inviting tells the
    // inviter nothing about who is signed up here.
    let url = &state.config().public_url;
    let name = &m.name;
    let text = format!(
        "{inviter} invited you to the Keyhaven workspace \"{name}\" on {url} as {role}.\n\n\
         To accept, sign in and run:\n\n\
         \x20   keyhaven member accept {id}\n\n\
         If you have no account on this server yet, create one first with the same address:\n\n\
         \x20   keyhaven signup --server {url} --email {email}\n\n\
         After you accept, {inviter} compares your key fingerprint (shown when you accept) with \
         the one they see, then adds you. If you did not expect this, ignore this message.\n",
        inviter = row.invited_by,
        id = m.workspace_id,
    );
    let subject = format!("Keyhaven: {} invited you to {name}", row.invited_by);
    notify(&state, email, subject, text).await;
    Ok((StatusCode::CREATED, Json(invitation_view(row, false))))
}

async fn my_invitations(
    State(state): State<AppState>,
    session: Session,
) -> Result<Json<Vec<InvitationView>>, ApiError> {
    let account = state
        .store()
        .account_by_id(&session.account_id)
        .await?
        .ok_or(ApiError::Unauthorized)?;
    let rows = state
        .store()
        .invitations_for(&account.email, state.now())
        .await?;
    Ok(Json(
        rows.into_iter()
            .map(|r| invitation_view(r, false))
            .collect(),
    ))
}

async fn accept(
    State(state): State<AppState>,
    session: Session,
    Path(id): Path<String>,
) -> Result<Json<InvitationView>, ApiError> {
    let ws = parse_uuid(&id, "workspace id")?;
    let store = state.store();
    let account = store
        .account_by_id(&session.account_id)
        .await?
        .ok_or(ApiError::Unauthorized)?;
    if store.membership(&ws, &account.id).await?.is_some() {
        return Err(ApiError::Conflict(
            "you are already a member of this workspace",
        ));
    }
    // Keyed by the signed-in account's own address: an invitation for another address cannot
    // be accepted, and one that does not exist looks like any other missing invitation.
    let row = store
        .accept_invitation(&ws, &account.email, &account.id, state.now())
        .await?
        .ok_or(ApiError::NotFound(
            "there is no invitation to this workspace for your address",
        ))?;
    let name = &row.workspace_name;
    let text = format!(
        "{email} accepted your invitation to \"{name}\" on {url}.\n\n\
         Check their key fingerprint with them (they saw it when they accepted), then add them:\n\n\
         \x20   keyhaven member invite {email} --workspace {id}\n",
        email = account.email,
        id = row.workspace_id,
        url = state.config().public_url,
    );
    let subject = format!(
        "Keyhaven: {} accepted your invitation to {name}",
        account.email
    );
    notify(&state, row.invited_by.clone(), subject, text).await;
    Ok(Json(invitation_view(row, false)))
}

/// Most members in one page (open invitations, bounded by the member quota, come whole on
/// every page).
pub const MEMBERS_PER_PAGE: u32 = 500;

async fn list(
    State(state): State<AppState>,
    session: Session,
    Path(id): Path<String>,
    ApiQuery(q): ApiQuery<PageQuery>,
) -> Result<Paged<MembersView>, ApiError> {
    let m = access::require(&state, &session, &id, Action::ReadRoster).await?;
    let limit = page::limit(q.limit, MEMBERS_PER_PAGE)?;
    let manages = m.role.manages();
    let (rows, more) = state
        .store()
        .members_page(&m.workspace_id, q.after.as_deref().unwrap_or(""), limit)
        .await?;
    let next = more.then(|| rows.last().map(|r| r.email.clone())).flatten();
    let members = rows
        .into_iter()
        .map(|r| MemberView {
            account_id: r.account_id,
            email: r.email,
            role: r.role,
            needs_relink: r.needs_relink,
            public_keys: manages.then_some(Bytes(r.public_keys)),
        })
        .collect();
    let invitations = if manages {
        state
            .store()
            .workspace_invitations(&m.workspace_id, state.now())
            .await?
            .into_iter()
            .map(|r| invitation_view(r, true))
            .collect()
    } else {
        Vec::new()
    };
    Ok(Paged(
        MembersView {
            members,
            invitations,
        },
        next,
    ))
}

/// A roster change as received: its entries read, its shares checked for shape.
struct Parsed {
    seq: i64,
    entries: Vec<Vec<u8>>,
    facts: Vec<EntryFacts>,
    shares: Vec<ShareRow>,
}

impl Parsed {
    fn append<'a>(&'a self, session: &'a Session, now: i64) -> Append<'a> {
        Append {
            seq: self.seq,
            entries: &self.entries,
            shares: &self.shares,
            by: &session.account_id,
            now,
        }
    }

    /// The first entry's body (the member change itself).
    fn first(&self) -> &Body {
        &self.facts[0].body
    }

    /// The key rotations after the first entry: (workspace-key version, escrow version).
    fn rotations(&self) -> Result<(Option<u32>, Option<u32>), ApiError> {
        let (mut workspace, mut escrow) = (None, None);
        for facts in &self.facts[1..] {
            match facts.body {
                Body::RotateWorkspaceKey { version } if workspace.is_none() => {
                    workspace = Some(version);
                }
                Body::SetEscrowKey { version } if escrow.is_none() => escrow = Some(version),
                _ => {
                    return Err(ApiError::BadRequest(
                        "after the member change, only one workspace-key rotation and one \
                         escrow-key rotation may follow"
                            .into(),
                    ));
                }
            }
        }
        Ok((workspace, escrow))
    }
}

/// Reads a change: 1 to 4 entries from position `seq`, each signed by the caller and verified
/// against the stored roster (chain, signature, roster rules); at most 512 shares.
async fn parse_change(
    state: &AppState,
    req: RosterChange,
    workspace_id: &str,
    caller: &str,
) -> Result<Parsed, ApiError> {
    if req.entries.is_empty()
        || req.entries.len() > 4
        || req.entries.iter().any(|e| e.0.len() > MAX_ENTRY_BYTES)
        || req.shares.len() > 512
    {
        return Err(ApiError::BadRequest(
            "a change has 1 to 4 entries of at most 8 KiB and at most 512 shares".into(),
        ));
    }
    let seq =
        i64::try_from(req.seq).map_err(|_| ApiError::BadRequest("seq is out of range".into()))?;
    let entries: Vec<Vec<u8>> = req.entries.into_iter().map(|b| b.0).collect();
    let stored = state.store().roster(workspace_id).await?;
    let verified = roster_entry::verify_append(workspace_id, &stored, req.seq, &entries)?;
    if verified
        .facts
        .iter()
        .any(|f| f.signer.as_deref() != Some(caller))
    {
        return Err(ApiError::BadRequest(
            "member changes must be signed by the caller".into(),
        ));
    }
    let shares = req
        .shares
        .into_iter()
        .map(share_row)
        .collect::<Result<Vec<_>, _>>()?;
    Ok(Parsed {
        seq,
        entries,
        facts: verified.facts,
        shares,
    })
}

/// Checks the shares of a change against the members as they will be after it (`after`:
/// account id and role): every share is for a member entitled to that key kind, or for the
/// current recovery key (which receives both kinds, decision 0005); and each rotated key
/// reaches every member entitled to it and the recovery key.
async fn check_shares(
    state: &AppState,
    workspace_id: &str,
    parsed: &Parsed,
    after: &[(String, Role)],
) -> Result<(), ApiError> {
    let rotations = parsed.rotations()?;
    check_share_rows(state, workspace_id, &parsed.shares, rotations, after).await
}

/// [`check_shares`] on bare shares and the rotations (workspace-key, escrow-key version) they
/// must cover.
async fn check_share_rows(
    state: &AppState,
    workspace_id: &str,
    shares: &[ShareRow],
    (workspace, escrow): (Option<u32>, Option<u32>),
    after: &[(String, Role)],
) -> Result<(), ApiError> {
    state
        .store()
        .expire_recovery(workspace_id, state.now())
        .await?;
    let recovery = state
        .store()
        .recovery(workspace_id)
        .await?
        .map(|r| format!("recovery:{}", r.key_id));
    let role_of = |recipient: &str| {
        after
            .iter()
            .find(|(id, _)| recipient.strip_prefix("account:") == Some(id.as_str()))
            .map(|(_, role)| *role)
    };
    for share in shares {
        let entitled = match (share.key_kind.as_str(), role_of(&share.recipient)) {
            ("workspace", Some(role)) => role.receives_workspace_key(),
            ("escrow", Some(role)) => role.receives_escrow_key(),
            (_, None) => recovery.as_deref() == Some(share.recipient.as_str()),
            (_, Some(_)) => false,
        };
        if !entitled {
            return Err(ApiError::BadRequest(format!(
                "a {} key share is for {}, who is not entitled to it",
                share.key_kind, share.recipient
            )));
        }
    }
    let has = |recipient: &str, kind: &str, version: u32| {
        shares.iter().any(|s| {
            s.recipient == recipient && s.key_kind == kind && s.key_version == i64::from(version)
        })
    };
    let missing = || {
        ApiError::BadRequest(
            "a rotated key must be shared to every member entitled to it and to the recovery key"
                .into(),
        )
    };
    if let Some(v) = workspace {
        let members_ok = after
            .iter()
            .filter(|(_, role)| role.receives_workspace_key())
            .all(|(id, _)| has(&format!("account:{id}"), "workspace", v));
        let recovery_ok = recovery.as_deref().is_none_or(|r| has(r, "workspace", v));
        if !members_ok || !recovery_ok {
            return Err(missing());
        }
    }
    if let Some(v) = escrow {
        let members_ok = after
            .iter()
            .filter(|(_, role)| role.receives_escrow_key())
            .all(|(id, _)| has(&format!("account:{id}"), "escrow", v));
        let recovery_ok = recovery.as_deref().is_none_or(|r| has(r, "escrow", v));
        if !members_ok || !recovery_ok {
            return Err(missing());
        }
    }
    Ok(())
}

/// Key rotations need a recent sign-in (DESIGN.md, "Sessions").
pub(crate) async fn require_fresh_sign_in(
    state: &AppState,
    session: &Session,
) -> Result<(), ApiError> {
    let signed_in = state
        .store()
        .session_created_at(&session.token_hash)
        .await?
        .unwrap_or(0);
    if state.now() - signed_in > FRESH_SIGN_IN_SECS {
        return Err(ApiError::FreshSignInRequired);
    }
    Ok(())
}

fn outcome(result: Result<ChangeOutcome, StoreError>, gone: &'static str) -> Result<(), ApiError> {
    match result {
        Ok(ChangeOutcome::Done) => Ok(()),
        Ok(ChangeOutcome::Gone) => Err(ApiError::NotFound(gone)),
        Ok(ChangeOutcome::RosterMoved) | Err(StoreError::Conflict) => Err(ApiError::Conflict(
            "the roster changed meanwhile; try again",
        )),
        Err(e) => Err(e.into()),
    }
}

/// The mirror as (account, role) pairs, for [`check_shares`].
fn roles(members: &[MemberRow]) -> Result<Vec<(String, Role)>, ApiError> {
    members
        .iter()
        .map(|m| Ok((m.account_id.clone(), role_of(m)?)))
        .collect()
}

/// Adds the account that accepted an invitation, with the role its "add member" entry names.
async fn add(
    State(state): State<AppState>,
    session: Session,
    Path(id): Path<String>,
    ApiJson(req): ApiJson<RosterChange>,
) -> Result<StatusCode, ApiError> {
    let m = manager(&state, &session, &id).await?;
    let parsed = parse_change(&state, req, &m.workspace_id, &session.account_id).await?;
    let (Body::AddMember { account, role }, 1) = (parsed.first(), parsed.facts.len()) else {
        return Err(ApiError::BadRequest(
            "adding a member takes one \"add member\" entry".into(),
        ));
    };
    let role = *role;
    let invitation = state
        .store()
        .workspace_invitations(&m.workspace_id, state.now())
        .await?
        .into_iter()
        .find(|i| i.account_id.as_deref() == Some(account.as_str()))
        .ok_or(ApiError::NotFound(
            "no accepted invitation for this account: invite them and wait until they accept",
        ))?;
    let mut after = roles(&state.store().members(&m.workspace_id).await?)?;
    after.push((account.clone(), role));
    check_shares(&state, &m.workspace_id, &parsed, &after).await?;
    let done = state
        .store()
        .add_member(
            &m.workspace_id,
            account,
            role.as_str(),
            parsed.append(&session, state.now()),
        )
        .await;
    outcome(done, "the invitation was withdrawn or already used")?;
    let name = &m.name;
    let text = format!(
        "You are now a {} of the Keyhaven workspace \"{name}\" on {}.\n",
        role.as_str(),
        state.config().public_url
    );
    notify(
        &state,
        invitation.email,
        format!("Keyhaven: you joined {name}"),
        text,
    )
    .await;
    Ok(StatusCode::NO_CONTENT)
}

/// The target member, with the roster rules an owner or admin must respect toward them.
async fn target(
    state: &AppState,
    m: &Membership,
    account: &str,
) -> Result<(MemberRow, Vec<MemberRow>), ApiError> {
    let account = parse_uuid(account, "account id")?;
    let members = state.store().members(&m.workspace_id).await?;
    let target = members
        .iter()
        .find(|x| x.account_id == account)
        .cloned()
        .ok_or(ApiError::NotFound("no such member"))?;
    Ok((target, members))
}

async fn change_role(
    State(state): State<AppState>,
    session: Session,
    Path((id, account)): Path<(String, String)>,
    ApiJson(req): ApiJson<RosterChange>,
) -> Result<Json<MemberChanged>, ApiError> {
    let m = manager(&state, &session, &id).await?;
    let (target, members) = target(&state, &m, &account).await?;
    let parsed = parse_change(&state, req, &m.workspace_id, &session.account_id).await?;
    let Body::ChangeRole { account, role } = parsed.first() else {
        return Err(ApiError::BadRequest(
            "a role change starts with a \"change role\" entry".into(),
        ));
    };
    if *account != target.account_id {
        return Err(ApiError::BadRequest(
            "the entry names another member".into(),
        ));
    }
    // Who may change whose role (owners, the last owner) the roster rules already checked.
    let (from, to) = (role_of(&target)?, *role);
    // A member who loses a key kind has seen its current version: that key is rotated, and
    // the member's shares of it are withdrawn.
    let lose_workspace = from.receives_workspace_key() && !to.receives_workspace_key();
    let lose_escrow = from.receives_escrow_key() && !to.receives_escrow_key();
    let (workspace, escrow) = parsed.rotations()?;
    if workspace.is_some() != lose_workspace || escrow.is_some() != lose_escrow {
        return Err(ApiError::BadRequest(
            "a role change rotates exactly the keys the member stops receiving".into(),
        ));
    }
    // Rotations and promotions to a managing role need a recent sign-in (DESIGN.md).
    if lose_workspace || lose_escrow || (to.manages() && !from.manages()) {
        require_fresh_sign_in(&state, &session).await?;
    }
    let mut after = roles(&members)?;
    for (id, role) in &mut after {
        if *id == target.account_id {
            *role = to;
        }
    }
    check_shares(&state, &m.workspace_id, &parsed, &after).await?;
    let withdraw: Vec<&str> = [("workspace", lose_workspace), ("escrow", lose_escrow)]
        .into_iter()
        .filter_map(|(kind, lost)| lost.then_some(kind))
        .collect();
    let tokens_revoked = if to.manages() {
        0
    } else {
        active_tokens_of(&state, &m.workspace_id, &target.account_id).await?
    };
    let done = state
        .store()
        .change_role(
            &m.workspace_id,
            &target.account_id,
            to.as_str(),
            &withdraw,
            parsed.append(&session, state.now()),
        )
        .await;
    outcome(done, "no such member")?;
    Ok(Json(MemberChanged { tokens_revoked }))
}

/// The enrollment tokens `account` created that still work (the store revokes them with the
/// change; this count is what the answer reports).
async fn active_tokens_of(
    state: &AppState,
    workspace_id: &str,
    account: &str,
) -> Result<u64, ApiError> {
    let now = state.now();
    Ok(state
        .store()
        .escrow_tokens(workspace_id)
        .await?
        .iter()
        .filter(|t| t.created_by == account && t.revoked_at.is_none() && t.expires_at > now)
        .count() as u64)
}

async fn remove(
    State(state): State<AppState>,
    session: Session,
    Path((id, account)): Path<(String, String)>,
    ApiJson(req): ApiJson<RosterChange>,
) -> Result<Json<MemberChanged>, ApiError> {
    let m = manager(&state, &session, &id).await?;
    let (target, members) = target(&state, &m, &account).await?;
    let parsed = parse_change(&state, req, &m.workspace_id, &session.account_id).await?;
    if *parsed.first()
        != (Body::RemoveMember {
            account: target.account_id.clone(),
        })
    {
        return Err(ApiError::BadRequest(
            "a removal starts with a \"remove member\" entry for this member".into(),
        ));
    }
    // Who may remove whom (owners, the last owner) the roster rules already checked. Every
    // key the member could open is rotated, so nothing written after the removal is readable
    // with what they kept.
    let target_role = role_of(&target)?;
    let (workspace, escrow) = parsed.rotations()?;
    if workspace.is_some() != target_role.receives_workspace_key()
        || escrow.is_some() != target_role.receives_escrow_key()
    {
        return Err(ApiError::BadRequest(
            "a removal rotates exactly the keys the member received".into(),
        ));
    }
    require_fresh_sign_in(&state, &session).await?;
    let after: Vec<_> = roles(&members)?
        .into_iter()
        .filter(|(id, _)| *id != target.account_id)
        .collect();
    check_shares(&state, &m.workspace_id, &parsed, &after).await?;
    let tokens_revoked = active_tokens_of(&state, &m.workspace_id, &target.account_id).await?;
    let done = state
        .store()
        .remove_member(
            &m.workspace_id,
            &target.account_id,
            parsed.append(&session, state.now()),
        )
        .await;
    outcome(done, "no such member")?;
    Ok(Json(MemberChanged { tokens_revoked }))
}

async fn relink(
    State(state): State<AppState>,
    session: Session,
    Path((id, account)): Path<(String, String)>,
    ApiJson(req): ApiJson<RosterChange>,
) -> Result<StatusCode, ApiError> {
    let m = manager(&state, &session, &id).await?;
    let (target, members) = target(&state, &m, &account).await?;
    let parsed = parse_change(&state, req, &m.workspace_id, &session.account_id).await?;
    let one = parsed.facts.len() == 1;
    if !one
        || *parsed.first()
            != (Body::RelinkMember {
                account: target.account_id.clone(),
            })
    {
        return Err(ApiError::BadRequest(
            "a relink takes one \"relink member\" entry for this member".into(),
        ));
    }
    let mine = format!("account:{}", target.account_id);
    if parsed.shares.iter().any(|s| s.recipient != mine) {
        return Err(ApiError::BadRequest(
            "a relink stores shares for the relinked member only".into(),
        ));
    }
    check_shares(&state, &m.workspace_id, &parsed, &roles(&members)?).await?;
    let done = state
        .store()
        .relink_member(
            &m.workspace_id,
            &target.account_id,
            parsed.append(&session, state.now()),
        )
        .await;
    outcome(done, "no such member")?;
    Ok(StatusCode::NO_CONTENT)
}

/// `member reshare`: an owner or admin stores shares of key versions that already exist, for
/// current members entitled to them or for the recovery key, with no roster change. It repairs
/// an account or recovery key left without a version (e.g. a recovery key made before it
/// received escrow keys, decision 0005). Clients verify every share as always, so a share
/// here can add availability but never trust.
pub(crate) async fn reshare(
    State(state): State<AppState>,
    session: Session,
    Path(id): Path<String>,
    ApiJson(req): ApiJson<Reshare>,
) -> Result<StatusCode, ApiError> {
    let m = manager(&state, &session, &id).await?;
    if req.shares.is_empty() || req.shares.len() > 512 {
        return Err(ApiError::BadRequest(
            "a reshare stores 1 to 512 shares".into(),
        ));
    }
    let shares = req
        .shares
        .into_iter()
        .map(share_row)
        .collect::<Result<Vec<_>, _>>()?;
    let members = roles(&state.store().members(&m.workspace_id).await?)?;
    check_share_rows(&state, &m.workspace_id, &shares, (None, None), &members).await?;
    state
        .store()
        .reshare(&m.workspace_id, &session.account_id, &shares, state.now())
        .await?;
    Ok(StatusCode::NO_CONTENT)
}
