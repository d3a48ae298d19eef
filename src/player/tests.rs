//! Player tests with generated signals: the program source pulled directly (sample-exact
//! checks) and the file outputs under a paused tokio clock (timing checks).

#[path = "../../tests/support/wav.rs"]
pub(super) mod wav;

use std::num::NonZero;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use chrono::{TimeZone, Utc};
use tokio::sync::mpsc;

use super::control::Control;
use super::program::ProgramSource;
use super::*;
use crate::audio::FileDecoder;
use crate::clock::{SharedClock, SimClock};
use wav::{Bits, convert_channels, noise, write_wav};

fn decode_all(path: &Path) -> (u32, u16, Vec<f32>) {
    let mut dec = FileDecoder::open(path).expect("decodable test file");
    let (rate, channels) = (dec.info().sample_rate, dec.info().channels);
    let mut out = Vec::new();
    while let Some(block) = dec.next_block().expect("clean decode") {
        out.extend_from_slice(block);
    }
    (rate, channels, out)
}

/// Expected output of a program at `channels`, all items at the output rate.
fn expected(paths: &[&Path], channels: u16) -> Vec<f32> {
    let mut out = Vec::new();
    for p in paths {
        let (_, ch, samples) = decode_all(p);
        out.extend(convert_channels(&samples, ch, channels));
    }
    out
}

fn nz16(v: u16) -> NonZero<u16> {
    NonZero::new(v).expect("nonzero")
}
fn nz32(v: u32) -> NonZero<u32> {
    NonZero::new(v).expect("nonzero")
}

struct Pulled {
    source: ProgramSource,
    control: Arc<Control>,
    events: mpsc::UnboundedReceiver<PlayerEvent>,
}

fn program(items: &[&Path], channels: u16, rate: u32, fade: Duration) -> Pulled {
    let (tx, rx) = mpsc::unbounded_channel();
    let keyed: Vec<PlayItem> = items
        .iter()
        .map(|p| p.to_path_buf())
        .enumerate()
        .map(PlayItem::from)
        .collect();
    let control = Arc::new(Control::new(tx, keyed.clone()));
    let source = ProgramSource::new(keyed, nz16(channels), nz32(rate), fade, control.clone());
    Pulled {
        source,
        control,
        events: rx,
    }
}

fn drain(rx: &mut mpsc::UnboundedReceiver<PlayerEvent>) -> Vec<PlayerEvent> {
    let mut out = Vec::new();
    while let Ok(e) = rx.try_recv() {
        out.push(unmetered(e));
    }
    out
}

/// The event without its measured levels (checked by the meter's own tests), so events
/// compare by what happened.
fn unmetered(mut e: PlayerEvent) -> PlayerEvent {
    if let PlayerEvent::Ended { levels, .. } = &mut e {
        *levels = None;
    }
    e
}

fn secs(frames: u64, rate: u32) -> Duration {
    program::frames_to_duration(frames, rate)
}

fn ended(index: usize, played: Duration) -> PlayerEvent {
    PlayerEvent::Ended {
        index,
        played,
        end: ItemEnd::Completed,
        levels: None,
    }
}

#[test]
fn items_join_gaplessly_in_order() {
    let dir = tempfile::tempdir().expect("temp dir");
    let a = dir.path().join("a.wav");
    let b = dir.path().join("b.wav");
    let c = dir.path().join("c.wav");
    write_wav(&a, 48_000, 2, Bits::S16, &noise(1000, 2, 1, 0.8));
    write_wav(&b, 48_000, 2, Bits::F32, &noise(2500, 2, 2, 0.8));
    write_wav(&c, 48_000, 2, Bits::S24, &noise(777, 2, 3, 0.8));
    let mut p = program(&[&a, &b, &c], 2, 48_000, DEFAULT_FADE);
    let out: Vec<f32> = p.source.by_ref().collect();
    assert_eq!(
        out,
        expected(&[&a, &b, &c], 2),
        "output = exact concatenation"
    );
    assert_eq!(
        drain(&mut p.events),
        vec![
            PlayerEvent::Started { index: 0, at: None },
            ended(0, secs(1000, 48_000)),
            PlayerEvent::Started { index: 1, at: None },
            ended(1, secs(2500, 48_000)),
            PlayerEvent::Started { index: 2, at: None },
            ended(2, secs(777, 48_000)),
            PlayerEvent::Finished,
        ]
    );
    assert_eq!(p.source.next(), None, "stays ended");
}

#[test]
fn mono_item_is_duplicated_sample_exactly_on_stereo_output() {
    let dir = tempfile::tempdir().expect("temp dir");
    let mono = dir.path().join("mono.wav");
    let signal = noise(4800, 1, 9, 0.9);
    write_wav(&mono, 44_100, 1, Bits::F32, &signal);
    let p = program(&[&mono], 2, 44_100, DEFAULT_FADE);
    let out: Vec<f32> = p.source.collect();
    assert_eq!(out.len(), signal.len() * 2);
    for (i, frame) in out.chunks_exact(2).enumerate() {
        assert_eq!(frame, [signal[i], signal[i]], "frame {i}");
    }
}

#[test]
fn failed_items_do_not_stop_the_program() {
    let dir = tempfile::tempdir().expect("temp dir");
    let a = dir.path().join("a.wav");
    let missing = dir.path().join("missing.wav");
    let garbage = dir.path().join("garbage.wav");
    let b = dir.path().join("b.wav");
    write_wav(&a, 48_000, 2, Bits::S16, &noise(600, 2, 4, 0.5));
    std::fs::write(&garbage, b"RIFF\x10\x00\x00\x00WAVEjunk not audio at all").expect("write");
    write_wav(&b, 48_000, 1, Bits::S16, &noise(900, 1, 5, 0.5));
    let mut p = program(&[&a, &missing, &garbage, &b], 2, 48_000, DEFAULT_FADE);
    let out: Vec<f32> = p.source.by_ref().collect();
    assert_eq!(
        out,
        expected(&[&a, &b], 2),
        "no gap beyond the missing audio"
    );
    let events = drain(&mut p.events);
    assert_eq!(
        events[..2],
        [
            PlayerEvent::Started { index: 0, at: None },
            ended(0, secs(600, 48_000))
        ]
    );
    for (event, (index, path)) in events[2..4].iter().zip([(1, &missing), (2, &garbage)]) {
        match event {
            PlayerEvent::Ended {
                index: i,
                played,
                end: ItemEnd::Failed(reason),
                ..
            } => {
                assert_eq!((*i, *played), (index, Duration::ZERO));
                assert!(reason.contains(&path.display().to_string()), "{reason}");
            }
            other => panic!("item {index}: expected a failure, got {other:?}"),
        }
    }
    assert_eq!(
        events[4..],
        [
            PlayerEvent::Started { index: 3, at: None },
            ended(3, secs(900, 48_000)),
            PlayerEvent::Finished
        ]
    );
}

#[test]
fn cut_fades_out_linearly_over_the_configured_time() {
    let dir = tempfile::tempdir().expect("temp dir");
    let steady = dir.path().join("steady.wav");
    let next = dir.path().join("next.wav");
    // A constant level makes every output step the fade's own step.
    write_wav(&steady, 48_000, 2, Bits::F32, &vec![0.5; 48_000 * 2]);
    write_wav(&next, 48_000, 2, Bits::F32, &noise(4800, 2, 6, 0.5));
    let fade = Duration::from_millis(50);
    let mut p = program(&[&steady, &next], 2, 48_000, fade);
    let before: Vec<f32> = p.source.by_ref().take(12_000 * 2).collect();
    assert!(before.iter().all(|&s| s == 0.5));
    Cutter(p.control.clone()).cut();
    let tail: Vec<f32> = p.source.by_ref().collect();
    assert_eq!(
        tail.len(),
        2400 * 2,
        "fade of 50 ms at 48 kHz, then the end"
    );
    let mut prev = 0.5f32;
    for &s in &tail {
        assert!(
            (prev - s).abs() <= 0.5 / 2400.0 + 1e-6,
            "step {prev} -> {s}"
        );
        prev = s;
    }
    assert!(prev <= 0.5 / 2400.0 + 1e-6, "ends at silence, last {prev}");
    assert_eq!(
        drain(&mut p.events),
        vec![
            PlayerEvent::Started { index: 0, at: None },
            PlayerEvent::Ended {
                index: 0,
                played: secs(12_000 + 2400, 48_000),
                end: ItemEnd::Cut,
                levels: None
            },
            PlayerEvent::Finished,
        ],
        "the next item never starts"
    );
}

#[test]
fn cut_before_the_first_sample_plays_nothing() {
    let dir = tempfile::tempdir().expect("temp dir");
    let a = dir.path().join("a.wav");
    write_wav(&a, 48_000, 2, Bits::S16, &noise(600, 2, 7, 0.5));
    let mut p = program(&[&a], 2, 48_000, DEFAULT_FADE);
    p.control.cut();
    assert_eq!(p.source.next(), None);
    assert_eq!(drain(&mut p.events), vec![PlayerEvent::Finished]);
}

#[test]
fn abandoning_the_source_fails_the_playing_item_and_silences_the_source() {
    let dir = tempfile::tempdir().expect("temp dir");
    let a = dir.path().join("a.wav");
    let b = dir.path().join("b.wav");
    write_wav(&a, 48_000, 2, Bits::S16, &noise(6000, 2, 8, 0.5));
    write_wav(&b, 48_000, 2, Bits::S16, &noise(600, 2, 9, 0.5));
    let mut p = program(&[&a, &b], 2, 48_000, DEFAULT_FADE);
    assert_eq!(p.source.by_ref().take(4800 * 2).count(), 4800 * 2);
    assert_eq!(Cutter(p.control.clone()).progress(), 4800);
    p.control.abandon("sound device `alsa:x` failed: gone", 0);
    assert_eq!(
        p.source.next(),
        None,
        "an abandoned source plays nothing more"
    );
    assert_eq!(
        drain(&mut p.events),
        vec![
            PlayerEvent::Started { index: 0, at: None },
            PlayerEvent::Ended {
                index: 0,
                played: secs(4800, 48_000),
                end: ItemEnd::Failed("sound device `alsa:x` failed: gone".into()),
                levels: None
            },
        ],
        "the item ends once; no Finished (the run goes on)"
    );
    assert_eq!(
        p.control.rest(),
        vec![PlayItem::from((1, b))],
        "what a reopened output plays"
    );
}

// ---- file outputs, paced by a simulated clock ----

fn sim_clock() -> SharedClock {
    let start = Utc
        .with_ymd_and_hms(2026, 3, 1, 6, 0, 0)
        .single()
        .expect("valid date");
    Arc::new(SimClock::starting_at(start))
}

/// Runs a program to its end; returns each event with the clock time (from start) it came.
async fn run_timed(
    player: &mut Player,
    clock: &SharedClock,
    items: Vec<PathBuf>,
) -> Vec<(Duration, PlayerEvent)> {
    let t0 = clock.now();
    let mut run = player.start(items).expect("start");
    let mut out = Vec::new();
    // The channel closes right after `Finished`.
    while let Some(e) = run.next_event().await {
        let at = (clock.now() - t0).to_std().expect("clock moves forward");
        out.push((at, unmetered(e)));
    }
    assert_eq!(out.last().map(|(_, e)| e), Some(&PlayerEvent::Finished));
    out
}

fn three_second_program(dir: &Path) -> (Vec<PathBuf>, Vec<f32>) {
    let a = dir.join("a.wav");
    let b = dir.join("b.wav");
    write_wav(&a, 48_000, 2, Bits::S16, &noise(60_000, 2, 11, 0.7)); // 1.25 s
    write_wav(&b, 48_000, 1, Bits::F32, &noise(84_000, 1, 12, 0.7)); // 1.75 s
    let expect = expected(&[&a, &b], 2);
    (vec![a, b], expect)
}

fn format_48k_stereo() -> OutputFormat {
    OutputFormat {
        sample_rate: Some(48_000),
        channels: Some(2),
        fade: DEFAULT_FADE,
        buffer: None,
    }
}

#[tokio::test(start_paused = true)]
async fn wav_output_takes_exactly_the_program_time_and_holds_the_samples() {
    let dir = tempfile::tempdir().expect("temp dir");
    let (items, expect) = three_second_program(dir.path());
    let out = dir.path().join("air.wav");
    let clock = sim_clock();
    let mut player =
        Player::new(OutputSpec::Wav(out.clone()), format_48k_stereo()).expect("wav output");
    assert_eq!(player.describe(), format!("wav:{}", out.display()));
    let events = run_timed(&mut player, &clock, items.clone()).await;
    let ms = Duration::from_millis;
    assert_eq!(
        events,
        vec![
            (ms(0), PlayerEvent::Started { index: 0, at: None }),
            (ms(1250), ended(0, ms(1250))),
            (ms(1250), PlayerEvent::Started { index: 1, at: None }),
            (ms(3000), ended(1, ms(1750))),
            (ms(3000), PlayerEvent::Finished),
        ]
    );
    let (rate, channels, written) = decode_all(&out);
    assert_eq!((rate, channels), (48_000, 2));
    assert_eq!(written, expect);

    // A second program appends, and the header is valid again after it.
    let events = run_timed(&mut player, &clock, items).await;
    assert_eq!(events.last(), Some(&(ms(3000), PlayerEvent::Finished)));
    let (_, _, written) = decode_all(&out);
    assert_eq!(written.len(), expect.len() * 2);
    assert_eq!(written[expect.len()..], expect[..]);
}

#[tokio::test(start_paused = true)]
async fn raw_output_holds_the_exact_samples() {
    let dir = tempfile::tempdir().expect("temp dir");
    let (items, expect) = three_second_program(dir.path());
    let out = dir.path().join("air.raw");
    let clock = sim_clock();
    let mut player =
        Player::new(OutputSpec::Raw(out.clone()), format_48k_stereo()).expect("raw output");
    let events = run_timed(&mut player, &clock, items).await;
    assert_eq!(
        events.last(),
        Some(&(Duration::from_secs(3), PlayerEvent::Finished))
    );
    let bytes = std::fs::read(&out).expect("read raw");
    let written: Vec<f32> = bytes
        .chunks_exact(4)
        .map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]]))
        .collect();
    assert_eq!(written, expect);
}

#[tokio::test(start_paused = true)]
async fn null_output_keeps_time_and_cut_fades_in_time() {
    let dir = tempfile::tempdir().expect("temp dir");
    let (items, _) = three_second_program(dir.path());
    let clock = sim_clock();
    let mut player = Player::new(OutputSpec::Null, OutputFormat::default()).expect("null");
    assert_eq!(player.describe(), "null");
    let t0 = clock.now();
    let mut run = player.start(items).expect("start");
    assert_eq!(
        run.next_event().await,
        Some(PlayerEvent::Started { index: 0, at: None })
    );
    crate::clock::sleep_until(clock.as_ref(), t0 + chrono::Duration::milliseconds(500)).await;
    run.cutter().cut();
    let mut last = None;
    while let Some(e) = run.next_event().await {
        last = Some(((clock.now() - t0).to_std().expect("forward"), e));
    }
    let (at, e) = last.expect("events after the cut");
    assert_eq!(e, PlayerEvent::Finished);
    // Cut noticed at the next 100 ms chunk, then a 200 ms fade.
    assert!(
        at >= Duration::from_millis(700) && at <= Duration::from_millis(800),
        "finished at {at:?}"
    );
}

#[test]
fn wav_output_in_a_missing_folder_names_the_path() {
    let path = PathBuf::from("/nonexistent-loaxa-dir/air.wav");
    let err =
        Player::new(OutputSpec::Wav(path), OutputFormat::default()).expect_err("cannot create");
    assert!(
        err.to_string().contains("/nonexistent-loaxa-dir/air.wav"),
        "{err}"
    );
}

#[test]
fn unknown_device_error_lists_devices_and_suggests_a_file_output() {
    let err = Player::new(
        OutputSpec::Device("loaxa_no_such_pcm".into()),
        OutputFormat::default(),
    )
    .expect_err("no such device");
    let text = err.to_string();
    assert!(text.contains("loaxa_no_such_pcm"), "{text}");
    assert!(text.contains("available output devices"), "{text}");
    // The operator's words: Vietnamese, from the code, with the fix.
    let code = err.code().expect("a coded error");
    let vi = crate::words::Say::say(&code, crate::words::Lang::Vi);
    assert!(
        vi.contains("không tìm thấy thiết bị âm thanh `loaxa_no_such_pcm`"),
        "{vi}"
    );
    assert!(code.hint(crate::words::Lang::Vi).is_some());
    println!("{text}\n{vi}");
}

#[test]
fn handles_can_move_between_tasks_and_threads() {
    fn send<T: Send>() {}
    fn shared<T: Send + Sync + Clone>() {}
    send::<Player>();
    send::<ProgramRun>();
    shared::<Cutter>();
}

#[test]
fn item_at_another_rate_is_resampled_and_reports_its_own_duration() {
    let dir = tempfile::tempdir().expect("temp dir");
    let a = dir.path().join("a48k.wav");
    let b = dir.path().join("b44k.wav");
    write_wav(&a, 48_000, 2, Bits::S16, &noise(48_000, 2, 13, 0.5));
    write_wav(&b, 44_100, 2, Bits::S16, &noise(4410, 2, 14, 0.5));
    let mut p = program(&[&a, &b], 2, 44_100, DEFAULT_FADE);
    let frames = p.source.by_ref().count() / 2;
    assert!(
        frames.abs_diff(44_100 + 4410) <= 2,
        "{frames} frames for 1.1 s at 44.1 kHz"
    );
    let events = drain(&mut p.events);
    assert_eq!(events[1], ended(0, Duration::from_secs(1)));
    assert_eq!(events[3], ended(1, Duration::from_millis(100)));
}

#[test]
fn splice_fades_the_current_item_and_continues_gaplessly_with_the_new_items() {
    let dir = tempfile::tempdir().expect("temp dir");
    let steady = dir.path().join("steady.wav");
    let later = dir.path().join("later.wav");
    let urgent = dir.path().join("urgent.wav");
    write_wav(&steady, 48_000, 2, Bits::F32, &vec![0.5; 48_000 * 2]);
    write_wav(&later, 48_000, 2, Bits::F32, &noise(4800, 2, 7, 0.5));
    write_wav(&urgent, 48_000, 1, Bits::S16, &noise(960, 1, 8, 0.5));
    let mut p = program(&[&steady, &later], 2, 48_000, DEFAULT_FADE);
    let before: Vec<f32> = p.source.by_ref().take(4_800 * 2).collect();
    assert!(before.iter().all(|&s| s == 0.5));
    let fade = Duration::from_millis(30);
    Cutter(p.control.clone()).splice(vec![(7, urgent.clone()), (1, later.clone())], fade);
    let tail: Vec<f32> = p.source.by_ref().collect();
    let fade_frames = 1440; // 30 ms at 48 kHz
    let (faded, rest) = tail.split_at(fade_frames * 2);
    let mut prev = 0.5f32;
    for &s in faded {
        assert!(
            (prev - s).abs() <= 0.5 / 1440.0 + 1e-6,
            "step {prev} -> {s}"
        );
        prev = s;
    }
    assert_eq!(
        rest,
        expected(&[&urgent, &later], 2).as_slice(),
        "the new items follow the fade at once, sample-exact"
    );
    assert_eq!(
        drain(&mut p.events),
        vec![
            PlayerEvent::Started { index: 0, at: None },
            PlayerEvent::Ended {
                index: 0,
                played: secs(4_800 + 1440, 48_000),
                end: ItemEnd::Cut,
                levels: None
            },
            PlayerEvent::Started { index: 7, at: None },
            ended(7, secs(960, 48_000)),
            PlayerEvent::Started { index: 1, at: None },
            ended(1, secs(4800, 48_000)),
            PlayerEvent::Finished,
        ]
    );
}
