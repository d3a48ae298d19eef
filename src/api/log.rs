//! `/log`: the broadcast log (nhật ký phát sóng), by station days, optionally by topic,
//! outcome, program and words of the title or unit; `limit` keeps the latest records.

use axum::Json;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, State};
use chrono::NaiveDate;
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

pub(super) async fn log(
    State(state): State<AppState>,
    query: Result<Query<LogQuery>, QueryRejection>,
) -> ApiResult<Json<Vec<AsRunRecord>>> {
    let Query(q) = query?;
    let mut records = state.blocking(move |st| st.log(q.from, q.to)).await?;
    let words: Vec<String> =
        q.q.as_deref()
            .unwrap_or_default()
            .split_whitespace()
            .map(|w| crate::text::clean(w).to_lowercase())
            .collect();
    records.retain(|r| {
        let text = format!("{} {}", r.title, r.unit.as_deref().unwrap_or_default()).to_lowercase();
        q.topic.as_ref().is_none_or(|t| &r.topic == t)
            && q.outcome.is_none_or(|o| r.outcome == o)
            && q.program.as_ref().is_none_or(|p| &r.program == p)
            && words.iter().all(|w| text.contains(w.as_str()))
    });
    if let Some(limit) = q.limit {
        let cut = records.len().saturating_sub(limit);
        records.drain(..cut);
    }
    Ok(Json(records))
}
