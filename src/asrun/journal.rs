//! The journal of the run on air: every due item of a program (or of a manual or emergency
//! broadcast), saved before the first sample airs. When the daemon dies mid-run, the next
//! start finds the journal and gives each item that never got its record one — so a due
//! item is accounted for exactly once, whenever the power goes.

use std::collections::HashMap;

use serde::{Deserialize, Serialize};

use super::{ProgramContext, Recorder};
use crate::model::{Outcome, Reason, Segment, SegmentId, Trigger};
use crate::program::{NotAired, Origin, PlannedItem};
use crate::store::{Result, StoreError};

/// What an item left unrecorded by a crash is logged with: [`Reason::CrashBeforeAir`] in
/// its stored form.
pub const NOT_AIRED_CRASH: &str = r#"{"code":"crash_before_air"}"#;

/// One due item of a run.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct JournalEntry {
    pub ctx: ProgramContext,
    pub origin: Origin,
    pub segment: Option<Segment>,
    pub title: String,
    /// For an item that will not air: the outcome and reason of its record (the reason's
    /// stored form; English prose in journals of earlier builds).
    pub not_aired: Option<(Outcome, String)>,
}

impl JournalEntry {
    pub fn planned(ctx: &ProgramContext, item: &PlannedItem) -> Self {
        JournalEntry {
            ctx: ctx.clone(),
            origin: item.origin.clone(),
            segment: Some(item.segment.clone()),
            title: item.segment.title.clone(),
            not_aired: None,
        }
    }

    pub fn not_aired(ctx: &ProgramContext, item: &NotAired) -> Self {
        JournalEntry {
            ctx: ctx.clone(),
            origin: item.origin.clone(),
            segment: item.segment.clone(),
            title: item
                .segment
                .as_ref()
                .map_or_else(|| item.title.clone(), |s| s.title.clone()),
            not_aired: Some((item.outcome, item.reason.stored())),
        }
    }

    fn key(&self) -> Key {
        (
            self.ctx.program.clone(),
            self.ctx.scheduled_at.timestamp_micros(),
            self.segment.as_ref().map(|s| s.id),
            self.title.clone(),
        )
    }
}

/// What identifies an item's record within a run: program, fire time, segment, title.
type Key = (String, i64, Option<SegmentId>, String);

/// The journal as stored.
#[derive(Debug, Serialize, Deserialize)]
pub struct RunJournal {
    /// Records of the run have ids from this one on.
    first_record: u64,
    entries: Vec<JournalEntry>,
}

/// What a restart found of a run a crash left open.
#[derive(Debug, Default)]
pub struct Recovery {
    /// Records written now for items that never got one.
    pub recorded: usize,
    /// Items whose play had ended `completed` or `failed`: their queue entry or rotation
    /// step must be consumed (the crash may have come between their record and that).
    pub dealt_with: Vec<Origin>,
}

impl Recorder {
    /// Saves the journal of a run about to air. For a scheduled run, its fire is marked
    /// accounted in the same atomic write.
    pub fn begin_run(
        &self,
        entries: Vec<JournalEntry>,
        fire: Option<&ProgramContext>,
    ) -> Result<RunJournal> {
        let journal = RunJournal {
            first_record: self.store.next_record_id(),
            entries,
        };
        let fire = fire
            .filter(|c| matches!(c.trigger, Trigger::Schedule | Trigger::CatchUp))
            .map(|c| (c.program.as_str(), c.scheduled_at));
        if let Err(e) = self.store.begin_run(&encode(&journal)?, fire) {
            // The program airs all the same: its fire must not come back as missed.
            if let (Some((program, at)), StoreError::DiskFull { .. } | StoreError::Db { .. }) =
                (fire, &e)
            {
                self.backlog.mark_fire(program, at);
            }
            return Err(e);
        }
        Ok(journal)
    }

    /// Adds items spliced into the run (a manual or emergency broadcast).
    pub fn extend_run(&self, journal: &mut RunJournal, entries: Vec<JournalEntry>) -> Result<()> {
        journal.entries.extend(entries);
        self.store.begin_run(&encode(journal)?, None)
    }

    /// Every item of the run has its record.
    pub fn end_run(&self) -> Result<()> {
        self.store.end_run()
    }

    /// At start, after [`Recorder::close_unfinished`]: a run left open by a crash gets a
    /// record for each item that has none. Safe to repeat (a crash during recovery): items
    /// are matched with the records written since the run began.
    pub fn recover_run(&self) -> Result<Option<Recovery>> {
        let Some(bytes) = self.store.run_journal()? else {
            return Ok(None);
        };
        let journal: RunJournal = match serde_json::from_slice(&bytes) {
            Ok(j) => j,
            Err(e) => {
                tracing::error!(error = %e, "the journal of the program on air is damaged; its unaired items cannot be logged");
                self.store.end_run()?;
                return Ok(None);
            }
        };
        let mut written: HashMap<Key, Vec<Outcome>> = HashMap::new();
        // With the records the last run kept for the disk (see `backlog`).
        let kept = self.backlog.waiting_records();
        for rec in self
            .store
            .records_from(journal.first_record)?
            .into_iter()
            .chain(kept)
        {
            let key = (
                rec.program.clone(),
                rec.scheduled_at.timestamp_micros(),
                rec.segment_id,
                rec.title.clone(),
            );
            written.entry(key).or_default().push(rec.outcome);
        }
        let mut recovery = Recovery::default();
        for entry in &journal.entries {
            let found = written
                .get_mut(&entry.key())
                .and_then(|outcomes| (!outcomes.is_empty()).then(|| outcomes.remove(0)));
            match found {
                Some(Outcome::Completed | Outcome::Failed) => {
                    recovery.dealt_with.push(entry.origin.clone());
                }
                Some(_) => {}
                None => {
                    let (outcome, reason) = entry
                        .not_aired
                        .clone()
                        .unwrap_or_else(|| (Outcome::Skipped, NOT_AIRED_CRASH.to_string()));
                    let reason = Reason::from_stored(&reason)
                        .unwrap_or(Reason::FileUnusable { detail: reason });
                    let item = NotAired {
                        origin: entry.origin.clone(),
                        segment: entry.segment.clone(),
                        title: entry.title.clone(),
                        outcome,
                        reason,
                    };
                    self.not_aired(&entry.ctx, &item)?;
                    recovery.recorded += 1;
                }
            }
        }
        if let Err(e) = self.store.end_run() {
            // Safe to repeat at the next start; the station must air meanwhile.
            tracing::error!(error = %e, "cannot clear the journal of the program a stop cut off");
        }
        Ok(Some(recovery))
    }
}

fn encode(journal: &RunJournal) -> Result<Vec<u8>> {
    serde_json::to_vec(journal).map_err(|source| StoreError::Corrupt {
        what: "the journal of the program on air".into(),
        source,
    })
}
