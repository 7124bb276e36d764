//! Mail delivery from the outbox table (`store::outbox`): a message is written in the
//! transaction of the change it reports and sent here afterwards, so no request waits for,
//! or holds a database lock during, a conversation with the relay.
//!
//! Every node runs [`run`]. A message is claimed by one node for [`LEASE_SECS`] with a guarded
//! `UPDATE` before it is sent, and deleted once the relay accepted it. A failed delivery is
//! retried with exponential backoff (5 s, 10 s, … capped at an hour). A node that dies between
//! the relay's acceptance and the delete leaves a message another node sends again once the
//! lease ran out: delivery is at least once, and twice only after such a crash.

use std::time::Duration;

use crate::app::AppState;
use crate::mail::{Email, Mailer};
use crate::store::{Store, StoreError};

/// How long a claim lasts: longer than [`SEND_TIMEOUT`], so a live node's claim never lapses
/// while it is sending.
pub const LEASE_SECS: i64 = 120;
/// How long one delivery may take before it counts as failed.
pub const SEND_TIMEOUT: Duration = Duration::from_secs(30);
/// How often a node looks for due messages when nothing woke it (other nodes' messages,
/// retries).
pub const POLL: Duration = Duration::from_secs(2);
/// Messages claimed per pass.
const BATCH: i64 = 20;

/// The delay before retry number `attempts` (1-based): 5 s doubling, at most an hour.
pub fn backoff_secs(attempts: i64) -> i64 {
    let exponent = u32::try_from(attempts.clamp(1, 20) - 1).unwrap_or(19);
    (5_i64 << exponent).min(3600)
}

/// What one pass did.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Pass {
    /// Accepted by the relay (or written to the outbox folder).
    pub delivered: usize,
    /// Failed; left for a retry.
    pub failed: usize,
}

/// Claims what is due for `node` and delivers it, giving each message `timeout` (the server
/// uses [`SEND_TIMEOUT`]).
pub async fn deliver_due(
    store: &Store,
    mailer: &Mailer,
    node: &str,
    now: i64,
    timeout: Duration,
) -> Result<Pass, StoreError> {
    let mut pass = Pass::default();
    for queued in store.claim_mail(node, now, LEASE_SECS, BATCH).await? {
        let sent = tokio::time::timeout(timeout, mailer.send(&queued.email)).await;
        let error = match sent {
            Ok(Ok(())) => {
                store.mail_delivered(&queued.id, node).await?;
                pass.delivered += 1;
                continue;
            }
            Ok(Err(e)) => e.to_string(),
            Err(_) => format!("no answer within {} ms", timeout.as_millis()),
        };
        let attempts = queued.attempts + 1;
        let retry = backoff_secs(attempts);
        tracing::warn!(
            to = %queued.email.to,
            subject = %queued.email.subject,
            attempts,
            retry_in_secs = retry,
            error = %error,
            "mail not delivered; will retry"
        );
        store
            .mail_failed(&queued.id, node, &error, now + retry)
            .await?;
        pass.failed += 1;
    }
    Ok(pass)
}

/// Delivers outbox mail until the task is dropped: on every [`AppState::queue_mail`] of this
/// node and every [`POLL`].
pub async fn run(state: AppState) {
    loop {
        let store = state.store();
        match deliver_due(
            store,
            state.mailer(),
            state.node_id(),
            state.now(),
            SEND_TIMEOUT,
        )
        .await
        {
            Ok(Pass { delivered: 0, .. }) => {}
            Ok(pass) => {
                tracing::debug!(
                    delivered = pass.delivered,
                    failed = pass.failed,
                    "outbox pass"
                );
                // More may be waiting beyond this batch.
                if pass.failed == 0 {
                    continue;
                }
            }
            Err(e) => tracing::error!(error = %e, "outbox pass failed"),
        }
        let _ = tokio::time::timeout(POLL, state.mail_queued()).await;
    }
}

/// For callers that queue a notice after their change committed: a failure to queue is
/// logged, not answered (the change happened; an error would say it did not).
pub async fn queue_notice(state: &AppState, email: Email, what: &'static str) {
    if let Err(e) = state.queue_mail(email).await {
        tracing::error!(error = %e, what, "cannot queue a notice");
    }
}
