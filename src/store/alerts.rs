//! The alerts' outbox (`[alerts]`): events waiting to be POSTed to the webhooks, kept in the
//! database so none is lost across a restart or a receiver that is down for days, and how far
//! the log has been looked through for failed and missed plays.

use super::{Result, Store, db_err};

const HWM: &[u8] = b"alerts/hwm";
const SEQ: &[u8] = b"alerts/seq";
const OUT: &str = "alerts/out/";
/// The most events kept waiting: the oldest go beyond it (a receiver gone for good).
pub const MAX_WAITING: usize = 10_000;

fn out_key(seq: u64) -> Vec<u8> {
    let mut k = OUT.as_bytes().to_vec();
    k.extend_from_slice(&seq.to_be_bytes());
    k
}

fn read_u64(v: Option<sled::IVec>) -> u64 {
    v.and_then(|v| <[u8; 8]>::try_from(v.as_ref()).ok())
        .map_or(0, u64::from_be_bytes)
}

impl Store {
    /// The last log record looked through for alerts (0: none).
    pub fn alerts_hwm(&self) -> Result<u64> {
        Ok(read_u64(
            self.h()?
                .state
                .get(HWM)
                .map_err(db_err("reading the alerts position"))?,
        ))
    }

    /// Adds `events` (JSON) to the outbox and, in the same write, moves the log position to
    /// `hwm` when given.
    pub fn alerts_push(&self, events: &[Vec<u8>], hwm: Option<u64>) -> Result<()> {
        let action = "keeping alerts to send";
        let h = self.w(action)?;
        let mut seq = read_u64(h.state.get(SEQ).map_err(db_err(action))?);
        let mut batch = sled::Batch::default();
        for e in events {
            seq += 1;
            batch.insert(out_key(seq), e.as_slice());
        }
        batch.insert(SEQ, &seq.to_be_bytes());
        if let Some(hwm) = hwm {
            batch.insert(HWM, &hwm.to_be_bytes());
        }
        h.state
            .apply_batch(batch)
            .map_err(|e| self.failed(action, e))?;
        // Beyond the limit, the oldest go.
        let waiting = h.state.scan_prefix(OUT).count();
        if waiting > MAX_WAITING {
            let old: Vec<sled::IVec> = h
                .state
                .scan_prefix(OUT)
                .keys()
                .take(waiting - MAX_WAITING)
                .filter_map(std::result::Result::ok)
                .collect();
            for k in old {
                h.state.remove(k).map_err(|e| self.failed(action, e))?;
            }
        }
        self.flush_with(&h, action)
    }

    /// The events waiting, oldest first: (sequence number, JSON).
    pub fn alerts_waiting(&self) -> Result<Vec<(u64, Vec<u8>)>> {
        let h = self.h()?;
        h.state
            .scan_prefix(OUT)
            .map(|kv| {
                let (k, v) = kv.map_err(db_err("reading alerts to send"))?;
                let seq = <[u8; 8]>::try_from(&k[OUT.len()..]).map_or(0, u64::from_be_bytes);
                Ok((seq, v.to_vec()))
            })
            .collect()
    }

    /// Rewrites a waiting event (`Some`: what is still to do) or removes it (`None`: sent).
    pub fn alert_update(&self, seq: u64, event: Option<&[u8]>) -> Result<()> {
        let action = "updating an alert";
        let h = self.w(action)?;
        let r = match event {
            Some(e) => h.state.insert(out_key(seq), e).map(drop),
            None => h.state.remove(out_key(seq)).map(drop),
        };
        r.map_err(|e| self.failed(action, e))?;
        self.flush_with(&h, action)
    }
}
