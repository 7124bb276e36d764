//! Roster, key-share and item decoders: never panic; whatever decodes re-encodes to the same
//! bytes (one encoding per value); a decoded entry never verifies as a forged genesis (the
//! seed corpus holds no genesis entry, so one verifying would be a signature forgery).
#![no_main]

use keyhaven_core::item::SealedItem;
use keyhaven_core::roster::{self, SignedEntry};
use keyhaven_core::share::KeyShare;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(entry) = SignedEntry::from_bytes(data) {
        assert_eq!(entry.to_bytes(), data);
        // Random bytes are not a validly signed genesis (that would be a signature forgery).
        let workspace = entry.entry.workspace;
        assert!(roster::verify(workspace, &[entry], None).is_err());
    }
    if let Ok(share) = KeyShare::from_bytes(data) {
        assert_eq!(share.to_bytes(), data);
    }
    if let Ok(item) = SealedItem::from_bytes(data) {
        assert_eq!(item.to_bytes(), data);
    }
});
