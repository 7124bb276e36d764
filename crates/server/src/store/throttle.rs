//! Backoff counters ([`crate::throttle`] holds the policies) and the addresses an account
//! signed in from.

use sqlx::Row as _;

use super::{Store, StoreError};

/// How one kind of attempt backs off.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Backoff {
    /// Attempts allowed without any wait.
    pub free: i64,
    /// The wait after the first attempt past the allowance, in seconds; each further attempt
    /// doubles it.
    pub first_wait: i64,
    /// The longest wait, in seconds: the backoff never becomes a lock.
    pub longest_wait: i64,
    /// A key untouched this long (seconds) starts again from zero.
    pub forget_after: i64,
}

impl Backoff {
    /// The wait that follows attempt number `attempts` (1-based).
    pub fn wait_after(&self, attempts: i64) -> i64 {
        if attempts < self.free {
            return 0;
        }
        let doublings = u32::try_from(attempts - self.free)
            .unwrap_or(u32::MAX)
            .min(30);
        self.first_wait
            .saturating_mul(1_i64 << doublings)
            .min(self.longest_wait)
    }
}

/// Compare-and-set rounds before a contended key answers "wait": losing every round means
/// many attempts arrive at once, which is what the backoff is for.
const ROUNDS: usize = 8;

impl Store {
    /// Counts one attempt on `key` under `policy`: `Ok(())` if it may go ahead, or the seconds
    /// to wait. A refused attempt is not counted. Each count is a compare-and-set on the row,
    /// so concurrent attempts on every node are counted one by one.
    pub async fn throttle_attempt(
        &self,
        key: &str,
        now: i64,
        policy: Backoff,
    ) -> Result<Result<(), i64>, StoreError> {
        sqlx::query(
            "INSERT INTO throttles (key, attempts, last_at, blocked_until) VALUES ($1, 0, $2, 0)
             ON CONFLICT (key) DO NOTHING",
        )
        .bind(key)
        .bind(now)
        .execute(&self.pool)
        .await?;
        for _ in 0..ROUNDS {
            let row = sqlx::query(
                "SELECT attempts, last_at, blocked_until FROM throttles WHERE key = $1",
            )
            .bind(key)
            .fetch_optional(&self.pool)
            .await?;
            // Swept between the two statements: nothing counted yet, so this is attempt 1.
            let (attempts, last_at, blocked_until) = match row {
                Some(row) => (
                    row.try_get::<i64, _>(0)?,
                    row.try_get::<i64, _>(1)?,
                    row.try_get::<i64, _>(2)?,
                ),
                None => return Ok(Ok(())),
            };
            let forgotten = now - last_at >= policy.forget_after;
            if blocked_until > now && !forgotten {
                return Ok(Err(blocked_until - now));
            }
            let counted = if forgotten { 1 } else { attempts + 1 };
            let until = now + policy.wait_after(counted);
            let updated = sqlx::query(
                "UPDATE throttles SET attempts = $2, last_at = $3, blocked_until = $4
                 WHERE key = $1 AND attempts = $5 AND last_at = $6 AND blocked_until = $7",
            )
            .bind(key)
            .bind(counted)
            .bind(now)
            .bind(until)
            .bind(attempts)
            .bind(last_at)
            .bind(blocked_until)
            .execute(&self.pool)
            .await?
            .rows_affected();
            if updated == 1 {
                return Ok(Ok(()));
            }
        }
        Ok(Err(policy.first_wait.max(1)))
    }

    /// Forgets the attempts on `key` (after a success).
    pub async fn throttle_clear(&self, key: &str) -> Result<(), StoreError> {
        sqlx::query("DELETE FROM throttles WHERE key = $1")
            .bind(key)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// Records that `email` signed in from `address` at `now`.
    pub async fn remember_address(
        &self,
        email: &str,
        address: &str,
        now: i64,
    ) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO known_addresses (email, address, last_at) VALUES ($1, $2, $3)
             ON CONFLICT (email, address) DO UPDATE SET last_at = $3",
        )
        .bind(email)
        .bind(address)
        .bind(now)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// Whether `email` signed in from `address` at `since` or later.
    pub async fn address_known(
        &self,
        email: &str,
        address: &str,
        since: i64,
    ) -> Result<bool, StoreError> {
        let row = sqlx::query(
            "SELECT 1 FROM known_addresses WHERE email = $1 AND address = $2 AND last_at >= $3",
        )
        .bind(email)
        .bind(address)
        .bind(since)
        .fetch_optional(&self.pool)
        .await?;
        Ok(row.is_some())
    }
}

#[cfg(test)]
mod tests {
    use super::Backoff;

    #[test]
    fn the_wait_doubles_after_the_allowance_and_stops_at_the_cap() {
        let policy = Backoff {
            free: 3,
            first_wait: 2,
            longest_wait: 60,
            forget_after: 3600,
        };
        let waits: Vec<i64> = (1..=10).map(|n| policy.wait_after(n)).collect();
        assert_eq!(waits, [0, 0, 2, 4, 8, 16, 32, 60, 60, 60]);
        assert_eq!(policy.wait_after(i64::MAX), 60);
    }
}
