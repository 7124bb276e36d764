//! The Keyhaven server (axum + sqlx): accounts, workspaces, rosters, shares, items, audit.
//!
//! It depends on `keyhaven-crypto` only for what authentication needs (OPAQUE), never on code
//! that can decrypt items: `cargo tree -p keyhaven-server` shows no `keyhaven-core`.
#![forbid(unsafe_code)]
// The OpenAPI document is one `json!` literal; it nests deeper than the default limit.
#![recursion_limit = "256"]

pub mod access;
pub mod accounts;
pub mod app;
pub mod audit;
pub mod clock;
pub mod config;
pub mod devices;
pub mod error;
pub mod item_shape;
pub mod mail;
pub mod members;
pub mod metrics;
pub mod openapi;
pub mod outbox;
pub mod page;
pub mod password;
pub mod reminders;
pub mod roster_entry;
pub mod store;
pub mod sweeper;
pub mod throttle;
pub mod tls;
pub mod web;
pub mod workspaces;
