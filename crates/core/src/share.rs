//! Key shares: a workspace or escrow key sealed (HPKE) to one recipient and signed.
//!
//! HPKE base mode lets anyone encrypt to a public key, so a share on its own proves nothing; a
//! malicious server could hand a member a key of its own choosing. Every share is therefore
//! signed, and a client opens a share only if the verified roster says that the signer may
//! hand out keys (a current owner or admin) and that the recipient
//! is entitled to this key (members get the workspace key except helpdesk; owners, admins and
//! helpdesk get the escrow key; the recovery key gets every workspace-key and escrow-key version).
//!
//! The HPKE `info` binds workspace, recipient, recipient public key and key version, so a share
//! cannot be replayed to another member, workspace or version. Format: `docs/protocol.md`
//! §Key share.

use keyhaven_crypto::hpke::{self, RecipientPublicKey, RecipientSecretKey};
use keyhaven_crypto::sign::{Signature, SigningKey};
use keyhaven_crypto::{Context, SymmetricKey};
use zeroize::Zeroizing;

use crate::codec::{DecodeError, Reader, Writer};
use crate::ids::{AccountId, RecoveryKeyId, WorkspaceId};
use crate::roster::{Role, RosterState, Signer, SignerAuthority, SignerError};

/// Key-share format version.
pub const VERSION_1: u8 = 1;

/// Who a share is for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ShareRecipient {
    /// A member's account key.
    Member(AccountId),
    /// The workspace recovery key's recipient key.
    Recovery(RecoveryKeyId),
}

/// Which key a share carries.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SharedKey {
    /// A workspace-key version.
    Workspace(u32),
    /// An escrow private-key version.
    Escrow(u32),
}

/// A signed, sealed key share.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct KeyShare {
    /// The workspace.
    pub workspace: WorkspaceId,
    /// Who can open it.
    pub recipient: ShareRecipient,
    /// Which key it carries.
    pub key: SharedKey,
    /// Who signed it.
    pub signer: Signer,
    /// Unix seconds when it was made.
    pub timestamp: u64,
    /// HPKE sealed box of the 32 key bytes.
    pub sealed: Vec<u8>,
    /// Ed25519 over `Context("key-share")` and the encoding of all of the above.
    pub signature: Signature,
}

/// Why a share was refused.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum ShareError {
    /// The bytes do not decode.
    #[error("key share is malformed: {0}")]
    Decode(#[from] DecodeError),
    /// The share names another workspace.
    #[error("key share belongs to another workspace")]
    WrongWorkspace,
    /// The signer is not an owner, admin or current recovery authority.
    #[error("key share is signed by someone who may not hand out keys")]
    UnauthorizedSigner,
    /// The recipient is not in the roster, or not entitled to this key.
    #[error("key share is for a recipient the roster does not entitle to this key")]
    RecipientNotEntitled,
    /// The key version is not one the roster has reached.
    #[error("key share carries an unknown key version")]
    UnknownKeyVersion,
    /// The signature does not verify.
    #[error("key share has an invalid signature")]
    BadSignature,
    /// The sealed box does not open with this recipient key.
    #[error("key share could not be decrypted")]
    Decryption,
    /// The opened escrow key is not the one the roster names for that version.
    #[error("key share carries a key the roster does not name")]
    WrongKey,
    /// The recipient's public key is unusable.
    #[error("the recipient's public key is not usable")]
    InvalidRecipient,
}

/// What a share is about, before sealing.
#[derive(Clone, Copy, Debug)]
pub struct ShareHeader {
    /// The workspace.
    pub workspace: WorkspaceId,
    /// Who can open it.
    pub recipient: ShareRecipient,
    /// Which key it carries.
    pub key: SharedKey,
    /// Who signs.
    pub signer: Signer,
    /// Unix seconds.
    pub timestamp: u64,
}

impl KeyShare {
    /// Seals `secret` to `recipient_key` and signs the share.
    pub fn seal(
        header: ShareHeader,
        recipient_key: &RecipientPublicKey,
        secret: &[u8; 32],
        signing_key: &SigningKey,
    ) -> Result<Self, ShareError> {
        let context = hpke_context(&header, recipient_key);
        let sealed = hpke::seal(recipient_key, &context, secret)
            .map_err(|_| ShareError::InvalidRecipient)?;
        let mut share = Self {
            workspace: header.workspace,
            recipient: header.recipient,
            key: header.key,
            signer: header.signer,
            timestamp: header.timestamp,
            sealed,
            signature: Signature([0; 64]),
        };
        share.signature = signing_key.sign(&share.signed_message());
        Ok(share)
    }

    /// Checks the share against the verified roster, then opens it.
    pub fn open(
        &self,
        roster: &RosterState,
        recipient_key: &RecipientSecretKey,
    ) -> Result<SymmetricKey, ShareError> {
        let expected_public = self.verify(roster)?;
        if recipient_key.public_key() != expected_public {
            return Err(ShareError::Decryption);
        }
        let context = hpke_context(&self.header(), &expected_public);
        let plain = hpke::open(recipient_key, &context, &self.sealed)
            .map_err(|_| ShareError::Decryption)?;
        let bytes: &[u8; 32] = plain
            .expose()
            .try_into()
            .map_err(|_| ShareError::Decryption)?;
        let bytes = Zeroizing::new(*bytes);
        // An escrow share must carry the private half of the key the roster names, or the
        // device keys a helpdesk member reads would not be the ones devices sealed.
        if let SharedKey::Escrow(version) = self.key {
            let public = RecipientSecretKey::from_bytes(*bytes).public_key();
            if roster.escrow_keys.get(version as usize - 1) != Some(&public) {
                return Err(ShareError::WrongKey);
            }
        }
        Ok(SymmetricKey::from_bytes(*bytes))
    }

    /// Checks signer, recipient, version and signature against the roster; returns the
    /// recipient public key the share must be sealed to.
    pub fn verify(&self, roster: &RosterState) -> Result<RecipientPublicKey, ShareError> {
        if self.workspace != roster.workspace {
            return Err(ShareError::WrongWorkspace);
        }
        let authority = roster
            .signer_key(self.signer, self.timestamp)
            .map_err(|e| match e {
                SignerError::Unknown | SignerError::Expired => ShareError::UnauthorizedSigner,
            })?;
        let recipient_public = self.entitled_recipient(roster, authority)?;
        let message = self.signed_message();
        // The signer is a current owner or admin (checked above). Their current key, or a key
        // they held earlier while managing the workspace (before a relink after a password
        // reset), vouches for the share: a relink must not take every share they handed out
        // with it (decision 0005). A member who left or stops managing vouches for nothing.
        let earlier = match self.signer {
            Signer::Member(id) => roster
                .manager_keys
                .iter()
                .filter(move |(account, key)| *account == id && key != authority.key())
                .map(|(_, key)| key)
                .collect(),
            Signer::RecoveryAuthority(_) => Vec::new(),
        };
        core::iter::once(authority.key())
            .chain(earlier)
            .find(|key| key.verify(&message, &self.signature).is_ok())
            .ok_or(ShareError::BadSignature)?;
        Ok(recipient_public)
    }

    /// Only owners and admins hand out keys. (The recovery authority signs no shares: after it
    /// relinks an owner, that owner re-shares the workspace key to their new key themselves.)
    fn entitled_recipient(
        &self,
        roster: &RosterState,
        authority: SignerAuthority,
    ) -> Result<RecipientPublicKey, ShareError> {
        if !matches!(
            authority,
            SignerAuthority::Member(Role::Owner | Role::Admin, _)
        ) {
            return Err(ShareError::UnauthorizedSigner);
        }
        let (entitled, public) = match self.recipient {
            ShareRecipient::Member(id) => {
                let member = roster
                    .members
                    .get(&id)
                    .ok_or(ShareError::RecipientNotEntitled)?;
                let entitled = match self.key {
                    SharedKey::Workspace(_) => member.role.receives_workspace_key(),
                    SharedKey::Escrow(_) => member.role.receives_escrow_key(),
                };
                (entitled, member.keys.encryption)
            }
            // The recovery key receives every workspace-key and every escrow-key version, so
            // that it restores secrets and device keys alike (decision 0005).
            ShareRecipient::Recovery(id) => {
                let recovery = roster
                    .recovery
                    .filter(|r| r.id == id)
                    .ok_or(ShareError::RecipientNotEntitled)?;
                (true, recovery.recipient)
            }
        };
        if !entitled {
            return Err(ShareError::RecipientNotEntitled);
        }
        let known_version = match self.key {
            SharedKey::Workspace(v) => (1..=roster.workspace_key_version).contains(&v),
            SharedKey::Escrow(v) => (1..=roster.escrow_keys.len()).contains(&(v as usize)),
        };
        if !known_version {
            return Err(ShareError::UnknownKeyVersion);
        }
        Ok(public)
    }

    fn header(&self) -> ShareHeader {
        ShareHeader {
            workspace: self.workspace,
            recipient: self.recipient,
            key: self.key,
            signer: self.signer,
            timestamp: self.timestamp,
        }
    }

    fn signed_message(&self) -> Vec<u8> {
        let mut w = Writer::new();
        self.encode_unsigned(&mut w);
        Context::new("key-share")
            .field(w.finish())
            .as_bytes()
            .to_vec()
    }

    fn encode_unsigned(&self, w: &mut Writer) {
        encode_header(&self.header(), w);
        w.bytes(&self.sealed);
    }

    /// The wire encoding.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut w = Writer::new();
        self.encode_unsigned(&mut w);
        w.array(&self.signature.0);
        w.finish()
    }

    /// Decodes [`KeyShare::to_bytes`] strictly.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, DecodeError> {
        let mut r = Reader::new(bytes);
        r.version(VERSION_1)?;
        let workspace = WorkspaceId(r.uuid()?);
        let recipient = match r.u8()? {
            1 => ShareRecipient::Member(AccountId(r.uuid()?)),
            2 => ShareRecipient::Recovery(RecoveryKeyId(r.uuid()?)),
            tag => {
                return Err(DecodeError::UnknownTag {
                    what: "share recipient",
                    tag,
                });
            }
        };
        let key = match r.u8()? {
            1 => SharedKey::Workspace(r.u32()?),
            2 => SharedKey::Escrow(r.u32()?),
            tag => {
                return Err(DecodeError::UnknownTag {
                    what: "shared key",
                    tag,
                });
            }
        };
        let signer = Signer::decode(&mut r)?;
        let timestamp = r.u64()?;
        let sealed = r.bytes()?.to_vec();
        let signature = Signature(r.array()?);
        r.finish()?;
        Ok(Self {
            workspace,
            recipient,
            key,
            signer,
            timestamp,
            sealed,
            signature,
        })
    }
}

fn encode_header(h: &ShareHeader, w: &mut Writer) {
    w.u8(VERSION_1).array(h.workspace.as_bytes());
    match h.recipient {
        ShareRecipient::Member(id) => w.u8(1).array(id.as_bytes()),
        ShareRecipient::Recovery(id) => w.u8(2).array(id.as_bytes()),
    };
    match h.key {
        SharedKey::Workspace(v) => w.u8(1).u32(v),
        SharedKey::Escrow(v) => w.u8(2).u32(v),
    };
    h.signer.encode(w);
    w.u64(h.timestamp);
}

fn hpke_context(h: &ShareHeader, recipient_key: &RecipientPublicKey) -> Context {
    let mut w = Writer::new();
    encode_header(h, &mut w);
    Context::new("key-share")
        .field(w.finish())
        .field(recipient_key.to_bytes())
}
