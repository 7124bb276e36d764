//! FileVault personal recovery keys (macOS).
//!
//! `fdesetup enable` prints `Recovery key = 'GYVE-2KM5-OX2J-LEAZ-BF49-ZTUD'`: 24 characters in
//! 6 groups of 4, upper-case letters and digits, joined by `-`. Apple does not document the
//! alphabet; published keys contain letters such as `O` and digits, and no source we could find
//! states which characters are excluded, so every character in `A-Z0-9` is accepted. Input may
//! be lower-case (normalized to upper-case), separated by `-` or spaces, or unseparated.

use std::fmt;
use std::str::FromStr;

use subtle::ConstantTimeEq;
use zeroize::{Zeroize, ZeroizeOnDrop, Zeroizing};

use super::text::{self, ShapeError};

/// Number of groups in a personal recovery key.
pub const GROUPS: usize = 6;
/// Characters per group.
pub const GROUP_CHARS: usize = 4;
/// Characters in a personal recovery key.
pub const CHARS: usize = GROUPS * GROUP_CHARS;

/// Why text is not a FileVault personal recovery key. Groups are numbered from 1.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum FileVaultKeyError {
    /// The text does not contain 24 letters and digits (and is not split into 6 groups).
    #[error("a FileVault recovery key has 24 letters and digits, found {found}")]
    WrongLength {
        /// Number of letters and digits found.
        found: usize,
    },
    /// The text is split into 6 groups but this one does not have 4 characters.
    #[error("group {group} has {found} characters instead of 4")]
    WrongGroupLength {
        /// The group, from 1 to 6.
        group: usize,
        /// Number of characters in that group.
        found: usize,
    },
    /// A character that is not a letter A–Z, a digit or a separator.
    #[error("group {group} contains {found:?}, which is not a letter A-Z or a digit")]
    InvalidCharacter {
        /// The group the character is in (or would be in), from 1 to 6.
        group: usize,
        /// The offending character.
        found: char,
    },
}

impl From<ShapeError> for FileVaultKeyError {
    fn from(e: ShapeError) -> Self {
        match e {
            ShapeError::Character { group, found } => Self::InvalidCharacter { group, found },
            ShapeError::GroupLength { group, found } => Self::WrongGroupLength { group, found },
            ShapeError::Length { found } => Self::WrongLength { found },
        }
    }
}

/// A FileVault personal recovery key, held as its 24 upper-case characters.
///
/// Zeroized on drop; `Debug` is redacted; equality is constant-time.
#[derive(Clone, Zeroize, ZeroizeOnDrop)]
pub struct FileVaultRecoveryKey {
    chars: [u8; CHARS],
}

impl FileVaultRecoveryKey {
    /// Parses a personal recovery key; lower-case letters are accepted and normalized.
    pub fn parse(text: &str) -> Result<Self, FileVaultKeyError> {
        let mut chars = Zeroizing::new([0u8; CHARS]);
        text::read_groups(
            text,
            GROUPS,
            GROUP_CHARS,
            upper_alphanumeric,
            chars.as_mut_slice(),
        )?;
        Ok(Self { chars: *chars })
    }

    /// `XXXX-XXXX-XXXX-XXXX-XXXX-XXXX`, upper-case: what the Mac expects to be typed.
    pub fn expose_normalized(&self) -> Zeroizing<String> {
        text::join_groups(&self.chars, GROUP_CHARS)
    }
}

impl FromStr for FileVaultRecoveryKey {
    type Err = FileVaultKeyError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
    }
}

impl PartialEq for FileVaultRecoveryKey {
    fn eq(&self, other: &Self) -> bool {
        self.chars.ct_eq(&other.chars).into()
    }
}

impl Eq for FileVaultRecoveryKey {}

impl fmt::Debug for FileVaultRecoveryKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("FileVaultRecoveryKey(<redacted>)")
    }
}

fn upper_alphanumeric(c: char) -> Option<u8> {
    let c = c.to_ascii_uppercase();
    (c.is_ascii_uppercase() || c.is_ascii_digit()).then_some(c as u8)
}

#[cfg(test)]
mod tests {
    use super::*;

    // Printed by `fdesetup enable` in a published macOS hardening guide.
    const KEY: &str = "GYVE-2KM5-OX2J-LEAZ-BF49-ZTUD";

    #[test]
    fn parses_and_normalizes() {
        let key = FileVaultRecoveryKey::parse(KEY).unwrap();
        assert_eq!(key.expose_normalized().as_str(), KEY);
        for text in [
            "gyve-2km5-ox2j-leaz-bf49-ztud",
            " GYVE 2KM5 OX2J LEAZ BF49 ZTUD\n",
            "GYVE2KM5OX2JLEAZBF49ZTUD",
        ] {
            assert_eq!(FileVaultRecoveryKey::parse(text).unwrap(), key, "{text}");
        }
    }

    #[test]
    fn errors_name_the_group() {
        let bad = |text: &str| FileVaultRecoveryKey::parse(text).unwrap_err();
        assert_eq!(
            bad("GYVE-2KM5-OX_J-LEAZ-BF49-ZTUD"),
            FileVaultKeyError::InvalidCharacter {
                group: 3,
                found: '_'
            }
        );
        assert_eq!(
            bad("GYVE-2KM5-OX2J-LEA-BF49-ZTUD"),
            FileVaultKeyError::WrongGroupLength { group: 4, found: 3 }
        );
        assert_eq!(
            bad("GYVE-2KM5"),
            FileVaultKeyError::WrongLength { found: 8 }
        );
        assert_eq!(
            bad("GYVE-2KM5-OX2J-LEAZ-BF49-ZTUD-ABCD"),
            FileVaultKeyError::WrongLength { found: 28 }
        );
        assert_eq!(
            bad("GYVE-2KM5-OX2J-LEAZ-BF49-ZTÜD"),
            FileVaultKeyError::InvalidCharacter {
                group: 6,
                found: 'Ü'
            }
        );
    }

    #[test]
    fn debug_is_redacted() {
        let key = FileVaultRecoveryKey::parse(KEY).unwrap();
        assert_eq!(format!("{key:?}"), "FileVaultRecoveryKey(<redacted>)");
    }
}
