//! Keyhaven's client-side domain logic, on top of `keyhaven-crypto`.
//!
//! Everything a client must check itself, because the server is not trusted for integrity:
//! roster verification, key shares, item signatures, recovery-key derivations. No I/O; builds
//! for `wasm32-unknown-unknown`.
#![forbid(unsafe_code)]

pub mod account;
pub mod blind_index;
pub mod device;
pub mod escrow;
pub mod item;
pub mod kit;
pub mod recovery_key;
pub mod share;

// The roster, identifiers and encoding live in `keyhaven-roster`, which the server links too.
pub use keyhaven_roster::{codec, ids, roster};

pub use ids::{AccountId, ItemId, RecoveryKeyId, WorkspaceId};
