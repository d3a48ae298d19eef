//! The gain a segment airs with: from its measured loudness to the station's target, plus
//! the operator's offsets, never above the true-peak ceiling.
//!
//! Pure arithmetic in dB, so `segment show`, the planner and the player agree on the
//! number: the player only multiplies by [`PlayoutGain::factor`].

use super::loudness::db_to_linear;

/// Largest boost or cut loudness normalisation applies (before the operator's offsets): a
/// −60 LUFS recording is mostly noise, and +44 dB would make that noise the broadcast.
pub const MAX_NORMALISATION_DB: f64 = 30.0;

/// The station's settings (`[audio]`).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct LevelSettings {
    /// `false`: no normalisation (the offset, master gain and ceiling still apply).
    pub normalise: bool,
    pub target_lufs: f64,
    pub true_peak_ceiling_dbtp: f64,
    pub master_gain_db: f64,
}

/// What one segment measured, and its own offset.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct SegmentLevel {
    pub loudness_lufs: Option<f64>,
    pub true_peak_dbtp: Option<f64>,
    /// The operator's per-segment offset (`loaxa segment edit ID --gain-db -3`).
    pub offset_db: f64,
}

/// The gain a segment airs with and how it was reached.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PlayoutGain {
    pub db: f64,
    /// The true-peak ceiling lowered it (the file is too peaky to reach the target).
    pub peak_limited: bool,
    /// No loudness was measured: only the offsets apply.
    pub unmeasured: bool,
}

impl PlayoutGain {
    /// The linear factor the player multiplies samples by.
    pub fn factor(&self) -> f32 {
        db_to_linear(self.db) as f32
    }
}

/// `target − loudness` (at most ±[`MAX_NORMALISATION_DB`]) `+ offset + master`, lowered so
/// that `true peak + gain ≤ ceiling`. Unmeasured audio gets the offsets only, under the same
/// ceiling when its peak is known.
pub fn playout_gain(settings: &LevelSettings, level: &SegmentLevel) -> PlayoutGain {
    let normalise = level
        .loudness_lufs
        .filter(|_| settings.normalise)
        .map_or(0.0, |l| {
            (settings.target_lufs - l).clamp(-MAX_NORMALISATION_DB, MAX_NORMALISATION_DB)
        });
    let wanted = normalise + level.offset_db + settings.master_gain_db;
    let (db, peak_limited) = match level.true_peak_dbtp {
        Some(peak) if peak + wanted > settings.true_peak_ceiling_dbtp => {
            (settings.true_peak_ceiling_dbtp - peak, true)
        }
        _ => (wanted, false),
    };
    PlayoutGain {
        db,
        peak_limited,
        unmeasured: level.loudness_lufs.is_none(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const STATION: LevelSettings = LevelSettings {
        normalise: true,
        target_lufs: -16.0,
        true_peak_ceiling_dbtp: -1.0,
        master_gain_db: 0.0,
    };

    fn level(lufs: f64, peak: f64, offset: f64) -> SegmentLevel {
        SegmentLevel {
            loudness_lufs: Some(lufs),
            true_peak_dbtp: Some(peak),
            offset_db: offset,
        }
    }

    #[test]
    fn quiet_and_loud_segments_are_brought_to_the_target() {
        let quiet = playout_gain(&STATION, &level(-30.0, -20.0, 0.0));
        assert_eq!((quiet.db, quiet.peak_limited), (14.0, false));
        let loud = playout_gain(&STATION, &level(-10.0, -2.0, 0.0));
        assert_eq!((loud.db, loud.peak_limited), (-6.0, false));
    }

    #[test]
    fn a_peaky_segment_gets_only_what_the_ceiling_allows() {
        // +14 dB would put a -3 dBTP peak at +11 dBTP.
        let g = playout_gain(&STATION, &level(-30.0, -3.0, 0.0));
        assert_eq!((g.db, g.peak_limited), (2.0, true));
    }

    #[test]
    fn offsets_add_up_and_stay_under_the_ceiling() {
        let settings = LevelSettings {
            master_gain_db: -2.0,
            ..STATION
        };
        let g = playout_gain(&settings, &level(-20.0, -12.0, 1.5));
        assert_eq!(g.db, 4.0 + 1.5 - 2.0);
        let g = playout_gain(&settings, &level(-20.0, -12.0, 12.0));
        assert_eq!((g.db, g.peak_limited), (11.0, true));
    }

    #[test]
    fn normalisation_is_bounded_and_unmeasured_audio_gets_the_offsets() {
        let g = playout_gain(&STATION, &level(-70.0, -60.0, 0.0));
        assert_eq!(g.db, MAX_NORMALISATION_DB);
        let unmeasured = SegmentLevel {
            offset_db: -3.0,
            ..SegmentLevel::default()
        };
        let g = playout_gain(&STATION, &unmeasured);
        assert_eq!((g.db, g.unmeasured), (-3.0, true));
        assert!((g.factor() - 0.707_945_8).abs() < 1e-6);
    }

    #[test]
    fn without_normalisation_only_the_offsets_and_the_ceiling_apply() {
        let off = LevelSettings {
            normalise: false,
            ..STATION
        };
        let quiet = SegmentLevel {
            loudness_lufs: Some(-30.0),
            true_peak_dbtp: Some(-20.0),
            offset_db: 2.0,
        };
        assert!((playout_gain(&off, &quiet).db - 2.0).abs() < 1e-9);
        assert!((playout_gain(&STATION, &quiet).db - 16.0).abs() < 1e-9);
        let hot = SegmentLevel {
            loudness_lufs: Some(-8.0),
            true_peak_dbtp: Some(0.5),
            offset_db: 0.0,
        };
        assert!((playout_gain(&off, &hot).db + 1.5).abs() < 1e-9);
    }
}
