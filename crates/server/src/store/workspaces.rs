//! Workspaces, roster entries, memberships, key shares, recovery verifiers and items.

use sqlx::Row;

use super::audit::{self, EventKind, SERVER_ACTOR, account_actor, workspace_chain};
use super::members::{Append, append};
use super::{Store, StoreError};
use crate::mail::Email;

/// A workspace to create, with everything that must exist from the first moment.
#[derive(Debug)]
pub struct NewWorkspace<'a> {
    /// UUID.
    pub id: &'a str,
    /// Display name.
    pub name: &'a str,
    /// The creating account (becomes owner).
    pub owner: &'a str,
    /// Signed roster entries, from genesis.
    pub roster: &'a [Vec<u8>],
    /// Shares: (recipient, key kind, version, bytes).
    pub shares: &'a [ShareRow],
    /// The recovery verifier.
    pub recovery: &'a RecoveryRow,
    /// Unix seconds.
    pub now: i64,
}

/// A stored key share.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ShareRow {
    /// `account:<uuid>` or `recovery:<uuid>`.
    pub recipient: String,
    /// `workspace` or `escrow`.
    pub key_kind: String,
    /// Version.
    pub key_version: i64,
    /// Signed sealed share.
    pub share: Vec<u8>,
}

/// The recovery key's server-side record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecoveryRow {
    /// Upper-case UUID.
    pub key_id: String,
    /// `temporary` or `permanent`.
    pub kind: String,
    /// Unix seconds, temporary keys only.
    pub expires_at: Option<i64>,
    /// SHA-256(proof).
    pub proof_hash: Vec<u8>,
    /// Unix seconds.
    pub created_at: i64,
    /// Unix seconds.
    pub last_validated_at: i64,
}

/// A membership as the server mirrors it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MembershipRow {
    /// Workspace UUID.
    pub workspace_id: String,
    /// Workspace name.
    pub name: String,
    /// Role name.
    pub role: String,
    /// Needs relinking after a password reset.
    pub needs_relink: bool,
}

/// A stored item.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ItemRow {
    /// UUID.
    pub id: String,
    /// Revision.
    pub revision: i64,
    /// Sealed item.
    pub sealed: Vec<u8>,
}

/// The outcome of storing an item revision.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PutOutcome {
    /// Stored.
    Stored,
    /// Someone else stored another revision first (or the revision is not the next one).
    Stale,
    /// A new item would pass the workspace's item quota; nothing was stored.
    QuotaExceeded,
}

impl Store {
    /// Creates a workspace with its roster, owner membership, shares, recovery verifier and
    /// `workspace-created` audit event and the `welcome` email in the mail outbox, all or
    /// nothing: no workspace without its welcome mail queued, no mail for a workspace that was
    /// not created. The mail is delivered after the commit ([`crate::outbox`]), so a relay that
    /// does not answer holds no database lock.
    pub async fn create_workspace(
        &self,
        w: &NewWorkspace<'_>,
        welcome: Option<&Email>,
    ) -> Result<(), StoreError> {
        let mut tx = self.begin().await?;
        sqlx::query("INSERT INTO workspaces (id, name, created_at) VALUES ($1, $2, $3)")
            .bind(w.id)
            .bind(w.name)
            .bind(w.now)
            .execute(&mut *tx)
            .await?;
        for (seq, entry) in w.roster.iter().enumerate() {
            sqlx::query(
                "INSERT INTO roster_entries (workspace_id, seq, entry) VALUES ($1, $2, $3)",
            )
            .bind(w.id)
            .bind(seq as i64)
            .bind(entry)
            .execute(&mut *tx)
            .await?;
        }
        sqlx::query(
            "INSERT INTO memberships (workspace_id, account_id, role, needs_relink)
             VALUES ($1, $2, 'owner', 0)",
        )
        .bind(w.id)
        .bind(w.owner)
        .execute(&mut *tx)
        .await?;
        for share in w.shares {
            insert_share(&mut tx, w.id, share).await?;
        }
        let r = w.recovery;
        sqlx::query(
            "INSERT INTO recovery_keys (workspace_id, key_id, kind, expires_at, proof_hash,
                                        created_at, last_validated_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7)",
        )
        .bind(w.id)
        .bind(&r.key_id)
        .bind(&r.kind)
        .bind(r.expires_at)
        .bind(&r.proof_hash)
        .bind(r.created_at)
        .bind(r.last_validated_at)
        .execute(&mut *tx)
        .await?;
        // A new chain (the workspace id is new: the insert above would have failed), so no
        // other transaction can race for its first position.
        audit::append(
            &mut tx,
            &workspace_chain(w.id),
            &account_actor(w.owner),
            EventKind::WorkspaceCreated,
            &serde_json::json!({
                "name": w.name,
                "roster_entries": w.roster.len(),
                "recovery_key_id": r.key_id,
                "recovery_key_kind": r.kind,
            }),
            w.now,
        )
        .await?;
        if let Some(welcome) = welcome {
            super::outbox::enqueue(&mut tx, welcome, w.now).await?;
        }
        tx.commit().await?;
        Ok(())
    }

    /// The caller's memberships.
    pub async fn memberships(&self, account_id: &str) -> Result<Vec<MembershipRow>, StoreError> {
        let rows = sqlx::query(
            "SELECT w.id, w.name, m.role, m.needs_relink FROM memberships m
             JOIN workspaces w ON w.id = m.workspace_id
             WHERE m.account_id = $1 ORDER BY w.name, w.id",
        )
        .bind(account_id)
        .fetch_all(self.pool())
        .await?;
        rows.iter()
            .map(|r| {
                Ok(MembershipRow {
                    workspace_id: r.try_get(0)?,
                    name: r.try_get(1)?,
                    role: r.try_get(2)?,
                    needs_relink: r.try_get::<i64, _>(3)? != 0,
                })
            })
            .collect()
    }

    /// The caller's membership in one workspace, if any.
    pub async fn membership(
        &self,
        workspace_id: &str,
        account_id: &str,
    ) -> Result<Option<MembershipRow>, StoreError> {
        Ok(self
            .memberships(account_id)
            .await?
            .into_iter()
            .find(|m| m.workspace_id == workspace_id))
    }

    /// Every roster entry, in order.
    pub async fn roster(&self, workspace_id: &str) -> Result<Vec<Vec<u8>>, StoreError> {
        let rows =
            sqlx::query("SELECT entry FROM roster_entries WHERE workspace_id = $1 ORDER BY seq")
                .bind(workspace_id)
                .fetch_all(self.pool())
                .await?;
        rows.iter().map(|r| Ok(r.try_get(0)?)).collect()
    }

    /// Shares addressed to `recipient`.
    pub async fn shares_for(
        &self,
        workspace_id: &str,
        recipient: &str,
    ) -> Result<Vec<ShareRow>, StoreError> {
        let rows = sqlx::query(
            "SELECT recipient, key_kind, key_version, share FROM key_shares
             WHERE workspace_id = $1 AND recipient = $2 ORDER BY key_kind, key_version",
        )
        .bind(workspace_id)
        .bind(recipient)
        .fetch_all(self.pool())
        .await?;
        rows.iter()
            .map(|r| {
                Ok(ShareRow {
                    recipient: r.try_get(0)?,
                    key_kind: r.try_get(1)?,
                    key_version: r.try_get(2)?,
                    share: r.try_get(3)?,
                })
            })
            .collect()
    }

    /// The current recovery verifier.
    pub async fn recovery(&self, workspace_id: &str) -> Result<Option<RecoveryRow>, StoreError> {
        let row = sqlx::query(
            "SELECT key_id, kind, expires_at, proof_hash, created_at, last_validated_at
             FROM recovery_keys WHERE workspace_id = $1",
        )
        .bind(workspace_id)
        .fetch_optional(self.pool())
        .await?;
        row.map(|r| {
            Ok(RecoveryRow {
                key_id: r.try_get(0)?,
                kind: r.try_get(1)?,
                expires_at: r.try_get(2)?,
                proof_hash: r.try_get(3)?,
                created_at: r.try_get(4)?,
                last_validated_at: r.try_get(5)?,
            })
        })
        .transpose()
    }

    /// Deletes a temporary recovery key's verifier and shares once it has expired, so the key
    /// opens nothing any more, and records `recovery-key-expired`; returns whether it did.
    pub async fn expire_recovery(&self, workspace_id: &str, now: i64) -> Result<bool, StoreError> {
        audit::retrying(|| async {
            let mut tx = self.begin().await?;
            let expired = sqlx::query(
                "DELETE FROM recovery_keys
                 WHERE workspace_id = $1 AND expires_at IS NOT NULL AND expires_at <= $2
                 RETURNING key_id",
            )
            .bind(workspace_id)
            .bind(now)
            .fetch_optional(&mut *tx)
            .await?;
            let Some(row) = expired else {
                return Ok(false);
            };
            let key_id: String = row.try_get(0)?;
            sqlx::query("DELETE FROM key_shares WHERE workspace_id = $1 AND recipient = $2")
                .bind(workspace_id)
                .bind(format!("recovery:{key_id}"))
                .execute(&mut *tx)
                .await?;
            audit::append(
                &mut tx,
                &workspace_chain(workspace_id),
                SERVER_ACTOR,
                EventKind::RecoveryKeyExpired,
                &serde_json::json!({ "key_id": key_id }),
                now,
            )
            .await?;
            tx.commit().await?;
            Ok(true)
        })
        .await
    }

    /// Appends a relink entry at `seq` and stores the caller's new shares, clearing their
    /// relink mark and recording `recovery-key-used`; all or nothing. `Ok(false)` if `seq` is
    /// not the roster's next position (someone appended first).
    #[allow(
        clippy::too_many_arguments,
        reason = "one flat call per store operation, like the others"
    )]
    pub async fn relink(
        &self,
        workspace_id: &str,
        account_id: &str,
        recovery_key_id: &str,
        seq: i64,
        entry: &[u8],
        shares: &[ShareRow],
        now: i64,
    ) -> Result<bool, StoreError> {
        audit::retrying(|| async {
            let mut tx = self.begin().await?;
            let entries = [entry.to_vec()];
            let change = Append {
                seq,
                entries: &entries,
                shares,
                by: account_id,
                now,
            };
            if !append(&mut tx, workspace_id, change).await? {
                return Ok(false);
            }
            sqlx::query(
                "UPDATE memberships SET needs_relink = 0
                 WHERE workspace_id = $1 AND account_id = $2",
            )
            .bind(workspace_id)
            .bind(account_id)
            .execute(&mut *tx)
            .await?;
            audit::append(
                &mut tx,
                &workspace_chain(workspace_id),
                &account_actor(account_id),
                EventKind::RecoveryKeyUsed,
                &serde_json::json!({
                    "key_id": recovery_key_id,
                    "relinked": account_id,
                    "roster_seq": seq,
                }),
                now,
            )
            .await?;
            tx.commit().await?;
            Ok(true)
        })
        .await
    }

    /// Replaces the recovery key: appends its roster entry at `seq`, swaps the verifier, drops
    /// the old key's shares, stores the new key's and records `recovery-key-generated`; all or
    /// nothing. The old key stops working at once. `Ok(false)` if `seq` is not the roster's
    /// next position.
    pub async fn replace_recovery(
        &self,
        workspace_id: &str,
        account_id: &str,
        seq: i64,
        entry: &[u8],
        recovery: &RecoveryRow,
        shares: &[ShareRow],
    ) -> Result<bool, StoreError> {
        audit::retrying(|| async {
            let mut tx = self.begin().await?;
            // The old key's shares go first: the new key's arrive with the entry.
            sqlx::query(
                "DELETE FROM key_shares WHERE workspace_id = $1 AND recipient LIKE 'recovery:%'",
            )
            .bind(workspace_id)
            .execute(&mut *tx)
            .await?;
            let entries = [entry.to_vec()];
            let change = Append {
                seq,
                entries: &entries,
                shares,
                by: account_id,
                now: recovery.created_at,
            };
            if !append(&mut tx, workspace_id, change).await? {
                return Ok(false);
            }
            let replaced =
                sqlx::query("DELETE FROM recovery_keys WHERE workspace_id = $1 RETURNING key_id")
                    .bind(workspace_id)
                    .fetch_optional(&mut *tx)
                    .await?
                    .map(|r| r.try_get::<String, _>(0))
                    .transpose()?;
            sqlx::query(
                "INSERT INTO recovery_keys (workspace_id, key_id, kind, expires_at, proof_hash,
                                            created_at, last_validated_at)
                 VALUES ($1, $2, $3, $4, $5, $6, $7)",
            )
            .bind(workspace_id)
            .bind(&recovery.key_id)
            .bind(&recovery.kind)
            .bind(recovery.expires_at)
            .bind(&recovery.proof_hash)
            .bind(recovery.created_at)
            .bind(recovery.last_validated_at)
            .execute(&mut *tx)
            .await?;
            audit::append(
                &mut tx,
                &workspace_chain(workspace_id),
                &account_actor(account_id),
                EventKind::RecoveryKeyGenerated,
                &serde_json::json!({
                    "key_id": recovery.key_id,
                    "kind": recovery.kind,
                    "replaced": replaced,
                    "roster_seq": seq,
                }),
                recovery.created_at,
            )
            .await?;
            tx.commit().await?;
            Ok(true)
        })
        .await
    }

    /// Records a successful validation of the current recovery key by `account_id`, with its
    /// `recovery-key-validated` event. `Ok(false)` (and nothing recorded) if the workspace has
    /// no recovery key any more.
    pub async fn mark_recovery_validated(
        &self,
        workspace_id: &str,
        account_id: &str,
        statement: Option<&[u8]>,
        now: i64,
    ) -> Result<bool, StoreError> {
        audit::retrying(|| async {
            let mut tx = self.begin().await?;
            let validated = sqlx::query(
                "UPDATE recovery_keys SET last_validated_at = $2, validation_statement = $3
                 WHERE workspace_id = $1 RETURNING key_id",
            )
            .bind(workspace_id)
            .bind(now)
            .bind(statement.map(<[u8]>::to_vec))
            .fetch_optional(&mut *tx)
            .await?;
            let Some(validated) = validated else {
                return Ok(false);
            };
            let key_id: String = validated.try_get(0)?;
            audit::append(
                &mut tx,
                &workspace_chain(workspace_id),
                &account_actor(account_id),
                EventKind::RecoveryKeyValidated,
                &serde_json::json!({ "key_id": key_id }),
                now,
            )
            .await?;
            tx.commit().await?;
            Ok(true)
        })
        .await
    }

    /// The emails of a workspace's owners (they hear of every recovery event).
    pub async fn owner_emails(&self, workspace_id: &str) -> Result<Vec<String>, StoreError> {
        let rows = sqlx::query(
            "SELECT a.email FROM memberships m JOIN accounts a ON a.id = m.account_id
             WHERE m.workspace_id = $1 AND m.role = 'owner' ORDER BY a.email",
        )
        .bind(workspace_id)
        .fetch_all(self.pool())
        .await?;
        rows.iter().map(|r| Ok(r.try_get(0)?)).collect()
    }

    /// The latest validation statement of the current recovery key, if any.
    pub async fn validation_statement(
        &self,
        workspace_id: &str,
    ) -> Result<Option<Vec<u8>>, StoreError> {
        let row =
            sqlx::query("SELECT validation_statement FROM recovery_keys WHERE workspace_id = $1")
                .bind(workspace_id)
                .fetch_optional(self.pool())
                .await?;
        Ok(match row {
            Some(row) => row.try_get::<Option<Vec<u8>>, _>(0)?,
            None => None,
        })
    }

    /// Stores an item revision by `account_id` if it is the next one (1 for a new item), with
    /// its `item-added` or `item-changed` event (details: item id and revision only). A new
    /// item is stored only while the workspace holds fewer than `max_items`: the count and the
    /// check are one guarded `UPDATE` of the workspace row, so concurrent adds cannot pass it.
    pub async fn put_item(
        &self,
        workspace_id: &str,
        account_id: &str,
        item: &ItemRow,
        max_items: i64,
        now: i64,
    ) -> Result<PutOutcome, StoreError> {
        audit::retrying(|| async {
            let mut tx = self.begin().await?;
            let (done, kind) = if item.revision == 1 {
                let done = sqlx::query(
                    "INSERT INTO items (workspace_id, id, revision, sealed, updated_at)
                     VALUES ($1, $2, 1, $3, $4) ON CONFLICT (workspace_id, id) DO NOTHING",
                )
                .bind(workspace_id)
                .bind(&item.id)
                .bind(&item.sealed)
                .bind(now)
                .execute(&mut *tx)
                .await?;
                if done.rows_affected() == 1 {
                    let counted = sqlx::query(
                        "UPDATE workspaces SET item_count = item_count + 1
                         WHERE id = $1 AND item_count < $2",
                    )
                    .bind(workspace_id)
                    .bind(max_items)
                    .execute(&mut *tx)
                    .await?;
                    if counted.rows_affected() != 1 {
                        // Dropping `tx` rolls the insert back.
                        return Ok(PutOutcome::QuotaExceeded);
                    }
                }
                (done, EventKind::ItemAdded)
            } else {
                let done = sqlx::query(
                    "UPDATE items SET revision = $3, sealed = $4, updated_at = $5
                     WHERE workspace_id = $1 AND id = $2 AND revision = $3 - 1",
                )
                .bind(workspace_id)
                .bind(&item.id)
                .bind(item.revision)
                .bind(&item.sealed)
                .bind(now)
                .execute(&mut *tx)
                .await?;
                (done, EventKind::ItemChanged)
            };
            if done.rows_affected() != 1 {
                return Ok(PutOutcome::Stale);
            }
            audit::append(
                &mut tx,
                &workspace_chain(workspace_id),
                &account_actor(account_id),
                kind,
                &serde_json::json!({ "item": item.id, "revision": item.revision }),
                now,
            )
            .await?;
            tx.commit().await?;
            Ok(PutOutcome::Stored)
        })
        .await
    }

    /// Every item of a workspace.
    pub async fn items(&self, workspace_id: &str) -> Result<Vec<ItemRow>, StoreError> {
        let rows = sqlx::query(
            "SELECT id, revision, sealed FROM items WHERE workspace_id = $1 ORDER BY id",
        )
        .bind(workspace_id)
        .fetch_all(self.pool())
        .await?;
        rows.iter()
            .map(|r| {
                Ok(ItemRow {
                    id: r.try_get(0)?,
                    revision: r.try_get(1)?,
                    sealed: r.try_get(2)?,
                })
            })
            .collect()
    }

    /// Up to `limit` items of a workspace after the id `after`, in id order, holding at most
    /// `max_bytes` of sealed data (but always one item, if any is left); and whether more are
    /// left. The sizes are read first, so a page never loads more than it returns.
    pub async fn items_page(
        &self,
        workspace_id: &str,
        after: Option<&str>,
        limit: i64,
        max_bytes: i64,
    ) -> Result<(Vec<ItemRow>, bool), StoreError> {
        let after = after.unwrap_or("");
        let sizes = sqlx::query(
            "SELECT id, CAST(length(sealed) AS BIGINT) FROM items
             WHERE workspace_id = $1 AND id > $2 ORDER BY id LIMIT $3",
        )
        .bind(workspace_id)
        .bind(after)
        .bind(limit + 1)
        .fetch_all(self.pool())
        .await?;
        let mut last = None;
        let mut bytes = 0_i64;
        let mut taken = 0_i64;
        for row in &sizes {
            let size: i64 = row.try_get(1)?;
            if taken == limit || (taken > 0 && bytes + size > max_bytes) {
                break;
            }
            bytes += size;
            taken += 1;
            last = Some(row.try_get::<String, _>(0)?);
        }
        let more = (taken as usize) < sizes.len();
        let Some(last) = last else {
            return Ok((Vec::new(), false));
        };
        let rows = sqlx::query(
            "SELECT id, revision, sealed FROM items
             WHERE workspace_id = $1 AND id > $2 AND id <= $3 ORDER BY id",
        )
        .bind(workspace_id)
        .bind(after)
        .bind(&last)
        .fetch_all(self.pool())
        .await?;
        let items = rows
            .iter()
            .map(|r| {
                Ok(ItemRow {
                    id: r.try_get(0)?,
                    revision: r.try_get(1)?,
                    sealed: r.try_get(2)?,
                })
            })
            .collect::<Result<_, StoreError>>()?;
        Ok((items, more))
    }

    /// One item.
    pub async fn item(&self, workspace_id: &str, id: &str) -> Result<Option<ItemRow>, StoreError> {
        let row = sqlx::query(
            "SELECT id, revision, sealed FROM items WHERE workspace_id = $1 AND id = $2",
        )
        .bind(workspace_id)
        .bind(id)
        .fetch_optional(self.pool())
        .await?;
        row.map(|r| {
            Ok(ItemRow {
                id: r.try_get(0)?,
                revision: r.try_get(1)?,
                sealed: r.try_get(2)?,
            })
        })
        .transpose()
    }

    /// Deletes an item by `account_id`, with its `item-deleted` event (details: item id and
    /// the deleted revision); `false` if there was none.
    pub async fn delete_item(
        &self,
        workspace_id: &str,
        account_id: &str,
        id: &str,
        now: i64,
    ) -> Result<bool, StoreError> {
        audit::retrying(|| async {
            let mut tx = self.begin().await?;
            let deleted = sqlx::query(
                "DELETE FROM items WHERE workspace_id = $1 AND id = $2 RETURNING revision",
            )
            .bind(workspace_id)
            .bind(id)
            .fetch_optional(&mut *tx)
            .await?;
            let Some(deleted) = deleted else {
                return Ok(false);
            };
            let revision: i64 = deleted.try_get(0)?;
            sqlx::query("UPDATE workspaces SET item_count = item_count - 1 WHERE id = $1")
                .bind(workspace_id)
                .execute(&mut *tx)
                .await?;
            audit::append(
                &mut tx,
                &workspace_chain(workspace_id),
                &account_actor(account_id),
                EventKind::ItemDeleted,
                &serde_json::json!({ "item": id, "revision": revision }),
                now,
            )
            .await?;
            tx.commit().await?;
            Ok(true)
        })
        .await
    }
}

async fn insert_share(
    tx: &mut sqlx::Transaction<'_, sqlx::Any>,
    workspace_id: &str,
    share: &ShareRow,
) -> Result<(), StoreError> {
    sqlx::query(
        "INSERT INTO key_shares (workspace_id, recipient, key_kind, key_version, share)
         VALUES ($1, $2, $3, $4, $5)",
    )
    .bind(workspace_id)
    .bind(&share.recipient)
    .bind(&share.key_kind)
    .bind(share.key_version)
    .bind(&share.share)
    .execute(&mut **tx)
    .await?;
    Ok(())
}
