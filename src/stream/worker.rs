//! One stream's thread: connects when needed, encodes what the tap sends, keeps pace with
//! silence while it holds the connection between items, reconnects with backoff.

use std::io::Write;
use std::net::TcpStream;
use std::sync::Arc;
use std::sync::mpsc::{Receiver, RecvTimeoutError};
use std::time::{Duration, Instant, SystemTime};

use chrono::Utc;

use super::icecast::{self, SourceError, SourceFault, StreamInfo};
use super::lame::Mp3Encoder;
use super::{Block, Gap, Idle, ItemTag, Msg, OnChange, Out, Phase, Shared, states_of};

/// The first wait before reconnecting; doubles up to [`MAX_RETRY`].
const FIRST_RETRY: Duration = Duration::from_secs(1);
const MAX_RETRY: Duration = Duration::from_secs(30);
/// A connection that lasted this long starts the backoff over when it breaks.
const STABLE: Duration = Duration::from_secs(10);
/// While connected, the thread looks at the pace this often.
const TICK: Duration = Duration::from_millis(100);
/// Silence is sent once no audio came for this long (the audio's own pace is the card's).
const QUIET: Duration = Duration::from_millis(300);
/// A wake keeps the stream wanted this long if no audio follows (a fire that airs nothing).
const WAKE_FOR: Duration = Duration::from_secs(15);
/// However short `hold` is, the connection outlives the gaps between audio blocks.
const MIN_HOLD: Duration = Duration::from_secs(2);
/// The input format assumed for silence before any audio came.
const DEFAULT_FORMAT: (u32, u16) = (48_000, 2);

struct Conn {
    socket: TcpStream,
    encoder: Mp3Encoder,
    /// The encoder's input format.
    format: (u32, u16),
    opened: Instant,
    /// When the last write was taken by the socket.
    last_write: Instant,
    /// Silence pacing: from when, and how many frames (at the input rate) were sent by then.
    anchor: Option<(Instant, u64)>,
    sent_frames: u64,
    bytes: Vec<u8>,
}

struct Worker<'a> {
    all: &'a [Arc<Out>],
    out: &'a Out,
    on_change: Option<OnChange>,
    conn: Option<Conn>,
    retry_wait: Duration,
    retry_at: Option<Instant>,
    /// Wanted (connected, or trying) until then.
    wanted_until: Option<Instant>,
    last_audio: Option<Instant>,
    format: (u32, u16),
    title: Option<String>,
    muted: bool,
    left: Vec<f32>,
    right: Vec<f32>,
}

pub(super) fn run(all: &[Arc<Out>], index: usize, rx: Receiver<Msg>, on_change: Option<OnChange>) {
    let Some(out) = all.get(index) else { return };
    let mut w = Worker {
        all,
        out,
        on_change,
        conn: None,
        retry_wait: FIRST_RETRY,
        retry_at: None,
        wanted_until: None,
        last_audio: None,
        format: DEFAULT_FORMAT,
        title: None,
        muted: false,
        left: Vec::new(),
        right: Vec::new(),
    };
    if out.spec.idle == Idle::Silence {
        w.connect();
    }
    loop {
        let msg = if w.busy() {
            let wait = match w.retry_at {
                Some(at) if w.conn.is_none() => at.saturating_duration_since(Instant::now()),
                _ => TICK,
            };
            rx.recv_timeout(wait.max(Duration::from_millis(1)))
        } else {
            // Nothing to send and nothing to hold: sleep until the tap or a wake speaks.
            rx.recv().map_err(|_| RecvTimeoutError::Disconnected)
        };
        match msg {
            Ok(Msg::Audio(block)) => w.audio(&block),
            Ok(Msg::Item(tag)) => w.item(&tag),
            Ok(Msg::End) => w.want_for(w.out.spec.hold),
            Ok(Msg::Wake) => {
                w.want_for(WAKE_FOR.max(w.out.spec.hold));
                if w.conn.is_none() {
                    w.connect();
                }
            }
            Err(RecvTimeoutError::Timeout) => {}
            Err(RecvTimeoutError::Disconnected) => break,
        }
        w.tend();
    }
    w.hang_up();
}

impl Worker<'_> {
    /// Whether the thread has something to do over time (pace silence, retry, hang up).
    fn busy(&self) -> bool {
        self.conn.is_some() || self.wanted()
    }

    fn wanted(&self) -> bool {
        self.out.spec.idle == Idle::Silence || self.wanted_until.is_some_and(|t| Instant::now() < t)
    }

    fn want_for(&mut self, d: Duration) {
        let until = Instant::now() + d;
        if self.wanted_until.is_none_or(|t| t < until) {
            self.wanted_until = Some(until);
        }
    }

    fn audio(&mut self, block: &Block) {
        self.last_audio = Some(Instant::now());
        self.want_for(self.out.spec.hold.max(MIN_HOLD));
        self.format = (block.rate, block.channels);
        if self.conn.is_none() && self.retry_at.is_none_or(|t| Instant::now() >= t) {
            self.connect();
        }
        let Some(conn) = self.conn.as_mut() else {
            return;
        };
        conn.anchor = None;
        if conn.format.0 != block.rate {
            // Another output rate (a reopened device): a new encoder, the same stream.
            match Mp3Encoder::new(
                block.rate,
                self.out.spec.sample_rate,
                self.out.spec.mono,
                self.out.spec.bitrate,
            ) {
                Ok(encoder) => conn.encoder = encoder,
                Err(e) => return self.broken(std::io::Error::other(e)),
            }
        }
        conn.format = self.format;
        let frames = block.samples.len() / usize::from(block.channels.max(1));
        let result = if self.muted {
            self.left.clear();
            self.left.resize(frames, 0.0);
            send_planar(conn, &self.left, &self.left, frames)
        } else {
            split(block, self.out.spec.mono, &mut self.left, &mut self.right);
            send_planar(conn, &self.left, &self.right, frames)
        };
        if let Err(e) = result {
            self.broken(e);
        }
    }

    fn item(&mut self, tag: &ItemTag) {
        self.muted = !self.out.spec.carries(&tag.zones);
        let now = SystemTime::now();
        {
            let mut shared = self.out.lock();
            Shared::close_gap(&mut shared.muted, now);
            if self.muted {
                Shared::push_gap(
                    &mut shared.muted,
                    Gap {
                        from: now,
                        to: None,
                    },
                );
            }
        }
        let title = if self.muted {
            String::new()
        } else {
            tag.title.clone()
        };
        self.title = Some(title.clone());
        if self.conn.is_some() {
            self.send_title(title);
        }
    }

    /// The stream title, on its own thread (a slow server does not hold the audio).
    fn send_title(&self, title: String) {
        let url = self.out.spec.url.clone();
        let name = self.out.spec.name.clone();
        let _ = std::thread::Builder::new()
            .name("loaxa-stream-title".into())
            .spawn(move || {
                if let Err(e) = icecast::update_metadata(&url, &title) {
                    tracing::warn!(stream = %name, error = %e, "cannot update the stream title");
                }
            });
    }

    /// Paces silence while the connection is held, hangs up when it is no longer wanted,
    /// retries when it is.
    fn tend(&mut self) {
        let wanted = self.wanted();
        if self.conn.is_none() {
            if wanted && self.retry_at.is_some_and(|t| Instant::now() >= t) {
                self.connect();
            } else if !wanted && self.retry_at.is_some() {
                // Nothing airs any more: stop retrying until something does.
                self.retry_at = None;
                Shared::close_gap(&mut self.out.lock().gaps, SystemTime::now());
                self.set_phase(Phase::Idle, None);
            }
            return;
        }
        if !wanted {
            self.hang_up();
            return;
        }
        let quiet = self.last_audio.is_none_or(|t| t.elapsed() >= QUIET);
        if !quiet {
            return;
        }
        let Some(conn) = self.conn.as_mut() else {
            return;
        };
        let rate = u64::from(conn.format.0);
        let (since, base) = *conn
            .anchor
            .get_or_insert((Instant::now(), conn.sent_frames));
        let due = base + (since.elapsed().as_secs_f64() * rate as f64) as u64;
        let missing = usize::try_from(due.saturating_sub(conn.sent_frames)).unwrap_or(0);
        if missing == 0 {
            return;
        }
        self.left.clear();
        self.left.resize(missing, 0.0);
        if let Err(e) = send_planar(conn, &self.left, &self.left, missing) {
            self.broken(e);
        }
    }

    fn connect(&mut self) {
        self.set_phase(Phase::Connecting, None);
        let spec = &self.out.spec;
        let info = StreamInfo {
            name: spec.name.clone(),
            description: spec.description.clone(),
            bitrate: spec.bitrate,
            channels: if spec.mono { 1 } else { 2 },
            sample_rate: spec.sample_rate,
        };
        let opened = icecast::open_source(&spec.url, &info).and_then(|socket| {
            let encoder = Mp3Encoder::new(self.format.0, spec.sample_rate, spec.mono, spec.bitrate)
                .map_err(|e| SourceError::new(SourceFault::Answer, e))?;
            Ok(Conn {
                socket,
                encoder,
                format: self.format,
                opened: Instant::now(),
                last_write: Instant::now(),
                anchor: None,
                sent_frames: 0,
                bytes: Vec::new(),
            })
        });
        match opened {
            Ok(conn) => {
                tracing::info!(stream = %spec.name, url = %spec.url.public(), "stream on the air");
                self.conn = Some(conn);
                self.retry_at = None;
                Shared::close_gap(&mut self.out.lock().gaps, SystemTime::now());
                self.set_phase(Phase::OnAir, None);
                if let Some(title) = self.title.clone() {
                    self.send_title(title);
                }
            }
            Err(e) => self.failed(e),
        }
    }

    /// The connection broke while sending. What the server may not have got counts from
    /// before the last write the socket took, by what its send buffer holds (the server
    /// confirms nothing): a record never claims audio that was still in flight.
    fn broken(&mut self, e: std::io::Error) {
        let mut since = SystemTime::now();
        if let Some(conn) = self.conn.take() {
            if conn.opened.elapsed() >= STABLE {
                self.retry_wait = FIRST_RETRY;
            }
            let unconfirmed =
                (conn.last_write.elapsed() + 2 * icecast::SEND_BUFFER).min(conn.opened.elapsed());
            since = since.checked_sub(unconfirmed).unwrap_or(since);
        }
        self.failed_since(SourceError::new(SourceFault::Broken, e), since);
    }

    fn failed(&mut self, e: SourceError) {
        self.failed_since(e, SystemTime::now());
    }

    /// The server is unavailable, and has been since `since`.
    fn failed_since(&mut self, e: SourceError, since: SystemTime) {
        tracing::warn!(stream = %self.out.spec.name, error = %e, retry_in_s = self.retry_wait.as_secs(), "stream server unavailable");
        {
            let mut shared = self.out.lock();
            if shared.gaps.back().is_none_or(|g| g.to.is_some()) {
                Shared::push_gap(
                    &mut shared.gaps,
                    Gap {
                        from: since,
                        to: None,
                    },
                );
            }
        }
        self.retry_at = Some(Instant::now() + self.retry_wait);
        self.retry_wait = (self.retry_wait * 2).min(MAX_RETRY);
        self.set_phase(Phase::Retrying, Some(e));
    }

    fn hang_up(&mut self) {
        if let Some(mut conn) = self.conn.take() {
            conn.bytes.clear();
            if conn.encoder.flush(&mut conn.bytes).is_ok() {
                let _ = conn.socket.write_all(&conn.bytes);
            }
            let _ = conn.socket.shutdown(std::net::Shutdown::Both);
            tracing::info!(stream = %self.out.spec.name, "stream off the air (nothing airs)");
        }
        self.retry_wait = FIRST_RETRY;
        self.set_phase(Phase::Idle, None);
    }

    fn set_phase(&self, phase: Phase, error: Option<SourceError>) {
        {
            let mut shared = self.out.lock();
            if shared.state.phase == phase && shared.state.error == error {
                return;
            }
            shared.state.phase = phase;
            shared.state.error = error;
            shared.state.since = Utc::now();
        }
        if let Some(f) = &self.on_change {
            f(states_of(self.all));
        }
    }
}

/// The block as planar channels for the stream: mono is the channels' mean; a mono block
/// on a stereo stream goes to both sides.
fn split(block: &Block, mono: bool, left: &mut Vec<f32>, right: &mut Vec<f32>) {
    let ch = usize::from(block.channels.max(1));
    left.clear();
    right.clear();
    for frame in block.samples.chunks_exact(ch) {
        if mono {
            left.push(frame.iter().sum::<f32>() / ch as f32);
        } else {
            left.push(frame[0]);
            right.push(*frame.get(1).unwrap_or(&frame[0]));
        }
    }
}

/// Encodes `frames` frames and writes what LAME gives.
fn send_planar(conn: &mut Conn, left: &[f32], right: &[f32], frames: usize) -> std::io::Result<()> {
    conn.bytes.clear();
    conn.encoder
        .encode(left, right, &mut conn.bytes)
        .map_err(std::io::Error::other)?;
    conn.sent_frames += frames as u64;
    conn.socket.write_all(&conn.bytes)?;
    conn.last_write = Instant::now();
    Ok(())
}
