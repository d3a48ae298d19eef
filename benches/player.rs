//! In-process throughput of the playback path's parts (criterion): decoding per format, the
//! proof-of-air meter, and the whole player (program source, conversion to the output
//! format, meter, null output) with and without resampling. `cargo bench --bench player`;
//! the whole-process comparisons with ffmpeg and mpg123 are `benches/playback.sh`.
//! Results in BENCHMARKS.md ("Playback CPU and slot start lateness").

use std::path::{Path, PathBuf};
use std::time::Duration;

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
#[path = "support/noise.rs"]
mod noise;
use loaxa::audio::FileDecoder;
use loaxa::model::OutputSpec;
use loaxa::player::{Meter, OutputFormat, Player, PlayerEvent};
use noise::noise;

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name)
}

/// Decodes the whole file; returns the samples decoded.
fn decode_all(path: &Path) -> usize {
    let mut decoder = FileDecoder::open(path).expect("fixture opens");
    let mut samples = 0;
    while let Some(block) = decoder.next_block().expect("fixture decodes") {
        samples += block.len();
    }
    samples
}

const FILES: [&str; 5] = [
    "noise-44k1-stereo.mp3",
    "noise-44k1-stereo.ogg",
    "noise-44k1-stereo.m4a",
    "noise-22k05-mono.flac",
    "noise-48k-stereo.wav",
];

fn decode(c: &mut Criterion) {
    let mut group = c.benchmark_group("decode");
    for name in FILES {
        let path = fixture(name);
        group.throughput(Throughput::Elements(decode_all(&path) as u64));
        group.bench_with_input(BenchmarkId::from_parameter(name), &path, |b, path| {
            b.iter(|| decode_all(path));
        });
    }
    group.finish();
}

fn meter(c: &mut Criterion) {
    let second = noise(2 * 48_000);
    let mut group = c.benchmark_group("meter");
    group.throughput(Throughput::Elements(second.len() as u64));
    group.bench_function("1 s of 48 kHz stereo", |b| {
        b.iter(|| {
            let mut meter = Meter::new(2, 48_000);
            for &s in &second {
                meter.push(s);
            }
            meter.levels()
        });
    });
    group.finish();
}

/// Plays `file` through a `Player` on the null output at `rate` (paused tokio clock: as fast
/// as the CPU allows); returns the events seen.
fn play(runtime: &tokio::runtime::Runtime, file: &Path, rate: u32) -> usize {
    runtime.block_on(async {
        let format = OutputFormat {
            sample_rate: Some(rate),
            channels: Some(2),
            ..OutputFormat::default()
        };
        let mut player = Player::new(OutputSpec::Null, format).expect("null output");
        let mut run = player.start(vec![file.to_path_buf()]).expect("starts");
        let mut events = 0;
        while let Some(event) = run.next_event().await {
            events += 1;
            if event == PlayerEvent::Finished {
                break;
            }
        }
        events
    })
}

fn player(c: &mut Criterion) {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_time()
        .start_paused(true)
        .build()
        .expect("runtime");
    let mut group = c.benchmark_group("player");
    group.measurement_time(Duration::from_secs(8));
    for (name, rate, label) in [
        (
            "noise-48k-stereo.wav",
            48_000,
            "wav 48k to 48k (no conversion)",
        ),
        (
            "noise-48k-stereo.wav",
            44_100,
            "wav 48k to 44.1k (resampled)",
        ),
        ("noise-44k1-stereo.mp3", 44_100, "mp3 44.1k to 44.1k"),
        (
            "noise-44k1-stereo.mp3",
            48_000,
            "mp3 44.1k to 48k (resampled)",
        ),
    ] {
        let path = fixture(name);
        let info = FileDecoder::open(&path).expect("opens").info().clone();
        let frames = decode_all(&path) as u64 / u64::from(info.channels);
        let out_frames = frames * u64::from(rate) / u64::from(info.sample_rate);
        group.throughput(Throughput::Elements(out_frames));
        group.bench_function(label, |b| b.iter(|| play(&runtime, &path, rate)));
    }
    group.finish();
}

criterion_group!(benches, decode, meter, player);
criterion_main!(benches);
