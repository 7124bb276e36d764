//! The mail outbox: messages written in a transaction, delivered afterwards by
//! [`crate::outbox`] on whichever node claims them first.

use sqlx::Row as _;

use super::{Store, StoreError};
use crate::mail::Email;

/// A message claimed for delivery by one node (`Debug` leaves the body out, as [`Email`]'s).
#[derive(Debug, Clone)]
pub struct QueuedMail {
    /// Row id.
    pub id: String,
    /// The message.
    pub email: Email,
    /// Failed deliveries so far.
    pub attempts: i64,
}

/// Writes `email` into the outbox inside `tx`: it is delivered if and only if `tx` commits.
pub(crate) async fn enqueue(
    tx: &mut sqlx::Transaction<'_, sqlx::Any>,
    email: &Email,
    now: i64,
) -> Result<(), StoreError> {
    sqlx::query(
        "INSERT INTO mail_outbox (id, recipient, subject, body, created_at, next_attempt_at)
         VALUES ($1, $2, $3, $4, $5, $5)",
    )
    .bind(queue_id())
    .bind(&email.to)
    .bind(&email.subject)
    .bind(&email.text)
    .bind(now)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// A row id that sorts in the order this node queued (nanoseconds, then a random part), so a
/// node delivers its messages in the order their changes happened.
fn queue_id() -> String {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos());
    format!("{nanos:020}-{}", uuid::Uuid::new_v4().simple())
}

impl Store {
    /// Writes `email` into the outbox on its own.
    pub async fn enqueue_mail(&self, email: &Email, now: i64) -> Result<(), StoreError> {
        let mut tx = self.begin().await?;
        enqueue(&mut tx, email, now).await?;
        tx.commit().await?;
        Ok(())
    }

    /// Claims up to `limit` messages that are due and not claimed by a live lease, for
    /// `node` until `now + lease`. Each claim is one guarded `UPDATE`, so of several nodes
    /// exactly one gets each message.
    pub async fn claim_mail(
        &self,
        node: &str,
        now: i64,
        lease: i64,
        limit: i64,
    ) -> Result<Vec<QueuedMail>, StoreError> {
        let candidates = sqlx::query(
            "SELECT id FROM mail_outbox
             WHERE next_attempt_at <= $1 AND (claimed_until IS NULL OR claimed_until <= $1)
             ORDER BY created_at, id LIMIT $2",
        )
        .bind(now)
        .bind(limit)
        .fetch_all(self.pool())
        .await?;
        let mut claimed = Vec::with_capacity(candidates.len());
        for row in candidates {
            let id: String = row.try_get(0)?;
            let won = sqlx::query(
                "UPDATE mail_outbox SET claimed_by = $2, claimed_until = $3
                 WHERE id = $1 AND next_attempt_at <= $4
                   AND (claimed_until IS NULL OR claimed_until <= $4)
                 RETURNING recipient, subject, body, attempts",
            )
            .bind(&id)
            .bind(node)
            .bind(now + lease)
            .bind(now)
            .fetch_optional(self.pool())
            .await?;
            if let Some(r) = won {
                claimed.push(QueuedMail {
                    id,
                    email: Email {
                        to: r.try_get(0)?,
                        subject: r.try_get(1)?,
                        text: r.try_get(2)?,
                    },
                    attempts: r.try_get(3)?,
                });
            }
        }
        Ok(claimed)
    }

    /// The relay accepted the message: it is deleted (its body may carry a code or a key).
    pub async fn mail_delivered(&self, id: &str, node: &str) -> Result<(), StoreError> {
        sqlx::query("DELETE FROM mail_outbox WHERE id = $1 AND claimed_by = $2")
            .bind(id)
            .bind(node)
            .execute(self.pool())
            .await?;
        Ok(())
    }

    /// Delivery failed: released, to be tried again at `retry_at`. `error` must not carry
    /// the body (mail errors never do).
    pub async fn mail_failed(
        &self,
        id: &str,
        node: &str,
        error: &str,
        retry_at: i64,
    ) -> Result<(), StoreError> {
        sqlx::query(
            "UPDATE mail_outbox SET attempts = attempts + 1, next_attempt_at = $3,
                 claimed_by = NULL, claimed_until = NULL, last_error = $4
             WHERE id = $1 AND claimed_by = $2",
        )
        .bind(id)
        .bind(node)
        .bind(retry_at)
        .bind(error)
        .execute(self.pool())
        .await?;
        Ok(())
    }

    /// Messages not yet delivered (claimed or not).
    pub async fn outbox_len(&self) -> Result<i64, StoreError> {
        let row = sqlx::query("SELECT COUNT(*) FROM mail_outbox")
            .fetch_one(self.pool())
            .await?;
        Ok(row.try_get(0)?)
    }
}
