//! Turns what happens on air into as-run records: one per play attempt, written when the play
//! starts (so a crash leaves an honest `interrupted` record) and rewritten when it ends.

mod backlog;
mod journal;
mod spill;

use std::sync::Arc;
use std::time::Duration;

pub use backlog::BacklogWatch;
pub use journal::{JournalEntry, NOT_AIRED_CRASH, Recovery, RunJournal};

use chrono::{DateTime, Utc};

use crate::clock::SharedClock;
use crate::model::{Approval, AsRunRecord, Outcome, Priority, Reason, Role, Segment, Trigger};
use crate::player::Levels;
use crate::program::{NotAired, PlannedItem};
use crate::store::{Result, Store, StoreError};

/// The reason a record carries while its play is on air ([`Reason::OnAir`] stored). If the
/// daemon dies, it stays, and the next start rewrites it to [`STOPPED_UNEXPECTEDLY`].
pub const ON_AIR: &str = r#"{"code":"on_air"}"#;
/// [`Reason::StoppedUnexpectedly`] stored.
pub const STOPPED_UNEXPECTEDLY: &str = r#"{"code":"stopped_unexpectedly"}"#;

/// The program a record belongs to.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct ProgramContext {
    pub program: String,
    pub trigger: Trigger,
    pub scheduled_at: DateTime<Utc>,
    /// At least this level is recorded (manual and emergency broadcasts).
    pub priority: Priority,
}

#[derive(Debug, Clone)]
pub struct Recorder {
    store: Arc<Store>,
    clock: SharedClock,
    tz: chrono_tz::Tz,
    output: String,
    backlog: backlog::Backlog,
    /// The stream outputs, asked what they carried of each item.
    streams: crate::stream::Streams,
}

impl Recorder {
    pub fn new(store: Arc<Store>, clock: SharedClock, tz: chrono_tz::Tz, output: String) -> Self {
        Recorder {
            backlog: backlog::Backlog::new(store.clone()),
            store,
            clock,
            tz,
            output,
            streams: crate::stream::Streams::default(),
        }
    }

    /// `watch` is told when records start waiting for the disk, and when all are written.
    pub fn on_backlog(&self, watch: BacklogWatch) {
        self.backlog.set_watch(watch);
    }

    /// Records waiting for the disk to take them.
    pub fn waiting(&self) -> usize {
        self.backlog.waiting()
    }

    /// At exit: a last try to write what waits (what cannot be written is logged in full).
    pub fn flush_at_exit(&self) {
        self.backlog.flush_at_exit();
    }

    fn record(
        &self,
        ctx: &ProgramContext,
        role: Role,
        segment: Option<&Segment>,
        title: &str,
    ) -> AsRunRecord {
        let mut rec = AsRunRecord {
            id: 0,
            program: ctx.program.clone(),
            trigger: ctx.trigger,
            role,
            scheduled_at: ctx.scheduled_at.with_timezone(&self.tz).fixed_offset(),
            started_at: None,
            ended_at: None,
            played_ms: 0,
            segment_id: segment.map(|s| s.id),
            title: segment.map_or_else(|| title.to_string(), |s| s.title.clone()),
            topic: segment.map(|s| s.topic.clone()).unwrap_or_default(),
            unit: segment.and_then(|s| s.unit.clone()),
            sha256: segment.map(|s| s.sha256.clone()).unwrap_or_default(),
            outcome: Outcome::Skipped,
            reason: None,
            output: self.output.clone(),
            priority: segment.map_or(ctx.priority, |s| s.priority.max(ctx.priority)),
            approved_by: None,
            approved_at: None,
            peak_dbfs: None,
            loudness_lufs: None,
            audible_ms: None,
            silent: false,
            relay: None,
            live: None,
            streams: Vec::new(),
            source: segment.and_then(|s| s.inbound.clone()),
            hash_version: crate::store::chain::HASH_VERSION,
            prev_hash: String::new(),
            hash: String::new(),
        };
        if matches!(role, Role::Relay | Role::Live) {
            // A relay or a live airing is no library segment: no id, no file hash (its proof
            // says what aired; a live airing's record gets its air-check file's hash).
            rec.segment_id = None;
            rec.sha256.clear();
            rec.source = None;
        }
        if let Some(Approval::Approved { by, at }) = segment.map(|s| &s.approval) {
            rec.approved_by = Some(by.clone());
            rec.approved_at = Some(at.with_timezone(&self.tz).fixed_offset());
        }
        rec
    }

    /// Each record of an item that aired notes what the stream outputs carried of it.
    pub fn set_streams(&mut self, streams: crate::stream::Streams) {
        self.streams = streams;
    }

    fn now(&self) -> chrono::DateTime<chrono::FixedOffset> {
        self.clock.now().with_timezone(&self.tz).fixed_offset()
    }

    /// A due item that will not air (expired, missing, broken).
    pub fn not_aired(&self, ctx: &ProgramContext, item: &NotAired) -> Result<AsRunRecord> {
        let mut rec = self.record(ctx, item.origin.role(), item.segment.as_ref(), &item.title);
        rec.outcome = item.outcome;
        rec.reason = Some(item.reason.stored());
        self.backlog.append(&mut rec, None)?;
        Ok(rec)
    }

    /// A program whose fire time passed without it airing (the daemon was down).
    pub fn missed(&self, ctx: &ProgramContext, reason: &Reason) -> Result<AsRunRecord> {
        let title = format!("(chương trình {})", ctx.program);
        let mut rec = self.record(ctx, Role::Item, None, &title);
        rec.outcome = Outcome::Missed;
        rec.reason = Some(reason.stored());
        self.backlog
            .append(&mut rec, Some((&ctx.program, ctx.scheduled_at)))?;
        Ok(rec)
    }

    /// A program that fired but aired nothing (empty, or still on air from before).
    pub fn program_skipped(&self, ctx: &ProgramContext, reason: &Reason) -> Result<AsRunRecord> {
        let title = format!("(chương trình {})", ctx.program);
        let mut rec = self.record(ctx, Role::Item, None, &title);
        rec.reason = Some(reason.stored());
        self.backlog
            .append(&mut rec, Some((&ctx.program, ctx.scheduled_at)))?;
        Ok(rec)
    }

    /// A play begins: the record is durable before the first second has aired.
    pub fn started(&self, ctx: &ProgramContext, item: &PlannedItem) -> Result<AsRunRecord> {
        self.started_at(ctx, item, None)
    }

    /// Like [`Self::started`], with the time the first sample went out when the output
    /// knows it better than the clock does now (a sound device's timeline).
    pub fn started_at(
        &self,
        ctx: &ProgramContext,
        item: &PlannedItem,
        at: Option<chrono::DateTime<chrono::Utc>>,
    ) -> Result<AsRunRecord> {
        let mut rec = self.record(ctx, item.origin.role(), Some(&item.segment), "");
        rec.started_at = Some(match at {
            Some(at) => at.with_timezone(&self.tz).fixed_offset(),
            None => self.now(),
        });
        rec.outcome = Outcome::Interrupted;
        rec.reason = Some(Reason::OnAir.stored());
        self.backlog.append(&mut rec, None)?;
        Ok(rec)
    }

    /// The play ended; the record is rewritten once with its outcome.
    pub fn ended(
        &self,
        rec: &mut AsRunRecord,
        played: Duration,
        outcome: Outcome,
        reason: Option<Reason>,
    ) -> Result<()> {
        self.ended_with_levels(rec, played, outcome, reason, None)
    }

    /// [`Self::ended`], with the levels the item sent to the output (proof of air): an
    /// item that aired (completed, or interrupted after it started) but went out silent is
    /// flagged `silent`.
    pub fn ended_with_levels(
        &self,
        rec: &mut AsRunRecord,
        played: Duration,
        outcome: Outcome,
        reason: Option<Reason>,
        levels: Option<&Levels>,
    ) -> Result<()> {
        rec.ended_at = Some(self.now());
        rec.played_ms = played.as_millis() as u64;
        if let (Some(from), Some(to)) = (rec.started_at, rec.ended_at)
            && played > Duration::ZERO
            && !self.streams.is_empty()
        {
            rec.streams = self.streams.carriage(from.into(), to.into());
        }
        rec.outcome = outcome;
        rec.reason = reason.map(|r| r.stored());
        if let Some(l) = levels {
            rec.peak_dbfs = Some(l.peak_dbfs);
            rec.loudness_lufs = l.loudness_lufs;
            rec.audible_ms = Some(l.audible.as_millis() as u64);
            let aired = matches!(outcome, Outcome::Completed | Outcome::Interrupted);
            rec.silent = aired && l.silent(played);
            if rec.silent {
                tracing::warn!(
                    record = rec.id,
                    title = %rec.title,
                    peak_dbfs = l.peak_dbfs,
                    played_ms = rec.played_ms,
                    "the item went out silent"
                );
            }
        }
        self.backlog.update(rec)
    }

    /// At start: a play left "on air" by a daemon that died is closed as interrupted.
    ///
    /// Only the last record can be in that state after a crash: the daemon is the log's only
    /// writer, plays are sequential (a record is ended before the next is appended) and this
    /// runs before anything new is appended. An older record still "on air" means its end
    /// could not be written (a database error) and a later write succeeded; it is final
    /// (the next record's link covers it), keeps its honest `interrupted` outcome and is left
    /// as it is. Returns how many records were closed (0 or 1).
    pub fn close_unfinished(&self) -> Result<usize> {
        let last = match self.store.last_record() {
            Ok(last) => last,
            // A damaged log must not keep the loudspeakers silent: `log verify` names it.
            Err(e @ StoreError::Corrupt { .. }) => {
                tracing::error!(error = %e, "the last broadcast log record is damaged; not closing it");
                None
            }
            Err(e) => return Err(e),
        };
        let Some(mut rec) = last else {
            return Ok(0);
        };
        if rec.started_at.is_none()
            || rec.ended_at.is_some()
            || rec.reason.as_deref().and_then(Reason::from_stored) != Some(Reason::OnAir)
            // Its end was kept from the last run (the disk was full): it is coming.
            || self.backlog.update_waits(rec.id)
        {
            return Ok(0);
        }
        rec.outcome = Outcome::Interrupted;
        rec.reason = Some(Reason::StoppedUnexpectedly.stored());
        self.backlog.update(&mut rec)?;
        Ok(1)
    }
}
