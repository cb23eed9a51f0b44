//! The local store's clock: the system time, or a shifted one for the end-to-end test.

#[cfg(debug_assertions)]
use std::path::PathBuf;

use keydesk_core::service::Clock;

/// The store's clock: the system time, except in debug builds when
/// `KEYDESK_TEST_CLOCK_FILE` names a file holding a whole number of days to
/// shift it by (re-read on every call). TEST ONLY: the end-to-end test uses it
/// to create keys "in the past" that have expired by "now"; release builds
/// ignore the variable.
pub(super) fn clock() -> Clock {
    #[cfg(debug_assertions)]
    {
        let file = std::env::var_os("KEYDESK_TEST_CLOCK_FILE").filter(|p| !p.is_empty());
        shifted_clock(file.map(PathBuf::from))
    }
    #[cfg(not(debug_assertions))]
    std::sync::Arc::new(chrono::Utc::now)
}

/// The system clock, shifted by the whole days written in `file` (if any).
#[cfg(debug_assertions)]
pub(super) fn shifted_clock(file: Option<PathBuf>) -> Clock {
    if let Some(path) = file {
        return std::sync::Arc::new(move || {
            let days = std::fs::read_to_string(&path)
                .ok()
                .and_then(|text| text.trim().parse::<i64>().ok())
                .unwrap_or(0);
            chrono::Utc::now() + chrono::Duration::days(days)
        });
    }
    std::sync::Arc::new(chrono::Utc::now)
}
