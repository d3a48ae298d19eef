//! `NAME.toml` playlists: `title`, `order`, default `topic`/`unit`, and `[[item]]`s that
//! name a library `segment` (by id) or a `file` (relative to the playlist).

use std::path::Path;
use std::str::FromStr;

use toml::Spanned;

use super::{Entry, Order, Playlist, file_entry};
use crate::config::walk::{Table, parse_document};
use crate::config::{Diagnostic, Source};
use crate::model::SegmentId;
use crate::text;
use crate::words::ConfigProblem;

const KEYS: &[&str] = &["title", "order", "topic", "unit", "item"];
const ITEM_KEYS: &[&str] = &["segment", "file", "title", "topic", "unit"];

pub(super) fn parse(
    text: &str,
    abs: &Path,
    shown: &Path,
    name: String,
) -> Result<Playlist, Vec<Diagnostic>> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut src = Source::new(text, shown);
    let Some(doc) = parse_document(&mut src) else {
        return Err(src.finish());
    };
    let top = Table::new(doc.get_ref(), doc.span(), "the playlist");
    top.check_keys(&mut src, KEYS);
    let title = top
        .text(&mut src, "title", text::MAX_LABEL)
        .map(Spanned::into_inner);
    let order = match top.string(&mut src, "order") {
        None => Order::default(),
        Some(o) => Order::from_str(o.get_ref()).unwrap_or_else(|message| {
            src.problem(o.span(), ConfigProblem::BadOrder { detail: message });
            Order::default()
        }),
    };
    let topic = top
        .text(&mut src, "topic", text::MAX_SLUG)
        .map(Spanned::into_inner);
    let unit = top
        .text(&mut src, "unit", text::MAX_UNIT)
        .map(Spanned::into_inner);
    let base = abs.parent().unwrap_or(Path::new("."));
    let mut entries = Vec::new();
    for item in top.tables(&mut src, "item", "[[item]]") {
        item.check_keys(&mut src, ITEM_KEYS);
        let (line, _) = src.position(item.span.start);
        let segment = item.integer(&mut src, "segment");
        let file = item.string(&mut src, "file");
        let item_title = item.text(&mut src, "title", text::MAX_TITLE);
        let item_topic = item
            .text(&mut src, "topic", text::MAX_SLUG)
            .map(Spanned::into_inner)
            .or(topic.clone());
        let item_unit = item
            .text(&mut src, "unit", text::MAX_UNIT)
            .map(Spanned::into_inner)
            .or(unit.clone());
        match (segment, file) {
            (Some(id), None) => match u64::try_from(*id.get_ref()) {
                Ok(n) => entries.push(Entry::Segment {
                    id: SegmentId(n),
                    line: src.position(id.span().start).0,
                }),
                Err(_) => src.problem(
                    id.span(),
                    ConfigProblem::NegativeSegmentId {
                        id: id.get_ref().to_string(),
                    },
                ),
            },
            (None, Some(f)) if !f.get_ref().trim().is_empty() => entries.push(file_entry(
                base,
                f.get_ref().trim(),
                item_title.as_ref().map(|t| t.get_ref().as_str()),
                item_topic,
                item_unit,
                src.position(f.span().start).0,
            )),
            (Some(_), Some(f)) => src.problem(f.span(), ConfigProblem::ItemSegmentAndFile),
            (None, Some(f)) => src.problem(f.span(), ConfigProblem::ItemFileEmpty),
            (None, None) if !item.has("segment") && !item.has("file") => src.problem(
                item.span.clone(),
                ConfigProblem::ItemNamesNothing { line: line as u64 },
            ),
            (None, None) => {}
        }
    }
    let diagnostics = src.finish();
    if !diagnostics.is_empty() {
        return Err(diagnostics);
    }
    Ok(Playlist {
        name,
        path: abs.to_path_buf(),
        title,
        order,
        entries,
    })
}
