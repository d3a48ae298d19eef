//! A live airing: the capture as a program item (a [`LiveReader`], called block by block on
//! the audio path, never waiting), levelled to the station's loudness with a limiter, faded in
//! and out, ended by the operator ([`LiveHandle::stop`]) or by itself at the maximum, and kept
//! as an air-check file.
//!
//! **Delay.** The capture keeps filling its buffer while nothing airs it (a live that waits
//! for the item on air, the device's first periods). When the item begins, only the newest
//! [`TARGET`] of it is kept; on air, a buffer whose lowest level over ten seconds stays
//! more than [`SLACK`] above the target (the input's clock runs faster than the output's) is
//! cut back to it once, and one that runs dry (the capture's periods arrive late) gets
//! silence and a target larger by a step, up to [`MAX_TARGET`]: the voice reaches the
//! loudspeakers about the target plus the output's buffer after it was spoken.
//!
//! **Parts.** An emergency that cuts into a live airing ends its item; the live goes on after
//! it (whatever `after_emergency` says) as a new item on the same capture, to the same end
//! ([`LiveHandle::reader`]): each part has its own record and air-check file.

use std::num::NonZero;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, AtomicU32, Ordering};
use std::sync::mpsc::{SyncSender, TrySendError};
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};

use super::capture::{Capture, CaptureError};
use crate::audio::Leveller;

/// Frames handed out per block: 5 ms at 48 kHz.
const BLOCK: usize = 240;
/// Capture kept waiting when a part begins: enough for a capture period and an output
/// period to meet.
pub const TARGET: Duration = Duration::from_millis(30);
/// Each time the capture runs dry the target grows by this, up to [`MAX_TARGET`].
const TARGET_STEP: Duration = Duration::from_millis(10);
pub const MAX_TARGET: Duration = Duration::from_millis(150);
/// The first this much of a part: the output fills its buffer, faster than real time.
const SETTLE: Duration = Duration::from_millis(500);
/// A buffer whose floor stays this much beyond the target over [`FLOOR_WINDOW`] is cut back
/// to it.
const SLACK: Duration = Duration::from_millis(60);
/// Long enough that a machine busy for a moment (the output late, then catching up) is not
/// taken for two clocks apart.
const FLOOR_WINDOW: Duration = Duration::from_secs(10);

/// How a live airing is aired.
#[derive(Debug, Clone)]
pub struct LiveSpec {
    /// The capture device (`[live] input`).
    pub input: String,
    /// The output's format: the capture is opened at this rate, mono, and spread to the
    /// output's channels.
    pub rate: NonZero<u32>,
    pub channels: NonZero<u16>,
    /// The longest it lasts (`[live] max_duration`), from its first sample.
    pub max: Duration,
    /// Fade in at the start, out at the end.
    pub fade: Duration,
    /// The station's loudness target; `None`: aired as it comes (normalisation off).
    pub target_lufs: Option<f64>,
    pub ceiling_db: f64,
    /// Where air-check files go; `None`: none kept.
    pub aircheck_dir: Option<PathBuf>,
}

/// How a live part ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LiveEnd {
    /// Stopped by the operator (`loaxa live stop`, the page).
    Stopped,
    /// Reached `[live] max_duration`.
    MaxDuration,
    /// The capture device failed (unplugged).
    DeviceFailed,
    /// Cut from outside: skipped, interrupted by an emergency, the program stopped, the
    /// daemon shut down (the record's reason says which).
    Cut,
}

/// The air-check file of a live part: what went out, as a file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AirCheck {
    pub path: PathBuf,
    pub sha256: String,
    pub bytes: u64,
}

/// What a part aired, for its record.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct PartReport {
    pub end: Option<LiveEnd>,
    /// Silence given because the capture had nothing (ms), and capture dropped to keep the
    /// delay short (ms).
    pub underrun_ms: u64,
    pub dropped_ms: u64,
    /// The delay target the part ended with.
    pub target_ms: u64,
    pub aircheck: Option<AirCheck>,
    /// Why the air-check could not be kept, if it could not.
    pub aircheck_error: Option<String>,
}

struct Shared {
    capture: Capture,
    spec: LiveSpec,
    stop: AtomicBool,
    /// When the live ends at the latest: its first sample plus the maximum.
    ends_at: Mutex<Option<Instant>>,
    /// The highest output sample since the status last read it (f32 bits).
    out_peak: AtomicU32,
    parts: AtomicU32,
}

/// The daemon's hold on a live airing: stop it, read its meters, start its parts.
#[derive(Clone)]
pub struct LiveHandle(Arc<Shared>);

impl std::fmt::Debug for LiveHandle {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LiveHandle")
            .field("input", &self.0.spec.input)
            .finish_non_exhaustive()
    }
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// A level as dBFS, −120 for silence.
pub fn dbfs(level: f32) -> f32 {
    if level <= 1e-6 {
        -120.0
    } else {
        (20.0 * level.log10()).max(-120.0)
    }
}

impl LiveHandle {
    /// Opens the input: a missing device is refused naming the ones there are; a busy one
    /// with the reason.
    pub fn open(spec: LiveSpec) -> Result<LiveHandle, CaptureError> {
        let mono = NonZero::<u16>::MIN;
        let capture = Capture::open(&spec.input, spec.rate, mono)?;
        Ok(LiveHandle(Arc::new(Shared {
            capture,
            spec,
            stop: AtomicBool::new(false),
            ends_at: Mutex::new(None),
            out_peak: AtomicU32::new(0),
            parts: AtomicU32::new(0),
        })))
    }

    /// The next part's reader (the first, or the one after an emergency), with its air-check
    /// file named `stem-N.wav`.
    pub fn reader(&self, stem: &str) -> (LiveReader, LivePart) {
        let n = self.0.parts.fetch_add(1, Ordering::Relaxed) + 1;
        let part = LivePart(Arc::new(PartShared::default()));
        let aircheck = self.0.spec.aircheck_dir.as_ref().and_then(|dir| {
            let path = dir.join(format!("{stem}-{n}.wav"));
            let signal = Signal(part.0.clone());
            let record = crate::relay::feed::Record {
                path,
                done: Arc::new(move |path: PathBuf, _length: Duration| {
                    let kept = crate::library::sha256_file(&path);
                    let mut state = lock(&signal.0.state);
                    match kept {
                        Ok((sha256, bytes)) => {
                            state.report.aircheck = Some(AirCheck {
                                path,
                                sha256,
                                bytes,
                            })
                        }
                        Err(e) => state.report.aircheck_error = Some(e.to_string()),
                    }
                }),
            };
            if let Err(e) = std::fs::create_dir_all(dir) {
                lock(&part.0.state).report.aircheck_error = Some(e.to_string());
                return None;
            }
            let sender = crate::relay::record::start(record, self.0.spec.rate, NonZero::<u16>::MIN);
            if sender.is_none() {
                lock(&part.0.state).report.aircheck_error =
                    Some("the air-check file cannot be created".into());
            }
            sender
        });
        if aircheck.is_none() {
            // No writer: nothing to wait for.
            let mut state = lock(&part.0.state);
            state.written = true;
        }
        let rate = self.0.spec.rate.get();
        let reader = LiveReader {
            shared: self.0.clone(),
            part: part.0.clone(),
            block: Vec::with_capacity(BLOCK * usize::from(self.0.spec.channels.get())),
            mono: Vec::with_capacity(BLOCK),
            leveller: self.0.spec.target_lufs.and_then(|t| {
                Leveller::new(
                    NonZero::<u16>::MIN,
                    self.0.spec.rate,
                    t,
                    self.0.spec.ceiling_db,
                )
            }),
            primed: false,
            was_live: false,
            target: frames(TARGET, rate),
            aired: 0,
            floor: usize::MAX,
            floor_since: 0,
            aircheck_lost: 0,
            fade_in: frames(self.0.spec.fade, rate),
            fade_out: None,
            ends_at: None,
            aircheck,
            finished: false,
            underrun: 0,
            dropped: 0,
            failed: None,
        };
        (reader, part)
    }

    /// Ends the live airing: the part on air fades out and ends.
    pub fn stop(&self) {
        self.0.stop.store(true, Ordering::Release);
    }

    pub fn stopped(&self) -> bool {
        self.0.stop.load(Ordering::Acquire)
    }

    /// Whether it has reached its maximum (a part waiting to resume after that is not aired).
    pub fn over(&self) -> bool {
        lock(&self.0.ends_at).is_some_and(|end| Instant::now() >= end)
    }

    /// When it ends at the latest, once it has begun.
    pub fn ends_at(&self) -> Option<Instant> {
        *lock(&self.0.ends_at)
    }

    /// The input's and the output's peak levels since the last call, dBFS.
    pub fn levels(&self) -> (f32, f32) {
        let input = self.0.capture.take_peak();
        let output = f32::from_bits(self.0.out_peak.swap(0, Ordering::Relaxed));
        (dbfs(input), dbfs(output))
    }

    /// The capture device as configured.
    pub fn input(&self) -> &str {
        &self.0.spec.input
    }
}

#[derive(Default)]
struct PartState {
    /// The air-check's fields are set by its writer when it is done.
    report: PartReport,
    /// The air-check writer has finished (or there is none).
    written: bool,
}

#[derive(Default)]
struct PartShared {
    state: Mutex<PartState>,
    done: Condvar,
}

/// Marks the part's air-check as written when the writer lets go of it (its `done` closure,
/// which holds this, is dropped when the writer's thread ends: after `done` ran, or after a
/// write failed without calling it).
struct Signal(Arc<PartShared>);

impl Drop for Signal {
    fn drop(&mut self) {
        lock(&self.0.state).written = true;
        self.0.done.notify_all();
    }
}

/// What the daemon keeps of a part to write its record.
#[derive(Clone)]
pub struct LivePart(Arc<PartShared>);

impl std::fmt::Debug for LivePart {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LivePart").finish_non_exhaustive()
    }
}

impl LivePart {
    /// The part's report once it has ended, waiting at most `wait` for its air-check file to
    /// be complete (flushed and synced).
    pub fn report(&self, wait: Duration) -> PartReport {
        let deadline = Instant::now() + wait;
        let mut state = lock(&self.0.state);
        while !state.written {
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                break;
            }
            state = self
                .0
                .done
                .wait_timeout(state, left)
                .unwrap_or_else(std::sync::PoisonError::into_inner)
                .0;
        }
        let mut report = state.report.clone();
        if !state.written && report.aircheck_error.is_none() {
            report.aircheck_error = Some("the air-check file was not complete in time".into());
        }
        report
    }
}

fn frames(d: Duration, rate: u32) -> usize {
    usize::try_from(d.as_nanos() * u128::from(rate) / 1_000_000_000).unwrap_or(usize::MAX)
}

/// One part of a live airing as the player's item.
pub struct LiveReader {
    shared: Arc<Shared>,
    part: Arc<PartShared>,
    block: Vec<f32>,
    mono: Vec<f32>,
    leveller: Option<Leveller>,
    /// The delay target is reached (the capture airs); `was_live`: it has been once.
    primed: bool,
    was_live: bool,
    /// Frames kept waiting (the delay target).
    target: usize,
    /// Frames handed out.
    aired: u64,
    /// The lowest the buffer fell since `floor_since` (frames aired then).
    floor: usize,
    floor_since: u64,
    /// Frames the air-check writer could not take in time (it fell behind the disk).
    aircheck_lost: u64,
    /// Frames of fade-in left.
    fade_in: usize,
    /// Fading out: frames left, the fade's length, why it ends.
    fade_out: Option<(usize, usize, LiveEnd)>,
    ends_at: Option<Instant>,
    aircheck: Option<SyncSender<Vec<f32>>>,
    finished: bool,
    underrun: u64,
    dropped: u64,
    /// The device failed: the part ends with this.
    failed: Option<String>,
}

impl std::fmt::Debug for LiveReader {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LiveReader")
            .field("aired", &self.aired)
            .finish_non_exhaustive()
    }
}

impl LiveReader {
    pub fn rate(&self) -> NonZero<u32> {
        self.shared.spec.rate
    }

    pub fn channels(&self) -> NonZero<u16> {
        self.shared.spec.channels
    }

    /// The next block of interleaved samples at the output's format; `Ok(None)` once the part
    /// has ended (stopped, at the maximum); `Err` when the device failed. Never waits.
    pub fn next_block(&mut self) -> Result<Option<&[f32]>, String> {
        if self.finished {
            return match self.failed.clone() {
                Some(e) => Err(e),
                None => Ok(None),
            };
        }
        let rate = self.shared.spec.rate.get();
        let capture = &self.shared.capture;
        if let Some(e) = capture.failed() {
            self.failed = Some(e);
            self.finish(LiveEnd::DeviceFailed);
            return Err(self.failed.clone().unwrap_or_default());
        }
        self.mono.clear();
        if self.ends_at.is_none() {
            let mut ends_at = lock(&self.shared.ends_at);
            let end = *ends_at.get_or_insert_with(|| Instant::now() + self.shared.spec.max);
            self.ends_at = Some(end);
        }
        if !self.primed {
            if capture.buffered() < self.target {
                // Until the capture has the target: silence (the part's first milliseconds,
                // or a capture that ran dry). Stopped or over meanwhile: it ends here.
                if self.shared.stop.load(Ordering::Acquire) {
                    self.finish(LiveEnd::Stopped);
                    return Ok(None);
                }
                if self.ends_at.is_some_and(|end| Instant::now() >= end) {
                    self.finish(LiveEnd::MaxDuration);
                    return Ok(None);
                }
                if self.settled() {
                    self.underrun += BLOCK as u64;
                }
                self.mono.resize(BLOCK, 0.0);
                self.account();
                return Ok(Some(self.spread()));
            }
            // What the input gathered before the part went on air, or while the output filled
            // its buffer at the start, is not counted as lost.
            let old = capture.keep_newest(self.target) as u64;
            if self.settled() {
                self.dropped += old;
            }
            self.primed = true;
            self.was_live = true;
        } else {
            let buffered = capture.buffered();
            self.hold_delay(buffered);
        }
        let capture = &self.shared.capture;
        let got = capture
            .read(&mut self.mono, BLOCK, Duration::ZERO)
            .unwrap_or(0);
        if got < BLOCK {
            if self.settled() {
                self.underrun += (BLOCK - got) as u64;
            }
            self.mono.resize(BLOCK, 0.0);
            if got == 0 {
                // Dry: wait for a larger buffer (the periods come further apart than thought).
                self.target =
                    (self.target + frames(TARGET_STEP, rate)).min(frames(MAX_TARGET, rate));
                self.primed = false;
            }
        }
        if let Some(l) = self.leveller.as_mut() {
            l.apply(&mut self.mono);
        }
        self.fades();
        let ending = self
            .fade_out
            .filter(|(left, ..)| *left == 0)
            .map(|(.., why)| why);
        self.account();
        if let Some(why) = ending {
            self.finish(why);
        }
        Ok(Some(self.spread()))
    }

    /// Accounts for the mono block about to air: the output meter, the air-check (every
    /// block that airs, silence included, so the file is what went out).
    fn account(&mut self) {
        self.aired += self.mono.len() as u64;
        let peak = self.mono.iter().fold(0f32, |m, s| m.max(s.abs()));
        self.shared
            .out_peak
            .fetch_max(peak.to_bits(), Ordering::Relaxed);
        if let Some(tx) = &self.aircheck {
            match tx.try_send(self.mono.clone()) {
                Ok(()) => {}
                Err(TrySendError::Full(_)) => self.aircheck_lost += self.mono.len() as u64,
                Err(TrySendError::Disconnected(_)) => self.aircheck = None,
            }
        }
    }

    /// Keeps the delay from creeping up when the input's clock runs faster than the
    /// output's: the lowest the buffer fell over each [`FLOOR_WINDOW`] of air is what it holds
    /// for good (its highs are only the output taking a period at a time); when that floor
    /// is more than [`SLACK`] above the target, the excess is dropped, once.
    fn hold_delay(&mut self, buffered: usize) {
        let rate = self.shared.spec.rate.get();
        self.floor = self.floor.min(buffered);
        if self.aired < self.floor_since + frames(FLOOR_WINDOW, rate) as u64 {
            return;
        }
        if self.floor > self.target + frames(SLACK, rate) {
            let excess = self.floor - self.target;
            self.dropped += self.shared.capture.keep_newest(buffered - excess) as u64;
        }
        self.floor = usize::MAX;
        self.floor_since = self.aired;
    }

    /// Whether the part is past its start, when the output takes its whole buffer at once
    /// (the silence given then is not a gap in the voice).
    fn settled(&self) -> bool {
        self.was_live && self.aired > frames(SETTLE, self.shared.spec.rate.get()) as u64
    }

    /// Fade-in at the start; fade-out once stopped or near the maximum.
    fn fades(&mut self) {
        let rate = self.shared.spec.rate.get();
        let fade = frames(self.shared.spec.fade, rate).max(1);
        if self.fade_out.is_none() {
            let why = if self.shared.stop.load(Ordering::Acquire) {
                Some(LiveEnd::Stopped)
            } else if self
                .ends_at
                .is_some_and(|end| Instant::now() + self.shared.spec.fade >= end)
            {
                Some(LiveEnd::MaxDuration)
            } else {
                None
            };
            if let Some(why) = why {
                self.fade_out = Some((fade, fade, why));
            }
        }
        for s in self.mono.iter_mut() {
            if self.fade_in > 0 {
                *s *= 1.0 - self.fade_in as f32 / fade as f32;
                self.fade_in -= 1;
            }
            if let Some((left, total, _)) = self.fade_out.as_mut() {
                *s *= *left as f32 / *total as f32;
                *left = left.saturating_sub(1);
            }
        }
    }

    /// The mono block at the output's channels.
    fn spread(&mut self) -> &[f32] {
        let channels = usize::from(self.shared.spec.channels.get());
        self.block.clear();
        for &s in &self.mono {
            self.block.extend(std::iter::repeat_n(s, channels));
        }
        &self.block
    }

    fn finish(&mut self, end: LiveEnd) {
        self.finished = true;
        // The air-check file is completed now, not when the player lets go of the reader.
        self.aircheck = None;
        self.report(Some(end));
    }

    fn report(&self, end: Option<LiveEnd>) {
        let rate = u128::from(self.shared.spec.rate.get());
        let ms = |f: u64| u64::try_from(u128::from(f) * 1000 / rate).unwrap_or(u64::MAX);
        let mut state = lock(&self.part.state);
        state.report.end = end.or(state.report.end);
        state.report.underrun_ms = ms(self.underrun);
        state.report.dropped_ms = ms(self.dropped);
        state.report.target_ms = ms(self.target as u64);
        if self.aircheck_lost > 0 {
            state.report.aircheck_error = Some(format!(
                "{} ms of the air-check were lost (the disk was too slow)",
                ms(self.aircheck_lost)
            ));
        }
    }
}

impl Drop for LiveReader {
    fn drop(&mut self) {
        if !self.finished {
            self.report(Some(LiveEnd::Cut));
        }
    }
}
