//! Sound-device output through rodio and cpal.
//!
//! A stream is opened per program on a dedicated thread (the sink need not be `Send`), the
//! program source is added to its mixer, and once the program has finished and the device
//! buffer has played out, the stream is closed: an idle daemon keeps no stream spinning.
//! Device errors are logged; fatal ones end the playing item as failed with the device's
//! message.

use std::num::NonZero;
use std::sync::Arc;
use std::sync::mpsc;
use std::time::{Duration, Instant};

use rodio::cpal::{self, ErrorKind, traits::DeviceTrait, traits::HostTrait};
use rodio::{DeviceSinkBuilder, MixerDeviceSink};

use super::control::Control;
use super::program::ProgramSource;
use super::{OutputError, OutputFormat};

/// Kept after the program's last sample entered the device buffer, on top of the buffer's
/// own length, before the stream is closed (cpal's ALSA stream does not drain on drop).
const DRAIN_MARGIN: Duration = Duration::from_millis(150);
/// A device that takes no audio for this long during a program is declared dead.
const STALL_TIMEOUT: Duration = Duration::from_secs(3);
const WATCH_INTERVAL: Duration = Duration::from_millis(500);

pub(crate) struct DeviceOutput {
    /// `default` or the device id, e.g. `alsa:cap_raw`.
    name: String,
    /// `None`: the host's default output device.
    id: Option<cpal::DeviceId>,
}

enum DeviceMsg {
    Finished,
    Error(cpal::Error),
}

const NO_CARD_HINT: &str = "No sound card is visible: to air into a file instead, use \
     `--output wav:PATH` (or `raw:PATH`, or `null` to only keep time)";
const NAMES_HINT: &str = "Use one of the names above (`aplay -L` lists the same PCM names)";

fn not_found(name: &str, detail: String) -> OutputError {
    let host = cpal::default_host();
    let mut names = Vec::new();
    if let Ok(devices) = host.output_devices() {
        for dev in devices {
            let Ok(id) = dev.id() else { continue };
            let desc = dev
                .description()
                .map(|d| d.name().lines().next().unwrap_or_default().to_string())
                .unwrap_or_default();
            names.push(if desc.is_empty() {
                format!("`{id}`")
            } else {
                format!("`{id}` ({desc})")
            });
        }
    }
    let has_card = names.iter().any(|n| n.contains("hw:"));
    let available = if names.is_empty() {
        "none".to_string()
    } else {
        names.join(", ")
    };
    OutputError::DeviceNotFound {
        name: name.to_string(),
        detail,
        available,
        hint: if has_card { NAMES_HINT } else { NO_CARD_HINT },
    }
}

/// Finds a device by cpal id (`alsa:NAME`) or by bare ALSA PCM name (`plughw:1,0`).
fn find(host: &cpal::Host, name: &str) -> Option<(cpal::DeviceId, cpal::Device)> {
    let candidates = [
        name.parse::<cpal::DeviceId>(),
        format!("alsa:{name}").parse(),
    ];
    candidates.into_iter().flatten().find_map(|id| {
        host.device_by_id(&id)
            .map(|dev| (dev.id().unwrap_or(id), dev))
    })
}

impl DeviceOutput {
    pub(crate) fn default_device() -> Result<DeviceOutput, OutputError> {
        let host = cpal::default_host();
        let dev = host
            .default_output_device()
            .ok_or_else(|| not_found("default", String::new()))?;
        // Opening the default PCM fails here when there is no sound card at all.
        dev.default_output_config()
            .map_err(|e| not_found("default", format!(" ({e})")))?;
        Ok(DeviceOutput {
            name: "default".into(),
            id: None,
        })
    }

    pub(crate) fn named(name: &str) -> Result<DeviceOutput, OutputError> {
        let host = cpal::default_host();
        let (id, _) = find(&host, name).ok_or_else(|| not_found(name, String::new()))?;
        Ok(DeviceOutput {
            name: id.to_string(),
            id: Some(id),
        })
    }

    pub(crate) fn describe(&self) -> String {
        self.name.clone()
    }

    pub(crate) fn start(
        &self,
        items: Vec<super::opener::Keyed>,
        format: &OutputFormat,
        control: Arc<Control>,
    ) -> Result<(), OutputError> {
        let (ready_tx, ready_rx) = mpsc::channel();
        let job = DeviceJob {
            name: self.name.clone(),
            id: self.id.clone(),
            format: format.clone(),
            items,
            control,
        };
        std::thread::Builder::new()
            .name("loaxa-output".into())
            .spawn(move || job.run(ready_tx))
            .map_err(|e| OutputError::DeviceOpen {
                name: self.name.clone(),
                detail: format!("cannot start the output thread: {e}"),
            })?;
        match ready_rx.recv() {
            Ok(result) => result,
            Err(_) => Err(OutputError::DeviceOpen {
                name: self.name.clone(),
                detail: "the output thread stopped while opening the device".into(),
            }),
        }
    }
}

struct DeviceJob {
    name: String,
    id: Option<cpal::DeviceId>,
    format: OutputFormat,
    items: Vec<super::opener::Keyed>,
    control: Arc<Control>,
}

impl DeviceJob {
    fn open_error(&self, detail: impl std::fmt::Display) -> OutputError {
        OutputError::DeviceOpen {
            name: self.name.clone(),
            detail: detail.to_string(),
        }
    }

    /// Opens the stream with an error callback feeding `msgs`.
    fn open_sink(&self, msgs: mpsc::Sender<DeviceMsg>) -> Result<MixerDeviceSink, OutputError> {
        let host = cpal::default_host();
        let device = match &self.id {
            None => host.default_output_device(),
            Some(id) => host.device_by_id(id),
        }
        .ok_or_else(|| not_found(&self.name, " (any more)".into()))?;
        let device_rate = device
            .default_output_config()
            .map(|c| c.sample_rate())
            .unwrap_or(48_000);
        let mut builder = DeviceSinkBuilder::from_device(device)
            .map_err(|e| self.open_error(chain(&e)))?
            .with_error_callback(move |e: cpal::Error| {
                let _ = msgs.send(DeviceMsg::Error(e));
            });
        if let Some(rate) = self.format.sample_rate.and_then(NonZero::new) {
            builder = builder.with_sample_rate(rate);
        }
        if let Some(channels) = self.format.channels.and_then(NonZero::new) {
            builder = builder.with_channels(channels);
        }
        if let Some(period) = self.format.buffer {
            // cpal's buffer size is the period in frames; ALSA keeps two of them queued.
            let rate = self.format.sample_rate.unwrap_or(device_rate);
            let frames = u32::try_from(u128::from(rate) * period.as_millis() / 1000)
                .unwrap_or(u32::MAX)
                .max(64);
            builder = builder.with_buffer_size(cpal::BufferSize::Fixed(frames));
        }
        let mut sink = builder
            .open_stream()
            .map_err(|e| self.open_error(chain(&e)))?;
        sink.log_on_drop(false);
        Ok(sink)
    }

    /// The output thread: open, play the program, wait for its end (or a fatal device
    /// error), let the buffer play out, close.
    fn run(mut self, ready: mpsc::Sender<Result<(), OutputError>>) {
        let (msg_tx, msg_rx) = mpsc::channel();
        let sink = match self.open_sink(msg_tx.clone()) {
            Ok(sink) => sink,
            Err(e) => {
                let _ = ready.send(Err(e));
                return;
            }
        };
        let config = *sink.config();
        let rate = config.sample_rate();
        let buffer_frames = match config.buffer_size() {
            cpal::BufferSize::Fixed(n) => u64::from(*n),
            _ => u64::from(rate.get() / 10),
        };
        // ALSA keeps a few periods queued; wait for all of them, then a margin.
        let drain = super::program::frames_to_duration(buffer_frames.saturating_mul(4), rate.get())
            + DRAIN_MARGIN;
        tracing::info!(
            device = %self.name,
            rate = rate.get(),
            channels = config.channel_count().get(),
            sample_format = %config.sample_format(),
            buffer_frames,
            "output stream opened"
        );
        let mut source = ProgramSource::new(
            std::mem::take(&mut self.items),
            config.channel_count(),
            rate,
            self.format.fade,
            self.control.clone(),
        );
        source.on_finish(move || {
            let _ = msg_tx.send(DeviceMsg::Finished);
        });
        sink.mixer().add(source);
        let _ = ready.send(Ok(()));
        self.supervise(&msg_rx, drain, rate.get());
        // Closing the stream drops the program source (if the device still returns it): had
        // it not finished, its playing item ends as failed with the reason recorded above.
        drop(sink);
        tracing::debug!(device = %self.name, "output stream closed");
    }
}

impl DeviceJob {
    /// Waits for the program's end, a fatal device error, or a stall (no frame taken by the
    /// device for [`STALL_TIMEOUT`]); in the last two cases the run is ended from here, as
    /// the source may be stuck inside a dead device and never come back.
    fn supervise(&self, msgs: &mpsc::Receiver<DeviceMsg>, drain: Duration, rate: u32) {
        let mut last = (self.control.progress(), Instant::now());
        loop {
            match msgs.recv_timeout(WATCH_INTERVAL) {
                Ok(DeviceMsg::Finished) => {
                    std::thread::sleep(drain);
                    return;
                }
                Ok(DeviceMsg::Error(e)) if is_fatal(&e) => {
                    tracing::error!(device = %self.name, error = %e, "sound device failed");
                    self.control
                        .abandon(format!("sound device {}: {e}", self.name), rate);
                    return;
                }
                Ok(DeviceMsg::Error(e)) => {
                    tracing::warn!(device = %self.name, error = %e, "sound device problem");
                }
                Err(mpsc::RecvTimeoutError::Timeout) => {
                    let now = self.control.progress();
                    if now != last.0 {
                        last = (now, Instant::now());
                    } else if last.1.elapsed() >= STALL_TIMEOUT {
                        let reason = format!(
                            "sound device {} stopped taking audio for {} s",
                            self.name,
                            STALL_TIMEOUT.as_secs()
                        );
                        tracing::error!(device = %self.name, "{reason}");
                        self.control.abandon(reason, rate);
                        return;
                    }
                }
                Err(mpsc::RecvTimeoutError::Disconnected) => return,
            }
        }
    }
}

fn is_fatal(e: &cpal::Error) -> bool {
    matches!(
        e.kind(),
        ErrorKind::DeviceNotAvailable
            | ErrorKind::HostUnavailable
            | ErrorKind::StreamInvalidated
            | ErrorKind::PermissionDenied
    )
}

/// An error with its sources, `: `-separated (rodio's own messages are generic).
fn chain(e: &dyn std::error::Error) -> String {
    let mut text = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        text.push_str(": ");
        text.push_str(&s.to_string());
        source = s.source();
    }
    text
}
