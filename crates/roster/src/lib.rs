//! Keyhaven workspace rosters: identifiers, account public keys, and the signed, hash-chained
//! roster with its verification (`docs/protocol.md` §10).
//!
//! Everything here is public data: the crate holds no code that decrypts anything, so the server
//! links it to check what it appends (every entry's position, chain, signer, signature and
//! authorization) while it still never links the client's decryption code (`keyhaven-core`).
//! Clients use it through `keyhaven-core`, which re-exports it. No I/O; builds for wasm32.
#![forbid(unsafe_code)]

pub mod account;
pub mod codec;
pub mod ids;
pub mod roster;

pub use ids::{AccountId, ItemId, RecoveryKeyId, WorkspaceId};
