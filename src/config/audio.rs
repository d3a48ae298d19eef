//! `[audio]`: how loud the station airs.
//!
//! `normalise = false` airs every segment at its own level (plus its offset and the master
//! gain), for stations whose material is mastered already.
//!
//! Segments arrive at wildly different levels (phone recordings, TTS services, provincial
//! radio); each is measured at import and brought to `target_lufs` at playout, never above
//! `true_peak_ceiling_dbtp`. `master_gain_db` moves the whole station; `trim_silence_db`
//! trims leading and trailing silence of files imported from then on.

use std::ops::RangeInclusive;

use toml::Spanned;

use super::walk::Table;
use super::{AudioConfig, Source};
use crate::words::ConfigProblem;

const AUDIO_KEYS: &[&str] = &[
    "normalise",
    "target_lufs",
    "true_peak_ceiling_dbtp",
    "master_gain_db",
    "trim_silence_db",
];

/// Default `[audio] target_lufs`: speech on loudspeakers (EBU R128 s1 / podcast practice;
/// broadcast television's −23 is too quiet for a horn in a village street).
pub const DEFAULT_TARGET_LUFS: f64 = -16.0;
/// Default `[audio] true_peak_ceiling_dbtp`.
pub const DEFAULT_CEILING_DBTP: f64 = -1.0;
/// The threshold `trim_silence_db = true` means.
pub const DEFAULT_TRIM_DB: f64 = -50.0;

const TARGET_RANGE: RangeInclusive<f64> = -40.0..=-5.0;
const CEILING_RANGE: RangeInclusive<f64> = -20.0..=0.0;
const MASTER_RANGE: RangeInclusive<f64> = -40.0..=20.0;
const TRIM_RANGE: RangeInclusive<f64> = -90.0..=-20.0;

/// The defaults, for a file without `[audio]`.
pub(super) fn default_audio() -> AudioConfig {
    AudioConfig {
        normalise: true,
        target_lufs: DEFAULT_TARGET_LUFS,
        true_peak_ceiling_dbtp: DEFAULT_CEILING_DBTP,
        master_gain_db: 0.0,
        trim_silence_db: None,
    }
}

/// A number in `range`, or a diagnostic at its place (the words of the range and of a good
/// value: [`ConfigProblem::NumberOutOfRange`]).
fn ranged(
    src: &mut Source<'_>,
    value: Option<Spanned<f64>>,
    key: &str,
    unit: &str,
    range: RangeInclusive<f64>,
    ok: &mut bool,
) -> Option<f64> {
    let n = value?;
    let v = *n.get_ref();
    if v.is_finite() && range.contains(&v) {
        return Some(v);
    }
    *ok = false;
    let problem = ConfigProblem::NumberOutOfRange {
        key: key.to_string(),
        value: v.to_string(),
        min: range.start().to_string(),
        max: range.end().to_string(),
        unit: unit.to_string(),
    };
    src.problem(n.span(), problem);
    None
}

pub(super) fn audio(src: &mut Source<'_>, t: &Table<'_, '_>) -> Option<AudioConfig> {
    t.check_keys(src, AUDIO_KEYS);
    let mut ok = true;
    let d = default_audio();
    let target = t.number(src, "target_lufs");
    let target_lufs = ranged(src, target, "target_lufs", "LUFS", TARGET_RANGE, &mut ok);
    let ceiling = t.number(src, "true_peak_ceiling_dbtp");
    let true_peak_ceiling_dbtp = ranged(
        src,
        ceiling,
        "true_peak_ceiling_dbtp",
        "dBTP",
        CEILING_RANGE,
        &mut ok,
    );
    let master = t.number(src, "master_gain_db");
    let master_gain_db = ranged(src, master, "master_gain_db", "dB", MASTER_RANGE, &mut ok);
    let trim_silence_db = match t.number_or_bool(src, "trim_silence_db") {
        None => None,
        Some(v) => match *v.get_ref() {
            Err(false) => None,
            Err(true) => Some(DEFAULT_TRIM_DB),
            Ok(n) => ranged(
                src,
                Some(Spanned::new(v.span(), n)),
                "trim_silence_db",
                "dBFS",
                TRIM_RANGE,
                &mut ok,
            ),
        },
    };
    let normalise = t.boolean(src, "normalise").is_none_or(|b| *b.get_ref());
    ok.then_some(AudioConfig {
        normalise,
        target_lufs: target_lufs.unwrap_or(d.target_lufs),
        true_peak_ceiling_dbtp: true_peak_ceiling_dbtp.unwrap_or(d.true_peak_ceiling_dbtp),
        master_gain_db: master_gain_db.unwrap_or(d.master_gain_db),
        trim_silence_db,
    })
}
