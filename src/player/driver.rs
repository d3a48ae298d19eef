//! One program run on one output, whatever the output (sound card, file, null, or the test
//! output that fails on command): open it, play, and when it fails — it cannot be opened,
//! reports a fatal error, or stops taking audio — end the playing item as failed, wait with
//! backoff, reopen, and go on with what is left of the run.
//!
//! Every output goes through this one code path, so the fault-injection tests exercise what
//! the sound card uses. Waiting sleeps (250 ms doubling to 2 s between attempts, so airing
//! resumes within ~2 s of the output coming back); a cut or splice wakes it at once. The run
//! never gives up by itself: its owner decides how long to wait and cuts it.

use std::num::NonZero;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, SystemTime};

use tokio::time::{Instant, MissedTickBehavior};

use super::control::Control;
use super::program::{ProgramSource, frames_to_duration};
use super::{OutputFormat, PlayerEvent, device, file};

/// Wait before the first reopen; doubles after each failed attempt up to [`MAX_RETRY`].
pub(crate) const FIRST_RETRY: Duration = Duration::from_millis(250);
pub(crate) const MAX_RETRY: Duration = Duration::from_secs(2);
/// An output that takes no audio for this long during a program is declared dead.
pub(crate) const STALL_TIMEOUT: Duration = Duration::from_secs(3);
const WATCH_INTERVAL: Duration = Duration::from_millis(500);
/// An output that fails again before playing this much audio keeps its backoff growing
/// (a disk that is full, a card that opens but takes nothing).
const STABLE: Duration = Duration::from_secs(1);

/// The station's output: what the driver opens for each attempt.
pub(crate) enum Output {
    Device(device::DeviceOutput),
    File(file::FileOutput),
}

/// An opened output, ready to play one program source.
pub(crate) enum Stream {
    Device(device::Stream),
    File(file::Stream),
}

/// Why an opened output stopped playing before the program's end.
#[derive(Debug)]
pub(crate) struct Lost {
    pub(crate) reason: String,
    /// Frames counted in the progress that never reached the output.
    pub(crate) unaired: u64,
}

impl Output {
    /// The output as the as-run log names it.
    pub(crate) fn describe(&self) -> String {
        match self {
            Output::Device(d) => d.describe(),
            Output::File(f) => f.describe(),
        }
    }

    /// The output as a reason names it: "sound device `default`", "output `null`".
    fn what(&self) -> String {
        match self {
            Output::Device(d) => format!("sound device `{}`", d.describe()),
            Output::File(f) => format!("output `{}`", f.describe()),
        }
    }

    async fn open(&self, format: &OutputFormat) -> Result<Stream, String> {
        match self {
            Output::Device(d) => d.open(format).await.map(Stream::Device),
            Output::File(f) => f.open().await.map(Stream::File),
        }
    }
}

impl Stream {
    fn format(&self) -> (NonZero<u16>, NonZero<u32>) {
        match self {
            Stream::Device(s) => s.format(),
            Stream::File(s) => s.format(),
        }
    }

    async fn play(self, source: ProgramSource, control: &Control) -> Result<(), Lost> {
        match self {
            Stream::Device(s) => s.play(source).await,
            Stream::File(s) => s.play(source, control).await,
        }
    }
}

/// Time between attempts to open a failed output.
#[derive(Debug)]
pub(crate) struct Backoff {
    next: Duration,
}

impl Default for Backoff {
    fn default() -> Self {
        Backoff { next: FIRST_RETRY }
    }
}

impl Backoff {
    pub(crate) fn next_wait(&mut self) -> Duration {
        let wait = self.next;
        self.next = (wait * 2).min(MAX_RETRY);
        wait
    }

    fn reset(&mut self) {
        self.next = FIRST_RETRY;
    }
}

/// Everything a run's driver needs.
pub(crate) struct Run {
    pub(crate) output: Arc<Output>,
    pub(crate) format: OutputFormat,
    pub(crate) control: Arc<Control>,
    /// Shared by the player's runs: the last run left the output failed (a new run that
    /// opens it reports `OutputBack`).
    pub(crate) lost: Arc<AtomicBool>,
    /// When the program's first sample should go out (sound devices, first attempt).
    pub(crate) start_at: Option<SystemTime>,
    /// The stream outputs, fed the very samples the output gets.
    pub(crate) tap: Option<crate::stream::Tap>,
}

impl Run {
    /// Plays the run to its end, through as many output failures as it takes. Sends
    /// `Finished` last.
    pub(crate) async fn drive(mut self) {
        let what = self.output.what();
        let mut backoff = Backoff::default();
        // Why the output is down, while it is (reported once per loss).
        let mut down: Option<String> = None;
        let mut attempts = 0u32;
        loop {
            let control = &self.control;
            if control.cut_requested() || control.is_over() {
                break;
            }
            // A splice asked for while waiting replaces what was left.
            let _ = control.take_splice();
            let items = control.rest();
            if items.is_empty() {
                break;
            }
            attempts += 1;
            let stream = match self.output.open(&self.format).await {
                Ok(stream) => stream,
                Err(reason) => {
                    tracing::debug!(output = %what, attempts, error = %reason, "output does not open");
                    self.report_down(&mut down, reason);
                    self.pause(backoff.next_wait()).await;
                    continue;
                }
            };
            let was_down = down.take().is_some();
            // A run that gave up on the output left it reported lost: this one says it is back.
            let earlier_run_lost = self.lost.swap(false, Ordering::AcqRel);
            if was_down || earlier_run_lost {
                tracing::info!(output = %what, attempts, "output back: airing resumes");
                control.send(PlayerEvent::OutputBack);
            }
            attempts = 0;
            let (channels, rate) = stream.format();
            let mut source =
                ProgramSource::new(items, channels, rate, self.format.fade, control.clone());
            if let Some(tap) = &self.tap {
                source.tap(tap);
            }
            if let Stream::Device(_) = stream {
                // Only the first attempt is timed: after a reopen the rest goes out at once.
                source.on_device(self.start_at.take());
            }
            let before = control.progress();
            let Err(lost) = watched(stream.play(source, control), control, &what).await else {
                break;
            };
            if control.is_over() {
                break; // failed while the last samples drained: the program had ended
            }
            let played = frames_to_duration(control.progress().saturating_sub(before), rate.get());
            if played >= STABLE {
                backoff.reset();
            }
            tracing::error!(output = %what, error = %lost.reason, "output failed under the program");
            control.abandon(&lost.reason, lost.unaired);
            self.report_down(&mut down, lost.reason);
            if control.rest().is_empty() && !control.splice_pending() {
                break; // that was the last item: nothing to wait for
            }
            self.pause(backoff.next_wait()).await;
        }
        self.control.send(PlayerEvent::Finished);
    }

    /// Reports the loss once until the output is back.
    fn report_down(&self, down: &mut Option<String>, reason: String) {
        if down.is_some() {
            return;
        }
        tracing::warn!(error = %reason, "output unavailable: retrying");
        self.lost.store(true, Ordering::Release);
        self.control.send(PlayerEvent::OutputLost {
            reason: reason.clone(),
        });
        *down = Some(reason);
    }

    /// Sleeps `wait`, or less if the run is cut or spliced meanwhile.
    async fn pause(&self, wait: Duration) {
        tokio::select! {
            () = tokio::time::sleep(wait) => {}
            () = self.control.woken() => {}
        }
    }
}

/// Plays with the stall watchdog: an output that takes no audio for [`STALL_TIMEOUT`] while
/// the program is not over is lost.
async fn watched(
    play: impl Future<Output = Result<(), Lost>>,
    control: &Control,
    what: &str,
) -> Result<(), Lost> {
    let mut play = std::pin::pin!(play);
    let mut tick = tokio::time::interval(WATCH_INTERVAL);
    tick.set_missed_tick_behavior(MissedTickBehavior::Delay);
    let mut last = (control.progress(), Instant::now());
    loop {
        tokio::select! {
            result = &mut play => return result,
            _ = tick.tick() => {
                let now = control.progress();
                if now != last.0 || control.is_over() {
                    last = (now, Instant::now());
                } else if last.1.elapsed() >= STALL_TIMEOUT {
                    return Err(Lost {
                        reason: format!(
                            "{what} stopped taking audio for {} s",
                            STALL_TIMEOUT.as_secs()
                        ),
                        unaired: 0,
                    });
                }
            }
        }
    }
}
