//! The server's notion of "now", in Unix seconds.
//!
//! Every expiry the server enforces (temporary recovery keys, validation reminders, codes,
//! sessions) reads the time through [`now_unix`], so end-to-end tests can move the whole server
//! into the future without waiting.
//!
//! With the cargo feature `test-clock`, [`now_unix`] adds `KEYHAVEN_CLOCK_OFFSET_DAYS` × 86,400
//! seconds to the real clock. The variable is read on every call (it is one `getenv`), so
//! nothing is cached. Without the feature none of that code is compiled: a release build cannot
//! have its clock moved by its environment.
//!
//! The offset is a non-negative whole number of days: tests only ever need to move forward
//! (past an expiry), and going backwards would let a test make already-expired things valid
//! again, which no real deployment can do. Unset or empty means 0.
//!
//! An invalid value (negative, not a number, too large) does not panic or stop the server in
//! the middle of a request: it is logged as an error once and treated as 0. Because a test that
//! silently runs at the real time would fail confusingly, `main` should call
//! `offset_seconds` (feature `test-clock`) at startup and refuse to start on an error.

use std::time::{SystemTime, UNIX_EPOCH};

/// The current time in whole seconds since the Unix epoch, moved forward by
/// `KEYHAVEN_CLOCK_OFFSET_DAYS` when built with the `test-clock` feature.
///
/// A system clock set before 1970 reads as 0 rather than panicking.
pub fn now_unix() -> u64 {
    real_now_unix().saturating_add(offset_or_zero())
}

/// The name of the environment variable that moves the clock forward (feature `test-clock`).
#[cfg(feature = "test-clock")]
pub const OFFSET_ENV: &str = "KEYHAVEN_CLOCK_OFFSET_DAYS";

/// Why `KEYHAVEN_CLOCK_OFFSET_DAYS` could not be used (feature `test-clock`).
#[cfg(feature = "test-clock")]
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ClockError {
    /// The value is not a whole number of days from 0 to 4,294,967,295.
    #[error("{OFFSET_ENV} must be a whole number of days, 0 or more; found {value:?}")]
    InvalidOffset {
        /// The value as found in the environment.
        value: String,
    },
}

/// The clock offset in seconds that `KEYHAVEN_CLOCK_OFFSET_DAYS` asks for right now (feature
/// `test-clock`), or why it is invalid. `main` calls this at startup to fail fast on a typo.
#[cfg(feature = "test-clock")]
pub fn offset_seconds() -> Result<u64, ClockError> {
    parse_offset_days(std::env::var(OFFSET_ENV).ok().as_deref())
}

fn real_now_unix() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |elapsed| elapsed.as_secs())
}

#[cfg(not(feature = "test-clock"))]
fn offset_or_zero() -> u64 {
    0
}

#[cfg(feature = "test-clock")]
fn offset_or_zero() -> u64 {
    use std::sync::atomic::{AtomicBool, Ordering};

    static LOGGED: AtomicBool = AtomicBool::new(false);
    offset_seconds().unwrap_or_else(|error| {
        // Once per process: the clock is read on every request and the log would fill up.
        if !LOGGED.swap(true, Ordering::Relaxed) {
            tracing::error!("{error}; using the real clock");
        }
        0
    })
}

/// Parses the variable's value: `None` or empty is 0 days.
#[cfg(feature = "test-clock")]
fn parse_offset_days(value: Option<&str>) -> Result<u64, ClockError> {
    const SECONDS_PER_DAY: u64 = 86_400;
    let Some(value) = value.filter(|value| !value.trim().is_empty()) else {
        return Ok(0);
    };
    // u32 days keeps the product within u64 (u32::MAX × 86,400 < 2^49), and rejects a
    // leading `-` for us.
    let days: u32 = value
        .trim()
        .parse()
        .map_err(|_| ClockError::InvalidOffset {
            value: value.to_owned(),
        })?;
    Ok(u64::from(days) * SECONDS_PER_DAY)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Set by [`offset_moves_the_clock_in_a_child_process`] for the child it starts.
    #[cfg(feature = "test-clock")]
    const CHILD_MARKER: &str = "KEYHAVEN_CLOCK_TEST_CHILD";

    #[test]
    fn now_is_the_real_clock_without_an_offset() {
        // Without the feature there is no offset at all; with it, the test environment does
        // not set the variable (the child-process test below sets it for its child only).
        #[cfg(feature = "test-clock")]
        if std::env::var_os(CHILD_MARKER).is_some() {
            return;
        }
        let before = real_now_unix();
        let now = now_unix();
        let after = real_now_unix();
        assert!(
            before <= now && now <= after,
            "{before} <= {now} <= {after}"
        );
        // Sanity: after 2020-01-01.
        assert!(now > 1_577_836_800);
    }

    #[cfg(feature = "test-clock")]
    #[test]
    fn offset_values() {
        assert_eq!(parse_offset_days(None), Ok(0));
        assert_eq!(parse_offset_days(Some("")), Ok(0));
        assert_eq!(parse_offset_days(Some("0")), Ok(0));
        assert_eq!(parse_offset_days(Some("1")), Ok(86_400));
        assert_eq!(parse_offset_days(Some(" 31 ")), Ok(31 * 86_400));
        assert_eq!(
            parse_offset_days(Some("4294967295")),
            Ok(4_294_967_295 * 86_400)
        );
        for bad in ["-1", "1.5", "ten", "4294967296", "1d"] {
            assert_eq!(
                parse_offset_days(Some(bad)),
                Err(ClockError::InvalidOffset {
                    value: bad.to_owned()
                }),
                "{bad}"
            );
        }
    }

    /// The environment is process-wide and changing it is `unsafe` (forbidden in this crate),
    /// so the real lookup is tested by re-running this test binary with the variable set and
    /// only the child test below selected.
    #[cfg(feature = "test-clock")]
    #[test]
    fn offset_moves_the_clock_in_a_child_process() {
        let exe = std::env::current_exe().expect("test binary path");
        let output = std::process::Command::new(exe)
            .args([
                "--exact",
                "clock::tests::child_sees_the_offset",
                "--nocapture",
            ])
            .env(OFFSET_ENV, "200")
            .env(CHILD_MARKER, "1")
            .output()
            .expect("run the test binary");
        let stdout = String::from_utf8_lossy(&output.stdout);
        assert!(output.status.success(), "child failed:\n{stdout}");
        // Guards against the filter matching nothing, which would also "succeed".
        assert!(stdout.contains("1 passed"), "child ran no test:\n{stdout}");
    }

    #[cfg(feature = "test-clock")]
    #[test]
    fn child_sees_the_offset() {
        if std::env::var_os(CHILD_MARKER).is_none() {
            return; // Only meaningful in the child started above.
        }
        assert_eq!(offset_seconds(), Ok(200 * 86_400));
        let real = real_now_unix();
        let moved = now_unix();
        assert!(
            moved >= real + 200 * 86_400 && moved <= real + 200 * 86_400 + 5,
            "{moved} vs {real}"
        );
    }
}
