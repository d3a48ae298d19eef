//! Cron rules -> fire times. Pure: "now" is always an argument, never read from a clock.
//!
//! [`CronRule`] reads a program's cron line (Unix crontab meaning, see `cron_rule`);
//! [`next_fire`] and [`fires_between`] answer "which program fires next / in this window"
//! for the programs of a station, all computed on the station's wall clock (`tz`).

mod cron_rule;
mod field;
#[cfg(test)]
mod tests;

use chrono::{DateTime, Utc};
use chrono_tz::Tz;

pub use cron_rule::{CronError, CronRule};

/// One scheduled start: program number `program` (its index in the rules given) at `at`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Fire {
    pub at: DateTime<Utc>,
    pub program: usize,
}

/// Every fire with `from < at <= to`, sorted by time, then by program index.
pub fn fires_between(
    rules: &[&CronRule],
    tz: Tz,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> Vec<Fire> {
    let mut fires = Vec::new();
    for (program, rule) in rules.iter().enumerate() {
        let mut after = from;
        while let Some(at) = rule.next_after(after, tz) {
            if at > to {
                break;
            }
            fires.push(Fire { at, program });
            after = at;
        }
    }
    fires.sort();
    fires
}

/// The earliest fire strictly after `after`; on a tie, the lowest program index.
pub fn next_fire(rules: &[&CronRule], tz: Tz, after: DateTime<Utc>) -> Option<Fire> {
    rules
        .iter()
        .enumerate()
        .filter_map(|(program, rule)| rule.next_after(after, tz).map(|at| Fire { at, program }))
        .min()
}
