//! One stretch of audio on air: a program (or a manual or emergency broadcast) from its
//! first sample to its last, with everything the operator can do to it meanwhile.
//!
//! Items carry keys; skipping, interrupting for an emergency, or replacing the rest with a
//! manual broadcast splice a new continuation into the same output stream, so none of them
//! reopens the sound card or leaves a gap beyond the short fade.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use crate::asrun::{JournalEntry, ProgramContext, RunJournal};
use crate::audio::playout_gain;
use crate::config::AfterEmergency;
use crate::model::{AsRunRecord, Outcome, Reason, Warning};
use crate::player::{Cutter, ItemEnd, Levels, PlayItem, PlayerEvent};
use crate::program::{NotAired, Origin, PlannedItem};

use super::control::{Command, ControlError, OnAir};
use super::{Daemon, ManualRequest, sleep_until_opt};

use tokio::time::Instant;

pub(super) async fn sleep_until_instant(t: Option<Instant>) {
    match t {
        Some(t) => tokio::time::sleep_until(t).await,
        None => std::future::pending().await,
    }
}

/// How often the status says what a relay on air airs.
const RELAY_STATUS_EVERY: Duration = Duration::from_millis(500);

/// Fade before an emergency broadcast: short, so it is on air within ~100 ms.
pub(super) const EMERGENCY_FADE: Duration = Duration::from_millis(30);

/// Measures, on a thread of its own, the segments imported before loudness was measured
/// (until then they air with their offsets only, and a warning). A thread, not a blocking
/// task: it must not hold back tokio's clock, and it stops at shutdown.
pub(super) fn measure_in_background(
    station: std::sync::Arc<crate::service::Station>,
    shutdown: super::Shutdown,
) {
    // Only when there is work: the thread holds the database while it runs.
    let waiting = station
        .store
        .segments()
        .map(|all| all.iter().any(|s| !s.level.loudness_measured))
        .unwrap_or(false);
    if !waiting {
        return;
    }
    let spawned = std::thread::Builder::new()
        .name("loaxa-measure".into())
        .spawn(
            move || match station.measure_unmeasured(|| shutdown.requested()) {
                Ok(0) => {}
                Ok(n) => tracing::info!(segments = n, "loudness measured"),
                Err(e) => {
                    tracing::warn!(error = %e, "measuring the loudness of older segments stopped")
                }
            },
        );
    if let Err(e) = spawned {
        tracing::warn!(error = %e, "cannot start the loudness measurement thread");
    }
}

/// An item with the program it airs in.
#[derive(Debug, Clone)]
pub(super) struct OnAirItem {
    pub item: PlannedItem,
    pub ctx: ProgramContext,
}

#[derive(Default)]
struct Session {
    entries: HashMap<usize, OnAirItem>,
    /// Keys in airing order, aired ones included.
    order: Vec<usize>,
    playing: Option<usize>,
    records: HashMap<usize, AsRunRecord>,
    /// Why an item that will end `Cut` was cut (skip, interruption).
    cut_reasons: HashMap<usize, Reason>,
    /// Why the whole session was cut (max_duration, stop, shutdown).
    session_cut: Option<Reason>,
    /// Why the last item to end failed, if it did: when the run stops right after, the
    /// output itself failed and the items after it cannot air either.
    failure: Option<Reason>,
    /// Relay items' feeds (key → what it aired).
    relays: HashMap<usize, crate::relay::feed::FeedHandle>,
    /// When the relay's window ends, from its first sample: an emergency that cuts into
    /// it does not move the end, the relay resumes for what is left.
    relay_end: Option<std::time::Instant>,
    /// Live items' parts (key → what its record needs).
    lives: HashMap<usize, crate::live::LivePart>,
}

impl Session {
    fn add(&mut self, item: OnAirItem) -> usize {
        let key = self.entries.len();
        self.entries.insert(key, item);
        key
    }

    /// Keys still to air after the playing one (or after the last started one).
    fn rest(&self) -> Vec<usize> {
        match self
            .playing
            .and_then(|p| self.order.iter().position(|&k| k == p))
        {
            Some(pos) => self.order[pos + 1..].to_vec(),
            None => self
                .order
                .iter()
                .copied()
                .filter(|k| !self.records.contains_key(k))
                .collect(),
        }
    }

    /// Replaces what is still to air after the playing item with `keys`; returns the keys
    /// that no longer air.
    fn continue_with(&mut self, keys: &[usize]) -> Vec<usize> {
        let rest = self.rest();
        self.order.retain(|k| !rest.contains(k));
        self.order.extend_from_slice(keys);
        rest.into_iter().filter(|k| !keys.contains(k)).collect()
    }
}

/// When the session would end had everything in it aired back to back from `began`.
fn planned_end(s: &Session, began: Instant) -> Instant {
    let planned: u64 = s
        .order
        .iter()
        .filter_map(|k| s.entries.get(k))
        .map(|e| e.item.segment.duration_ms)
        .fold(0, u64::saturating_add);
    // Lengths come from the store: a damaged one must not overflow the clock.
    began
        .checked_add(Duration::from_millis(planned))
        .unwrap_or(began)
}

impl Daemon {
    /// What the stream outputs are told of an item of `program`: its title and its zones —
    /// the segment's own, else the program's (`None` without streams).
    fn stream_tag(
        &self,
        program: &str,
        title: &str,
        zones: &[String],
    ) -> Option<Arc<crate::stream::ItemTag>> {
        if self.station.config.streams.is_empty() {
            return None;
        }
        if !zones.is_empty() {
            return Some(Arc::new(crate::stream::ItemTag {
                title: title.to_string(),
                zones: zones.to_vec(),
            }));
        }
        let zones = self
            .station
            .config
            .program(program)
            .map(|p| p.zones.clone())
            .unwrap_or_default();
        Some(Arc::new(crate::stream::ItemTag {
            title: title.to_string(),
            zones,
        }))
    }

    /// The player's items for `keys`: each file with its gain and trimmed span, so every
    /// way an item reaches the air (program, skip, emergency, manual) airs it at its level.
    /// A relay's feed is started here, ahead of its turn (it connects and buffers while
    /// what comes before it airs).
    fn paths(&self, s: &mut Session, keys: &[usize]) -> Vec<PlayItem> {
        let levels = self.station.config.audio.levels();
        let mut out = Vec::with_capacity(keys.len());
        let mut gone = Vec::new();
        for k in keys {
            let Some(e) = s.entries.get(k) else {
                continue;
            };
            let seg = &e.item.segment;
            let mut item = PlayItem {
                key: *k,
                path: self.station.media_path(&seg.media_file),
                gain: playout_gain(&levels, &seg.level_input()).factor(),
                span: seg.level.trim.map(|t| (t.start_frame, t.end_frame)),
                measured: Some(Duration::from_millis(seg.duration_ms)),
                stream: None,
                tag: self.stream_tag(&e.ctx.program, &seg.title, &seg.zones),
            };
            if let Origin::Live { .. } = &e.item.origin {
                let Some((reader, part)) = self.live_part() else {
                    // The live airing has ended (stopped, over): nothing of it is left.
                    gone.push(*k);
                    continue;
                };
                s.lives.insert(*k, part);
                item.gain = 1.0;
                item.measured = None;
                item.stream = Some(crate::player::StreamSlot::live(reader));
            } else if let Origin::Relay { fallback } = &e.item.origin {
                let early = s
                    .relay_end
                    .is_none()
                    .then(|| self.take_early_relay(&e.ctx.program, e.ctx.scheduled_at))
                    .flatten();
                let feed = match early {
                    Some(mut feed) => {
                        feed.set_window(Duration::from_millis(seg.duration_ms));
                        feed
                    }
                    None => crate::relay::feed::start(self.feed_spec(
                        &e.ctx.program,
                        e.ctx.scheduled_at,
                        seg,
                        fallback,
                        s.relay_end,
                    )),
                };
                s.relays.insert(*k, feed.handle());
                item.gain = 1.0;
                // The feed airs its window to the frame (shorter when it resumes after an
                // emergency, to the window's end): no file length to hold it to.
                item.measured = None;
                item.stream = Some(crate::player::StreamSlot::relay(feed));
            } else if !seg.level.loudness_measured {
                tracing::warn!(segment = %seg.id, "loudness not measured yet: airs without normalisation");
            }
            out.push(item);
        }
        s.order.retain(|k| !gone.contains(k));
        out
    }

    /// Puts what the relay on air airs now into the status.
    fn publish_relay(&self, s: &Session) {
        let Some(feed) = s.playing.and_then(|k| s.relays.get(&k)) else {
            return;
        };
        let now = feed.now();
        self.status.send_modify(|st| {
            if let Some(on_air) = st.on_air.as_mut() {
                on_air.relay = Some(super::control::RelayNow {
                    air: now.air,
                    stream_title: now.stream_title,
                    level_dbfs: now.level_dbfs,
                    relayed_ms: now.relayed_ms,
                    dropout_ms: now.dropout_ms,
                });
            }
        });
    }

    /// How the relay of `program` airs: its sources, its window (`seg`'s length, or what is
    /// left of it until `ends_at` when it resumes after an emergency), the station's
    /// loudness, the fallback segments.
    pub(super) fn feed_spec(
        &self,
        program: &str,
        at: chrono::DateTime<chrono::Utc>,
        seg: &crate::model::Segment,
        fallback: &[crate::model::SegmentId],
        ends_at: Option<std::time::Instant>,
    ) -> crate::relay::feed::FeedSpec {
        use crate::relay::feed::{FallbackItem, FeedSpec};
        let config = &self.station.config;
        let levels = config.audio.levels();
        let fallback = fallback
            .iter()
            .filter_map(|id| self.station.store.segment(*id).ok().flatten())
            .map(|seg| FallbackItem {
                path: self.station.media_path(&seg.media_file),
                gain: playout_gain(&levels, &seg.level_input()).factor(),
            })
            .collect();
        let relay = &config.relay;
        let window = Duration::from_millis(seg.duration_ms);
        FeedSpec {
            urls: config
                .program(program)
                .map(|p| p.relay.clone())
                .unwrap_or_default(),
            net: relay.net(),
            rate: std::num::NonZero::new(config.output.sample_rate.unwrap_or(48_000))
                .unwrap_or(std::num::NonZero::<u32>::MIN),
            channels: std::num::NonZero::new(config.output.channels.unwrap_or(2))
                .unwrap_or(std::num::NonZero::<u16>::MIN),
            window: match ends_at {
                Some(end) => end
                    .saturating_duration_since(std::time::Instant::now())
                    .min(window),
                None => window,
            },
            ends_at,
            fade_out: config.output.fade,
            silence: relay.silence_timeout,
            prebuffer: relay.prebuffer,
            retry_first: relay.retry_first,
            retry_max: relay.retry_max,
            target_lufs: config.audio.normalise.then_some(config.audio.target_lufs),
            ceiling_db: config.audio.true_peak_ceiling_dbtp,
            fallback,
            connect: std::sync::Arc::new(crate::relay::open),
            record: self.recording(program, at, seg),
        }
    }

    /// Where a relay of `program` (fired at `at`) is kept when it has `record = true`, and
    /// its import as a segment once aired: titled with the program's title and the fire's
    /// date and time, the program's topic (or the station's default), through the normal
    /// import checks. The recording file is removed once imported.
    fn recording(
        &self,
        program: &str,
        at: chrono::DateTime<chrono::Utc>,
        seg: &crate::model::Segment,
    ) -> Option<crate::relay::feed::Record> {
        let config = &self.station.config;
        let p = config.program(program).filter(|p| p.record)?;
        let topic = p
            .topic
            .clone()
            .or_else(|| config.station.default_topic.clone())?;
        let local = self.station.local(at);
        let title = format!("{} — {}", seg.title, local.format("%d/%m/%Y %H:%M"));
        // A second part (after an emergency) gets its own file.
        let name = format!(
            "{program}-{}-{:08x}.wav",
            local.format("%Y%m%d-%H%M%S"),
            fastrand::u32(..)
        );
        let path = config.station.data_dir.join("recordings").join(&name);
        let station = self.station.clone();
        let done = move |path: std::path::PathBuf, length: Duration| {
            let meta = crate::service::SegmentMeta {
                title: Some(title.clone()),
                topic: topic.clone(),
                unit: None,
                valid_from: None,
                valid_until: None,
                priority: crate::model::Priority::Normal,
                original_name: Some(name.clone()),
                tts: None,
            };
            match station.add_segments(&[&path], &meta) {
                Ok(results) => {
                    for result in results {
                        match result {
                            Ok(crate::service::AddOutcome::Added(seg))
                            | Ok(crate::service::AddOutcome::AlreadyPresent(seg)) => {
                                tracing::info!(segment = %seg.id, title = %seg.title, length_ms = length.as_millis() as u64, "relay kept as a segment");
                            }
                            Err(e) => {
                                tracing::error!(error = %e, "the relay's recording was refused at import")
                            }
                        }
                    }
                }
                Err(e) => {
                    tracing::error!(error = %e, "the relay's recording was refused at import")
                }
            }
            let _ = std::fs::remove_file(&path);
        };
        Some(crate::relay::feed::Record {
            path,
            done: std::sync::Arc::new(done),
        })
    }

    /// Plays `items` to the end (or until cut). Returns `true` when shutdown was asked.
    ///
    /// `journal` is the run's journal when the caller has begun it (a scheduled program);
    /// otherwise one is begun here. Either way every item is in it before it can air.
    /// `max_duration` cuts the session that long after its audio begins. `start_at`: when
    /// the first sample should go out, a moment from now (a timed start on a sound device,
    /// [`crate::player::Player::start_at`]).
    pub(super) async fn run_session(
        &mut self,
        items: Vec<OnAirItem>,
        max_duration: Option<Duration>,
        journal: Option<RunJournal>,
        start_at: Option<chrono::DateTime<chrono::Utc>>,
    ) -> bool {
        let mut journal = journal.or_else(|| {
            let entries = items
                .iter()
                .map(|i| JournalEntry::planned(&i.ctx, &i.item))
                .collect();
            self.ok(self.recorder.begin_run(entries, None))
        });
        if let Some(first) = items.first() {
            let program = first.ctx.program.clone();
            self.hooks_on_air(&program);
        }
        let mut s = Session::default();
        for item in items {
            let key = s.add(item);
            s.order.push(key);
        }
        let order = s.order.clone();
        let start = self.paths(&mut s, &order);
        let mut run = match self
            .player
            .start_at(start, start_at.map(std::time::SystemTime::from))
        {
            Ok(run) => run,
            Err(e) => {
                tracing::error!(error = %e, "output failed");
                let reason = Reason::OutputFailed {
                    detail: e.to_string(),
                };
                for entry in s.entries.values() {
                    if let Ok(mut rec) = self.recorder.started(&entry.ctx, &entry.item) {
                        self.log(self.recorder.ended(
                            &mut rec,
                            Duration::ZERO,
                            Outcome::Failed,
                            Some(reason.clone()),
                        ));
                    }
                }
                self.log(self.recorder.end_run());
                return self.shutdown.requested();
            }
        };
        let cutter = run.cutter();
        let clock = self.station.clock.clone();
        let mut shutdown = self.shutdown.clone();
        let mut stop = false;
        // The program's audio begins at its start time, not when it was handed over (at
        // most the pre-roll ahead, whatever the wall clock did meanwhile).
        let lead = start_at
            .and_then(|at| (at - clock.now()).to_std().ok())
            .unwrap_or_default()
            .min(crate::player::Player::PRE_ROLL);
        let began = Instant::now() + lead;
        // Monotonic: a step of the wall clock does not cut (or stretch) a program.
        let mut deadline = max_duration.and_then(|d| began.checked_add(d));
        // While the output is lost: when to stop waiting for it.
        let mut give_up: Option<Instant> = None;
        // systemd's watchdog hears from a session only while its audio progresses (or the
        // player is busy getting the output back): a hung output or session gets restarted.
        // Frames out, and when that count last moved.
        let mut progress = (cutter.progress(), Instant::now());
        // While a relay airs, the status says what it airs twice a second (the page's meter).
        let mut relay_tick = Instant::now();
        loop {
            let relay_at = (s.playing.is_some_and(|k| s.relays.contains_key(&k))
                || self.live_open())
            .then_some(relay_tick);
            let emergency_at = self.next_emergency_at();
            let ping_at = self.notifier.next_alive();
            tokio::select! {
                event = run.next_event() => match event {
                    Some(PlayerEvent::Started { index, at }) => self.started(&mut s, index, at),
                    Some(PlayerEvent::Ended { index, played, end, levels }) => self.ended(&mut s, index, played, end, levels),
                    Some(PlayerEvent::OutputLost { reason }) => give_up = Some(self.output_lost(&mut s, &reason, began)),
                    Some(PlayerEvent::OutputBack) => {
                        give_up = None;
                        self.output_back();
                    }
                    Some(PlayerEvent::Finished) | None => break,
                },
                () = sleep_until_instant(give_up), if s.session_cut.is_none() => {
                    // Emergencies spliced in while waiting lengthen the wait.
                    let end = planned_end(&s, began);
                    if end > Instant::now() {
                        give_up = Some(end);
                    } else {
                        tracing::error!("the output is still unavailable at the program's planned end: giving up");
                        s.session_cut = Some(Reason::OutputStayedUnavailable);
                        cutter.cut();
                    }
                }
                () = sleep_until_instant(relay_at) => {
                    self.publish_relay(&s);
                    self.publish_live();
                    relay_tick = Instant::now() + RELAY_STATUS_EVERY;
                }
                () = sleep_until_instant(ping_at) => {
                    let frames = cutter.progress();
                    if frames != progress.0 {
                        progress = (frames, Instant::now());
                    }
                    let stuck = self
                        .notifier
                        .watchdog_interval()
                        .is_some_and(|every| progress.1.elapsed() >= every);
                    if !stuck || give_up.is_some() || s.session_cut.is_some() {
                        self.notifier.alive();
                    } else {
                        tracing::warn!("no audio went out for a watchdog interval; not telling systemd all is well");
                        self.notifier.withhold();
                    }
                }
                () = sleep_until_instant(deadline), if s.session_cut.is_none() => {
                    tracing::info!("max_duration reached: cutting");
                    s.session_cut = Some(Reason::MaxDuration);
                    cutter.cut();
                }
                () = shutdown.wait(), if !stop => {
                    tracing::info!("shutting down: cutting what is on air");
                    s.session_cut = Some(Reason::Shutdown);
                    stop = true;
                    cutter.cut();
                }
                () = sleep_until_opt(clock.as_ref(), emergency_at), if s.session_cut.is_none() => {
                    let added = s.entries.len();
                    for item in self.take_due_emergencies() {
                        self.interrupt(
                            &mut s,
                            &cutter,
                            item,
                            &mut deadline,
                            Reason::InterruptedByEmergency,
                            EMERGENCY_FADE,
                        );
                    }
                    self.journal_added(&s, added, &mut journal);
                }
                command = self.commands.recv() => {
                    if let Some(command) = command {
                        let added = s.entries.len();
                        self.session_command(&mut s, &cutter, command, &mut deadline);
                        self.journal_added(&s, added, &mut journal);
                    }
                }
            }
        }
        self.status.send_modify(|st| st.on_air = None);
        self.hooks_off_air();
        // A live airing asked for in this session ends with it.
        self.end_live();
        // Every due item is accounted for: what the session never reached gets its record.
        let (outcome, why) = match (&s.failure, &s.session_cut) {
            (Some(f), _) => (
                Outcome::Failed,
                Reason::NotAired {
                    cause: Some(Box::new(f.clone())),
                },
            ),
            (None, Some(cut)) => (
                Outcome::Skipped,
                Reason::NotAired {
                    cause: Some(Box::new(cut.clone())),
                },
            ),
            (None, None) => (Outcome::Skipped, Reason::NotAired { cause: None }),
        };
        let unreached: Vec<usize> = s
            .order
            .iter()
            .copied()
            .filter(|k| !s.records.contains_key(k))
            .collect();
        self.not_reached(&s, &unreached, outcome, &why);
        if journal.is_some() {
            self.log(self.recorder.end_run());
        }
        super::disk::refresh(&self.station, &self.status);
        stop || self.shutdown.requested()
    }

    /// Journals the entries a command or an emergency added to the session (keys from
    /// `from` on), before they can air.
    fn journal_added(&self, s: &Session, from: usize, journal: &mut Option<RunJournal>) {
        let Some(journal) = journal else { return };
        let entries: Vec<JournalEntry> = (from..s.entries.len())
            .filter_map(|k| s.entries.get(&k))
            .map(|e| JournalEntry::planned(&e.ctx, &e.item))
            .collect();
        if !entries.is_empty() {
            self.log(self.recorder.extend_run(journal, entries));
        }
    }

    /// The output failed under the session or cannot be opened: the operator is warned and
    /// the player retries. Returns when to stop waiting: when the session would have ended
    /// had it aired normally (`max_duration` cuts earlier on its own). What has not aired
    /// by then is recorded as failed with `reason`; the next program tries the output again.
    fn output_lost(&self, s: &mut Session, reason: &str, began: Instant) -> Instant {
        tracing::error!(%reason, "sound output lost; retrying until the program's planned end");
        s.failure = Some(Reason::OutputUnavailable {
            detail: reason.to_string(),
        });
        let warning = Warning::OutputUnavailable {
            detail: reason.to_string(),
        };
        self.status.send_modify(|st| {
            st.warnings.retain(|w| !w.same_kind(&warning));
            st.warnings.push(warning);
        });
        planned_end(s, began)
    }

    fn output_back(&self) {
        tracing::info!("sound output back; airing resumes");
        self.status.send_if_modified(|st| {
            let before = st.warnings.len();
            st.warnings
                .retain(|w| !matches!(w, Warning::OutputUnavailable { .. }));
            st.warnings.len() != before
        });
    }

    /// Records items of the session that never started.
    fn not_reached(&self, s: &Session, keys: &[usize], outcome: Outcome, reason: &Reason) {
        for key in keys {
            let Some(entry) = s.entries.get(key) else {
                continue;
            };
            let item = NotAired {
                origin: entry.item.origin.clone(),
                segment: Some(entry.item.segment.clone()),
                title: entry.item.segment.title.clone(),
                outcome,
                reason: reason.clone(),
            };
            self.log(self.recorder.not_aired(&entry.ctx, &item));
        }
    }

    fn started(&self, s: &mut Session, key: usize, at: Option<std::time::SystemTime>) {
        let Some(entry) = s.entries.get(&key) else {
            return;
        };
        s.playing = Some(key);
        if s.lives.contains_key(&key) {
            self.live_started();
        }
        if s.relays.contains_key(&key) && s.relay_end.is_none() {
            let window = Duration::from_millis(entry.item.segment.duration_ms);
            s.relay_end = std::time::Instant::now().checked_add(window);
        }
        let at = at.map(chrono::DateTime::<chrono::Utc>::from);
        // The record first: whatever shows an item on air can rely on its record being
        // there (a crash from here on is closed from it at the next start).
        match self.recorder.started_at(&entry.ctx, &entry.item, at) {
            Ok(rec) => {
                s.records.insert(key, rec);
            }
            Err(e) => tracing::error!(error = %e, "could not write the broadcast log"),
        }
        let seg = &entry.item.segment;
        tracing::info!(program = %entry.ctx.program, segment = %seg.id, title = %seg.title, "on air");
        self.notifier
            .status(&format!("on air: {} — {}", entry.ctx.program, seg.title));
        let position = s.order.iter().position(|&k| k == key).unwrap_or(0);
        let on_air = OnAir {
            program: entry.ctx.program.clone(),
            trigger: entry.ctx.trigger,
            priority: seg.priority.max(entry.ctx.priority),
            segment_id: seg.id,
            title: seg.title.clone(),
            topic: seg.topic.clone(),
            started_at: at.unwrap_or_else(|| self.station.clock.now()),
            duration_ms: seg.duration_ms,
            index: position,
            count: s.order.len(),
            relay: None,
        };
        self.status.send_modify(|st| st.on_air = Some(on_air));
    }

    fn ended(
        &self,
        s: &mut Session,
        key: usize,
        played: Duration,
        end: ItemEnd,
        levels: Option<Levels>,
    ) {
        let Some(entry) = s.entries.get(&key) else {
            return;
        };
        s.failure = None;
        let (outcome, reason) = match end {
            ItemEnd::Completed => (Outcome::Completed, None),
            ItemEnd::Cut => {
                let why = s
                    .cut_reasons
                    .remove(&key)
                    .or_else(|| s.session_cut.clone())
                    .unwrap_or(Reason::Cut);
                (Outcome::Interrupted, Some(why))
            }
            ItemEnd::Failed(detail) => {
                let why = Reason::PlayFailed { detail };
                s.failure = Some(why.clone());
                (Outcome::Failed, Some(why))
            }
            ItemEnd::EndedEarly { played, measured } => {
                let why = Reason::EndedEarly {
                    played_ms: played.as_millis() as u64,
                    measured_ms: measured.as_millis() as u64,
                };
                (Outcome::Failed, Some(why))
            }
        };
        tracing::info!(
            program = %entry.ctx.program,
            title = %entry.item.segment.title,
            %outcome,
            played_ms = played.as_millis() as u64,
            reason = reason.as_ref().map(Reason::code).unwrap_or_default(),
            "ended"
        );
        let rec = match s.records.remove(&key) {
            Some(rec) => Some(rec),
            None => self.recorder.started(&entry.ctx, &entry.item).ok(),
        };
        if let Some(mut rec) = rec {
            if let Some(feed) = s.relays.get(&key) {
                rec.relay = Some(feed.proof());
            }
            if let (Some(part), Origin::Live { by }) = (s.lives.remove(&key), &entry.item.origin) {
                self.live_record(&mut rec, &part, by);
            }
            self.log(self.recorder.ended_with_levels(
                &mut rec,
                played,
                outcome,
                reason,
                levels.as_ref(),
            ));
            // Kept (closed) so `rest()` knows it has aired.
            s.records.insert(key, rec);
        }
        if matches!(outcome, Outcome::Completed | Outcome::Failed) {
            self.consume(&entry.item.origin);
        }
        let live_left = s.rest().iter().any(|k| {
            s.entries
                .get(k)
                .is_some_and(|e| matches!(e.item.origin, Origin::Live { .. }))
        });
        if matches!(entry.item.origin, Origin::Live { .. }) && !live_left {
            self.end_live();
        }
        if s.playing == Some(key) {
            // With more to come, the item stays shown until the next one starts (gapless:
            // at once, but its record is written first, which on a full disk takes a while):
            // the page never shows "nothing on air" inside a program.
            let more = !s.rest().is_empty();
            s.playing = None;
            if !more {
                self.status.send_modify(|st| st.on_air = None);
            }
        }
    }

    /// Consumes the queue entry / advances the rotation once an item has been dealt with
    /// (aired, or failed). Idempotent: a restart repeats it for the run a crash cut.
    pub(super) fn consume(&self, origin: &Origin) {
        let store = &self.station.store;
        match origin {
            Origin::Queue { qid } => self.log(store.queue_remove(*qid)),
            Origin::Playlist {
                name,
                index,
                rotate: true,
            } => self.log(store.set_rotation_cursor(name, index + 1)),
            _ => {}
        }
    }

    /// Queues an interrupted item ahead of everything (signature tunes and emergencies are
    /// not re-queued: they are not content waiting for a slot).
    fn requeue(&self, entry: &OnAirItem) {
        if matches!(
            entry.item.origin,
            Origin::Intro
                | Origin::Outro
                | Origin::Separator
                | Origin::Emergency
                | Origin::Live { .. }
        ) {
            return;
        }
        let seg = entry.item.segment.id;
        let now = self.station.clock.now();
        self.log(
            self.station
                .store
                .queue_push(seg, None, crate::model::Priority::Priority, now),
        );
    }

    fn session_command(
        &mut self,
        s: &mut Session,
        cutter: &Cutter,
        command: Command,
        deadline: &mut Option<Instant>,
    ) {
        let fade = self.station.config.output.fade;
        match command {
            Command::Skip(reply) => {
                let result = match s.playing {
                    Some(key) => {
                        s.cut_reasons.insert(key, Reason::SkippedByOperator);
                        let rest = s.rest();
                        cutter.splice(self.paths(s, &rest), fade);
                        Ok(())
                    }
                    None => Err(ControlError::Idle),
                };
                let _ = reply.send(result);
            }
            Command::Stop(reply) => {
                s.session_cut = Some(Reason::StoppedByOperator);
                cutter.cut();
                let _ = reply.send(Ok(()));
            }
            Command::Play {
                ids,
                now,
                priority,
                reply,
            } => {
                let result = self.manual_items(&ids).map(|items| {
                    if !now {
                        self.manual.push_back(ManualRequest { ids, priority });
                        return;
                    }
                    let ctx = self.manual_context(priority);
                    let keys: Vec<usize> = items
                        .into_iter()
                        .map(|item| {
                            s.add(OnAirItem {
                                item,
                                ctx: ctx.clone(),
                            })
                        })
                        .collect();
                    if let Some(key) = s.playing {
                        s.cut_reasons.insert(key, Reason::InterruptedByManual);
                    }
                    let dropped = s.continue_with(&keys);
                    self.not_reached(s, &dropped, Outcome::Skipped, &Reason::ReplacedByManual);
                    *deadline = None;
                    cutter.splice(self.paths(s, &keys), fade);
                });
                let _ = reply.send(result);
            }
            Command::Emergency { id, repeat, reply } => {
                let result = self.emergency_item(id).and_then(|item| {
                    self.save_repeat(id, repeat)?;
                    self.interrupt(
                        s,
                        cutter,
                        item,
                        deadline,
                        Reason::InterruptedByEmergency,
                        EMERGENCY_FADE,
                    );
                    Ok(())
                });
                let _ = reply.send(result);
            }
            Command::LiveStart { request, reply } => {
                let result = self
                    .open_live(request)
                    .map(|item| self.add_live(s, cutter, item, deadline));
                let _ = reply.send(result);
            }
            Command::LiveStop(reply) => {
                let result = self.stop_live().map(|waiting| {
                    if waiting {
                        self.take_back_live(s, cutter);
                    }
                });
                let _ = reply.send(result);
            }
            Command::Reload(reply) => {
                let _ = reply.send(self.reload());
            }
        }
    }

    /// Puts an emergency broadcast on air at once: the playing item fades out (recorded as
    /// interrupted), the emergency airs, then — `after_emergency = "resume"` — the
    /// interrupted item airs again from its start, followed by the rest of the program, or —
    /// `"requeue"` — the interrupted item goes to the front of the queue for the next
    /// program and this one goes on with what came after it.
    ///
    /// A live airing cut this way always goes on after the emergency (its speaker is still
    /// at the microphone), to the end it had.
    fn interrupt(
        &self,
        s: &mut Session,
        cutter: &Cutter,
        item: OnAirItem,
        deadline: &mut Option<Instant>,
        reason: Reason,
        fade: Duration,
    ) {
        let extra = Duration::from_millis(item.item.segment.duration_ms);
        let emergency = s.add(item);
        let mut keys = vec![emergency];
        if let Some(key) = s.playing {
            s.cut_reasons.insert(key, reason);
            if let Some(again) = s.entries.get(&key).cloned() {
                let live = matches!(again.item.origin, Origin::Live { .. });
                match self.station.config.station.after_emergency {
                    _ if live => keys.push(s.add(again)),
                    AfterEmergency::Resume => keys.push(s.add(again)),
                    AfterEmergency::Requeue => self.requeue(&again),
                }
            }
        }
        keys.extend(s.rest());
        s.continue_with(&keys);
        // The program keeps its own length: the emergency does not eat into it.
        *deadline = deadline.map(|d| d + extra);
        tracing::warn!("interrupting what is on air");
        cutter.splice(self.paths(s, &keys), fade);
    }

    /// Puts a live airing into the session by its level: an emergency-level one cuts what
    /// airs; a priority one cuts a normal item; otherwise it waits for the item on air. The
    /// program goes on after it, without its `max_duration` (the live takes what it takes).
    fn add_live(
        &self,
        s: &mut Session,
        cutter: &Cutter,
        item: OnAirItem,
        deadline: &mut Option<Instant>,
    ) {
        let level = item.ctx.priority;
        let on_air = s
            .playing
            .and_then(|k| s.entries.get(&k))
            .map(|e| e.item.segment.priority.max(e.ctx.priority));
        match on_air {
            Some(_) if level == crate::model::Priority::Emergency => self.interrupt(
                s,
                cutter,
                item,
                deadline,
                Reason::InterruptedByLive,
                EMERGENCY_FADE,
            ),
            Some(p) if level > p => {
                let fade = self.station.config.output.fade;
                self.interrupt(s, cutter, item, deadline, Reason::InterruptedByLive, fade);
            }
            _ => {
                let live = s.add(item);
                let mut keys = vec![live];
                keys.extend(s.rest());
                s.continue_with(&keys);
                tracing::info!("live broadcast waits for the item on air");
                cutter.replace_rest(self.paths(s, &keys));
            }
        }
        *deadline = None;
    }

    /// Takes a live airing that has not begun out of what is to air (recorded as not aired,
    /// stopped by the operator) and closes its input.
    fn take_back_live(&self, s: &mut Session, cutter: &Cutter) {
        let rest = s.rest();
        let (lives, keep): (Vec<usize>, Vec<usize>) = rest.into_iter().partition(|k| {
            s.entries
                .get(k)
                .is_some_and(|e| matches!(e.item.origin, Origin::Live { .. }))
        });
        s.continue_with(&keep);
        // Out of the order: the session's end does not record them a second time.
        self.not_reached(s, &lives, Outcome::Skipped, &Reason::StoppedByOperator);
        cutter.replace_rest(self.paths(s, &keep));
        self.end_live();
    }
}
