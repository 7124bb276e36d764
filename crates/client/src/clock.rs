//! The client's clock (Unix seconds). With the cargo feature `test-clock` it adds
//! `KEYHAVEN_CLOCK_OFFSET_DAYS` days, like the server, so end-to-end tests can move both ahead;
//! without the feature none of that is compiled in.

/// Now, in Unix seconds.
pub fn now_unix() -> u64 {
    let real = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    real + offset_seconds()
}

#[cfg(feature = "test-clock")]
fn offset_seconds() -> u64 {
    std::env::var("KEYHAVEN_CLOCK_OFFSET_DAYS")
        .ok()
        .and_then(|v| v.trim().parse::<u64>().ok())
        .map_or(0, |days| days * 86_400)
}

#[cfg(not(feature = "test-clock"))]
fn offset_seconds() -> u64 {
    0
}
