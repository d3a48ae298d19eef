//! Property tests of the three parsers an operator feeds text to: the config file, playlists
//! (TOML and M3U/M3U8) and cron lines.
//!
//! - Whatever the text (arbitrary Unicode, or a shipped file with random damage), parsing
//!   never panics, and every problem it reports carries a position inside that text (line
//!   and column, 1-based, column in characters), names the file and says something.
//! - For generated valid 5-field cron lines, the fire times equal those of a brute-force
//!   evaluator written here from the Unix crontab rules (minute by minute on the station's
//!   wall clock; 0 and 7 are Sunday; day-of-month OR day-of-week when both are restricted,
//!   AND when either starts with `*`), over 45 days that straddle daylight-saving changes.
//!
//! Case counts are bounded (see `CASES`) so the file runs in seconds; `PROPTEST_CASES=N`
//! raises them for a longer local run. Inputs that once failed are kept in `regressions`.

use std::collections::{BTreeSet, HashSet};
use std::path::Path;

use chrono::{DateTime, Datelike, Duration, NaiveDateTime, TimeZone, Timelike, Utc};
use chrono_tz::Tz;
use loaxa::config::{self, Diagnostic};
use loaxa::playlist;
use loaxa::schedule::{CronError, CronRule};
use proptest::prelude::*;
use proptest::test_runner::Config as ProptestConfig;

/// Cases per property, unless `PROPTEST_CASES` says otherwise.
const CASES: u32 = 256;
/// Cases for the cron-versus-brute-force property (each evaluates 45 days minute by minute).
const CRON_CASES: u32 = 128;

fn cases(default: u32) -> ProptestConfig {
    let n = std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(default);
    ProptestConfig {
        cases: n,
        // No files written next to the tests: a failure prints its minimal input, which
        // then goes into the regression tests below.
        failure_persistence: None,
        ..ProptestConfig::default()
    }
}

const SHIPPED_CONFIG: &str = include_str!("../config/loaxa.toml");
const SHIPPED_TOML_PLAYLIST: &str = include_str!("../playlists/ban-tin-sang.toml");
const SHIPPED_M3U_PLAYLIST: &str = include_str!("../playlists/ban-tin-chieu.m3u8");

// --- positions -----------------------------------------------------------------------------

/// Checks that `d` is about `file`, says something, and points inside `text` (BOM already
/// removed: both parsers strip it before counting).
fn check_diagnostic(text: &str, file: &Path, d: &Diagnostic) -> Result<(), TestCaseError> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    prop_assert_eq!(&d.file, file, "names the file: {}", d);
    prop_assert!(!d.message.trim().is_empty(), "says what is wrong: {:?}", d);
    let lines: Vec<&str> = text.split('\n').collect();
    prop_assert!(
        d.line >= 1 && d.line <= lines.len(),
        "line {} outside 1..={} in {:?}\n{}",
        d.line,
        lines.len(),
        text,
        d
    );
    let width = lines[d.line - 1].chars().count();
    prop_assert!(
        d.column >= 1 && d.column <= width + 1,
        "column {} outside 1..={} on line {} {:?}\n{}",
        d.column,
        width + 1,
        d.line,
        lines[d.line - 1],
        d
    );
    let shown = d.to_string();
    let place = format!("{}:{}:{}", file.display(), d.line, d.column);
    prop_assert!(shown.starts_with(&place), "{} starts with {}", shown, place);
    Ok(())
}

fn check_config(text: &str) -> Result<(), TestCaseError> {
    let file = Path::new("/etc/loaxa/loaxa.toml");
    if let Err(e) = config::parse(text, file) {
        prop_assert!(!e.diagnostics.is_empty(), "an error with no diagnostic");
        for d in &e.diagnostics {
            check_diagnostic(text, file, d)?;
        }
    }
    Ok(())
}

fn check_playlist(text: &str, name: &str) -> Result<(), TestCaseError> {
    let file = Path::new("/srv/loaxa/playlists").join(name);
    if let Err(diagnostics) = playlist::parse(text, &file) {
        prop_assert!(!diagnostics.is_empty(), "an error with no diagnostic");
        for d in &diagnostics {
            check_diagnostic(text, &file, d)?;
        }
    }
    Ok(())
}

fn check_cron_error(text: &str, e: &CronError) -> Result<(), TestCaseError> {
    prop_assert!(!e.message().trim().is_empty(), "{:?}", e);
    prop_assert!(!e.hint().trim().is_empty(), "{:?}", e);
    if let Some(col) = e.column {
        let width = text.chars().count();
        prop_assert!(
            // Just past the end is where a missing value goes (`5/`).
            col >= 1 && col <= width + 1,
            "column {} outside 1..={} in {:?}: {}",
            col,
            width + 1,
            text,
            e
        );
    }
    Ok(())
}

/// The damage properties start from files that are valid: their errors come from the damage.
#[test]
fn the_shipped_files_parse() {
    let config = config::parse(SHIPPED_CONFIG, Path::new("/etc/loaxa/loaxa.toml"));
    assert!(config.is_ok(), "{config:?}");
    for (text, name) in [
        (SHIPPED_TOML_PLAYLIST, "sang.toml"),
        (SHIPPED_M3U_PLAYLIST, "chieu.m3u"),
    ] {
        let list = playlist::parse(text, &Path::new("/srv/loaxa/playlists").join(name));
        assert!(list.is_ok(), "{name}: {list:?}");
    }
}

// --- damaged text --------------------------------------------------------------------------

/// Pieces that matter to TOML, M3U and cron readers, spliced into good files.
const SNIPPETS: &[&str] = &[
    "=",
    "\"",
    "'",
    "[",
    "]",
    "[[",
    "]]",
    "{",
    "}",
    ",",
    "#",
    "\n",
    "\r\n",
    "\r",
    "\t",
    " ",
    "\u{feff}",
    "ả",
    "a\u{309}",
    "\u{0}",
    "0",
    "-1",
    "99999999999999999999",
    "1e400",
    "nan",
    "true",
    "\"\"",
    "\"\"\"",
    "'''",
    "\\u",
    "\\",
    "1979-05-27T07:32:00Z",
    "[[program]]\n",
    "[station]\n",
    "cron = \"61 * * * *\"\n",
    "max_duration = \"99999999h\"\n",
    "timezone = \"Mars/Olympus\"\n",
    "name = \"\"\n",
    "playlists = [1, 2]\n",
    "[[item]]\n",
    "segment = 0\n",
    "segment = -5\n",
    "file = \"\"\n",
    "file = \"/\"\n",
    "order = \"x\"\n",
    "#EXTINF:",
    "#EXTINF:-1,",
    "#LOAXA-SEGMENT:",
    "#LOAXA-SEGMENT:18446744073709551616\n",
    "#LOAXA-ORDER:",
    "#LOAXA-TOPIC:",
    "../../etc/passwd\n",
    "C:\\tin.mp3\n",
    "http://x/y.mp3\n",
];

#[derive(Debug, Clone)]
enum Edit {
    Delete { at: usize, len: usize },
    Insert { at: usize, snippet: usize },
    Replace { at: usize, snippet: usize },
    Truncate { at: usize },
}

fn edit() -> impl Strategy<Value = Edit> {
    let n = SNIPPETS.len();
    prop_oneof![
        (any::<usize>(), 1usize..40).prop_map(|(at, len)| Edit::Delete { at, len }),
        (any::<usize>(), 0..n).prop_map(|(at, snippet)| Edit::Insert { at, snippet }),
        (any::<usize>(), 0..n).prop_map(|(at, snippet)| Edit::Replace { at, snippet }),
        any::<usize>().prop_map(|at| Edit::Truncate { at }),
    ]
}

/// The char boundary at or before `at % (len + 1)`.
fn boundary(text: &str, at: usize) -> usize {
    let mut i = at % (text.len() + 1);
    while !text.is_char_boundary(i) {
        i -= 1;
    }
    i
}

fn damage(base: &str, edits: &[Edit]) -> String {
    let mut text = base.to_string();
    for e in edits {
        match *e {
            Edit::Delete { at, len } => {
                let a = boundary(&text, at);
                let b = boundary(&text, a + len).max(a);
                text.replace_range(a..b, "");
            }
            Edit::Insert { at, snippet } => {
                let a = boundary(&text, at);
                text.insert_str(a, SNIPPETS[snippet]);
            }
            Edit::Replace { at, snippet } => {
                let a = boundary(&text, at);
                let b = boundary(&text, a + SNIPPETS[snippet].len()).max(a);
                text.replace_range(a..b, SNIPPETS[snippet]);
            }
            Edit::Truncate { at } => {
                let a = boundary(&text, at);
                text.truncate(a);
            }
        }
    }
    text
}

/// Lines an M3U playlist might hold, good and bad.
fn m3u_line() -> impl Strategy<Value = String> {
    const LINES: &[&str] = &[
        "#EXTM3U",
        "#PLAYLIST:Bản tin chiều",
        "#EXTINF:-1,Ngày Chuyển đổi số",
        "#EXTINF:abc",
        "#EXTINF:",
        "#LOAXA-TOPIC:cds",
        "#LOAXA-TOPIC:",
        "#LOAXA-UNIT:Phòng Văn hóa",
        "#LOAXA-ORDER:rotate",
        "#LOAXA-ORDER:sideways",
        "#LOAXA-SEGMENT:12",
        "#LOAXA-SEGMENT:-1",
        "#LOAXA-SEGMENT:0",
        "#LOAXA-SEGMENT:99999999999999999999999",
        "demo/ban-tin-1.ogg",
        "/abs/b.mp3",
        "../x.mp3",
        "",
        "   ",
        "\u{feff}#EXTM3U",
        "C:\\tin\\a.mp3",
        "file:///x.mp3",
        "bản tin.mp3",
        "ba\u{309}n tin.mp3",
    ];
    prop_oneof![
        4 => proptest::sample::select(LINES).prop_map(str::to_string),
        1 => any::<String>().prop_map(|s| s.replace(['\n', '\r'], "")),
    ]
}

proptest! {
    #![proptest_config(cases(CASES))]

    #[test]
    fn config_arbitrary_text_never_panics_and_errors_point_inside(text in any::<String>()) {
        check_config(&text)?;
    }

    #[test]
    fn config_damaged_shipped_file_never_panics_and_errors_point_inside(
        edits in proptest::collection::vec(edit(), 1..5)
    ) {
        check_config(&damage(SHIPPED_CONFIG, &edits))?;
    }

    #[test]
    fn toml_playlist_never_panics_and_errors_point_inside(
        edits in proptest::collection::vec(edit(), 1..5),
        text in any::<String>(),
    ) {
        check_playlist(&damage(SHIPPED_TOML_PLAYLIST, &edits), "sang.toml")?;
        check_playlist(&text, "any.toml")?;
    }

    #[test]
    fn m3u_playlist_never_panics_and_errors_point_inside(
        lines in proptest::collection::vec(m3u_line(), 0..12),
        crlf in any::<bool>(),
        edits in proptest::collection::vec(edit(), 1..5),
        text in any::<String>(),
    ) {
        let joined = lines.join(if crlf { "\r\n" } else { "\n" });
        check_playlist(&joined, "chieu.m3u8")?;
        check_playlist(&damage(SHIPPED_M3U_PLAYLIST, &edits), "chieu.m3u")?;
        check_playlist(&text, "any.m3u8")?;
    }

    #[test]
    fn cron_arbitrary_text_never_panics_and_errors_point_inside(
        text in any::<String>(),
        cronish in proptest::collection::vec(
            proptest::sample::select(&b"0123456789*/-,@ \tLW#?SUNMONFRIJANDECsunmonyearlydaily"[..]),
            0..32,
        ),
    ) {
        let cronish: String = cronish.into_iter().map(char::from).collect();
        for line in [text.as_str(), cronish.as_str()] {
            match line.parse::<CronRule>() {
                Err(e) => check_cron_error(line, &e)?,
                Ok(rule) => {
                    // A rule that parses can be asked for its next fire in any zone.
                    let now = Utc.with_ymd_and_hms(2026, 3, 29, 0, 30, 0).single().expect("valid");
                    let _ = rule.next_after(now, chrono_tz::Europe::Berlin);
                }
            }
        }
    }
}

// --- cron against brute force ----------------------------------------------------------------

/// One generated field: its text and the values it allows.
#[derive(Debug, Clone)]
struct Field {
    text: String,
    values: BTreeSet<u32>,
    starts_with_star: bool,
}

/// `*`, `*/n`, or a list of `a`, `a-b`, `a-b/n`, `a/n` (cronie: a to the end, every n), with
/// names for months and weekdays now and then. Weekday 7 is Sunday (0).
fn field(min: u32, max: u32, names: &'static [&'static str]) -> impl Strategy<Value = Field> {
    let dow = max == 7;
    let star_max = if dow { 6 } else { max };
    let show = move |v: u32, named: bool| -> String {
        let i = (v - min) as usize;
        if named && i < names.len() {
            names[i].to_string()
        } else {
            v.to_string()
        }
    };
    let item = (min..=max, min..=max, 1..=max.max(2), 0..4u8, any::<bool>()).prop_map(
        move |(a, b, step, kind, named)| {
            let (a, b) = (a.min(b), a.max(b));
            match kind {
                0 => (show(a, named), vec![a]),
                1 => (
                    format!("{}-{}", show(a, named), show(b, named)),
                    (a..=b).collect(),
                ),
                2 => (
                    format!("{}-{}/{step}", show(a, named), show(b, named)),
                    (a..=b).step_by(step as usize).collect(),
                ),
                _ => (
                    format!("{a}/{step}"),
                    (a..=max).step_by(step as usize).collect::<Vec<_>>(),
                ),
            }
        },
    );
    let list = proptest::collection::vec(item, 1..4).prop_map(move |items| {
        let text = items
            .iter()
            .map(|(t, _)| t.as_str())
            .collect::<Vec<_>>()
            .join(",");
        let values = items
            .into_iter()
            .flat_map(|(_, v)| v)
            .map(|v| if dow && v == 7 { 0 } else { v })
            .collect();
        Field {
            text,
            values,
            starts_with_star: false,
        }
    });
    let star = (1..=star_max).prop_map(move |step| Field {
        text: if step == 1 {
            "*".into()
        } else {
            format!("*/{step}")
        },
        values: (min..=star_max).step_by(step as usize).collect(),
        starts_with_star: true,
    });
    prop_oneof![1 => star, 2 => list]
}

const MONTHS: &[&str] = &[
    "jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec",
];
const DAYS: &[&str] = &["sun", "mon", "tue", "wed", "thu", "fri", "sat"];

#[derive(Debug, Clone)]
struct Line {
    minute: Field,
    hour: Field,
    dom: Field,
    month: Field,
    dow: Field,
}

impl Line {
    fn text(&self) -> String {
        [&self.minute, &self.hour, &self.dom, &self.month, &self.dow]
            .map(|f| f.text.as_str())
            .join(" ")
    }

    /// Unix crontab (Vixie) matching of one wall-clock minute.
    fn matches(&self, t: NaiveDateTime) -> bool {
        let dom = self.dom.values.contains(&t.day());
        let dow = self
            .dow
            .values
            .contains(&t.weekday().num_days_from_sunday());
        let day = if self.dom.starts_with_star || self.dow.starts_with_star {
            dom && dow
        } else {
            dom || dow
        };
        day && self.minute.values.contains(&t.minute())
            && self.hour.values.contains(&t.hour())
            && self.month.values.contains(&t.month())
    }
}

fn line() -> impl Strategy<Value = Line> {
    (
        field(0, 59, &[]),
        field(0, 23, &[]),
        field(1, 31, &[]),
        field(1, 12, MONTHS),
        field(0, 7, DAYS),
    )
        .prop_map(|(minute, hour, dom, month, dow)| Line {
            minute,
            hour,
            dom,
            month,
            dow,
        })
}

/// Every fire in `(from, to]`: each UTC minute's wall time in `tz` is tested; a wall time
/// that occurs twice (clocks going back) fires once, the first time; one that never occurs
/// (clocks going forward) never fires.
fn brute_force(line: &Line, tz: Tz, from: DateTime<Utc>, to: DateTime<Utc>) -> Vec<DateTime<Utc>> {
    let mut fired = HashSet::new();
    let mut out = Vec::new();
    let mut t = from + Duration::minutes(1);
    while t <= to {
        let local = t.with_timezone(&tz).naive_local();
        if line.matches(local) && fired.insert(local) {
            out.push(t);
        }
        t += Duration::minutes(1);
    }
    out
}

fn loaxa_fires(
    rule: &CronRule,
    tz: Tz,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> Vec<DateTime<Utc>> {
    let mut out = Vec::new();
    let mut after = from;
    while let Some(at) = rule.next_after(after, tz) {
        if at > to {
            break;
        }
        out.push(at);
        after = at;
    }
    out
}

/// A start minute in 2026, half the time in the weeks before a DST change (Europe: last
/// Sundays of March and October; Lord Howe: first Sundays of April and October).
fn start() -> impl Strategy<Value = DateTime<Utc>> {
    let year_start = Utc
        .with_ymd_and_hms(2026, 1, 1, 0, 0, 0)
        .single()
        .expect("valid");
    let spring = Utc
        .with_ymd_and_hms(2026, 3, 1, 0, 0, 0)
        .single()
        .expect("valid");
    let autumn = Utc
        .with_ymd_and_hms(2026, 9, 20, 0, 0, 0)
        .single()
        .expect("valid");
    let minutes = |days: i64| 0..days * 24 * 60;
    prop_oneof![
        minutes(365).prop_map(move |m| year_start + Duration::minutes(m)),
        minutes(20).prop_map(move |m| spring + Duration::minutes(m)),
        minutes(20).prop_map(move |m| autumn + Duration::minutes(m)),
    ]
}

const ZONES: [Tz; 4] = [
    chrono_tz::Asia::Ho_Chi_Minh,
    chrono_tz::Europe::Berlin,
    chrono_tz::Australia::Lord_Howe, // a 30-minute DST shift
    chrono_tz::America::New_York,
];

/// Days each case is evaluated over.
const SPAN_DAYS: i64 = 45;

fn check_cron_line(line: &Line, tz: Tz, from: DateTime<Utc>) -> Result<(), TestCaseError> {
    let text = line.text();
    let rule: CronRule = match text.parse() {
        Ok(rule) => rule,
        Err(e) => return Err(TestCaseError::fail(format!("`{text}` refused: {e}"))),
    };
    let to = from + Duration::days(SPAN_DAYS);
    let want = brute_force(line, tz, from, to);
    let got = loaxa_fires(&rule, tz, from, to);
    if want != got {
        let first = want
            .iter()
            .zip(&got)
            .position(|(w, g)| w != g)
            .unwrap_or(want.len().min(got.len()));
        return Err(TestCaseError::fail(format!(
            "`{text}` in {tz} from {from}: {} fires expected, {} computed; first difference at #{first}: expected {:?}, computed {:?}",
            want.len(),
            got.len(),
            want.get(first).map(|t| t.with_timezone(&tz).to_string()),
            got.get(first).map(|t| t.with_timezone(&tz).to_string()),
        )));
    }
    Ok(())
}

proptest! {
    #![proptest_config(cases(CRON_CASES))]

    #[test]
    fn cron_fire_times_equal_a_brute_force_unix_evaluator(
        line in line(),
        zone in 0..ZONES.len(),
        from in start(),
    ) {
        check_cron_line(&line, ZONES[zone], from)?;
    }
}
