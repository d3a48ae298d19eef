//! Log writes the disk refused (full, I/O errors), kept in order in memory and retried, so
//! a failing disk neither loses a record nor takes the station off the air: the daemon goes
//! on airing, the operator sees a warning, and the records reach the log, in order and
//! chained, as soon as the disk takes writes again.
//!
//! A record appended while the backlog is not empty waits behind it (the chain is in write
//! order). It carries a placeholder id until it is written; its end, when it comes first,
//! is folded into the waiting record.
//!
//! What still waits when the daemon stops is kept in the spill file (see `spill`) and
//! waits again at the next start, ahead of anything new: its fires count as accounted
//! meanwhile, so a restart with the disk still full logs no aired program as missed.

use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use chrono::{DateTime, Utc};

use serde::{Deserialize, Serialize};

use super::spill::Spill;
use crate::model::{AsRunRecord, Warning};
use crate::store::{Result, Store, StoreError};
use crate::words::Say;

/// Ids from here on are placeholders of records still waiting to be written.
const PLACEHOLDER_BASE: u64 = 1 << 62;
const RETRY_FIRST: Duration = Duration::from_secs(1);
/// A retry costs one free-space check while the disk is full: cheap enough to come often,
/// so the log catches up within seconds of space being freed.
const RETRY_MAX: Duration = Duration::from_secs(4);

/// Told whenever the backlog changes: `Some(warning)` while records wait, `None` once all
/// are written.
pub type BacklogWatch = Arc<dyn Fn(Option<Warning>) + Send + Sync>;

#[derive(Debug, Serialize, Deserialize)]
enum Op {
    Append {
        rec: AsRunRecord,
        fire: Option<(String, DateTime<Utc>)>,
    },
    Update(AsRunRecord),
    /// A fire aired whose run journal could not be saved.
    Mark {
        program: String,
        at: DateTime<Utc>,
    },
}

impl Op {
    /// The fire this write accounts for.
    fn fire(&self) -> Option<(&str, DateTime<Utc>)> {
        match self {
            Op::Append {
                fire: Some((p, at)),
                ..
            }
            | Op::Mark { program: p, at } => Some((p.as_str(), *at)),
            _ => None,
        }
    }
}

#[derive(Default)]
struct Inner {
    ops: VecDeque<Op>,
    /// Placeholder → the id the store gave the record.
    written_as: HashMap<u64, u64>,
    next_placeholder: u64,
    last_error: Option<String>,
    retrying: bool,
    /// The spill file holds records of the last run not yet written.
    spilled: bool,
}

#[derive(Clone)]
pub(super) struct Backlog {
    store: Arc<Store>,
    inner: Arc<Mutex<Inner>>,
    watch: Arc<Mutex<Option<BacklogWatch>>>,
    spill: Option<Spill>,
}

impl std::fmt::Debug for Backlog {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Backlog")
            .field("waiting", &self.lock().ops.len())
            .finish_non_exhaustive()
    }
}

/// Errors worth waiting out: the disk or the database engine, not a refused rewrite.
fn transient(e: &StoreError) -> bool {
    matches!(e, StoreError::Db { .. } | StoreError::DiskFull { .. })
}

impl Backlog {
    /// The backlog of `store`, holding what the last run could not write (if anything),
    /// which it tries to write at once.
    pub(super) fn new(store: Arc<Store>) -> Backlog {
        let spill = Spill::of(store.path());
        let me = Backlog {
            store,
            inner: Arc::default(),
            watch: Arc::default(),
            spill,
        };
        let Some(spill) = &me.spill else {
            return me;
        };
        let kept: Vec<Op> = spill.load();
        if let Err(e) = spill.reserve() {
            tracing::error!(file = %spill.path().display(), error = %e, "cannot reserve room for log records at exit; a stop while the disk is full would lose them");
        }
        if kept.is_empty() {
            return me;
        }
        tracing::warn!(records = kept.len(), file = %spill.path().display(), "log records the last run could not write wait to be written");
        me.resume(kept);
        me
    }

    /// Queues what the last run kept, ahead of anything new, and tries to write it.
    fn resume(&self, kept: Vec<Op>) {
        let mut inner = self.lock();
        for op in kept {
            if let Op::Append { rec, .. } = &op
                && rec.id >= PLACEHOLDER_BASE
            {
                inner.next_placeholder = inner.next_placeholder.max(rec.id - PLACEHOLDER_BASE + 1);
            }
            if let Some((program, at)) = op.fire() {
                self.store.note_waiting_fire(program, at, true);
            }
            inner.ops.push_back(op);
        }
        inner.spilled = true;
        inner.last_error = Some("kept from the last run".into());
        if !self.drain(&mut inner) {
            self.waiting_now(inner);
        }
    }

    fn lock(&self) -> MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }

    pub(super) fn set_watch(&self, watch: BacklogWatch) {
        *self.watch.lock().unwrap_or_else(|e| e.into_inner()) = Some(watch);
        let inner = self.lock();
        if !inner.ops.is_empty() {
            let warning = warning(&inner);
            drop(inner);
            self.tell(Some(warning));
        }
    }

    /// Records appended but not yet written (placeholder ids), in order.
    pub(super) fn waiting_records(&self) -> Vec<AsRunRecord> {
        self.lock()
            .ops
            .iter()
            .filter_map(|op| match op {
                Op::Append { rec, .. } => Some(rec.clone()),
                _ => None,
            })
            .collect()
    }

    /// Whether the end of record `id` waits to be written.
    pub(super) fn update_waits(&self, id: u64) -> bool {
        self.lock()
            .ops
            .iter()
            .any(|op| matches!(op, Op::Update(rec) if rec.id == id))
    }

    /// Accounts the fire of `program` at `at` once the disk takes writes (its run journal,
    /// which would have, could not be saved).
    pub(super) fn mark_fire(&self, program: &str, at: DateTime<Utc>) {
        let mut inner = self.lock();
        self.store.note_waiting_fire(program, at, true);
        inner.ops.push_back(Op::Mark {
            program: program.to_string(),
            at,
        });
        if !self.drain(&mut inner) {
            self.waiting_now(inner);
        }
    }

    /// Records waiting to be written.
    pub(super) fn waiting(&self) -> usize {
        self.lock().ops.len()
    }

    /// Appends `rec` (setting its id, or a placeholder while the disk refuses writes).
    pub(super) fn append(
        &self,
        rec: &mut AsRunRecord,
        fire: Option<(&str, DateTime<Utc>)>,
    ) -> Result<()> {
        let mut inner = self.lock();
        if self.drain(&mut inner) {
            match self.store.append_record_for_fire(rec, fire) {
                Ok(_) => return Ok(()),
                Err(e) if transient(&e) => inner.last_error = Some(e.to_string()),
                Err(e) => return Err(e),
            }
        }
        rec.id = PLACEHOLDER_BASE + inner.next_placeholder;
        inner.next_placeholder += 1;
        if let Some((program, at)) = fire {
            self.store.note_waiting_fire(program, at, true);
        }
        inner.ops.push_back(Op::Append {
            rec: rec.clone(),
            fire: fire.map(|(p, at)| (p.to_string(), at)),
        });
        self.waiting_now(inner);
        Ok(())
    }

    /// Rewrites `rec` with its end.
    pub(super) fn update(&self, rec: &mut AsRunRecord) -> Result<()> {
        let mut inner = self.lock();
        if rec.id >= PLACEHOLDER_BASE {
            let placeholder = rec.id;
            let waiting = inner.ops.iter_mut().find_map(|op| match op {
                Op::Append { rec: w, .. } if w.id == placeholder => Some(w),
                _ => None,
            });
            if let Some(waiting) = waiting {
                *waiting = rec.clone();
                self.drain(&mut inner);
                return Ok(());
            }
            match inner.written_as.get(&placeholder) {
                Some(id) => rec.id = *id,
                None => {
                    return Err(StoreError::LogRewrite {
                        id: placeholder,
                        why: "it was never written".into(),
                    });
                }
            }
        }
        if self.drain(&mut inner) {
            match self.store.update_record(rec) {
                Ok(()) => return Ok(()),
                Err(e) if transient(&e) => inner.last_error = Some(e.to_string()),
                Err(e) => return Err(e),
            }
        }
        inner.ops.push_back(Op::Update(rec.clone()));
        self.waiting_now(inner);
        Ok(())
    }

    /// Writes what waits, in order; `true` when nothing is left.
    fn drain(&self, inner: &mut Inner) -> bool {
        let before = inner.ops.len();
        while let Some(op) = inner.ops.front_mut() {
            let result = match op {
                Op::Append { rec, fire } => {
                    let placeholder = rec.id;
                    let fire = fire.as_ref().map(|(p, at)| (p.as_str(), *at));
                    let result = self.store.append_record_for_fire(rec, fire);
                    if result.is_ok() {
                        let id = rec.id;
                        inner.written_as.insert(placeholder, id);
                    } else {
                        rec.id = placeholder;
                    }
                    result.map(drop)
                }
                Op::Update(rec) => self.store.update_record(rec),
                Op::Mark { program, at } => self.store.mark_fire(program, *at),
            };
            match result {
                Ok(()) => {
                    if let Some((program, at)) = inner.ops.front().and_then(Op::fire) {
                        self.store.note_waiting_fire(program, at, false);
                    }
                }
                Err(e) if transient(&e) => {
                    inner.last_error = Some(e.to_string());
                    return false;
                }
                Err(e) => {
                    // Cannot ever be written (a logic error, not the disk): say so, go on.
                    tracing::error!(error = %e, "a waiting broadcast log write was refused; dropped");
                    if let Some((program, at)) = inner.ops.front().and_then(Op::fire) {
                        self.store.note_waiting_fire(program, at, false);
                    }
                }
            }
            inner.ops.pop_front();
        }
        if before > 0 {
            tracing::info!(
                records = before,
                "the broadcast log takes writes again; waiting records written"
            );
            inner.last_error = None;
            self.tell(None);
        }
        if inner.spilled
            && let Some(spill) = &self.spill
        {
            match spill.clear() {
                Ok(()) => inner.spilled = false,
                Err(e) => {
                    tracing::error!(file = %spill.path().display(), error = %e, "cannot clear the log records kept by the last run; they are in the log now")
                }
            }
        }
        true
    }

    /// Something waits: warn, and make sure a retry is coming.
    fn waiting_now(&self, mut inner: MutexGuard<'_, Inner>) {
        let warning = warning(&inner);
        tracing::error!("{}", warning.say(crate::words::Lang::En));
        let spawn = !inner.retrying;
        inner.retrying = true;
        drop(inner);
        self.tell(Some(warning));
        if spawn {
            let me = self.clone();
            let started = std::thread::Builder::new()
                .name("loaxa-log-retry".into())
                .spawn(move || me.retry_loop());
            if let Err(e) = started {
                tracing::error!(error = %e, "cannot start the log retry thread; retrying on the next write");
                self.lock().retrying = false;
            }
        }
    }

    fn retry_loop(&self) {
        let mut wait = RETRY_FIRST;
        loop {
            std::thread::sleep(wait);
            let mut inner = self.lock();
            if self.drain(&mut inner) {
                inner.retrying = false;
                return;
            }
            wait = (wait * 2).min(RETRY_MAX);
        }
    }

    /// At exit: one last try; what still cannot be written is kept in the spill file for
    /// the next start, and what does not fit there goes to the daemon's own log
    /// (journald), so it is not lost without a trace.
    pub(super) fn flush_at_exit(&self) {
        let mut inner = self.lock();
        if self.drain(&mut inner) {
            return;
        }
        let ops: Vec<&Op> = inner.ops.iter().collect();
        let kept = match &self.spill {
            Some(spill) => match spill.save(&ops) {
                Ok(kept) => {
                    tracing::warn!(records = kept, file = %spill.path().display(), "log records the disk refused are kept for the next start");
                    kept
                }
                Err(e) => {
                    tracing::error!(file = %spill.path().display(), error = %e, "cannot keep the waiting log records for the next start");
                    0
                }
            },
            None => 0,
        };
        for op in &ops[kept..] {
            let json = serde_json::to_string(op).unwrap_or_default();
            tracing::error!(record = %json, "broadcast log record not written (disk refused it)");
        }
    }

    fn tell(&self, warning: Option<Warning>) {
        let watch = self.watch.lock().unwrap_or_else(|e| e.into_inner()).clone();
        if let Some(watch) = watch {
            watch(warning);
        }
    }
}

/// The operator's warning while records wait.
fn warning(inner: &Inner) -> Warning {
    Warning::LogWaiting {
        detail: inner
            .last_error
            .clone()
            .unwrap_or_else(|| "unknown error".into()),
        records: inner.ops.len() as u64,
    }
}
