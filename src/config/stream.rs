//! `[[stream]]`: the station's audio sent to Icecast servers beside the sound card (IP
//! loudspeaker clusters take the stream). Each section is one source connection; every key
//! but `url` has a default. Also the `zones` list of programs (which streams carry them).

use std::time::Duration;

use super::Source;
use super::duration::Bounds;
use super::program::bounded;
use super::walk::Table;
use crate::stream::{IcecastUrl, Idle, MAX_ZONE, MAX_ZONES, StreamSpec, lame, zone_name_ok};
use crate::words::ConfigProblem;

const STREAM_KEYS: &[&str] = &[
    "url",
    "name",
    "format",
    "bitrate",
    "channels",
    "sample_rate",
    "idle",
    "hold",
    "zones",
    "description",
];

/// The most streams one station sends.
pub const MAX_STREAMS: usize = 8;
/// Kept connected after the last audio: 2 s to an hour.
const HOLD: Bounds = Bounds::secs(2, 3600);

pub(super) fn streams(
    src: &mut Source<'_>,
    top: &Table<'_, '_>,
    station: Option<&str>,
) -> Option<Vec<StreamSpec>> {
    let tables = top.tables(src, "stream", "[[stream]]");
    let mut ok = true;
    if tables.len() > MAX_STREAMS {
        ok = false;
        src.problem(
            top.span_of("stream").unwrap_or(0..0),
            ConfigProblem::TooManyStreams {
                count: tables.len() as u64,
                max: MAX_STREAMS as u64,
            },
        );
    }
    let mut out: Vec<StreamSpec> = Vec::new();
    for t in tables.iter().take(MAX_STREAMS) {
        match stream(src, t, station) {
            Some(spec) => {
                if out.iter().any(|s| {
                    s.url.host == spec.url.host
                        && s.url.port == spec.url.port
                        && s.url.mount == spec.url.mount
                }) {
                    ok = false;
                    src.problem(
                        t.span_of("url").unwrap_or(t.span.clone()),
                        ConfigProblem::DuplicateStream {
                            url: spec.url.public(),
                        },
                    );
                }
                out.push(spec);
            }
            None => ok = false,
        }
    }
    ok.then_some(out)
}

fn stream(src: &mut Source<'_>, t: &Table<'_, '_>, station: Option<&str>) -> Option<StreamSpec> {
    t.check_keys(src, STREAM_KEYS);
    let mut ok = true;
    let url = match t.text(src, "url", super::MAX_URL) {
        None => {
            src.problem(
                t.span.clone(),
                ConfigProblem::KeyMissing {
                    key: "url".into(),
                    section: "[[stream]]".into(),
                },
            );
            None
        }
        Some(u) => match IcecastUrl::parse(u.get_ref()) {
            Ok(url) => Some(url),
            Err(problem) => {
                let shown = hide_password(u.get_ref());
                src.problem(
                    u.span(),
                    ConfigProblem::StreamUrl {
                        url: shown,
                        problem,
                    },
                );
                None
            }
        },
    };
    let mut choice = |key: &str, allowed: &[&str], default: &str| -> String {
        match t.string(src, key) {
            None => default.to_string(),
            Some(v) if allowed.contains(&v.get_ref().as_str()) => v.into_inner(),
            Some(v) => {
                ok = false;
                src.problem(
                    v.span(),
                    ConfigProblem::NotOneOf {
                        key: key.to_string(),
                        value: v.get_ref().chars().take(40).collect(),
                        allowed: allowed.join(", "),
                    },
                );
                default.to_string()
            }
        }
    };
    // Only MP3 for now: the key is read so that another value is refused at its place.
    choice("format", &["mp3"], "mp3");
    let mono = choice("channels", &["mono", "stereo"], "mono") == "mono";
    let idle = match choice("idle", &["disconnect", "silence"], "disconnect").as_str() {
        "silence" => Idle::Silence,
        _ => Idle::Disconnect,
    };
    let mut listed = |key: &str, allowed: &[u32], default: u32| -> u32 {
        match t.integer(src, key) {
            None => default,
            Some(v) if u32::try_from(*v.get_ref()).is_ok_and(|n| allowed.contains(&n)) => {
                u32::try_from(*v.get_ref()).unwrap_or(default)
            }
            Some(v) => {
                ok = false;
                let allowed: Vec<String> = allowed.iter().map(u32::to_string).collect();
                src.problem(
                    v.span(),
                    ConfigProblem::NotOneOf {
                        key: key.to_string(),
                        value: v.get_ref().to_string(),
                        allowed: allowed.join(", "),
                    },
                );
                default
            }
        }
    };
    let rates: Vec<u32> = lame::BITRATES.iter().map(|&b| u32::from(b)).collect();
    let bitrate = u16::try_from(listed("bitrate", &rates, 64)).unwrap_or(64);
    let sample_rate = listed("sample_rate", lame::SAMPLE_RATES, 44_100);
    let hold = bounded(src, t, "hold", HOLD, &mut ok).unwrap_or(Duration::from_secs(30));
    let zones = zones(src, t, &mut ok);
    let url = url?;
    let name = t
        .text(src, "name", crate::text::MAX_LABEL)
        .map(|n| n.into_inner())
        .unwrap_or_else(|| url.mount.trim_start_matches('/').to_string());
    let description = t
        .text(src, "description", crate::text::MAX_LABEL)
        .map(|n| n.into_inner())
        .or_else(|| station.map(str::to_string))
        .unwrap_or_default();
    ok.then_some(StreamSpec {
        name,
        url,
        bitrate,
        mono,
        sample_rate,
        idle,
        hold,
        zones,
        description,
    })
}

/// A `zones = ["thon-1", …]` list: short names without spaces.
pub(super) fn zones(src: &mut Source<'_>, t: &Table<'_, '_>, ok: &mut bool) -> Vec<String> {
    let Some(list) = t.strings(src, "zones") else {
        return Vec::new();
    };
    if list.len() > MAX_ZONES {
        *ok = false;
        src.problem(
            t.span_of("zones").unwrap_or(0..0),
            ConfigProblem::TooManyZones {
                count: list.len() as u64,
                max: MAX_ZONES as u64,
            },
        );
    }
    let mut out = Vec::new();
    for z in list.into_iter().take(MAX_ZONES) {
        let name = z.get_ref();
        if !zone_name_ok(name) {
            *ok = false;
            src.problem(
                z.span(),
                ConfigProblem::BadZone {
                    zone: name.chars().take(MAX_ZONE).collect(),
                },
            );
        } else if !out.contains(name) {
            out.push(z.into_inner());
        }
    }
    out
}

/// The URL as an error may show it: the password replaced by `***`.
fn hide_password(url: &str) -> String {
    let shown: String = url.chars().take(200).collect();
    match (shown.find("://"), shown.rfind('@')) {
        (Some(s), Some(at)) if at > s + 3 => {
            let userinfo = &shown[s + 3..at];
            let user = userinfo.split_once(':').map_or("", |(u, _)| u);
            format!("{}{user}:***{}", &shown[..s + 3], &shown[at..])
        }
        _ => shown,
    }
}
