//! Playlist files in `playlists_dir` and the order their entries air in. Pure apart from
//! reading the files themselves.
//!
//! Two forms, same result ([`Playlist`]): `NAME.toml` (title, order, default topic/unit,
//! `[[item]]`s naming a library segment or a file) and `NAME.m3u` / `NAME.m3u8` (one path a
//! line, `#EXTINF` titles, `#LOAXA-…` directives). Paths are relative to the playlist file;
//! titles and paths are NFC-normalised, since Vietnamese names often arrive decomposed (NFD).

mod m3u;
mod order;
#[cfg(test)]
mod tests;
mod toml_form;

use std::collections::BTreeMap;
use std::fmt;
use std::path::{Path, PathBuf};
use std::str::FromStr;

use unicode_normalization::UnicodeNormalization;

use crate::config::Diagnostic;
use crate::model::SegmentId;
use crate::words::ConfigProblem;

pub use order::play_order;

/// File extensions of playlists, in the order [`find`] tries them.
pub const EXTENSIONS: [&str; 3] = ["toml", "m3u8", "m3u"];

/// A playlist file, read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Playlist {
    /// The file stem: what `playlists = [...]` in the config refers to.
    pub name: String,
    pub path: PathBuf,
    pub title: Option<String>,
    pub order: Order,
    pub entries: Vec<Entry>,
}

/// How a program walks through a playlist.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Order {
    /// From the top every time.
    #[default]
    Sequential,
    /// A fresh random order every time.
    Shuffle,
    /// Carry on after the last item that aired, wrapping round.
    Rotate,
}

impl FromStr for Order {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim().to_ascii_lowercase().as_str() {
            "sequential" => Ok(Order::Sequential),
            "shuffle" => Ok(Order::Shuffle),
            "rotate" => Ok(Order::Rotate),
            _ => Err(format!(
                "order `{s}` is not known: use sequential, shuffle or rotate"
            )),
        }
    }
}

impl fmt::Display for Order {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Order::Sequential => "sequential",
            Order::Shuffle => "shuffle",
            Order::Rotate => "rotate",
        })
    }
}

/// One item of a playlist. `line` is where it is written in the playlist file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Entry {
    /// A segment of the library, by id.
    Segment { id: SegmentId, line: usize },
    /// An audio file outside the library.
    File {
        /// Absolute (joined to the playlist's folder), NFC.
        path: PathBuf,
        /// NFC; the file stem when none is given.
        title: String,
        topic: Option<String>,
        unit: Option<String>,
        line: usize,
    },
}

impl Entry {
    pub fn line(&self) -> usize {
        match self {
            Entry::Segment { line, .. } | Entry::File { line, .. } => *line,
        }
    }
}

pub(crate) fn nfc(s: &str) -> String {
    s.nfc().collect()
}

/// A file entry for `written` (relative to `base`), titled `title` or else the file stem.
pub(crate) fn file_entry(
    base: &Path,
    written: &str,
    title: Option<&str>,
    topic: Option<String>,
    unit: Option<String>,
    line: usize,
) -> Entry {
    let path = crate::config::normalize(&base.join(nfc(written)));
    // Titles given are clean and bounded already; a file's stem is cleaned here.
    let title = match title.map(str::trim).filter(|t| !t.is_empty()) {
        Some(t) => t.to_string(),
        None => path
            .file_stem()
            .map(|s| crate::text::clean(&s.to_string_lossy()))
            .unwrap_or_else(|| crate::text::clean(written)),
    };
    Entry::File {
        path,
        title,
        topic,
        unit,
        line,
    }
}

/// The playlist file for `name` in `dir` (`NAME.toml`, `NAME.m3u8` or `NAME.m3u`), if any.
pub fn find(dir: &Path, name: &str) -> Option<PathBuf> {
    EXTENSIONS
        .iter()
        .map(|ext| dir.join(format!("{name}.{ext}")))
        .find(|p| p.is_file())
}

/// Reads one playlist file (form chosen by extension).
pub fn load(path: &Path) -> Result<Playlist, Vec<Diagnostic>> {
    form_of(path)?;
    let bytes = std::fs::read(path).map_err(|e| {
        vec![Diagnostic::whole_file_problem(
            path,
            ConfigProblem::CannotReadPlaylist {
                detail: e.to_string(),
            },
        )]
    })?;
    let text = String::from_utf8(bytes).map_err(|_| {
        vec![Diagnostic::whole_file_problem(
            path,
            ConfigProblem::PlaylistNotUtf8,
        )]
    })?;
    parse(&text, path)
}

/// Reads playlist `text` as if it were the file at `path` (whose extension chooses the form
/// and whose folder relative entries start from; the file itself is not read).
pub fn parse(text: &str, path: &Path) -> Result<Playlist, Vec<Diagnostic>> {
    let toml = form_of(path)?;
    let name = path
        .file_stem()
        .map(|s| nfc(&s.to_string_lossy()))
        .unwrap_or_default();
    let abs = std::path::absolute(path).unwrap_or_else(|_| path.to_path_buf());
    if toml {
        toml_form::parse(text, &abs, path, name)
    } else {
        m3u::parse(text, &abs, path, name)
    }
}

/// Whether `path` names a TOML playlist (`true`) or an M3U one (`false`); refuses others.
fn form_of(path: &Path) -> Result<bool, Vec<Diagnostic>> {
    let ext = path
        .extension()
        .map(|e| e.to_string_lossy().to_ascii_lowercase())
        .unwrap_or_default();
    if !EXTENSIONS.contains(&ext.as_str()) {
        return Err(vec![Diagnostic::whole_file_problem(
            path,
            ConfigProblem::NotAPlaylistFile,
        )]);
    }
    Ok(ext == "toml")
}

/// Every playlist in `dir`, by name, plus every problem found (a broken file is left out;
/// two files with the same name are reported and the first, in [`EXTENSIONS`] order, kept).
/// A folder that does not exist holds no playlists: a station without any is fine, and a
/// program naming one is told its playlist is missing where the config names it.
pub fn load_dir(dir: &Path) -> (BTreeMap<String, Playlist>, Vec<Diagnostic>) {
    let mut lists = BTreeMap::new();
    let mut diagnostics = Vec::new();
    let read = match std::fs::read_dir(dir) {
        Ok(read) => read,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return (lists, diagnostics),
        Err(e) => {
            diagnostics.push(Diagnostic::whole_file_problem(
                dir,
                ConfigProblem::CannotReadPlaylistsDir {
                    detail: e.to_string(),
                },
            ));
            return (lists, diagnostics);
        }
    };
    let mut paths: Vec<PathBuf> = read
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| {
            p.is_file()
                && p.extension().is_some_and(|e| {
                    EXTENSIONS.contains(&e.to_string_lossy().to_ascii_lowercase().as_str())
                })
        })
        .collect();
    let rank = |p: &PathBuf| {
        let ext = p
            .extension()
            .map(|e| e.to_string_lossy().to_ascii_lowercase());
        EXTENSIONS.iter().position(|x| Some(*x) == ext.as_deref())
    };
    paths.sort_by_key(|p| (p.file_stem().map(|s| nfc(&s.to_string_lossy())), rank(p)));
    for path in paths {
        match load(&path) {
            Ok(list) => {
                if let Some(first) = lists.get(&list.name) {
                    let first: &Playlist = first;
                    diagnostics.push(Diagnostic::whole_file_problem(
                        &path,
                        ConfigProblem::DuplicatePlaylist {
                            name: list.name.clone(),
                            other: first.path.display().to_string(),
                        },
                    ));
                } else {
                    lists.insert(list.name.clone(), list);
                }
            }
            Err(d) => diagnostics.extend(d),
        }
    }
    (lists, diagnostics)
}
