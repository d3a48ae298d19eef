//! The daemon: sleep until the next program fires, air it, record everything, repeat.
//!
//! There is no polling: the loop sleeps until the next fire time, the next emergency repeat,
//! a command from the operator, or shutdown (re-reading the wall clock at least every 15
//! minutes, see [`crate::clock`]). Fires that come due while another program is on air play
//! right after it (late, and the record shows by how much); a program due again while its
//! previous run is still on air is logged as skipped.

mod air;
pub mod control;
mod disk;
mod emergency;
mod hooks;
mod inbox;
pub mod live;
pub mod notify;
mod province;
mod session;

use std::collections::VecDeque;
use std::sync::{Arc, RwLock};

use anyhow::Result;
use chrono::{DateTime, Utc};
use tokio::sync::{mpsc, watch};

use crate::asrun::{ProgramContext, Recorder};
use crate::clock::{StepWatch, sleep_until};
use crate::model::{OutputSpec, Priority, Reason, SegmentId, Trigger, Warning};
use crate::player::{OutputFormat, Player};
use crate::schedule;
use crate::service::{Catalog, Station, catalog::Import};
use crate::words::Say;
use control::{Command, ControlError, DaemonHandle, NextProgram, Status};
pub use live::{LiveRequest, LiveStatus};
pub use notify::Notifier;

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
    let (_handle, daemon) = start(station, output, shutdown)?;
    daemon.await
}

/// Prepares the daemon and returns a handle to steer it with the future that runs it.
pub fn start(
    station: Station,
    output: Option<OutputSpec>,
    shutdown: Shutdown,
) -> Result<(
    DaemonHandle,
    impl std::future::Future<Output = Result<()>> + Send,
)> {
    let spec = output.unwrap_or_else(|| station.config.output.device.clone());
    let format = OutputFormat {
        sample_rate: station.config.output.sample_rate,
        channels: station.config.output.channels,
        fade: station.config.output.fade,
        buffer: Some(station.config.output.buffer),
    };
    let player = Player::new(spec, format)?;
    start_with_player(station, player, shutdown)
}

/// Like [`start`], on a player made by the caller (tests: [`Player::with_faults`]).
pub fn start_with_player(
    station: Station,
    player: Player,
    shutdown: Shutdown,
) -> Result<(
    DaemonHandle,
    impl std::future::Future<Output = Result<()>> + Send,
)> {
    start_with(station, player, shutdown, Notifier::from_env())
}

/// Like [`start_with_player`], telling `notifier` (systemd) how the daemon is doing.
pub fn start_with(
    station: Station,
    player: Player,
    shutdown: Shutdown,
    notifier: Notifier,
) -> Result<(
    DaemonHandle,
    impl std::future::Future<Output = Result<()>> + Send,
)> {
    let station = Arc::new(station);
    let mut player = player;
    let mut recorder = Recorder::new(
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
    let recovery = recorder.recover_run()?;
    let catalog = Catalog::load(&station, Import::Yes);
    for d in &catalog.diagnostics {
        tracing::warn!("{d}");
    }
    session::measure_in_background(station.clone(), shutdown.clone());
    let (tx, commands) = mpsc::unbounded_channel();
    let (status, status_rx) = watch::channel(Status {
        warnings: station.store.started_on_reserve().into_iter().collect(),
        ..Status::default()
    });
    disk::refresh(&station, &status);
    let warn = status.clone();
    recorder.on_backlog(Arc::new(move |warning: Option<Warning>| {
        warn.send_modify(|s| {
            s.warnings
                .retain(|w| !matches!(w, Warning::LogWaiting { .. }));
            s.warnings.extend(warning);
        });
    }));
    let streams = start_streams(&station, &status);
    player.set_tap(streams.tap());
    recorder.set_streams(streams.clone());
    let slot = Arc::new(RwLock::new(station.clone()));
    let handle = DaemonHandle::new(tx, status_rx, slot.clone());
    let (alerts, alerting) = crate::alerts::start(handle.clone());
    let disk_watch = disk::follow(handle.clone(), status.clone());
    let province = station
        .config
        .province
        .clone()
        .map(|link| province::follow(handle.clone(), status.clone(), link));
    let inbox_watch = inbox::follow(handle.clone(), status.clone());
    let inbox_pull = inbox::pull(handle.clone(), status.clone());
    let mut daemon = Daemon {
        station,
        slot,
        catalog,
        player,
        recorder,
        shutdown,
        commands,
        status,
        manual: VecDeque::new(),
        notifier,
        early_relay: std::sync::Mutex::default(),
        live: std::sync::Mutex::default(),
        hook_runner: None,
        amp: hooks::Amp::default(),
        alerts,
    };

    if let Some(recovery) = recovery {
        tracing::warn!(
            records = recovery.recorded,
            "logged the items of the program a crash cut off"
        );
        for origin in &recovery.dealt_with {
            daemon.consume(origin);
        }
    }
    Ok((handle, async move {
        daemon.notifier.ready();
        // The alerts run beside the daemon and end with it.
        let alerting = tokio::spawn(alerting);
        let disk_watch = tokio::spawn(disk_watch);
        let province = province.map(tokio::spawn);
        let inbox_watch = tokio::spawn(inbox_watch);
        let inbox_pull = tokio::spawn(inbox_pull);
        let result = daemon.main_loop().await;
        daemon.hooks_at_exit();
        alerting.abort();
        disk_watch.abort();
        if let Some(p) = &province {
            p.abort();
        }
        inbox_watch.abort();
        inbox_pull.abort();
        daemon.notifier.stopping();
        daemon.recorder.flush_at_exit();
        result
    }))
}

/// Starts the stream outputs of the config (`[[stream]]`), their state going to the status
/// (and a lost one to its warnings, whence to the alerts).
fn start_streams(station: &Station, status: &watch::Sender<Status>) -> crate::stream::Streams {
    let specs = &station.config.streams;
    if specs.is_empty() {
        return crate::stream::Streams::default();
    }
    let status = status.clone();
    let on_change: crate::stream::OnChange =
        Arc::new(move |states: Vec<crate::stream::StreamState>| {
            status.send_modify(|st| {
                st.warnings
                    .retain(|w| !matches!(w, Warning::StreamLost { .. }));
                for s in &states {
                    if let (crate::stream::Phase::Retrying, Some(e)) = (s.phase, &s.error) {
                        st.warnings.push(Warning::StreamLost {
                            stream: s.name.clone(),
                            url: s.url.clone(),
                            fault: e.fault,
                            detail: e.detail.clone(),
                        });
                    }
                }
                st.streams = states;
            });
        });
    let streams = crate::stream::Streams::start(specs, Some(on_change.clone()));
    on_change(streams.states());
    streams
}

/// A manual broadcast waiting for the current program to end.
struct ManualRequest {
    ids: Vec<SegmentId>,
    priority: Priority,
}

struct Daemon {
    station: Arc<Station>,
    /// Where the API reads the current station (replaced on reload).
    slot: Arc<RwLock<Arc<Station>>>,
    catalog: Catalog,
    player: Player,
    recorder: Recorder,
    shutdown: Shutdown,
    commands: mpsc::UnboundedReceiver<Command>,
    status: watch::Sender<Status>,
    manual: VecDeque<ManualRequest>,
    notifier: Notifier,
    /// A relay's feed started ahead of its program's fire time (it connects and fills its
    /// prebuffer, so the first relayed sample airs on time); taken when the program airs.
    early_relay: std::sync::Mutex<Option<EarlyRelay>>,
    /// The live broadcast asked for, waiting or on air (one at a time).
    live: std::sync::Mutex<Option<live::LiveOn>>,
    /// Runs `[hooks]` (none configured: `None`).
    hook_runner: Option<crate::hooks::HookRunner>,
    amp: hooks::Amp,
    /// Tells the alerts task what only the daemon knows (a clock step).
    alerts: crate::alerts::Teller,
}

/// A relay feed started ahead of the fire `at` of `program`.
struct EarlyRelay {
    program: String,
    at: DateTime<Utc>,
    feed: crate::relay::feed::FeedReader,
}

/// A program due at `at` (by name: a reload may change the program list meanwhile).
#[derive(Debug, Clone)]
struct Due {
    at: DateTime<Utc>,
    program: String,
}

impl Daemon {
    fn crons(&self) -> Vec<(&str, &schedule::CronRule)> {
        self.station
            .config
            .programs
            .iter()
            .filter(|p| p.enabled)
            .map(|p| (p.name.as_str(), &p.cron))
            .collect()
    }

    /// Fires in `(from, to]`.
    fn due_between(&self, from: DateTime<Utc>, to: DateTime<Utc>) -> Vec<Due> {
        let rules = self.crons();
        let crons: Vec<_> = rules.iter().map(|(_, r)| *r).collect();
        schedule::fires_between(&crons, self.station.tz(), from, to)
            .into_iter()
            .map(|f| Due {
                at: f.at,
                program: rules[f.program].0.to_string(),
            })
            .collect()
    }

    fn next_due(&self, after: DateTime<Utc>) -> Option<Due> {
        let rules = self.crons();
        let crons: Vec<_> = rules.iter().map(|(_, r)| *r).collect();
        schedule::next_fire(&crons, self.station.tz(), after).map(|f| Due {
            at: f.at,
            program: rules[f.program].0.to_string(),
        })
    }

    fn publish_next(&self, next: Option<&Due>) {
        let emergencies = self.station.emergency_repeats().unwrap_or_default();
        self.notifier.status(&match next {
            Some(d) => format!(
                "idle; next: {} at {}",
                d.program,
                self.station.local(d.at).format("%Y-%m-%d %H:%M:%S")
            ),
            None => "idle; no program scheduled".to_string(),
        });
        self.status.send_modify(|s| {
            s.next = next.map(|d| NextProgram {
                program: d.program.clone(),
                at: d.at,
            });
            s.emergencies = emergencies;
        });
    }

    async fn main_loop(&mut self) -> Result<()> {
        let clock = self.station.clock.clone();
        self.check_clock_plausible();
        self.drop_bad_repeats();
        self.prune_airchecks();
        let mut last = self.reconcile().await;
        let mut watch = StepWatch::new(clock.as_ref());
        loop {
            if self.shutdown.requested() {
                return Ok(());
            }
            if let Some(req) = self.manual.pop_front() {
                if self.air_manual(req).await {
                    return Ok(());
                }
                continue;
            }
            if self.air_due_emergencies().await {
                return Ok(());
            }
            let next = self.next_due(last);
            let next_emergency = self.next_emergency_at();
            self.publish_next(next.as_ref());
            // A program is handed to a sound device a moment before its fire time and
            // starts on it to the frame (`Player::start_at`).
            let pre_roll = self.pre_roll();
            let handover = next.as_ref().map(|d| d.at - pre_roll);
            // A relay connects ahead of its fire time.
            let relay_at = next.as_ref().and_then(|d| self.start_relay_early(d));
            // The amplifier goes on ahead of it, and off a while after the last.
            let hook_at = self.hooks_due(next.as_ref());
            let wake = [handover, next_emergency, relay_at, hook_at]
                .into_iter()
                .flatten()
                .min();
            if let Some(d) = &next
                && handover == wake
            {
                tracing::info!(
                    program = %d.program,
                    at = %self.station.local(d.at).format("%Y-%m-%d %H:%M:%S %:z"),
                    "next program"
                );
            }
            // A sound device is opened a moment before a program's fire time, so the
            // program's first sample goes out on time (not after the device's open).
            let warm_at = next
                .as_ref()
                .filter(|_| handover == wake)
                .map(|d| d.at - WARM_UP_AHEAD);
            let mut shutdown = self.shutdown.clone();
            tokio::select! {
                () = idle_warming(clock.as_ref(), wake, warm_at, &self.player, &self.notifier) => {}
                () = shutdown.wait() => {
                    // Idle: every fire up to now has been dealt with.
                    self.log(self.station.store.set_checked_until(clock.now()));
                    return Ok(());
                }
                command = self.commands.recv() => {
                    if let Some(command) = command
                        && self.idle_command(command).await
                    {
                        return Ok(());
                    }
                    continue;
                }
            }
            if let Some(step) = watch.check(clock.as_ref()) {
                last = self.clock_stepped(step, last);
                continue;
            }
            if next.as_ref().is_none_or(|d| d.at > clock.now() + pre_roll) {
                continue; // woke for an emergency repeat (or a clock re-read)
            }
            // Fires up to `pre_roll` ahead are due: they are handed over now.
            let now = clock.now() + pre_roll;
            let mut pending: VecDeque<Due> = self.due_between(last, now).into();
            last = now;
            // The position is saved once the batch is done: until then each fire is marked
            // as it is dealt with, so a crash leaves the rest to be found as missed.
            // Each program's latest run in this batch: (name, ended at).
            let mut runs: Vec<(String, DateTime<Utc>)> = Vec::new();
            while let Some(due) = pending.pop_front() {
                let ctx = ProgramContext {
                    program: due.program.clone(),
                    trigger: Trigger::Schedule,
                    scheduled_at: due.at,
                    priority: Priority::Normal,
                };
                let overlapping = runs
                    .iter()
                    .any(|(p, ended)| *p == due.program && due.at < *ended);
                if overlapping {
                    tracing::warn!(program = %ctx.program, "due again while its previous run was on air; skipped");
                    self.log(
                        self.recorder
                            .program_skipped(&ctx, &Reason::PreviousRunOnAir),
                    );
                    continue;
                }
                if self.already_accounted(&due) {
                    // The clock was set back over a fire time that already aired (or was
                    // logged): it has its records; a run is aired and logged once.
                    tracing::warn!(program = %due.program, "fire time already dealt with before the clock was set back; not aired again");
                    continue;
                }
                // `air` marks the fire in the same write as the run's journal.
                let stop = self.air(ctx).await;
                runs.push((due.program, clock.now()));
                if stop {
                    // Fires that came due meanwhile will not air: account for them now.
                    for due in pending
                        .into_iter()
                        .chain(self.due_between(last, clock.now()))
                    {
                        self.log_missed(&due, &Reason::ShutDownBeforeAir);
                    }
                    self.log(self.station.store.set_checked_until(clock.now()));
                    return Ok(());
                }
                match watch.check(clock.as_ref()) {
                    Some(step) => last = self.clock_stepped(step, last),
                    None => {
                        let now = clock.now() + pre_roll;
                        pending.extend(self.due_between(last, now));
                        last = now;
                    }
                }
            }
            self.log(self.station.store.set_checked_until(last));
        }
    }

    /// The wall clock stepped (NTP, a manual change, a CMOS reset) by `step` while the
    /// daemon watched: the schedule is re-planned from the new time. Fire times jumped over
    /// were never due in real time: they are not aired in a burst (nor waited for, after a
    /// step back). Returns the new planning position.
    fn clock_stepped(&mut self, step: chrono::Duration, last: DateTime<Utc>) -> DateTime<Utc> {
        let now = self.station.clock.now();
        let skipped = if step > chrono::Duration::zero() {
            self.due_between(last, now).len()
        } else {
            0
        };
        tracing::warn!(
            step_s = step.num_seconds(),
            now = %self.station.local(now).format("%Y-%m-%d %H:%M:%S %:z"),
            skipped_fire_times = skipped,
            "the station clock was changed; planning again from the new time"
        );
        self.check_clock_plausible();
        let _ = self.alerts.send(crate::alerts::Told::ClockStepped {
            step_s: step.num_seconds(),
        });
        self.log(self.station.store.set_checked_until(now));
        now
    }

    /// A clock before this version was made has been reset: say so loudly, in the log and
    /// in the status the operator sees.
    fn check_clock_plausible(&self) {
        let now = self.station.clock.now();
        let warning = crate::clock::implausible(now).then(|| Warning::ClockImplausible {
            reads: self.station.local(now).format("%Y-%m-%d %H:%M").to_string(),
        });
        if let Some(w) = &warning {
            tracing::error!("{}", w.say(crate::words::Lang::En));
        }
        self.status.send_modify(|s| {
            s.warnings
                .retain(|w| !matches!(w, Warning::ClockImplausible { .. }));
            s.warnings.extend(warning);
        });
    }

    /// At start: fire times that passed while the daemon was down are logged as missed
    /// (once, however often it restarts), or aired late when the program's `catch_up`
    /// window allows. Returns the instant up to which the schedule is now accounted for.
    async fn reconcile(&mut self) -> DateTime<Utc> {
        let clock = self.station.clock.clone();
        let now = clock.now();
        let since = match self.station.store.checked_until() {
            Ok(Some(t)) if t < now => t,
            Ok(_) => {
                self.log(self.station.store.set_checked_until(now));
                return now;
            }
            Err(e) => {
                tracing::error!(error = %e, "cannot read how far the schedule was accounted for");
                return now;
            }
        };
        let mut due = self.due_between(since, now);
        // Per program, only its latest fire may catch up (never a burst of replays), and
        // only if it is not the one a crash cut (it has aired, or has its records).
        let mut latest: std::collections::HashMap<String, DateTime<Utc>> = Default::default();
        for d in &due {
            latest.insert(d.program.clone(), d.at);
        }
        let store = self.station.store.clone();
        due.retain(|d| !store.fire_accounted(&d.program, d.at).unwrap_or(false));
        let mut catch_up = Vec::new();
        let back = self.station.local(now).format("%H:%M %d/%m/%Y");
        for d in &due {
            let window = self
                .station
                .config
                .program(&d.program)
                .and_then(|p| p.catch_up)
                .and_then(|w| chrono::Duration::from_std(w).ok());
            if latest.get(&d.program) == Some(&d.at) && window.is_some_and(|w| now - d.at <= w) {
                catch_up.push(d.clone());
                continue;
            }
            let reason = Reason::NotRunning {
                back: back.to_string(),
            };
            self.log_missed(d, &reason);
        }
        if !due.is_empty() {
            tracing::warn!(
                missed = due.len() - catch_up.len(),
                catch_up = catch_up.len(),
                "fire times passed while the daemon was down"
            );
        }
        for d in catch_up {
            tracing::info!(program = %d.program, late_s = (now - d.at).num_seconds(), "catching up");
            let ctx = ProgramContext {
                program: d.program.clone(),
                trigger: Trigger::CatchUp,
                scheduled_at: d.at,
                priority: Priority::Normal,
            };
            if self.air(ctx).await {
                // What did not catch up yet is found again at the next start.
                return now;
            }
        }
        self.log(self.station.store.set_checked_until(now));
        now
    }

    /// Whether the fire `due` already has its records (aired, skipped or missed).
    fn already_accounted(&self, due: &Due) -> bool {
        self.station
            .store
            .fire_accounted(&due.program, due.at)
            .unwrap_or(false)
    }

    /// Records a fire that will not air, once.
    fn log_missed(&self, due: &Due, reason: &Reason) {
        let store = &self.station.store;
        if store.fire_accounted(&due.program, due.at).unwrap_or(false) {
            return;
        }
        let ctx = ProgramContext {
            program: due.program.clone(),
            trigger: Trigger::Schedule,
            scheduled_at: due.at,
            priority: Priority::Normal,
        };
        // The record and the fire's mark are one atomic write.
        self.log(self.recorder.missed(&ctx, reason));
    }

    /// A command while nothing is on air. Returns `true` when shutdown was asked meanwhile.
    async fn idle_command(&mut self, command: Command) -> bool {
        match command {
            Command::Skip(reply) | Command::Stop(reply) => {
                let _ = reply.send(Err(ControlError::Idle));
                false
            }
            Command::Play {
                ids,
                now: _,
                priority,
                reply,
            } => match self.manual_items(&ids) {
                Ok(_) => {
                    let _ = reply.send(Ok(()));
                    self.air_manual(ManualRequest { ids, priority }).await
                }
                Err(e) => {
                    let _ = reply.send(Err(e));
                    false
                }
            },
            Command::Emergency { id, repeat, reply } => match self.emergency_item(id) {
                Ok(item) => {
                    let result = self.save_repeat(id, repeat);
                    let _ = reply.send(result);
                    self.run_session(vec![item], None, None, None).await
                }
                Err(e) => {
                    let _ = reply.send(Err(e));
                    false
                }
            },
            Command::Reload(reply) => {
                let _ = reply.send(self.reload());
                false
            }
            Command::LiveStart { request, reply } => match self.open_live(request) {
                Ok(item) => {
                    let _ = reply.send(Ok(()));
                    self.run_session(vec![item], None, None, None).await
                }
                Err(e) => {
                    let _ = reply.send(Err(e));
                    false
                }
            },
            Command::LiveStop(reply) => {
                let _ = reply.send(self.stop_live().map(drop));
                self.end_live();
                false
            }
        }
    }

    /// Re-reads the config and playlists. A config with errors is refused, the running one
    /// stays. Programs on air are not affected (they keep the station they started with).
    /// Playlist and segment edits need no reload: each program re-reads them (`air`).
    fn reload(&mut self) -> Result<(), ControlError> {
        let path = self.station.config.path.clone();
        let config = crate::config::load(&path).map_err(|e| {
            tracing::error!("reload refused, keeping the running config:\n{e}");
            ControlError::Code(crate::words::ErrorCode::Refused(
                crate::words::RefusalCode::ReloadRefused {
                    detail: e.to_string(),
                },
            ))
        })?;
        let station = Station {
            config,
            store: self.station.store.clone(),
            media: self.station.media.clone(),
            clock: self.station.clock.clone(),
        };
        self.station = Arc::new(station);
        match self.slot.write() {
            Ok(mut slot) => *slot = self.station.clone(),
            Err(poisoned) => *poisoned.into_inner() = self.station.clone(),
        }
        self.catalog = Catalog::load(&self.station, Import::Yes);
        for d in &self.catalog.diagnostics {
            tracing::warn!("{d}");
        }
        // The threshold (or the data folder) may have changed.
        disk::refresh(&self.station, &self.status);
        tracing::info!(config = %path.display(), "config and playlists reloaded");
        Ok(())
    }

    /// Store errors must not stop the broadcast: log them loudly and go on.
    fn log<T, E: std::fmt::Display>(&self, result: Result<T, E>) {
        self.ok(result);
    }

    /// Starts the relay of `due` when its fire time is near enough (its feed then connects
    /// and fills its prebuffer before the program airs); when it is not yet, the time to
    /// wake for it. Nothing for other programs, or when it is started already.
    fn start_relay_early(&self, due: &Due) -> Option<DateTime<Utc>> {
        {
            // One started for another fire (a reload changed the programs, the fire was
            // missed) connects no longer.
            let mut early = self
                .early_relay
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner);
            if early
                .as_ref()
                .is_some_and(|e| e.program != due.program || e.at != due.at)
            {
                *early = None;
            }
        }
        let program = self.station.config.program(&due.program)?;
        if program.relay.is_empty() {
            return None;
        }
        let relay = &self.station.config.relay;
        let lead = chrono::TimeDelta::from_std(
            relay.prebuffer + relay.connect_timeout + RELAY_EARLY_SLACK,
        )
        .unwrap_or_default();
        let start_at = due.at - lead;
        let clock = self.station.clock.now();
        if clock < start_at {
            return Some(start_at);
        }
        let mut early = self
            .early_relay
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if early
            .as_ref()
            .is_some_and(|e| e.program == due.program && e.at == due.at)
        {
            return None;
        }
        let plan = self.station.plan_program(
            &self.catalog,
            program,
            due.at,
            self.station.today(),
            &self.station.store.queue().unwrap_or_default(),
            &|_| None,
        );
        let relay_item = plan
            .items
            .iter()
            .find(|i| matches!(i.origin, crate::program::Origin::Relay { .. }))?;
        let crate::program::Origin::Relay { fallback } = &relay_item.origin else {
            return None;
        };
        tracing::info!(program = %due.program, "relay: connecting ahead of the fire time");
        let spec = self.feed_spec(&due.program, due.at, &relay_item.segment, fallback, None);
        *early = Some(EarlyRelay {
            program: due.program.clone(),
            at: due.at,
            feed: crate::relay::feed::start(spec),
        });
        None
    }

    /// The relay feed started early for `program`'s fire at `at`, if it was.
    fn take_early_relay(
        &self,
        program: &str,
        at: DateTime<Utc>,
    ) -> Option<crate::relay::feed::FeedReader> {
        let mut early = self
            .early_relay
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        match early.take() {
            Some(e) if e.program == program && e.at == at => Some(e.feed),
            other => {
                *early = other;
                None
            }
        }
    }

    /// How long before its fire time a program is handed to the player: a sound device
    /// then starts it on the fire time to the frame; a file output starts it when it is
    /// handed over, so there it is handed over on the fire time.
    fn pre_roll(&self) -> chrono::TimeDelta {
        if self.player.timed_start() {
            chrono::TimeDelta::from_std(Player::PRE_ROLL).unwrap_or_default()
        } else {
            chrono::TimeDelta::zero()
        }
    }

    /// The value, or `None` with the error logged.
    fn ok<T, E: std::fmt::Display>(&self, result: Result<T, E>) -> Option<T> {
        result
            .map_err(|e| tracing::error!(error = %e, "could not write to the station database"))
            .ok()
    }
}

/// Added to a relay's prebuffer and connect timeout: how long before its fire time it
/// starts connecting.
const RELAY_EARLY_SLACK: std::time::Duration = std::time::Duration::from_secs(1);

/// How long before a program's fire time its sound device is opened ([`Player::warm_up`]).
const WARM_UP_AHEAD: chrono::TimeDelta = chrono::TimeDelta::seconds(1);

/// Sleeps until `wake` like [`idle_until`], opening the player's sound device at `warm_at`
/// on the way.
async fn idle_warming(
    clock: &dyn crate::clock::Clock,
    wake: Option<DateTime<Utc>>,
    warm_at: Option<DateTime<Utc>>,
    player: &Player,
    notifier: &Notifier,
) {
    if let Some(at) = warm_at {
        idle_until(clock, Some(at), notifier).await;
        if clock.now() < at {
            // Woken early: the wall clock stepped back. The main loop plans again.
            return;
        }
        // Too close to the fire time, the program's own open would race the warm-up's.
        if wake.is_some_and(|w| w - clock.now() > WARM_UP_AHEAD / 5) {
            player.warm_up();
        }
    }
    idle_until(clock, wake, notifier).await;
}

/// Sleeps until `t` (forever when `None`), telling systemd's watchdog the daemon is alive
/// when it asked to be told.
async fn idle_until(
    clock: &dyn crate::clock::Clock,
    t: Option<DateTime<Utc>>,
    notifier: &Notifier,
) {
    let wake = sleep_until_opt(clock, t);
    tokio::pin!(wake);
    loop {
        let ping = notifier.next_alive();
        tokio::select! {
            () = &mut wake => return,
            () = session::sleep_until_instant(ping) => notifier.alive(),
        }
    }
}

async fn sleep_until_opt(clock: &dyn crate::clock::Clock, t: Option<DateTime<Utc>>) {
    match t {
        Some(t) => sleep_until(clock, t).await,
        None => std::future::pending().await,
    }
}
