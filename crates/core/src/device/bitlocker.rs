//! BitLocker recovery passwords ("numerical passwords") and protector identifiers.
//!
//! A recovery password is 48 digits in 8 groups of 6. Group *i* is 11 × the *i*-th
//! little-endian 16-bit word of a 16-byte key, zero-padded to six digits, so every group is
//! divisible by 11 and at most 720885 (= 65535 × 11); see Microsoft's "BitLocker recovery
//! password details" (System Integrity Team blog) and libbde's format documentation. The check
//! is per group, so a typo is reported with the group it is in.
//!
//! The workspace recovery key reuses this exact text format: [`decode_groups`] and
//! [`encode_groups`] are the shared codec.

use std::fmt;
use std::str::FromStr;

use subtle::ConstantTimeEq;
use uuid::Uuid;
use zeroize::{Zeroize, ZeroizeOnDrop, Zeroizing};

use super::text::{self, ShapeError};

/// Number of groups in a recovery password.
pub const GROUPS: usize = 8;
/// Digits per group.
pub const GROUP_DIGITS: usize = 6;
/// Digits in a recovery password.
pub const DIGITS: usize = GROUPS * GROUP_DIGITS;
/// Largest valid group value: 65535 × 11.
pub const MAX_GROUP_VALUE: u32 = 720_885;
/// Length of the key a recovery password encodes.
pub const KEY_LEN: usize = 16;

/// Why text is not a valid 48-digit recovery password. Groups are numbered from 1.
///
/// No variant carries digits of the password.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum GroupError {
    /// The text does not contain 48 digits (and is not split into 8 groups).
    #[error("a recovery password has 48 digits, found {found}")]
    WrongLength {
        /// Number of digits found.
        found: usize,
    },
    /// The text is split into 8 groups but this one does not have 6 digits.
    #[error("group {group} has {found} digits instead of 6")]
    WrongGroupLength {
        /// The group, from 1 to 8.
        group: usize,
        /// Number of digits in that group.
        found: usize,
    },
    /// A character that is neither a digit nor a separator (`-`, space).
    #[error("group {group} contains {found:?}, which is not a digit")]
    NotADigit {
        /// The group the character is in (or would be in), from 1 to 8.
        group: usize,
        /// The offending character.
        found: char,
    },
    /// The group is not a multiple of 11: at least one digit is mistyped.
    #[error("group {group} is not divisible by 11")]
    NotDivisibleBy11 {
        /// The group, from 1 to 8.
        group: usize,
    },
    /// The group is a multiple of 11 but above 720885, so it cannot encode 16 bits.
    #[error("group {group} is above 720885")]
    TooLarge {
        /// The group, from 1 to 8.
        group: usize,
    },
}

impl GroupError {
    /// The 1-based group the error is about, if it is about one group.
    pub fn group(&self) -> Option<usize> {
        match *self {
            Self::WrongLength { .. } => None,
            Self::WrongGroupLength { group, .. }
            | Self::NotADigit { group, .. }
            | Self::NotDivisibleBy11 { group }
            | Self::TooLarge { group } => Some(group),
        }
    }
}

impl From<ShapeError> for GroupError {
    fn from(e: ShapeError) -> Self {
        match e {
            ShapeError::Character { group, found } => Self::NotADigit { group, found },
            ShapeError::GroupLength { group, found } => Self::WrongGroupLength { group, found },
            ShapeError::Length { found } => Self::WrongLength { found },
        }
    }
}

/// Decodes 48 digits into the eight 16-bit words they encode.
///
/// Accepts groups separated by `-` or spaces (or other whitespace and typographic dashes), or
/// no separator, with surrounding whitespace. Reports the first invalid group.
pub fn decode_groups(text: &str) -> Result<Zeroizing<[u16; GROUPS]>, GroupError> {
    let mut digits = Zeroizing::new([0u8; DIGITS]);
    text::read_groups(
        text,
        GROUPS,
        GROUP_DIGITS,
        ascii_digit,
        digits.as_mut_slice(),
    )?;
    let mut words = Zeroizing::new([0u16; GROUPS]);
    for (i, (word, group)) in words
        .iter_mut()
        .zip(digits.chunks_exact(GROUP_DIGITS))
        .enumerate()
    {
        let value = group.iter().fold(0u32, |acc, &d| acc * 10 + u32::from(d));
        *word = group_word(i + 1, value)?;
    }
    Ok(words)
}

/// Checks one group as it is typed (recovery screens validate each group on its own).
///
/// `group` is 1-based and only used in the error; `text` must be exactly six digits, with
/// surrounding whitespace allowed. Returns the 16-bit word the group encodes.
pub fn check_group(group: usize, text: &str) -> Result<u16, GroupError> {
    let text = text.trim();
    if let Some(found) = text.chars().find(|c| !c.is_ascii_digit()) {
        return Err(GroupError::NotADigit { group, found });
    }
    if text.len() != GROUP_DIGITS {
        return Err(GroupError::WrongGroupLength {
            group,
            found: text.len(),
        });
    }
    let value = text
        .bytes()
        .fold(0u32, |acc, b| acc * 10 + u32::from(b - b'0'));
    group_word(group, value)
}

/// Encodes 16 key bytes as `dddddd-dddddd-…` (8 groups joined by `-`).
pub fn encode_groups(key: &[u8; KEY_LEN]) -> Zeroizing<String> {
    let mut digits = Zeroizing::new([0u8; DIGITS]);
    for (pair, group) in key
        .chunks_exact(2)
        .zip(digits.chunks_exact_mut(GROUP_DIGITS))
    {
        let mut value = u32::from(u16::from_le_bytes([pair[0], pair[1]])) * 11;
        for slot in group.iter_mut().rev() {
            // `value % 10` is below 10, so the cast cannot truncate.
            *slot = b'0' + (value % 10) as u8;
            value /= 10;
        }
    }
    text::join_groups(digits.as_slice(), GROUP_DIGITS)
}

/// The 16 key bytes of eight words (word *i* little-endian at bytes 2*i*, 2*i*+1).
pub fn words_to_key(words: &[u16; GROUPS]) -> Zeroizing<[u8; KEY_LEN]> {
    let mut key = Zeroizing::new([0u8; KEY_LEN]);
    for (pair, word) in key.chunks_exact_mut(2).zip(words) {
        pair.copy_from_slice(&word.to_le_bytes());
    }
    key
}

/// A BitLocker recovery password, held as the 16-byte key it encodes.
///
/// Zeroized on drop; `Debug` prints `BitLockerRecoveryPassword(<redacted>)`; equality is
/// constant-time. Reading the secret goes through the `expose_*` methods.
#[derive(Clone, Zeroize, ZeroizeOnDrop)]
pub struct BitLockerRecoveryPassword {
    key: [u8; KEY_LEN],
}

impl BitLockerRecoveryPassword {
    /// Parses 48 digits (see [`decode_groups`] for the accepted layouts).
    pub fn parse(text: &str) -> Result<Self, GroupError> {
        let words = decode_groups(text)?;
        Ok(Self {
            key: *words_to_key(&words),
        })
    }

    /// The recovery password encoding `key`; every 16-byte value is a valid password.
    pub fn from_key_bytes(key: &[u8; KEY_LEN]) -> Self {
        Self { key: *key }
    }

    /// The 16 key bytes.
    pub fn expose_key_bytes(&self) -> &[u8; KEY_LEN] {
        &self.key
    }

    /// The normalized text: 8 groups of 6 digits joined by `-`.
    pub fn expose_normalized(&self) -> Zeroizing<String> {
        encode_groups(&self.key)
    }
}

impl FromStr for BitLockerRecoveryPassword {
    type Err = GroupError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
    }
}

impl PartialEq for BitLockerRecoveryPassword {
    fn eq(&self, other: &Self) -> bool {
        self.key.ct_eq(&other.key).into()
    }
}

impl Eq for BitLockerRecoveryPassword {}

impl fmt::Debug for BitLockerRecoveryPassword {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("BitLockerRecoveryPassword(<redacted>)")
    }
}

/// The identifier of a BitLocker key protector (the "recovery key ID" on the recovery screen,
/// `ID: {…}` in `manage-bde`, `Identifier:` in the saved `.txt`).
///
/// Displayed upper-case without braces (`AC9D5655-F7CA-4D1D-902F-1B6087118138`), as Windows
/// prints it; parsed in any case, with or without braces.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ProtectorId(Uuid);

/// Text that is not a GUID in `8-4-4-4-12` hexadecimal form.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("not a BitLocker protector identifier (expected 8-4-4-4-12 hexadecimal digits)")]
pub struct InvalidProtectorId;

impl ProtectorId {
    /// Wraps a UUID.
    pub const fn from_uuid(uuid: Uuid) -> Self {
        Self(uuid)
    }

    /// The UUID.
    pub const fn as_uuid(&self) -> &Uuid {
        &self.0
    }

    /// `{AC9D5655-F7CA-4D1D-902F-1B6087118138}`, as `manage-bde` prints it.
    pub fn braced(&self) -> String {
        format!("{{{self}}}")
    }

    /// The first 8 hexadecimal digits, upper-case: what recovery screens ask the user to
    /// match ("the recovery key whose ID starts with …").
    pub fn prefix(&self) -> String {
        let mut text = self.to_string();
        text.truncate(8);
        text
    }
}

impl From<Uuid> for ProtectorId {
    fn from(uuid: Uuid) -> Self {
        Self(uuid)
    }
}

impl FromStr for ProtectorId {
    type Err = InvalidProtectorId;

    /// Accepts `8-4-4-4-12` hexadecimal digits in any case, optionally in braces, with
    /// surrounding whitespace. Other UUID spellings (32 bare digits, `urn:uuid:`) are refused:
    /// Windows never writes them, and accepting them would make stray hex look like an ID.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let s = s.trim();
        let inner = match s.strip_prefix('{') {
            Some(rest) => rest.strip_suffix('}').ok_or(InvalidProtectorId)?,
            None => s,
        };
        let shaped = inner.len() == 36
            && inner.char_indices().all(|(i, c)| match i {
                8 | 13 | 18 | 23 => c == '-',
                _ => c.is_ascii_hexdigit(),
            });
        if !shaped {
            return Err(InvalidProtectorId);
        }
        Uuid::parse_str(inner)
            .map(Self)
            .map_err(|_| InvalidProtectorId)
    }
}

impl fmt::Display for ProtectorId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::UpperHex::fmt(&self.0.hyphenated(), f)
    }
}

impl fmt::Debug for ProtectorId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "ProtectorId({self})")
    }
}

/// `char::to_digit` only knows ASCII digits, so other Unicode digits are refused.
fn ascii_digit(c: char) -> Option<u8> {
    c.to_digit(10).and_then(|d| u8::try_from(d).ok())
}

/// The 16-bit word a group value encodes, or why it encodes none.
fn group_word(group: usize, value: u32) -> Result<u16, GroupError> {
    if !value.is_multiple_of(11) {
        return Err(GroupError::NotDivisibleBy11 { group });
    }
    u16::try_from(value / 11).map_err(|_| GroupError::TooLarge { group })
}

#[cfg(test)]
mod tests {
    use super::*;

    // libbde's documentation example ("BitLocker Drive Encryption (BDE) format.asciidoc").
    const LIBBDE: &str = "471207-278498-422125-177177-561902-537405-468006-693451";

    #[test]
    fn parses_and_normalizes() {
        let password = BitLockerRecoveryPassword::parse(LIBBDE).unwrap();
        assert_eq!(password.expose_normalized().as_str(), LIBBDE);
        let spaced = LIBBDE.replace('-', " ");
        let bare = LIBBDE.replace('-', "");
        for text in [spaced.as_str(), bare.as_str(), &format!("  {LIBBDE}\r\n")] {
            assert_eq!(BitLockerRecoveryPassword::parse(text).unwrap(), password);
        }
    }

    #[test]
    fn key_bytes_are_little_endian_words() {
        let words = decode_groups(LIBBDE).unwrap();
        assert_eq!(words[0], (471_207 / 11) as u16);
        let password = BitLockerRecoveryPassword::parse(LIBBDE).unwrap();
        assert_eq!(&password.expose_key_bytes()[..2], &words[0].to_le_bytes());
        assert_eq!(
            password,
            BitLockerRecoveryPassword::from_key_bytes(password.expose_key_bytes())
        );
    }

    #[test]
    fn extremes() {
        assert_eq!(
            encode_groups(&[0; 16]).as_str(),
            "000000-".repeat(7) + "000000"
        );
        assert_eq!(
            encode_groups(&[0xFF; 16]).as_str(),
            "720885-".repeat(7) + "720885"
        );
        assert_eq!(*decode_groups(&"720885".repeat(8)).unwrap(), [u16::MAX; 8]);
    }

    #[test]
    fn errors_name_the_group() {
        let bad = |text: &str| BitLockerRecoveryPassword::parse(text).unwrap_err();
        let mut groups: Vec<&str> = LIBBDE.split('-').collect();
        groups[2] = "422126";
        assert_eq!(
            bad(&groups.join("-")),
            GroupError::NotDivisibleBy11 { group: 3 }
        );
        groups[2] = "720896"; // 65536 × 11
        assert_eq!(bad(&groups.join("-")), GroupError::TooLarge { group: 3 });
        groups[2] = "42212";
        assert_eq!(
            bad(&groups.join("-")),
            GroupError::WrongGroupLength { group: 3, found: 5 }
        );
        groups[2] = "42a125";
        assert_eq!(
            bad(&groups.join("-")),
            GroupError::NotADigit {
                group: 3,
                found: 'a'
            }
        );
        assert_eq!(bad(""), GroupError::WrongLength { found: 0 });
        assert_eq!(bad(&LIBBDE[..20]), GroupError::WrongLength { found: 18 });
        assert_eq!(
            bad(&format!("{LIBBDE}-000000")),
            GroupError::WrongLength { found: 54 }
        );
    }

    #[test]
    fn messages() {
        assert_eq!(
            GroupError::NotDivisibleBy11 { group: 3 }.to_string(),
            "group 3 is not divisible by 11"
        );
        assert_eq!(
            GroupError::TooLarge { group: 5 }.to_string(),
            "group 5 is above 720885"
        );
    }

    #[test]
    fn check_one_group() {
        assert_eq!(check_group(1, " 471207 "), Ok(42_837));
        assert_eq!(
            check_group(2, "471208"),
            Err(GroupError::NotDivisibleBy11 { group: 2 })
        );
        assert_eq!(
            check_group(2, "4712"),
            Err(GroupError::WrongGroupLength { group: 2, found: 4 })
        );
        assert_eq!(
            check_group(2, "4712٣"),
            Err(GroupError::NotADigit {
                group: 2,
                found: '٣'
            })
        );
        assert_eq!(
            check_group(8, "999999"),
            Err(GroupError::TooLarge { group: 8 })
        );
    }

    #[test]
    fn debug_is_redacted() {
        let password = BitLockerRecoveryPassword::parse(LIBBDE).unwrap();
        assert_eq!(
            format!("{password:?}"),
            "BitLockerRecoveryPassword(<redacted>)"
        );
    }

    #[test]
    fn protector_ids() {
        let id: ProtectorId = "{ac9d5655-f7ca-4d1d-902f-1b6087118138}".parse().unwrap();
        assert_eq!(id.to_string(), "AC9D5655-F7CA-4D1D-902F-1B6087118138");
        assert_eq!(id.braced(), "{AC9D5655-F7CA-4D1D-902F-1B6087118138}");
        assert_eq!(id.prefix(), "AC9D5655");
        assert_eq!("AC9D5655-F7CA-4D1D-902F-1B6087118138".parse(), Ok(id));
        for bad in [
            "",
            "{}",
            "AC9D5655F7CA4D1D902F1B6087118138",
            "{AC9D5655-F7CA-4D1D-902F-1B608711813}",
        ] {
            assert_eq!(bad.parse::<ProtectorId>(), Err(InvalidProtectorId), "{bad}");
        }
    }
}
