//! Ed25519 signatures (roster entries, key shares, item revisions), checked one by one or in
//! batches with the same verdict.
//!
//! Validity (decision 0011): RFC 8032 §5.1.7's cofactored equation `[8][S]B = [8]R + [8][k]A`,
//! with strict encodings: `S` must be canonical (`S < ℓ`), `R` and `A` canonical point
//! encodings (`y < p`) that are not of small order. The strict encodings mean nobody but the
//! key's holder can turn one valid signature into a second one (a malicious server cannot);
//! the cofactored equation is what lets a batch of signatures be checked at once and reach
//! exactly the verdict that checking each alone would ([`verify_batch`]).
//!
//! Signing is ed25519-dalek's (RFC 8032, deterministic nonces); verification is written here
//! over curve25519-dalek's group operations, checked against RFC 8032 and Wycheproof vectors
//! and against ed25519-dalek's `verify_strict` (which agrees except on signatures whose `R`
//! carries a torsion component, which only the key's holder can make).

use core::fmt;

use curve25519_dalek::constants::ED25519_BASEPOINT_POINT;
use curve25519_dalek::edwards::{CompressedEdwardsY, EdwardsPoint};
use curve25519_dalek::scalar::Scalar;
use curve25519_dalek::traits::{IsIdentity, VartimeMultiscalarMul};
use ed25519_dalek::Signer;
use sha2::{Digest, Sha512};

/// Why a signature or public key was rejected.
#[derive(Debug, thiserror::Error, PartialEq, Eq, Clone, Copy)]
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

/// An Ed25519 public key: its canonical encoding and the decoded point.
#[derive(Clone, Copy)]
pub struct VerifyingKey {
    bytes: [u8; 32],
    point: EdwardsPoint,
}

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
        let key = self.0.verifying_key();
        VerifyingKey {
            bytes: key.to_bytes(),
            point: key.to_edwards(),
        }
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
    /// Parses a public key, rejecting non-canonical encodings and points that do not
    /// decompress. (Small-order keys parse, and no signature verifies under them.)
    pub fn from_bytes(bytes: &[u8; 32]) -> Result<Self, SignatureError> {
        let point = decode_point(bytes).ok_or(SignatureError::InvalidPublicKey)?;
        Ok(Self {
            bytes: *bytes,
            point,
        })
    }

    /// The 32-byte encoding.
    pub fn to_bytes(&self) -> [u8; 32] {
        self.bytes
    }

    /// Verifies `signature` over `message` (strict encodings, cofactored equation; see the
    /// module documentation).
    pub fn verify(&self, message: &[u8], signature: &Signature) -> Result<(), SignatureError> {
        let parsed = Parsed::new(self, message, signature).ok_or(SignatureError::Invalid)?;
        // [S]B − [k]A − R, times the cofactor, is the identity.
        let r_expected =
            EdwardsPoint::vartime_double_scalar_mul_basepoint(&parsed.k, &-self.point, &parsed.s);
        if (r_expected - parsed.r).mul_by_cofactor().is_identity() {
            Ok(())
        } else {
            Err(SignatureError::Invalid)
        }
    }
}

impl PartialEq for VerifyingKey {
    fn eq(&self, other: &Self) -> bool {
        self.bytes == other.bytes
    }
}

impl Eq for VerifyingKey {}

impl core::hash::Hash for VerifyingKey {
    fn hash<H: core::hash::Hasher>(&self, state: &mut H) {
        self.bytes.hash(state);
    }
}

/// Decodes a point as RFC 8032 §5.1.3 does: the `y` coordinate must be below p = 2²⁵⁵ − 19.
/// (The other non-canonical form, `x = 0` with the sign bit set, is only possible for the
/// two points with `x = 0`, both of small order, which verification refuses anyway.)
fn decode_point(bytes: &[u8; 32]) -> Option<EdwardsPoint> {
    let y_at_least_p =
        bytes[31] & 0x7f == 0x7f && bytes[1..31].iter().all(|&b| b == 0xff) && bytes[0] >= 0xed;
    if y_at_least_p {
        return None;
    }
    CompressedEdwardsY(*bytes).decompress()
}

/// A signature's parts, checked for the strict encodings, and its challenge `k`.
struct Parsed {
    r: EdwardsPoint,
    s: Scalar,
    k: Scalar,
}

impl Parsed {
    /// `None` when an encoding is not strict or the key or `R` is of small order.
    fn new(key: &VerifyingKey, message: &[u8], signature: &Signature) -> Option<Self> {
        let (r_bytes, s_bytes) = signature.0.split_at(32);
        let r_bytes: &[u8; 32] = r_bytes.try_into().expect("32 bytes");
        let s = Option::<Scalar>::from(Scalar::from_canonical_bytes(
            s_bytes.try_into().expect("32 bytes"),
        ))?;
        let r = decode_point(r_bytes)?;
        if r.is_small_order() || key.point.is_small_order() {
            return None;
        }
        let k = Scalar::from_hash(
            Sha512::new()
                .chain_update(r_bytes)
                .chain_update(key.bytes)
                .chain_update(message),
        );
        Some(Self { r, s, k })
    }
}

/// One signature to check: under `key`, over `message`.
#[derive(Clone, Copy, Debug)]
pub struct SignedMessage<'a> {
    /// Who should have signed.
    pub key: &'a VerifyingKey,
    /// What was signed.
    pub message: &'a [u8],
    /// The signature.
    pub signature: &'a Signature,
}

/// Signatures per batch equation. Larger batches share more of the work (and use Pippenger's
/// method above ~190 points); smaller ones spread over the cores and cost less to bisect when
/// one signature is bad.
const BATCH: usize = 128;

/// Checks many signatures; result `i` is what `items[i].key.verify(…)` says.
///
/// Signatures are checked a batch at a time with one random linear combination of their
/// equations (a multiscalar multiplication that shares the doublings and merges the terms of
/// a key that signed several messages), batches spread over the cores on native targets. A
/// batch that fails is split in halves until each bad signature is found alone, so a tampered
/// item among thousands is named individually at the cost of a few extra batches. A batch
/// accepts only if every signature in it is valid, except with probability below 2⁻¹²⁰ (each
/// coefficient is a fresh 128-bit random number); a batch of valid signatures always passes.
pub fn verify_batch(items: &[SignedMessage<'_>]) -> Vec<Result<(), SignatureError>> {
    crate::par::map_chunks(items, BATCH, |chunk| {
        let parsed: Vec<Option<Parsed>> = chunk
            .iter()
            .map(|i| Parsed::new(i.key, i.message, i.signature))
            .collect();
        let mut out = vec![Ok(()); chunk.len()];
        let candidates: Vec<usize> = (0..chunk.len()).filter(|&i| parsed[i].is_some()).collect();
        for (i, p) in parsed.iter().enumerate() {
            if p.is_none() {
                out[i] = Err(SignatureError::Invalid);
            }
        }
        bisect(chunk, &parsed, &candidates, &mut out);
        out
    })
}

/// Marks `out[i]` for each index in `which`: one batch equation when it holds, else each half.
fn bisect(
    chunk: &[SignedMessage<'_>],
    parsed: &[Option<Parsed>],
    which: &[usize],
    out: &mut [Result<(), SignatureError>],
) {
    match which {
        [] => {}
        [one] => {
            let p = parsed[*one]
                .as_ref()
                .expect("only parsed signatures are batched");
            if !batch_holds(&[(chunk[*one].key, p)]) {
                out[*one] = Err(SignatureError::Invalid);
            }
        }
        _ => {
            let terms: Vec<_> = which
                .iter()
                .map(|&i| (chunk[i].key, parsed[i].as_ref().expect("parsed")))
                .collect();
            if !batch_holds(&terms) {
                let (left, right) = which.split_at(which.len() / 2);
                bisect(chunk, parsed, left, out);
                bisect(chunk, parsed, right, out);
            }
        }
    }
}

/// Whether `[8](Σ zᵢSᵢ·B − Σ zᵢRᵢ − Σ zᵢkᵢAᵢ)` is the identity for random 128-bit `zᵢ`, with
/// the terms of one key merged. For a single signature (`z = 1`) this is exactly
/// [`VerifyingKey::verify`]'s equation.
fn batch_holds(terms: &[(&VerifyingKey, &Parsed)]) -> bool {
    let mut b_coefficient = Scalar::ZERO;
    let mut scalars: Vec<Scalar> = Vec::with_capacity(terms.len() + 1);
    let mut points: Vec<EdwardsPoint> = Vec::with_capacity(terms.len() + 1);
    // Distinct keys and their merged coefficients, kept apart until the end.
    let mut keys: Vec<(&VerifyingKey, Scalar)> = Vec::new();
    let mut random = vec![0u8; 16 * terms.len()];
    if terms.len() > 1 {
        crate::fill_random(&mut random);
    }
    for ((key, p), z) in terms.iter().zip(random.chunks_exact(16)) {
        let z = if terms.len() == 1 {
            Scalar::ONE
        } else {
            let mut wide = [0u8; 32];
            wide[..16].copy_from_slice(z);
            Scalar::from_bytes_mod_order(wide)
        };
        b_coefficient += z * p.s;
        scalars.push(-z);
        points.push(p.r);
        let zk = z * p.k;
        match keys.iter_mut().find(|(k, _)| k.bytes == key.bytes) {
            Some((_, c)) => *c += zk,
            None => keys.push((key, zk)),
        }
    }
    scalars.push(b_coefficient);
    points.push(ED25519_BASEPOINT_POINT);
    for (key, c) in keys {
        scalars.push(-c);
        points.push(key.point);
    }
    EdwardsPoint::vartime_multiscalar_mul(scalars, points)
        .mul_by_cofactor()
        .is_identity()
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

    /// The secret scalar `a` with `A = [a]B`, as RFC 8032 §5.1.5 derives it from the seed.
    fn secret_scalar(seed: &[u8; 32]) -> Scalar {
        let h = Sha512::digest(seed);
        let mut a: [u8; 32] = h[..32].try_into().unwrap();
        a[0] &= 248;
        a[31] &= 127;
        a[31] |= 64;
        Scalar::from_bytes_mod_order(a)
    }

    /// A signature whose `R` carries a torsion component `t` (only the key's holder can make
    /// one): `R = [r]B + t`, `S = r + k·a`.
    fn torsion_signature(seed: &[u8; 32], message: &[u8], t: EdwardsPoint) -> Signature {
        let a = secret_scalar(seed);
        let public = SigningKey::from_seed(seed).verifying_key();
        let r = Scalar::from_bytes_mod_order([7; 32]);
        let big_r = (ED25519_BASEPOINT_POINT * r + t).compress().to_bytes();
        let k = Scalar::from_hash(
            Sha512::new()
                .chain_update(big_r)
                .chain_update(public.to_bytes())
                .chain_update(message),
        );
        let mut out = [0u8; 64];
        out[..32].copy_from_slice(&big_r);
        out[32..].copy_from_slice((r + k * a).as_bytes());
        Signature(out)
    }

    #[test]
    fn honest_signatures_verify_like_verify_strict() {
        for n in 0u8..20 {
            let key = SigningKey::from_seed(&[n; 32]);
            let message = vec![n; usize::from(n) * 13];
            let sig = key.sign(&message);
            assert_eq!(key.verifying_key().verify(&message, &sig), Ok(()));
            let dalek = key.0.verifying_key();
            let dalek_sig = ed25519_dalek::Signature::from_bytes(&sig.0);
            assert!(dalek.verify_strict(&message, &dalek_sig).is_ok());
        }
    }

    /// The one place the cofactored equation and ed25519-dalek's `verify_strict` differ: `R`
    /// with a torsion component. Single and batch verification agree on it (both accept; the
    /// signer could have made a plain signature just as well), which is the point of decision
    /// 0011.
    #[test]
    fn torsion_in_r_is_accepted_alike_single_and_batched() {
        use curve25519_dalek::constants::EIGHT_TORSION;
        let seed = [9u8; 32];
        let key = SigningKey::from_seed(&seed);
        let public = key.verifying_key();
        for t in &EIGHT_TORSION[1..] {
            let sig = torsion_signature(&seed, b"m", *t);
            let dalek_sig = ed25519_dalek::Signature::from_bytes(&sig.0);
            assert!(
                key.0
                    .verifying_key()
                    .verify_strict(b"m", &dalek_sig)
                    .is_err()
            );
            assert_eq!(public.verify(b"m", &sig), Ok(()));
            let plain = key.sign(b"m");
            let batch = verify_batch(&[
                SignedMessage {
                    key: &public,
                    message: b"m",
                    signature: &plain,
                },
                SignedMessage {
                    key: &public,
                    message: b"m",
                    signature: &sig,
                },
            ]);
            assert_eq!(batch, vec![Ok(()), Ok(())]);
            // Changed after signing, it fails both ways.
            assert!(public.verify(b"n", &sig).is_err());
        }
    }

    #[test]
    fn strict_encodings_are_required() {
        let key = SigningKey::from_seed(&[3; 32]);
        let public = key.verifying_key();
        let sig = key.sign(b"m");
        // S + ℓ is the same scalar, not in canonical form.
        let ell = Scalar::ZERO - Scalar::ONE; // ℓ − 1
        let mut s_plus_ell = Scalar::from_canonical_bytes(sig.0[32..].try_into().unwrap())
            .unwrap()
            .to_bytes();
        let mut carry = 1u16;
        for (i, byte) in s_plus_ell.iter_mut().enumerate() {
            let sum = u16::from(*byte) + u16::from(ell.as_bytes()[i]) + carry;
            *byte = sum as u8;
            carry = sum >> 8;
        }
        let mut malleated = sig;
        malleated.0[32..].copy_from_slice(&s_plus_ell);
        assert_ne!(malleated, sig);
        assert_eq!(
            public.verify(b"m", &malleated),
            Err(SignatureError::Invalid)
        );
        // y = p decompresses in curve25519-dalek (as y = 0) but is not a canonical encoding.
        let mut p = [0xff; 32];
        p[0] = 0xed;
        p[31] = 0x7f;
        assert!(CompressedEdwardsY(p).decompress().is_some());
        assert!(decode_point(&p).is_none());
        assert_eq!(
            VerifyingKey::from_bytes(&p),
            Err(SignatureError::InvalidPublicKey)
        );
        // A small-order R (here the identity) or key never verifies.
        let mut identity_r = sig;
        identity_r.0[..32].copy_from_slice(EdwardsPoint::default().compress().as_bytes());
        assert!(public.verify(b"m", &identity_r).is_err());
        let small =
            VerifyingKey::from_bytes(EdwardsPoint::default().compress().as_bytes()).unwrap();
        assert!(small.verify(b"m", &sig).is_err());
    }

    #[test]
    fn a_bad_signature_in_a_batch_is_named_alone() {
        let keys: Vec<SigningKey> = (0..3u8).map(|n| SigningKey::from_seed(&[n; 32])).collect();
        let publics: Vec<VerifyingKey> = keys.iter().map(SigningKey::verifying_key).collect();
        let messages: Vec<Vec<u8>> = (0..300u32).map(|i| i.to_le_bytes().to_vec()).collect();
        let mut sigs: Vec<Signature> = messages
            .iter()
            .enumerate()
            .map(|(i, m)| keys[i % 3].sign(m))
            .collect();
        for bad in [0, 137, 299] {
            sigs[bad].0[40] ^= 1;
        }
        let items: Vec<SignedMessage<'_>> = messages
            .iter()
            .zip(&sigs)
            .enumerate()
            .map(|(i, (m, s))| SignedMessage {
                key: &publics[i % 3],
                message: m,
                signature: s,
            })
            .collect();
        let verdicts = verify_batch(&items);
        let bad: Vec<usize> = (0..300).filter(|&i| verdicts[i].is_err()).collect();
        assert_eq!(bad, vec![0, 137, 299]);
        assert!(verify_batch(&[]).is_empty());
    }

    #[test]
    fn debug_hides_secret() {
        let key = SigningKey::from_seed(&[0x42; 32]);
        assert!(!format!("{key:?}").contains("4242424242"));
    }
}
