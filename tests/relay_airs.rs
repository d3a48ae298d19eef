//! A relay program through the real daemon and a real loopback radio: the first source
//! answers 404, the second — a paced Icecast MP3 stream with ICY titles — airs; it stalls
//! mid-window, the fallback covers the dropout, the relay comes back; the window ends on
//! time. The record carries the proof (URL, title, switches with reasons, dropout), and
//! what went out is the source's audio (cross-correlated with ffmpeg's decode of it).

#[path = "support/bin.rs"]
mod bin;
#[path = "support/process.rs"]
mod process;
#[path = "support/radio.rs"]
mod radio;
#[path = "support/station.rs"]
mod station;
#[path = "support/wav.rs"]
mod wav;

use std::time::{Duration, Instant};

use loaxa::model::{Outcome, Role};
use loaxa::relay::{Air, Fault};
use process::Daemon;
use radio::{Answer, Icy, Radio};
use serde_json::Value;
use station::{TestStation, local};

const CHIRP: &[u8] = include_bytes!("fixtures/relay/chirp-128k-44k1.mp3");
/// ffmpeg's decode of the chirp's left channel, 16 kHz, s16le.
const ORACLE: &[u8] = include_bytes!("fixtures/relay/chirp-left-16k.s16");
const TITLES: [&str; 2] = ["Thời sự 6 giờ", "Bản tin thời tiết"];

fn now(agent: &ureq::Agent, base: &str) -> Value {
    let mut answer = agent
        .get(format!("{base}/api/v1/now"))
        .call()
        .expect("the API answers");
    serde_json::from_str(&answer.body_mut().read_to_string().expect("body")).expect("json")
}

/// Waits for `done(now)`, up to `secs`; returns the status that satisfied it.
fn wait_for(
    agent: &ureq::Agent,
    base: &str,
    secs: u64,
    what: &str,
    done: impl Fn(&Value) -> bool,
) -> Value {
    let deadline = Instant::now() + Duration::from_secs(secs);
    loop {
        let n = now(agent, base);
        if done(&n) {
            return n;
        }
        assert!(Instant::now() < deadline, "{what}: last status {n}");
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// The left channel of interleaved stereo `samples` at 48 kHz, brought to 16 kHz (the mean
/// of each 3 samples: enough of a low-pass for a chirp under 8 kHz).
fn left_at_16k(samples: &[f32]) -> Vec<f32> {
    samples
        .chunks_exact(6)
        .map(|c| c.iter().step_by(2).sum::<f32>() / 3.0)
        .collect()
}

/// The best normalised cross-correlation of `x` against `reference` looped, over `lags`,
/// and its lag.
fn best_match(x: &[f32], reference: &[f32], lags: impl Iterator<Item = usize>) -> (f32, usize) {
    let energy_x: f32 = x.iter().map(|v| v * v).sum();
    let n = reference.len();
    let mut best = (0f32, 0usize);
    for lag in lags {
        let lag = lag % n;
        let (mut dot, mut energy_r) = (0f32, 0f32);
        for (i, v) in x.iter().enumerate() {
            let r = reference[(lag + i) % n];
            dot += v * r;
            energy_r += r * r;
        }
        let c = dot / (energy_x * energy_r).sqrt().max(1e-9);
        if c > best.0 {
            best = (c, lag);
        }
    }
    best
}

/// Where in the looped `reference` half a second of `air` (16 kHz) from `at` is found:
/// a coarse search with its first 1/8 s, then the whole half second around it.
fn locate(air: &[f32], at: usize, reference: &[f32], near: Option<usize>) -> (f32, usize) {
    let n = reference.len();
    let coarse = match near {
        Some(lag) => lag,
        None => best_match(&air[at..at + 2_000], reference, 0..n).1,
    };
    let around = (coarse + n - 400)..(coarse + n + 400);
    best_match(&air[at..at + 8_000], reference, around)
}

/// Sets the program's cron (first written as `0 0 3 1 1 *`) to fire 3 s from now and
/// reloads the daemon.
fn fire_in_three_seconds(t: &TestStation, daemon: &Daemon) {
    let fire = chrono::Utc::now().with_timezone(&chrono_tz::Asia::Ho_Chi_Minh)
        + chrono::Duration::seconds(3);
    let cron = fire.format("%-S %-M %-H * * *").to_string();
    let config = std::fs::read_to_string(t.config_path()).expect("config");
    std::fs::write(t.config_path(), config.replace("0 0 3 1 1 *", &cron)).expect("config");
    daemon.send(rustix::process::Signal::HUP);
}

fn agent() -> ureq::Agent {
    ureq::Agent::config_builder()
        .http_status_as_error(false)
        .build()
        .into()
}

/// Waits (10 s at most) for a library segment whose title starts with `prefix`.
fn wait_for_segment(agent: &ureq::Agent, base: &str, prefix: &str) -> Value {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let mut answer = agent
            .get(format!("{base}/api/v1/segments"))
            .call()
            .expect("the API answers");
        let all: Value =
            serde_json::from_str(&answer.body_mut().read_to_string().expect("body")).expect("json");
        let found = all.as_array().and_then(|a| {
            a.iter()
                .find(|s| s["title"].as_str().is_some_and(|t| t.starts_with(prefix)))
        });
        if let Some(seg) = found {
            return seg.clone();
        }
        assert!(Instant::now() < deadline, "no segment `{prefix}…`: {all}");
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// The log's records, read after the daemon stopped.
fn records(t: &TestStation) -> Vec<loaxa::model::AsRunRecord> {
    let config = loaxa::config::load(&t.config_path()).expect("config");
    let store = loaxa::store::Store::open(&config.station.data_dir.join("db")).expect("store");
    store.records(None, None).expect("records")
}

#[test]
fn a_relay_airs_its_second_source_survives_a_stall_on_the_fallback_and_proves_it() {
    let radio = Radio::start();
    let mut icy = Icy::new(CHIRP.to_vec(), 128_000);
    icy.metaint = Some(8192);
    icy.titles = TITLES.iter().map(|t| t.to_string()).collect();
    icy.burst = 32_000; // two seconds at once, as Icecast does
    radio.icy("/vov1.mp3", icy);
    radio.answer("/gone.mp3", Answer::not_found());
    let (gone, vov1) = (radio.url("/gone.mp3"), radio.url("/vov1.mp3"));

    // Fires far away at first; set to a few seconds ahead once the daemon is up (reload).
    let program = format!(
        "[relay]\nprebuffer = \"1s\"\nstall_timeout = \"2s\"\n\n[[program]]\nname = \"vov1\"\ntitle = \"Tiếp sóng VOV1\"\ncron = \"0 0 3 1 1 *\"\nrelay = [\"{gone}\", \"{vov1}\"]\nmax_duration = \"12s\"\nfallback = [\"du-phong\"]\nrecord = true\ntopic = \"khcn\"\n\n[[program]]\nname = \"chieu\"\ncron = \"0 0 4 1 1 *\"\nqueue = true\n"
    );
    let t = TestStation::new(
        &program,
        &[(
            "du-phong.toml",
            "topic = \"cds\"\n[[item]]\nfile = \"../media/du-phong.wav\"\ntitle = \"Dự phòng\"\n",
        )],
        local(2026, 5, 4, 4, 59, 0),
    );
    t.noise_file("media/du-phong.wav", 4.0);
    let air = t.path("air.wav");
    t.set_output(&format!("device = \"wav:{}\"", air.display()));
    let mut daemon = Daemon::spawn_with_env(&t.config_path(), &[]);
    let base = daemon.api_address(&t.path("data"));
    let agent = agent();
    fire_in_three_seconds(&t, &daemon);

    // On air from the second source, its title in the status.
    let on = wait_for(&agent, &base, 15, "the relay airs its source", |n| {
        n["on_air"]["relay"]["to"] == "source"
    });
    assert_eq!(on["on_air"]["relay"]["url"], vov1.as_str(), "{on}");
    assert_eq!(on["on_air"]["title"], "Tiếp sóng VOV1", "{on}");
    // The source stalls for three seconds: its second of buffer runs dry before the stall
    // times out (2 s), the fallback covers, the relay comes back.
    std::thread::sleep(Duration::from_secs(2));
    radio.fault("/vov1.mp3", radio::Fault::Stall);
    let off = wait_for(&agent, &base, 8, "the fallback covers the stall", |n| {
        n["on_air"]["relay"]["to"] == "fallback"
    });
    assert!(
        off["on_air"]["relay"]["level_dbfs"]
            .as_f64()
            .unwrap_or(-120.0)
            > -40.0,
        "the fallback is heard: {off}"
    );
    std::thread::sleep(Duration::from_secs(2));
    radio.fault("/vov1.mp3", radio::Fault::None);
    wait_for(&agent, &base, 10, "the relay comes back", |n| {
        n["on_air"]["relay"]["to"] == "source"
    });
    wait_for(&agent, &base, 20, "the window ends", |n| {
        n["on_air"].is_null()
    });
    // `record = true`: what aired is kept as a segment, to be queued again later.
    let kept = wait_for_segment(&agent, &base, "Tiếp sóng VOV1 — ");
    daemon.stop();

    // The record: one relay, completed, its window aired, with the proof.
    let records = records(&t);
    let relays: Vec<_> = records.iter().filter(|r| r.role == Role::Relay).collect();
    assert_eq!(relays.len(), 1, "{records:#?}");
    let rec = relays[0];
    assert_eq!(rec.outcome, Outcome::Completed, "{rec:#?}");
    assert_eq!(rec.segment_id, None);
    assert!(
        (11_800..=12_200).contains(&rec.played_ms),
        "the window: {}",
        rec.played_ms
    );
    let proof = rec.relay.as_ref().expect("a relay proof");
    assert_eq!(proof.url.as_deref(), Some(vov1.as_str()), "{proof:#?}");
    assert!(
        proof
            .stream_title
            .as_deref()
            .is_some_and(|t| TITLES.contains(&t)),
        "{proof:#?}"
    );
    assert_eq!(
        proof.relayed_ms + proof.dropout_ms,
        rec.played_ms,
        "{proof:#?}"
    );
    assert!(proof.dropout_ms >= 1_000, "{proof:#?}");
    let first = &proof.failures[0];
    assert_eq!(
        (first.url.as_str(), &first.fault),
        (gone.as_str(), &Fault::Status { status: 404 }),
        "{proof:#?}"
    );
    let airs: Vec<&Air> = proof.switches.iter().map(|s| &s.air).collect();
    let source = Air::Source { url: vov1.clone() };
    // Connected ahead of the fire time: the relay is on air from its first sample, and
    // that sample went out on the fire time.
    assert_eq!(
        (proof.switches[0].at_ms, airs[0]),
        (0, &source),
        "{proof:#?}"
    );
    let started = rec.started_at.expect("started");
    let late = (started - rec.scheduled_at).num_milliseconds();
    assert!(
        (0..500).contains(&late),
        "on air {late} ms after the fire time"
    );
    assert!(
        airs.windows(3)
            .any(|w| w == [&source, &Air::Fallback, &source]),
        "source, fallback on the stall, source again: {proof:#?}"
    );
    let stall = proof
        .switches
        .iter()
        .find(|s| s.air == Air::Fallback && s.why.is_some())
        .unwrap_or_else(|| panic!("a switch to the fallback with its reason: {proof:#?}"));
    // Off air when the buffer ran dry, the source still connected; the stall is its
    // failure, on the same time base, after the switch.
    assert_eq!(stall.why, Some(Fault::Underrun), "{proof:#?}");
    let stalled = proof
        .failures
        .iter()
        .find(|f| f.url == vov1 && f.fault == Fault::Stalled)
        .unwrap_or_else(|| panic!("the stall among the failures: {proof:#?}"));
    assert!(
        (stall.at_ms..stall.at_ms + 2_000).contains(&stalled.at_ms),
        "{proof:#?}"
    );
    let kept_ms = kept["duration_ms"].as_u64().expect("duration");
    assert!(
        kept_ms.abs_diff(rec.played_ms) <= 100,
        "the kept segment is the window that aired: {kept_ms} ms against {} ms",
        rec.played_ms
    );
    assert_eq!(kept["topic"], "khcn", "{kept}");
    let queued = bin::loaxa(&t.config_path(), &["queue", "add", &kept["id"].to_string()]);
    assert!(queued.status.success(), "{}", bin::text(&queued.stderr));
    let verified = bin::loaxa(&t.config_path(), &["log", "verify"]);
    assert!(
        verified.status.success(),
        "{}{}",
        bin::text(&verified.stdout),
        bin::text(&verified.stderr)
    );

    // What went out is the source, whole: half a second at the start of the first relayed
    // stretch and half a second at its end are found in ffmpeg's decode of the stream's file,
    // the one as far from the other there as on air (no audio lost or repeated on air).
    let (rate, channels, samples) = wav::read_wav_f32(&air);
    assert_eq!((rate, channels), (48_000, 2));
    let on_ms = proof
        .switches
        .iter()
        .find(|s| s.air == source)
        .expect("on air")
        .at_ms;
    let off_ms = stall.at_ms;
    assert!(off_ms >= on_ms + 1_500, "{proof:#?}");
    let air = left_at_16k(&samples);
    let oracle: Vec<f32> = ORACLE
        .chunks_exact(2)
        .map(|b| f32::from(i16::from_le_bytes([b[0], b[1]])) / 32768.0)
        .collect();
    let first = (on_ms as usize + 200) * 16;
    let last = (off_ms as usize - 800) * 16;
    let (corr_first, lag_first) = locate(&air, first, &oracle, None);
    let expected = lag_first + (last - first);
    let (corr_last, lag_last) = locate(&air, last, &oracle, Some(expected));
    assert!(
        corr_first > 0.9 && corr_last > 0.9,
        "the relay's audio is the source's: correlation {corr_first:.3} and {corr_last:.3}"
    );
    let moved = (lag_last as i64 - (expected % oracle.len()) as i64) as f64 / 16.0;
    assert!(
        moved.abs() <= 2.0,
        "{moved:.1} ms of the source lost (+) or repeated (−) on air between {} and {} ms",
        first / 16,
        last / 16
    );
}

#[test]
fn an_emergency_cuts_the_relay_which_resumes_live_until_its_window_ends() {
    let radio = Radio::start();
    radio.icy("/vov1.mp3", Icy::new(CHIRP.to_vec(), 128_000));
    let vov1 = radio.url("/vov1.mp3");
    let program = format!(
        "[relay]\nprebuffer = \"1s\"\n\n[[program]]\nname = \"vov1\"\ncron = \"0 0 3 1 1 *\"\nrelay = [\"{vov1}\"]\nmax_duration = \"10s\"\n"
    );
    let t = TestStation::new(&program, &[], local(2026, 5, 4, 4, 59, 0));
    t.noise_file("media/bao-bao.wav", 2.0);
    let add = bin::loaxa(
        &t.config_path(),
        &[
            "segment",
            "add",
            &t.path("media/bao-bao.wav").display().to_string(),
            "--topic",
            "cds",
            "--title",
            "Tin bão",
        ],
    );
    assert!(add.status.success(), "{}", bin::text(&add.stderr));
    let mut daemon = Daemon::spawn_with_env(&t.config_path(), &[]);
    let base = daemon.api_address(&t.path("data"));
    let agent = agent();
    fire_in_three_seconds(&t, &daemon);
    wait_for(&agent, &base, 15, "the relay airs", |n| {
        n["on_air"]["relay"]["to"] == "source"
    });
    std::thread::sleep(Duration::from_secs(2));
    let answer = agent
        .post(format!("{base}/api/v1/emergency"))
        .send_json(serde_json::json!({ "id": 1 }))
        .expect("the API answers");
    assert_eq!(answer.status().as_u16(), 202, "accepted: it airs at once");
    wait_for(&agent, &base, 5, "the emergency airs", |n| {
        n["on_air"]["title"] == "Tin bão"
    });
    wait_for(&agent, &base, 10, "the relay resumes", |n| {
        n["on_air"]["relay"]["to"] == "source"
    });
    wait_for(&agent, &base, 20, "the window ends", |n| {
        n["on_air"].is_null()
    });
    daemon.stop();

    let records = records(&t);
    let rows: Vec<(Role, Outcome, &str)> = records
        .iter()
        .map(|r| (r.role, r.outcome, r.title.as_str()))
        .collect();
    assert_eq!(
        rows,
        [
            (Role::Relay, Outcome::Interrupted, "vov1"),
            (Role::Item, Outcome::Completed, "Tin bão"),
            (Role::Relay, Outcome::Completed, "vov1"),
        ],
        "{records:#?}"
    );
    // The window keeps its end: ten seconds from the relay's first sample.
    let began = records[0].started_at.expect("started");
    let ended = records[2].ended_at.expect("ended");
    let window = (ended - began).num_milliseconds();
    assert!((9_500..=11_000).contains(&window), "window {window} ms");
    let relayed = records[0].played_ms + records[2].played_ms;
    assert!(
        (7_000..=8_800).contains(&relayed),
        "relayed {relayed} ms around a 2 s emergency"
    );
    assert!(
        records[2]
            .relay
            .as_ref()
            .is_some_and(|p| p.url.as_deref() == Some(vov1.as_str()))
    );
}

#[test]
fn check_asks_each_source_and_schedule_shows_the_relay_window() {
    let radio = Radio::start();
    radio.icy("/vov1.mp3", Icy::new(CHIRP.to_vec(), 128_000));
    radio.answer("/gone.mp3", Answer::not_found());
    let (vov1, gone) = (radio.url("/vov1.mp3"), radio.url("/gone.mp3"));
    let program = format!(
        "[[program]]\nname = \"vov1\"\ntitle = \"Tiếp sóng VOV1\"\ncron = \"0 6 * * *\"\nrelay = [\"{vov1}\", \"{gone}\"]\nmax_duration = \"30m\"\n"
    );
    let t = TestStation::new(&program, &[], local(2026, 5, 4, 4, 59, 0));

    let out = bin::loaxa_in("en", &t.config_path(), &["check"]);
    let (said, warned) = (bin::text(&out.stdout), bin::text(&out.stderr));
    assert_eq!(
        out.status.code(),
        Some(0),
        "a source down is a warning: {said}{warned}"
    );
    assert!(
        said.contains(&format!("relay source {vov1} answers (MP3)")),
        "{said}"
    );
    assert!(
        warned.contains(&format!(
            "warning: vov1: relay source {gone} does not answer"
        )) && warned.contains("404"),
        "{warned}"
    );
    let vi = bin::loaxa_in("vi", &t.config_path(), &["check"]);
    assert!(
        bin::text(&vi.stderr).contains("không trả lời"),
        "{}",
        bin::text(&vi.stderr)
    );

    let out = bin::loaxa_in("en", &t.config_path(), &["schedule", "--days", "2"]);
    let shown = bin::text(&out.stdout);
    assert!(shown.contains("30:00  Tiếp sóng VOV1"), "{shown}");
    assert!(
        shown.contains(&format!("relayed from: {vov1}, {gone}")),
        "{shown}"
    );
    assert!(!shown.contains("empty program"), "{shown}");
}
