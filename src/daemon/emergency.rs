//! Emergency broadcasts (phát khẩn cấp): aired at once, and optionally repeated — storm
//! bulletins every 2 hours on the hour, day and night — from repeats kept in the store, so a
//! restart does not lose them. The ranges and the time arithmetic of repeats are the service
//! layer's (`service::emergency`); this file airs them.

use chrono::{DateTime, Utc};

use crate::asrun::ProgramContext;
use crate::model::{Priority, SegmentId, Trigger, Warning};
use crate::program::{Origin, PlannedItem};
use crate::service::next_slot;

use super::Daemon;
use super::control::{ControlError, Repeat};
use super::session::OnAirItem;

pub use crate::model::EMERGENCY_PROGRAM;

impl Daemon {
    fn emergency_context(&self) -> ProgramContext {
        ProgramContext {
            program: EMERGENCY_PROGRAM.into(),
            trigger: Trigger::Manual,
            scheduled_at: self.station.clock.now(),
            priority: Priority::Emergency,
        }
    }

    /// The segment to air as an emergency, checked.
    pub(super) fn emergency_item(&self, id: SegmentId) -> Result<OnAirItem, ControlError> {
        let segment = self.airable_segment(id)?;
        Ok(OnAirItem {
            item: PlannedItem {
                segment,
                origin: Origin::Emergency,
            },
            ctx: self.emergency_context(),
        })
    }

    /// Keeps a repeat in the store (the first airing is now); out-of-range values are
    /// refused (the service layer holds the ranges).
    pub(super) fn save_repeat(
        &self,
        id: SegmentId,
        repeat: Option<Repeat>,
    ) -> Result<(), ControlError> {
        let Some(repeat) = repeat else { return Ok(()) };
        self.station
            .save_emergency_repeat(id, repeat.every, repeat.until)
            .map(|_| ())
            .map_err(|e| match e.downcast_ref::<crate::service::Refusal>() {
                Some(crate::service::Refusal::Code(code)) => ControlError::Code(code.clone()),
                _ => ControlError::Refused(format!("{e:#}")),
            })
    }

    /// At start: repeats the store holds out of range (an older build wrote them) are
    /// removed, logged and shown to the operator, so they can never crash the daemon.
    pub(super) fn drop_bad_repeats(&self) {
        let reasons = match self.station.drop_bad_emergency_repeats() {
            Ok(r) => r,
            Err(e) => {
                tracing::error!(error = %e, "cannot check the emergency repeats");
                return;
            }
        };
        for reason in &reasons {
            tracing::error!("{reason}");
        }
        if reasons.is_empty() {
            return;
        }
        self.status.send_modify(|s| {
            s.warnings
                .retain(|w| !matches!(w, Warning::RepeatDropped { .. }));
            s.warnings.extend(
                reasons
                    .iter()
                    .map(|r| Warning::RepeatDropped { detail: r.clone() }),
            );
        });
    }

    pub(super) fn next_emergency_at(&self) -> Option<DateTime<Utc>> {
        self.station
            .emergency_repeats()
            .ok()?
            .iter()
            .map(|r| r.next_at)
            .min()
    }

    /// Emergencies due now, with their repeats moved on (or removed after `until`). A repeat
    /// missed while the daemon was down airs once, not once per missed slot.
    pub(super) fn take_due_emergencies(&self) -> Vec<OnAirItem> {
        let now = self.station.clock.now();
        let store = &self.station.store;
        let mut due = Vec::new();
        for mut rep in self.station.emergency_repeats().unwrap_or_default() {
            if rep.next_at > now {
                continue;
            }
            match self.emergency_item(rep.segment) {
                Ok(mut item) => {
                    item.ctx.scheduled_at = rep.next_at;
                    due.push(item);
                }
                Err(e) => tracing::error!(error = %e, "emergency repeat cannot air"),
            }
            match next_slot(&rep, now).filter(|next| *next <= rep.until) {
                Some(next) => {
                    rep.next_at = next;
                    self.log(store.emergency_move_on(&rep).map(drop));
                }
                None => self.log(store.emergency_remove(rep.id)),
            }
        }
        due
    }

    /// Airs the emergencies due now, between programs. Returns `true` on shutdown.
    pub(super) async fn air_due_emergencies(&mut self) -> bool {
        let due = self.take_due_emergencies();
        if due.is_empty() {
            return false;
        }
        self.run_session(due, None, None, None).await
    }
}
