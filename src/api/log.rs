//! `/log`: the broadcast log (nhật ký phát sóng), by station days, optionally by topic and
//! outcome.

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
}

pub(super) async fn log(
    State(state): State<AppState>,
    query: Result<Query<LogQuery>, QueryRejection>,
) -> ApiResult<Json<Vec<AsRunRecord>>> {
    let Query(q) = query?;
    let mut records = state.blocking(move |st| st.log(q.from, q.to)).await?;
    records.retain(|r| {
        q.topic.as_ref().is_none_or(|t| &r.topic == t) && q.outcome.is_none_or(|o| r.outcome == o)
    });
    Ok(Json(records))
}
