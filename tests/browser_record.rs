//! "Ghi âm" on the operator's page, in a real headless Chromium against the real daemon: the
//! browser's microphone is Chromium's fake capture device fed from a WAV
//! (`--use-file-for-fake-audio-capture`), the page records about 3 s with the browser's own
//! MediaRecorder (Opus in WebM), plays it back, and adds it to the library through the same
//! upload and import checks as a file. The segment is Opus of the recorded length, as loud as
//! the input, and airs at the station's target. Needs Debian's `chromium` and
//! `chromium-driver` (installed by `.ci/run`).

#[path = "support/process.rs"]
mod process;
#[path = "support/station.rs"]
mod station;
#[path = "support/wav.rs"]
mod wav;
#[path = "support/webdriver.rs"]
mod webdriver;

use std::time::{Duration, Instant};

use process::Daemon;
use serde_json::{Value, json};
use station::TestStation;
use wav::{Bits, noise, write_wav};
use webdriver::Browser;

const TITLE: &str = "Thông báo lịch tiêm chủng tháng 12";
const RECORD_FOR: Duration = Duration::from_secs(3);

/// BS.1770 integrated loudness of interleaved stereo `samples` at 48 kHz.
fn lufs(samples: &[f32]) -> f64 {
    let mut meter = ebur128::EbuR128::new(2, 48_000, ebur128::Mode::I).expect("meter");
    meter.add_frames_f32(samples).expect("frames");
    meter.loudness_global().expect("loudness")
}

#[test]
fn a_bulletin_recorded_in_the_page_joins_the_library_at_its_length_and_airs_at_the_target() {
    let t = TestStation::new(
        "[[program]]\nname = \"tin\"\ncron = \"0 0 3 1 1 *\"\nplaylists = []\n",
        &[],
        station::local(2026, 3, 1, 0, 0, 0),
    );
    // The "microphone": 10 s of noise at a speaking level (Chromium loops the file).
    let mic = t.path("mic.wav");
    let input = noise(10 * 48_000, 2, 31, 0.25);
    write_wav(&mic, 48_000, 2, Bits::S16, &input);
    let input_lufs = lufs(&input);

    let mut daemon = Daemon::spawn_with_env(&t.config_path(), &[]);
    let base = daemon.api_address(&t.path("data"));
    let downloads = tempfile::tempdir().expect("downloads");
    let browser = Browser::start_with(
        downloads.path(),
        1280,
        900,
        &[
            "--use-fake-ui-for-media-stream".into(),
            "--use-fake-device-for-media-stream".into(),
            format!("--use-file-for-fake-audio-capture={}", mic.display()),
        ],
    );
    browser.goto(&format!("{base}/#library"));
    browser.wait(
        "body[data-ready] main[data-page=\"library\"] #record-form",
        10,
    );
    let unlabelled = browser.run(
        "return [...document.querySelectorAll('#record-form input, #record-form select')]
            .filter(e => !e.labels.length && !e.getAttribute('aria-label')).length;",
        json!([]),
    );
    assert_eq!(unlabelled, json!(0), "every recording control has a label");

    // Record: the state says so, the level meter moves with the microphone.
    browser.click(&browser.wait("#rec-start", 5));
    browser.wait_text("#rec-state", 5, "recording", |s| s.contains("Đang ghi âm"));
    let started = Instant::now();
    let mut loudest = -60.0f64;
    while started.elapsed() < RECORD_FOR {
        std::thread::sleep(Duration::from_millis(200));
        let level = browser.run(
            "return document.getElementById('rec-level').value;",
            json!([]),
        );
        loudest = loudest.max(level.as_f64().unwrap_or(-60.0));
    }
    browser.click(&browser.wait("#rec-stop", 5));
    let held = started.elapsed().as_secs_f64();
    assert!(
        loudest > -20.0,
        "the level meter showed the microphone: {loudest} dBFS"
    );
    let done = browser.wait_text("#rec-state", 10, "recorded", |s| s.contains("Đã ghi"));
    // Listen back: the recording plays in the page.
    let playable = browser.run(
        "const a = document.getElementById('rec-playback');
         return new Promise(ok => {
           const done = () => ok([a.hidden, a.readyState, a.error && a.error.code]);
           if (a.readyState >= 1) done(); else { a.onloadedmetadata = done; a.onerror = done;
             setTimeout(done, 5000); }
         });",
        json!([]),
    );
    assert_eq!(
        playable[0],
        json!(false),
        "the playback control is shown: {done}"
    );
    assert!(
        playable[1].as_u64().unwrap_or(0) >= 1,
        "it plays: {playable}"
    );

    browser.run(
        "document.getElementById('record').scrollIntoView();",
        json!([]),
    );
    browser.screenshot(
        &std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("screenshots/record.png"),
    );

    // Add it to the library with a Vietnamese title.
    browser.type_into(&browser.wait("#rec-title", 5), TITLE);
    browser.choose("#rec-topic", "cds");
    browser.click(&browser.wait("#record-form button[type=submit]", 5));
    let said = browser.wait_text("#rec-results", 20, "added", |s| {
        s.contains("Đã thêm") || s.contains("Không")
    });
    assert!(said.contains(TITLE), "added: {said}");

    let agent: ureq::Agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .build()
        .into();
    let list: Value = agent
        .get(format!("{base}/api/v1/segments"))
        .call()
        .expect("segments")
        .body_mut()
        .read_json()
        .expect("json");
    let seg = list
        .as_array()
        .and_then(|l| l.iter().find(|s| s["title"] == TITLE))
        .unwrap_or_else(|| panic!("{TITLE} in {list}"))
        .clone();
    daemon.stop();

    assert_eq!(seg["codec"], "opus", "{seg}");
    assert_eq!(seg["sample_rate"], 48_000, "{seg}");
    assert!(
        seg["original_name"]
            .as_str()
            .is_some_and(|n| n.starts_with("ghi-am-") && n.ends_with(".webm")),
        "{seg}"
    );
    // About the time the microphone was held (the clicks' round trips either side).
    let secs = seg["duration_ms"].as_f64().expect("duration") / 1000.0;
    assert!(
        (held - 0.6..=held + 0.6).contains(&secs),
        "recorded {secs:.2} s of {held:.2} s"
    );
    // As loud as the microphone gave it (no gain control in the way), and it airs at the
    // station's target.
    let measured = seg["loudness_lufs"].as_f64().expect("loudness measured");
    assert!(
        (measured - input_lufs).abs() < 2.0,
        "recorded at {measured:.1} LUFS, the microphone gave {input_lufs:.1}"
    );
    eprintln!(
        "held {held:.2} s, recorded {secs:.2} s; microphone {input_lufs:.1} LUFS, recorded \
         {measured:.1} LUFS; level meter up to {loudest:.1} dBFS"
    );
    let segment: loaxa::model::Segment = serde_json::from_value(seg.clone()).expect("segment");
    let levels = loaxa::config::AudioConfig::default().levels();
    let gain = loaxa::audio::playout_gain(&levels, &segment.level_input()).factor();
    let aired = measured + 20.0 * f64::from(gain).log10();
    assert!(
        (aired - levels.target_lufs).abs() <= 1.0,
        "airs at {aired:.1} LUFS, the target is {}",
        levels.target_lufs
    );
}
