//! The control API: JSON over HTTP on the daemon's [`DaemonHandle`] and the service layer,
//! so the CLI (and any other tool) can operate the station while it is on air.
//!
//! One route table, [`ROUTES`], builds the router and is checked against the README's table
//! by a test. One file per resource; one error type ([`ApiError`]) turns every failure into
//! `{"error", "hint"}` with the right status. Service calls block (sled, decoding), so they
//! run on tokio's blocking pool. [`serve`] writes `daemon.json` into the data folder so the
//! CLI finds the running daemon, and removes it on a clean exit. The same address serves the
//! operator's web page ([`web`]), which calls these routes. The HTTP server under them, with
//! its timeouts and connection cap against idle and slow clients, is [`server`].

mod auth;
mod control;
mod error;
mod events;
mod export;
mod guard;
mod media;
mod ops;
mod playlists;
mod report;
mod schedule;
pub mod server;
mod upload;
mod verify;
pub mod web;
pub mod wire;

use std::path::{Path, PathBuf};
use std::sync::Arc;

use anyhow::{Context, Result};
use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::routing::{MethodRouter, get, post};
use tokio::net::TcpListener;

use crate::config::ApiConfig;
use crate::daemon::Shutdown;
use crate::daemon::control::DaemonHandle;
use crate::service::Station;
use crate::service::ops as op;

pub use error::{ApiError, ApiResult};
pub use export::RECORDS_HEADER;
pub use guard::REQUEST_HEADER;

/// Every route: (method, path under `/api/v1`). The router is built from this table.
pub const ROUTES: &[(&str, &str)] = &[
    ("GET", "/health"),
    ("GET", "/station"),
    ("GET", "/now"),
    ("GET", "/events"),
    ("GET", "/segments"),
    ("POST", "/segments"),
    ("GET", "/segments/{id}"),
    ("PATCH", "/segments/{id}"),
    ("DELETE", "/segments/{id}"),
    ("POST", "/segments/{id}/approve"),
    ("POST", "/segments/text"),
    ("GET", "/segments/{id}/audio"),
    ("GET", "/queue"),
    ("POST", "/queue"),
    ("DELETE", "/queue/{qid}"),
    ("GET", "/playlists"),
    ("GET", "/playlists/{name}"),
    ("GET", "/programs"),
    ("GET", "/schedule"),
    ("GET", "/log"),
    ("GET", "/log/verify"),
    ("GET", "/log/export"),
    ("GET", "/report"),
    ("GET", "/report/periods"),
    ("POST", "/skip"),
    ("POST", "/stop"),
    ("POST", "/play"),
    ("POST", "/emergency"),
    ("GET", "/emergencies"),
    ("DELETE", "/emergencies/{id}"),
    ("POST", "/reload"),
    ("POST", "/live"),
    ("POST", "/live/stop"),
    ("GET", "/inbox"),
];

/// The prefix of every route.
pub const PREFIX: &str = "/api/v1";

/// Shared by every handler.
#[derive(Debug, Clone)]
pub(crate) struct AppState {
    pub handle: DaemonHandle,
    pub api: Arc<ApiConfig>,
    /// Permits of the open event streams (see [`events`]).
    pub streams: Arc<tokio::sync::Semaphore>,
    /// Ends the event streams when the daemon stops (they never end by themselves).
    pub shutdown: Shutdown,
}

impl AppState {
    /// Runs a blocking service call on the station as the daemon runs it now.
    pub async fn blocking<T: Send + 'static>(
        &self,
        f: impl FnOnce(&Station) -> Result<T> + Send + 'static,
    ) -> ApiResult<T> {
        let station = self.handle.station();
        tokio::task::spawn_blocking(move || f(&station))
            .await?
            .map_err(|e| ApiError::service(&e))
    }
}

/// The handler of one table entry; `None` when the table names a route nobody implemented.
fn handler(method: &str, path: &str, upload_limit: usize) -> Option<MethodRouter<AppState>> {
    Some(match (method, path) {
        ("GET", "/health") => get(control::health),
        ("GET", "/station") => get(control::station),
        ("GET", "/now") => get(control::now),
        ("GET", "/events") => get(events::events),
        ("GET", "/segments") => ops::route::<op::ListSegments>(),
        // Uploads stream to disk with their own check (see `upload`); other bodies keep
        // axum's small default limit.
        ("POST", "/segments") => post(upload::upload).layer(DefaultBodyLimit::max(upload_limit)),
        ("GET", "/segments/{id}") => ops::route::<op::ShowSegment>(),
        ("PATCH", "/segments/{id}") => ops::route::<op::UpdateSegment>(),
        ("DELETE", "/segments/{id}") => ops::route::<op::RemoveSegment>(),
        ("POST", "/segments/{id}/approve") => ops::route::<op::ApproveSegment>(),
        ("POST", "/segments/text") => ops::route::<crate::service::TextBulletin>(),
        ("GET", "/segments/{id}/audio") => get(media::audio),
        ("GET", "/queue") => ops::route::<op::ListQueue>(),
        ("POST", "/queue") => ops::route::<op::AddToQueue>(),
        ("DELETE", "/queue/{qid}") => ops::route::<op::RemoveFromQueue>(),
        ("GET", "/playlists") => get(playlists::list),
        ("GET", "/playlists/{name}") => get(playlists::show),
        ("GET", "/programs") => get(schedule::programs),
        ("GET", "/schedule") => ops::route::<op::Timetable>(),
        ("GET", "/log") => ops::route::<crate::service::LogQuery>(),
        ("GET", "/log/verify") => get(verify::verify),
        ("GET", "/log/export") => get(export::export),
        ("GET", "/report") => get(report::report),
        ("GET", "/report/periods") => ops::route::<op::ReportPeriods>(),
        ("POST", "/skip") => post(control::skip),
        ("POST", "/stop") => post(control::stop),
        ("POST", "/play") => post(control::play),
        ("POST", "/emergency") => post(control::emergency),
        ("GET", "/emergencies") => ops::route::<op::ListEmergencies>(),
        ("DELETE", "/emergencies/{id}") => ops::route::<op::CancelEmergency>(),
        ("POST", "/reload") => post(control::reload),
        ("POST", "/live") => post(control::live_start),
        ("POST", "/live/stop") => post(control::live_stop),
        ("GET", "/inbox") => ops::route::<op::ListInbox>(),
        _ => return None,
    })
}

/// The API's routes over `handle`, with the access check of `config`.
pub fn router(handle: DaemonHandle, config: &ApiConfig) -> Router {
    router_until(handle, config, events::never())
}

/// [`router`] whose event streams end at `shutdown`.
pub fn router_until(handle: DaemonHandle, config: &ApiConfig, shutdown: Shutdown) -> Router {
    let state = AppState {
        handle,
        api: Arc::new(config.clone()),
        streams: events::streams(),
        shutdown,
    };
    // The form fields around the file need a little room too.
    let limit = usize::try_from(config.max_upload.saturating_add(1 << 20)).unwrap_or(usize::MAX);
    let mut api = Router::new();
    for &(method, path) in ROUTES {
        match handler(method, path, limit) {
            Some(h) => api = api.route(path, h),
            None => tracing::error!(method, path, "API route without a handler"),
        }
    }
    Router::new()
        .nest(PREFIX, api)
        .merge(web::router())
        .fallback(not_found)
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            auth::require_token,
        ))
        // A request from another site or under a rebound name goes no further.
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            guard::check,
        ))
        // Outermost: every answer, refusals of the guard too, in the request's language.
        .layer(axum::middleware::from_fn(error::choose_lang))
        .with_state(state)
}

async fn not_found(uri: axum::http::Uri) -> ApiError {
    if uri.path().starts_with("/api/") {
        let mut e = ApiError::coded(
            axum::http::StatusCode::NOT_FOUND,
            crate::words::ErrorCode::NoRoute {
                path: uri.path().to_string(),
            },
        );
        e.hint = Some(
            "the web page is at /; API routes start with /api/v1/ (the README lists them)".into(),
        );
        return e;
    }
    ApiError::new(
        axum::http::StatusCode::NOT_FOUND,
        if uri.path().starts_with("/api/") {
            format!("there is no API route {uri}")
        } else {
            format!("there is no page {uri}")
        },
        Some("the web page is at /; API routes start with /api/v1/ (the README lists them)"),
    )
}

/// `daemon.json` in `data_dir`: how the CLI finds the running daemon.
pub fn daemon_file(data_dir: &Path) -> PathBuf {
    data_dir.join("daemon.json")
}

/// Binds `api.listen`; port 0 picks a free port (tests).
pub async fn bind(api: &ApiConfig) -> Result<TcpListener> {
    TcpListener::bind(api.listen).await.with_context(|| {
        format!(
            "opening the control API on {} (is another loaxa running? change [api] listen)",
            api.listen
        )
    })
}

/// Serves the API until `shutdown`, announcing it in `data_dir/daemon.json`.
pub async fn serve(handle: DaemonHandle, api: ApiConfig, shutdown: Shutdown) -> Result<()> {
    let listener = bind(&api).await?;
    serve_on(listener, handle, api, shutdown).await
}

/// [`serve`] on a listener bound already.
pub async fn serve_on(
    listener: TcpListener,
    handle: DaemonHandle,
    api: ApiConfig,
    shutdown: Shutdown,
) -> Result<()> {
    let addr = listener.local_addr().context("reading the API's address")?;
    let file = daemon_file(&handle.station().config.station.data_dir);
    let info = wire::DaemonFile {
        pid: std::process::id(),
        api: format!("http://{addr}"),
        started_at: chrono::Utc::now(),
    };
    write_atomically(&file, &serde_json::to_vec_pretty(&info)?)
        .with_context(|| format!("writing {}", file.display()))?;
    tracing::info!(address = %info.api, "control API listening");
    let cap = server::limits::connection_cap(server::limits::soft_nofile());
    tracing::info!(
        connections = cap,
        header_timeout_s = server::HEADER_TIMEOUT.as_secs(),
        body_idle_s = server::BODY_IDLE.as_secs(),
        send_idle_s = server::SEND_IDLE.as_secs(),
        "control API limits"
    );
    let app = router_until(handle, &api, shutdown.clone());
    server::serve(listener, app, cap, shutdown).await;
    if let Err(e) = std::fs::remove_file(&file) {
        tracing::warn!(file = %file.display(), error = %e, "could not remove daemon.json");
    }
    Ok(())
}

fn write_atomically(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let tmp = path.with_extension("json.tmp");
    std::fs::write(&tmp, bytes)?;
    std::fs::rename(&tmp, path)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_route_in_the_table_has_a_handler() {
        for &(method, path) in ROUTES {
            assert!(handler(method, path, 1).is_some(), "{method} {path}");
        }
    }

    #[test]
    fn every_operation_of_the_service_is_a_route() {
        for &(method, path) in crate::service::ops::ALL {
            assert!(
                ROUTES.contains(&(method.as_str(), path)),
                "{} {path} is not in ROUTES",
                method.as_str()
            );
        }
    }
}
