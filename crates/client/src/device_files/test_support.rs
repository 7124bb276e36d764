//! Keys, identifiers and helpers shared by the tests of the format modules.

use keyhaven_core::device::BitLockerRecoveryFile;
use zeroize::Zeroizing;

use super::{Candidate, Defaults, Read};

// Valid passwords from docs/vectors/bitlocker-recovery-passwords.json.
pub(super) const KEY_A: &str = "132858-327525-689172-680790-354607-080454-642268-377564";
pub(super) const KEY_B: &str = "471207-278498-422125-177177-561902-537405-468006-693451";
pub(super) const KEY_C: &str = "599907-126192-034078-378543-435050-262383-683309-100661";
pub(super) const ID_A: &str = "AC9D5655-F7CA-4D1D-902F-1B6087118138";
pub(super) const ID_B: &str = "4B82A66E-A0C0-4EF4-AB39-0123456789AB";
pub(super) const ID_C: &str = "9E2A1F00-3C4D-4E5F-8A6B-7C8D9E0F1A2B";

pub(super) fn device(name: &str) -> Defaults {
    Defaults {
        device: Some(name.into()),
        ..Defaults::default()
    }
}

/// Parses `bytes` as if it were the file `name` given on the command line.
pub(super) fn read(name: &str, bytes: &[u8], defaults: &Defaults) -> Read {
    super::read(name, name, bytes, false, defaults)
}

pub(super) fn one(found: &Read) -> &Candidate {
    assert!(found.invalid.is_empty(), "{:?}", found.invalid);
    assert_eq!(found.candidates.len(), 1);
    &found.candidates[0]
}

pub(super) fn windows_file(id: &str, key: &str) -> Zeroizing<Vec<u8>> {
    BitLockerRecoveryFile {
        identifier: id.parse().unwrap(),
        password: key.parse().unwrap(),
    }
    .to_windows_bytes()
}

/// No reason may quote any digits of a key.
pub(super) fn assert_no_key_material(found: &Read) {
    for invalid in &found.invalid {
        for key in [KEY_A, KEY_B, KEY_C] {
            for group in key.split('-') {
                assert!(
                    !invalid.reason.contains(group),
                    "{} quotes key material",
                    invalid.reason
                );
            }
        }
    }
}
