//! Emergency repeats (storm bulletins every 2 h until the storm has passed), one rule for
//! all who touch them: the ranges a new repeat must keep (`every` 1 min … 31 days, `until`
//! after now and at most 366 days ahead), the list the operator sees, cancelling one, and
//! what becomes of a repeat read back from the store out of range (written by an older
//! build): it is dropped with a reason, never aired, never a panic. Every instant is
//! computed with checked arithmetic.

use std::time::Duration;

use anyhow::Result;
use chrono::{DateTime, DurationRound, TimeDelta, Utc};

use super::Station;
use super::error::refused;
use crate::config::duration::{EMERGENCY_EVERY, EMERGENCY_UNTIL_AHEAD, format_duration, later};
use crate::model::SegmentId;
use crate::store::EmergencyRepeat;
use crate::words::RefusalCode;

/// Checks a new repeat's `every` and `until` (at `now`) against their ranges.
pub fn check_repeat(every: Duration, until: DateTime<Utc>, now: DateTime<Utc>) -> Result<()> {
    if EMERGENCY_EVERY.check("", every).is_err() {
        return Err(refused(RefusalCode::RepeatEveryOutOfRange {
            every: format_duration(every),
            min: format_duration(EMERGENCY_EVERY.min),
            max: format_duration(EMERGENCY_EVERY.max),
        }));
    }
    if until <= now {
        return Err(refused(RefusalCode::RepeatUntilPast {
            until: until.format("%Y-%m-%d %H:%M UTC").to_string(),
        }));
    }
    let latest = later(now, EMERGENCY_UNTIL_AHEAD).unwrap_or(DateTime::<Utc>::MAX_UTC);
    if until > latest {
        return Err(refused(RefusalCode::RepeatUntilTooFar {
            until: until.format("%Y-%m-%d %H:%M UTC").to_string(),
            ahead: format_duration(EMERGENCY_UNTIL_AHEAD),
            latest: latest.format("%Y-%m-%d %H:%M UTC").to_string(),
        }));
    }
    Ok(())
}

/// The first repeat after an emergency aired at `aired`: `every` later, on the hour when
/// `every` is a whole number of hours (02:00, 04:00… for a bulletin first aired at 00:10).
/// `None` only beyond the calendar.
pub fn first_repeat(aired: DateTime<Utc>, every: Duration) -> Option<DateTime<Utc>> {
    let base = if every.as_secs() % 3600 == 0 {
        aired.duration_trunc(TimeDelta::hours(1)).unwrap_or(aired)
    } else {
        aired
    };
    later(base, every)
}

/// The next slot of `rep` after `now`: its `next_at` if still ahead, else the first slot
/// past `now` (a repeat missed while the daemon was down airs once, not once per slot).
/// `None` when the slot lies beyond the calendar or `every` is zero.
pub fn next_slot(rep: &EmergencyRepeat, now: DateTime<Utc>) -> Option<DateTime<Utc>> {
    if rep.next_at > now {
        return Some(rep.next_at);
    }
    let every = i64::try_from(rep.every_s).ok().filter(|s| *s > 0)?;
    let behind = now.signed_duration_since(rep.next_at).num_seconds();
    let steps = behind / every + 1;
    let delta = TimeDelta::try_seconds(steps.checked_mul(every)?)?;
    rep.next_at.checked_add_signed(delta)
}

/// Why a stored repeat cannot be kept at `now` (out of the ranges a new one must keep), or
/// `None` when it is sound.
pub fn repeat_problem(rep: &EmergencyRepeat, now: DateTime<Utc>) -> Option<String> {
    let every = Duration::from_secs(rep.every_s);
    if EMERGENCY_EVERY.check("", every).is_err() {
        return Some(format!(
            "emergency repeat {} (segment {}) repeats every {}, outside the allowed {}",
            rep.id,
            rep.segment,
            format_duration(every),
            EMERGENCY_EVERY.text()
        ));
    }
    let latest = later(now, EMERGENCY_UNTIL_AHEAD).unwrap_or(DateTime::<Utc>::MAX_UTC);
    if rep.until > latest || rep.next_at > latest {
        return Some(format!(
            "emergency repeat {} (segment {}) runs until {}, more than {} ahead",
            rep.id,
            rep.segment,
            rep.until.format("%Y-%m-%d %H:%M UTC"),
            format_duration(EMERGENCY_UNTIL_AHEAD)
        ));
    }
    None
}

impl Station {
    /// The emergency repeats still to come, by id. Repeats the store holds out of range
    /// are left out ([`Station::drop_bad_emergency_repeats`] removes them).
    pub fn emergency_repeats(&self) -> Result<Vec<EmergencyRepeat>> {
        let now = self.clock.now();
        let mut all = self.store.emergencies()?;
        all.retain(|r| repeat_problem(r, now).is_none());
        Ok(all)
    }

    /// Removes the stored repeats that are out of range, saying why of each (for the log
    /// and the operator's warnings).
    pub fn drop_bad_emergency_repeats(&self) -> Result<Vec<String>> {
        let now = self.clock.now();
        let mut reasons = Vec::new();
        for rep in self.store.emergencies()? {
            if let Some(reason) = repeat_problem(&rep, now) {
                self.store.emergency_remove(rep.id)?;
                reasons.push(reason);
            }
        }
        Ok(reasons)
    }

    /// Cancels emergency repeat `id`: no further repeat airs.
    pub fn cancel_emergency_repeat(&self, id: u64) -> Result<EmergencyRepeat> {
        let Some(rep) = self.store.emergencies()?.into_iter().find(|r| r.id == id) else {
            return Err(super::error::refuse_code(
                crate::words::ErrorCode::NoEmergencyRepeat { id },
            ));
        };
        self.store.emergency_remove(id)?;
        Ok(rep)
    }

    /// Keeps a repeat of `segment`, first aired now. `None` when no repeat falls before
    /// `until`. Refused when `every` or `until` is out of range.
    pub fn save_emergency_repeat(
        &self,
        segment: SegmentId,
        every: Duration,
        until: DateTime<Utc>,
    ) -> Result<Option<EmergencyRepeat>> {
        let now = self.clock.now();
        check_repeat(every, until, now)?;
        let Some(next_at) = first_repeat(now, every).filter(|t| *t <= until) else {
            return Ok(None);
        };
        let mut rep = EmergencyRepeat {
            id: 0,
            segment,
            every_s: every.as_secs(),
            next_at,
            until,
        };
        self.store.emergency_put(&mut rep)?;
        Ok(Some(rep))
    }

    /// The live repeats of segment `id` (while any is left, the segment cannot be deleted).
    pub(super) fn repeats_of(&self, id: SegmentId) -> Result<Vec<EmergencyRepeat>> {
        let mut reps = self.emergency_repeats()?;
        reps.retain(|r| r.segment == id);
        Ok(reps)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn t(h: u32, m: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 10, 1, h, m, 0)
            .single()
            .expect("valid")
    }

    fn rep(every_s: u64, next_at: DateTime<Utc>, until: DateTime<Utc>) -> EmergencyRepeat {
        EmergencyRepeat {
            id: 1,
            segment: SegmentId(1),
            every_s,
            next_at,
            until,
        }
    }

    #[test]
    fn repeats_fall_on_the_hour() {
        let two_hours = Duration::from_secs(7200);
        assert_eq!(first_repeat(t(0, 10), two_hours), Some(t(2, 0)));
        assert_eq!(first_repeat(t(0, 0), two_hours), Some(t(2, 0)));
        let ninety = Duration::from_secs(5400);
        assert_eq!(first_repeat(t(0, 10), ninety), Some(t(1, 40)));
        assert_eq!(first_repeat(DateTime::<Utc>::MAX_UTC, two_hours), None);
    }

    #[test]
    fn a_missed_repeat_airs_once_then_keeps_its_slots() {
        let r = rep(7200, t(2, 0), t(23, 0));
        assert_eq!(next_slot(&r, t(1, 0)), Some(t(2, 0)));
        assert_eq!(next_slot(&r, t(2, 0)), Some(t(4, 0)));
        assert_eq!(next_slot(&r, t(11, 15)), Some(t(12, 0)));
    }

    #[test]
    fn huge_or_zero_repeats_from_an_older_build_give_no_panic_and_a_reason() {
        // The crash loop of issue 13: 3 000 000 000 h, stored by an older build.
        let huge = rep(3_000_000_000 * 3600, t(2, 0), t(23, 0));
        assert_eq!(next_slot(&huge, t(3, 0)), None);
        assert_eq!(next_slot(&rep(u64::MAX, t(2, 0), t(3, 0)), t(4, 0)), None);
        assert_eq!(next_slot(&rep(0, t(2, 0), t(3, 0)), t(4, 0)), None);
        let near_end = rep(
            60,
            DateTime::<Utc>::MAX_UTC - TimeDelta::seconds(30),
            DateTime::<Utc>::MAX_UTC,
        );
        assert_eq!(next_slot(&near_end, DateTime::<Utc>::MAX_UTC), None);
        let why = repeat_problem(&huge, t(1, 0)).expect("out of range");
        assert!(why.contains("1m to 31d"), "{why}");
        let far = rep(
            7200,
            t(2, 0),
            Utc.with_ymd_and_hms(2099, 1, 1, 0, 0, 0)
                .single()
                .expect("valid"),
        );
        assert!(
            repeat_problem(&far, t(1, 0))
                .expect("too far")
                .contains("366d")
        );
        assert_eq!(repeat_problem(&rep(7200, t(2, 0), t(23, 0)), t(1, 0)), None);
    }

    #[test]
    fn new_repeats_keep_their_ranges() {
        let now = t(0, 10);
        let ok = |every: u64, until| check_repeat(Duration::from_secs(every), until, now);
        assert!(ok(7200, t(23, 0)).is_ok());
        assert!(ok(60, t(23, 0)).is_ok());
        for (every, until, needle) in [
            (59, t(23, 0), "1m to 31d"),
            (31 * 86400 + 1, t(23, 0), "1m to 31d"),
            (u64::MAX, t(23, 0), "1m to 31d"),
            (7200, t(0, 0), "in the past"),
            (7200, DateTime::<Utc>::MAX_UTC, "too far ahead"),
        ] {
            let e = ok(every, until).expect_err("refused").to_string();
            assert!(e.contains(needle), "{every}s until {until}: {e}");
        }
    }
}
