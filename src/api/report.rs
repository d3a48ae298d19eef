//! `/report`: the half-year report (báo cáo) for the web page, rendered by the daemon from
//! the log it holds — HTML to print, Markdown, CSV or the XLSX annex, as `loaxa report`
//! writes them.

use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use chrono::NaiveDate;
use serde::Deserialize;

use super::error::current_lang;
use super::{ApiError, ApiResult, AppState};
use crate::report::{self, Lang, Period, ReportFormat, ReportMeta};
use crate::words::Say;

#[derive(Debug, Deserialize)]
pub(super) struct ReportQuery {
    period: Option<String>,
    from: Option<NaiveDate>,
    to: Option<NaiveDate>,
    format: Option<String>,
    lang: Option<Lang>,
}

pub(super) async fn report(
    State(state): State<AppState>,
    query: Result<Query<ReportQuery>, QueryRejection>,
) -> ApiResult<Response> {
    let Query(q) = query?;
    let format = match q.format.as_deref() {
        None => ReportFormat::Html,
        Some(f) => f.parse::<ReportFormat>().map_err(|e| {
            ApiError::bad_request(e.say(current_lang()), "format=html, md, csv or xlsx")
        })?,
    };
    let lang = q.lang.unwrap_or_default();
    let station = state.handle.station();
    let now = station.local(station.clock.now());
    let period = match (q.period.as_deref(), q.from, q.to) {
        (Some(p), None, None) => p.parse::<Period>().map_err(|e| {
            ApiError::bad_request(e.say(current_lang()), "period=2026-H1 or 2026-H2")
        })?,
        (None, Some(from), Some(to)) => Period::days(from, to)
            .map_err(|e| ApiError::bad_request(e, "give from before to (YYYY-MM-DD)"))?,
        (None, None, None) => Period::containing(now.date_naive()),
        _ => {
            return Err(ApiError::bad_request(
                "give either `period` or both `from` and `to`",
                "e.g. ?period=2026-H1, or ?from=2026-05-01&to=2026-05-31",
            ));
        }
    };
    let bytes = state
        .blocking(move |st| {
            let meta = ReportMeta {
                station: st.config.station.name.clone(),
                period,
                topics: st.config.topics.clone(),
                generated_at: now,
            };
            let mut failure = None;
            let records =
                report::source::records(&st.store, st.tz(), Some(period.from), Some(period.to))
                    .map_while(|r| r.map_err(|e| failure = Some(e)).ok());
            let summary = report::summarise(records, meta);
            if let Some(e) = failure {
                return Err(
                    anyhow::Error::from(e).context("reading the broadcast log for the report")
                );
            }
            if format != ReportFormat::Xlsx {
                return Ok(report::render_to_string(&summary, format, lang)?.into_bytes());
            }
            let path = st
                .config
                .station
                .data_dir
                .join(format!(".report-{:016x}.xlsx", fastrand::u64(..)));
            let written = report::render_to_path(&summary, format, lang, &path);
            let bytes = written.and_then(|()| Ok(std::fs::read(&path)?));
            let _ = std::fs::remove_file(&path);
            bytes
        })
        .await?;
    let content_type = match format {
        ReportFormat::Html => "text/html; charset=utf-8",
        ReportFormat::Md => "text/markdown; charset=utf-8",
        ReportFormat::Csv => "text/csv; charset=utf-8",
        ReportFormat::Xlsx => "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    };
    let name = match period.half {
        Some((y, h)) => format!("bao-cao-{y}-H{h}.{format}"),
        None => format!("bao-cao-{}-{}.{format}", period.from, period.to),
    };
    Ok((
        [
            (header::CONTENT_TYPE, content_type.to_string()),
            (
                header::CONTENT_DISPOSITION,
                format!("inline; filename=\"{name}\""),
            ),
        ],
        bytes,
    )
        .into_response())
}
