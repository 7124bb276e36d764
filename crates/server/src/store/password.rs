//! Forgot password: emailed access codes, the reset tokens they are traded for, and the one
//! transaction that replaces an account's password and keys.
//!
//! Same rules as the rest of the store: static SQL with `$1` placeholders for both databases,
//! and every "use once" is a single guarded `DELETE … RETURNING`, so of concurrent right
//! submissions exactly one wins.

use sqlx::Row;

use super::audit::{self, EventKind, account_actor, account_chain, workspace_chain};
use super::{CodeCheck, CodeTable, Store, StoreError};

/// What a password reset writes over the account: a new OPAQUE registration and new key pairs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewCredentials {
    /// OPAQUE password file of the new password.
    pub password_file: Vec<u8>,
    /// Argon2id memory cost, KiB.
    pub ksf_memory_kib: i64,
    /// Argon2id passes.
    pub ksf_iterations: i64,
    /// Argon2id lanes.
    pub ksf_parallelism: i64,
    /// The new X25519 || Ed25519 public keys (64 bytes).
    pub public_keys: Vec<u8>,
    /// The new private keys, wrapped under the new export key and the same account id.
    pub wrapped_keys: Vec<u8>,
}

/// What [`Store::reset_password`] did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PasswordReset {
    /// The account whose password and keys were replaced (its id does not change).
    pub account_id: String,
    /// Its email, for the notice.
    pub email: String,
    /// How many sessions were revoked.
    pub sessions_revoked: u64,
}

impl Store {
    /// Stores a new reset code for `email`, replacing any earlier one (only the newest code is
    /// valid) with a fresh count of tries.
    pub async fn put_reset_code(
        &self,
        email: &str,
        code_hash: &[u8],
        expires_at: i64,
    ) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO reset_codes (email, code_hash, expires_at, attempts) VALUES ($1, $2, $3, 0)
             ON CONFLICT (email) DO UPDATE SET code_hash = $2, expires_at = $3, attempts = 0",
        )
        .bind(email)
        .bind(code_hash)
        .bind(expires_at)
        .execute(self.pool())
        .await?;
        Ok(())
    }

    /// Checks a reset code: consumes it when right; counts a wrong try and voids the code
    /// after `max_attempts` wrong tries.
    pub async fn check_reset_code(
        &self,
        email: &str,
        code_hash: &[u8],
        now: i64,
        max_attempts: i64,
    ) -> Result<CodeCheck, StoreError> {
        self.check_code(CodeTable::Reset, email, code_hash, now, max_attempts)
            .await
    }

    /// Records a reset token (its SHA-256) that lets the holder replace `account_id`'s password
    /// and keys, once, until `expires_at`.
    pub async fn put_reset_token(
        &self,
        token_hash: &[u8],
        account_id: &str,
        expires_at: i64,
    ) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO reset_tokens (token_hash, account_id, expires_at) VALUES ($1, $2, $3)",
        )
        .bind(token_hash)
        .bind(account_id)
        .bind(expires_at)
        .execute(self.pool())
        .await?;
        Ok(())
    }

    /// The account a live reset token was issued for (the token is not consumed).
    pub async fn reset_token_account(
        &self,
        token_hash: &[u8],
        now: i64,
    ) -> Result<Option<String>, StoreError> {
        let row = sqlx::query(
            "SELECT account_id FROM reset_tokens WHERE token_hash = $1 AND expires_at > $2",
        )
        .bind(token_hash)
        .bind(now)
        .fetch_optional(self.pool())
        .await?;
        Ok(row.map(|r| r.try_get::<String, _>(0)).transpose()?)
    }

    /// Consumes a live reset token and, in the same transaction, replaces the account's
    /// password file, Argon2id parameters, public keys and wrapped keys, and revokes every
    /// session of the account. Returns `Ok(None)` (and changes nothing) if the token is
    /// unknown, used or expired.
    ///
    /// The same transaction records `password-reset` on the account's audit chain and
    /// `member-password-reset` on the chain of every workspace the account is in.
    ///
    /// Also dropped in the transaction, because each would outlive the old password: logins
    /// started before the reset (their OPAQUE state was made from the old password file, so
    /// they could still finish with the old password), the account's other reset tokens, and
    /// any reset code still pending for its email.
    pub async fn reset_password(
        &self,
        token_hash: &[u8],
        now: i64,
        new: &NewCredentials,
    ) -> Result<Option<PasswordReset>, StoreError> {
        audit::retrying(|| async {
            let mut tx = self.begin().await?;
            // The single-use guard: one DELETE … RETURNING, so of concurrent submissions of the
            // same token exactly one gets the row back; the others change nothing.
            let taken = sqlx::query(
                "DELETE FROM reset_tokens WHERE token_hash = $1 AND expires_at > $2
                 RETURNING account_id",
            )
            .bind(token_hash)
            .bind(now)
            .fetch_optional(&mut *tx)
            .await?;
            let Some(taken) = taken else {
                return Ok(None);
            };
            let account_id: String = taken.try_get(0)?;
            let updated = sqlx::query(
                "UPDATE accounts SET password_file = $2, ksf_memory_kib = $3, ksf_iterations = $4,
                                     ksf_parallelism = $5, public_keys = $6, wrapped_keys = $7
                 WHERE id = $1
                 RETURNING email",
            )
            .bind(&account_id)
            .bind(&new.password_file)
            .bind(new.ksf_memory_kib)
            .bind(new.ksf_iterations)
            .bind(new.ksf_parallelism)
            .bind(&new.public_keys)
            .bind(&new.wrapped_keys)
            .fetch_optional(&mut *tx)
            .await?;
            let Some(updated) = updated else {
                // The token cascades away with its account, so this is unreachable in practice;
                // treat it as a used token rather than trust it.
                return Ok(None);
            };
            let email: String = updated.try_get(0)?;
            let revoked = sqlx::query("DELETE FROM sessions WHERE account_id = $1")
                .bind(&account_id)
                .execute(&mut *tx)
                .await?;
            sqlx::query("DELETE FROM pending_logins WHERE email = $1")
                .bind(&email)
                .execute(&mut *tx)
                .await?;
            sqlx::query("DELETE FROM reset_tokens WHERE account_id = $1")
                .bind(&account_id)
                .execute(&mut *tx)
                .await?;
            sqlx::query("DELETE FROM reset_codes WHERE email = $1")
                .bind(&email)
                .execute(&mut *tx)
                .await?;
            // The new keys are not in any roster yet: every workspace must relink this account
            // (owners with the recovery key, members through an owner). Same transaction, so a
            // reset never leaves a membership looking linked to keys it no longer has.
            sqlx::query("UPDATE memberships SET needs_relink = 1 WHERE account_id = $1")
                .bind(&account_id)
                .execute(&mut *tx)
                .await?;
            let sessions_revoked = revoked.rows_affected();
            // The audit events, in the same transaction: the account's own, then one on each of
            // its workspaces' chains (in id order, so two resets never wait on each other's
            // appends in opposite orders).
            let workspaces: Vec<String> = sqlx::query(
                "SELECT workspace_id FROM memberships WHERE account_id = $1 ORDER BY workspace_id",
            )
            .bind(&account_id)
            .fetch_all(&mut *tx)
            .await?
            .iter()
            .map(|r| r.try_get(0))
            .collect::<Result<_, _>>()?;
            let actor = account_actor(&account_id);
            audit::append(
                &mut tx,
                &account_chain(&account_id),
                &actor,
                EventKind::PasswordReset,
                &serde_json::json!({
                    "sessions_revoked": sessions_revoked,
                    "workspaces_to_relink": workspaces.len(),
                }),
                now,
            )
            .await?;
            for workspace_id in &workspaces {
                audit::append(
                    &mut tx,
                    &workspace_chain(workspace_id),
                    &actor,
                    EventKind::MemberPasswordReset,
                    &serde_json::json!({ "account": account_id }),
                    now,
                )
                .await?;
            }
            tx.commit().await?;
            Ok(Some(PasswordReset {
                account_id,
                email,
                sessions_revoked,
            }))
        })
        .await
    }
}

impl Store {
    /// Replaces the password (OPAQUE file, KSF parameters, re-wrapped keys) of an account that
    /// keeps its key pairs, signs out every other session and records `password-changed`; one
    /// transaction.
    pub async fn change_password(
        &self,
        account_id: &str,
        keep_session: &[u8],
        password_file: &[u8],
        ksf: (i64, i64, i64),
        wrapped_keys: &[u8],
        now: i64,
    ) -> Result<u64, StoreError> {
        audit::retrying(|| async {
            let mut tx = self.begin().await?;
            sqlx::query(
                "UPDATE accounts SET password_file = $2, ksf_memory_kib = $3, ksf_iterations = $4,
                                     ksf_parallelism = $5, wrapped_keys = $6
                 WHERE id = $1",
            )
            .bind(account_id)
            .bind(password_file)
            .bind(ksf.0)
            .bind(ksf.1)
            .bind(ksf.2)
            .bind(wrapped_keys)
            .execute(&mut *tx)
            .await?;
            let revoked =
                sqlx::query("DELETE FROM sessions WHERE account_id = $1 AND token_hash <> $2")
                    .bind(account_id)
                    .bind(keep_session)
                    .execute(&mut *tx)
                    .await?
                    .rows_affected();
            audit::append(
                &mut tx,
                &account_chain(account_id),
                &account_actor(account_id),
                EventKind::PasswordChanged,
                &serde_json::json!({ "sessions_revoked": revoked }),
                now,
            )
            .await?;
            tx.commit().await?;
            Ok(revoked)
        })
        .await
    }
}
