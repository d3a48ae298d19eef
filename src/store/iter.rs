//! Streaming reads of the as-run log, for exports and reports that must not hold a
//! half-year (or ten years) of records in memory; the log read from its tail (the page's
//! latest records cost what they return, not the log's length); and the watch that tells
//! listeners (the API's event stream) a record was written.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc;
use std::thread::JoinHandle;

use chrono::{DateTime, FixedOffset};

use super::keys::{be, from_be};
use super::{Result, Store, StoreError, db_err, from_json};
use crate::model::AsRunRecord;

impl Store {
    /// Like [`Store::records`] (time = start, or schedule when it never started, in
    /// `[from, to)`, id order) but one record at a time. The iterator owns its handle on the
    /// table, so it may outlive `self` and move to another thread; it is not a snapshot:
    /// records appended meanwhile may or may not be seen.
    pub fn records_iter(
        &self,
        from: Option<DateTime<FixedOffset>>,
        to: Option<DateTime<FixedOffset>>,
    ) -> impl Iterator<Item = Result<AsRunRecord>> + Send + 'static {
        let (tree, failed) = match self.h() {
            Ok(h) => (Some(h.asrun.clone()), None),
            Err(e) => (None, Some(Err(e))),
        };
        let records = tree.into_iter().flat_map(|t| t.iter());
        let decoded = self.decoded.clone();
        failed.into_iter().chain(records.filter_map(move |kv| {
            let record = kv
                .map_err(db_err("reading the broadcast log"))
                .and_then(|(k, v)| decode(&decoded, &k, &v));
            match record {
                Ok(rec) => {
                    let at = rec.started_at.unwrap_or(rec.scheduled_at);
                    let inside = from.is_none_or(|f| at >= f) && to.is_none_or(|t| at < t);
                    inside.then_some(Ok(rec))
                }
                Err(e) => Some(Err(e)),
            }
        }))
    }
}

/// Decodes the stored log record under key `k`, counting it in `decoded`.
pub(super) fn decode(decoded: &AtomicU64, k: &[u8], v: &[u8]) -> Result<AsRunRecord> {
    decoded.fetch_add(1, Ordering::Relaxed);
    from_json(v, || format!("log record {}", from_be(k)))
}

impl Store {
    /// The log newest first, one record at a time: taking the latest N reads N records,
    /// whatever the log's length (keys are big-endian ids, so sled iterates backwards from
    /// the end). Like [`Store::records_iter`], it owns its handle on the table.
    pub fn records_rev(&self) -> impl Iterator<Item = Result<AsRunRecord>> + Send + 'static {
        let (tree, failed) = match self.h() {
            Ok(h) => (Some(h.asrun.clone()), None),
            Err(e) => (None, Some(Err(e))),
        };
        let decoded = self.decoded.clone();
        let records = tree.into_iter().flat_map(|t| t.iter().rev());
        failed.into_iter().chain(records.map(move |kv| {
            kv.map_err(db_err("reading the broadcast log"))
                .and_then(|(k, v)| decode(&decoded, &k, &v))
        }))
    }

    /// How many log records this store has decoded since it was opened: what a read of
    /// the log costs, for the tests that pin a read to the records it returns.
    pub fn records_decoded(&self) -> u64 {
        self.decoded.load(Ordering::Relaxed)
    }

    /// Changes whenever a log record is appended or rewritten (its value: that record's
    /// id). A receiver waits without any timer: the idle daemon stays asleep.
    pub fn watch_log(&self) -> tokio::sync::watch::Receiver<u64> {
        self.log_changed.subscribe()
    }

    /// Tells the watchers of [`Store::watch_log`] that record `id` was written.
    pub(super) fn log_written(&self, id: u64) {
        self.log_changed.send_replace(id);
    }
}

/// One stored log record: its id (the key) and the JSON sled holds for it.
#[derive(Debug, Clone)]
pub struct RawRecord {
    pub id: u64,
    json: sled::IVec,
}

impl RawRecord {
    pub fn json(&self) -> &[u8] {
        &self.json
    }
}

/// The whole log in id order, in batches read ahead by a thread of its own (see
/// [`Store::raw_record_batches`]). Dropping it stops the thread and waits for it.
pub struct RawBatches {
    rx: Option<mpsc::Receiver<Result<Vec<RawRecord>>>>,
    reader: Option<JoinHandle<()>>,
}

/// Batches waiting between the reading thread and the consumer: with 256 records of ~600
/// bytes a batch, at most ~1 MiB read ahead.
const BATCHES_AHEAD: usize = 4;

impl Store {
    /// Reads the log's stored records on a thread of its own, `batch` at a time, while the
    /// caller decodes and writes the previous ones: an export of the whole log then takes
    /// the longer of reading and writing, not their sum. Memory stays bounded (a few batches
    /// ahead); a database error ends the stream with the id after which it happened.
    pub fn raw_record_batches(&self, batch: usize) -> Result<RawBatches> {
        let batch = batch.max(1);
        let tree = self.h()?.asrun.clone();
        let (tx, rx) = mpsc::sync_channel(BATCHES_AHEAD);
        let reader = std::thread::Builder::new()
            .name("loaxa-log-reader".into())
            .spawn(move || {
                let mut records = Vec::with_capacity(batch);
                let mut last = 0;
                for kv in tree.iter() {
                    match kv {
                        Ok((k, v)) => {
                            last = from_be(&k);
                            records.push(RawRecord { id: last, json: v });
                        }
                        Err(source) => {
                            // Nobody to tell if the consumer is gone.
                            let _ = tx.send(Err(StoreError::LogRead {
                                after: last,
                                source,
                            }));
                            return;
                        }
                    }
                    if records.len() == batch {
                        let full = std::mem::replace(&mut records, Vec::with_capacity(batch));
                        if tx.send(Ok(full)).is_err() {
                            return; // the consumer stopped
                        }
                    }
                }
                if !records.is_empty() {
                    let _ = tx.send(Ok(records));
                }
            })
            .map_err(|e| StoreError::Reader(e.to_string()))?;
        Ok(RawBatches {
            rx: Some(rx),
            reader: Some(reader),
        })
    }
}

impl Iterator for RawBatches {
    type Item = Result<Vec<RawRecord>>;

    fn next(&mut self) -> Option<Self::Item> {
        let rx = self.rx.as_ref()?;
        match rx.recv() {
            Ok(item) => {
                if item.is_err() {
                    self.rx = None; // the reader sent its last message
                }
                Some(item)
            }
            // The reader is done: at the end of the log, or because it panicked.
            Err(mpsc::RecvError) => {
                self.rx = None;
                match self.reader.take().map(JoinHandle::join) {
                    Some(Err(panic)) => {
                        let why = panic
                            .downcast_ref::<&str>()
                            .map(|s| s.to_string())
                            .or_else(|| panic.downcast_ref::<String>().cloned())
                            .unwrap_or_else(|| "it panicked".into());
                        Some(Err(StoreError::Reader(why)))
                    }
                    _ => None,
                }
            }
        }
    }
}

impl Drop for RawBatches {
    fn drop(&mut self) {
        // Closing the channel first makes a reader blocked on a full channel return.
        self.rx = None;
        if let Some(reader) = self.reader.take() {
            let _ = reader.join();
        }
    }
}

impl Store {
    /// Fault injection for tests: replaces the stored bytes of log record `id` (a damaged
    /// disk, a record written by something else).
    #[doc(hidden)]
    pub fn inject_log_bytes(&self, id: u64, bytes: &[u8]) -> Result<()> {
        self.h()?
            .asrun
            .insert(be(id), bytes)
            .map_err(db_err("writing the broadcast log"))?;
        Ok(())
    }

    /// Records with ids from `first` on, in id order (the tail of the log).
    pub fn records_from(&self, first: u64) -> Result<Vec<AsRunRecord>> {
        self.records_range(first, u64::MAX)
    }

    /// Records `first..=last`, in id order.
    pub fn records_range(&self, first: u64, last: u64) -> Result<Vec<AsRunRecord>> {
        if last < first {
            return Ok(Vec::new());
        }
        self.h()?
            .asrun
            .range(be(first)..=be(last))
            .map(|kv| {
                let (k, v) = kv.map_err(db_err("reading the broadcast log"))?;
                decode(&self.decoded, &k, &v)
            })
            .collect()
    }

    /// Appends many records at once (ids assigned after the last one), flushing once at the
    /// end instead of after every record. For benchmarks and generated fixtures only: the
    /// daemon appends one record at a time, flushed, with [`Store::append_record`].
    #[doc(hidden)]
    pub fn bulk_append_records(
        &self,
        records: impl IntoIterator<Item = AsRunRecord>,
    ) -> Result<u64> {
        // Chained like any append; the head is held for the whole batch.
        let h = self.w("writing the broadcast log")?;
        let mut head = self.head_of(&h)?;
        let mut n = 0;
        let mut batch = sled::Batch::default();
        for (id, mut r) in (head.last_id + 1..).zip(records) {
            r.id = id;
            r.prev_hash = head.link.clone();
            r.hash_version = super::chain::HASH_VERSION;
            r.hash = super::chain::record_hash(&r);
            head.last_id = id;
            head.link = r.hash.clone();
            batch.insert(&super::keys::be(id), super::to_json(&r));
            n += 1;
            if n % 10_000 == 0 {
                h.asrun
                    .apply_batch(std::mem::take(&mut batch))
                    .map_err(db_err("writing the broadcast log"))?;
            }
        }
        h.asrun
            .apply_batch(batch)
            .map_err(db_err("writing the broadcast log"))?;
        self.flush_with(&h, "writing the broadcast log")?;
        self.log_written(head.last_id);
        Ok(n)
    }
}
