//! `[relay]`: how relay programs reach their sources and when a source counts as failed.
//! Every key has a default; the section may be left out.

use std::time::Duration;

use super::duration::Bounds;
use super::program::bounded;
use super::walk::Table;
use super::{RelaySettings, Source};

const RELAY_KEYS: &[&str] = &[
    "connect_timeout",
    "stall_timeout",
    "silence_timeout",
    "frozen_timeout",
    "prebuffer",
    "retry_max",
];

/// To connect: a second to a minute.
const CONNECT: Bounds = Bounds::secs(1, 60);
/// No byte for this long is a stall: a second to a minute.
const STALL: Bounds = Bounds::secs(1, 60);
/// Digital silence this long fails a source: a second to ten minutes.
const SILENCE: Bounds = Bounds::secs(1, 600);
/// A live playlist that has not advanced this long is frozen: five seconds to ten minutes.
const FROZEN: Bounds = Bounds::secs(5, 600);
/// Audio buffered before a source airs: a second to a minute.
const PREBUFFER: Bounds = Bounds::secs(1, 60);
/// The longest wait between two rounds of tries: a second to ten minutes.
const RETRY_MAX: Bounds = Bounds::secs(1, 600);

/// What a file without `[relay]` gets.
pub(super) fn default_relay() -> RelaySettings {
    RelaySettings {
        connect_timeout: Duration::from_secs(5),
        stall_timeout: Duration::from_secs(5),
        silence_timeout: Duration::from_secs(15),
        frozen_timeout: Duration::from_secs(30),
        prebuffer: Duration::from_secs(3),
        retry_first: Duration::from_secs(1),
        retry_max: Duration::from_secs(30),
    }
}

pub(super) fn relay(src: &mut Source<'_>, t: &Table<'_, '_>) -> Option<RelaySettings> {
    t.check_keys(src, RELAY_KEYS);
    let mut ok = true;
    let mut out = default_relay();
    for (key, bounds, field) in [
        ("connect_timeout", CONNECT, &mut out.connect_timeout),
        ("stall_timeout", STALL, &mut out.stall_timeout),
        ("silence_timeout", SILENCE, &mut out.silence_timeout),
        ("frozen_timeout", FROZEN, &mut out.frozen_timeout),
        ("prebuffer", PREBUFFER, &mut out.prebuffer),
        ("retry_max", RETRY_MAX, &mut out.retry_max),
    ] {
        if let Some(d) = bounded(src, t, key, bounds, &mut ok) {
            *field = d;
        }
    }
    out.retry_first = out.retry_first.min(out.retry_max);
    ok.then_some(out)
}
