//! The real daemon in-process on a simulated clock, with its control handle: start it, move
//! simulated time to a station time, stop it and read the log.

#![allow(dead_code)]

use chrono::{DateTime, FixedOffset, Utc};
use loaxa::daemon::control::DaemonHandle;
use loaxa::daemon::{self, Shutdown, ShutdownSender};
use loaxa::model::{AsRunRecord, OutputSpec};
use loaxa::service::Station;
use loaxa::store::Store;

pub struct Running {
    pub handle: DaemonHandle,
    tx: ShutdownSender,
    task: tokio::task::JoinHandle<anyhow::Result<()>>,
    store: std::sync::Arc<Store>,
}

impl Running {
    pub fn start(station: Station) -> Running {
        Self::start_with_output(station, None)
    }

    /// Starts it with another output than the config's (`raw:/dev/full`: a dead device).
    pub fn start_with_output(station: Station, output: Option<OutputSpec>) -> Running {
        let store = station.store.clone();
        let (tx, shutdown) = Shutdown::new();
        let (handle, daemon) = daemon::start(station, output, shutdown).expect("daemon starts");
        let task = tokio::spawn(daemon);
        Running {
            handle,
            tx,
            task,
            store,
        }
    }

    /// Starts it on a player made by the test (e.g. [`loaxa::player::Player::with_faults`]).
    pub fn start_with_player(station: Station, player: loaxa::player::Player) -> Running {
        Self::start_notifying(station, player, daemon::Notifier::default())
    }

    /// Like [`Self::start_with_player`], telling `notifier` (systemd) how it is doing.
    pub fn start_notifying(
        station: Station,
        player: loaxa::player::Player,
        notifier: daemon::Notifier,
    ) -> Running {
        let store = station.store.clone();
        let (tx, shutdown) = Shutdown::new();
        let (handle, daemon) =
            daemon::start_with(station, player, shutdown, notifier).expect("daemon starts");
        let task = tokio::spawn(daemon);
        Running {
            handle,
            tx,
            task,
            store,
        }
    }

    /// Sleeps (simulated time) until the station clock reads `at`.
    pub async fn until(&self, at: DateTime<FixedOffset>) {
        let left = (at.with_timezone(&Utc) - self.now())
            .to_std()
            .unwrap_or_default();
        tokio::time::sleep(left).await;
    }

    pub fn now(&self) -> DateTime<Utc> {
        self.handle.station().clock.now()
    }

    /// Kills the daemon like a power cut: no clean shutdown, nothing more is written.
    pub async fn crash(self) -> Vec<AsRunRecord> {
        self.task.abort();
        let _ = self.task.await;
        self.store.records(None, None).expect("records")
    }

    pub async fn stop(self) -> Vec<AsRunRecord> {
        self.tx.send(true).expect("daemon listening");
        self.task.await.expect("no panic").expect("clean exit");
        self.store.records(None, None).expect("records")
    }
}

/// Waits in real time until `done`, at most a minute. Simulated time stands still meanwhile
/// (tokio does not advance a paused clock while blocking work runs), so what the daemon does
/// "at once" is seen at once.
pub async fn settle(what: &str, mut done: impl FnMut() -> bool) {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    while !done() {
        assert!(
            std::time::Instant::now() < deadline,
            "timed out waiting for {what}"
        );
        tokio::task::spawn_blocking(|| std::thread::sleep(std::time::Duration::from_millis(20)))
            .await
            .expect("sleep");
    }
}
