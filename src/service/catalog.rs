//! What the programs can play: the playlist files, resolved to library segments.
//!
//! Files named in playlists (and intro/outro signature tunes) are imported into the library
//! the first time the daemon sees them, so every play has a segment id, a hash and a true
//! duration. An import cache (size + modification time) keeps restarts cheap; a file that
//! changes on disk is imported again as a new segment.

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};

use anyhow::Result;

use super::Station;
use crate::config::{Diagnostic, STATION_TOPIC};
use crate::library;
use crate::model::{Priority, Segment, SegmentId};
use crate::playlist::{self, Entry, Playlist};
use crate::store::FileStamp;

#[derive(Debug, Default)]
pub struct Catalog {
    pub playlists: BTreeMap<String, Playlist>,
    /// File entries and intro/outro files, resolved (or why not).
    files: HashMap<PathBuf, Result<Segment, String>>,
    /// Problems found while loading playlists.
    pub diagnostics: Vec<Diagnostic>,
}

/// Whether resolving a file may add it to the library.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Import {
    /// The daemon: import new files.
    Yes,
    /// Previews: look up what is already known; measure (but do not store) the rest.
    No,
}

/// Metadata for a file that a playlist or program names directly.
struct FileMeta<'a> {
    title: &'a str,
    topic: &'a str,
    unit: Option<&'a str>,
}

impl Catalog {
    pub fn load(station: &Station, import: Import) -> Catalog {
        let (playlists, diagnostics) = playlist::load_dir(&station.config.station.playlists_dir);
        let mut catalog = Catalog {
            playlists,
            files: HashMap::new(),
            diagnostics,
        };
        let default_topic = station.config.station.default_topic.clone();
        let mut wanted: Vec<(PathBuf, String, String, Option<String>)> = Vec::new();
        // First mention of each file: (playlist, line, title, topic), to catch a file named
        // twice with different metadata (one file is one segment in the library).
        let mut first: HashMap<PathBuf, (PathBuf, usize, String, String)> = HashMap::new();
        for pl in catalog.playlists.values() {
            for entry in &pl.entries {
                let Entry::File {
                    path,
                    title,
                    topic,
                    unit,
                    line,
                } = entry
                else {
                    continue;
                };
                let Some(topic) = topic.clone().or_else(|| default_topic.clone()) else {
                    catalog.files.insert(
                        path.clone(),
                        Err(format!(
                            "{} has no topic: add `topic = \"...\"` to the playlist {} or set [station] default_topic",
                            path.display(),
                            pl.path.display()
                        )),
                    );
                    continue;
                };
                if let Some((other, other_line, t, tp)) = first.get(path) {
                    if (t, tp) != (title, &topic) {
                        catalog.diagnostics.push(Diagnostic {
                            file: pl.path.clone(),
                            line: *line,
                            column: 1,
                            message: format!(
                                "{} is also in {}:{other_line} as «{t}» (topic {tp}); here it is «{title}» (topic {topic})",
                                path.display(),
                                other.display()
                            ),
                            hint: Some(
                                "one file is one segment in the library and keeps the first title and topic: \
                                 use the same title and topic in both places"
                                    .into(),
                            ),
                        });
                    }
                    continue;
                }
                first.insert(
                    path.clone(),
                    (pl.path.clone(), *line, title.clone(), topic.clone()),
                );
                wanted.push((path.clone(), title.clone(), topic, unit.clone()));
            }
        }
        for program in &station.config.programs {
            let frame = program.intro.iter().chain(program.outro.iter());
            for path in frame.chain(program.separator.iter()) {
                let name = library::display_name(path);
                let title = Path::new(&name)
                    .file_stem()
                    .map_or(name.clone(), |s| s.to_string_lossy().into_owned());
                wanted.push((path.clone(), title, STATION_TOPIC.to_string(), None));
            }
        }
        for (path, title, topic, unit) in wanted {
            if catalog.files.contains_key(&path) {
                continue;
            }
            let meta = FileMeta {
                title: &title,
                topic: &topic,
                unit: unit.as_deref(),
            };
            let resolved =
                resolve_file(station, &path, &meta, import).map_err(|e| format!("{e:#}"));
            if let Err(reason) = &resolved {
                tracing::warn!(file = %path.display(), %reason, "playlist file cannot air");
            }
            catalog.files.insert(path, resolved);
        }
        catalog
    }

    /// The segment a file entry or intro/outro path stands for.
    pub fn file(&self, path: &Path) -> Result<&Segment, String> {
        match self.files.get(path) {
            Some(Ok(seg)) => Ok(seg),
            Some(Err(reason)) => Err(reason.clone()),
            None => Err(format!("{} is not known to the catalog", path.display())),
        }
    }

    /// Files that cannot air, with the reason, sorted by path.
    pub fn file_problems(&self) -> Vec<(&Path, &str)> {
        let mut out: Vec<_> = self
            .files
            .iter()
            .filter_map(|(p, r)| r.as_ref().err().map(|e| (p.as_path(), e.as_str())))
            .collect();
        out.sort();
        out
    }

    /// Whether any playlist names segment `id` (so removing it would leave a hole).
    pub fn playlists_naming(&self, id: SegmentId) -> Vec<&str> {
        self.playlists
            .values()
            .filter(|pl| {
                pl.entries
                    .iter()
                    .any(|e| matches!(e, Entry::Segment { id: sid, .. } if *sid == id))
            })
            .map(|pl| pl.name.as_str())
            .collect()
    }
}

fn resolve_file(
    station: &Station,
    path: &Path,
    meta: &FileMeta<'_>,
    import: Import,
) -> Result<Segment> {
    let stat = std::fs::metadata(path)
        .map_err(|e| anyhow::anyhow!("cannot read {}: {e}", path.display()))?;
    let modified_ns = stat
        .modified()
        .ok()
        .and_then(|m| m.duration_since(std::time::UNIX_EPOCH).ok())
        .map_or(0, |d| d.as_nanos() as i128);
    if let Some(stamp) = station.store.file_stamp(path)?
        && stamp.size == stat.len()
        && stamp.modified_ns == modified_ns
        && let Some(seg) = station.store.segment(stamp.segment)?
    {
        return Ok(seg);
    }
    let measured = library::measure_with(path, station.measure_options())?;
    if let Some(seg) = station.store.segment_by_hash(&measured.sha256)? {
        if import == Import::Yes {
            let stamp = FileStamp {
                size: stat.len(),
                modified_ns,
                segment: seg.id,
            };
            station.store.set_file_stamp(path, &stamp)?;
        }
        return Ok(seg);
    }
    let segment_meta = super::SegmentMeta {
        title: Some(meta.title.to_string()),
        topic: meta.topic.to_string(),
        unit: meta.unit.map(str::to_string),
        valid_from: None,
        valid_until: None,
        priority: Priority::Normal,
        original_name: None,
    };
    if import == Import::No {
        return Ok(super::segments::segment_from(
            SegmentId(0),
            path,
            &measured,
            &segment_meta,
            String::new(),
            station.clock.now(),
            false,
        ));
    }
    let (super::AddOutcome::Added(seg) | super::AddOutcome::AlreadyPresent(seg)) =
        super::segments::store_measured(station, path, &measured, &segment_meta)?;
    tracing::info!(file = %path.display(), id = %seg.id, "imported playlist file into the library");
    let stamp = FileStamp {
        size: stat.len(),
        modified_ns,
        segment: seg.id,
    };
    station.store.set_file_stamp(path, &stamp)?;
    Ok(seg)
}
