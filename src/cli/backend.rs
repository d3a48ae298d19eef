//! Where a CLI command is carried out: through the running daemon's API when there is one,
//! otherwise on the station's store directly. Both give the same types, so each command has
//! one code path and one way of printing; the operator never meets a database lock.

use std::path::{Path, PathBuf};

use anyhow::{Result, anyhow, bail};
use chrono::{DateTime, FixedOffset, NaiveDate, Utc};

use super::client::Client;
use crate::api::wire::{AddResult, ApproveRequest, QueueRequest};
use crate::clock::{SharedClock, SystemClock};
use crate::config::Config;
use crate::model::{AsRunRecord, Priority, Segment, SegmentId};
use crate::service::{AddOutcome, ScheduledProgram, SegmentMeta, Station};
use crate::store::QueueEntry;

pub enum Backend {
    /// No daemon runs: the store is ours.
    Local(Station),
    /// A daemon runs and holds the store: ask it.
    Remote { client: Client, config: Config },
}

/// The daemon named in the data folder, if it answers.
pub fn find_daemon(config: &Config, token: Option<String>) -> Option<Client> {
    Client::discover(&config.station.data_dir, token)
}

impl Backend {
    /// Through the running daemon if there is one, else on the store.
    pub fn open(config: Config, token: Option<String>) -> Result<Backend> {
        if let Some(client) = find_daemon(&config, token) {
            tracing::debug!(api = client.base(), "working through the running daemon");
            return Ok(Backend::Remote { client, config });
        }
        let clock: SharedClock = std::sync::Arc::new(SystemClock);
        Ok(Backend::Local(Station::open(config, clock)?))
    }

    pub fn config(&self) -> &Config {
        match self {
            Backend::Local(st) => &st.config,
            Backend::Remote { config, .. } => config,
        }
    }

    /// `t` in station time.
    pub fn local(&self, t: DateTime<Utc>) -> DateTime<FixedOffset> {
        t.with_timezone(&self.config().station.timezone)
            .fixed_offset()
    }

    pub fn media_path(&self, media_file: &str) -> PathBuf {
        match self {
            Backend::Local(st) => st.media_path(media_file),
            Backend::Remote { config, .. } => {
                let name = Path::new(media_file)
                    .file_name()
                    .map_or_else(|| media_file.into(), PathBuf::from);
                config.station.data_dir.join("media").join(name)
            }
        }
    }

    pub fn add_segments(
        &self,
        files: &[PathBuf],
        meta: &SegmentMeta,
    ) -> Result<Vec<Result<AddOutcome>>> {
        match self {
            Backend::Local(st) => st.add_segments(files, meta),
            Backend::Remote { client, .. } => Ok(client
                .upload(files, meta)?
                .into_iter()
                .map(|(_, r)| r.and_then(outcome))
                .collect()),
        }
    }

    pub fn segments(&self, topic: Option<&str>) -> Result<Vec<Segment>> {
        match self {
            Backend::Local(st) => st.segments(topic),
            Backend::Remote { client, .. } => {
                let query: Vec<(&str, String)> = topic
                    .map(|t| ("topic", t.to_string()))
                    .into_iter()
                    .collect();
                client.get("/segments", &query)
            }
        }
    }

    pub fn segment(&self, id: SegmentId) -> Result<Segment> {
        match self {
            Backend::Local(st) => st.segment(id),
            Backend::Remote { client, .. } => client.get(&format!("/segments/{id}"), &[]),
        }
    }

    pub fn remove_segment(&self, id: SegmentId, force: bool) -> Result<Segment> {
        match self {
            Backend::Local(st) => st.remove_segment(id, force),
            Backend::Remote { client, .. } => {
                client.delete(&format!("/segments/{id}"), &[("force", force.to_string())])
            }
        }
    }

    pub fn approve_segment(&self, id: SegmentId, by: &str) -> Result<Segment> {
        match self {
            Backend::Local(st) => st.approve_segment(id, by),
            Backend::Remote { client, .. } => client.send(
                "POST",
                &format!("/segments/{id}/approve"),
                &ApproveRequest { by: by.to_string() },
            ),
        }
    }

    pub fn queue_add(
        &self,
        ids: &[SegmentId],
        program: Option<&str>,
        priority: Option<Priority>,
    ) -> Result<Vec<QueueEntry>> {
        match self {
            Backend::Local(st) => st.queue_add(ids, program, priority),
            Backend::Remote { client, .. } => client.send(
                "POST",
                "/queue",
                &QueueRequest {
                    ids: ids.to_vec(),
                    program: program.map(str::to_string),
                    priority,
                },
            ),
        }
    }

    pub fn queue(&self) -> Result<Vec<QueueEntry>> {
        match self {
            Backend::Local(st) => st.queue(),
            Backend::Remote { client, .. } => client.get("/queue", &[]),
        }
    }

    pub fn queue_remove(&self, qid: u64) -> Result<()> {
        match self {
            Backend::Local(st) => st.queue_remove(qid),
            Backend::Remote { client, .. } => client.delete(&format!("/queue/{qid}"), &[]),
        }
    }

    pub fn timetable(&self, days: u32) -> Result<Vec<ScheduledProgram>> {
        match self {
            Backend::Local(st) => st.timetable(days),
            Backend::Remote { client, .. } => {
                client.get("/schedule", &[("days", days.to_string())])
            }
        }
    }

    pub fn log(&self, from: Option<NaiveDate>, to: Option<NaiveDate>) -> Result<Vec<AsRunRecord>> {
        match self {
            Backend::Local(st) => st.log(from, to),
            Backend::Remote { client, .. } => {
                let mut query = Vec::new();
                if let Some(d) = from {
                    query.push(("from", d.to_string()));
                }
                if let Some(d) = to {
                    query.push(("to", d.to_string()));
                }
                client.get("/log", &query)
            }
        }
    }
}

fn outcome(r: AddResult) -> Result<AddOutcome> {
    match (r.status.as_str(), r.segment, r.error) {
        ("added", Some(seg), _) => Ok(AddOutcome::Added(seg)),
        ("already_present", Some(seg), _) => Ok(AddOutcome::AlreadyPresent(seg)),
        (_, _, Some(e)) => match e.hint {
            Some(hint) => bail!("{}\n  hint: {hint}", e.error),
            None => bail!("{}", e.error),
        },
        (status, _, None) => Err(anyhow!("the daemon answered `{status}` for {}", r.file)),
    }
}
