//! Emergency latency measured where a listener would hear it: the real `loaxa run` binary
//! plays through rodio → cpal → alsa-lib into the `cap_timed` PCM
//! (`tests/support/alsa/asound_timed.conf.in`), whose pipe reader `pace_log.py` takes the
//! audio at real-time speed, like a sound card, and logs the wall time of every chunk it
//! takes. An item A (quiet noise) is played, and while it airs an emergency E (loud noise)
//! is requested over the API, several times in one run; the first sample of E is found in the
//! capture by content, dated with the pacer's log, and compared with the wall time of the
//! request. The numbers are printed and written to `target/tmp/emergency_capture.txt`.
//!
//! Where the time goes: alsa-lib's file plugin writes a sample out only once a whole ALSA
//! buffer is queued behind it (`snd_pcm_file_add_frames`), the same delay as a sound card's
//! full ring buffer; the pipe to the pacer adds its own size (shrunk to one 4 KiB page,
//! 23 ms), which a sound card does not have. So: request → the session splices (≈1 ms) →
//! the source takes it at its next callback (0–1 period) → 30 ms fade → E queued behind a
//! full buffer (2 periods) → the pipe. With rodio's default period (2048 frames at 44.1 kHz)
//! that was 123–169 ms at a sound card, over the 100 ms; with loaxa's default
//! `[output] buffer_ms = 20` (882 frames) it is about 80 ms. The test asserts both the bound
//! of the output path (so a regression in the daemon's own reaction shows) and the issue's
//! 100 ms goal at the device.
//!
//! Then `loaxa log --json` must show A interrupted by each emergency, E completed at the
//! emergency level each time, and A aired again (resumed) to its end.

#[path = "support/bin.rs"]
mod bin;
#[path = "support/pacer.rs"]
mod pacer;
#[path = "support/process.rs"]
mod process;
#[path = "support/station.rs"]
mod station;
#[path = "support/wav.rs"]
mod wav;

use bin::{loaxa, text};
use std::path::Path;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use process::Daemon;
use serde_json::{Value, json};
use station::TestStation;
use wav::{Bits, noise, write_wav};

const RATE: u32 = 44_100;
/// Bytes per frame in the capture (S16 stereo).
const FRAME_BYTES: usize = 4;
/// Emergencies requested in the one daemon run.
const REPEATS: usize = 5;
/// How long A has been on air (by `GET /now`) when an emergency is requested.
const INTO_A: Duration = Duration::from_millis(1200);
/// The session's fade before an emergency (`src/daemon/session.rs`, `EMERGENCY_FADE`).
const FADE: Duration = Duration::from_millis(30);
/// The goal for request → first emergency sample heard.
const GOAL: Duration = Duration::from_millis(100);
/// Slack on top of the output path's own delays for the daemon's reaction (HTTP, the
/// session's command loop, the splice taken at the next callback) and the pacer's timing on
/// two shared cores.
const MARGIN: Duration = Duration::from_millis(25);
/// cpal's ALSA host opens `BufferSize::Fixed(p)` as a buffer of 2 periods of p frames
/// (`DEFAULT_PERIODS` in cpal's `host/alsa`).
const PERIODS: u32 = 2;

struct Api {
    base: String,
    agent: ureq::Agent,
}

impl Api {
    fn call(&self, answer: Result<ureq::http::Response<ureq::Body>, ureq::Error>) -> (u16, Value) {
        let mut answer = answer.expect("the API answers");
        let status = answer.status().as_u16();
        let body = answer.body_mut().read_to_string().expect("body");
        let value = serde_json::from_str(&body).unwrap_or(Value::Null);
        (status, value)
    }

    fn get(&self, path: &str) -> (u16, Value) {
        self.call(self.agent.get(format!("{}{path}", self.base)).call())
    }

    fn post(&self, path: &str, body: &Value) -> (u16, Value) {
        self.call(
            self.agent
                .post(format!("{}{path}", self.base))
                .send_json(body),
        )
    }

    /// The segment id on air, if any.
    fn on_air(&self) -> Option<u64> {
        let (status, now) = self.get("/now");
        assert_eq!(status, 200, "{now}");
        now["on_air"]["segment_id"].as_u64()
    }

    /// Polls `GET /now` until `want` is on air (or, for `None`, nothing is).
    fn wait_on_air(&self, daemon: &mut Daemon, want: Option<u64>, what: &str) -> Instant {
        let deadline = Instant::now() + Duration::from_secs(15);
        loop {
            if self.on_air() == want {
                return Instant::now();
            }
            daemon.assert_running();
            assert!(
                Instant::now() < deadline,
                "{what}: not seen in 15 s; the daemon said:\n{}",
                daemon.said()
            );
            std::thread::sleep(Duration::from_millis(10));
        }
    }
}

fn wall(t: SystemTime) -> f64 {
    t.duration_since(UNIX_EPOCH)
        .expect("after 1970")
        .as_secs_f64()
}

/// The S16 values E's samples become on the way out (f32 from the WAV, back to S16).
fn as_s16(samples: &[f32]) -> Vec<i16> {
    samples
        .iter()
        .map(|s| (s * 32767.0).round() as i16)
        .collect()
}

/// Frame indices where `pattern` (interleaved stereo) starts in `capture`, within `tol`.
fn find_starts(capture: &[i16], pattern: &[i16], tol: i32) -> Vec<usize> {
    let frames = capture.len() / 2;
    let pat_frames = pattern.len() / 2;
    (0..frames.saturating_sub(pat_frames))
        .filter(|&f| {
            capture[f * 2..f * 2 + pattern.len()]
                .iter()
                .zip(pattern)
                .all(|(&c, &p)| (i32::from(c) - i32::from(p)).abs() <= tol)
        })
        .collect()
}

fn segment_id(api: &Api, title: &str) -> u64 {
    let (status, list) = api.get("/segments");
    assert_eq!(status, 200, "{list}");
    list.as_array()
        .and_then(|l| l.iter().find(|s| s["title"] == title))
        .and_then(|s| s["id"].as_u64())
        .unwrap_or_else(|| panic!("{title} in {list}"))
}

/// What one daemon run measured.
struct Measured {
    /// Request → first sample of E out of the pacer, seconds, one per emergency.
    latencies: Vec<f64>,
    /// The pipe in front of the pacer: test-only delay a sound card does not have, seconds.
    pipe: f64,
    /// The device's period (`buffer_frames` in the daemon's "output stream opened" line).
    period_frames: u32,
    report: String,
}

impl Measured {
    fn median(&self) -> f64 {
        let mut s = self.latencies.clone();
        s.sort_by(f64::total_cmp);
        s[s.len() / 2]
    }
}

/// Runs the daemon, requests [`REPEATS`] emergencies while A airs, checks the capture and the
/// broadcast log, and returns the latencies (also printed and written under `target/tmp/`).
fn measure(name: &str) -> Measured {
    let t = TestStation::new(
        "[[program]]\nname = \"sang\"\ncron = \"30 5 * * *\"\nplaylists = []\n",
        &[],
        station::local(2026, 3, 1, 0, 0, 0),
    );
    t.set_output("device = \"alsa:cap_timed\"\nsample_rate = 44100\nchannels = 2");
    let cap = tempfile::tempdir().expect("capture dir");
    let alsa_conf = pacer::setup(cap.path());

    // A: 4 s of quiet noise; E: 0.8 s of loud noise, both at the device's rate and layout,
    // so the capture carries E's samples unchanged (within one S16 step).
    std::fs::create_dir_all(t.path("in")).expect("mkdir");
    let e_samples = noise((0.8 * f64::from(RATE)) as usize, 2, 4242, 0.9);
    write_wav(
        &t.path("in/a.wav"),
        RATE,
        2,
        Bits::S16,
        &noise(4 * RATE as usize, 2, 77, 0.1),
    );
    write_wav(&t.path("in/e.wav"), RATE, 2, Bits::S16, &e_samples);
    for (file, title) in [("in/a.wav", "Bản tin A"), ("in/e.wav", "Khẩn cấp E")] {
        let path = t.path(file).display().to_string();
        let add = loaxa(
            &t.config_path(),
            &["segment", "add", &path, "--topic", "cds", "--title", title],
        );
        assert!(add.status.success(), "{}", text(&add.stderr));
    }

    let mut daemon = Daemon::spawn(&t.config_path(), &alsa_conf);
    let api = Api {
        base: format!("{}/api/v1", daemon.api_address(&t.path("data"))),
        agent: ureq::Agent::config_builder()
            .http_status_as_error(false)
            .build()
            .into(),
    };
    let a = segment_id(&api, "Bản tin A");
    let e = segment_id(&api, "Khẩn cấp E");
    // E airs at its playout gain (loudness normalisation, default `[audio]`).
    let e_segment: loaxa::model::Segment = {
        let (status, seg) = api.get(&format!("/segments/{e}"));
        assert_eq!(status, 200, "{seg}");
        serde_json::from_value(seg).expect("a segment")
    };
    let levels = loaxa::config::AudioConfig::default().levels();
    let gain = loaxa::audio::playout_gain(&levels, &e_segment.level_input()).factor();
    let e_aired: Vec<f32> = e_samples[..2 * 64].iter().map(|s| s * gain).collect();

    let (status, played) = api.post("/play", &json!({ "ids": [a], "now": true }));
    assert_eq!(status, 202, "{played}");
    let mut since = api.wait_on_air(&mut daemon, Some(a), "A on air");
    let mut requests = Vec::new(); // (sent, answered), wall seconds
    for i in 0..REPEATS {
        std::thread::sleep(INTO_A.saturating_sub(since.elapsed()));
        let sent = SystemTime::now();
        let (status, answer) = api.post("/emergency", &json!({ "id": e }));
        let answered = SystemTime::now();
        assert_eq!(status, 202, "emergency {i}: {answer}");
        requests.push((wall(sent), wall(answered)));
        api.wait_on_air(&mut daemon, Some(e), "E on air");
        since = api.wait_on_air(&mut daemon, Some(a), "A resumed after E");
    }
    api.wait_on_air(&mut daemon, None, "A played to its end");
    // The stream closes after the buffer's drain time; the pacer then writes the tail.
    std::thread::sleep(Duration::from_millis(1500));
    daemon.stop();
    let said = daemon.said();

    // --- the capture ---
    let capture = pacer::read_s16(&cap.path().join("timed.raw"));
    let (chunks, notes) = pacer::read_log(&cap.path().join("timed.log"));
    let pipe_bytes = pacer::pipe_bytes(&notes);
    let opened = said
        .lines()
        .find(|l| l.contains("output stream opened"))
        .unwrap_or_else(|| panic!("no `output stream opened` line:\n{said}"));
    let period_frames: u32 = opened
        .split_whitespace()
        .find_map(|w| w.strip_prefix("buffer_frames=")?.parse().ok())
        .unwrap_or_else(|| panic!("buffer_frames in: {opened}"));
    let pattern = as_s16(&e_aired);
    let starts = find_starts(&capture, &pattern, 2);
    assert_eq!(
        starts.len(),
        REPEATS,
        "E's start found {} times in the capture ({} frames): {starts:?}",
        starts.len(),
        capture.len() / 2
    );
    let pipe = f64::from(pipe_bytes) / f64::from(RATE) / FRAME_BYTES as f64;
    let period = f64::from(period_frames) / f64::from(RATE);
    let mut lines = vec![
        format!("[{name}] {}", opened.trim()),
        format!(
            "pacer: {}; {} chunks, {} bytes. Output path: fade {:.1} ms + ALSA buffer \
             {PERIODS}×{period_frames} frames = {:.1} ms + pipe {:.1} ms (test only), \
             + up to one period ({:.1} ms) until the next callback takes the splice",
            notes.join("; "),
            chunks.len(),
            chunks.last().map_or(0, |c| c.1),
            FADE.as_secs_f64() * 1e3,
            f64::from(PERIODS) * period * 1e3,
            pipe * 1e3,
            period * 1e3,
        ),
    ];
    let mut latencies = Vec::new();
    for (i, (&start, &(sent, answered))) in starts.iter().zip(&requests).enumerate() {
        let heard = pacer::written_at(&chunks, start * FRAME_BYTES);
        let latency = heard - sent;
        // A is at most 0.1 loud and fades to silence in the last 30 ms before E.
        let before = &capture[start * 2 - 2 * 8..start * 2];
        let quiet = before.iter().all(|s| i32::from(*s).abs() <= 3277 / 8);
        lines.push(format!(
            "emergency {i}: request→first E sample out of the pacer {:.1} ms \
             (without the test pipe {:.1} ms; →fade start ≈ {:.1} ms; HTTP 202 after {:.1} ms), \
             E at frame {start}",
            latency * 1e3,
            (latency - pipe) * 1e3,
            (latency - FADE.as_secs_f64()) * 1e3,
            (answered - sent) * 1e3,
        ));
        assert!(quiet, "A is faded out just before E {i}: {before:?}");
        assert!(latency > 0.0, "E heard before it was requested: {lines:?}");
        latencies.push(latency);
    }

    // --- the broadcast log ---
    let log = loaxa(&t.config_path(), &["log", "--json"]);
    assert!(log.status.success(), "{}", text(&log.stderr));
    let all = text(&log.stdout);
    let records: Vec<Value> = all
        .lines()
        .map(|l| serde_json::from_str(l).expect("one JSON record per line"))
        .collect();
    let of = |id: u64| -> Vec<&Value> {
        records
            .iter()
            .filter(|r| r["segment_id"].as_u64() == Some(id))
            .collect()
    };
    let (a_recs, e_recs) = (of(a), of(e));
    assert_eq!(
        a_recs.len(),
        REPEATS + 1,
        "A: interrupted each time, then whole\n{all}"
    );
    for r in &a_recs[..REPEATS] {
        assert_eq!(r["outcome"], "interrupted", "{r}");
        let why = loaxa::words::reason_text(
            loaxa::words::Lang::En,
            r["reason"].as_str().unwrap_or_default(),
        );
        assert_eq!(why, "interrupted by an emergency broadcast", "{r}");
    }
    let last = a_recs[REPEATS];
    assert_eq!(
        last["outcome"], "completed",
        "A resumed and aired whole: {last}"
    );
    let played = last["played_ms"].as_u64().expect("played_ms");
    assert!(played.abs_diff(4000) <= 50, "A played {played} ms: {last}");
    assert_eq!(e_recs.len(), REPEATS, "{all}");
    for r in &e_recs {
        assert_eq!(r["outcome"], "completed", "{r}");
        assert_eq!(r["priority"], "emergency", "{r}");
    }
    // In airing order: A, E, A, E, ..., A.
    let order: Vec<u64> = records
        .iter()
        .filter_map(|r| r["segment_id"].as_u64())
        .collect();
    let mut expect = vec![a];
    for _ in 0..REPEATS {
        expect.extend([e, a]);
    }
    assert_eq!(order, expect, "{all}");
    lines.push(format!(
        "log: A interrupted {REPEATS}× by the emergency, E completed {REPEATS}× at \
         priority emergency, A resumed and completed ({played} ms)"
    ));

    let mut m = Measured {
        latencies,
        pipe,
        period_frames,
        report: String::new(),
    };
    let (lo, hi) = m
        .latencies
        .iter()
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), &l| {
            (lo.min(l), hi.max(l))
        });
    lines.push(format!(
        "median {:.1} ms (without the test pipe {:.1} ms), min {:.1} ms, max {:.1} ms \
         over {REPEATS} emergencies",
        m.median() * 1e3,
        (m.median() - pipe) * 1e3,
        lo * 1e3,
        hi * 1e3
    ));
    m.report = lines.join("\n");
    println!("{}", m.report);
    eprintln!("{}", m.report);
    let out = Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("{name}.txt"));
    std::fs::write(&out, format!("{}\n", m.report)).expect("write the numbers");
    m
}

/// The bound the output path allows: the fade, the device's buffer, up to one more period
/// until the next callback takes the splice, the test's pipe, and [`MARGIN`].
#[test]
fn an_emergency_interrupts_within_the_output_buffer_and_the_interrupted_item_resumes() {
    let m = measure("emergency_capture");
    let period = f64::from(m.period_frames) / f64::from(RATE);
    let bound =
        FADE.as_secs_f64() + f64::from(PERIODS + 1) * period + m.pipe + MARGIN.as_secs_f64();
    assert!(
        m.median() <= bound,
        "median emergency latency {:.1} ms over the output path's {:.1} ms:\n{}",
        m.median() * 1e3,
        bound * 1e3,
        m.report
    );
    // The goal, as a listener at a sound card would hear it (the test's pipe,
    // which a sound card does not have, taken off).
    assert!(
        m.median() - m.pipe <= GOAL.as_secs_f64(),
        "median {:.1} ms at the device (the pipe's {:.1} ms taken off) over the goal of {} ms:\n{}",
        (m.median() - m.pipe) * 1e3,
        m.pipe * 1e3,
        GOAL.as_millis(),
        m.report
    );
}
