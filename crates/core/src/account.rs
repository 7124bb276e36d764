//! Account key pairs: the X25519 key shares are sealed to and the Ed25519 key that signs.
//!
//! The private halves travel only wrapped under a key derived from the OPAQUE export key, which
//! the server never sees. The wrap is bound to the account id and to both public keys, so a
//! server that swaps an account's public keys makes unwrapping fail instead of silently pairing
//! the wrong keys.

use core::fmt;

use keyhaven_crypto::Context;
use keyhaven_crypto::envelope::{self, EnvelopeError};
use keyhaven_crypto::hpke::RecipientSecretKey;
use keyhaven_crypto::kdf::{self, Label};
use keyhaven_crypto::opaque::ExportKey;
use keyhaven_crypto::sign::SigningKey;
use zeroize::Zeroizing;

pub use keyhaven_roster::account::{AccountPublicKeys, Fingerprint};

use crate::ids::AccountId;

/// An account's private keys. Zeroized on drop (both inner types zeroize).
#[derive(Clone)]
pub struct AccountKeys {
    /// HPKE recipient key: shares are sealed to its public half.
    pub encryption: RecipientSecretKey,
    /// Signing key: roster entries, shares and item revisions.
    pub signing: SigningKey,
}

/// Why wrapped account keys could not be opened.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum UnwrapError {
    /// Wrong password-derived key, wrong account, swapped public keys, or altered bytes.
    #[error(transparent)]
    Envelope(#[from] EnvelopeError),
    /// The plaintext is not two 32-byte keys.
    #[error("wrapped account keys are malformed")]
    Malformed,
    /// The unwrapped private keys do not match the expected public keys.
    #[error("unwrapped account keys do not match the account's public keys")]
    Mismatch,
}

impl AccountKeys {
    /// Generates new key pairs (at signup and at "generate a new encryption key").
    pub fn generate() -> Self {
        Self {
            encryption: RecipientSecretKey::generate(),
            signing: SigningKey::generate(),
        }
    }

    /// The public halves.
    pub fn public(&self) -> AccountPublicKeys {
        AccountPublicKeys {
            encryption: self.encryption.public_key(),
            signing: self.signing.verifying_key(),
        }
    }

    /// Wraps the private keys under the key derived from the OPAQUE export key.
    pub fn wrap(&self, export_key: &ExportKey, account: AccountId) -> Vec<u8> {
        let wrap_key = kdf::derive_key(export_key.expose(), account.as_bytes(), Label::AccountWrap);
        let mut plain = Zeroizing::new([0u8; 64]);
        plain[..32].copy_from_slice(self.encryption.expose());
        plain[32..].copy_from_slice(&*self.signing.to_seed());
        envelope::seal(
            &wrap_key,
            &wrap_context(account, &self.public()),
            plain.as_ref(),
        )
    }

    /// Unwraps keys made by [`AccountKeys::wrap`] and checks them against `expected`.
    pub fn unwrap(
        wrapped: &[u8],
        export_key: &ExportKey,
        account: AccountId,
        expected: &AccountPublicKeys,
    ) -> Result<Self, UnwrapError> {
        let wrap_key = kdf::derive_key(export_key.expose(), account.as_bytes(), Label::AccountWrap);
        let plain = envelope::open(&wrap_key, &wrap_context(account, expected), wrapped)?;
        let bytes: &[u8; 64] = plain
            .expose()
            .try_into()
            .map_err(|_| UnwrapError::Malformed)?;
        let mut enc = Zeroizing::new([0u8; 32]);
        enc.copy_from_slice(&bytes[..32]);
        let mut seed = Zeroizing::new([0u8; 32]);
        seed.copy_from_slice(&bytes[32..]);
        let keys = Self {
            encryption: RecipientSecretKey::from_bytes(*enc),
            signing: SigningKey::from_seed(&seed),
        };
        if keys.public() != *expected {
            return Err(UnwrapError::Mismatch);
        }
        Ok(keys)
    }
}

impl fmt::Debug for AccountKeys {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "AccountKeys(<redacted>, public {:?})", self.public())
    }
}

fn wrap_context(account: AccountId, public: &AccountPublicKeys) -> Context {
    Context::new("account-keys")
        .field(account.as_bytes())
        .field(public.encryption.to_bytes())
        .field(public.signing.to_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;
    use keyhaven_crypto::opaque::{self, KsfParams};

    fn export_key(password: &[u8]) -> ExportKey {
        let setup = opaque::ServerSetup::generate();
        let (state, req) = opaque::client_registration_start(password).unwrap();
        let resp = opaque::server_registration_start(&setup, &req, b"a").unwrap();
        let params = KsfParams {
            memory_kib: opaque::MIN_MEMORY_KIB,
            iterations: 2,
            parallelism: 1,
        };
        opaque::client_registration_finish(state, password, &resp, params)
            .unwrap()
            .1
    }

    #[test]
    fn wrap_round_trip_and_binding() {
        let export = export_key(b"pw");
        let account = AccountId::generate();
        let keys = AccountKeys::generate();
        let wrapped = keys.wrap(&export, account);
        let back = AccountKeys::unwrap(&wrapped, &export, account, &keys.public()).unwrap();
        assert_eq!(back.public(), keys.public());

        // Another account id, or swapped public keys, fail.
        let other = AccountId::generate();
        assert!(AccountKeys::unwrap(&wrapped, &export, other, &keys.public()).is_err());
        let swapped = AccountKeys::generate().public();
        assert!(AccountKeys::unwrap(&wrapped, &export, account, &swapped).is_err());
    }

    #[test]
    fn fingerprint_display() {
        let keys = AccountKeys::generate().public();
        let shown = keys.fingerprint().to_string();
        assert_eq!(shown.len(), 16 * 4 + 15);
        assert_eq!(shown.split(' ').count(), 16);
        assert_ne!(
            keys.fingerprint(),
            AccountKeys::generate().public().fingerprint()
        );
    }
}
