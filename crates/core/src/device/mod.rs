//! Device disk-encryption recovery keys: BitLocker, FileVault, LUKS.
