//! Human durations in the config: `90s`, `30m`, `1h30m`, `45m30s`.

use std::time::Duration;

/// Parses `1h30m`-style text: one or more `NUMBER UNIT` parts, units `h`, `m`, `s`, each at
/// most once and in that order.
pub fn parse_duration(text: &str) -> Result<Duration, String> {
    let bad = || {
        format!(
            "`{text}` is not a duration: write hours, minutes and seconds like `90s`, `30m`, `1h30m` or `45m30s`"
        )
    };
    let s = text.trim();
    if s.is_empty() {
        return Err(bad());
    }
    let mut total: u64 = 0;
    let mut rest = s;
    let mut last_unit = 0; // order: h=1, m=2, s=3
    while !rest.is_empty() {
        let digits = rest.len() - rest.trim_start_matches(|c: char| c.is_ascii_digit()).len();
        if digits == 0 {
            return Err(bad());
        }
        let n: u64 = rest[..digits].parse().map_err(|_| bad())?;
        let (unit, size) = match rest[digits..].chars().next() {
            Some('h') => (1, 3600),
            Some('m') => (2, 60),
            Some('s') => (3, 1),
            _ => return Err(bad()),
        };
        if unit <= last_unit {
            return Err(bad());
        }
        last_unit = unit;
        total = n
            .checked_mul(size)
            .and_then(|v| total.checked_add(v))
            .ok_or_else(bad)?;
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
            "", "30", "m30", "30x", "30m1h", "1h1h", "1.5h", "-5m", "30 m",
        ] {
            assert!(parse_duration(text).is_err(), "{text}");
        }
    }
}
