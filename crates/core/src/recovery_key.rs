//! The workspace recovery key: 128 random bits, written as 48 digits in 8 groups of 6.
//!
//! The text format is the BitLocker recovery-password encoding (group *i* = 11 × the *i*-th
//! little-endian 16-bit word): digits only, safe on any keyboard layout and over the phone, and
//! each group carries its own check, so a typo is reported with its group.
//!
//! From the secret (HKDF-SHA256, salt = workspace id) come an X25519 recipient key (workspace
//! key shares are sealed to it), an Ed25519 authority key (it signs the relink of an owner after
//! a password reset) and a proof value (the server stores only its SHA-256). A client checks the
//! public keys against the roster before it sends the proof, a check the server cannot fake.

use core::fmt;

use keyhaven_crypto::hpke::{RecipientPublicKey, RecipientSecretKey};
use keyhaven_crypto::kdf::{self, Label};
use keyhaven_crypto::sign::{SigningKey, VerifyingKey};
use zeroize::{Zeroize, ZeroizeOnDrop, Zeroizing};

use crate::device::bitlocker::{self, BitLockerRecoveryPassword, GroupError};
use crate::ids::{RecoveryKeyId, WorkspaceId};
use crate::roster::RecoveryKeyRecord;

/// Why typed text is not a recovery key. Groups are numbered from 1.
pub type RecoveryKeyParseError = GroupError;

/// A workspace recovery key's secret. Zeroized on drop; never printed by `Debug`.
#[derive(Clone, Zeroize, ZeroizeOnDrop)]
pub struct RecoveryKey([u8; 16]);

/// Everything derived from a recovery key for one workspace.
pub struct RecoveryDerivation {
    /// Opens the workspace-key shares sealed to the recovery key.
    pub recipient: RecipientSecretKey,
    /// Signs the relink of an owner.
    pub authority: SigningKey,
    /// Sent to the server, which compares SHA-256(proof) with what it stored.
    pub proof: Zeroizing<[u8; 32]>,
}

/// Why a typed key does not belong to this workspace's current recovery key.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum RecoveryKeyMismatch {
    /// The derived public keys differ from the roster's: another workspace's key, or an older one.
    #[error(
        "this recovery key does not belong to this workspace's current recovery key \
         (ID {expected_short}…); it may be another workspace's key or an older one"
    )]
    OtherKey {
        /// Short form of the expected key ID.
        expected_short: String,
    },
    /// The temporary key's expiry has passed.
    #[error("this temporary recovery key expired; an owner must generate a permanent one")]
    Expired,
}

impl RecoveryKey {
    /// Generates a new random recovery key.
    pub fn generate() -> Self {
        Self(keyhaven_crypto::random_array())
    }

    /// Wraps 16 secret bytes.
    pub fn from_bytes(bytes: [u8; 16]) -> Self {
        Self(bytes)
    }

    /// Parses 48 digits with `-`, space or no separators; errors name the first bad group.
    pub fn parse(text: &str) -> Result<Self, RecoveryKeyParseError> {
        let password = BitLockerRecoveryPassword::parse(text)?;
        Ok(Self(*password.expose_key_bytes()))
    }

    /// The 48 digits in 8 groups joined by `-`.
    pub fn encode(&self) -> Zeroizing<String> {
        bitlocker::encode_groups(&self.0)
    }

    /// The secret bytes.
    pub fn expose(&self) -> &[u8; 16] {
        &self.0
    }

    /// Derives the recipient key, authority key and proof for `workspace`.
    pub fn derive(&self, workspace: WorkspaceId) -> RecoveryDerivation {
        let salt = workspace.as_bytes();
        let x = kdf::derive_array::<32>(&self.0, salt, Label::RecoveryX25519);
        let ed = kdf::derive_array::<32>(&self.0, salt, Label::RecoveryEd25519);
        RecoveryDerivation {
            recipient: RecipientSecretKey::from_bytes(*x),
            authority: SigningKey::from_seed(&ed),
            proof: kdf::derive_array::<32>(&self.0, salt, Label::RecoveryProof),
        }
    }
}

impl fmt::Debug for RecoveryKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("RecoveryKey(<redacted>)")
    }
}

impl fmt::Debug for RecoveryDerivation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RecoveryDerivation")
            .field("recipient", &self.recipient)
            .field("authority", &self.authority)
            .field("proof", &"<redacted>")
            .finish()
    }
}

impl RecoveryDerivation {
    /// The public keys, as a roster records them.
    pub fn public(&self) -> (RecipientPublicKey, VerifyingKey) {
        (self.recipient.public_key(), self.authority.verifying_key())
    }

    /// What the server stores to check a proof: SHA-256(proof).
    pub fn proof_verifier(&self) -> [u8; 32] {
        keyhaven_crypto::sha256(self.proof.as_ref())
    }

    /// Checks the derived public keys against the roster's current record and its expiry.
    ///
    /// This runs before the proof is sent: a server cannot make a client accept a key the
    /// roster does not name.
    pub fn check_against(
        &self,
        record: &RecoveryKeyRecord,
        now: u64,
    ) -> Result<(), RecoveryKeyMismatch> {
        let (recipient, authority) = self.public();
        if recipient != record.recipient || authority != record.authority {
            return Err(RecoveryKeyMismatch::OtherKey {
                expected_short: record.id.short(),
            });
        }
        if !record.is_valid_at(now) {
            return Err(RecoveryKeyMismatch::Expired);
        }
        Ok(())
    }
}

/// A freshly generated key with the identifier printed beside it.
#[derive(Debug)]
pub struct NewRecoveryKey {
    /// Printed beside the key.
    pub id: RecoveryKeyId,
    /// The secret.
    pub key: RecoveryKey,
}

impl NewRecoveryKey {
    /// Generates a key and a random identifier.
    pub fn generate() -> Self {
        Self {
            id: RecoveryKeyId::generate(),
            key: RecoveryKey::generate(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encode_parse_round_trip() {
        let key = RecoveryKey::generate();
        let text = key.encode();
        assert_eq!(text.len(), 48 + 7);
        let back = RecoveryKey::parse(&text).unwrap();
        assert_eq!(back.expose(), key.expose());
        let spaced = text.replace('-', " ");
        assert_eq!(RecoveryKey::parse(&spaced).unwrap().expose(), key.expose());
        let bare = text.replace('-', "");
        assert_eq!(RecoveryKey::parse(&bare).unwrap().expose(), key.expose());
    }

    #[test]
    fn bad_group_is_named() {
        let text = RecoveryKey::from_bytes([0; 16]).encode().to_string();
        assert_eq!(&text[..13], "000000-000000");
        let mut bad = text.clone();
        bad.replace_range(14..20, "000001");
        assert_eq!(
            RecoveryKey::parse(&bad).unwrap_err(),
            GroupError::NotDivisibleBy11 { group: 3 }
        );
        let mut big = text;
        big.replace_range(0..6, "720896");
        assert_eq!(
            RecoveryKey::parse(&big).unwrap_err(),
            GroupError::TooLarge { group: 1 }
        );
    }

    #[test]
    fn derivations_depend_on_workspace() {
        let key = RecoveryKey::generate();
        let a = key.derive(WorkspaceId::generate());
        let b = key.derive(WorkspaceId::generate());
        assert_ne!(a.public(), b.public());
        assert_ne!(a.proof_verifier(), b.proof_verifier());
        let shown = format!("{key:?} {a:?}");
        assert!(shown.contains("<redacted>"));
        assert!(!shown.contains(key.encode().as_str()));
        assert!(!shown.contains(&format!("{:?}", &a.proof[..4])));
    }
}

/// A statement that the workspace's recovery key `key_id` was validated at `at`, signed with
/// that key's recovery authority (derived from the key, so only someone who typed it can make
/// one). The server stores the latest and serves it; a client takes the last validation from a
/// statement that verifies under the roster's current record, never from the server's say-so.
///
/// Encoding: `0x01 ‖ u64be(at) ‖ Ed25519 signature (64)` over
/// `context("recovery-key-validated", workspace id (16), recovery-key id (16), u64be(at))`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ValidationStatement {
    /// Unix seconds (the validating client's clock).
    pub at: u64,
    signature: keyhaven_crypto::sign::Signature,
}

/// Bytes of an encoded [`ValidationStatement`].
const STATEMENT_LEN: usize = 1 + 8 + 64;

impl ValidationStatement {
    fn message(workspace: WorkspaceId, key_id: RecoveryKeyId, at: u64) -> keyhaven_crypto::Context {
        keyhaven_crypto::Context::new("recovery-key-validated")
            .field(workspace.as_bytes())
            .field(key_id.as_bytes())
            .field_u64(at)
    }

    /// Signs a statement with the authority derived from the recovery key.
    pub fn sign(
        workspace: WorkspaceId,
        key_id: RecoveryKeyId,
        at: u64,
        derived: &RecoveryDerivation,
    ) -> Self {
        let signature = derived
            .authority
            .sign(Self::message(workspace, key_id, at).as_bytes());
        Self { at, signature }
    }

    /// The encoding.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(STATEMENT_LEN);
        out.push(1);
        out.extend_from_slice(&self.at.to_be_bytes());
        out.extend_from_slice(&self.signature.0);
        out
    }

    /// Decodes a statement; `None` for any other length or format version.
    pub fn from_bytes(bytes: &[u8]) -> Option<Self> {
        if bytes.len() != STATEMENT_LEN || bytes[0] != 1 {
            return None;
        }
        let at = u64::from_be_bytes(bytes[1..9].try_into().ok()?);
        let signature = keyhaven_crypto::sign::Signature(bytes[9..].try_into().ok()?);
        Some(Self { at, signature })
    }

    /// Whether the statement was signed by the authority of `record` (the roster's current
    /// recovery key) for `workspace`.
    pub fn verify(&self, workspace: WorkspaceId, record: &RecoveryKeyRecord) -> bool {
        record
            .authority
            .verify(
                Self::message(workspace, record.id, self.at).as_bytes(),
                &self.signature,
            )
            .is_ok()
    }
}

#[cfg(test)]
mod statement_tests {
    use super::*;
    use crate::roster::RecoveryKind;

    fn record(key: &RecoveryKey, ws: WorkspaceId, id: RecoveryKeyId) -> RecoveryKeyRecord {
        let (recipient, authority) = key.derive(ws).public();
        RecoveryKeyRecord {
            id,
            kind: RecoveryKind::Permanent,
            recipient,
            authority,
        }
    }

    #[test]
    fn a_statement_verifies_only_for_its_key_workspace_and_time() {
        let ws = WorkspaceId(uuid::Uuid::from_bytes([1; 16]));
        let id = RecoveryKeyId(uuid::Uuid::from_bytes([2; 16]));
        let key = RecoveryKey::generate();
        let statement = ValidationStatement::sign(ws, id, 1_800_000_000, &key.derive(ws));
        let decoded = ValidationStatement::from_bytes(&statement.to_bytes()).unwrap();
        assert_eq!(decoded, statement);
        assert!(decoded.verify(ws, &record(&key, ws, id)));
        // Another key, another workspace, another key id, a later time: refused.
        let other = RecoveryKey::generate();
        assert!(!decoded.verify(ws, &record(&other, ws, id)));
        let ws2 = WorkspaceId(uuid::Uuid::from_bytes([3; 16]));
        assert!(!decoded.verify(ws2, &record(&key, ws2, id)));
        let id2 = RecoveryKeyId(uuid::Uuid::from_bytes([4; 16]));
        assert!(!decoded.verify(ws, &record(&key, ws, id2)));
        let mut later = statement.to_bytes();
        later[8] ^= 1;
        let later = ValidationStatement::from_bytes(&later).unwrap();
        assert!(!later.verify(ws, &record(&key, ws, id)));
        // Unknown format versions and lengths are refused.
        let mut v2 = statement.to_bytes();
        v2[0] = 2;
        assert!(ValidationStatement::from_bytes(&v2).is_none());
        assert!(ValidationStatement::from_bytes(&v2[..10]).is_none());
    }
}
