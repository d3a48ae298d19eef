//! CPU cost of the proof-of-air meter: one hour of 48 kHz stereo noise through
//! `loaxa::player::Meter`, timed. `cargo run --release --example meter_cost`
//! (numbers in the README, "Proof of air").

#[path = "../benches/support/noise.rs"]
mod noise;
use noise::noise;

fn main() {
    let minute = noise(2 * 48_000 * 60);
    for run in 1..=3 {
        let t0 = std::time::Instant::now();
        let mut meter = loaxa::player::Meter::new(2, 48_000);
        for _ in 0..60 {
            for &s in &minute {
                meter.push(s);
            }
        }
        let hour = t0.elapsed();
        println!(
            "run {run}: {:.2} s of CPU per hour of 48 kHz stereo audio ({:?})",
            hour.as_secs_f64(),
            meter.levels()
        );
    }
}
