//! The roster's byte encoding (`docs/protocol.md` §10): what is signed is what is parsed.

use keyhaven_crypto::hpke::RecipientPublicKey;
use keyhaven_crypto::sign::{Signature, SigningKey, VerifyingKey};
use keyhaven_crypto::{Context, sha256};

use super::{
    EntryBody, RecoveryKeyRecord, RecoveryKind, Role, SignedEntry, Signer, UnsignedEntry, VERSION_1,
};
use crate::account::AccountPublicKeys;
use crate::codec::{DecodeError, Reader, Writer};
use crate::ids::{AccountId, RecoveryKeyId, WorkspaceId};

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
        r.version(VERSION_1)?;
        Ok(Self {
            workspace: WorkspaceId(r.uuid()?),
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
    Ok(AccountId(r.uuid()?))
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
            let id = RecoveryKeyId(r.uuid()?);
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
