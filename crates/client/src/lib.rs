//! The Keyhaven HTTP client and user flows, used by the CLI and the end-to-end tests.
//!
//! Not built yet: this crate is a placeholder in the workspace layout; the lifecycle issue
//! fills it.
#![forbid(unsafe_code)]
