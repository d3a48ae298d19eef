//! `/segments/{id}/audio`: a segment's audio file as stored, for listening in the browser.
//! Honours a single `Range: bytes=…` (206, or 416 when it lies outside the file; a `Range`
//! it cannot read is ignored, 200), so the player can seek and start without downloading a
//! whole bulletin first.

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
        .map(|r| r.to_str().map_or(Range::Ignored, |r| parse_range(r, len)));
    let (status, start, end) = match range {
        None | Some(Range::Ignored) => (StatusCode::OK, 0, len),
        Some(Range::Bytes(start, end)) => (StatusCode::PARTIAL_CONTENT, start, end),
        Some(Range::Unsatisfiable) => {
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
        Some("ogg" | "oga" | "opus") => "audio/ogg",
        Some("webm") => "audio/webm",
        Some("flac") => "audio/flac",
        Some("m4a" | "mp4" | "aac") => "audio/mp4",
        _ => "application/octet-stream",
    }
}

/// What a `Range` header asks of a file.
#[derive(Debug, PartialEq, Eq)]
enum Range {
    /// The half-open byte range `[start, end)`, within the file.
    Bytes(u64, u64),
    /// Well-formed, but starts at or past the end of the file (416).
    Unsatisfiable,
    /// Not a single byte range this server reads (another unit, malformed, several
    /// ranges): RFC 9110 §14.2 lets a server ignore it and send the whole file (200).
    Ignored,
}

/// `bytes=A-B`, `bytes=A-`, `bytes=-N` within a file of `len` bytes (RFC 9110 §14.1.2).
fn parse_range(header: &str, len: u64) -> Range {
    let Some(spec) = header.trim().strip_prefix("bytes=") else {
        return Range::Ignored;
    };
    let Some((a, b)) = spec.split_once('-') else {
        return Range::Ignored;
    };
    let number = |s: &str| {
        (!s.is_empty() && s.bytes().all(|c| c.is_ascii_digit()))
            .then(|| s.parse::<u64>().unwrap_or(u64::MAX))
    };
    let (a, b) = (a.trim(), b.trim());
    match (number(a), number(b)) {
        // A suffix: the last N bytes; none of a file is no range at all.
        (None, Some(n)) if a.is_empty() => match n.min(len) {
            0 => Range::Unsatisfiable,
            n => Range::Bytes(len - n, len),
        },
        (Some(start), None) if b.is_empty() => satisfiable(start, len),
        (Some(start), Some(last)) if last >= start => match satisfiable(start, len) {
            Range::Bytes(start, _) => Range::Bytes(start, last.saturating_add(1).min(len)),
            other => other,
        },
        _ => Range::Ignored,
    }
}

fn satisfiable(start: u64, len: u64) -> Range {
    if start < len {
        Range::Bytes(start, len)
    } else {
        Range::Unsatisfiable
    }
}

#[cfg(test)]
mod tests {
    use super::parse_range;

    #[test]
    fn ranges_are_read_as_rfc_9110_says() {
        use super::Range::{Bytes, Ignored, Unsatisfiable};
        assert_eq!(parse_range("bytes=0-99", 1000), Bytes(0, 100));
        assert_eq!(parse_range("bytes=900-", 1000), Bytes(900, 1000));
        assert_eq!(parse_range("bytes=-100", 1000), Bytes(900, 1000));
        assert_eq!(parse_range("bytes=500-5000", 1000), Bytes(500, 1000));
        assert_eq!(parse_range("bytes=-5000", 1000), Bytes(0, 1000));
        assert_eq!(parse_range("bytes=999-999", 1000), Bytes(999, 1000));
        // Well-formed, outside the file: 416.
        assert_eq!(parse_range("bytes=1000-", 1000), Unsatisfiable);
        assert_eq!(parse_range("bytes=2000-3000", 1000), Unsatisfiable);
        assert_eq!(parse_range("bytes=-0", 1000), Unsatisfiable);
        assert_eq!(
            parse_range("bytes=99999999999999999999999-", 1000),
            Unsatisfiable
        );
        // Unparsable or not ours: ignored, the whole file.
        assert_eq!(parse_range("bytes=5-2", 1000), Ignored);
        assert_eq!(parse_range("bytes=0-1,5-6", 1000), Ignored);
        assert_eq!(parse_range("items=0-1", 1000), Ignored);
        assert_eq!(parse_range("bytes=x-", 1000), Ignored);
        assert_eq!(parse_range("bytes=-", 1000), Ignored);
        assert_eq!(parse_range("bytes=+1-2", 1000), Ignored);
        assert_eq!(parse_range("garbage", 1000), Ignored);
    }
}
