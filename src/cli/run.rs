//! `loaxa run`: the daemon in the foreground with its control API, stopped by Ctrl-C or
//! SIGTERM; SIGHUP reloads the config and playlists (a broken config keeps the old one).

use std::path::Path;
use std::sync::Arc;

use anyhow::Result;
use tokio::signal::unix::{Signal, SignalKind, signal};

use crate::api;
use crate::clock::{SharedClock, SystemClock};
use crate::daemon::control::DaemonHandle;
use crate::daemon::{self, Shutdown};
use crate::model::OutputSpec;
use crate::service::Station;

// Help words: `cli/help.rs`, keyed by the subcommand path and argument id.
#[derive(Debug, clap::Args)]
pub struct RunArgs {
    #[arg(long, value_name = "SPEC")]
    output: Option<OutputSpec>,
}

pub fn run(config_path: &Path, args: RunArgs) -> Result<i32> {
    // Before anything opens a file: the API's connection cap is derived from the result.
    let fds = api::server::limits::raise_nofile();
    tracing::info!(
        soft_before = fds.soft_before,
        soft = fds.soft,
        hard = fds.hard,
        "open-file limit (RLIMIT_NOFILE)"
    );
    let config = super::load_config(config_path)?;
    let api_config = config.api.clone();
    let clock: SharedClock = Arc::new(SystemClock);
    let station = Station::open(config, clock)?;
    tracing::info!(
        version = crate::version::VERSION,
        built = crate::version::BUILD_DATE,
        station = %station.config.station.name,
        config = %config_path.display(),
        data = %station.config.station.data_dir.display(),
        "loaxa starting"
    );
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?;
    let forced = runtime.block_on(async move {
        let (tx, shutdown) = Shutdown::new();
        // Before the daemon says it is ready: a stop or reload sent right after `READY=1`
        // must find its handler (else SIGTERM and SIGHUP would kill the daemon outright,
        // and a SIGINT inherited as ignored would be lost).
        let mut stop = StopSignals::listen();
        let hangup = listen(SignalKind::hangup());
        // Bind before starting, so a taken port stops us before anything airs.
        let listener = api::bind(&api_config).await?;
        let (handle, daemon) = daemon::start(station, args.output, shutdown.clone())?;
        let server = tokio::spawn(api::serve_on(
            listener,
            handle.clone(),
            api_config,
            shutdown,
        ));
        tokio::spawn(super::console::follow(
            handle.station(),
            handle.watch_status(),
        ));
        tokio::spawn(reload_on_hangup(hangup, handle));
        tokio::pin!(daemon);
        let result = tokio::select! {
            result = &mut daemon => Some(result),
            () = stop.recv() => None,
        };
        let forced = match result {
            Some(result) => {
                let _ = tx.send(true);
                result.map(|()| false)
            }
            None => {
                tracing::info!("stop requested; finishing cleanly (press Ctrl-C again to force)");
                let _ = tx.send(true);
                tokio::select! {
                    result = &mut daemon => result.map(|()| false),
                    () = stop.recv() => Ok(true),
                }
            }
        };
        if !matches!(forced, Ok(true)) {
            match server.await {
                Ok(Err(e)) => tracing::warn!(error = format!("{e:#}"), "control API"),
                Err(e) => tracing::warn!(error = %e, "control API task"),
                Ok(Ok(())) => {}
            }
        }
        forced
    })?;
    if forced {
        tracing::warn!("second stop request: exited without finishing");
        return Ok(130);
    }
    tracing::info!("loaxa stopped");
    Ok(0)
}

/// `signal(kind)`, or `None` with a warning when it cannot be listened for.
fn listen(kind: SignalKind) -> Option<Signal> {
    signal(kind)
        .map_err(|e| tracing::warn!(error = %e, signal = ?kind, "cannot listen for a signal"))
        .ok()
}

/// SIGHUP: re-read the config and playlists, as `loaxa reload` does.
async fn reload_on_hangup(hup: Option<Signal>, handle: DaemonHandle) {
    let Some(mut hup) = hup else {
        tracing::warn!("cannot listen for SIGHUP; use `loaxa reload` instead");
        return;
    };
    while hup.recv().await.is_some() {
        match handle.reload().await {
            Ok(()) => tracing::info!("SIGHUP: config and playlists reloaded"),
            Err(e) => tracing::warn!(error = %e, "SIGHUP: reload refused; the old config stays"),
        }
    }
}

/// SIGTERM (systemd's stop) and SIGINT (Ctrl-C), listened for from creation on: a signal
/// that comes before [`Self::recv`] is first awaited is not lost.
struct StopSignals {
    term: Option<Signal>,
    int: Option<Signal>,
}

impl StopSignals {
    fn listen() -> StopSignals {
        StopSignals {
            term: listen(SignalKind::terminate()),
            int: listen(SignalKind::interrupt()),
        }
    }

    /// The next stop request (never, if neither signal can be listened for).
    async fn recv(&mut self) {
        async fn next(signal: &mut Option<Signal>) {
            let received = match signal {
                Some(s) => s.recv().await.is_some(),
                None => false,
            };
            if !received {
                std::future::pending::<()>().await;
            }
        }
        tokio::select! {
            () = next(&mut self.term) => {}
            () = next(&mut self.int) => {}
        }
    }
}
