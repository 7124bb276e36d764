//! Workspace recovery-key parsing: never panics; whatever parses re-encodes to a form that
//! parses to the same secret; errors name a group between 1 and 8.
#![no_main]

use keyhaven_core::recovery_key::RecoveryKey;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    match RecoveryKey::parse(text) {
        Ok(key) => {
            let encoded = key.encode();
            assert_eq!(RecoveryKey::parse(&encoded).unwrap().expose(), key.expose());
        }
        Err(error) => {
            if let Some(group) = error.group() {
                assert!((1..=8).contains(&group), "{error}");
            }
        }
    }
});
