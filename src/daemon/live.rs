//! Live broadcasts (phát trực tiếp): the operator speaks into the station's microphone and
//! the commune hears it now. A live airing is an item like any other: it pre-empts by its
//! level — an emergency-level one cuts whatever airs, a priority one cuts a normal item and
//! waits for a priority or emergency one, a normal one waits for the item on air — and the
//! program goes on after it. One at a time; it ends when the operator stops it, at
//! `[live] max_duration`, or when its device fails. Each part on air (an emergency may cut
//! into it) is one record with its air-check file.

use std::time::Duration;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::asrun::ProgramContext;
use crate::live::{CaptureError, LiveHandle, LivePart, LiveSpec};
use crate::model::{AsRunRecord, LIVE_PROGRAM, LiveProof, Priority, Trigger};
use crate::program::{Origin, PlannedItem};
use crate::words::{ErrorCode, RefusalCode};

use super::Daemon;
use super::control::ControlError;
use super::session::OnAirItem;

/// The title a live airing gets when the operator gives none.
pub const DEFAULT_TITLE: &str = "Phát trực tiếp";
/// The longest wait for a part's air-check file to be complete before its record is written.
const AIRCHECK_WAIT: Duration = Duration::from_secs(10);

/// A live airing as the operator asked for it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LiveRequest {
    pub priority: Priority,
    /// The record's title; `None`: [`DEFAULT_TITLE`].
    pub title: Option<String>,
    /// Who speaks or started it (the record keeps it).
    pub by: String,
}

/// What the status says of the live airing.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LiveStatus {
    pub title: String,
    pub by: String,
    pub priority: Priority,
    /// On air now; `false`: waiting for the item on air to end.
    pub on_air: bool,
    pub requested_at: DateTime<Utc>,
    /// The input's and the output's peak over the last half second, dBFS (−120: silence).
    pub input_dbfs: f32,
    pub output_dbfs: f32,
    /// Seconds left before it ends by itself (once on air).
    pub left_s: Option<u64>,
}

/// The live airing the daemon runs.
pub(super) struct LiveOn {
    pub handle: LiveHandle,
    pub request: LiveRequest,
    pub requested_at: DateTime<Utc>,
    /// Air-check files are named `STEM-N.wav` (N: the part).
    pub stem: String,
    pub on_air: bool,
}

impl Daemon {
    fn live(&self) -> std::sync::MutexGuard<'_, Option<LiveOn>> {
        self.live
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Opens the input for `request` and gives its item; refused when a live airing is on
    /// already or the device is missing or busy.
    pub(super) fn open_live(&self, request: LiveRequest) -> Result<OnAirItem, ControlError> {
        let text = |field: &'static str, s: &str, max: usize| {
            crate::text::bounded(field, s, max).map_err(|e| {
                ControlError::Code(ErrorCode::Refused(RefusalCode::TextTooLong {
                    field: e.field.to_string(),
                    len: e.len,
                    max: e.max,
                }))
            })
        };
        let request = LiveRequest {
            title: request
                .title
                .as_deref()
                .map(|t| text("title", t, crate::text::MAX_TITLE))
                .transpose()?,
            by: text("by", &request.by, crate::text::MAX_PERSON)?,
            ..request
        };
        if self.live().is_some() {
            return Err(ControlError::Code(ErrorCode::Refused(
                RefusalCode::LiveAlreadyOn,
            )));
        }
        let config = &self.station.config;
        let spec = LiveSpec {
            input: config.live.input.clone(),
            rate: std::num::NonZero::new(config.output.sample_rate.unwrap_or(48_000))
                .unwrap_or(std::num::NonZero::<u32>::MIN),
            channels: std::num::NonZero::new(config.output.channels.unwrap_or(2))
                .unwrap_or(std::num::NonZero::<u16>::MIN),
            max: config.live.max_duration,
            fade: config.output.fade,
            target_lufs: config.audio.normalise.then_some(config.audio.target_lufs),
            ceiling_db: config.audio.true_peak_ceiling_dbtp,
            aircheck_dir: Some(self.aircheck_dir()),
        };
        let handle = LiveHandle::open(spec).map_err(|e| {
            ControlError::Code(ErrorCode::Refused(match e {
                CaptureError::NotFound { name, available } => RefusalCode::LiveInputMissing {
                    input: name,
                    available,
                },
                CaptureError::Open { name, detail } => RefusalCode::LiveInputUnavailable {
                    input: name,
                    detail,
                },
            }))
        })?;
        let now = self.station.clock.now();
        let title = request
            .title
            .clone()
            .filter(|t| !t.trim().is_empty())
            .unwrap_or_else(|| DEFAULT_TITLE.to_string());
        let max_ms = u64::try_from(config.live.max_duration.as_millis()).unwrap_or(u64::MAX);
        let item = OnAirItem {
            item: PlannedItem {
                segment: crate::program::live_segment(&title, max_ms, request.priority),
                origin: Origin::Live {
                    by: request.by.clone(),
                },
            },
            ctx: ProgramContext {
                program: LIVE_PROGRAM.into(),
                trigger: Trigger::Manual,
                scheduled_at: now,
                priority: request.priority,
            },
        };
        let stem = format!("live-{}", self.station.local(now).format("%Y%m%d-%H%M%S"));
        tracing::info!(input = %handle.input(), by = %request.by, priority = %request.priority, "live broadcast asked for");
        *self.live() = Some(LiveOn {
            handle,
            request,
            requested_at: now,
            stem,
            on_air: false,
        });
        self.publish_live();
        Ok(item)
    }

    pub(super) fn aircheck_dir(&self) -> std::path::PathBuf {
        self.station.config.station.data_dir.join("aircheck")
    }

    /// The next part of the live airing on: its reader for the player, its part for the
    /// record. `None` when it has ended (stopped, over).
    pub(super) fn live_part(&self) -> Option<(crate::live::LiveReader, LivePart)> {
        let live = self.live();
        let live = live.as_ref()?;
        if live.handle.stopped() || live.handle.over() {
            return None;
        }
        Some(live.handle.reader(&live.stem))
    }

    /// Asks the live airing to end: on air, it fades out; waiting, it is taken back.
    /// `Ok(true)`: it was waiting (the caller takes its item out of what is to air).
    pub(super) fn stop_live(&self) -> Result<bool, ControlError> {
        let live = self.live();
        let Some(on) = live.as_ref() else {
            return Err(ControlError::Code(ErrorCode::Refused(
                RefusalCode::LiveNotOn,
            )));
        };
        on.handle.stop();
        tracing::info!("live broadcast stopped by the operator");
        Ok(!on.on_air)
    }

    /// A live part went on air.
    pub(super) fn live_started(&self) {
        if let Some(on) = self.live().as_mut() {
            on.on_air = true;
        }
        self.publish_live();
    }

    /// Fills a live part's record: its proof, and its air-check file's hash as the record's.
    pub(super) fn live_record(&self, rec: &mut AsRunRecord, part: &LivePart, by: &str) {
        let report = part.report(AIRCHECK_WAIT);
        if let Some(e) = &report.aircheck_error {
            tracing::error!(error = %e, "the live broadcast's air-check file could not be kept");
        }
        let input = self
            .live()
            .as_ref()
            .map(|on| on.handle.input().to_string())
            .unwrap_or_else(|| self.station.config.live.input.clone());
        if let Some(check) = &report.aircheck {
            rec.sha256 = check.sha256.clone();
        }
        rec.live = Some(LiveProof {
            by: by.to_string(),
            input,
            end: report.end.unwrap_or(crate::live::LiveEnd::Cut),
            underrun_ms: report.underrun_ms,
            dropped_ms: report.dropped_ms,
            delay_ms: report.target_ms,
            aircheck: report
                .aircheck
                .as_ref()
                .and_then(|c| c.path.file_name().map(|n| n.to_string_lossy().into_owned())),
            aircheck_bytes: report.aircheck.as_ref().map(|c| c.bytes),
        });
    }

    /// The live airing is over (nothing of it left to air): the input closes, old air-check
    /// files past `[live] keep_aircheck` are deleted.
    pub(super) fn end_live(&self) {
        let was = self.live().take();
        if was.is_none() {
            return;
        }
        drop(was);
        self.status.send_modify(|st| st.live = None);
        self.prune_airchecks();
    }

    /// Deletes air-check files older than `[live] keep_aircheck`.
    pub(super) fn prune_airchecks(&self) {
        let keep = self.station.config.live.keep_aircheck;
        let Ok(entries) = std::fs::read_dir(self.aircheck_dir()) else {
            return;
        };
        for entry in entries.flatten() {
            let old = entry
                .metadata()
                .and_then(|m| m.modified())
                .ok()
                .and_then(|t| t.elapsed().ok())
                .is_some_and(|age| age > keep);
            if old && let Err(e) = std::fs::remove_file(entry.path()) {
                tracing::warn!(path = %entry.path().display(), error = %e, "cannot delete an old air-check file");
            }
        }
    }

    /// Puts the live airing's state and meters into the status.
    pub(super) fn publish_live(&self) {
        let status = self.live().as_ref().map(|on| {
            let (input, output) = on.handle.levels();
            LiveStatus {
                title: on
                    .request
                    .title
                    .clone()
                    .filter(|t| !t.trim().is_empty())
                    .unwrap_or_else(|| DEFAULT_TITLE.to_string()),
                by: on.request.by.clone(),
                priority: on.request.priority,
                on_air: on.on_air,
                requested_at: on.requested_at,
                input_dbfs: input,
                output_dbfs: output,
                left_s: on.handle.ends_at().map(|end| {
                    end.saturating_duration_since(std::time::Instant::now())
                        .as_secs()
                }),
            }
        });
        self.status.send_if_modified(|st| {
            if st.live == status {
                return false;
            }
            st.live = status;
            true
        });
    }

    /// Whether a live airing is open (waiting or on air).
    pub(super) fn live_open(&self) -> bool {
        self.live().is_some()
    }
}
