//! Airing one program: plan it, log what cannot air, play the rest, record every item.

use std::collections::HashMap;

use crate::asrun::ProgramContext;
use crate::clock::sleep_until;
use crate::model::{AsRunRecord, Outcome};
use crate::player::{ItemEnd, PlayerEvent};
use crate::program::{self, Origin, PlanInputs, PlannedItem};

use super::Daemon;

impl Daemon {
    /// Airs program `index`. Returns `true` when shutdown was asked meanwhile.
    pub(super) async fn air(&mut self, index: usize, ctx: ProgramContext) -> bool {
        let station = self.station.clone();
        let program = &station.config.programs[index];
        let queue = station.store.queue().unwrap_or_else(|e| {
            tracing::error!(error = %e, "cannot read the queue; airing without it");
            Vec::new()
        });
        let store = station.store.clone();
        let segment = move |id| store.segment(id).ok().flatten();
        let store = station.store.clone();
        let cursor = move |name: &str| store.rotation_cursor(name).unwrap_or(0);
        let inputs = PlanInputs {
            catalog: &self.catalog,
            queue: &queue,
            day: station.today(),
            segment: &segment,
            cursor: &cursor,
        };
        let plan = program::plan(program, &inputs, &mut self.rng);
        tracing::info!(
            program = %ctx.program,
            items = plan.items.len(),
            not_aired = plan.not_aired.len(),
            deferred = plan.deferred.len(),
            "program starts"
        );
        for item in &plan.not_aired {
            self.log(self.recorder.not_aired(&ctx, item));
            if let Origin::Queue { qid } = item.origin {
                // Expired or vanished: it will never air, so it leaves the queue.
                self.log(station.store.queue_remove(qid));
            }
        }
        if plan.items.is_empty() {
            if plan.not_aired.is_empty() {
                self.log(self.recorder.program_skipped(&ctx, "nothing to play"));
            }
            return self.shutdown.requested();
        }
        let paths = plan
            .items
            .iter()
            .map(|i| station.media_path(&i.segment.media_file))
            .collect();
        let mut run = match self.player.start(paths) {
            Ok(run) => run,
            Err(e) => {
                let reason = format!("output failed: {e}");
                tracing::error!(program = %ctx.program, %reason);
                for item in &plan.items {
                    if let Ok(mut rec) = self.recorder.started(&ctx, item) {
                        self.log(self.recorder.ended(
                            &mut rec,
                            std::time::Duration::ZERO,
                            Outcome::Failed,
                            Some(reason.clone()),
                        ));
                    }
                }
                return self.shutdown.requested();
            }
        };
        let cutter = run.cutter();
        let deadline = program.max_duration.and_then(|d| {
            chrono::Duration::from_std(d)
                .ok()
                .map(|d| station.clock.now() + d)
        });
        let mut on_air: HashMap<usize, AsRunRecord> = HashMap::new();
        let mut cut_reason: Option<&'static str> = None;
        let mut stop = false;
        loop {
            tokio::select! {
                event = run.next_event() => match event {
                    Some(PlayerEvent::Started { index }) => {
                        if let Some(item) = plan.items.get(index) {
                            match self.recorder.started(&ctx, item) {
                                Ok(rec) => { on_air.insert(index, rec); }
                                Err(e) => tracing::error!(error = %e, "could not write the broadcast log"),
                            }
                            tracing::info!(program = %ctx.program, segment = %item.segment.id, title = %item.segment.title, "on air");
                        }
                    }
                    Some(PlayerEvent::Ended { index, played, end }) => {
                        let Some(item) = plan.items.get(index) else { continue };
                        let rec = match on_air.remove(&index) {
                            Some(rec) => Some(rec),
                            None => self.recorder.started(&ctx, item).ok(),
                        };
                        let (outcome, reason) = match end {
                            ItemEnd::Completed => (Outcome::Completed, None),
                            ItemEnd::Cut => (Outcome::Interrupted, Some(cut_reason.unwrap_or("cut").to_string())),
                            ItemEnd::Failed(why) => (Outcome::Failed, Some(why)),
                        };
                        tracing::info!(
                            program = %ctx.program,
                            title = %item.segment.title,
                            %outcome,
                            played_ms = played.as_millis() as u64,
                            reason = reason.as_deref().unwrap_or(""),
                            "ended"
                        );
                        if let Some(mut rec) = rec {
                            self.log(self.recorder.ended(&mut rec, played, outcome, reason));
                        }
                        self.after_play(item, outcome);
                    }
                    Some(PlayerEvent::Finished) | None => break,
                },
                () = sleep_until_opt(&station, deadline), if cut_reason.is_none() => {
                    tracing::info!(program = %ctx.program, "max_duration reached: cutting");
                    cut_reason = Some("max_duration reached");
                    cutter.cut();
                }
                () = self.shutdown.wait(), if cut_reason.is_none() => {
                    tracing::info!(program = %ctx.program, "shutting down: cutting the program");
                    cut_reason = Some("daemon shut down");
                    stop = true;
                    cutter.cut();
                }
            }
        }
        tracing::info!(program = %ctx.program, "program ended");
        stop || self.shutdown.requested()
    }

    /// Consumes the queue entry / advances the rotation once an item has been dealt with.
    fn after_play(&self, item: &PlannedItem, outcome: Outcome) {
        if !matches!(outcome, Outcome::Completed | Outcome::Failed) {
            return;
        }
        let store = &self.station.store;
        match &item.origin {
            Origin::Queue { qid } => self.log(store.queue_remove(*qid)),
            Origin::Playlist {
                name,
                index,
                rotate: true,
            } => self.log(store.set_rotation_cursor(name, index + 1)),
            _ => {}
        }
    }

    /// Store errors must not stop the broadcast: log them loudly and go on.
    fn log<T, E: std::fmt::Display>(&self, result: Result<T, E>) {
        if let Err(e) = result {
            tracing::error!(error = %e, "could not write to the station database");
        }
    }
}

async fn sleep_until_opt(
    station: &crate::service::Station,
    deadline: Option<chrono::DateTime<chrono::Utc>>,
) {
    match deadline {
        Some(t) => sleep_until(station.clock.as_ref(), t).await,
        None => std::future::pending().await,
    }
}
