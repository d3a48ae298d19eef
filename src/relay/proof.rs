//! What a relay aired, as its as-run record keeps it: the URL, the stream title, relayed and
//! dropout time, every switch between the relay and the fallback with its time and reason,
//! and the source failures met. Part of the record's hash (encoding v3, `store::chain`):
//! the field order of these types is part of that encoding — add fields at the end only,
//! with a new encoding version.

use serde::{Deserialize, Serialize};

use super::SourceError;

/// Why a source stopped airing (or never did).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "code", rename_all = "snake_case")]
pub enum Fault {
    /// Name not found, connection refused or timed out, TLS failure.
    Connect { detail: String },
    /// The server answered with this status.
    Status { status: u16 },
    /// Nothing arrived for the stall time.
    Stalled,
    /// The live buffer ran dry while the source was still connected: it sent less than
    /// airs (a stall not yet timed out, a slow link).
    Underrun,
    /// The live playlist stopped advancing.
    Frozen,
    /// Digital silence for longer than allowed.
    Silence,
    /// The server ended the stream.
    Ended,
    /// What arrived cannot be decoded or relayed (`detail`: technical).
    Unreadable { detail: String },
}

impl Fault {
    /// The fault a source error stands for.
    pub fn of(e: &SourceError) -> Fault {
        match e {
            SourceError::Connect { detail, .. } => Fault::Connect {
                detail: detail.clone(),
            },
            SourceError::BadUrl { detail, .. } => Fault::Connect {
                detail: detail.clone(),
            },
            SourceError::Redirects { max, .. } => Fault::Connect {
                detail: format!("more than {max} redirects"),
            },
            SourceError::Status { status, .. } => Fault::Status { status: *status },
            SourceError::Stalled { .. } => Fault::Stalled,
            SourceError::Frozen { .. } => Fault::Frozen,
            SourceError::Unsupported { what, .. } => Fault::Unreadable {
                detail: format!("cannot relay {what}"),
            },
            SourceError::Malformed { detail, .. } => Fault::Unreadable {
                detail: detail.clone(),
            },
        }
    }
}

/// What went on air at a switch.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "to", rename_all = "snake_case")]
pub enum Air {
    /// The relay from this URL (after redirects).
    Source { url: String },
    /// The fallback playlists.
    Fallback,
    /// Silence: no source and no fallback.
    Silence,
}

/// One change of what aired, `at_ms` after the window's start.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Switch {
    pub at_ms: u64,
    #[serde(flatten)]
    pub air: Air,
    /// Why the source went off air (switches away from a source), if known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub why: Option<Fault>,
}

/// A source that failed, with the time (ms after the window's start, as a switch's; 0 for
/// a failure while connecting ahead of it) and reason: what the source thread met, aired
/// or not (a backup URL that failed while the first played is
/// not here: it was not tried).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Failure {
    pub at_ms: u64,
    pub url: String,
    pub fault: Fault,
}

/// What a relay aired: the proof its record keeps.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RelayProof {
    /// The URL whose audio aired first (after redirects); `None`: no source ever aired.
    pub url: Option<String>,
    /// The last stream title a source gave.
    pub stream_title: Option<String>,
    /// Relayed audio aired, ms.
    pub relayed_ms: u64,
    /// Fallback or silence aired instead, ms.
    pub dropout_ms: u64,
    pub switches: Vec<Switch>,
    /// Source failures met, in order (at most [`MAX_FAILURES`] kept; `failures_dropped`
    /// counts the rest).
    pub failures: Vec<Failure>,
    #[serde(default)]
    pub failures_dropped: u64,
}

/// Failures kept per relay: a source down for a whole window, retried every few seconds,
/// would otherwise fill its record.
pub const MAX_FAILURES: usize = 50;
