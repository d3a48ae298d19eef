//! The one source of wall time.
//!
//! Production uses [`SystemClock`]; tests use [`SimClock`], whose time is tokio's (pausable)
//! monotonic time offset to a chosen start. With a paused tokio runtime, a simulated week of
//! programs runs in well under a second and every sleep in the daemon is exact.

use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};

/// Longest single sleep. Sleeps are monotonic, so after a long one the wall clock is read
/// again: a clock step (NTP, a manual change) is noticed within this bound.
const MAX_NAP: Duration = Duration::from_secs(15 * 60);

/// Wall time for the daemon and the service layer.
pub trait Clock: Send + Sync + std::fmt::Debug {
    fn now(&self) -> DateTime<Utc>;
}

pub type SharedClock = Arc<dyn Clock>;

/// The machine's real clock.
#[derive(Debug, Default, Clone, Copy)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> DateTime<Utc> {
        Utc::now()
    }
}

/// A clock that starts at a chosen instant and advances with tokio's time.
///
/// Under `#[tokio::test(start_paused = true)]` time only moves when every task is idle,
/// by exactly as much as the earliest sleeper needs. [`SimClock::set_wall`] steps the wall
/// time the way an NTP correction or a dead CMOS battery does; clones share the step.
#[derive(Debug, Clone)]
pub struct SimClock {
    start: DateTime<Utc>,
    base: tokio::time::Instant,
    /// Milliseconds added to the wall time by steps.
    step_ms: Arc<std::sync::atomic::AtomicI64>,
}

impl SimClock {
    /// Must be called inside a tokio runtime.
    pub fn starting_at(start: DateTime<Utc>) -> SimClock {
        SimClock {
            start,
            base: tokio::time::Instant::now(),
            step_ms: Arc::default(),
        }
    }

    /// Steps the wall time to `t` (monotonic time goes on as before).
    pub fn set_wall(&self, t: DateTime<Utc>) {
        let delta = (t - self.now()).num_milliseconds();
        self.step_ms
            .fetch_add(delta, std::sync::atomic::Ordering::SeqCst);
    }
}

impl Clock for SimClock {
    fn now(&self) -> DateTime<Utc> {
        let elapsed = tokio::time::Instant::now().saturating_duration_since(self.base);
        let step = self.step_ms.load(std::sync::atomic::Ordering::SeqCst);
        self.start
            + chrono::Duration::from_std(elapsed).unwrap_or(chrono::Duration::MAX)
            + chrono::Duration::milliseconds(step)
    }
}

/// Notices wall-clock steps: compares how far the wall clock moved with how far monotonic
/// time did since the last look.
#[derive(Debug, Clone, Copy)]
pub struct StepWatch {
    wall: DateTime<Utc>,
    mono: tokio::time::Instant,
}

/// Wall-clock movement beyond monotonic time that counts as a step (NTP slews are far
/// smaller; a manual change or a CMOS reset is far larger).
pub const STEP_TOLERANCE: chrono::Duration = chrono::Duration::seconds(60);

impl StepWatch {
    pub fn new(clock: &dyn Clock) -> StepWatch {
        StepWatch {
            wall: clock.now(),
            mono: tokio::time::Instant::now(),
        }
    }

    /// The step since the last look (`None` when within tolerance), and look again.
    pub fn check(&mut self, clock: &dyn Clock) -> Option<chrono::Duration> {
        let now = StepWatch::new(clock);
        let mono = chrono::Duration::from_std(now.mono.saturating_duration_since(self.mono))
            .unwrap_or(chrono::Duration::MAX);
        let step = (now.wall - self.wall) - mono;
        *self = now;
        (step.abs() > STEP_TOLERANCE).then_some(step)
    }
}

/// The earliest date a correct station clock can show (this version was made after it): a
/// clock before it has been reset (dead CMOS battery).
pub const EARLIEST_PLAUSIBLE: (i32, u32, u32) = (2026, 1, 1);

/// Whether `t` is obviously wrong for a station clock.
pub fn implausible(t: DateTime<Utc>) -> bool {
    let (y, m, d) = EARLIEST_PLAUSIBLE;
    chrono::NaiveDate::from_ymd_opt(y, m, d).is_some_and(|earliest| t.date_naive() < earliest)
}

/// How long from `now` until `t` (zero when `t` is past).
pub fn until(now: DateTime<Utc>, t: DateTime<Utc>) -> Duration {
    (t - now).to_std().unwrap_or(Duration::ZERO)
}

/// Sleeps until the clock reads `t` or later — or until the wall clock steps (the caller
/// then plans again: after a step back to 2000, `t` in 2026 is not worth waiting for).
pub async fn sleep_until(clock: &dyn Clock, t: DateTime<Utc>) {
    let mut watch = StepWatch::new(clock);
    loop {
        let left = until(clock.now(), t);
        if left.is_zero() {
            return;
        }
        tokio::time::sleep(left.min(MAX_NAP)).await;
        if watch.check(clock).is_some() {
            return;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[tokio::test(start_paused = true)]
    async fn sim_clock_sleeps_exactly_to_the_target() {
        let start = Utc
            .with_ymd_and_hms(2026, 1, 1, 0, 0, 0)
            .single()
            .expect("valid date");
        let clock = SimClock::starting_at(start);
        let target = start + chrono::Duration::days(3) + chrono::Duration::milliseconds(250);
        sleep_until(&clock, target).await;
        assert_eq!(clock.now(), target);
    }
}
