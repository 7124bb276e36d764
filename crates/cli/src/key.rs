//! `keyhaven key check`: is this recovery key (or BitLocker recovery file) well formed?
//!
//! Everything here is offline. The typed key is checked group by group, so a typo is reported
//! with the group it is in.

use std::io::{IsTerminal, Read};
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, Subcommand, ValueEnum};
use keyhaven_core::device::bitlocker::{BitLockerRecoveryPassword, GroupError};
use keyhaven_core::device::bitlocker_txt::{BitLockerRecoveryFile, RecoveryFileError};
use keyhaven_core::device::filevault::{FileVaultKeyError, FileVaultRecoveryKey};
use keyhaven_core::device::luks::{LuksKeyError, LuksRecoveryKey};
use keyhaven_core::device::microsoft::MicrosoftRecoveryCode;
use keyhaven_core::recovery_key::RecoveryKey;
use serde::Serialize;
use zeroize::Zeroizing;

/// Offline recovery-key commands.
#[derive(Debug, Subcommand)]
pub enum KeyCommand {
    /// Check that a recovery key, or a BitLocker recovery key file, is well formed.
    ///
    /// Examples:
    ///   keyhaven key check 123456-...            (a 48-digit key: BitLocker or Keyhaven)
    ///   keyhaven key check --kind luks KEY
    ///   echo "$KEY" | keyhaven key check -       (read the key from stdin)
    ///   keyhaven key check --file "BitLocker Recovery Key 1A2B3C4D-....TXT"
    #[command(verbatim_doc_comment, after_help = crate::AFTER_HELP)]
    Check(CheckArgs),
}

/// Which format a key is in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Kind {
    /// Guess from the shape of the key.
    Auto,
    /// Keyhaven workspace recovery key: 48 digits, 8 groups of 6.
    Keyhaven,
    /// BitLocker recovery password: 48 digits, 8 groups of 6.
    Bitlocker,
    /// FileVault personal recovery key: 24 letters and digits, 6 groups of 4.
    Filevault,
    /// LUKS / systemd-cryptenroll recovery key: 64 modhex characters, 8 groups of 8.
    Luks,
    /// Microsoft account recovery code: 25 letters and digits, 5 groups of 5.
    MicrosoftAccount,
}

/// Arguments of `key check`.
#[derive(Debug, Args)]
pub struct CheckArgs {
    /// The key to check; `-` (or nothing, when stdin is not a terminal) reads it from stdin.
    #[arg(value_name = "KEY", conflicts_with = "file")]
    key: Option<String>,

    /// The key's format.
    #[arg(long, value_enum, default_value_t = Kind::Auto)]
    kind: Kind,

    /// Check a BitLocker recovery key `.txt` file instead (UTF-16 or UTF-8, as Windows saves it).
    #[arg(long, value_name = "PATH")]
    file: Option<PathBuf>,

    /// Print the result as JSON on stdout.
    #[arg(long)]
    json: bool,
}

/// The result of a check, as printed.
#[derive(Debug, Serialize)]
struct Report {
    valid: bool,
    kind: Kind,
    #[serde(
        skip_serializing_if = "Option::is_none",
        serialize_with = "serialize_secret"
    )]
    key: Option<Zeroizing<String>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    identifier: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    error: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    group: Option<usize>,
    #[serde(skip_serializing_if = "Option::is_none")]
    hint: Option<String>,
}

fn serialize_secret<S: serde::Serializer>(
    key: &Option<Zeroizing<String>>,
    serializer: S,
) -> Result<S::Ok, S::Error> {
    serializer.serialize_str(key.as_deref().map_or("", String::as_str))
}

impl Report {
    fn valid(kind: Kind, key: Zeroizing<String>) -> Self {
        Self {
            valid: true,
            kind,
            key: Some(key),
            identifier: None,
            error: None,
            group: None,
            hint: None,
        }
    }

    fn invalid(kind: Kind, error: String, group: Option<usize>, hint: String) -> Self {
        Self {
            valid: false,
            kind,
            key: None,
            identifier: None,
            error: Some(error),
            group,
            hint: Some(hint),
        }
    }
}

/// Runs a `key` subcommand.
pub fn run(cmd: KeyCommand) -> ExitCode {
    match cmd {
        KeyCommand::Check(args) => check(args),
    }
}

fn check(args: CheckArgs) -> ExitCode {
    let report = match (&args.file, args.kind) {
        (Some(path), Kind::Auto | Kind::Bitlocker) => match std::fs::read(path) {
            Ok(bytes) => check_file(&bytes),
            Err(err) => return usage_error(&format!("cannot read {}: {err}", path.display())),
        },
        (Some(_), kind) => {
            let kind = kind_name(kind);
            return usage_error(&format!(
                "--file reads BitLocker recovery key files, not {kind} keys"
            ));
        }
        (None, kind) => match read_key(args.key.as_deref()) {
            Ok(text) => check_key(&text, kind),
            Err(message) => return usage_error(&message),
        },
    };
    print(&report, args.json);
    if report.valid {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    }
}

fn usage_error(message: &str) -> ExitCode {
    eprintln!("error: {message}");
    eprintln!("hint: see `keyhaven key check --help`");
    ExitCode::from(2)
}

fn read_key(arg: Option<&str>) -> Result<Zeroizing<String>, String> {
    match arg {
        Some("-") => read_stdin(),
        Some(text) => Ok(Zeroizing::new(text.to_owned())),
        None if !std::io::stdin().is_terminal() => read_stdin(),
        None => Err("no key given: pass it as an argument, or `-` to read it from stdin".into()),
    }
}

fn read_stdin() -> Result<Zeroizing<String>, String> {
    let mut text = Zeroizing::new(String::new());
    std::io::stdin()
        .take(64 * 1024)
        .read_to_string(&mut text)
        .map_err(|err| format!("cannot read the key from stdin: {err}"))?;
    Ok(text)
}

/// Checks typed text as `kind` (or the kind its shape suggests).
fn check_key(text: &str, kind: Kind) -> Report {
    let kind = if kind == Kind::Auto {
        guess_kind(text)
    } else {
        kind
    };
    match kind {
        Kind::Keyhaven => match RecoveryKey::parse(text) {
            Ok(key) => Report::valid(kind, key.encode()),
            Err(err) => digits_error(kind, err),
        },
        Kind::Bitlocker | Kind::Auto => match BitLockerRecoveryPassword::parse(text) {
            Ok(key) => Report::valid(Kind::Bitlocker, key.expose_normalized()),
            Err(err) => digits_error(Kind::Bitlocker, err),
        },
        Kind::Filevault => match FileVaultRecoveryKey::parse(text) {
            Ok(key) => Report::valid(kind, key.expose_normalized()),
            Err(err) => Report::invalid(
                kind,
                err.to_string(),
                filevault_group(&err),
                filevault_hint(&err),
            ),
        },
        Kind::Luks => match LuksRecoveryKey::parse(text) {
            Ok(key) => Report::valid(kind, key.expose_passphrase()),
            Err(err) => Report::invalid(kind, err.to_string(), luks_group(&err), luks_hint(&err)),
        },
        Kind::MicrosoftAccount => match MicrosoftRecoveryCode::parse(text) {
            Ok(code) => Report::valid(kind, code.expose_normalized()),
            Err(err) => {
                let hint = match err.group() {
                    Some(group) => format!(
                        "a Microsoft account recovery code is 5 groups of 5 letters and digits; \
                         re-check group {group}"
                    ),
                    None => "a Microsoft account recovery code is 25 letters and digits in 5 \
                             groups of 5, e.g. ABCDE-FGHIJ-..."
                        .into(),
                };
                Report::invalid(kind, err.to_string(), err.group(), hint)
            }
        },
    }
}

fn check_file(bytes: &[u8]) -> Report {
    match BitLockerRecoveryFile::read(bytes) {
        Ok(file) => {
            let mut report = Report::valid(Kind::Bitlocker, file.password.expose_normalized());
            report.identifier = Some(file.identifier.to_string());
            report
        }
        Err(RecoveryFileError::InvalidRecoveryKey(err)) => {
            let mut report = digits_error(Kind::Bitlocker, err);
            report.error = Some(format!("the recovery key in the file is not valid: {err}"));
            report
        }
        Err(err) => Report::invalid(
            Kind::Bitlocker,
            err.to_string(),
            None,
            "is this the .txt file Windows saved (\"BitLocker Recovery Key <ID>.TXT\")?".into(),
        ),
    }
}

/// Picks the format from the key's characters: digits only → 48-digit recovery password;
/// only modhex letters → LUKS; other letters → 5 groups (or 25 characters) a Microsoft
/// account recovery code, else FileVault.
fn guess_kind(text: &str) -> Kind {
    let significant: Vec<char> = text
        .chars()
        .filter(|c| !c.is_whitespace() && *c != '-')
        .collect();
    let letters = significant
        .iter()
        .filter(|c| c.is_ascii_alphabetic())
        .count();
    let modhex = significant
        .iter()
        .filter(|c| "cbdefghijklnrtuv".contains(**c))
        .count();
    if letters == 0 || letters * 4 < significant.len() {
        Kind::Bitlocker
    } else if modhex == letters && significant.len() > 40 {
        Kind::Luks
    } else {
        let groups = text
            .split(|c: char| c == '-' || c.is_whitespace())
            .filter(|g| !g.is_empty())
            .count();
        if groups == 5 || (groups == 1 && significant.len() == 25) {
            Kind::MicrosoftAccount
        } else {
            Kind::Filevault
        }
    }
}

fn digits_error(kind: Kind, err: GroupError) -> Report {
    let hint = match err {
        GroupError::WrongLength { .. } => {
            "a recovery key is 48 digits in 8 groups of 6, separated by -, spaces or nothing".into()
        }
        GroupError::NotDivisibleBy11 { group } | GroupError::TooLarge { group } => format!(
            "each group is a multiple of 11 no larger than 720885; re-check the six digits of group {group}"
        ),
        GroupError::WrongGroupLength { group, .. } => {
            format!("every group has exactly 6 digits; re-check group {group}")
        }
        GroupError::NotADigit { group, .. } => {
            format!("recovery keys hold digits only; re-check group {group} (O is 0, l is 1)")
        }
    };
    Report::invalid(kind, err.to_string(), err.group(), hint)
}

fn filevault_group(err: &FileVaultKeyError) -> Option<usize> {
    match *err {
        FileVaultKeyError::WrongLength { .. } => None,
        FileVaultKeyError::WrongGroupLength { group, .. }
        | FileVaultKeyError::InvalidCharacter { group, .. } => Some(group),
    }
}

fn filevault_hint(err: &FileVaultKeyError) -> String {
    match filevault_group(err) {
        Some(group) => {
            format!("a FileVault key is 6 groups of 4 letters and digits; re-check group {group}")
        }
        None => {
            "a FileVault key is 24 letters and digits in 6 groups of 4, e.g. ABCD-EFGH-...".into()
        }
    }
}

fn luks_group(err: &LuksKeyError) -> Option<usize> {
    match *err {
        LuksKeyError::WrongLength { .. } => None,
        LuksKeyError::WrongGroupLength { group, .. } | LuksKeyError::NotModhex { group, .. } => {
            Some(group)
        }
    }
}

fn luks_hint(err: &LuksKeyError) -> String {
    match luks_group(err) {
        Some(group) => format!(
            "a LUKS recovery key uses only the letters cbdefghijklnrtuv, 8 per group; re-check group {group}"
        ),
        None => "a LUKS recovery key is 64 letters from cbdefghijklnrtuv in 8 groups of 8".into(),
    }
}

fn kind_name(kind: Kind) -> &'static str {
    match kind {
        Kind::Auto => "recovery key",
        Kind::Keyhaven => "Keyhaven workspace recovery key",
        Kind::Bitlocker => "BitLocker recovery password",
        Kind::Filevault => "FileVault personal recovery key",
        Kind::Luks => "LUKS recovery key",
        Kind::MicrosoftAccount => "Microsoft account recovery code",
    }
}

fn print(report: &Report, json: bool) {
    if json {
        let text = Zeroizing::new(serde_json::to_string_pretty(report).expect("report serializes"));
        println!("{}", text.as_str());
        return;
    }
    if report.valid {
        println!("valid {}", kind_name(report.kind));
        if let Some(id) = &report.identifier {
            println!("identifier: {id}");
        }
        if let Some(key) = &report.key {
            println!("key:        {}", key.as_str());
        }
        if report.kind == Kind::Bitlocker && report.identifier.is_none() {
            println!("note:       Keyhaven workspace recovery keys use the same 48-digit format");
        }
    } else {
        eprintln!(
            "error: not a valid {}: {}",
            kind_name(report.kind),
            report.error.as_deref().unwrap_or("")
        );
        if let Some(hint) = &report.hint {
            eprintln!("hint: {hint}");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn guesses_kind_from_shape() {
        assert_eq!(guess_kind("111111-222222"), Kind::Bitlocker);
        assert_eq!(guess_kind("12345O-000000"), Kind::Bitlocker);
        assert_eq!(guess_kind(&"cbdefghi-".repeat(8)), Kind::Luks);
        assert_eq!(guess_kind("ABCD-EFGH-IJKL-MNOP-QRST-UVWX"), Kind::Filevault);
        assert_eq!(
            guess_kind("8TVAK-3CQJZ-YXJ2U-6KB7D-NNSV4"),
            Kind::MicrosoftAccount
        );
        assert_eq!(
            guess_kind("8tvak3cqjzyxj2u6kb7dnnsv4"),
            Kind::MicrosoftAccount
        );
        assert_eq!(
            guess_kind("8TVAK-3CQJZ-YX_2U-6KB7D-NNSV4"),
            Kind::MicrosoftAccount
        );
    }

    #[test]
    fn a_microsoft_account_code_is_checked_and_its_group_named() {
        let good = check_key("8tvak 3cqjz yxj2u 6kb7d nnsv4", Kind::Auto);
        assert_eq!(good.kind, Kind::MicrosoftAccount);
        assert!(good.error.is_none());
        let bad = check_key("8TVAK-3CQJZ-YXJ2U-6KB7-NNSV4", Kind::Auto);
        assert_eq!(bad.kind, Kind::MicrosoftAccount);
        assert_eq!(bad.group, Some(4));
    }
}
