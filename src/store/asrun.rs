//! The as-run log table: append when a play starts, rewrite once when it ends.

use chrono::{DateTime, FixedOffset};

use super::keys::{be, from_be};
use super::{Result, Store, db_err, from_json, to_json};
use crate::model::AsRunRecord;

impl Store {
    /// Appends `record` under the next id (its `id` field is overwritten) and flushes.
    pub fn append_record(&self, record: &mut AsRunRecord) -> Result<u64> {
        let last = self
            .asrun
            .last()
            .map_err(db_err("reading the broadcast log"))?
            .map_or(0, |(k, _)| from_be(&k));
        record.id = last + 1;
        self.asrun
            .insert(be(record.id), to_json(record))
            .map_err(db_err("writing the broadcast log"))?;
        self.flush()?;
        Ok(record.id)
    }

    /// Rewrites an existing record (the end of a play) and flushes.
    pub fn update_record(&self, record: &AsRunRecord) -> Result<()> {
        self.asrun
            .insert(be(record.id), to_json(record))
            .map_err(db_err("updating the broadcast log"))?;
        self.flush()
    }

    pub fn record(&self, id: u64) -> Result<Option<AsRunRecord>> {
        self.asrun
            .get(be(id))
            .map_err(db_err("reading the broadcast log"))?
            .map(|v| from_json(&v, || format!("log record {id}")))
            .transpose()
    }

    /// Records whose time (start, or schedule when it never started) lies in `[from, to)`,
    /// in id order. Either bound may be open.
    pub fn records(
        &self,
        from: Option<DateTime<FixedOffset>>,
        to: Option<DateTime<FixedOffset>>,
    ) -> Result<Vec<AsRunRecord>> {
        let mut out = Vec::new();
        for kv in self.asrun.iter() {
            let (k, v) = kv.map_err(db_err("reading the broadcast log"))?;
            let rec: AsRunRecord = from_json(&v, || format!("log record {}", from_be(&k)))?;
            let at = rec.started_at.unwrap_or(rec.scheduled_at);
            if from.is_some_and(|f| at < f) || to.is_some_and(|t| at >= t) {
                continue;
            }
            out.push(rec);
        }
        Ok(out)
    }

    /// Records of plays that started and never ended (the daemon stopped while they aired).
    pub fn unfinished_records(&self) -> Result<Vec<AsRunRecord>> {
        let mut out = self.records(None, None)?;
        out.retain(|r| r.started_at.is_some() && r.ended_at.is_none());
        Ok(out)
    }
}
