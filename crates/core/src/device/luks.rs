//! systemd-cryptenroll recovery keys for LUKS volumes.
//!
//! `systemd-cryptenroll --recovery-key` generates 32 random bytes and prints them as 64
//! "modhex" characters (alphabet `cbdefghijklnrtuv`, one character per nibble, high nibble
//! first) in 8 groups of 8 joined by `-`. The *formatted text* is what is enrolled as the LUKS
//! passphrase, so [`LuksRecoveryKey::expose_passphrase`] is what unlocks the volume.
//!
//! systemd's own `normalize_recovery_key()` accepts the 64 characters with or without the
//! dashes and in either case; this parser also accepts spaces as separators.

use std::fmt;
use std::str::FromStr;

use subtle::ConstantTimeEq;
use zeroize::{Zeroize, ZeroizeOnDrop, Zeroizing};

use super::text::{self, ShapeError};

/// The modhex alphabet: character *i* stands for nibble *i*.
pub const MODHEX_ALPHABET: &[u8; 16] = b"cbdefghijklnrtuv";
/// Number of groups in a recovery key.
pub const GROUPS: usize = 8;
/// Characters per group.
pub const GROUP_CHARS: usize = 8;
/// Characters in a recovery key.
pub const CHARS: usize = GROUPS * GROUP_CHARS;
/// Length of the key the characters encode.
pub const KEY_LEN: usize = CHARS / 2;

/// Why text is not a systemd-cryptenroll recovery key. Groups are numbered from 1.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum LuksKeyError {
    /// The text does not contain 64 modhex characters (and is not split into 8 groups).
    #[error("a LUKS recovery key has 64 characters, found {found}")]
    WrongLength {
        /// Number of modhex characters found.
        found: usize,
    },
    /// The text is split into 8 groups but this one does not have 8 characters.
    #[error("group {group} has {found} characters instead of 8")]
    WrongGroupLength {
        /// The group, from 1 to 8.
        group: usize,
        /// Number of characters in that group.
        found: usize,
    },
    /// A character outside the modhex alphabet `cbdefghijklnrtuv`.
    #[error("group {group} contains {found:?}, which is not one of cbdefghijklnrtuv")]
    NotModhex {
        /// The group the character is in (or would be in), from 1 to 8.
        group: usize,
        /// The offending character.
        found: char,
    },
}

impl From<ShapeError> for LuksKeyError {
    fn from(e: ShapeError) -> Self {
        match e {
            ShapeError::Character { group, found } => Self::NotModhex { group, found },
            ShapeError::GroupLength { group, found } => Self::WrongGroupLength { group, found },
            ShapeError::Length { found } => Self::WrongLength { found },
        }
    }
}

/// A systemd-cryptenroll recovery key, held as the 32 bytes it encodes.
///
/// Zeroized on drop; `Debug` is redacted; equality is constant-time.
#[derive(Clone, Zeroize, ZeroizeOnDrop)]
pub struct LuksRecoveryKey {
    key: [u8; KEY_LEN],
}

impl LuksRecoveryKey {
    /// Parses 64 modhex characters, in either case, grouped or not.
    pub fn parse(text: &str) -> Result<Self, LuksKeyError> {
        let mut nibbles = Zeroizing::new([0u8; CHARS]);
        text::read_groups(
            text,
            GROUPS,
            GROUP_CHARS,
            modhex_nibble,
            nibbles.as_mut_slice(),
        )?;
        let mut key = Zeroizing::new([0u8; KEY_LEN]);
        for (byte, pair) in key.iter_mut().zip(nibbles.chunks_exact(2)) {
            *byte = pair[0] << 4 | pair[1];
        }
        Ok(Self { key: *key })
    }

    /// The recovery key encoding `key`; every 32-byte value is a valid key.
    pub fn from_key_bytes(key: &[u8; KEY_LEN]) -> Self {
        Self { key: *key }
    }

    /// The 32 key bytes.
    pub fn expose_key_bytes(&self) -> &[u8; KEY_LEN] {
        &self.key
    }

    /// The LUKS passphrase: 64 lower-case modhex characters in 8 groups joined by `-`,
    /// exactly as systemd-cryptenroll enrolls and prints it.
    pub fn expose_passphrase(&self) -> Zeroizing<String> {
        let mut chars = Zeroizing::new([0u8; CHARS]);
        for (pair, byte) in chars.chunks_exact_mut(2).zip(&self.key) {
            pair[0] = MODHEX_ALPHABET[usize::from(byte >> 4)];
            pair[1] = MODHEX_ALPHABET[usize::from(byte & 0x0F)];
        }
        text::join_groups(chars.as_slice(), GROUP_CHARS)
    }
}

impl FromStr for LuksRecoveryKey {
    type Err = LuksKeyError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
    }
}

impl PartialEq for LuksRecoveryKey {
    fn eq(&self, other: &Self) -> bool {
        self.key.ct_eq(&other.key).into()
    }
}

impl Eq for LuksRecoveryKey {}

impl fmt::Debug for LuksRecoveryKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("LuksRecoveryKey(<redacted>)")
    }
}

fn modhex_nibble(c: char) -> Option<u8> {
    let c = u8::try_from(c.to_ascii_lowercase()).ok()?;
    let index = MODHEX_ALPHABET.iter().position(|&m| m == c)?;
    u8::try_from(index).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nibble_mapping() {
        let mut key = [0u8; KEY_LEN];
        key[0] = 0x01;
        key[1] = 0xEF;
        key[31] = 0xFF;
        let passphrase = LuksRecoveryKey::from_key_bytes(&key).expose_passphrase();
        assert!(passphrase.starts_with("cbuv"), "{}", passphrase.as_str());
        assert!(passphrase.ends_with("vv"));
        assert_eq!(passphrase.len(), 71);
        assert_eq!(
            LuksRecoveryKey::parse(&passphrase)
                .unwrap()
                .expose_key_bytes(),
            &key
        );
    }

    #[test]
    fn accepts_systemd_layouts() {
        let text = "fvbhdgct-uflkrdtr-cdevbhbk-itgjnrnr-hbhcvudv-lrkvrclh-ciclccrj-fcdjkrbg";
        let key = LuksRecoveryKey::parse(text).unwrap();
        assert_eq!(key.expose_passphrase().as_str(), text);
        assert_eq!(LuksRecoveryKey::parse(&text.replace('-', "")).unwrap(), key);
        assert_eq!(LuksRecoveryKey::parse(&text.to_uppercase()).unwrap(), key);
        assert_eq!(
            LuksRecoveryKey::parse(&text.replace('-', " ")).unwrap(),
            key
        );
    }

    #[test]
    fn errors_name_the_group_and_character() {
        let bad = |text: &str| LuksRecoveryKey::parse(text).unwrap_err();
        let text = "fvbhdgct-uflkrdtr-cdevbhbk-itgjnrnr-hbhcvudv-lrkvrclh-ciclccrj-fcdjkrbg";
        assert_eq!(
            bad(&text.replace("itgj", "itgo")),
            LuksKeyError::NotModhex {
                group: 4,
                found: 'o'
            }
        );
        assert_eq!(bad(&text[..35]), LuksKeyError::WrongLength { found: 32 });
        assert_eq!(
            bad(&text.replace("-lrkvrclh-", "-lrkvrcl-")),
            LuksKeyError::WrongGroupLength { group: 6, found: 7 }
        );
        assert_eq!(
            LuksKeyError::NotModhex {
                group: 4,
                found: 'o'
            }
            .to_string(),
            "group 4 contains 'o', which is not one of cbdefghijklnrtuv"
        );
    }

    #[test]
    fn debug_is_redacted() {
        let key = LuksRecoveryKey::from_key_bytes(&[7; KEY_LEN]);
        assert_eq!(format!("{key:?}"), "LuksRecoveryKey(<redacted>)");
    }
}
