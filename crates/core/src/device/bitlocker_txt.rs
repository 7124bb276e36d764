//! The BitLocker recovery key `.txt` file, as Windows saves it ("Save to a file" when BitLocker
//! is turned on, or "Back up your recovery key" later).
//!
//! Windows 10 and 11 write, in UTF-16LE with a byte-order mark and CRLF line endings:
//!
//! ```text
//! BitLocker Drive Encryption recovery key␠
//!
//! To verify that this is the correct recovery key, compare the start of the following identifier with the identifier value displayed on your PC.
//!
//! Identifier:
//!
//! ⇥AC9D5655-F7CA-4D1D-902F-1B6087118138
//!
//! If the above identifier matches the one displayed by your PC, then use the following key to unlock your drive.
//!
//! Recovery Key:
//!
//! ⇥132858-327525-689172-680790-354607-080454-642268-377564
//!
//! If the above identifier doesn't match the one displayed by your PC, then this isn't the right key to unlock your drive.
//! Try another recovery key, or refer to https://go.microsoft.com/fwlink/?LinkID=260589 for additional assistance.
//!
//! ```
//!
//! (`␠` is a trailing space, `⇥` a TAB.) The file name is `BitLocker Recovery Key <ID>.TXT`.
//!
//! Sources for the wording: a published Windows 10 file (TryHackMe "Microsoft Windows
//! Hardening" walkthrough, listed as 1348 bytes) and the many admin scripts that reproduce it
//! line for line. The wording, the TAB indentation and the CRLF layout agree across all of
//! them. Two details are inferred rather than seen: the trailing space after the title (present
//! in most reproductions) and the empty last line; with both, the sample above is exactly the
//! 1348 bytes of the published listing, and without them it is not. The reader does not depend
//! on either.
//!
//! Reading is deliberately tolerant, because files get re-saved by editors and mail clients:
//! UTF-16LE/BE or UTF-8 with or without BOM, CRLF or LF, any indentation, identifiers in any
//! case with or without braces, and the value either on the line after its label or on the
//! same line. Files saved by a non-English Windows have translated labels; for those the reader
//! falls back to the shapes: the GUID and the line of digit groups, each of which must then be
//! the only one in the text, so that other text (say `manage-bde` output, which lists several
//! protectors) is refused rather than paired up wrongly.

use std::str::FromStr;

use zeroize::Zeroizing;

use super::bitlocker::{BitLockerRecoveryPassword, GroupError, ProtectorId};
use super::text::{self, EncodingError};

/// Why bytes are not a readable BitLocker recovery key file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum RecoveryFileError {
    /// The bytes are not UTF-16 or UTF-8 text.
    #[error("the file is not readable text: {0}")]
    Encoding(EncodingError),
    /// Neither an `Identifier:` line nor any GUID was found.
    #[error("no recovery key identifier found in the file")]
    NoIdentifier,
    /// The value after `Identifier:` is not a GUID.
    #[error("the value after \"Identifier:\" is not a recovery key identifier")]
    InvalidIdentifier,
    /// Neither a `Recovery Key:` line nor any line of digit groups was found.
    #[error("no recovery key found in the file")]
    NoRecoveryKey,
    /// Without English labels, the text holds several identifiers or several lines of digit
    /// groups, so which key belongs to which identifier cannot be told.
    #[error(
        "the file holds several identifiers or recovery keys; it is not a single recovery key file"
    )]
    Ambiguous,
    /// The recovery key is present but one of its groups is wrong.
    #[error("the recovery key in the file is not valid: {0}")]
    InvalidRecoveryKey(GroupError),
}

/// The content of a BitLocker recovery key file: which protector, and its recovery password.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BitLockerRecoveryFile {
    /// The numerical-password protector's identifier.
    pub identifier: ProtectorId,
    /// The 48-digit recovery password.
    pub password: BitLockerRecoveryPassword,
}

impl BitLockerRecoveryFile {
    /// Reads the file's bytes (see the module documentation for what is accepted).
    pub fn read(bytes: &[u8]) -> Result<Self, RecoveryFileError> {
        let text = text::decode(bytes).map_err(RecoveryFileError::Encoding)?;
        Self::read_str(&text)
    }

    /// Reads already-decoded text.
    pub fn read_str(text: &str) -> Result<Self, RecoveryFileError> {
        let identifier = match labelled_value(text, IDENTIFIER_LABEL) {
            Some(value) => {
                ProtectorId::from_str(value).map_err(|_| RecoveryFileError::InvalidIdentifier)?
            }
            None => only(guids(text))?.ok_or(RecoveryFileError::NoIdentifier)?,
        };
        let key_text = match labelled_value(text, RECOVERY_KEY_LABEL) {
            Some(value) => value,
            None => only(digit_lines(text))?.ok_or(RecoveryFileError::NoRecoveryKey)?,
        };
        let password = BitLockerRecoveryPassword::parse(key_text)
            .map_err(RecoveryFileError::InvalidRecoveryKey)?;
        Ok(Self {
            identifier,
            password,
        })
    }

    /// The text Windows writes (CRLF line endings, TAB-indented values), before encoding.
    pub fn expose_windows_text(&self) -> Zeroizing<String> {
        let password = self.password.expose_normalized();
        let mut out = Zeroizing::new(String::with_capacity(WINDOWS_TEXT_LEN));
        for (i, line) in TEMPLATE.iter().enumerate() {
            if i > 0 {
                out.push_str("\r\n");
            }
            match *line {
                IDENTIFIER_SLOT => {
                    out.push('\t');
                    out.push_str(&self.identifier.to_string());
                }
                PASSWORD_SLOT => {
                    out.push('\t');
                    out.push_str(&password);
                }
                text => out.push_str(text),
            }
        }
        out
    }

    /// The file's bytes exactly as Windows saves them: UTF-16LE with a byte-order mark.
    pub fn to_windows_bytes(&self) -> Zeroizing<Vec<u8>> {
        text::encode_utf16le_with_bom(&self.expose_windows_text())
    }

    /// `BitLocker Recovery Key AC9D5655-F7CA-4D1D-902F-1B6087118138.TXT`.
    pub fn file_name(&self) -> String {
        file_name(&self.identifier)
    }
}

/// The name Windows gives the file: `BitLocker Recovery Key <ID>.TXT`, ID upper-case without
/// braces.
pub fn file_name(identifier: &ProtectorId) -> String {
    format!("BitLocker Recovery Key {identifier}.TXT")
}

const IDENTIFIER_LABEL: &str = "Identifier:";
const RECOVERY_KEY_LABEL: &str = "Recovery Key:";

/// Placeholders in [`TEMPLATE`] for the TAB-indented values.
const IDENTIFIER_SLOT: &str = "\u{0}identifier";
const PASSWORD_SLOT: &str = "\u{0}password";

/// Windows' file, line by line; joined with CRLF. The last empty entry makes the file end
/// with an empty line (see the module documentation).
const TEMPLATE: [&str; 18] = [
    "BitLocker Drive Encryption recovery key ",
    "",
    "To verify that this is the correct recovery key, compare the start of the following \
     identifier with the identifier value displayed on your PC.",
    "",
    IDENTIFIER_LABEL,
    "",
    IDENTIFIER_SLOT,
    "",
    "If the above identifier matches the one displayed by your PC, then use the following key \
     to unlock your drive.",
    "",
    RECOVERY_KEY_LABEL,
    "",
    PASSWORD_SLOT,
    "",
    "If the above identifier doesn't match the one displayed by your PC, then this isn't the \
     right key to unlock your drive.",
    "Try another recovery key, or refer to https://go.microsoft.com/fwlink/?LinkID=260589 for \
     additional assistance.",
    "",
    "",
];

/// Length of the text Windows writes, in bytes (ASCII, so also in UTF-16 units).
const WINDOWS_TEXT_LEN: usize = 673;

/// The value of the first line starting with `label`: the rest of that line if not empty,
/// else the next non-empty line.
fn labelled_value<'a>(text: &'a str, label: &str) -> Option<&'a str> {
    let mut lines = text::trimmed_lines(text);
    let rest = lines
        .by_ref()
        .find_map(|line| text::strip_label(line, label))?
        .trim();
    if rest.is_empty() {
        Some(lines.find(|line| !line.is_empty()).unwrap_or(""))
    } else {
        Some(rest)
    }
}

/// The single distinct item, `None` if there is none, or [`RecoveryFileError::Ambiguous`].
fn only<T: PartialEq>(mut items: impl Iterator<Item = T>) -> Result<Option<T>, RecoveryFileError> {
    let Some(first) = items.next() else {
        return Ok(None);
    };
    if items.any(|other| other != first) {
        return Err(RecoveryFileError::Ambiguous);
    }
    Ok(Some(first))
}

/// Whitespace-separated tokens that are GUIDs (braces and trailing punctuation allowed), for
/// files whose labels are translated.
fn guids(text: &str) -> impl Iterator<Item = ProtectorId> {
    text.split(|c: char| c.is_whitespace() || matches!(c, '(' | ')' | ',' | ';' | '"' | '\''))
        .filter_map(|token| ProtectorId::from_str(token.trim_end_matches(['.', ':'])).ok())
}

/// Lines made only of digits and separators with at least half a password's digits, for
/// files whose labels are translated.
fn digit_lines(text: &str) -> impl Iterator<Item = &str> {
    text::trimmed_lines(text).filter(|line| {
        let digits = line.chars().filter(char::is_ascii_digit).count();
        digits >= 24
            && line
                .chars()
                .all(|c| c.is_ascii_digit() || text::is_separator(c))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    // The identifier and key of the published TryHackMe sample (a lab VM's key).
    const ID: &str = "AC9D5655-F7CA-4D1D-902F-1B6087118138";
    const KEY: &str = "132858-327525-689172-680790-354607-080454-642268-377564";

    fn sample() -> BitLockerRecoveryFile {
        BitLockerRecoveryFile {
            identifier: ID.parse().unwrap(),
            password: KEY.parse().unwrap(),
        }
    }

    #[test]
    fn writes_windows_bytes() {
        let file = sample();
        let bytes = file.to_windows_bytes();
        // Same length as the published Windows 10 listing of this very file.
        assert_eq!(bytes.len(), 1348);
        assert_eq!(file.expose_windows_text().len(), WINDOWS_TEXT_LEN);
        assert_eq!(&bytes[..4], b"\xFF\xFEB\0");
        let text = file.expose_windows_text();
        assert!(text.contains(&format!("Identifier:\r\n\r\n\t{ID}\r\n")));
        assert!(text.contains(&format!("Recovery Key:\r\n\r\n\t{KEY}\r\n")));
        assert!(text.ends_with("additional assistance.\r\n\r\n"));
        assert_eq!(BitLockerRecoveryFile::read(&bytes).unwrap(), file);
    }

    #[test]
    fn file_name_is_windows_style() {
        assert_eq!(
            sample().file_name(),
            format!("BitLocker Recovery Key {ID}.TXT")
        );
    }

    #[test]
    fn reads_same_line_values_and_braces() {
        let text = format!(
            "identifier: {{{}}}\nRECOVERY KEY: {KEY}\n",
            ID.to_lowercase()
        );
        assert_eq!(
            BitLockerRecoveryFile::read(text.as_bytes()).unwrap(),
            sample()
        );
    }

    #[test]
    fn reads_translated_files_by_shape() {
        let text = format!(
            "BitLocker-Laufwerkverschlüsselung-Wiederherstellungsschlüssel\n\nBezeichner:\n\n\t{ID}\n\n\
             Wiederherstellungsschlüssel:\n\n\t{KEY}\n"
        );
        assert_eq!(
            BitLockerRecoveryFile::read(text.as_bytes()).unwrap(),
            sample()
        );
    }

    #[test]
    fn refuses_to_pair_unlabelled_text_with_several_candidates() {
        let manage_bde = format!(
            "Volume C: [OS]\n    TPM:\n      ID: {{EBDEC50E-0666-4674-9EF4-0123456789AB}}\n\
             \n    Numerical Password:\n      ID: {{{ID}}}\n      Password:\n        {KEY}\n"
        );
        assert_eq!(
            BitLockerRecoveryFile::read(manage_bde.as_bytes()),
            Err(RecoveryFileError::Ambiguous)
        );
        let two_keys = format!("{ID}\n{KEY}\n{}\n", KEY.replace("132858", "000000"));
        assert_eq!(
            BitLockerRecoveryFile::read(two_keys.as_bytes()),
            Err(RecoveryFileError::Ambiguous)
        );
        // The same identifier twice is not ambiguous.
        let repeated = format!("{ID}\n{{{ID}}}\n{KEY}\n");
        assert_eq!(
            BitLockerRecoveryFile::read(repeated.as_bytes()).unwrap(),
            sample()
        );
    }

    #[test]
    fn errors() {
        let read = |text: &str| BitLockerRecoveryFile::read(text.as_bytes()).unwrap_err();
        assert_eq!(
            read(&format!("Recovery Key:\n\n\t{KEY}")),
            RecoveryFileError::NoIdentifier
        );
        assert_eq!(
            read(&format!("Identifier:\n\tnot-a-guid\n{KEY}")),
            RecoveryFileError::InvalidIdentifier
        );
        assert_eq!(
            read(&format!("Identifier:\n\t{ID}\n")),
            RecoveryFileError::NoRecoveryKey
        );
        let typo = KEY.replace("689172", "689173");
        assert_eq!(
            read(&format!("Identifier:\n\t{ID}\nRecovery Key:\n\t{typo}\n")),
            RecoveryFileError::InvalidRecoveryKey(GroupError::NotDivisibleBy11 { group: 3 })
        );
        assert_eq!(
            BitLockerRecoveryFile::read(b"\xFF\xFEB"),
            Err(RecoveryFileError::Encoding(EncodingError::OddUtf16Length))
        );
        assert_eq!(
            RecoveryFileError::InvalidRecoveryKey(GroupError::NotDivisibleBy11 { group: 3 })
                .to_string(),
            "the recovery key in the file is not valid: group 3 is not divisible by 11"
        );
    }
}
