//! BitLocker recovery password parsing: never panics; whatever parses re-parses from its
//! normalized form to the same key, and agrees with the group codec.
#![no_main]

use keyhaven_core::device::{BitLockerRecoveryPassword, check_group, decode_groups};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let _ = check_group(1, text);
    let decoded = decode_groups(text);
    match BitLockerRecoveryPassword::parse(text) {
        Ok(password) => {
            assert!(decoded.is_ok());
            let normalized = password.expose_normalized();
            assert_eq!(normalized.len(), 55);
            assert_eq!(
                BitLockerRecoveryPassword::parse(&normalized).unwrap(),
                password
            );
            for (i, group) in normalized.split('-').enumerate() {
                assert!(check_group(i + 1, group).is_ok());
            }
        }
        Err(error) => assert_eq!(decoded.unwrap_err(), error),
    }
});
