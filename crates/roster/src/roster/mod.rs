//! The workspace roster: an append-only, hash-chained list of signed entries.
//!
//! The roster is what lets a client trust membership, public keys, roles, the recovery key and
//! the escrow key without trusting the server. Each entry names the hash of the one before it
//! and is signed by a signer the entries before it authorized. Clients verify the whole chain
//! and pin its head; a shorter chain is a rollback, a different entry at a pinned position is a
//! fork ("the server rolled back or forked this workspace's history").
//!
//! Authorization rules (checked against the state *before* each entry):
//!
//! | entry | who may sign |
//! |---|---|
//! | genesis | the first owner, with the keys the entry itself introduces; only at seq 0 |
//! | add member | owner (any role), admin (any role but owner) |
//! | change role / remove member | owner (any), admin (non-owners, never to owner); the last owner stays |
//! | relink member | owner (any), admin (non-owners), or the recovery authority (owners only, before the recovery key's expiry) |
//! | set recovery key | owner |
//! | rotate workspace key, set escrow key | owner or admin; versions increase by exactly one |
//!
//! Members, read-only members and helpdesk members sign nothing.
//!
//! Entry timestamps never decrease along the chain; a recovery-authority entry must be dated
//! before the key's expiry. Timestamps are chosen by the signer, so a holder of an expired
//! temporary key that is still the current one could append an entry dated between the
//! previous entry and the expiry; the server refuses it (it deletes the key's verifier at
//! expiry) and any later entry dated after the expiry closes that window for good.
//! The wire format is in `docs/protocol.md` §10.

use std::collections::BTreeMap;

use keyhaven_crypto::hpke::RecipientPublicKey;
use keyhaven_crypto::sign::{Signature, VerifyingKey};

use crate::account::AccountPublicKeys;
use crate::codec::{DecodeError, Reader, Writer};
use crate::ids::{AccountId, RecoveryKeyId, WorkspaceId};

/// Roster entry format version.
pub const VERSION_1: u8 = 1;

/// A member's role in a workspace.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Role {
    /// Full control, including recovery keys.
    Owner,
    /// Manages members (not owners) and keys.
    Admin,
    /// Reads and writes secrets.
    Member,
    /// Reads secrets.
    ReadOnly,
    /// Sees device recovery keys only (receives the escrow key, not the workspace key).
    Helpdesk,
}

impl Role {
    fn tag(self) -> u8 {
        match self {
            Role::Owner => 1,
            Role::Admin => 2,
            Role::Member => 3,
            Role::ReadOnly => 4,
            Role::Helpdesk => 5,
        }
    }

    fn from_tag(tag: u8) -> Result<Self, DecodeError> {
        Ok(match tag {
            1 => Role::Owner,
            2 => Role::Admin,
            3 => Role::Member,
            4 => Role::ReadOnly,
            5 => Role::Helpdesk,
            _ => return Err(DecodeError::UnknownTag { what: "role", tag }),
        })
    }

    /// Whether the role receives the workspace key (and so can read secrets).
    pub fn receives_workspace_key(self) -> bool {
        !matches!(self, Role::Helpdesk)
    }

    /// Whether the role receives the escrow private key (and so can read device keys).
    pub fn receives_escrow_key(self) -> bool {
        matches!(self, Role::Owner | Role::Admin | Role::Helpdesk)
    }

    /// Whether the role may write items.
    pub fn writes_items(self) -> bool {
        matches!(self, Role::Owner | Role::Admin | Role::Member)
    }
}

/// Who signed an entry or a share.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Signer {
    /// A current member, with the signing key the roster records for them.
    Member(AccountId),
    /// The current recovery key's Ed25519 authority key.
    RecoveryAuthority(RecoveryKeyId),
}

impl Signer {
    /// Appends the 17-byte encoding (§10.2), shared with key shares (§11.1).
    pub fn encode(&self, w: &mut Writer) {
        match self {
            Signer::Member(id) => w.u8(1).array(id.as_bytes()),
            Signer::RecoveryAuthority(id) => w.u8(2).array(id.as_bytes()),
        };
    }

    /// Reads the encoding written by [`Signer::encode`].
    pub fn decode(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        let tag = r.u8()?;
        let id = r.uuid()?;
        match tag {
            1 => Ok(Signer::Member(AccountId(id))),
            2 => Ok(Signer::RecoveryAuthority(RecoveryKeyId(id))),
            _ => Err(DecodeError::UnknownTag {
                what: "signer",
                tag,
            }),
        }
    }
}

/// Checks a new workspace's name: 1 to 100 characters after trimming, none of them a control
/// character or one a shell gives meaning inside double quotes (`$`, `` ` ``, `"`, `\`), so a
/// name can be shown anywhere, and pasted anywhere, without doing anything. Commands in mail
/// name workspaces by id; this is the second line. Returns the trimmed name.
pub fn check_workspace_name(name: &str) -> Result<&str, &'static str> {
    let name = name.trim();
    if name.is_empty() || name.chars().count() > 100 {
        return Err("a workspace name has 1 to 100 characters");
    }
    if name
        .chars()
        .any(|c| c.is_control() || matches!(c, '$' | '`' | '"' | '\\'))
    {
        return Err("a workspace name cannot contain control characters, $, `, \" or \\");
    }
    Ok(name)
}

/// Whether a recovery key is the emailed temporary one or a permanent one.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RecoveryKind {
    /// Sent in the welcome email; stops working at `expires_at` (Unix seconds).
    Temporary {
        /// Unix seconds.
        expires_at: u64,
    },
    /// Generated on a client; never leaves it; never expires.
    Permanent,
}

/// The public record of a workspace recovery key.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RecoveryKeyRecord {
    /// Printed beside the key.
    pub id: RecoveryKeyId,
    /// Temporary (with expiry) or permanent.
    pub kind: RecoveryKind,
    /// HPKE recipient derived from the key: workspace-key shares are sealed to it.
    pub recipient: RecipientPublicKey,
    /// Ed25519 authority derived from the key: signs the relink of an owner.
    pub authority: VerifyingKey,
}

impl RecoveryKeyRecord {
    /// Whether the key may still act at `now` (Unix seconds).
    #[must_use]
    pub fn is_valid_at(&self, now: u64) -> bool {
        match self.kind {
            RecoveryKind::Temporary { expires_at } => now < expires_at,
            RecoveryKind::Permanent => true,
        }
    }
}

/// What an entry does.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum EntryBody {
    /// Creates the workspace with its first owner.
    Genesis {
        /// Workspace display name.
        name: String,
        /// The first owner.
        owner: AccountId,
        /// The owner's email, as shown to other members.
        email: String,
        /// The owner's public keys.
        keys: AccountPublicKeys,
    },
    /// Adds a member.
    AddMember {
        /// New member.
        account: AccountId,
        /// Their email.
        email: String,
        /// Their public keys, as the signer checked them (fingerprint).
        keys: AccountPublicKeys,
        /// Their role.
        role: Role,
    },
    /// Changes a member's role.
    ChangeRole {
        /// The member.
        account: AccountId,
        /// The new role.
        role: Role,
    },
    /// Removes a member.
    RemoveMember {
        /// The member.
        account: AccountId,
    },
    /// Records a member's new keys after their password reset.
    RelinkMember {
        /// The member.
        account: AccountId,
        /// Their new public keys.
        keys: AccountPublicKeys,
    },
    /// Replaces the workspace recovery key (the old one stops working at once).
    SetRecoveryKey(RecoveryKeyRecord),
    /// Starts a new workspace-key version.
    RotateWorkspaceKey {
        /// The new version: the current one plus one.
        version: u32,
    },
    /// Sets a new escrow key pair for device recovery keys.
    SetEscrowKey {
        /// The new version: the current one plus one (first is 1).
        version: u32,
        /// The escrow public key devices seal to.
        public: RecipientPublicKey,
    },
}

/// An entry before signing.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UnsignedEntry {
    /// The workspace this roster belongs to.
    pub workspace: WorkspaceId,
    /// Position in the chain, from 0.
    pub seq: u64,
    /// SHA-256 of the previous signed entry's encoding; zeros for genesis.
    pub prev: [u8; 32],
    /// Unix seconds, as the signer's clock said.
    pub timestamp: u64,
    /// Who signs.
    pub signer: Signer,
    /// What it does.
    pub body: EntryBody,
}

/// A signed roster entry.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SignedEntry {
    /// The signed content.
    pub entry: UnsignedEntry,
    /// Ed25519 over `Context("roster-entry") + encoding of entry`.
    pub signature: Signature,
}

/// The pinned position of a roster: its last sequence number and that entry's hash.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RosterHead {
    /// Sequence number of the last entry.
    pub seq: u64,
    /// SHA-256 of the last entry's encoding.
    pub hash: [u8; 32],
}

/// A member as the verified roster knows them.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Member {
    /// Email.
    pub email: String,
    /// Role.
    pub role: Role,
    /// Current public keys.
    pub keys: AccountPublicKeys,
}

/// Everything a verified roster establishes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RosterState {
    /// The workspace.
    pub workspace: WorkspaceId,
    /// Display name.
    pub name: String,
    /// Current members.
    pub members: BTreeMap<AccountId, Member>,
    /// The current recovery key, if one was set.
    pub recovery: Option<RecoveryKeyRecord>,
    /// When the current recovery key was set (Unix seconds).
    pub recovery_set_at: u64,
    /// Current workspace-key version (1 after genesis).
    pub workspace_key_version: u32,
    /// Every escrow public key so far; version `v` is at index `v - 1`.
    pub escrow_keys: Vec<RecipientPublicKey>,
    /// The last entry.
    pub head: RosterHead,
    /// Timestamp of the last entry.
    pub last_timestamp: u64,
    /// Every signing key that has been allowed to write items, and for which workspace-key
    /// versions: items stay verifiable after their author is removed or relinked.
    pub writer_keys: Vec<WriterKey>,
    /// Every (account, signing key) that has been an owner or admin: device records and
    /// enrollment-token grants they signed stay verifiable after they leave.
    pub manager_keys: Vec<(AccountId, VerifyingKey)>,
}

/// A signing key that could write items for a range of workspace-key versions.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct WriterKey {
    /// The author.
    pub account: AccountId,
    /// Their signing key during the range.
    pub key: VerifyingKey,
    /// First workspace-key version the key could write under.
    pub first_version: u32,
    /// Last version, once the member lost the write role, was removed or relinked.
    pub last_version: Option<u32>,
}

/// Why a roster was rejected.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum RosterError {
    /// The server returned no entries.
    #[error("the workspace roster is empty")]
    Empty,
    /// An entry's bytes do not decode.
    #[error("roster entry {seq} is malformed: {source}")]
    Decode {
        /// Position.
        seq: u64,
        /// Why.
        source: DecodeError,
    },
    /// An entry belongs to another workspace.
    #[error("roster entry {seq} belongs to another workspace")]
    WrongWorkspace {
        /// Position.
        seq: u64,
    },
    /// Sequence numbers are not 0, 1, 2, …
    #[error("roster entry {seq} is out of sequence")]
    BadSequence {
        /// Position.
        seq: u64,
    },
    /// An entry does not name its predecessor's hash.
    #[error("roster entry {seq} does not follow the previous entry")]
    BrokenChain {
        /// Position.
        seq: u64,
    },
    /// An entry is dated before its predecessor.
    #[error("roster entry {seq} is dated before the previous entry")]
    TimeWentBackwards {
        /// Position.
        seq: u64,
    },
    /// The signer is not a current member or the current recovery key.
    #[error("roster entry {seq} is signed by someone who is not in the workspace")]
    UnknownSigner {
        /// Position.
        seq: u64,
    },
    /// The signature does not verify.
    #[error("roster entry {seq} has an invalid signature")]
    BadSignature {
        /// Position.
        seq: u64,
    },
    /// The signer may not make this change.
    #[error("roster entry {seq} is not authorized: {reason}")]
    Unauthorized {
        /// Position.
        seq: u64,
        /// Which rule it breaks.
        reason: &'static str,
    },
    /// Signed by a temporary recovery key after its expiry.
    #[error("roster entry {seq} is signed by a recovery key that had expired")]
    RecoveryKeyExpired {
        /// Position.
        seq: u64,
    },
    /// The chain is shorter than the head this client pinned.
    #[error(
        "the server rolled back or forked this workspace's history \
         (it returned {len} entries; this device has seen {pinned_len})"
    )]
    Rollback {
        /// Entries returned.
        len: u64,
        /// Entries this device saw.
        pinned_len: u64,
    },
    /// The chain differs from the head this client pinned.
    #[error(
        "the server rolled back or forked this workspace's history \
         (entry {seq} differs from the one this device saw)"
    )]
    Fork {
        /// Position of the pinned head.
        seq: u64,
    },
}

pub fn verify_encoded(
    workspace: WorkspaceId,
    encoded: &[impl AsRef<[u8]>],
    pinned: Option<&RosterHead>,
) -> Result<RosterState, RosterError> {
    let entries = encoded
        .iter()
        .enumerate()
        .map(|(i, bytes)| {
            SignedEntry::from_bytes(bytes.as_ref()).map_err(|source| RosterError::Decode {
                seq: i as u64,
                source,
            })
        })
        .collect::<Result<Vec<_>, _>>()?;
    verify(workspace, &entries, pinned)
}

/// Verifies a whole roster against an optional pinned head and returns the resulting state.
pub fn verify(
    workspace: WorkspaceId,
    entries: &[SignedEntry],
    pinned: Option<&RosterHead>,
) -> Result<RosterState, RosterError> {
    let (genesis, rest) = entries.split_first().ok_or(RosterError::Empty)?;
    let mut state = RosterState::from_genesis(workspace, genesis)?;
    let mut pinned_hash_seen = None;
    if pinned.is_some_and(|p| p.seq == 0) {
        pinned_hash_seen = Some(state.head.hash);
    }
    for entry in rest {
        state.apply(entry)?;
        if pinned.is_some_and(|p| p.seq == state.head.seq) {
            pinned_hash_seen = Some(state.head.hash);
        }
    }
    if let Some(pinned) = pinned {
        match pinned_hash_seen {
            None => {
                return Err(RosterError::Rollback {
                    len: entries.len() as u64,
                    pinned_len: pinned.seq + 1,
                });
            }
            Some(hash) if hash != pinned.hash => return Err(RosterError::Fork { seq: pinned.seq }),
            Some(_) => {}
        }
    }
    Ok(state)
}

mod state;
mod wire;

pub use state::{SignerAuthority, SignerError};

#[cfg(test)]
mod tests {
    use super::check_workspace_name;

    #[test]
    fn workspace_names_that_do_something_in_a_shell_are_refused() {
        assert_eq!(
            check_workspace_name("  R&D (EU) / Ops #2 "),
            Ok("R&D (EU) / Ops #2")
        );
        assert_eq!(check_workspace_name("Müller & Söhne"), Ok("Müller & Söhne"));
        for bad in [
            "IT Dept $(curl x|sh)",
            "a`id`",
            "say \"hi\"",
            "back\\slash",
            "line\nbreak",
            "",
            "   ",
        ] {
            assert!(check_workspace_name(bad).is_err(), "{bad:?}");
        }
        assert!(check_workspace_name(&"x".repeat(101)).is_err());
        assert!(check_workspace_name(&"x".repeat(100)).is_ok());
    }
}
