//! `/log`: the broadcast log (nhật ký phát sóng), filtered by the service's one query
//! ([`crate::service::LogQuery`]: station days, topic, outcome, program, words, `limit`).

use axum::Json;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, State};

use super::{ApiResult, AppState};
use crate::model::AsRunRecord;
use crate::service::LogQuery;

pub(super) async fn log(
    State(state): State<AppState>,
    query: Result<Query<LogQuery>, QueryRejection>,
) -> ApiResult<Json<Vec<AsRunRecord>>> {
    let Query(q) = query?;
    let records = state.blocking(move |st| st.log_query(&q)).await?;
    Ok(Json(records))
}
