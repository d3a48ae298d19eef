//! The station's durable state in sled: the segment library, the operator queue, playlist
//! rotation cursors, the import cache and the as-run log.
//!
//! Keys are big-endian `u64`s (so trees iterate in id order) or UTF-8 strings; values are
//! JSON, readable with any sled tool. Every write that an operator or the log depends on is
//! flushed before the call returns: a kill -9 right after never loses it.

mod alerts;
mod asrun;
pub mod chain;
mod fires;
mod handles;
mod inbox;
mod iter;
mod keys;
mod unique;

use std::path::{Path, PathBuf};
use std::sync::Mutex;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize, de::DeserializeOwned};

use crate::model::{Priority, Segment, SegmentId};
use keys::{be, from_be};

pub use chain::{ChainBreak, ChainReport};
pub use handles::free_bytes;
use handles::{Engine, Handles};
pub use inbox::{InboxAction, InboxEntry, QuarantineEntry};
pub use iter::{RawBatches, RawRecord};
pub use unique::Unique;

/// A store operation failed. Operator-facing messages say what to do.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error(
        "the database at {path} is in use by another loaxa process (is the daemon running?)\n  \
         hint: stop the daemon (`systemctl stop loaxa` or Ctrl-C) before running this command"
    )]
    Locked { path: PathBuf },
    #[error("cannot open the database at {path}: {source}")]
    Open {
        path: PathBuf,
        #[source]
        source: sled::Error,
    },
    #[error(
        "the disk holding {} is full (No space left on device) while {action}\n  \
         hint: free disk space on the station PC (`df -h {}`); loaxa writes what waits \
         by itself once there is room",
        path.display(), path.display()
    )]
    DiskFull { action: &'static str, path: PathBuf },
    #[error("database error while {action}: {source}")]
    Db {
        action: &'static str,
        #[source]
        source: sled::Error,
    },
    #[error(
        "refusing to rewrite log record {id}: {why}\n  \
         hint: the broadcast log is append-only; a play's record is rewritten once, when it ends"
    )]
    LogRewrite { id: u64, why: String },
    #[error("database error while reading the broadcast log (after record {after}): {source}")]
    LogRead {
        /// The last record read before the error (0: none).
        after: u64,
        #[source]
        source: sled::Error,
    },
    #[error("reading the broadcast log failed: the reading thread stopped ({0})")]
    Reader(String),
    #[error("damaged entry in the database ({what}): {source}")]
    Corrupt {
        what: String,
        #[source]
        source: serde_json::Error,
    },
}

pub type Result<T, E = StoreError> = std::result::Result<T, E>;

/// A segment waiting in the operator queue (hàng chờ).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct QueueEntry {
    /// Position key; also the number `queue rm` takes.
    pub qid: u64,
    pub segment: SegmentId,
    /// Only this program may air it; `None` = the next program that takes the queue.
    pub program: Option<String>,
    pub added_at: DateTime<Utc>,
    /// `priority` entries go ahead of `normal` ones.
    #[serde(default)]
    pub priority: Priority,
}

/// An emergency broadcast that repeats until a given time; kept in the store so repeats
/// survive a restart.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EmergencyRepeat {
    pub id: u64,
    pub segment: SegmentId,
    pub every_s: u64,
    /// The next time it airs.
    pub next_at: DateTime<Utc>,
    /// No repeat after this instant.
    pub until: DateTime<Utc>,
}

/// What the import cache remembers about a playlist file, to avoid re-decoding it at every
/// start: if size and modification time are unchanged, the segment is the same.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FileStamp {
    pub size: u64,
    pub modified_ns: i128,
    pub segment: SegmentId,
}

pub struct Store {
    /// The database and its tables, reopened after a write error sled would keep.
    engine: Engine,
    path: PathBuf,
    /// Test hook: every write fails as on a full disk ([`Store::inject_disk_full`]).
    disk_full: std::sync::atomic::AtomicBool,
    /// The as-run log's last id and hash; appends and the end-of-play rewrite hold it.
    head: Mutex<asrun::Head>,
    /// Fires whose mark waits in memory for the disk (see `fires`).
    waiting_fires: Mutex<std::collections::HashSet<Vec<u8>>>,
    /// The id of the log record written last (appended or rewritten); see [`Store::watch_log`].
    log_changed: tokio::sync::watch::Sender<u64>,
    /// Log records decoded so far (see [`Store::records_decoded`]).
    decoded: std::sync::Arc<std::sync::atomic::AtomicU64>,
}

impl std::fmt::Debug for Store {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Store").field("path", &self.path).finish()
    }
}

const SEGMENT_SEQ: &[u8] = b"segment_seq";
const QUEUE_SEQ: &[u8] = b"queue_seq";
const EMERGENCY_SEQ: &[u8] = b"emergency_seq";

impl Store {
    /// Opens (creating if needed) the database in `dir`.
    /// On a disk too full to open it, the reserve set aside next to it is released (see
    /// [`Store::started_on_reserve`]).
    pub fn open(dir: &Path) -> Result<Store> {
        let (db, used) = handles::open_with_reserve(dir)?;
        let store = Self::from_db(db, dir.to_path_buf(), Some(dir.to_path_buf()))?;
        if used {
            store.engine.started_on_reserve();
        } else {
            handles::keep_reserve(dir);
        }
        Ok(store)
    }

    /// The operator's warning when the database could only open on the disk reserve.
    pub fn started_on_reserve(&self) -> Option<crate::model::Warning> {
        self.engine
            .reserve_used()
            .then(|| crate::model::Warning::StartedOnReserve {
                path: self.path.display().to_string(),
                reserve_mib: handles::RESERVE_BYTES >> 20,
            })
    }

    /// A throw-away database for tests.
    pub fn temporary() -> Result<Store> {
        let db = sled::Config::new()
            .temporary(true)
            .open()
            .map_err(|source| StoreError::Open {
                path: PathBuf::from("(temporary)"),
                source,
            })?;
        Self::from_db(db, PathBuf::from("(temporary)"), None)
    }

    fn from_db(db: sled::Db, path: PathBuf, dir: Option<PathBuf>) -> Result<Store> {
        let handles = Handles::new(db, 0)?;
        let head = asrun::Head::load(&handles.asrun, 0)?;
        Ok(Store {
            log_changed: tokio::sync::watch::Sender::new(head.last_id),
            decoded: std::sync::Arc::default(),
            head: Mutex::new(head),
            engine: Engine::new(handles, dir),
            disk_full: std::sync::atomic::AtomicBool::new(false),
            waiting_fires: Mutex::default(),
            path,
        })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Fault injection for tests: while `on`, every write fails with "No space left on
    /// device", as on a full disk (without poisoning the database as a real one does).
    #[doc(hidden)]
    pub fn inject_disk_full(&self, on: bool) {
        self.disk_full
            .store(on, std::sync::atomic::Ordering::SeqCst);
    }

    /// The injected disk-full error, if on.
    fn injected(&self, action: &'static str) -> Result<()> {
        if self.disk_full.load(std::sync::atomic::Ordering::SeqCst) {
            return Err(self.disk_full(action));
        }
        Ok(())
    }

    /// Makes every write so far durable.
    pub fn flush(&self) -> Result<()> {
        let h = self.w("flushing to disk")?;
        self.flush_with(&h, "flushing to disk")
    }

    /// Flushes `h`'s database after a write `action`.
    fn flush_with(&self, h: &Handles, action: &'static str) -> Result<()> {
        h.db.flush().map(drop).map_err(|e| self.failed(action, e))
    }

    /// Runs the write `op` on the current tables and flushes: the one way every write
    /// goes, so a failure poisons the store (see `handles`) and a full disk says so.
    fn write<T>(
        &self,
        action: &'static str,
        op: impl FnOnce(&Handles) -> sled::Result<T>,
    ) -> Result<T> {
        let h = self.w(action)?;
        let out = op(&h).map_err(|e| self.failed(action, e))?;
        self.flush_with(&h, action)?;
        Ok(out)
    }

    // ---- segments -------------------------------------------------------------------------

    /// Reserves the next segment id (never reused, even after `remove_segment`).
    pub fn next_segment_id(&self) -> Result<SegmentId> {
        self.next_seq(SEGMENT_SEQ).map(SegmentId)
    }

    /// Saves a segment (new or changed) under its id and indexes its hash.
    pub fn insert_segment(&self, seg: &Segment) -> Result<()> {
        let value = to_json(seg);
        self.write("saving a segment", |h| {
            h.segments.insert(be(seg.id.0), value)?;
            h.by_hash.insert(seg.sha256.as_bytes(), &be(seg.id.0))?;
            Ok(())
        })
    }

    pub fn segment(&self, id: SegmentId) -> Result<Option<Segment>> {
        self.h()?
            .segments
            .get(be(id.0))
            .map_err(db_err("reading a segment"))?
            .map(|v| from_json(&v, || format!("segment {id}")))
            .transpose()
    }

    pub fn segment_by_hash(&self, sha256: &str) -> Result<Option<Segment>> {
        match self
            .h()?
            .by_hash
            .get(sha256.as_bytes())
            .map_err(db_err("looking up a file hash"))?
        {
            Some(id) => self.segment(SegmentId(from_be(&id))),
            None => Ok(None),
        }
    }

    /// All segments, in id order.
    pub fn segments(&self) -> Result<Vec<Segment>> {
        self.h()?
            .segments
            .iter()
            .map(|kv| {
                let (k, v) = kv.map_err(db_err("listing segments"))?;
                from_json(&v, || format!("segment {}", from_be(&k)))
            })
            .collect()
    }

    pub fn remove_segment(&self, id: SegmentId) -> Result<Option<Segment>> {
        let Some(seg) = self.segment(id)? else {
            return Ok(None);
        };
        self.write("removing a segment", |h| {
            h.segments.remove(be(id.0))?;
            // Only if the index names this segment (a damaged library may hold two).
            if h.by_hash.get(seg.sha256.as_bytes())?.as_deref() == Some(&be(id.0)[..]) {
                h.by_hash.remove(seg.sha256.as_bytes())?;
            }
            Ok(())
        })?;
        Ok(Some(seg))
    }

    // ---- queue ----------------------------------------------------------------------------

    pub fn queue_push(
        &self,
        segment: SegmentId,
        program: Option<String>,
        priority: Priority,
        now: DateTime<Utc>,
    ) -> Result<QueueEntry> {
        let entry = QueueEntry {
            qid: self.next_seq(QUEUE_SEQ)?,
            segment,
            program,
            added_at: now,
            priority,
        };
        self.write("adding to the queue", |h| {
            h.queue.insert(be(entry.qid), to_json(&entry))
        })?;
        Ok(entry)
    }

    /// The queue in airing order: `priority` entries first, then oldest first.
    pub fn queue(&self) -> Result<Vec<QueueEntry>> {
        let mut entries = self
            .h()?
            .queue
            .iter()
            .map(|kv| {
                let (k, v) = kv.map_err(db_err("reading the queue"))?;
                from_json(&v, || format!("queue entry {}", from_be(&k)))
            })
            .collect::<Result<Vec<QueueEntry>>>()?;
        entries.sort_by_key(|e| (std::cmp::Reverse(e.priority), e.qid));
        Ok(entries)
    }

    /// Removes a queue entry; `false` if there was none.
    pub fn queue_remove(&self, qid: u64) -> Result<bool> {
        let old = self.write("removing from the queue", |h| h.queue.remove(be(qid)))?;
        Ok(old.is_some())
    }

    // ---- emergency repeats ----------------------------------------------------------------

    /// Saves a new repeat (its `id` is assigned) or updates an existing one.
    pub fn emergency_put(&self, rep: &mut EmergencyRepeat) -> Result<()> {
        if rep.id == 0 {
            rep.id = self.next_seq(EMERGENCY_SEQ)?;
        }
        let key = format!("emergency/{:020}", rep.id);
        let value = to_json(rep);
        self.write("saving an emergency repeat", |h| {
            h.state.insert(key.as_bytes(), value).map(drop)
        })
    }

    /// Moves an existing repeat on (its next time); `false`, and nothing written, when it is
    /// gone: a cancel between reading the repeat and moving it on stays a cancel.
    pub fn emergency_move_on(&self, rep: &EmergencyRepeat) -> Result<bool> {
        let key = format!("emergency/{:020}", rep.id);
        let new = to_json(rep);
        let old = self.write("saving an emergency repeat", |h| {
            h.state
                .fetch_and_update(key.as_bytes(), |old| old.map(|_| new.clone()))
        })?;
        Ok(old.is_some())
    }

    pub fn emergency_remove(&self, id: u64) -> Result<()> {
        let key = format!("emergency/{id:020}");
        self.write("removing an emergency repeat", |h| {
            h.state.remove(key.as_bytes()).map(drop)
        })
    }

    /// Pending repeats, by id.
    pub fn emergencies(&self) -> Result<Vec<EmergencyRepeat>> {
        self.h()?
            .state
            .scan_prefix(b"emergency/")
            .map(|kv| {
                let (k, v) = kv.map_err(db_err("reading emergency repeats"))?;
                from_json(&v, || String::from_utf8_lossy(&k).into_owned())
            })
            .collect()
    }

    // ---- playlist rotation and import cache -----------------------------------------------

    /// Index after the last aired entry of a `rotate` playlist (0 if never aired).
    pub fn rotation_cursor(&self, playlist: &str) -> Result<usize> {
        let key = format!("rotation/{playlist}");
        Ok(self
            .h()?
            .state
            .get(key.as_bytes())
            .map_err(db_err("reading a playlist position"))?
            .map_or(0, |v| usize::try_from(from_be(&v)).unwrap_or(0)))
    }

    pub fn set_rotation_cursor(&self, playlist: &str, cursor: usize) -> Result<()> {
        let key = format!("rotation/{playlist}");
        self.write("saving a playlist position", |h| {
            h.state.insert(key.as_bytes(), &be(cursor as u64)).map(drop)
        })
    }

    pub fn file_stamp(&self, path: &Path) -> Result<Option<FileStamp>> {
        let key = path.to_string_lossy();
        self.h()?
            .files
            .get(key.as_bytes())
            .map_err(db_err("reading the import cache"))?
            .map(|v| from_json(&v, || format!("import cache for {key}")))
            .transpose()
    }

    pub fn set_file_stamp(&self, path: &Path, stamp: &FileStamp) -> Result<()> {
        let key = path.to_string_lossy();
        let h = self.w("saving the import cache")?;
        h.files
            .insert(key.as_bytes(), to_json(stamp))
            .map_err(|e| self.failed("saving the import cache", e))?;
        Ok(())
    }

    fn next_seq(&self, key: &[u8]) -> Result<u64> {
        let h = self.w("allocating an id")?;
        let next = h
            .state
            .update_and_fetch(key, |old| {
                let n = old.map_or(0, from_be) + 1;
                Some(be(n).to_vec())
            })
            .map_err(|e| self.failed("allocating an id", e))?;
        Ok(next.map_or(1, |v| from_be(&v)))
    }
}

fn db_err(action: &'static str) -> impl Fn(sled::Error) -> StoreError {
    move |source| StoreError::Db { action, source }
}

fn to_json<T: Serialize>(value: &T) -> Vec<u8> {
    // Serialising plain structs of strings, numbers and dates cannot fail.
    serde_json::to_vec(value).unwrap_or_default()
}

fn from_json<T: DeserializeOwned>(bytes: &[u8], what: impl FnOnce() -> String) -> Result<T> {
    serde_json::from_slice(bytes).map_err(|source| StoreError::Corrupt {
        what: what(),
        source,
    })
}

#[cfg(test)]
mod chain_tests;
#[cfg(test)]
mod tests;
