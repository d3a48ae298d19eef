//! Scenario and property tests of cron rules on the station's clock.

use std::collections::BTreeSet;

use chrono::{DateTime, Datelike, NaiveDate, TimeZone, Timelike, Utc, Weekday};
use chrono_tz::Tz;

use super::*;

const VN: Tz = chrono_tz::Asia::Ho_Chi_Minh;

fn rule(text: &str) -> CronRule {
    text.parse()
        .unwrap_or_else(|e| panic!("`{text}` should parse: {e}"))
}

fn local(y: i32, m: u32, d: u32, h: u32, min: u32) -> DateTime<Utc> {
    VN.with_ymd_and_hms(y, m, d, h, min, 0)
        .single()
        .expect("valid local time")
        .with_timezone(&Utc)
}

/// Fires of one rule over `days` days from Monday 2026-03-02 00:00 local.
fn fires(text: &str, days: i64) -> Vec<DateTime<Tz>> {
    let from = local(2026, 3, 2, 0, 0) - chrono::Duration::seconds(1);
    let to = from + chrono::Duration::days(days);
    let r = rule(text);
    fires_between(&[&r], VN, from, to)
        .into_iter()
        .map(|f| f.at.with_timezone(&VN))
        .collect()
}

fn weekdays(fires: &[DateTime<Tz>]) -> BTreeSet<u32> {
    fires
        .iter()
        .map(|t| t.weekday().num_days_from_sunday())
        .collect()
}

#[test]
fn one_to_five_is_monday_to_friday_at_six_local() {
    let got = fires("0 6 * * 1-5", 14);
    assert_eq!(got.len(), 10);
    for t in &got {
        assert!(!matches!(t.weekday(), Weekday::Sat | Weekday::Sun), "{t}");
        assert_eq!((t.hour(), t.minute(), t.second()), (6, 0, 0));
    }
}

#[test]
fn zero_and_seven_are_sunday() {
    for text in ["0 6 * * 0", "0 6 * * 7", "0 6 * * sun", "0 6 * * SUN"] {
        let got = fires(text, 21);
        assert_eq!(got.len(), 3, "{text}");
        assert!(got.iter().all(|t| t.weekday() == Weekday::Sun), "{text}");
    }
}

#[test]
fn day_names_match_numbers() {
    assert_eq!(fires("0 6 * * Mon-Fri", 14), fires("0 6 * * 1-5", 14));
    assert_eq!(fires("0 6 * * mon,WED", 14), fires("0 6 * * 1,3", 14));
}

#[test]
fn six_field_form_passes_through_with_names() {
    let got = fires("0 30 5 * * MON-FRI", 7);
    assert_eq!(got.len(), 5);
    assert!(got.iter().all(|t| (t.hour(), t.minute()) == (5, 30)));
    assert_eq!(fires("0 0 6 * * * 2026", 3).len(), 3);
}

#[test]
fn numeric_day_of_week_in_six_fields_is_refused() {
    let err = "0 0 6 * * 1-5"
        .parse::<CronRule>()
        .expect_err("dialect-dependent");
    assert!(err.message().contains("different cron dialects"), "{err}");
    assert_eq!(err.column, Some(11));
    assert!(err.hint().contains("MON-FRI"), "{err}");
    assert!("0 0 6 * * MON,WED".parse::<CronRule>().is_ok());
}

#[test]
fn day_of_month_or_day_of_week_when_both_restricted() {
    // March–May 2026: 13ths and Fridays.
    let got = fires("0 6 13 * 5", 92);
    let expected: Vec<NaiveDate> = (0..92)
        .map(|i| NaiveDate::from_ymd_opt(2026, 3, 2).expect("day") + chrono::Duration::days(i))
        .filter(|d| d.day() == 13 || d.weekday() == Weekday::Fri)
        .collect();
    let dates: Vec<NaiveDate> = got.iter().map(|t| t.date_naive()).collect();
    assert_eq!(dates, expected);
    // Friday 13 March fires once, not twice.
    assert_eq!(
        dates
            .iter()
            .filter(|d| d.day() == 13 && d.month() == 3)
            .count(),
        1
    );
    // A `*`-prefixed field keeps AND meaning (Vixie cron): odd days that are Fridays.
    let got = fires("0 6 */2 * 5", 92);
    assert!(
        got.iter()
            .all(|t| t.day() % 2 == 1 && t.weekday() == Weekday::Fri)
    );
}

#[test]
fn midnight_local_is_the_previous_day_in_utc() {
    let r = rule("0 0 * * 1"); // Monday 00:00 local
    let after = local(2026, 3, 1, 12, 0); // Sunday noon local
    let at = r.next_after(after, VN).expect("fires");
    assert_eq!(
        at,
        Utc.with_ymd_and_hms(2026, 3, 1, 17, 0, 0)
            .single()
            .expect("utc")
    );
    let local_at = at.with_timezone(&VN);
    assert_eq!(
        local_at.date_naive(),
        NaiveDate::from_ymd_opt(2026, 3, 2).expect("day")
    );
    assert_eq!(local_at.weekday(), Weekday::Mon);
}

#[test]
fn half_past_five_in_ho_chi_minh_is_22_30_utc() {
    let r = rule("30 5 * * *");
    let after = Utc
        .with_ymd_and_hms(2026, 6, 1, 0, 0, 0)
        .single()
        .expect("utc");
    let at = r.next_after(after, VN).expect("fires");
    assert_eq!(
        at,
        Utc.with_ymd_and_hms(2026, 6, 1, 22, 30, 0)
            .single()
            .expect("utc")
    );
    // Strictly after: asking at the fire instant gives the next day.
    let again = r.next_after(at, VN).expect("fires");
    assert_eq!(again - at, chrono::Duration::days(1));
    // The same rule on a UTC station fires at 05:30 UTC.
    let utc = r.next_after(after, chrono_tz::UTC).expect("fires");
    assert_eq!(
        utc,
        Utc.with_ymd_and_hms(2026, 6, 1, 5, 30, 0)
            .single()
            .expect("utc")
    );
}

#[test]
fn every_quarter_hour() {
    let got = fires("*/15 * * * *", 1);
    assert_eq!(got.len(), 96);
    assert!(got.iter().all(|t| t.minute() % 15 == 0));
}

#[test]
fn macros() {
    assert_eq!(fires("@daily", 7), fires("0 0 * * *", 7));
    assert_eq!(fires("@hourly", 1).len(), 24);
    assert_eq!(weekdays(&fires("@weekly", 21)), BTreeSet::from([0]));
    assert!("@reboot".parse::<CronRule>().is_err());
}

#[test]
fn bad_lines_name_the_field_and_column() {
    let cases = [
        ("0 6 * *", Some(1), "4 fields"),
        ("60 * * * *", Some(1), "minute field `60`"),
        ("0 6 * * 8", Some(9), "day-of-week field `8`"),
        ("0 25 * * *", Some(3), "hour field `25`"),
        ("0 6 32 * *", Some(5), "day-of-month field `32`"),
        ("0 6 * 13 *", Some(7), "month field `13`"),
        ("0 6 * * Mon-Fro", Some(13), "`Fro`"),
        ("0 22-2 * * *", Some(3), "backwards"),
    ];
    for (text, column, needle) in cases {
        let err = text.parse::<CronRule>().expect_err(text);
        assert_eq!(err.column, column, "{text}: {err}");
        assert!(err.message().contains(needle), "{text}: {err}");
        assert!(!err.hint().is_empty(), "{text}");
    }
}

#[test]
fn display_is_the_original_text() {
    assert_eq!(rule("30 5 * * Mon-Fri").to_string(), "30 5 * * Mon-Fri");
}

/// Property: for each day-of-week spelling, fires over three weeks fall on exactly the
/// expected weekdays (0 = Sunday), every one of them at 06:00 local.
#[test]
fn day_of_week_table() {
    let table: &[(&str, &[u32])] = &[
        ("*", &[0, 1, 2, 3, 4, 5, 6]),
        ("0", &[0]),
        ("7", &[0]),
        ("1", &[1]),
        ("6", &[6]),
        ("1-5", &[1, 2, 3, 4, 5]),
        ("Mon-Fri", &[1, 2, 3, 4, 5]),
        ("mon-fri", &[1, 2, 3, 4, 5]),
        ("0,6", &[0, 6]),
        ("sat,sun", &[0, 6]),
        ("6-7", &[0, 6]),
        ("5-7", &[0, 5, 6]),
        ("0-7", &[0, 1, 2, 3, 4, 5, 6]),
        ("*/2", &[0, 2, 4, 6]),
        ("1-5/2", &[1, 3, 5]),
        ("Fri-Mon", &[0, 1, 5, 6]),
        ("5-1", &[0, 1, 5, 6]),
        ("Sat-Sun", &[0, 6]),
        ("tue,THU", &[2, 4]),
        ("1,3-4", &[1, 3, 4]),
    ];
    for (dow, expected) in table {
        let text = format!("0 6 * * {dow}");
        let got = fires(&text, 21);
        let expected: BTreeSet<u32> = expected.iter().copied().collect();
        assert_eq!(weekdays(&got), expected, "{text}");
        assert_eq!(got.len(), 3 * expected.len(), "{text}");
        assert!(
            got.iter().all(|t| (t.hour(), t.minute()) == (6, 0)),
            "{text}"
        );
    }
}

#[test]
fn next_fire_prefers_earliest_then_lowest_index() {
    let morning = rule("30 5 * * *");
    let evening = rule("0 17 * * *");
    let also_morning = rule("30 5 * * 1-5");
    let rules = [&evening, &also_morning, &morning];
    let after = local(2026, 3, 2, 0, 0); // Monday
    let fire = next_fire(&rules, VN, after).expect("fires");
    assert_eq!(
        fire,
        Fire {
            at: local(2026, 3, 2, 5, 30),
            program: 1
        }
    );
    let day = fires_between(&rules, VN, after, after + chrono::Duration::days(1));
    let order: Vec<usize> = day.iter().map(|f| f.program).collect();
    assert_eq!(order, vec![1, 2, 0]);
    assert_eq!(next_fire(&[], VN, after), None);
}

#[test]
fn window_bounds_exclude_from_and_include_to() {
    let r = rule("0 6 * * *");
    let six = local(2026, 3, 2, 6, 0);
    assert!(fires_between(&[&r], VN, six, six).is_empty());
    let got = fires_between(&[&r], VN, six - chrono::Duration::minutes(1), six);
    assert_eq!(got.len(), 1);
    let got = fires_between(&[&r], VN, six, six + chrono::Duration::days(1));
    assert_eq!(
        got,
        vec![Fire {
            at: six + chrono::Duration::days(1),
            program: 0
        }]
    );
}

/// Documented DST behaviour (not used in Vietnam, but rules work for any zone): a local time
/// that does not exist is skipped that day; one that occurs twice fires once, the earlier.
#[test]
fn daylight_saving_gap_is_skipped_and_overlap_fires_once() {
    let berlin = chrono_tz::Europe::Berlin;
    let r = rule("30 2 * * *");
    let utc = |m, d, h, min| {
        Utc.with_ymd_and_hms(2026, m, d, h, min, 0)
            .single()
            .expect("utc")
    };
    // 2026-03-29: clocks jump 02:00 -> 03:00, so no 02:30 that day.
    let got = fires_between(&[&r], berlin, utc(3, 28, 0, 0), utc(3, 31, 0, 0));
    let days: Vec<u32> = got
        .iter()
        .map(|f| f.at.with_timezone(&berlin).day())
        .collect();
    assert_eq!(days, vec![28, 30]);
    // 2026-10-25: 02:30 happens at 00:30 UTC (CEST) and 01:30 UTC (CET); fires at 00:30.
    let got = fires_between(&[&r], berlin, utc(10, 24, 12, 0), utc(10, 25, 12, 0));
    assert_eq!(
        got.iter().map(|f| f.at).collect::<Vec<_>>(),
        vec![utc(10, 25, 0, 30)]
    );
}

#[test]
fn a_day_that_never_comes_gives_no_fire() {
    let r = rule("0 6 31 2 *");
    let after = local(2026, 1, 1, 0, 0);
    assert_eq!(r.next_after(after, VN), None);
    assert!(fires_between(&[&r], VN, after, after + chrono::Duration::days(400)).is_empty());
}

/// Regression (found by the brute-force property in `tests/parsers.rs`): `N/1` was read as
/// just N, while `N/2` meant "from N to the end, every 2nd" (cronie); `/1` is a step too.
#[test]
fn a_value_with_step_one_runs_to_the_end_of_the_field() {
    assert_eq!(
        weekdays(&fires("0 6 * * 3/1", 7)),
        BTreeSet::from([0, 3, 4, 5, 6])
    );
    assert_eq!(
        fires("0 6 * * 0/1", 7).len(),
        7,
        "Sunday to Sunday: every day"
    );
    assert_eq!(
        fires("0 6 * * 3", 7).len(),
        1,
        "without a step: Wednesday only"
    );
    let hours: BTreeSet<u32> = fires("0 20/1 * * *", 1).iter().map(|t| t.hour()).collect();
    assert_eq!(hours, BTreeSet::from([20, 21, 22, 23]));
}
