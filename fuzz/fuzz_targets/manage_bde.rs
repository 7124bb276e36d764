//! `manage-bde -protectors -get` parsing: never panics, and whatever parses prints back to
//! text that parses to the same volumes and numerical passwords.
#![no_main]

use keyhaven_core::device::ManageBdeOutput;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(output) = ManageBdeOutput::parse(data) {
        let text = output.expose_text();
        assert_eq!(ManageBdeOutput::parse_str(&text).unwrap(), output);
    }
});
