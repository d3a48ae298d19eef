//! Deterministic white noise (xorshift64) at half scale, for the meter's benchmarks
//! (`benches/player.rs`, `examples/meter_cost.rs`).

/// `samples` interleaved samples in −0.5..0.5.
pub fn noise(samples: usize) -> Vec<f32> {
    let mut x: u64 = 0x9E37_79B9_7F4A_7C15;
    (0..samples)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            ((x >> 40) as f32 / (1u64 << 24) as f32 * 2.0 - 1.0) * 0.5
        })
        .collect()
}
