//! Invitations and member changes: each change appends its signed roster entries at the
//! expected position, updates the membership mirror, stores the key shares it brings and
//! records its audit event, all in one transaction.

use serde_json::json;
use sqlx::Row;
use sqlx::any::AnyRow;

use super::audit::{self, EventKind, account_actor, workspace_chain};
use super::{ShareRow, Store, StoreError};

/// An invitation as stored, with the names a client shows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InvitationRow {
    /// Workspace UUID.
    pub workspace_id: String,
    /// Workspace name.
    pub workspace_name: String,
    /// Normalized invitee email.
    pub email: String,
    /// Role offered.
    pub role: String,
    /// The inviter's email.
    pub invited_by: String,
    /// Unix seconds.
    pub created_at: i64,
    /// Unix seconds, once accepted.
    pub accepted_at: Option<i64>,
    /// The accepting account, once accepted.
    pub account_id: Option<String>,
    /// The accepting account's current public keys, once accepted.
    pub public_keys: Option<Vec<u8>>,
}

/// A member as the server mirrors it, with the account's current email and keys.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MemberRow {
    /// Account UUID.
    pub account_id: String,
    /// Email.
    pub email: String,
    /// Role name.
    pub role: String,
    /// Waits for a relink after a password reset.
    pub needs_relink: bool,
    /// The account's current public keys.
    pub public_keys: Vec<u8>,
}

/// A roster change to commit: entries from `seq` on, the shares they bring, and who made it
/// when (for the audit event).
#[derive(Debug, Clone, Copy)]
pub struct Append<'a> {
    /// The roster position of the first entry.
    pub seq: i64,
    /// Signed entries, in order.
    pub entries: &'a [Vec<u8>],
    /// Shares to store (replacing any for the same recipient, key and version).
    pub shares: &'a [ShareRow],
    /// The account that signed the entries (the audit actor).
    pub by: &'a str,
    /// Unix seconds.
    pub now: i64,
}

/// Why a member change was not committed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChangeOutcome {
    /// Committed.
    Done,
    /// Someone appended to the roster first: nothing was written.
    RosterMoved,
    /// The member or invitation is not (or no longer) in the expected state.
    Gone,
}

/// Every invitation column, joined with the names clients show.
macro_rules! select_invitations {
    ($condition:literal) => {
        concat!(
            "SELECT i.workspace_id, w.name, i.email, i.role, inviter.email, i.created_at, ",
            "i.accepted_at, i.account_id, invitee.public_keys FROM invitations i ",
            "JOIN workspaces w ON w.id = i.workspace_id ",
            "JOIN accounts inviter ON inviter.id = i.invited_by ",
            "LEFT JOIN accounts invitee ON invitee.id = i.account_id ",
            $condition
        )
    };
}

/// An invitation not turned into a membership within this long (seconds) has expired: it is no
/// longer listed or accepted, and the sweeper deletes it. Inviting again renews it.
pub const INVITATION_SECS: i64 = 30 * 86_400;

impl Store {
    /// Records (or renews) an invitation and its `member-invited` event. Renewing sets the role
    /// and inviter again and clears any earlier acceptance, so the invitee accepts what is
    /// offered now.
    pub async fn invite(
        &self,
        workspace_id: &str,
        email: &str,
        role: &str,
        invited_by: &str,
        now: i64,
    ) -> Result<(), StoreError> {
        audit::retrying(|| async {
            let mut tx = self.begin().await?;
            sqlx::query(
                "INSERT INTO invitations (workspace_id, email, role, invited_by, created_at,
                                          account_id, accepted_at)
                 VALUES ($1, $2, $3, $4, $5, NULL, NULL)
                 ON CONFLICT (workspace_id, email) DO UPDATE SET
                     role = $3, invited_by = $4, created_at = $5, account_id = NULL,
                     accepted_at = NULL",
            )
            .bind(workspace_id)
            .bind(email)
            .bind(role)
            .bind(invited_by)
            .bind(now)
            .execute(&mut *tx)
            .await?;
            audit::append(
                &mut tx,
                &workspace_chain(workspace_id),
                &account_actor(invited_by),
                EventKind::MemberInvited,
                &json!({ "email": email, "role": role }),
                now,
            )
            .await?;
            tx.commit().await?;
            Ok(())
        })
        .await
    }

    /// The open invitations of a workspace.
    pub async fn workspace_invitations(
        &self,
        workspace_id: &str,
        now: i64,
    ) -> Result<Vec<InvitationRow>, StoreError> {
        let rows = sqlx::query(select_invitations!(
            "WHERE i.workspace_id = $1 AND i.created_at > $2 ORDER BY i.email"
        ))
        .bind(workspace_id)
        .bind(now - INVITATION_SECS)
        .fetch_all(self.pool())
        .await?;
        rows.iter().map(invitation_from_row).collect()
    }

    /// The open invitations addressed to `email`.
    pub async fn invitations_for(
        &self,
        email: &str,
        now: i64,
    ) -> Result<Vec<InvitationRow>, StoreError> {
        let rows = sqlx::query(select_invitations!(
            "WHERE i.email = $1 AND i.created_at > $2 ORDER BY w.name, i.workspace_id"
        ))
        .bind(email)
        .bind(now - INVITATION_SECS)
        .fetch_all(self.pool())
        .await?;
        rows.iter().map(invitation_from_row).collect()
    }

    /// Marks the invitation of `email` accepted by `account_id` and records
    /// `invitation-accepted`; returns the invitation (now accepted), or `None` if there is none.
    pub async fn accept_invitation(
        &self,
        workspace_id: &str,
        email: &str,
        account_id: &str,
        now: i64,
    ) -> Result<Option<InvitationRow>, StoreError> {
        let accepted = audit::retrying(|| async {
            let mut tx = self.begin().await?;
            let done = sqlx::query(
                "UPDATE invitations SET account_id = $3, accepted_at = $4
                 WHERE workspace_id = $1 AND email = $2 AND created_at > $5",
            )
            .bind(workspace_id)
            .bind(email)
            .bind(account_id)
            .bind(now)
            .bind(now - INVITATION_SECS)
            .execute(&mut *tx)
            .await?;
            if done.rows_affected() == 0 {
                return Ok(false);
            }
            audit::append(
                &mut tx,
                &workspace_chain(workspace_id),
                &account_actor(account_id),
                EventKind::InvitationAccepted,
                &json!({ "email": email, "account": account_id }),
                now,
            )
            .await?;
            tx.commit().await?;
            Ok(true)
        })
        .await?;
        if !accepted {
            return Ok(None);
        }
        let row = sqlx::query(select_invitations!(
            "WHERE i.workspace_id = $1 AND i.email = $2"
        ))
        .bind(workspace_id)
        .bind(email)
        .fetch_optional(self.pool())
        .await?;
        row.as_ref().map(invitation_from_row).transpose()
    }

    /// The members of a workspace, as mirrored, with their accounts' current emails and keys.
    pub async fn members(&self, workspace_id: &str) -> Result<Vec<MemberRow>, StoreError> {
        Ok(self.members_page(workspace_id, "", i64::MAX - 1).await?.0)
    }

    /// Up to `limit` members in email order after the address `after` ("" for the first
    /// page), and whether more are left.
    pub async fn members_page(
        &self,
        workspace_id: &str,
        after: &str,
        limit: i64,
    ) -> Result<(Vec<MemberRow>, bool), StoreError> {
        let rows = sqlx::query(
            "SELECT m.account_id, a.email, m.role, m.needs_relink, a.public_keys
             FROM memberships m JOIN accounts a ON a.id = m.account_id
             WHERE m.workspace_id = $1 AND a.email > $2 ORDER BY a.email LIMIT $3",
        )
        .bind(workspace_id)
        .bind(after)
        .bind(limit.saturating_add(1))
        .fetch_all(self.pool())
        .await?;
        let more = rows.len() as i64 > limit;
        let rows = &rows[..rows.len().min(usize::try_from(limit).unwrap_or(usize::MAX))];
        rows.iter()
            .map(|r| {
                Ok(MemberRow {
                    account_id: r.try_get(0)?,
                    email: r.try_get(1)?,
                    role: r.try_get(2)?,
                    needs_relink: r.try_get::<i64, _>(3)? != 0,
                    public_keys: r.try_get(4)?,
                })
            })
            .collect::<Result<Vec<_>, StoreError>>()
            .map(|members| (members, more))
    }

    /// Turns the invitation accepted by `account_id` into a membership with `role`: takes the
    /// invitation, appends the "add member" entry, stores the new member's shares and records
    /// `member-added`.
    pub async fn add_member(
        &self,
        workspace_id: &str,
        account_id: &str,
        role: &str,
        change: Append<'_>,
    ) -> Result<ChangeOutcome, StoreError> {
        audit::retrying(|| async {
            // Every change writes first, so that on SQLite the transaction takes the write lock
            // before it reads the roster length (a read-then-write transaction could fail to
            // upgrade its lock under concurrency instead of waiting).
            let mut tx = self.begin().await?;
            let taken = sqlx::query(
                "DELETE FROM invitations
                 WHERE workspace_id = $1 AND account_id = $2 AND accepted_at IS NOT NULL
                 RETURNING email",
            )
            .bind(workspace_id)
            .bind(account_id)
            .fetch_optional(&mut *tx)
            .await?;
            if taken.is_none() {
                return Ok(ChangeOutcome::Gone);
            }
            if !append(&mut tx, workspace_id, change).await? {
                return Ok(ChangeOutcome::RosterMoved);
            }
            sqlx::query(
                "INSERT INTO memberships (workspace_id, account_id, role, needs_relink)
                 VALUES ($1, $2, $3, 0)",
            )
            .bind(workspace_id)
            .bind(account_id)
            .bind(role)
            .execute(&mut *tx)
            .await?;
            let details = json!({ "account": account_id, "role": role, "roster_seq": change.seq });
            record(
                &mut tx,
                workspace_id,
                EventKind::MemberAdded,
                &details,
                change,
            )
            .await?;
            tx.commit().await?;
            Ok(ChangeOutcome::Done)
        })
        .await
    }

    /// Sets a member's role, appends the entries (the role change and any key rotation), drops
    /// the member's shares of the key kinds in `withdraw`, stores the new shares and records
    /// `member-role-changed`.
    pub async fn change_role(
        &self,
        workspace_id: &str,
        account_id: &str,
        role: &str,
        withdraw: &[&str],
        change: Append<'_>,
    ) -> Result<ChangeOutcome, StoreError> {
        audit::retrying(|| async {
            let mut tx = self.begin().await?;
            let updated = sqlx::query(
                "UPDATE memberships SET role = $3 WHERE workspace_id = $1 AND account_id = $2",
            )
            .bind(workspace_id)
            .bind(account_id)
            .bind(role)
            .execute(&mut *tx)
            .await?;
            if updated.rows_affected() != 1 {
                return Ok(ChangeOutcome::Gone);
            }
            for kind in withdraw {
                sqlx::query(
                    "DELETE FROM key_shares WHERE workspace_id = $1 AND recipient = $2
                     AND key_kind = $3",
                )
                .bind(workspace_id)
                .bind(format!("account:{account_id}"))
                .bind(*kind)
                .execute(&mut *tx)
                .await?;
            }
            if !append(&mut tx, workspace_id, change).await? {
                return Ok(ChangeOutcome::RosterMoved);
            }
            // Only owners and admins create tokens; one who stops managing revokes theirs.
            let tokens = if matches!(role, "owner" | "admin") {
                0
            } else {
                revoke_tokens_of(&mut tx, workspace_id, account_id, change.now).await?
            };
            let details = json!({
                "account": account_id,
                "role": role,
                "withdrawn": withdraw,
                "tokens_revoked": tokens,
                "roster_seq": change.seq,
                "roster_entries": change.entries.len(),
            });
            record(
                &mut tx,
                workspace_id,
                EventKind::MemberRoleChanged,
                &details,
                change,
            )
            .await?;
            tx.commit().await?;
            Ok(ChangeOutcome::Done)
        })
        .await
    }

    /// Removes a member: deletes the membership and every share addressed to the account,
    /// appends the removal with its key rotations and their shares, and records
    /// `member-removed`.
    pub async fn remove_member(
        &self,
        workspace_id: &str,
        account_id: &str,
        change: Append<'_>,
    ) -> Result<ChangeOutcome, StoreError> {
        audit::retrying(|| async {
            let mut tx = self.begin().await?;
            let removed =
                sqlx::query("DELETE FROM memberships WHERE workspace_id = $1 AND account_id = $2")
                    .bind(workspace_id)
                    .bind(account_id)
                    .execute(&mut *tx)
                    .await?;
            if removed.rows_affected() != 1 {
                return Ok(ChangeOutcome::Gone);
            }
            sqlx::query("DELETE FROM key_shares WHERE workspace_id = $1 AND recipient = $2")
                .bind(workspace_id)
                .bind(format!("account:{account_id}"))
                .execute(&mut *tx)
                .await?;
            if !append(&mut tx, workspace_id, change).await? {
                return Ok(ChangeOutcome::RosterMoved);
            }
            let tokens = revoke_tokens_of(&mut tx, workspace_id, account_id, change.now).await?;
            let details = json!({
                "account": account_id,
                "roster_seq": change.seq,
                "roster_entries": change.entries.len(),
                "tokens_revoked": tokens,
            });
            record(
                &mut tx,
                workspace_id,
                EventKind::MemberRemoved,
                &details,
                change,
            )
            .await?;
            tx.commit().await?;
            Ok(ChangeOutcome::Done)
        })
        .await
    }

    /// Stores shares of existing key versions that an owner or admin (`by`) signed for
    /// current members or the recovery key, with no roster change (`member reshare`: repairs
    /// a member or recovery key left without a key version), and records `keys-reshared`.
    pub async fn reshare(
        &self,
        workspace_id: &str,
        by: &str,
        shares: &[ShareRow],
        now: i64,
    ) -> Result<(), StoreError> {
        let mut recipients: Vec<&str> = shares.iter().map(|s| s.recipient.as_str()).collect();
        recipients.sort_unstable();
        recipients.dedup();
        let details = json!({ "recipients": recipients, "shares": shares.len() });
        audit::retrying(|| async {
            let mut tx = self.begin().await?;
            upsert_shares(&mut tx, workspace_id, shares).await?;
            audit::append(
                &mut tx,
                &workspace_chain(workspace_id),
                &account_actor(by),
                EventKind::KeysReshared,
                &details,
                now,
            )
            .await?;
            tx.commit().await?;
            Ok(())
        })
        .await
    }

    /// Relinks a member after their password reset (an owner or admin signed the entry):
    /// clears the relink mark, appends the entry, replaces the member's shares with ones for
    /// their new key and records `member-relinked`.
    pub async fn relink_member(
        &self,
        workspace_id: &str,
        account_id: &str,
        change: Append<'_>,
    ) -> Result<ChangeOutcome, StoreError> {
        audit::retrying(|| async {
            let mut tx = self.begin().await?;
            let updated = sqlx::query(
                "UPDATE memberships SET needs_relink = 0
                 WHERE workspace_id = $1 AND account_id = $2",
            )
            .bind(workspace_id)
            .bind(account_id)
            .execute(&mut *tx)
            .await?;
            if updated.rows_affected() != 1 {
                return Ok(ChangeOutcome::Gone);
            }
            // Shares for the old key are useless to the member now: drop them all, so none
            // outlives the relink.
            sqlx::query("DELETE FROM key_shares WHERE workspace_id = $1 AND recipient = $2")
                .bind(workspace_id)
                .bind(format!("account:{account_id}"))
                .execute(&mut *tx)
                .await?;
            if !append(&mut tx, workspace_id, change).await? {
                return Ok(ChangeOutcome::RosterMoved);
            }
            let details = json!({ "account": account_id, "roster_seq": change.seq });
            record(
                &mut tx,
                workspace_id,
                EventKind::MemberRelinked,
                &details,
                change,
            )
            .await?;
            tx.commit().await?;
            Ok(ChangeOutcome::Done)
        })
        .await
    }
}

/// Revokes the enrollment tokens `account_id` created in the workspace: a member who leaves or
/// stops managing takes the authority of their tokens with them. Returns how many.
async fn revoke_tokens_of(
    tx: &mut sqlx::Transaction<'_, sqlx::Any>,
    workspace_id: &str,
    account_id: &str,
    now: i64,
) -> Result<u64, StoreError> {
    let done = sqlx::query(
        "UPDATE escrow_tokens SET revoked_at = $3
         WHERE workspace_id = $1 AND created_by = $2 AND revoked_at IS NULL",
    )
    .bind(workspace_id)
    .bind(account_id)
    .bind(now)
    .execute(&mut **tx)
    .await?;
    Ok(done.rows_affected())
}

/// Records a member change's event on the workspace chain, with the signer as actor.
async fn record(
    tx: &mut sqlx::Transaction<'_, sqlx::Any>,
    workspace_id: &str,
    kind: EventKind,
    details: &serde_json::Value,
    change: Append<'_>,
) -> Result<(), StoreError> {
    audit::append(
        tx,
        &workspace_chain(workspace_id),
        &account_actor(change.by),
        kind,
        details,
        change.now,
    )
    .await
}

/// Appends `change.entries` from `change.seq` if that is the roster's next position, and stores
/// the shares. `false` (and nothing written) if someone appended first. The primary key
/// (workspace, seq) also makes a concurrent append at the same position fail.
pub(super) async fn append(
    tx: &mut sqlx::Transaction<'_, sqlx::Any>,
    workspace_id: &str,
    change: Append<'_>,
) -> Result<bool, StoreError> {
    let next: i64 = sqlx::query("SELECT COUNT(*) FROM roster_entries WHERE workspace_id = $1")
        .bind(workspace_id)
        .fetch_one(&mut **tx)
        .await?
        .try_get(0)?;
    if next != change.seq {
        return Ok(false);
    }
    for (i, entry) in change.entries.iter().enumerate() {
        sqlx::query("INSERT INTO roster_entries (workspace_id, seq, entry) VALUES ($1, $2, $3)")
            .bind(workspace_id)
            .bind(change.seq + i as i64)
            .bind(entry)
            .execute(&mut **tx)
            .await?;
    }
    upsert_shares(tx, workspace_id, change.shares).await?;
    Ok(true)
}

/// Stores `shares`, each replacing any for the same recipient, key kind and version.
async fn upsert_shares(
    tx: &mut sqlx::Transaction<'_, sqlx::Any>,
    workspace_id: &str,
    shares: &[ShareRow],
) -> Result<(), StoreError> {
    for share in shares {
        sqlx::query(
            "INSERT INTO key_shares (workspace_id, recipient, key_kind, key_version, share)
             VALUES ($1, $2, $3, $4, $5)
             ON CONFLICT (workspace_id, recipient, key_kind, key_version)
             DO UPDATE SET share = $5",
        )
        .bind(workspace_id)
        .bind(&share.recipient)
        .bind(&share.key_kind)
        .bind(share.key_version)
        .bind(&share.share)
        .execute(&mut **tx)
        .await?;
    }
    Ok(())
}

fn invitation_from_row(r: &AnyRow) -> Result<InvitationRow, StoreError> {
    Ok(InvitationRow {
        workspace_id: r.try_get(0)?,
        workspace_name: r.try_get(1)?,
        email: r.try_get(2)?,
        role: r.try_get(3)?,
        invited_by: r.try_get(4)?,
        created_at: r.try_get(5)?,
        accepted_at: r.try_get(6)?,
        account_id: r.try_get(7)?,
        public_keys: r.try_get(8)?,
    })
}
