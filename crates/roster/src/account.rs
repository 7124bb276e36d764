//! An account's public identity as rosters record it: the X25519 key shares are sealed to and
//! the Ed25519 key that verifies its signatures, and the fingerprint people compare.

use core::fmt;

use keyhaven_crypto::hpke::RecipientPublicKey;
use keyhaven_crypto::sha256;
use keyhaven_crypto::sign::VerifyingKey;

use crate::codec::{DecodeError, Reader, Writer};

/// An account's public identity, recorded in workspace rosters.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct AccountPublicKeys {
    /// Where shares are sealed to.
    pub encryption: RecipientPublicKey,
    /// What verifies the account's signatures.
    pub signing: VerifyingKey,
}

impl AccountPublicKeys {
    /// SHA-256 over a labelled encoding of both public keys, compared out of band.
    pub fn fingerprint(&self) -> Fingerprint {
        let mut input = Vec::with_capacity(96);
        input.extend_from_slice(b"keyhaven/v1/fingerprint");
        input.extend_from_slice(&self.encryption.to_bytes());
        input.extend_from_slice(&self.signing.to_bytes());
        Fingerprint(sha256(&input))
    }

    /// Appends the 64-byte encoding (encryption key, then signing key).
    pub fn encode(&self, w: &mut Writer) {
        w.array(&self.encryption.to_bytes())
            .array(&self.signing.to_bytes());
    }

    /// Reads the encoding written by [`AccountPublicKeys::encode`].
    pub fn decode(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        let encryption = RecipientPublicKey::from_bytes(r.array()?);
        let signing = VerifyingKey::from_bytes(&r.array()?)
            .map_err(|_| DecodeError::Invalid("signing public key"))?;
        Ok(Self {
            encryption,
            signing,
        })
    }
}

/// An account fingerprint: SHA-256, shown as 16 groups of 4 upper-case hex digits.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct Fingerprint(pub [u8; 32]);

impl fmt::Display for Fingerprint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, pair) in self.0.chunks(2).enumerate() {
            if i > 0 {
                f.write_str(" ")?;
            }
            write!(f, "{:02X}{:02X}", pair[0], pair[1])?;
        }
        Ok(())
    }
}
