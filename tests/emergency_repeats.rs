//! Emergency repeats through the real binary (issue 13, finding 1): the request that used to
//! panic the daemon (`every` 3 000 000 000 h) is a 400 naming the range; a repeat written
//! out of range by an older build no longer crash-loops the daemon at start (it is dropped,
//! logged and shown among the warnings); repeats are listed and cancelled with
//! `loaxa emergency list|cancel`, with the daemon running (through its API) and without it
//! (on the store); and a segment with a repeat to come cannot be deleted, not even with
//! `--force`, until the repeat is cancelled; on the web page (real Chromium) the repeat is
//! listed and its "Huỷ lặp lại" button cancels it after asking.

#[path = "support/bin.rs"]
mod bin;
#[path = "support/process.rs"]
mod process;
#[path = "support/station.rs"]
mod station;
#[path = "support/wav.rs"]
mod wav;
#[path = "support/webdriver.rs"]
mod webdriver;

use std::sync::Arc;
use std::time::{Duration, Instant};

use bin::{loaxa, text};
use chrono::Utc;
use loaxa::clock::SystemClock;
use loaxa::service::Station;
use loaxa::store::EmergencyRepeat;
use process::Daemon;
use serde_json::{Value, json};
use station::TestStation;

const SENT_BY: &str = "X-Loaxa-Request";
const PROGRAMS: &str = "[[program]]\nname = \"sang\"\ncron = \"30 5 * * *\"\nplaylists = []\n";

/// A station with one short segment (id 1, «Tin bão»), imported by the real binary.
fn station_with_a_bulletin() -> TestStation {
    let t = TestStation::new(PROGRAMS, &[], station::local(2026, 3, 1, 0, 0, 0));
    t.noise_file("media/bao.wav", 0.3);
    let file = t.path("media/bao.wav").to_string_lossy().into_owned();
    let added = loaxa(
        &t.config_path(),
        &[
            "segment", "add", &file, "--topic", "cds", "--title", "Tin bão",
        ],
    );
    assert!(added.status.success(), "{}", text(&added.stderr));
    t
}

fn start(t: &TestStation) -> (Daemon, String) {
    let mut d = Daemon::spawn_with_env(&t.config_path(), &[]);
    let api = d.api_address(&t.path("data"));
    (d, format!("{api}/api/v1"))
}

fn call(method: &str, url: &str, body: Option<&Value>) -> (u16, Value) {
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .build()
        .into();
    // The header the CLI and the page send on every request that changes something; the
    // English words, as the behaviour tests read them (Vietnamese is the default).
    let en = ("Accept-Language", "en");
    let answer = match (method, body) {
        ("POST", Some(b)) => agent
            .post(url)
            .header(SENT_BY, "1")
            .header(en.0, en.1)
            .send_json(b),
        ("DELETE", _) => agent
            .delete(url)
            .header(SENT_BY, "1")
            .header(en.0, en.1)
            .call(),
        _ => agent.get(url).header(en.0, en.1).call(),
    };
    let mut answer = answer.expect("the daemon answers");
    let status = answer.status().as_u16();
    let body = answer.body_mut().read_to_string().expect("body");
    (status, serde_json::from_str(&body).unwrap_or(Value::Null))
}

/// Station time `hours` from now, as the API and the CLI take it.
fn in_hours(hours: i64) -> String {
    let tz: chrono_tz::Tz = "Asia/Ho_Chi_Minh".parse().expect("zone");
    (Utc::now() + chrono::Duration::hours(hours))
        .with_timezone(&tz)
        .format("%Y-%m-%d %H:%M")
        .to_string()
}

fn run_ok(t: &TestStation, args: &[&str]) -> String {
    let out = loaxa(&t.config_path(), args);
    assert!(
        out.status.success(),
        "loaxa {args:?}: {}",
        text(&out.stderr)
    );
    text(&out.stdout)
}

fn run_err(t: &TestStation, args: &[&str]) -> String {
    let out = loaxa(&t.config_path(), args);
    assert_eq!(out.status.code(), Some(1), "loaxa {args:?} must fail");
    text(&out.stderr)
}

#[test]
fn the_crash_request_is_a_400_naming_the_range_and_the_daemon_stays_up() {
    let t = station_with_a_bulletin();
    let (mut d, api) = start(&t);
    let url = format!("{api}/emergency");
    for (every, until, needle) in [
        ("3000000000h", "2027-01-01 00:00".to_string(), "1m to 31d"),
        ("2562047788h", "2027-01-01 00:00".to_string(), "1m to 31d"),
        ("99999999999999999999h", in_hours(5), "1m to 31d"),
        ("31d1s", in_hours(5), "1m to 31d"),
        ("59s", in_hours(5), "1m to 31d"),
        ("2h", "9999-12-31 23:59".to_string(), "too far ahead"),
        (
            "2h",
            "9999-12-31T23:59:59+14:00".to_string(),
            "too far ahead",
        ),
        ("2h", "1970-01-01 00:00".to_string(), "in the past"),
    ] {
        let body = json!({ "id": 1, "every": every, "until": until });
        let (status, answer) = call("POST", &url, Some(&body));
        assert_eq!(status, 400, "{every} until {until}: {answer}");
        let said = format!("{} {}", answer["error"], answer["hint"]);
        assert!(said.contains(needle), "{every} until {until}: {said}");
        d.assert_running();
    }
    let (status, reps) = call("GET", &format!("{api}/emergencies"), None);
    assert_eq!((status, reps), (200, json!([])), "nothing was stored");
    // The same through the real CLI: an error naming the range, exit 1.
    let err = run_err(
        &t,
        &[
            "emergency",
            "1",
            "--every",
            "3000000000h",
            "--until",
            &in_hours(5),
        ],
    );
    assert!(err.contains("1m to 31d"), "{err}");
    d.assert_running();
    d.stop();
}

#[test]
fn repeats_are_listed_and_cancelled_with_and_without_the_daemon_and_guard_their_segment() {
    let t = station_with_a_bulletin();
    let (mut d, api) = start(&t);
    let until = in_hours(30);
    run_ok(&t, &["emergency", "1", "--every", "2h", "--until", &until]);
    let list = run_ok(&t, &["emergency", "list"]);
    assert!(
        list.contains("repeat 1: segment 1 «Tin bão» every 2h"),
        "{list}"
    );
    let json_line = run_ok(&t, &["emergency", "list", "--json"]);
    let rep: Value = serde_json::from_str(json_line.trim()).expect("one JSON line");
    assert_eq!(
        (rep["id"].as_u64(), rep["every_s"].as_u64()),
        (Some(1), Some(7200))
    );
    let (status, reps) = call("GET", &format!("{api}/emergencies"), None);
    assert_eq!(status, 200);
    assert_eq!(reps[0]["segment"], 1, "{reps}");
    // The segment cannot go while its repeat is to come: 409 with the way out.
    let (status, answer) = call("DELETE", &format!("{api}/segments/1?force=true"), None);
    assert_eq!(status, 409, "{answer}");
    assert!(
        answer["hint"]
            .as_str()
            .is_some_and(|h| h.contains("loaxa emergency cancel 1")),
        "{answer}"
    );
    let err = run_err(&t, &["segment", "rm", "1", "--force"]);
    assert!(err.contains("emergency repeat 1"), "{err}");
    assert!(err.contains("loaxa emergency cancel 1"), "{err}");
    // A second repeat, cancelled through the API; an unknown one is a 404.
    run_ok(&t, &["emergency", "1", "--every", "90m", "--until", &until]);
    let (status, gone) = call("DELETE", &format!("{api}/emergencies/2"), None);
    assert_eq!((status, gone["id"].as_u64()), (200, Some(2)), "{gone}");
    let (status, answer) = call("DELETE", &format!("{api}/emergencies/2"), None);
    assert_eq!(status, 404, "{answer}");
    let (_, now) = call("GET", &format!("{api}/now"), None);
    let ids: Vec<_> = now["emergencies"]
        .as_array()
        .expect("repeats in the status")
        .iter()
        .map(|r| r["id"].as_u64())
        .collect();
    assert_eq!(
        ids,
        [Some(1)],
        "the status follows the cancel at once: {now}"
    );
    d.stop();

    // Without the daemon: the CLI works on the store.
    assert!(!t.path("data/daemon.json").exists(), "the daemon is gone");
    let list = run_ok(&t, &["emergency", "list"]);
    assert!(list.contains("repeat 1: segment 1"), "{list}");
    let err = run_err(&t, &["segment", "rm", "1", "--force"]);
    assert!(err.contains("loaxa emergency cancel 1"), "{err}");
    let cancelled = run_ok(&t, &["emergency", "cancel", "1"]);
    assert!(cancelled.contains("cancelled repeat 1"), "{cancelled}");
    assert!(run_ok(&t, &["emergency", "list"]).contains("no emergency repeat is to come"));
    let err = run_err(&t, &["emergency", "cancel", "1"]);
    assert!(err.contains("there is no emergency repeat 1"), "{err}");
    run_ok(&t, &["segment", "rm", "1"]);
}

#[test]
fn a_repeat_stored_out_of_range_by_an_older_build_is_dropped_at_start_not_a_crash_loop() {
    let t = station_with_a_bulletin();
    {
        let config = loaxa::config::load(&t.config_path()).expect("config");
        let st = station::open_when_free(config, Arc::new(SystemClock));
        let now = Utc::now();
        // What an older build stored from `"every": "2000000000h"`: due a minute ago.
        let mut rep = EmergencyRepeat {
            id: 0,
            segment: loaxa::model::SegmentId(1),
            every_s: 2_000_000_000 * 3600,
            next_at: now - chrono::Duration::minutes(1),
            until: now + chrono::Duration::days(30),
        };
        st.store
            .emergency_put(&mut rep)
            .expect("store the old repeat");
        drop::<Station>(st);
    }
    for round in 0..2 {
        let (mut d, api) = start(&t);
        let deadline = Instant::now() + Duration::from_secs(10);
        let now = loop {
            let (status, now) = call("GET", &format!("{api}/now"), None);
            assert_eq!(status, 200, "{now}");
            let warned = station::json_warnings_in_english(&now)
                .iter()
                .any(|w| w.contains("1m to 31d"));
            if warned || round == 1 || Instant::now() > deadline {
                break now;
            }
            std::thread::sleep(Duration::from_millis(50));
        };
        d.assert_running();
        if round == 0 {
            let warnings = station::json_warnings_in_english(&now).join("\n");
            assert!(warnings.contains("out of range"), "{warnings}");
            assert!(warnings.contains("removed"), "{warnings}");
            assert!(d.said().contains("1m to 31d"), "logged: {}", d.said());
        }
        let (_, reps) = call("GET", &format!("{api}/emergencies"), None);
        assert_eq!(reps, json!([]), "round {round}");
        d.stop();
    }
}

#[test]
fn the_page_lists_a_repeat_and_cancels_it_after_asking() {
    let t = station_with_a_bulletin();
    let (mut d, api) = start(&t);
    run_ok(
        &t,
        &["emergency", "1", "--every", "2h", "--until", &in_hours(30)],
    );
    let downloads = tempfile::tempdir().expect("downloads");
    let browser = webdriver::Browser::start(downloads.path(), 1280, 900);
    let base = api.trim_end_matches("/api/v1");
    browser.goto(&format!("{base}/#queue"));
    browser.wait("body[data-ready] main[data-page=\"queue\"] h1", 10);
    let rows = browser.wait_text("#repeat-rows", 5, "the repeat listed", |t| {
        t.contains("Tin bão") && t.contains("mỗi 2 giờ")
    });
    assert!(rows.contains("Huỷ lặp lại"), "{rows}");
    // Asked first: dismissing the dialog keeps the repeat.
    browser.click(&browser.wait("#repeat-rows tr[data-repeat=\"1\"] button", 5));
    let dialog = browser.wait_text("#confirm-dialog[open]", 5, "confirmation", |t| {
        t.contains("Tin bão")
    });
    assert!(dialog.contains("Huỷ lặp lại"), "{dialog}");
    browser.click(&browser.wait("#confirm-dialog button[value=cancel]", 2));
    std::thread::sleep(Duration::from_millis(300));
    let (_, reps) = call("GET", &format!("{api}/emergencies"), None);
    assert_eq!(reps.as_array().map(Vec::len), Some(1), "kept: {reps}");
    // Confirmed: gone from the store and from the page.
    browser.click(&browser.wait("#repeat-rows tr[data-repeat=\"1\"] button", 5));
    browser.wait_text("#confirm-dialog[open]", 5, "confirmation", |t| {
        t.contains("Tin bão")
    });
    browser.click(&browser.wait("#confirm-ok", 2));
    browser.wait_text("#repeat-rows", 5, "the list emptied", |t| {
        t.contains("Không có lần phát khẩn cấp lặp lại")
    });
    let (_, reps) = call("GET", &format!("{api}/emergencies"), None);
    assert_eq!(reps, json!([]));
    d.assert_running();
    drop(browser);
    d.stop();
}
