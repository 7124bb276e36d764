//! HKDF-SHA256 derivations and HMAC-SHA256, one label per purpose.
//!
//! Every label Keyhaven uses is a variant of [`Label`]; `docs/protocol.md` lists them with their
//! inputs. A label is the HKDF `info`, so keys derived for different purposes from the same
//! secret are independent.

use hkdf::Hkdf;
use hmac::{Hmac, Mac};
use sha2::Sha256;
use zeroize::Zeroizing;

use crate::secret::SymmetricKey;

/// The purpose of a derivation. The string form is the HKDF `info` and is part of the format.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Label {
    /// OPAQUE export key → account wrap key (wraps the account's private keys).
    AccountWrap,
    /// Workspace key → item encryption key (salt: workspace id).
    Item,
    /// Recovery-key secret → X25519 recovery recipient secret (salt: workspace id).
    RecoveryX25519,
    /// Recovery-key secret → Ed25519 recovery authority seed (salt: workspace id).
    RecoveryEd25519,
    /// Recovery-key secret → proof value whose SHA-256 the server stores (salt: workspace id).
    RecoveryProof,
    /// Escrow private key → blind-index HMAC key (salt: workspace id).
    BlindIndex,
    /// Device-record batch key → one record's key (salt: record id).
    DeviceRecordKey,
    /// Enrollment-token secret → the value the server checks (salt: token id).
    EscrowTokenAuth,
    /// Enrollment-token secret → Ed25519 seed that signs submissions (salt: token id).
    EscrowTokenSign,
    /// Enrollment-token secret → HMAC key of the resubmission tag (salt: token id).
    EscrowTokenDedup,
}

impl Label {
    /// Every label, in the order of `docs/protocol.md`.
    pub const ALL: [Label; 10] = [
        Label::AccountWrap,
        Label::Item,
        Label::RecoveryX25519,
        Label::RecoveryEd25519,
        Label::RecoveryProof,
        Label::BlindIndex,
        Label::DeviceRecordKey,
        Label::EscrowTokenAuth,
        Label::EscrowTokenSign,
        Label::EscrowTokenDedup,
    ];

    /// The HKDF `info` string.
    pub const fn as_str(self) -> &'static str {
        match self {
            Label::AccountWrap => "keyhaven/v1/account-wrap",
            Label::Item => "keyhaven/v1/item",
            Label::RecoveryX25519 => "keyhaven/v1/recovery-x25519",
            Label::RecoveryEd25519 => "keyhaven/v1/recovery-ed25519",
            Label::RecoveryProof => "keyhaven/v1/recovery-proof",
            Label::BlindIndex => "keyhaven/v1/blind-index",
            Label::DeviceRecordKey => "keyhaven/v1/device-record-key",
            Label::EscrowTokenAuth => "keyhaven/v1/escrow-token-auth",
            Label::EscrowTokenSign => "keyhaven/v1/escrow-token-sign",
            Label::EscrowTokenDedup => "keyhaven/v1/escrow-token-dedup",
        }
    }
}

/// HKDF-SHA256(salt, ikm) expanded with `label` to 32 bytes.
pub fn derive_key(ikm: &[u8], salt: &[u8], label: Label) -> SymmetricKey {
    let mut okm = derive_array::<32>(ikm, salt, label);
    let key = SymmetricKey::from_bytes(*okm);
    zeroize::Zeroize::zeroize(&mut *okm);
    key
}

/// HKDF-SHA256(salt, ikm) expanded with `label` to `N` bytes (N ≤ 8160).
pub fn derive_array<const N: usize>(ikm: &[u8], salt: &[u8], label: Label) -> Zeroizing<[u8; N]> {
    let mut okm = Zeroizing::new([0u8; N]);
    Hkdf::<Sha256>::new(Some(salt), ikm)
        .expand(label.as_str().as_bytes(), okm.as_mut())
        .expect("every N used here is below HKDF-SHA256's 8160-byte limit");
    okm
}

/// HMAC-SHA256 of `data` under `key`.
pub fn hmac_sha256(key: &SymmetricKey, data: &[u8]) -> [u8; 32] {
    let mut mac =
        <Hmac<Sha256> as Mac>::new_from_slice(key.expose()).expect("HMAC takes any key length");
    mac.update(data);
    mac.finalize().into_bytes().into()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels_are_distinct_and_versioned() {
        for (i, a) in Label::ALL.iter().enumerate() {
            assert!(a.as_str().starts_with("keyhaven/v1/"));
            for b in &Label::ALL[i + 1..] {
                assert_ne!(a.as_str(), b.as_str());
            }
        }
    }

    #[test]
    fn different_labels_give_different_keys() {
        let a = derive_key(b"ikm", b"salt", Label::Item);
        let b = derive_key(b"ikm", b"salt", Label::BlindIndex);
        assert_ne!(a, b);
    }
}
