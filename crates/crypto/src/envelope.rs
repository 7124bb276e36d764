//! Versioned XChaCha20-Poly1305 envelopes bound to a [`Context`].
//!
//! Wire format, version 1 (`docs/protocol.md` §Envelope):
//!
//! ```text
//! 0x01 || nonce (24 random bytes) || ciphertext || tag (16)
//! ```
//!
//! The associated data is `0x01 || context.as_bytes()`, so the version tag, and every field of
//! the context, are authenticated: a ciphertext opened under any other context fails.

use crate::context::Context;
use crate::secret::{SecretBytes, SymmetricKey};

/// The only envelope version this build writes and reads.
pub const VERSION_1: u8 = 0x01;
/// Length of the random XChaCha20 nonce.
pub const NONCE_LEN: usize = 24;
/// Length of the Poly1305 tag.
pub const TAG_LEN: usize = 16;
/// Bytes an envelope adds to its plaintext.
pub const OVERHEAD: usize = 1 + NONCE_LEN + TAG_LEN;

/// Why an envelope could not be opened.
///
/// Decryption failures are deliberately one variant: whether the key, the context or the bytes
/// were wrong is not something an attacker should learn.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum EnvelopeError {
    /// The envelope is shorter than a version tag, nonce and tag.
    #[error("envelope is truncated ({0} bytes)")]
    Truncated(usize),
    /// The version tag is not one this build knows.
    #[error("unknown envelope version {0:#04x}")]
    UnknownVersion(u8),
    /// Authentication failed: wrong key, wrong context, or altered bytes.
    #[error("envelope could not be decrypted (wrong key, wrong context or altered data)")]
    Decryption,
}

/// Encrypts `plaintext` under `key`, bound to `context`, with a fresh random nonce.
pub fn seal(key: &SymmetricKey, context: &Context, plaintext: &[u8]) -> Vec<u8> {
    seal_with_nonce(key, context, plaintext, &crate::random_array())
}

/// Encrypts with a caller-chosen nonce. Only for known-answer tests: reusing a nonce under one
/// key breaks confidentiality and authenticity.
#[doc(hidden)]
pub fn seal_with_nonce(
    key: &SymmetricKey,
    context: &Context,
    plaintext: &[u8],
    nonce: &[u8; NONCE_LEN],
) -> Vec<u8> {
    let aad = associated_data(context);
    let mut out = Vec::with_capacity(plaintext.len() + OVERHEAD);
    out.push(VERSION_1);
    out.extend_from_slice(nonce);
    crate::aead::seal(key.expose(), nonce, &aad, plaintext, &mut out);
    out
}

/// Decrypts an envelope made by [`seal`] under the same key and context.
pub fn open(
    key: &SymmetricKey,
    context: &Context,
    envelope: &[u8],
) -> Result<SecretBytes, EnvelopeError> {
    let (&version, rest) = envelope.split_first().ok_or(EnvelopeError::Truncated(0))?;
    if version != VERSION_1 {
        return Err(EnvelopeError::UnknownVersion(version));
    }
    if envelope.len() < OVERHEAD {
        return Err(EnvelopeError::Truncated(envelope.len()));
    }
    let (nonce, ciphertext) = rest.split_at(NONCE_LEN);
    let nonce: &[u8; NONCE_LEN] = nonce.try_into().expect("split at NONCE_LEN");
    let aad = associated_data(context);
    crate::aead::open(key.expose(), nonce, &aad, ciphertext)
        .map(|mut plain| SecretBytes::new(core::mem::take(&mut *plain)))
        .map_err(|_| EnvelopeError::Decryption)
}

fn associated_data(context: &Context) -> Vec<u8> {
    let mut aad = Vec::with_capacity(1 + context.as_bytes().len());
    aad.push(VERSION_1);
    aad.extend_from_slice(context.as_bytes());
    aad
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ctx() -> Context {
        Context::new("test").field("a")
    }

    #[test]
    fn round_trip() {
        let key = SymmetricKey::generate();
        let sealed = seal(&key, &ctx(), b"secret");
        assert_eq!(sealed.len(), 6 + OVERHEAD);
        assert_eq!(open(&key, &ctx(), &sealed).unwrap().expose(), b"secret");
    }

    #[test]
    fn other_context_fails() {
        let key = SymmetricKey::generate();
        let sealed = seal(&key, &ctx(), b"secret");
        let other = Context::new("test").field("b");
        assert_eq!(open(&key, &other, &sealed), Err(EnvelopeError::Decryption));
    }

    #[test]
    fn unknown_version_is_rejected() {
        let key = SymmetricKey::generate();
        let mut sealed = seal(&key, &ctx(), b"secret");
        sealed[0] = 0x02;
        assert_eq!(
            open(&key, &ctx(), &sealed),
            Err(EnvelopeError::UnknownVersion(2))
        );
    }

    #[test]
    fn truncated_is_rejected() {
        let key = SymmetricKey::generate();
        assert_eq!(open(&key, &ctx(), &[]), Err(EnvelopeError::Truncated(0)));
        assert_eq!(
            open(&key, &ctx(), &[1; 10]),
            Err(EnvelopeError::Truncated(10))
        );
    }
}
