//! Expiry reminders for temporary recovery keys, claimed atomically so that each goes out once
//! even with several server nodes.

use sqlx::Row;

use super::{Store, StoreError};

/// A reminder to send.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DueReminder {
    /// Workspace id.
    pub workspace_id: String,
    /// Workspace name.
    pub name: String,
    /// The temporary key's id.
    pub key_id: String,
    /// Unix seconds.
    pub expires_at: i64,
    /// 7 or 1.
    pub days_before: i64,
}

impl Store {
    /// Temporary keys that expire within `days_before` days from `now` (and have not expired)
    /// whose reminder for that step has not been claimed yet.
    pub async fn due_reminders(
        &self,
        now: i64,
        days_before: i64,
    ) -> Result<Vec<DueReminder>, StoreError> {
        let rows = sqlx::query(
            "SELECT r.workspace_id, w.name, r.key_id, r.expires_at FROM recovery_keys r
             JOIN workspaces w ON w.id = r.workspace_id
             WHERE r.kind = 'temporary' AND r.expires_at > $1 AND r.expires_at <= $1 + $2 * 86400
               AND NOT EXISTS (SELECT 1 FROM recovery_reminders m
                               WHERE m.workspace_id = r.workspace_id AND m.key_id = r.key_id
                                 AND m.days_before = $2)
             ORDER BY r.expires_at",
        )
        .bind(now)
        .bind(days_before)
        .fetch_all(self.pool())
        .await?;
        rows.iter()
            .map(|r| {
                Ok(DueReminder {
                    workspace_id: r.try_get(0)?,
                    name: r.try_get(1)?,
                    key_id: r.try_get(2)?,
                    expires_at: r.try_get(3)?,
                    days_before,
                })
            })
            .collect()
    }

    /// Claims a reminder: `true` for exactly one caller, whichever node it runs on.
    pub async fn claim_reminder(&self, due: &DueReminder, now: i64) -> Result<bool, StoreError> {
        let done = sqlx::query(
            "INSERT INTO recovery_reminders (workspace_id, key_id, days_before, sent_at)
             VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING",
        )
        .bind(&due.workspace_id)
        .bind(&due.key_id)
        .bind(due.days_before)
        .bind(now)
        .execute(self.pool())
        .await?;
        Ok(done.rows_affected() == 1)
    }

    /// Workspaces whose temporary recovery key has expired but still has a verifier.
    pub async fn expired_recovery_workspaces(&self, now: i64) -> Result<Vec<String>, StoreError> {
        let rows = sqlx::query(
            "SELECT workspace_id FROM recovery_keys
             WHERE expires_at IS NOT NULL AND expires_at <= $1",
        )
        .bind(now)
        .fetch_all(self.pool())
        .await?;
        rows.iter().map(|r| Ok(r.try_get(0)?)).collect()
    }
}
