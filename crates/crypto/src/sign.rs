//! Ed25519 signatures (roster entries, key shares, item revisions).
//!
//! Verification uses `verify_strict`, which rejects small-order keys and non-canonical
//! signatures, so one message has one valid signature per key and a malicious server cannot
//! produce a second valid encoding.

use core::fmt;

use ed25519_dalek::Signer;

/// Why a signature or public key was rejected.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum SignatureError {
    /// The bytes are not a valid Ed25519 public key.
    #[error("not a valid Ed25519 public key")]
    InvalidPublicKey,
    /// The signature does not verify under the key for this message.
    #[error("signature does not verify")]
    Invalid,
}

/// An Ed25519 signing key. Zeroized on drop; `Debug` shows only the public key.
#[derive(Clone)]
pub struct SigningKey(ed25519_dalek::SigningKey);

/// An Ed25519 public key.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct VerifyingKey(ed25519_dalek::VerifyingKey);

/// An Ed25519 signature (64 bytes).
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct Signature(pub [u8; 64]);

impl SigningKey {
    /// Generates a fresh random signing key.
    pub fn generate() -> Self {
        Self(ed25519_dalek::SigningKey::from_bytes(&crate::random_array()))
    }

    /// Builds a signing key from its 32-byte seed (for derived keys and unwrapped keys).
    pub fn from_seed(seed: &[u8; 32]) -> Self {
        Self(ed25519_dalek::SigningKey::from_bytes(seed))
    }

    /// The 32-byte seed, for wrapping. Callers must keep it in zeroizing storage.
    pub fn to_seed(&self) -> zeroize::Zeroizing<[u8; 32]> {
        zeroize::Zeroizing::new(self.0.to_bytes())
    }

    /// The public key.
    pub fn verifying_key(&self) -> VerifyingKey {
        VerifyingKey(self.0.verifying_key())
    }

    /// Signs `message`.
    pub fn sign(&self, message: &[u8]) -> Signature {
        Signature(self.0.sign(message).to_bytes())
    }
}

impl fmt::Debug for SigningKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "SigningKey(<redacted>, public {:?})",
            self.verifying_key()
        )
    }
}

impl VerifyingKey {
    /// Parses a public key, rejecting points that do not decompress.
    pub fn from_bytes(bytes: &[u8; 32]) -> Result<Self, SignatureError> {
        ed25519_dalek::VerifyingKey::from_bytes(bytes)
            .map(Self)
            .map_err(|_| SignatureError::InvalidPublicKey)
    }

    /// The 32-byte encoding.
    pub fn to_bytes(&self) -> [u8; 32] {
        self.0.to_bytes()
    }

    /// Verifies `signature` over `message` (strict: no malleable or small-order forms).
    pub fn verify(&self, message: &[u8], signature: &Signature) -> Result<(), SignatureError> {
        let signature = ed25519_dalek::Signature::from_bytes(&signature.0);
        self.0
            .verify_strict(message, &signature)
            .map_err(|_| SignatureError::Invalid)
    }
}

impl fmt::Debug for VerifyingKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "VerifyingKey({})", hex_prefix(&self.to_bytes()))
    }
}

impl fmt::Debug for Signature {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Signature({}…)", hex_prefix(&self.0[..8]))
    }
}

fn hex_prefix(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sign_and_verify() {
        let key = SigningKey::generate();
        let sig = key.sign(b"message");
        assert_eq!(key.verifying_key().verify(b"message", &sig), Ok(()));
        assert_eq!(
            key.verifying_key().verify(b"other", &sig),
            Err(SignatureError::Invalid)
        );
    }

    #[test]
    fn seed_round_trip() {
        let key = SigningKey::generate();
        let again = SigningKey::from_seed(&key.to_seed());
        assert_eq!(key.verifying_key(), again.verifying_key());
    }

    #[test]
    fn debug_hides_secret() {
        let key = SigningKey::from_seed(&[0x42; 32]);
        assert!(!format!("{key:?}").contains("4242424242"));
    }
}
