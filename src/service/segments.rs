//! Library operations: add, list, show, remove segments.

use std::path::Path;

use anyhow::Result;

use super::error::{operator_text, refused};
use crate::text;
use crate::words::RefusalCode;
use chrono::{DateTime, NaiveDate, Utc};

use super::{Catalog, Station};
use crate::library::{self, Measured};
use crate::model::{Approval, Level, Priority, Segment, SegmentId, Trim};
use crate::store::Unique;
use crate::words::ErrorCode;

/// What the operator says about a new segment.
#[derive(Debug, Clone, Default)]
pub struct SegmentMeta {
    /// Defaults to the file name without its extension.
    pub title: Option<String>,
    pub topic: String,
    pub unit: Option<String>,
    pub valid_from: Option<NaiveDate>,
    pub valid_until: Option<NaiveDate>,
    pub priority: Priority,
    /// The name to keep as the segment's original file name (an upload's client-side name;
    /// default: the imported file's own name).
    pub original_name: Option<String>,
    /// The text a text bulletin was read from (`None` for a file).
    pub tts: Option<crate::model::TextSource>,
}

/// The result of adding one file.
#[derive(Debug, Clone)]
pub enum AddOutcome {
    Added(Segment),
    /// The same bytes are already in the library (recognised by sha256).
    AlreadyPresent(Segment),
}

impl Station {
    /// How import measures files under this config (`[audio] trim_silence_db`).
    pub fn measure_options(&self) -> library::MeasureOptions {
        library::MeasureOptions {
            trim_below_dbfs: self.config.audio.trim_silence_db,
        }
    }

    /// Checks the metadata once for a batch of files: the texts cleaned and within their
    /// limits (`text`), a known topic, dates the right way round.
    pub(super) fn check_meta(&self, meta: &SegmentMeta) -> Result<SegmentMeta> {
        let topic = operator_text("topic", &meta.topic, text::MAX_SLUG)?;
        if !self.config.topics.contains_key(&topic) {
            return Err(super::error::refuse_code(ErrorCode::UnknownTopic {
                topic,
                known: self.config.topics.keys().cloned().collect(),
            }));
        }
        if let (Some(from), Some(until)) = (meta.valid_from, meta.valid_until)
            && from > until
        {
            return Err(super::error::refuse_code(ErrorCode::DatesReversed {
                from,
                until,
            }));
        }
        let title = meta
            .title
            .as_deref()
            .map(|t| operator_text("title", t, text::MAX_TITLE))
            .transpose()?;
        if title.as_deref().is_some_and(str::is_empty) {
            return Err(super::error::refuse_code(ErrorCode::TitleEmpty));
        }
        let unit = meta
            .unit
            .as_deref()
            .map(|u| operator_text("unit", u, text::MAX_UNIT))
            .transpose()?
            .filter(|u| !u.is_empty());
        let original_name = meta
            .original_name
            .as_deref()
            .map(|n| operator_text("file name", n, text::MAX_FILE_NAME))
            .transpose()?;
        Ok(SegmentMeta {
            title,
            topic,
            unit,
            original_name,
            ..meta.clone()
        })
    }

    /// Probes, fully decodes, hashes and stores each file. A file that fails is reported
    /// with its reason and leaves nothing behind; the others still go in. Files are checked
    /// side by side on the machine's cores, and stored one by one in the order given (so
    /// the ids follow that order, and of two identical files the second is the duplicate).
    pub fn add_segments<P: AsRef<Path> + Sync>(
        &self,
        files: &[P],
        meta: &SegmentMeta,
    ) -> Result<Vec<Result<AddOutcome>>> {
        let meta = &self.check_meta(meta)?;
        let measured = library::measure_many(files, self.measure_options());
        Ok(files
            .iter()
            .zip(measured)
            .map(|(f, measured)| self.add_segment(f.as_ref(), measured?, meta))
            .collect())
    }

    fn add_segment(
        &self,
        file: &Path,
        measured: Measured,
        meta: &SegmentMeta,
    ) -> Result<AddOutcome> {
        if let Some(existing) = self.store.segment_by_hash(&measured.sha256)? {
            return Ok(AddOutcome::AlreadyPresent(existing));
        }
        store_measured(self, file, &measured, meta)
    }

    /// Segments that cannot air as they should: their media file is missing, or they share
    /// one media file or one content hash with another segment (a library written before
    /// imports were atomic). One line per problem, with a fix.
    pub fn library_problems(&self) -> Result<Vec<String>> {
        let segments = self.store.segments()?;
        let mut problems = Vec::new();
        let mut by_file: std::collections::BTreeMap<&str, Vec<SegmentId>> = Default::default();
        let mut by_hash: std::collections::BTreeMap<&str, Vec<SegmentId>> = Default::default();
        for seg in &segments {
            by_file.entry(&seg.media_file).or_default().push(seg.id);
            by_hash.entry(&seg.sha256).or_default().push(seg.id);
            let path = self.media_path(&seg.media_file);
            if !path.is_file() {
                problems.push(format!(
                    "segment {} «{}»: its media file {} is missing: it cannot air
  hint: import the original file again (`loaxa segment add`), then `loaxa segment rm {}`",
                    seg.id,
                    seg.title,
                    path.display(),
                    seg.id
                ));
            }
        }
        let shared = |what: &str, name: &str, ids: &[SegmentId]| {
            let list: Vec<String> = ids.iter().map(ToString::to_string).collect();
            format!(
                "segments {} share one {what} ({name}): the same audio was imported twice
  hint: keep one of them and remove the others with `loaxa segment rm ID` (the file stays while a segment uses it)",
                list.join(", ")
            )
        };
        for (file, ids) in by_file.iter().filter(|(_, ids)| ids.len() > 1) {
            problems.push(shared("media file", file, ids));
        }
        for (hash, ids) in by_hash.iter().filter(|(_, ids)| ids.len() > 1) {
            // Already reported when they share the file too.
            let files: std::collections::BTreeSet<&str> = segments
                .iter()
                .filter(|s| ids.contains(&s.id))
                .map(|s| s.media_file.as_str())
                .collect();
            if files.len() > 1 {
                problems.push(shared("content hash", hash, ids));
            }
        }
        Ok(problems)
    }

    /// Deletes a media file unless a segment still uses it (two segments may share one in
    /// a library damaged before imports were atomic). Call with [`STORING`] held.
    fn remove_media_if_unused(&self, media_file: &str) {
        match self.store.segments() {
            Ok(all) if all.iter().any(|s| s.media_file == media_file) => {}
            Ok(_) => {
                if let Err(e) = self.media.remove(media_file) {
                    tracing::warn!(file = %media_file, error = %e, "could not delete media file");
                }
            }
            // Not knowing, keep it: an orphan costs disk space, a missing file costs air.
            Err(e) => {
                tracing::warn!(file = %media_file, error = %e, "kept a media file: cannot list segments")
            }
        }
    }

    /// Measures the loudness (and, with `trim_silence_db`, the trim) of segments imported
    /// before loaxa measured it, one file at a time, until `stop()` says so. Returns how
    /// many were measured. A file that cannot be read is left unmeasured (it airs with its
    /// offsets only) and reported.
    pub fn measure_unmeasured(&self, stop: impl Fn() -> bool) -> Result<usize> {
        let waiting: Vec<SegmentId> = self
            .store
            .segments()?
            .into_iter()
            .filter(|s| !s.level.loudness_measured)
            .map(|s| s.id)
            .collect();
        let mut done = 0;
        for id in waiting {
            if stop() {
                break;
            }
            let Some(seg) = self.store.segment(id)? else {
                continue;
            };
            let path = self.media_path(&seg.media_file);
            let measured = match library::measure_with(&path, self.measure_options()) {
                Ok(m) => m,
                Err(e) => {
                    tracing::warn!(segment = %id, error = %e, "cannot measure the loudness of a segment");
                    continue;
                }
            };
            // Re-read: an edit made while the file was measured is kept.
            let Some(mut seg) = self.store.segment(id)? else {
                continue;
            };
            seg.level = Level {
                gain_db: seg.level.gain_db,
                ..level_from(&measured)
            };
            seg.duration_ms = aired_ms(&measured);
            self.store.insert_segment(&seg)?;
            tracing::info!(
                segment = %id,
                loudness_lufs = ?seg.level.loudness_lufs,
                true_peak_dbtp = ?seg.level.true_peak_dbtp,
                "measured the loudness of a segment imported before loudness measurement"
            );
            done += 1;
        }
        Ok(done)
    }

    pub fn segments(&self, topic: Option<&str>) -> Result<Vec<Segment>> {
        let mut all = self.store.segments()?;
        if let Some(topic) = topic {
            all.retain(|s| s.topic == topic);
        }
        Ok(all)
    }

    pub fn segment(&self, id: SegmentId) -> Result<Segment> {
        match self.store.segment(id)? {
            Some(seg) => Ok(seg),
            None => Err(super::error::refuse_code(
                crate::words::ErrorCode::NoSegment { id: id.0 },
            )),
        }
    }

    /// Removes a segment. Refuses when it is queued or named by a playlist unless `force`.
    pub fn remove_segment(&self, id: SegmentId, force: bool) -> Result<Segment> {
        let seg = self.segment(id)?;
        if let Some(rep) = self.repeats_of(id)?.first() {
            return Err(refused(RefusalCode::SegmentInRepeat {
                id: id.0,
                title: seg.title.clone(),
                repeat: rep.id,
                every: crate::config::duration::format_duration(std::time::Duration::from_secs(
                    rep.every_s,
                )),
                until: self.local(rep.until).format("%Y-%m-%d %H:%M").to_string(),
            }));
        }
        let queued = self
            .store
            .queue()?
            .into_iter()
            .filter(|e| e.segment == id)
            .count();
        let catalog = Catalog::load(self, super::catalog::Import::No);
        let playlists = catalog.playlists_naming(id);
        if !force && (queued > 0 || !playlists.is_empty()) {
            return Err(refused(RefusalCode::SegmentInUse {
                id: id.0,
                title: seg.title.clone(),
                queued,
                playlists: playlists.iter().map(|p| p.to_string()).collect(),
            }));
        }
        for entry in self.store.queue()? {
            if entry.segment == id {
                self.store.queue_remove(entry.qid)?;
            }
        }
        let _storing = storing();
        self.store.remove_segment(id)?;
        self.remove_media_if_unused(&seg.media_file);
        Ok(seg)
    }
}

/// A segment record for a measured file (not stored).
pub(super) fn segment_from(
    id: SegmentId,
    file: &Path,
    m: &Measured,
    meta: &SegmentMeta,
    media_file: String,
    now: DateTime<Utc>,
    require_approval: bool,
) -> Segment {
    // `meta` went through `check_meta`; names from the file go through `text::clean` here.
    let original_name = meta
        .original_name
        .clone()
        .unwrap_or_else(|| library::display_name(file));
    let title = meta.title.as_deref().map_or_else(
        || {
            let stem = Path::new(&original_name).file_stem().map_or_else(
                || original_name.clone(),
                |s| s.to_string_lossy().into_owned(),
            );
            text::truncate(&text::clean(&stem), text::MAX_TITLE).into_owned()
        },
        str::to_string,
    );
    Segment {
        id,
        title,
        topic: meta.topic.clone(),
        unit: meta.unit.clone(),
        valid_from: meta.valid_from,
        valid_until: meta.valid_until,
        sha256: m.sha256.clone(),
        media_file,
        original_name,
        container: m.info.container.clone(),
        codec: m.info.codec.clone(),
        sample_rate: m.info.sample_rate,
        channels: m.info.channels,
        duration_ms: aired_ms(m),
        added_at: now,
        priority: meta.priority,
        // Signature tunes are the station's own ident, not content to approve.
        approval: if require_approval && meta.topic != crate::config::STATION_TOPIC {
            Approval::Pending
        } else {
            Approval::NotRequired
        },
        level: level_from(m),
        tts: meta.tts.clone(),
        zones: Vec::new(),
        inbound: None,
    }
}

/// The loudness and trim a measurement found (no operator offset yet).
pub(crate) fn level_from(m: &Measured) -> Level {
    Level {
        loudness_measured: true,
        loudness_lufs: m.loudness.integrated_lufs,
        true_peak_dbtp: m.loudness.true_peak_dbtp,
        gain_db: 0.0,
        trim: m.sound.map(|s| Trim {
            start_frame: s.start,
            end_frame: s.end,
        }),
    }
}

/// How long a measured file airs: its true duration, or its trimmed part.
pub(crate) fn aired_ms(m: &Measured) -> u64 {
    let rate = u64::from(m.info.sample_rate.max(1));
    m.sound.map_or(m.duration_ms, |s| {
        ((s.end - s.start) * 1000 + rate / 2) / rate
    })
}

/// Held while a file goes into the media store and its segment into the database, and
/// while a segment and its media file are removed: so a media file is never deleted
/// between another import's copy and its record. Measuring (the slow part) runs outside.
static STORING: std::sync::Mutex<()> = std::sync::Mutex::new(());

fn storing() -> std::sync::MutexGuard<'static, ()> {
    STORING.lock().unwrap_or_else(|e| e.into_inner())
}

/// Copies a measured file into the media store and records it, atomically with the check
/// that no segment has these bytes yet (of concurrent imports of the same file, one adds
/// it and the others are told it is present). On a failure the copied file is removed
/// again unless a segment uses it, so nothing partial is kept.
pub(super) fn store_measured(
    station: &Station,
    file: &Path,
    measured: &Measured,
    meta: &SegmentMeta,
) -> Result<AddOutcome> {
    let _storing = storing();
    let media_file = station.media.put(file, &measured.sha256)?;
    let seg = segment_from(
        SegmentId(0),
        file,
        measured,
        meta,
        media_file,
        station.clock.now(),
        station.config.station.require_approval,
    );
    match station.store.add_segment_unique(seg.clone()) {
        Ok(Unique::Added(added)) => Ok(AddOutcome::Added(added)),
        Ok(Unique::Present(existing)) => {
            if existing.media_file != seg.media_file {
                station.remove_media_if_unused(&seg.media_file);
            }
            Ok(AddOutcome::AlreadyPresent(existing))
        }
        Err(e) => {
            station.remove_media_if_unused(&seg.media_file);
            Err(e.into())
        }
    }
}
