//! Live control: what is on air, skip, stop, play now, emergency broadcasts and their
//! repeats (list, cancel), reload.
//! These talk to the running daemon through its handle; a refusal (nothing on air to skip)
//! is a 409 with the daemon's reason. Commands without fields read (and ignore) any body,
//! so the connection stays usable.

use axum::Json;
use axum::body::Bytes;
use axum::extract::State;
use axum::extract::rejection::JsonRejection;
use axum::http::StatusCode;
use chrono::{DateTime, NaiveDateTime, Utc};
use serde_json::Value;

use super::wire::{EmergencyRequest, Health, PlayRequest, StationInfo};
use super::{ApiError, ApiResult, AppState};
use crate::config::duration::EMERGENCY_EVERY;
use crate::daemon::control::{Repeat, Status};
use crate::model::Priority;
use crate::words::Done;

pub(super) async fn health(State(state): State<AppState>) -> Json<Health> {
    Json(Health {
        ok: true,
        version: env!("CARGO_PKG_VERSION").to_string(),
        station: state.handle.station().config.station.name.clone(),
    })
}

pub(super) async fn station(State(state): State<AppState>) -> Json<StationInfo> {
    let station = state.handle.station();
    let config = &station.config;
    Json(StationInfo {
        name: config.station.name.clone(),
        version: crate::version::VERSION.to_string(),
        built: crate::version::BUILD_DATE.to_string(),
        programs: config.programs.iter().filter(|p| p.enabled).count(),
        config_path: config.path.display().to_string(),
        timezone: station.tz().name().to_string(),
        topics: config.topics.clone(),
        require_approval: config.station.require_approval,
        max_upload_bytes: state.api.max_upload,
        token_required: state.api.token_sha256.is_some(),
        voices: default_first(&config.tts.voice, &config.tts.voices),
    })
}

/// `voices` with `default` moved to the front (the page's select preselects the first).
fn default_first(default: &str, voices: &[String]) -> Vec<String> {
    let mut out = vec![default.to_string()];
    out.extend(voices.iter().filter(|v| *v != default).cloned());
    out
}

pub(super) async fn now(State(state): State<AppState>) -> ApiResult<Json<Status>> {
    let mut status = state.handle.status();
    // The repeats as the store holds them now: one cancelled a moment ago is gone at once,
    // not when the idle daemon next wakes.
    status.emergencies = state.blocking(|st| st.emergency_repeats()).await?;
    Ok(Json(status))
}

/// The answer of a command that was carried out: its code, and its words in the request's
/// language.
fn done(what: Done) -> Json<Value> {
    Json(what.answer(super::error::current_lang()))
}

pub(super) async fn skip(State(state): State<AppState>, _body: Bytes) -> ApiResult<Json<Value>> {
    state.handle.skip().await?;
    Ok(done(Done::Skipped))
}

pub(super) async fn stop(State(state): State<AppState>, _body: Bytes) -> ApiResult<Json<Value>> {
    state.handle.stop().await?;
    Ok(done(Done::Stopped))
}

pub(super) async fn reload(State(state): State<AppState>, _body: Bytes) -> ApiResult<Json<Value>> {
    state.handle.reload().await?;
    Ok(done(Done::Reloaded))
}

/// Who started a live broadcast from the API when the request does not say: the page.
const BY_PAGE: &str = "trang điều khiển";

pub(super) async fn live_start(
    State(state): State<AppState>,
    body: Result<Json<super::wire::LiveStartRequest>, JsonRejection>,
) -> ApiResult<(StatusCode, Json<Value>)> {
    let Json(req) = body?;
    let request = crate::daemon::LiveRequest {
        priority: req.priority.unwrap_or(Priority::Normal),
        title: req.title,
        by: req
            .by
            .filter(|b| !b.trim().is_empty())
            .unwrap_or_else(|| BY_PAGE.to_string()),
    };
    state.handle.live_start(request).await?;
    Ok((StatusCode::ACCEPTED, done(Done::LiveStarted)))
}

pub(super) async fn live_stop(
    State(state): State<AppState>,
    _body: Bytes,
) -> ApiResult<Json<Value>> {
    state.handle.live_stop().await?;
    Ok(done(Done::LiveStopped))
}

pub(super) async fn play(
    State(state): State<AppState>,
    body: Result<Json<PlayRequest>, JsonRejection>,
) -> ApiResult<(StatusCode, Json<Value>)> {
    let Json(req) = body?;
    if req.ids.is_empty() {
        return Err(ApiError::bad_request(
            "no segment to play",
            "send {\"ids\": [12]} with the ids from GET /api/v1/segments",
        ));
    }
    let ids = req.ids.clone();
    state
        .blocking(move |st| ids.iter().try_for_each(|&id| st.segment(id).map(|_| ())))
        .await?;
    let priority = req.priority.unwrap_or(Priority::Normal);
    state.handle.play(req.ids, req.now, priority).await?;
    let what = if req.now {
        Done::PlayingNow
    } else {
        Done::PlayingNext
    };
    Ok((StatusCode::ACCEPTED, done(what)))
}

pub(super) async fn emergency(
    State(state): State<AppState>,
    body: Result<Json<EmergencyRequest>, JsonRejection>,
) -> ApiResult<(StatusCode, Json<Value>)> {
    let Json(req) = body?;
    let id = req.id;
    let station = state.handle.station();
    let (tz, now) = (station.tz(), station.clock.now());
    state.blocking(move |st| st.segment(id).map(|_| ())).await?;
    let repeat = match (req.every.as_deref(), req.until.as_deref()) {
        (None, None) => None,
        (Some(every), Some(until)) => Some(Repeat {
            every: parse_every(every)?,
            until: parse_until(until, tz)?,
        }),
        (Some(_), None) => {
            return Err(ApiError::bad_request(
                "a repeated emergency needs an end (`until`)",
                "e.g. \"until\": \"2026-10-12 18:00\" (station time) — storm bulletins repeat until the storm has passed",
            ));
        }
        (None, Some(_)) => {
            return Err(ApiError::bad_request(
                "`until` without `every`: how often should it repeat?",
                "e.g. \"every\": \"2h\"",
            ));
        }
    };
    if let Some(r) = &repeat {
        crate::service::check_repeat(r.every, r.until, now).map_err(|e| ApiError::service(&e))?;
    }
    state.handle.emergency(id, repeat).await?;
    Ok((StatusCode::ACCEPTED, done(Done::EmergencyOnAir)))
}

fn parse_every(s: &str) -> ApiResult<std::time::Duration> {
    EMERGENCY_EVERY.parse(s).map_err(|e| {
        ApiError::bad_request(
            format!("`every` {e}"),
            &format!(
                "write a duration within {} such as 2h, 90m or 1h30m",
                EMERGENCY_EVERY.text()
            ),
        )
    })
}

/// RFC 3339, or `YYYY-MM-DD HH:MM` in the station's time zone.
pub(crate) fn parse_until(s: &str, tz: chrono_tz::Tz) -> ApiResult<DateTime<Utc>> {
    let s = s.trim();
    if let Ok(t) = DateTime::parse_from_rfc3339(s) {
        return Ok(t.with_timezone(&Utc));
    }
    NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M")
        .ok()
        .and_then(|n| n.and_local_timezone(tz).earliest())
        .map(|t| t.with_timezone(&Utc))
        .ok_or_else(|| {
            ApiError::bad_request(
                format!("`until` \"{s}\" is not a date and time"),
                "write YYYY-MM-DD HH:MM (station time), e.g. 2026-10-12 18:00",
            )
        })
}
