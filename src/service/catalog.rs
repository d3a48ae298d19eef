//! What the programs can play: the playlist files, resolved to library segments.
//!
//! Files named in playlists (and intro/outro signature tunes) are imported into the library
//! the first time the daemon sees them, so every play has a segment id, a hash and a true
//! duration. An import cache (size + modification time) keeps this cheap; a file that
//! changes on disk is imported again as a new segment.
//!
//! The catalog keeps which segment each file *is*, never what the segment says: titles,
//! dates, approval and gain are read from the store when a program is planned
//! ([`Catalog::file_segment`]), so an edit reaches the next program. [`Catalog::refresh`]
//! re-reads the playlist files and the files they name; the daemon calls it before every
//! program, the previews build a fresh catalog, and both plan with
//! [`Station::plan_program`](super::Station::plan_program).

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};

use anyhow::Result;

use super::Station;
use crate::config::{Diagnostic, STATION_TOPIC};
use crate::library;
use crate::model::{Priority, Reason, Segment, SegmentId};
use crate::playlist::{self, Entry, Playlist};
use crate::store::FileStamp;

#[derive(Debug, Default)]
pub struct Catalog {
    pub playlists: BTreeMap<String, Playlist>,
    /// File entries and intro/outro files, resolved (or why not).
    files: HashMap<PathBuf, Resolved>,
    /// Problems found while loading playlists.
    pub diagnostics: Vec<Diagnostic>,
    /// Files that could not be resolved, by their size and modification time: measured
    /// again only once they change.
    failed: HashMap<PathBuf, ((u64, i128), Reason)>,
}

/// What a file named by a playlist or a program stands for.
#[derive(Debug, Clone)]
enum Resolved {
    /// A library segment: its facts are read from the store at plan time.
    Stored(SegmentId),
    /// A file the library does not hold yet, measured for a preview (not stored): the
    /// segment the daemon will import it as.
    Unstored(Box<Segment>),
    Failed(Reason),
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
    /// The catalog as the playlist files and the library are now.
    pub fn load(station: &Station, import: Import) -> Catalog {
        let mut catalog = Catalog::default();
        catalog.refresh(station, import);
        catalog
    }

    /// Reads the playlist files and resolves the files they (and the programs) name again,
    /// as they are now. Cheap when nothing changed: small text files are parsed, each named
    /// file is looked up by its size and modification time. Returns the diagnostics that
    /// were not there before (to log them once).
    pub fn refresh(&mut self, station: &Station, import: Import) -> Vec<Diagnostic> {
        let (playlists, diagnostics) = playlist::load_dir(&station.config.station.playlists_dir);
        let old = std::mem::replace(
            self,
            Catalog {
                playlists,
                files: HashMap::new(),
                diagnostics,
                failed: HashMap::new(),
            },
        );
        self.resolve_all(station, import, &old.failed);
        self.diagnostics
            .iter()
            .filter(|d| !old.diagnostics.contains(d))
            .cloned()
            .collect()
    }

    fn resolve_all(
        &mut self,
        station: &Station,
        import: Import,
        failed: &HashMap<PathBuf, ((u64, i128), Reason)>,
    ) {
        let catalog = self;
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
                        Resolved::Failed(Reason::FileWithoutTopic {
                            file: path.display().to_string(),
                            playlist: pl.path.display().to_string(),
                        }),
                    );
                    continue;
                };
                if let Some((other, other_line, t, tp)) = first.get(path) {
                    if (t, tp) != (title, &topic) {
                        let problem = crate::words::ConfigProblem::FileTitleConflict {
                            path: path.display().to_string(),
                            other: format!("{}:{other_line}", other.display()),
                            other_title: t.clone(),
                            other_topic: tp.clone(),
                            title: title.clone(),
                            topic: topic.clone(),
                        };
                        let d = Diagnostic::at(&pl.path, (*line, 1), problem);
                        catalog.diagnostics.push(d);
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
            let stamp = stamp_of(&path);
            // A file that failed and has not changed since fails again: not measured again.
            if let Some((was, reason)) = failed.get(&path)
                && stamp.as_ref().ok() == Some(was)
            {
                catalog.failed.insert(path.clone(), (*was, reason.clone()));
                catalog.files.insert(path, Resolved::Failed(reason.clone()));
                continue;
            }
            let resolved = match resolve_file(station, &path, &meta, import) {
                Ok(r) => r,
                Err(e) => {
                    let detail = format!("{e:#}");
                    tracing::warn!(file = %path.display(), reason = %detail, "playlist file cannot air");
                    let reason = match e.downcast_ref::<library::ImportError>() {
                        Some(import) => Reason::FileRefused {
                            refusal: import.code(),
                        },
                        None => Reason::FileUnusable { detail },
                    };
                    // Only what is wrong with the file itself stays wrong until it
                    // changes; a store or disk error is tried again next time.
                    let about_file = e.downcast_ref::<library::ImportError>().is_some_and(|e| {
                        !matches!(
                            e,
                            library::ImportError::Store { .. }
                                | library::ImportError::DiskFull { .. }
                        )
                    });
                    if let (Ok(stamp), true) = (stamp, about_file) {
                        catalog.failed.insert(path.clone(), (stamp, reason.clone()));
                    }
                    Resolved::Failed(reason)
                }
            };
            catalog.files.insert(path, resolved);
        }
    }

    /// The segment a file entry or intro/outro path stands for, with its facts as the
    /// store holds them now (or why it cannot air).
    pub fn file_segment(&self, station: &Station, path: &Path) -> Result<Segment, Reason> {
        match self.files.get(path) {
            Some(Resolved::Stored(id)) => match station.store.segment(*id) {
                Ok(Some(seg)) => Ok(seg),
                Ok(None) => Err(Reason::NotInLibrary { segment: id.0 }),
                Err(e) => Err(Reason::FileUnusable {
                    detail: format!("cannot read segment {id}: {e}"),
                }),
            },
            Some(Resolved::Unstored(seg)) => Ok((**seg).clone()),
            Some(Resolved::Failed(reason)) => Err(reason.clone()),
            None => Err(Reason::FileUnusable {
                detail: format!("{} is not known to the catalog", path.display()),
            }),
        }
    }

    /// Files that cannot air, with the reason, sorted by path.
    pub fn file_problems(&self) -> Vec<(&Path, &Reason)> {
        let mut out: Vec<_> = self
            .files
            .iter()
            .filter_map(|(p, r)| match r {
                Resolved::Failed(e) => Some((p.as_path(), e)),
                _ => None,
            })
            .collect();
        out.sort_by(|a, b| a.0.cmp(b.0));
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
) -> Result<Resolved> {
    let (size, modified_ns) = stamp_of(path)?;
    if let Some(stamp) = station.store.file_stamp(path)?
        && stamp.size == size
        && stamp.modified_ns == modified_ns
        && station.store.segment(stamp.segment)?.is_some()
    {
        return Ok(Resolved::Stored(stamp.segment));
    }
    let measured = library::measure_with(path, station.measure_options())?;
    if let Some(seg) = station.store.segment_by_hash(&measured.sha256)? {
        if import == Import::Yes {
            let stamp = FileStamp {
                size,
                modified_ns,
                segment: seg.id,
            };
            station.store.set_file_stamp(path, &stamp)?;
        }
        return Ok(Resolved::Stored(seg.id));
    }
    let segment_meta = super::SegmentMeta {
        title: Some(meta.title.to_string()),
        topic: meta.topic.to_string(),
        unit: meta.unit.map(str::to_string),
        valid_from: None,
        valid_until: None,
        priority: Priority::Normal,
        original_name: None,
        tts: None,
    };
    if import == Import::No {
        // As the daemon will import it: pending when approval is required.
        return Ok(Resolved::Unstored(Box::new(super::segments::segment_from(
            SegmentId(0),
            path,
            &measured,
            &segment_meta,
            String::new(),
            station.clock.now(),
            station.config.station.require_approval,
        ))));
    }
    let (super::AddOutcome::Added(seg) | super::AddOutcome::AlreadyPresent(seg)) =
        super::segments::store_measured(station, path, &measured, &segment_meta)?;
    tracing::info!(file = %path.display(), id = %seg.id, "imported playlist file into the library");
    let stamp = FileStamp {
        size,
        modified_ns,
        segment: seg.id,
    };
    station.store.set_file_stamp(path, &stamp)?;
    Ok(Resolved::Stored(seg.id))
}

/// A file's size and modification time (nanoseconds since the epoch).
fn stamp_of(path: &Path) -> Result<(u64, i128)> {
    let stat = std::fs::metadata(path)
        .map_err(|e| anyhow::anyhow!("cannot read {}: {e}", path.display()))?;
    let modified_ns = stat
        .modified()
        .ok()
        .and_then(|m| m.duration_since(std::time::UNIX_EPOCH).ok())
        .map_or(0, |d| d.as_nanos() as i128);
    Ok((stat.len(), modified_ns))
}
