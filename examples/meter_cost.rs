//! CPU cost of the proof-of-air meter: one hour of 48 kHz stereo noise through
//! `loaxa::player::Meter`, timed. `cargo run --release --example meter_cost`
//! (numbers in the README, "Proof of air").

fn main() {
    let mut x: u64 = 0x9E37_79B9_7F4A_7C15;
    let minute: Vec<f32> = (0..2 * 48_000 * 60)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            ((x >> 40) as f32 / (1u64 << 24) as f32 * 2.0 - 1.0) * 0.5
        })
        .collect();
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
