//! The one planner: what a program plays when it fires, made by the same function over the
//! same data for the daemon (at each fire) and for every preview (`schedule`, the page's
//! timetable, `check`).
//!
//! Segment facts (titles, dates, approval, gain, topic, priority), the queue and the
//! rotation positions are read from the store when the plan is made; the playlist files
//! come from a [`Catalog`] refreshed just before. Nothing is kept from an earlier read, so
//! an edit reaches the next program without a reload.

use chrono::{DateTime, FixedOffset, NaiveDate, Utc};
use sha2::{Digest, Sha256};

use super::{Catalog, Station};
use crate::config::Program;
use crate::model::{Reason, Segment, SegmentId};
use crate::program::{self, MayAir, Plan, PlanInputs};
use crate::store::QueueEntry;

impl Station {
    /// Whether `seg` may air on `day`: within its validity dates, approved when approval is
    /// required, its media file present. The one rule for programs, previews, manual and
    /// emergency broadcasts.
    pub fn may_air(&self, seg: &Segment, day: NaiveDate) -> MayAir {
        if let Some(reason) = seg.not_airable_on(day) {
            return MayAir::Skip(reason);
        }
        // Id 0: a file a preview measured and the library does not hold yet (no media file).
        if seg.id != SegmentId(0) {
            let path = self.media_path(&seg.media_file);
            if !path.is_file() {
                return MayAir::Fails(Reason::MediaMissing {
                    file: path.display().to_string(),
                });
            }
        }
        MayAir::Yes
    }

    /// What `program` plays when it fires at `fire`, on station day `day`, as the station is
    /// now: `catalog` (just refreshed) gives the playlists and the files they name, the store
    /// everything else. `queue` is the queue to take from; `cursor` overrides the stored
    /// rotation position of a playlist (a preview carries positions from one program to the
    /// next). A shuffled playlist's order is drawn from the program and its fire time, so
    /// the preview shows the order that airs.
    pub fn plan_program(
        &self,
        catalog: &Catalog,
        program: &Program,
        fire: DateTime<Utc>,
        day: NaiveDate,
        queue: &[QueueEntry],
        cursor: &(dyn Fn(&str) -> Option<usize> + Sync),
    ) -> Plan {
        let mut rng = fastrand::Rng::with_seed(shuffle_seed(&program.name, fire));
        let segment = |id| self.store.segment(id).ok().flatten();
        let file = |path: &std::path::Path| catalog.file_segment(self, path);
        let may_air = |seg: &Segment, day| self.may_air(seg, day);
        let cursor = |name: &str| {
            cursor(name).unwrap_or_else(|| self.store.rotation_cursor(name).unwrap_or(0))
        };
        let inputs = PlanInputs {
            playlists: &catalog.playlists,
            queue,
            day,
            segment: &segment,
            file: &file,
            may_air: &may_air,
            cursor: &cursor,
        };
        program::plan(program, &inputs, &mut rng)
    }

    /// The next `n` times `program` fires, from now, in station time (none when it is
    /// disabled). What `check`, the API's `/programs` and the page list.
    pub fn next_fires(&self, program: &Program, n: usize) -> Vec<DateTime<FixedOffset>> {
        let mut next = Vec::new();
        let mut after = self.clock.now();
        while program.enabled && next.len() < n {
            let Some(at) = program.cron.next_after(after, self.tz()) else {
                break;
            };
            next.push(self.local(at));
            after = at;
        }
        next
    }
}

/// The seed of a program's shuffle: the same for the same program and fire time, in the
/// daemon and in every preview, on every machine.
fn shuffle_seed(program: &str, fire: DateTime<Utc>) -> u64 {
    let mut hash = Sha256::new();
    hash.update(program.as_bytes());
    hash.update(fire.timestamp_millis().to_be_bytes());
    let digest = hash.finalize();
    let mut first = [0u8; 8];
    first.copy_from_slice(&digest[..8]);
    u64::from_be_bytes(first)
}
