//! Blind indexes: let the server find a device key by identifier or device name without
//! learning either.
//!
//! The index key is derived from the escrow private key, which the server never holds; an index
//! is HMAC-SHA256 of a normalized, typed value. Three kinds: the whole identifier, its first 8
//! hex digits (what a user reads off a locked machine), and the device name.

use keyhaven_crypto::SymmetricKey;
use keyhaven_crypto::hpke::RecipientSecretKey;
use keyhaven_crypto::kdf::{self, Label};

use crate::ids::WorkspaceId;

/// The HMAC key behind a workspace's blind indexes.
#[derive(Debug)]
pub struct BlindIndexKey(SymmetricKey);

impl BlindIndexKey {
    /// Derives the key from the escrow private key.
    pub fn derive(escrow: &RecipientSecretKey, workspace: WorkspaceId) -> Self {
        Self(kdf::derive_key(
            escrow.expose(),
            workspace.as_bytes(),
            Label::BlindIndex,
        ))
    }

    /// Index of a whole key identifier (a UUID).
    pub fn identifier(&self, id: &uuid::Uuid) -> [u8; 32] {
        self.mac("identifier", &id.hyphenated().to_string().to_uppercase())
    }

    /// Index of an identifier's first 8 hex digits.
    pub fn identifier_prefix(&self, id: &uuid::Uuid) -> [u8; 32] {
        let upper = id.simple().to_string().to_uppercase();
        self.mac("identifier-prefix", &upper[..8])
    }

    /// Index of a normalized key identifier of any kind (equal to [`Self::identifier`] for a
    /// UUID, whose normalized form is upper-case hyphenated).
    pub fn key_id(&self, id: &crate::escrow::KeyId) -> [u8; 32] {
        self.mac("identifier", id.as_str())
    }

    /// Index of the first 8 hex digits of an identifier, given upper-case (see
    /// [`crate::escrow::KeyId::hex_prefix`]).
    pub fn key_id_prefix(&self, hex8: &str) -> [u8; 32] {
        self.mac("identifier-prefix", hex8)
    }

    /// Index of a device key itself, in its normalized text form: lets a client ask which
    /// device a typed key belongs to without fetching any key.
    pub fn secret(&self, kind: &str, normalized: &str) -> [u8; 32] {
        let input = keyhaven_crypto::Context::new("device-secret")
            .field(kind)
            .field(normalized);
        kdf::hmac_sha256(&self.0, input.as_bytes())
    }

    /// Index of a device name: trimmed, inner whitespace collapsed, lower-cased.
    pub fn device_name(&self, name: &str) -> [u8; 32] {
        let normalized = name
            .split_whitespace()
            .collect::<Vec<_>>()
            .join(" ")
            .to_lowercase();
        self.mac("device-name", &normalized)
    }

    fn mac(&self, kind: &str, value: &str) -> [u8; 32] {
        let input = keyhaven_crypto::Context::new(kind).field(value);
        kdf::hmac_sha256(&self.0, input.as_bytes())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalization() {
        let key = BlindIndexKey::derive(&RecipientSecretKey::generate(), WorkspaceId::generate());
        let id: uuid::Uuid = "1a2b3c4d-0000-4000-8000-0000000000ff".parse().unwrap();
        let upper: uuid::Uuid = "1A2B3C4D-0000-4000-8000-0000000000FF".parse().unwrap();
        assert_eq!(key.identifier(&id), key.identifier(&upper));
        let other: uuid::Uuid = "1a2b3c4d-1111-4000-8000-0000000000ff".parse().unwrap();
        assert_eq!(key.identifier_prefix(&id), key.identifier_prefix(&other));
        assert_ne!(key.identifier(&id), key.identifier(&other));
        assert_ne!(key.identifier(&id), key.identifier_prefix(&id));
        assert_eq!(
            key.device_name("  Laptop   42 "),
            key.device_name("laptop 42")
        );
    }

    #[test]
    fn other_workspace_other_index() {
        let escrow = RecipientSecretKey::generate();
        let a = BlindIndexKey::derive(&escrow, WorkspaceId::generate());
        let b = BlindIndexKey::derive(&escrow, WorkspaceId::generate());
        assert_ne!(a.device_name("x"), b.device_name("x"));
    }
}
