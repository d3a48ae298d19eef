//! The file and its `[station]`, `[output]` and `[topics]` sections -> typed values (the
//! `[[program]]`s are read in `program`). Every problem is recorded in the [`Source`] and
//! reading carries on, so all of them are reported at once.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::time::Duration;

use crate::words::ConfigProblem;
use chrono_tz::Tz;
use toml::Spanned;

use super::walk::{Table, parse_document};
use super::{
    AfterEmergency, Config, DEFAULT_BUFFER, DEFAULT_DATA_DIR, DEFAULT_DISK_WARN_MB, DEFAULT_FADE,
    DEFAULT_PLAYLISTS_DIR, DEFAULT_TIMEZONE, OutputConfig, STATION_TOPIC, STATION_TOPIC_TITLE,
    Source, Station, closest,
};
use crate::model::OutputSpec;

const TOP_KEYS: &[&str] = &[
    "station", "output", "topics", "program", "api", "audio", "relay", "tts", "live", "hooks",
    "alerts", "stream", "province",
];
const STATION_KEYS: &[&str] = &[
    "name",
    "timezone",
    "data_dir",
    "playlists_dir",
    "default_topic",
    "require_approval",
    "after_emergency",
    "disk_warn_mb",
];
const OUTPUT_KEYS: &[&str] = &["device", "sample_rate", "channels", "fade_ms", "buffer_ms"];

/// The whole file. `None` when a part could not be built (the diagnostics say why).
pub(super) fn config(src: &mut Source<'_>, path: &Path) -> Option<Config> {
    let doc = parse_document(src)?;
    let path = std::path::absolute(path).unwrap_or_else(|_| path.to_path_buf());
    let base = path.parent().map(Path::to_path_buf).unwrap_or_default();
    let top = Table::new(doc.get_ref(), doc.span(), "the config file");
    top.check_keys(src, TOP_KEYS);

    let topics = topics(src, &top);
    let station = match top.table(src, "station", "[station]") {
        Some(t) => station(src, &t, &base, &topics),
        None => {
            src.problem(0..0, ConfigProblem::StationMissing);
            None
        }
    };
    let output = match top.table(src, "output", "[output]") {
        Some(t) => output(src, &t, &base),
        None => Some(OutputConfig {
            device: OutputSpec::Default,
            sample_rate: None,
            channels: None,
            fade: DEFAULT_FADE,
            buffer: DEFAULT_BUFFER,
        }),
    };
    let default_topic = station.as_ref().and_then(|s| s.default_topic.as_deref());
    let programs = super::program::programs(src, &top, &base, &topics, default_topic);
    let api = match top.table(src, "api", "[api]") {
        Some(t) => super::api::api(src, &t),
        None => Some(super::api::default_api()),
    };
    let audio = match top.table(src, "audio", "[audio]") {
        Some(t) => super::audio::audio(src, &t),
        None => Some(super::audio::default_audio()),
    };
    let relay = match top.table(src, "relay", "[relay]") {
        Some(t) => super::relay::relay(src, &t),
        None => Some(super::relay::default_relay()),
    };
    let tts = match top.table(src, "tts", "[tts]") {
        Some(t) => super::tts::tts(src, &t),
        None => Some(super::tts::default_tts()),
    };
    let live = match top.table(src, "live", "[live]") {
        Some(t) => super::live::live(src, &t),
        None => Some(super::live::default_live()),
    };
    let hooks = match top.table(src, "hooks", "[hooks]") {
        Some(t) => super::hooks::hooks(src, &t),
        None => Some(super::hooks::default_hooks()),
    };
    let alerts = match top.table(src, "alerts", "[alerts]") {
        Some(t) => super::alerts::alerts(src, &t),
        None => Some(super::alerts::default_alerts()),
    };
    let streams = super::stream::streams(src, &top, station.as_ref().map(|s| s.name.as_str()));
    // `[province]`: one table, read by one module per concern; its key check covers all.
    let (province, inbox) = match top.table(src, "province", "[province]") {
        Some(t) => {
            let keys = [super::province::PROVINCE_KEYS, super::inbox::INBOX_KEYS].concat();
            t.check_keys(src, &keys);
            // Read once: it serves the push and the list alike.
            let ca_file = t
                .text(src, "ca_file", 4096)
                .map(|p| resolve(&base, p.get_ref()));
            (
                super::province::province(src, &t, ca_file.clone()),
                super::inbox::inbox(src, &t, &base, ca_file),
            )
        }
        None => (Some(None), Some(None)),
    };
    Some(Config {
        path,
        station: station?,
        output: output?,
        topics,
        programs: programs?,
        api: api?,
        audio: audio?,
        relay: relay?,
        tts: tts?,
        live: live?,
        hooks: hooks?,
        alerts: alerts?,
        streams: streams?,
        province: province?,
        inbox: inbox?,
    })
}

fn topics(src: &mut Source<'_>, top: &Table<'_, '_>) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    if let Some(t) = top.table(src, "topics", "[topics]") {
        for (slug, title) in t.string_pairs(src) {
            let slug = super::walk::bounded_at(src, "topic slug", slug, crate::text::MAX_SLUG);
            let title = super::walk::bounded_at(src, "topic label", title, crate::text::MAX_LABEL);
            if slug.get_ref().chars().any(char::is_whitespace) || slug.get_ref().is_empty() {
                let problem = ConfigProblem::TopicSlugNotOneWord {
                    slug: slug.get_ref().clone(),
                };
                src.problem(slug.span(), problem);
            }
            out.insert(slug.into_inner(), title.into_inner());
        }
    }
    out.entry(STATION_TOPIC.to_string())
        .or_insert_with(|| STATION_TOPIC_TITLE.to_string());
    out
}

pub(super) fn resolve(base: &Path, p: &str) -> PathBuf {
    normalize(&base.join(p))
}

/// Removes `.` and `name/..` pairs without touching the disk (the file may not exist yet),
/// so paths read well in logs and records: `/srv/loa/data`, not `/srv/loa/config/../data`.
pub fn normalize(path: &Path) -> PathBuf {
    use std::path::Component;
    let mut out = PathBuf::new();
    for c in path.components() {
        match c {
            Component::CurDir => {}
            Component::ParentDir
                if matches!(out.components().next_back(), Some(Component::Normal(_))) =>
            {
                out.pop();
            }
            other => out.push(other),
        }
    }
    out
}

fn station(
    src: &mut Source<'_>,
    t: &Table<'_, '_>,
    base: &Path,
    topics: &BTreeMap<String, String>,
) -> Option<Station> {
    t.check_keys(src, STATION_KEYS);
    let name = t.text(src, "name", crate::text::MAX_LABEL);
    if name.is_none() && !t.has("name") {
        src.problem(
            t.span.clone(),
            ConfigProblem::KeyMissing {
                section: "[station]".into(),
                key: "name".into(),
            },
        );
    }
    let timezone = match t.string(src, "timezone") {
        None => Some(DEFAULT_TIMEZONE),
        Some(s) => timezone(src, &s),
    };
    let dir = |src: &mut Source<'_>, key, default: &str| {
        t.string(src, key)
            .map_or_else(|| resolve(base, default), |s| resolve(base, s.get_ref()))
    };
    let data_dir = dir(src, "data_dir", DEFAULT_DATA_DIR);
    let playlists_dir = dir(src, "playlists_dir", DEFAULT_PLAYLISTS_DIR);
    let default_topic = t.string(src, "default_topic");
    if let Some(topic) = &default_topic
        && !topics.contains_key(topic.get_ref())
    {
        let known: Vec<&str> = topics.keys().map(String::as_str).collect();
        src.problem(
            topic.span(),
            ConfigProblem::DefaultTopicUnknown {
                topic: topic.get_ref().clone(),
                suggestion: closest(topic.get_ref(), &known).map(str::to_string),
                known: known.join(", "),
            },
        );
    }
    let require_approval = t
        .boolean(src, "require_approval")
        .is_some_and(|b| *b.get_ref());
    let after_emergency = match t.string(src, "after_emergency") {
        None => AfterEmergency::Resume,
        Some(s) => match s.get_ref().as_str() {
            "resume" => AfterEmergency::Resume,
            "requeue" => AfterEmergency::Requeue,
            other => {
                src.problem(
                    s.span(),
                    ConfigProblem::AfterEmergencyUnknown {
                        value: other.to_string(),
                    },
                );
                AfterEmergency::Resume
            }
        },
    };
    // 0 turns the warning off; more than 10 TB is a typo.
    let disk_warn_mb = match t.integer_in(src, "disk_warn_mb", 0..=10_000_000) {
        None => Some(DEFAULT_DISK_WARN_MB),
        Some(Ok(mb)) => Some(mb.unsigned_abs()),
        Some(Err(())) => None,
    };
    Some(Station {
        name: name?.into_inner(),
        timezone: timezone?,
        data_dir,
        playlists_dir,
        default_topic: default_topic.map(Spanned::into_inner),
        require_approval,
        after_emergency,
        disk_warn_mb: disk_warn_mb?,
    })
}

fn timezone(src: &mut Source<'_>, s: &Spanned<String>) -> Option<Tz> {
    match Tz::from_str(s.get_ref()) {
        Ok(tz) => Some(tz),
        Err(_) => {
            let names: Vec<&str> = chrono_tz::TZ_VARIANTS.iter().map(|z| z.name()).collect();
            let suggestion = closest(s.get_ref(), &names)
                .filter(|near| *near != "Asia/Ho_Chi_Minh")
                .map(str::to_string);
            src.problem(
                s.span(),
                ConfigProblem::UnknownTimezone {
                    name: s.get_ref().clone(),
                    suggestion,
                },
            );
            None
        }
    }
}

fn output(src: &mut Source<'_>, t: &Table<'_, '_>, base: &Path) -> Option<OutputConfig> {
    t.check_keys(src, OUTPUT_KEYS);
    let device = match t.string(src, "device") {
        None => Some(OutputSpec::Default),
        Some(s) => match OutputSpec::from_str(s.get_ref()) {
            Ok(OutputSpec::Wav(p)) => Some(OutputSpec::Wav(normalize(&base.join(p)))),
            Ok(OutputSpec::Raw(p)) => Some(OutputSpec::Raw(normalize(&base.join(p)))),
            Ok(spec) => Some(spec),
            Err(_) => {
                let text = s.get_ref().clone();
                src.problem(s.span(), ConfigProblem::BadOutputDevice { text });
                None
            }
        },
    };
    let mut ok = true;
    let sample_rate = match t.integer_in(src, "sample_rate", 8_000..=384_000) {
        Some(Ok(rate)) => u32::try_from(rate).ok(),
        Some(Err(())) => {
            ok = false;
            None
        }
        None => None,
    };
    let channels = match t.integer_in(src, "channels", 1..=2) {
        Some(Ok(n)) => u16::try_from(n).ok(),
        Some(Err(())) => {
            ok = false;
            None
        }
        None => None,
    };
    let fade = match t.integer_in(src, "fade_ms", 0..=10_000) {
        None => DEFAULT_FADE,
        Some(Ok(ms)) => Duration::from_millis(ms.unsigned_abs()),
        Some(Err(())) => {
            ok = false;
            DEFAULT_FADE
        }
    };
    let buffer = match t.integer_in(src, "buffer_ms", 5..=500) {
        None => DEFAULT_BUFFER,
        Some(Ok(ms)) => Duration::from_millis(ms.unsigned_abs()),
        Some(Err(())) => {
            ok = false;
            DEFAULT_BUFFER
        }
    };
    ok.then_some(OutputConfig {
        device: device?,
        sample_rate,
        channels,
        fade,
        buffer,
    })
}
