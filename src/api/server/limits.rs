//! The file-descriptor budget: the daemon raises its `RLIMIT_NOFILE` soft limit to the hard
//! limit at start, and the API's connection cap is derived from what it got, so idle
//! clients can never take the descriptors the player needs for its media files, sled and
//! the sound card.
//!
//! systemd starts services with a soft limit of 1 024 (and a hard one of 524 288); a
//! program that does not use `select(2)` may raise the first to the second.

use rustix::process::{Resource, Rlimit, getrlimit, setrlimit};

/// Descriptors kept out of the API's reach: the player's media files, sled's files, the
/// sound card, logs, exports, the blocking pool's open files.
pub const RESERVED_FDS: u64 = 256;
/// Each connection may hold a second descriptor (an upload's temp file, a served media
/// file), so a connection counts twice against the budget.
pub const FDS_PER_CONNECTION: u64 = 2;
/// More concurrent connections than an operator's tools ever need.
pub const MAX_CONNECTIONS: usize = 1_024;
/// Fewer than this and the web page (a few parallel requests) would queue.
pub const MIN_CONNECTIONS: usize = 16;
/// The soft limit asked for when the hard limit is "unlimited" (Linux's default `nr_open`).
const UNLIMITED_TARGET: u64 = 1 << 20;

/// The descriptor limits at start.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FdLimits {
    /// The soft limit the process was started with.
    pub soft_before: u64,
    /// The soft limit now.
    pub soft: u64,
    /// The hard limit (`None`: unlimited).
    pub hard: Option<u64>,
}

/// Raises the `RLIMIT_NOFILE` soft limit to the hard limit; on refusal keeps the old one
/// with a warning (the cap then follows the old one).
pub fn raise_nofile() -> FdLimits {
    let before = getrlimit(Resource::Nofile);
    let soft_before = before.current.unwrap_or(UNLIMITED_TARGET);
    let target = before.maximum.unwrap_or(UNLIMITED_TARGET);
    let soft = if target > soft_before {
        let new = Rlimit {
            current: Some(target),
            maximum: before.maximum,
        };
        match setrlimit(Resource::Nofile, new) {
            Ok(()) => target,
            Err(e) => {
                tracing::warn!(error = %e, soft = soft_before, hard = target,
                    "could not raise the open-file limit; the API's connection cap follows the old one");
                soft_before
            }
        }
    } else {
        soft_before
    };
    FdLimits {
        soft_before,
        soft,
        hard: before.maximum,
    }
}

/// The soft `RLIMIT_NOFILE` limit now.
pub fn soft_nofile() -> u64 {
    getrlimit(Resource::Nofile)
        .current
        .unwrap_or(UNLIMITED_TARGET)
}

/// The most connections served at once under a soft limit of `soft` descriptors:
/// `(soft - RESERVED_FDS) / FDS_PER_CONNECTION`, within `MIN_CONNECTIONS..=MAX_CONNECTIONS`
/// (1 024 → 384; 4 096 and more → 1 024).
pub fn connection_cap(soft: u64) -> usize {
    let room = soft.saturating_sub(RESERVED_FDS) / FDS_PER_CONNECTION;
    usize::try_from(room)
        .unwrap_or(usize::MAX)
        .clamp(MIN_CONNECTIONS, MAX_CONNECTIONS)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_cap_leaves_room_for_the_player_under_systemds_default() {
        assert_eq!(connection_cap(1_024), 384);
        assert_eq!(connection_cap(4_096), MAX_CONNECTIONS);
        assert_eq!(connection_cap(524_288), MAX_CONNECTIONS);
        assert_eq!(connection_cap(256), MIN_CONNECTIONS);
        assert_eq!(connection_cap(0), MIN_CONNECTIONS);
        // Under the cap, connections and their files never reach the limit.
        let soft = 1_024;
        let used = connection_cap(soft) as u64 * FDS_PER_CONNECTION;
        assert!(soft - used >= RESERVED_FDS);
    }
}
