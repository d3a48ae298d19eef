//! The operator's web page in a real browser: headless Chromium driven over WebDriver
//! (`support/webdriver.rs`) against the real `loaxa run` binary playing into an ALSA capture
//! device (`support/alsa/asound_streams.conf.in`, `cap_streams`: real time, like a sound card;
//! one capture file per output stream).
//!
//! As an operator would, on the page only: upload a bulletin with a Vietnamese title, queue
//! it, see it air on the Now page, interrupt it with an emergency (confirmed in the dialog),
//! see both in the log, download the CSV and read it, make the half-year report, switch the
//! language. The capture must hold the broadcast. Screenshots of every page go to
//! `target/tmp/screenshots/`; the page's load time on loopback (Navigation Timing, median of
//! several loads) and the embedded assets' size are printed and written to
//! `target/tmp/web_page.txt`.
//!
//! Needs Debian's `chromium` and `chromium-driver` (installed by `.ci/run`); without them the
//! test fails and says how to install them.

#[path = "support/live.rs"]
mod live;
#[path = "support/process.rs"]
mod process;
#[path = "support/station.rs"]
mod station;
#[path = "support/wav.rs"]
mod wav;
#[path = "support/webdriver.rs"]
mod webdriver;

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use process::Daemon;
use serde_json::json;
use station::TestStation;
use wav::{Bits, noise, write_wav};
use webdriver::Browser;

const RATE: u32 = 44_100;
const TITLE_A: &str = "Thông báo tiêm chủng đợt 3 – thôn Phú Lộc, “đúng giờ”";
const UNIT_A: &str = "Trạm Y tế xã";
const TITLE_E: &str = "Khẩn cấp: bão số 5 đổ bộ, di dời dân vùng trũng";
/// A's length: long enough to be interrupted while the test watches it.
const A_SECS: f64 = 8.0;
const E_SECS: f64 = 1.5;

fn screenshots() -> PathBuf {
    Path::new(env!("CARGO_TARGET_TMPDIR")).join("screenshots")
}

fn shot(browser: &Browser, name: &str) {
    browser.run("window.scrollTo(0, 0);", json!([]));
    browser.screenshot(&screenshots().join(format!("{name}.png")));
}

/// Waits for the page shell to have loaded the station and drawn `page`.
fn open(browser: &Browser, base: &str, page: &str) {
    browser.goto(&format!("{base}/#{page}"));
    browser.wait(
        &format!("body[data-ready] main[data-page=\"{page}\"] h1"),
        10,
    );
}

/// Every visible form control has a label (WCAG 1.3.1 / 4.1.2).
fn assert_labelled(browser: &Browser, page: &str) {
    let unlabelled = browser.run(
        "return [...document.querySelectorAll('input, select, textarea')]
            .filter(e => e.type !== 'hidden' && !e.labels.length && !e.getAttribute('aria-label'))
            .map(e => e.outerHTML);",
        json!([]),
    );
    assert_eq!(unlabelled, json!([]), "{page}: controls without a label");
}

fn segment_id_by_title(browser: &Browser, title: &str) -> u64 {
    let id = browser.run(
        "return fetch('/api/v1/segments').then(r => r.json())
            .then(l => (l.find(s => s.title === arguments[0]) || {}).id ?? null);",
        json!([title]),
    );
    id.as_u64()
        .unwrap_or_else(|| panic!("{title} not in the library"))
}

fn upload(browser: &Browser, file: &Path, title: &str, unit: &str, topic: &str) {
    let input = browser.wait("#up-file", 5);
    browser.type_into(&input, &file.display().to_string());
    let title_input = browser.wait("#up-title", 5);
    browser.type_into(&title_input, title);
    browser.type_into(&browser.wait("#up-unit", 5), unit);
    browser.choose("#up-topic", topic);
    browser.click(&browser.wait("#upload-form button[type=submit]", 5));
    browser.wait_text("#upload-results", 20, "upload result", |t| {
        t.contains(title) || t.contains("Không nhận")
    });
    let said = browser.text(&browser.wait("#upload-results", 1));
    assert!(
        said.contains("Đã thêm") && said.contains(title),
        "upload: {said}"
    );
    // The progress bar ran to its end.
    let progress = browser.run(
        "return document.getElementById('upload-progress').value;",
        json!([]),
    );
    assert_eq!(progress.as_f64(), Some(1.0), "upload progress bar");
}

/// Waits (bounded) until a file with `ext` appears complete in `dir`.
fn downloaded(dir: &Path, ext: &str) -> PathBuf {
    let deadline = Instant::now() + Duration::from_secs(15);
    loop {
        let found = std::fs::read_dir(dir).ok().and_then(|d| {
            d.filter_map(Result::ok)
                .map(|e| e.path())
                .find(|p| p.extension().is_some_and(|e| e == ext))
        });
        if let Some(p) = found {
            return p;
        }
        assert!(
            Instant::now() < deadline,
            "no .{ext} download in {} after 15 s",
            dir.display()
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

/// Loads `/` `n` times and returns the median (DOMContentLoaded, load, page drawn) in ms,
/// from the browser's Navigation Timing; "drawn" is when the Now page shows what is on air
/// (the page's `loaxa-now-drawn` mark).
fn page_load(browser: &Browser, base: &str, n: usize) -> (f64, f64, f64) {
    let (mut dcl, mut load, mut drawn) = (Vec::new(), Vec::new(), Vec::new());
    for _ in 0..n {
        // From another document, so each load is a whole page load (not a hash change).
        browser.goto("about:blank");
        browser.goto(&format!("{base}/#now"));
        let t = browser.run(
            "return new Promise(ok => { const look = () => {
               const n = performance.getEntriesByType('navigation')[0];
               const drawn = performance.getEntriesByName('loaxa-now-drawn')[0];
               if (n && n.loadEventEnd > 0 && drawn)
                 ok([n.domContentLoadedEventEnd, n.loadEventEnd, drawn.startTime]);
               else setTimeout(look, 10); }; look(); });",
            json!([]),
        );
        let t: Vec<f64> = t
            .as_array()
            .expect("timings")
            .iter()
            .map(|v| v.as_f64().expect("a number"))
            .collect();
        dcl.push(t[0]);
        load.push(t[1]);
        drawn.push(t[2]);
    }
    (median(dcl), median(load), median(drawn))
}

#[test]
fn an_operator_runs_the_station_from_the_web_page() {
    let started = Instant::now();
    // A program every 15 s that airs only the queue (no playlist, no signature tune), in
    // this hour and the next only, so the week's timetable stays a realistic size.
    let hour = (chrono::Utc::now() + chrono::Duration::hours(7))
        .format("%H")
        .to_string();
    let hour: u32 = hour.parse().expect("an hour");
    let t = TestStation::new(
        &format!(
            "[[program]]\nname = \"tin\"\ntitle = \"Bản tin thời sự\"\n\
             cron = \"*/15 * {hour},{} * * *\"\nplaylists = []\n",
            (hour + 1) % 24
        ),
        &[],
        station::local(2026, 3, 1, 0, 0, 0),
    );
    t.set_output("device = \"alsa:cap_streams\"\nsample_rate = 44100\nchannels = 2");
    let cap = tempfile::tempdir().expect("capture dir");
    // One capture file per output stream: the daemon warms the device up before each fire.
    std::fs::create_dir_all(cap.path().join("streams")).expect("mkdir");
    let alsa_conf = process::setup_alsa(
        cap.path(),
        include_str!("support/alsa/asound_streams.conf.in"),
        &[("pace.py", include_str!("support/alsa/pace.py"))],
    );
    let files = tempfile::tempdir().expect("files");
    let a_wav = files.path().join("Thông báo tiêm chủng.wav");
    let e_wav = files.path().join("bão số 5.wav");
    write_wav(
        &a_wav,
        RATE,
        2,
        Bits::S16,
        &noise((A_SECS * f64::from(RATE)) as usize, 2, 11, 0.2),
    );
    let e_samples = noise((E_SECS * f64::from(RATE)) as usize, 2, 12, 0.8);
    write_wav(&e_wav, RATE, 2, Bits::S16, &e_samples);

    let mut daemon = Daemon::spawn(&t.config_path(), &alsa_conf);
    let base = daemon.api_address(&t.path("data"));
    let downloads = tempfile::tempdir().expect("downloads");
    let browser = Browser::start(downloads.path(), 1280, 900);

    // --- the Now page, in Vietnamese by default ---
    open(&browser, &base, "now");
    let html_lang = browser.run("return document.documentElement.lang;", json!([]));
    assert_eq!(html_lang, "vi");
    browser.wait_text("#station-name", 5, "station name", |t| {
        t == "Đài thử nghiệm"
    });
    browser.wait_text("#on-air-body", 5, "idle", |t| t.contains("Hiện không phát"));
    assert_labelled(&browser, "now");

    // --- Bản tin: upload two items with Vietnamese titles ---
    open(&browser, &base, "library");
    assert_labelled(&browser, "library");
    upload(&browser, &a_wav, TITLE_A, UNIT_A, "cds");
    upload(&browser, &e_wav, TITLE_E, "Ban Chỉ huy PCTT xã", "khcn");
    let a = segment_id_by_title(&browser, TITLE_A);
    let e = segment_id_by_title(&browser, TITLE_E);
    browser.wait_text("#segment-rows", 5, "library table", |t| {
        t.contains(TITLE_A) && t.contains(TITLE_E) && t.contains(UNIT_A)
    });
    // Listen: the browser fetches the audio (with Range) and plays it.
    browser.click(&browser.wait(&format!("tr[data-id=\"{a}\"] button"), 5));
    browser.wait("tr.player audio", 5);
    let playable = browser.run(
        "const a = document.querySelector('tr.player audio');
         return new Promise(ok => {
           const done = () => ok([a.readyState, a.duration, a.error && a.error.code]);
           if (a.readyState >= 1) done(); else { a.onloadedmetadata = done; a.onerror = done;
             setTimeout(done, 5000); }
         });",
        json!([]),
    );
    let duration = playable[1].as_f64().unwrap_or(0.0);
    assert!(
        (duration - A_SECS).abs() < 0.1,
        "the browser reads the segment's audio: readyState, duration, error = {playable}"
    );
    shot(&browser, "library");
    // Search narrows the list.
    browser.type_into(&browser.wait("#seg-search", 5), "bão số");
    browser.wait_text("#segment-count", 5, "search", |t| t.contains("Hiện 1 / 2"));

    // --- Hàng chờ: queue A for the next program ---
    open(&browser, &base, "queue");
    assert_labelled(&browser, "queue");
    browser.choose("#q-seg", &a.to_string());
    browser.click(&browser.wait("#queue-form button[type=submit]", 5));
    browser.wait_text("#queue-rows", 5, "queue", |t| t.contains(TITLE_A));
    shot(&browser, "queue");

    // --- Đang phát: A airs in the next program (within 15 s) ---
    open(&browser, &base, "now");
    browser.wait_text("#on-air-title", 25, "A on air", |t| t == TITLE_A);
    let meta = browser.text(&browser.wait("#on-air-body .meta", 2));
    assert!(
        meta.contains("Chuyển đổi số") && meta.contains("tin"),
        "topic and program shown: {meta}"
    );
    // The bar ticks once a second in the page: within a few seconds (a loaded machine slows
    // the browser's timers) it shows at least half a second aired.
    let deadline = std::time::Instant::now() + Duration::from_secs(5);
    let progress = loop {
        std::thread::sleep(Duration::from_millis(200));
        let progress = browser.run(
            "return document.getElementById('on-air-progress').value;",
            json!([]),
        );
        if progress.as_f64().unwrap_or(0.0) >= 500.0 || std::time::Instant::now() > deadline {
            break progress;
        }
    };
    assert!(
        progress.as_f64().unwrap_or(0.0) >= 500.0,
        "the progress bar moves: {progress}"
    );
    shot(&browser, "now-on-air");

    // --- Phát khẩn cấp: confirmed in the dialog, E cuts A ---
    open(&browser, &base, "queue");
    browser.choose("#e-seg", &e.to_string());
    browser.click(&browser.wait("#emergency-button", 5));
    let dialog = browser.wait_text("#confirm-dialog[open]", 5, "confirmation", |t| {
        t.contains(TITLE_E)
    });
    assert!(
        dialog.contains("NGAY"),
        "the dialog says it airs now: {dialog}"
    );
    shot(&browser, "emergency-confirm");
    let asked = Instant::now();
    browser.click(&browser.wait("#confirm-ok", 2));
    // The page goes to the Now page, which shows E on air.
    browser.wait_text("#on-air-title", 10, "E on air", |t| t == TITLE_E);
    let shown_after = asked.elapsed();
    shot(&browser, "now-emergency");
    browser.wait_text("#on-air-title", 10, "A resumed after E", |t| t == TITLE_A);
    browser.wait_text("#on-air-body", 15, "A played to its end", |t| {
        t.contains("Hiện không phát")
    });
    browser.wait_text("#recent-body", 5, "recent broadcasts", |t| {
        t.contains(TITLE_E) && t.contains("Bị ngắt") && t.contains("Đã phát")
    });

    // --- Nhật ký: the log, the CSV, the report ---
    open(&browser, &base, "log");
    assert_labelled(&browser, "log");
    browser.wait_text("#log-rows", 5, "log table", |t| {
        t.contains(TITLE_A) && t.contains(TITLE_E) && t.contains("Bị ngắt")
    });
    // Filter by words of the title: only A's two records.
    browser.type_into(&browser.wait("#log-q", 2), "tiêm chủng");
    browser.click(&browser.wait("#log-filter button[type=submit]", 2));
    browser.wait_text("#log-count", 5, "filtered log", |t| t == "2 bản ghi.");
    shot(&browser, "log");
    browser.click(&browser.wait("#export-csv", 2));
    let csv_path = downloaded(downloads.path(), "csv");
    let csv = std::fs::read(&csv_path).expect("read the CSV");
    assert!(csv.starts_with(b"\xEF\xBB\xBF"), "UTF-8 BOM for Excel");
    let csv = String::from_utf8(csv).expect("UTF-8");
    let mut reader =
        ::csv::ReaderBuilder::new().from_reader(csv.trim_start_matches('\u{feff}').as_bytes());
    let headers = reader.headers().expect("header row").clone();
    let col = |name: &str| {
        headers
            .iter()
            .position(|h| h == name)
            .unwrap_or_else(|| panic!("column {name} in {headers:?}"))
    };
    let (title, outcome, unit, priority) = (
        col("Tiêu đề"),
        col("Kết quả"),
        col("Đơn vị thực hiện"),
        col("Mức độ"),
    );
    let rows: Vec<csv::StringRecord> = reader.records().map(|r| r.expect("a CSV row")).collect();
    let of = |t: &str| -> Vec<(String, String)> {
        rows.iter()
            .filter(|r| &r[title] == t)
            .map(|r| (r[outcome].to_string(), r[priority].to_string()))
            .collect()
    };
    assert_eq!(
        of(TITLE_A),
        vec![
            ("bị ngắt".to_string(), "thông thường".to_string()),
            ("đã phát".to_string(), "thông thường".to_string())
        ],
        "A interrupted, then aired whole:\n{csv}"
    );
    assert_eq!(
        of(TITLE_E),
        vec![("đã phát".to_string(), "khẩn cấp".to_string())],
        "E aired at the emergency level:\n{csv}"
    );
    assert!(
        rows.iter()
            .any(|r| &r[title] == TITLE_A && &r[unit] == UNIT_A),
        "the unit is in the CSV:\n{csv}"
    );
    // The half-year report, as the page opens it to print.
    browser.click(&browser.wait("#report-html", 2));
    browser.wait("#report-open", 10);
    let report = browser.run(
        "return fetch(document.getElementById('report-open').href).then(r => r.text());",
        json!([]),
    );
    let report = report.as_str().expect("report HTML");
    assert!(
        report.contains("Đài thử nghiệm") && report.contains("Chuyển đổi số"),
        "the report names the station and the topic: {report}"
    );
    assert!(report.contains("<table"), "the report has its tables");

    // --- Lịch phát ---
    open(&browser, &base, "schedule");
    browser.wait_text("main", 5, "timetable", |t| t.contains("Bản tin thời sự"));
    shot(&browser, "schedule");

    // --- The language switch, remembered ---
    open(&browser, &base, "now");
    shot(&browser, "now");
    browser.choose("#lang-select", "en");
    browser.wait_text("nav", 5, "English menu", |t| {
        t.contains("On air") && t.contains("Log & report")
    });
    browser.goto(&format!("{base}/#log"));
    browser.wait_text("main h1", 10, "English after a reload", |t| {
        t == "Log & report"
    });
    let lang = browser.run("return document.documentElement.lang;", json!([]));
    assert_eq!(lang, "en");
    browser.wait_text("#log-rows", 5, "English outcome labels", |t| {
        t.contains("Interrupted") && t.contains("Aired")
    });
    shot(&browser, "log-en");
    browser.choose("#lang-select", "vi");
    browser.wait_text("main h1", 5, "back to Vietnamese", |t| {
        t == "Nhật ký & báo cáo"
    });

    // --- 200 % zoom: a 640 px wide window is the 1280 px one at 200 %; nothing scrolls sideways ---
    browser.set_size(640, 900);
    for page in ["now", "library", "queue", "schedule", "log"] {
        open(&browser, &base, page);
        std::thread::sleep(Duration::from_millis(300));
        let overflow = browser.run(
            "return [document.documentElement.scrollWidth, window.innerWidth];",
            json!([]),
        );
        let (scroll, inner) = (overflow[0].as_u64(), overflow[1].as_u64());
        assert!(
            scroll <= inner,
            "{page} scrolls sideways at 200 %: {overflow}"
        );
    }
    shot(&browser, "library-200pct");
    browser.set_size(1280, 900);

    // --- Measured: load time on loopback, embedded size ---
    let (dcl, load, drawn) = page_load(&browser, &base, 9);
    let assets: Vec<String> = loaxa::api::web::ASSETS
        .iter()
        .map(|(path, _, bytes)| format!("{path} {} B", bytes.len()))
        .collect();
    // E airs at its playout gain (loudness normalisation, default `[audio]`).
    let e_segment: loaxa::model::Segment = serde_json::from_value(browser.run(
        "return fetch('/api/v1/segments/' + arguments[0]).then(r => r.json());",
        json!([e]),
    ))
    .expect("E's segment");
    let e_gain = loaxa::audio::playout_gain(
        &loaxa::config::AudioConfig::default().levels(),
        &e_segment.level_input(),
    )
    .factor();
    drop(browser);

    // --- The capture holds the broadcast: A (cut), E, A again ---
    std::thread::sleep(Duration::from_millis(500));
    daemon.stop();
    let mut streams: Vec<_> = std::fs::read_dir(cap.path().join("streams"))
        .expect("the capture")
        .map(|e| e.expect("entry").path())
        .collect();
    streams.sort();
    let capture: Vec<u8> = streams
        .iter()
        .flat_map(|p| std::fs::read(p).expect("a captured stream"))
        .collect();
    let aired_s = capture.len() as f64 / f64::from(RATE) / 4.0;
    // E's first 64 frames, at its gain, found in the capture by content.
    let captured: Vec<i32> = capture
        .chunks_exact(2)
        .map(|b| i32::from(i16::from_le_bytes([b[0], b[1]])))
        .collect();
    let template: Vec<i32> = e_samples[..128]
        .iter()
        .map(|v| (v * e_gain * 32768.0).round() as i32)
        .collect();
    let e_found = (0..captured.len().saturating_sub(template.len()))
        .step_by(2)
        .any(|at| {
            template
                .iter()
                .zip(&captured[at..])
                .all(|(want, got)| (want - got).abs() <= 3)
        });
    assert!(
        aired_s >= A_SECS + E_SECS,
        "the device got {aired_s:.1} s of audio, less than A and E"
    );
    assert!(e_found, "E's samples (gain {e_gain:.3}) are in the capture");

    let report = format!(
        "web page on loopback (debug build, headless Chromium, median of 9 loads of /#now): \
         DOMContentLoaded {dcl:.0} ms, load {load:.0} ms, Now page drawn with its data {drawn:.0} ms\n\
         embedded assets: {} bytes in {} files ({})\n\
         emergency confirmed → shown on the Now page: {} ms\n\
         capture: {aired_s:.1} s of audio at the device\n\
         browser test: {:.1} s",
        loaxa::api::web::embedded_bytes(),
        assets.len(),
        assets.join(", "),
        shown_after.as_millis(),
        started.elapsed().as_secs_f64()
    );
    println!("{report}");
    eprintln!("{report}");
    std::fs::write(
        Path::new(env!("CARGO_TARGET_TMPDIR")).join("web_page.txt"),
        format!("{report}\n"),
    )
    .expect("write the numbers");
}

/// With `[api] token_sha256` (a station open to the LAN, a phone as the client) the page asks
/// for the token once, says when it is wrong, keeps it for the browser session (a reload does
/// not ask again) and sends it with every call, audio included.
#[test]
fn the_page_asks_for_the_token_once_and_keeps_it_for_the_session() {
    use sha2::Digest as _;
    let token = "Loa-xa-2026";
    let hash: String = sha2::Sha256::digest(token.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    let t = TestStation::with_api(
        live::PROGRAMS,
        &[],
        station::local(2026, 3, 1, 0, 0, 0),
        &format!("token_sha256 = \"{hash}\""),
    );
    let mut live = live::start(t);
    live.token = Some(token.into());
    let bytes = live::wav_bytes(&live.t, "a.wav", 1.0);
    let (status, added) = live.upload(
        &[("topic", "cds"), ("title", "Bản tin có mã")],
        "a.wav",
        &bytes,
    );
    assert_eq!(status, 201, "{added}");
    let id = added[0]["segment"]["id"].as_u64().expect("id");
    let base = live.base.trim_end_matches("/api/v1").to_string();
    let downloads = tempfile::tempdir().expect("downloads");
    // A phone-sized window.
    let browser = Browser::start(downloads.path(), 412, 915);

    browser.goto(&format!("{base}/#library"));
    let input = browser.wait("#token-dialog[open] #token-input", 10);
    shot(&browser, "token-phone");
    browser.type_into(&input, "sai-ma");
    browser.click(&browser.wait("#token-form button[type=submit]", 2));
    browser.wait_text(
        "#token-dialog[open] #token-error",
        10,
        "wrong token said",
        |t| t.contains("không đúng"),
    );
    browser.type_into(&browser.wait("#token-input", 2), token);
    browser.click(&browser.wait("#token-form button[type=submit]", 2));
    browser.wait_text("#segment-rows", 10, "library with the token", |t| {
        t.contains("Bản tin có mã")
    });
    browser.wait_text("#station-name", 5, "station", |t| t == "Đài thử nghiệm");
    // Audio needs the token too: the page fetches it and plays it from a blob.
    browser.click(&browser.wait(&format!("tr[data-id=\"{id}\"] button"), 5));
    browser.wait("tr.player audio", 10);
    let audio = browser.run(
        "const a = document.querySelector('tr.player audio');
         return new Promise(ok => { const done = () => ok([a.src.slice(0, 5), a.duration]);
           if (a.readyState >= 1) done(); else { a.onloadedmetadata = done; a.onerror = done;
             setTimeout(done, 5000); } });",
        json!([]),
    );
    assert_eq!(audio[0], "blob:", "{audio}");
    assert!(
        (audio[1].as_f64().unwrap_or(0.0) - 1.0).abs() < 0.05,
        "{audio}"
    );
    shot(&browser, "library-phone");
    // A reload keeps the token for the session.
    browser.goto(&format!("{base}/#now"));
    browser.wait("body[data-ready] #recent-body", 10);
    assert!(
        browser.find("#token-dialog[open]").is_none(),
        "asked again after a reload"
    );
    let scroll = browser.run(
        "return [document.documentElement.scrollWidth, window.innerWidth];",
        json!([]),
    );
    assert!(
        scroll[0].as_u64() <= scroll[1].as_u64(),
        "the phone scrolls sideways: {scroll}"
    );
}

/// "Bản tin văn bản": the operator types a bulletin, picks the southern voice, and it joins
/// the library read aloud by espeak-ng; typed again, the page says it is already there.
#[test]
fn an_operator_types_a_text_bulletin_and_it_joins_the_library() {
    let live = live::start(live::station());
    let base = live.base.trim_end_matches("/api/v1").to_string();
    let downloads = tempfile::tempdir().expect("downloads");
    let browser = Browser::start(downloads.path(), 1280, 900);
    open(&browser, &base, "library");
    let text = "UBND xã thông báo: 7h30 ngày 18/5 họp HĐND, đề nghị đại biểu có mặt đúng giờ.";
    let voices = browser.run(
        "return [...document.querySelectorAll('#tts-voice option')].map(o => o.value);",
        json!([]),
    );
    assert_eq!(
        voices,
        json!(["vi", "vi-vn-x-central", "vi-vn-x-south"]),
        "the configured voices, the default first"
    );
    assert_labelled(&browser, "library");
    for expected in ["Đã thêm", "đã có trong thư viện"] {
        browser.type_into(&browser.wait("#tts-text", 5), text);
        browser.choose("#tts-voice", "vi-vn-x-south");
        browser.choose("#tts-topic", "cds");
        browser.click(&browser.wait("#tts-form button[type=submit]", 5));
        let said = browser.wait_text("#tts-result", 20, "text bulletin added", |t| {
            t.contains("«")
        });
        assert!(said.contains(expected), "{said}");
    }
    shot(&browser, "library-text-bulletin");
    let seg = browser.run(
        "return fetch('/api/v1/segments').then(r => r.json()).then(l => l[0]);",
        json!([]),
    );
    assert_eq!(seg["tts"]["voice"], "vi-vn-x-south", "{seg}");
    assert_eq!(seg["tts"]["text"], text, "{seg}");
    assert!(
        seg["title"]
            .as_str()
            .is_some_and(|t| t.starts_with("UBND xã thông báo")),
        "{seg}"
    );
}
