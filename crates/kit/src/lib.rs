//! Keyhaven's printable documents, rendered to bytes. The text and HTML recovery kits are in
//! `keyhaven_core::kit`; the PDF writer is here (one-page documents in the built-in fonts).
//! Nothing here touches files: the CLI writes the bytes, the web vault offers them as a
//! download.
#![forbid(unsafe_code)]

pub mod pdf;
