//! The broadcast log (nhật ký phát sóng) as the operator asks for it: by station days,
//! optionally by topic, outcome, program and words of the title or unit; `limit` keeps the
//! latest records. One query for the CLI (`loaxa log`), the API (`GET /log`) and the page.
//!
//! With a `limit` (the page's "latest 10") the log is read from its tail, newest first, and
//! reading stops once `limit` records matched: the cost is the records returned (and those
//! the filters skip on the way), never the log's length.

use anyhow::Result;
use chrono::{DateTime, FixedOffset, NaiveDate};
use serde::{Deserialize, Serialize};

use super::Station;
use crate::model::{AsRunRecord, Outcome};

/// Which records to give, oldest first.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct LogQuery {
    pub from: Option<NaiveDate>,
    pub to: Option<NaiveDate>,
    pub topic: Option<String>,
    pub outcome: Option<Outcome>,
    pub program: Option<String>,
    /// Words that must all appear in the title or the unit (case and accents as typed).
    pub q: Option<String>,
    /// Only the last `limit` records that match.
    pub limit: Option<usize>,
}

/// What a record must satisfy, besides its time.
struct Filter {
    topic: Option<String>,
    outcome: Option<Outcome>,
    program: Option<String>,
    words: Vec<String>,
}

impl Filter {
    fn of(q: &LogQuery) -> Filter {
        Filter {
            topic: q.topic.clone(),
            outcome: q.outcome,
            program: q.program.clone(),
            words: q
                .q
                .as_deref()
                .unwrap_or_default()
                .split_whitespace()
                .map(|w| crate::text::clean(w).to_lowercase())
                .collect(),
        }
    }

    fn keeps(&self, r: &AsRunRecord) -> bool {
        self.topic.as_ref().is_none_or(|t| &r.topic == t)
            && self.outcome.is_none_or(|o| r.outcome == o)
            && self.program.as_ref().is_none_or(|p| &r.program == p)
            && (self.words.is_empty() || {
                let text =
                    format!("{} {}", r.title, r.unit.as_deref().unwrap_or_default()).to_lowercase();
                self.words.iter().all(|w| text.contains(w.as_str()))
            })
    }
}

/// Whether `r`'s time (start, or schedule when it never started) lies in `[from, to)`.
fn inside(
    r: &AsRunRecord,
    from: Option<DateTime<FixedOffset>>,
    to: Option<DateTime<FixedOffset>>,
) -> bool {
    let at = r.started_at.unwrap_or(r.scheduled_at);
    from.is_none_or(|f| at >= f) && to.is_none_or(|t| at < t)
}

/// `r` as clients read it: a reason an earlier build wrote as English prose carries its code
/// instead ([`crate::words::reason_as_code`]), so the page words it in the operator's
/// language. The store keeps the prose (the log's hash chain covers it); the API's log
/// records ([`Station::log_query`]) and the event stream's go through here.
pub fn with_coded_reason(mut r: AsRunRecord) -> AsRunRecord {
    if let Some(reason) = &r.reason
        && let std::borrow::Cow::Owned(coded) = crate::words::reason_as_code(reason)
    {
        r.reason = Some(coded);
    }
    r
}

impl Station {
    /// The records `query` asks for, oldest first, their reasons as codes
    /// ([`with_coded_reason`]).
    pub fn log_query(&self, query: &LogQuery) -> Result<Vec<AsRunRecord>> {
        let filter = Filter::of(query);
        let Some(limit) = query.limit else {
            let all = self.log(query.from, query.to)?;
            let kept = all.into_iter().filter(|r| filter.keeps(r));
            return Ok(kept.map(with_coded_reason).collect());
        };
        let (from, to) = self.day_bounds(query.from, query.to);
        let mut latest = Vec::new();
        for r in self.store.records_rev() {
            if latest.len() >= limit {
                break;
            }
            let r = r?;
            if inside(&r, from, to) && filter.keeps(&r) {
                latest.push(with_coded_reason(r));
            }
        }
        latest.reverse();
        Ok(latest)
    }
}
