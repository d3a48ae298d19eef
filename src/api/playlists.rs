//! `/playlists`: the playlist files as the daemon reads them.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;

use super::wire::{PlaylistEntryView, PlaylistView};
use super::{ApiError, ApiResult, AppState};
use crate::playlist::{Entry, Playlist};
use crate::service::{Catalog, catalog::Import};

fn view(p: &Playlist) -> PlaylistView {
    PlaylistView {
        name: p.name.clone(),
        title: p.title.clone(),
        order: p.order.to_string(),
        path: p.path.display().to_string(),
        entries: p
            .entries
            .iter()
            .map(|e| match e {
                Entry::Segment { id, line } => PlaylistEntryView {
                    line: *line,
                    segment_id: Some(*id),
                    file: None,
                    title: None,
                },
                Entry::File {
                    path, title, line, ..
                } => PlaylistEntryView {
                    line: *line,
                    segment_id: None,
                    file: Some(path.display().to_string()),
                    title: Some(title.clone()),
                },
            })
            .collect(),
    }
}

pub(super) async fn list(State(state): State<AppState>) -> ApiResult<Json<Vec<PlaylistView>>> {
    let all = state
        .blocking(|st| {
            Ok(Catalog::load(st, Import::No)
                .playlists
                .values()
                .map(view)
                .collect())
        })
        .await?;
    Ok(Json(all))
}

pub(super) async fn show(
    State(state): State<AppState>,
    Path(name): Path<String>,
) -> ApiResult<Json<PlaylistView>> {
    let found = state
        .blocking(move |st| {
            Ok(Catalog::load(st, Import::No)
                .playlists
                .get(&name)
                .map(view)
                .ok_or(name))
        })
        .await?;
    found.map(Json).map_err(|name| {
        ApiError::new(
            StatusCode::NOT_FOUND,
            format!("there is no playlist `{name}`"),
            Some("GET /api/v1/playlists lists them; playlists are files in the station's playlists folder"),
        )
    })
}
