//! A relay on the operator's page, in a real headless Chromium against the real daemon: the
//! log (the On-air page's latest records, pushed over `/api/v1/events`, and the Log page)
//! shows a relay window's source and dropout; the On-air card shows a relay on air.
//!
//! The card is tested twice: with a relay the real `loaxa run` airs from a loopback radio
//! (pushed over `/api/v1/events`), and — for what a test cannot make the daemon do on cue
//! (a fallback, silence, levels beyond the meter, English) — drawn from recorded statuses
//! by the page's own functions, imported from `/assets/pages.js` in the page the daemon
//! served. Needs Debian's `chromium` and `chromium-driver` (installed by `.ci/run`).

#[path = "support/live.rs"]
mod live;
#[path = "support/process.rs"]
mod process;
#[path = "support/radio.rs"]
mod radio;
#[path = "support/station.rs"]
mod station;
#[path = "support/test_ca.rs"]
mod test_ca;
#[path = "support/wav.rs"]
mod wav;
#[path = "support/webdriver.rs"]
mod webdriver;

use std::sync::Arc;

use chrono::{Duration as Span, FixedOffset, Utc};
use loaxa::clock::{SharedClock, SystemClock};
use loaxa::model::{AsRunRecord, Outcome, Priority, Role, Trigger};
use loaxa::relay::{Air, RelayProof, Switch};
use loaxa::service::Station;
use serde_json::{Value, json};
use station::{TestStation, local};

const CHIRP: &[u8] = include_bytes!("fixtures/relay/chirp-128k-44k1.mp3");

const SOURCE: &str = "https://vov.example/vov1/playlist.m3u8";

/// A relay window of yesterday (within the Log page's default 30 days): `url` aired with
/// `dropout_ms` of fallback, or no source at all.
fn relay_record(url: Option<&str>, dropout_ms: u64) -> AsRunRecord {
    let tz = FixedOffset::east_opt(7 * 3600).expect("UTC+7");
    let at = (Utc::now() - Span::days(1)).with_timezone(&tz);
    let window = 1_800_000;
    let relayed_ms = if url.is_some() {
        window - dropout_ms
    } else {
        0
    };
    let mut switches = Vec::new();
    if let Some(url) = url {
        switches.push(Switch {
            at_ms: 0,
            air: Air::Source { url: url.into() },
            why: None,
        });
    }
    if dropout_ms > 0 {
        switches.push(Switch {
            at_ms: relayed_ms,
            air: Air::Fallback,
            why: None,
        });
    }
    AsRunRecord {
        id: 0,
        program: "vov-sang".into(),
        trigger: Trigger::Schedule,
        role: Role::Relay,
        scheduled_at: at,
        started_at: Some(at),
        ended_at: Some(at + Span::milliseconds(window as i64)),
        played_ms: window,
        segment_id: None,
        title: "Tiếp sóng Thời sự VOV1".into(),
        topic: "station".into(),
        unit: None,
        sha256: String::new(),
        outcome: Outcome::Completed,
        reason: None,
        output: "null".into(),
        priority: Priority::Normal,
        approved_by: None,
        approved_at: None,
        peak_dbfs: None,
        loudness_lufs: None,
        audible_ms: None,
        silent: false,
        relay: Some(RelayProof {
            url: url.map(str::to_string),
            stream_title: url.map(|_| "Thời sự 6 giờ".to_string()),
            relayed_ms,
            dropout_ms,
            switches,
            ..RelayProof::default()
        }),
        live: None,
        streams: Vec::new(),
        source: None,
        hash_version: 0,
        prev_hash: String::new(),
        hash: String::new(),
    }
}

/// The live daemon over a log of two relay windows.
fn live_with_relays() -> live::Live {
    let t = live::station();
    let config = loaxa::config::load(&t.config_path()).expect("test config is valid");
    let clock: SharedClock = Arc::new(SystemClock);
    let station = Station::open(config, clock).expect("open station");
    station
        .store
        .bulk_append_records([
            relay_record(Some(SOURCE), 300_000),
            relay_record(None, 1_800_000),
        ])
        .expect("fill the log");
    live::start_station(t, station)
}

/// A status as the daemon pushes it while a relay airs `air`.
fn relay_status(air: Value, level: f64) -> Value {
    let mut relay = json!({
        "stream_title": "Thời sự 6 giờ",
        "level_dbfs": level,
        "relayed_ms": 65_000,
        "dropout_ms": 5_000,
    });
    for (k, v) in air.as_object().expect("air").clone() {
        relay[k] = v;
    }
    json!({
        "on_air": {
            "program": "vov-sang", "trigger": "schedule", "priority": "normal", "segment_id": 0,
            "title": "Tiếp sóng Thời sự VOV1", "topic": "station",
            "started_at": Utc::now().to_rfc3339(), "duration_ms": 1_800_000, "index": 0, "count": 1,
            "relay": relay,
        },
        "next": null, "emergencies": [], "warnings": [],
    })
}

/// Draws `status` with the page's own On-air card into a box of its own, in `lang`; returns
/// what the card shows.
fn draw(browser: &webdriver::Browser, status: &Value, lang: &str) -> Value {
    browser.run(
        "const [status, lang] = arguments;
         return Promise.all([import('/assets/app.js'), import('/assets/pages.js')]).then(([app, pages]) => {
           app.ctx.lang = lang;
           let box = document.getElementById('relay-test');
           if (!box) { box = document.createElement('div'); box.id = 'relay-test'; document.body.append(box); }
           box.replaceChildren(...pages.onAirCard(status));
           pages.updateRelay(status.on_air.relay);
           const text = (id) => document.getElementById(id)?.textContent ?? null;
           return {
             card: box.textContent,
             badge: box.querySelector('.badge')?.textContent,
             airs: text('relay-airs'),
             to: document.getElementById('relay-airs')?.dataset.to,
             title: text('relay-stream-title'),
             level: document.getElementById('relay-level')?.value,
             level_text: text('relay-level-text'),
             times: text('relay-times'),
           };
         });",
        json!([status, lang]),
    )
}

#[test]
fn the_page_shows_a_relay_on_air_and_relay_windows_in_the_log() {
    let live = live_with_relays();
    let downloads = tempfile::tempdir().expect("tempdir");
    let browser = webdriver::Browser::start(downloads.path(), 1280, 900);
    let site = live.base.trim_end_matches("/api/v1").to_string();
    browser.goto(&format!("{site}/#now"));
    browser.wait("body[data-ready] main[data-page=\"now\"] h1", 10);

    // The latest records, pushed: each relay row says its source and its dropout.
    let recent = browser.wait_text("#recent-body", 10, "the relay rows", |t| {
        t.contains("mất tín hiệu 30:00")
    });
    assert!(
        recent.contains(&format!("Nguồn: {SOURCE} · mất tín hiệu 5:00")),
        "{recent}"
    );
    assert!(
        recent.contains("Không có nguồn nào phát được · mất tín hiệu 30:00"),
        "{recent}"
    );

    // A relay on air from its source: badge, URL, stream title, level meter, times.
    let source = json!({ "to": "source", "url": SOURCE });
    let shown = draw(&browser, &relay_status(source.clone(), -18.4), "vi");
    assert_eq!(shown["badge"], "Tiếp sóng", "{shown}");
    assert_eq!(shown["airs"], format!("Nguồn: {SOURCE}"), "{shown}");
    assert_eq!(
        shown["title"], "Tên chương trình đang phát của nguồn: Thời sự 6 giờ",
        "{shown}"
    );
    assert_eq!(shown["level"], json!(-18.4), "{shown}");
    assert_eq!(shown["level_text"], "-18 dBFS", "{shown}");
    assert_eq!(
        shown["times"], "Đã tiếp sóng 1:05 · mất tín hiệu 0:05",
        "{shown}"
    );
    assert!(
        shown["card"]
            .as_str()
            .is_some_and(|c| c.contains("Kết thúc tiếp sóng") && !c.contains("Bỏ qua bản tin")),
        "skipping a relay ends it: {shown}"
    );
    // A level beyond the meter's range fills it or empties it, never more.
    let loud = draw(&browser, &relay_status(source.clone(), 3.0), "vi");
    assert_eq!(loud["level"], json!(0), "{loud}");
    let silent = draw(&browser, &relay_status(source.clone(), -120.0), "vi");
    assert_eq!(silent["level"], json!(-60), "{silent}");
    assert_eq!(silent["level_text"], "im lặng", "{silent}");

    // During a dropout: the fallback or silence instead of the URL.
    let fallback = draw(
        &browser,
        &relay_status(json!({ "to": "fallback" }), -20.0),
        "vi",
    );
    assert_eq!(fallback["airs"], "Nguồn: Phát dự phòng", "{fallback}");
    assert_eq!(fallback["to"], "fallback");
    let quiet = draw(
        &browser,
        &relay_status(json!({ "to": "silence" }), -120.0),
        "vi",
    );
    assert_eq!(quiet["airs"], "Nguồn: Im lặng", "{quiet}");

    // In English.
    let en = draw(&browser, &relay_status(source, -18.4), "en");
    assert_eq!(en["badge"], "Relay", "{en}");
    assert_eq!(en["title"], "Stream title: Thời sự 6 giờ", "{en}");
    assert_eq!(en["times"], "Relayed 1:05 · dropout 0:05", "{en}");
    let en_fallback = draw(
        &browser,
        &relay_status(json!({ "to": "fallback" }), -20.0),
        "en",
    );
    assert_eq!(en_fallback["airs"], "Source: Fallback", "{en_fallback}");

    // The Log page: the relay rows with their source and dropout.
    // Back to the default language (the drawings above set English), as the page starts.
    browser.run(
        "return import('/assets/app.js').then((app) => { app.ctx.lang = 'vi'; return null; });",
        json!([]),
    );
    browser.goto(&format!("{site}/#log"));
    browser.wait("body[data-ready] main[data-page=\"log\"] h1", 10);
    let rows = browser.wait_text("#log-rows", 10, "the relay rows", |t| {
        t.contains("Tiếp sóng Thời sự VOV1")
    });
    assert!(rows.contains("(Tiếp sóng)"), "the role in words: {rows}");
    assert!(
        rows.contains(&format!("Nguồn: {SOURCE} · mất tín hiệu 5:00")),
        "{rows}"
    );
    assert!(rows.contains("Không có nguồn nào phát được"), "{rows}");
    assert!(
        !rows.contains("Nhạc hiệu"),
        "a relay is no signature tune: {rows}"
    );
}

/// The relay program's cron, set to fire 3 s from now, and the daemon reloaded.
fn fire_in_three_seconds(t: &TestStation, daemon: &process::Daemon) {
    let fire = Utc::now().with_timezone(&chrono_tz::Asia::Ho_Chi_Minh) + Span::seconds(3);
    let cron = fire.format("%-S %-M %-H * * *").to_string();
    let config = std::fs::read_to_string(t.config_path()).expect("config");
    std::fs::write(t.config_path(), config.replace("0 0 3 1 1 *", &cron)).expect("config");
    daemon.send(rustix::process::Signal::HUP);
}

/// A relay the real daemon airs from a loopback Icecast stream reaches the open On-air page
/// over the event stream: badge, the source's URL, its stream title, a moving level meter
/// and the relayed time.
#[test]
fn a_relay_the_daemon_airs_is_shown_on_the_on_air_card() {
    let radio = radio::Radio::start();
    let mut icy = radio::Icy::new(CHIRP.to_vec(), 128_000);
    icy.metaint = Some(8192);
    icy.titles = vec!["Thời sự 6 giờ".into()];
    icy.burst = 32_000;
    radio.icy("/vov1.mp3", icy);
    let url = radio.url("/vov1.mp3");
    let program = format!(
        "[relay]\nprebuffer = \"1s\"\n\n[[program]]\nname = \"vov1\"\ntitle = \"Tiếp sóng VOV1\"\ncron = \"0 0 3 1 1 *\"\nrelay = [\"{url}\"]\nmax_duration = \"20s\"\n"
    );
    let t = TestStation::new(&program, &[], local(2026, 5, 4, 4, 59, 0));
    t.set_output(&format!("device = \"wav:{}\"", t.path("air.wav").display()));
    let mut daemon = process::Daemon::spawn_with_env(&t.config_path(), &[]);
    let site = daemon.api_address(&t.path("data"));

    let downloads = tempfile::tempdir().expect("tempdir");
    let browser = webdriver::Browser::start(downloads.path(), 1280, 900);
    browser.goto(&format!("{site}/#now"));
    browser.wait("body[data-ready] main[data-page=\"now\"] #on-air-idle", 10);
    fire_in_three_seconds(&t, &daemon);

    let source = browser.wait_text("#relay-source", 15, "the relay's source", |s| s == url);
    assert_eq!(source, url);
    let badge = browser.run(
        "return document.querySelector('#on-air-body .badge').textContent;",
        json!([]),
    );
    assert_eq!(badge, "Tiếp sóng");
    browser.wait_text("#relay-stream-title", 10, "the stream title", |s| {
        s.ends_with("Thời sự 6 giờ")
    });
    // The meter moves with what goes out (the chirp is loud), and the relayed time counts.
    let level = "return document.getElementById('relay-level')?.value ?? -60;";
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    while browser.run(level, json!([])).as_f64().unwrap_or(-60.0) <= -40.0 {
        assert!(
            std::time::Instant::now() < deadline,
            "the level meter stayed low"
        );
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    browser.wait_text("#relay-times", 10, "the relayed time counts", |s| {
        s.starts_with("Đã tiếp sóng 0:0") && !s.starts_with("Đã tiếp sóng 0:00")
    });
    daemon.stop();
}
