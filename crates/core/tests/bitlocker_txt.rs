//! Reading and writing the BitLocker recovery key `.txt` file against byte-exact samples.

use std::path::PathBuf;

use keyhaven_core::device::{
    BitLockerRecoveryFile, BitLockerRecoveryPassword, GroupError, ProtectorId, RecoveryFileError,
};

fn data(name: &str) -> Vec<u8> {
    let path: PathBuf = [
        env!("CARGO_MANIFEST_DIR"),
        "tests",
        "data",
        "bitlocker-txt",
        name,
    ]
    .iter()
    .collect();
    std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn expected(id: &str, key: &str) -> BitLockerRecoveryFile {
    BitLockerRecoveryFile {
        identifier: id.parse::<ProtectorId>().unwrap(),
        password: BitLockerRecoveryPassword::parse(key).unwrap(),
    }
}

#[test]
fn windows_sample_reads_and_is_written_byte_for_byte() {
    let bytes = data("windows-utf16le-bom-crlf.TXT");
    let file = BitLockerRecoveryFile::read(&bytes).unwrap();
    assert_eq!(
        file,
        expected(
            "AC9D5655-F7CA-4D1D-902F-1B6087118138",
            "132858-327525-689172-680790-354607-080454-642268-377564"
        )
    );
    assert_eq!(
        file.identifier.to_string(),
        "AC9D5655-F7CA-4D1D-902F-1B6087118138"
    );
    assert_eq!(file.to_windows_bytes().as_slice(), bytes.as_slice());
    assert_eq!(
        file.file_name(),
        "BitLocker Recovery Key AC9D5655-F7CA-4D1D-902F-1B6087118138.TXT"
    );
}

#[test]
fn other_encodings_and_layouts() {
    let cases = [
        (
            "utf8-bom-crlf.txt",
            "4B82A66E-A0C0-4EF4-AB39-5C1D7E2F9A30",
            "471207-278498-422125-177177-561902-537405-468006-693451",
        ),
        (
            "utf8-lf-lowercase-braced.txt",
            "D4689A81-901A-4151-9F26-0B7C3E5A1F42",
            "284867-596541-514998-422114-660297-261613-215424-199408",
        ),
        (
            "utf8-lf-lowercase-unbraced.txt",
            "EBDEC50E-0666-4674-9EF4-2A6B8C0D4E1F",
            "517506-503998-044583-576191-587004-635965-501270-087802",
        ),
        (
            "utf16be-bom-crlf.txt",
            "B61E42CF-499F-4795-AAA2-6E0F1C2D3B4A",
            "131450-120197-153989-250338-511368-495572-680944-381546",
        ),
    ];
    for (name, id, key) in cases {
        let file =
            BitLockerRecoveryFile::read(&data(name)).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(file, expected(id, key), "{name}");
        assert_eq!(
            file.identifier.to_string(),
            id,
            "{name}: displayed upper-case"
        );
        // Whatever it was read from, it is written back in Windows' format.
        let rewritten = BitLockerRecoveryFile::read(&file.to_windows_bytes()).unwrap();
        assert_eq!(rewritten, file, "{name}");
    }
}

#[test]
fn typo_names_the_group() {
    assert_eq!(
        BitLockerRecoveryFile::read(&data("utf16le-typo-group-5.txt")),
        Err(RecoveryFileError::InvalidRecoveryKey(
            GroupError::NotDivisibleBy11 { group: 5 }
        ))
    );
}

#[test]
fn crlf_and_bom_survive_in_the_written_file() {
    let file = BitLockerRecoveryFile::read(&data("utf8-lf-lowercase-braced.txt")).unwrap();
    let bytes = file.to_windows_bytes();
    assert_eq!(&bytes[..2], b"\xFF\xFE");
    let text = String::from_utf16(
        &bytes[2..]
            .chunks_exact(2)
            .map(|p| u16::from_le_bytes([p[0], p[1]]))
            .collect::<Vec<_>>(),
    )
    .unwrap();
    assert!(
        !text.replace("\r\n", "").contains('\n'),
        "every line ends in CRLF"
    );
    assert!(text.contains("\tD4689A81-901A-4151-9F26-0B7C3E5A1F42\r\n"));
    assert!(text.contains("\t284867-596541-514998-422114-660297-261613-215424-199408\r\n"));
}
