//! The audit log: hash-chained events, one chain per workspace and one per account, each
//! written in the same transaction as the operation it records (DESIGN.md, "Sessions, API,
//! audit"). If the event cannot be written, the transaction fails and the operation with it:
//! the log fails closed.
//!
//! # Chains
//!
//! A chain is named `workspace:<uuid>` or `account:<uuid>` (lower-case hyphenated UUID). Its
//! events are numbered from 0; event `n` carries the hash of event `n - 1` (`prev_hash`; 32 zero
//! bytes for event 0) and its own hash:
//!
//! ```text
//! hash = SHA-256(context("audit-event", chain, u64be(seq), i64be(at), actor, kind, details,
//!                        prev_hash))
//!      = SHA-256("KH1" || u32be(11) || "audit-event"
//!                || u32be(len(chain))   || chain        (UTF-8)
//!                || u32be(8)            || u64be(seq)
//!                || u32be(8)            || i64be(at)    (Unix seconds, two's complement)
//!                || u32be(len(actor))   || actor        (UTF-8)
//!                || u32be(len(kind))    || kind         (UTF-8)
//!                || u32be(len(details)) || details      (the stored JSON text, byte for byte)
//!                || u32be(32)           || prev_hash)
//! ```
//!
//! This is the context encoding of `docs/protocol.md` §3, so every field is length-prefixed and
//! no two different events encode alike; the chain name is inside, so an event cannot be moved
//! to another chain. `docs/protocol.md` §17 has the same text and a worked example; the client
//! (`keyhaven-client`, `audit.rs`) recomputes it independently.
//!
//! # Appending and races
//!
//! [`append`] runs inside the caller's transaction, after the operation's own writes:
//!
//! 1. it takes the chain's append lock by bumping the chain's row in `audit_chains`
//!    (`INSERT … ON CONFLICT (chain) DO UPDATE`), held until the transaction ends;
//! 2. it reads the chain's last event (`seq`, `hash`);
//! 3. it inserts event `seq + 1` with `prev_hash` = that hash.
//!
//! On PostgreSQL (READ COMMITTED) a second transaction appending to the same chain waits at
//! step 1 until the first commits or rolls back, and its step 2, a new statement, then sees the
//! first one's event: concurrent writers to one workspace queue instead of failing. On SQLite
//! the database's single writer lock already serializes them: [`Store::begin`] takes it with
//! `BEGIN IMMEDIATE`, so a writer waits (busy timeout) instead of failing on a stale snapshot.
//!
//! The primary key `(chain, seq)` is the backstop: should two appends ever read the same head
//! (a writer that skips the lock), only one insert succeeds and the other fails with
//! [`StoreError::ChainConflict`], which rolls its whole operation back, so a chain never forks
//! and no operation is stored without its event. Store methods run their transaction once more
//! on that error ([`ATTEMPTS`]); a second loss is answered `409 Conflict` ("try again").
//!
//! A transaction that appends to several chains (a password reset) appends to the account's
//! chain first, then to workspace chains in id order, so two of them never wait on each other's
//! locks in opposite orders.

use core::future::Future;

use keyhaven_crypto::{Context, sha256};
use sqlx::Row;

use super::{Store, StoreError};

/// How many times a store method runs its transaction when its audit append loses a race for
/// the chain's next position (see the module documentation): the first try and one retry.
pub(crate) const ATTEMPTS: usize = 2;

/// The actor of events the server causes by itself (a temporary recovery key's expiry).
pub const SERVER_ACTOR: &str = "server";

/// The context label of the event hash (`docs/protocol.md` §4).
const HASH_LABEL: &str = "audit-event";

/// What happened. The names are the `kind` column and part of each event's hash, so they never
/// change once released.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EventKind {
    /// Account chain: the account was registered.
    AccountCreated,
    /// Account chain: a password login succeeded and a session started.
    Login,
    /// Account chain: a session was ended by its holder.
    Logout,
    /// Account chain: the password and account keys were replaced, every session revoked.
    PasswordReset,
    /// Account chain: the signed-in account changed its password (same keys, re-wrapped);
    /// its other sessions were signed out.
    PasswordChanged,
    /// Workspace chain: the workspace was created with its genesis roster and recovery key.
    WorkspaceCreated,
    /// Workspace chain: a member reset their password; their membership needs relinking.
    MemberPasswordReset,
    /// Workspace chain: a secret was stored (revision 1).
    ItemAdded,
    /// Workspace chain: a new revision of a secret was stored.
    ItemChanged,
    /// Workspace chain: a secret was deleted.
    ItemDeleted,
    /// Workspace chain: a permanent recovery key replaced the previous one.
    RecoveryKeyGenerated,
    /// Workspace chain: an owner proved the current recovery key (validation).
    RecoveryKeyValidated,
    /// Workspace chain: a proof of the recovery key was wrong (recorded although the request
    /// fails).
    RecoveryKeyRejected,
    /// Workspace chain: the recovery key's shares were handed to a caller who proved the key.
    RecoverySharesReleased,
    /// Workspace chain: the recovery key relinked an owner after a password reset.
    RecoveryKeyUsed,
    /// Workspace chain: a temporary recovery key expired; its verifier and shares were deleted.
    RecoveryKeyExpired,
    /// Workspace chain: an owner or admin invited an address.
    MemberInvited,
    /// Workspace chain: the invited account accepted; owners and admins now see its keys.
    InvitationAccepted,
    /// Workspace chain: an accepted invitee was added to the roster with their shares.
    MemberAdded,
    /// Workspace chain: a member's role changed (with any key rotation it brings).
    MemberRoleChanged,
    /// Workspace chain: a member was removed and the keys they could open were rotated.
    MemberRemoved,
    /// Workspace chain: an owner or admin relinked a member after their password reset.
    MemberRelinked,
    /// Workspace chain: an owner or admin stored shares of existing key versions for members
    /// or the recovery key, with no roster change (`member reshare`).
    KeysReshared,
    /// Workspace chain: an owner or admin stored device keys (details: record ids).
    DeviceKeysAdded,
    /// Workspace chain: an enrollment token stored device keys (actor `token:<uuid>`).
    DeviceKeysSubmitted,
    /// Workspace chain: a holder of the escrow key set the blind indexes of token submissions.
    DeviceKeysIndexed,
    /// Workspace chain: a device key was served to be shown (details: record id, reason);
    /// written before the key is served.
    DeviceKeyRevealed,
    /// Workspace chain: a device key was served to be saved to a file.
    DeviceKeyExported,
    /// Workspace chain: a device key was served to compare a typed key on the client.
    DeviceKeyChecked,
    /// Workspace chain: a device key record was deleted.
    DeviceKeyDeleted,
    /// Workspace chain: a token submission that contradicted an escrowed key was accepted
    /// (it is now the current key) or rejected (deleted).
    DeviceKeyConflictResolved,
    /// Workspace chain: an enrollment token was created.
    EscrowTokenCreated,
    /// Workspace chain: an enrollment token was revoked.
    EscrowTokenRevoked,
    /// Workspace chain: a device-key setting changed (details: setting, value).
    DeviceSettingChanged,
}

impl EventKind {
    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            EventKind::AccountCreated => "account-created",
            EventKind::Login => "login",
            EventKind::Logout => "logout",
            EventKind::PasswordReset => "password-reset",
            EventKind::PasswordChanged => "password-changed",
            EventKind::WorkspaceCreated => "workspace-created",
            EventKind::MemberPasswordReset => "member-password-reset",
            EventKind::ItemAdded => "item-added",
            EventKind::ItemChanged => "item-changed",
            EventKind::ItemDeleted => "item-deleted",
            EventKind::RecoveryKeyGenerated => "recovery-key-generated",
            EventKind::RecoveryKeyValidated => "recovery-key-validated",
            EventKind::RecoveryKeyRejected => "recovery-key-rejected",
            EventKind::RecoverySharesReleased => "recovery-shares-released",
            EventKind::RecoveryKeyUsed => "recovery-key-used",
            EventKind::RecoveryKeyExpired => "recovery-key-expired",
            EventKind::MemberInvited => "member-invited",
            EventKind::InvitationAccepted => "invitation-accepted",
            EventKind::MemberAdded => "member-added",
            EventKind::MemberRoleChanged => "member-role-changed",
            EventKind::MemberRemoved => "member-removed",
            EventKind::MemberRelinked => "member-relinked",
            EventKind::KeysReshared => "keys-reshared",
            EventKind::DeviceKeysAdded => "device-keys-added",
            EventKind::DeviceKeysSubmitted => "device-keys-submitted",
            EventKind::DeviceKeysIndexed => "device-keys-indexed",
            EventKind::DeviceKeyRevealed => "device-key-revealed",
            EventKind::DeviceKeyExported => "device-key-exported",
            EventKind::DeviceKeyChecked => "device-key-checked",
            EventKind::DeviceKeyDeleted => "device-key-deleted",
            EventKind::DeviceKeyConflictResolved => "device-key-conflict-resolved",
            EventKind::EscrowTokenCreated => "escrow-token-created",
            EventKind::EscrowTokenRevoked => "escrow-token-revoked",
            EventKind::DeviceSettingChanged => "device-setting-changed",
        }
    }
}

/// A stored audit event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditEvent {
    /// `workspace:<uuid>` or `account:<uuid>`.
    pub chain: String,
    /// Position in the chain, from 0.
    pub seq: i64,
    /// Unix seconds.
    pub at: i64,
    /// `account:<uuid>` or [`SERVER_ACTOR`].
    pub actor: String,
    /// An [`EventKind`] name.
    pub kind: String,
    /// JSON object; never a secret.
    pub details: String,
    /// The previous event's hash (32 zero bytes for seq 0).
    pub prev_hash: Vec<u8>,
    /// [`event_hash`] of this event.
    pub hash: Vec<u8>,
}

/// The chain of a workspace.
pub fn workspace_chain(workspace_id: &str) -> String {
    format!("workspace:{workspace_id}")
}

/// The chain of an account.
pub fn account_chain(account_id: &str) -> String {
    format!("account:{account_id}")
}

/// How an account appears as an actor.
pub fn account_actor(account_id: &str) -> String {
    format!("account:{account_id}")
}

/// The hash of an event: SHA-256 over its canonical encoding (module documentation).
pub fn event_hash(
    chain: &str,
    seq: i64,
    at: i64,
    actor: &str,
    kind: &str,
    details: &str,
    prev_hash: &[u8],
) -> [u8; 32] {
    // Invariant: positions are counted up from 0, never negative.
    let seq = u64::try_from(seq).expect("audit positions are not negative");
    let encoded = Context::new(HASH_LABEL)
        .field(chain)
        .field_u64(seq)
        .field(at.to_be_bytes())
        .field(actor)
        .field(kind)
        .field(details)
        .field(prev_hash);
    sha256(encoded.as_bytes())
}

/// Appends one event to `chain` inside the caller's transaction: the next position after the
/// chain's last event, linked to its hash, under the chain's append lock (module
/// documentation). Fails with [`StoreError::ChainConflict`] if another transaction took that
/// position first; any failure fails the caller's transaction.
pub(crate) async fn append(
    tx: &mut sqlx::Transaction<'_, sqlx::Any>,
    chain: &str,
    actor: &str,
    kind: EventKind,
    details: &serde_json::Value,
    at: i64,
) -> Result<(), StoreError> {
    sqlx::query(
        "INSERT INTO audit_chains (chain, appended) VALUES ($1, 1)
         ON CONFLICT (chain) DO UPDATE SET appended = audit_chains.appended + 1",
    )
    .bind(chain)
    .execute(&mut **tx)
    .await?;
    let head = sqlx::query(
        "SELECT seq, hash FROM audit_events WHERE chain = $1 ORDER BY seq DESC LIMIT 1",
    )
    .bind(chain)
    .fetch_optional(&mut **tx)
    .await?;
    let (seq, prev_hash) = match head {
        Some(row) => (row.try_get::<i64, _>(0)? + 1, row.try_get::<Vec<u8>, _>(1)?),
        None => (0, vec![0; 32]),
    };
    let details = details.to_string();
    let kind = kind.as_str();
    let hash = event_hash(chain, seq, at, actor, kind, &details, &prev_hash);
    sqlx::query(
        "INSERT INTO audit_events (chain, seq, at, actor, kind, details, prev_hash, hash)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
    )
    .bind(chain)
    .bind(seq)
    .bind(at)
    .bind(actor)
    .bind(kind)
    .bind(&details)
    .bind(&prev_hash)
    .bind(hash.as_slice())
    .execute(&mut **tx)
    .await
    .map_err(|e| match StoreError::from(e) {
        StoreError::Conflict => StoreError::ChainConflict,
        other => other,
    })?;
    Ok(())
}

/// Runs `attempt` (one whole transaction) again if its audit append lost a race for the
/// chain's next position, up to [`ATTEMPTS`] times in all. Safe because a failed attempt was
/// rolled back entirely.
pub(crate) async fn retrying<T, F, Fut>(mut attempt: F) -> Result<T, StoreError>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<T, StoreError>>,
{
    let mut tries = 1;
    loop {
        match attempt().await {
            Err(StoreError::ChainConflict) if tries < ATTEMPTS => tries += 1,
            outcome => return outcome,
        }
    }
}

impl Store {
    /// Records an event that goes with no other write (a rejected recovery proof, the release
    /// of recovery shares), in its own transaction. The caller acts only after it succeeded.
    pub async fn record_event(
        &self,
        chain: &str,
        actor: &str,
        kind: EventKind,
        details: &serde_json::Value,
        at: i64,
    ) -> Result<(), StoreError> {
        retrying(|| async {
            let mut tx = self.begin().await?;
            append(&mut tx, chain, actor, kind, details, at).await?;
            tx.commit().await?;
            Ok(())
        })
        .await
    }

    /// Every event of a chain, in order (empty for a chain with no events).
    pub async fn audit_events(&self, chain: &str) -> Result<Vec<AuditEvent>, StoreError> {
        Ok(self.audit_events_page(chain, -1, i64::MAX - 1).await?.0)
    }

    /// Up to `limit` events of `chain` after position `after` (-1 for the first page), and
    /// whether more are left.
    pub async fn audit_events_page(
        &self,
        chain: &str,
        after: i64,
        limit: i64,
    ) -> Result<(Vec<AuditEvent>, bool), StoreError> {
        let rows = sqlx::query(
            "SELECT chain, seq, at, actor, kind, details, prev_hash, hash FROM audit_events
             WHERE chain = $1 AND seq > $2 ORDER BY seq LIMIT $3",
        )
        .bind(chain)
        .bind(after)
        .bind(limit.saturating_add(1))
        .fetch_all(self.pool())
        .await?;
        let more = rows.len() as i64 > limit;
        let rows = &rows[..rows.len().min(usize::try_from(limit).unwrap_or(usize::MAX))];
        rows.iter()
            .map(|r| {
                Ok(AuditEvent {
                    chain: r.try_get(0)?,
                    seq: r.try_get(1)?,
                    at: r.try_get(2)?,
                    actor: r.try_get(3)?,
                    kind: r.try_get(4)?,
                    details: r.try_get(5)?,
                    prev_hash: r.try_get(6)?,
                    hash: r.try_get(7)?,
                })
            })
            .collect::<Result<Vec<_>, StoreError>>()
            .map(|events| (events, more))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The worked example of `docs/protocol.md` §17; the client checks the same bytes.
    #[test]
    fn known_hash() {
        let hash = event_hash(
            "workspace:00000000-0000-4000-8000-000000000001",
            1,
            1_795_305_600,
            "account:00000000-0000-4000-8000-00000000000a",
            "item-added",
            r#"{"item":"00000000-0000-4000-8000-0000000000ff","revision":1}"#,
            &[0x11; 32],
        );
        assert_eq!(
            hex::encode(hash),
            "ba925ad76fecd28a63691956f19d2eaa07331aca83070bb9c5f9f1566891b2b0"
        );
    }

    #[test]
    fn every_field_counts() {
        let base = || {
            (
                "account:a".to_owned(),
                0_i64,
                5_i64,
                "account:a".to_owned(),
                "login".to_owned(),
                "{}".to_owned(),
                vec![0u8; 32],
            )
        };
        let hash = |e: &(String, i64, i64, String, String, String, Vec<u8>)| {
            event_hash(&e.0, e.1, e.2, &e.3, &e.4, &e.5, &e.6)
        };
        let original = hash(&base());
        let mut changed = Vec::new();
        let mut e = base();
        e.0.push('x');
        changed.push(e);
        let mut e = base();
        e.1 = 1;
        changed.push(e);
        let mut e = base();
        e.2 = 6;
        changed.push(e);
        let mut e = base();
        e.3.push('x');
        changed.push(e);
        let mut e = base();
        e.4 = "logout".into();
        changed.push(e);
        let mut e = base();
        e.5 = "{ }".into();
        changed.push(e);
        let mut e = base();
        e.6[31] = 1;
        changed.push(e);
        for e in &changed {
            assert_ne!(hash(e), original, "{e:?}");
        }
        // Length prefixes: moving a byte from one field to the next changes the hash.
        let mut shifted = base();
        shifted.3 = "account:".into();
        shifted.4 = "alogin".into();
        assert_ne!(hash(&shifted), original);
    }

    #[test]
    fn kinds_have_stable_distinct_names() {
        let all = [
            EventKind::AccountCreated,
            EventKind::Login,
            EventKind::Logout,
            EventKind::PasswordReset,
            EventKind::PasswordChanged,
            EventKind::WorkspaceCreated,
            EventKind::MemberPasswordReset,
            EventKind::ItemAdded,
            EventKind::ItemChanged,
            EventKind::ItemDeleted,
            EventKind::RecoveryKeyGenerated,
            EventKind::RecoveryKeyValidated,
            EventKind::RecoveryKeyRejected,
            EventKind::RecoverySharesReleased,
            EventKind::RecoveryKeyUsed,
            EventKind::RecoveryKeyExpired,
        ];
        let names: std::collections::BTreeSet<_> = all.iter().map(|k| k.as_str()).collect();
        assert_eq!(names.len(), all.len());
    }
}
