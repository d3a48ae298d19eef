//! Broadcast sound measured on what went out: joins between items of different formats
//! insert nothing, and every kind of cut (stop, skip, emergency, `max_duration`) ends with a
//! fade of the configured length and no click — on the `wav:` output (the real daemon on a
//! simulated clock) and on the real rodio → cpal → ALSA path (alsa-lib's `file` plugin).

#[path = "support/alsa_child.rs"]
mod alsa_child;
#[path = "support/running.rs"]
mod running;
#[path = "support/signal.rs"]
mod signal;
#[path = "support/station.rs"]
mod station;
#[path = "support/wav.rs"]
mod wav;

use std::path::{Path, PathBuf};
use std::time::Duration;

use loaxa::model::{Outcome, OutputSpec, Role, SegmentId};
use loaxa::player::{ItemEnd, OutputFormat, Player, PlayerEvent};
use running::Running;
use station::{TestStation, local};

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name)
}

/// MP3 44.1 kHz stereo, FLAC 22.05 kHz mono, WAV 48 kHz stereo.
fn mixed_formats() -> Vec<PathBuf> {
    [
        "noise-44k1-stereo.mp3",
        "noise-22k05-mono.flac",
        "noise-48k-stereo.wav",
    ]
    .into_iter()
    .map(fixture)
    .collect()
}

/// The program as it should air: each item decoded, mapped and resampled on its own, back
/// to back. Also returns where each item starts (in samples).
fn expected_program(items: &[PathBuf], rate: u32, channels: u16) -> (Vec<f32>, Vec<usize>) {
    let mut out = Vec::new();
    let mut starts = Vec::new();
    for p in items {
        starts.push(out.len());
        out.extend(signal::expected_item(p, rate, channels));
    }
    (out, starts)
}

/// Checks the output against the expected program sample by sample and prints each join.
fn assert_gapless(out: &[f32], expect: &[f32], starts: &[usize], channels: u16) {
    assert_eq!(
        out.len(),
        expect.len(),
        "output length: a join inserted or dropped samples"
    );
    let worst = out
        .iter()
        .zip(expect)
        .enumerate()
        .map(|(i, (a, b))| ((a - b).abs(), i))
        .fold((0.0f32, 0), |m, x| if x.0 > m.0 { x } else { m });
    assert!(
        worst.0 <= 1e-6,
        "sample {} differs by {} (joins at {starts:?})",
        worst.1,
        worst.0
    );
    let ch = usize::from(channels);
    for &b in &starts[1..] {
        let step = (out[b] - out[b - ch]).abs();
        let inside = signal::max_step(&signal::channel(&expect[b - 4800 * ch..b], channels, 0)).0;
        println!(
            "join at sample {b}: step {step:.4} (the sources' own steps up to {inside:.4} just before); \
             around it {:?}",
            &out[b - 2 * ch..b + 2 * ch]
        );
        assert!(
            out[b - ch..b + ch].iter().any(|&s| s != 0.0),
            "no silence at the join"
        );
    }
}

fn play_to_wav(items: Vec<PathBuf>, format: OutputFormat, out: &Path) -> Vec<PlayerEvent> {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_time()
        .start_paused(true)
        .build()
        .expect("runtime");
    rt.block_on(async {
        let mut player = Player::new(OutputSpec::Wav(out.to_path_buf()), format).expect("wav");
        let mut run = player.start(items).expect("start");
        let mut events = Vec::new();
        while let Some(e) = run.next_event().await {
            events.push(e);
        }
        events
    })
}

#[test]
fn mp3_flac_and_wav_join_without_an_inserted_sample_on_the_wav_output() {
    let dir = tempfile::tempdir().expect("tempdir");
    for channels in [2u16, 1] {
        let out = dir.path().join(format!("air-{channels}.wav"));
        let format = OutputFormat {
            sample_rate: Some(48_000),
            channels: Some(channels),
            ..OutputFormat::default()
        };
        let items = mixed_formats();
        let events = play_to_wav(items.clone(), format, &out);
        let completed = events
            .iter()
            .filter(|e| {
                matches!(
                    e,
                    PlayerEvent::Ended {
                        end: ItemEnd::Completed,
                        levels: Some(_),
                        ..
                    }
                )
            })
            .count();
        assert_eq!(completed, 3, "{events:?}");
        let (rate, got_channels, samples) = wav::read_wav_f32(&out);
        assert_eq!((rate, got_channels), (48_000, channels));
        let (expect, starts) = expected_program(&items, 48_000, channels);
        println!("{channels} channel(s):");
        assert_gapless(&samples, &expect, &starts, channels);
    }
}

#[test]
fn a_stereo_item_on_a_mono_output_is_the_average_of_its_channels() {
    // Left and right carry different noise: keeping one side would not be the average.
    let dir = tempfile::tempdir().expect("tempdir");
    let item = dir.path().join("lr.wav");
    let lr = wav::noise(4800, 2, 31, 0.6);
    wav::write_wav(&item, 48_000, 2, wav::Bits::F32, &lr);
    let out = dir.path().join("mono.wav");
    let format = OutputFormat {
        sample_rate: Some(48_000),
        channels: Some(1),
        ..OutputFormat::default()
    };
    play_to_wav(vec![item], format, &out);
    let (_, channels, samples) = wav::read_wav_f32(&out);
    assert_eq!(channels, 1);
    let average: Vec<f32> = lr.chunks_exact(2).map(|f| (f[0] + f[1]) * 0.5).collect();
    assert_eq!(samples.len(), average.len());
    let worst = samples
        .iter()
        .zip(&average)
        .map(|(a, b)| (a - b).abs())
        .fold(0.0f32, f32::max);
    assert!(worst <= 1e-6, "differs from (L+R)/2 by {worst}");
}

// --- Cuts on the wav output, by the real daemon ------------------------------------------

const RATE: u32 = 48_000;
const AMP: f32 = 0.5;
/// 201.25 Hz: items of 4 s, 8 s… hold whole periods (805 per 4 s), so they end on a zero
/// crossing and every step in the output is the sine's own or a cut's; and the file output's
/// 200 ms pieces hold 40¼ periods, so cuts (which land on their edges) fall at the sine's
/// peaks, where a cut without a fade would step by the full amplitude.
const FREQ: f64 = 201.25;
/// A period is 238.5 frames: chunks of 239 hold a whole one (and its peak).
const PERIOD: usize = 239;

const CUT_PROGRAMS: &str = r#"
# These tests compare what aired with the files themselves: no loudness normalisation.
[audio]
normalise = false
[[program]]
name = "dung"
cron = "0 6 * * *"
playlists = ["ab"]
queue = false

[[program]]
name = "boqua"
cron = "0 7 * * *"
playlists = ["ab"]
queue = false

[[program]]
name = "khancap"
cron = "0 8 * * *"
playlists = ["ab"]
queue = false

[[program]]
name = "ngan"
cron = "0 9 * * *"
intro = "../media/a.wav"
max_duration = "3s"
queue = true

[[program]]
name = "dung2"
cron = "0 10 * * *"
playlists = ["ab"]
queue = false
"#;

const AB: &str = "order = \"sequential\"\n[[item]]\nsegment = 1\n[[item]]\nsegment = 2\n";

fn write_sine(path: &Path, secs: usize) {
    let s = signal::sine(RATE, 2, secs * RATE as usize, FREQ, AMP);
    wav::write_wav(path, RATE, 2, wav::Bits::F32, &s);
}

/// `at` past the full second `h:m:s` on 2026-03-02.
fn at_ms(h: u32, m: u32, s: u32, ms: i64) -> chrono::DateTime<chrono::FixedOffset> {
    local(2026, 3, 2, h, m, s) + chrono::Duration::milliseconds(ms)
}

#[tokio::test(start_paused = true)]
async fn every_kind_of_cut_fades_in_its_time_without_a_click_on_the_wav_output() {
    let t = TestStation::with_output_keys(
        CUT_PROGRAMS,
        &[("ab.toml", AB)],
        local(2026, 3, 2, 5, 0, 0),
        "fade_ms = 200",
    );
    for (name, secs) in [("a", 8), ("b", 4), ("e", 12)] {
        write_sine(&t.path(&format!("media/{name}.wav")), secs);
    }
    let station = t.station();
    for (i, name) in ["a", "b", "e"].iter().enumerate() {
        let id = t.add(&station, &format!("media/{name}.wav"), t.meta(name));
        assert_eq!(id, SegmentId(i as u64 + 1));
    }
    let air = t.path("air.wav");
    let d = Running::start_with_output(station, Some(OutputSpec::Wav(air.clone())));
    // Stop at 1.370 s, skip at 2.113 s, an emergency at 0.731 s, max_duration at 3 s, stop
    // at 3.517 s: arbitrary points of the sine.
    d.until(at_ms(6, 0, 1, 370)).await;
    d.handle.stop().await.expect("stop");
    d.until(at_ms(7, 0, 2, 113)).await;
    d.handle.skip().await.expect("skip");
    d.until(at_ms(8, 0, 0, 731)).await;
    d.handle
        .emergency(SegmentId(3), None)
        .await
        .expect("emergency");
    d.until(at_ms(10, 0, 3, 517)).await;
    d.handle.stop().await.expect("stop");
    d.until(local(2026, 3, 2, 11, 0, 0)).await;
    let records = station::in_english(d.stop().await);

    let summary: Vec<(String, Role, String, Outcome)> = records
        .iter()
        .map(|r| (r.program.clone(), r.role, r.title.clone(), r.outcome))
        .collect();
    println!("{summary:#?}");
    let cut: Vec<(&str, &str)> = records
        .iter()
        .filter(|r| r.outcome == Outcome::Interrupted)
        .map(|r| (r.program.as_str(), r.reason.as_deref().unwrap_or("")))
        .collect();
    println!("cuts: {cut:?}");
    assert_eq!(
        cut.iter().map(|c| c.0).collect::<Vec<_>>(),
        ["dung", "boqua", "khancap", "ngan", "dung2"]
    );
    assert!(
        records
            .iter()
            .filter(|r| r.outcome == Outcome::Interrupted)
            .all(|r| r.played_ms > 0 && r.peak_dbfs.is_some() && !r.silent),
        "every cut item aired and was measured: {records:#?}"
    );

    let (rate, channels, samples) = wav::read_wav_f32(&air);
    assert_eq!((rate, channels), (RATE, 2));
    for c in 0..2 {
        let x = signal::channel(&samples, 2, c);
        // The sine's own largest step, plus the steepest fade's (30 ms) slope.
        let natural = 2.0 * AMP * (std::f64::consts::PI * FREQ / f64::from(RATE)).sin() as f32;
        let limit = natural + AMP / 1440.0 + 1e-5;
        let (step, at) = signal::max_step(&x);
        println!("channel {c}: max step {step:.5} at frame {at} (limit {limit:.5})");
        assert!(
            step <= limit,
            "a click: step {step} at frame {at} (the sine alone steps {natural})"
        );
        let fades = signal::fades(&x, AMP, PERIOD);
        let found: Vec<(usize, f64, f64)> = fades
            .iter()
            .map(|f| (f.start, f.frames / f64::from(RATE) * 1000.0, f.misfit))
            .collect();
        println!("channel {c}: fades (start frame, ms, misfit) {found:?}");
        let want = [200.0, 200.0, 30.0, 200.0, 200.0];
        assert_eq!(found.len(), want.len(), "one fade per cut: {found:?}");
        for ((_, ms, misfit), want) in found.iter().zip(want) {
            assert!(
                (ms - want).abs() <= want * 0.02,
                "fade of {ms:.2} ms, configured {want} ms"
            );
            assert!(*misfit <= 0.03, "not a straight fade: misfit {misfit}");
        }
    }
}

// --- The same on the real output path ----------------------------------------------------

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_time()
        .build()
        .expect("tokio runtime")
}

#[test]
fn mp3_flac_and_wav_join_without_an_inserted_sample_on_the_sound_card() {
    alsa_child::run_child("child_capture_mixed_joins");
}

#[test]
#[ignore = "helper: run by mp3_flac_and_wav_join_without_an_inserted_sample_on_the_sound_card"]
fn child_capture_mixed_joins() {
    let Some(dir) = alsa_child::child_dir() else {
        return;
    };
    let format = OutputFormat {
        sample_rate: Some(48_000),
        channels: Some(2),
        ..OutputFormat::default()
    };
    let items = mixed_formats();
    let mut player = Player::new(OutputSpec::Device("cap_raw".into()), format).expect("device");
    let events = runtime().block_on(async {
        let mut run = player.start(items.clone()).expect("device opens");
        let mut events = Vec::new();
        while let Some(e) = run.next_event().await {
            events.push(e);
        }
        events
    });
    println!("events: {events:?}");
    std::thread::sleep(Duration::from_millis(1500)); // the stream drains and closes
    let captured = alsa_child::read_f32(&dir.join("cap.raw"));
    let (expect, starts) = expected_program(&items, 48_000, 2);
    let lead = expect.iter().position(|&s| s != 0.0).expect("sound");
    let first = captured
        .iter()
        .position(|&s| s != 0.0)
        .expect("the program reached the capture");
    assert!(first >= lead && (first - lead) % 2 == 0, "frame aligned");
    let got = &captured[first - lead..];
    assert!(
        got.len() >= expect.len(),
        "capture shorter than the program"
    );
    assert_gapless(&got[..expect.len()], &expect, &starts, 2);
    assert!(
        got[expect.len()..].iter().take(4096).all(|&s| s == 0.0),
        "silence after the program"
    );
}

#[test]
fn cuts_fade_without_a_click_on_the_sound_card() {
    alsa_child::run_child("child_paced_cuts");
}

#[test]
#[ignore = "helper: run by cuts_fade_without_a_click_on_the_sound_card"]
fn child_paced_cuts() {
    let Some(dir) = alsa_child::child_dir() else {
        return;
    };
    if let Err(why) = paced_cuts(&dir) {
        panic!("the fades could not be measured: {why}");
    }
}

/// The paced cut scenario; `Err` when the fades are not the three expected straight ones.
fn paced_cuts(dir: &Path) -> Result<(), String> {
    // cap_paced: 44.1 kHz stereo S16 in real time. 210 Hz has a period of 210 frames.
    const RATE: u32 = 44_100;
    const FREQ: f64 = 210.0;
    let a = dir.join("a.wav");
    let b = dir.join("b.wav");
    for p in [&a, &b] {
        let s = signal::sine(RATE, 2, 3 * RATE as usize, FREQ, AMP);
        wav::write_wav(p, RATE, 2, wav::Bits::F32, &s);
    }
    let format = OutputFormat {
        sample_rate: Some(RATE),
        channels: Some(2),
        fade: Duration::from_millis(200),
        ..OutputFormat::default()
    };
    let mut player = Player::new(OutputSpec::Device("cap_paced".into()), format).expect("device");
    let events = runtime().block_on(async {
        let mut run = player.start(vec![a, b.clone()]).expect("device opens");
        let cutter = run.cutter();
        let cuts = async move {
            // A skip-like splice 0.457 s into the first item (200 ms fade), then an
            // emergency-like one 0.836 s into the next (30 ms), then a stop 0.818 s later.
            tokio::time::sleep(Duration::from_millis(457)).await;
            cutter.splice(vec![(1, b.clone())], Duration::from_millis(200));
            tokio::time::sleep(Duration::from_millis(836)).await;
            cutter.splice(vec![(2, b)], Duration::from_millis(30));
            tokio::time::sleep(Duration::from_millis(818)).await;
            cutter.cut();
        };
        let mut cuts = Some(cuts);
        let mut events = Vec::new();
        while let Some(e) = run.next_event().await {
            // Timed from the first sample (opening the device may take a while on a busy
            // machine).
            if matches!(e, PlayerEvent::Started { index: 0, .. })
                && let Some(cuts) = cuts.take()
            {
                tokio::spawn(cuts);
            }
            events.push(e);
        }
        events
    });
    println!("events: {events:?}");
    let cuts = events
        .iter()
        .filter(|e| {
            matches!(
                e,
                PlayerEvent::Ended {
                    end: ItemEnd::Cut,
                    ..
                }
            )
        })
        .count();
    assert_eq!(cuts, 3, "{events:?}");
    std::thread::sleep(Duration::from_millis(1500)); // the pacer writes the pipe's tail
    let captured = alsa_child::read_s16(&dir.join("paced.raw"));
    let mut wrong = None;
    for c in 0..2 {
        let x = signal::channel(&captured, 2, c);
        let natural = 2.0 * AMP * (std::f64::consts::PI * FREQ / f64::from(RATE)).sin() as f32;
        let limit = natural + AMP / 1323.0 + 2.0 / 32768.0;
        let (step, at) = signal::max_step(&x);
        println!("channel {c}: max step {step:.5} at frame {at} (limit {limit:.5})");
        assert!(step <= limit, "a click: step {step} at frame {at}");
        let fades = signal::fades(&x, AMP, 210);
        let found: Vec<(f64, f64)> = fades
            .iter()
            .map(|f| (f.frames / f64::from(RATE) * 1000.0, f.misfit))
            .collect();
        println!("channel {c}: fades (ms, misfit) {found:?}");
        let want = [200.0, 30.0, 200.0];
        if found.len() != want.len() || found.iter().any(|f| f.1 > 0.03) {
            wrong = Some(format!("channel {c}: fades {found:?}"));
            continue;
        }
        for ((ms, _), want) in found.iter().zip(want) {
            assert!(
                (ms - want).abs() <= want * 0.03,
                "fade {ms:.2} ms, want {want}"
            );
        }
    }
    wrong.map_or(Ok(()), Err)
}
