//! What goes over the wire: request and answer bodies that are not service-layer types
//! already. Shared by the server (`api`) and the client (`cli::client`), so both sides agree.

use chrono::{DateTime, FixedOffset, Utc};
use serde::{Deserialize, Serialize};

use crate::model::{Priority, Segment, SegmentId};

/// Every error answer: the code with its parameters (flattened: `{"code":"no_segment",
/// "id":12,…}`), and its words in the request's language.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ErrorBody {
    #[serde(flatten, default, skip_serializing_if = "Option::is_none")]
    pub code: Option<crate::words::ErrorCode>,
    pub error: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hint: Option<String>,
}

/// `GET /health`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Health {
    pub ok: bool,
    pub version: String,
    pub station: String,
}

/// `GET /station`: what the web page needs to know about the station it operates.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct StationInfo {
    pub name: String,
    pub version: String,
    /// The day this loaxa was built, `YYYY-MM-DD` (the page's footer beside the version).
    #[serde(default)]
    pub built: String,
    /// How many programs the config has switched on: none (a fresh install) and the page
    /// shows the operator the next step instead of "nothing coming up".
    #[serde(default)]
    pub programs: usize,
    /// The config file the daemon runs on: the file that next step edits.
    #[serde(default)]
    pub config_path: String,
    /// IANA name; the page shows times in it, whatever the browser's own zone.
    pub timezone: String,
    /// `[topics]`: slug → label.
    pub topics: std::collections::BTreeMap<String, String>,
    pub require_approval: bool,
    pub max_upload_bytes: u64,
    /// Whether the API asks for a token (the page then asks the operator for it once).
    pub token_required: bool,
    /// `[tts]`: the voices a text bulletin may be read with, the default first.
    #[serde(default)]
    pub voices: Vec<String>,
}

/// One uploaded file's fate (`POST /segments`).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct AddResult {
    /// The client's file name, as text only (NFC).
    pub file: String,
    /// `added` | `already_present` | `failed`
    pub status: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub segment: Option<Segment>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<ErrorBody>,
}

/// `POST /play`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PlayRequest {
    pub ids: Vec<SegmentId>,
    #[serde(default)]
    pub now: bool,
    #[serde(default)]
    pub priority: Option<Priority>,
}

/// `POST /live`.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LiveStartRequest {
    /// `normal` (waits for the item on air; the default), `priority` (cuts a normal item),
    /// `emergency` (cuts whatever airs).
    #[serde(default)]
    pub priority: Option<crate::model::Priority>,
    /// The record's title; default "Phát trực tiếp".
    #[serde(default)]
    pub title: Option<String>,
    /// Who speaks or started it.
    #[serde(default)]
    pub by: Option<String>,
}

/// `POST /emergency`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EmergencyRequest {
    pub id: SegmentId,
    /// A duration such as `2h`.
    #[serde(default)]
    pub every: Option<String>,
    /// RFC 3339, or `YYYY-MM-DD HH:MM` station time.
    #[serde(default)]
    pub until: Option<String>,
}

/// `GET /playlists`, `GET /playlists/{name}`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct PlaylistView {
    pub name: String,
    pub title: Option<String>,
    pub order: String,
    pub path: String,
    pub entries: Vec<PlaylistEntryView>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct PlaylistEntryView {
    pub line: usize,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub segment_id: Option<SegmentId>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub file: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
}

/// `GET /programs`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ProgramView {
    pub name: String,
    pub title: Option<String>,
    pub cron: String,
    pub playlists: Vec<String>,
    pub queue: bool,
    pub enabled: bool,
    pub max_duration_ms: Option<u64>,
    /// The next fire times (up to 3), station time.
    pub next: Vec<DateTime<FixedOffset>>,
}

/// What `daemon.json` in the data folder says about the running daemon.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct DaemonFile {
    pub pid: u32,
    /// Base address, e.g. `http://127.0.0.1:8757`.
    pub api: String,
    pub started_at: DateTime<Utc>,
}
