//! The sweeper: every ten minutes, deletes what has expired (codes, tokens, pending sign-ins,
//! ended sessions, stale invitations, old throttle rows), so no table grows without bound.

use std::time::Duration;

use crate::app::{AppState, SESSION_ABSOLUTE_SECS, SESSION_IDLE_SECS};
use crate::store::{INVITATION_SECS, Lifetimes, Swept};

/// How often the sweeper runs.
pub const INTERVAL: Duration = Duration::from_secs(600);

/// The lifetimes the sweeper deletes by.
pub const LIFETIMES: Lifetimes = Lifetimes {
    session_idle: SESSION_IDLE_SECS,
    session_absolute: SESSION_ABSOLUTE_SECS,
    invitation: INVITATION_SECS,
    // The longest fixed window (`limit` keys of a day).
    rate_window: 86_400,
    throttle: 86_400,
    known_address: 90 * 86_400,
};

/// One pass.
pub async fn run_once(state: &AppState) -> anyhow::Result<Swept> {
    Ok(state.store().sweep(state.now(), LIFETIMES).await?)
}

/// Runs [`run_once`] now and then every [`INTERVAL`], until the task is dropped.
pub async fn run(state: AppState) {
    let mut interval = tokio::time::interval(INTERVAL);
    loop {
        interval.tick().await;
        match run_once(&state).await {
            Ok(swept) if swept.total() == 0 => {}
            Ok(swept) => tracing::info!(deleted = ?swept.0, "swept expired rows"),
            Err(e) => tracing::error!(error = format!("{e:#}"), "sweep failed"),
        }
    }
}
