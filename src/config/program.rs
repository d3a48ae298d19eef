//! `[[program]]` sections -> [`Program`]s: names unique and one word, a valid cron line,
//! something to play, durations and file paths.

use std::collections::HashMap;
use std::path::Path;
use std::str::FromStr;

use toml::Spanned;

use super::validate::resolve;
use super::walk::Table;
use super::{Program, ProgramSpans, Source, parse_duration};
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
                src.error(
                    name.span(),
                    format!(
                        "program name \"{}\" is already used on line {line}",
                        name.get_ref()
                    ),
                    Some("every [[program]] needs its own name".into()),
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
        src.error(
            at,
            "this program has nothing to play: no playlists and queue = false",
            Some("add playlists = [\"ban-tin-sang\"] or set queue = true".into()),
        );
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
    let max_duration = t.string(src, "max_duration").and_then(|s| {
        let d = parse_duration(s.get_ref());
        if let Err(message) = &d {
            ok = false;
            src.error(
                s.span(),
                message.clone(),
                Some("max_duration = \"30m\"".into()),
            );
        }
        d.ok()
    });
    let enabled = t.boolean(src, "enabled").is_none_or(|b| *b.get_ref());
    let catch_up = t.string(src, "catch_up").and_then(|s| {
        if s.get_ref() == "skip" {
            return None;
        }
        let d = parse_duration(s.get_ref());
        if let Err(message) = &d {
            ok = false;
            src.error(
                s.span(),
                format!("catch_up: {message}"),
                Some("catch_up = \"skip\" (default) or a grace window such as \"20m\"".into()),
            );
        }
        d.ok()
    });
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

/// Reports a missing name or one with spaces; false when the name is unusable.
fn name_is_valid(src: &mut Source<'_>, t: &Table<'_, '_>, name: Option<&Spanned<String>>) -> bool {
    match name {
        None if !t.has("name") => {
            src.error(
                t.span.clone(),
                "a [[program]] needs a `name`",
                Some("name = \"sang\"".into()),
            );
            false
        }
        Some(n) if n.get_ref().is_empty() || n.get_ref().chars().any(char::is_whitespace) => {
            src.error(
                n.span(),
                format!(
                    "program name \"{}\" must be one word (no spaces)",
                    n.get_ref()
                ),
                Some("use a short name such as \"sang\" and put the long one in `title`".into()),
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
            src.error(
                t.span.clone(),
                "a [[program]] needs a `cron` schedule",
                Some("cron = \"30 5 * * *\" airs at 05:30 every day".into()),
            );
        }
        return None;
    };
    let rule = CronRule::from_str(s.get_ref())
        .map_err(|e| {
            // The error's 1-based column inside the text, shifted by the opening quote.
            let shift = e.column.unwrap_or(0);
            src.error_at(
                s.span(),
                shift,
                format!("cron: {}", e.message),
                Some(e.hint),
            );
        })
        .ok()?;
    // A fixed instant keeps parsing pure; this catches days that never come (31 February).
    let epoch = chrono::DateTime::<chrono::Utc>::UNIX_EPOCH;
    if rule.next_after(epoch, chrono_tz::UTC).is_none() {
        src.error(
            s.span(),
            format!("cron: `{}` never fires (no such date)", s.get_ref()),
            Some("check the day-of-month and month fields: `0 6 28 2 *` is 28 February".into()),
        );
        return None;
    }
    Some(rule)
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
            src.error(
                p.span(),
                format!(
                    "playlist name \"{}\" must be a file name without folder or extension",
                    p.get_ref()
                ),
                Some("\"ban-tin-sang\" reads playlists/ban-tin-sang.toml (or .m3u / .m3u8)".into()),
            );
        }
    }
    playlists
}
