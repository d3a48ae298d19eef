//! The service's operations ([`crate::service::ops`]) served over HTTP by one generic handler
//! each way: the operation is decoded from the route's ids and the query string (`GET`,
//! `DELETE`) or the JSON body (`POST`, `PATCH`), exactly as the CLI encodes it, then run on
//! the station on the blocking pool.

use axum::Json;
use axum::extract::rejection::{JsonRejection, RawPathParamsRejection};
use axum::extract::{RawPathParams, RawQuery, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{MethodRouter, delete, get, patch, post};
use serde_json::Value;

use super::{ApiError, ApiResult, AppState};
use crate::service::ops::{self, Method, Op, Success};

/// The route of `O`.
pub(super) fn route<O: Op>() -> MethodRouter<AppState> {
    match O::METHOD {
        Method::Get => get(by_query::<O>),
        Method::Delete => delete(by_query::<O>),
        Method::Post => post(by_body::<O>),
        Method::Patch => patch(by_body::<O>),
    }
}

async fn by_query<O: Op>(
    State(state): State<AppState>,
    params: Result<RawPathParams, RawPathParamsRejection>,
    RawQuery(query): RawQuery,
) -> ApiResult<Response> {
    let ids = ids(&params)?;
    let op = ops::from_query::<O>(&ids, query.as_deref().unwrap_or_default()).map_err(|e| {
        ApiError::bad_request(
            format!("bad query parameters: {e}"),
            "dates are YYYY-MM-DD, numbers are whole numbers; the README lists each route's parameters",
        )
    })?;
    run(state, op).await
}

async fn by_body<O: Op>(
    State(state): State<AppState>,
    params: Result<RawPathParams, RawPathParamsRejection>,
    body: Result<Json<Value>, JsonRejection>,
) -> ApiResult<Response> {
    let ids = ids(&params)?;
    let Json(body) = body?;
    let op = ops::from_body::<O>(&ids, body).map_err(|e| {
        ApiError::bad_request(
            format!("the request body is not what this route expects: {e}"),
            "send JSON with Content-Type: application/json; the README lists the fields of each route",
        )
    })?;
    run(state, op).await
}

/// The route's parameters, each an id (none when the route has none).
fn ids(params: &Result<RawPathParams, RawPathParamsRejection>) -> ApiResult<Vec<(String, u64)>> {
    let params = match params {
        Ok(params) => params,
        Err(RawPathParamsRejection::MissingPathParams(_)) => return Ok(Vec::new()),
        Err(e) => {
            return Err(ApiError::bad_request(
                format!("bad id in the address: {}", e.body_text()),
                "ids are whole numbers, as shown by GET /api/v1/segments or /api/v1/queue",
            ));
        }
    };
    params
        .iter()
        .map(|(name, value)| match value.parse::<u64>() {
            Ok(id) => Ok((name.to_string(), id)),
            Err(_) => Err(ApiError::bad_request(
                format!("bad id in the address: `{value}` is not a whole number"),
                "ids are whole numbers, as shown by GET /api/v1/segments or /api/v1/queue",
            )),
        })
        .collect()
}

async fn run<O: Op>(state: AppState, op: O) -> ApiResult<Response> {
    let out = state.blocking(move |st| op.run(st)).await;
    if O::METHOD != Method::Get {
        // A change may have taken disk space (a text bulletin's recording) or given it back.
        state.handle.disk_written();
    }
    let out = out?;
    Ok(match O::SUCCESS {
        Success::Ok => Json(out).into_response(),
        Success::Created => (StatusCode::CREATED, Json(out)).into_response(),
        Success::NoContent => StatusCode::NO_CONTENT.into_response(),
    })
}
