//! `NAME.m3u` / `NAME.m3u8` playlists, as media players and operators write them.
//!
//! One path a line, relative to the playlist file; `#EXTINF:secs,Title` titles the next
//! path; `#PLAYLIST:Title` titles the playlist. loaxa's own directives:
//! `#LOAXA-TOPIC:slug` and `#LOAXA-UNIT:text` apply to the entries after them,
//! `#LOAXA-ORDER:rotate` sets the order, `#LOAXA-SEGMENT:12` adds a library segment.
//! Other `#` lines are comments. A UTF-8 BOM and CRLF line ends are accepted.

use std::path::Path;
use std::str::FromStr;

use super::{Entry, Order, Playlist, file_entry};
use crate::config::Diagnostic;
use crate::model::SegmentId;
use crate::text;
use crate::words::ConfigProblem;

pub(super) fn parse(
    text: &str,
    abs: &Path,
    shown: &Path,
    name: String,
) -> Result<Playlist, Vec<Diagnostic>> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let base = abs.parent().unwrap_or(Path::new("."));
    let mut list = Playlist {
        name,
        path: abs.to_path_buf(),
        title: None,
        order: Order::default(),
        entries: Vec::new(),
    };
    let mut diagnostics = Vec::new();
    let mut problem = |line: usize, problem: ConfigProblem| {
        diagnostics.push(Diagnostic::at(shown, (line, 1), problem));
    };
    let mut too_long = Vec::new();
    // Text for people: cleaned, and at most `max` characters (a longer value is a problem).
    let mut bounded = |line: usize, what: &str, value: &str, max: usize| {
        let value = text::clean(value);
        let len = value.chars().count();
        if len > max {
            too_long.push(Diagnostic::at(
                shown,
                (line, 1),
                ConfigProblem::TooLong {
                    what: what.to_string(),
                    len: len as u64,
                    max: max as u64,
                },
            ));
        }
        value
    };
    let (mut topic, mut unit, mut title) = (None::<String>, None::<String>, None::<String>);
    for (i, raw) in text.lines().enumerate() {
        let line = i + 1;
        let l = raw.trim();
        if l.is_empty() {
            continue;
        }
        if let Some(directive) = l.strip_prefix('#') {
            let (key, value) = directive.split_once(':').unwrap_or((directive, ""));
            let value = value.trim();
            match key.trim().to_ascii_uppercase().as_str() {
                "EXTINF" => {
                    title = value
                        .split_once(',')
                        .map(|(_, t)| bounded(line, "#EXTINF title", t, text::MAX_TITLE))
                }
                "PLAYLIST" => {
                    list.title = Some(bounded(line, "#PLAYLIST", value, text::MAX_LABEL))
                        .filter(|t| !t.is_empty())
                }
                "LOAXA-TOPIC" => {
                    topic = Some(bounded(line, "#LOAXA-TOPIC", value, text::MAX_SLUG))
                        .filter(|t| !t.is_empty())
                }
                "LOAXA-UNIT" => {
                    unit = Some(bounded(line, "#LOAXA-UNIT", value, text::MAX_UNIT))
                        .filter(|t| !t.is_empty())
                }
                "LOAXA-ORDER" => match Order::from_str(value) {
                    Ok(order) => list.order = order,
                    Err(detail) => problem(line, ConfigProblem::BadOrder { detail }),
                },
                "LOAXA-SEGMENT" => match SegmentId::from_str(value) {
                    Ok(id) => list.entries.push(Entry::Segment { id, line }),
                    Err(bad) => problem(line, ConfigProblem::BadSegmentId { bad }),
                },
                key if key.starts_with("LOAXA") => problem(
                    line,
                    ConfigProblem::UnknownDirective {
                        directive: directive.trim().to_string(),
                    },
                ),
                _ => {}
            }
            continue;
        }
        if l.contains("://") {
            problem(line, ConfigProblem::UrlEntry { url: l.to_string() });
            title = None;
            continue;
        }
        // Playlists made on Windows use backslashes.
        let written = l.replace('\\', "/");
        list.entries.push(file_entry(
            base,
            &written,
            title.take().as_deref(),
            topic.clone(),
            unit.clone(),
            line,
        ));
    }
    diagnostics.append(&mut too_long);
    if diagnostics.is_empty() {
        Ok(list)
    } else {
        Err(diagnostics)
    }
}
