//! What the page shows beside the library and the report, decided here rather than again
//! in JavaScript: whether each segment may air today (the planner's own rule,
//! [`Station::may_air`]) and which reporting half-years there are to choose from.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use super::Station;
use crate::model::{Reason, Segment};
use crate::program::MayAir;
use crate::report::Period;

/// Whether a segment may air on the station's today, and if not, why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum AirToday {
    Yes,
    /// A program would set it aside (outside its dates, not approved).
    Skip {
        reason: Reason,
    },
    /// A program would take it and it would fail (its media file is gone).
    Fails {
        reason: Reason,
    },
}

/// A library segment with today's verdict: what `GET /segments` answers.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SegmentView {
    #[serde(flatten)]
    pub segment: Segment,
    pub air_today: AirToday,
}

/// A reporting half-year the operator can choose.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PeriodChoice {
    /// `2026-H2`.
    pub period: String,
    pub from: NaiveDate,
    pub to: NaiveDate,
}

impl Station {
    /// Whether `seg` may air today, by the rule every program and preview follows.
    pub fn air_today(&self, seg: &Segment) -> AirToday {
        match self.may_air(seg, self.today()) {
            MayAir::Yes => AirToday::Yes,
            MayAir::Skip(reason) => AirToday::Skip { reason },
            MayAir::Fails(reason) => AirToday::Fails { reason },
        }
    }

    /// The library (of one topic, if given), each segment with today's verdict.
    pub fn segment_views(&self, topic: Option<&str>) -> anyhow::Result<Vec<SegmentView>> {
        Ok(self
            .segments(topic)?
            .into_iter()
            .map(|segment| SegmentView {
                air_today: self.air_today(&segment),
                segment,
            })
            .collect())
    }

    /// The half-year today is reported in, then the `n - 1` before it, newest first.
    pub fn report_periods(&self, n: usize) -> Vec<PeriodChoice> {
        let mut out = Vec::with_capacity(n);
        let mut period = Period::containing(self.today());
        while out.len() < n {
            let Some((year, half)) = period.half else {
                break;
            };
            out.push(PeriodChoice {
                period: format!("{year}-H{half}"),
                from: period.from,
                to: period.to,
            });
            let Some(before) = period.from.pred_opt() else {
                break;
            };
            period = Period::containing(before);
        }
        out
    }
}
