//! The disk under the data folder (`[station] data_dir`): when it has less free space than
//! `[station] disk_warn_mb`, the status warns ([`Warning::DiskLow`]), and with it the page,
//! `loaxa now` and the alerts, while the log can still be written; the warning goes when
//! space is back.
//!
//! Free space is measured (one `statvfs`) when it may have changed: at start, when a log
//! record is written, when a session on air ends, after a reload (the threshold may have
//! changed), and after each change through the API (an upload or other import, an edit, a
//! deletion). Never on a timer: an idle station stays asleep; what fills its disk meanwhile
//! is seen at the next of these, at the latest the first record of the next program.

use std::path::Path;

use tokio::sync::watch;

use super::control::{DaemonHandle, Status};
use crate::model::Warning;
use crate::service::Station;

/// `disk_warn_mb` counts MB of 1 048 576 bytes (as `max_upload_mb` does).
const MB: u64 = 1 << 20;

/// The warning for `free` bytes left on the disk holding `path`, warned below `warn_mb`
/// MB (0: never); `None` when there is enough.
fn judge(path: &Path, free: u64, warn_mb: u64) -> Option<Warning> {
    (free < warn_mb.saturating_mul(MB)).then(|| Warning::DiskLow {
        path: path.display().to_string(),
        free_mb: free / MB,
        warn_mb,
    })
}

/// Measures the disk under the station's data folder and puts its warning in the status,
/// or takes it out. Watchers of the status hear of it only when it changed. When free
/// space cannot be told, the status stays as it is.
pub(super) fn refresh(station: &Station, status: &watch::Sender<Status>) {
    let dir = &station.config.station.data_dir;
    let Some(free) = crate::store::free_bytes(dir) else {
        tracing::debug!(dir = %dir.display(), "cannot tell the free disk space");
        return;
    };
    let warning = judge(dir, free, station.config.station.disk_warn_mb);
    status.send_if_modified(|s| {
        let is_low = |w: &Warning| matches!(w, Warning::DiskLow { .. });
        let before = s.warnings.iter().find(|w| is_low(w));
        if before == warning.as_ref() {
            return false;
        }
        match (&warning, before) {
            (Some(Warning::DiskLow { free_mb, .. }), None) => tracing::warn!(
                dir = %dir.display(),
                free_mb,
                warn_mb = station.config.station.disk_warn_mb,
                "the disk holding the data folder is nearly full"
            ),
            (None, Some(_)) => {
                tracing::info!(dir = %dir.display(), free_mb = free / MB, "disk space is back")
            }
            _ => {}
        }
        s.warnings.retain(|w| !is_low(w));
        s.warnings.extend(warning);
        true
    });
}

/// Measures again each time a log record is written or the API changed something
/// ([`DaemonHandle::disk_written`]), on the station the daemon runs now. Runs beside the
/// daemon and ends with it.
pub(super) async fn follow(handle: DaemonHandle, status: watch::Sender<Status>) {
    let poked = handle.disk.clone();
    let mut log = handle.station().store.watch_log();
    loop {
        tokio::select! {
            changed = log.changed() => if changed.is_err() { return },
            () = poked.notified() => {}
            // A daemon whose task was dropped (a crash in the tests) never aborts this task:
            // it ends here, or it would hold the store (and its lock) for good.
            () = handle.gone() => return,
        }
        refresh(&handle.station(), &status);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn free_mb(w: Option<Warning>) -> Option<u64> {
        match w {
            Some(Warning::DiskLow { free_mb, .. }) => Some(free_mb),
            None => None,
            Some(other) => panic!("not a disk warning: {other:?}"),
        }
    }

    #[test]
    fn warns_below_the_threshold_and_not_at_it() {
        let dir = Path::new("/var/lib/loaxa");
        assert_eq!(free_mb(judge(dir, 500 * MB, 500)), None, "exactly at it");
        assert_eq!(free_mb(judge(dir, 500 * MB - 1, 500)), Some(499));
        assert_eq!(free_mb(judge(dir, 2 * MB + MB / 2, 500)), Some(2));
        assert_eq!(free_mb(judge(dir, 0, 500)), Some(0), "a full disk");
        assert_eq!(free_mb(judge(dir, 40_000 * MB, 500)), None);
    }

    #[test]
    fn the_warning_names_the_folder_and_both_figures() {
        let w = judge(Path::new("/srv/loa/data"), 312 * MB + 7, 500);
        assert_eq!(
            w,
            Some(Warning::DiskLow {
                path: "/srv/loa/data".into(),
                free_mb: 312,
                warn_mb: 500,
            })
        );
    }

    #[test]
    fn zero_turns_it_off_and_a_huge_threshold_does_not_overflow() {
        let dir = Path::new("/d");
        assert_eq!(judge(dir, 0, 0), None);
        assert_eq!(
            free_mb(judge(dir, u64::MAX - 1, u64::MAX)),
            Some((u64::MAX - 1) / MB)
        );
    }
}
