//! Property tests for the device recovery-key parsers: round trips, typo detection, and
//! "never panics, whatever the input".

use keyhaven_core::device::bitlocker::words_to_key;
use keyhaven_core::device::{
    BitLockerRecoveryFile, BitLockerRecoveryPassword, FileVaultRecoveryKey, GroupError,
    LuksRecoveryKey, ManageBdeOutput, NumericalPassword, ProtectorId, VolumeProtectors,
    check_group, decode_groups, encode_groups,
};
use proptest::prelude::*;
use uuid::Uuid;

fn protector_id() -> impl Strategy<Value = ProtectorId> {
    any::<u128>().prop_map(|n| ProtectorId::from_uuid(Uuid::from_u128(n)))
}

fn bitlocker_password() -> impl Strategy<Value = BitLockerRecoveryPassword> {
    any::<[u8; 16]>().prop_map(|key| BitLockerRecoveryPassword::from_key_bytes(&key))
}

/// Joins groups with a separator style a person might use.
fn rejoin(normalized: &str, style: usize) -> String {
    let groups: Vec<&str> = normalized.split('-').collect();
    match style % 4 {
        0 => groups.join("-"),
        1 => groups.join(" "),
        2 => groups.concat(),
        _ => format!("  {}\r\n", groups.join(" - ")),
    }
}

proptest! {
    #[test]
    fn bitlocker_encode_then_decode(key in any::<[u8; 16]>(), style in 0usize..4) {
        let text = encode_groups(&key);
        prop_assert_eq!(text.len(), 55);
        let words = decode_groups(&rejoin(&text, style)).unwrap();
        prop_assert_eq!(*words_to_key(&words), key);
        let password = BitLockerRecoveryPassword::parse(&text).unwrap();
        prop_assert_eq!(password.expose_key_bytes(), &key);
        let normalized = password.expose_normalized();
        prop_assert_eq!(normalized.as_str(), text.as_str());
    }

    /// One mistyped digit always breaks divisibility by 11 (the change is d·10^k with
    /// 0 < |d| < 10, and 11 is prime to 10), and the error names the right group.
    #[test]
    fn bitlocker_single_typo_names_its_group(
        password in bitlocker_password(),
        position in 0usize..48,
        shift in 1u8..10,
    ) {
        let text = password.expose_normalized();
        let mut digits: Vec<u8> = text.bytes().filter(u8::is_ascii_digit).collect();
        digits[position] = b'0' + (digits[position] - b'0' + shift) % 10;
        let typed = String::from_utf8(digits).unwrap();
        let group = position / 6 + 1;
        let error = BitLockerRecoveryPassword::parse(&typed).unwrap_err();
        prop_assert_eq!(error, GroupError::NotDivisibleBy11 { group });
        prop_assert_eq!(
            check_group(group, &typed[(group - 1) * 6..group * 6]),
            Err(GroupError::NotDivisibleBy11 { group })
        );
    }

    #[test]
    fn filevault_round_trip(chars in "[A-Z0-9]{24}", lower in any::<bool>(), style in 0usize..4) {
        let groups: Vec<&str> = (0..6).map(|i| &chars[i * 4..i * 4 + 4]).collect();
        let normalized = groups.join("-");
        let typed = rejoin(&normalized, style);
        let typed = if lower { typed.to_lowercase() } else { typed };
        let key = FileVaultRecoveryKey::parse(&typed).unwrap();
        let printed = key.expose_normalized();
        prop_assert_eq!(printed.as_str(), normalized.as_str());
    }

    #[test]
    fn luks_round_trip(key in any::<[u8; 32]>(), upper in any::<bool>(), style in 0usize..4) {
        let passphrase = LuksRecoveryKey::from_key_bytes(&key).expose_passphrase();
        prop_assert_eq!(passphrase.len(), 71);
        let typed = rejoin(&passphrase, style);
        let typed = if upper { typed.to_uppercase() } else { typed };
        let parsed = LuksRecoveryKey::parse(&typed).unwrap();
        prop_assert_eq!(parsed.expose_key_bytes(), &key);
    }

    #[test]
    fn txt_write_then_read(identifier in protector_id(), password in bitlocker_password()) {
        let file = BitLockerRecoveryFile { identifier, password };
        let bytes = file.to_windows_bytes();
        prop_assert_eq!(bytes.len(), 1348);
        prop_assert_eq!(&BitLockerRecoveryFile::read(&bytes).unwrap(), &file);
        // Re-saved as UTF-8 with LF and lower-case: still the same file.
        let resaved = file.expose_windows_text().replace("\r\n", "\n").to_lowercase();
        prop_assert_eq!(&BitLockerRecoveryFile::read(resaved.as_bytes()).unwrap(), &file);
    }

    #[test]
    fn manage_bde_print_then_parse(
        volumes in prop::collection::vec(
            (
                prop::char::range('C', 'Z'),
                prop::option::of("[A-Za-z0-9 ]{1,12}"),
                prop::collection::vec((protector_id(), bitlocker_password()), 1..4),
            ),
            1..4,
        )
    ) {
        let output = ManageBdeOutput {
            volumes: volumes
                .into_iter()
                .map(|(letter, label, passwords)| VolumeProtectors {
                    volume: Some(format!("{letter}:")),
                    label: label.map(|l| l.trim().to_owned()).filter(|l| !l.is_empty()),
                    numerical_passwords: passwords
                        .into_iter()
                        .map(|(id, password)| NumericalPassword { id, password })
                        .collect(),
                })
                .collect(),
        };
        prop_assert_eq!(ManageBdeOutput::parse_str(&output.expose_text()).unwrap(), output);
    }

    #[test]
    fn parsers_never_panic_on_text(text in any::<String>()) {
        let _ = BitLockerRecoveryPassword::parse(&text);
        let _ = decode_groups(&text);
        let _ = check_group(1, &text);
        let _ = FileVaultRecoveryKey::parse(&text);
        let _ = LuksRecoveryKey::parse(&text);
        let _ = text.parse::<ProtectorId>();
        let _ = BitLockerRecoveryFile::read_str(&text);
        let _ = ManageBdeOutput::parse_str(&text);
    }

    #[test]
    fn parsers_never_panic_on_bytes(bytes in prop::collection::vec(any::<u8>(), 0..2048)) {
        let _ = BitLockerRecoveryFile::read(&bytes);
        let _ = ManageBdeOutput::parse(&bytes);
    }

    /// Text shaped like the real thing, with random lines mixed in, exercises the label and
    /// section logic far more than uniform random strings do.
    #[test]
    fn parsers_never_panic_on_near_misses(
        lines in prop::collection::vec(
            prop_oneof![
                Just("Identifier:".to_owned()),
                Just("Recovery Key:".to_owned()),
                Just("Numerical Password:".to_owned()),
                Just("Password:".to_owned()),
                Just("TPM:".to_owned()),
                Just("Volume C: [OS]".to_owned()),
                "ID: \\{[0-9A-Fa-f-]{30,40}\\}",
                "[0-9 -]{0,60}",
                "\t?[0-9A-Fa-f{}-]{30,40}",
                any::<String>(),
            ],
            0..24,
        ),
        crlf in any::<bool>(),
    ) {
        let text = lines.join(if crlf { "\r\n" } else { "\n" });
        let _ = BitLockerRecoveryFile::read_str(&text);
        let _ = ManageBdeOutput::parse_str(&text);
    }

    #[test]
    fn corrupted_windows_file_never_panics(
        identifier in protector_id(),
        password in bitlocker_password(),
        flips in prop::collection::vec((0usize..1348, any::<u8>()), 1..8),
    ) {
        let mut bytes = BitLockerRecoveryFile { identifier, password }.to_windows_bytes().to_vec();
        for (at, value) in flips {
            bytes[at] = value;
        }
        let _ = BitLockerRecoveryFile::read(&bytes);
    }
}
