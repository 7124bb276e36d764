//! The Microsoft account recovery code.
//!
//! The Microsoft document of the seeds calls "a 25-character alphanumeric code" the Microsoft
//! recovery key: that is the Microsoft account's recovery code (Security → Advanced security
//! options → Recovery code), 25 letters and digits in 5 groups of 5, e.g.
//! `8TVAK-3CQJZ-YXJ2U-6KB7D-NNSV4`. It unlocks an account, not a disk (the BitLocker key is the
//! 48-digit one, [`super::bitlocker`]). Microsoft does not document the alphabet, so every
//! character in `A-Z0-9` is accepted. Input may be lower-case (normalized to upper-case),
//! separated by `-` or spaces, or unseparated.

use std::fmt;
use std::str::FromStr;

use subtle::ConstantTimeEq;
use zeroize::{Zeroize, ZeroizeOnDrop, Zeroizing};

use super::text::{self, ShapeError};

/// Number of groups in a recovery code.
pub const GROUPS: usize = 5;
/// Characters per group.
pub const GROUP_CHARS: usize = 5;
/// Characters in a recovery code.
pub const CHARS: usize = GROUPS * GROUP_CHARS;

/// Why text is not a Microsoft account recovery code. Groups are numbered from 1.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum MicrosoftCodeError {
    /// The text does not contain 25 letters and digits (and is not split into 5 groups).
    #[error("a Microsoft account recovery code has 25 letters and digits, found {found}")]
    WrongLength {
        /// Number of letters and digits found.
        found: usize,
    },
    /// The text is split into 5 groups but this one does not have 5 characters.
    #[error("group {group} has {found} characters instead of 5")]
    WrongGroupLength {
        /// The group, from 1 to 5.
        group: usize,
        /// Number of characters in that group.
        found: usize,
    },
    /// A character that is not a letter A–Z, a digit or a separator.
    #[error("group {group} contains {found:?}, which is not a letter A-Z or a digit")]
    InvalidCharacter {
        /// The group the character is in (or would be in), from 1 to 5.
        group: usize,
        /// The offending character.
        found: char,
    },
}

impl MicrosoftCodeError {
    /// The 1-based group the error is about, if it is about one group.
    pub fn group(&self) -> Option<usize> {
        match *self {
            Self::WrongLength { .. } => None,
            Self::WrongGroupLength { group, .. } | Self::InvalidCharacter { group, .. } => {
                Some(group)
            }
        }
    }
}

impl From<ShapeError> for MicrosoftCodeError {
    fn from(e: ShapeError) -> Self {
        match e {
            ShapeError::Character { group, found } => Self::InvalidCharacter { group, found },
            ShapeError::GroupLength { group, found } => Self::WrongGroupLength { group, found },
            ShapeError::Length { found } => Self::WrongLength { found },
        }
    }
}

/// A Microsoft account recovery code, held as its 25 upper-case characters.
///
/// Zeroized on drop; `Debug` is redacted; equality is constant-time.
#[derive(Clone, Zeroize, ZeroizeOnDrop)]
pub struct MicrosoftRecoveryCode {
    chars: [u8; CHARS],
}

impl MicrosoftRecoveryCode {
    /// Parses a recovery code; lower-case letters are accepted and normalized.
    pub fn parse(text: &str) -> Result<Self, MicrosoftCodeError> {
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

    /// `XXXXX-XXXXX-XXXXX-XXXXX-XXXXX`, upper-case, as Microsoft shows it.
    pub fn expose_normalized(&self) -> Zeroizing<String> {
        text::join_groups(&self.chars, GROUP_CHARS)
    }
}

impl FromStr for MicrosoftRecoveryCode {
    type Err = MicrosoftCodeError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
    }
}

impl PartialEq for MicrosoftRecoveryCode {
    fn eq(&self, other: &Self) -> bool {
        self.chars.ct_eq(&other.chars).into()
    }
}

impl Eq for MicrosoftRecoveryCode {}

impl fmt::Debug for MicrosoftRecoveryCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("MicrosoftRecoveryCode(<redacted>)")
    }
}

fn upper_alphanumeric(c: char) -> Option<u8> {
    let c = c.to_ascii_uppercase();
    (c.is_ascii_uppercase() || c.is_ascii_digit()).then_some(c as u8)
}

#[cfg(test)]
mod tests {
    use super::*;

    const CODE: &str = "8TVAK-3CQJZ-YXJ2U-6KB7D-NNSV4";

    #[test]
    fn parses_and_normalizes() {
        let code = MicrosoftRecoveryCode::parse(CODE).unwrap();
        assert_eq!(code.expose_normalized().as_str(), CODE);
        for text in [
            "8tvak-3cqjz-yxj2u-6kb7d-nnsv4",
            " 8TVAK 3CQJZ YXJ2U 6KB7D NNSV4\n",
            "8TVAK3CQJZYXJ2U6KB7DNNSV4",
        ] {
            assert_eq!(MicrosoftRecoveryCode::parse(text).unwrap(), code, "{text}");
        }
    }

    #[test]
    fn errors_name_the_group() {
        let bad = |text: &str| MicrosoftRecoveryCode::parse(text).unwrap_err();
        assert_eq!(
            bad("8TVAK-3CQJZ-YX_2U-6KB7D-NNSV4"),
            MicrosoftCodeError::InvalidCharacter {
                group: 3,
                found: '_'
            }
        );
        assert_eq!(bad("8TVAK-3CQJZ-YXJ2U-6KB7-NNSV4").group(), Some(4));
        assert_eq!(bad("8TVAK3CQJZ").group(), None);
        // A FileVault key (24 characters in 6 groups) is not a recovery code.
        assert!(MicrosoftRecoveryCode::parse("GYVE-2KM5-OX2J-LEAZ-BF49-ZTUD").is_err());
    }

    #[test]
    fn debug_is_redacted() {
        let code = MicrosoftRecoveryCode::parse(CODE).unwrap();
        assert!(!format!("{code:?}").contains("8TVAK"));
    }
}
