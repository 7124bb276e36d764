//! BitLocker recovery key `.txt` reading: never panics, and whatever is read is written back
//! in Windows' format and read again to the same identifier and key.
#![no_main]

use keyhaven_core::device::BitLockerRecoveryFile;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(file) = BitLockerRecoveryFile::read(data) {
        let bytes = file.to_windows_bytes();
        assert_eq!(BitLockerRecoveryFile::read(&bytes).unwrap(), file);
    }
});
