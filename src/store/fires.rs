//! How far the daemon has accounted for the schedule, so fire times that pass while it is
//! down are found on the next start, and recorded once however often it restarts; and the
//! journal of the run on air, so a restart after a crash can account for its items.
//!
//! A fire time is accounted for when it is at or before [`Store::checked_until`], or when
//! it is marked: the mark is written in the same atomic write as the fire's `missed` or
//! `skipped` record, or as the journal of the run that airs it.

use chrono::{DateTime, Utc};

use super::{Result, Store, db_err};

const CHECKED_UNTIL: &[u8] = b"checked_until";
const RUN: &[u8] = b"run";
const FIRE_PREFIX: &str = "fire/";
/// How long the mark of a fire is kept after the schedule position has passed it.
pub const MARK_RETENTION_DAYS: i64 = 8;

impl Store {
    /// Every fire time up to this instant has been dealt with (aired, logged or missed).
    pub fn checked_until(&self) -> Result<Option<DateTime<Utc>>> {
        Ok(self
            .h()?
            .state
            .get(CHECKED_UNTIL)
            .map_err(db_err("reading the schedule position"))?
            .and_then(|v| std::str::from_utf8(&v).ok().map(str::to_string))
            .and_then(|s| DateTime::parse_from_rfc3339(&s).ok())
            .map(|t| t.with_timezone(&Utc)))
    }

    /// Moves the schedule position to `t` and forgets the marks of fires more than
    /// [`MARK_RETENTION_DAYS`] before it, so the marks never pile up. Younger marks are
    /// kept although the position covers them: when the clock is set back, they stop a
    /// program that has aired from airing again.
    pub fn set_checked_until(&self, t: DateTime<Utc>) -> Result<()> {
        let action = "saving the schedule position";
        let h = self.w(action)?;
        let mut batch = sled::Batch::default();
        batch.insert(CHECKED_UNTIL, t.to_rfc3339().as_bytes());
        for kv in h.state.scan_prefix(FIRE_PREFIX) {
            let (k, _) = kv.map_err(db_err("reading accounted fires"))?;
            let at = std::str::from_utf8(&k)
                .ok()
                .and_then(|k| k.rsplit('/').next())
                .and_then(|s| s.parse::<i64>().ok());
            let horizon = t.timestamp() - MARK_RETENTION_DAYS * 86_400;
            if at.is_none_or(|at| at <= horizon) {
                batch.remove(k);
            }
        }
        h.state
            .apply_batch(batch)
            .map_err(|e| self.failed(action, e))?;
        self.flush_with(&h, action)
    }

    /// Whether the fire of `program` at `at` already has its record or its run (so a
    /// restart does not account for it twice).
    pub fn fire_accounted(&self, program: &str, at: DateTime<Utc>) -> Result<bool> {
        let key = fire_key(program, at);
        if self.waiting().contains(&key) {
            return Ok(true);
        }
        self.h()?
            .state
            .contains_key(key)
            .map_err(db_err("reading accounted fires"))
    }

    /// Marks the fire of `program` at `at` accounted (its run's journal could not be saved:
    /// the disk was full; the mark is written once it takes writes again).
    pub fn mark_fire(&self, program: &str, at: DateTime<Utc>) -> Result<()> {
        let key = fire_key(program, at);
        self.write("marking a program as aired", |h| {
            h.state.insert(key, &[]).map(drop)
        })
    }

    /// Says that the mark of a fire waits in memory (`true`) or is written now (`false`):
    /// while it waits, [`Store::fire_accounted`] already counts it, so a restart with the
    /// disk still full does not log an aired program as missed.
    pub fn note_waiting_fire(&self, program: &str, at: DateTime<Utc>, waiting: bool) {
        let key = fire_key(program, at);
        if waiting {
            self.waiting().insert(key);
        } else {
            self.waiting().remove(&key);
        }
    }

    fn waiting(&self) -> std::sync::MutexGuard<'_, std::collections::HashSet<Vec<u8>>> {
        self.waiting_fires.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Saves the journal of the run about to air (opaque bytes, see `asrun::RunJournal`)
    /// and, atomically with it, marks the fire it airs for as accounted.
    pub fn begin_run(&self, journal: &[u8], fire: Option<(&str, DateTime<Utc>)>) -> Result<()> {
        let action = "saving the program on air";
        let h = self.w(action)?;
        let mut batch = sled::Batch::default();
        batch.insert(RUN, journal);
        if let Some((program, at)) = fire {
            batch.insert(fire_key(program, at), &[]);
        }
        h.state
            .apply_batch(batch)
            .map_err(|e| self.failed(action, e))?;
        self.flush_with(&h, action)
    }

    /// The journal of the run that was on air when the daemon stopped, if it did not end.
    pub fn run_journal(&self) -> Result<Option<Vec<u8>>> {
        Ok(self
            .h()?
            .state
            .get(RUN)
            .map_err(db_err("reading the program on air"))?
            .map(|v| v.to_vec()))
    }

    /// The run is over: every item of it has its record.
    pub fn end_run(&self) -> Result<()> {
        self.write("clearing the program on air", |h| {
            h.state.remove(RUN).map(drop)
        })
    }
}

pub(super) fn fire_key(program: &str, at: DateTime<Utc>) -> Vec<u8> {
    format!("{FIRE_PREFIX}{program}/{}", at.timestamp()).into_bytes()
}
