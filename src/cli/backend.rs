//! Where a CLI command is carried out: through the running daemon's API when there is one,
//! otherwise on the station's store directly. Both give the same types, so each command has
//! one code path and one way of printing; the operator never meets a database lock.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result, anyhow, bail};
use chrono::{DateTime, FixedOffset, NaiveDate, Utc};

use super::client::Client;
use crate::api::wire::AddResult;
use crate::clock::{SharedClock, SystemClock};
use crate::config::Config;
use crate::model::AsRunRecord;
use crate::report::{self, ExportFormat, ExportOptions};
use crate::service::ops::Op;
use crate::service::{AddOutcome, SegmentMeta, Station};

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

    /// Carries out one of the station's operations: on the store, or through the daemon
    /// (the same operation, sent as the API takes it).
    pub fn call<O: Op>(&self, op: O) -> Result<O::Output> {
        match self {
            Backend::Local(st) => op.run(st),
            Backend::Remote { client, .. } => client.call(&op),
        }
    }
}

/// A stream of log records, from the store or from the daemon.
pub type Records = Box<dyn Iterator<Item = Result<AsRunRecord>>>;

impl Backend {
    /// The log records of station days `from..=to`, one at a time (never all in memory):
    /// from the store, or as JSON Lines streamed from the daemon's export route.
    pub fn log_stream(&self, from: Option<NaiveDate>, to: Option<NaiveDate>) -> Result<Records> {
        match self {
            Backend::Local(st) => Ok(Box::new(
                report::source::records(&st.store, st.tz(), from, to).map(|r| Ok(r?)),
            )),
            Backend::Remote { client, .. } => {
                let mut query = export_query(from, to);
                query.push(("format", ExportFormat::Jsonl.to_string()));
                let answer = client.get_stream("/log/export", &query)?;
                let reader = std::io::BufReader::new(answer.into_body().into_reader());
                Ok(Box::new(std::io::BufRead::lines(reader).filter_map(|line| {
                    match line {
                        Ok(l) if l.trim().is_empty() => None,
                        Ok(l) => Some(serde_json::from_str(&l).map_err(|e| {
                            anyhow!("the daemon sent a log record this loaxa cannot read (different versions?): {e}")
                        })),
                        Err(e) => Some(Err(anyhow!("reading the log from the daemon: {e}"))),
                    }
                })))
            }
        }
    }

    /// Exports the log of `from..=to` to `dest` (through a temp file renamed into place) or,
    /// for CSV and JSON Lines, to stdout. Returns the number of records when known.
    pub fn export(
        &self,
        from: Option<NaiveDate>,
        to: Option<NaiveDate>,
        format: ExportFormat,
        opts: &ExportOptions,
        dest: Option<&Path>,
    ) -> Result<Option<u64>> {
        match self {
            Backend::Local(st) => match dest {
                Some(path) => {
                    report::export_store_to_path(&st.store, st.tz(), from, to, format, opts, path)
                        .map(Some)
                }
                None => {
                    let out = std::io::BufWriter::new(std::io::stdout().lock());
                    report::write_store_export(&st.store, st.tz(), from, to, format, opts, out)
                        .map(Some)
                }
            },
            Backend::Remote { client, .. } => {
                let mut query = export_query(from, to);
                query.push(("format", format.to_string()));
                query.push(("lang", opts.lang.to_string()));
                if opts.separator == report::Separator::Semicolon {
                    query.push(("sep", "semicolon".into()));
                }
                let answer = client.get_stream("/log/export", &query)?;
                let count = answer
                    .headers()
                    .get(crate::api::RECORDS_HEADER)
                    .and_then(|v| v.to_str().ok()?.parse().ok());
                let mut body = answer.into_body().into_reader();
                match dest {
                    Some(path) => copy_to_path(&mut body, path)?,
                    None => {
                        std::io::copy(&mut body, &mut std::io::stdout().lock())?;
                    }
                }
                Ok(count)
            }
        }
    }
}

fn export_query(from: Option<NaiveDate>, to: Option<NaiveDate>) -> Vec<(&'static str, String)> {
    let mut query = Vec::new();
    if let Some(d) = from {
        query.push(("from", d.to_string()));
    }
    if let Some(d) = to {
        query.push(("to", d.to_string()));
    }
    query
}

/// Copies a download beside `path`, then renames it into place: a broken connection never
/// leaves a half file under the final name.
fn copy_to_path(body: &mut impl std::io::Read, path: &Path) -> Result<()> {
    report::write_atomically(path, |file| Ok(std::io::copy(body, file).map(drop)?))
        .with_context(|| format!("writing {}", path.display()))
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
