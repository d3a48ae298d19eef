//! Stream outputs (`[[stream]]`) through a real Icecast server (Debian's icecast2) on
//! loopback and the real `loaxa run`, which airs through rodio → cpal → alsa-lib into a
//! capture taken at real-time speed and dated (`cap_timed`): a listener reading the mount
//! gets what the "loudspeakers" got (cross-correlated, loudness within 0.5 LU), with the
//! item's title as the stream title; the delay from the card to the listener is measured.
//! Icecast killed mid-program and started again: the card plays on without a gap, the
//! stream comes back, the record shows the outage. The page (a real headless Chromium) shows
//! each stream's state.

#[path = "support/daemon_api.rs"]
mod daemon_api;
#[path = "support/icecast.rs"]
mod icecast;
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

use std::time::{Duration, Instant};

use daemon_api::{agent, now, records, wait_for};
use icecast::{Icecast, Listener, decode_mp3};
use loaxa::model::Outcome;
use process::Daemon;
use station::{TestStation, local};

const RATE: u32 = 44_100;
const TITLE: &str = "Bản tin chuyển đổi số";
const MOUNT: &str = "/loa-xa.mp3";

/// `secs` of a speech-like test signal at 44.1 kHz mono: tones between 200 Hz and 3 kHz,
/// each switched on and off by its own slow random envelope (so every moment differs and a
/// lag is found without doubt), at about −16 dBFS RMS.
fn signal(secs: f64, seed: u64) -> Vec<f32> {
    let frames = (secs * f64::from(RATE)) as usize;
    let mut state = seed.wrapping_mul(6364136223846793005).wrapping_add(1);
    let mut rand = move || {
        state = state
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (state >> 33) as f32 / (1u64 << 31) as f32
    };
    let tones: Vec<(f32, Vec<f32>)> = (0..6)
        .map(|k| {
            let freq = 200.0 + 480.0 * k as f32 + 90.0 * rand();
            // A new level every 120 ms, smoothed.
            let steps: Vec<f32> = (0..frames / 5292 + 2).map(|_| rand()).collect();
            (freq, steps)
        })
        .collect();
    (0..frames)
        .map(|i| {
            let t = i as f32 / RATE as f32;
            let mut s = 0.0;
            for (freq, steps) in &tones {
                let pos = i as f32 / 5292.0;
                let (a, b) = (steps[pos as usize], steps[pos as usize + 1]);
                let env = a + (b - a) * pos.fract();
                s += 0.09 * env * (2.0 * std::f32::consts::PI * freq * t).sin();
            }
            s
        })
        .collect()
}

/// `&#NNNN;` character references as their characters.
fn unescape(text: &str) -> String {
    let mut out = String::new();
    let mut rest = text;
    while let Some(i) = rest.find("&#") {
        out.push_str(&rest[..i]);
        let tail = &rest[i + 2..];
        match tail
            .find(';')
            .and_then(|j| Some((j, tail[..j].parse::<u32>().ok()?)))
        {
            Some((j, n)) => {
                out.push(char::from_u32(n).unwrap_or('?'));
                rest = &tail[j + 1..];
            }
            None => {
                out.push_str("&#");
                rest = tail;
            }
        }
    }
    out.push_str(rest);
    out
}

/// Sets the program's cron (first written as `0 0 3 1 1 *`) to fire `secs` from now and
/// reloads the daemon.
fn fire_in(t: &TestStation, daemon: &Daemon, secs: i64) {
    let fire = chrono::Utc::now().with_timezone(&chrono_tz::Asia::Ho_Chi_Minh)
        + chrono::Duration::seconds(secs);
    let cron = fire.format("%-S %-M %-H * * *").to_string();
    let config = std::fs::read_to_string(t.config_path()).expect("config");
    std::fs::write(t.config_path(), config.replace("0 0 3 1 1 *", &cron)).expect("config");
    daemon.send(rustix::process::Signal::HUP);
}

struct Setup {
    t: TestStation,
    daemon: Daemon,
    base: String,
    cap: tempfile::TempDir,
    audio: Vec<f32>,
}

/// A station airing one `secs`-long bulletin to the timed ALSA capture and to the stream
/// source `url`.
fn setup(url: &str, secs: f64, stream_keys: &str) -> Setup {
    setup_on(
        url,
        secs,
        stream_keys,
        Some("device = \"alsa:cap_timed\"\nsample_rate = 44100\nchannels = 2"),
    )
}

/// Like [`setup`], on `output` (`None`: no sound card, the `null` output).
fn setup_on(url: &str, secs: f64, stream_keys: &str, output: Option<&str>) -> Setup {
    let program = format!(
        "[[program]]\nname = \"tin\"\ncron = \"0 0 3 1 1 *\"\nplaylists = [\"tin\"]\nqueue = false\n\n\
         [[stream]]\nurl = \"{url}\"\nbitrate = 128\nsample_rate = 44100\n{stream_keys}\n"
    );
    let t = TestStation::new(
        &program,
        &[("tin.toml", "[[item]]\nsegment = 1\n")],
        local(2026, 5, 4, 4, 59, 0),
    );
    if let Some(output) = output {
        t.set_output(output);
    }
    let audio = signal(secs, 7);
    wav::write_wav(&t.path("media/tin.wav"), RATE, 1, wav::Bits::S16, &audio);
    {
        let station = t.station_at(chrono::Utc::now());
        t.add(&station, "media/tin.wav", t.meta(TITLE));
    }
    let cap = tempfile::tempdir().expect("capture dir");
    let alsa_conf = pacer::setup(cap.path());
    let mut daemon = Daemon::spawn(&t.config_path(), &alsa_conf);
    let base = daemon.api_address(&t.path("data"));
    Setup {
        t,
        daemon,
        base,
        cap,
        audio,
    }
}

/// The best normalised correlation of `x` (from `at`, `len` long) against `y` over lags
/// `lags` of `y`, and the lag.
fn best_lag(
    x: &[f32],
    at: usize,
    len: usize,
    y: &[f32],
    lags: std::ops::Range<usize>,
) -> (f32, usize) {
    let a = &x[at..at + len];
    let ea: f32 = a.iter().map(|v| v * v).sum();
    let mut best = (f32::MIN, 0);
    for lag in lags {
        if lag + len > y.len() {
            break;
        }
        let b = &y[lag..lag + len];
        let eb: f32 = b.iter().map(|v| v * v).sum();
        let dot: f32 = a.iter().zip(b).map(|(p, q)| p * q).sum();
        let c = dot / (ea * eb).sqrt().max(1e-9);
        if c > best.0 {
            best = (c, lag);
        }
    }
    best
}

/// How well `len` samples of the file from its first sound match `other` from `first` (its
/// first sound), within 10 ms: the correlation and the lag found.
fn from_the_file(audio: &[f32], other: &[f32], first: usize, len: usize) -> (f32, usize) {
    let (first_file, _) = sound_span(audio, "the file");
    best_lag(
        audio,
        first_file,
        len,
        other,
        first.saturating_sub(441)..first + 441,
    )
}

/// The bulletin's record, which must say it completed.
fn bulletin_record(t: &TestStation) -> loaxa::model::AsRunRecord {
    let rec = records(t)
        .into_iter()
        .find(|r| r.title == TITLE)
        .expect("the bulletin's record");
    assert_eq!(rec.outcome, Outcome::Completed, "{rec:#?}");
    rec
}

/// `loaxa -c CONFIG ARGS…`, without colours.
fn loaxa(config: &std::path::Path, args: &[&str]) -> std::process::Output {
    std::process::Command::new(env!("CARGO_BIN_EXE_loaxa"))
        .arg("-c")
        .arg(config)
        .args(args)
        .env("NO_COLOR", "1")
        .output()
        .expect("loaxa runs")
}

/// The first and the last sample with sound (above −40 dBFS) of `v`.
fn sound_span(v: &[f32], what: &str) -> (usize, usize) {
    let loud = |x: &f32| x.abs() > 0.01;
    match (v.iter().position(loud), v.iter().rposition(loud)) {
        (Some(a), Some(b)) => (a, b),
        _ => panic!("no sound in {what}"),
    }
}

fn loudness(samples: &[f32]) -> f64 {
    let mut m = ebur128::EbuR128::new(1, RATE, ebur128::Mode::I).expect("ebur128");
    m.add_frames_f32(samples).expect("frames");
    m.loudness_global().expect("loudness")
}

/// The capture as mono f32 (the two channels are the same mono program).
fn capture_mono(cap: &std::path::Path) -> Vec<f32> {
    pacer::read_s16(&cap.join("timed.raw"))
        .chunks_exact(2)
        .map(|f| (f32::from(f[0]) + f32::from(f[1])) / 2.0 / 32768.0)
        .collect()
}

#[test]
fn the_stream_carries_what_the_card_airs_with_its_title_and_the_delay_is_measured() {
    let ice = Icecast::start();
    let mut s = setup(&ice.source_url(MOUNT), 20.0, "");
    let agent = agent();
    fire_in(&s.t, &s.daemon, 3);
    // The stream connects a moment before the program (the warm-up); listen from then.
    let source = ice.wait_for_source(MOUNT, 10);
    assert_eq!(source["server_name"], "loa-xa.mp3", "{source}");
    let listener = Listener::start(&ice.listen_url(MOUNT));
    wait_for(&agent, &s.base, 15, "the bulletin airs", |n| {
        n["on_air"]["title"] == TITLE
    });
    let n = now(&agent, &s.base);
    assert_eq!(n["streams"][0]["phase"], "on_air", "{n}");
    // The item on air is the stream's title (Icecast's metadata).
    let deadline = Instant::now() + Duration::from_secs(5);
    // (Icecast's status page writes non-ASCII letters as `&#NNNN;`.)
    let title_of = |src: &serde_json::Value| unescape(src["title"].as_str().unwrap_or_default());
    while ice.source(MOUNT).is_none_or(|src| title_of(&src) != TITLE) {
        assert!(Instant::now() < deadline, "title: {:?}", ice.source(MOUNT));
        std::thread::sleep(Duration::from_millis(100));
    }
    wait_for(&agent, &s.base, 30, "the bulletin ends", |n| {
        n["on_air"].is_null()
    });
    // The hold keeps the stream up with silence; what was sent reaches the listener.
    std::thread::sleep(Duration::from_millis(2500));
    assert!(
        ice.source(MOUNT).is_some(),
        "the stream is held after the program"
    );
    let chunks = listener.finish();
    s.daemon.stop();

    let rec = bulletin_record(&s.t);
    assert_eq!(rec.streams.len(), 1, "{rec:#?}");
    assert_eq!(rec.streams[0].stream, "loa-xa.mp3");
    assert_eq!(rec.streams[0].gap_ms, 0, "{rec:#?}");

    // What the card aired and what the listener got.
    let air = capture_mono(s.cap.path());
    let first_air = air
        .iter()
        .position(|v| v.abs() > 0.01)
        .expect("the bulletin in the capture");
    let bytes: Vec<u8> = chunks.iter().flat_map(|(_, c)| c.clone()).collect();
    let (rate, heard) = decode_mp3(&bytes);
    assert_eq!(rate, RATE, "the stream's sample rate");
    let first_heard = heard
        .iter()
        .position(|v| v.abs() > 0.01)
        .expect("the bulletin in the stream");
    // Cross-correlation over three stretches of 0.5 s, against the stream within 50 ms of
    // where the first sounds line them up.
    for at_s in [2.0, 9.0, 16.0] {
        let at = first_air + (at_s * f64::from(RATE)) as usize;
        let len = RATE as usize / 2;
        let expect = first_heard + (at_s * f64::from(RATE)) as usize;
        let lags = expect.saturating_sub(2205)..expect + 2205;
        let (c, lag) = best_lag(&air, at, len, &heard, lags);
        eprintln!(
            "at {at_s} s: correlation {c:.4}, lag {} samples from the expected",
            lag as i64 - expect as i64
        );
        assert!(
            c > 0.95,
            "at {at_s} s the stream is not what aired: correlation {c:.3}"
        );
        assert!(
            (lag as i64 - expect as i64).abs() < 441,
            "at {at_s} s the stream drifted {} samples against the card",
            lag as i64 - expect as i64
        );
    }
    let span = 18 * RATE as usize;
    let (l_air, l_heard) = (
        loudness(&air[first_air..first_air + span]),
        loudness(&heard[first_heard..first_heard + span]),
    );
    eprintln!("loudness: card {l_air:.2} LUFS, stream {l_heard:.2} LUFS");
    if std::env::var_os("LOAXA_DUMP").is_some() {
        let dump = |name: &str, v: &[f32]| {
            wav::write_wav(std::path::Path::new(name), RATE, 1, wav::Bits::F32, v);
        };
        dump("/tmp/air.wav", &air[first_air..first_air + span]);
        dump("/tmp/heard.wav", &heard[first_heard..first_heard + span]);
        dump("/tmp/file.wav", &s.audio);
    }
    assert!(
        (l_air - l_heard).abs() < 0.2,
        "card {l_air:.2} LUFS, stream {l_heard:.2} LUFS"
    );
    // The source's own audio: the file as written, on both (the capture is the oracle's
    // level; the stream matches the file too).
    let first_file = s.audio.iter().position(|v| v.abs() > 0.01).expect("sound");
    let expect = first_heard + RATE as usize - first_file;
    let (c, _) = best_lag(
        &s.audio,
        RATE as usize,
        RATE as usize / 2,
        &heard,
        expect - 2205..expect + 2205,
    );
    assert!(c > 0.95, "the stream is the file: {c:.3}");

    // End-to-end delay: when the listener received the bulletin's first sound, against
    // when the card's capture got it. Icecast here sends no burst, the listener reads at
    // once: what remains is the stream's own delay (a block, the encoder, the network).
    let (pace, _) = pacer::read_log(&s.cap.path().join("timed.log"));
    let heard_air = pacer::written_at(&pace, first_air * 4);
    // Bytes up to the first sound: roughly first_heard / rate seconds of 128 kbit/s.
    let offset = (first_heard as f64 / f64::from(RATE) * 16_000.0) as usize;
    let mut total = 0;
    let received = chunks
        .iter()
        .find(|(_, c)| {
            total += c.len();
            total > offset
        })
        .map(|(t, _)| *t)
        .expect("the first sound arrived");
    let delay = received - heard_air;
    eprintln!(
        "end-to-end: the listener got the first sound {:.0} ms after the card's capture",
        delay * 1e3
    );
    assert!((-1.0..2.0).contains(&delay), "stream delay {delay:.3} s");
}

#[test]
fn icecast_killed_mid_program_the_card_plays_on_the_stream_comes_back_the_record_shows_the_outage()
{
    let mut ice = Icecast::start();
    let mut s = setup(&ice.source_url(MOUNT), 16.0, "hold = \"5s\"");
    let agent = agent();
    fire_in(&s.t, &s.daemon, 3);
    wait_for(&agent, &s.base, 15, "the bulletin airs", |n| {
        n["on_air"]["title"] == TITLE
    });
    ice.wait_for_source(MOUNT, 5);
    std::thread::sleep(Duration::from_secs(3));
    let killed = icecast::wall();
    ice.kill();
    wait_for(&agent, &s.base, 10, "the stream is seen lost", |n| {
        n["streams"][0]["phase"] == "retrying"
            && n["warnings"]
                .as_array()
                .is_some_and(|w| w.iter().any(|w| w["code"] == "stream_lost"))
    });
    let said = loaxa(&s.t.config_path(), &["now"]);
    let said = String::from_utf8_lossy(&said.stdout).to_string();
    assert!(
        said.contains("luồng phát:  loa-xa.mp3") && said.contains("mất kết nối, đang thử lại"),
        "{said}"
    );
    assert!(said.contains("CẢNH BÁO: luồng phát `loa-xa.mp3`"), "{said}");
    std::thread::sleep(Duration::from_secs(1));
    ice.restart();
    let back = icecast::wall();
    ice.wait_for_source(MOUNT, 10);
    let reconnected = icecast::wall();
    // Back on the air, a listener hears the bulletin again.
    let listener = Listener::start(&ice.listen_url(MOUNT));
    std::thread::sleep(Duration::from_secs(2));
    let n = now(&agent, &s.base);
    assert_eq!(n["streams"][0]["phase"], "on_air", "{n}");
    assert!(
        !n["warnings"]
            .as_array()
            .is_some_and(|w| w.iter().any(|w| w["code"] == "stream_lost")),
        "the warning is gone once the stream is back: {n}"
    );
    wait_for(&agent, &s.base, 20, "the bulletin ends", |n| {
        n["on_air"].is_null()
    });
    let chunks = listener.finish();
    s.daemon.stop();
    eprintln!(
        "server down {:.1} s; the stream was back {:.1} s after the server",
        back - killed,
        reconnected - back
    );
    // Retried with a doubling wait of 1, 2, 4 s: back within 4 s of the server.
    assert!(
        reconnected - back < 4.5,
        "reconnected {:.1} s after the server came back",
        reconnected - back
    );
    let bytes: Vec<u8> = chunks.iter().flat_map(|(_, c)| c.clone()).collect();
    let (_, heard) = decode_mp3(&bytes);
    assert!(
        heard.iter().filter(|v| v.abs() > 0.01).count() > RATE as usize,
        "the listener after the restart heard the bulletin ({} samples)",
        heard.len()
    );

    // The card: the whole bulletin, with no gap, while the server was down.
    let air = capture_mono(s.cap.path());
    let (first, last) = sound_span(&air, "the capture");
    let aired = (last + 1 - first) as f64 / f64::from(RATE);
    assert!(
        (15.9..16.1).contains(&aired),
        "the card aired {aired:.3} s of 16 s"
    );
    let (c, lag) = from_the_file(&s.audio, &air, first, s.audio.len() - RATE as usize);
    assert!(
        c > 0.99,
        "the card aired the file whole: correlation {c:.4} at lag {lag}"
    );

    // The record: completed, the stream's gap about the outage (killed → reconnected).
    let rec = bulletin_record(&s.t);
    let gap = rec.streams[0].gap_ms as f64 / 1000.0;
    let outage = reconnected - killed;
    eprintln!("record: the stream's gap {gap:.2} s, the outage seen by the test {outage:.2} s");
    // The gap covers the outage and what was in flight when the server went (at most the
    // send buffer's 2 s): never less than the outage, never much more.
    assert!(
        gap > outage - 0.6 && gap < outage + 2.6,
        "gap {gap:.2} s for an outage of {outage:.2} s: {rec:#?}"
    );
}

#[test]
fn a_station_without_a_sound_card_streams_alone_at_the_pace_of_the_clock() {
    let ice = Icecast::start();
    let mut s = setup_on(&ice.source_url(MOUNT), 6.0, "", None);
    let agent = agent();
    fire_in(&s.t, &s.daemon, 3);
    ice.wait_for_source(MOUNT, 10);
    let listener = Listener::start(&ice.listen_url(MOUNT));
    wait_for(&agent, &s.base, 15, "the bulletin airs", |n| {
        n["on_air"]["title"] == TITLE
    });
    let began = Instant::now();
    wait_for(&agent, &s.base, 20, "the bulletin ends", |n| {
        n["on_air"].is_null()
    });
    let took = began.elapsed().as_secs_f64();
    std::thread::sleep(Duration::from_millis(1500));
    let chunks = listener.finish();
    s.daemon.stop();
    // Paced by the clock, not as fast as it decodes.
    assert!(
        (5.0..7.5).contains(&took),
        "the 6 s bulletin took {took:.2} s"
    );
    let bytes: Vec<u8> = chunks.iter().flat_map(|(_, c)| c.clone()).collect();
    let (_, heard) = decode_mp3(&bytes);
    let (first, last) = sound_span(&heard, "the stream");
    let length = (last + 1 - first) as f64 / f64::from(RATE);
    assert!(
        (5.8..6.1).contains(&length),
        "the stream carried {length:.3} s of 6 s"
    );
    let (c, _) = from_the_file(&s.audio, &heard, first, 4 * RATE as usize);
    assert!(c > 0.95, "the stream is the file: {c:.3}");
    let rec = records(&s.t)
        .into_iter()
        .find(|r| r.title == TITLE)
        .expect("record");
    assert_eq!(rec.outcome, Outcome::Completed);
    assert_eq!(
        (rec.output.as_str(), rec.streams[0].gap_ms),
        ("null", 0),
        "{rec:#?}"
    );
}

/// Two mounts: one for every program, one for the clusters of zone `thon-1` only. A program
/// for `thon-2` goes out on the first; on the second as silence with an empty title, and the
/// record says so.
#[test]
fn a_program_for_other_zones_goes_out_as_silence_on_a_zoned_stream_and_the_record_says_so() {
    let ice = Icecast::start();
    let zoned = format!(
        "zones = [\"thon-2\"]\n\n[[stream]]\nurl = \"{}\"\nname = \"Thôn 1\"\nzones = [\"thon-1\"]\nbitrate = 128\nsample_rate = 44100\n",
        ice.source_url("/thon-1.mp3")
    );
    // The program's `zones` goes after its other keys: `setup_on` writes `[[program]]` first.
    let mut s = setup_on(&ice.source_url(MOUNT), 5.0, "", None);
    let config = std::fs::read_to_string(s.t.config_path()).expect("config");
    let config = config.replacen(
        "queue = false\n",
        &format!(
            "queue = false\n{}",
            zoned.split("\n\n").next().unwrap_or_default()
        ),
        1,
    );
    let config = format!(
        "{config}\n{}",
        zoned.split_once("\n\n").map(|(_, r)| r).unwrap_or_default()
    );
    std::fs::write(s.t.config_path(), config).expect("config");
    s.daemon.stop();
    let mut daemon = Daemon::spawn_with_env(&s.t.config_path(), &[]);
    let base = daemon.api_address(&s.t.path("data"));
    let agent = agent();
    fire_in(&s.t, &daemon, 3);
    ice.wait_for_source(MOUNT, 10);
    ice.wait_for_source("/thon-1.mp3", 10);
    let (all, thon1) = (
        Listener::start(&ice.listen_url(MOUNT)),
        Listener::start(&ice.listen_url("/thon-1.mp3")),
    );
    wait_for(&agent, &base, 15, "the bulletin airs", |n| {
        n["on_air"]["title"] == TITLE
    });
    wait_for(&agent, &base, 20, "the bulletin ends", |n| {
        n["on_air"].is_null()
    });
    std::thread::sleep(Duration::from_millis(1500));
    let title_thon1 = ice.source("/thon-1.mp3").map(|src| src["title"].clone());
    let (all, thon1) = (all.finish(), thon1.finish());
    let decoded = |chunks: Vec<(f64, Vec<u8>)>| {
        let bytes: Vec<u8> = chunks.into_iter().flat_map(|(_, c)| c).collect();
        decode_mp3(&bytes).1
    };
    let (all, thon1) = (decoded(all), decoded(thon1));

    // The segment's own zones come before its program's: marked for thôn 1 (a bad name is
    // refused in Vietnamese), it airs on the zoned stream too (played by hand, no program).
    let cli = |args: &[&str]| loaxa(&s.t.config_path(), args);
    let bad = cli(&["segment", "edit", "1", "--zones", "thôn 1"]);
    assert!(!bad.status.success());
    assert!(
        String::from_utf8_lossy(&bad.stderr).contains("tên vùng `thôn 1` không hợp lệ"),
        "{}",
        String::from_utf8_lossy(&bad.stderr)
    );
    let ok = cli(&["segment", "edit", "1", "--zones", "thon-1, thon-3"]);
    assert!(
        ok.status.success(),
        "{}",
        String::from_utf8_lossy(&ok.stderr)
    );
    let shown = String::from_utf8_lossy(&cli(&["segment", "show", "1"]).stdout).to_string();
    assert!(shown.contains("thon-1, thon-3"), "{shown}");
    let again = Listener::start(&ice.listen_url("/thon-1.mp3"));
    assert!(cli(&["play", "--now", "1"]).status.success());
    wait_for(&agent, &base, 15, "the bulletin airs by hand", |n| {
        n["on_air"]["title"] == TITLE
    });
    wait_for(&agent, &base, 20, "the bulletin ends", |n| {
        n["on_air"].is_null()
    });
    std::thread::sleep(Duration::from_millis(1500));
    let again = decoded(again.finish());
    daemon.stop();
    let loud = |v: &[f32]| v.iter().filter(|x| x.abs() > 0.01).count();
    assert!(
        loud(&all) > 4 * RATE as usize,
        "the stream for all carried it: {} loud samples",
        loud(&all)
    );
    assert!(
        thon1.len() > 4 * RATE as usize,
        "the zoned stream stayed on the air: {} samples",
        thon1.len()
    );
    assert_eq!(loud(&thon1), 0, "the zoned stream carried silence");
    assert!(
        title_thon1.as_ref().is_none_or(|t| t.is_null() || *t == ""),
        "no title on the zoned stream: {title_thon1:?}"
    );
    let rec = records(&s.t)
        .into_iter()
        .find(|r| r.title == TITLE)
        .expect("record");
    let by_name: std::collections::HashMap<_, _> = rec
        .streams
        .iter()
        .map(|c| (c.stream.as_str(), c.other_zone))
        .collect();
    assert_eq!(by_name.get("loa-xa.mp3"), Some(&false), "{rec:#?}");
    assert_eq!(by_name.get("Thôn 1"), Some(&true), "{rec:#?}");
    assert!(
        loud(&again) > 4 * RATE as usize,
        "the zoned stream carried the segment for its zone: {} loud samples",
        loud(&again)
    );
    let by_hand = records(&s.t)
        .into_iter()
        .filter(|r| r.title == TITLE)
        .nth(1)
        .expect("the second airing");
    assert!(
        by_hand
            .streams
            .iter()
            .all(|c| !c.other_zone && c.gap_ms == 0),
        "{by_hand:#?}"
    );
}

/// The On-air page in a real Chromium: one stream on the air, one whose server is not there
/// (retrying, with the cause); pushed as they change.
#[test]
fn the_page_shows_each_stream_on_the_air_or_retrying_with_the_cause() {
    let ice = Icecast::start();
    let closed = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free port")
        .port();
    let dead = format!(
        "[[stream]]\nurl = \"icecast://source:x@127.0.0.1:{closed}/chet.mp3\"\nname = \"Thôn 3\"\n"
    );
    let mut s = setup_on(&ice.source_url(MOUNT), 8.0, &dead, None);
    let downloads = tempfile::tempdir().expect("tempdir");
    let browser = webdriver::Browser::start(downloads.path(), 1280, 900);
    browser.goto(&format!("{}/#now", s.base));
    browser.wait("body[data-ready] main[data-page=\"now\"] #stream-list", 10);
    let idle = browser.wait_text(
        "#stream-list li[data-stream=\"loa-xa.mp3\"]",
        5,
        "the stream, idle",
        |t| t.starts_with("nghỉ"),
    );
    assert!(idle.contains(&ice.listen_url(MOUNT)), "{idle}");
    fire_in(&s.t, &s.daemon, 3);
    browser.wait_text(
        "#stream-list li[data-stream=\"loa-xa.mp3\"]",
        10,
        "the stream on the air",
        |t| t.starts_with("đang phát"),
    );
    let lost = browser.wait_text(
        "#stream-list li[data-stream=\"Thôn 3\"]",
        10,
        "the dead stream retrying",
        |t| t.starts_with("mất kết nối, đang thử lại"),
    );
    assert!(
        lost.contains("không kết nối được"),
        "the cause, in Vietnamese: {lost}"
    );
    let warnings = browser.text(&browser.wait("#warning-list", 5));
    assert!(warnings.contains("Luồng phát Thôn 3"), "{warnings}");
    s.daemon.stop();
}

/// A "server" that takes the source connection and then stops reading (a stalled link, a
/// hung server): the card airs the whole bulletin without a gap; the stream's writes block,
/// it gives up on the connection after 5 s and connects again; the record shows the gap.
#[test]
fn a_server_that_stops_reading_costs_the_card_nothing() {
    use std::io::{Read, Write};
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    // Accepted connections inherit it: a few KB and the sender's window is shut.
    rustix::net::sockopt::set_socket_recv_buffer_size(&listener, 4096).expect("SO_RCVBUF");
    let port = listener.local_addr().expect("addr").port();
    let sources = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let count = sources.clone();
    std::thread::spawn(move || {
        let mut held = Vec::new();
        for conn in listener.incoming() {
            let Ok(mut conn) = conn else { continue };
            let mut head = Vec::new();
            let mut byte = [0u8; 1];
            while !head.ends_with(b"\r\n\r\n") && head.len() < 16_384 {
                match conn.read(&mut byte) {
                    Ok(1) => head.push(byte[0]),
                    _ => break,
                }
            }
            let _ = conn.write_all(b"HTTP/1.0 200 OK\r\n\r\n");
            if head.starts_with(b"PUT ") {
                count.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                held.push(conn); // never read again
            }
        }
    });
    let stalled = format!("icecast://source:x@127.0.0.1:{port}/treo.mp3");
    let mut s = setup(&stalled, 20.0, "");
    let agent = agent();
    fire_in(&s.t, &s.daemon, 3);
    wait_for(&agent, &s.base, 15, "the bulletin airs", |n| {
        n["on_air"]["title"] == TITLE
    });
    wait_for(&agent, &s.base, 30, "the bulletin ends", |n| {
        n["on_air"].is_null()
    });
    std::thread::sleep(Duration::from_millis(1500));
    s.daemon.stop();
    let connections = sources.load(std::sync::atomic::Ordering::Relaxed);
    let rec = bulletin_record(&s.t);
    eprintln!(
        "source connections: {connections}; the record: {:?}",
        rec.streams
    );

    let air = capture_mono(s.cap.path());
    let (first, last) = sound_span(&air, "the capture");
    let aired = (last + 1 - first) as f64 / f64::from(RATE);
    assert!(
        (19.9..20.1).contains(&aired),
        "the card aired {aired:.3} s of 20 s"
    );
    let (c, lag) = from_the_file(&s.audio, &air, first, s.audio.len() - RATE as usize);
    assert!(
        c > 0.99,
        "the card aired the file whole: correlation {c:.4} at lag {lag}"
    );
    assert!(
        connections >= 2,
        "the stalled connection was given up and made again: {connections}"
    );
    assert!(
        rec.streams[0].gap_ms >= 1_000,
        "what did not reach the server is the stream's gap: {:?}",
        rec.streams
    );
}

#[test]
fn check_asks_the_stream_server_and_a_bad_stream_url_is_refused_with_its_place() {
    let ice = Icecast::start();
    let t = TestStation::new(
        &format!(
            "[[stream]]\nurl = \"{}\"\nzones = [\"thon-1\"]\n",
            ice.source_url(MOUNT)
        ),
        &[],
        local(2026, 5, 4, 4, 59, 0),
    );
    let out = loaxa(&t.config_path(), &["check"]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{text}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        text.contains("luồng phát `loa-xa.mp3`") && text.contains("máy chủ trả lời Icecast"),
        "{text}"
    );
    assert!(
        !text.contains(icecast::PASSWORD),
        "the password is never printed: {text}"
    );

    let bad = TestStation::new(
        "[[stream]]\nurl = \"icecast://127.0.0.1:8000/loa-xa.mp3\"\nbitrate = 100\n",
        &[],
        local(2026, 5, 4, 4, 59, 0),
    );
    let out = loaxa(&bad.config_path(), &["check"]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success());
    assert!(err.contains("loaxa.toml:"), "file:line:col: {err}");
    assert!(err.contains("thiếu mật khẩu nguồn"), "{err}");
    assert!(err.contains("`bitrate` = 100 không hợp lệ"), "{err}");
}
