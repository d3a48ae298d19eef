//! No panic path remains (issue 13): every route of `loaxa::api::ROUTES`, on the real daemon
//! and server over loopback, is given boundary values — 0, negative, huge, i64/u64 overflow,
//! floats, empty and very long strings, wrong types, invalid, far-future and far-past dates,
//! unknown fields — in its path, its query string and its JSON body. Every request must be
//! answered (a panic in a handler drops the connection), never with a 5xx other than a
//! declared 507, and the daemon must still be on air at the end. The config side: every
//! duration and integer key of the config given boundary values is an error at
//! file:line:col naming the allowed range, never a panic.

#[path = "support/live.rs"]
mod live;
#[path = "support/station.rs"]
mod station;
#[path = "support/wav.rs"]
mod wav;

use std::sync::atomic::Ordering;

use live::{Live, start, station};
use serde_json::{Value, json};

/// The header the CLI and the page send on requests that change something.
const SENT_BY: &str = "X-Loaxa-Request";

/// Values for path segments and query parameters (already URL-safe or encoded).
const TEXT_VALUES: &[&str] = &[
    "0",
    "1",
    "-1",
    "9223372036854775807",
    "9223372036854775808",
    "18446744073709551615",
    "18446744073709551616",
    "-9223372036854775809",
    "99999999999999999999999999999999",
    "1.5",
    "1e308",
    "NaN",
    "",
    "abc",
    "%00",
    "%FF%FE",
    "..%2F..%2Fetc%2Fpasswd",
    "ti%E1%BA%BFng%20vi%E1%BB%87t",
    "0000-00-00",
    "2026-02-30",
    "9999-12-31",
    "%2B262143-12-31",
    "-262144-01-01",
    "1970-01-01",
    "2026-H3",
    "9999-H1",
    "-1-H1",
    "true",
    "null",
];

/// Every query parameter any route reads, and a few it does not.
const QUERY_KEYS: &[&str] = &[
    "days", "from", "to", "topic", "outcome", "program", "q", "limit", "expect", "format", "lang",
    "sep", "period", "force", "unknown",
];

/// JSON values for body fields.
fn json_values() -> Vec<Value> {
    let long = "ắ".repeat(20_000);
    vec![
        json!(0),
        json!(-1),
        json!(1),
        json!(i64::MAX),
        json!(i64::MIN),
        json!(u64::MAX),
        json!(1.5),
        json!(-1e308),
        json!(1e308),
        json!(""),
        json!(" "),
        json!(long),
        json!("\u{0}\u{1b}[2J"),
        json!(null),
        json!(true),
        json!([]),
        json!([1, 2, 3]),
        json!([u64::MAX]),
        json!([-1]),
        json!({}),
        json!({ "a": [1] }),
        json!("3000000000h"),
        json!("2562047788015215h"),
        json!("18446744073709551615s"),
        json!("99999999999999999999h"),
        json!("0s"),
        json!("59s"),
        json!("31d"),
        json!("31d1s"),
        json!("-1h"),
        json!("2027-01-01 00:00"),
        json!("9999-12-31 23:59"),
        json!("0000-01-01 00:00"),
        json!("+262143-12-31T23:59:59Z"),
        json!("-262144-01-01T00:00:00Z"),
        json!("2026-02-30 00:00"),
        json!("1970-01-01T00:00:00Z"),
        json!("9999-12-31"),
        json!("2026-13-01"),
        json!("emergency"),
        json!("normal"),
    ]
}

/// A valid body for each route that takes one (segment `id`, a repeat until `until`): the
/// fields are varied one at a time from it.
fn base_body(path: &str, id: u64, until: &str) -> Value {
    match path {
        "/emergency" => json!({ "id": id, "every": "2h", "until": until }),
        "/play" | "/queue" => json!({ "ids": [id] }),
        "/segments/{id}/approve" => json!({ "by": "Nguyễn Văn A" }),
        "/segments/{id}" => json!({ "title": "Tin" }),
        "/segments/text" => json!({ "text": "UBND xã thông báo ngày 18/5", "topic": "cds" }),
        _ => json!({}),
    }
}

/// Station time a day from now, as `until` takes it.
fn tomorrow() -> String {
    let tz: chrono_tz::Tz = "Asia/Ho_Chi_Minh".parse().expect("zone");
    (chrono::Utc::now() + chrono::Duration::days(1))
        .with_timezone(&tz)
        .format("%Y-%m-%d %H:%M")
        .to_string()
}

struct Walk<'a> {
    live: &'a Live,
    agent: ureq::Agent,
    requests: usize,
    panics: usize,
    failures: Vec<String>,
}

impl Walk<'_> {
    fn send(&mut self, method: &str, path: &str, body: Option<&Value>) {
        self.requests += 1;
        let url = self.live.url(path);
        let agent = &self.agent;
        // Every request carries the header the CLI and the page send, so each reaches its
        // handler (what is tested here) rather than the browser guard.
        let answer = match (method, body) {
            ("GET", _) => agent.get(&url).header(SENT_BY, "1").call(),
            ("DELETE", None) => agent.delete(&url).header(SENT_BY, "1").call(),
            ("DELETE", Some(b)) => agent
                .delete(&url)
                .header(SENT_BY, "1")
                .force_send_body()
                .content_type("application/json")
                .send(b.to_string()),
            ("POST", b) => agent
                .post(&url)
                .header(SENT_BY, "1")
                .send_json(b.unwrap_or(&Value::Null)),
            (_, b) => agent
                .patch(&url)
                .header(SENT_BY, "1")
                .send_json(b.unwrap_or(&Value::Null)),
        };
        let what = || {
            let b = body.map(|b| b.to_string()).unwrap_or_default();
            format!(
                "{method} {path} {}",
                b.chars().take(200).collect::<String>()
            )
        };
        let panics = live::PANICS.load(Ordering::SeqCst);
        if panics > self.panics {
            self.panics = panics;
            self.failures.push(format!("{}: a panic", what()));
        }
        match answer {
            Err(e) => self.failures.push(format!("{}: no answer ({e})", what())),
            Ok(mut a) => {
                let status = a.status().as_u16();
                let _ = a.body_mut().with_config().limit(64 << 20).read_to_vec();
                if status >= 500 && status != 507 {
                    self.failures.push(format!("{}: {status}", what()));
                }
            }
        }
    }
}

/// `/segments/{id}` with `{…}` replaced by `value`.
fn fill(path: &str, value: &str) -> String {
    match (path.find('{'), path.find('}')) {
        (Some(a), Some(b)) => format!("{}{value}{}", &path[..a], &path[b + 1..]),
        _ => path.to_string(),
    }
}

#[test]
fn every_route_with_boundary_values_answers_without_a_panic_or_a_5xx() {
    live::count_panics();
    let live = start(station());
    let mut walk = Walk {
        live: &live,
        agent: live::fresh_agent(),
        requests: 0,
        panics: 0,
        failures: Vec::new(),
    };
    let values = json_values();
    let until = tomorrow();
    let mut id = 0;
    // Edits and deletions last, so the other routes meet an airable segment and the
    // repeats they act on.
    let mut routes = loaxa::api::ROUTES.to_vec();
    routes.sort_by_key(|(method, _)| ["PATCH", "DELETE"].contains(method));
    for (method, path) in routes {
        live::ensure_segment(&live, &mut id);
        // The path parameter.
        if path.contains('{') {
            for v in TEXT_VALUES.iter().copied().chain([&*"9".repeat(5000)]) {
                walk.send(method, &fill(path, v), None);
            }
        }
        live::ensure_segment(&live, &mut id);
        let valid = fill(path, &id.to_string());
        // The query string, one parameter at a time, and all at once. Routes that change
        // things read no query but `force`: two keys are enough there.
        let keys = if method == "GET" {
            QUERY_KEYS
        } else {
            &["force", "unknown"][..]
        };
        for key in keys {
            for v in TEXT_VALUES {
                walk.send(method, &format!("{valid}?{key}={v}"), None);
            }
        }
        let all: Vec<String> = QUERY_KEYS.iter().map(|k| format!("{k}=-1")).collect();
        walk.send(method, &format!("{valid}?{}", all.join("&")), None);
        if method == "GET" {
            continue;
        }
        // The body: whole wrong values, then each field varied from a valid body.
        live::ensure_segment(&live, &mut id);
        let valid = fill(path, &id.to_string());
        for v in &values {
            walk.send(method, &valid, Some(v));
        }
        let base = base_body(path, id, &until);
        for field in live::BODY_FIELDS.iter().chain([&"unknown_field"]) {
            for v in &values {
                let mut body = base.clone();
                body[*field] = v.clone();
                walk.send(method, &valid, Some(&body));
            }
        }
    }
    let Walk {
        requests, failures, ..
    } = walk;
    println!(
        "{requests} requests over {} routes",
        loaxa::api::ROUTES.len()
    );
    assert_eq!(
        live::PANICS.load(Ordering::SeqCst),
        0,
        "panics in the process"
    );
    assert!(
        failures.is_empty(),
        "{} of {requests} requests failed:\n{}",
        failures.len(),
        failures.join("\n")
    );
    live.assert_alive();
}

/// The config keys that hold durations or numbers, with where they go.
const CONFIG_KEYS: &[(&str, &str, bool)] = &[
    ("program", "max_duration", true),
    ("program", "catch_up", true),
    ("output", "fade_ms", false),
    ("output", "buffer_ms", false),
    ("output", "sample_rate", false),
    ("output", "channels", false),
    ("api", "max_upload_mb", false),
];

fn config_with(section: &str, line: &str) -> String {
    let station = "[station]\nname = \"Đài\"\n";
    let program = "[[program]]\nname = \"sang\"\ncron = \"30 5 * * *\"\nqueue = true\n";
    match section {
        "program" => format!("{station}{program}{line}\n"),
        other => format!("{station}[{other}]\n{line}\n{program}"),
    }
}

#[test]
fn every_config_duration_and_number_key_out_of_range_is_an_error_at_its_place() {
    let texts = [
        "\"0s\"",
        "\"1d1s\"",
        "\"3000000000h\"",
        "\"99999999999999999999h\"",
        "\"18446744073709551615s\"",
        "\"-5m\"",
        "\"\"",
        "\"1.5h\"",
    ];
    let numbers = [
        "-1",
        "99999999999999999999",
        "-99999999999999999999",
        "9223372036854775807",
        "1e308",
        "\"20\"",
    ];
    let mut checked = 0;
    for &(section, key, is_text) in CONFIG_KEYS {
        let values: &[&str] = if is_text { &texts } else { &numbers };
        for v in values {
            let text = config_with(section, &format!("{key} = {v}"));
            let line = text
                .lines()
                .position(|l| l.starts_with(key))
                .expect("the key's line")
                + 1;
            let path = std::path::Path::new("/etc/loaxa/loaxa.toml");
            let err = loaxa::config::parse(&text, path).expect_err(&format!("{key} = {v}"));
            let shown = format!("{err}");
            assert!(
                shown.contains(&format!("loaxa.toml:{line}:")),
                "{key} = {v}: not at line {line}: {shown}"
            );
            assert!(
                !shown.contains("not a whole number"),
                "{key} = {v}: {shown}"
            );
            if !v.starts_with('"') || is_text {
                assert!(
                    shown.contains("between") || shown.contains(" to ") || shown.contains("not a"),
                    "{key} = {v}: no range named: {shown}"
                );
            }
            checked += 1;
        }
    }
    // The issue's own example: the range, not "must be a whole number, not a whole number".
    let text = config_with("api", "max_upload_mb = 99999999999999999999");
    let shown = format!(
        "{}",
        loaxa::config::parse(&text, "x.toml".as_ref()).expect_err("huge")
    );
    assert!(shown.contains("between 1 and 4096"), "{shown}");
    // In range, each key reads.
    for (section, line) in [
        ("program", "max_duration = \"1d\""),
        ("program", "catch_up = \"1s\""),
        ("api", "max_upload_mb = 4096"),
        ("output", "fade_ms = 10000"),
    ] {
        let text = config_with(section, line);
        assert!(
            loaxa::config::parse(&text, "x.toml".as_ref()).is_ok(),
            "{line}"
        );
    }
    println!("{checked} out-of-range config values refused at their place");
}

#[test]
fn cron_lines_that_never_fire_again_and_reserved_program_names_are_config_errors() {
    for (program, needle) in [
        (
            "name = \"sang\"\ncron = \"0 0 0 1 1 * 2020\"",
            "never fires again",
        ),
        ("name = \"sang\"\ncron = \"0 0 30 2 *\"", "never fires"),
        ("name = \"emergency\"\ncron = \"30 5 * * *\"", "reserved"),
        ("name = \"manual\"\ncron = \"30 5 * * *\"", "reserved"),
    ] {
        let text = format!("[station]\nname = \"Đài\"\n[[program]]\n{program}\nqueue = true\n");
        let shown = format!(
            "{}",
            loaxa::config::parse(&text, "loaxa.toml".as_ref()).expect_err(program)
        );
        assert!(shown.contains(needle), "{program}: {shown}");
        assert!(
            shown.contains("loaxa.toml:5:") || shown.contains("loaxa.toml:4:"),
            "{shown}"
        );
    }
}
