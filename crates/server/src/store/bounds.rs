//! Bounded growth: deleting what has expired, and the counts quotas check.

use super::{Store, StoreError};

/// How long each kind of row lives; [`Store::sweep`] deletes rows older than this.
#[derive(Debug, Clone, Copy)]
pub struct Lifetimes {
    /// Sessions end this long after their last request.
    pub session_idle: i64,
    /// Sessions end this long after sign-in.
    pub session_absolute: i64,
    /// Invitations not turned into a membership within this long.
    pub invitation: i64,
    /// The longest window of a fixed-window rate limit.
    pub rate_window: i64,
    /// The longest `forget_after` of a throttle (longer than any wait it imposes).
    pub throttle: i64,
    /// How long a sign-in address stays known.
    pub known_address: i64,
}

/// The rows one [`Store::sweep`] deleted, by table.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Swept(pub Vec<(&'static str, u64)>);

impl Swept {
    /// Rows deleted in all.
    pub fn total(&self) -> u64 {
        self.0.iter().map(|(_, n)| n).sum()
    }
}

impl Store {
    /// Deletes expired signup and reset codes and tokens, pending sign-ins, ended sessions,
    /// stale invitations, and rate-limit, throttle and known-address rows past their use.
    /// Every statement is idempotent, so nodes sweeping at once do no harm.
    pub async fn sweep(&self, now: i64, life: Lifetimes) -> Result<Swept, StoreError> {
        let statements: [(&'static str, &'static str, i64); 11] = [
            (
                "signup_codes",
                "DELETE FROM signup_codes WHERE expires_at <= $1",
                now,
            ),
            (
                "signup_tokens",
                "DELETE FROM signup_tokens WHERE expires_at <= $1",
                now,
            ),
            (
                "pending_logins",
                "DELETE FROM pending_logins WHERE expires_at <= $1",
                now,
            ),
            (
                "reset_codes",
                "DELETE FROM reset_codes WHERE expires_at <= $1",
                now,
            ),
            (
                "reset_tokens",
                "DELETE FROM reset_tokens WHERE expires_at <= $1",
                now,
            ),
            (
                "sessions",
                "DELETE FROM sessions WHERE last_seen_at <= $1",
                now - life.session_idle,
            ),
            (
                "sessions",
                "DELETE FROM sessions WHERE created_at <= $1",
                now - life.session_absolute,
            ),
            (
                "invitations",
                "DELETE FROM invitations WHERE created_at <= $1",
                now - life.invitation,
            ),
            (
                "rate_limits",
                "DELETE FROM rate_limits WHERE window_start <= $1",
                now - life.rate_window,
            ),
            (
                "throttles",
                "DELETE FROM throttles WHERE last_at <= $1",
                now - life.throttle,
            ),
            (
                "known_addresses",
                "DELETE FROM known_addresses WHERE last_at <= $1",
                now - life.known_address,
            ),
        ];
        let mut swept = Swept::default();
        for (table, sql, before) in statements {
            let deleted = sqlx::query(sql)
                .bind(before)
                .execute(self.pool())
                .await?
                .rows_affected();
            if deleted > 0 {
                match swept.0.iter_mut().find(|(name, _)| *name == table) {
                    Some((_, n)) => *n += deleted,
                    None => swept.0.push((table, deleted)),
                }
            }
        }
        Ok(swept)
    }

    /// Accounts on this server.
    pub async fn account_count(&self) -> Result<i64, StoreError> {
        use sqlx::Row as _;
        let row = sqlx::query("SELECT COUNT(*) FROM accounts")
            .fetch_one(self.pool())
            .await?;
        Ok(row.try_get::<i64, _>(0)?)
    }

    /// Whether `email` has an invitation to some workspace made at `since` or later.
    pub async fn invited(&self, email: &str, since: i64) -> Result<bool, StoreError> {
        let row = sqlx::query("SELECT 1 FROM invitations WHERE email = $1 AND created_at >= $2")
            .bind(email)
            .bind(since)
            .fetch_optional(self.pool())
            .await?;
        Ok(row.is_some())
    }

    /// Device records (history included) of a workspace.
    pub async fn device_key_count(&self, workspace_id: &str) -> Result<i64, StoreError> {
        use sqlx::Row as _;
        let row = sqlx::query("SELECT COUNT(*) FROM device_keys WHERE workspace_id = $1")
            .bind(workspace_id)
            .fetch_one(self.pool())
            .await?;
        Ok(row.try_get::<i64, _>(0)?)
    }

    /// Workspaces `account_id` owns.
    pub async fn owned_workspace_count(&self, account_id: &str) -> Result<i64, StoreError> {
        use sqlx::Row as _;
        let row = sqlx::query(
            "SELECT COUNT(*) FROM memberships WHERE account_id = $1 AND role = 'owner'",
        )
        .bind(account_id)
        .fetch_one(self.pool())
        .await?;
        Ok(row.try_get::<i64, _>(0)?)
    }
}
