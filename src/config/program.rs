//! `[[program]]` sections -> [`Program`]s: names unique and one word, a valid cron line,
//! something to play, durations and file paths.

use std::collections::HashMap;
use std::path::Path;
use std::str::FromStr;

use crate::words::ConfigProblem;
use toml::Spanned;

use super::duration::{Bounds, CATCH_UP, MAX_DURATION};
use super::validate::resolve;
use super::walk::Span;
use super::walk::Table;
use super::{Program, ProgramSpans, Source};
use crate::schedule::CronRule;

const PROGRAM_KEYS: &[&str] = &[
    "name",
    "title",
    "cron",
    "playlists",
    "queue",
    "intro",
    "outro",
    "separator",
    "max_duration",
    "enabled",
    "catch_up",
    "relay",
    "fallback",
    "record",
    "topic",
    "zones",
];

/// The most source URLs a relay program may list, and the longest URL.
pub const MAX_RELAY_URLS: usize = 8;
pub const MAX_URL: usize = 2048;

pub(super) fn programs(
    src: &mut Source<'_>,
    top: &Table<'_, '_>,
    base: &Path,
    topics: &std::collections::BTreeMap<String, String>,
    default_topic: Option<&str>,
) -> Option<Vec<Program>> {
    let mut out = Vec::new();
    let mut ok = true;
    let mut seen: HashMap<String, (usize, usize)> = HashMap::new();
    for t in top.tables(src, "program", "[[program]]") {
        let name = t.text(src, "name", crate::text::MAX_SLUG);
        if let Some(name) = &name {
            let here = src.position(name.span().start);
            if let Some((line, _)) = seen.get(name.get_ref()) {
                src.problem(
                    name.span(),
                    ConfigProblem::DuplicateProgram {
                        name: name.get_ref().clone(),
                        line: *line as u64,
                    },
                );
                ok = false;
            } else {
                seen.insert(name.get_ref().clone(), here);
            }
        }
        match program(src, &t, base, name, topics, default_topic) {
            Some(p) => out.push(p),
            None => ok = false,
        }
    }
    ok.then_some(out)
}

fn program(
    src: &mut Source<'_>,
    t: &Table<'_, '_>,
    base: &Path,
    name: Option<Spanned<String>>,
    topics: &std::collections::BTreeMap<String, String>,
    default_topic: Option<&str>,
) -> Option<Program> {
    t.check_keys(src, PROGRAM_KEYS);
    let mut ok = name_is_valid(src, t, name.as_ref());
    let title = t
        .text(src, "title", crate::text::MAX_LABEL)
        .map(Spanned::into_inner);
    let cron = cron(src, t);
    let mut spans = ProgramSpans::default();
    let playlists = playlists(src, t, "playlists", &mut spans.playlists, &mut ok);
    let relay = relay_urls(src, t, &mut ok);
    let fallback = playlists_of(src, t, "fallback", &mut spans.fallback, &mut ok);
    let record = t.boolean(src, "record").is_some_and(|b| *b.get_ref());
    let at = name.as_ref().map_or(t.span.clone(), Spanned::span);
    let queue = t.boolean(src, "queue");
    if !relay.is_empty() {
        // A relay program airs its relay; files come in only while no source plays.
        let files = t.span_of("playlists");
        let queued = queue.as_ref().filter(|q| *q.get_ref()).map(Spanned::span);
        if let Some(span) = files.or(queued) {
            ok = false;
            src.problem(span, ConfigProblem::RelayWithPlaylists);
        }
    } else if let Some(span) = t
        .span_of("fallback")
        .or(t.span_of("record"))
        .or(t.span_of("topic"))
    {
        ok = false;
        src.problem(span, ConfigProblem::RelayOnlyKey);
    }
    let topic = recording_topic(src, t, topics, &mut ok);
    if record && !t.has("topic") && default_topic.is_none() && !relay.is_empty() {
        ok = false;
        let span = t.span_of("record").unwrap_or(t.span.clone());
        src.problem(span, ConfigProblem::RecordWithoutTopic);
    }
    let queue = relay.is_empty() && queue.is_none_or(|b| *b.get_ref());
    if playlists.is_empty() && !queue && relay.is_empty() {
        ok = false;
        src.problem(at.clone(), ConfigProblem::NothingToPlay);
    }
    let mut file = |key: &str, pos: &mut (usize, usize)| {
        t.string(src, key).map(|s| {
            *pos = src.position(s.span().start);
            resolve(base, s.get_ref())
        })
    };
    let intro = file("intro", &mut spans.intro);
    let outro = file("outro", &mut spans.outro);
    let separator = file("separator", &mut spans.separator);
    let max_duration = bounded(src, t, "max_duration", MAX_DURATION, &mut ok);
    if !relay.is_empty() && max_duration.is_none() && !t.has("max_duration") {
        ok = false;
        src.problem(at, ConfigProblem::RelayWithoutWindow);
    }
    let enabled = t.boolean(src, "enabled").is_none_or(|b| *b.get_ref());
    let catch_up = match t.string(src, "catch_up") {
        Some(s) if s.get_ref() == "skip" => None,
        _ => bounded(src, t, "catch_up", CATCH_UP, &mut ok),
    };
    let zones = super::stream::zones(src, t, &mut ok);
    if !ok {
        return None;
    }
    Some(Program {
        name: name?.into_inner(),
        title,
        cron: cron?,
        playlists: playlists.into_iter().map(Spanned::into_inner).collect(),
        queue,
        intro,
        outro,
        separator,
        max_duration,
        enabled,
        catch_up,
        relay,
        fallback: fallback.into_iter().map(Spanned::into_inner).collect(),
        record,
        topic,
        zones,
        spans,
    })
}

/// A duration key held to `bounds`; an error names the key, the range and an example.
pub(super) fn bounded(
    src: &mut Source<'_>,
    t: &Table<'_, '_>,
    key: &str,
    bounds: Bounds,
    ok: &mut bool,
) -> Option<std::time::Duration> {
    let s = t.string(src, key)?;
    let text = s.get_ref().clone();
    let problem = match super::duration::parse_duration(&text) {
        Err(_) => ConfigProblem::BadDuration {
            key: key.to_string(),
            text,
        },
        Ok(d) => match bounds.check(&text, d) {
            Ok(d) => return Some(d),
            Err(_) => ConfigProblem::DurationOutOfRange {
                key: key.to_string(),
                text,
                min: super::duration::format_duration(bounds.min),
                max: super::duration::format_duration(bounds.max),
            },
        },
    };
    *ok = false;
    src.problem(s.span(), problem);
    None
}

/// Names the log uses for plays outside programs: a program may not take them.
pub const RESERVED_NAMES: &[&str] = &[
    crate::model::EMERGENCY_PROGRAM,
    crate::model::MANUAL_PROGRAM,
    crate::model::LIVE_PROGRAM,
];

/// Reports a missing name or one with spaces; false when the name is unusable.
fn name_is_valid(src: &mut Source<'_>, t: &Table<'_, '_>, name: Option<&Spanned<String>>) -> bool {
    match name {
        None if !t.has("name") => {
            src.problem(
                t.span.clone(),
                ConfigProblem::KeyMissing {
                    section: "[[program]]".into(),
                    key: "name".into(),
                },
            );
            false
        }
        Some(n) if n.get_ref().is_empty() || n.get_ref().chars().any(char::is_whitespace) => {
            src.problem(
                n.span(),
                ConfigProblem::ProgramNameNotOneWord {
                    name: n.get_ref().clone(),
                },
            );
            false
        }
        Some(n) if RESERVED_NAMES.contains(&n.get_ref().as_str()) => {
            src.problem(
                n.span(),
                ConfigProblem::ReservedProgramName {
                    name: n.get_ref().clone(),
                    reserved: RESERVED_NAMES.iter().map(|r| (*r).to_string()).collect(),
                    example: format!("{}-xa", n.get_ref()),
                },
            );
            false
        }
        _ => true,
    }
}

/// The `cron` line; its errors point inside the quoted text.
fn cron(src: &mut Source<'_>, t: &Table<'_, '_>) -> Option<CronRule> {
    let Some(s) = t.string(src, "cron") else {
        if !t.has("cron") {
            src.problem(
                t.span.clone(),
                ConfigProblem::KeyMissing {
                    section: "[[program]]".into(),
                    key: "cron".into(),
                },
            );
        }
        return None;
    };
    let rule = CronRule::from_str(s.get_ref())
        .map_err(|e| {
            // The error's 1-based column inside the text, shifted by the opening quote.
            let shift = e.column.unwrap_or(0);
            src.problem_at(
                s.span(),
                shift,
                ConfigProblem::CronSyntax { problem: e.problem },
            );
        })
        .ok()?;
    never_fires(src, s.span(), &rule).then_some(rule)
}

/// True when `rule` fires after now; else an error: a day that never comes (31 February) or
/// a year that has passed (the 7-field form's year).
fn never_fires(src: &mut Source<'_>, span: Span, rule: &CronRule) -> bool {
    let text = rule.to_string();
    let epoch = chrono::DateTime::<chrono::Utc>::UNIX_EPOCH;
    let Some(first) = rule.next_after(epoch, chrono_tz::UTC) else {
        src.problem(span, ConfigProblem::CronNeverFires { text });
        return false;
    };
    if rule
        .next_after(chrono::Utc::now(), chrono_tz::UTC)
        .is_none()
    {
        let first = first.format("%Y-%m-%d").to_string();
        src.problem(span, ConfigProblem::CronInThePast { text, first });
        return false;
    }
    true
}

/// Playlist names, with where each is written.
fn playlists(
    src: &mut Source<'_>,
    t: &Table<'_, '_>,
    key: &str,
    positions: &mut Vec<(usize, usize)>,
    ok: &mut bool,
) -> Vec<Spanned<String>> {
    playlists_of(src, t, key, positions, ok)
}

/// A list of playlist names (`playlists`, `fallback`): each a file name in the playlists
/// folder, its position kept for the file checks.
fn playlists_of(
    src: &mut Source<'_>,
    t: &Table<'_, '_>,
    key: &str,
    positions: &mut Vec<(usize, usize)>,
    ok: &mut bool,
) -> Vec<Spanned<String>> {
    let playlists = t.strings(src, key).unwrap_or_default();
    for p in &playlists {
        positions.push(src.position(p.span().start));
        if p.get_ref().is_empty() || p.get_ref().contains(['/', '\\']) {
            *ok = false;
            let name = p.get_ref().clone();
            src.problem(p.span(), ConfigProblem::PlaylistNameNotFileName { name });
        }
    }
    playlists
}

/// A relay program's `topic` (of its recordings), one of `[topics]`.
fn recording_topic(
    src: &mut Source<'_>,
    t: &Table<'_, '_>,
    topics: &std::collections::BTreeMap<String, String>,
    ok: &mut bool,
) -> Option<String> {
    let topic = t.text(src, "topic", crate::text::MAX_SLUG)?;
    if topics.contains_key(topic.get_ref()) {
        return Some(topic.into_inner());
    }
    *ok = false;
    let known: Vec<&str> = topics.keys().map(String::as_str).collect();
    src.problem(
        topic.span(),
        ConfigProblem::ProgramTopicUnknown {
            topic: topic.get_ref().clone(),
            suggestion: super::diagnostic::closest(topic.get_ref(), &known).map(str::to_string),
            known: known.join(", "),
        },
    );
    None
}

/// `relay = ["https://…/vov1.m3u8", "http://…/vov1.mp3"]`: the sources, tried in order.
fn relay_urls(src: &mut Source<'_>, t: &Table<'_, '_>, ok: &mut bool) -> Vec<String> {
    let urls = t.strings(src, "relay").unwrap_or_default();
    if urls.len() > MAX_RELAY_URLS {
        *ok = false;
        let span = t.span_of("relay").unwrap_or(t.span.clone());
        src.problem(
            span,
            ConfigProblem::TooManyRelayUrls {
                count: urls.len() as u64,
                max: MAX_RELAY_URLS as u64,
            },
        );
        return Vec::new();
    }
    let mut out = Vec::new();
    for u in urls {
        match crate::relay::check_url(u.get_ref()) {
            Ok(()) => out.push(u.into_inner()),
            Err(problem) => {
                *ok = false;
                let url: String = u.get_ref().chars().take(200).collect();
                src.problem(u.span(), ConfigProblem::RelayUrl { url, problem });
            }
        }
    }
    out
}
