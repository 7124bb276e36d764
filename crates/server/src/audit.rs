//! The audit endpoints: a workspace's chain (owners and admins) and the caller's own account
//! chain. The server only returns what it stored; clients verify the hashes and links
//! themselves (`keyhaven audit verify`).

use axum::extract::{Path, State};
use keyhaven_proto::{AuditEvent, Bytes};

use crate::access::{self, Action};
use crate::app::{ApiQuery, AppState, Routes, Session};
use crate::error::ApiError;
use crate::page::{self, PageQuery, Paged};
use crate::store::{self, account_chain, workspace_chain};

/// The audit endpoints.
pub fn routes() -> Routes {
    Routes::new()
        .get("/v1/workspaces/{id}/audit", workspace_log)
        .get("/v1/account/audit", account_log)
}

/// Most events in one page.
pub const EVENTS_PER_PAGE: u32 = 1_000;

async fn workspace_log(
    State(state): State<AppState>,
    session: Session,
    Path(id): Path<String>,
    ApiQuery(q): ApiQuery<PageQuery>,
) -> Result<Paged<Vec<AuditEvent>>, ApiError> {
    let m = access::require(&state, &session, &id, Action::ReadAudit).await?;
    log_page(&state, &workspace_chain(&m.workspace_id), q).await
}

async fn account_log(
    State(state): State<AppState>,
    session: Session,
    ApiQuery(q): ApiQuery<PageQuery>,
) -> Result<Paged<Vec<AuditEvent>>, ApiError> {
    log_page(&state, &account_chain(&session.account_id), q).await
}

/// One page of `chain`; the cursor is the position of the page's last event.
async fn log_page(
    state: &AppState,
    chain: &str,
    q: PageQuery,
) -> Result<Paged<Vec<AuditEvent>>, ApiError> {
    let limit = page::limit(q.limit, EVENTS_PER_PAGE)?;
    let after = match q.after.as_deref() {
        None => -1,
        Some(after) => after
            .parse::<u32>()
            .map(i64::from)
            .map_err(|_| ApiError::BadRequest("after must be an event position".into()))?,
    };
    let (events, more) = state.store().audit_events_page(chain, after, limit).await?;
    let next = more
        .then(|| events.last().map(|e| e.seq.to_string()))
        .flatten();
    Ok(Paged(events.into_iter().map(view).collect(), next))
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
