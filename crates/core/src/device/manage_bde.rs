//! Output of `manage-bde -protectors -get <volume>` (English Windows).
//!
//! Windows 10/11 print (indentation 4/6/8 spaces; `TPM` and other protectors vary):
//!
//! ```text
//! BitLocker Drive Encryption: Configuration Tool version 10.0.26100
//! Copyright (C) 2013 Microsoft Corporation. All rights reserved.
//!
//! Volume C: [OS]
//! All Key Protectors
//!
//!     TPM:
//!       ID: {EBDEC50E-0666-4674-9EF4-0123456789AB}
//!       PCR Validation Profile:
//!         7, 11
//!         (Uses Secure Boot for integrity validation)
//!
//!     Numerical Password:
//!       ID: {4B82A66E-A0C0-4EF4-AB39-0123456789AB}
//!       Password:
//!         471207-278498-422125-177177-561902-537405-468006-693451
//!       Backup type:
//!         AD backup
//! ```
//!
//! Only "Numerical Password" protectors carry a recovery password; every other protector is
//! skipped. Indentation is ignored (pasted output often loses it), lines may end in CRLF or LF,
//! the bytes may be UTF-16 (PowerShell 5 redirection) or UTF-8, and several volumes' outputs may
//! be concatenated. Output in other languages has translated headers and is not recognized.

use zeroize::Zeroizing;

use super::bitlocker::{BitLockerRecoveryPassword, GroupError, ProtectorId};
use super::text::{self, EncodingError};

/// Why `manage-bde` output could not be read. Protectors are numbered from 1 in the order
/// their "Numerical Password:" headers appear.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum ManageBdeError {
    /// The bytes are not UTF-16 or UTF-8 text.
    #[error("the output is not readable text: {0}")]
    Encoding(EncodingError),
    /// No "Numerical Password:" protector was found.
    #[error(
        "no Numerical Password protector found (is this English `manage-bde -protectors -get` output?)"
    )]
    NoNumericalPassword,
    /// A numerical password has no `ID:` line.
    #[error("numerical password {protector} has no ID")]
    MissingId {
        /// Which numerical password, from 1.
        protector: usize,
    },
    /// A numerical password's `ID:` is not a GUID.
    #[error("the ID of numerical password {protector} is not a valid identifier")]
    InvalidId {
        /// Which numerical password, from 1.
        protector: usize,
    },
    /// A numerical password has no `Password:` value.
    #[error("numerical password {id} has no password")]
    MissingPassword {
        /// The protector's identifier.
        id: ProtectorId,
    },
    /// A numerical password's digits are not a valid recovery password.
    #[error("the password of numerical password {id} is not valid: {error}")]
    InvalidPassword {
        /// The protector's identifier.
        id: ProtectorId,
        /// What is wrong with it, naming the group.
        error: GroupError,
    },
}

/// Everything read from the output: one entry per `Volume …` line (or a single entry with no
/// volume when the line is missing).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ManageBdeOutput {
    /// The volumes, in order.
    pub volumes: Vec<VolumeProtectors>,
}

/// The numerical passwords of one volume.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VolumeProtectors {
    /// The volume as printed: `C:`, or a volume path like `\\?\Volume{…}\`.
    pub volume: Option<String>,
    /// The volume label in brackets, if not empty.
    pub label: Option<String>,
    /// Its numerical-password protectors.
    pub numerical_passwords: Vec<NumericalPassword>,
}

/// A numerical-password protector: its identifier and its 48-digit recovery password.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NumericalPassword {
    /// The protector identifier (`ID: {…}`).
    pub id: ProtectorId,
    /// The recovery password.
    pub password: BitLockerRecoveryPassword,
}

impl ManageBdeOutput {
    /// Reads output saved to a file (UTF-16 or UTF-8, with or without BOM).
    pub fn parse(bytes: &[u8]) -> Result<Self, ManageBdeError> {
        let text = text::decode(bytes).map_err(ManageBdeError::Encoding)?;
        Self::parse_str(&text)
    }

    /// Reads output already decoded to text.
    pub fn parse_str(text: &str) -> Result<Self, ManageBdeError> {
        let mut parser = Parser::default();
        for line in text::trimmed_lines(text) {
            parser.line(line)?;
        }
        parser.finish()
    }

    /// The first volume named in the output, e.g. `C:`.
    pub fn volume(&self) -> Option<&str> {
        self.volumes.iter().find_map(|v| v.volume.as_deref())
    }

    /// Every numerical password with the volume it belongs to.
    pub fn numerical_passwords(&self) -> impl Iterator<Item = (Option<&str>, &NumericalPassword)> {
        self.volumes.iter().flat_map(|v| {
            v.numerical_passwords
                .iter()
                .map(move |p| (v.volume.as_deref(), p))
        })
    }

    /// The text `manage-bde -protectors -get` prints for these numerical passwords (other
    /// protector kinds are not kept, so they are not printed), with CRLF line endings.
    pub fn expose_text(&self) -> Zeroizing<String> {
        // Reserved up front so growing the buffer leaves no stray copy of a password behind.
        let passwords = self
            .volumes
            .iter()
            .map(|v| v.numerical_passwords.len())
            .sum::<usize>();
        let labels = self
            .volumes
            .iter()
            .map(|v| {
                v.volume.as_ref().map_or(0, String::len) + v.label.as_ref().map_or(0, String::len)
            })
            .sum::<usize>();
        let mut out = Zeroizing::new(String::with_capacity(
            self.volumes.len() * 40 + labels + passwords * PROTECTOR_TEXT_LEN,
        ));
        for volume in &self.volumes {
            if let Some(name) = &volume.volume {
                let label = volume.label.as_deref().unwrap_or("");
                out.push_str(&format!(
                    "Volume {name} [{label}]\r\nAll Key Protectors\r\n\r\n"
                ));
            }
            for protector in &volume.numerical_passwords {
                out.push_str("    Numerical Password:\r\n      ID: ");
                out.push_str(&protector.id.braced());
                out.push_str("\r\n      Password:\r\n        ");
                out.push_str(&protector.password.expose_normalized());
                out.push_str("\r\n\r\n");
            }
        }
        out
    }
}

/// Length of one numerical password as [`ManageBdeOutput::expose_text`] prints it.
const PROTECTOR_TEXT_LEN: usize = 160;

/// A "Numerical Password:" protector being read.
#[derive(Default)]
struct Pending {
    /// 1-based position among numerical passwords.
    index: usize,
    /// `None` before the `ID:` line, then the parsed identifier.
    id: Option<Result<ProtectorId, ()>>,
    /// The line after `Password:` is the password.
    expecting_password: bool,
}

#[derive(Default)]
struct Parser {
    volumes: Vec<VolumeProtectors>,
    pending: Option<Pending>,
    count: usize,
}

/// Protector headers other than "Numerical Password:" that end a pending protector whose
/// password was never printed. ("Password:" is also the field inside a numerical password,
/// so it is handled by the `ID:` rule instead.)
const OTHER_PROTECTORS: [&str; 10] = [
    "TPM:",
    "TPM And PIN:",
    "TPM And Startup Key:",
    "TPM And PIN And Startup Key:",
    "External Key:",
    "External Key (Required for automatic unlock):",
    "Data Recovery Agent (Certificate Based):",
    "Public Key:",
    "Smart Card (Certificate Based):",
    "Identity:",
];

impl Parser {
    fn line(&mut self, line: &str) -> Result<(), ManageBdeError> {
        if line.is_empty() {
            return Ok(());
        }
        if let Some((volume, label)) = volume_line(line) {
            self.close(None)?;
            self.volumes.push(VolumeProtectors {
                volume: Some(volume.to_owned()),
                label: label.map(str::to_owned),
                numerical_passwords: Vec::new(),
            });
            return Ok(());
        }
        if line.eq_ignore_ascii_case("Numerical Password:") {
            self.close(None)?;
            self.count += 1;
            self.pending = Some(Pending {
                index: self.count,
                ..Pending::default()
            });
            return Ok(());
        }
        let Some(pending) = self.pending.as_mut() else {
            return Ok(());
        };
        let id_value = text::strip_label(line, "ID:");
        if pending.expecting_password {
            pending.expecting_password = false;
            // An `ID:` here means "Password:" was the next protector's header; another label
            // means the digits are missing.
            let is_label = id_value.is_some() || line.ends_with(':');
            return self.close(if is_label { None } else { Some(line) });
        }
        if let Some(value) = id_value {
            if pending.id.is_some() {
                // A second ID: the next protector started under a header we do not list.
                return self.close(None);
            }
            pending.id = Some(value.parse::<ProtectorId>().map_err(|_| ()));
        } else if let Some(value) = text::strip_label(line, "Password:") {
            let value = value.trim();
            if value.is_empty() {
                pending.expecting_password = true;
            } else {
                return self.close(Some(value));
            }
        } else if OTHER_PROTECTORS
            .iter()
            .any(|h| line.eq_ignore_ascii_case(h))
        {
            return self.close(None);
        }
        Ok(())
    }

    /// Ends the pending numerical password, if any, with `password` as its digits.
    fn close(&mut self, password: Option<&str>) -> Result<(), ManageBdeError> {
        let Some(pending) = self.pending.take() else {
            return Ok(());
        };
        let id = match pending.id {
            None => {
                return Err(ManageBdeError::MissingId {
                    protector: pending.index,
                });
            }
            Some(Err(())) => {
                return Err(ManageBdeError::InvalidId {
                    protector: pending.index,
                });
            }
            Some(Ok(id)) => id,
        };
        let password = password.ok_or(ManageBdeError::MissingPassword { id })?;
        let password = BitLockerRecoveryPassword::parse(password)
            .map_err(|error| ManageBdeError::InvalidPassword { id, error })?;
        if self.volumes.is_empty() {
            self.volumes.push(VolumeProtectors {
                volume: None,
                label: None,
                numerical_passwords: Vec::new(),
            });
        }
        if let Some(volume) = self.volumes.last_mut() {
            volume
                .numerical_passwords
                .push(NumericalPassword { id, password });
        }
        Ok(())
    }

    fn finish(mut self) -> Result<ManageBdeOutput, ManageBdeError> {
        self.close(None)?;
        if self.count == 0 {
            return Err(ManageBdeError::NoNumericalPassword);
        }
        Ok(ManageBdeOutput {
            volumes: self.volumes,
        })
    }
}

/// `Volume C: [OS]` → (`C:`, `Some("OS")`). Only lines whose first word after "Volume" is a
/// drive (`C:`) or a volume path (`\\?\Volume{…}\`) count, so prose is not mistaken for one.
fn volume_line(line: &str) -> Option<(&str, Option<&str>)> {
    let rest = text::strip_label(line, "Volume ")?.trim();
    let (volume, label) = match rest.find(" [") {
        Some(at) => (
            rest[..at].trim(),
            // Exactly one closing bracket is syntax; any other `]` belongs to the label, so
            // that writing `[{label}]` and reading it back gives the same label.
            Some(
                rest[at + 2..]
                    .trim_end()
                    .strip_suffix(']')
                    .unwrap_or(&rest[at + 2..]),
            ),
        ),
        None => (rest, None),
    };
    let drive = volume.len() == 2
        && volume.ends_with(':')
        && volume.starts_with(|c: char| c.is_ascii_alphabetic());
    let path = volume.starts_with("\\\\?\\") || volume.ends_with('\\');
    if !(drive || path) {
        return None;
    }
    Some((volume, label.map(str::trim).filter(|l| !l.is_empty())))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Found by `cargo fuzz run manage_bde`: a label with a `]` inside did not survive
    /// writing and reading back (every trailing `]` was stripped on the first read).
    #[test]
    fn label_with_brackets_round_trips() {
        let text = "Volume C: [OS]   ]\r\nAll Key Protectors\r\n";
        let (_, label) = volume_line("Volume C: [OS]   ]").unwrap();
        assert_eq!(label, Some("OS]"));
        let (_, label) = volume_line("Volume C: [OS]]").unwrap();
        assert_eq!(label, Some("OS]"));
        let (_, label) = volume_line("Volume C: [OS").unwrap();
        assert_eq!(label, Some("OS"));
        if let Ok(parsed) = ManageBdeOutput::parse_str(text) {
            assert_eq!(
                ManageBdeOutput::parse_str(&parsed.expose_text()).unwrap(),
                parsed
            );
        }
    }

    const OUTPUT: &str = "BitLocker Drive Encryption: Configuration Tool version 10.0.26100\r
Copyright (C) 2013 Microsoft Corporation. All rights reserved.\r
\r
Volume C: [OS]\r
All Key Protectors\r
\r
    TPM:\r
      ID: {EBDEC50E-0666-4674-9EF4-0123456789AB}\r
      PCR Validation Profile:\r
        7, 11\r
        (Uses Secure Boot for integrity validation)\r
\r
    Numerical Password:\r
      ID: {4B82A66E-A0C0-4EF4-AB39-0123456789AB}\r
      Password:\r
        471207-278498-422125-177177-561902-537405-468006-693451\r
      Backup type:\r
        AD backup\r
\r
";

    #[test]
    fn reads_numerical_passwords() {
        let output = ManageBdeOutput::parse_str(OUTPUT).unwrap();
        assert_eq!(output.volume(), Some("C:"));
        assert_eq!(output.volumes[0].label.as_deref(), Some("OS"));
        let all: Vec<_> = output.numerical_passwords().collect();
        assert_eq!(all.len(), 1);
        assert_eq!(
            all[0].1.id.to_string(),
            "4B82A66E-A0C0-4EF4-AB39-0123456789AB"
        );
        assert_eq!(
            all[0].1.password.expose_normalized().as_str(),
            "471207-278498-422125-177177-561902-537405-468006-693451"
        );
        // Round trip through the printed form.
        assert_eq!(
            ManageBdeOutput::parse_str(&output.expose_text()).unwrap(),
            output
        );
    }

    #[test]
    fn tolerates_missing_indentation_and_same_line_password() {
        let flat: String = OUTPUT.lines().map(|l| format!("{}\n", l.trim())).collect();
        assert_eq!(
            ManageBdeOutput::parse_str(&flat).unwrap(),
            ManageBdeOutput::parse_str(OUTPUT).unwrap()
        );
        let same_line = "Numerical Password:\nID: {4B82A66E-A0C0-4EF4-AB39-0123456789AB}\n\
                         Password: 471207-278498-422125-177177-561902-537405-468006-693451\n";
        let output = ManageBdeOutput::parse_str(same_line).unwrap();
        assert_eq!(output.volume(), None);
        assert_eq!(output.numerical_passwords().count(), 1);
    }

    #[test]
    fn errors() {
        let parse = |text: &str| ManageBdeOutput::parse_str(text).unwrap_err();
        assert_eq!(
            parse("Volume C: [OS]\n    TPM:\n      ID: {EBDEC50E-0666-4674-9EF4-0123456789AB}\n"),
            ManageBdeError::NoNumericalPassword
        );
        assert_eq!(
            parse(
                "Numerical Password:\n  Password:\n    000000-000000-000000-000000-000000-000000-000000-000000\n"
            ),
            ManageBdeError::MissingId { protector: 1 }
        );
        assert_eq!(
            parse(&OUTPUT.replace("{4B82A66E-A0C0-4EF4-AB39-0123456789AB}", "{4B82A66E-XXXX}")),
            ManageBdeError::InvalidId { protector: 1 }
        );
        let id: ProtectorId = "4B82A66E-A0C0-4EF4-AB39-0123456789AB".parse().unwrap();
        assert_eq!(
            parse(&OUTPUT.replace("422125", "422126")),
            ManageBdeError::InvalidPassword {
                id,
                error: GroupError::NotDivisibleBy11 { group: 3 }
            }
        );
        assert_eq!(
            parse(
                "Numerical Password:\n ID: {4B82A66E-A0C0-4EF4-AB39-0123456789AB}\nPassword:\n ID: {EBDEC50E-0666-4674-9EF4-0123456789AB}\n"
            ),
            ManageBdeError::MissingPassword { id }
        );
        assert_eq!(
            parse(
                "Numerical Password:\n ID: {4B82A66E-A0C0-4EF4-AB39-0123456789AB}\nPassword:\nBackup type:\n"
            ),
            ManageBdeError::MissingPassword { id }
        );
        assert_eq!(
            parse("Numerical Password:\n ID: {4B82A66E-A0C0-4EF4-AB39-0123456789AB}\nTPM:\n"),
            ManageBdeError::MissingPassword { id }
        );
    }

    #[test]
    fn volume_lines() {
        assert_eq!(volume_line("Volume C: [OS]"), Some(("C:", Some("OS"))));
        assert_eq!(volume_line("Volume E: []"), Some(("E:", None)));
        assert_eq!(volume_line("Volume D:"), Some(("D:", None)));
        assert_eq!(
            volume_line("Volume \\\\?\\Volume{1b2c}\\ [Data]"),
            Some(("\\\\?\\Volume{1b2c}\\", Some("Data")))
        );
        assert_eq!(volume_line("Volume size: 12 GB"), None);
        assert_eq!(volume_line("Volumes"), None);
    }
}
