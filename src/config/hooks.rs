//! `[hooks]`: commands the station runs around its programs — power the amplifier (a USB
//! relay, a GPIO pin, a smart plug) on before a program and off after it. Every key has a
//! default; the section may be left out (no hooks).

use std::time::Duration;

use super::duration::Bounds;
use super::program::bounded;
use super::walk::Table;
use super::{HooksSettings, Source};
use crate::words::ConfigProblem;

const HOOKS_KEYS: &[&str] = &["before_program", "after_program", "lead", "hold", "timeout"];

/// The longest command line.
const MAX_COMMAND: usize = 4096;
/// `before_program` runs this long before the fire time: none to ten minutes.
const LEAD: Bounds = Bounds::secs(0, 600);
/// `after_program` runs this long after the program's end: none to an hour.
const HOLD: Bounds = Bounds::secs(0, 3600);
/// A hook still running after this is stopped: a second to ten minutes.
const TIMEOUT: Bounds = Bounds::secs(1, 600);

/// What a file without `[hooks]` gets.
pub(super) fn default_hooks() -> HooksSettings {
    HooksSettings {
        before_program: None,
        after_program: None,
        lead: Duration::from_secs(5),
        hold: Duration::from_secs(30),
        timeout: Duration::from_secs(30),
    }
}

pub(super) fn hooks(src: &mut Source<'_>, t: &Table<'_, '_>) -> Option<HooksSettings> {
    t.check_keys(src, HOOKS_KEYS);
    let mut ok = true;
    let mut out = default_hooks();
    for (key, field) in [
        ("before_program", &mut out.before_program),
        ("after_program", &mut out.after_program),
    ] {
        if let Some(command) = t.text(src, key, MAX_COMMAND) {
            if command.get_ref().trim().is_empty() {
                src.problem(
                    command.span(),
                    ConfigProblem::HookEmpty {
                        key: key.to_string(),
                    },
                );
                ok = false;
            }
            *field = Some(command.into_inner());
        }
    }
    for (key, bounds, field) in [
        ("lead", LEAD, &mut out.lead),
        ("hold", HOLD, &mut out.hold),
        ("timeout", TIMEOUT, &mut out.timeout),
    ] {
        if let Some(d) = bounded(src, t, key, bounds, &mut ok) {
            *field = d;
        }
    }
    ok.then_some(out)
}
