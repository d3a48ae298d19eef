//! Cron lines on arbitrary text: no panic, an error's column inside the text, and a rule that
//! parses answers "next fire" in a DST zone without panicking and strictly later.
#![no_main]

use chrono::{TimeZone, Utc};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|text: &str| {
    match text.parse::<loaxa::schedule::CronRule>() {
        Err(e) => {
            if let Some(col) = e.column {
                assert!(col >= 1 && col <= text.chars().count() + 1, "{e}");
            }
        }
        Ok(rule) => {
            let now = Utc
                .with_ymd_and_hms(2026, 10, 25, 0, 30, 0)
                .single()
                .expect("valid instant");
            if let Some(next) = rule.next_after(now, chrono_tz::Europe::Berlin) {
                assert!(next > now);
            }
        }
    }
});
