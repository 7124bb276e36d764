//! The Keyhaven server (axum + sqlx): accounts, workspaces, rosters, shares, items, audit.
//!
//! Not built yet: this crate is a placeholder in the workspace layout; the lifecycle issue
//! fills it. It will depend on `keyhaven-crypto` only for what authentication needs (OPAQUE),
//! never on code that can decrypt items.
#![forbid(unsafe_code)]

pub mod clock;
pub mod config;
pub mod mail;
pub mod smtp_sink;
