//! The one error type of the API and its mapping to an HTTP answer:
//! `{"error": "what went wrong, for a person", "hint": "what to do about it"}`.
//!
//! The service layer reports problems as `anyhow` errors whose text is written for the
//! operator (`message\n  hint: fix`); the status code is chosen from the error's type where
//! there is one (import verdicts, database errors) and from the kind of message otherwise.

use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};

use super::wire::ErrorBody;
use crate::daemon::control::ControlError;
use crate::library::ImportError;
use crate::service::Refusal;
use crate::store::StoreError;

#[derive(Debug, Clone)]
pub struct ApiError {
    pub status: StatusCode,
    pub error: String,
    pub hint: Option<String>,
}

impl ApiError {
    pub fn new(status: StatusCode, error: impl Into<String>, hint: Option<&str>) -> Self {
        ApiError {
            status,
            error: error.into(),
            hint: hint.map(str::to_string),
        }
    }

    pub fn bad_request(error: impl Into<String>, hint: &str) -> Self {
        ApiError::new(StatusCode::BAD_REQUEST, error, Some(hint))
    }

    /// Splits the service layer's `message\n  hint: fix` text.
    pub fn from_text(status: StatusCode, text: &str) -> Self {
        match text.split_once("\n  hint: ") {
            Some((error, hint)) => ApiError::new(status, error.trim(), Some(hint.trim())),
            None => ApiError::new(status, text.trim(), None),
        }
    }

    /// An error from the service layer, with the status its kind calls for.
    pub fn service(e: &anyhow::Error) -> Self {
        let text = format!("{e:#}");
        if disk_full(e) {
            let (error, _) = text.split_once("\n  hint: ").unwrap_or((&text, ""));
            return ApiError::new(
                StatusCode::INSUFFICIENT_STORAGE,
                error.trim(),
                Some(DISK_FULL_HINT),
            );
        }
        ApiError::from_text(service_status(e), &text)
    }

    /// 507: the station's disk is full while `action`.
    pub fn disk_full(action: &str) -> Self {
        ApiError::new(
            StatusCode::INSUFFICIENT_STORAGE,
            format!("the disk is full (No space left on device): cannot {action}"),
            Some(DISK_FULL_HINT),
        )
    }

    pub fn internal(action: &str, e: impl std::fmt::Display) -> Self {
        ApiError::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            format!("{action} failed: {e}"),
            Some("see the daemon's log (journalctl -u loaxa) for details"),
        )
    }
}

const DISK_FULL_HINT: &str = "free disk space on the station PC (`df -h` shows which disk is full), then try again; the station keeps airing meanwhile";

/// A full disk, wherever it was met (database, media store, a file being written).
fn disk_full(e: &anyhow::Error) -> bool {
    e.chain().any(|c| {
        matches!(c.downcast_ref(), Some(StoreError::DiskFull { .. }))
            || matches!(c.downcast_ref(), Some(ImportError::DiskFull { .. }))
            || c.downcast_ref::<std::io::Error>()
                .is_some_and(crate::library::is_disk_full)
    })
}

fn service_status(e: &anyhow::Error) -> StatusCode {
    if let Some(store) = e.downcast_ref::<StoreError>() {
        return match store {
            StoreError::Locked { .. } => StatusCode::SERVICE_UNAVAILABLE,
            _ => StatusCode::INTERNAL_SERVER_ERROR,
        };
    }
    if let Some(import) = e.downcast_ref::<ImportError>() {
        return match import {
            ImportError::NotFound { .. }
            | ImportError::IsDirectory { .. }
            | ImportError::Unreadable { .. } => StatusCode::INTERNAL_SERVER_ERROR,
            _ => StatusCode::UNPROCESSABLE_ENTITY,
        };
    }
    match e.downcast_ref::<Refusal>() {
        Some(Refusal::NotFound(_)) => StatusCode::NOT_FOUND,
        Some(Refusal::Conflict(_)) => StatusCode::CONFLICT,
        Some(Refusal::Invalid(_)) => StatusCode::BAD_REQUEST,
        None => StatusCode::INTERNAL_SERVER_ERROR,
    }
}

impl From<ControlError> for ApiError {
    fn from(e: ControlError) -> Self {
        match e {
            ControlError::NotFound(msg) => {
                let mut e = ApiError::from_text(StatusCode::NOT_FOUND, &msg);
                e.hint.get_or_insert_with(|| {
                    "GET /api/v1/segments (`loaxa segment list`) shows the ids".into()
                });
                e
            }
            ControlError::Idle => {
                let mut e =
                    ApiError::from_text(StatusCode::CONFLICT, &ControlError::Idle.to_string());
                e.hint.get_or_insert_with(|| {
                    "`loaxa now` shows what is on air and when the next program starts".into()
                });
                e
            }
            ControlError::Refused(msg) => ApiError::from_text(StatusCode::CONFLICT, &msg),
            ControlError::Gone => ApiError::new(
                StatusCode::SERVICE_UNAVAILABLE,
                "the daemon is shutting down",
                Some("start it again with `loaxa run`"),
            ),
        }
    }
}

impl From<axum::extract::rejection::JsonRejection> for ApiError {
    fn from(e: axum::extract::rejection::JsonRejection) -> Self {
        let status = match e.status() {
            StatusCode::PAYLOAD_TOO_LARGE => StatusCode::PAYLOAD_TOO_LARGE,
            StatusCode::UNSUPPORTED_MEDIA_TYPE => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            _ => StatusCode::BAD_REQUEST,
        };
        ApiError::new(
            status,
            format!(
                "the request body is not what this route expects: {}",
                e.body_text()
            ),
            Some(
                "send JSON with Content-Type: application/json; the README lists the fields of each route",
            ),
        )
    }
}

impl From<axum::extract::rejection::QueryRejection> for ApiError {
    fn from(e: axum::extract::rejection::QueryRejection) -> Self {
        ApiError::bad_request(
            format!("bad query parameters: {}", e.body_text()),
            "dates are YYYY-MM-DD, numbers are whole numbers",
        )
    }
}

impl From<axum::extract::rejection::PathRejection> for ApiError {
    fn from(e: axum::extract::rejection::PathRejection) -> Self {
        ApiError::bad_request(
            format!("bad id in the address: {}", e.body_text()),
            "ids are whole numbers, as shown by GET /api/v1/segments or /api/v1/queue",
        )
    }
}

impl From<tokio::task::JoinError> for ApiError {
    fn from(e: tokio::task::JoinError) -> Self {
        ApiError::internal("the operation", e)
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        if self.status.is_server_error() {
            tracing::warn!(status = %self.status, error = %self.error, "API request failed");
        }
        let body = ErrorBody {
            error: self.error,
            hint: self.hint,
        };
        let mut response = (self.status, Json(body)).into_response();
        // These answers may leave the request body unread: the connection is not reusable,
        // say so, so a client does not send its next request into a closing socket.
        if matches!(
            self.status,
            StatusCode::UNAUTHORIZED | StatusCode::PAYLOAD_TOO_LARGE
        ) {
            response.headers_mut().insert(
                axum::http::header::CONNECTION,
                axum::http::HeaderValue::from_static("close"),
            );
        }
        response
    }
}

pub type ApiResult<T> = Result<T, ApiError>;
