//! A running loudness leveller for live sources (a relay, the live microphone): what a file
//! gets from its measured loudness at import, a source that arrives as it airs gets here.

use std::num::NonZero;

/// A slow running gain toward the target loudness, and a peak limiter.
///
/// The gain follows the short-term loudness (3 s, BS.1770) of what arrives, averaged over
/// about ten seconds and moved at most [`SLEW_DB_PER_S`]: speech pauses and single loud
/// words do not move it (no pumping); a source that comes in 10 dB too quiet is brought up
/// within seconds. Gated below −50 LUFS (pauses, silence hold the gain). The limiter then
/// holds peaks under the ceiling: an instant reduction, released over half a second.
pub(crate) struct Leveller {
    meter: ebur128::EbuR128,
    target: f64,
    ceiling: f32,
    /// Smoothed loudness estimate, LUFS; `None` until the first measure.
    estimate: Option<f64>,
    gain_db: f64,
    limit: f32,
    /// Samples per second (all channels).
    rate: f64,
    /// Seconds of audio seen, and of it measured above the gate.
    heard_s: f64,
    measured_s: f64,
    /// Seconds of audio added since the meter was last read.
    unread_s: f64,
}

const SLEW_DB_PER_S: f64 = 3.0;
const READ_EVERY_S: f64 = 0.4;
const MAX_GAIN_DB: f64 = 15.0;
const MIN_GAIN_DB: f64 = -20.0;
const ESTIMATE_TIME_S: f64 = 10.0;
const RELEASE_S: f64 = 0.5;
const OUTLIER_DB: f64 = 4.0;

impl Leveller {
    pub(crate) fn new(
        channels: NonZero<u16>,
        rate: NonZero<u32>,
        target: f64,
        ceiling_db: f64,
    ) -> Option<Leveller> {
        let meter = ebur128::EbuR128::new(
            u32::from(channels.get()),
            rate.get(),
            ebur128::Mode::M | ebur128::Mode::S,
        )
        .ok()?;
        Some(Leveller {
            meter,
            target,
            ceiling: 10f32.powf(ceiling_db as f32 / 20.0),
            estimate: None,
            gain_db: 0.0,
            limit: 1.0,
            rate: f64::from(rate.get()) * f64::from(channels.get()),
            heard_s: 0.0,
            measured_s: 0.0,
            unread_s: 0.0,
        })
    }

    pub(crate) fn apply(&mut self, buf: &mut [f32]) {
        if self.meter.add_frames_f32(buf).is_err() {
            return;
        }
        let dt = buf.len() as f64 / self.rate;
        self.heard_s += dt;
        self.unread_s += dt;
        // The meter's windows are full after 400 ms (momentary) and 3 s (short-term): read
        // the fuller one, and average over what there is until ten seconds have come. Read
        // every 400 ms (the momentary window's length): a reading sums the whole window —
        // read on every 10 ms chunk it was two thirds of a relay's CPU — and the estimate
        // averages ten seconds, the gain moves 3 dB/s: a finer reading changes nothing.
        let due = self.unread_s >= READ_EVERY_S * 0.999;
        let reading = if !due {
            Ok(f64::NEG_INFINITY)
        } else if self.heard_s >= 3.0 {
            self.meter.loudness_shortterm()
        } else if self.heard_s >= 0.4 {
            self.meter.loudness_momentary()
        } else {
            Ok(f64::NEG_INFINITY)
        };
        let read_dt = if due {
            std::mem::take(&mut self.unread_s)
        } else {
            0.0
        };
        if let Ok(st) = reading
            && st.is_finite()
            && st > -50.0
        {
            self.measured_s += read_dt;
            let k = (read_dt / self.measured_s.min(ESTIMATE_TIME_S)).min(1.0);
            // A shout or a jingle lifts the short-term reading for its three seconds: it
            // counts as at most a few dB, so the speech after it is not pushed down.
            let e = self
                .estimate
                .map_or(st, |e| e + (st.clamp(e - 10.0, e + OUTLIER_DB) - e) * k);
            self.estimate = Some(e);
        }
        if let Some(e) = self.estimate {
            let want = (self.target - e).clamp(MIN_GAIN_DB, MAX_GAIN_DB);
            let step = SLEW_DB_PER_S * dt;
            self.gain_db += (want - self.gain_db).clamp(-step, step);
        }
        let gain = 10f32.powf(self.gain_db as f32 / 20.0);
        let peak = buf.iter().fold(0f32, |m, s| m.max(s.abs())) * gain;
        let need = if peak > self.ceiling {
            self.ceiling / peak
        } else {
            1.0
        };
        let release = (dt / RELEASE_S) as f32;
        self.limit = need.min((self.limit + release).min(1.0));
        let g = gain * self.limit;
        for s in buf.iter_mut() {
            *s *= g;
        }
    }
}
