//! Device-key escrow: the server side of `keyhaven device …` and `keyhaven escrow …`
//! (`docs/protocol.md` §18).
//!
//! The server stores what clients seal and sign, and looks records up by blind index; it never
//! sees an identifier, a device name or a key. What it enforces is access: owners and admins
//! add and delete; owners, admins and helpdesk list, find, index and reveal; enrollment tokens
//! only submit (and read the roster, to find the escrow public key). A reveal is served only
//! after its audit event is committed.

use axum::Json;
use axum::extract::{DefaultBodyLimit, Path, State};
use axum::http::StatusCode;
use axum::routing::get;
use keyhaven_crypto::{ct_eq, sha256};
use keyhaven_proto::{
    AddDeviceKeys, AddedDeviceKeys, Bytes, CreateEscrowToken, DeviceKeyView, DeviceKeysView,
    DeviceSettings, DeviceTags, EscrowTokenView, IndexDeviceKeys, ResolveConflict, RevealDeviceKey,
    RevealedDeviceKey, TokenAuth, TokenSubmit,
};
use serde::Deserialize;

use crate::access::{self, Action, Membership};
use crate::app::{ApiJson, ApiQuery, AppState, Routes, Session};
use crate::error::ApiError;
use crate::members::require_fresh_sign_in;
use crate::page::{self, Paged};
use crate::store::{
    DeviceFilter, DeviceKeyListed, DeviceSettingsRow, EventKind, MAX_LOOKUP_TAGS, NewDeviceKeyRow,
    RevealPurpose, TagKind, TagsRow, TokenRow, account_actor,
};
use crate::workspaces::parse_uuid;

/// The escrow endpoints.
pub fn routes() -> Routes {
    Routes::new()
        .with(
            &["get", "post"],
            "/v1/workspaces/{id}/devices",
            get(list)
                .post(add)
                .layer(DefaultBodyLimit::max(ADD_BODY_BYTES)),
        )
        .post("/v1/workspaces/{id}/devices/index", index)
        .delete("/v1/workspaces/{id}/devices/{key}", remove)
        .post("/v1/workspaces/{id}/devices/{key}/reveal", reveal)
        .post("/v1/workspaces/{id}/devices/{key}/resolve", resolve)
        .get("/v1/workspaces/{id}/escrow-tokens", list_tokens)
        .post("/v1/workspaces/{id}/escrow-tokens", create_token)
        .post(
            "/v1/workspaces/{id}/escrow-tokens/{token}/revoke",
            revoke_token,
        )
        .post("/v1/escrow/submit", token_submit)
        .get("/v1/workspaces/{id}/device-settings", settings)
        .put("/v1/workspaces/{id}/device-settings", set_settings)
}

/// Most keys per add call: bulk imports go in few large transactions (each transaction
/// rewrites the blind-index pages it touches, so fewer, larger ones write far less).
const MAX_BATCH: usize = 5000;
/// The body limit of an add call (about 900 bytes of JSON per key).
const ADD_BODY_BYTES: usize = 8 * 1024 * 1024;
/// Most entries per index call.
const MAX_INDEX_BATCH: usize = 1000;
/// Most keys per token submission.
const MAX_TOKEN_BATCH: usize = 100;
/// Largest header or secret accepted.
const MAX_PART_BYTES: usize = 16 * 1024;
/// Longest reveal reason.
const MAX_REASON_CHARS: usize = 500;
/// Failed token authentications allowed per token and hour.
const TOKEN_FAILURES_PER_HOUR: i64 = 20;
/// Submission calls allowed per token and hour.
const TOKEN_SUBMISSIONS_PER_HOUR: i64 = 120;
/// Keys one token may store over its life.
const MAX_KEYS_PER_TOKEN: i64 = 10_000;

async fn escrow_holder(
    state: &AppState,
    session: &Session,
    id: &str,
) -> Result<Membership, ApiError> {
    access::require(state, session, id, Action::ReadDeviceKeys).await
}

async fn device_manager(
    state: &AppState,
    session: &Session,
    id: &str,
) -> Result<Membership, ApiError> {
    access::require(state, session, id, Action::ManageDeviceKeys).await
}

fn tag(bytes: &Bytes, what: &str) -> Result<Vec<u8>, ApiError> {
    if bytes.0.len() == 32 {
        Ok(bytes.0.clone())
    } else {
        Err(ApiError::BadRequest(format!("{what} must be 32 bytes")))
    }
}

fn tags_row(tags: &DeviceTags) -> Result<TagsRow, ApiError> {
    Ok(TagsRow {
        id: tag(&tags.id, "tags.id")?,
        prefix: tags
            .prefix
            .as_ref()
            .map(|p| tag(p, "tags.prefix"))
            .transpose()?,
        device: tag(&tags.device, "tags.device")?,
        secret: tag(&tags.secret, "tags.secret")?,
    })
}

fn part(bytes: Bytes, what: &str) -> Result<Vec<u8>, ApiError> {
    if bytes.0.is_empty() || bytes.0.len() > MAX_PART_BYTES {
        return Err(ApiError::BadRequest(format!(
            "{what} must be 1 to {MAX_PART_BYTES} bytes"
        )));
    }
    Ok(bytes.0)
}

fn batch_size(len: usize, max: usize) -> Result<(), ApiError> {
    if len == 0 || len > max {
        return Err(ApiError::BadRequest(format!(
            "send 1 to {max} keys per call"
        )));
    }
    Ok(())
}

async fn add(
    State(state): State<AppState>,
    session: Session,
    Path(id): Path<String>,
    ApiJson(req): ApiJson<AddDeviceKeys>,
) -> Result<(StatusCode, Json<AddedDeviceKeys>), ApiError> {
    let m = device_manager(&state, &session, &id).await?;
    batch_size(req.keys.len(), MAX_BATCH)?;
    let rows =
        req.keys
            .into_iter()
            .map(|k| {
                let tags = k.tags.as_ref().ok_or_else(|| {
                    ApiError::BadRequest("every key needs its blind indexes".into())
                })?;
                Ok(NewDeviceKeyRow {
                    id: parse_uuid(&k.id, "key id")?,
                    tags: Some(tags_row(tags)?),
                    header: part(k.header, "header")?,
                    secret: part(k.secret, "secret")?,
                    resubmission: None,
                    replaces: k
                        .replaces
                        .as_deref()
                        .map(|r| parse_uuid(r, "replaces"))
                        .transpose()?,
                })
            })
            .collect::<Result<Vec<_>, ApiError>>()?;
    store_keys(
        &state,
        &m.workspace_id,
        &account_actor(&session.account_id),
        EventKind::DeviceKeysAdded,
        &rows,
        None,
    )
    .await
}

/// `GET /devices` query: no parameters lists current records; `by` and `tags` look up by
/// blind index; `unindexed` lists token submissions waiting for indexes.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ListQuery {
    /// `id`, `prefix`, `device` or `secret`.
    by: Option<String>,
    /// Comma-separated base64url blind-index values (one per escrow-key version).
    tags: Option<String>,
    /// Include replaced records.
    #[serde(default)]
    history: bool,
    /// Only records revealed since they were stored.
    #[serde(default)]
    needs_rotation: bool,
    /// Only unindexed token submissions.
    #[serde(default)]
    unindexed: bool,
    /// Page size of a full listing (1 to 1,000, the default).
    limit: Option<u32>,
    /// The cursor of the next page of a full listing (`x-next-after`).
    after: Option<String>,
}

/// Most records in one page of a full listing.
pub const DEVICES_PER_PAGE: u32 = 1_000;

/// A page cursor: `<created at>.<id>` of the last record shown.
fn parse_cursor(after: &str) -> Result<(i64, String), ApiError> {
    let bad = || ApiError::BadRequest("after must be a cursor from x-next-after".into());
    let (at, id) = after.split_once('.').ok_or_else(bad)?;
    let at = at.parse::<i64>().map_err(|_| bad())?;
    Ok((at, parse_uuid(id, "after").map_err(|_| bad())?))
}

fn view(row: DeviceKeyListed) -> DeviceKeyView {
    DeviceKeyView {
        id: row.id,
        header: Bytes(row.header),
        created_at: row.created_at,
        updated_at: row.updated_at,
        rotate_after_use: row.rotate_after_use,
        revealed_at: row.revealed_at,
        replaced_by: row.replaced_by,
        indexed: row.indexed,
        secret_tag: row.secret_tag.map(Bytes),
        conflict: row.conflict,
    }
}

fn filters(q: &ListQuery) -> Result<Vec<DeviceFilter>, ApiError> {
    if q.unindexed {
        return Ok(vec![DeviceFilter::Unindexed]);
    }
    let Some(by) = &q.by else {
        return Ok(vec![DeviceFilter::All {
            history: q.history,
            needs_rotation: q.needs_rotation,
        }]);
    };
    let kind = match by.as_str() {
        "id" => TagKind::Id,
        "prefix" => TagKind::Prefix,
        "device" => TagKind::Device,
        "secret" => TagKind::Secret,
        _ => {
            return Err(ApiError::BadRequest(
                "by must be id, prefix, device or secret".into(),
            ));
        }
    };
    let tags = q.tags.as_deref().unwrap_or_default();
    let parsed = tags
        .split(',')
        .filter(|t| !t.is_empty())
        .map(|t| {
            use base64::Engine as _;
            base64::engine::general_purpose::URL_SAFE_NO_PAD
                .decode(t)
                .ok()
                .filter(|b| b.len() == 32)
                .ok_or_else(|| ApiError::BadRequest("tags must be 32-byte base64url values".into()))
        })
        .collect::<Result<Vec<_>, _>>()?;
    if parsed.is_empty() || parsed.len() > MAX_LOOKUP_TAGS {
        return Err(ApiError::BadRequest(format!(
            "give 1 to {MAX_LOOKUP_TAGS} tags with by=…"
        )));
    }
    Ok(vec![DeviceFilter::Tags(kind, parsed)])
}

async fn list(
    State(state): State<AppState>,
    session: Session,
    Path(id): Path<String>,
    ApiQuery(q): ApiQuery<ListQuery>,
) -> Result<Paged<DeviceKeysView>, ApiError> {
    let m = escrow_holder(&state, &session, &id).await?;
    let store = state.store();
    let mut keys = Vec::new();
    let mut next = None;
    let full = q.by.is_none() && !q.unindexed;
    if !full && (q.limit.is_some() || q.after.is_some()) {
        return Err(ApiError::BadRequest(
            "limit and after page full listings only (not by=… or unindexed)".into(),
        ));
    }
    if full {
        let limit = page::limit(q.limit, DEVICES_PER_PAGE)?;
        let after = q.after.as_deref().map(parse_cursor).transpose()?;
        let (page, more) = store
            .device_keys_page(
                &m.workspace_id,
                q.history,
                q.needs_rotation,
                after.as_ref().map(|(at, id)| (*at, id.as_str())),
                limit,
            )
            .await?;
        next = more
            .then(|| page.last().map(|k| format!("{}.{}", k.created_at, k.id)))
            .flatten();
        keys = page;
    } else {
        for filter in filters(&q)? {
            keys.extend(store.device_keys(&m.workspace_id, &filter).await?);
        }
    }
    let grants = if keys.iter().any(|k| k.author.starts_with("token:")) {
        store
            .escrow_tokens(&m.workspace_id)
            .await?
            .into_iter()
            .map(|t| Bytes(t.grant))
            .collect()
    } else {
        Vec::new()
    };
    Ok(Paged(
        DeviceKeysView {
            keys: keys.into_iter().map(view).collect(),
            grants,
        },
        next,
    ))
}

async fn reveal(
    State(state): State<AppState>,
    session: Session,
    Path((id, key)): Path<(String, String)>,
    ApiJson(req): ApiJson<RevealDeviceKey>,
) -> Result<Json<RevealedDeviceKey>, ApiError> {
    let m = escrow_holder(&state, &session, &id).await?;
    let key = parse_uuid(&key, "key id")?;
    let purpose = match req.purpose.as_str() {
        "reveal" => RevealPurpose::Reveal,
        "export" => RevealPurpose::Export,
        // "check" is what clients before 0.2 sent when indexing.
        "index" | "check" => RevealPurpose::Index,
        _ => {
            return Err(ApiError::BadRequest(
                "purpose must be reveal, export or index".into(),
            ));
        }
    };
    let reason = req
        .reason
        .as_deref()
        .map(str::trim)
        .filter(|r| !r.is_empty());
    if reason
        .is_some_and(|r| r.chars().count() > MAX_REASON_CHARS || r.chars().any(char::is_control))
    {
        return Err(ApiError::BadRequest(format!(
            "the reason must be one line of at most {MAX_REASON_CHARS} characters"
        )));
    }
    if reason.is_none()
        && purpose != RevealPurpose::Index
        && state
            .store()
            .device_settings(&m.workspace_id)
            .await?
            .reveal_reason_required
    {
        return Err(ApiError::BadRequest(
            "this workspace requires a reason for every reveal and export of a device key \
             (it goes into the audit log)"
                .into(),
        ));
    }
    require_fresh_sign_in(&state, &session).await?;
    let secret = state
        .store()
        .reveal_device_key(
            &m.workspace_id,
            &account_actor(&session.account_id),
            &key,
            purpose,
            reason,
            state.now(),
        )
        .await
        .map_err(|e| match e {
            crate::store::StoreError::Conflict => ApiError::Conflict(
                "this record is indexed already: reading it is a reveal (purpose reveal), and \
                 a typed key is compared by its blind index without reading the escrowed one",
            ),
            e => e.into(),
        })?
        .ok_or(ApiError::NotFound("no such device key"))?;
    if purpose != RevealPurpose::Index {
        state.metrics().count(crate::metrics::Event::Reveal);
    }
    Ok(Json(RevealedDeviceKey {
        secret: Bytes(secret),
    }))
}

/// The workspace's device-key settings (whoever may see device keys).
async fn settings(
    State(state): State<AppState>,
    session: Session,
    Path(id): Path<String>,
) -> Result<Json<DeviceSettings>, ApiError> {
    let m = escrow_holder(&state, &session, &id).await?;
    let row = state.store().device_settings(&m.workspace_id).await?;
    Ok(Json(DeviceSettings {
        reveal_reason_required: row.reveal_reason_required,
    }))
}

/// Changes the workspace's device-key settings (owners and admins; audited).
async fn set_settings(
    State(state): State<AppState>,
    session: Session,
    Path(id): Path<String>,
    ApiJson(req): ApiJson<DeviceSettings>,
) -> Result<Json<DeviceSettings>, ApiError> {
    let m = device_manager(&state, &session, &id).await?;
    state
        .store()
        .set_device_settings(
            &m.workspace_id,
            &account_actor(&session.account_id),
            DeviceSettingsRow {
                reveal_reason_required: req.reveal_reason_required,
            },
            state.now(),
        )
        .await?;
    Ok(Json(req))
}

async fn remove(
    State(state): State<AppState>,
    session: Session,
    Path((id, key)): Path<(String, String)>,
) -> Result<StatusCode, ApiError> {
    let m = device_manager(&state, &session, &id).await?;
    let key = parse_uuid(&key, "key id")?;
    if state
        .store()
        .delete_device_key(
            &m.workspace_id,
            &account_actor(&session.account_id),
            &key,
            state.now(),
        )
        .await?
    {
        Ok(StatusCode::NO_CONTENT)
    } else {
        Err(ApiError::NotFound("no such device key"))
    }
}

async fn index(
    State(state): State<AppState>,
    session: Session,
    Path(id): Path<String>,
    ApiJson(req): ApiJson<IndexDeviceKeys>,
) -> Result<StatusCode, ApiError> {
    let m = escrow_holder(&state, &session, &id).await?;
    batch_size(req.entries.len(), MAX_INDEX_BATCH)?;
    let entries = req
        .entries
        .iter()
        .map(|e| {
            Ok((
                parse_uuid(&e.id, "key id")?,
                tags_row(&e.tags)?,
                e.conflicts_with
                    .as_deref()
                    .map(|r| parse_uuid(r, "conflicts_with"))
                    .transpose()?,
                e.duplicate_of
                    .as_deref()
                    .map(|r| parse_uuid(r, "duplicate_of"))
                    .transpose()?,
            ))
        })
        .collect::<Result<Vec<_>, ApiError>>()?;
    state
        .store()
        .index_device_keys(
            &m.workspace_id,
            &account_actor(&session.account_id),
            &entries,
            state.now(),
        )
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Accepts or rejects a token submission that contradicts an escrowed key (owners, admins and
/// helpdesk; needs a recent sign-in, like a reveal).
async fn resolve(
    State(state): State<AppState>,
    session: Session,
    Path((id, key)): Path<(String, String)>,
    ApiJson(req): ApiJson<ResolveConflict>,
) -> Result<StatusCode, ApiError> {
    let m = escrow_holder(&state, &session, &id).await?;
    require_fresh_sign_in(&state, &session).await?;
    let key = parse_uuid(&key, "key id")?;
    if state
        .store()
        .resolve_conflict(
            &m.workspace_id,
            &account_actor(&session.account_id),
            &key,
            req.accept,
            state.now(),
        )
        .await?
    {
        Ok(StatusCode::NO_CONTENT)
    } else {
        Err(ApiError::NotFound("no such conflicting submission"))
    }
}

fn token_view(row: TokenRow) -> EscrowTokenView {
    EscrowTokenView {
        id: row.id,
        name: row.name,
        created_by: row.created_by,
        created_at: row.created_at,
        expires_at: row.expires_at,
        revoked_at: row.revoked_at,
        submissions: row.submissions,
    }
}

async fn create_token(
    State(state): State<AppState>,
    session: Session,
    Path(id): Path<String>,
    ApiJson(req): ApiJson<CreateEscrowToken>,
) -> Result<(StatusCode, Json<EscrowTokenView>), ApiError> {
    let m = device_manager(&state, &session, &id).await?;
    // A token writes into the workspace for up to a year: like a rotation, it needs a sign-in
    // within the last few minutes.
    require_fresh_sign_in(&state, &session).await?;
    let now = state.now();
    if req.expires_at <= now || req.expires_at > now + 366 * 86_400 {
        return Err(ApiError::BadRequest(
            "a token must expire within a year from now".into(),
        ));
    }
    if req.auth_hash.0.len() != 32 || req.grant.0.is_empty() || req.grant.0.len() > 1024 {
        return Err(ApiError::BadRequest(
            "auth_hash must be 32 bytes and the grant at most 1 KiB".into(),
        ));
    }
    let name = req.name.as_deref().map(str::trim).filter(|n| !n.is_empty());
    if name.is_some_and(|n| n.chars().count() > 100 || n.chars().any(char::is_control)) {
        return Err(ApiError::BadRequest(
            "the token name must be one line of at most 100 characters".into(),
        ));
    }
    let roster = state.store().roster(&m.workspace_id).await?;
    let current = crate::roster_entry::escrow_version(&m.workspace_id, &roster)?;
    if current == 0 || req.escrow_version != current {
        return Err(ApiError::Conflict(
            "a token seals to the current escrow key: fetch the workspace and try again",
        ));
    }
    let row = TokenRow {
        id: parse_uuid(&req.id, "token id")?,
        workspace_id: m.workspace_id,
        name: name.map(str::to_owned),
        auth_hash: req.auth_hash.0,
        grant: req.grant.0,
        created_by: session.account_id.clone(),
        created_at: now,
        expires_at: req.expires_at,
        revoked_at: None,
        submissions: 0,
        escrow_version: i64::from(current),
    };
    state
        .store()
        .create_escrow_token(&row)
        .await
        .map_err(|e| match e {
            crate::store::StoreError::Conflict => ApiError::Conflict("this token id is taken"),
            e => e.into(),
        })?;
    Ok((StatusCode::CREATED, Json(token_view(row))))
}

async fn list_tokens(
    State(state): State<AppState>,
    session: Session,
    Path(id): Path<String>,
) -> Result<Json<Vec<EscrowTokenView>>, ApiError> {
    let m = device_manager(&state, &session, &id).await?;
    let rows = state.store().escrow_tokens(&m.workspace_id).await?;
    Ok(Json(rows.into_iter().map(token_view).collect()))
}

async fn revoke_token(
    State(state): State<AppState>,
    session: Session,
    Path((id, token)): Path<(String, String)>,
) -> Result<StatusCode, ApiError> {
    let m = device_manager(&state, &session, &id).await?;
    let token = parse_uuid(&token, "token id")?;
    if state
        .store()
        .revoke_escrow_token(
            &m.workspace_id,
            &account_actor(&session.account_id),
            &token,
            state.now(),
        )
        .await?
    {
        Ok(StatusCode::NO_CONTENT)
    } else {
        Err(ApiError::NotFound("no such active token"))
    }
}

/// The token behind `auth`, if it is known, matches, and is neither revoked nor expired.
/// One answer for every failure, rate-limited per token id.
async fn token_holder(state: &AppState, auth: &TokenAuth) -> Result<TokenRow, ApiError> {
    const REFUSED: ApiError = ApiError::Forbidden(
        "this enrollment token is unknown, revoked or expired; ask an admin for a new one",
    );
    let id = parse_uuid(&auth.token_id, "token_id")?;
    let store = state.store();
    let now = state.now();
    let failures = format!("escrow-token:{id}");
    // Once a token id has failed too often, nothing more is compared for it this hour, right
    // auth value or not: the limit bounds guesses, not only the answers to them.
    if store
        .rate_limit_exhausted(&failures, now, 3600, TOKEN_FAILURES_PER_HOUR)
        .await?
    {
        return Err(ApiError::RateLimited);
    }
    let row = store.escrow_token(&id).await?;
    let valid = row.as_ref().is_some_and(|t| {
        ct_eq(&sha256(&auth.auth.0), &t.auth_hash) && t.revoked_at.is_none() && t.expires_at > now
    });
    match row {
        Some(row) if valid => Ok(row),
        _ => {
            if !store
                .rate_limit_hit(&failures, now, 3600, TOKEN_FAILURES_PER_HOUR)
                .await?
            {
                return Err(ApiError::RateLimited);
            }
            Err(REFUSED)
        }
    }
}

async fn token_submit(
    State(state): State<AppState>,
    ApiJson(req): ApiJson<TokenSubmit>,
) -> Result<(StatusCode, Json<AddedDeviceKeys>), ApiError> {
    let token = token_holder(&state, &req.auth).await?;
    batch_size(req.keys.len(), MAX_TOKEN_BATCH)?;
    // A token seals to the escrow key current when it was made; after a rotation (a holder
    // removed or demoted), the retired key may be in the wrong hands.
    let roster = state.store().roster(&token.workspace_id).await?;
    let current = crate::roster_entry::escrow_version(&token.workspace_id, &roster)?;
    if token.escrow_version < i64::from(current) {
        return Err(ApiError::Forbidden(
            "this enrollment token seals to an escrow key that was rotated since it was made \
             (someone who held the old key was removed or demoted); ask an owner or admin for a \
             new token",
        ));
    }
    // A leaked token must not fill the workspace: submissions per hour and keys per token are
    // bounded (a device submits a handful of keys, a rollout script a few thousand).
    if !state
        .store()
        .rate_limit_hit(
            &format!("escrow-submit:{}", token.id),
            state.now(),
            3600,
            TOKEN_SUBMISSIONS_PER_HOUR,
        )
        .await?
    {
        return Err(ApiError::RateLimited);
    }
    if token.submissions + req.keys.len() as i64 > MAX_KEYS_PER_TOKEN {
        return Err(ApiError::Forbidden(
            "this enrollment token has stored as many keys as one token may; create another",
        ));
    }
    let rows = req
        .keys
        .into_iter()
        .map(|k| {
            Ok(NewDeviceKeyRow {
                id: parse_uuid(&k.id, "key id")?,
                header: part(k.header, "header")?,
                secret: part(k.secret, "secret")?,
                tags: None,
                resubmission: Some(tag(&k.resubmission, "resubmission")?),
                replaces: None,
            })
        })
        .collect::<Result<Vec<_>, ApiError>>()?;
    store_keys(
        &state,
        &token.workspace_id,
        &format!("token:{}", token.id),
        EventKind::DeviceKeysSubmitted,
        &rows,
        Some(&token.id),
    )
    .await
}

/// Stores a batch of keys (all or none) with its audit event.
async fn store_keys(
    state: &AppState,
    workspace_id: &str,
    actor: &str,
    kind: EventKind,
    rows: &[NewDeviceKeyRow],
    token_id: Option<&str>,
) -> Result<(StatusCode, Json<AddedDeviceKeys>), ApiError> {
    // Checked before the batch, so concurrent batches may pass the quota by at most one
    // batch each; it bounds growth, it is not an exact count.
    let max = i64::from(state.config().max_devices_per_workspace);
    let held = state.store().device_key_count(workspace_id).await?;
    if held + rows.len() as i64 > max {
        return Err(ApiError::QuotaExceeded(format!(
            "this workspace holds {held} device records and may hold {max} \
             (max_devices_per_workspace); delete old ones first"
        )));
    }
    let (added, already_present) = state
        .store()
        .add_device_keys(workspace_id, actor, kind, rows, token_id, state.now())
        .await
        .map_err(|e| match e {
            crate::store::StoreError::Conflict => {
                ApiError::Conflict("a key with this record id already exists")
            }
            e => e.into(),
        })?;
    Ok((
        StatusCode::CREATED,
        Json(AddedDeviceKeys {
            added,
            already_present,
        }),
    ))
}
