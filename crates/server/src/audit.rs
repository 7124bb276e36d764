//! The audit endpoints: a workspace's chain (owners and admins) and the caller's own account
//! chain. The server only returns what it stored; clients verify the hashes and links
//! themselves (`keyhaven audit verify`).

use axum::Json;
use axum::Router;
use axum::extract::{Path, State};
use axum::routing::get;
use keyhaven_proto::{AuditEvent, Bytes};

use crate::access::{self, Action};
use crate::app::{AppState, Session};
use crate::error::ApiError;
use crate::store::{self, account_chain, workspace_chain};

/// The audit endpoints.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/v1/workspaces/{id}/audit", get(workspace_log))
        .route("/v1/account/audit", get(account_log))
}

async fn workspace_log(
    State(state): State<AppState>,
    session: Session,
    Path(id): Path<String>,
) -> Result<Json<Vec<AuditEvent>>, ApiError> {
    let m = access::require(&state, &session, &id, Action::ReadAudit).await?;
    let events = state
        .store()
        .audit_events(&workspace_chain(&m.workspace_id))
        .await?;
    Ok(Json(events.into_iter().map(view).collect()))
}

async fn account_log(
    State(state): State<AppState>,
    session: Session,
) -> Result<Json<Vec<AuditEvent>>, ApiError> {
    let events = state
        .store()
        .audit_events(&account_chain(&session.account_id))
        .await?;
    Ok(Json(events.into_iter().map(view).collect()))
}

fn view(e: store::AuditEvent) -> AuditEvent {
    AuditEvent {
        chain: e.chain,
        // Positions are counted up from 0 by the store.
        seq: u64::try_from(e.seq).unwrap_or(0),
        at: e.at,
        actor: e.actor,
        kind: e.kind,
        details: e.details,
        prev_hash: Bytes(e.prev_hash),
        hash: Bytes(e.hash),
    }
}
