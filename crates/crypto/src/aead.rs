//! XChaCha20-Poly1305 (draft-irtf-cfrg-xchacha), with two interchangeable backends.
//!
//! XChaCha20-Poly1305 is HChaCha20(key, nonce[0..16]) as a subkey, then the IETF
//! ChaCha20-Poly1305 AEAD (RFC 8439) with the nonce `0u32 || nonce[16..24]`. On native targets
//! the AEAD step runs on `ring` (BoringSSL's vectorized assembly); on wasm32 it runs on the
//! portable RustCrypto implementation. Both backends are checked against each other and
//! against the Wycheproof XChaCha20-Poly1305 vectors (`tests/aead_backends.rs`).

use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use zeroize::Zeroizing;

/// Tag length.
pub const TAG_LEN: usize = 16;

/// The AEAD failed to authenticate.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AuthError;

/// Encrypts `plaintext`, appending ciphertext || tag to `out`.
pub fn seal(key: &[u8; 32], nonce: &[u8; 24], aad: &[u8], plaintext: &[u8], out: &mut Vec<u8>) {
    #[cfg(not(target_arch = "wasm32"))]
    native::seal(key, nonce, aad, plaintext, out);
    #[cfg(target_arch = "wasm32")]
    portable_seal(key, nonce, aad, plaintext, out);
}

/// Decrypts ciphertext || tag.
pub fn open(
    key: &[u8; 32],
    nonce: &[u8; 24],
    aad: &[u8],
    ciphertext: &[u8],
) -> Result<Zeroizing<Vec<u8>>, AuthError> {
    #[cfg(not(target_arch = "wasm32"))]
    return native::open(key, nonce, aad, ciphertext);
    #[cfg(target_arch = "wasm32")]
    return portable_open(key, nonce, aad, ciphertext);
}

/// The portable backend (RustCrypto), used on wasm32 and as the reference in tests.
pub fn portable_seal(
    key: &[u8; 32],
    nonce: &[u8; 24],
    aad: &[u8],
    plaintext: &[u8],
    out: &mut Vec<u8>,
) {
    let cipher = chacha20poly1305::XChaCha20Poly1305::new(key.into());
    let sealed = cipher
        .encrypt(
            nonce.into(),
            Payload {
                msg: plaintext,
                aad,
            },
        )
        .expect("XChaCha20-Poly1305 encryption cannot fail below 256 GiB");
    out.extend_from_slice(&sealed);
}

/// The portable backend's decryption.
pub fn portable_open(
    key: &[u8; 32],
    nonce: &[u8; 24],
    aad: &[u8],
    ciphertext: &[u8],
) -> Result<Zeroizing<Vec<u8>>, AuthError> {
    let cipher = chacha20poly1305::XChaCha20Poly1305::new(key.into());
    cipher
        .decrypt(
            nonce.into(),
            Payload {
                msg: ciphertext,
                aad,
            },
        )
        .map(Zeroizing::new)
        .map_err(|_| AuthError)
}

#[cfg(not(target_arch = "wasm32"))]
mod native {
    use chacha20::cipher::consts::U10;
    use ring::aead::{Aad, CHACHA20_POLY1305, LessSafeKey, Nonce, UnboundKey};
    use zeroize::{Zeroize, Zeroizing};

    use super::{AuthError, TAG_LEN};

    /// HChaCha20 subkey and the 12-byte IETF nonce for an XChaCha nonce.
    fn subkey(key: &[u8; 32], nonce: &[u8; 24]) -> (LessSafeKey, Nonce) {
        let mut sub = chacha20::hchacha::<U10>(key.into(), nonce[..16].into());
        let unbound = UnboundKey::new(&CHACHA20_POLY1305, &sub).expect("32-byte key");
        sub.as_mut_slice().zeroize();
        let mut ietf = [0u8; 12];
        ietf[4..].copy_from_slice(&nonce[16..]);
        (
            LessSafeKey::new(unbound),
            Nonce::assume_unique_for_key(ietf),
        )
    }

    pub(super) fn seal(
        key: &[u8; 32],
        nonce: &[u8; 24],
        aad: &[u8],
        plaintext: &[u8],
        out: &mut Vec<u8>,
    ) {
        let (key, nonce) = subkey(key, nonce);
        let start = out.len();
        out.reserve(plaintext.len() + TAG_LEN);
        out.extend_from_slice(plaintext);
        let tag = key
            .seal_in_place_separate_tag(nonce, Aad::from(aad), &mut out[start..])
            .expect("ChaCha20-Poly1305 encryption cannot fail below 256 GiB");
        out.extend_from_slice(tag.as_ref());
    }

    pub(super) fn open(
        key: &[u8; 32],
        nonce: &[u8; 24],
        aad: &[u8],
        ciphertext: &[u8],
    ) -> Result<Zeroizing<Vec<u8>>, AuthError> {
        if ciphertext.len() < TAG_LEN {
            return Err(AuthError);
        }
        let (key, nonce) = subkey(key, nonce);
        let mut buf = Zeroizing::new(ciphertext.to_vec());
        let len = key
            .open_in_place(nonce, Aad::from(aad), &mut buf)
            .map_err(|_| AuthError)?
            .len();
        buf.truncate(len);
        Ok(buf)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backends_agree() {
        for len in [0usize, 1, 15, 16, 17, 63, 64, 65, 1000, 4096, 70_000] {
            let key = crate::random_array::<32>();
            let nonce = crate::random_array::<24>();
            let plain: Vec<u8> = (0..len).map(|i| i as u8).collect();
            let (mut a, mut b) = (Vec::new(), Vec::new());
            seal(&key, &nonce, b"aad", &plain, &mut a);
            portable_seal(&key, &nonce, b"aad", &plain, &mut b);
            assert_eq!(a, b, "length {len}");
            assert_eq!(
                open(&key, &nonce, b"aad", &b).unwrap().as_slice(),
                plain.as_slice()
            );
            assert_eq!(
                portable_open(&key, &nonce, b"aad", &a).unwrap().as_slice(),
                plain.as_slice()
            );
            a[0] ^= 1;
            assert_eq!(open(&key, &nonce, b"aad", &a), Err(AuthError));
        }
        assert_eq!(open(&[0; 32], &[0; 24], b"", &[0; 15]), Err(AuthError));
    }
}
