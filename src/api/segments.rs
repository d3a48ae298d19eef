//! `/segments`: list, show, edit, approve, remove (upload is in `upload`).

use axum::Json;
use axum::extract::rejection::{JsonRejection, PathRejection, QueryRejection};
use axum::extract::{Path, Query, State};
use serde::Deserialize;

use super::wire::ApproveRequest;
use super::{ApiResult, AppState};
use crate::model::{Segment, SegmentId};
use crate::service::{SegmentPatch, SegmentView};

#[derive(Debug, Deserialize)]
pub(super) struct ListQuery {
    topic: Option<String>,
}

/// The library, each segment with whether it may air today (`air_today`), so the page
/// shows the planner's verdict instead of deciding again.
pub(super) async fn list(
    State(state): State<AppState>,
    query: Result<Query<ListQuery>, QueryRejection>,
) -> ApiResult<Json<Vec<SegmentView>>> {
    let Query(q) = query?;
    let segments = state
        .blocking(move |st| st.segment_views(q.topic.as_deref()))
        .await?;
    Ok(Json(segments))
}

pub(super) async fn show(
    State(state): State<AppState>,
    id: Result<Path<u64>, PathRejection>,
) -> ApiResult<Json<Segment>> {
    let Path(id) = id?;
    Ok(Json(
        state.blocking(move |st| st.segment(SegmentId(id))).await?,
    ))
}

pub(super) async fn update(
    State(state): State<AppState>,
    id: Result<Path<u64>, PathRejection>,
    body: Result<Json<SegmentPatch>, JsonRejection>,
) -> ApiResult<Json<Segment>> {
    let Path(id) = id?;
    let Json(patch) = body?;
    let seg = state
        .blocking(move |st| st.update_segment(SegmentId(id), &patch))
        .await?;
    Ok(Json(seg))
}

pub(super) async fn approve(
    State(state): State<AppState>,
    id: Result<Path<u64>, PathRejection>,
    body: Result<Json<ApproveRequest>, JsonRejection>,
) -> ApiResult<Json<Segment>> {
    let Path(id) = id?;
    let Json(req) = body?;
    let seg = state
        .blocking(move |st| st.approve_segment(SegmentId(id), &req.by))
        .await?;
    Ok(Json(seg))
}

#[derive(Debug, Deserialize)]
pub(super) struct RemoveQuery {
    #[serde(default)]
    force: bool,
}

pub(super) async fn remove(
    State(state): State<AppState>,
    id: Result<Path<u64>, PathRejection>,
    query: Result<Query<RemoveQuery>, QueryRejection>,
) -> ApiResult<Json<Segment>> {
    let Path(id) = id?;
    let Query(q) = query?;
    let seg = state
        .blocking(move |st| st.remove_segment(SegmentId(id), q.force))
        .await?;
    Ok(Json(seg))
}
