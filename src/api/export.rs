//! `/log/export`: the broadcast log as a CSV, JSON Lines or XLSX file, for `loaxa log export`
//! and `loaxa report` while the daemon holds the database.
//!
//! The export is written (streaming from the store) to a temp file in the data folder, which
//! is unlinked once open and streamed back: memory stays flat for any log size, and a failed
//! export answers an error instead of a truncated file.

use axum::body::Body;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use chrono::NaiveDate;
use serde::Deserialize;

use super::{ApiResult, AppState};
use crate::report::{self, ExportFormat, ExportOptions, Lang, Separator};

#[derive(Debug, Deserialize)]
pub(super) struct ExportQuery {
    from: Option<NaiveDate>,
    to: Option<NaiveDate>,
    format: Option<ExportFormat>,
    lang: Option<Lang>,
    sep: Option<Separator>,
}

/// The header that carries the number of records exported.
pub const RECORDS_HEADER: &str = "x-loaxa-records";

pub(super) async fn export(
    State(state): State<AppState>,
    query: Result<Query<ExportQuery>, QueryRejection>,
) -> ApiResult<Response> {
    let Query(q) = query?;
    let format = q.format.unwrap_or(ExportFormat::Csv);
    let (file, n) = state
        .blocking(move |st| {
            let opts = ExportOptions {
                lang: q.lang.unwrap_or_default(),
                separator: q.sep.unwrap_or_default(),
                topics: st.config.topics.clone(),
            };
            let path = st.config.station.data_dir.join(format!(
                ".export-{:016x}.{}",
                fastrand::u64(..),
                format.extension()
            ));
            let n = report::export_store_to_path(
                &st.store,
                st.tz(),
                q.from,
                q.to,
                format,
                &opts,
                &path,
            )?;
            let file = std::fs::File::open(&path);
            // Unlinked now: the open handle keeps the bytes until the answer is sent.
            let _ = std::fs::remove_file(&path);
            Ok((file?, n))
        })
        .await?;
    let stream =
        tokio_util::io::ReaderStream::with_capacity(tokio::fs::File::from_std(file), 64 * 1024);
    let name = format!("nhat-ky-phat-song.{}", format.extension());
    Ok((
        [
            (header::CONTENT_TYPE, format.content_type().to_string()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{name}\""),
            ),
            (
                header::HeaderName::from_static(RECORDS_HEADER),
                n.to_string(),
            ),
        ],
        Body::from_stream(stream),
    )
        .into_response())
}
