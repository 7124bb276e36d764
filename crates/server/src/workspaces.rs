//! Workspaces, their secrets (items) and the recovery key's server side.
//!
//! The server stores what clients sign and seal and checks only what it can without keys:
//! membership (its mirror of the roster, for access control), roster positions (append-only),
//! revision numbers, and the recovery proof against its hash. Clients never trust any of it:
//! they verify the roster, shares and items themselves.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use keyhaven_crypto::{ct_eq, sha256};
use keyhaven_proto::{
    Bytes, CreateWorkspace, ItemView, PutItem, RecoveryGenerate, RecoveryProof, RecoveryRelink,
    RecoveryStatus, ServerInfo, ShareUpload, WorkspaceSummary, WorkspaceView,
};

use crate::access::{self, Action, Link, Membership, Role};
use crate::app::{ApiJson, ApiQuery, AppState, Routes, Session};
use crate::error::ApiError;
use crate::mail::Email;
use crate::page::{self, PageQuery, Paged};
use crate::roster_entry::{self, Body};
use crate::store::{
    EventKind, ItemRow, NewWorkspace, PutOutcome, RecoveryRow, ShareRow, account_actor,
    workspace_chain,
};

/// The workspace endpoints.
pub fn routes() -> Routes {
    Routes::new()
        .get("/v1/server-info", server_info)
        .post("/v1/workspaces", create)
        .get("/v1/workspaces", list)
        .get("/v1/workspaces/{id}", show)
        .get("/v1/workspaces/{id}/shares", my_shares)
        .post("/v1/workspaces/{id}/shares", crate::members::reshare)
        .get("/v1/workspaces/{id}/items", list_items)
        .get("/v1/workspaces/{id}/items/{item}", get_item)
        .put("/v1/workspaces/{id}/items/{item}", put_item)
        .delete("/v1/workspaces/{id}/items/{item}", delete_item)
        .post("/v1/workspaces/{id}/recovery/use", recovery_use)
        .post("/v1/workspaces/{id}/recovery/relink", recovery_relink)
        .post("/v1/workspaces/{id}/recovery/generate", recovery_generate)
        .post("/v1/workspaces/{id}/recovery/validate", recovery_validate)
}

pub(crate) const MAX_ENTRY_BYTES: usize = 8 * 1024;
const MAX_ITEM_BYTES: usize = 512 * 1024;

async fn server_info(State(state): State<AppState>) -> Json<ServerInfo> {
    Json(ServerInfo {
        temporary_key_days: state.config().temporary_key_days,
        validation_interval_days: state.config().validation_interval_days,
    })
}

pub(crate) fn parse_uuid(value: &str, what: &str) -> Result<String, ApiError> {
    value
        .parse::<uuid::Uuid>()
        .map(|u| u.hyphenated().to_string())
        .map_err(|_| ApiError::BadRequest(format!("{what} must be a UUID")))
}

pub(crate) fn share_row(upload: ShareUpload) -> Result<ShareRow, ApiError> {
    let recipient_ok = upload.recipient.split_once(':').is_some_and(|(kind, id)| {
        matches!(kind, "account" | "recovery") && id.parse::<uuid::Uuid>().is_ok()
    });
    if !recipient_ok {
        return Err(ApiError::BadRequest(
            "share recipient must be account:<uuid> or recovery:<uuid>".into(),
        ));
    }
    if !matches!(upload.key_kind.as_str(), "workspace" | "escrow") || upload.key_version == 0 {
        return Err(ApiError::BadRequest(
            "share key must be workspace or escrow, version ≥ 1".into(),
        ));
    }
    if upload.share.0.is_empty() || upload.share.0.len() > MAX_ENTRY_BYTES {
        return Err(ApiError::BadRequest("share size is out of range".into()));
    }
    Ok(ShareRow {
        recipient: upload.recipient,
        key_kind: upload.key_kind,
        key_version: upload.key_version.into(),
        share: upload.share.0,
    })
}

async fn create(
    State(state): State<AppState>,
    session: Session,
    ApiJson(req): ApiJson<CreateWorkspace>,
) -> Result<(StatusCode, Json<WorkspaceSummary>), ApiError> {
    let id = parse_uuid(&req.id, "id")?;
    let name = keyhaven_roster::roster::check_workspace_name(&req.name)
        .map_err(|reason| ApiError::BadRequest(reason.into()))?;
    if req.roster.is_empty()
        || req.roster.len() > 16
        || req.roster.iter().any(|e| e.0.len() > MAX_ENTRY_BYTES)
    {
        return Err(ApiError::BadRequest(
            "the roster must have 1 to 16 entries of at most 8 KiB".into(),
        ));
    }
    if req.shares.len() > 16 {
        return Err(ApiError::BadRequest("at most 16 initial shares".into()));
    }
    let max_workspaces = state.config().max_workspaces_per_account;
    if state
        .store()
        .owned_workspace_count(&session.account_id)
        .await?
        >= i64::from(max_workspaces)
    {
        return Err(ApiError::QuotaExceeded(format!(
            "you own {max_workspaces} workspaces, the most this server allows \
             (max_workspaces_per_account)"
        )));
    }
    let now = state.now();
    let r = &req.recovery;
    let key_id = parse_uuid(&r.key_id, "recovery.key_id")?.to_uppercase();
    match (r.kind.as_str(), r.expires_at, &req.welcome) {
        ("temporary", Some(expires_at), Some(_)) if expires_at > now => {}
        ("temporary", _, Some(_)) => {
            return Err(ApiError::BadRequest(
                "a temporary recovery key needs a future expiry".into(),
            ));
        }
        ("temporary", _, None) => {
            return Err(ApiError::BadRequest(
                "without the welcome email, save a permanent recovery key at creation".into(),
            ));
        }
        ("permanent", None, _) => {}
        _ => {
            return Err(ApiError::BadRequest(
                "recovery.kind must be temporary (with expiry) or permanent".into(),
            ));
        }
    }
    if r.proof_hash.0.len() != 32 {
        return Err(ApiError::BadRequest(
            "recovery.proof_hash must be 32 bytes".into(),
        ));
    }
    let shares = req
        .shares
        .into_iter()
        .map(share_row)
        .collect::<Result<Vec<_>, _>>()?;
    let recovery = RecoveryRow {
        key_id: key_id.clone(),
        kind: r.kind.clone(),
        expires_at: r.expires_at,
        proof_hash: r.proof_hash.0.clone(),
        created_at: now,
        last_validated_at: now,
    };
    let roster: Vec<Vec<u8>> = req.roster.into_iter().map(|b| b.0).collect();
    check_new_roster(&id, name, &roster, &session, r)?;
    let owner = state
        .store()
        .account_by_id(&session.account_id)
        .await?
        .ok_or(ApiError::Unauthorized)?;
    let new = NewWorkspace {
        id: &id,
        name,
        owner: &session.account_id,
        roster: &roster,
        shares: &shares,
        recovery: &recovery,
        now,
    };
    // The welcome email is queued in the workspace's transaction: no workspace without its
    // mail on the way, and no relay conversation while the transaction holds its locks.
    let days = state.config().temporary_key_days;
    let public_url = state.config().public_url.clone();
    let welcome = req.welcome.map(|welcome| Email {
        to: owner.email.clone(),
        subject: format!("Welcome to Keyhaven: the temporary recovery key of {name}"),
        text: format!(
            "Your workspace \"{name}\" is ready on {public_url}.\n\n\
                 Its temporary recovery key (ID {key_id}):\n\n\
                 \x20   {key}\n\n\
                 This key expires in {days} days. Before then, an owner must generate a \
                 permanent one:\n\n\
                 \x20   keyhaven recovery-key generate --workspace {id}\n\n\
                 The recovery kit follows.\n\n{kit}",
            key = welcome.recovery_key,
            kit = welcome.kit,
        ),
    });
    match state.store().create_workspace(&new, welcome.as_ref()).await {
        Ok(()) => state.mail_was_queued(),
        Err(crate::store::StoreError::Conflict) => {
            return Err(ApiError::Conflict("a workspace with this id exists"));
        }
        Err(e) => return Err(e.into()),
    }
    Ok((
        StatusCode::CREATED,
        Json(WorkspaceSummary {
            id,
            name: name.to_owned(),
            role: "owner".into(),
            needs_relink: false,
        }),
    ))
}

/// A new workspace's roster must verify from genesis (signed by the caller, its owner) and
/// set the recovery key the request uploads the verifier of.
fn check_new_roster(
    id: &str,
    name: &str,
    roster: &[Vec<u8>],
    session: &Session,
    recovery: &keyhaven_proto::RecoveryUpload,
) -> Result<(), ApiError> {
    let verified = roster_entry::verify_new(id, roster)?;
    if verified.facts[0].signer.as_deref() != Some(session.account_id.as_str()) {
        return Err(ApiError::BadRequest(
            "the genesis entry must name the caller as owner".into(),
        ));
    }
    // The name the server lists and mails is the one the owner signed.
    if verified.after.name != name {
        return Err(ApiError::BadRequest(
            "the name must be the one in the genesis entry".into(),
        ));
    }
    let wanted = recovery.key_id.to_uppercase();
    let sets_it = verified.facts.iter().any(|f| {
        matches!(&f.body, Body::SetRecoveryKey { key_id, expires_at }
            if *key_id == wanted
                && expires_at.map(|e| e as i64) == recovery.expires_at)
    });
    let current = verified.after.recovery.map(|r| r.id.to_upper());
    if !sets_it || current.as_deref() != Some(wanted.as_str()) {
        return Err(ApiError::BadRequest(
            "the roster must set the uploaded recovery key, with the same expiry".into(),
        ));
    }
    Ok(())
}

fn summary(m: &Membership) -> WorkspaceSummary {
    WorkspaceSummary {
        id: m.workspace_id.clone(),
        name: m.name.clone(),
        role: m.role.as_str().into(),
        needs_relink: m.link == Link::NeedsRelink,
    }
}

async fn list(
    State(state): State<AppState>,
    session: Session,
) -> Result<Json<Vec<WorkspaceSummary>>, ApiError> {
    let rows = state.store().memberships(&session.account_id).await?;
    let list = rows
        .into_iter()
        .map(|row| Membership::from_row(row).map(|m| summary(&m)))
        .collect::<Result<_, _>>()?;
    Ok(Json(list))
}

async fn show(
    State(state): State<AppState>,
    session: Session,
    Path(id): Path<String>,
) -> Result<Json<WorkspaceView>, ApiError> {
    let m = access::require(&state, &session, &id, Action::ReadRoster).await?;
    state
        .store()
        .expire_recovery(&m.workspace_id, state.now())
        .await?;
    let roster = state.store().roster(&m.workspace_id).await?;
    let recovery = state
        .store()
        .recovery(&m.workspace_id)
        .await?
        .map(|r| RecoveryStatus {
            key_id: r.key_id,
            kind: r.kind,
            expires_at: r.expires_at,
            created_at: r.created_at,
            last_validated_at: r.last_validated_at,
            validation: None,
        });
    let recovery = match recovery {
        Some(mut status) => {
            status.validation = state
                .store()
                .validation_statement(&m.workspace_id)
                .await?
                .map(Bytes);
            Some(status)
        }
        None => None,
    };
    Ok(Json(WorkspaceView {
        summary: summary(&m),
        roster: roster.into_iter().map(Bytes).collect(),
        recovery,
    }))
}

fn share_upload(row: ShareRow) -> ShareUpload {
    ShareUpload {
        recipient: row.recipient,
        key_kind: row.key_kind,
        key_version: u32::try_from(row.key_version).unwrap_or(0),
        share: Bytes(row.share),
    }
}

async fn my_shares(
    State(state): State<AppState>,
    session: Session,
    Path(id): Path<String>,
) -> Result<Json<Vec<ShareUpload>>, ApiError> {
    let m = access::require(&state, &session, &id, Action::ReadRoster).await?;
    let rows = state
        .store()
        .shares_for(&m.workspace_id, &format!("account:{}", session.account_id))
        .await?;
    Ok(Json(rows.into_iter().map(share_upload).collect()))
}

/// Most items in one page of `GET …/items`.
pub const ITEMS_PER_PAGE: u32 = 10_000;
/// Most sealed bytes in one page of `GET …/items` (a page has at least one item).
pub const ITEM_PAGE_BYTES: i64 = 32 * 1024 * 1024;

async fn list_items(
    State(state): State<AppState>,
    session: Session,
    Path(id): Path<String>,
    ApiQuery(q): ApiQuery<PageQuery>,
) -> Result<Paged<Vec<ItemView>>, ApiError> {
    let m = access::require(&state, &session, &id, Action::ReadSecrets).await?;
    let limit = page::limit(q.limit, ITEMS_PER_PAGE)?;
    let after = q
        .after
        .as_deref()
        .map(|after| parse_uuid(after, "after"))
        .transpose()?;
    let (rows, more) = state
        .store()
        .items_page(&m.workspace_id, after.as_deref(), limit, ITEM_PAGE_BYTES)
        .await?;
    let next = more.then(|| rows.last().map(|r| r.id.clone())).flatten();
    Ok(Paged(
        rows.into_iter()
            .map(|r| ItemView {
                id: r.id,
                revision: u64::try_from(r.revision).unwrap_or(0),
                sealed: Bytes(r.sealed),
            })
            .collect(),
        next,
    ))
}

async fn get_item(
    State(state): State<AppState>,
    session: Session,
    Path((id, item)): Path<(String, String)>,
) -> Result<Json<ItemView>, ApiError> {
    let m = access::require(&state, &session, &id, Action::ReadSecrets).await?;
    let item = parse_uuid(&item, "item id")?;
    let row = state
        .store()
        .item(&m.workspace_id, &item)
        .await?
        .ok_or(ApiError::NotFound("no such secret"))?;
    Ok(Json(ItemView {
        id: row.id,
        revision: u64::try_from(row.revision).unwrap_or(0),
        sealed: Bytes(row.sealed),
    }))
}

async fn put_item(
    State(state): State<AppState>,
    session: Session,
    Path((id, item)): Path<(String, String)>,
    ApiJson(req): ApiJson<PutItem>,
) -> Result<StatusCode, ApiError> {
    let m = access::require(&state, &session, &id, Action::WriteSecrets).await?;
    let item = parse_uuid(&item, "item id")?;
    let revision = i64::try_from(req.revision)
        .ok()
        .filter(|revision| *revision >= 1)
        .ok_or_else(|| ApiError::BadRequest(format!("revision must be 1 to {}", i64::MAX)))?;
    if req.sealed.0.is_empty() || req.sealed.0.len() > MAX_ITEM_BYTES {
        return Err(ApiError::BadRequest(
            "the item must be 1 byte to 512 KiB".into(),
        ));
    }
    // An envelope no client could parse (or one that names another place) would break every
    // listing of the workspace: refused here.
    let place = |id: &str| {
        id.parse::<uuid::Uuid>()
            .map_err(|_| ApiError::Internal(anyhow::anyhow!("a stored id is not a UUID: {id}")))
    };
    crate::item_shape::check(
        &req.sealed.0,
        place(&m.workspace_id)?,
        place(&item)?,
        req.revision,
    )
    .map_err(|e| ApiError::BadRequest(e.to_string()))?;
    let row = ItemRow {
        id: item,
        revision,
        sealed: req.sealed.0,
    };
    let max_items = i64::from(state.config().max_items_per_workspace);
    match state
        .store()
        .put_item(
            &m.workspace_id,
            &session.account_id,
            &row,
            max_items,
            state.now(),
        )
        .await?
    {
        PutOutcome::Stored => Ok(StatusCode::NO_CONTENT),
        PutOutcome::Stale => Err(ApiError::Conflict(
            "the secret changed meanwhile; fetch it and try again",
        )),
        PutOutcome::QuotaExceeded => Err(ApiError::QuotaExceeded(format!(
            "this workspace holds {max_items} secrets, the most this server allows \
             (max_items_per_workspace); delete some first"
        ))),
    }
}

async fn delete_item(
    State(state): State<AppState>,
    session: Session,
    Path((id, item)): Path<(String, String)>,
) -> Result<StatusCode, ApiError> {
    let m = access::require(&state, &session, &id, Action::WriteSecrets).await?;
    let item = parse_uuid(&item, "item id")?;
    if state
        .store()
        .delete_item(&m.workspace_id, &session.account_id, &item, state.now())
        .await?
    {
        Ok(StatusCode::NO_CONTENT)
    } else {
        Err(ApiError::NotFound("no such secret"))
    }
}

/// Checks a recovery proof of an owner (the caller checked the action): rate-limited, expiry
/// enforced, constant-time comparison. Returns the current recovery record.
async fn check_proof(
    state: &AppState,
    session: &Session,
    m: &Membership,
    proof: &[u8],
) -> Result<RecoveryRow, ApiError> {
    debug_assert_eq!(m.role, Role::Owner);
    let now = state.now();
    let key = format!("recovery:{}:{}", m.workspace_id, session.account_id);
    if !state.store().rate_limit_hit(&key, now, 15 * 60, 5).await? {
        return Err(ApiError::RateLimited);
    }
    state.store().expire_recovery(&m.workspace_id, now).await?;
    let recovery = state
        .store()
        .recovery(&m.workspace_id)
        .await?
        .ok_or(ApiError::Forbidden(
            "this workspace has no valid recovery key (a temporary key expired unreplaced)",
        ))?;
    if !ct_eq(&sha256(proof), &recovery.proof_hash) {
        // Recorded although the request fails, in its own transaction; if it cannot be
        // recorded, the caller gets an internal error instead of the refusal.
        state
            .store()
            .record_event(
                &workspace_chain(&m.workspace_id),
                &account_actor(&session.account_id),
                EventKind::RecoveryKeyRejected,
                &serde_json::json!({ "key_id": recovery.key_id }),
                now,
            )
            .await?;
        // Every owner hears of it, whichever call carried the wrong proof (use, relink,
        // validate); the rate limit above bounds how often.
        notify_owners(
            state,
            &m.workspace_id,
            &m.name,
            "a wrong recovery key was entered",
        )
        .await;
        return Err(ApiError::Forbidden(
            "this is not the workspace's current recovery key",
        ));
    }
    Ok(recovery)
}

async fn recovery_use(
    State(state): State<AppState>,
    session: Session,
    Path(id): Path<String>,
    ApiJson(req): ApiJson<RecoveryProof>,
) -> Result<Json<Vec<ShareUpload>>, ApiError> {
    let m = access::require(&state, &session, &id, Action::UseRecoveryKey).await?;
    let recovery = check_proof(&state, &session, &m, &req.proof.0).await?;
    // The shares open the workspace key: record their release before handing them out, so
    // they are never released unrecorded.
    state
        .store()
        .record_event(
            &workspace_chain(&m.workspace_id),
            &account_actor(&session.account_id),
            EventKind::RecoverySharesReleased,
            &serde_json::json!({ "key_id": recovery.key_id }),
            state.now(),
        )
        .await?;
    let rows = state
        .store()
        .shares_for(&m.workspace_id, &format!("recovery:{}", recovery.key_id))
        .await?;
    Ok(Json(rows.into_iter().map(share_upload).collect()))
}

async fn recovery_relink(
    State(state): State<AppState>,
    session: Session,
    Path(id): Path<String>,
    ApiJson(req): ApiJson<RecoveryRelink>,
) -> Result<StatusCode, ApiError> {
    let m = access::require(&state, &session, &id, Action::UseRecoveryKey).await?;
    let recovery = check_proof(&state, &session, &m, &req.proof.0).await?;
    if req.entry.0.is_empty() || req.entry.0.len() > MAX_ENTRY_BYTES || req.shares.len() > 512 {
        return Err(ApiError::BadRequest("entry or shares out of range".into()));
    }
    let mine = format!("account:{}", session.account_id);
    let shares = req
        .shares
        .into_iter()
        .map(share_row)
        .collect::<Result<Vec<_>, _>>()?;
    if shares.iter().any(|s| s.recipient != mine) {
        return Err(ApiError::BadRequest(
            "a relink stores shares for the caller only".into(),
        ));
    }
    let seq =
        i64::try_from(req.seq).map_err(|_| ApiError::BadRequest("seq is out of range".into()))?;
    // The one entry: "relink member" for the caller, signed by the current recovery key.
    let stored = state.store().roster(&m.workspace_id).await?;
    let verified = roster_entry::verify_append(
        &m.workspace_id,
        &stored,
        req.seq,
        std::slice::from_ref(&req.entry.0),
    )?;
    let relinks_caller = verified.facts[0].signer.is_none()
        && verified.facts[0].body
            == (Body::RelinkMember {
                account: session.account_id.clone(),
            })
        && verified.after.recovery.map(|r| r.id.to_upper()) == Some(recovery.key_id.clone());
    if !relinks_caller {
        return Err(ApiError::BadRequest(
            "the entry must relink the caller, signed by the current recovery key".into(),
        ));
    }
    if state
        .store()
        .relink(
            &m.workspace_id,
            &session.account_id,
            &recovery.key_id,
            seq,
            &req.entry.0,
            &shares,
            state.now(),
        )
        .await?
    {
        let what = "the recovery key was used to relink an owner after a password reset";
        notify_owners(&state, &m.workspace_id, &m.name, what).await;
        Ok(StatusCode::NO_CONTENT)
    } else {
        Err(ApiError::Conflict(
            "the roster changed meanwhile; try again",
        ))
    }
}

/// Generating a recovery key needs a sign-in within this many seconds.
pub(crate) const FRESH_SIGN_IN_SECS: i64 = 10 * 60;

/// Tells every owner about a recovery event. Mail failures are logged, not fatal: the event
/// already happened.
async fn notify_owners(state: &AppState, workspace_id: &str, name: &str, what: &str) {
    let owners = match state.store().owner_emails(workspace_id).await {
        Ok(owners) => owners,
        Err(e) => {
            tracing::error!(error = %e, "cannot list owners to notify");
            return;
        }
    };
    for to in owners {
        let email = Email {
            to,
            subject: format!("Keyhaven: {what} ({name})"),
            text: format!(
                "In the workspace \"{name}\" on {}: {what}.\n\nIf this was not expected, check \
                 `keyhaven workspace show --workspace {workspace_id}` and \
                 `keyhaven recovery-key status --workspace {workspace_id}`.\n",
                state.config().public_url
            ),
        };
        crate::outbox::queue_notice(state, email, "recovery notice").await;
    }
}

async fn recovery_generate(
    State(state): State<AppState>,
    session: Session,
    Path(id): Path<String>,
    ApiJson(req): ApiJson<RecoveryGenerate>,
) -> Result<StatusCode, ApiError> {
    let m = access::require(&state, &session, &id, Action::GenerateRecoveryKey).await?;
    crate::members::require_fresh_sign_in(&state, &session).await?;
    let now = state.now();
    let r = &req.recovery;
    if r.kind != "permanent" || r.expires_at.is_some() || r.proof_hash.0.len() != 32 {
        return Err(ApiError::BadRequest(
            "a generated recovery key is permanent, with a 32-byte proof hash".into(),
        ));
    }
    if req.entry.0.is_empty()
        || req.entry.0.len() > MAX_ENTRY_BYTES
        || req.shares.is_empty()
        || req.shares.len() > 256
    {
        return Err(ApiError::BadRequest("entry or shares out of range".into()));
    }
    let key_id = parse_uuid(&r.key_id, "recovery.key_id")?.to_uppercase();
    let shares = req
        .shares
        .into_iter()
        .map(share_row)
        .collect::<Result<Vec<_>, _>>()?;
    let recipient = format!("recovery:{key_id}");
    if shares.iter().any(|s| s.recipient != recipient) {
        return Err(ApiError::BadRequest(
            "the new shares must be for the new recovery key".into(),
        ));
    }
    let row = RecoveryRow {
        key_id,
        kind: "permanent".into(),
        expires_at: None,
        proof_hash: r.proof_hash.0.clone(),
        created_at: now,
        last_validated_at: now,
    };
    let seq =
        i64::try_from(req.seq).map_err(|_| ApiError::BadRequest("seq is out of range".into()))?;
    // The one entry: "set recovery key" for this key, permanent, signed by the caller.
    let stored = state.store().roster(&m.workspace_id).await?;
    let verified = roster_entry::verify_append(
        &m.workspace_id,
        &stored,
        req.seq,
        std::slice::from_ref(&req.entry.0),
    )?;
    let sets_it = verified.facts[0].signer.as_deref() == Some(session.account_id.as_str())
        && verified.facts[0].body
            == (Body::SetRecoveryKey {
                key_id: row.key_id.clone(),
                expires_at: None,
            });
    if !sets_it {
        return Err(ApiError::BadRequest(
            "the entry must set this permanent recovery key, signed by the caller".into(),
        ));
    }
    // While a recovery key exists, replacing it takes proof of it: a session alone (stolen,
    // or of an account reset by its mailbox) must not take the workspace's recovery away.
    state.store().expire_recovery(&m.workspace_id, now).await?;
    if state.store().recovery(&m.workspace_id).await?.is_some() {
        let proof = req.current_proof.as_ref().ok_or(ApiError::Forbidden(
            "replacing the recovery key needs proof of the current one: enter it when asked",
        ))?;
        check_proof(&state, &session, &m, &proof.0).await?;
    }
    if !state
        .store()
        .replace_recovery(
            &m.workspace_id,
            &session.account_id,
            seq,
            &req.entry.0,
            &row,
            &shares,
        )
        .await?
    {
        return Err(ApiError::Conflict(
            "the roster changed meanwhile; try again",
        ));
    }
    notify_owners(
        &state,
        &m.workspace_id,
        &m.name,
        "a new recovery key was generated; the previous one no longer works",
    )
    .await;
    Ok(StatusCode::NO_CONTENT)
}

async fn recovery_validate(
    State(state): State<AppState>,
    session: Session,
    Path(id): Path<String>,
    ApiJson(req): ApiJson<RecoveryProof>,
) -> Result<StatusCode, ApiError> {
    let m = access::require(&state, &session, &id, Action::ValidateRecoveryKey).await?;
    if req.statement.as_ref().is_some_and(|s| s.0.len() > 128) {
        return Err(ApiError::BadRequest(
            "the validation statement is at most 128 bytes".into(),
        ));
    }
    match check_proof(&state, &session, &m, &req.proof.0).await {
        Ok(_) => {
            if !state
                .store()
                .mark_recovery_validated(
                    &m.workspace_id,
                    &session.account_id,
                    req.statement.as_ref().map(|s| s.0.as_slice()),
                    state.now(),
                )
                .await?
            {
                return Err(ApiError::Forbidden(
                    "this workspace has no valid recovery key (a temporary key expired unreplaced)",
                ));
            }
            notify_owners(
                &state,
                &m.workspace_id,
                &m.name,
                "the recovery key was validated",
            )
            .await;
            Ok(StatusCode::NO_CONTENT)
        }
        Err(e) => Err(e),
    }
}
