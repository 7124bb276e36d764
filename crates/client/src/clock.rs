//! The client's clock (Unix seconds). With the cargo feature `test-clock` it adds
//! `KEYHAVEN_CLOCK_OFFSET_DAYS` days, like the server, so end-to-end tests can move both ahead;
//! without the feature none of that is compiled in.
//!
//! In the browser the client runs in a Web Worker and its clock is the page's: every call from
//! the page carries the page's `Date.now()` ([`set_page_clock`]), so the worker and the page
//! never disagree on what day it is (and browser tests move both by moving the page's clock).

/// Now, in Unix seconds.
#[cfg(not(target_arch = "wasm32"))]
pub fn now_unix() -> u64 {
    let real = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    real + offset_seconds()
}

#[cfg(all(feature = "test-clock", not(target_arch = "wasm32")))]
fn offset_seconds() -> u64 {
    std::env::var("KEYHAVEN_CLOCK_OFFSET_DAYS")
        .ok()
        .and_then(|v| v.trim().parse::<u64>().ok())
        .map_or(0, |days| days * 86_400)
}

#[cfg(all(not(feature = "test-clock"), not(target_arch = "wasm32")))]
fn offset_seconds() -> u64 {
    0
}

#[cfg(target_arch = "wasm32")]
static PAGE_SKEW_MS: std::sync::atomic::AtomicI64 = std::sync::atomic::AtomicI64::new(0);

/// Takes the page's clock (`Date.now()` there, in ms) as this worker's.
#[cfg(target_arch = "wasm32")]
pub fn set_page_clock(page_now_ms: f64) {
    let skew = page_now_ms - js_sys::Date::now();
    if skew.is_finite() {
        PAGE_SKEW_MS.store(skew as i64, std::sync::atomic::Ordering::Relaxed);
    }
}

/// Now, in Unix seconds, by the page's clock.
#[cfg(target_arch = "wasm32")]
pub fn now_unix() -> u64 {
    let skew = PAGE_SKEW_MS.load(std::sync::atomic::Ordering::Relaxed) as f64;
    let ms = js_sys::Date::now() + skew;
    if ms.is_finite() && ms > 0.0 {
        (ms / 1000.0) as u64
    } else {
        0
    }
}
