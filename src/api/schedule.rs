//! `/programs` (the config's air slots and when they fire next) and `/schedule` (what will
//! air, item by item, with warnings).

use axum::Json;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, State};
use serde::Deserialize;

use super::wire::ProgramView;
use super::{ApiResult, AppState};
use crate::service::ScheduledProgram;

pub(super) async fn programs(State(state): State<AppState>) -> ApiResult<Json<Vec<ProgramView>>> {
    let station = state.handle.station();
    let views = station
        .config
        .programs
        .iter()
        .map(|p| {
            let next = station.next_fires(p, 3);
            ProgramView {
                name: p.name.clone(),
                title: p.title.clone(),
                cron: p.cron.to_string(),
                playlists: p.playlists.clone(),
                queue: p.queue,
                enabled: p.enabled,
                max_duration_ms: p
                    .max_duration
                    .map(|d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX)),
                next,
            }
        })
        .collect();
    Ok(Json(views))
}

#[derive(Debug, Deserialize)]
pub(super) struct ScheduleQuery {
    days: Option<u32>,
}

pub(super) async fn schedule(
    State(state): State<AppState>,
    query: Result<Query<ScheduleQuery>, QueryRejection>,
) -> ApiResult<Json<Vec<ScheduledProgram>>> {
    let Query(q) = query?;
    // The range is the service's to check (one rule for CLI, API and page).
    let days = q.days.unwrap_or(1);
    Ok(Json(state.blocking(move |st| st.timetable(days)).await?))
}
