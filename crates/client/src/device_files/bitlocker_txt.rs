//! The BitLocker recovery key `.txt` file Windows saves (`BitLocker Recovery Key <ID>.TXT`,
//! UTF-16LE with a byte-order mark), and hand-written or re-saved UTF-8 ones: parsed by
//! core's [`BitLockerRecoveryFile`]. The file names no device, so `--device` must.

use keyhaven_core::device::{BitLockerRecoveryFile, RecoveryFileError};

use super::{Defaults, NO_DEVICE_IN_FILE, Read, Row, UNRECOGNIZED, bitlocker_kind, build};

const SOURCE: &str = "bitlocker-txt";

pub(super) fn read(origin: &str, text: &str, defaults: &Defaults, found: &mut Read) {
    let file = match BitLockerRecoveryFile::read_str(text) {
        Ok(file) => file,
        Err(RecoveryFileError::InvalidRecoveryKey(e)) => {
            return found.bad(origin, format!("recovery key: {e}"));
        }
        Err(RecoveryFileError::NoIdentifier | RecoveryFileError::NoRecoveryKey)
            if !mentions_bitlocker(text) =>
        {
            return found.bad(origin, UNRECOGNIZED);
        }
        Err(e) => return found.bad(origin, e.to_string()),
    };
    let kind = match bitlocker_kind(defaults) {
        Ok(kind) => kind,
        Err(reason) => return found.bad(origin, reason),
    };
    let key_id = file.identifier.to_string();
    let key = file.password.expose_normalized();
    let row = Row {
        key_id: Some(key_id.as_str()),
        key: Some(key.as_str()),
        ..Row::default()
    };
    found.push(
        origin.to_owned(),
        build(&row, kind, SOURCE, defaults, NO_DEVICE_IN_FILE),
    );
}

/// Whether text that did not parse was meant to be a BitLocker key file (so its own error is
/// the useful one) rather than some other text file.
fn mentions_bitlocker(text: &str) -> bool {
    super::trimmed_lines(text).any(|line| {
        let lower = line.to_ascii_lowercase();
        lower.contains("bitlocker")
            || lower.starts_with("identifier:")
            || lower.starts_with("recovery key:")
    })
}

#[cfg(test)]
mod tests {
    use keyhaven_core::escrow::DeviceKind;

    use super::super::test_support::{
        ID_A, ID_B, ID_C, KEY_A, KEY_B, KEY_C, assert_no_key_material, device, one, read,
        windows_file,
    };
    use super::super::{Defaults, Invalid};

    #[test]
    fn windows_txt_file() {
        let bytes = windows_file(ID_A, KEY_A);
        assert_eq!(&bytes[..2], b"\xFF\xFE", "UTF-16LE with BOM");
        let found = read(
            "BitLocker Recovery Key.TXT",
            &bytes,
            &device("FIN-LAPTOP-07"),
        );
        let c = one(&found);
        assert_eq!(c.origin, "BitLocker Recovery Key.TXT");
        assert_eq!(c.meta.device, "FIN-LAPTOP-07");
        assert_eq!(c.meta.kind, DeviceKind::BitLocker);
        assert_eq!(c.meta.key_id.as_str(), ID_A);
        assert_eq!(c.meta.source, "bitlocker-txt");
        assert_eq!(c.meta.added_at, 0);
        assert_eq!(c.secret.as_str(), KEY_A);
        assert!(!format!("{c:?}").contains(KEY_A), "Debug redacts the key");
    }

    #[test]
    fn hand_written_utf8_txt_with_lower_case_braced_id() {
        let text = format!(
            "BitLocker Drive Encryption recovery key\n\nIdentifier:\n\n\t{{{}}}\n\n\
             Recovery Key:\n\n\t{KEY_B}\n",
            ID_B.to_lowercase()
        );
        let found = read("key.txt", text.as_bytes(), &device("PC1"));
        let c = one(&found);
        assert_eq!(c.meta.key_id.as_str(), ID_B);
        assert_eq!(c.secret.as_str(), KEY_B);
    }

    #[test]
    fn utf8_bom_file() {
        let mut bytes = b"\xEF\xBB\xBF".to_vec();
        bytes.extend_from_slice(
            format!(
                "Identifier: {ID_C}\r\nRecovery Key: {}\r\n",
                KEY_C.replace('-', " ")
            )
            .as_bytes(),
        );
        let found = read("bom.txt", &bytes, &device("PC2"));
        let c = one(&found);
        assert_eq!(c.meta.key_id.as_str(), ID_C);
        assert_eq!(c.secret.as_str(), KEY_C, "normalized");
    }

    #[test]
    fn txt_without_device_or_with_a_bad_key() {
        let bytes = windows_file(ID_A, KEY_A);
        let found = read("k.txt", &bytes, &Defaults::default());
        assert!(found.candidates.is_empty());
        assert_eq!(
            found.invalid,
            [Invalid {
                origin: "k.txt".into(),
                reason: "the file does not say which device it is; pass --device NAME".into()
            }]
        );
        let typo = KEY_A.replace("689172", "689173");
        let text = format!("Identifier:\n\t{ID_A}\nRecovery Key:\n\t{typo}\n");
        let found = read("k.txt", text.as_bytes(), &device("PC"));
        assert_eq!(
            found.invalid[0].reason,
            "recovery key: group 3 is not divisible by 11"
        );
        let luks = Defaults {
            kind: Some(DeviceKind::Luks),
            ..device("PC")
        };
        let found = read("k.txt", &bytes, &luks);
        assert!(found.invalid[0].reason.contains("--kind luks"));
        assert_no_key_material(&found);
    }
}
