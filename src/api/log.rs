//! `/log`: the broadcast log (nhật ký phát sóng), by station days, optionally by topic,
//! outcome, program and words of the title or unit; `limit` keeps the latest records.
//!
//! With a `limit` (the page's "latest 10") the log is read from its tail, newest first, and
//! reading stops once `limit` records matched: the cost is the records returned (and those
//! the filters skip on the way), never the log's length.

use axum::Json;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, State};
use chrono::{DateTime, FixedOffset, NaiveDate};
use serde::Deserialize;

use super::{ApiResult, AppState};
use crate::model::{AsRunRecord, Outcome};

#[derive(Debug, Deserialize)]
pub(super) struct LogQuery {
    from: Option<NaiveDate>,
    to: Option<NaiveDate>,
    topic: Option<String>,
    outcome: Option<Outcome>,
    program: Option<String>,
    /// Words that must all appear in the title or the unit (case and accents as typed).
    q: Option<String>,
    /// Only the last `limit` records that match.
    limit: Option<usize>,
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

pub(super) async fn log(
    State(state): State<AppState>,
    query: Result<Query<LogQuery>, QueryRejection>,
) -> ApiResult<Json<Vec<AsRunRecord>>> {
    let Query(q) = query?;
    let filter = Filter::of(&q);
    let records = state
        .blocking(move |st| {
            let Some(limit) = q.limit else {
                let mut all = st.log(q.from, q.to)?;
                all.retain(|r| filter.keeps(r));
                return Ok(all);
            };
            let (from, to) = st.day_bounds(q.from, q.to);
            let mut latest = Vec::new();
            for r in st.store.records_rev() {
                if latest.len() >= limit {
                    break;
                }
                let r = r?;
                if inside(&r, from, to) && filter.keeps(&r) {
                    latest.push(r);
                }
            }
            latest.reverse();
            Ok(latest)
        })
        .await?;
    Ok(Json(records))
}
