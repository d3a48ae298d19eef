//! The player: plays a program (a list of audio files) gaplessly on one output and reports
//! what aired as [`PlayerEvent`]s.
//!
//! [`Player`] owns the output chosen by an [`OutputSpec`]: a sound device through rodio/cpal
//! (opened per program — or a moment before it, [`Player::warm_up`] — and closed when the
//! program has played out, so an idle daemon keeps no stream spinning), or a file/null output paced by tokio's clock, so tests need no sound
//! card and run in simulated time. Both kinds play the same program source (`program.rs`):
//! identical samples on every output.
//!
//! Each run is driven by one tokio task (`driver.rs`), the same for every output: when the
//! output cannot be opened, fails, or stops taking audio, the playing item fails with the
//! reason and the output is reopened with backoff until the run's owner cuts it. A
//! [`FaultSwitch`] makes a file/null output fail on command, for tests.

mod control;
pub(crate) mod device;
mod driver;
mod faults;
mod file;
mod level;
mod meter;
mod opener;
mod program;

#[cfg(test)]
mod early_tests;
#[cfg(test)]
mod fault_tests;
#[cfg(test)]
mod tests;

use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::AtomicBool;
use std::time::{Duration, SystemTime};

use tokio::sync::mpsc;

use crate::model::OutputSpec;
use control::Control;
use driver::Output;
pub use faults::FaultSwitch;
pub use meter::{AUDIBLE_DBFS, FLOOR_DBFS, Levels, Meter};
pub use opener::{PlayItem, StreamSlot};

/// A run's output is reopened this long after it failed, then twice as long after each
/// failed attempt, up to [`RETRY_MAX`].
pub const RETRY_FIRST: Duration = driver::FIRST_RETRY;
pub const RETRY_MAX: Duration = driver::MAX_RETRY;
/// An output that takes no audio for this long while a program plays is declared lost.
pub const STALL_TIMEOUT: Duration = driver::STALL_TIMEOUT;

/// Default fade-out applied when a program is cut.
pub const DEFAULT_FADE: Duration = Duration::from_millis(200);

/// Output format wanted by the operator; `None` means the device's default (files: 48 kHz
/// stereo).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutputFormat {
    pub sample_rate: Option<u32>,
    pub channels: Option<u16>,
    /// Length of the linear fade-out when a program is cut.
    pub fade: Duration,
    /// Sound-card period (`None`: rodio's default, about 50 ms).
    pub buffer: Option<Duration>,
}

impl Default for OutputFormat {
    fn default() -> Self {
        OutputFormat {
            sample_rate: None,
            channels: None,
            fade: DEFAULT_FADE,
            buffer: None,
        }
    }
}

/// How much shorter than measured an item may end and still count as completed: decoders
/// differ by a codec frame or two (26 ms for MP3), never by this much.
pub const ENDED_EARLY_SLACK: Duration = Duration::from_millis(100);

/// How an item that played to the end of its audio after `played` ended, when `expected`
/// was measured: [`ItemEnd::EndedEarly`] when that end came more than [`ENDED_EARLY_SLACK`]
/// before the measure (the file no longer decodes to what import measured: a read error
/// taken for the end, a decoder that disagrees), else [`ItemEnd::Completed`]. The player's
/// completion invariant.
pub fn ended_early(played: Duration, expected: Option<Duration>) -> ItemEnd {
    match expected {
        Some(measured) if played + ENDED_EARLY_SLACK < measured => {
            ItemEnd::EndedEarly { played, measured }
        }
        _ => ItemEnd::Completed,
    }
}

/// How an item's play ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ItemEnd {
    /// Played to the real end of its audio, and that end came no earlier than the measured
    /// length allows ([`ended_early`]).
    Completed,
    /// Cut by [`Cutter::cut`] (after the fade-out).
    Cut,
    /// Could not be opened, failed mid-play, or the output failed under it.
    Failed(String),
    /// Reached the end of its audio more than [`ENDED_EARLY_SLACK`] before its measured
    /// length: a failure, logged with both times.
    EndedEarly {
        played: Duration,
        measured: Duration,
    },
}

/// What happened to a program, in airing order.
///
/// `index` is the item's position in the list given to [`Player::start`]. Every item that is
/// reached gets exactly one `Ended`; `Started` precedes it only if the item produced audio (an
/// item that cannot be opened gets just `Ended` with [`ItemEnd::Failed`]). Items after a cut
/// get no event. `Finished` is always the last event of a run.
///
/// When the output fails — it cannot be opened, reports a fatal error (the device is gone),
/// or takes no audio for [`STALL_TIMEOUT`] — the run reports `OutputLost` (once per loss),
/// the playing item ends as [`ItemEnd::Failed`] with the reason, and the output is reopened
/// with backoff; once it opens, `OutputBack` comes and the run goes on with the items not yet
/// started (and any splice asked for meanwhile). The run waits for the output until it is
/// cut: how long to wait is the owner's decision. On device outputs events are
/// sent when samples enter the device buffer (up to the buffer length, ~50–100 ms, before they
/// are heard); on file outputs when the paced clock reaches them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PlayerEvent {
    Started {
        index: usize,
        /// Sound devices: when the item's first sample is due at the device by the wall
        /// clock — on a timed start ([`Player::start_at`]) the frame placed on the start
        /// time, else when the sample was handed to the device (at most its buffer before it
        /// is heard). `None` on file outputs, whose events come when the paced clock reaches
        /// them.
        at: Option<SystemTime>,
    },
    Ended {
        index: usize,
        /// Audio played, measured at the item's own sample rate.
        played: Duration,
        end: ItemEnd,
        /// What the item sent to the output, measured there after every processing step
        /// (`None` when it sent nothing measurable: it failed before its first sample, or
        /// the output failed under it).
        levels: Option<Levels>,
    },
    /// The output failed or cannot be opened (the reason names it); retrying.
    OutputLost {
        reason: String,
    },
    /// The output opened again after a loss (in this run or, for a run's first open, in an
    /// earlier run of the same player).
    OutputBack,
    Finished,
}

/// Why an output cannot be used. Every variant names the output.
#[derive(Debug, thiserror::Error)]
pub enum OutputError {
    #[error("cannot {action} output file {path}: {source}")]
    File {
        action: &'static str,
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("{}", not_found_words(.name, .detail, .available, *.card))]
    DeviceNotFound {
        name: String,
        detail: String,
        /// The output devices there are, `id (description)`.
        available: Vec<String>,
        /// Whether any of them is a real sound card (`hw:`).
        card: bool,
    },
    #[error("cannot open sound device `{name}`: {detail}")]
    DeviceOpen { name: String, detail: String },
    #[error("invalid output format: {0}")]
    Format(String),
}

impl OutputError {
    /// The operator's code for this error, where it has one (the words are chosen by
    /// whoever shows it).
    pub fn code(&self) -> Option<crate::words::ErrorCode> {
        match self {
            OutputError::DeviceNotFound {
                name,
                available,
                card,
                ..
            } => Some(crate::words::ErrorCode::NoSoundDevice {
                device: name.clone(),
                available: available.clone(),
                card: *card,
            }),
            _ => None,
        }
    }
}

/// The English words of a missing sound device, with the sound system's own `detail` and
/// the hint (the journal's form; the operator's words come from [`OutputError::code`]).
fn not_found_words(name: &str, detail: &str, available: &[String], card: bool) -> String {
    use crate::words::{ErrorCode, Lang, Say};
    let code = ErrorCode::NoSoundDevice {
        device: name.to_string(),
        available: available.to_vec(),
        card,
    };
    let hint = code.hint(Lang::En).unwrap_or_default();
    format!("{}{detail}\n  hint: {hint}", code.say(Lang::En))
}

/// Steers a running program from any thread. Cheap to clone.
#[derive(Debug, Clone)]
pub struct Cutter(Arc<Control>);

impl Cutter {
    /// Fades out over the configured time, ends the playing item as [`ItemEnd::Cut`] and
    /// starts nothing more.
    pub fn cut(&self) {
        self.0.cut();
    }

    /// Fades out the playing item over `fade` (it ends as [`ItemEnd::Cut`]), then goes on
    /// with `items` instead of the rest of the program, in the same output stream. Each item
    /// carries the key its events will report as `index`. Used to skip an item, or to put
    /// an emergency broadcast in front of the rest. Items are [`PlayItem`]s (or `(key,
    /// path)` pairs: whole file, unity gain).
    pub fn splice<I: Into<PlayItem>>(&self, items: Vec<I>, fade: Duration) {
        let items = items.into_iter().map(Into::into).collect();
        self.0.request_splice(control::Splice {
            items,
            fade,
            keep_current: false,
        });
    }

    /// Lets the playing item air to its end and goes on with `items` instead of the rest of
    /// the program (a live airing that waits for the item on air; one taken back before it
    /// aired).
    pub fn replace_rest<I: Into<PlayItem>>(&self, items: Vec<I>) {
        let items = items.into_iter().map(Into::into).collect();
        self.0.request_splice(control::Splice {
            items,
            fade: Duration::ZERO,
            keep_current: true,
        });
    }

    /// Output frames handed to the output so far in this run (over every reopen): grows
    /// while audio flows, never decreases. A watchdog can tie itself to it.
    pub fn progress(&self) -> u64 {
        self.0.progress()
    }
}

/// One program being played.
#[derive(Debug)]
pub struct ProgramRun {
    events: mpsc::UnboundedReceiver<PlayerEvent>,
    control: Arc<Control>,
}

impl ProgramRun {
    /// The next event; `None` once `Finished` has been delivered.
    pub async fn next_event(&mut self) -> Option<PlayerEvent> {
        self.events.recv().await
    }

    pub fn cutter(&self) -> Cutter {
        Cutter(self.control.clone())
    }
}

/// The station's audio output and what plays on it.
pub struct Player {
    output: Arc<Output>,
    format: OutputFormat,
    /// The last run left the output failed.
    lost: Arc<AtomicBool>,
    /// The stream outputs, fed what this output gets.
    tap: Option<crate::stream::Tap>,
}

impl std::fmt::Debug for Player {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Player")
            .field("output", &self.describe())
            .field("format", &self.format)
            .finish_non_exhaustive()
    }
}

impl Player {
    /// Prepares the output: a file output is created (truncated) now; a device is looked up
    /// now (an unknown name is refused with the list of devices) and opened per program by
    /// [`Player::start`].
    pub fn new(spec: OutputSpec, format: OutputFormat) -> Result<Player, OutputError> {
        if format.sample_rate == Some(0) || format.channels == Some(0) {
            return Err(OutputError::Format(
                "sample rate and channel count must be above zero".into(),
            ));
        }
        let output = match spec {
            OutputSpec::Default => Output::Device(device::DeviceOutput::default_device()?),
            OutputSpec::Device(name) => Output::Device(device::DeviceOutput::named(&name)?),
            OutputSpec::Wav(path) => Output::File(file::FileOutput::wav(path, &format)?),
            OutputSpec::Raw(path) => Output::File(file::FileOutput::raw(path, &format)?),
            OutputSpec::Null => Output::File(file::FileOutput::null(&format)),
        };
        Ok(Player {
            output: Arc::new(output),
            format,
            lost: Arc::default(),
            tap: None,
        })
    }

    /// A file or null output that also fails on command through `faults` (tests).
    pub fn with_faults(
        spec: OutputSpec,
        format: OutputFormat,
        faults: FaultSwitch,
    ) -> Result<Player, OutputError> {
        if matches!(spec, OutputSpec::Default | OutputSpec::Device(_)) {
            return Err(OutputError::Format(
                "fault injection works on file and null outputs only".into(),
            ));
        }
        let mut player = Player::new(spec, format)?;
        if let Some(Output::File(f)) = Arc::get_mut(&mut player.output) {
            f.set_faults(faults);
        }
        Ok(player)
    }

    /// Sends every sample this output gets to the stream outputs too.
    pub fn set_tap(&mut self, tap: Option<crate::stream::Tap>) {
        self.tap = tap;
    }

    /// The output as the as-run log names it: `default`, `alsa:cap_raw`, `wav:/tmp/air.wav`.
    pub fn describe(&self) -> String {
        self.output.describe()
    }

    /// Opens a sound device now for a program due within a second or so: its first sample
    /// then goes out without waiting for the device to open. The stream plays silence until
    /// the program starts, and is closed after 5 s if none does (an idle daemon keeps no
    /// stream open). Nothing to do for file and null outputs.
    pub fn warm_up(&self) {
        if let Some(tap) = &self.tap {
            tap.wake();
        }
        if !matches!(*self.output, Output::Device(_)) {
            return;
        }
        let Ok(runtime) = tokio::runtime::Handle::try_current() else {
            return;
        };
        let (output, format) = (self.output.clone(), self.format.clone());
        runtime.spawn(async move {
            if let Output::Device(device) = &*output {
                device.warm_up(format).await;
            }
        });
    }

    /// Starts playing `items` back to back on a task of the current tokio runtime. A program
    /// started while another still plays on the same file output waits for it to finish.
    pub fn start(&mut self, items: Vec<PathBuf>) -> Result<ProgramRun, OutputError> {
        self.start_keyed(items.into_iter().enumerate().collect())
    }

    /// Like [`Self::start`], with the key each item's events report as `index` and, for
    /// [`PlayItem`]s, its gain and trimmed span.
    ///
    /// An output that cannot be opened is not an error here: the run reports `OutputLost`
    /// and retries. The only error is being called outside a tokio runtime.
    pub fn start_keyed<I: Into<PlayItem>>(
        &mut self,
        items: Vec<I>,
    ) -> Result<ProgramRun, OutputError> {
        self.start_at(items, None)
    }

    /// Whether [`Self::start_at`] can place a program's first sample on a given time: sound
    /// devices can (the program is handed over a moment early and waits in the stream,
    /// [`Self::PRE_ROLL`] is enough); file outputs start when their paced clock reaches the
    /// program.
    pub fn timed_start(&self) -> bool {
        matches!(*self.output, Output::Device(_))
    }

    /// How long before its start time a timed program should be handed over: the open of a
    /// device (when no stream was opened ahead), the first file's open and hash check, and
    /// a device period fit in it with room for a busy machine.
    pub const PRE_ROLL: Duration = Duration::from_millis(150);

    /// Like [`Self::start_keyed`]; on a sound device, with `start_at` (at most 2 s ahead),
    /// the stream plays silence until the frame that falls on that time and the program
    /// starts there — on time to the frame, not at the next device callback after it. A
    /// start time already past (or too far off, as after a clock step) starts at once, as
    /// do file outputs.
    pub fn start_at<I: Into<PlayItem>>(
        &mut self,
        items: Vec<I>,
        start_at: Option<SystemTime>,
    ) -> Result<ProgramRun, OutputError> {
        let items: Vec<PlayItem> = items.into_iter().map(Into::into).collect();
        let runtime =
            tokio::runtime::Handle::try_current().map_err(|e| OutputError::DeviceOpen {
                name: self.describe(),
                detail: format!("the player runs on a tokio runtime ({e})"),
            })?;
        let (tx, events) = mpsc::unbounded_channel();
        let control = Arc::new(Control::new(tx, items));
        let run = driver::Run {
            output: self.output.clone(),
            format: self.format.clone(),
            control: control.clone(),
            lost: self.lost.clone(),
            start_at,
            tap: self.tap.clone(),
        };
        runtime.spawn(run.drive());
        Ok(ProgramRun { events, control })
    }
}
