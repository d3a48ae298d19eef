//! Adding a segment once per content hash: the check, the new id and the save in one
//! atomic write, so concurrent imports of the same bytes make exactly one segment.

use sled::Transactional;
use sled::transaction::{ConflictableTransactionResult, TransactionError};

use super::keys::{be, from_be};
use super::{Result, SEGMENT_SEQ, Store, StoreError, to_json};
use crate::model::{Segment, SegmentId};

/// What [`Store::add_segment_unique`] did.
#[derive(Debug, Clone)]
pub enum Unique {
    /// Saved under its new id.
    Added(Segment),
    /// A segment with the same bytes was there already (this one).
    Present(Segment),
}

impl Store {
    /// Adds `seg` as a new segment under a fresh id, unless a segment with the same
    /// sha256 exists: then that one is returned. Checking the hash, taking the
    /// id and saving are one atomic write, so concurrent imports of the same bytes make
    /// exactly one segment.
    pub fn add_segment_unique(&self, mut seg: Segment) -> Result<Unique> {
        let h = self.w("saving a segment")?;
        let outcome = (&h.segments, &h.by_hash, &h.state).transaction(
            |(segments, by_hash, state)| -> ConflictableTransactionResult<_, ()> {
                if let Some(id) = by_hash.get(seg.sha256.as_bytes())? {
                    return Ok(Err(SegmentId(from_be(&id))));
                }
                let id = state.get(SEGMENT_SEQ)?.map_or(0, |v| from_be(&v)) + 1;
                state.insert(SEGMENT_SEQ, &be(id))?;
                let mut new = seg.clone();
                new.id = SegmentId(id);
                segments.insert(&be(id), to_json(&new))?;
                by_hash.insert(seg.sha256.as_bytes(), &be(id))?;
                Ok(Ok(new.id))
            },
        );
        let outcome = match outcome {
            Ok(o) => o,
            Err(TransactionError::Storage(e)) => return Err(self.failed("saving a segment", e)),
            Err(TransactionError::Abort(())) => return unreachable_abort(),
        };
        match outcome {
            Ok(id) => {
                self.flush_with(&h, "saving a segment")?;
                seg.id = id;
                Ok(Unique::Added(seg))
            }
            Err(id) => match self.segment(id)? {
                Some(existing) => Ok(Unique::Present(existing)),
                None => Err(StoreError::Db {
                    action: "looking up a file hash",
                    source: sled::Error::Unsupported(format!(
                        "the hash index names segment {id}, which does not exist"
                    )),
                }),
            },
        }
    }
}

/// A transaction of [`Store::add_segment_unique`] never aborts.
fn unreachable_abort<T>() -> Result<T> {
    Err(StoreError::Db {
        action: "saving a segment",
        source: sled::Error::Unsupported("the transaction aborted".into()),
    })
}
