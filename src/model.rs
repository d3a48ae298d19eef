//! The station's vocabulary as types: segments, topics, outcomes, as-run records.
//!
//! These are the shapes kept in the store (serde) and shown to the operator. Runtime-only
//! state (what the player is doing now) lives with the player, not here.

use std::fmt;
use std::str::FromStr;

use chrono::{DateTime, FixedOffset, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

pub use crate::words::{Reason, Warning};

/// A segment's id in the library: a small number the operator can type (`loaxa queue add 12`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct SegmentId(pub u64);

impl fmt::Display for SegmentId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

impl FromStr for SegmentId {
    type Err = crate::words::BadValue;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let digits = s.trim().trim_start_matches('#');
        digits
            .parse::<u64>()
            .map(SegmentId)
            .map_err(|_| crate::words::BadValue::SegmentId { value: s.into() })
    }
}

/// A news item / bản tin in the library.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Segment {
    pub id: SegmentId,
    /// Title in NFC.
    pub title: String,
    /// Topic slug from `[topics]` (or `station` for signature tunes).
    pub topic: String,
    /// Responsible unit (đơn vị thực hiện).
    pub unit: Option<String>,
    pub valid_from: Option<NaiveDate>,
    pub valid_until: Option<NaiveDate>,
    /// Lower-case hex sha256 of the file's bytes.
    pub sha256: String,
    /// File name inside the media store.
    pub media_file: String,
    /// The name the file had when it was imported (NFC).
    pub original_name: String,
    pub container: String,
    pub codec: String,
    pub sample_rate: u32,
    pub channels: u16,
    /// How long it airs: the true duration measured by a full decode at import, less the
    /// silence trimmed from its ends (see [`Level::trim`]).
    pub duration_ms: u64,
    pub added_at: DateTime<Utc>,
    /// The level it airs at when queued or played (Circular 39/2020's three levels).
    #[serde(default)]
    pub priority: Priority,
    /// Whether the commune leadership has approved it (when `require_approval` is on).
    #[serde(default)]
    pub approval: Approval,
    /// Loudness, gain offset and trim (fields `loudness_measured`, `loudness_lufs`,
    /// `true_peak_dbtp`, `gain_db`, `trim` in the record; absent in segments imported before
    /// loudness was measured).
    #[serde(flatten)]
    pub level: Level,
    /// The text it was read aloud from, when it is a text bulletin (absent for files, and
    /// in segments stored before text bulletins).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tts: Option<TextSource>,
    /// The loudspeaker zones it is for (a stream with `zones` carries it only when one
    /// matches); empty: its program's zones.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub zones: Vec<String>,
    /// Where it came from when the province sent it (the inbox, `[province] inbox`): its
    /// bulletin id, sender and level. `None` for the station's own items.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub inbound: Option<InboundOrigin>,
}

/// Where an inbound bulletin came from: copied into each log record of it (`source`, part
/// of the record's hash since encoding v6). The field order is the encoding's: add fields
/// at the end only, with a new encoding version.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InboundOrigin {
    /// The sender's id of the bulletin (its sidecar's `id`).
    pub bulletin: String,
    /// Who sent it (the sidecar's `source`, e.g. "Sở KH&CN Quảng Ngãi").
    pub from: String,
    /// The level it was sent at (Circular 39/2020).
    pub level: Priority,
}

/// What a text bulletin was read from and by what: enough to read it again the same way.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TextSource {
    /// The text as the operator wrote it (cleaned, NFC), before its numbers and
    /// abbreviations were written out for the engine.
    pub text: String,
    pub voice: String,
    /// `espeak-ng`, or the program of `[tts] command`.
    pub engine: String,
    /// What the engine says its version is (`1.51`), when it says.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub engine_version: Option<String>,
}

/// How loud a segment is and how it airs: measured at import, with the operator's offset.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Level {
    /// Loudness was measured (segments imported by an older loaxa were not until the
    /// daemon measures them).
    #[serde(default)]
    pub loudness_measured: bool,
    /// EBU R128 integrated loudness, LUFS (`None`: not measured, or silence).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub loudness_lufs: Option<f64>,
    /// True peak, dBTP (`None`: not measured, or digital silence).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub true_peak_dbtp: Option<f64>,
    /// The operator's offset on top of loudness normalisation, dB.
    #[serde(default)]
    pub gain_db: f64,
    /// The part that airs when leading/trailing silence was trimmed at import.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub trim: Option<Trim>,
}

/// Frames `[start_frame, end_frame)` at the file's own rate: the part that airs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Trim {
    pub start_frame: u64,
    pub end_frame: u64,
}

/// Message levels of Circular 39/2020/TT-BTTTT: thông thường, ưu tiên, khẩn cấp.
#[derive(
    Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize,
)]
#[serde(rename_all = "snake_case")]
pub enum Priority {
    /// The commune decides whether and when it airs.
    #[default]
    Normal,
    /// Goes to the front of the next program, ahead of everything queued.
    Priority,
    /// Airs immediately, interrupting whatever plays.
    Emergency,
}

impl FromStr for Priority {
    type Err = crate::words::BadValue;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim().to_ascii_lowercase().as_str() {
            "normal" | "thong-thuong" | "thông thường" => Ok(Priority::Normal),
            "priority" | "uu-tien" | "ưu tiên" => Ok(Priority::Priority),
            "emergency" | "khan-cap" | "khẩn cấp" => Ok(Priority::Emergency),
            _ => Err(crate::words::BadValue::Priority { value: s.into() }),
        }
    }
}

impl fmt::Display for Priority {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Priority::Normal => "normal",
            Priority::Priority => "priority",
            Priority::Emergency => "emergency",
        })
    }
}

/// Approval by the commune leadership (đã duyệt / chưa duyệt).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum Approval {
    /// Imported while the station did not require approval.
    #[default]
    NotRequired,
    /// Waiting for approval: never airs.
    Pending,
    Approved {
        by: String,
        at: DateTime<Utc>,
    },
}

impl Segment {
    /// What the gain computation needs to know about this segment.
    pub fn level_input(&self) -> crate::audio::SegmentLevel {
        crate::audio::SegmentLevel {
            loudness_lufs: self.level.loudness_lufs,
            true_peak_dbtp: self.level.true_peak_dbtp,
            offset_db: self.level.gain_db,
        }
    }

    /// The trim as milliseconds from the file's start: `(start, end)`.
    pub fn trim_ms(&self) -> Option<(u64, u64)> {
        let rate = u64::from(self.sample_rate.max(1));
        self.level
            .trim
            .map(|t| (t.start_frame * 1000 / rate, t.end_frame * 1000 / rate))
    }

    /// Why the segment may not air on `day` (station-local date), if it may not.
    pub fn not_airable_on(&self, day: NaiveDate) -> Option<Reason> {
        if let Some(from) = self.valid_from
            && day < from
        {
            return Some(Reason::NotValidBefore { from });
        }
        if let Some(until) = self.valid_until
            && day > until
        {
            return Some(Reason::Expired { until });
        }
        if self.approval == Approval::Pending {
            return Some(Reason::NotApproved);
        }
        None
    }
}

/// The program name the log gives emergency broadcasts (reserved: no `[[program]]` may use it).
pub const EMERGENCY_PROGRAM: &str = "emergency";
/// The program name the log gives manual plays (reserved likewise).
pub const MANUAL_PROGRAM: &str = "manual";
/// The program name the log gives live broadcasts (reserved likewise).
pub const LIVE_PROGRAM: &str = "live";

/// What started a play.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Trigger {
    Schedule,
    Manual,
    /// A program aired late, within its `catch_up` window, after the daemon was down.
    #[serde(rename = "catch-up")]
    CatchUp,
}

/// The part an item plays in its program.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    Intro,
    Item,
    Outro,
    /// The short sound between two items (`[[program]] separator`).
    Separator,
    /// A relay of another station (tiếp sóng): its window, with what aired in it.
    Relay,
    /// A live broadcast from the station's microphone or line-in (phát trực tiếp).
    Live,
}

/// What a live airing's record keeps beside the common fields. Part of the record's hash
/// (encoding v4, `store::chain`): the field order is the encoding's — add fields at the end
/// only, with a new encoding version.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LiveProof {
    /// Who started it (the name given on the page or to `loaxa live start --by`, else the
    /// system user of the command).
    pub by: String,
    /// The capture device.
    pub input: String,
    pub end: crate::live::LiveEnd,
    /// Silence aired because the input gave nothing in time (after the first half second,
    /// while the output fills its buffer), ms.
    pub underrun_ms: u64,
    /// Input dropped on air to keep the voice's delay short (two clocks apart, a late
    /// capture caught up; after the first half second), ms.
    pub dropped_ms: u64,
    /// The buffer kept between the input and the output at the end (the delay the capture
    /// adds), ms.
    pub delay_ms: u64,
    /// The air-check file's name in `DATA_DIR/aircheck/` (`None`: it could not be kept).
    pub aircheck: Option<String>,
    pub aircheck_bytes: Option<u64>,
}

/// How a play attempt ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    /// Played to its end.
    Completed,
    /// Started but cut (max duration, stop, shutdown, crash).
    Interrupted,
    /// Could not play (file missing or broken, device error).
    Failed,
    /// Due but deliberately not played (expired, not yet valid, not approved).
    Skipped,
    /// Due while the daemon was not running (or could not air it in time).
    Missed,
}

impl fmt::Display for Outcome {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Outcome::Completed => "completed",
            Outcome::Interrupted => "interrupted",
            Outcome::Failed => "failed",
            Outcome::Skipped => "skipped",
            Outcome::Missed => "missed",
        })
    }
}

/// One play attempt in the as-run log (nhật ký phát sóng).
///
/// Written when the play starts (with `ended_at: None` and outcome `interrupted`, so a crash
/// leaves an honest record) and rewritten once when it ends.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AsRunRecord {
    /// Monotonic, never reused.
    pub id: u64,
    pub program: String,
    pub trigger: Trigger,
    pub role: Role,
    pub scheduled_at: DateTime<FixedOffset>,
    pub started_at: Option<DateTime<FixedOffset>>,
    pub ended_at: Option<DateTime<FixedOffset>>,
    pub played_ms: u64,
    pub segment_id: Option<SegmentId>,
    pub title: String,
    pub topic: String,
    pub unit: Option<String>,
    pub sha256: String,
    pub outcome: Outcome,
    /// Why it did not air as planned: a [`Reason`] in its stored form
    /// ([`Reason::stored`], compact JSON with a `code`), or in records of earlier builds
    /// English prose ([`Reason::from_stored`] reads both).
    pub reason: Option<String>,
    /// The output it went to, e.g. `alsa:default`, `wav:/tmp/air.wav`.
    pub output: String,
    #[serde(default)]
    pub priority: Priority,
    /// Who approved the segment and when, copied from the library at air time.
    #[serde(default)]
    pub approved_by: Option<String>,
    #[serde(default)]
    pub approved_at: Option<DateTime<FixedOffset>>,
    /// Proof of air, measured on what the item sent to the output (`None` when it sent
    /// nothing, and in records from before levels were measured): sample peak in dBFS
    /// (−120 for digital silence), BS.1770 integrated loudness in LUFS (`None` below
    /// −70 LUFS), both to 0.1, and the milliseconds that had sound (100 ms blocks above
    /// −50 dBFS).
    #[serde(default)]
    pub peak_dbfs: Option<f64>,
    #[serde(default)]
    pub loudness_lufs: Option<f64>,
    #[serde(default)]
    pub audible_ms: Option<u64>,
    /// The item aired but went out silent: sound in less than a tenth of its played time.
    #[serde(default)]
    pub silent: bool,
    /// A relay's proof (role `relay`): the URL and stream title that aired, relayed and
    /// dropout time, switches and source failures. `None` for every other item.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub relay: Option<crate::relay::RelayProof>,
    /// A live airing's proof (role `live`): who started it, the input, how it ended, its
    /// gaps and delay, its air-check file (whose sha256 is the record's `sha256`). `None`
    /// for every other item.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub live: Option<LiveProof>,
    /// What each stream output (`[[stream]]`) carried of the item: its gap (the server
    /// down, audio lost) or that the item was for other zones. Empty without streams, and
    /// for items that did not air.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub streams: Vec<crate::stream::StreamCarriage>,
    /// Where the item came from when the province sent it (its bulletin id, sender and
    /// level); `None` for the station's own items.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source: Option<InboundOrigin>,
    /// The canonical encoding that hashed this record (`store::chain`): 1 for records from
    /// before the levels existed (absent in them), 2 since. Set by the store.
    #[serde(default = "hash_version_1")]
    pub hash_version: u8,
    /// The previous record's `hash` (64 zeros for record 1): the link of the tamper-evident
    /// chain. Set by the store; empty in records written before the chain existed.
    #[serde(default)]
    pub prev_hash: String,
    /// Lower-case hex sha256 of this record's canonical encoding (`store::chain`). Set by the
    /// store; empty in records written before the chain existed.
    #[serde(default)]
    pub hash: String,
}

fn hash_version_1() -> u8 {
    1
}

/// Where the program audio goes (`[output] device`, `loaxa run --output SPEC`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OutputSpec {
    /// The system's default sound device.
    Default,
    /// A named sound device: a cpal device id such as `alsa:hw:CARD=PCH,DEV=0`, or an ALSA
    /// PCM name such as `plughw:1,0` (written `alsa:plughw:1,0` or just `plughw:1,0`).
    Device(String),
    /// 32-bit float WAV file with exactly the samples sent out.
    Wav(std::path::PathBuf),
    /// Headerless little-endian f32 interleaved samples.
    Raw(std::path::PathBuf),
    /// Discard the audio (timing is kept: programs take their real time).
    Null,
}

impl FromStr for OutputSpec {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let s = s.trim();
        let file = |rest: &str, make: fn(std::path::PathBuf) -> OutputSpec| {
            if rest.is_empty() {
                Err(format!(
                    "`{s}` needs a file path after the colon, e.g. `wav:/tmp/air.wav`"
                ))
            } else {
                Ok(make(rest.into()))
            }
        };
        match s {
            "" => Err("the output is empty: use `default`, a device name, `wav:PATH`, `raw:PATH` or `null`".into()),
            "default" => Ok(OutputSpec::Default),
            "null" => Ok(OutputSpec::Null),
            _ => {
                if let Some(rest) = s.strip_prefix("wav:") {
                    file(rest, OutputSpec::Wav)
                } else if let Some(rest) = s.strip_prefix("raw:") {
                    file(rest, OutputSpec::Raw)
                } else {
                    Ok(OutputSpec::Device(s.to_string()))
                }
            }
        }
    }
}

impl fmt::Display for OutputSpec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            OutputSpec::Default => f.write_str("default"),
            OutputSpec::Device(name) => f.write_str(name),
            OutputSpec::Wav(p) => write!(f, "wav:{}", p.display()),
            OutputSpec::Raw(p) => write!(f, "raw:{}", p.display()),
            OutputSpec::Null => f.write_str("null"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn segment_ids_parse_with_or_without_hash() {
        assert_eq!("12".parse::<SegmentId>(), Ok(SegmentId(12)));
        assert_eq!("#7".parse::<SegmentId>(), Ok(SegmentId(7)));
        let err = "abc".parse::<SegmentId>().expect_err("not a number");
        assert!(
            crate::words::Say::say(&err, crate::words::Lang::En).contains("segment list"),
            "{err}"
        );
    }

    #[test]
    fn output_specs_round_trip() {
        for text in [
            "default",
            "null",
            "wav:/tmp/a.wav",
            "raw:x.raw",
            "alsa:plughw:1,0",
        ] {
            let spec: OutputSpec = text.parse().expect("valid spec");
            assert_eq!(spec.to_string(), text);
        }
        assert!("wav:".parse::<OutputSpec>().is_err());
        assert!("".parse::<OutputSpec>().is_err());
    }

    #[test]
    fn validity_window_is_inclusive() {
        let day = |d| NaiveDate::from_ymd_opt(2026, 5, d).expect("valid day");
        let seg = Segment {
            id: SegmentId(1),
            title: "t".into(),
            topic: "nq57".into(),
            unit: None,
            valid_from: Some(day(10)),
            valid_until: Some(day(20)),
            sha256: String::new(),
            media_file: String::new(),
            original_name: String::new(),
            container: String::new(),
            codec: String::new(),
            sample_rate: 0,
            channels: 0,
            duration_ms: 0,
            added_at: Utc::now(),
            priority: Priority::Normal,
            approval: Approval::NotRequired,
            level: Level::default(),
            tts: None,
            zones: Vec::new(),
            inbound: None,
        };
        assert!(seg.not_airable_on(day(9)).is_some());
        assert_eq!(seg.not_airable_on(day(10)), None);
        assert_eq!(seg.not_airable_on(day(20)), None);
        assert_eq!(
            seg.not_airable_on(day(21)),
            Some(Reason::Expired { until: day(20) })
        );
    }

    #[test]
    fn a_segment_stored_before_text_bulletins_loads_and_one_with_its_text_round_trips() {
        let day = NaiveDate::from_ymd_opt(2026, 5, 1).expect("valid day");
        let mut seg = Segment {
            id: SegmentId(3),
            title: "t".into(),
            topic: "cds".into(),
            unit: None,
            valid_from: Some(day),
            valid_until: None,
            sha256: "ab".into(),
            media_file: "ab.wav".into(),
            original_name: "a.wav".into(),
            container: "wav".into(),
            codec: "pcm_s16le".into(),
            sample_rate: 22_050,
            channels: 1,
            duration_ms: 1_000,
            added_at: Utc::now(),
            priority: Priority::Normal,
            approval: Approval::NotRequired,
            level: Level::default(),
            tts: None,
            zones: Vec::new(),
            inbound: None,
        };
        let old = serde_json::to_value(&seg).expect("json");
        assert!(old.get("tts").is_none(), "not written when absent: {old}");
        let loaded: Segment = serde_json::from_value(old).expect("loads");
        assert_eq!(loaded, seg);
        seg.tts = Some(TextSource {
            text: "UBND xã thông báo".into(),
            voice: "vi".into(),
            engine: "espeak-ng".into(),
            engine_version: Some("1.51".into()),
        });
        let text = serde_json::to_string(&seg).expect("json");
        assert_eq!(serde_json::from_str::<Segment>(&text).expect("loads"), seg);
    }
}
