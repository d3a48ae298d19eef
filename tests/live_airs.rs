//! Live broadcast (phát trực tiếp) through the real paths, with no sound card: the real
//! `loaxa run` captures a "microphone" — alsa-lib's `file` plugin reading a FIFO that this
//! test writes at real-time speed, dating every chunk (`mic_timed` in
//! `tests/support/alsa/asound_timed.conf.in`) — and airs it through rodio → cpal → alsa-lib
//! into a capture taken at real-time speed and dated (`cap_timed`): the voice's delay from
//! the microphone to the "loudspeakers" is measured, a shout is limited, the record and the
//! air-check file prove what aired; an emergency cuts into it and it goes on after; a
//! normal live waits for the item on air, a priority one cuts it; a missing device is
//! refused naming the ones there are. The capture on its own (`Capture`) is checked sample
//! for sample against a file-backed microphone.

#[path = "support/alsa_child.rs"]
mod alsa_child;
#[path = "support/daemon_api.rs"]
mod daemon_api;
#[path = "support/pacer.rs"]
mod pacer;
#[path = "support/process.rs"]
mod process;
#[path = "support/station.rs"]
mod station;
#[path = "support/wav.rs"]
mod wav;
#[path = "support/webdriver.rs"]
mod webdriver;

use std::io::Write;
use std::num::NonZero;
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU8, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime};

use alsa_child::{child_dir, run_child};
use daemon_api::{agent, now, records, wait_for};
use loaxa::live::{Capture, CaptureError, LiveEnd};
use loaxa::model::{AsRunRecord, Outcome, Role};
use process::Daemon;
use serde_json::{Value, json};
use station::{TestStation, local};

const RATE: usize = 44_100;
/// 10 ms of the microphone's mono S16 per write.
const CHUNK: usize = RATE / 100;

/// What the microphone says next.
const QUIET: u8 = 0;
/// A 1 kHz tone at −12 dBFS for 300 ms: speech-like level, easy to find.
const BEEP: u8 = 1;
/// A full-scale square wave for 300 ms: someone shouting into the microphone.
const SHOUT: u8 = 2;
/// Three seconds of a known signal ([`known`]): what the output must equal after a delay.
const TALK: u8 = 3;

/// The known signal the microphone says for [`TALK`]: noise (about −15 dBFS RMS, so every
/// lag gives a different match), mono S16.
fn known() -> Vec<i16> {
    wav::noise(3 * RATE, 1, 11, 0.3)
        .iter()
        .map(|s| (s * 32767.0) as i16)
        .collect()
}

/// The "microphone": a thread writing mono S16 44.1 kHz into the FIFO at real-time speed.
struct Mic {
    say: Arc<AtomicU8>,
    /// Wall time (s since the epoch) of the first chunk of each beep or shout written.
    said_at: Arc<Mutex<Vec<(u8, f64)>>>,
    stop: Arc<AtomicBool>,
    thread: Option<std::thread::JoinHandle<()>>,
}

fn wall(t: SystemTime) -> f64 {
    t.duration_since(SystemTime::UNIX_EPOCH)
        .map(|d| d.as_secs_f64())
        .unwrap_or(0.0)
}

impl Mic {
    fn start(fifo: PathBuf) -> Mic {
        let status = std::process::Command::new("mkfifo")
            .arg(&fifo)
            .status()
            .expect("mkfifo (coreutils)");
        assert!(status.success(), "mkfifo {}", fifo.display());
        let say = Arc::new(AtomicU8::new(QUIET));
        let said_at = Arc::new(Mutex::new(Vec::new()));
        let stop = Arc::new(AtomicBool::new(false));
        let (s, at, st) = (say.clone(), said_at.clone(), stop.clone());
        let thread = std::thread::spawn(move || speak(&fifo, &s, &at, &st));
        Mic {
            say,
            said_at,
            stop,
            thread: Some(thread),
        }
    }

    /// Says `what` (a beep or a shout: 300 ms; talk: until told quiet) and returns when it
    /// began to go into the microphone.
    fn say(&self, what: u8) -> f64 {
        let before = self.said_at.lock().expect("mic").len();
        self.say.store(what, Ordering::Release);
        let deadline = Instant::now() + Duration::from_secs(5);
        loop {
            if let Some(&(_, at)) = self.said_at.lock().expect("mic").get(before) {
                return at;
            }
            assert!(
                Instant::now() < deadline,
                "the microphone is not being read (is the live input open?)"
            );
            std::thread::sleep(Duration::from_millis(5));
        }
    }
}

impl Drop for Mic {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Release);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

/// The writer: opens the FIFO whenever a reader has it open (the live input), writes one
/// chunk every 10 ms on an absolute schedule, and notes when each beep or shout began.
fn speak(fifo: &Path, say: &AtomicU8, said_at: &Mutex<Vec<(u8, f64)>>, stop: &AtomicBool) {
    let nonblock = rustix::fs::OFlags::NONBLOCK.bits() as i32;
    let mut phase = 0usize;
    while !stop.load(Ordering::Acquire) {
        // No reader yet: opening for writing fails (ENXIO) until the capture opens it.
        let Ok(mut out) = std::fs::OpenOptions::new()
            .write(true)
            .custom_flags(nonblock)
            .open(fifo)
        else {
            std::thread::sleep(Duration::from_millis(2));
            continue;
        };
        let t0 = Instant::now();
        let mut written = 0u32;
        let mut left = 0usize; // chunks left of a beep or shout
        let known = known();
        let mut talked: Option<usize> = None; // samples of the known signal said
        'open: while !stop.load(Ordering::Acquire) {
            let what = say.load(Ordering::Acquire);
            let mut chunk = vec![0i16; CHUNK];
            if what == BEEP || what == SHOUT {
                if left == 0 {
                    left = 30;
                    said_at
                        .lock()
                        .expect("mic")
                        .push((what, wall(SystemTime::now())));
                }
                for s in chunk.iter_mut() {
                    let x =
                        (phase as f64 * 2.0 * std::f64::consts::PI * 1000.0 / RATE as f64).sin();
                    *s = if what == BEEP {
                        (x * 0.25 * 32767.0) as i16
                    } else if x >= 0.0 {
                        32767
                    } else {
                        -32767
                    };
                    phase += 1;
                }
                left -= 1;
                if left == 0 {
                    say.store(QUIET, Ordering::Release);
                }
            } else if what == TALK {
                let at = *talked.get_or_insert_with(|| {
                    said_at
                        .lock()
                        .expect("mic")
                        .push((what, wall(SystemTime::now())));
                    0
                });
                let part = &known[at.min(known.len())..(at + CHUNK).min(known.len())];
                chunk[..part.len()].copy_from_slice(part);
                talked = Some(at + CHUNK);
                if at + CHUNK >= known.len() {
                    talked = None;
                    say.store(QUIET, Ordering::Release);
                }
            }
            let bytes: Vec<u8> = chunk.iter().flat_map(|s| s.to_le_bytes()).collect();
            let mut at = 0;
            while at < bytes.len() {
                match out.write(&bytes[at..]) {
                    Ok(n) => at += n,
                    Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {
                        std::thread::sleep(Duration::from_millis(1));
                    }
                    // The capture closed (the live ended): wait for the next reader.
                    Err(_) => break 'open,
                }
                if stop.load(Ordering::Acquire) {
                    break 'open;
                }
            }
            written += 1;
            let next = t0 + Duration::from_millis(10) * written;
            std::thread::sleep(next.saturating_duration_since(Instant::now()));
        }
    }
}

/// A station whose output is the dated real-time capture and whose live input is the mic,
/// with a 4 s and a 6 s bulletin in the library; the daemon running. Returns the station,
/// the daemon, the API's address, the capture folder and the microphone.
struct Setup {
    t: TestStation,
    daemon: Daemon,
    base: String,
    cap: tempfile::TempDir,
    mic: Mic,
    short: u64,
    long: u64,
}

fn setup(live: &str) -> Setup {
    let program = format!("[live]\n{live}\n");
    let t = TestStation::new(&program, &[], local(2026, 5, 4, 4, 59, 0));
    t.set_output("device = \"alsa:cap_timed\"\nsample_rate = 44100\nchannels = 2");
    t.noise_file("media/ngan.wav", 4.0);
    t.noise_file("media/dai.wav", 6.0);
    let (short, long) = {
        let station = t.station_at(chrono::Utc::now());
        (
            t.add(&station, "media/ngan.wav", t.meta("Bản tin ngắn")).0,
            t.add(&station, "media/dai.wav", t.meta("Bản tin dài")).0,
        )
    };
    let cap = tempfile::tempdir().expect("capture dir");
    let alsa_conf = pacer::setup(cap.path());
    let mic = Mic::start(cap.path().join("mic.fifo"));
    let mut daemon = Daemon::spawn(&t.config_path(), &alsa_conf);
    let base = daemon.api_address(&t.path("data"));
    Setup {
        t,
        daemon,
        base,
        cap,
        mic,
        short,
        long,
    }
}

fn post(agent: &ureq::Agent, base: &str, path: &str, body: &Value) -> (u16, Value) {
    let mut answer = agent
        .post(format!("{base}/api/v1{path}"))
        .header("Accept-Language", "vi")
        .send_json(body)
        .expect("the API answers");
    let status = answer.status().as_u16();
    let text = answer.body_mut().read_to_string().expect("body");
    (status, serde_json::from_str(&text).unwrap_or(Value::Null))
}

fn live_records(records: &[AsRunRecord]) -> Vec<&AsRunRecord> {
    records.iter().filter(|r| r.role == Role::Live).collect()
}

fn sha256_hex(bytes: &[u8]) -> String {
    use sha2::Digest;
    sha2::Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

#[test]
fn the_voice_reaches_the_loudspeakers_at_once_a_shout_is_limited_and_the_air_check_proves_it() {
    let mut s = setup("input = \"alsa:mic_timed\"\nmax_duration = \"1m\"");
    let agent = agent();
    let (status, answer) = post(
        &agent,
        &s.base,
        "/live",
        &json!({"priority": "normal", "title": "Thông báo của UBND xã", "by": "Chủ tịch xã"}),
    );
    assert_eq!(status, 202, "{answer}");
    assert_eq!(answer["code"], "live_started", "{answer}");
    wait_for(&agent, &s.base, 5, "the live is on air", |n| {
        n["live"]["on_air"] == true && n["on_air"]["title"] == "Thông báo của UBND xã"
    });
    // A second one while it is on is refused, in Vietnamese.
    let (status, again) = post(&agent, &s.base, "/live", &json!({}));
    assert_eq!(status, 409, "{again}");
    assert!(
        again["error"]
            .as_str()
            .is_some_and(|e| e.contains("đang có một buổi phát trực tiếp")),
        "{again}"
    );

    std::thread::sleep(Duration::from_millis(1000));
    let beep = s.mic.say(BEEP);
    std::thread::sleep(Duration::from_millis(1500));
    // The known signal; meanwhile the page's meter shows the input's level.
    let talk = s.mic.say(TALK);
    let talking = wait_for(&agent, &s.base, 3, "the input meter moves", |n| {
        n["live"]["input_dbfs"]
            .as_f64()
            .is_some_and(|db| db > -30.0)
    });
    while s.mic.say.load(Ordering::Acquire) == TALK {
        std::thread::sleep(Duration::from_millis(20));
    }
    std::thread::sleep(Duration::from_millis(500));
    let shout = s.mic.say(SHOUT);
    std::thread::sleep(Duration::from_millis(1000));
    let (status, answer) = post(&agent, &s.base, "/live/stop", &json!({}));
    assert_eq!(status, 200, "{answer}");
    wait_for(&agent, &s.base, 5, "the live ends", |n| {
        n["on_air"].is_null() && n["live"].is_null()
    });
    std::thread::sleep(Duration::from_millis(1500));
    s.daemon.stop();

    // Heard: the beep's first loud sample out of the "loudspeakers", against when it went
    // into the "microphone".
    let capture = pacer::read_s16(&s.cap.path().join("timed.raw"));
    let (chunks, _) = pacer::read_log(&s.cap.path().join("timed.log"));
    let frames: Vec<&[i16]> = capture.chunks_exact(2).collect();
    let first_after = |t: f64| {
        frames
            .iter()
            .enumerate()
            .position(|(i, f)| {
                f.iter().any(|s| s.unsigned_abs() > 1000) && pacer::written_at(&chunks, i * 4) >= t
            })
            .expect("the voice in the capture")
    };
    let heard = pacer::written_at(&chunks, first_after(beep) * 4);
    let delay_ms = (heard - beep) * 1e3;
    eprintln!(
        "microphone to loudspeakers: {delay_ms:.1} ms (talking meter: {} dBFS)",
        talking["live"]["input_dbfs"]
    );
    assert!(
        (0.0..150.0).contains(&delay_ms),
        "the voice is heard {delay_ms:.1} ms after it was spoken"
    );
    // What aired equals what was said, at one fixed delay: the known signal against the
    // capture's left channel, window by window (100 ms), at the lag found for the first.
    let left: Vec<f32> = frames.iter().map(|f| f32::from(f[0])).collect();
    let said: Vec<f32> = known().iter().map(|&s| f32::from(s)).collect();
    let corr = |a: &[f32], b: &[f32]| {
        let dot: f64 = a
            .iter()
            .zip(b)
            .map(|(x, y)| f64::from(*x) * f64::from(*y))
            .sum();
        let na: f64 = a.iter().map(|x| f64::from(*x).powi(2)).sum::<f64>().sqrt();
        let nb: f64 = b.iter().map(|x| f64::from(*x).powi(2)).sum::<f64>().sqrt();
        if na == 0.0 || nb == 0.0 {
            0.0
        } else {
            dot / (na * nb)
        }
    };
    let rough = first_after(talk);
    let window = RATE / 10;
    let (best, start) = (rough.saturating_sub(200)..rough + 200)
        .map(|at| (corr(&said[..window], &left[at..at + window]), at))
        .fold((f64::MIN, 0), |m, c| if c.0 > m.0 { c } else { m });
    let talk_delay_ms = (pacer::written_at(&chunks, start * 4) - talk) * 1e3;
    let windows: Vec<f64> = (0..28)
        .map(|k| {
            let (a, b) = (k * window, start + k * window);
            corr(&said[a..a + window], &left[b..b + window])
        })
        .collect();
    let worst = windows.iter().copied().fold(f64::MAX, f64::min);
    eprintln!(
        "the known signal: first window matched {best:.4}, worst of 28 windows {worst:.4}, \
         delay {talk_delay_ms:.1} ms"
    );
    assert!(
        worst > 0.98,
        "what aired is what was said, at one delay: {windows:?}"
    );
    assert!(
        (0.0..150.0).contains(&talk_delay_ms),
        "the known signal is heard {talk_delay_ms:.1} ms after it was said"
    );

    // The shout (full scale, with the gain the quiet speech got) is held under the ceiling
    // (−1 dBTP): nothing clips.
    let at = first_after(shout);
    let peak = frames[at..(at + RATE / 4).min(frames.len())]
        .iter()
        .flat_map(|f| f.iter())
        .map(|s| s.unsigned_abs())
        .max()
        .unwrap_or(0);
    let ceiling = (10f64.powf(-1.0 / 20.0) * 32768.0) as u16;
    assert!(peak > 20_000, "the shout airs loud: {peak}");
    assert!(
        peak <= ceiling + 64,
        "a shout is limited: peak {peak} > {ceiling}"
    );

    let records = records(&s.t);
    let lives = live_records(&records);
    assert_eq!(lives.len(), 1, "{records:#?}");
    let rec = lives[0];
    assert_eq!(rec.outcome, Outcome::Completed, "{rec:#?}");
    assert_eq!(rec.program, "live");
    assert_eq!(rec.title, "Thông báo của UBND xã");
    let proof = rec.live.as_ref().expect("a live proof");
    assert_eq!(proof.by, "Chủ tịch xã");
    assert_eq!(proof.input, "alsa:mic_timed");
    assert_eq!(proof.end, LiveEnd::Stopped);
    assert!(
        (7_000..11_000).contains(&rec.played_ms),
        "played {} ms",
        rec.played_ms
    );
    // The air-check: the file named in the record, its hash the record's, the beep in it.
    let name = proof.aircheck.as_deref().expect("an air-check file");
    let bytes = std::fs::read(s.t.path("data/aircheck").join(name)).expect("the air-check file");
    assert_eq!(
        sha256_hex(&bytes),
        rec.sha256,
        "the record holds the file's sha256"
    );
    assert_eq!(proof.aircheck_bytes, Some(bytes.len() as u64));
    let samples: Vec<i16> = bytes[44..]
        .chunks_exact(2)
        .map(|b| i16::from_le_bytes([b[0], b[1]]))
        .collect();
    let secs = samples.len() as f64 / 22_050.0;
    eprintln!(
        "aired {} ms, air-check {secs:.3} s, underrun {} ms, dropped {} ms, delay target {} ms",
        rec.played_ms, proof.underrun_ms, proof.dropped_ms, proof.delay_ms
    );
    assert!(
        (secs - rec.played_ms as f64 / 1000.0).abs() < 0.05,
        "the air-check holds what aired: {secs:.2} s for {} ms",
        rec.played_ms
    );
    assert!(
        samples.iter().any(|s| s.unsigned_abs() > 4000),
        "the voice is in the air-check"
    );
    // The chain verifies with the new record.
    let config = loaxa::config::load(&s.t.config_path()).expect("config");
    let store = loaxa::store::Store::open(&config.station.data_dir.join("db")).expect("store");
    assert!(store.verify_chain().expect("verify").broken.is_none());
}

#[test]
fn levels_decide_who_waits_and_an_emergency_cuts_into_the_live_which_goes_on_after() {
    let mut s = setup("input = \"alsa:mic_timed\"");
    let agent = agent();
    // A normal live waits for the bulletin on air.
    let (status, answer) = post(&agent, &s.base, "/play", &json!({"ids": [s.short]}));
    assert_eq!(status, 202, "{answer}");
    wait_for(&agent, &s.base, 5, "the bulletin airs", |n| {
        n["on_air"]["title"] == "Bản tin ngắn"
    });
    let (status, answer) = post(&agent, &s.base, "/live", &json!({"by": "Cán bộ văn hoá"}));
    assert_eq!(status, 202, "{answer}");
    let waiting = now(&agent, &s.base);
    assert_eq!(waiting["live"]["on_air"], false, "{waiting}");
    assert_eq!(waiting["on_air"]["title"], "Bản tin ngắn", "{waiting}");
    wait_for(&agent, &s.base, 8, "the live follows the bulletin", |n| {
        n["live"]["on_air"] == true
    });

    // An emergency cuts into it; the live goes on after it.
    let (status, answer) = post(&agent, &s.base, "/emergency", &json!({"id": s.short}));
    assert_eq!(status, 202, "{answer}");
    wait_for(&agent, &s.base, 5, "the emergency airs", |n| {
        n["on_air"]["program"] == "emergency"
    });
    wait_for(&agent, &s.base, 8, "the live is back", |n| {
        n["on_air"]["program"] == "live"
    });
    std::thread::sleep(Duration::from_millis(500));
    let (status, _) = post(&agent, &s.base, "/live/stop", &json!({}));
    assert_eq!(status, 200);
    wait_for(&agent, &s.base, 5, "the live ends", |n| n["live"].is_null());

    // A priority live cuts a normal bulletin.
    let (status, _) = post(&agent, &s.base, "/play", &json!({"ids": [s.long]}));
    assert_eq!(status, 202);
    wait_for(&agent, &s.base, 5, "the long bulletin airs", |n| {
        n["on_air"]["title"] == "Bản tin dài"
    });
    let (status, _) = post(&agent, &s.base, "/live", &json!({"priority": "priority"}));
    assert_eq!(status, 202);
    wait_for(&agent, &s.base, 3, "the priority live cuts in", |n| {
        n["live"]["on_air"] == true
    });
    std::thread::sleep(Duration::from_millis(500));
    let (status, _) = post(&agent, &s.base, "/live/stop", &json!({}));
    assert_eq!(status, 200);
    wait_for(&agent, &s.base, 8, "all ends", |n| {
        n["live"].is_null() && n["on_air"].is_null()
    });
    std::thread::sleep(Duration::from_millis(500));
    s.daemon.stop();

    let records = records(&s.t);
    let said: Vec<(String, Role, Outcome, Option<String>)> = records
        .iter()
        .map(|r| (r.title.clone(), r.role, r.outcome, r.reason.clone()))
        .collect();
    let first_short = records
        .iter()
        .position(|r| r.title == "Bản tin ngắn")
        .expect("the bulletin's record");
    assert_eq!(
        records[first_short].outcome,
        Outcome::Completed,
        "the normal live waited for it: {said:#?}"
    );
    let lives = live_records(&records);
    assert_eq!(
        lives.len(),
        3,
        "two parts around the emergency, one priority: {said:#?}"
    );
    assert_eq!(lives[0].outcome, Outcome::Interrupted, "{said:#?}");
    assert!(
        lives[0]
            .reason
            .as_deref()
            .is_some_and(|r| r.contains("interrupted_by_emergency")),
        "{said:#?}"
    );
    assert_eq!(lives[1].outcome, Outcome::Completed, "{said:#?}");
    assert_eq!(
        lives[1].live.as_ref().map(|l| l.end),
        Some(LiveEnd::Stopped)
    );
    assert_eq!(
        lives[0].live.as_ref().map(|l| l.by.as_str()),
        Some("Cán bộ văn hoá")
    );
    // Each part has its own air-check file.
    assert_ne!(lives[0].sha256, lives[1].sha256);
    assert!(lives.iter().all(|r| r.sha256.len() == 64), "{said:#?}");
    let long = records
        .iter()
        .find(|r| r.title == "Bản tin dài")
        .expect("the long bulletin's record");
    assert_eq!(long.outcome, Outcome::Interrupted, "{said:#?}");
    assert!(
        long.reason
            .as_deref()
            .is_some_and(|r| r.contains("interrupted_by_live")),
        "{said:#?}"
    );
    assert_eq!(lives[2].priority, loaxa::model::Priority::Priority);
}

#[test]
fn a_missing_or_unopenable_input_is_refused_naming_the_devices_there_are() {
    let mut s = setup("input = \"alsa:khong-co\"");
    let agent = agent();
    let (status, answer) = post(&agent, &s.base, "/live", &json!({}));
    // The station's state (no such microphone), not the request: a conflict, not a 5xx.
    assert_eq!(status, 409, "{answer}");
    assert_eq!(answer["code"], "live_input_missing", "{answer}");
    let hint = answer["hint"].as_str().unwrap_or_default();
    assert!(
        hint.contains("alsa:mic_timed"),
        "the devices there are: {answer}"
    );
    assert!(
        answer["error"]
            .as_str()
            .is_some_and(|e| e.contains("không có micro hay đường vào «alsa:khong-co»")),
        "{answer}"
    );
    // The CLI says the same to the operator, and nothing aired.
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_loaxa"))
        .args(["-c"])
        .arg(s.t.config_path())
        .args(["live", "start"])
        .env("LANG", "vi_VN.UTF-8")
        .env("NO_COLOR", "1")
        .output()
        .expect("loaxa live start");
    let said = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "{said}");
    assert!(
        said.contains("alsa:khong-co") && said.contains("alsa:mic_timed"),
        "{said}"
    );
    let (status, answer) = post(&agent, &s.base, "/live/stop", &json!({}));
    assert_eq!(status, 409, "{answer}");
    assert_eq!(answer["code"], "live_not_on", "{answer}");

    // A device that exists but does not open (busy, gone): refused with the reason.
    let config = std::fs::read_to_string(s.t.config_path()).expect("config");
    std::fs::write(
        s.t.config_path(),
        config.replace("alsa:khong-co", "alsa:mic_broken"),
    )
    .expect("config");
    let (status, answer) = post(&agent, &s.base, "/reload", &json!({}));
    assert_eq!(status, 200, "{answer}");
    let (status, answer) = post(&agent, &s.base, "/live", &json!({}));
    assert_eq!(status, 409, "{answer}");
    assert_eq!(answer["code"], "live_input_unavailable", "{answer}");
    assert!(
        answer["error"]
            .as_str()
            .is_some_and(|e| e.starts_with("không mở được micro «alsa:mic_broken»: ")),
        "{answer}"
    );
    // Nothing is left open: with the device back, a live broadcast starts.
    let config = std::fs::read_to_string(s.t.config_path()).expect("config");
    std::fs::write(
        s.t.config_path(),
        config.replace("alsa:mic_broken", "alsa:mic_timed"),
    )
    .expect("config");
    let (status, _) = post(&agent, &s.base, "/reload", &json!({}));
    assert_eq!(status, 200);
    let (status, answer) = post(&agent, &s.base, "/live", &json!({}));
    assert_eq!(status, 202, "{answer}");
    wait_for(&agent, &s.base, 5, "on air", |n| {
        n["live"]["on_air"] == true
    });
    let (status, _) = post(&agent, &s.base, "/live/stop", &json!({}));
    assert_eq!(status, 200);
    wait_for(&agent, &s.base, 5, "off air", |n| n["live"].is_null());
    s.daemon.stop();
    assert_eq!(live_records(&records(&s.t)).len(), 1);
}

#[test]
fn the_capture_gives_the_microphones_samples_and_a_missing_device_names_the_others() {
    run_child("child_capture_reads_the_microphone");
}

#[test]
#[ignore = "helper: run by the_capture_gives_the_microphones_samples… in a child process"]
fn child_capture_reads_the_microphone() {
    let Some(dir) = child_dir() else { return };
    // Two seconds of noise, S16 stereo 44.1 kHz, as the "microphone" gives it.
    let mic: Vec<i16> = wav::noise(88_200, 2, 5, 0.5)
        .iter()
        .map(|s| (s * 32767.0) as i16)
        .collect();
    let bytes: Vec<u8> = mic.iter().flat_map(|s| s.to_le_bytes()).collect();
    std::fs::write(dir.join("mic.raw"), bytes).expect("mic.raw");

    let (rate, channels) = (
        NonZero::new(44_100).expect("rate"),
        NonZero::new(2).expect("ch"),
    );
    let capture = Capture::open("alsa:mic", rate, channels).expect("the microphone opens");
    let mut got = Vec::new();
    let deadline = Instant::now() + Duration::from_secs(10);
    while got.len() < 44_100 * 2 && Instant::now() < deadline {
        capture
            .read(&mut got, 8_192, Duration::from_millis(100))
            .expect("no device error");
    }
    assert!(got.len() >= 44_100 * 2, "a second captured: {}", got.len());
    let as_s16: Vec<i16> = got[..44_100 * 2]
        .iter()
        .map(|s| (s * 32768.0).round() as i16)
        .collect();
    let first_wrong = as_s16.iter().zip(&mic).position(|(a, b)| a != b);
    assert_eq!(first_wrong, None, "the capture is the microphone's samples");
    assert_eq!(capture.dropped(), 0);
    drop(capture);

    match Capture::open("alsa:khong-co", rate, channels) {
        Err(CaptureError::NotFound { name, available }) => {
            assert_eq!(name, "alsa:khong-co");
            assert!(
                available.iter().any(|d| d.starts_with("alsa:mic")),
                "the devices there are: {available:?}"
            );
        }
        other => panic!("a missing device is refused: {:?}", other.err()),
    }
}

#[test]
fn a_live_part_ends_by_itself_at_its_maximum_and_keeps_its_air_check() {
    run_child("child_a_live_part_ends_by_itself_at_its_maximum");
}

#[test]
#[ignore = "helper: run by a_live_part_ends_by_itself_at_its_maximum… in a child process"]
fn child_a_live_part_ends_by_itself_at_its_maximum() {
    let Some(dir) = child_dir() else { return };
    let mic: Vec<u8> = wav::noise(3 * RATE, 2, 9, 0.3)
        .iter()
        .flat_map(|s| ((s * 32767.0) as i16).to_le_bytes())
        .collect();
    std::fs::write(dir.join("mic.raw"), mic).expect("mic.raw");
    let spec = loaxa::live::LiveSpec {
        input: "alsa:mic".into(),
        rate: NonZero::new(44_100).expect("rate"),
        channels: NonZero::new(2).expect("channels"),
        max: Duration::from_secs(1),
        fade: Duration::from_millis(100),
        target_lufs: Some(-16.0),
        ceiling_db: -1.0,
        aircheck_dir: Some(dir.join("aircheck")),
    };
    let handle = loaxa::live::LiveHandle::open(spec).expect("the microphone opens");
    let (mut reader, part) = handle.reader("live-test");
    let began = Instant::now();
    let mut frames = 0usize;
    let mut last = Vec::new();
    while let Some(block) = reader.next_block().expect("no device error") {
        frames += block.len() / 2;
        last = block.to_vec();
        assert!(began.elapsed() < Duration::from_secs(5), "it never ended");
        // The player pulls as the sound card plays: about real time.
        let due = Duration::from_secs_f64(frames as f64 / RATE as f64);
        std::thread::sleep(due.saturating_sub(began.elapsed()));
    }
    let took = began.elapsed().as_secs_f64();
    assert!((0.95..1.3).contains(&took), "ended after {took:.2} s");
    assert!(handle.over(), "the handle knows it is over");
    // The last block is the fade's end: near silence.
    let tail = last
        .iter()
        .rev()
        .take(20)
        .map(|s| s.abs())
        .fold(0f32, f32::max);
    assert!(tail < 0.05, "faded out: {tail}");
    drop(reader);
    let report = part.report(Duration::from_secs(5));
    assert_eq!(report.end, Some(LiveEnd::MaxDuration), "{report:?}");
    let check = report.aircheck.expect("an air-check file");
    let bytes = std::fs::read(&check.path).expect("air-check");
    assert_eq!(sha256_hex(&bytes), check.sha256);
    let secs = (bytes.len() - 44) as f64 / 2.0 / 22_050.0;
    assert!(
        (secs - frames as f64 / RATE as f64).abs() < 0.01,
        "{secs} s kept"
    );
    // The next part of a live that is over is not aired.
    assert!(handle.over());
}

/// The page's *Phát trực tiếp* card in a real headless Chromium against the real daemon: the
/// operator types a name and presses the big button, the card says it is on air and its
/// microphone meter moves while someone speaks, the stop button ends it, and the record keeps
/// the name typed.
#[test]
fn on_the_page_one_click_puts_the_microphone_on_air_with_its_meter_and_one_stops_it() {
    let mut s = setup("input = \"alsa:mic_timed\"");
    let downloads = tempfile::tempdir().expect("tempdir");
    let browser = webdriver::Browser::start(downloads.path(), 1280, 900);
    let site = s.base.trim_end_matches('/').to_string();
    browser.goto(&format!("{site}/#now"));
    browser.wait("body[data-ready] main[data-page=\"now\"] #live-button", 10);
    let by = browser.find("#live-by").expect("the speaker field");
    browser.type_into(&by, "Trưởng thôn Đông");
    let button = browser.find("#live-button").expect("the big button");
    assert!(browser.text(&button).contains("PHÁT TRỰC TIẾP"));
    browser.click(&button);
    let state = browser.wait_text("#live-state", 10, "the on-air state", |t| {
        t.contains("ĐANG PHÁT TRỰC TIẾP")
    });
    assert!(state.contains("Phát trực tiếp"), "{state}");
    s.mic.say.store(TALK, Ordering::Release);
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let level = browser.run(
            "return document.getElementById('live-input')?.value ?? null;",
            json!([]),
        );
        if level.as_f64().is_some_and(|db| db > -30.0) {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "the microphone meter stays at {level}"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    let meta = browser.wait_text("#live-body", 5, "the speaker", |t| {
        t.contains("Trưởng thôn Đông")
    });
    assert!(meta.contains("Tự tắt sau"), "{meta}");
    let stop = browser.find("#live-stop").expect("the stop button");
    browser.click(&stop);
    browser.wait("#live-button", 10);
    s.mic.say.store(QUIET, Ordering::Release);
    let agent = agent();
    wait_for(&agent, &s.base, 5, "nothing on air", |n| {
        n["on_air"].is_null() && n["live"].is_null()
    });
    s.daemon.stop();
    let records = records(&s.t);
    let lives = live_records(&records);
    assert_eq!(lives.len(), 1, "{records:#?}");
    assert_eq!(
        lives[0].live.as_ref().map(|l| l.by.as_str()),
        Some("Trưởng thôn Đông")
    );
    assert_eq!(lives[0].outcome, Outcome::Completed);
}
