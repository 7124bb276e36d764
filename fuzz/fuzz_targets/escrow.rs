//! Escrow decoders and parsers: device-record headers, metadata, token grants, enrollment-token
//! text, key identifiers and typed prefixes. Never panic; whatever decodes re-encodes to the
//! same bytes (one encoding per value).
#![no_main]

use keyhaven_core::escrow::{
    DeviceKind, DeviceMeta, KeyId, PrefixQuery, SealedDeviceKey, TokenGrant, TokenSecret,
};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(header) = SealedDeviceKey::from_bytes(data) {
        assert_eq!(header.to_bytes(), data);
    }
    if let Ok(meta) = DeviceMeta::from_bytes(data) {
        assert_eq!(meta.to_bytes(), data);
    }
    if let Ok(grant) = TokenGrant::from_bytes(data) {
        assert_eq!(grant.to_bytes(), data);
    }
    if let Ok(text) = core::str::from_utf8(data) {
        if let Ok(token) = TokenSecret::parse(text) {
            // The canonical text parses back to the same token.
            let again = TokenSecret::parse(&token.expose_text()).expect("canonical text parses");
            assert_eq!(again.id, token.id);
        }
        for kind in DeviceKind::ALL {
            if let Ok(id) = KeyId::parse(text, kind) {
                // Normal form is a fixed point.
                assert_eq!(KeyId::parse(id.as_str(), kind).as_ref(), Ok(&id));
            }
            let _ = kind.normalize_secret(text);
        }
        if let Ok(query) = PrefixQuery::parse(text) {
            assert!(query.as_str().len() >= 8);
        }
    }
});
