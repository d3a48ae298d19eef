//! Sound-device output through rodio and cpal.
//!
//! Each attempt of the driver ([`super::driver`]) opens a stream on a dedicated thread (the
//! sink is not `Send`) that keeps it until the attempt is over; the program source goes to
//! its mixer. Once the program has finished and the device buffer has played out, the
//! stream is closed: an idle daemon keeps no stream spinning. Device errors are logged; a
//! fatal one (the device is gone) ends the attempt with the device's message, and the
//! driver reopens the device with backoff.

use std::num::NonZero;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc;
use std::time::Duration;

use rodio::cpal::{self, ErrorKind, traits::DeviceTrait, traits::HostTrait};
use rodio::mixer::Mixer;
use rodio::{DeviceSinkBuilder, MixerDeviceSink};
use tokio::sync::{mpsc as tokio_mpsc, oneshot};

use super::driver::Lost;
use super::program::ProgramSource;
use super::{OutputError, OutputFormat};

/// Kept after the program's last sample entered the device buffer, on top of the buffer's
/// own length, before the stream is closed (cpal's ALSA stream does not drain on drop).
const DRAIN_MARGIN: Duration = Duration::from_millis(150);
/// An open that hangs (a wedged driver) counts as failed after this long.
const OPEN_TIMEOUT: Duration = Duration::from_secs(5);

/// A stream opened ahead of a program ([`DeviceOutput::warm_up`]) is closed after this long
/// if no program takes it (a fire that airs nothing): an idle daemon keeps no stream open.
const WARM_FOR: Duration = Duration::from_secs(5);

pub(crate) struct DeviceOutput {
    /// `default` or the device id, e.g. `alsa:cap_raw`.
    name: String,
    /// `None`: the host's default output device.
    id: Option<cpal::DeviceId>,
    /// A stream opened ahead of the next program, playing silence until it is taken, with
    /// the number that tells its expiry task whether it is still the one it opened.
    /// Held while a warm-up opens the device, so a program's open waits for it instead of
    /// opening the device a second time (a `hw:` device opens once).
    warm: tokio::sync::Mutex<Option<(u64, Stream)>>,
    warm_count: AtomicU64,
}

enum DeviceMsg {
    Finished,
    Error(cpal::Error),
}

fn not_found(name: &str, detail: String) -> OutputError {
    let host = cpal::default_host();
    let mut names = Vec::new();
    if let Ok(devices) = host.output_devices() {
        for (id, desc) in devices.filter_map(|dev| label(&dev)) {
            names.push(if desc.is_empty() {
                format!("`{id}`")
            } else {
                format!("`{id}` ({desc})")
            });
        }
    }
    let card = names.iter().any(|n| n.contains("hw:"));
    OutputError::DeviceNotFound {
        name: name.to_string(),
        detail,
        available: names,
        card,
    }
}

/// A device's cpal id and the first line of its description (`alsa:mic`, "Test
/// microphone"): how an error names the devices there are.
pub(crate) fn label(dev: &cpal::Device) -> Option<(cpal::DeviceId, String)> {
    let id = dev.id().ok()?;
    let desc = dev
        .description()
        .map(|d| d.name().lines().next().unwrap_or_default().to_string())
        .unwrap_or_default();
    Some((id, desc))
}

/// Finds a device by cpal id (`alsa:NAME`) or by bare ALSA PCM name (`plughw:1,0`).
pub(crate) fn find(host: &cpal::Host, name: &str) -> Option<(cpal::DeviceId, cpal::Device)> {
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
            warm: tokio::sync::Mutex::default(),
            warm_count: AtomicU64::default(),
        })
    }

    pub(crate) fn named(name: &str) -> Result<DeviceOutput, OutputError> {
        let host = cpal::default_host();
        let (id, _) = find(&host, name).ok_or_else(|| not_found(name, String::new()))?;
        Ok(DeviceOutput {
            name: id.to_string(),
            id: Some(id),
            warm: tokio::sync::Mutex::default(),
            warm_count: AtomicU64::default(),
        })
    }

    pub(crate) fn describe(&self) -> String {
        self.name.clone()
    }

    /// The stream opened ahead by [`Self::warm_up`], if one is waiting and healthy, else a
    /// new one.
    pub(crate) async fn open(&self, format: &OutputFormat) -> Result<Stream, String> {
        let warm = self.warm.lock().await.take();
        if let Some((_, mut stream)) = warm
            && stream.healthy()
        {
            tracing::debug!(device = %self.name, "playing on the stream opened ahead");
            return Ok(stream);
        }
        self.open_new(format).await
    }

    /// Opens a stream now for a program about to start, so that the program's first sample
    /// does not wait for the device to open (tens of milliseconds, more on a busy or slow
    /// machine). The stream plays silence until [`Self::open`] takes it, and is closed after
    /// [`WARM_FOR`] if nothing does. A failure to open is left to the program's own open.
    pub(crate) async fn warm_up(&self, format: OutputFormat) {
        let number = self.warm_count.fetch_add(1, Ordering::Relaxed);
        {
            let mut warm = self.warm.lock().await;
            if warm.is_some() {
                return;
            }
            match self.open_new(&format).await {
                Ok(stream) => *warm = Some((number, stream)),
                Err(e) => {
                    tracing::debug!(device = %self.name, error = %e, "cannot open the device ahead");
                    return;
                }
            }
        }
        tokio::time::sleep(WARM_FOR).await;
        let mut warm = self.warm.lock().await;
        if warm.as_ref().is_some_and(|(n, _)| *n == number) {
            tracing::debug!(device = %self.name, "no program took the stream opened ahead: closed");
            *warm = None;
        }
    }

    /// Opens a stream on its own thread; the error says why it cannot be opened.
    async fn open_new(&self, format: &OutputFormat) -> Result<Stream, String> {
        let (msg_tx, msgs) = tokio_mpsc::unbounded_channel();
        let (ready_tx, ready) = oneshot::channel();
        let (close, close_rx) = mpsc::channel();
        let opening = Opening {
            name: self.name.clone(),
            id: self.id.clone(),
            format: format.clone(),
        };
        let errors = msg_tx.clone();
        std::thread::Builder::new()
            .name("loaxa-output".into())
            .spawn(move || opening.hold(errors, ready_tx, close_rx))
            .map_err(|e| format!("cannot start the output thread: {e}"))?;
        let opened = match tokio::time::timeout(OPEN_TIMEOUT, ready).await {
            Ok(Ok(opened)) => opened?,
            Ok(Err(_)) => return Err("the output thread stopped while opening the device".into()),
            // The thread is left to finish (or hang) on its own; dropping `close` ends it.
            Err(_) => {
                return Err(format!(
                    "sound device `{}` did not open within {} s",
                    self.name,
                    OPEN_TIMEOUT.as_secs()
                ));
            }
        };
        Ok(Stream {
            name: self.name.clone(),
            mixer: opened.mixer,
            channels: opened.channels,
            rate: opened.rate,
            drain: opened.drain,
            msgs,
            msg_tx,
            _close: close,
        })
    }
}

/// What the output thread hands back once the stream is open.
struct Opened {
    mixer: Mixer,
    channels: NonZero<u16>,
    rate: NonZero<u32>,
    drain: Duration,
}

/// An open device stream. Dropping it closes the stream (on its thread).
pub(crate) struct Stream {
    name: String,
    mixer: Mixer,
    channels: NonZero<u16>,
    rate: NonZero<u32>,
    drain: Duration,
    msgs: tokio_mpsc::UnboundedReceiver<DeviceMsg>,
    msg_tx: tokio_mpsc::UnboundedSender<DeviceMsg>,
    /// The output thread keeps the stream until this is dropped.
    _close: mpsc::Sender<()>,
}

impl Stream {
    pub(crate) fn format(&self) -> (NonZero<u16>, NonZero<u32>) {
        (self.channels, self.rate)
    }

    /// No fatal error reported while the stream waited (other errors are logged and
    /// dropped).
    fn healthy(&mut self) -> bool {
        while let Ok(msg) = self.msgs.try_recv() {
            match msg {
                DeviceMsg::Error(e) if is_fatal(&e) => return false,
                DeviceMsg::Error(e) => {
                    tracing::warn!(device = %self.name, error = %e, "sound device problem");
                }
                DeviceMsg::Finished => {}
            }
        }
        true
    }

    /// Plays `source` until it has finished and the device buffer has played out, or until
    /// the device reports a fatal error. (Stalls are the driver's watchdog's business.)
    pub(crate) async fn play(mut self, mut source: ProgramSource) -> Result<(), Lost> {
        let finished = self.msg_tx.clone();
        source.on_finish(move || {
            let _ = finished.send(DeviceMsg::Finished);
        });
        self.mixer.add(source);
        loop {
            match self.msgs.recv().await {
                Some(DeviceMsg::Finished) => {
                    tokio::time::sleep(self.drain).await;
                    return Ok(());
                }
                Some(DeviceMsg::Error(e)) if is_fatal(&e) => {
                    return Err(Lost {
                        reason: format!("sound device `{}` failed: {e}", self.name),
                        unaired: 0,
                    });
                }
                Some(DeviceMsg::Error(e)) => {
                    tracing::warn!(device = %self.name, error = %e, "sound device problem");
                }
                None => {
                    return Err(Lost {
                        reason: format!("sound device `{}`: the output stopped", self.name),
                        unaired: 0,
                    });
                }
            }
        }
    }
}

/// Opening a stream, on the output thread.
struct Opening {
    name: String,
    id: Option<cpal::DeviceId>,
    format: OutputFormat,
}

impl Opening {
    fn open_error(&self, detail: impl std::fmt::Display) -> String {
        OutputError::DeviceOpen {
            name: self.name.clone(),
            detail: detail.to_string(),
        }
        .to_string()
    }

    /// Opens the stream with an error callback feeding `msgs`.
    fn open_sink(
        &self,
        msgs: tokio_mpsc::UnboundedSender<DeviceMsg>,
    ) -> Result<MixerDeviceSink, String> {
        let host = cpal::default_host();
        let device = match &self.id {
            None => host.default_output_device(),
            Some(id) => host.device_by_id(id),
        }
        .ok_or_else(|| format!("sound device `{}` is not available", self.name))?;
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

    /// The output thread: opens the stream, reports it, keeps it until `close` is dropped.
    fn hold(
        self,
        msgs: tokio_mpsc::UnboundedSender<DeviceMsg>,
        ready: oneshot::Sender<Result<Opened, String>>,
        close: mpsc::Receiver<()>,
    ) {
        let sink = match self.open_sink(msgs) {
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
        let opened = Opened {
            mixer: sink.mixer().clone(),
            channels: config.channel_count(),
            rate,
            drain,
        };
        if ready.send(Ok(opened)).is_ok() {
            let _ = close.recv(); // returns when the attempt is over
        }
        // A stream that died may block here for a while; the driver does not wait for it.
        drop(sink);
        tracing::debug!(device = %self.name, "output stream closed");
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
