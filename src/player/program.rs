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
use std::time::Duration;

use rodio::Source;
use rodio::source::UniformSourceIterator;

use super::control::{Control, Playing, PlayingUpdate};
use super::level::ItemLevel;
use super::meter::Meter;
use super::opener::{Keyed, Opener};
use super::{ItemEnd, PlayerEvent};
use crate::audio::FileDecoder;

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
    decoder: FileDecoder,
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
                    *self.shared.error.lock().unwrap_or_else(|p| p.into_inner()) =
                        Some(e.to_string());
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
        }
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
            self.emit_with(
                PlayerEvent::Started {
                    index: playing.index,
                },
                PlayingUpdate::Set(playing),
            );
        }
        Some(s)
    }
}

impl Iterator for ProgramSource {
    type Item = f32;

    fn next(&mut self) -> Option<f32> {
        if self.finished {
            return None;
        }
        if self.in_frame == 0 && !self.at_frame_boundary() {
            return None;
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
        self.in_frame += 1;
        if self.in_frame == self.channels.get() {
            self.in_frame = 0;
            self.frames += 1;
            if self.frames % PROGRESS_EVERY == 0 {
                self.publish_progress();
            }
            if let Some(cur) = self.current.as_mut() {
                cur.out_frames += 1;
            }
            if let Some(left) = self.fade_left.as_mut() {
                *left = left.saturating_sub(1);
            }
        }
        let sample = if sample.is_finite() { sample } else { 0.0 };
        // Proof of air: the item's meter sees exactly what leaves the program.
        if let Some(cur) = self.current.as_mut() {
            cur.meter.push(sample);
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
