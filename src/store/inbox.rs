//! The inbox's memory (`[province] inbox`): each bulletin taken from the province, by its
//! id, with the hash of its content — so the same bulletin dropped again is recognised and
//! an id reused for other content is refused — and the bulletins quarantined, with why.
//! One sled tree, `inbox`: `b/ID` → [`InboxEntry`], `q/SEQ` → [`QuarantineEntry`], and for
//! the bulletins fetched from the province's list (`[province] inbox_url`), `p/URL` → the
//! sha256 of the sidecar last laid in the folder from that address.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::keys::be;
use super::{Result, Store, db_err, from_json, to_json};
use crate::model::{Priority, SegmentId};
use crate::words::InboxProblem;

const TAKEN: &str = "b/";
const QUARANTINED: &str = "q/";
const QUARANTINE_SEQ: &[u8] = b"inbox_quarantine_seq";
const PULLED: &str = "p/";

/// What the station did with a bulletin it took.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum InboxAction {
    /// An emergency: aired at once (with its repeats).
    AiredAtOnce,
    /// An emergency that arrived after its validity or its last repeat: kept, not aired.
    Expired,
    /// A priority bulletin: queued ahead of everything for the next program.
    Queued,
    /// Waits for the commune's approval (`require_approval`); a priority one is queued when
    /// approved.
    AwaitsApproval,
    /// A normal bulletin: in the library for the commune to schedule.
    InLibrary,
}

/// A bulletin taken from the inbox.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InboxEntry {
    /// The sender's id.
    pub id: String,
    /// sha256 of the audio file, or of the text and voice of a text bulletin.
    pub content_sha256: String,
    pub segment: SegmentId,
    pub title: String,
    pub source: String,
    pub level: Priority,
    pub action: InboxAction,
    pub received_at: DateTime<Utc>,
    /// The files it came as (sidecar first).
    pub files: Vec<String>,
}

/// A bulletin set aside in `INBOX/quarantine/`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct QuarantineEntry {
    pub seq: u64,
    pub at: DateTime<Utc>,
    /// The bulletin's id, when its sidecar gave one.
    pub id: Option<String>,
    /// The files' names as they now are in the quarantine folder (sidecar first).
    pub files: Vec<String>,
    /// The reason file beside them.
    pub reason_file: String,
    pub problem: InboxProblem,
}

fn taken_key(id: &str) -> Vec<u8> {
    [TAKEN.as_bytes(), id.as_bytes()].concat()
}

impl Store {
    /// The bulletin taken under `id`, if any.
    pub fn inbox_entry(&self, id: &str) -> Result<Option<InboxEntry>> {
        self.h()?
            .inbox
            .get(taken_key(id))
            .map_err(db_err("reading the inbox"))?
            .map(|v| from_json(&v, || format!("inbox bulletin {id}")))
            .transpose()
    }

    /// Remembers a bulletin taken (or its new action).
    pub fn inbox_put(&self, entry: &InboxEntry) -> Result<()> {
        let value = to_json(entry);
        self.write("remembering a bulletin from the province", |h| {
            h.inbox.insert(taken_key(&entry.id), value).map(drop)
        })
    }

    /// Every bulletin taken, by id.
    pub fn inbox_entries(&self) -> Result<Vec<InboxEntry>> {
        self.h()?
            .inbox
            .scan_prefix(TAKEN)
            .map(|kv| {
                let (_, v) = kv.map_err(db_err("listing the inbox"))?;
                from_json(&v, || "an inbox bulletin".to_string())
            })
            .collect()
    }

    /// Remembers a quarantined bulletin; gives it its number.
    pub fn inbox_quarantined(&self, entry: &mut QuarantineEntry) -> Result<()> {
        entry.seq = self.next_seq(QUARANTINE_SEQ)?;
        let key = [QUARANTINED.as_bytes(), &be(entry.seq)].concat();
        let value = to_json(&*entry);
        self.write("remembering a quarantined bulletin", |h| {
            h.inbox.insert(key, value).map(drop)
        })
    }

    /// The quarantined bulletins, oldest first.
    pub fn inbox_quarantine(&self) -> Result<Vec<QuarantineEntry>> {
        self.h()?
            .inbox
            .scan_prefix(QUARANTINED)
            .map(|kv| {
                let (_, v) = kv.map_err(db_err("listing the inbox's quarantine"))?;
                from_json(&v, || "a quarantined bulletin".to_string())
            })
            .collect()
    }

    /// The sha256 of the sidecar last fetched from `url` into the inbox, if any.
    pub fn inbox_pulled(&self, url: &str) -> Result<Option<String>> {
        self.h()?
            .inbox
            .get([PULLED.as_bytes(), url.as_bytes()].concat())
            .map_err(db_err("reading the inbox"))?
            .map(|v| from_json(&v, || format!("the bulletin fetched from {url}")))
            .transpose()
    }

    /// Remembers that the sidecar at `url` with hash `sha256` was laid in the inbox.
    pub fn inbox_note_pulled(&self, url: &str, sha256: &str) -> Result<()> {
        let key = [PULLED.as_bytes(), url.as_bytes()].concat();
        let value = to_json(&sha256);
        self.write("remembering a bulletin fetched from the province", |h| {
            h.inbox.insert(key, value).map(drop)
        })
    }
}
