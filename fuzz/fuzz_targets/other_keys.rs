//! FileVault and LUKS recovery key parsing: never panics, and normalized forms re-parse to
//! the same key.
#![no_main]

use keyhaven_core::device::{FileVaultRecoveryKey, LuksRecoveryKey};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(key) = FileVaultRecoveryKey::parse(text) {
        assert_eq!(
            FileVaultRecoveryKey::parse(&key.expose_normalized()).unwrap(),
            key
        );
    }
    if let Ok(key) = LuksRecoveryKey::parse(text) {
        assert_eq!(
            LuksRecoveryKey::parse(&key.expose_passphrase()).unwrap(),
            key
        );
    }
});
