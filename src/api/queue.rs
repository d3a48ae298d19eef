//! `/queue`: what airs once in the next program.

use axum::Json;
use axum::extract::rejection::{JsonRejection, PathRejection};
use axum::extract::{Path, State};
use axum::http::StatusCode;

use super::wire::QueueRequest;
use super::{ApiError, ApiResult, AppState};
use crate::store::QueueEntry;

pub(super) async fn list(State(state): State<AppState>) -> ApiResult<Json<Vec<QueueEntry>>> {
    Ok(Json(state.blocking(|st| st.queue()).await?))
}

pub(super) async fn add(
    State(state): State<AppState>,
    body: Result<Json<QueueRequest>, JsonRejection>,
) -> ApiResult<(StatusCode, Json<Vec<QueueEntry>>)> {
    let Json(req) = body?;
    if req.ids.is_empty() {
        return Err(ApiError::bad_request(
            "no segment to queue",
            "send {\"ids\": [12]} with the ids from GET /api/v1/segments",
        ));
    }
    let entries = state
        .blocking(move |st| st.queue_add(&req.ids, req.program.as_deref(), req.priority))
        .await?;
    Ok((StatusCode::CREATED, Json(entries)))
}

pub(super) async fn remove(
    State(state): State<AppState>,
    qid: Result<Path<u64>, PathRejection>,
) -> ApiResult<StatusCode> {
    let Path(qid) = qid?;
    state.blocking(move |st| st.queue_remove(qid)).await?;
    Ok(StatusCode::NO_CONTENT)
}
