//! Stream outputs (`[[stream]]`): the station's audio, sample for sample what the sound card
//! gets, encoded to MP3 and sent to Icecast servers, from which IP loudspeaker clusters and
//! relays take it.
//!
//! The player's program source copies every output sample into a [`Tap`] (a block every
//! ~43 ms), which hands it to each stream's thread over a bounded channel without waiting:
//! a stream that cannot keep up loses blocks (counted as its gap), never the sound card.
//! Each stream's thread ([`worker`]) encodes (LAME) and sends; it connects when a program is
//! due ([`Tap::wake`]) or audio comes, keeps the connection `hold` after the last audio
//! with silence (so listeners are not dropped between items or programs), then hangs up —
//! or, with `idle = "silence"`, stays on the air with silence. A server that refuses or goes
//! away is retried with a doubling wait (1 s to 30 s); the outage is kept with its times, and
//! each as-run record notes what every stream carried of the item ([`Streams::carriage`]).
//! The item on air goes to the server as the stream title.
//!
//! `zones`: a stream for some clusters carries only the items whose program (or segment)
//! names one of its zones, or names none; other items go out on it as silence.

pub mod icecast;
pub mod lame;
mod worker;

use std::collections::VecDeque;
use std::sync::mpsc::{SyncSender, TrySendError};
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime};

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

pub use icecast::{IcecastUrl, SourceError, SourceFault, UrlProblem};

/// Output frames per block handed to the streams: 43 ms at 48 kHz.
const BLOCK_FRAMES: usize = 2048;
/// Blocks a stream's channel holds: ~5.5 s at 48 kHz. A stream that falls this far behind
/// loses audio (its gap), the sound card nothing.
const CHANNEL_BLOCKS: usize = 128;
/// Outages and losses kept per stream for the records (the oldest go first).
const MAX_OUTAGES: usize = 256;

/// What happens to a stream when nothing airs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Idle {
    /// Hang up `hold` after the last audio (the default: an idle station sends nothing).
    Disconnect,
    /// Stay connected all day, sending silence between programs (receivers that never
    /// reconnect by themselves).
    Silence,
}

/// One `[[stream]]` section.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StreamSpec {
    /// How the page, the log and the alerts name it (default: the mount).
    pub name: String,
    pub url: IcecastUrl,
    /// kbit/s, one of [`lame::BITRATES`].
    pub bitrate: u16,
    pub mono: bool,
    /// The stream's sample rate, one of [`lame::SAMPLE_RATES`].
    pub sample_rate: u32,
    pub idle: Idle,
    /// Kept connected (with silence) this long after the last audio.
    pub hold: Duration,
    /// Empty: every program.
    pub zones: Vec<String>,
    /// Sent to Icecast as the stream's name and description.
    pub description: String,
}

impl StreamSpec {
    /// Whether an item for `zones` goes out on this stream.
    pub fn carries(&self, zones: &[String]) -> bool {
        self.zones.is_empty() || zones.is_empty() || zones.iter().any(|z| self.zones.contains(z))
    }
}

/// The most zones a program, a segment or a stream names, and the longest zone name.
pub const MAX_ZONES: usize = 32;
pub const MAX_ZONE: usize = 64;

/// Whether `name` can be a zone: 1 to [`MAX_ZONE`] bytes, no spaces, commas or controls.
pub fn zone_name_ok(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= MAX_ZONE
        && !name
            .chars()
            .any(|c| c.is_whitespace() || c.is_control() || c == ',')
}

/// What the streams are told of an item: its title (the stream title) and zones.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ItemTag {
    pub title: String,
    pub zones: Vec<String>,
}

/// A stream's connection as the page shows it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Phase {
    /// Not connected, and not needed now.
    Idle,
    Connecting,
    /// Connected and sending.
    OnAir,
    /// Needed but the server failed; retrying.
    Retrying,
}

/// One stream's state (`/now`'s `streams`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StreamState {
    pub name: String,
    /// The listeners' address (no password).
    pub url: String,
    pub phase: Phase,
    pub since: DateTime<Utc>,
    /// The last failure, while retrying.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<SourceError>,
    /// Zones it carries (empty: all).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub zones: Vec<String>,
}

/// What one stream carried of an item (the as-run record's `streams`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StreamCarriage {
    pub stream: String,
    /// Of the item's time on air, what the stream did not carry (server down, audio lost).
    pub gap_ms: u64,
    /// The item was not for this stream's zones (it went out as silence).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub other_zone: bool,
}

/// A span of time a stream did not carry what aired.
#[derive(Debug, Clone, Copy)]
struct Gap {
    from: SystemTime,
    /// `None`: still going on.
    to: Option<SystemTime>,
}

/// What a stream's thread and the tap share.
#[derive(Debug)]
struct Shared {
    state: StreamState,
    gaps: VecDeque<Gap>,
    /// Items that went out as silence on this stream (zones), by their start and end.
    muted: VecDeque<Gap>,
}

impl Shared {
    fn push_gap(list: &mut VecDeque<Gap>, gap: Gap) {
        if list.len() >= MAX_OUTAGES {
            list.pop_front();
        }
        list.push_back(gap);
    }

    /// Closes the gap that is going on, at `at`.
    fn close_gap(list: &mut VecDeque<Gap>, at: SystemTime) {
        if let Some(g) = list.back_mut()
            && g.to.is_none()
        {
            g.to = Some(at);
        }
    }
}

/// Told when a stream's state changes (the daemon puts it in the status).
pub type OnChange = Arc<dyn Fn(Vec<StreamState>) + Send + Sync>;

enum Msg {
    Audio(Arc<Block>),
    Item(Arc<ItemTag>),
    End,
    Wake,
}

/// Output samples, interleaved, at the output's format.
struct Block {
    rate: u32,
    channels: u16,
    samples: Vec<f32>,
}

struct Out {
    spec: StreamSpec,
    tx: SyncSender<Msg>,
    shared: Mutex<Shared>,
}

impl Out {
    fn lock(&self) -> std::sync::MutexGuard<'_, Shared> {
        self.shared.lock().unwrap_or_else(|p| p.into_inner())
    }
}

/// The station's stream outputs (none when the config has no `[[stream]]`).
#[derive(Clone)]
pub struct Streams {
    outs: Arc<[Arc<Out>]>,
}

impl Default for Streams {
    fn default() -> Self {
        Streams { outs: Arc::new([]) }
    }
}

impl std::fmt::Debug for Streams {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_list()
            .entries(self.outs.iter().map(|o| &o.spec.name))
            .finish()
    }
}

impl Streams {
    /// Starts a thread per stream; each waits (asleep) for audio or a wake.
    pub fn start(specs: &[StreamSpec], on_change: Option<OnChange>) -> Streams {
        let mut outs = Vec::new();
        let mut receivers = Vec::new();
        for spec in specs {
            let (tx, rx) = std::sync::mpsc::sync_channel(CHANNEL_BLOCKS);
            receivers.push(rx);
            outs.push(Arc::new(Out {
                spec: spec.clone(),
                tx,
                shared: Mutex::new(Shared {
                    state: StreamState {
                        name: spec.name.clone(),
                        url: spec.url.public(),
                        phase: Phase::Idle,
                        since: Utc::now(),
                        error: None,
                        zones: spec.zones.clone(),
                    },
                    gaps: VecDeque::new(),
                    muted: VecDeque::new(),
                }),
            }));
        }
        let outs: Arc<[Arc<Out>]> = outs.into();
        for (index, rx) in receivers.into_iter().enumerate() {
            let (all, on_change) = (outs.clone(), on_change.clone());
            if let Err(e) = std::thread::Builder::new()
                .name("loaxa-stream".into())
                .spawn(move || worker::run(&all, index, rx, on_change))
            {
                tracing::error!(stream = %outs[index].spec.name, error = %e, "cannot start the stream's thread");
            }
        }
        Streams { outs }
    }

    pub fn is_empty(&self) -> bool {
        self.outs.is_empty()
    }

    /// What the player copies its output into (`None`: no streams).
    pub fn tap(&self) -> Option<Tap> {
        (!self.outs.is_empty()).then(|| Tap {
            outs: self.outs.clone(),
        })
    }

    /// Every stream's state.
    pub fn states(&self) -> Vec<StreamState> {
        states_of(&self.outs)
    }

    /// What each stream carried of an item on air from `from` to `to`.
    pub fn carriage(&self, from: SystemTime, to: SystemTime) -> Vec<StreamCarriage> {
        self.outs
            .iter()
            .map(|o| {
                let shared = o.lock();
                let now = SystemTime::now();
                let overlap = |list: &VecDeque<Gap>| covered(list, from, to, now);
                let span = to.duration_since(from).unwrap_or_default();
                let gap = overlap(&shared.gaps).min(span);
                let muted = overlap(&shared.muted);
                StreamCarriage {
                    stream: o.spec.name.clone(),
                    gap_ms: u64::try_from(gap.as_millis()).unwrap_or(u64::MAX),
                    other_zone: !span.is_zero() && muted * 2 > span,
                }
            })
            .collect()
    }
}

/// How much of `[from, to]` the gaps cover (overlapping gaps counted once; one still going
/// on ends `now`).
fn covered(list: &VecDeque<Gap>, from: SystemTime, to: SystemTime, now: SystemTime) -> Duration {
    let mut spans: Vec<(SystemTime, SystemTime)> = list
        .iter()
        .map(|g| (g.from.max(from), g.to.unwrap_or(now).min(to)))
        .filter(|(a, b)| a < b)
        .collect();
    spans.sort();
    let mut total = Duration::ZERO;
    let mut reach: Option<SystemTime> = None;
    for (a, b) in spans {
        let start = reach.map_or(a, |r| r.max(a));
        if b > start {
            total += b.duration_since(start).unwrap_or_default();
        }
        reach = Some(reach.map_or(b, |r| r.max(b)));
    }
    total
}

/// Every stream's state, in config order (what [`OnChange`] is told).
fn states_of(outs: &[Arc<Out>]) -> Vec<StreamState> {
    outs.iter().map(|o| o.lock().state.clone()).collect()
}

/// The player's end of the streams. Cheap to clone.
#[derive(Clone)]
pub struct Tap {
    outs: Arc<[Arc<Out>]>,
}

impl std::fmt::Debug for Tap {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Tap")
    }
}

impl Tap {
    /// A program is due in a moment: every stream connects now.
    pub fn wake(&self) {
        for out in self.outs.iter() {
            let _ = out.tx.try_send(Msg::Wake);
        }
    }

    /// A writer for one program source at its output format.
    pub fn writer(&self, channels: u16, rate: u32) -> TapWriter {
        TapWriter {
            outs: self.outs.clone(),
            buf: Vec::with_capacity(BLOCK_FRAMES * usize::from(channels)),
            channels,
            rate,
        }
    }
}

/// Collects a program source's samples into blocks for the streams.
pub struct TapWriter {
    outs: Arc<[Arc<Out>]>,
    buf: Vec<f32>,
    channels: u16,
    rate: u32,
}

impl std::fmt::Debug for TapWriter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("TapWriter")
    }
}

impl TapWriter {
    /// One output sample.
    #[inline]
    pub fn push(&mut self, sample: f32) {
        self.buf.push(sample);
        if self.buf.len() >= BLOCK_FRAMES * usize::from(self.channels) {
            self.flush();
        }
    }

    /// An item's first sample comes next.
    pub fn item(&mut self, tag: Arc<ItemTag>) {
        self.flush();
        self.send(|| Msg::Item(tag.clone()));
    }

    /// The program's last sample went.
    pub fn end(&mut self) {
        self.flush();
        self.send(|| Msg::End);
    }

    fn flush(&mut self) {
        if self.buf.is_empty() {
            return;
        }
        let samples = std::mem::replace(
            &mut self.buf,
            Vec::with_capacity(BLOCK_FRAMES * usize::from(self.channels)),
        );
        let frames = samples.len() / usize::from(self.channels.max(1));
        let block = Arc::new(Block {
            rate: self.rate,
            channels: self.channels,
            samples,
        });
        let now = SystemTime::now();
        let length = Duration::from_secs_f64(frames as f64 / f64::from(self.rate.max(1)));
        for out in self.outs.iter() {
            if let Err(TrySendError::Full(_)) = out.tx.try_send(Msg::Audio(block.clone())) {
                let mut shared = out.lock();
                Shared::push_gap(
                    &mut shared.gaps,
                    Gap {
                        from: now,
                        to: Some(now + length),
                    },
                );
            }
        }
    }

    /// A control message to every stream; one that finds a full channel is dropped (the
    /// stream is already losing audio, and it takes the next one).
    fn send(&self, msg: impl Fn() -> Msg) {
        for out in self.outs.iter() {
            let _ = out.tx.try_send(msg());
        }
    }
}

impl Drop for TapWriter {
    fn drop(&mut self) {
        self.flush();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gaps_that_overlap_count_once_and_only_within_the_item() {
        let t0 = SystemTime::UNIX_EPOCH + Duration::from_secs(1_000);
        let at = |s: f64| t0 + Duration::from_secs_f64(s);
        let gaps: VecDeque<Gap> = [
            // An outage from 2 s to 5 s, losses inside it and one after, one still going.
            Gap {
                from: at(2.0),
                to: Some(at(5.0)),
            },
            Gap {
                from: at(3.0),
                to: Some(at(3.5)),
            },
            Gap {
                from: at(4.5),
                to: Some(at(6.0)),
            },
            Gap {
                from: at(9.0),
                to: None,
            },
        ]
        .into();
        let got = covered(&gaps, at(1.0), at(10.0), at(9.5));
        assert_eq!(got, Duration::from_secs_f64(4.5)); // 2–6 and 9–9.5
        assert_eq!(covered(&gaps, at(0.0), at(1.0), at(9.5)), Duration::ZERO);
        assert_eq!(
            covered(&gaps, at(2.5), at(3.0), at(9.5)),
            Duration::from_millis(500)
        );
    }

    #[test]
    fn a_zoned_stream_carries_its_zones_and_items_for_none() {
        let url = IcecastUrl::parse("icecast://s:p@h/a.mp3").expect("url");
        let spec = |zones: &[&str]| StreamSpec {
            name: "a".into(),
            url: url.clone(),
            bitrate: 64,
            mono: true,
            sample_rate: 44_100,
            idle: Idle::Disconnect,
            hold: Duration::from_secs(30),
            zones: zones.iter().map(|z| z.to_string()).collect(),
            description: String::new(),
        };
        let z = |v: &[&str]| v.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        assert!(spec(&[]).carries(&z(&["thon-2"])));
        assert!(spec(&["thon-1"]).carries(&z(&[])));
        assert!(spec(&["thon-1"]).carries(&z(&["thon-2", "thon-1"])));
        assert!(!spec(&["thon-1"]).carries(&z(&["thon-2"])));
        assert!(
            zone_name_ok("thon-1")
                && !zone_name_ok("thôn 1")
                && !zone_name_ok("a,b")
                && !zone_name_ok("")
        );
    }
}
