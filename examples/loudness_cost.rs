//! CPU cost of loudness measurement at import, per hour of audio.
//!
//! Import decodes every file once anyway; measuring adds the EBU R128 meter (integrated
//! loudness, 4× oversampled true peak) and, with `trim_silence_db`, the silence scan, fed the
//! same decoded blocks. This feeds one hour of generated audio, block by block as the decoder
//! hands it out (1152 frames, an MP3 frame), through `loaxa::audio::LoudnessMeter` and prints
//! the thread's CPU time (from `/proc/thread-self/schedstat`, nanoseconds; Linux).
//!
//! ```sh
//! cargo run --release --example loudness_cost            # 1 hour, 44.1 kHz and 48 kHz
//! cargo run --release --example loudness_cost -- 0.25    # a quarter of an hour
//! ```

use std::time::Duration;

use loaxa::audio::LoudnessMeter;

/// CPU time this thread has used so far.
fn thread_cpu() -> Duration {
    let text = std::fs::read_to_string("/proc/thread-self/schedstat").unwrap_or_default();
    let ns = text
        .split_whitespace()
        .next()
        .and_then(|n| n.parse().ok())
        .unwrap_or(0);
    Duration::from_nanos(ns)
}

/// Ten seconds of seeded noise at about -20 dBFS.
fn noise(frames: usize, channels: usize) -> Vec<f32> {
    let mut x: u64 = 0x9E37_79B9_7F4A_7C15;
    (0..frames * channels)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            ((x >> 40) as f32 / (1u64 << 24) as f32 - 0.5) * 0.2
        })
        .collect()
}

/// CPU seconds to measure `hours` of audio at `rate` with `channels`.
fn cost(hours: f64, rate: u32, channels: u16, trim: Option<f64>) -> f64 {
    let ch = usize::from(channels);
    let buffer = noise(rate as usize * 10, ch);
    let total_frames = (hours * 3600.0 * f64::from(rate)) as usize;
    let block = 1152 * ch;
    let mut meter = LoudnessMeter::new(channels, rate, trim);
    let start = thread_cpu();
    let mut fed = 0;
    while fed < total_frames {
        for chunk in buffer.chunks(block) {
            meter.add(chunk);
            fed += chunk.len() / ch;
        }
    }
    let l = meter.loudness();
    let spent = (thread_cpu() - start).as_secs_f64();
    assert!(l.integrated_lufs.is_some(), "measured");
    spent
}

fn main() {
    let hours: f64 = std::env::args()
        .nth(1)
        .and_then(|h| h.parse().ok())
        .unwrap_or(1.0);
    println!("CPU seconds per hour of audio (measured over {hours} h, one thread):");
    for (rate, channels, trim) in [
        (44_100, 2, None),
        (44_100, 2, Some(-50.0)),
        (48_000, 2, None),
        (44_100, 1, None),
        (22_050, 1, None),
    ] {
        let s = cost(hours, rate, channels, trim) / hours;
        let what = if trim.is_some() {
            " + silence scan"
        } else {
            ""
        };
        println!("  {rate} Hz {channels} ch{what}: {s:.2} s");
    }
}
