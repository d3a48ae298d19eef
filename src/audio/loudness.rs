//! Loudness of a decoded file (EBU R128 / ITU-R BS.1770) and where its sound starts and ends.
//!
//! Import already decodes every file once, completely; [`LoudnessMeter`] is fed the same
//! blocks, so measuring costs no extra decode (about 1 s of CPU per hour of stereo audio at
//! 44.1 kHz, most of it the 4× oversampling of the true-peak meter; see BENCHMARKS.md).
//!
//! A mono file airs on both sides of a stereo output, so it is measured as *dual mono*
//! (counted twice): its measurement is what the loudspeakers play, not 3 LU less.

use ebur128::{Channel, EbuR128, Mode};

/// What a full measurement found.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Loudness {
    /// Integrated (programme) loudness in LUFS; `None` for silence (below the −70 LUFS gate).
    pub integrated_lufs: Option<f64>,
    /// Highest true peak over all channels in dBTP (4× oversampled); `None` for digital
    /// silence.
    pub true_peak_dbtp: Option<f64>,
}

/// The frames that hold sound: `[start, end)` at the file's own rate.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SoundSpan {
    pub start: u64,
    pub end: u64,
}

/// Margin kept before the first and after the last sample above the threshold, so a
/// trimmed file does not start on a clipped attack or cut a decaying consonant.
pub const TRIM_MARGIN_MS: u64 = 20;

/// Streams interleaved `f32` blocks through an EBU R128 meter (mode I + true peak) and,
/// optionally, a silence scanner.
pub struct LoudnessMeter {
    /// `None` when the meter refused the format (more channels or a higher rate than
    /// libebur128's limits): the file is then simply not measured.
    meter: Option<EbuR128>,
    channels: usize,
    rate: u32,
    /// Linear amplitude a sample must exceed to count as sound; `None`: no scan.
    threshold: Option<f32>,
    frames: u64,
    first_loud: Option<u64>,
    last_loud: Option<u64>,
}

impl std::fmt::Debug for LoudnessMeter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LoudnessMeter")
            .field("channels", &self.channels)
            .field("rate", &self.rate)
            .field("frames", &self.frames)
            .finish_non_exhaustive()
    }
}

impl LoudnessMeter {
    /// A meter for `channels` at `rate`; `silence_below_dbfs` also finds where the sound
    /// starts and ends (samples at or below that level count as silence).
    pub fn new(channels: u16, rate: u32, silence_below_dbfs: Option<f64>) -> LoudnessMeter {
        let meter = EbuR128::new(u32::from(channels), rate, Mode::I | Mode::TRUE_PEAK)
            .ok()
            .and_then(|mut m| {
                if channels == 1 {
                    m.set_channel(0, Channel::DualMono).ok()?;
                }
                Some(m)
            });
        if meter.is_none() {
            tracing::warn!(channels, rate, "loudness cannot be measured in this format");
        }
        LoudnessMeter {
            meter,
            channels: usize::from(channels.max(1)),
            rate,
            threshold: silence_below_dbfs.map(|db| db_to_linear(db) as f32),
            frames: 0,
            first_loud: None,
            last_loud: None,
        }
    }

    /// Adds one block of interleaved samples (whole frames).
    pub fn add(&mut self, block: &[f32]) {
        if let Some(m) = self.meter.as_mut()
            && m.add_frames_f32(block).is_err()
        {
            self.meter = None;
        }
        if let Some(threshold) = self.threshold {
            for (i, frame) in block.chunks_exact(self.channels).enumerate() {
                if frame.iter().any(|s| s.abs() > threshold) {
                    let at = self.frames + i as u64;
                    self.first_loud.get_or_insert(at);
                    self.last_loud = Some(at);
                }
            }
        }
        self.frames += (block.len() / self.channels) as u64;
    }

    /// The loudness of everything added.
    pub fn loudness(&self) -> Loudness {
        let Some(m) = self.meter.as_ref() else {
            return Loudness {
                integrated_lufs: None,
                true_peak_dbtp: None,
            };
        };
        let integrated_lufs = m.loudness_global().ok().filter(|l| l.is_finite());
        let peak = (0..self.channels as u32)
            .filter_map(|c| m.true_peak(c).ok())
            .fold(0.0f64, f64::max);
        Loudness {
            integrated_lufs,
            true_peak_dbtp: (peak > 0.0).then(|| linear_to_db(peak)),
        }
    }

    /// Where the sound is, with [`TRIM_MARGIN_MS`] on both sides; `None` when no scan was
    /// asked for, or nothing rose above the threshold (the file is left whole).
    pub fn sound_span(&self) -> Option<SoundSpan> {
        let (first, last) = (self.first_loud?, self.last_loud?);
        let margin = TRIM_MARGIN_MS * u64::from(self.rate) / 1000;
        Some(SoundSpan {
            start: first.saturating_sub(margin),
            end: (last + 1 + margin).min(self.frames),
        })
    }
}

/// Decibels to a linear amplitude factor.
pub fn db_to_linear(db: f64) -> f64 {
    10f64.powf(db / 20.0)
}

/// A linear amplitude to decibels.
pub fn linear_to_db(x: f64) -> f64 {
    20.0 * x.log10()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sine(frames: usize, channels: usize, rate: u32, dbfs: f64) -> Vec<f32> {
        let amp = db_to_linear(dbfs);
        (0..frames)
            .flat_map(|i| {
                let v = (amp
                    * (2.0 * std::f64::consts::PI * 997.0 * i as f64 / f64::from(rate)).sin())
                    as f32;
                std::iter::repeat_n(v, channels)
            })
            .collect()
    }

    #[test]
    fn a_sine_at_minus_20_dbfs_on_both_channels_measures_minus_20_lufs() {
        // BS.1770: a 997 Hz sine at 0 dBFS in one channel reads -3.01 LUFS; in both, 0.
        let mut m = LoudnessMeter::new(2, 48_000, None);
        for block in sine(48_000 * 5, 2, 48_000, -20.0).chunks(4096) {
            m.add(block);
        }
        let l = m.loudness();
        let lufs = l.integrated_lufs.expect("measured");
        assert!((lufs - -20.0).abs() < 0.1, "{lufs}");
        let peak = l.true_peak_dbtp.expect("peak");
        assert!((peak - -20.0).abs() < 0.2, "{peak}");
    }

    #[test]
    fn mono_is_measured_as_it_airs_on_both_sides() {
        let mut mono = LoudnessMeter::new(1, 48_000, None);
        mono.add(&sine(48_000 * 5, 1, 48_000, -20.0));
        let lufs = mono.loudness().integrated_lufs.expect("measured");
        assert!((lufs - -20.0).abs() < 0.1, "dual mono: {lufs}");
    }

    #[test]
    fn silence_has_no_loudness_and_no_span() {
        let mut m = LoudnessMeter::new(2, 44_100, Some(-50.0));
        m.add(&vec![0.0; 44_100 * 2 * 2]);
        assert_eq!(
            m.loudness(),
            Loudness {
                integrated_lufs: None,
                true_peak_dbtp: None
            }
        );
        assert_eq!(m.sound_span(), None);
    }

    #[test]
    fn the_sound_span_skips_leading_and_trailing_silence_with_a_margin() {
        let rate = 1000; // one frame per millisecond
        let mut samples = vec![0.001f32; 2 * 500]; // -60 dBFS: silence at -50
        samples.extend(sine(1000, 2, rate, -20.0).iter().map(|s| s + 0.5));
        samples.extend(vec![0.0f32; 2 * 700]);
        let mut m = LoudnessMeter::new(2, rate, Some(-50.0));
        for block in samples.chunks(2 * 64) {
            m.add(block);
        }
        let span = m.sound_span().expect("sound");
        assert_eq!(span.start, 500 - TRIM_MARGIN_MS);
        assert_eq!(span.end, 1500 + TRIM_MARGIN_MS);
        let none = LoudnessMeter::new(2, rate, None);
        assert_eq!(none.sound_span(), None, "no scan asked for");
    }
}
