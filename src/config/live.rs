//! `[live]`: the live broadcast's input (phát trực tiếp) — the capture device, the longest a
//! live airing lasts before it ends by itself, and how long its air-check files are kept.
//! Every key has a default; the section may be left out.

use std::time::Duration;

use super::duration::Bounds;
use super::program::bounded;
use super::walk::Table;
use super::{LiveSettings, Source};

const LIVE_KEYS: &[&str] = &["input", "max_duration", "keep_aircheck"];

/// The longest device name.
const MAX_INPUT: usize = 256;
/// A live airing ends by itself after this: a minute to four hours.
const MAX_DURATION: Bounds = Bounds::secs(60, 4 * 3600);
/// Air-check files are kept this long: a day to ten years.
const KEEP: Bounds = Bounds::secs(24 * 3600, 3650 * 24 * 3600);

/// What a file without `[live]` gets.
pub(super) fn default_live() -> LiveSettings {
    LiveSettings {
        input: "default".into(),
        max_duration: Duration::from_secs(30 * 60),
        keep_aircheck: Duration::from_secs(365 * 24 * 3600),
    }
}

pub(super) fn live(src: &mut Source<'_>, t: &Table<'_, '_>) -> Option<LiveSettings> {
    t.check_keys(src, LIVE_KEYS);
    let mut ok = true;
    let mut out = default_live();
    if let Some(input) = t.text(src, "input", MAX_INPUT) {
        out.input = input.into_inner();
    }
    for (key, bounds, field) in [
        ("max_duration", MAX_DURATION, &mut out.max_duration),
        ("keep_aircheck", KEEP, &mut out.keep_aircheck),
    ] {
        if let Some(d) = bounded(src, t, key, bounds, &mut ok) {
            *field = d;
        }
    }
    ok.then_some(out)
}
