//! `POST /segments`: multipart upload of one or more audio files with their metadata.
//!
//! Each `file` part is streamed to a fresh temp file in `data_dir/uploads/`, counting bytes
//! as they arrive so an oversized upload is cut off at the limit, not after it was stored.
//! The client's file name is kept as text only (NFC) — the temp file's name is ours, so a
//! name like `../../etc/passwd.mp3` can write nowhere. The file then goes through the same
//! `add_segments` check as the CLI (probe, full decode, hash, copy into the media store).
//! Temp files are removed whatever happens (a drop guard also covers a dropped request).

use std::path::{Path, PathBuf};

use axum::Json;
use axum::extract::multipart::{Field, MultipartError, MultipartRejection};
use axum::extract::{Multipart, State};
use axum::http::StatusCode;
use chrono::NaiveDate;
use tokio::io::AsyncWriteExt;

use super::wire::AddResult;
use super::{ApiError, ApiResult, AppState};
use crate::library;
use crate::service::{AddOutcome, SegmentMeta, Station};

/// A file received, deleted when dropped.
struct TempUpload {
    path: PathBuf,
    /// The client's name, NFC, as text only.
    name: String,
}

impl Drop for TempUpload {
    fn drop(&mut self) {
        if let Err(e) = std::fs::remove_file(&self.path)
            && e.kind() != std::io::ErrorKind::NotFound
        {
            tracing::warn!(file = %self.path.display(), error = %e, "could not remove an upload");
        }
    }
}

#[derive(Default)]
struct Fields {
    title: Option<String>,
    topic: Option<String>,
    unit: Option<String>,
    valid_from: Option<String>,
    valid_until: Option<String>,
    priority: Option<String>,
}

pub(super) async fn upload(
    State(state): State<AppState>,
    multipart: Result<Multipart, MultipartRejection>,
) -> ApiResult<(StatusCode, Json<Vec<AddResult>>)> {
    let mut multipart = multipart.map_err(|e| {
        ApiError::bad_request(
            format!("the upload is not a multipart form: {}", e.body_text()),
            "send multipart/form-data with one or more `file` parts and a `topic` field",
        )
    })?;
    let dir = state
        .handle
        .station()
        .config
        .station
        .data_dir
        .join("uploads");
    tokio::fs::create_dir_all(&dir)
        .await
        .map_err(|e| storing_error(&format!("creating {}", dir.display()), e))?;
    let (files, fields) = receive(&mut multipart, &dir, state.api.max_upload).await?;
    if files.is_empty() {
        return Err(ApiError::bad_request(
            "the upload has no `file` part",
            "attach the audio as a form part named `file`",
        ));
    }
    let meta = meta(&fields)?;
    let results = state.blocking(move |st| add_all(st, files, &meta)).await;
    // The imports, and the temp files gone with them, changed the disk's free space.
    state.handle.disk_written();
    answer(results?)
}

/// Streams every `file` part to its temp file and collects the text fields.
async fn receive(
    multipart: &mut Multipart,
    dir: &Path,
    limit: u64,
) -> ApiResult<(Vec<TempUpload>, Fields)> {
    let mut files = Vec::new();
    let mut fields = Fields::default();
    let mut received = 0u64;
    while let Some(field) = multipart.next_field().await.map_err(multipart_error)? {
        let name = field.name().unwrap_or_default().to_string();
        match name.as_str() {
            "file" => {
                let client_name = crate::text::clean(field.file_name().unwrap_or("upload"));
                let temp = TempUpload {
                    path: library::upload_temp_path(dir, &client_name),
                    name: client_name,
                };
                // On failure `temp` is dropped here, which removes the partial file.
                received +=
                    stream_to(field, &temp.path, limit.saturating_sub(received), limit).await?;
                files.push(temp);
            }
            "title" | "topic" | "unit" | "valid_from" | "valid_until" | "priority" => {
                let text = read_text(field, &name).await?;
                let text = Some(text.trim().to_string()).filter(|t| !t.is_empty());
                match name.as_str() {
                    "title" => fields.title = text,
                    "topic" => fields.topic = text,
                    "unit" => fields.unit = text,
                    "valid_from" => fields.valid_from = text,
                    "valid_until" => fields.valid_until = text,
                    _ => fields.priority = text,
                }
            }
            other => {
                return Err(ApiError::bad_request(
                    format!("unknown form field `{other}`"),
                    "fields are file, title, topic, unit, valid_from, valid_until, priority",
                ));
            }
        }
    }
    Ok((files, fields))
}

/// Checks and stores each file (blocking: probe, full decode, hash); the temp files go
/// when `files` is dropped at the end.
fn add_all(st: &Station, files: Vec<TempUpload>, meta: &SegmentMeta) -> anyhow::Result<Outcomes> {
    let mut out = Vec::new();
    for f in &files {
        let mut meta = meta.clone();
        meta.original_name = Some(f.name.clone());
        if meta.title.is_none() {
            let stem = Path::new(&f.name)
                .file_stem()
                .map_or_else(|| f.name.clone(), |s| s.to_string_lossy().into_owned());
            meta.title = Some(stem);
        }
        let result = st
            .add_segments(&[&f.path], &meta)?
            .pop()
            .unwrap_or_else(|| Err(anyhow::anyhow!("the upload of {} gave no result", f.name)))
            .map_err(|e| named_as_sent(e, f));
        out.push((f.name.clone(), f.path.clone(), result));
    }
    Ok(out)
}

/// A verdict on the upload's temp file speaks of the operator's own file name instead, in
/// the message and in the conversion command of its hint.
fn named_as_sent(e: anyhow::Error, f: &TempUpload) -> anyhow::Error {
    match e.downcast::<library::ImportError>() {
        Ok(mut verdict) => {
            if verdict.path() == f.path {
                *verdict.path_mut() = PathBuf::from(&f.name);
            }
            verdict.into()
        }
        Err(e) => e,
    }
}

type Outcomes = Vec<(String, PathBuf, anyhow::Result<AddOutcome>)>;

/// 201 when something was added, 200 when all were known; when every file failed, the
/// first failure's status (422 for a file that is not audio).
fn answer(results: Outcomes) -> ApiResult<(StatusCode, Json<Vec<AddResult>>)> {
    let mut first_error = None;
    let mut added = false;
    let mut body = Vec::new();
    for (name, temp, result) in results {
        body.push(match result {
            Ok(AddOutcome::Added(seg)) => {
                added = true;
                AddResult {
                    file: name,
                    status: "added".into(),
                    segment: Some(seg),
                    error: None,
                }
            }
            Ok(AddOutcome::AlreadyPresent(seg)) => AddResult {
                file: name,
                status: "already_present".into(),
                segment: Some(seg),
                error: None,
            },
            Err(e) => {
                // Name the client's file, not our temp file, in the message.
                let mut err = ApiError::service(&e);
                err.replace_text(&temp.display().to_string(), &name);
                first_error.get_or_insert_with(|| err.clone());
                AddResult {
                    file: name,
                    status: "failed".into(),
                    segment: None,
                    error: Some(err.body()),
                }
            }
        });
    }
    match first_error {
        Some(e) if body.iter().all(|r| r.status == "failed") => Err(e),
        _ if added => Ok((StatusCode::CREATED, Json(body))),
        _ => Ok((StatusCode::OK, Json(body))),
    }
}

fn meta(f: &Fields) -> ApiResult<SegmentMeta> {
    let Some(topic) = f.topic.clone() else {
        return Err(ApiError::bad_request(
            "the upload has no `topic`",
            "add a form field topic=SLUG with a topic from the station's [topics]",
        ));
    };
    let date = |key: &str, v: &Option<String>| -> ApiResult<Option<NaiveDate>> {
        v.as_deref()
            .map(|s| {
                NaiveDate::parse_from_str(s, "%Y-%m-%d").map_err(|_| {
                    ApiError::bad_request(
                        format!("{key} \"{s}\" is not a date"),
                        "write YYYY-MM-DD, e.g. 2026-05-18",
                    )
                })
            })
            .transpose()
    };
    let priority = match f.priority.as_deref() {
        None => Default::default(),
        Some(p) => p.parse().map_err(|e: crate::words::BadValue| {
            ApiError::bad_request(
                crate::words::Say::say(&e, super::error::current_lang()),
                "priority is normal, priority or emergency",
            )
        })?,
    };
    Ok(SegmentMeta {
        title: f.title.clone(),
        topic,
        unit: f.unit.clone(),
        valid_from: date("valid_from", &f.valid_from)?,
        valid_until: date("valid_until", &f.valid_until)?,
        priority,
        original_name: None,
        tts: None,
    })
}

/// Streams a part into `path`, refusing (413) once more than `room` bytes came.
async fn stream_to(mut field: Field<'_>, path: &Path, room: u64, limit: u64) -> ApiResult<u64> {
    let mut file = tokio::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(path)
        .await
        .map_err(|e| storing_error("storing the upload", e))?;
    let mut written = 0u64;
    while let Some(chunk) = field.chunk().await.map_err(multipart_error)? {
        written += chunk.len() as u64;
        if written > room {
            return Err(too_large(limit));
        }
        file.write_all(&chunk)
            .await
            .map_err(|e| storing_error("storing the upload", e))?;
    }
    // Flushed and synced: a write the disk refuses shows here, not later as a cut-off file
    // that would be judged "not audio".
    file.flush()
        .await
        .map_err(|e| storing_error("storing the upload", e))?;
    file.sync_all()
        .await
        .map_err(|e| storing_error("storing the upload", e))?;
    Ok(written)
}

/// The most bytes a text field may send: enough for the longest title in decomposed
/// Unicode; the service then checks each field's own limit in characters.
const MAX_TEXT_FIELD_BYTES: usize = 16 * 1024;

/// A text field's value, read with a cap: an oversized field is refused (413) and never
/// held in memory (the rest of it is read and dropped, within the body limit, so the
/// client gets the answer rather than a reset connection).
async fn read_text(mut field: Field<'_>, name: &str) -> ApiResult<String> {
    let mut bytes = Vec::new();
    while let Some(chunk) = field.chunk().await.map_err(multipart_error)? {
        if bytes.len() + chunk.len() > MAX_TEXT_FIELD_BYTES {
            while field.chunk().await.map_err(multipart_error)?.is_some() {}
            return Err(ApiError::new(
                StatusCode::PAYLOAD_TOO_LARGE,
                format!(
                    "the form field `{name}` is larger than {} KB",
                    MAX_TEXT_FIELD_BYTES / 1024
                ),
                Some(&format!(
                    "a title is at most {} characters, a unit {}",
                    crate::text::MAX_TITLE,
                    crate::text::MAX_UNIT
                )),
            ));
        }
        bytes.extend_from_slice(&chunk);
    }
    String::from_utf8(bytes).map_err(|_| {
        ApiError::bad_request(
            format!("the form field `{name}` is not UTF-8 text"),
            "send form fields as UTF-8",
        )
    })
}

/// A failed write of an upload: 507 when the disk is full, else 500.
fn storing_error(action: &str, e: std::io::Error) -> ApiError {
    if library::is_disk_full(&e) {
        ApiError::disk_full("store the upload")
    } else {
        ApiError::internal(action, e)
    }
}

fn too_large(limit: u64) -> ApiError {
    ApiError::new(
        StatusCode::PAYLOAD_TOO_LARGE,
        format!(
            "the upload is larger than the limit of {} MB",
            limit / (1024 * 1024)
        ),
        Some("compress it (ffmpeg -i IN -ac 1 -b:a 64k OUT.mp3) or raise [api] max_upload_mb"),
    )
}

fn multipart_error(e: MultipartError) -> ApiError {
    if let Some(stalled) = super::server::body_stalled(&e) {
        return ApiError::new(
            StatusCode::REQUEST_TIMEOUT,
            format!("the upload stopped: {stalled}"),
            Some("check the connection to the station PC and send the file again"),
        );
    }
    if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
        return ApiError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "the upload is larger than the limit",
            Some("compress it or raise [api] max_upload_mb"),
        );
    }
    ApiError::bad_request(
        format!("the upload could not be read: {}", e.body_text()),
        "send multipart/form-data; if the connection dropped, try again",
    )
}
