//! The station config file (`config/loaxa.toml`): read, checked and turned into [`Config`].
//!
//! Two stages: the TOML text is parsed into toml's spanned document, then each section is
//! read and validated into typed values (`Tz`, `CronRule`, `OutputSpec`, `Duration`,
//! absolute paths). Every problem becomes a [`Diagnostic`] with file:line:column and a hint,
//! and all of them are reported together in a [`ConfigError`]. [`parse`] touches no files;
//! [`check_files`] is the separate filesystem pass of `loaxa check`.
//!
//! Relative paths are resolved against the config file's folder. The defaults assume the
//! station folder layout `STATION/config/loaxa.toml`, `STATION/playlists/`, `STATION/data/`.

mod alerts;
mod api;
mod audio;
mod diagnostic;
pub mod duration;
mod files;
mod hooks;
mod inbox;
mod live;
mod program;
mod province;
mod relay;
mod stream;
#[cfg(test)]
mod tests;
mod tts;
mod validate;
pub(crate) mod walk;

use std::collections::BTreeMap;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::path::{Path, PathBuf};
use std::time::Duration;

use chrono_tz::Tz;

use crate::model::OutputSpec;
use crate::schedule::CronRule;

pub use api::parse_sha256;
pub use audio::{DEFAULT_CEILING_DBTP, DEFAULT_TARGET_LUFS, DEFAULT_TRIM_DB};
pub use diagnostic::{ConfigError, Diagnostic};
pub(crate) use diagnostic::{Source, closest};
pub use duration::parse_duration;
pub use files::check_files;
pub use inbox::InboxSettings;
pub use program::{MAX_RELAY_URLS, MAX_URL};
pub use province::{DEFAULT_HEARTBEAT, ProvinceLink};
pub use tts::{ESPEAK_VOICES, MAX_VOICE};
pub use validate::normalize;

/// Topic slug that signature tunes (intro/outro) are logged under.
pub const STATION_TOPIC: &str = "station";
/// Its display name, added to `[topics]` when the file does not define it.
pub const STATION_TOPIC_TITLE: &str = "Nhạc hiệu / giới thiệu đài";
/// Default `[station] timezone`.
pub const DEFAULT_TIMEZONE: Tz = chrono_tz::Asia::Ho_Chi_Minh;
/// Default `[station] data_dir`, relative to the config file's folder.
pub const DEFAULT_DATA_DIR: &str = "../data";
/// Default `[station] playlists_dir`, relative to the config file's folder.
pub const DEFAULT_PLAYLISTS_DIR: &str = "../playlists";
/// Default `[station] disk_warn_mb`: the operator is warned when the data folder's disk has
/// less free space than this (MB of 1 048 576 bytes).
pub const DEFAULT_DISK_WARN_MB: u64 = 500;
/// Default `[output] fade_ms`: the fade applied when a program is cut.
pub const DEFAULT_FADE: Duration = Duration::from_millis(200);
/// Default sound-card period (`[output] buffer_ms`).
pub const DEFAULT_BUFFER: Duration = Duration::from_millis(20);

/// Default `[api] listen`: this machine only.
pub const DEFAULT_API_LISTEN: SocketAddr = SocketAddr::new(IpAddr::V4(Ipv4Addr::LOCALHOST), 8757);
/// Default `[api] max_upload_mb`.
pub const DEFAULT_MAX_UPLOAD_MB: u64 = 200;

/// A validated station config.
#[derive(Debug, Clone, PartialEq)]
pub struct Config {
    /// The config file (absolute).
    pub path: PathBuf,
    pub station: Station,
    pub output: OutputConfig,
    /// Topic slug -> display name; always contains [`STATION_TOPIC`].
    pub topics: BTreeMap<String, String>,
    pub programs: Vec<Program>,
    pub api: ApiConfig,
    pub audio: AudioConfig,
    pub relay: RelaySettings,
    pub tts: TtsConfig,
    pub live: LiveSettings,
    pub hooks: HooksSettings,
    pub alerts: AlertSettings,
    /// `[[stream]]`: Icecast servers the station's audio goes to beside the sound card.
    pub streams: Vec<crate::stream::StreamSpec>,
    /// `[province] url`: the province's database the log is pushed to (none: not sent).
    pub province: Option<ProvinceLink>,
    /// `[province] inbox`: the folder the province's bulletins arrive in (`None`: none).
    pub inbox: Option<InboxSettings>,
}

/// `[alerts]`: webhooks told of the station's faults.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AlertSettings {
    /// http(s) addresses each event is POSTed to (none: no alerts).
    pub webhooks: Vec<String>,
    /// The same fault again within this is not sent again.
    pub dedup: Duration,
    /// `digest = true`: events go out once a day at this station time, together.
    pub digest_at: Option<chrono::NaiveTime>,
}

/// `[hooks]`: commands run around programs (the amplifier on before, off after).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HooksSettings {
    /// Run (`sh -c`) `lead` before a program's fire time, or at once before an emergency,
    /// manual or live broadcast, when the previous `after_program` has run.
    pub before_program: Option<String>,
    /// Run `hold` after the station falls silent (the outro's end), unless more airs by then.
    pub after_program: Option<String>,
    pub lead: Duration,
    pub hold: Duration,
    /// A hook still running after this is stopped (and logged).
    pub timeout: Duration,
}

/// `[live]`: the live broadcast's input and limits.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LiveSettings {
    /// The capture device (microphone or line-in): a cpal id (`alsa:hw:1,0`), a bare ALSA
    /// name, or `default`.
    pub input: String,
    /// A live airing ends by itself after this (nobody left the microphone open all night).
    pub max_duration: Duration,
    /// Air-check files (what each live airing sent out) are deleted after this.
    pub keep_aircheck: Duration,
}

/// `[tts]`: how text bulletins are read aloud.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TtsConfig {
    pub engine: TtsEngine,
    /// The voice a bulletin is read with when none is chosen (one of `voices`).
    pub voice: String,
    /// The voices the operator may choose from.
    pub voices: Vec<String>,
}

/// The program that turns text into a WAV file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TtsEngine {
    /// `espeak-ng -v VOICE -w OUT --stdin` (the default; offline and deterministic).
    EspeakNg,
    /// Any program and its arguments; `{out}` is where it writes the WAV, `{voice}` the
    /// voice; the text comes on its standard input.
    Command(Vec<String>),
}

/// `[relay]`: how relay programs reach their sources.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RelaySettings {
    /// To connect to a source (and its TLS handshake).
    pub connect_timeout: Duration,
    /// No byte for this long: the source stalled.
    pub stall_timeout: Duration,
    /// Digital silence this long fails a source.
    pub silence_timeout: Duration,
    /// A live HLS playlist that has not advanced this long is frozen.
    pub frozen_timeout: Duration,
    /// Audio buffered before a source airs (the relay airs this much behind the source).
    pub prebuffer: Duration,
    /// The wait after a round of failed tries, doubling up to `retry_max`.
    pub retry_first: Duration,
    pub retry_max: Duration,
}

impl RelaySettings {
    /// The network options of the sources.
    pub fn net(&self) -> crate::relay::NetOptions {
        crate::relay::NetOptions {
            connect: self.connect_timeout,
            stall: self.stall_timeout,
            frozen: self.frozen_timeout,
            ..Default::default()
        }
    }
}

/// `[audio]`: loudness normalisation at playout and silence trimming at import.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct AudioConfig {
    /// Bring every segment to `target_lufs` (default); `false`: air each at its own level.
    pub normalise: bool,
    /// Integrated loudness every segment airs at, LUFS.
    pub target_lufs: f64,
    /// No true peak goes above this, dBTP: a segment too peaky for the target gets less gain.
    pub true_peak_ceiling_dbtp: f64,
    /// Gain on top of everything, dB.
    pub master_gain_db: f64,
    /// Leading and trailing audio below this level (dBFS) is trimmed at import; `None`: no
    /// trimming.
    pub trim_silence_db: Option<f64>,
}

impl Default for AudioConfig {
    /// What a config without `[audio]` gets.
    fn default() -> Self {
        audio::default_audio()
    }
}

impl AudioConfig {
    /// The settings the gain computation takes.
    pub fn levels(&self) -> crate::audio::LevelSettings {
        crate::audio::LevelSettings {
            normalise: self.normalise,
            target_lufs: self.target_lufs,
            true_peak_ceiling_dbtp: self.true_peak_ceiling_dbtp,
            master_gain_db: self.master_gain_db,
        }
    }
}

/// `[api]`: the control API the CLI (and other tools) use while the daemon runs.
#[derive(Clone, PartialEq, Eq)]
pub struct ApiConfig {
    pub listen: SocketAddr,
    /// sha256 of the access token; `None`: no token (allowed on loopback only).
    pub token_sha256: Option<[u8; 32]>,
    /// Largest accepted upload, in bytes.
    pub max_upload: u64,
    /// Host names the API answers to besides `localhost` and IP addresses (lower case,
    /// `name` or `name:port`).
    pub allowed_hosts: Vec<String>,
}

impl std::fmt::Debug for ApiConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ApiConfig")
            .field("listen", &self.listen)
            .field("token", &self.token_sha256.map(|_| "(sha256 set)"))
            .field("max_upload", &self.max_upload)
            .field("allowed_hosts", &self.allowed_hosts)
            .finish()
    }
}

/// `[station]`.
#[derive(Debug, Clone, PartialEq)]
pub struct Station {
    pub name: String,
    pub timezone: Tz,
    pub data_dir: PathBuf,
    pub playlists_dir: PathBuf,
    /// Topic for playlist file entries that name none.
    pub default_topic: Option<String>,
    /// New segments are pending until approved; pending segments never air.
    pub require_approval: bool,
    /// What happens to the item an emergency broadcast interrupts.
    pub after_emergency: AfterEmergency,
    /// Warn (status, alert) when the disk holding `data_dir` has less free space than this
    /// many MB (1 048 576 bytes); 0: never.
    pub disk_warn_mb: u64,
}

/// `[station] after_emergency`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum AfterEmergency {
    /// The interrupted item airs again from its start, then the rest of the program.
    #[default]
    Resume,
    /// The interrupted item goes to the front of the queue; the program goes on after it.
    Requeue,
}

/// `[output]`.
#[derive(Debug, Clone, PartialEq)]
pub struct OutputConfig {
    /// File paths (`wav:`, `raw:`) are absolute.
    pub device: OutputSpec,
    pub sample_rate: Option<u32>,
    pub channels: Option<u16>,
    /// Fade-out when a program is cut.
    pub fade: Duration,
    /// Sound-card period: how much audio is handed over per callback. Smaller reacts
    /// faster (an emergency is heard sooner), larger tolerates a busier PC.
    pub buffer: Duration,
}

/// One `[[program]]`: an air slot.
#[derive(Debug, Clone, PartialEq)]
pub struct Program {
    /// Unique, no whitespace; used in logs and on the command line.
    pub name: String,
    pub title: Option<String>,
    pub cron: CronRule,
    /// Playlist names (files `NAME.toml` / `NAME.m3u` / `NAME.m3u8` in `playlists_dir`).
    pub playlists: Vec<String>,
    /// Whether queued segments air in this program.
    pub queue: bool,
    pub intro: Option<PathBuf>,
    pub outro: Option<PathBuf>,
    /// A short sound aired between consecutive content items (not before the intro or
    /// after the outro).
    pub separator: Option<PathBuf>,
    pub max_duration: Option<Duration>,
    pub enabled: bool,
    /// `catch_up = "20m"`: when the daemon comes back within this long after a fire time it
    /// missed, the program airs late (trigger `catch-up`); `None` (`"skip"`, the default):
    /// the missed fire is only logged.
    pub catch_up: Option<Duration>,
    /// `relay = [URL, …]`: a relay program (tiếp sóng) airs the first of these sources that
    /// plays, for its window (`max_duration`, required), between its intro and outro.
    pub relay: Vec<String>,
    /// Playlists aired while no relay source plays (a relay program only).
    pub fallback: Vec<String>,
    /// Keep what the relay aired as a segment, to air again later (a relay program only).
    pub record: bool,
    /// The topic of those recordings (default: `[station] default_topic`).
    pub topic: Option<String>,
    /// Streams whose `zones` name none of these do not carry the program (empty: all do).
    pub zones: Vec<String>,
    /// Where things were written, for diagnostics of the later file checks.
    pub(crate) spans: ProgramSpans,
}

/// 1-based (line, column) positions of a program's file references.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct ProgramSpans {
    pub playlists: Vec<(usize, usize)>,
    pub fallback: Vec<(usize, usize)>,
    pub intro: (usize, usize),
    pub outro: (usize, usize),
    pub separator: (usize, usize),
}

impl Config {
    /// The folder relative paths in the file are resolved against.
    pub fn base_dir(&self) -> &Path {
        self.path.parent().unwrap_or(Path::new("."))
    }

    /// The program called `name`.
    pub fn program(&self, name: &str) -> Option<&Program> {
        self.programs.iter().find(|p| p.name == name)
    }
}

/// Reads and validates the config file at `path`.
pub fn load(path: &Path) -> Result<Config, ConfigError> {
    let text = std::fs::read_to_string(path).map_err(|e| ConfigError {
        diagnostics: vec![Diagnostic::whole_file_problem(
            path,
            crate::words::ConfigProblem::CannotReadConfig {
                detail: e.to_string(),
            },
        )],
    })?;
    parse(&text, path)
}

/// Validates config `text` as if read from `path` (used for messages and to resolve
/// relative paths; the file itself is not read).
pub fn parse(text: &str, path: &Path) -> Result<Config, ConfigError> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut src = Source::new(text, path);
    let config = validate::config(&mut src, path);
    let diagnostics = src.finish();
    match config {
        Some(config) if diagnostics.is_empty() => Ok(config),
        _ => Err(ConfigError { diagnostics }),
    }
}
