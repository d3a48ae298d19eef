//! `/segments/{id}/audio`: a segment's audio file as stored, for listening in the browser.
//! Honours a single `Range: bytes=…` (206, or 416 when it lies outside the file), so the
//! player can seek and start without downloading a whole bulletin first.

use axum::body::Body;
use axum::extract::rejection::PathRejection;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use tokio::io::{AsyncReadExt, AsyncSeekExt};

use super::{ApiError, ApiResult, AppState};
use crate::model::SegmentId;

pub(super) async fn audio(
    State(state): State<AppState>,
    id: Result<Path<u64>, PathRejection>,
    headers: HeaderMap,
) -> ApiResult<Response> {
    let Path(id) = id?;
    let (path, name) = state
        .blocking(move |st| {
            let seg = st.segment(SegmentId(id))?;
            Ok((st.media_path(&seg.media_file), seg.media_file))
        })
        .await?;
    let mut file = tokio::fs::File::open(&path).await.map_err(|e| {
        ApiError::new(
            StatusCode::NOT_FOUND,
            format!("the audio file of segment {id} cannot be opened: {e}"),
            Some("`loaxa check` lists missing media files"),
        )
    })?;
    let len = file
        .metadata()
        .await
        .map_err(|e| ApiError::internal("reading the audio file's size", e))?
        .len();
    let content_type = content_type(&name);
    let range = headers
        .get(header::RANGE)
        .and_then(|v| v.to_str().ok())
        .map(|r| parse_range(r, len));
    let (status, start, end) = match range {
        None => (StatusCode::OK, 0, len),
        Some(Some((start, end))) => (StatusCode::PARTIAL_CONTENT, start, end),
        Some(None) => {
            return Ok((
                StatusCode::RANGE_NOT_SATISFIABLE,
                [(header::CONTENT_RANGE, format!("bytes */{len}"))],
            )
                .into_response());
        }
    };
    if start > 0 {
        file.seek(std::io::SeekFrom::Start(start))
            .await
            .map_err(|e| ApiError::internal("seeking in the audio file", e))?;
    }
    let body = Body::from_stream(tokio_util::io::ReaderStream::new(file.take(end - start)));
    let mut response = (
        status,
        [
            (header::CONTENT_TYPE, content_type.to_string()),
            (header::ACCEPT_RANGES, "bytes".to_string()),
            (header::CONTENT_LENGTH, (end - start).to_string()),
            (header::CACHE_CONTROL, "private, max-age=3600".to_string()),
        ],
        body,
    )
        .into_response();
    if status == StatusCode::PARTIAL_CONTENT
        && let Ok(v) = format!("bytes {start}-{}/{len}", end.saturating_sub(1)).parse()
    {
        response.headers_mut().insert(header::CONTENT_RANGE, v);
    }
    Ok(response)
}

/// The media store names files `<sha256>.<ext>`.
fn content_type(media_file: &str) -> &'static str {
    let ext = media_file
        .rsplit_once('.')
        .map(|(_, e)| e.to_ascii_lowercase());
    match ext.as_deref() {
        Some("mp3") => "audio/mpeg",
        Some("wav") => "audio/wav",
        Some("ogg" | "oga") => "audio/ogg",
        Some("flac") => "audio/flac",
        Some("m4a" | "mp4" | "aac") => "audio/mp4",
        _ => "application/octet-stream",
    }
}

/// `bytes=A-B`, `bytes=A-`, `bytes=-N` → the half-open byte range `[start, end)` within a
/// file of `len` bytes; `None` when it is malformed, has several parts, or lies outside.
fn parse_range(header: &str, len: u64) -> Option<(u64, u64)> {
    let spec = header.trim().strip_prefix("bytes=")?;
    if spec.contains(',') {
        return None;
    }
    let (a, b) = spec.split_once('-')?;
    let (a, b) = (a.trim(), b.trim());
    let (start, end) = if a.is_empty() {
        let n: u64 = b.parse().ok()?;
        (len.saturating_sub(n), len)
    } else {
        let start: u64 = a.parse().ok()?;
        let end = if b.is_empty() {
            len
        } else {
            b.parse::<u64>().ok()?.saturating_add(1).min(len)
        };
        (start, end)
    };
    (start < end && start < len).then_some((start, end))
}

#[cfg(test)]
mod tests {
    use super::parse_range;

    #[test]
    fn ranges_are_read_as_rfc_9110_says() {
        assert_eq!(parse_range("bytes=0-99", 1000), Some((0, 100)));
        assert_eq!(parse_range("bytes=900-", 1000), Some((900, 1000)));
        assert_eq!(parse_range("bytes=-100", 1000), Some((900, 1000)));
        assert_eq!(parse_range("bytes=500-5000", 1000), Some((500, 1000)));
        assert_eq!(parse_range("bytes=-5000", 1000), Some((0, 1000)));
        assert_eq!(parse_range("bytes=1000-", 1000), None);
        assert_eq!(parse_range("bytes=5-2", 1000), None);
        assert_eq!(parse_range("bytes=0-1,5-6", 1000), None);
        assert_eq!(parse_range("items=0-1", 1000), None);
        assert_eq!(parse_range("bytes=x-", 1000), None);
    }
}
