//! The operator queue: segments that air once, at the front of the next matching program.

use anyhow::Result;

use super::error::{operator_text, refused};
use crate::text;
use crate::words::RefusalCode;

use super::Station;
use crate::model::{Priority, SegmentId};
use crate::store::QueueEntry;

impl Station {
    /// Queues segments for the next program (or the next run of `program`). `priority`
    /// (default: each segment's own level) puts them ahead of normal entries; an emergency
    /// segment queued counts as priority (`emergency` airs it at once instead).
    pub fn queue_add(
        &self,
        ids: &[SegmentId],
        program: Option<&str>,
        priority: Option<Priority>,
    ) -> Result<Vec<QueueEntry>> {
        if ids.is_empty() {
            return Err(super::error::refuse_code(
                crate::words::ErrorCode::NoSegmentGiven,
            ));
        }
        let program = program
            .map(|name| operator_text("program name", name, text::MAX_SLUG))
            .transpose()?;
        let program = program.as_deref();
        if let Some(name) = program {
            let Some(p) = self.config.programs.iter().find(|p| p.name == name) else {
                let names: Vec<&str> = self
                    .config
                    .programs
                    .iter()
                    .map(|p| p.name.as_str())
                    .collect();
                return Err(refused(RefusalCode::NoProgram {
                    name: name.to_string(),
                    known: names.iter().map(|n| n.to_string()).collect(),
                }));
            };
            if !p.queue {
                return Err(refused(RefusalCode::ProgramTakesNoQueue {
                    name: name.to_string(),
                    config: self.config.path.display().to_string(),
                }));
            }
        } else if !self.config.programs.iter().any(|p| p.queue && p.enabled) {
            return Err(refused(RefusalCode::NoQueueProgram {
                config: self.config.path.display().to_string(),
            }));
        }
        // Check every id before queuing any, so a typo queues nothing.
        let today = self.today();
        let mut levels = Vec::with_capacity(ids.len());
        for &id in ids {
            let seg = self.segment(id)?;
            levels.push(priority.unwrap_or(seg.priority).min(Priority::Priority));
            if let Some(reason) = seg.not_airable_on(today)
                && seg.valid_until.is_some_and(|u| u < today)
            {
                return Err(super::error::refuse_code(
                    crate::words::ErrorCode::SegmentNeverAirs {
                        id: id.0,
                        title: seg.title.clone(),
                        reason,
                    },
                ));
            }
        }
        let now = self.clock.now();
        ids.iter()
            .zip(levels)
            .map(|(&id, level)| {
                Ok(self
                    .store
                    .queue_push(id, program.map(str::to_string), level, now)?)
            })
            .collect()
    }

    pub fn queue(&self) -> Result<Vec<QueueEntry>> {
        Ok(self.store.queue()?)
    }

    pub fn queue_remove(&self, qid: u64) -> Result<()> {
        if !self.store.queue_remove(qid)? {
            return Err(super::error::refuse_code(
                crate::words::ErrorCode::NoQueueEntry { qid },
            ));
        }
        Ok(())
    }
}
