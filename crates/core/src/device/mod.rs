//! Device disk-encryption recovery keys (BitLocker, FileVault, LUKS) and the Microsoft
//! account's recovery code.
//!
//! Pure parsing and formatting, no I/O and no cryptography: callers read files and pass bytes
//! or text in, and get typed, zeroizing secrets out (see DESIGN.md, "Device recovery keys").
//!
//! - [`bitlocker`]: the 48-digit recovery password and the protector identifier; its group codec
//!   is shared with the workspace recovery key.
//! - [`bitlocker_txt`]: the `.txt` file Windows saves (`BitLocker Recovery Key <ID>.TXT`).
//! - [`manage_bde`]: `manage-bde -protectors -get` output.
//! - [`filevault`]: the FileVault personal recovery key.
//! - [`luks`]: the systemd-cryptenroll recovery key for LUKS.
//! - [`microsoft`]: the Microsoft account's 25-character recovery code (an account, not a disk).

pub mod bitlocker;
pub mod bitlocker_txt;
pub mod filevault;
pub mod luks;
pub mod manage_bde;
pub mod microsoft;
mod text;

pub use bitlocker::{
    BitLockerRecoveryPassword, GroupError, InvalidProtectorId, ProtectorId, check_group,
    decode_groups, encode_groups,
};
pub use bitlocker_txt::{BitLockerRecoveryFile, RecoveryFileError};
pub use filevault::{FileVaultKeyError, FileVaultRecoveryKey};
pub use luks::{LuksKeyError, LuksRecoveryKey};
pub use manage_bde::{ManageBdeError, ManageBdeOutput, NumericalPassword, VolumeProtectors};
pub use microsoft::{MicrosoftCodeError, MicrosoftRecoveryCode};
pub use text::EncodingError;
