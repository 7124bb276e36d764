//! The reminder loop: emails every owner 7 days and 1 day before a temporary recovery key
//! expires, and deletes the verifier and shares of keys that have expired (also done lazily
//! whenever a workspace is read, so an expired key never opens anything in between).

use std::time::Duration;

use crate::app::AppState;
use crate::mail::Email;

/// How often the loop looks (reminders are day-grained; an hour is plenty).
pub const INTERVAL: Duration = Duration::from_secs(3600);

/// One pass: sends what is due, once each. Returns how many reminders went out.
pub async fn run_once(state: &AppState) -> anyhow::Result<usize> {
    let now = state.now();
    for workspace in state.store().expired_recovery_workspaces(now).await? {
        state.store().expire_recovery(&workspace, now).await?;
    }
    let mut sent = 0;
    // 1-day first: a key found late (server was down) gets the more urgent reminder only.
    for days in [1, 7] {
        for due in state.store().due_reminders(now, days).await? {
            if !state.store().claim_reminder(&due, now).await? {
                continue;
            }
            // Claiming the 1-day reminder also settles the 7-day one.
            if days == 1 {
                let seven = crate::store::DueReminder {
                    days_before: 7,
                    ..due.clone()
                };
                state.store().claim_reminder(&seven, now).await?;
            }
            let date = format_date(due.expires_at);
            for to in state.store().owner_emails(&due.workspace_id).await? {
                let email = Email {
                    to,
                    subject: format!(
                        "Keyhaven: the temporary recovery key of {} expires on {date}",
                        due.name
                    ),
                    text: format!(
                        "The temporary recovery key (ID {}) of \"{}\" on {} expires on {date}.\n\
                         After that, nobody can use it to recover the workspace. Generate a \
                         permanent key now:\n\n    keyhaven recovery-key generate --workspace {}\n",
                        due.key_id,
                        due.name,
                        state.config().public_url,
                        due.workspace_id
                    ),
                };
                crate::outbox::queue_notice(state, email, "recovery-key reminder").await;
            }
            sent += 1;
        }
    }
    Ok(sent)
}

/// Runs [`run_once`] now and then every [`INTERVAL`], logging failures, until the task is
/// dropped.
pub async fn run(state: AppState) {
    let mut interval = tokio::time::interval(INTERVAL);
    loop {
        interval.tick().await;
        match run_once(&state).await {
            Ok(0) => {}
            Ok(n) => tracing::info!(reminders = n, "sent recovery-key reminders"),
            Err(e) => tracing::error!(error = format!("{e:#}"), "reminder pass failed"),
        }
    }
}

fn format_date(unix: i64) -> String {
    let days = unix.div_euclid(86_400);
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1_460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!("{year:04}-{month:02}-{day:02}")
}
