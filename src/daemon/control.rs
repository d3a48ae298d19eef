//! Live control of the running daemon: the handle the HTTP API (and through it the CLI)
//! uses to see what is on air and to skip, stop, play now, air an emergency, or reload.
//!
//! Commands go to the daemon over a channel and are answered once they have taken effect;
//! what is on air is published on a watch channel, so reading it never waits for the daemon.

use std::sync::{Arc, RwLock};
use std::time::Duration;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use tokio::sync::{mpsc, oneshot, watch};

use crate::model::{Priority, SegmentId, Trigger};
use crate::service::Station;

/// What is on air right now, and what comes next.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Status {
    pub on_air: Option<OnAir>,
    pub next: Option<NextProgram>,
    /// Emergency repeats still to come.
    pub emergencies: Vec<crate::store::EmergencyRepeat>,
    /// Problems the operator must see (e.g. a station clock that is obviously wrong).
    #[serde(default)]
    pub warnings: Vec<crate::model::Warning>,
    /// A live broadcast asked for: waiting or on air, with its meters.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub live: Option<super::live::LiveStatus>,
    /// The stream outputs (`[[stream]]`) and their connections.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub streams: Vec<crate::stream::StreamState>,
    /// The link to the province's database (`[province] url`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub province: Option<crate::province::LinkState>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct OnAir {
    pub program: String,
    pub trigger: Trigger,
    pub priority: Priority,
    pub segment_id: SegmentId,
    pub title: String,
    pub topic: String,
    pub started_at: DateTime<Utc>,
    pub duration_ms: u64,
    /// 0-based position of the item in its program, and the program's item count.
    pub index: usize,
    pub count: usize,
    /// A relay on air: what airs in its window now.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub relay: Option<RelayNow>,
}

/// What a relay airs now, updated about twice a second while it is on air.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RelayNow {
    /// The relay from a source, the fallback, or silence.
    #[serde(flatten)]
    pub air: crate::relay::Air,
    /// The stream title the source gives, if any.
    pub stream_title: Option<String>,
    /// The level going out over the last half second, dBFS (−120: silence).
    pub level_dbfs: f32,
    /// Relayed and dropout time so far, ms.
    pub relayed_ms: u64,
    pub dropout_ms: u64,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct NextProgram {
    pub program: String,
    pub at: DateTime<Utc>,
}

/// An emergency broadcast to repeat (storm bulletins: every 2 h on the hour, day and night).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Repeat {
    pub every: Duration,
    pub until: DateTime<Utc>,
}

/// Why a command was refused.
#[derive(Debug, Clone, thiserror::Error)]
pub enum ControlError {
    /// The segment asked for does not exist.
    #[error("{0}")]
    NotFound(String),
    /// Skip or stop with nothing on air.
    #[error("nothing is on air right now")]
    Idle,
    #[error("{0}")]
    Refused(String),
    #[error("the daemon is shutting down")]
    Gone,
    /// A refusal with its code (the words are chosen by whoever shows it).
    #[error("{0}")]
    Code(crate::words::ErrorCode),
}

pub(crate) type Reply = oneshot::Sender<Result<(), ControlError>>;

pub(crate) enum Command {
    Skip(Reply),
    Stop(Reply),
    Play {
        ids: Vec<SegmentId>,
        now: bool,
        priority: Priority,
        reply: Reply,
    },
    Emergency {
        id: SegmentId,
        repeat: Option<Repeat>,
        reply: Reply,
    },
    Reload(Reply),
    LiveStart {
        request: super::live::LiveRequest,
        reply: Reply,
    },
    LiveStop(Reply),
}

/// Cheap to clone; every clone talks to the same daemon.
#[derive(Debug, Clone)]
pub struct DaemonHandle {
    tx: mpsc::UnboundedSender<Command>,
    status: watch::Receiver<Status>,
    station: Arc<RwLock<Arc<Station>>>,
    /// Tells the daemon's disk watch to measure again (see [`Self::disk_written`]).
    pub(super) disk: Arc<tokio::sync::Notify>,
}

impl DaemonHandle {
    pub(crate) fn new(
        tx: mpsc::UnboundedSender<Command>,
        status: watch::Receiver<Status>,
        station: Arc<RwLock<Arc<Station>>>,
    ) -> Self {
        DaemonHandle {
            tx,
            status,
            station,
            disk: Arc::default(),
        }
    }

    /// Something may have taken or given back disk space (an upload, an import, a
    /// deletion): the daemon measures the data folder's disk again, soon, once however
    /// often it is told meanwhile.
    pub fn disk_written(&self) {
        self.disk.notify_one();
    }

    /// Returns once the daemon is gone (ended, or its task dropped): what runs beside it
    /// ends with it, and lets go of the station.
    pub async fn gone(&self) {
        self.tx.closed().await;
    }

    /// The station as the daemon runs it now (a reload replaces it).
    pub fn station(&self) -> Arc<Station> {
        match self.station.read() {
            Ok(s) => s.clone(),
            Err(poisoned) => poisoned.into_inner().clone(),
        }
    }

    pub fn status(&self) -> Status {
        self.status.borrow().clone()
    }

    /// Changes whenever the status is published (it may be unchanged: compare).
    pub fn watch_status(&self) -> watch::Receiver<Status> {
        self.status.clone()
    }

    async fn ask(&self, make: impl FnOnce(Reply) -> Command) -> Result<(), ControlError> {
        let (reply, answer) = oneshot::channel();
        self.tx.send(make(reply)).map_err(|_| ControlError::Gone)?;
        answer.await.map_err(|_| ControlError::Gone)?
    }

    /// Ends the current item with a short fade; the program goes on with the next one.
    pub async fn skip(&self) -> Result<(), ControlError> {
        self.ask(Command::Skip).await
    }

    /// Ends the current program (recorded as interrupted by the operator).
    pub async fn stop(&self) -> Result<(), ControlError> {
        self.ask(Command::Stop).await
    }

    /// A manual broadcast outside the schedule: after the current program, or at once with
    /// `now` (the current program is then cut).
    pub async fn play(
        &self,
        ids: Vec<SegmentId>,
        now: bool,
        priority: Priority,
    ) -> Result<(), ControlError> {
        self.ask(|reply| Command::Play {
            ids,
            now,
            priority,
            reply,
        })
        .await
    }

    /// Airs `id` immediately, interrupting whatever plays, and optionally repeats it.
    pub async fn emergency(
        &self,
        id: SegmentId,
        repeat: Option<Repeat>,
    ) -> Result<(), ControlError> {
        self.ask(|reply| Command::Emergency { id, repeat, reply })
            .await
    }

    /// Puts the station's microphone on air at the request's level (refused when a live
    /// broadcast is on already, or the input is missing or busy).
    pub async fn live_start(&self, request: super::live::LiveRequest) -> Result<(), ControlError> {
        self.ask(|reply| Command::LiveStart { request, reply })
            .await
    }

    /// Ends the live broadcast (on air: it fades out; waiting: it is taken back).
    pub async fn live_stop(&self) -> Result<(), ControlError> {
        self.ask(Command::LiveStop).await
    }

    /// Re-reads the config and playlists; a broken config is refused and the old one stays.
    pub async fn reload(&self) -> Result<(), ControlError> {
        self.ask(Command::Reload).await
    }
}
