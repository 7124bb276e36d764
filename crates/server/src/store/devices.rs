//! Escrowed device keys and enrollment tokens (`docs/protocol.md` §18).
//!
//! Every write goes with its audit event in one transaction. A reveal stores its event (and
//! the "rotate after use" mark) and commits before the secret leaves this module, so a key is
//! never served without its trail.

use sqlx::Row;
use sqlx::any::AnyRow;

use super::audit::{self, EventKind, workspace_chain};
use super::{Store, StoreError};

/// Blind indexes of one record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TagsRow {
    /// Whole identifier.
    pub id: Vec<u8>,
    /// First 8 hex digits, if any.
    pub prefix: Option<Vec<u8>>,
    /// Device name.
    pub device: Vec<u8>,
    /// The key itself.
    pub secret: Vec<u8>,
}

/// A record to store.
#[derive(Debug, Clone)]
pub struct NewDeviceKeyRow {
    /// Record UUID.
    pub id: String,
    /// Signed header (opaque).
    pub header: Vec<u8>,
    /// Secret envelope (opaque).
    pub secret: Vec<u8>,
    /// Blind indexes, unless a token submitted it.
    pub tags: Option<TagsRow>,
    /// Resubmission tag of a token submission.
    pub resubmission: Option<Vec<u8>>,
    /// The record this one replaces.
    pub replaces: Option<String>,
}

/// A stored record without its secret.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeviceKeyListed {
    /// Record UUID.
    pub id: String,
    /// Signed header.
    pub header: Vec<u8>,
    /// `account:<uuid>` or `token:<uuid>`.
    pub author: String,
    /// Unix seconds.
    pub created_at: i64,
    /// Unix seconds.
    pub updated_at: i64,
    /// Revealed or exported since it was stored.
    pub rotate_after_use: bool,
    /// Last reveal or export.
    pub revealed_at: Option<i64>,
    /// Replacement, if this is history.
    pub replaced_by: Option<String>,
    /// Blind indexes set.
    pub indexed: bool,
    /// The key's blind index, if set.
    pub secret_tag: Option<Vec<u8>>,
    /// A token submission that differs from the escrowed key of its identifier, waiting for
    /// review (stored as history of that record until accepted).
    pub conflict: bool,
}

/// Which blind index a lookup uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TagKind {
    /// Whole identifier.
    Id,
    /// First 8 hex digits.
    Prefix,
    /// Device name.
    Device,
    /// The key itself.
    Secret,
}

/// Which records to list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DeviceFilter {
    /// Every record; replaced ones only with `history`; only those marked "rotate after use"
    /// with `needs_rotation`.
    All {
        /// Include replaced records.
        history: bool,
        /// Only keys revealed since stored.
        needs_rotation: bool,
    },
    /// Records whose index of that kind is any of the tags (history included: the caller
    /// decides). At most [`MAX_LOOKUP_TAGS`] tags.
    Tags(TagKind, Vec<Vec<u8>>),
    /// Token submissions not indexed yet (at most 1,000).
    Unindexed,
}

/// A workspace's device-key settings, as stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct DeviceSettingsRow {
    /// Every reveal and export must give a reason.
    pub reveal_reason_required: bool,
}

/// Why a reveal is made; each has its own event kind.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RevealPurpose {
    /// Shown to the caller; marks the key "rotate after use".
    Reveal,
    /// Saved to a file; marks the key "rotate after use".
    Export,
    /// Read by the client that sets the blind indexes of an enrollment-token submission: served
    /// only while the record has none, and not marked (the store refuses it for an indexed
    /// record with [`StoreError::Conflict`]: everything else is a reveal).
    Index,
}

/// An enrollment token as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TokenRow {
    /// Token UUID.
    pub id: String,
    /// Workspace UUID.
    pub workspace_id: String,
    /// Label.
    pub name: Option<String>,
    /// SHA-256 of the auth value.
    pub auth_hash: Vec<u8>,
    /// Signed grant (opaque).
    pub grant: Vec<u8>,
    /// Creator's account UUID.
    pub created_by: String,
    /// Unix seconds.
    pub created_at: i64,
    /// Unix seconds.
    pub expires_at: i64,
    /// Unix seconds.
    pub revoked_at: Option<i64>,
    /// Keys stored through it.
    pub submissions: i64,
    /// The escrow-key version it seals to.
    pub escrow_version: i64,
}

/// Most tags one lookup takes.
pub const MAX_LOOKUP_TAGS: usize = 500;

// Dynamic SQL below only ever formats in these constants and fixed column names, never input.
const LISTED: &str = "SELECT id, header, author, created_at, updated_at, rotate_after_use, \
                      revealed_at, replaced_by, id_tag IS NOT NULL, secret_tag, conflict \
                      FROM device_keys ";

const LISTED_WITH_WORKSPACE: &str = "SELECT id, header, author, created_at, updated_at, rotate_after_use, revealed_at, \
     replaced_by, id_tag IS NOT NULL, secret_tag, conflict, workspace_id FROM device_keys ";

fn listed(row: &AnyRow) -> Result<DeviceKeyListed, StoreError> {
    Ok(DeviceKeyListed {
        id: row.try_get(0)?,
        header: row.try_get(1)?,
        author: row.try_get(2)?,
        created_at: row.try_get(3)?,
        updated_at: row.try_get(4)?,
        rotate_after_use: row.try_get::<i64, _>(5)? != 0,
        revealed_at: row.try_get(6)?,
        replaced_by: row.try_get(7)?,
        indexed: flag(row, 8)?,
        secret_tag: row.try_get(9)?,
        conflict: row.try_get::<i64, _>(10)? != 0,
    })
}

/// A boolean expression's value: SQLite gives an integer, PostgreSQL a boolean.
fn flag(row: &AnyRow, index: usize) -> Result<bool, StoreError> {
    match row.try_get::<bool, _>(index) {
        Ok(b) => Ok(b),
        Err(_) => Ok(row.try_get::<i64, _>(index)? != 0),
    }
}

const TOKEN: &str = "SELECT id, workspace_id, name, auth_hash, grant_bytes, created_by, created_at, \
                     expires_at, revoked_at, submissions, escrow_version FROM escrow_tokens ";

fn token(row: &AnyRow) -> Result<TokenRow, StoreError> {
    Ok(TokenRow {
        id: row.try_get(0)?,
        workspace_id: row.try_get(1)?,
        name: row.try_get(2)?,
        auth_hash: row.try_get(3)?,
        grant: row.try_get(4)?,
        created_by: row.try_get(5)?,
        created_at: row.try_get(6)?,
        expires_at: row.try_get(7)?,
        revoked_at: row.try_get(8)?,
        submissions: row.try_get(9)?,
        escrow_version: row.try_get(10)?,
    })
}

impl Store {
    /// Stores device keys, all or none, with one event (`kind`: added by a member or
    /// submitted through a token). A token's resubmission of a key it already stored is
    /// skipped and counted as already present. Returns (added, already present).
    pub async fn add_device_keys(
        &self,
        workspace_id: &str,
        actor: &str,
        kind: EventKind,
        keys: &[NewDeviceKeyRow],
        token_id: Option<&str>,
        now: i64,
    ) -> Result<(u64, u64), StoreError> {
        audit::retrying(|| async {
            let mut tx = self.begin().await?;
            let mut added = Vec::with_capacity(keys.len());
            if keys.iter().all(|k| k.resubmission.is_none()) {
                // A member's batch: every row must be new, so whole chunks go in one statement
                // each (SQLite runs statements on its own thread; fewer round trips matter).
                for chunk in keys.chunks(ROWS_PER_INSERT) {
                    insert_rows(&mut tx, workspace_id, actor, chunk, now).await?;
                    added.extend(chunk.iter().map(|k| k.id.as_str()));
                }
                for key in keys {
                    if let Some(old) = &key.replaces {
                        replace(&mut tx, workspace_id, old, &key.id, now).await?;
                    }
                }
            } else {
                // A token's batch: a resubmission is skipped, row by row.
                for key in keys {
                    let tags = key.tags.as_ref();
                    let done = sqlx::query(
                        "INSERT INTO device_keys (workspace_id, id, header, secret, author, id_tag,
                             prefix_tag, device_tag, secret_tag, resubmission_tag, created_at,
                             updated_at)
                         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $11)
                         ON CONFLICT DO NOTHING",
                    )
                    .bind(workspace_id)
                    .bind(&key.id)
                    .bind(&key.header)
                    .bind(&key.secret)
                    .bind(actor)
                    .bind(tags.map(|t| t.id.clone()))
                    .bind(tags.and_then(|t| t.prefix.clone()))
                    .bind(tags.map(|t| t.device.clone()))
                    .bind(tags.map(|t| t.secret.clone()))
                    .bind(key.resubmission.clone())
                    .bind(now)
                    .execute(&mut *tx)
                    .await?;
                    if done.rows_affected() == 1 {
                        added.push(key.id.as_str());
                    }
                }
            }
            if let Some(token_id) = token_id {
                sqlx::query(
                    "UPDATE escrow_tokens SET submissions = submissions + $2 WHERE id = $1",
                )
                .bind(token_id)
                .bind(added.len() as i64)
                .execute(&mut *tx)
                .await?;
            }
            if !added.is_empty() {
                audit::append(
                    &mut tx,
                    &workspace_chain(workspace_id),
                    actor,
                    kind,
                    &serde_json::json!({ "device_keys": added }),
                    now,
                )
                .await?;
            }
            tx.commit().await?;
            let added = added.len() as u64;
            Ok((added, keys.len() as u64 - added))
        })
        .await
    }

    /// Records of a workspace, without their secrets, oldest first.
    pub async fn device_keys(
        &self,
        workspace_id: &str,
        filter: &DeviceFilter,
    ) -> Result<Vec<DeviceKeyListed>, StoreError> {
        let rows = match filter {
            DeviceFilter::All {
                history,
                needs_rotation,
            } => {
                sqlx::query(sqlx::AssertSqlSafe(format!(
                    "{LISTED} WHERE workspace_id = $1 AND ($2 = 1 OR replaced_by IS NULL OR conflict = 1)
                     AND ($3 = 0 OR rotate_after_use = 1) ORDER BY created_at, id"
                )))
                .bind(workspace_id)
                .bind(i64::from(*history))
                .bind(i64::from(*needs_rotation))
                .fetch_all(self.pool())
                .await?
            }
            DeviceFilter::Tags(kind, tags) => {
                if tags.is_empty() {
                    return Ok(Vec::new());
                }
                let column = match kind {
                    TagKind::Id => "id_tag",
                    TagKind::Prefix => "prefix_tag",
                    TagKind::Device => "device_tag",
                    TagKind::Secret => "secret_tag",
                };
                // One query for the whole batch; only numbered placeholders are generated. The
                // tag indexes hold tags alone (per-workspace HMACs), so the workspace is checked
                // here rather than in SQL, where it would tempt SQLite's planner into scanning
                // the workspace by its primary key instead of seeking each tag.
                let placeholders: Vec<String> = (1..tags.len().min(MAX_LOOKUP_TAGS) + 1)
                    .map(|i| format!("${i}"))
                    .collect();
                let sql = format!(
                    "{LISTED_WITH_WORKSPACE} WHERE {column} IN ({})",
                    placeholders.join(", ")
                );
                let mut query = sqlx::query(sqlx::AssertSqlSafe(sql));
                for tag in tags.iter().take(MAX_LOOKUP_TAGS) {
                    query = query.bind(tag);
                }
                let rows = query.fetch_all(self.pool()).await?;
                let mut mine = Vec::with_capacity(rows.len());
                for row in rows {
                    if row.try_get::<String, _>(11)? == workspace_id {
                        mine.push(row);
                    }
                }
                mine.sort_by_key(|r| {
                    (
                        r.try_get::<i64, _>(3).unwrap_or(0),
                        r.try_get::<String, _>(0).unwrap_or_default(),
                    )
                });
                mine
            }
            DeviceFilter::Unindexed => {
                sqlx::query(sqlx::AssertSqlSafe(format!(
                    "{LISTED} WHERE workspace_id = $1 AND id_tag IS NULL
                     ORDER BY created_at, id LIMIT 1000"
                )))
                .bind(workspace_id)
                .fetch_all(self.pool())
                .await?
            }
        };
        rows.iter().map(listed).collect()
    }

    /// Up to `limit` records (as [`DeviceFilter::All`]) after the position `after` (created at,
    /// id) in (created at, id) order, and whether more are left.
    pub async fn device_keys_page(
        &self,
        workspace_id: &str,
        history: bool,
        needs_rotation: bool,
        after: Option<(i64, &str)>,
        limit: i64,
    ) -> Result<(Vec<DeviceKeyListed>, bool), StoreError> {
        let (after_at, after_id) = after.unwrap_or((i64::MIN, ""));
        let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
            "{LISTED} WHERE workspace_id = $1 AND ($2 = 1 OR replaced_by IS NULL OR conflict = 1)
             AND ($3 = 0 OR rotate_after_use = 1)
             AND (created_at > $4 OR (created_at = $4 AND id > $5))
             ORDER BY created_at, id LIMIT $6"
        )))
        .bind(workspace_id)
        .bind(i64::from(history))
        .bind(i64::from(needs_rotation))
        .bind(after_at)
        .bind(after_id)
        .bind(limit.saturating_add(1))
        .fetch_all(self.pool())
        .await?;
        let more = rows.len() as i64 > limit;
        let rows = &rows[..rows.len().min(usize::try_from(limit).unwrap_or(usize::MAX))];
        Ok((rows.iter().map(listed).collect::<Result<_, _>>()?, more))
    }

    /// Serves a record's secret envelope after storing the audit event (and, for a reveal or
    /// export, the "rotate after use" mark) in a committed transaction. `None` if there is no
    /// such record; an error (and no secret) if the event cannot be stored, and
    /// [`StoreError::Conflict`] for [`RevealPurpose::Index`] of a record already indexed: the
    /// server, not the client, decides which reads leave a key unmarked.
    pub async fn reveal_device_key(
        &self,
        workspace_id: &str,
        actor: &str,
        id: &str,
        purpose: RevealPurpose,
        reason: Option<&str>,
        now: i64,
    ) -> Result<Option<Vec<u8>>, StoreError> {
        audit::retrying(|| async {
            let mut tx = self.begin().await?;
            let row = sqlx::query(
                "SELECT secret, CASE WHEN id_tag IS NULL THEN 0 ELSE 1 END FROM device_keys
                 WHERE workspace_id = $1 AND id = $2",
            )
            .bind(workspace_id)
            .bind(id)
            .fetch_optional(&mut *tx)
            .await?;
            let Some(row) = row else {
                return Ok(None);
            };
            let secret: Vec<u8> = row.try_get(0)?;
            let indexed = row.try_get::<i64, _>(1)? != 0;
            let kind = match purpose {
                RevealPurpose::Reveal => EventKind::DeviceKeyRevealed,
                RevealPurpose::Export => EventKind::DeviceKeyExported,
                RevealPurpose::Index if indexed => return Err(StoreError::Conflict),
                RevealPurpose::Index => EventKind::DeviceKeyChecked,
            };
            audit::append(
                &mut tx,
                &workspace_chain(workspace_id),
                actor,
                kind,
                &serde_json::json!({ "device_key": id, "reason": reason }),
                now,
            )
            .await?;
            if purpose != RevealPurpose::Index {
                sqlx::query(
                    "UPDATE device_keys SET rotate_after_use = 1, revealed_at = $3, updated_at = $3
                     WHERE workspace_id = $1 AND id = $2",
                )
                .bind(workspace_id)
                .bind(id)
                .bind(now)
                .execute(&mut *tx)
                .await?;
            }
            tx.commit().await?;
            Ok(Some(secret))
        })
        .await
    }

    /// Deletes a record and the history it replaced, with one event; `false` if there was
    /// no such record.
    pub async fn delete_device_key(
        &self,
        workspace_id: &str,
        actor: &str,
        id: &str,
        now: i64,
    ) -> Result<bool, StoreError> {
        audit::retrying(|| async {
            let mut tx = self.begin().await?;
            let gone = sqlx::query("DELETE FROM device_keys WHERE workspace_id = $1 AND id = $2")
                .bind(workspace_id)
                .bind(id)
                .execute(&mut *tx)
                .await?;
            if gone.rows_affected() == 0 {
                return Ok(false);
            }
            // The history chain behind it: each replaced record names its successor.
            let mut deleted = vec![id.to_owned()];
            let mut frontier = vec![id.to_owned()];
            while let Some(next) = frontier.pop() {
                let older = sqlx::query(
                    "DELETE FROM device_keys WHERE workspace_id = $1 AND replaced_by = $2
                     RETURNING id",
                )
                .bind(workspace_id)
                .bind(&next)
                .fetch_all(&mut *tx)
                .await?;
                for row in older {
                    let older_id: String = row.try_get(0)?;
                    frontier.push(older_id.clone());
                    deleted.push(older_id);
                }
            }
            audit::append(
                &mut tx,
                &workspace_chain(workspace_id),
                actor,
                EventKind::DeviceKeyDeleted,
                &serde_json::json!({ "device_keys": deleted }),
                now,
            )
            .await?;
            tx.commit().await?;
            Ok(true)
        })
        .await
    }

    /// Sets the blind indexes of records that had none (token submissions), and links
    /// replacements; one event. Records already indexed are left alone. Returns how many
    /// were indexed.
    pub async fn index_device_keys(
        &self,
        workspace_id: &str,
        actor: &str,
        entries: &[(String, TagsRow, Option<String>, Option<String>)],
        now: i64,
    ) -> Result<u64, StoreError> {
        audit::retrying(|| async {
            let mut tx = self.begin().await?;
            let mut indexed = Vec::new();
            for (id, tags, conflicts_with, duplicate_of) in entries {
                let done = sqlx::query(
                    "UPDATE device_keys SET id_tag = $3, prefix_tag = $4, device_tag = $5,
                         secret_tag = $6, updated_at = $7
                     WHERE workspace_id = $1 AND id = $2 AND id_tag IS NULL",
                )
                .bind(workspace_id)
                .bind(id)
                .bind(&tags.id)
                .bind(tags.prefix.clone())
                .bind(&tags.device)
                .bind(&tags.secret)
                .bind(now)
                .execute(&mut *tx)
                .await?;
                if done.rows_affected() == 0 {
                    continue;
                }
                if let Some(escrowed) = conflicts_with {
                    // Kept, but as history of the escrowed record: never the current key.
                    replace(&mut tx, workspace_id, id, escrowed, now).await?;
                    sqlx::query(
                        "UPDATE device_keys SET conflict = 1 WHERE workspace_id = $1 AND id = $2",
                    )
                    .bind(workspace_id)
                    .bind(id)
                    .execute(&mut *tx)
                    .await?;
                }
                if let Some(kept) = duplicate_of {
                    replace(&mut tx, workspace_id, id, kept, now).await?;
                }
                indexed.push(id.as_str());
            }
            if !indexed.is_empty() {
                audit::append(
                    &mut tx,
                    &workspace_chain(workspace_id),
                    actor,
                    EventKind::DeviceKeysIndexed,
                    &serde_json::json!({ "device_keys": indexed }),
                    now,
                )
                .await?;
            }
            tx.commit().await?;
            Ok(indexed.len() as u64)
        })
        .await
    }

    /// Resolves a conflicting token submission `id`: accepted, it becomes the current key and
    /// the record it contradicted becomes its history; rejected, it is deleted. With its event.
    /// `false` if `id` is no open conflict of the workspace.
    pub async fn resolve_conflict(
        &self,
        workspace_id: &str,
        actor: &str,
        id: &str,
        accept: bool,
        now: i64,
    ) -> Result<bool, StoreError> {
        audit::retrying(|| async {
            let mut tx = self.begin().await?;
            let escrowed: Option<String> = sqlx::query(
                "UPDATE device_keys SET conflict = 0, updated_at = $3
                 WHERE workspace_id = $1 AND id = $2 AND conflict = 1
                 RETURNING replaced_by",
            )
            .bind(workspace_id)
            .bind(id)
            .bind(now)
            .fetch_optional(&mut *tx)
            .await?
            .map(|r| r.try_get::<Option<String>, _>(0))
            .transpose()?
            .flatten();
            let Some(escrowed) = escrowed else {
                return Ok(false);
            };
            if accept {
                sqlx::query(
                    "UPDATE device_keys SET replaced_by = NULL WHERE workspace_id = $1 AND id = $2",
                )
                .bind(workspace_id)
                .bind(id)
                .execute(&mut *tx)
                .await?;
                replace(&mut tx, workspace_id, &escrowed, id, now).await?;
            } else {
                sqlx::query("DELETE FROM device_keys WHERE workspace_id = $1 AND id = $2")
                    .bind(workspace_id)
                    .bind(id)
                    .execute(&mut *tx)
                    .await?;
            }
            audit::append(
                &mut tx,
                &workspace_chain(workspace_id),
                actor,
                EventKind::DeviceKeyConflictResolved,
                &serde_json::json!({
                    "device_key": id,
                    "escrowed": escrowed,
                    "accepted": accept,
                }),
                now,
            )
            .await?;
            tx.commit().await?;
            Ok(true)
        })
        .await
    }

    /// Stores a new enrollment token, with its event.
    pub async fn create_escrow_token(&self, row: &TokenRow) -> Result<(), StoreError> {
        audit::retrying(|| async {
            let mut tx = self.begin().await?;
            sqlx::query(
                "INSERT INTO escrow_tokens (id, workspace_id, name, auth_hash, grant_bytes,
                     created_by, created_at, expires_at, escrow_version)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
            )
            .bind(&row.id)
            .bind(&row.workspace_id)
            .bind(row.name.clone())
            .bind(&row.auth_hash)
            .bind(&row.grant)
            .bind(&row.created_by)
            .bind(row.created_at)
            .bind(row.expires_at)
            .bind(row.escrow_version)
            .execute(&mut *tx)
            .await?;
            audit::append(
                &mut tx,
                &workspace_chain(&row.workspace_id),
                &super::account_actor(&row.created_by),
                EventKind::EscrowTokenCreated,
                &serde_json::json!({ "token": row.id, "expires_at": row.expires_at }),
                row.created_at,
            )
            .await?;
            tx.commit().await?;
            Ok(())
        })
        .await
    }

    /// A workspace's enrollment tokens, newest first.
    pub async fn escrow_tokens(&self, workspace_id: &str) -> Result<Vec<TokenRow>, StoreError> {
        let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
            "{TOKEN} WHERE workspace_id = $1 ORDER BY created_at DESC, id"
        )))
        .bind(workspace_id)
        .fetch_all(self.pool())
        .await?;
        rows.iter().map(token).collect()
    }

    /// One enrollment token, by id.
    pub async fn escrow_token(&self, id: &str) -> Result<Option<TokenRow>, StoreError> {
        let row = sqlx::query(sqlx::AssertSqlSafe(format!("{TOKEN} WHERE id = $1")))
            .bind(id)
            .fetch_optional(self.pool())
            .await?;
        row.as_ref().map(token).transpose()
    }

    /// The workspace's device-key settings.
    pub async fn device_settings(
        &self,
        workspace_id: &str,
    ) -> Result<DeviceSettingsRow, StoreError> {
        let row = sqlx::query("SELECT reveal_reason_required FROM workspaces WHERE id = $1")
            .bind(workspace_id)
            .fetch_optional(self.pool())
            .await?;
        Ok(DeviceSettingsRow {
            reveal_reason_required: match row {
                Some(row) => row.try_get::<i64, _>(0)? != 0,
                None => false,
            },
        })
    }

    /// Changes the settings; a change is audited (setting it to what it is changes nothing).
    pub async fn set_device_settings(
        &self,
        workspace_id: &str,
        actor: &str,
        settings: DeviceSettingsRow,
        now: i64,
    ) -> Result<(), StoreError> {
        audit::retrying(|| async {
            let mut tx = self.begin().await?;
            let changed = sqlx::query(
                "UPDATE workspaces SET reveal_reason_required = $2
                 WHERE id = $1 AND reveal_reason_required <> $2",
            )
            .bind(workspace_id)
            .bind(i64::from(settings.reveal_reason_required))
            .execute(&mut *tx)
            .await?;
            if changed.rows_affected() > 0 {
                audit::append(
                    &mut tx,
                    &workspace_chain(workspace_id),
                    actor,
                    EventKind::DeviceSettingChanged,
                    &serde_json::json!({
                        "setting": "reveal_reason_required",
                        "value": settings.reveal_reason_required,
                    }),
                    now,
                )
                .await?;
            }
            tx.commit().await?;
            Ok(())
        })
        .await
    }

    /// Revokes a token, with its event; `false` if there is no such token in the workspace
    /// or it was already revoked.
    pub async fn revoke_escrow_token(
        &self,
        workspace_id: &str,
        actor: &str,
        id: &str,
        now: i64,
    ) -> Result<bool, StoreError> {
        audit::retrying(|| async {
            let mut tx = self.begin().await?;
            let done = sqlx::query(
                "UPDATE escrow_tokens SET revoked_at = $3
                 WHERE workspace_id = $1 AND id = $2 AND revoked_at IS NULL",
            )
            .bind(workspace_id)
            .bind(id)
            .bind(now)
            .execute(&mut *tx)
            .await?;
            if done.rows_affected() == 0 {
                return Ok(false);
            }
            audit::append(
                &mut tx,
                &workspace_chain(workspace_id),
                actor,
                EventKind::EscrowTokenRevoked,
                &serde_json::json!({ "token": id }),
                now,
            )
            .await?;
            tx.commit().await?;
            Ok(true)
        })
        .await
    }
}

/// Rows per multi-row `INSERT` (10 parameters each: well below every database's limit).
const ROWS_PER_INSERT: usize = 100;

/// Inserts new rows in one statement; a duplicate record id fails it (and the transaction).
async fn insert_rows(
    tx: &mut sqlx::Transaction<'_, sqlx::Any>,
    workspace_id: &str,
    actor: &str,
    rows: &[NewDeviceKeyRow],
    now: i64,
) -> Result<(), StoreError> {
    // Only numbered placeholders are generated; every value is bound.
    let values: Vec<String> = (0..rows.len())
        .map(|i| {
            let p = |j: usize| format!("${}", 3 + i * 8 + j);
            format!(
                "($1, {}, {}, {}, $2, {}, {}, {}, {}, NULL, {}, {})",
                p(0),
                p(1),
                p(2),
                p(3),
                p(4),
                p(5),
                p(6),
                p(7),
                p(7)
            )
        })
        .collect();
    let sql = format!(
        "INSERT INTO device_keys (workspace_id, id, header, secret, author, id_tag, prefix_tag,
             device_tag, secret_tag, resubmission_tag, created_at, updated_at) VALUES {}",
        values.join(", ")
    );
    let mut query = sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(workspace_id)
        .bind(actor);
    for row in rows {
        let tags = row.tags.as_ref();
        query = query
            .bind(&row.id)
            .bind(&row.header)
            .bind(&row.secret)
            .bind(tags.map(|t| t.id.clone()))
            .bind(tags.and_then(|t| t.prefix.clone()))
            .bind(tags.map(|t| t.device.clone()))
            .bind(tags.map(|t| t.secret.clone()))
            .bind(now);
    }
    query.execute(&mut **tx).await?;
    Ok(())
}

/// Marks `old` as replaced by `new` (if it is current).
async fn replace(
    tx: &mut sqlx::Transaction<'_, sqlx::Any>,
    workspace_id: &str,
    old: &str,
    new: &str,
    now: i64,
) -> Result<(), StoreError> {
    sqlx::query(
        "UPDATE device_keys SET replaced_by = $3, updated_at = $4
         WHERE workspace_id = $1 AND id = $2 AND replaced_by IS NULL AND id <> $3",
    )
    .bind(workspace_id)
    .bind(old)
    .bind(new)
    .bind(now)
    .execute(&mut **tx)
    .await?;
    Ok(())
}
