//! Measuring captured output: the sources as the player should have sent them (decoded,
//! channel-mapped, resampled), sample steps, fades and levels — computed here, apart from
//! the player, so tests compare two independent views of the same audio.

#![allow(dead_code)]

use std::num::NonZero;
use std::path::Path;

use rodio::Source;
use rodio::source::UniformSourceIterator;

/// A file decoded at its own rate: (rate, channels, interleaved samples).
pub fn decode_all(path: &Path) -> (u32, u16, Vec<f32>) {
    let mut dec = loaxa::audio::FileDecoder::open(path).expect("decodable test file");
    let (rate, channels) = (dec.info().sample_rate, dec.info().channels);
    let mut out = Vec::new();
    while let Some(block) = dec.next_block().expect("clean decode") {
        out.extend_from_slice(block);
    }
    (rate, channels, out)
}

/// `path` as an output of `channels` at `rate` should carry it: mono to both sides, stereo
/// averaged to mono on a mono output, then rodio's resampler on its own (not the player's
/// program source).
pub fn expected_item(path: &Path, rate: u32, channels: u16) -> Vec<f32> {
    let (src_rate, src_channels, samples) = decode_all(path);
    let (mapped_channels, mapped) = if channels == 1 && src_channels > 1 {
        let n = usize::from(src_channels);
        let mono = samples
            .chunks_exact(n)
            .map(|f| f.iter().sum::<f32>() * (1.0 / n as f32))
            .collect::<Vec<f32>>();
        (1, mono)
    } else {
        (src_channels, samples)
    };
    let buf = Whole {
        samples: mapped.into_iter(),
        channels: NonZero::new(mapped_channels).expect("channels"),
        rate: NonZero::new(src_rate).expect("rate"),
    };
    UniformSourceIterator::new(
        buf,
        NonZero::new(channels).expect("channels"),
        NonZero::new(rate).expect("rate"),
    )
    .collect()
}

/// Samples as one source of unknown length, as the player feeds a file to the resampler
/// (a `SamplesBuffer` declares its length, and rodio's resampler then ends differently).
struct Whole {
    samples: std::vec::IntoIter<f32>,
    channels: NonZero<u16>,
    rate: NonZero<u32>,
}

impl Iterator for Whole {
    type Item = f32;
    fn next(&mut self) -> Option<f32> {
        self.samples.next()
    }
}

impl Source for Whole {
    fn current_span_len(&self) -> Option<usize> {
        None
    }
    fn channels(&self) -> NonZero<u16> {
        self.channels
    }
    fn sample_rate(&self) -> NonZero<u32> {
        self.rate
    }
    fn total_duration(&self) -> Option<std::time::Duration> {
        None
    }
}

/// One channel of interleaved samples.
pub fn channel(samples: &[f32], channels: u16, c: usize) -> Vec<f32> {
    samples
        .iter()
        .skip(c)
        .step_by(usize::from(channels))
        .copied()
        .collect()
}

/// The largest step between consecutive samples of one channel, and where.
pub fn max_step(x: &[f32]) -> (f32, usize) {
    x.windows(2)
        .enumerate()
        .map(|(i, w)| ((w[1] - w[0]).abs(), i + 1))
        .fold((0.0, 0), |a, b| if b.0 > a.0 { b } else { a })
}

/// A sine of `freq` Hz and amplitude `amp` on every channel, starting at phase 0.
pub fn sine(rate: u32, channels: u16, frames: usize, freq: f64, amp: f32) -> Vec<f32> {
    let mut out = Vec::with_capacity(frames * usize::from(channels));
    for i in 0..frames {
        let v = amp * (2.0 * std::f64::consts::PI * freq * i as f64 / f64::from(rate)).sin() as f32;
        out.extend(std::iter::repeat_n(v, usize::from(channels)));
    }
    out
}

/// A fade found in a steady sine of amplitude `amp` and period `period` frames: where its
/// envelope starts to fall, and the fade's length in frames from a straight-line fit of the
/// per-period peaks (full level to zero).
#[derive(Debug, Clone, Copy)]
pub struct Fade {
    pub start: usize,
    pub frames: f64,
    /// Largest distance of a peak from the fitted line (linearity), relative to `amp`.
    pub misfit: f64,
}

/// Every fade in `x` (one channel of steady sines of amplitude `amp`, period `period`
/// frames): runs of periods whose peak is clearly below `amp` and above zero, at least
/// three periods long.
pub fn fades(x: &[f32], amp: f32, period: usize) -> Vec<Fade> {
    // The peak of each period-long chunk and where it is.
    let peaks: Vec<(usize, f32)> = x
        .chunks(period)
        .enumerate()
        .map(|(k, c)| {
            let (i, p) = c
                .iter()
                .enumerate()
                .map(|(i, v)| (i, v.abs()))
                .fold((0, 0.0f32), |a, b| if b.1 > a.1 { b } else { a });
            (k * period + i, p)
        })
        .collect();
    let falling = |p: f32| p < amp * 0.97 && p > amp * 0.03;
    let mut out = Vec::new();
    let mut k = 0;
    while k < peaks.len() {
        if !falling(peaks[k].1) {
            k += 1;
            continue;
        }
        let first = k;
        while k < peaks.len() && falling(peaks[k].1) {
            k += 1;
        }
        let run = &peaks[first..k];
        if run.len() < 3 {
            continue;
        }
        // Least squares: peak = a + b * frame. A chunk at either end can hold a little of
        // the item that follows (a sine rising from zero): up to two such points off the
        // line are left out and the line fitted again.
        let mut pts = run.to_vec();
        let (mut a, mut b) = fit(&pts);
        for _ in 0..2 {
            let residual = |p: &(usize, f32)| (f64::from(p.1) - (a + b * p.0 as f64)).abs();
            let worst =
                (0..pts.len()).max_by(|&i, &j| residual(&pts[i]).total_cmp(&residual(&pts[j])));
            match worst {
                Some(w) if residual(&pts[w]) > 0.02 * f64::from(amp) && pts.len() > 3 => {
                    pts.remove(w);
                    (a, b) = fit(&pts);
                }
                _ => break,
            }
        }
        let misfit = pts
            .iter()
            .map(|p| (f64::from(p.1) - (a + b * p.0 as f64)).abs() / f64::from(amp))
            .fold(0.0, f64::max);
        let start = ((f64::from(amp) - a) / b).max(0.0) as usize;
        out.push(Fade {
            start,
            frames: -f64::from(amp) / b,
            misfit,
        });
    }
    out
}

/// Least-squares line through (frame, peak) points: (intercept, slope).
fn fit(points: &[(usize, f32)]) -> (f64, f64) {
    let n = points.len() as f64;
    let mx = points.iter().map(|p| p.0 as f64).sum::<f64>() / n;
    let my = points.iter().map(|p| f64::from(p.1)).sum::<f64>() / n;
    let sxy: f64 = points
        .iter()
        .map(|p| (p.0 as f64 - mx) * (f64::from(p.1) - my))
        .sum();
    let sxx: f64 = points.iter().map(|p| (p.0 as f64 - mx).powi(2)).sum();
    let b = sxy / sxx;
    (my - b * mx, b)
}

/// Sample peak in dBFS of interleaved samples.
pub fn peak_dbfs(x: &[f32]) -> f64 {
    let peak = x.iter().fold(0.0f32, |m, v| m.max(v.abs()));
    20.0 * f64::from(peak).log10()
}

/// BS.1770 integrated loudness by the `ebur128` crate (mode I), or `None` below its gate.
pub fn loudness(x: &[f32], channels: u16, rate: u32) -> Option<f64> {
    let mut r =
        ebur128::EbuR128::new(u32::from(channels), rate, ebur128::Mode::I).expect("ebur128 state");
    r.add_frames_f32(x).expect("frames");
    r.loudness_global().ok().filter(|l| l.is_finite())
}
