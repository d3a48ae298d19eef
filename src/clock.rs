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
/// by exactly as much as the earliest sleeper needs.
#[derive(Debug, Clone, Copy)]
pub struct SimClock {
    start: DateTime<Utc>,
    base: tokio::time::Instant,
}

impl SimClock {
    /// Must be called inside a tokio runtime.
    pub fn starting_at(start: DateTime<Utc>) -> SimClock {
        SimClock {
            start,
            base: tokio::time::Instant::now(),
        }
    }
}

impl Clock for SimClock {
    fn now(&self) -> DateTime<Utc> {
        let elapsed = tokio::time::Instant::now().saturating_duration_since(self.base);
        self.start + chrono::Duration::from_std(elapsed).unwrap_or(chrono::Duration::MAX)
    }
}

/// How long from `now` until `t` (zero when `t` is past).
pub fn until(now: DateTime<Utc>, t: DateTime<Utc>) -> Duration {
    (t - now).to_std().unwrap_or(Duration::ZERO)
}

/// Sleeps until the clock reads `t` or later.
pub async fn sleep_until(clock: &dyn Clock, t: DateTime<Utc>) {
    loop {
        let left = until(clock.now(), t);
        if left.is_zero() {
            return;
        }
        tokio::time::sleep(left.min(MAX_NAP)).await;
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
