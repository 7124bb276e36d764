//! Secret byte types that zeroize on drop and never print their contents.

use core::fmt;
use zeroize::{Zeroize, ZeroizeOnDrop};

/// A 256-bit symmetric key (workspace key, item key, wrap key, …).
///
/// Zeroized on drop; `Debug` prints `SymmetricKey(<redacted>)`; equality is constant time.
#[derive(Clone, Zeroize, ZeroizeOnDrop)]
pub struct SymmetricKey([u8; 32]);

impl SymmetricKey {
    /// Generates a fresh random key.
    pub fn generate() -> Self {
        Self(crate::random_array())
    }

    /// Wraps existing key bytes (for example a key just opened from a share).
    pub fn from_bytes(bytes: [u8; 32]) -> Self {
        Self(bytes)
    }

    /// The raw key bytes. Callers must not copy them into non-zeroizing storage.
    pub fn expose(&self) -> &[u8; 32] {
        &self.0
    }
}

impl PartialEq for SymmetricKey {
    fn eq(&self, other: &Self) -> bool {
        crate::ct_eq(&self.0, &other.0)
    }
}

impl Eq for SymmetricKey {}

impl fmt::Debug for SymmetricKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SymmetricKey(<redacted>)")
    }
}

/// Secret bytes of any length (decrypted plaintexts, export keys), zeroized on drop.
#[derive(Clone, Default, Zeroize, ZeroizeOnDrop)]
pub struct SecretBytes(Vec<u8>);

impl PartialEq for SecretBytes {
    /// Constant time in the contents (the length is not secret).
    fn eq(&self, other: &Self) -> bool {
        crate::ct_eq(&self.0, &other.0)
    }
}

impl Eq for SecretBytes {}

impl SecretBytes {
    /// Takes ownership of `bytes`.
    pub fn new(bytes: Vec<u8>) -> Self {
        Self(bytes)
    }

    /// The secret bytes.
    pub fn expose(&self) -> &[u8] {
        &self.0
    }
}

impl fmt::Debug for SecretBytes {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "SecretBytes(<{} bytes redacted>)", self.0.len())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_never_shows_key_bytes() {
        let key = SymmetricKey::from_bytes([0xAB; 32]);
        let shown = format!("{key:?}");
        assert_eq!(shown, "SymmetricKey(<redacted>)");
        let secret = SecretBytes::new(b"hunter2".to_vec());
        assert!(!format!("{secret:?}").contains("hunter2"));
    }

    #[test]
    fn equality_compares_contents() {
        assert_eq!(
            SymmetricKey::from_bytes([1; 32]),
            SymmetricKey::from_bytes([1; 32])
        );
        assert_ne!(
            SymmetricKey::from_bytes([1; 32]),
            SymmetricKey::from_bytes([2; 32])
        );
    }
}
