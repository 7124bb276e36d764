//! Envelope and sealed-box decoding: arbitrary bytes never panic and never open under a key
//! and context they were not sealed with.
#![no_main]

use keyhaven_crypto::hpke::{self, RecipientSecretKey};
use keyhaven_crypto::{Context, SymmetricKey, envelope};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let key = SymmetricKey::from_bytes([7; 32]);
    let ctx = Context::new("fuzz").field("x");
    assert!(envelope::open(&key, &ctx, data).is_err());
    let recipient = RecipientSecretKey::from_bytes([9; 32]);
    assert!(hpke::open(&recipient, &ctx, data).is_err());
});
