//! `/log/verify`: the as-run log's hash chain checked by the daemon that holds the store
//! (what `loaxa log verify` asks while the daemon runs). A broken chain is still a 200: the
//! report is the answer, `broken` says where.

use axum::Json;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use serde::Deserialize;

use super::{ApiError, ApiResult, AppState};
use crate::store::ChainReport;
use crate::store::chain::Anchor;
use crate::words::Say;

#[derive(Debug, Deserialize)]
pub(super) struct VerifyQuery {
    /// `RECORD:HASH` written down earlier: that record must still have that hash.
    expect: Option<String>,
}

pub(super) async fn verify(
    State(state): State<AppState>,
    query: Result<Query<VerifyQuery>, QueryRejection>,
) -> ApiResult<Json<ChainReport>> {
    let Query(q) = query?;
    let anchor = q
        .expect
        .map(|s| s.parse::<Anchor>())
        .transpose()
        .map_err(|e| {
            ApiError::new(
                StatusCode::BAD_REQUEST,
                e.say(super::error::current_lang()),
                None,
            )
        })?;
    let report = state
        .blocking(move |st| Ok(st.store.verify_chain_with(anchor)?))
        .await?;
    Ok(Json(report))
}
