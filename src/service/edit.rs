//! Editing a segment after import: correct its metadata, record its approval.
//!
//! Stand-in until `approve_segment` / `update_segment` land in `segments.rs`; the API and
//! CLI call these signatures.

use anyhow::{Result, bail};
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use super::Station;
use crate::library;
use crate::model::{Approval, Priority, Segment, SegmentId};

/// Fields to change; `None` leaves a field as it is.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SegmentPatch {
    pub title: Option<String>,
    pub topic: Option<String>,
    pub unit: Option<String>,
    pub valid_from: Option<NaiveDate>,
    pub valid_until: Option<NaiveDate>,
    pub priority: Option<Priority>,
}

impl Station {
    /// Records that `by` approved the segment (đã duyệt): from now on it may air.
    pub fn approve_segment(&self, id: SegmentId, by: &str) -> Result<Segment> {
        let by = library::clean_text(by);
        if by.trim().is_empty() {
            bail!("who approves it?\n  hint: give the approver's name, e.g. --by \"Nguyễn Văn A\"");
        }
        let mut seg = self.segment(id)?;
        seg.approval = Approval::Approved {
            by,
            at: self.clock.now(),
        };
        self.store.insert_segment(&seg)?;
        Ok(seg)
    }

    /// Changes a segment's metadata (its audio stays the same).
    pub fn update_segment(&self, id: SegmentId, patch: &SegmentPatch) -> Result<Segment> {
        let mut seg = self.segment(id)?;
        if let Some(topic) = &patch.topic {
            if !self.config.topics.contains_key(topic) {
                let known: Vec<&str> = self.config.topics.keys().map(String::as_str).collect();
                bail!(
                    "unknown topic `{topic}`\n  hint: use one of {}",
                    known.join(", ")
                );
            }
            seg.topic.clone_from(topic);
        }
        if let Some(title) = &patch.title {
            if title.trim().is_empty() {
                bail!("the title is empty\n  hint: give a title with some words in it");
            }
            seg.title = library::clean_text(title);
        }
        if let Some(unit) = &patch.unit {
            seg.unit = Some(library::clean_text(unit)).filter(|u| !u.trim().is_empty());
        }
        if patch.valid_from.is_some() {
            seg.valid_from = patch.valid_from;
        }
        if patch.valid_until.is_some() {
            seg.valid_until = patch.valid_until;
        }
        if let (Some(from), Some(until)) = (seg.valid_from, seg.valid_until)
            && from > until
        {
            bail!("valid from {from} is after valid until {until}\n  hint: swap the two dates");
        }
        if let Some(p) = patch.priority {
            seg.priority = p;
        }
        self.store.insert_segment(&seg)?;
        Ok(seg)
    }
}
