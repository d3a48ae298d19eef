//! The daemon: sleep until the next program fires, air it, record everything, repeat.
//!
//! There is no polling: the loop sleeps until the next fire time (re-reading the wall clock
//! at least every 15 minutes, see [`crate::clock`]), or until shutdown. Fires that come due
//! while another program is on air play right after it (late, and the record shows by how
//! much); a program due again while its previous run is still on air is logged as skipped.

mod air;

use std::collections::VecDeque;
use std::sync::Arc;

use anyhow::Result;
use chrono::{DateTime, Utc};
use tokio::sync::watch;

use crate::asrun::{ProgramContext, Recorder};
use crate::clock::sleep_until;
use crate::model::{OutputSpec, Trigger};
use crate::player::{OutputFormat, Player};
use crate::schedule::{self, Fire};
use crate::service::{Catalog, Station, catalog::Import};

/// Tells the daemon to stop: send `true`.
pub type ShutdownSender = watch::Sender<bool>;

/// The receiving side: cheap to clone, `wait()` resolves once shutdown was asked.
#[derive(Debug, Clone)]
pub struct Shutdown(watch::Receiver<bool>);

impl Shutdown {
    pub fn new() -> (ShutdownSender, Shutdown) {
        let (tx, rx) = watch::channel(false);
        (tx, Shutdown(rx))
    }

    pub fn requested(&self) -> bool {
        *self.0.borrow()
    }

    pub async fn wait(&mut self) {
        while !*self.0.borrow_and_update() {
            if self.0.changed().await.is_err() {
                // Sender gone without asking: never resolve.
                std::future::pending::<()>().await;
            }
        }
    }
}

/// Runs the daemon until `shutdown`. Public so tests can run the real daemon in-process.
pub async fn run(station: Station, output: Option<OutputSpec>, shutdown: Shutdown) -> Result<()> {
    let station = Arc::new(station);
    let spec = output.unwrap_or_else(|| station.config.output.device.clone());
    let format = OutputFormat {
        sample_rate: station.config.output.sample_rate,
        channels: station.config.output.channels,
        fade: station.config.output.fade,
    };
    let player = Player::new(spec, format, station.clock.clone())?;
    let recorder = Recorder::new(
        station.store.clone(),
        station.clock.clone(),
        station.tz(),
        player.describe(),
    );
    let closed = recorder.close_unfinished()?;
    if closed > 0 {
        tracing::warn!(
            records = closed,
            "closed plays left on air by an unexpected stop"
        );
    }
    let catalog = Catalog::load(&station, Import::Yes);
    for d in &catalog.diagnostics {
        tracing::warn!("{d}");
    }
    let mut daemon = Daemon {
        station,
        catalog,
        player,
        recorder,
        rng: fastrand::Rng::new(),
        shutdown,
    };
    daemon.main_loop().await
}

struct Daemon {
    station: Arc<Station>,
    catalog: Catalog,
    player: Player,
    recorder: Recorder,
    rng: fastrand::Rng,
    shutdown: Shutdown,
}

impl Daemon {
    fn rules(&self) -> Vec<(usize, &schedule::CronRule)> {
        self.station
            .config
            .programs
            .iter()
            .enumerate()
            .filter(|(_, p)| p.enabled)
            .map(|(i, p)| (i, &p.cron))
            .collect()
    }

    /// Fires in `(from, to]`, mapped back to indices in `config.programs`.
    fn fires_between(&self, from: DateTime<Utc>, to: DateTime<Utc>) -> Vec<Fire> {
        let rules = self.rules();
        let crons: Vec<_> = rules.iter().map(|(_, r)| *r).collect();
        schedule::fires_between(&crons, self.station.tz(), from, to)
            .into_iter()
            .map(|f| Fire {
                at: f.at,
                program: rules[f.program].0,
            })
            .collect()
    }

    fn next_fire(&self, after: DateTime<Utc>) -> Option<Fire> {
        let rules = self.rules();
        let crons: Vec<_> = rules.iter().map(|(_, r)| *r).collect();
        schedule::next_fire(&crons, self.station.tz(), after).map(|f| Fire {
            at: f.at,
            program: rules[f.program].0,
        })
    }

    async fn main_loop(&mut self) -> Result<()> {
        let clock = self.station.clock.clone();
        let mut last = clock.now();
        loop {
            let Some(next) = self.next_fire(last) else {
                tracing::warn!("no enabled program has a future fire time; waiting for shutdown");
                self.shutdown.wait().await;
                return Ok(());
            };
            let name = &self.station.config.programs[next.program].name;
            tracing::info!(
                program = %name,
                at = %self.station.local(next.at).format("%Y-%m-%d %H:%M:%S %:z"),
                "next program"
            );
            tokio::select! {
                () = sleep_until(clock.as_ref(), next.at) => {}
                () = self.shutdown.wait() => return Ok(()),
            }
            let now = clock.now();
            let mut pending: VecDeque<Fire> = self.fires_between(last, now).into();
            last = now;
            // Each program's latest run in this batch: (fired at, ended at).
            let mut runs: Vec<(usize, DateTime<Utc>)> = Vec::new();
            while let Some(fire) = pending.pop_front() {
                let ctx = ProgramContext {
                    program: self.station.config.programs[fire.program].name.clone(),
                    trigger: Trigger::Schedule,
                    scheduled_at: fire.at,
                };
                let overlapping = runs
                    .iter()
                    .any(|&(p, ended)| p == fire.program && fire.at < ended);
                if overlapping {
                    tracing::warn!(program = %ctx.program, "due again while its previous run was on air; skipped");
                    if let Err(e) = self
                        .recorder
                        .program_skipped(&ctx, "previous run of this program was still on air")
                        .map(drop)
                    {
                        tracing::error!(error = %e, "could not write the broadcast log");
                    }
                    continue;
                }
                let stop = self.air(fire.program, ctx).await;
                runs.push((fire.program, clock.now()));
                if stop {
                    return Ok(());
                }
                let now = clock.now();
                pending.extend(self.fires_between(last, now));
                last = now;
            }
        }
    }
}
