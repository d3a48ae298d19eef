//! Proof of air: the levels of what an item actually sent to the output.
//!
//! A [`Meter`] sees every output sample of one item after all processing (fades, gain), at
//! the output's rate and channel count, and sums it up when the item ends as [`Levels`]:
//! sample peak, integrated loudness and the time with sound in it. The as-run record keeps
//! them, and an item that went out silent (a file of silence, a muted gain) is flagged.
//!
//! Cheap and allocation-free per sample: the loudness is ITU-R BS.1770-4's gated integrated
//! loudness (K-weighting as two biquads per channel, 400 ms blocks every 100 ms, absolute
//! gate −70 LUFS, relative gate −10 LU) with the gated blocks kept as a 0.1 LU histogram
//! (fixed size, as libebur128's histogram mode does), so an hour of audio costs the same
//! memory as a second. Channel weights are 1 (mono and stereo outputs only).

use std::time::Duration;

/// A sample peak of digital silence is reported as this (dBFS): JSON has no −∞.
pub const FLOOR_DBFS: f64 = -120.0;
/// A 100 ms block whose RMS is above this (dBFS) counts as audible.
pub const AUDIBLE_DBFS: f64 = -50.0;

/// Block loudness below this is never counted (BS.1770 absolute gate).
const ABSOLUTE_GATE: f64 = -70.0;
/// Histogram of gated blocks: 0.1 LU bins from the absolute gate up to +10 LUFS.
const BINS: usize = 800;

/// What an item sent to the output, measured there.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Levels {
    /// Highest sample magnitude in dBFS, to 0.1 dB ([`FLOOR_DBFS`] for digital silence).
    pub peak_dbfs: f64,
    /// BS.1770-4 integrated loudness in LUFS, to 0.1 LU; `None` when no 400 ms block is
    /// above −70 LUFS (silence, or less than 400 ms of audio).
    pub loudness_lufs: Option<f64>,
    /// Time whose 100 ms blocks have an RMS above [`AUDIBLE_DBFS`].
    pub audible: Duration,
    /// Time measured: the output frames the item sent.
    pub measured: Duration,
}

// The values are always finite (rounded from finite sums, floored), so equality is total.
impl Eq for Levels {}

impl Levels {
    /// Whether an item that aired for `played` went out silent: sound in less than a tenth
    /// of it (a file of silence, a muted gain, a dead channel).
    pub fn silent(&self, played: Duration) -> bool {
        !played.is_zero() && self.audible * 10 < played
    }
}

/// One biquad, transposed direct form II, in f64 (the K filter's poles sit close to 1).
#[derive(Debug, Clone, Copy, Default)]
struct Biquad {
    b: [f64; 3],
    a: [f64; 2],
    z: [f64; 2],
}

impl Biquad {
    #[inline]
    fn run(&mut self, x: f64) -> f64 {
        let y = self.b[0] * x + self.z[0];
        self.z[0] = self.b[1] * x - self.a[0] * y + self.z[1];
        self.z[1] = self.b[2] * x - self.a[1] * y;
        y
    }
}

/// BS.1770's K-weighting at `rate`: a high shelf then a high pass (coefficients derived
/// for any rate, as libebur128 does).
fn k_filter(rate: u32) -> [Biquad; 2] {
    use std::f64::consts::PI;
    let rate = f64::from(rate.max(1));
    let (f0, gain, q) = (1681.974450955533, 3.999843853973347, 0.7071752369554196);
    let k = (PI * f0 / rate).tan();
    let vh = 10f64.powf(gain / 20.0);
    let vb = vh.powf(0.4996667741545416);
    let a0 = 1.0 + k / q + k * k;
    let shelf = Biquad {
        b: [
            (vh + vb * k / q + k * k) / a0,
            2.0 * (k * k - vh) / a0,
            (vh - vb * k / q + k * k) / a0,
        ],
        a: [2.0 * (k * k - 1.0) / a0, (1.0 - k / q + k * k) / a0],
        z: [0.0; 2],
    };
    let (f0, q) = (38.13547087602444, 0.5003270373238773);
    let k = (PI * f0 / rate).tan();
    let a0 = 1.0 + k / q + k * k;
    let high_pass = Biquad {
        b: [1.0, -2.0, 1.0],
        a: [2.0 * (k * k - 1.0) / a0, (1.0 - k / q + k * k) / a0],
        z: [0.0; 2],
    };
    [shelf, high_pass]
}

/// Measures one item's output samples (interleaved, at the output format).
#[derive(Debug)]
pub struct Meter {
    channels: usize,
    rate: u32,
    /// Channel of the next sample.
    ch: usize,
    filters: Vec<[Biquad; 2]>,
    peak: f32,
    frames: u64,
    /// Frames per 100 ms block, and frames in the current one.
    block_len: u64,
    block_frames: u64,
    /// Sum of squares in the current block: plain (all channels) and K-weighted.
    block_plain: f64,
    block_k: f64,
    audible_blocks: u64,
    /// K-weighted mean squares (summed over channels) of the last four 100 ms blocks.
    recent: [f64; 4],
    blocks: u64,
    /// Gated 400 ms blocks: count and energy per 0.1 LU bin.
    hist_n: Box<[u32; BINS]>,
    hist_e: Box<[f64; BINS]>,
}

impl Meter {
    pub fn new(channels: u16, rate: u32) -> Meter {
        let channels = usize::from(channels.max(1));
        Meter {
            channels,
            rate: rate.max(1),
            ch: 0,
            filters: vec![k_filter(rate); channels],
            peak: 0.0,
            frames: 0,
            block_len: u64::from(rate.max(10) / 10),
            block_frames: 0,
            block_plain: 0.0,
            block_k: 0.0,
            audible_blocks: 0,
            recent: [0.0; 4],
            blocks: 0,
            hist_n: Box::new([0; BINS]),
            hist_e: Box::new([0.0; BINS]),
        }
    }

    /// One output sample (channels interleaved).
    #[inline]
    pub fn push(&mut self, sample: f32) {
        self.peak = self.peak.max(sample.abs());
        let x = f64::from(sample);
        self.block_plain += x * x;
        if let Some([shelf, high_pass]) = self.filters.get_mut(self.ch) {
            let k = high_pass.run(shelf.run(x));
            self.block_k += k * k;
        }
        self.ch += 1;
        if self.ch == self.channels {
            self.ch = 0;
            self.frames += 1;
            self.block_frames += 1;
            if self.block_frames == self.block_len {
                self.end_block();
            }
        }
    }

    fn end_block(&mut self) {
        let n = self.block_frames as f64;
        if self.block_plain / (n * self.channels as f64) > db_to_power(AUDIBLE_DBFS) {
            self.audible_blocks += 1;
        }
        self.recent[(self.blocks % 4) as usize] = self.block_k / n;
        self.blocks += 1;
        if self.blocks >= 4 {
            // A 400 ms block: the mean of the last four 100 ms ones.
            let energy = self.recent.iter().sum::<f64>() / 4.0;
            let loudness = power_to_lufs(energy);
            if loudness >= ABSOLUTE_GATE {
                let bin = (((loudness - ABSOLUTE_GATE) * 10.0) as usize).min(BINS - 1);
                self.hist_n[bin] += 1;
                self.hist_e[bin] += energy;
            }
        }
        self.block_frames = 0;
        self.block_plain = 0.0;
        self.block_k = 0.0;
    }

    /// The item's levels so far (call when it ends).
    pub fn levels(&self) -> Levels {
        let peak_dbfs = if self.peak > 0.0 {
            round1((20.0 * f64::from(self.peak).log10()).max(FLOOR_DBFS))
        } else {
            FLOOR_DBFS
        };
        let block = Duration::from_millis(100);
        let mut audible = block * u32::try_from(self.audible_blocks).unwrap_or(u32::MAX);
        // The last, partial block counts for its own length.
        if self.block_frames > 0 {
            let n = (self.block_frames * self.channels as u64) as f64;
            if self.block_plain / n > db_to_power(AUDIBLE_DBFS) {
                audible += super::program::frames_to_duration(self.block_frames, self.rate);
            }
        }
        Levels {
            peak_dbfs,
            loudness_lufs: self.integrated().map(round1),
            audible,
            measured: super::program::frames_to_duration(self.frames, self.rate),
        }
    }

    /// BS.1770-4 gated integrated loudness of the blocks so far.
    fn integrated(&self) -> Option<f64> {
        let (n, e) = self.sum_from(0);
        if n == 0 {
            return None;
        }
        let relative_gate = power_to_lufs(e / n as f64) - 10.0;
        let first = ((relative_gate - ABSOLUTE_GATE) * 10.0).ceil().max(0.0) as usize;
        let (n, e) = self.sum_from(first);
        (n > 0).then(|| power_to_lufs(e / n as f64))
    }

    fn sum_from(&self, bin: usize) -> (u64, f64) {
        let bins = bin.min(BINS)..BINS;
        let n = self.hist_n[bins.clone()]
            .iter()
            .map(|&c| u64::from(c))
            .sum();
        (n, self.hist_e[bins].iter().sum())
    }
}

fn db_to_power(db: f64) -> f64 {
    10f64.powf(db / 10.0)
}

fn power_to_lufs(power: f64) -> f64 {
    if power > 0.0 {
        -0.691 + 10.0 * power.log10()
    } else {
        f64::NEG_INFINITY
    }
}

/// To 0.1: such values go through JSON and back unchanged (the log's hash depends on it).
fn round1(x: f64) -> f64 {
    (x * 10.0).round() / 10.0
}

#[cfg(test)]
#[path = "meter_tests.rs"]
mod tests;
