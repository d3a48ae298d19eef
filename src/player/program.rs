//! The program as one gapless `rodio::Source`: items back to back at the output's format.
//!
//! Each item is a [`FileDecoder`] behind a small `Source` adapter at the file's own rate and
//! channel count, converted by `UniformSourceIterator` to the output format. The program moves
//! to the next item on the sample after the previous one ends, so joins are gapless even when
//! formats differ, and the mixer only ever sees one source of one fixed format (which also
//! avoids rodio 0.23's glitch with sources appended to an idle `Player`).
//!
//! The hot path (`next`) does no allocation and takes no lock: per sample it copies from the
//! current block and reads two atomics per frame (plain loads; the progress counter is
//! written every [`PROGRESS_EVERY`] frames); events are sent per item, and files are
//! opened ahead on a helper thread ([`super::opener`]), not in the audio callback.

use std::num::NonZero;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime};

use rodio::Source;
use rodio::source::UniformSourceIterator;

use super::control::{Control, Playing, PlayingUpdate};
use super::level::ItemLevel;
use super::meter::Meter;
use super::opener::{ItemDecoder, Keyed, Opener};
use super::{ItemEnd, PlayerEvent};

/// What an item's decoder adapter tells the program (per block, never per sample).
#[derive(Debug, Default)]
struct ItemShared {
    /// Frames handed out by the decoder so far (whole blocks).
    frames: AtomicU64,
    error: Mutex<Option<String>>,
}

/// One file as a `rodio::Source` at its own rate and channel count — or, for a mono output,
/// downmixed to mono (the average of its channels: rodio's converter would keep only the
/// first) — at its gain, ending at its trimmed end (the opener already skipped to its
/// trimmed start).
struct ItemSource {
    decoder: ItemDecoder,
    channels: NonZero<u16>,
    /// The file's channel count when it is downmixed to mono, else `None`.
    downmix: Option<usize>,
    rate: NonZero<u32>,
    block: Vec<f32>,
    pos: usize,
    done: bool,
    shared: Arc<ItemShared>,
    level: ItemLevel,
}

impl ItemSource {
    fn refill(&mut self) -> bool {
        loop {
            match self.decoder.next_block() {
                Ok(Some(block)) => {
                    if block.is_empty() {
                        continue;
                    }
                    let file_channels = self
                        .downmix
                        .unwrap_or_else(|| usize::from(self.channels.get()));
                    let Some(frames) = self.level.take(block.len() / file_channels) else {
                        return false; // the trimmed end
                    };
                    self.block.clear();
                    let block = &block[..frames * file_channels];
                    match self.downmix {
                        Some(n) => {
                            let scale = 1.0 / n as f32;
                            self.block.extend(
                                block.chunks_exact(n).map(|f| f.iter().sum::<f32>() * scale),
                            );
                        }
                        None => self.block.extend_from_slice(block),
                    }
                    self.level.apply(&mut self.block);
                    self.pos = 0;
                    self.shared
                        .frames
                        .fetch_add(frames as u64, Ordering::Relaxed);
                    return true;
                }
                Ok(None) => return false,
                Err(e) => {
                    *self.shared.error.lock().unwrap_or_else(|p| p.into_inner()) = Some(e);
                    return false;
                }
            }
        }
    }
}

impl Iterator for ItemSource {
    type Item = f32;

    #[inline]
    fn next(&mut self) -> Option<f32> {
        if let Some(&s) = self.block.get(self.pos) {
            self.pos += 1;
            return Some(s);
        }
        if self.done || !self.refill() {
            self.done = true;
            return None;
        }
        let s = self.block.get(self.pos).copied();
        self.pos += 1;
        s
    }
}

impl Source for ItemSource {
    fn current_span_len(&self) -> Option<usize> {
        None
    }
    fn channels(&self) -> NonZero<u16> {
        self.channels
    }
    fn sample_rate(&self) -> NonZero<u32> {
        self.rate
    }
    fn total_duration(&self) -> Option<Duration> {
        None
    }
}

/// An item at the output format: converted by rodio when its rate or channel count differ,
/// else as decoded (rodio's converters pass such samples through unchanged, at a cost per
/// sample).
enum Converted {
    Direct(ItemSource),
    Uniform(UniformSourceIterator<ItemSource>),
}

impl Converted {
    fn new(item: ItemSource, channels: NonZero<u16>, rate: NonZero<u32>) -> Converted {
        if item.channels == channels && item.rate == rate {
            Converted::Direct(item)
        } else {
            Converted::Uniform(UniformSourceIterator::new(item, channels, rate))
        }
    }

    #[inline]
    fn next(&mut self) -> Option<f32> {
        match self {
            Converted::Direct(item) => item.next(),
            Converted::Uniform(item) => item.next(),
        }
    }
}

struct Current {
    index: usize,
    rate: u32,
    src: Converted,
    shared: Arc<ItemShared>,
    started: bool,
    /// Output frames of this item so far.
    out_frames: u64,
    /// Levels of what this item sent out (proof of air).
    meter: Meter,
    /// How long it should air (its span or measured length), for the completion invariant.
    expected: Option<Duration>,
}

impl Current {
    fn played(&self, out_rate: u32, partial: bool) -> Duration {
        let decoded = self.shared.frames.load(Ordering::Relaxed);
        // Whole decoded blocks are exact at the item's rate; when the item did not complete,
        // the output position (converted to the item's rate) is the truth, as part of the
        // last block never aired.
        let frames = if partial {
            let aired = u128::from(self.out_frames) * u128::from(self.rate) / u128::from(out_rate);
            decoded.min(u64::try_from(aired).unwrap_or(u64::MAX))
        } else {
            decoded
        };
        frames_to_duration(frames, self.rate)
    }
}

fn duration_to_frames(d: Duration, rate: u32) -> u64 {
    u64::try_from(d.as_nanos() * u128::from(rate) / 1_000_000_000).unwrap_or(u64::MAX)
}

pub(crate) fn frames_to_duration(frames: u64, rate: u32) -> Duration {
    let nanos = u128::from(frames) * 1_000_000_000 / u128::from(rate.max(1));
    Duration::from_nanos(u64::try_from(nanos).unwrap_or(u64::MAX))
}

/// The shared progress counter is updated every this many output frames (1.3 ms at 48 kHz),
/// at each item's end and at the program's end, and when the file output has pulled a chunk
/// ([`ProgramSource::publish_progress`]): it is a locked instruction (`fetch_max`), which
/// done per frame cost 30 % of the player's own time (perf, 44.1 kHz MP3). On a sound card
/// the counter may lag the frames handed over by less than this.
const PROGRESS_EVERY: u64 = 64;

/// An event held until the output reaches `frame`, with how it changes the playing item.
pub(crate) type Stamped = (u64, PlayerEvent, PlayingUpdate);

/// A program's items as one source at a fixed output format.
pub(crate) struct ProgramSource {
    items: Opener,
    current: Option<Current>,
    channels: NonZero<u16>,
    rate: NonZero<u32>,
    control: Arc<Control>,
    /// The attempt this source plays for (see [`Control::abandon`]).
    epoch: u64,
    /// The progress counter when this source started (earlier attempts of the run).
    base: u64,
    /// File outputs collect events with their output frame to send them when they air.
    stamped: Option<Vec<Stamped>>,
    on_finish: Option<Box<dyn FnOnce() + Send>>,
    /// Output frames so far and the position inside the current frame.
    frames: u64,
    in_frame: u16,
    fade_frames: u64,
    /// Frames left in a running fade-out, and its length.
    fade_left: Option<u64>,
    fade_total: u64,
    /// Where the program goes on when the running fade ends only the current item (a
    /// splice); `None`: the fade ends the program.
    after_fade: Option<Vec<Keyed>>,
    finished: bool,
    /// Sound devices: when items start by the wall clock, and the silence before a timed
    /// start ([`Self::on_device`]). `None` on file outputs, whose events carry no time.
    wall: Option<WallClock>,
    /// The frame being produced is lead-in silence.
    silent_frame: bool,
    /// The stream outputs' copy of every output sample.
    tap: Option<crate::stream::TapWriter>,
}

/// A timed start lands on its frame only if it is handed over this long ahead; the lead-in
/// is never longer than this (a start time further off is taken as "now": a clock that
/// stepped, not a plan).
pub(crate) const MAX_LEAD_IN: Duration = Duration::from_secs(2);

/// Two pulls this far apart are in different device callbacks: a callback fills its whole
/// buffer in microseconds, then waits a period (a few ms or more) for the next.
const CALLBACK_GAP: Duration = Duration::from_micros(700);

/// Where a device source's frames are in wall-clock time, and the silence it plays before a
/// timed start.
///
/// A device pulls a buffer at a time: frames are handed over in bursts, one per period, each
/// burst ahead of where the device plays it by the same latency. The first frame of a burst
/// is recognised by the gap before it; from such a frame, frame `f + n` is `n / rate`
/// later on the device's timeline. A timed start plays silence up to the frame that falls
/// on its start time, so the program's first sample sits at the fire time to the frame
/// (plus the device's constant latency) instead of at whichever callback comes after it.
#[derive(Debug)]
struct WallClock {
    rate: u32,
    /// The same moment on both clocks: monotonic times are turned into wall times by it.
    origin: (Instant, SystemTime),
    /// The start time (monotonic) while the lead-in is not decided yet.
    start: Option<Instant>,
    /// The first frame that is not lead-in silence, once known.
    lead_until: Option<u64>,
    last_pull: Option<Instant>,
    /// A burst's first frame and when it was pulled: where the decided start was measured
    /// from.
    anchor: Option<(u64, Instant)>,
}

impl WallClock {
    /// `origin`: now, on the monotonic and the wall clock.
    fn new(rate: u32, start_at: Option<SystemTime>, origin: (Instant, SystemTime)) -> WallClock {
        // Converted once to the monotonic clock: the lead-in is a few hundred milliseconds.
        let start = start_at.and_then(|at| {
            let ahead = at.duration_since(origin.1).ok()?;
            (ahead <= MAX_LEAD_IN).then(|| origin.0 + ahead)
        });
        WallClock {
            rate,
            origin,
            lead_until: start.is_none().then_some(0),
            start,
            last_pull: None,
            anchor: None,
        }
    }

    /// Whether `frame` is lead-in silence. `now` reads the clock; it is called only while
    /// the lead-in is undecided: once per frame, for at most [`MAX_LEAD_IN`].
    fn silent(&mut self, frame: u64, now: impl FnOnce() -> Instant) -> bool {
        if let Some(until) = self.lead_until {
            return frame < until;
        }
        let Some(start) = self.start else {
            self.lead_until = Some(frame);
            return false;
        };
        let now = now();
        let burst = self
            .last_pull
            .is_some_and(|last| now.duration_since(last) >= CALLBACK_GAP);
        self.last_pull = Some(now);
        if now >= start {
            // Due (or handed over too late to land on its frame): start here.
            self.lead_until = Some(frame);
            return false;
        }
        if burst {
            let lead = duration_to_frames(start - now, self.rate);
            self.anchor = Some((frame, now));
            self.lead_until = Some(frame + lead);
            return lead > 0;
        }
        true
    }

    /// When `frame`, whose first sample is pulled at `now`, is due at the device: on the
    /// device's timeline when a timed start placed it there, else `now` (when it is handed
    /// over: at most a device buffer before it is heard).
    fn time_of(&self, frame: u64, now: Instant) -> SystemTime {
        let at = match self.anchor {
            Some((first, pulled)) if self.lead_until == Some(frame) => {
                pulled + frames_to_duration(frame - first, self.rate)
            }
            _ => now,
        };
        match at.checked_duration_since(self.origin.0) {
            Some(after) => self.origin.1 + after,
            None => self.origin.1 - self.origin.0.duration_since(at),
        }
    }
}

impl ProgramSource {
    pub(crate) fn new(
        items: Vec<Keyed>,
        channels: NonZero<u16>,
        rate: NonZero<u32>,
        fade: Duration,
        control: Arc<Control>,
    ) -> ProgramSource {
        let fade_frames = duration_to_frames(fade, rate.get());
        ProgramSource {
            items: Opener::new(items),
            current: None,
            channels,
            rate,
            epoch: control.epoch(),
            base: control.progress(),
            control,
            stamped: None,
            on_finish: None,
            frames: 0,
            in_frame: 0,
            fade_frames,
            fade_left: None,
            fade_total: fade_frames,
            after_fade: None,
            finished: false,
            wall: None,
            silent_frame: false,
            tap: None,
        }
    }

    /// Copies every output sample to the stream outputs.
    pub(crate) fn tap(&mut self, tap: &crate::stream::Tap) {
        self.tap = Some(tap.writer(self.channels.get(), self.rate.get()));
    }

    /// The source plays on a sound device: its `Started` events carry when the item's first
    /// sample is due there, and with `start_at` (at most [`MAX_LEAD_IN`] ahead) it plays
    /// silence until the frame that falls on that time. A cut or splice ends the silence.
    pub(crate) fn on_device(&mut self, start_at: Option<SystemTime>) {
        let origin = (Instant::now(), SystemTime::now());
        self.wall = Some(WallClock::new(self.rate.get(), start_at, origin));
    }

    /// Hold events with their output frame instead of sending them (see [`Self::take_stamped`]).
    pub(crate) fn stamp_events(&mut self) {
        self.stamped = Some(Vec::new());
    }

    /// Called once, right after `Finished` is emitted (not when the source is abandoned).
    pub(crate) fn on_finish(&mut self, f: impl FnOnce() + Send + 'static) {
        self.on_finish = Some(Box::new(f));
    }

    /// Events emitted since the last call, each with the output frame (of this source) at
    /// which it happened; send them with [`Self::epoch`].
    pub(crate) fn take_stamped(&mut self, into: &mut Vec<Stamped>) {
        if let Some(held) = self.stamped.as_mut() {
            into.append(held);
        }
    }

    pub(crate) fn epoch(&self) -> u64 {
        self.epoch
    }

    /// Brings the shared progress counter up to the frames produced so far.
    pub(crate) fn publish_progress(&self) {
        self.control.set_progress(self.base + self.frames);
    }

    pub(crate) fn is_finished(&self) -> bool {
        self.finished
    }

    fn emit(&mut self, event: PlayerEvent) {
        self.emit_with(event, PlayingUpdate::Keep);
    }

    fn emit_with(&mut self, event: PlayerEvent, update: PlayingUpdate) {
        match self.stamped.as_mut() {
            Some(held) => held.push((self.frames, event, update)),
            None => self.control.emit(self.epoch, event, update),
        }
    }

    fn end_current(&mut self, end: ItemEnd) {
        self.publish_progress();
        if let Some(cur) = self.current.take() {
            // Only a completed item aired all it decoded; otherwise the output position is
            // the truth.
            let partial = !matches!(end, ItemEnd::Completed);
            let played = cur.played(self.rate.get(), partial);
            let end = match (end, cur.shared.error.lock().map(|e| e.clone())) {
                (ItemEnd::Completed, Ok(Some(reason))) => ItemEnd::Failed(reason),
                (ItemEnd::Completed, _) => {
                    let end = super::ended_early(played, cur.expected);
                    if let ItemEnd::EndedEarly { played, measured } = &end {
                        tracing::warn!(
                            index = cur.index,
                            played_ms = played.as_millis() as u64,
                            measured_ms = measured.as_millis() as u64,
                            "item ended before its measured length"
                        );
                    }
                    end
                }
                (end, _) => end,
            };
            self.emit_with(
                PlayerEvent::Ended {
                    index: cur.index,
                    played,
                    end,
                    levels: Some(cur.meter.levels()),
                },
                PlayingUpdate::Clear,
            );
        }
    }

    fn finish(&mut self) {
        if self.finished {
            return;
        }
        self.finished = true;
        if let Some(tap) = self.tap.as_mut() {
            tap.end();
        }
        self.publish_progress();
        self.emit(PlayerEvent::Finished);
        if let Some(f) = self.on_finish.take() {
            f();
        }
    }

    /// Frame boundary: the only place the program may start a fade, end an item early or
    /// switch to a splice. `false` when the program has ended.
    fn at_frame_boundary(&mut self) -> bool {
        if self.control.epoch() != self.epoch {
            // The driver gave up on this source (its output failed) and ended its item.
            self.finished = true;
            return false;
        }
        if self.fade_left.is_none() {
            if self.control.cut_requested() {
                if self.current.is_none() || self.fade_frames == 0 {
                    self.end_current(ItemEnd::Cut);
                    self.finish();
                    return false;
                }
                self.fade_left = Some(self.fade_frames);
                self.fade_total = self.fade_frames;
            } else if let Some(splice) = self.control.take_splice() {
                if splice.keep_current {
                    self.items = Opener::new(splice.items);
                    return true;
                }
                if let Some(wall) = self.wall.as_mut() {
                    wall.start = None; // what is spliced in goes out at once
                    wall.lead_until = wall.lead_until.map(|u| u.min(self.frames));
                }
                let frames = duration_to_frames(splice.fade, self.rate.get());
                if self.current.is_none() || frames == 0 {
                    self.end_current(ItemEnd::Cut);
                    self.items = Opener::new(splice.items);
                } else {
                    self.fade_left = Some(frames);
                    self.fade_total = frames;
                    self.after_fade = Some(splice.items);
                }
            }
        }
        if self.fade_left == Some(0) {
            self.end_current(ItemEnd::Cut);
            self.fade_left = None;
            match self.after_fade.take() {
                Some(items) if !self.control.cut_requested() => {
                    self.items = Opener::new(items);
                }
                _ => {
                    self.finish();
                    return false;
                }
            }
        }
        true
    }

    /// Opens items until one can play; failed ones end at once with the reason.
    fn open_next(&mut self) -> bool {
        while let Some((planned, opened)) = self.items.next() {
            let index = planned.key;
            match opened {
                Ok((decoder, channels, rate)) => {
                    if let (Some(tap), Some(tag)) = (self.tap.as_mut(), planned.tag.clone()) {
                        tap.item(tag);
                    }
                    let shared = Arc::new(ItemShared::default());
                    let (channels, downmix) = match (self.channels.get(), channels.get()) {
                        (1, n) if n > 1 => (NonZero::<u16>::MIN, Some(usize::from(n))),
                        _ => (channels, None),
                    };
                    let item = ItemSource {
                        decoder,
                        channels,
                        downmix,
                        rate,
                        block: Vec::new(),
                        pos: 0,
                        done: false,
                        shared: shared.clone(),
                        level: ItemLevel::new(&planned),
                    };
                    self.current = Some(Current {
                        index,
                        rate: rate.get(),
                        src: Converted::new(item, self.channels, self.rate),
                        shared,
                        started: false,
                        out_frames: 0,
                        meter: Meter::new(self.channels.get(), self.rate.get()),
                        expected: planned.expected(rate.get()),
                    });
                    return true;
                }
                Err(e) => {
                    tracing::warn!(index, error = %e, "item cannot be played");
                    self.emit(PlayerEvent::Ended {
                        index,
                        played: Duration::ZERO,
                        end: ItemEnd::Failed(e),
                        levels: None,
                    });
                }
            }
        }
        false
    }

    /// The next sample of the current item, or `None` when it has ended.
    #[inline]
    fn pull(&mut self) -> Option<f32> {
        let cur = self.current.as_mut()?;
        let s = cur.src.next()?;
        if !cur.started {
            cur.started = true;
            let playing = Playing {
                index: cur.index,
                rate: cur.rate,
                out_rate: self.rate.get(),
                first_frame: self.base + self.frames,
            };
            let at = self
                .wall
                .as_ref()
                .map(|w| w.time_of(self.frames, Instant::now()));
            self.emit_with(
                PlayerEvent::Started {
                    index: playing.index,
                    at,
                },
                PlayingUpdate::Set(playing),
            );
        }
        Some(s)
    }
}

impl ProgramSource {
    /// Counts the sample just produced (and the frame, when it completes one).
    #[inline]
    fn advance(&mut self) {
        self.in_frame += 1;
        if self.in_frame == self.channels.get() {
            self.in_frame = 0;
            self.frames += 1;
            if self.frames % PROGRESS_EVERY == 0 {
                self.publish_progress();
            }
            if self.silent_frame {
                return;
            }
            if let Some(cur) = self.current.as_mut() {
                cur.out_frames += 1;
            }
            if let Some(left) = self.fade_left.as_mut() {
                *left = left.saturating_sub(1);
            }
        }
    }
}

impl Iterator for ProgramSource {
    type Item = f32;

    fn next(&mut self) -> Option<f32> {
        if self.finished {
            return None;
        }
        if self.in_frame == 0 {
            if !self.at_frame_boundary() {
                return None;
            }
            let frame = self.frames;
            self.silent_frame = self
                .wall
                .as_mut()
                .is_some_and(|w| w.silent(frame, Instant::now));
        }
        if self.silent_frame {
            self.advance();
            if let Some(tap) = self.tap.as_mut() {
                tap.push(0.0);
            }
            return Some(0.0);
        }
        let sample = match self.pull() {
            Some(s) => s,
            None if self.in_frame != 0 => 0.0, // an item that ends mid-frame: pad the frame
            None => loop {
                self.end_current(ItemEnd::Completed);
                if self.fade_left.is_some() {
                    // The item ended inside a fade: a splice goes on at once, a cut ends here.
                    match self.after_fade.take() {
                        Some(items) if !self.control.cut_requested() => {
                            self.fade_left = None;
                            self.items = Opener::new(items);
                        }
                        _ => {
                            self.finish();
                            return None;
                        }
                    }
                }
                if !self.open_next() {
                    self.finish();
                    return None;
                }
                if let Some(s) = self.pull() {
                    break s;
                }
            },
        };
        let sample = match self.fade_left {
            // Linear ramp from 1 towards 0: the last faded frame is 1/fade_total.
            Some(left) => sample * (left as f32 / self.fade_total as f32),
            None => sample,
        };
        self.advance();
        let sample = if sample.is_finite() { sample } else { 0.0 };
        // Proof of air: the item's meter sees exactly what leaves the program.
        if let Some(cur) = self.current.as_mut() {
            cur.meter.push(sample);
        }
        if let Some(tap) = self.tap.as_mut() {
            tap.push(sample);
        }
        Some(sample)
    }
}

impl Source for ProgramSource {
    fn current_span_len(&self) -> Option<usize> {
        None
    }
    fn channels(&self) -> NonZero<u16> {
        self.channels
    }
    fn sample_rate(&self) -> NonZero<u32> {
        self.rate
    }
    fn total_duration(&self) -> Option<Duration> {
        None
    }
}

#[cfg(test)]
mod wall_clock_tests {
    use super::*;

    const RATE: u32 = 44_100;
    const PERIOD_FRAMES: u64 = 441; // a 10 ms device period

    /// Pulls frames the way a device callback does — a period's worth every 10 ms, each
    /// frame 20 ns after the last — joining the stream `phase` frames into a callback, until
    /// the first frame that is not silence. Returns that frame and when it was pulled.
    fn first_sound(wc: &mut WallClock, t0: Instant, phase: u64) -> (u64, Instant) {
        let mut frame = 0;
        for burst in 0..1000u32 {
            let begin = t0 + Duration::from_millis(10) * burst;
            let first = if burst == 0 { phase } else { 0 };
            for j in first..PERIOD_FRAMES {
                let now = begin + Duration::from_nanos(20 * j);
                if !wc.silent(frame, || now) {
                    return (frame, now);
                }
                frame += 1;
            }
        }
        panic!("the lead-in never ended");
    }

    #[test]
    fn a_timed_start_lands_on_its_frame_whatever_the_callback_phase() {
        let origin = (Instant::now(), SystemTime::now());
        for phase in [0, 17, 220, 440] {
            for offset_us in [0u64, 1_300, 4_999, 5_001, 9_990] {
                let ahead = Duration::from_millis(150) + Duration::from_micros(offset_us);
                let mut wc = WallClock::new(RATE, Some(origin.1 + ahead), origin);
                let (frame, _) = first_sound(&mut wc, origin.0, phase);
                // Where that frame is on the device's timeline: the callbacks are 10 ms
                // apart and the stream joined `phase` frames into the first one.
                let device_time = Duration::from_millis(10)
                    * u32::try_from((frame + phase) / PERIOD_FRAMES).expect("few bursts")
                    + frames_to_duration((frame + phase) % PERIOD_FRAMES, RATE);
                let error = device_time.as_secs_f64() - ahead.as_secs_f64();
                assert!(
                    error.abs() <= 1.0 / f64::from(RATE),
                    "phase {phase}, start +{ahead:?}: first sample {:.3} ms off",
                    error * 1e3
                );
                // The event's time is the frame's place on the timeline, not its pull.
                let at = wc.time_of(frame, origin.0 + Duration::from_secs(9));
                let stamped = at
                    .duration_since(origin.1)
                    .expect("after origin")
                    .as_secs_f64();
                assert!(
                    (stamped - device_time.as_secs_f64()).abs() < 1e-6,
                    "phase {phase}, start +{ahead:?}: stamped {stamped}"
                );
            }
        }
    }

    #[test]
    fn a_start_handed_over_late_or_too_far_ahead_plays_at_once() {
        let origin = (Instant::now(), SystemTime::now());
        for start_at in [
            origin.1 - Duration::from_millis(30),
            origin.1 + MAX_LEAD_IN + Duration::from_millis(1),
        ] {
            let mut wc = WallClock::new(RATE, Some(start_at), origin);
            assert!(!wc.silent(0, || origin.0), "{start_at:?}");
            let pulled = origin.0 + Duration::from_millis(3);
            let at = wc.time_of(0, pulled);
            assert_eq!(at, origin.1 + Duration::from_millis(3));
        }
        let mut untimed = WallClock::new(RATE, None, origin);
        assert!(!untimed.silent(0, || origin.0));
    }

    #[test]
    fn without_callback_bursts_the_start_waits_for_the_clock() {
        // An output that pulls frame by frame at the rate (no gaps to anchor on) still
        // starts no earlier than the start time, and within a frame of it.
        let origin = (Instant::now(), SystemTime::now());
        let ahead = Duration::from_millis(40);
        let mut wc = WallClock::new(RATE, Some(origin.1 + ahead), origin);
        let (frame, pulled) = (0u64..)
            .map(|f| (f, origin.0 + frames_to_duration(f, RATE)))
            .find(|&(f, now)| !wc.silent(f, || now))
            .expect("the lead-in ends");
        let late = pulled.duration_since(origin.0).as_secs_f64() - ahead.as_secs_f64();
        assert!((0.0..=1.0 / f64::from(RATE)).contains(&late), "{late}");
        assert_eq!(
            frame,
            duration_to_frames(ahead, RATE) + u64::from(late > 0.0)
        );
        assert!(wc.time_of(frame, pulled) >= origin.1 + ahead);
    }
}
