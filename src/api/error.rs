//! The one error type of the API and its mapping to an HTTP answer:
//! `{"code": "no_segment", "id": 12, "error": "what went wrong, for a person", "hint": "what
//! to do about it"}`: the code and its parameters for programs (the web page renders them
//! from its own table), `error` and `hint` in the request's language (`?lang=` or
//! `Accept-Language`; Vietnamese by default).
//!
//! The service layer reports problems as `anyhow` errors: coded refusals
//! ([`crate::words::ErrorCode`]), or text written for the operator (`message\n  hint: fix`)
//! that travels under a generic code; the status code is chosen from the error's type where
//! there is one (import verdicts, database errors) and from the kind of message otherwise.

use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};

use super::wire::ErrorBody;
use crate::daemon::control::ControlError;
use crate::library::ImportError;
use crate::service::Refusal;
use crate::store::StoreError;
use crate::words::{ErrorCode, FileCode, Lang, Say};

tokio::task_local! {
    /// The language of the request being answered (set by [`choose_lang`]).
    static LANG: Lang;
}

/// Middleware: answers the request in the language it asks for — `?lang=vi|en`, else the
/// first of `vi`/`en` in `Accept-Language`, else Vietnamese.
pub(crate) async fn choose_lang(
    req: axum::extract::Request,
    next: axum::middleware::Next,
) -> Response {
    let lang = request_lang(&req);
    LANG.scope(lang, next.run(req)).await
}

/// The language a request asks for.
pub(crate) fn request_lang(req: &axum::extract::Request) -> Lang {
    let query = req.uri().query().unwrap_or("");
    let asked = query
        .split('&')
        .filter_map(|kv| kv.strip_prefix("lang="))
        .find_map(|v| v.parse::<Lang>().ok());
    asked.unwrap_or_else(|| {
        req.headers()
            .get(axum::http::header::ACCEPT_LANGUAGE)
            .and_then(|v| v.to_str().ok())
            .map_or(Lang::Vi, crate::words::from_accept_language)
    })
}

/// The language of the request being answered (Vietnamese outside a request).
pub(crate) fn current_lang() -> Lang {
    LANG.try_with(|l| *l).unwrap_or_default()
}

#[derive(Debug, Clone)]
pub struct ApiError {
    pub status: StatusCode,
    /// What went wrong, as a code with its parameters (boxed: errors travel in `Result`s).
    pub code: Box<ErrorCode>,
    /// The English text (the code's, or the message of a generic code).
    pub error: String,
    pub hint: Option<String>,
}

impl ApiError {
    /// An error with an English message and hint, under the generic code of `status`.
    pub fn new(status: StatusCode, error: impl Into<String>, hint: Option<&str>) -> Self {
        let error = error.into();
        ApiError {
            status,
            code: Box::new(generic_code(status, &error)),
            error,
            hint: hint.map(str::to_string),
        }
    }

    /// An error with its own code: its words come from the message table.
    pub fn coded(status: StatusCode, code: ErrorCode) -> Self {
        ApiError {
            status,
            error: code.say(Lang::En).into_owned(),
            hint: code.hint(Lang::En).map(|h| h.into_owned()),
            code: Box::new(code),
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
            let mut answer = ApiError::coded(StatusCode::INSUFFICIENT_STORAGE, ErrorCode::DiskFull);
            answer.error = error.trim().to_string();
            return answer;
        }
        if let Some(Refusal::Code(code)) = e.downcast_ref::<Refusal>() {
            return ApiError::coded(code_status(code), code.clone());
        }
        if let Some(import) = e.downcast_ref::<ImportError>() {
            return ApiError::coded(service_status(e), ErrorCode::File(import.code()));
        }
        ApiError::from_text(service_status(e), &text)
    }

    /// 507: the station's disk is full while `action`.
    pub fn disk_full(action: &str) -> Self {
        let mut e = ApiError::coded(StatusCode::INSUFFICIENT_STORAGE, ErrorCode::DiskFull);
        e.error = format!("the disk is full (No space left on device): cannot {action}");
        e
    }

    /// Replaces `from` with `to` in the answer's texts and its code's parameters (a temp
    /// file's path with the name the operator knows).
    pub fn replace_text(&mut self, from: &str, to: &str) {
        self.error = self.error.replace(from, to);
        self.hint = self.hint.take().map(|h| h.replace(from, to));
        let replaced = serde_json::to_value(&*self.code).ok().and_then(|mut v| {
            if let Some(map) = v.as_object_mut() {
                for value in map.values_mut() {
                    if let Some(text) = value.as_str() {
                        *value = text.replace(from, to).into();
                    }
                }
            }
            serde_json::from_value(v).ok()
        });
        if let Some(code) = replaced {
            *self.code = code;
        }
    }

    /// The answer's body in the language of the request being answered.
    pub fn body(self) -> ErrorBody {
        let (error, hint) = match current_lang() {
            Lang::En => (self.error, self.hint),
            // A generic code holds an English message: its Vietnamese heading says what
            // kind of problem it is; the message's own hint (English) stays.
            Lang::Vi => (
                self.code.say(Lang::Vi).into_owned(),
                self.code
                    .hint(Lang::Vi)
                    .map(|h| h.into_owned())
                    .or(self.hint),
            ),
        };
        ErrorBody {
            code: Some(*self.code),
            error,
            hint,
        }
    }

    pub fn internal(action: &str, e: impl std::fmt::Display) -> Self {
        ApiError::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            format!("{action} failed: {e}"),
            Some("see the daemon's log (journalctl -u loaxa) for details"),
        )
    }
}

/// The generic code of an answer with `status` and the English message `error`.
fn generic_code(status: StatusCode, error: &str) -> ErrorCode {
    let detail = error.to_string();
    match status {
        StatusCode::NOT_FOUND => ErrorCode::NotFound { detail },
        StatusCode::CONFLICT => ErrorCode::Conflict { detail },
        StatusCode::PAYLOAD_TOO_LARGE => ErrorCode::TooLarge { detail },
        StatusCode::UNSUPPORTED_MEDIA_TYPE => ErrorCode::UnsupportedMedia { detail },
        StatusCode::UNPROCESSABLE_ENTITY => ErrorCode::Unprocessable { detail },
        StatusCode::INSUFFICIENT_STORAGE => ErrorCode::DiskFull,
        StatusCode::SERVICE_UNAVAILABLE => ErrorCode::Unavailable { detail },
        s if s.is_server_error() => ErrorCode::Internal { detail },
        _ => ErrorCode::BadRequest { detail },
    }
}

/// The status a coded refusal answers with.
fn code_status(code: &ErrorCode) -> StatusCode {
    match code {
        ErrorCode::NoSegment { .. }
        | ErrorCode::NoQueueEntry { .. }
        | ErrorCode::NoEmergencyRepeat { .. }
        | ErrorCode::NoRoute { .. }
        | ErrorCode::NotFound { .. } => StatusCode::NOT_FOUND,
        ErrorCode::NothingOnAir
        | ErrorCode::SegmentCannotAir { .. }
        | ErrorCode::Conflict { .. } => StatusCode::CONFLICT,
        ErrorCode::DaemonStopping | ErrorCode::DaemonNotRunning | ErrorCode::Unavailable { .. } => {
            StatusCode::SERVICE_UNAVAILABLE
        }
        ErrorCode::DiskFull => StatusCode::INSUFFICIENT_STORAGE,
        ErrorCode::TokenMissing | ErrorCode::TokenWrong => StatusCode::UNAUTHORIZED,
        ErrorCode::UploadTooLarge { .. } | ErrorCode::TooLarge { .. } => {
            StatusCode::PAYLOAD_TOO_LARGE
        }
        ErrorCode::UnsupportedMedia { .. } => StatusCode::UNSUPPORTED_MEDIA_TYPE,
        ErrorCode::Unprocessable { .. } => StatusCode::UNPROCESSABLE_ENTITY,
        ErrorCode::Internal { .. } | ErrorCode::NoSoundDevice { .. } => {
            StatusCode::INTERNAL_SERVER_ERROR
        }
        ErrorCode::SegmentNeverAirs { .. }
        | ErrorCode::NoSegmentGiven
        | ErrorCode::UnknownTopic { .. }
        | ErrorCode::TitleEmpty
        | ErrorCode::DatesReversed { .. }
        | ErrorCode::BadRequest { .. } => StatusCode::BAD_REQUEST,
        ErrorCode::File(FileCode::FileDiskFull { .. }) => StatusCode::INSUFFICIENT_STORAGE,
        ErrorCode::File(f) if f.is_the_files_fault() => StatusCode::UNPROCESSABLE_ENTITY,
        ErrorCode::File(_) => StatusCode::INTERNAL_SERVER_ERROR,
        ErrorCode::Refused(r) if r.is_not_found() => StatusCode::NOT_FOUND,
        ErrorCode::Refused(r) if r.is_conflict() => StatusCode::CONFLICT,
        ErrorCode::Refused(r) if r.is_station_fault() => StatusCode::SERVICE_UNAVAILABLE,
        ErrorCode::Refused(_) => StatusCode::BAD_REQUEST,
    }
}

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
        Some(Refusal::Code(code)) => code_status(code),
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
            ControlError::Idle => ApiError::coded(StatusCode::CONFLICT, ErrorCode::NothingOnAir),
            ControlError::Refused(msg) => ApiError::from_text(StatusCode::CONFLICT, &msg),
            ControlError::Gone => {
                ApiError::coded(StatusCode::SERVICE_UNAVAILABLE, ErrorCode::DaemonStopping)
            }
            ControlError::Code(code) => ApiError::coded(code_status(&code), code),
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
        let status = self.status;
        let body = self.body();
        let mut response = (status, Json(body)).into_response();
        // These answers may leave the request body unread: the connection is not reusable,
        // say so, so a client does not send its next request into a closing socket.
        if matches!(
            status,
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
