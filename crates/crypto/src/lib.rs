//! Keyhaven's cryptographic primitives and wire formats.
//!
//! Everything here is pure computation: no I/O, no async, no clocks. The crate builds for
//! `wasm32-unknown-unknown` so the browser client runs exactly the same code.
//!
//! The byte-level formats are specified in `docs/protocol.md`; each serialized envelope starts
//! with a version tag and unknown versions are rejected, never guessed.
#![forbid(unsafe_code)]

pub mod aead;
pub mod context;
pub mod envelope;
pub mod hpke;
pub mod kdf;
pub mod opaque;
pub mod par;
pub mod secret;
pub mod sign;

pub use context::Context;
pub use secret::SymmetricKey;

/// Fills `out` with bytes from the operating system's CSPRNG.
///
/// # Panics
///
/// Panics if the OS random source fails; continuing without randomness would be worse than
/// stopping (every key we make would be predictable).
pub fn fill_random(out: &mut [u8]) {
    use rand_core::RngCore;
    rand_core::OsRng.fill_bytes(out);
}

/// Returns `N` bytes from the operating system's CSPRNG.
pub fn random_array<const N: usize>() -> [u8; N] {
    let mut out = [0u8; N];
    fill_random(&mut out);
    out
}

/// SHA-256 of `data`.
pub fn sha256(data: &[u8]) -> [u8; 32] {
    use sha2::Digest;
    sha2::Sha256::digest(data).into()
}

/// Compares two byte strings in constant time (for equal lengths).
pub fn ct_eq(a: &[u8], b: &[u8]) -> bool {
    use subtle::ConstantTimeEq;
    a.ct_eq(b).into()
}
