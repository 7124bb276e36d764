//! HPKE (RFC 9180) base mode: DHKEM(X25519, HKDF-SHA256), HKDF-SHA256, ChaCha20Poly1305.
//!
//! Used for key shares (workspace key to a member, escrow key to helpdesk) and for sealing
//! device records to the escrow public key. Base mode authenticates nothing about the sender, so
//! every share is also signed (see the core crate's `share` module).
//!
//! Wire format, version 1 (`docs/protocol.md` §Sealed box):
//!
//! ```text
//! 0x01 || enc (32-byte X25519 ephemeral public key) || ciphertext || tag (16)
//! ```
//!
//! `info` is the caller's [`Context`]; the associated data is the version byte.

use core::fmt;

use hpke::aead::ChaCha20Poly1305;
use hpke::kdf::HkdfSha256;
use hpke::kem::X25519HkdfSha256;
use hpke::{Deserializable, Kem as _, OpModeR, OpModeS, Serializable};
use zeroize::{Zeroize, ZeroizeOnDrop};

use crate::context::Context;
use crate::secret::SecretBytes;

/// The only sealed-box version this build writes and reads.
pub const VERSION_1: u8 = 0x01;
/// Bytes a sealed box adds to its plaintext.
pub const OVERHEAD: usize = 1 + 32 + 16;

type Kem = X25519HkdfSha256;

/// Why a sealed box could not be opened.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum SealedBoxError {
    /// Shorter than a version tag, encapsulated key and tag.
    #[error("sealed box is truncated ({0} bytes)")]
    Truncated(usize),
    /// The version tag is not one this build knows.
    #[error("unknown sealed-box version {0:#04x}")]
    UnknownVersion(u8),
    /// The recipient public key is a low-order point: nothing can be sealed to it.
    #[error("the recipient public key is not usable (low-order point)")]
    InvalidRecipient,
    /// Decapsulation or authentication failed: wrong key, wrong context or altered bytes.
    #[error("sealed box could not be opened (wrong key, wrong context or altered data)")]
    Decryption,
}

/// An X25519 secret key used as an HPKE recipient. Zeroized on drop.
#[derive(Clone, Zeroize, ZeroizeOnDrop)]
pub struct RecipientSecretKey([u8; 32]);

/// An X25519 public key: where HPKE seals to.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct RecipientPublicKey([u8; 32]);

impl RecipientSecretKey {
    /// Generates a fresh random key.
    pub fn generate() -> Self {
        Self(crate::random_array())
    }

    /// Uses 32 bytes (derived or unwrapped) as the secret scalar; X25519 clamps it.
    pub fn from_bytes(bytes: [u8; 32]) -> Self {
        Self(bytes)
    }

    /// The secret bytes, for wrapping. Callers must keep them in zeroizing storage.
    pub fn expose(&self) -> &[u8; 32] {
        &self.0
    }

    /// The matching public key.
    pub fn public_key(&self) -> RecipientPublicKey {
        let public = Kem::sk_to_pk(&self.to_hpke());
        RecipientPublicKey(public.to_bytes().into())
    }

    fn to_hpke(&self) -> <Kem as hpke::Kem>::PrivateKey {
        <Kem as hpke::Kem>::PrivateKey::from_bytes(&self.0).expect("32 bytes is the X25519 length")
    }
}

impl fmt::Debug for RecipientSecretKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "RecipientSecretKey(<redacted>, public {:?})",
            self.public_key()
        )
    }
}

impl RecipientPublicKey {
    /// Wraps 32 bytes. Any 32 bytes are a valid X25519 u-coordinate.
    pub fn from_bytes(bytes: [u8; 32]) -> Self {
        Self(bytes)
    }

    /// The 32-byte encoding.
    pub fn to_bytes(&self) -> [u8; 32] {
        self.0
    }
}

impl fmt::Debug for RecipientPublicKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let hex: String = self.0.iter().map(|b| format!("{b:02x}")).collect();
        write!(f, "RecipientPublicKey({hex})")
    }
}

/// Seals `plaintext` to `recipient`, bound to `context` (the HPKE `info`).
///
/// Fails only when the recipient key is a low-order point (an all-zero shared secret).
pub fn seal(
    recipient: &RecipientPublicKey,
    context: &Context,
    plaintext: &[u8],
) -> Result<Vec<u8>, SealedBoxError> {
    let pk = <Kem as hpke::Kem>::PublicKey::from_bytes(&recipient.0)
        .expect("32 bytes is the X25519 length");
    let (enc, ciphertext) = hpke::single_shot_seal::<ChaCha20Poly1305, HkdfSha256, Kem, _>(
        &OpModeS::Base,
        &pk,
        context.as_bytes(),
        plaintext,
        &[VERSION_1],
        &mut rand_core::OsRng,
    )
    .map_err(|_| SealedBoxError::InvalidRecipient)?;
    let mut out = Vec::with_capacity(OVERHEAD + plaintext.len());
    out.push(VERSION_1);
    out.extend_from_slice(&enc.to_bytes());
    out.extend_from_slice(&ciphertext);
    Ok(out)
}

/// Opens a box sealed by [`seal`] to `recipient`'s public key under the same context.
pub fn open(
    recipient: &RecipientSecretKey,
    context: &Context,
    sealed: &[u8],
) -> Result<SecretBytes, SealedBoxError> {
    let (&version, rest) = sealed.split_first().ok_or(SealedBoxError::Truncated(0))?;
    if version != VERSION_1 {
        return Err(SealedBoxError::UnknownVersion(version));
    }
    if sealed.len() < OVERHEAD {
        return Err(SealedBoxError::Truncated(sealed.len()));
    }
    let (enc, ciphertext) = rest.split_at(32);
    let enc =
        <Kem as hpke::Kem>::EncappedKey::from_bytes(enc).map_err(|_| SealedBoxError::Decryption)?;
    hpke::single_shot_open::<ChaCha20Poly1305, HkdfSha256, Kem>(
        &OpModeR::Base,
        &recipient.to_hpke(),
        &enc,
        context.as_bytes(),
        ciphertext,
        &[VERSION_1],
    )
    .map(SecretBytes::new)
    .map_err(|_| SealedBoxError::Decryption)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_and_context_binding() {
        let sk = RecipientSecretKey::generate();
        let ctx = Context::new("share").field("w1");
        let sealed = seal(&sk.public_key(), &ctx, b"workspace key").unwrap();
        assert_eq!(open(&sk, &ctx, &sealed).unwrap().expose(), b"workspace key");
        let other = Context::new("share").field("w2");
        assert_eq!(open(&sk, &other, &sealed), Err(SealedBoxError::Decryption));
        let stranger = RecipientSecretKey::generate();
        assert_eq!(
            open(&stranger, &ctx, &sealed),
            Err(SealedBoxError::Decryption)
        );
    }

    #[test]
    fn version_and_length_checked() {
        let sk = RecipientSecretKey::generate();
        let ctx = Context::new("share");
        let mut sealed = seal(&sk.public_key(), &ctx, b"x").unwrap();
        sealed[0] = 9;
        assert_eq!(
            open(&sk, &ctx, &sealed),
            Err(SealedBoxError::UnknownVersion(9))
        );
        assert_eq!(
            open(&sk, &ctx, &[1, 2, 3]),
            Err(SealedBoxError::Truncated(3))
        );
    }

    #[test]
    fn low_order_recipient_is_refused() {
        let zero = RecipientPublicKey::from_bytes([0; 32]);
        assert_eq!(
            seal(&zero, &Context::new("share"), b"x"),
            Err(SealedBoxError::InvalidRecipient)
        );
    }
}
