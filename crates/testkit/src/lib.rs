//! Test support shared by Keyhaven's test suites: an SMTP sink that keeps what it receives
//! (plain, STARTTLS or implicit TLS, with or without AUTH) and a certificate authority made in
//! the test. Nothing here is linked into the `keyhaven` binary: the crate is only ever a
//! dev-dependency.
#![forbid(unsafe_code)]

pub mod pki;
pub mod smtp_sink;
