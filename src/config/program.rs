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
];

pub(super) fn programs(
    src: &mut Source<'_>,
    top: &Table<'_, '_>,
    base: &Path,
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
        match program(src, &t, base, name) {
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
) -> Option<Program> {
    t.check_keys(src, PROGRAM_KEYS);
    let mut ok = name_is_valid(src, t, name.as_ref());
    let title = t
        .text(src, "title", crate::text::MAX_LABEL)
        .map(Spanned::into_inner);
    let cron = cron(src, t);
    let mut spans = ProgramSpans::default();
    let playlists = playlists(src, t, &mut spans.playlists, &mut ok);
    let queue = t.boolean(src, "queue").is_none_or(|b| *b.get_ref());
    if playlists.is_empty() && !queue {
        ok = false;
        let at = name.as_ref().map_or(t.span.clone(), Spanned::span);
        src.problem(at, ConfigProblem::NothingToPlay);
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
    let enabled = t.boolean(src, "enabled").is_none_or(|b| *b.get_ref());
    let catch_up = match t.string(src, "catch_up") {
        Some(s) if s.get_ref() == "skip" => None,
        _ => bounded(src, t, "catch_up", CATCH_UP, &mut ok),
    };
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
        spans,
    })
}

/// A duration key held to `bounds`; an error names the key, the range and an example.
fn bounded(
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
    positions: &mut Vec<(usize, usize)>,
    ok: &mut bool,
) -> Vec<Spanned<String>> {
    let playlists = t.strings(src, "playlists").unwrap_or_default();
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
