//! The sled database behind [`Store`], and its recovery from a failed write.
//!
//! When sled cannot write (a full disk, an I/O error) it sets an error inside the open
//! database that fails every later write, even once the disk has room again: only opening
//! the database afresh clears it (`PageCache::start` resets it, and recovery reads the log
//! back to its last complete write). So every table handle lives in one [`Handles`] that
//! the store can swap: after a failed write the store is *poisoned*, and the next write
//! that finds enough free space drops the old database and opens it again — in-process,
//! without a restart. Until then reads keep working from the old handles (sled still
//! serves them), so the station airs on; writes fail at once with a clear disk-full
//! error, and the as-run backlog keeps its records in memory.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, RwLock};
use std::time::Duration;

use super::{Result, Store, StoreError};

/// Room the disk must have before the database is opened again: sled writes in segments
/// of 512 KiB and may start a new one at once.
pub(super) const MIN_FREE_BYTES: u64 = 4 << 20;
/// sled's page cache. Its default (1 GiB) keeps what an export reads; the daemon's own work
/// needs little of it, and an export or report of a large log must stay small (see
/// BENCHMARKS.md, "An open page").
pub(super) const CACHE_BYTES: u64 = 8 << 20;
/// How long an open waits for a database's file lock to go: sled's threads let go of it a
/// moment after the last handle in this process is dropped (a reopen after a write error, a
/// tool that closed the store and opens it again). Another process holding it (a running
/// daemon) is still told after this wait.
const UNLOCK_WAIT: Duration = Duration::from_secs(1);

/// The open database and its tables; `epoch` counts reopens.
pub(super) struct Handles {
    pub(super) db: sled::Db,
    pub(super) segments: sled::Tree,
    pub(super) by_hash: sled::Tree,
    pub(super) queue: sled::Tree,
    pub(super) asrun: sled::Tree,
    pub(super) state: sled::Tree,
    pub(super) files: sled::Tree,
    /// Bulletins taken from the province's inbox, and those quarantined.
    pub(super) inbox: sled::Tree,
    pub(super) epoch: u64,
}

impl Handles {
    pub(super) fn new(db: sled::Db, epoch: u64) -> Result<Handles> {
        let tree = |name: &str| {
            db.open_tree(name).map_err(|source| StoreError::Db {
                action: "opening a table",
                source,
            })
        };
        Ok(Handles {
            segments: tree("segments")?,
            by_hash: tree("segments_by_sha256")?,
            queue: tree("queue")?,
            asrun: tree("asrun")?,
            state: tree("state")?,
            files: tree("import_cache")?,
            inbox: tree("inbox")?,
            db,
            epoch,
        })
    }
}

/// The swappable database of a store.
pub(super) struct Engine {
    slot: RwLock<Option<Arc<Handles>>>,
    /// Why writes are refused until the database is reopened (`None`: healthy).
    poisoned: Mutex<Option<String>>,
    /// The database folder; `None` for a temporary database (never reopened).
    dir: Option<PathBuf>,
    epoch: AtomicU64,
    /// The database opened only after the disk reserve was released.
    on_reserve: std::sync::atomic::AtomicBool,
}

impl Engine {
    pub(super) fn new(handles: Handles, dir: Option<PathBuf>) -> Engine {
        Engine {
            epoch: AtomicU64::new(handles.epoch),
            slot: RwLock::new(Some(Arc::new(handles))),
            poisoned: Mutex::new(None),
            dir,
            on_reserve: std::sync::atomic::AtomicBool::new(false),
        }
    }

    pub(super) fn started_on_reserve(&self) {
        self.on_reserve.store(true, Ordering::SeqCst);
    }

    pub(super) fn reserve_used(&self) -> bool {
        self.on_reserve.load(Ordering::SeqCst)
    }

    fn poison(&self) -> MutexGuard<'_, Option<String>> {
        self.poisoned.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// Opens the sled database in `dir` as the station uses it.
pub(super) fn open_db(dir: &Path) -> Result<sled::Db> {
    // Every write that matters is flushed explicitly: no background flusher waking the
    // idle daemon twice a second.
    sled::Config::new()
        .path(dir)
        .flush_every_ms(None)
        // sled caches 1 GiB by default and keeps what an export reads: a station PC has
        // better uses for its memory.
        .cache_capacity(CACHE_BYTES)
        .open()
        .map_err(|source| {
            let locked = matches!(&source, sled::Error::Io(e)
                if e.kind() == std::io::ErrorKind::WouldBlock
                    || e.to_string().contains("could not acquire lock"));
            if locked {
                StoreError::Locked {
                    path: dir.to_path_buf(),
                }
            } else {
                StoreError::Open {
                    path: dir.to_path_buf(),
                    source,
                }
            }
        })
}

/// Room kept in reserve next to the database, so the daemon can start on a full disk.
pub(super) const RESERVE_BYTES: u64 = 4 << 20;
const RESERVE_NAME: &str = "disk-reserve";

/// Opens the database in `dir`; if the disk is too full even for that (sled writes when it
/// opens), releases the reserve file next to it and tries once more — the station must get
/// on air. `Ok((db, true))` when the reserve was used.
pub(super) fn open_with_reserve(dir: &Path) -> Result<(sled::Db, bool)> {
    match open_when_unlocked(dir) {
        Err(StoreError::Open {
            source: sled::Error::Io(e),
            ..
        }) if crate::library::is_disk_full(&e) => {
            let reserve = reserve_path(dir);
            if std::fs::remove_file(&reserve).is_err() {
                return Err(StoreError::DiskFull {
                    action: "opening the database",
                    path: dir.to_path_buf(),
                });
            }
            tracing::error!(file = %reserve.display(), "the disk is full: released loaxa's reserve to open the database");
            Ok((open_when_unlocked(dir)?, true))
        }
        other => other.map(|db| (db, false)),
    }
}

/// Sets the reserve aside when there is room for it twice over (best effort).
pub(super) fn keep_reserve(dir: &Path) {
    let reserve = reserve_path(dir);
    if std::fs::metadata(&reserve).is_ok_and(|m| m.len() >= RESERVE_BYTES) {
        return;
    }
    if free_bytes(dir).is_none_or(|free| free < 2 * RESERVE_BYTES) {
        return;
    }
    // Real zeros, not a sparse file: the space must be taken now to be given back later.
    let zeros = vec![0u8; usize::try_from(RESERVE_BYTES).unwrap_or(0)];
    let written =
        std::fs::write(&reserve, zeros).and_then(|()| std::fs::File::open(&reserve)?.sync_all());
    if let Err(e) = written {
        let _ = std::fs::remove_file(&reserve);
        tracing::warn!(file = %reserve.display(), error = %e, "cannot set aside the disk reserve");
    }
}

fn reserve_path(dir: &Path) -> PathBuf {
    dir.parent().unwrap_or(dir).join(RESERVE_NAME)
}

/// Free bytes on the file system holding `dir` (`None` when it cannot be told).
#[cfg(unix)]
pub fn free_bytes(dir: &Path) -> Option<u64> {
    let st = rustix::fs::statvfs(dir).ok()?;
    Some(st.f_bavail.saturating_mul(st.f_frsize))
}

#[cfg(not(unix))]
pub fn free_bytes(_dir: &Path) -> Option<u64> {
    None
}

impl Store {
    /// The current tables, for reading (or for a write that [`Store::w`] allowed).
    pub(super) fn h(&self) -> Result<Arc<Handles>> {
        let current = self
            .engine
            .slot
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .clone();
        match current {
            Some(h) => Ok(h),
            None => self.recover("reading the database"),
        }
    }

    /// The current tables for a write: fails at once with the injected fault, and while
    /// the database is poisoned and cannot be reopened yet.
    pub(super) fn w(&self, action: &'static str) -> Result<Arc<Handles>> {
        self.injected(action)?;
        if self.engine.poison().is_some() {
            return self.recover(action);
        }
        self.h()
    }

    /// Turns a failed write into the error to report, poisoning the store when sled's
    /// error sticks (every I/O error does).
    pub(super) fn failed(&self, action: &'static str, source: sled::Error) -> StoreError {
        if let sled::Error::Io(io) = &source {
            let mut poisoned = self.engine.poison();
            if poisoned.is_none() {
                tracing::error!(error = %io, action, "the database refused a write; writes wait until the disk takes them again");
            }
            *poisoned = Some(io.to_string());
            if crate::library::is_disk_full(io) {
                return self.disk_full(action);
            }
        }
        StoreError::Db { action, source }
    }

    pub(super) fn disk_full(&self, action: &'static str) -> StoreError {
        StoreError::DiskFull {
            action,
            path: self.path.clone(),
        }
    }

    /// Why writes are refused until the database is reopened (`None`: they are not).
    pub fn write_fault(&self) -> Option<String> {
        self.engine.poison().clone()
    }

    /// Reopens a poisoned database when the disk has room again; else the error to report.
    fn recover(&self, action: &'static str) -> Result<Arc<Handles>> {
        let still = |store: &Store| {
            let why = store.engine.poison().clone().unwrap_or_default();
            if why.contains("No space left") || why.contains("quota") || why.is_empty() {
                store.disk_full(action)
            } else {
                StoreError::Db {
                    action,
                    source: sled::Error::Io(std::io::Error::other(why)),
                }
            }
        };
        let Some(dir) = self.engine.dir.as_deref() else {
            return Err(still(self));
        };
        if free_bytes(dir).is_some_and(|free| free < MIN_FREE_BYTES) {
            return Err(still(self));
        }
        let mut slot = self.engine.slot.write().unwrap_or_else(|e| e.into_inner());
        if let Some(h) = slot.as_ref() {
            if self.engine.poison().is_none() {
                return Ok(h.clone()); // another thread reopened it meanwhile
            }
            if Arc::strong_count(h) > 1 {
                return Err(still(self)); // in use right now: the next write tries again
            }
        }
        // The old database must close first: its file lock would refuse the new one.
        *slot = None;
        let epoch = self.engine.epoch.fetch_add(1, Ordering::SeqCst) + 1;
        let db = reopen_waiting(dir)?;
        let handles = Arc::new(Handles::new(db, epoch)?);
        *slot = Some(handles.clone());
        *self.engine.poison() = None;
        tracing::info!(
            path = %dir.display(),
            "the database was reopened: the disk takes writes again"
        );
        Ok(handles)
    }
}

/// Opens `dir`, waiting up to [`UNLOCK_WAIT`] for a lock to go.
fn open_when_unlocked(dir: &Path) -> Result<sled::Db> {
    let started = std::time::Instant::now();
    loop {
        match open_db(dir) {
            Err(StoreError::Locked { .. }) if started.elapsed() < UNLOCK_WAIT => {
                std::thread::sleep(Duration::from_millis(20));
            }
            other => return other,
        }
    }
}

/// Opens `dir` again after a write error, waiting a moment for the old database's threads
/// to let go of its lock.
fn reopen_waiting(dir: &Path) -> Result<sled::Db> {
    open_when_unlocked(dir).inspect_err(|e| {
        tracing::error!(error = %e, "cannot reopen the database; the next write tries again");
    })
}
