//! Small formatting helpers shared by the command handlers.

use chrono::{DateTime, FixedOffset, NaiveDate};

/// Stored text (titles, units, names, reasons) as the terminal should show it: control
/// characters as visible escapes, never as terminal commands. Every print of stored text
/// goes through it.
pub use crate::text::for_terminal as safe;

/// The language of the terminal's words: `LOAXA_LANG=en` for English, Vietnamese otherwise.
pub fn lang() -> crate::words::Lang {
    crate::words::cli_lang()
}

/// What a stored or coded value says in the terminal's language, made safe to print.
pub fn say(value: &impl crate::words::Say) -> String {
    safe(&value.say(lang())).to_string()
}

/// A stored reason of the log in the terminal's language, made safe to print.
pub fn reason(stored: &str) -> String {
    safe(&crate::words::reason_text(lang(), stored)).to_string()
}

/// `vi` or `en`, by the terminal's language: the CLI's own short texts (headings, labels).
pub fn t(vi: &'static str, en: &'static str) -> &'static str {
    crate::words::pick_str(lang(), vi, en)
}

/// The word before a fix in an error message.
pub fn hint_word() -> &'static str {
    match lang() {
        crate::words::Lang::Vi => "gợi ý",
        crate::words::Lang::En => "hint",
    }
}

/// `1:05` / `1:02:03` from milliseconds.
pub fn duration(ms: u64) -> String {
    let s = (ms + 500) / 1000;
    if s >= 3600 {
        format!("{}:{:02}:{:02}", s / 3600, s / 60 % 60, s % 60)
    } else {
        format!("{}:{:02}", s / 60, s % 60)
    }
}

pub fn time(t: &DateTime<FixedOffset>) -> String {
    t.format("%Y-%m-%d %H:%M:%S").to_string()
}

pub fn date_opt(d: Option<NaiveDate>) -> String {
    d.map_or_else(|| "-".into(), |d| d.to_string())
}

/// Prints one JSON object per line.
pub fn json_lines<T: serde::Serialize>(items: &[T]) -> anyhow::Result<()> {
    use std::io::Write;
    let mut out = std::io::stdout().lock();
    for item in items {
        serde_json::to_writer(&mut out, item)?;
        writeln!(out)?;
    }
    Ok(())
}

/// Parses `YYYY-MM-DD` with a message, in the terminal's language, that says what is
/// expected.
pub fn parse_date(s: &str) -> Result<NaiveDate, String> {
    NaiveDate::parse_from_str(s.trim(), "%Y-%m-%d").map_err(|_| {
        crate::words::pick_owned(
            lang(),
            format!("`{s}` không phải là ngày: viết theo dạng YYYY-MM-DD, ví dụ 2026-06-14"),
            format!("`{s}` is not a date: write it as YYYY-MM-DD, e.g. 2026-06-14"),
        )
        .into_owned()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_read_like_a_clock() {
        assert_eq!(duration(0), "0:00");
        assert_eq!(duration(65_400), "1:05");
        assert_eq!(duration(3_723_000), "1:02:03");
    }

    #[test]
    fn bad_dates_say_the_format() {
        assert!(
            parse_date("14/06/2026")
                .expect_err("not ISO")
                .contains("YYYY-MM-DD")
        );
        assert_eq!(
            parse_date("2026-06-14").ok(),
            NaiveDate::from_ymd_opt(2026, 6, 14)
        );
    }
}
