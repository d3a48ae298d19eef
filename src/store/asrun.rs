//! The as-run log table: append when a play starts, rewrite once when it ends — and only the
//! last record, so every other record is final once the next one links to it (see `chain`).

use chrono::{DateTime, FixedOffset, Utc};
use sled::Transactional;
use sled::transaction::{TransactionError, abort};

use super::chain::{self, GENESIS, link_of, record_hash};
use super::fires::fire_key;
use super::keys::{be, from_be};
use super::{Handles, Result, Store, StoreError, db_err, from_json, to_json};
use crate::model::AsRunRecord;

/// The end of the log, cached so a write costs no extra read: the last id and the
/// `prev_hash` the next record gets.
#[derive(Debug)]
pub(super) struct Head {
    pub(super) last_id: u64,
    pub(super) link: String,
    /// The database open when it was read (a reopen reads it again).
    pub(super) epoch: u64,
}

impl Head {
    /// Read from the last record on disk (at open).
    pub(super) fn load(asrun: &sled::Tree, epoch: u64) -> Result<Head> {
        match asrun.last().map_err(db_err("reading the broadcast log"))? {
            None => Ok(Head {
                last_id: 0,
                link: GENESIS.to_string(),
                epoch,
            }),
            Some((k, v)) => {
                let id = from_be(&k);
                // A damaged last record must not keep the station off the air: link to its
                // bytes; `verify_chain` reports the damage.
                let link = match from_json::<AsRunRecord>(&v, || format!("log record {id}")) {
                    Ok(rec) => link_of(&rec),
                    Err(e) => {
                        tracing::error!(error = %e, "the last broadcast log record is damaged");
                        chain::hex_sha256(&v)
                    }
                };
                Ok(Head {
                    last_id: id,
                    link,
                    epoch,
                })
            }
        }
    }
}

impl Store {
    pub(super) fn head(&self) -> std::sync::MutexGuard<'_, Head> {
        // A panic while holding the lock leaves the head as it was: still valid.
        self.head.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The head of the log in `h`'s database, read again after a reopen (what reached the
    /// disk before a write failed is what counts).
    pub(super) fn head_of(&self, h: &Handles) -> Result<std::sync::MutexGuard<'_, Head>> {
        let mut head = self.head();
        if head.epoch != h.epoch {
            *head = Head::load(&h.asrun, h.epoch)?;
        }
        Ok(head)
    }

    /// Appends `record` under the next id, linked to the last record, and flushes. Sets its
    /// `id`, `prev_hash` and `hash`.
    pub fn append_record(&self, record: &mut AsRunRecord) -> Result<u64> {
        self.append_record_for_fire(record, None)
    }

    /// Like [`Self::append_record`], and marks the fire of `program` at `at` accounted in
    /// the same atomic write: a crash leaves both or neither (see `fires`).
    pub fn append_record_for_fire(
        &self,
        record: &mut AsRunRecord,
        fire: Option<(&str, DateTime<Utc>)>,
    ) -> Result<u64> {
        let action = "writing the broadcast log";
        let h = self.w(action)?;
        let mut head = self.head_of(&h)?;
        record.id = head.last_id + 1;
        record.prev_hash = head.link.clone();
        record.hash_version = chain::HASH_VERSION;
        record.hash = record_hash(record);
        let key = be(record.id);
        let value = to_json(record);
        let mark = fire.map(|(program, at)| fire_key(program, at));
        // Never over an existing record, whatever the head says.
        (&h.asrun, &h.state)
            .transaction(|(asrun, state)| {
                if asrun.get(key)?.is_some() {
                    return abort(());
                }
                asrun.insert(&key, value.as_slice())?;
                if let Some(mark) = &mark {
                    state.insert(mark.as_slice(), &[])?;
                }
                Ok(())
            })
            .map_err(|e| match e {
                TransactionError::Abort(()) => StoreError::LogRewrite {
                    id: record.id,
                    why: "a record with this id exists already".into(),
                },
                TransactionError::Storage(source) => self.failed(action, source),
            })?;
        self.flush_with(&h, action)?;
        head.last_id = record.id;
        head.link = record.hash.clone();
        drop(head);
        self.log_written(record.id);
        Ok(record.id)
    }

    /// The id the next record will get.
    pub fn next_record_id(&self) -> u64 {
        match self.h() {
            Ok(h) => self.head_of(&h).map_or(0, |head| head.last_id) + 1,
            Err(_) => self.head().last_id + 1,
        }
    }

    /// Rewrites the last record once, when its play ends (`ended_at` still unset on disk), and
    /// flushes; its `prev_hash` stays, its `hash` is recomputed. Any other rewrite is refused:
    /// the next record's link already vouches for what is on disk.
    pub fn update_record(&self, record: &mut AsRunRecord) -> Result<()> {
        let action = "updating the broadcast log";
        let h = self.w(action)?;
        let mut head = self.head_of(&h)?;
        let refuse = |why: &str| StoreError::LogRewrite {
            id: record.id,
            why: why.to_string(),
        };
        if record.id != head.last_id {
            return Err(refuse(&format!(
                "only the last record ({}) can be rewritten",
                head.last_id
            )));
        }
        let stored = self
            .record(record.id)?
            .ok_or_else(|| refuse("it is not in the log"))?;
        if stored.ended_at.is_some() {
            return Err(refuse("its end is written already"));
        }
        record.prev_hash = if stored.hash.is_empty() {
            // Written before the chain existed: it joins the chain now.
            self.link_before(record.id)?
        } else {
            stored.prev_hash
        };
        record.hash_version = chain::HASH_VERSION;
        record.hash = record_hash(record);
        h.asrun
            .insert(be(record.id), to_json(record))
            .map_err(|e| self.failed(action, e))?;
        self.flush_with(&h, action)?;
        head.link = record.hash.clone();
        drop(head);
        self.log_written(record.id);
        Ok(())
    }

    /// The `prev_hash` record `id` should carry.
    fn link_before(&self, id: u64) -> Result<String> {
        Ok(match self.record(id - 1)? {
            Some(prev) => link_of(&prev),
            None => GENESIS.to_string(),
        })
    }

    pub fn record(&self, id: u64) -> Result<Option<AsRunRecord>> {
        self.h()?
            .asrun
            .get(be(id))
            .map_err(db_err("reading the broadcast log"))?
            .map(|v| super::iter::decode(&self.decoded, &be(id), &v))
            .transpose()
    }

    /// The last record of the log: the only one that can still be rewritten.
    pub fn last_record(&self) -> Result<Option<AsRunRecord>> {
        let h = self.h()?;
        let id = self.head_of(&h)?.last_id;
        if id == 0 {
            return Ok(None);
        }
        self.record(id)
    }

    /// Records whose time (start, or schedule when it never started) lies in `[from, to)`,
    /// in id order. Either bound may be open.
    pub fn records(
        &self,
        from: Option<DateTime<FixedOffset>>,
        to: Option<DateTime<FixedOffset>>,
    ) -> Result<Vec<AsRunRecord>> {
        let mut out = Vec::new();
        for kv in self.h()?.asrun.iter() {
            let (k, v) = kv.map_err(db_err("reading the broadcast log"))?;
            let rec = super::iter::decode(&self.decoded, &k, &v)?;
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
