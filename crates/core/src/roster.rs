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
//! The wire format is in `docs/protocol.md` §Roster.

use std::collections::BTreeMap;

use keyhaven_crypto::hpke::RecipientPublicKey;
use keyhaven_crypto::sign::{Signature, SigningKey, VerifyingKey};
use keyhaven_crypto::{Context, sha256};

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
    pub(crate) fn encode(&self, w: &mut Writer) {
        match self {
            Signer::Member(id) => w.u8(1).array(id.as_bytes()),
            Signer::RecoveryAuthority(id) => w.u8(2).array(id.as_bytes()),
        };
    }

    pub(crate) fn decode(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        let tag = r.u8()?;
        let id = uuid::Uuid::from_bytes(r.array()?);
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

impl UnsignedEntry {
    /// The bytes the signature covers.
    pub fn signed_message(&self) -> Vec<u8> {
        let mut w = Writer::new();
        self.encode(&mut w);
        Context::new("roster-entry")
            .field(w.finish())
            .as_bytes()
            .to_vec()
    }

    /// Signs the entry.
    pub fn sign(self, key: &SigningKey) -> SignedEntry {
        let signature = key.sign(&self.signed_message());
        SignedEntry {
            entry: self,
            signature,
        }
    }

    fn encode(&self, w: &mut Writer) {
        w.u8(VERSION_1)
            .array(self.workspace.as_bytes())
            .u64(self.seq)
            .array(&self.prev)
            .u64(self.timestamp);
        self.signer.encode(w);
        encode_body(&self.body, w);
    }

    fn decode(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        let version = r.u8()?;
        if version != VERSION_1 {
            return Err(DecodeError::UnknownVersion(version));
        }
        Ok(Self {
            workspace: WorkspaceId(uuid::Uuid::from_bytes(r.array()?)),
            seq: r.u64()?,
            prev: r.array()?,
            timestamp: r.u64()?,
            signer: Signer::decode(r)?,
            body: decode_body(r)?,
        })
    }
}

impl SignedEntry {
    /// The wire encoding: entry, then the 64-byte signature.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut w = Writer::new();
        self.entry.encode(&mut w);
        w.array(&self.signature.0);
        w.finish()
    }

    /// Decodes [`SignedEntry::to_bytes`] strictly (no trailing bytes, known tags only).
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, DecodeError> {
        let mut r = Reader::new(bytes);
        let entry = UnsignedEntry::decode(&mut r)?;
        let signature = Signature(r.array()?);
        r.finish()?;
        Ok(Self { entry, signature })
    }

    /// SHA-256 of the encoding: what the next entry's `prev` names.
    pub fn hash(&self) -> [u8; 32] {
        sha256(&self.to_bytes())
    }
}

/// Verifies a whole roster, given as encoded entries, against an optional pinned head.
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

impl RosterState {
    /// Verifies a genesis entry and returns the state it creates.
    pub fn from_genesis(
        workspace: WorkspaceId,
        genesis: &SignedEntry,
    ) -> Result<Self, RosterError> {
        let e = &genesis.entry;
        let seq = e.seq;
        if e.workspace != workspace {
            return Err(RosterError::WrongWorkspace { seq });
        }
        if seq != 0 {
            return Err(RosterError::BadSequence { seq });
        }
        if e.prev != [0; 32] {
            return Err(RosterError::BrokenChain { seq });
        }
        let EntryBody::Genesis {
            name,
            owner,
            email,
            keys,
        } = &e.body
        else {
            return Err(RosterError::Unauthorized {
                seq,
                reason: "the first entry must be genesis",
            });
        };
        if e.signer != Signer::Member(*owner) {
            return Err(RosterError::Unauthorized {
                seq,
                reason: "genesis must be signed by its owner",
            });
        }
        keys.signing
            .verify(&e.signed_message(), &genesis.signature)
            .map_err(|_| RosterError::BadSignature { seq })?;
        let mut members = BTreeMap::new();
        members.insert(
            *owner,
            Member {
                email: email.clone(),
                role: Role::Owner,
                keys: *keys,
            },
        );
        Ok(Self {
            workspace,
            name: name.clone(),
            members,
            recovery: None,
            recovery_set_at: 0,
            workspace_key_version: 1,
            escrow_keys: Vec::new(),
            head: RosterHead {
                seq: 0,
                hash: genesis.hash(),
            },
            last_timestamp: e.timestamp,
            writer_keys: vec![WriterKey {
                account: *owner,
                key: keys.signing,
                first_version: 1,
                last_version: None,
            }],
        })
    }

    /// Starts the next entry after the current head.
    pub fn next_entry(&self, timestamp: u64, signer: Signer, body: EntryBody) -> UnsignedEntry {
        UnsignedEntry {
            workspace: self.workspace,
            seq: self.head.seq + 1,
            prev: self.head.hash,
            timestamp,
            signer,
            body,
        }
    }

    /// The current escrow key version and public key, if one was set.
    pub fn escrow(&self) -> Option<(u32, RecipientPublicKey)> {
        let version = u32::try_from(self.escrow_keys.len()).expect("fewer than 2^32 escrow keys");
        self.escrow_keys.last().map(|public| (version, *public))
    }

    /// The key that verifies `signer`'s signatures at time `at`, if `signer` may sign now.
    pub fn signer_key(&self, signer: Signer, at: u64) -> Result<SignerAuthority, SignerError> {
        match signer {
            Signer::Member(id) => {
                let member = self.members.get(&id).ok_or(SignerError::Unknown)?;
                Ok(SignerAuthority::Member(member.role, member.keys.signing))
            }
            Signer::RecoveryAuthority(id) => {
                let recovery = self
                    .recovery
                    .filter(|r| r.id == id)
                    .ok_or(SignerError::Unknown)?;
                if !recovery.is_valid_at(at) {
                    return Err(SignerError::Expired);
                }
                Ok(SignerAuthority::Recovery(recovery.authority))
            }
        }
    }

    /// Verifies one more entry against this state and applies it.
    pub fn apply(&mut self, signed: &SignedEntry) -> Result<(), RosterError> {
        let e = &signed.entry;
        let seq = e.seq;
        if e.workspace != self.workspace {
            return Err(RosterError::WrongWorkspace { seq });
        }
        if seq != self.head.seq + 1 {
            return Err(RosterError::BadSequence { seq });
        }
        if e.prev != self.head.hash {
            return Err(RosterError::BrokenChain { seq });
        }
        if e.timestamp < self.last_timestamp {
            return Err(RosterError::TimeWentBackwards { seq });
        }
        let authority = self
            .signer_key(e.signer, e.timestamp)
            .map_err(|err| match err {
                SignerError::Unknown => RosterError::UnknownSigner { seq },
                SignerError::Expired => RosterError::RecoveryKeyExpired { seq },
            })?;
        authority
            .key()
            .verify(&e.signed_message(), &signed.signature)
            .map_err(|_| RosterError::BadSignature { seq })?;
        self.authorize(authority, e)
            .map_err(|reason| RosterError::Unauthorized { seq, reason })?;
        self.last_timestamp = e.timestamp;
        self.head = RosterHead {
            seq,
            hash: signed.hash(),
        };
        self.apply_body(&e.body);
        Ok(())
    }

    fn owners(&self) -> usize {
        self.members
            .values()
            .filter(|m| m.role == Role::Owner)
            .count()
    }

    fn role_of(&self, account: &AccountId) -> Result<Role, &'static str> {
        self.members
            .get(account)
            .map(|m| m.role)
            .ok_or("the member is not in the workspace")
    }

    /// Checks the authorization table of the module docs.
    fn authorize(&self, authority: SignerAuthority, e: &UnsignedEntry) -> Result<(), &'static str> {
        let signer_role = match authority {
            SignerAuthority::Recovery(_) => {
                return match &e.body {
                    EntryBody::RelinkMember { account, .. } => match self.role_of(account)? {
                        Role::Owner => Ok(()),
                        _ => Err("the recovery key may only relink owners"),
                    },
                    _ => Err("the recovery key may only relink owners"),
                };
            }
            SignerAuthority::Member(role, _) => role,
        };
        let is_owner = signer_role == Role::Owner;
        if !matches!(signer_role, Role::Owner | Role::Admin) {
            return Err("only owners and admins sign roster changes");
        }
        match &e.body {
            EntryBody::Genesis { .. } => Err("genesis may only be the first entry"),
            EntryBody::AddMember { account, role, .. } => {
                if self.members.contains_key(account) {
                    return Err("the member is already in the workspace");
                }
                if *role == Role::Owner && !is_owner {
                    return Err("only owners may add owners");
                }
                Ok(())
            }
            EntryBody::ChangeRole { account, role } => {
                let current = self.role_of(account)?;
                if !is_owner && (current == Role::Owner || *role == Role::Owner) {
                    return Err("only owners may change an owner's role or make owners");
                }
                if current == Role::Owner && *role != Role::Owner && self.owners() == 1 {
                    return Err("the last owner cannot be demoted");
                }
                Ok(())
            }
            EntryBody::RemoveMember { account } => {
                let current = self.role_of(account)?;
                if current == Role::Owner && !is_owner {
                    return Err("only owners may remove owners");
                }
                if current == Role::Owner && self.owners() == 1 {
                    return Err("the last owner cannot be removed");
                }
                Ok(())
            }
            EntryBody::RelinkMember { account, .. } => {
                if self.role_of(account)? == Role::Owner && !is_owner {
                    return Err("only owners or the recovery key may relink owners");
                }
                Ok(())
            }
            EntryBody::SetRecoveryKey(record) => {
                if !is_owner {
                    return Err("only owners may set the recovery key");
                }
                if let RecoveryKind::Temporary { expires_at } = record.kind
                    && expires_at <= e.timestamp
                {
                    return Err("a temporary recovery key must expire after it is set");
                }
                Ok(())
            }
            EntryBody::RotateWorkspaceKey { version } => {
                if *version != self.workspace_key_version + 1 {
                    return Err("workspace key versions must increase by one");
                }
                Ok(())
            }
            EntryBody::SetEscrowKey { version, .. } => {
                if *version as usize != self.escrow_keys.len() + 1 {
                    return Err("escrow key versions must increase by one");
                }
                Ok(())
            }
        }
    }

    /// The key that verifies an item revision by `author` under workspace-key `version`.
    pub fn item_author_keys(
        &self,
        author: AccountId,
        version: u32,
    ) -> impl Iterator<Item = &VerifyingKey> {
        self.writer_keys
            .iter()
            .filter(move |w| {
                w.account == author
                    && w.first_version <= version
                    && w.last_version.is_none_or(|last| version <= last)
            })
            .map(|w| &w.key)
    }

    fn close_writer(&mut self, account: AccountId) {
        let version = self.workspace_key_version;
        for w in &mut self.writer_keys {
            if w.account == account && w.last_version.is_none() {
                w.last_version = Some(version);
            }
        }
    }

    fn open_writer(&mut self, account: AccountId, key: VerifyingKey) {
        let first_version = self.workspace_key_version;
        self.writer_keys.push(WriterKey {
            account,
            key,
            first_version,
            last_version: None,
        });
    }

    fn apply_body(&mut self, body: &EntryBody) {
        self.update_writers(body);
        match body {
            EntryBody::Genesis { .. } => unreachable!("authorize refuses genesis after seq 0"),
            EntryBody::AddMember {
                account,
                email,
                keys,
                role,
            } => {
                self.members.insert(
                    *account,
                    Member {
                        email: email.clone(),
                        role: *role,
                        keys: *keys,
                    },
                );
            }
            EntryBody::ChangeRole { account, role } => {
                if let Some(m) = self.members.get_mut(account) {
                    m.role = *role;
                }
            }
            EntryBody::RemoveMember { account } => {
                self.members.remove(account);
            }
            EntryBody::RelinkMember { account, keys } => {
                if let Some(m) = self.members.get_mut(account) {
                    m.keys = *keys;
                }
            }
            EntryBody::SetRecoveryKey(record) => {
                self.recovery = Some(*record);
                self.recovery_set_at = self.last_timestamp;
            }
            EntryBody::RotateWorkspaceKey { version } => self.workspace_key_version = *version,
            EntryBody::SetEscrowKey { public, .. } => self.escrow_keys.push(*public),
        }
    }
}

impl RosterState {
    fn update_writers(&mut self, body: &EntryBody) {
        match body {
            EntryBody::AddMember {
                account,
                keys,
                role,
                ..
            } if role.writes_items() => {
                self.open_writer(*account, keys.signing);
            }
            EntryBody::ChangeRole { account, role } => {
                let Some(member) = self.members.get(account) else {
                    return;
                };
                let (was, key) = (member.role.writes_items(), member.keys.signing);
                match (was, role.writes_items()) {
                    (true, false) => self.close_writer(*account),
                    (false, true) => self.open_writer(*account, key),
                    _ => {}
                }
            }
            EntryBody::RemoveMember { account } => self.close_writer(*account),
            EntryBody::RelinkMember { account, keys } => {
                let writes = self
                    .members
                    .get(account)
                    .is_some_and(|m| m.role.writes_items());
                if writes {
                    self.close_writer(*account);
                    self.open_writer(*account, keys.signing);
                }
            }
            _ => {}
        }
    }
}

/// Why a signer may not sign.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SignerError {
    /// Not a current member, or not the current recovery key.
    Unknown,
    /// The temporary recovery key has expired.
    Expired,
}

/// A signer the roster recognizes, with its verifying key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SignerAuthority {
    /// A member and their role.
    Member(Role, VerifyingKey),
    /// The current recovery key.
    Recovery(VerifyingKey),
}

impl SignerAuthority {
    /// The verifying key.
    pub fn key(&self) -> &VerifyingKey {
        match self {
            SignerAuthority::Member(_, key) | SignerAuthority::Recovery(key) => key,
        }
    }
}

fn encode_body(body: &EntryBody, w: &mut Writer) {
    match body {
        EntryBody::Genesis {
            name,
            owner,
            email,
            keys,
        } => {
            w.u8(1).str(name).array(owner.as_bytes()).str(email);
            keys.encode(w);
        }
        EntryBody::AddMember {
            account,
            email,
            keys,
            role,
        } => {
            w.u8(2).array(account.as_bytes()).str(email);
            keys.encode(w);
            w.u8(role.tag());
        }
        EntryBody::ChangeRole { account, role } => {
            w.u8(3).array(account.as_bytes()).u8(role.tag());
        }
        EntryBody::RemoveMember { account } => {
            w.u8(4).array(account.as_bytes());
        }
        EntryBody::RelinkMember { account, keys } => {
            w.u8(5).array(account.as_bytes());
            keys.encode(w);
        }
        EntryBody::SetRecoveryKey(record) => {
            w.u8(6).array(record.id.as_bytes());
            match record.kind {
                RecoveryKind::Temporary { expires_at } => w.u8(1).u64(expires_at),
                RecoveryKind::Permanent => w.u8(2),
            };
            w.array(&record.recipient.to_bytes())
                .array(&record.authority.to_bytes());
        }
        EntryBody::RotateWorkspaceKey { version } => {
            w.u8(7).u32(*version);
        }
        EntryBody::SetEscrowKey { version, public } => {
            w.u8(8).u32(*version).array(&public.to_bytes());
        }
    }
}

fn decode_account(r: &mut Reader<'_>) -> Result<AccountId, DecodeError> {
    Ok(AccountId(uuid::Uuid::from_bytes(r.array()?)))
}

fn decode_body(r: &mut Reader<'_>) -> Result<EntryBody, DecodeError> {
    let tag = r.u8()?;
    Ok(match tag {
        1 => EntryBody::Genesis {
            name: r.str()?.to_owned(),
            owner: decode_account(r)?,
            email: r.str()?.to_owned(),
            keys: AccountPublicKeys::decode(r)?,
        },
        2 => EntryBody::AddMember {
            account: decode_account(r)?,
            email: r.str()?.to_owned(),
            keys: AccountPublicKeys::decode(r)?,
            role: Role::from_tag(r.u8()?)?,
        },
        3 => EntryBody::ChangeRole {
            account: decode_account(r)?,
            role: Role::from_tag(r.u8()?)?,
        },
        4 => EntryBody::RemoveMember {
            account: decode_account(r)?,
        },
        5 => EntryBody::RelinkMember {
            account: decode_account(r)?,
            keys: AccountPublicKeys::decode(r)?,
        },
        6 => {
            let id = RecoveryKeyId(uuid::Uuid::from_bytes(r.array()?));
            let kind = match r.u8()? {
                1 => RecoveryKind::Temporary {
                    expires_at: r.u64()?,
                },
                2 => RecoveryKind::Permanent,
                tag => {
                    return Err(DecodeError::UnknownTag {
                        what: "recovery kind",
                        tag,
                    });
                }
            };
            let recipient = RecipientPublicKey::from_bytes(r.array()?);
            let authority = VerifyingKey::from_bytes(&r.array()?)
                .map_err(|_| DecodeError::Invalid("recovery authority key"))?;
            EntryBody::SetRecoveryKey(RecoveryKeyRecord {
                id,
                kind,
                recipient,
                authority,
            })
        }
        7 => EntryBody::RotateWorkspaceKey { version: r.u32()? },
        8 => EntryBody::SetEscrowKey {
            version: r.u32()?,
            public: RecipientPublicKey::from_bytes(r.array()?),
        },
        tag => {
            return Err(DecodeError::UnknownTag {
                what: "roster entry",
                tag,
            });
        }
    })
}
