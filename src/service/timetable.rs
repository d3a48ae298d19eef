//! The schedule preview (lịch phát): what will air when, with warnings, for the next days.
//!
//! Built with the daemon's own planner ([`Station::plan_program`]) over the same data; queue
//! consumption and playlist rotation are carried from one program to the next as if each
//! aired in full.

use std::collections::HashMap;

use anyhow::Result;
use chrono::{DateTime, FixedOffset};
use serde::{Deserialize, Serialize};

use super::{Catalog, Station, catalog::Import};
use crate::model::{Outcome, Priority, Role};
use crate::program::{NotAired, Origin, PlannedItem};
use crate::schedule;

/// Something the operator should look at before the program airs.
pub use crate::words::Warning;

/// One item a program will air, with what its as-run record will say of it.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct PlannedEntry {
    pub title: String,
    pub role: Role,
    pub segment_id: Option<u64>,
    pub duration_ms: u64,
    pub topic: String,
    pub unit: Option<String>,
    pub priority: Priority,
    /// The gain it airs at, in dB: loudness normalisation, its own offset and the master
    /// gain, under the true-peak ceiling.
    pub gain_db: f64,
    /// A relay's sources, in the order they are tried (empty for other items).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub sources: Vec<String>,
}

/// A due item the program will not air (logged as skipped or failed), or one that will
/// fail when it comes to air.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct NotAiredEntry {
    pub title: String,
    pub segment_id: Option<u64>,
    pub outcome: Outcome,
    pub reason: crate::model::Reason,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ScheduledProgram {
    pub at: DateTime<FixedOffset>,
    pub program: String,
    pub title: Option<String>,
    pub items: Vec<PlannedEntry>,
    pub duration_ms: u64,
    pub warnings: Vec<Warning>,
    /// What will be set aside, in the order the log will have it (the warnings say the
    /// same in words).
    pub not_aired: Vec<NotAiredEntry>,
}

/// The longest timetable, in days (two months: what an operator plans ahead).
pub const MAX_DAYS: u32 = 62;

impl Station {
    /// Programs firing in the next `days` days (1 to [`MAX_DAYS`]), each with its planned content.
    pub fn timetable(&self, days: u32) -> Result<Vec<ScheduledProgram>> {
        let catalog = Catalog::load(self, Import::No);
        let now = self.clock.now();
        if !(1..=MAX_DAYS).contains(&days) {
            return Err(super::error::refused(
                crate::words::RefusalCode::DaysOutOfRange {
                    days,
                    max: MAX_DAYS,
                },
            ));
        }
        let until = now
            .checked_add_signed(chrono::Duration::days(i64::from(days)))
            .unwrap_or(now);
        let rules: Vec<_> = self.config.programs.iter().filter(|p| p.enabled).collect();
        let crons: Vec<_> = rules.iter().map(|p| &p.cron).collect();
        let mut queue = self.store.queue()?;
        let mut cursors: HashMap<String, usize> = HashMap::new();
        let mut out = Vec::new();
        for fire in schedule::fires_between(&crons, self.tz(), now, until) {
            let program = rules[fire.program];
            let at = self.local(fire.at);
            let snapshot = cursors.clone();
            let cursor = move |name: &str| snapshot.get(name).copied();
            let plan =
                self.plan_program(&catalog, program, fire.at, at.date_naive(), &queue, &cursor);
            let mut warnings: Vec<Warning> = plan
                .not_aired
                .iter()
                .chain(&plan.will_fail)
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
            if !plan
                .items
                .iter()
                .any(|i| matches!(i.origin.role(), Role::Item | Role::Relay))
            {
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
            let items: Vec<PlannedEntry> =
                plan.items.iter().map(|i| self.entry(program, i)).collect();
            out.push(ScheduledProgram {
                at,
                program: program.name.clone(),
                title: program.title.clone(),
                duration_ms: plan.duration().as_millis() as u64,
                items,
                warnings,
                not_aired: plan
                    .not_aired
                    .iter()
                    .chain(&plan.will_fail)
                    .map(not_aired_entry)
                    .collect(),
            });
        }
        Ok(out)
    }
    /// A planned item as its record will show it.
    fn entry(&self, program: &crate::config::Program, item: &PlannedItem) -> PlannedEntry {
        let seg = &item.segment;
        let sources = match item.origin {
            Origin::Relay { .. } => program.relay.clone(),
            _ => Vec::new(),
        };
        PlannedEntry {
            title: seg.title.clone(),
            role: item.origin.role(),
            segment_id: (seg.id.0 != 0).then_some(seg.id.0),
            duration_ms: seg.duration_ms,
            topic: seg.topic.clone(),
            unit: seg.unit.clone(),
            priority: seg.priority,
            gain_db: crate::audio::playout_gain(&self.config.audio.levels(), &seg.level_input()).db,
            sources,
        }
    }
}

fn not_aired_entry(n: &NotAired) -> NotAiredEntry {
    NotAiredEntry {
        title: n.title.clone(),
        segment_id: n.segment.as_ref().map(|s| s.id.0).filter(|&id| id != 0),
        outcome: n.outcome,
        reason: n.reason.clone(),
    }
}
