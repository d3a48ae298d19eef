//! Emergency broadcasts (phát khẩn cấp): aired at once, and optionally repeated — storm
//! bulletins every 2 hours on the hour, day and night — from repeats kept in the store, so a
//! restart does not lose them.

use chrono::{DateTime, DurationRound, Utc};

use crate::asrun::ProgramContext;
use crate::model::{Priority, SegmentId, Trigger};
use crate::program::{Origin, PlannedItem};
use crate::store::EmergencyRepeat;

use super::Daemon;
use super::control::{ControlError, Repeat};
use super::session::OnAirItem;

/// The program name emergency broadcasts are logged under.
pub const EMERGENCY_PROGRAM: &str = "emergency";

/// The first repeat after an emergency aired at `aired`: `every` later, on the hour when
/// `every` is a whole number of hours (02:00, 04:00… for a bulletin first aired at 00:10).
pub fn first_repeat(aired: DateTime<Utc>, every: std::time::Duration) -> DateTime<Utc> {
    let every = chrono::Duration::from_std(every).unwrap_or(chrono::Duration::hours(2));
    let hour = chrono::Duration::hours(1);
    let base = if every.num_seconds() % 3600 == 0 {
        aired.duration_trunc(hour).unwrap_or(aired)
    } else {
        aired
    };
    base + every
}

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

    /// Keeps a repeat in the store (the first airing is now).
    pub(super) fn save_repeat(
        &self,
        id: SegmentId,
        repeat: Option<Repeat>,
    ) -> Result<(), ControlError> {
        let Some(repeat) = repeat else { return Ok(()) };
        if repeat.every.as_secs() < 60 {
            return Err(ControlError::Refused(
                "repeats must be at least a minute apart".into(),
            ));
        }
        let now = self.station.clock.now();
        let mut rep = EmergencyRepeat {
            id: 0,
            segment: id,
            every_s: repeat.every.as_secs(),
            next_at: first_repeat(now, repeat.every),
            until: repeat.until,
        };
        if rep.next_at > rep.until {
            return Ok(()); // aired once now; no repeat falls before `until`
        }
        self.station
            .store
            .emergency_put(&mut rep)
            .map_err(|e| ControlError::Refused(e.to_string()))
    }

    pub(super) fn next_emergency_at(&self) -> Option<DateTime<Utc>> {
        self.station
            .store
            .emergencies()
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
        for mut rep in store.emergencies().unwrap_or_default() {
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
            let every = chrono::Duration::seconds(i64::try_from(rep.every_s).unwrap_or(7200));
            while rep.next_at <= now {
                rep.next_at += every;
            }
            if rep.next_at > rep.until {
                self.log(store.emergency_remove(rep.id));
            } else {
                self.log(store.emergency_put(&mut rep));
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

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn repeats_fall_on_the_hour() {
        let t = |h, m| {
            Utc.with_ymd_and_hms(2026, 10, 1, h, m, 0)
                .single()
                .expect("valid")
        };
        let two_hours = std::time::Duration::from_secs(7200);
        assert_eq!(first_repeat(t(0, 10), two_hours), t(2, 0));
        assert_eq!(first_repeat(t(0, 0), two_hours), t(2, 0));
        let ninety = std::time::Duration::from_secs(5400);
        assert_eq!(first_repeat(t(0, 10), ninety), t(1, 40));
    }
}
