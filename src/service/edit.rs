//! Editing a segment's metadata and approving it (đã duyệt) after import.

use anyhow::Result;

use super::error::{operator_text, refused};
use crate::words::RefusalCode;
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use super::Station;
use crate::model::{Approval, Priority, Segment, SegmentId};
use crate::text;
use crate::words::ErrorCode;

/// The fields an operator may change; an absent field stays as it is. For the dates and the
/// unit, an explicit `null` (`Some(None)`) clears them. A misspelt field is an error, not
/// silently ignored.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SegmentPatch {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub topic: Option<String>,
    #[serde(
        default,
        deserialize_with = "some",
        skip_serializing_if = "Option::is_none"
    )]
    pub unit: Option<Option<String>>,
    #[serde(
        default,
        deserialize_with = "some",
        skip_serializing_if = "Option::is_none"
    )]
    pub valid_from: Option<Option<NaiveDate>>,
    #[serde(
        default,
        deserialize_with = "some",
        skip_serializing_if = "Option::is_none"
    )]
    pub valid_until: Option<Option<NaiveDate>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub priority: Option<Priority>,
    /// The segment's gain offset in dB, on top of loudness normalisation (0: none).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub gain_db: Option<f64>,
    /// The loudspeaker zones it is for (an empty list: its program's).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub zones: Option<Vec<String>>,
}

/// The largest per-segment gain offset, either way, in dB.
pub const MAX_GAIN_OFFSET_DB: f64 = 20.0;

/// Distinguishes an absent field (`None`) from an explicit `null` (`Some(None)`).
fn some<'de, T: Deserialize<'de>, D: serde::Deserializer<'de>>(
    d: D,
) -> Result<Option<T>, D::Error> {
    T::deserialize(d).map(Some)
}

impl Station {
    pub fn update_segment(&self, id: SegmentId, patch: &SegmentPatch) -> Result<Segment> {
        let mut seg = self.segment(id)?;
        if let Some(title) = &patch.title {
            let title = operator_text("title", title, text::MAX_TITLE)?;
            if title.is_empty() {
                return Err(super::error::refuse_code(ErrorCode::TitleEmpty));
            }
            seg.title = title;
        }
        if let Some(topic) = &patch.topic {
            let topic = operator_text("topic", topic, text::MAX_SLUG)?;
            if !self.config.topics.contains_key(&topic) {
                return Err(super::error::refuse_code(ErrorCode::UnknownTopic {
                    topic,
                    known: self.config.topics.keys().cloned().collect(),
                }));
            }
            seg.topic = topic;
        }
        if let Some(unit) = &patch.unit {
            seg.unit = unit
                .as_deref()
                .map(|u| operator_text("unit", u, text::MAX_UNIT))
                .transpose()?
                .filter(|u| !u.is_empty());
        }
        if let Some(from) = patch.valid_from {
            seg.valid_from = from;
        }
        if let Some(until) = patch.valid_until {
            seg.valid_until = until;
        }
        if let (Some(from), Some(until)) = (seg.valid_from, seg.valid_until)
            && from > until
        {
            return Err(super::error::refuse_code(ErrorCode::DatesReversed {
                from,
                until,
            }));
        }
        if let Some(priority) = patch.priority {
            seg.priority = priority;
        }
        if let Some(gain) = patch.gain_db {
            if !(gain.is_finite() && gain.abs() <= MAX_GAIN_OFFSET_DB) {
                return Err(refused(RefusalCode::GainOutOfRange {
                    gain: gain.to_string(),
                    max: MAX_GAIN_OFFSET_DB.to_string(),
                }));
            }
            seg.level.gain_db = gain;
        }
        if let Some(zones) = &patch.zones {
            if zones.len() > crate::stream::MAX_ZONES {
                return Err(refused(RefusalCode::TooManyZones {
                    count: zones.len(),
                    max: crate::stream::MAX_ZONES,
                }));
            }
            let mut kept: Vec<String> = Vec::new();
            for zone in zones {
                let zone = zone.trim();
                if !crate::stream::zone_name_ok(zone) {
                    return Err(refused(RefusalCode::BadZone {
                        zone: zone.chars().take(crate::stream::MAX_ZONE).collect(),
                    }));
                }
                if !kept.iter().any(|z| z == zone) {
                    kept.push(zone.to_string());
                }
            }
            seg.zones = kept;
        }
        self.store.insert_segment(&seg)?;
        Ok(seg)
    }

    /// Marks a segment approved by `by` (the commune leader's name), now.
    pub fn approve_segment(&self, id: SegmentId, by: &str) -> Result<Segment> {
        let by = operator_text("approver's name", by, text::MAX_PERSON)?;
        if by.is_empty() {
            return Err(refused(RefusalCode::ApproverMissing));
        }
        let mut seg = self.segment(id)?;
        seg.approval = Approval::Approved {
            by,
            at: self.clock.now(),
        };
        self.store.insert_segment(&seg)?;
        // A priority bulletin from the province waited for this to be queued.
        self.queue_approved_bulletin(&seg)?;
        Ok(seg)
    }
}
