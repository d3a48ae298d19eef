//! Streaming reads of the as-run log, for exports and reports that must not hold a
//! half-year (or ten years) of records in memory.

use chrono::{DateTime, FixedOffset};

use super::keys::{be, from_be};
use super::{Result, Store, db_err, from_json};
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
        self.asrun.iter().filter_map(move |kv| {
            let record = kv
                .map_err(db_err("reading the broadcast log"))
                .and_then(|(k, v)| {
                    from_json::<AsRunRecord>(&v, || format!("log record {}", from_be(&k)))
                });
            match record {
                Ok(rec) => {
                    let at = rec.started_at.unwrap_or(rec.scheduled_at);
                    let inside = from.is_none_or(|f| at >= f) && to.is_none_or(|t| at < t);
                    inside.then_some(Ok(rec))
                }
                Err(e) => Some(Err(e)),
            }
        })
    }
}

impl Store {
    /// Records with ids from `first` on, in id order (the tail of the log).
    pub fn records_from(&self, first: u64) -> Result<Vec<AsRunRecord>> {
        self.asrun
            .range(be(first)..)
            .map(|kv| {
                let (k, v) = kv.map_err(db_err("reading the broadcast log"))?;
                from_json(&v, || format!("log record {}", from_be(&k)))
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
        let mut head = self.head();
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
                self.asrun
                    .apply_batch(std::mem::take(&mut batch))
                    .map_err(db_err("writing the broadcast log"))?;
            }
        }
        self.asrun
            .apply_batch(batch)
            .map_err(db_err("writing the broadcast log"))?;
        self.flush()?;
        Ok(n)
    }
}
