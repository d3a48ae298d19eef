//! A relay as one continuous feed of audio at a fixed format, for exactly its window.
//!
//! Two threads fill two buffers; the player's item (a [`FeedReader`], called block by block
//! on the audio path) chooses between them and never waits:
//!
//! - the **source thread** connects to the relay's URLs in order, decodes the first that
//!   answers, converts it to the feed's format, levels it to the station's loudness (a slow
//!   running gain with a peak limiter: no pumping, no clipping) and appends it to the live
//!   buffer. A source that fails — refused, an error status, a stall, the stream's end, a
//!   frozen playlist, or digital silence longer than [`FeedSpec::silence`] — is noted with
//!   its reason and the next URL is tried; when every URL failed it waits (doubling from
//!   [`FeedSpec::retry_first`] to [`FeedSpec::retry_max`]) and starts again from the first;
//! - the **fallback thread** keeps about a second of the fallback playlists' audio decoded
//!   ahead (looping over them), so a dropout is covered at once.
//!
//! The reader airs the live buffer while it has audio; when it runs dry it switches to the
//! fallback (or silence, with no fallback), and back to the live audio once the source
//! thread has a working source and [`FeedSpec::prebuffer`] of audio buffered again, with a
//! one-block crossfade. Every switch is kept with its time and reason for the as-run record
//! ([`RelayProof`]). Before the live audio airs, its buffer keeps only the newest prebuffer
//! (a source's burst at connection, as Icecast sends, is cut down off air); on air it may
//! hold [`MAX_EXTRA`] more — the jitter of a source's pacing never cuts what airs — and only
//! beyond that is the oldest dropped (a server clock faster than the sound card's), so a
//! relay stays live.
//!
//! The window ends on its frame with a fade-out; the threads stop when the reader is
//! dropped (a source thread blocked in a read leaves within the stall time).

use std::collections::VecDeque;
use std::num::NonZero;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, AtomicU32, AtomicU64, Ordering};
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use rodio::Source;
use rodio::source::UniformSourceIterator;

use super::proof::{Air, Failure, Fault, MAX_FAILURES, RelayProof, Switch};
use super::{NetOptions, SourceError, Stream, Title};
use crate::audio::{FileDecoder, Leveller};

/// Frames per block handed to the player (21 ms at 48 kHz).
pub const BLOCK: usize = 1024;
/// The most audio the live buffer holds beyond the prebuffer before the oldest is dropped.
pub const MAX_EXTRA: Duration = Duration::from_secs(2);
/// Fallback audio kept decoded ahead.
const FALLBACK_AHEAD: Duration = Duration::from_secs(1);
/// Samples below this (−90 dBFS) are digital silence.
const SILENCE_LEVEL: f32 = 3.2e-5;

/// Opens a source URL: [`super::open`] on the network; tests give their own.
pub type Connect = Arc<dyn Fn(&str, &NetOptions) -> Result<Stream, SourceError> + Send + Sync>;

/// A fallback file and the gain it airs at.
#[derive(Debug, Clone, PartialEq)]
pub struct FallbackItem {
    pub path: PathBuf,
    pub gain: f32,
}

/// How a relay airs.
#[derive(Clone)]
pub struct FeedSpec {
    /// Tried in order.
    pub urls: Vec<String>,
    pub net: NetOptions,
    /// The feed's format (the player converts it to the output's).
    pub rate: NonZero<u32>,
    pub channels: NonZero<u16>,
    /// How long the feed airs.
    pub window: Duration,
    /// When the window ends, if fixed (a relay resumed after an emergency ends where the
    /// first part would have): the window is cut to it at the first block.
    pub ends_at: Option<Instant>,
    /// The fade-out that ends the window.
    pub fade_out: Duration,
    /// Digital silence longer than this fails a source.
    pub silence: Duration,
    /// Audio buffered from a source before it goes on air (and again after a dropout).
    pub prebuffer: Duration,
    pub retry_first: Duration,
    pub retry_max: Duration,
    /// The loudness the relay is levelled to (LUFS); `None`: aired as received.
    pub target_lufs: Option<f64>,
    /// The peak ceiling of the levelled relay, dBFS.
    pub ceiling_db: f64,
    /// Aired while no source plays, in a loop; empty: silence.
    pub fallback: Vec<FallbackItem>,
    pub connect: Connect,
    /// Keep what airs in a file (`record = true`).
    pub record: Option<Record>,
}

/// Where a relay's air is kept, and what to do with the file once the window has aired
/// (called on the recorder's thread with the file and its length; not called when nothing
/// aired).
#[derive(Clone)]
pub struct Record {
    pub path: PathBuf,
    pub done: Arc<dyn Fn(PathBuf, Duration) + Send + Sync>,
}

impl std::fmt::Debug for FeedSpec {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FeedSpec")
            .field("urls", &self.urls)
            .field("window", &self.window)
            .finish_non_exhaustive()
    }
}

/// State shared by the threads and the reader.
struct Shared {
    live: Mutex<Live>,
    /// What the reader aired (switches, first URL, title): written at switches only.
    aired: Mutex<RelayProof>,
    /// Frames the reader handed out, and of them relayed ones; its level (f32 bits, dBFS).
    frames: AtomicU64,
    live_frames: AtomicU64,
    level_db: AtomicU32,
    rate: NonZero<u32>,
    fallback: Mutex<VecDeque<f32>>,
    fallback_room: Condvar,
    stop: AtomicBool,
    wake: (Mutex<()>, Condvar),
}

#[derive(Default)]
struct Live {
    samples: VecDeque<f32>,
    /// The source now decoding, if one is (URL after redirects, its title).
    source: Option<(String, Title)>,
    /// The fault that ended the last source that gave audio.
    last_fault: Option<Fault>,
    failures: Vec<Failure>,
    failures_dropped: u64,
    /// Whether the reader airs the live buffer now: before that the buffer keeps only the
    /// newest prebuffer (a connection burst is cut down before air, never on air).
    on_air: bool,
}

impl Shared {
    fn live(&self) -> MutexGuard<'_, Live> {
        self.live
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    fn aired(&self) -> MutexGuard<'_, RelayProof> {
        self.aired
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    fn fallback(&self) -> MutexGuard<'_, VecDeque<f32>> {
        self.fallback
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    fn stopped(&self) -> bool {
        self.stop.load(Ordering::Acquire)
    }

    /// Sleeps `d`, or less when the feed stops.
    fn sleep(&self, d: Duration) {
        let guard = self
            .wake
            .0
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if !self.stopped() {
            let _ = self.wake.1.wait_timeout(guard, d);
        }
    }

    /// Notes a source's failure; `aired`: it had given audio (its fault is then why the
    /// relay may go off air).
    fn fail(&self, url: &str, fault: Fault, aired: bool) {
        tracing::warn!(%url, ?fault, "relay source failed");
        // On the switches' time base: the window's time aired so far (0 before it).
        let at_ms = ms(at(self.frames.load(Ordering::Relaxed), self.rate));
        let mut live = self.live();
        live.source = None;
        if aired {
            live.last_fault = Some(fault.clone());
        }
        if live.failures.len() < MAX_FAILURES {
            live.failures.push(Failure {
                at_ms,
                url: url.to_string(),
                fault,
            });
        } else {
            live.failures_dropped += 1;
        }
    }
}

fn ms(d: Duration) -> u64 {
    u64::try_from(d.as_millis()).unwrap_or(u64::MAX)
}

fn frames_of(d: Duration, rate: NonZero<u32>) -> usize {
    usize::try_from(d.as_nanos() * u128::from(rate.get()) / 1_000_000_000).unwrap_or(usize::MAX)
}

/// Starts a relay's threads: connecting begins now, so start it ahead of the window (the
/// prebuffer, plus the time to connect) for the first relayed sample to air on time.
pub fn start(spec: FeedSpec) -> FeedReader {
    let shared = Arc::new(Shared {
        live: Mutex::default(),
        aired: Mutex::default(),
        frames: AtomicU64::new(0),
        live_frames: AtomicU64::new(0),
        level_db: AtomicU32::new(SILENT_DB.to_bits()),
        rate: spec.rate,
        fallback: Mutex::default(),
        fallback_room: Condvar::new(),
        stop: AtomicBool::new(false),
        wake: (Mutex::new(()), Condvar::new()),
    });
    let spawn = |name: &str, f: Box<dyn FnOnce() + Send>| {
        if let Err(e) = std::thread::Builder::new().name(name.into()).spawn(f) {
            tracing::error!(error = %e, thread = name, "cannot start a relay thread");
        }
    };
    {
        let (spec, shared) = (spec.clone(), shared.clone());
        spawn("loaxa-relay", Box::new(move || run_sources(&spec, &shared)));
    }
    if !spec.fallback.is_empty() {
        let (spec, shared) = (spec.clone(), shared.clone());
        spawn(
            "loaxa-fallback",
            Box::new(move || run_fallback(&spec, &shared)),
        );
    }
    let channels = usize::from(spec.channels.get());
    let recorder = spec
        .record
        .clone()
        .and_then(|record| super::record::start(record, spec.rate, spec.channels));
    FeedReader {
        recorder,
        window_frames: frames_of(spec.window, spec.rate) as u64,
        ends_at: spec.ends_at,
        fade_frames: frames_of(spec.fade_out, spec.rate) as u64,
        prebuffer_samples: prebuffer_samples(&spec),
        channels,
        rate: spec.rate,
        has_fallback: !spec.fallback.is_empty(),
        shared,
        block: Vec::with_capacity(BLOCK * channels),
        other: Vec::with_capacity(BLOCK * channels),
        frames: 0,
        on_live: false,
        live_frames: 0,
        begun: false,
        airing: None,
    }
}

// ---------------------------------------------------------------------------------------
// The source thread

fn run_sources(spec: &FeedSpec, shared: &Shared) {
    let mut wait = spec.retry_first;
    while !shared.stopped() {
        let mut played = false;
        for url in &spec.urls {
            if shared.stopped() {
                return;
            }
            let (fault, aired) = match (spec.connect)(url, &spec.net) {
                Err(e) => (Fault::of(&e), false),
                Ok(stream) => pump(spec, shared, stream),
            };
            played |= aired;
            if shared.stopped() {
                return;
            }
            shared.fail(url, fault, aired);
        }
        if played {
            wait = spec.retry_first;
        } else {
            shared.sleep(wait);
            wait = (wait * 2).min(spec.retry_max);
        }
    }
}

/// The live audio buffered before a source goes on air (at least a block), in samples.
fn prebuffer_samples(spec: &FeedSpec) -> usize {
    frames_of(spec.prebuffer, spec.rate).max(BLOCK) * usize::from(spec.channels.get())
}

/// Reads one source until it fails; `(why, whether it gave audio)`.
fn pump(spec: &FeedSpec, shared: &Shared, stream: Stream) -> (Fault, bool) {
    let error = Arc::new(Mutex::new(None));
    let reader = Box::new(Watched {
        inner: stream.reader,
        error: error.clone(),
    });
    let decoder = match FileDecoder::open_stream(&stream.url, reader, stream.codec.extension()) {
        Ok(d) => d,
        Err(e) => return (read_fault(&error, e.to_string()), false),
    };
    shared.live().source = Some((stream.url.clone(), stream.title.clone()));
    let input = Decoded::new(decoder);
    let decode_error = input.error.clone();
    let mut samples = UniformSourceIterator::new(input, spec.channels, spec.rate);
    let channels = usize::from(spec.channels.get());
    let chunk = (spec.rate.get() as usize / 100).max(1) * channels; // 10 ms
    // Off air the buffer keeps the newest prebuffer (plus one read); on air it may grow by
    // MAX_EXTRA before the oldest is dropped, so the jitter of a source's pacing never cuts
    // what airs.
    let cap_off_air = prebuffer_samples(spec) + chunk;
    let cap_on_air = prebuffer_samples(spec) + frames_of(MAX_EXTRA, spec.rate) * channels;
    let silence_limit = frames_of(spec.silence, spec.rate) as u64;
    let mut leveller = spec
        .target_lufs
        .and_then(|t| Leveller::new(spec.channels, spec.rate, t, spec.ceiling_db));
    let mut silent_frames = 0u64;
    let mut heard = false;
    let mut buf = Vec::with_capacity(chunk);
    let mut aired = false;
    loop {
        if shared.stopped() {
            return (Fault::Ended, aired);
        }
        buf.clear();
        buf.extend(samples.by_ref().take(chunk));
        if buf.is_empty() {
            let ended = decode_error
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner)
                .take();
            let fault = match ended {
                Some(detail) => read_fault(&error, detail),
                None => read_fault_or(&error, Fault::Ended),
            };
            return (fault, aired);
        }
        let frames = (buf.len() / channels) as u64;
        if buf.iter().all(|s| s.abs() < SILENCE_LEVEL) {
            silent_frames += frames;
            if silent_frames > silence_limit {
                // What is buffered is (mostly) that silence: off air now, not after it.
                shared.live().samples.clear();
                return (Fault::Silence, aired);
            }
            if !heard {
                // A source that has given nothing but silence does not go on air.
                continue;
            }
        } else {
            silent_frames = 0;
            heard = true;
        }
        if let Some(l) = leveller.as_mut() {
            l.apply(&mut buf);
        }
        let mut live = shared.live();
        live.samples.extend(buf.iter().copied());
        let cap = if live.on_air { cap_on_air } else { cap_off_air };
        let excess = live.samples.len().saturating_sub(cap);
        if excess > 0 {
            let whole = (excess.div_ceil(channels) * channels).min(live.samples.len());
            live.samples.drain(..whole);
        }
        aired = true;
    }
}

/// The fault a read error stands for: the source error the network reader met, else the
/// decoder's words.
fn read_fault(error: &Mutex<Option<Fault>>, detail: String) -> Fault {
    read_fault_or(error, Fault::Unreadable { detail })
}

fn read_fault_or(error: &Mutex<Option<Fault>>, otherwise: Fault) -> Fault {
    error
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
        .take()
        .unwrap_or(otherwise)
}

/// A source's reader that keeps the source error behind a failed read (the decoder keeps
/// only its words).
struct Watched {
    inner: Box<dyn std::io::Read + Send>,
    error: Arc<Mutex<Option<Fault>>>,
}

impl std::io::Read for Watched {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let got = self.inner.read(buf);
        if let Err(e) = &got {
            let fault = match SourceError::from_io(e) {
                Some(se) => Fault::of(se),
                None if e.kind() == std::io::ErrorKind::TimedOut
                    || e.kind() == std::io::ErrorKind::WouldBlock =>
                {
                    Fault::Stalled
                }
                None => Fault::Connect {
                    detail: e.to_string(),
                },
            };
            *self
                .error
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner) = Some(fault);
        }
        got
    }
}

/// A decoder as a `rodio::Source` at its own format, for rodio's converter; a decode error
/// ends it and is kept in `error`.
struct Decoded {
    decoder: FileDecoder,
    channels: NonZero<u16>,
    rate: NonZero<u32>,
    block: Vec<f32>,
    pos: usize,
    done: bool,
    error: Arc<Mutex<Option<String>>>,
}

impl Decoded {
    fn new(decoder: FileDecoder) -> Decoded {
        let info = decoder.info();
        Decoded {
            channels: NonZero::new(info.channels).unwrap_or(NonZero::<u16>::MIN),
            rate: NonZero::new(info.sample_rate).unwrap_or(NonZero::<u32>::MIN),
            decoder,
            block: Vec::new(),
            pos: 0,
            done: false,
            error: Arc::default(),
        }
    }
}

impl Iterator for Decoded {
    type Item = f32;

    fn next(&mut self) -> Option<f32> {
        while self.pos >= self.block.len() {
            if self.done {
                return None;
            }
            match self.decoder.next_block() {
                Ok(Some(b)) => {
                    self.block.clear();
                    self.block.extend_from_slice(b);
                    self.pos = 0;
                }
                Ok(None) => self.done = true,
                Err(e) => {
                    self.done = true;
                    *self
                        .error
                        .lock()
                        .unwrap_or_else(std::sync::PoisonError::into_inner) = Some(e.to_string());
                }
            }
        }
        let s = self.block[self.pos];
        self.pos += 1;
        Some(s)
    }
}

impl Source for Decoded {
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

// ---------------------------------------------------------------------------------------
// The fallback thread

fn run_fallback(spec: &FeedSpec, shared: &Shared) {
    let channels = usize::from(spec.channels.get());
    let ahead = frames_of(FALLBACK_AHEAD, spec.rate) * channels;
    let chunk = BLOCK * channels;
    let mut buf = Vec::with_capacity(chunk);
    while !shared.stopped() {
        let mut any = false;
        for item in &spec.fallback {
            let decoder = match FileDecoder::open(&item.path) {
                Ok(d) => d,
                Err(e) => {
                    tracing::warn!(error = %e, "relay fallback file cannot air");
                    continue;
                }
            };
            let mut samples =
                UniformSourceIterator::new(Decoded::new(decoder), spec.channels, spec.rate);
            loop {
                buf.clear();
                buf.extend(samples.by_ref().take(chunk).map(|s| s * item.gain));
                if buf.is_empty() {
                    break;
                }
                any = true;
                let mut fb = shared.fallback();
                while fb.len() >= ahead && !shared.stopped() {
                    fb = shared
                        .fallback_room
                        .wait_timeout(fb, Duration::from_millis(500))
                        .map_or_else(|e| e.into_inner().0, |(g, _)| g);
                }
                if shared.stopped() {
                    return;
                }
                fb.extend(buf.iter().copied());
            }
        }
        if !any {
            tracing::warn!("no relay fallback file can air: silence covers dropouts");
            return;
        }
    }
}

// ---------------------------------------------------------------------------------------
// The reader

/// The relay as the player's item reads it: a block at a time, never waiting.
pub struct FeedReader {
    shared: Arc<Shared>,
    /// Where the air goes to be kept (`record = true`); blocks are dropped, never waited
    /// for, when the recorder falls behind.
    recorder: Option<std::sync::mpsc::SyncSender<Vec<f32>>>,
    rate: NonZero<u32>,
    channels: usize,
    window_frames: u64,
    ends_at: Option<Instant>,
    fade_frames: u64,
    prebuffer_samples: usize,
    has_fallback: bool,
    block: Vec<f32>,
    other: Vec<f32>,
    /// Frames handed out so far, and of them relayed ones (published to the handle).
    frames: u64,
    on_live: bool,
    live_frames: u64,
    begun: bool,
    /// The URL whose audio is on air.
    airing: Option<String>,
}

impl std::fmt::Debug for FeedReader {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FeedReader")
            .field("frames", &self.frames)
            .field("on_live", &self.on_live)
            .finish_non_exhaustive()
    }
}

impl FeedReader {
    pub fn rate(&self) -> NonZero<u32> {
        self.rate
    }

    pub fn channels(&self) -> NonZero<u16> {
        NonZero::new(u16::try_from(self.channels).unwrap_or(u16::MAX))
            .unwrap_or(NonZero::<u16>::MIN)
    }

    /// The next block of interleaved samples (at most [`BLOCK`] frames), or `None` once the
    /// window has aired.
    pub fn next_block(&mut self) -> Option<&[f32]> {
        if !self.begun
            && let Some(end) = self.ends_at
        {
            let left = frames_of(end.saturating_duration_since(Instant::now()), self.rate);
            self.window_frames = self.window_frames.min(left as u64);
        }
        let left = self.window_frames.saturating_sub(self.frames);
        if left == 0 {
            return None;
        }
        let frames = usize::try_from(left).unwrap_or(usize::MAX).min(BLOCK);
        let want = frames * self.channels;
        self.block.clear();
        let was_live = self.on_live;
        if !self.begun || !self.on_live {
            self.maybe_go_live(want);
        }
        if self.on_live && !self.take_live(want) {
            self.go_off_air();
        }
        if !self.on_live {
            self.take_fallback(want);
        }
        if self.begun && was_live != self.on_live {
            self.crossfade(was_live);
        }
        self.begun = true;
        if self.on_live {
            self.live_frames += frames as u64;
        }
        self.fade_out_end();
        self.frames += frames as u64;
        self.publish(frames);
        if let Some(recorder) = &self.recorder {
            let _ = recorder.try_send(self.block.clone());
        }
        Some(&self.block)
    }

    /// Sets the window before the feed airs (a feed started early, before its program's
    /// plan was final).
    pub fn set_window(&mut self, window: Duration) {
        if !self.begun {
            self.window_frames = frames_of(window, self.rate) as u64;
        }
    }

    /// A handle on what the feed airs, for its record and the status.
    pub fn handle(&self) -> FeedHandle {
        FeedHandle {
            shared: self.shared.clone(),
        }
    }

    /// What aired so far (complete once the window ended or the reader is dropped).
    pub fn proof(&self) -> RelayProof {
        self.handle().proof()
    }

    /// Goes on air with the live audio when a source works and has the prebuffer ready (at
    /// the window's start: whatever it has, once it has a block).
    fn maybe_go_live(&mut self, want: usize) {
        let mut live = self.shared.live();
        let ready = live.source.is_some() && live.samples.len() >= self.prebuffer_samples.max(want);
        if ready {
            let url = live
                .source
                .as_ref()
                .map(|(u, _)| u.clone())
                .unwrap_or_default();
            live.on_air = true;
            drop(live);
            self.on_live = true;
            let mut aired = self.shared.aired();
            if aired.url.is_none() {
                aired.url = Some(url.clone());
            }
            drop(aired);
            self.airing = Some(url.clone());
            self.note(Air::Source { url }, None);
        } else if !self.begun {
            drop(live);
            self.note(self.off_air(), None);
        }
    }

    /// Publishes the counters and the level (a peak meter falling 20 dB a second).
    fn publish(&self, frames: usize) {
        self.shared.frames.store(self.frames, Ordering::Relaxed);
        self.shared
            .live_frames
            .store(self.live_frames, Ordering::Relaxed);
        let peak = self.block.iter().fold(0f32, |m, s| m.max(s.abs()));
        let peak_db = if peak > 1e-6 {
            20.0 * peak.log10()
        } else {
            SILENT_DB
        };
        let fall = 20.0 * frames as f32 / self.rate.get() as f32;
        let was = f32::from_bits(self.shared.level_db.load(Ordering::Relaxed));
        let level = peak_db.max(was - fall).max(SILENT_DB);
        self.shared
            .level_db
            .store(level.to_bits(), Ordering::Relaxed);
    }

    fn off_air(&self) -> Air {
        if self.has_fallback {
            Air::Fallback
        } else {
            Air::Silence
        }
    }

    fn go_off_air(&mut self) {
        self.on_live = false;
        self.airing = None;
        let why = {
            let mut live = self.shared.live();
            live.on_air = false;
            if live.source.is_some() {
                // Still connected, not yet failed: it sent less than airs.
                Some(Fault::Underrun)
            } else {
                live.last_fault.clone()
            }
        };
        self.note(self.off_air(), why);
    }

    fn note(&mut self, air: Air, why: Option<Fault>) {
        let at_ms = ms(at(self.frames, self.rate));
        tracing::info!(at_ms, ?air, ?why, "relay switch");
        self.shared
            .aired()
            .switches
            .push(Switch { at_ms, air, why });
    }

    /// Takes `want` live samples into the block; false (taking none) when fewer are there.
    fn take_live(&mut self, want: usize) -> bool {
        let mut live = self.shared.live();
        if live.samples.len() < want {
            return false;
        }
        self.block.extend(live.samples.drain(..want));
        let Some((url, title)) = &live.source else {
            return true;
        };
        if let Some(t) = title.get() {
            let mut aired = self.shared.aired();
            if aired.stream_title.as_ref() != Some(&t) {
                aired.stream_title = Some(t);
            }
        }
        if self.airing.as_ref() != Some(url) {
            // Another URL took over without a dropout (the buffer covered the change).
            let (url, why) = (url.clone(), live.last_fault.clone());
            drop(live);
            self.airing = Some(url.clone());
            self.note(Air::Source { url }, why);
        }
        true
    }

    /// Fallback samples, silence where the fallback has none ready.
    fn take_fallback(&mut self, want: usize) {
        {
            let mut fb = self.shared.fallback();
            let n = fb.len().min(want);
            self.block.extend(fb.drain(..n));
        }
        self.shared.fallback_room.notify_one();
        self.block.resize(want, 0.0);
    }

    /// Smooths a switch over the block: fades the new audio in over it, mixed with the old
    /// where the old still has audio (fallback going off air: its next block).
    fn crossfade(&mut self, was_live: bool) {
        let want = self.block.len();
        self.other.clear();
        if was_live {
            // Live ended: nothing of it is left to fade out; fade the fallback in.
        } else {
            let mut fb = self.shared.fallback();
            let n = fb.len().min(want);
            self.other.extend(fb.drain(..n));
        }
        self.other.resize(want, 0.0);
        let frames = want / self.channels;
        for (f, (new, old)) in self
            .block
            .chunks_exact_mut(self.channels)
            .zip(self.other.chunks_exact(self.channels))
            .enumerate()
        {
            let g = (f as f32 + 1.0) / frames as f32;
            for (n, o) in new.iter_mut().zip(old) {
                *n = *n * g + *o * (1.0 - g);
            }
        }
    }

    /// The fade-out over the window's last frames.
    fn fade_out_end(&mut self) {
        let fade_from = self.window_frames.saturating_sub(self.fade_frames);
        if self.fade_frames == 0
            || self.frames + (self.block.len() / self.channels) as u64 <= fade_from
        {
            return;
        }
        for (i, frame) in self.block.chunks_exact_mut(self.channels).enumerate() {
            let at = self.frames + i as u64;
            if at >= fade_from {
                let g = (self.window_frames - at) as f32 / self.fade_frames as f32;
                frame.iter_mut().for_each(|s| *s *= g.clamp(0.0, 1.0));
            }
        }
    }
}

/// The level of silence, dBFS.
const SILENT_DB: f32 = -120.0;

fn at(frames: u64, rate: NonZero<u32>) -> Duration {
    Duration::from_nanos(
        u64::try_from(u128::from(frames) * 1_000_000_000 / u128::from(rate.get()))
            .unwrap_or(u64::MAX),
    )
}

/// What a feed airs, read from anywhere while it airs and after.
#[derive(Clone)]
pub struct FeedHandle {
    shared: Arc<Shared>,
}

impl std::fmt::Debug for FeedHandle {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("FeedHandle")
    }
}

/// What a relay airs at a moment.
#[derive(Debug, Clone, PartialEq)]
pub struct Now {
    pub air: Air,
    pub stream_title: Option<String>,
    pub level_dbfs: f32,
    pub relayed_ms: u64,
    pub dropout_ms: u64,
}

impl FeedHandle {
    /// What aired so far.
    pub fn proof(&self) -> RelayProof {
        let shared = &self.shared;
        let mut proof = shared.aired().clone();
        let frames = shared.frames.load(Ordering::Relaxed);
        let live_frames = shared.live_frames.load(Ordering::Relaxed);
        proof.relayed_ms = ms(at(live_frames, shared.rate));
        proof.dropout_ms = ms(at(frames, shared.rate)).saturating_sub(proof.relayed_ms);
        let live = shared.live();
        proof.failures = live.failures.clone();
        proof.failures_dropped = live.failures_dropped;
        proof
    }

    /// What airs now.
    pub fn now(&self) -> Now {
        let proof = self.proof();
        Now {
            air: proof
                .switches
                .last()
                .map_or(Air::Silence, |s| s.air.clone()),
            stream_title: proof.stream_title,
            level_dbfs: f32::from_bits(self.shared.level_db.load(Ordering::Relaxed)),
            relayed_ms: proof.relayed_ms,
            dropout_ms: proof.dropout_ms,
        }
    }
}

impl Drop for FeedReader {
    fn drop(&mut self) {
        self.shared.stop.store(true, Ordering::Release);
        // Under the sleepers' lock: a thread about to sleep sees the stop or gets the wake.
        drop(
            self.shared
                .wake
                .0
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner),
        );
        self.shared.wake.1.notify_all();
        drop(self.shared.fallback());
        self.shared.fallback_room.notify_all();
    }
}

#[cfg(test)]
#[path = "feed_tests.rs"]
mod tests;
