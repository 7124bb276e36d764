//! Keyhaven's client-side domain logic, on top of `keyhaven-crypto`.
#![forbid(unsafe_code)]

pub mod device;
