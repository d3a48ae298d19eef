//! The schedule preview (lịch phát): what will air when, with warnings, for the next days.
//!
//! Built with the daemon's own planner; queue consumption and playlist rotation are carried
//! from one program to the next as if each aired in full.

use std::collections::HashMap;

use anyhow::Result;
use chrono::{DateTime, FixedOffset};
use serde::{Deserialize, Serialize};

use super::{Catalog, Station, catalog::Import};
use crate::model::{Outcome, Role};
use crate::program::{self, Origin, PlanInputs};
use crate::schedule;

/// Something the operator should look at before the program airs.
pub use crate::words::Warning;

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct PlannedEntry {
    pub title: String,
    pub role: Role,
    pub segment_id: Option<u64>,
    pub duration_ms: u64,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ScheduledProgram {
    pub at: DateTime<FixedOffset>,
    pub program: String,
    pub title: Option<String>,
    pub items: Vec<PlannedEntry>,
    pub duration_ms: u64,
    pub warnings: Vec<Warning>,
}

/// The longest timetable, in days (two months: what an operator plans ahead).
pub const MAX_DAYS: u32 = 62;

impl Station {
    /// Programs firing in the next `days` days (1 to [`MAX_DAYS`]), each with its planned content.
    pub fn timetable(&self, days: u32) -> Result<Vec<ScheduledProgram>> {
        let catalog = Catalog::load(self, Import::No);
        let now = self.clock.now();
        if !(1..=MAX_DAYS).contains(&days) {
            return Err(super::error::refuse!(
                Invalid,
                "{days} days is out of range: the timetable covers 1 to {MAX_DAYS} days\n  hint: e.g. --days 7"
            ));
        }
        let until = now
            .checked_add_signed(chrono::Duration::days(i64::from(days)))
            .unwrap_or(now);
        let rules: Vec<_> = self.config.programs.iter().filter(|p| p.enabled).collect();
        let crons: Vec<_> = rules.iter().map(|p| &p.cron).collect();
        let mut queue = self.store.queue()?;
        let mut cursors: HashMap<String, usize> = HashMap::new();
        let mut rng = fastrand::Rng::with_seed(0);
        let mut out = Vec::new();
        for fire in schedule::fires_between(&crons, self.tz(), now, until) {
            let program = rules[fire.program];
            let at = self.local(fire.at);
            let store = self.store.clone();
            let segment = move |id| store.segment(id).ok().flatten();
            let snapshot = cursors.clone();
            let store = self.store.clone();
            let cursor = move |name: &str| {
                snapshot
                    .get(name)
                    .copied()
                    .unwrap_or_else(|| store.rotation_cursor(name).unwrap_or(0))
            };
            let inputs = PlanInputs {
                catalog: &catalog,
                queue: &queue,
                day: at.date_naive(),
                segment: &segment,
                cursor: &cursor,
            };
            let plan = program::plan(program, &inputs, &mut rng);
            let mut warnings: Vec<Warning> = plan
                .not_aired
                .iter()
                .map(|n| {
                    let (title, reason) = (n.title.clone(), n.reason.clone());
                    if n.outcome == Outcome::Skipped {
                        Warning::ItemSkipped { title, reason }
                    } else {
                        Warning::ItemCannotAir { title, reason }
                    }
                })
                .collect();
            if !plan.deferred.is_empty() {
                warnings.push(Warning::Deferred {
                    count: plan.deferred.len() as u64,
                    titles: plan.deferred.clone(),
                });
            }
            if let Some(max) = program.max_duration
                && plan.duration() > max
            {
                warnings.push(Warning::FrameTooLong {
                    frame_s: plan.duration().as_secs(),
                    max_s: max.as_secs(),
                });
            }
            if !plan.items.iter().any(|i| i.origin.role() == Role::Item) {
                warnings.push(Warning::EmptyProgram);
            }
            for item in &plan.items {
                match &item.origin {
                    Origin::Queue { qid } => queue.retain(|e| e.qid != *qid),
                    Origin::Playlist {
                        name,
                        index,
                        rotate: true,
                    } => {
                        cursors.insert(name.clone(), index + 1);
                    }
                    _ => {}
                }
            }
            let items: Vec<PlannedEntry> = plan
                .items
                .iter()
                .map(|i| PlannedEntry {
                    title: i.segment.title.clone(),
                    role: i.origin.role(),
                    segment_id: (i.segment.id.0 != 0).then_some(i.segment.id.0),
                    duration_ms: i.segment.duration_ms,
                })
                .collect();
            out.push(ScheduledProgram {
                at,
                program: program.name.clone(),
                title: program.title.clone(),
                duration_ms: plan.duration().as_millis() as u64,
                items,
                warnings,
            });
        }
        Ok(out)
    }
}
