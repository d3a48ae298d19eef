//! Reporting periods: the province's half-years (15/12 – 14/6 and 15/6 – 14/12) or any
//! inclusive range of station days.

use std::fmt;
use std::str::FromStr;

use chrono::{Datelike, NaiveDate};

/// An inclusive range of station days.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Period {
    pub from: NaiveDate,
    pub to: NaiveDate,
    /// `2026-H1` when it is a half-year, for titles.
    pub half: Option<(i32, u8)>,
}

impl Period {
    /// `from..=to`; refused when `to` comes before `from`.
    pub fn days(from: NaiveDate, to: NaiveDate) -> Result<Period, String> {
        if to < from {
            return Err(format!("the period ends ({to}) before it starts ({from})"));
        }
        Ok(Period {
            from,
            to,
            half: None,
        })
    }

    /// The reporting half-year: H1 of `year` is 15/12 of `year - 1` to 14/6 of `year`
    /// (reported before 20/6); H2 is 15/6 to 14/12 of `year` (reported before 20/12).
    pub fn half_year(year: i32, half: u8) -> Result<Period, String> {
        let day = |y, m, d| {
            NaiveDate::from_ymd_opt(y, m, d).ok_or_else(|| format!("year {year} is out of range"))
        };
        let (from, to) = match half {
            1 => (day(year - 1, 12, 15)?, day(year, 6, 14)?),
            2 => (day(year, 6, 15)?, day(year, 12, 14)?),
            _ => return Err(format!("half {half} does not exist: use H1 or H2")),
        };
        Ok(Period {
            from,
            to,
            half: Some((year, half)),
        })
    }

    /// The half-year a station day is reported in (16/12/2025 is in 2026-H1).
    pub fn containing(day: NaiveDate) -> Period {
        let (m, d) = (day.month(), day.day());
        let result = if (m, d) >= (12, 15) {
            Period::half_year(day.year() + 1, 1)
        } else if (m, d) >= (6, 15) {
            Period::half_year(day.year(), 2)
        } else {
            Period::half_year(day.year(), 1)
        };
        // Only years at chrono's very edge fail; fall back to the day itself.
        result.unwrap_or(Period {
            from: day,
            to: day,
            half: None,
        })
    }

    pub fn contains(&self, day: NaiveDate) -> bool {
        self.from <= day && day <= self.to
    }
}

impl FromStr for Period {
    type Err = crate::words::BadValue;
    /// `2026-H1`, `2026-h2`.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let bad = || crate::words::BadValue::Period { value: s.into() };
        let (year, half) = s.trim().split_once('-').ok_or_else(bad)?;
        let year: i32 = year.parse().map_err(|_| bad())?;
        let half = match half.to_ascii_uppercase().as_str() {
            "H1" => 1,
            "H2" => 2,
            _ => return Err(bad()),
        };
        Period::half_year(year, half).map_err(|_| bad())
    }
}

impl fmt::Display for Period {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let d = |d: NaiveDate| d.format("%d/%m/%Y").to_string();
        match self.half {
            Some((y, h)) => write!(f, "{y}-H{h} ({} – {})", d(self.from), d(self.to)),
            None => write!(f, "{} – {}", d(self.from), d(self.to)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).expect("valid day")
    }

    #[test]
    fn h1_starts_in_the_previous_year() {
        let p: Period = "2026-H1".parse().expect("period");
        assert_eq!((p.from, p.to), (day(2025, 12, 15), day(2026, 6, 14)));
        let p: Period = "2026-h2".parse().expect("period");
        assert_eq!((p.from, p.to), (day(2026, 6, 15), day(2026, 12, 14)));
    }

    #[test]
    fn boundary_days_fall_in_the_right_half() {
        assert_eq!(Period::containing(day(2026, 6, 14)).half, Some((2026, 1)));
        assert_eq!(Period::containing(day(2026, 6, 15)).half, Some((2026, 2)));
        assert_eq!(Period::containing(day(2026, 12, 14)).half, Some((2026, 2)));
        assert_eq!(Period::containing(day(2026, 12, 15)).half, Some((2027, 1)));
        assert_eq!(Period::containing(day(2026, 1, 1)).half, Some((2026, 1)));
        assert_eq!(Period::containing(day(2025, 12, 31)).half, Some((2026, 1)));
    }

    #[test]
    fn bad_periods_say_the_format() {
        for s in ["2026", "2026-H3", "H1-2026", "abcd-H1"] {
            let err = s.parse::<Period>().expect_err(s);
            assert!(
                crate::words::Say::say(&err, crate::words::Lang::En).contains("YEAR-H1"),
                "{err}"
            );
        }
        assert!(Period::days(day(2026, 2, 1), day(2026, 1, 1)).is_err());
    }
}
