//! Airing a scheduled program or a manual broadcast: plan it, log what cannot air, hand the
//! rest to a session.

use crate::asrun::{JournalEntry, ProgramContext};
use crate::model::{Priority, Reason, Segment, SegmentId, Trigger};
use crate::program::{MayAir, Origin, PlannedItem};
use crate::service::catalog::Import;

use super::control::ControlError;
use super::session::OnAirItem;
use super::{Daemon, ManualRequest};
use crate::words::ErrorCode;

/// The program name manual broadcasts are logged under.
pub use crate::model::MANUAL_PROGRAM;

impl Daemon {
    /// Airs the scheduled program `ctx.program`. Returns `true` when shutdown was asked.
    pub(super) async fn air(&mut self, ctx: ProgramContext) -> bool {
        let station = self.station.clone();
        let Some(program) = station.config.program(&ctx.program) else {
            return false; // removed by a reload since it came due
        };
        let queue = station.store.queue().unwrap_or_else(|e| {
            tracing::error!(error = %e, "cannot read the queue; airing without it");
            Vec::new()
        });
        // The playlist files and the segments as they are now, read the way every preview
        // reads them: an edit made since the last program airs in this one.
        for d in self.catalog.refresh(&station, Import::Yes) {
            tracing::warn!("{d}");
        }
        let plan = station.plan_program(
            &self.catalog,
            program,
            ctx.scheduled_at,
            station.today(),
            &queue,
            &|_| None,
        );
        tracing::info!(
            program = %ctx.program,
            items = plan.items.len(),
            not_aired = plan.not_aired.len(),
            deferred = plan.deferred.len(),
            "program starts"
        );
        if plan.items.is_empty() && plan.not_aired.is_empty() {
            self.log(self.recorder.program_skipped(&ctx, &Reason::NothingToPlay));
            return self.shutdown.requested();
        }
        // Journaled (and the fire marked) before the first record: a crash from here on
        // leaves nothing of this run unaccounted for.
        let entries = plan
            .not_aired
            .iter()
            .map(|item| JournalEntry::not_aired(&ctx, item))
            .chain(
                plan.items
                    .iter()
                    .map(|item| JournalEntry::planned(&ctx, item)),
            )
            .collect();
        let journal = self.ok(self.recorder.begin_run(entries, Some(&ctx)));
        let today = station.today();
        for item in &plan.not_aired {
            self.log(self.recorder.not_aired(&ctx, item));
            if let Origin::Queue { qid } = item.origin
                && item.never(today)
            {
                self.log(station.store.queue_remove(qid));
            }
        }
        if plan.items.is_empty() {
            if journal.is_some() {
                self.log(self.recorder.end_run());
            }
            return self.shutdown.requested();
        }
        // On a sound device the program is handed over a moment before its fire time
        // (`Daemon::pre_roll`) and starts on it, to the frame.
        let start_at = (self.player.timed_start() && ctx.scheduled_at > station.clock.now())
            .then_some(ctx.scheduled_at);
        let items = plan
            .items
            .into_iter()
            .map(|item| OnAirItem {
                item,
                ctx: ctx.clone(),
            })
            .collect();
        // A relay's window is its length (it ends on its frame, emergencies included):
        // no session cut that could clip the outro by a rounding.
        let max_duration = program.max_duration.filter(|_| program.relay.is_empty());
        self.run_session(items, max_duration, journal, start_at)
            .await
    }

    /// A segment the operator asked to air now, checked: it exists and may air today.
    pub(super) fn airable_segment(&self, id: SegmentId) -> Result<Segment, ControlError> {
        let segment = self
            .station
            .store
            .segment(id)
            .map_err(|e| ControlError::Refused(e.to_string()))?
            .ok_or(ControlError::Code(ErrorCode::NoSegment { id: id.0 }))?;
        match self.station.may_air(&segment, self.station.today()) {
            MayAir::Skip(reason) | MayAir::Fails(reason) => {
                Err(ControlError::Code(ErrorCode::SegmentCannotAir {
                    id: id.0,
                    title: segment.title.clone(),
                    reason,
                }))
            }
            MayAir::Yes => Ok(segment),
        }
    }

    /// The segments of a manual broadcast, checked.
    pub(super) fn manual_items(&self, ids: &[SegmentId]) -> Result<Vec<PlannedItem>, ControlError> {
        if ids.is_empty() {
            return Err(ControlError::Code(ErrorCode::NoSegmentGiven));
        }
        ids.iter()
            .map(|&id| {
                Ok(PlannedItem {
                    segment: self.airable_segment(id)?,
                    origin: Origin::Manual,
                })
            })
            .collect()
    }

    pub(super) fn manual_context(&self, priority: Priority) -> ProgramContext {
        ProgramContext {
            program: MANUAL_PROGRAM.into(),
            trigger: Trigger::Manual,
            scheduled_at: self.station.clock.now(),
            priority,
        }
    }

    /// Airs a manual broadcast now. Returns `true` when shutdown was asked.
    pub(super) async fn air_manual(&mut self, req: ManualRequest) -> bool {
        let items = match self.manual_items(&req.ids) {
            Ok(items) => items,
            Err(e) => {
                tracing::warn!(error = %e, "manual broadcast dropped");
                return false;
            }
        };
        let ctx = self.manual_context(req.priority);
        tracing::info!(items = items.len(), "manual broadcast starts");
        let items = items
            .into_iter()
            .map(|item| OnAirItem {
                item,
                ctx: ctx.clone(),
            })
            .collect();
        self.run_session(items, None, None, None).await
    }
}
