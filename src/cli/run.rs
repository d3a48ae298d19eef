//! `loaxa run`: the daemon in the foreground, stopped by Ctrl-C or SIGTERM.

use std::path::Path;
use std::sync::Arc;

use anyhow::Result;

use crate::clock::{SharedClock, SystemClock};
use crate::daemon::{self, Shutdown};
use crate::model::OutputSpec;
use crate::service::Station;

#[derive(Debug, clap::Args)]
pub struct RunArgs {
    /// Override [output] device: default | DEVICE | wav:PATH | raw:PATH | null
    #[arg(long, value_name = "SPEC")]
    output: Option<OutputSpec>,
}

pub fn run(config_path: &Path, args: RunArgs) -> Result<i32> {
    let config = super::load_config(config_path)?;
    let clock: SharedClock = Arc::new(SystemClock);
    let station = Station::open(config, clock)?;
    tracing::info!(
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
        let daemon = daemon::run(station, args.output, shutdown);
        tokio::pin!(daemon);
        tokio::select! {
            result = &mut daemon => return result.map(|()| false),
            () = wait_for_signal() => {}
        }
        tracing::info!("stop requested; finishing cleanly (press Ctrl-C again to force)");
        let _ = tx.send(true);
        tokio::select! {
            result = &mut daemon => result.map(|()| false),
            () = wait_for_signal() => Ok(true),
        }
    })?;
    if forced {
        tracing::warn!("second stop request: exited without finishing");
        return Ok(130);
    }
    tracing::info!("loaxa stopped");
    Ok(0)
}

async fn wait_for_signal() {
    use tokio::signal::unix::{SignalKind, signal};
    let term = signal(SignalKind::terminate());
    let int = signal(SignalKind::interrupt());
    match (term, int) {
        (Ok(mut term), Ok(mut int)) => {
            tokio::select! {
                _ = term.recv() => {}
                _ = int.recv() => {}
            }
        }
        _ => {
            let _ = tokio::signal::ctrl_c().await;
        }
    }
}
