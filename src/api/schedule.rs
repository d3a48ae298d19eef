//! `/programs`: the config's air slots and when they fire next (`/schedule`, what will air
//! item by item, is the service's operation `Timetable`).

use axum::Json;
use axum::extract::State;

use super::wire::ProgramView;
use super::{ApiResult, AppState};

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
