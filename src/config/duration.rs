//! Human durations in the config and the API (`90s`, `30m`, `1h30m`, `45m30s`), and the one
//! rule for time arithmetic: every duration from a user, the API, the config or the disk is
//! held to a documented range ([`Bounds`]) when it is read, and added to an instant only
//! with [`later`] (checked: never a panic, whatever the value).

use std::time::Duration;

use chrono::{DateTime, TimeDelta, Utc};

/// The allowed range of one kind of duration, and the words that name it in errors.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Bounds {
    pub min: Duration,
    pub max: Duration,
}

const MINUTE: u64 = 60;
const HOUR: u64 = 3600;
const DAY: u64 = 24 * HOUR;

/// How often an emergency broadcast may repeat: once a minute to once a month.
pub const EMERGENCY_EVERY: Bounds = Bounds::secs(MINUTE, 31 * DAY);
/// How far ahead an emergency repeat's `until` may lie.
pub const EMERGENCY_UNTIL_AHEAD: Duration = Duration::from_secs(366 * DAY);
/// A program's `catch_up` window: a second to a day.
pub const CATCH_UP: Bounds = Bounds::secs(1, DAY);
/// A program's `max_duration`: a second to a day.
pub const MAX_DURATION: Bounds = Bounds::secs(1, DAY);

impl Bounds {
    pub(super) const fn secs(min: u64, max: u64) -> Bounds {
        Bounds {
            min: Duration::from_secs(min),
            max: Duration::from_secs(max),
        }
    }

    /// "1m to 31d": the range as it is written in the config.
    pub fn text(&self) -> String {
        format!(
            "{} to {}",
            format_duration(self.min),
            format_duration(self.max)
        )
    }

    /// `d` if it lies in the range, else a message naming the range.
    pub fn check(&self, text: &str, d: Duration) -> Result<Duration, String> {
        if d < self.min || d > self.max {
            return Err(format!(
                "`{text}` is out of range: allowed is {}",
                self.text()
            ));
        }
        Ok(d)
    }

    /// [`parse_duration`], then [`Bounds::check`].
    pub fn parse(&self, text: &str) -> Result<Duration, String> {
        self.check(text, parse_duration(text)?)
    }
}

/// `d` written as the config writes durations: `31d` (days for whole days), `1h30m`, `90s`.
pub fn format_duration(d: Duration) -> String {
    let s = d.as_secs();
    if s > 0 && s % DAY == 0 {
        return format!("{}d", s / DAY);
    }
    let (h, m, sec) = (s / HOUR, s % HOUR / MINUTE, s % MINUTE);
    let mut out = String::new();
    for (n, unit) in [(h, 'h'), (m, 'm'), (sec, 's')] {
        if n > 0 {
            out.push_str(&format!("{n}{unit}"));
        }
    }
    if out.is_empty() { "0s".into() } else { out }
}

/// `t + d`, or `None` when that lies beyond the calendar (checked: never a panic).
pub fn later(t: DateTime<Utc>, d: Duration) -> Option<DateTime<Utc>> {
    t.checked_add_signed(TimeDelta::from_std(d).ok()?)
}

/// Parses `1h30m`-style text: one or more `NUMBER UNIT` parts, units `d`, `h`, `m`, `s`,
/// each at most once and in that order. A huge value saturates: callers hold the result to
/// their [`Bounds`].
pub fn parse_duration(text: &str) -> Result<Duration, String> {
    let bad = || {
        format!(
            "`{text}` is not a duration: write days, hours, minutes and seconds like `90s`, `30m`, `1h30m` or `2d`"
        )
    };
    let s = text.trim();
    if s.is_empty() {
        return Err(bad());
    }
    let mut total: u64 = 0;
    let mut rest = s;
    let mut last_unit = -1; // order: d=0, h=1, m=2, s=3
    while !rest.is_empty() {
        let digits = rest.len() - rest.trim_start_matches(|c: char| c.is_ascii_digit()).len();
        if digits == 0 {
            return Err(bad());
        }
        // Only digits: parsing fails on overflow alone, and a huge value saturates so the
        // caller's bounds name the allowed range.
        let n: u64 = rest[..digits].parse().unwrap_or(u64::MAX);
        let (unit, size) = match rest[digits..].chars().next() {
            Some('d') => (0, DAY),
            Some('h') => (1, 3600),
            Some('m') => (2, 60),
            Some('s') => (3, 1),
            _ => return Err(bad()),
        };
        if unit <= last_unit {
            return Err(bad());
        }
        last_unit = unit;
        total = total.saturating_add(n.saturating_mul(size));
        rest = &rest[digits + 1..];
    }
    Ok(Duration::from_secs(total))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepted_forms() {
        for (text, secs) in [
            ("90s", 90),
            ("30m", 1800),
            ("1h30m", 5400),
            ("45m30s", 2730),
            ("2h", 7200),
            ("1h0m5s", 3605),
            ("31d", 31 * 86400),
            ("1d2h", 93600),
        ] {
            assert_eq!(
                parse_duration(text),
                Ok(Duration::from_secs(secs)),
                "{text}"
            );
        }
    }

    #[test]
    fn refused_forms() {
        for text in [
            "", "30", "m30", "30x", "30m1h", "1h1h", "1.5h", "-5m", "30 m", "1h1d",
        ] {
            assert!(parse_duration(text).is_err(), "{text}");
        }
    }

    #[test]
    fn bounds_name_their_range_and_hold_at_the_edges() {
        assert_eq!(EMERGENCY_EVERY.text(), "1m to 31d");
        assert_eq!(CATCH_UP.text(), "1s to 1d");
        assert_eq!(EMERGENCY_EVERY.parse("1m"), Ok(Duration::from_secs(60)));
        assert_eq!(
            EMERGENCY_EVERY.parse("31d"),
            Ok(Duration::from_secs(31 * 86400))
        );
        for text in ["59s", "31d1s", "3000000000h", "99999999999999999999h"] {
            let e = EMERGENCY_EVERY.parse(text).expect_err(text);
            assert!(e.contains(text), "{e}");
        }
        assert!(
            EMERGENCY_EVERY
                .parse("3000000000h")
                .expect_err("out of range")
                .contains("1m to 31d")
        );
        assert_eq!(format_duration(Duration::from_secs(5430)), "1h30m30s");
    }

    #[test]
    fn later_never_overflows() {
        let t = DateTime::<Utc>::MAX_UTC;
        assert_eq!(later(t, Duration::from_secs(1)), None);
        assert_eq!(later(DateTime::UNIX_EPOCH, Duration::MAX), None);
        assert_eq!(
            later(DateTime::UNIX_EPOCH, Duration::from_secs(60)),
            DateTime::from_timestamp(60, 0)
        );
    }
}
