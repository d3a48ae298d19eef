//! The station PC's microphone or line-in, through cpal's capture (ALSA on the station PC):
//! a stream opened on the device `[live] input` names, whose callback hands the samples to a
//! bounded buffer the reader takes them from. The stream lives on a thread of its own (a cpal
//! stream is not `Send`) and ends when the [`Capture`] is dropped.
//!
//! A missing device is refused naming the capture devices that exist; a device that exists
//! but cannot be opened (busy, no capture, a format it refuses) is refused with the reason.

use std::collections::VecDeque;
use std::num::NonZero;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::time::Duration;

use rodio::cpal::{self, traits::DeviceTrait, traits::HostTrait, traits::StreamTrait};

use crate::player::device::label;

/// The most audio the buffer keeps: a reader that stops taking it loses the oldest, never
/// blocks the device.
const MAX_BUFFERED: Duration = Duration::from_secs(2);

/// Why a capture could not start.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum CaptureError {
    /// No capture device by that name; `available`: the ones that exist (cpal ids).
    #[error("no capture device `{name}`; devices: {available:?}")]
    NotFound {
        name: String,
        available: Vec<String>,
    },
    /// The device exists but did not open (busy, no capture, a format it refuses).
    #[error("capture device `{name}` cannot be opened: {detail}")]
    Open { name: String, detail: String },
}

/// What the capture thread and the reader share.
struct Shared {
    samples: Mutex<VecDeque<f32>>,
    ready: Condvar,
    /// Set by the device's error callback: the device went away or failed.
    failed: Mutex<Option<String>>,
    stop: AtomicBool,
    /// Samples dropped because the reader fell behind by more than [`MAX_BUFFERED`].
    dropped: std::sync::atomic::AtomicU64,
    /// The highest absolute sample since [`Capture::take_peak`] last read it (f32 bits).
    peak: std::sync::atomic::AtomicU32,
}

impl Shared {
    fn samples(&self) -> MutexGuard<'_, VecDeque<f32>> {
        self.samples
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

/// A running capture: interleaved f32 samples at [`Capture::rate`] × [`Capture::channels`].
pub struct Capture {
    shared: Arc<Shared>,
    rate: NonZero<u32>,
    channels: NonZero<u16>,
    thread: Option<std::thread::JoinHandle<()>>,
}

/// The capture devices there are, as cpal ids with their descriptions (`alsa:mic (Test
/// microphone)`): what an error names, what `loaxa check` lists.
pub fn devices() -> Vec<String> {
    let host = cpal::default_host();
    let Ok(devices) = host.input_devices() else {
        return Vec::new();
    };
    devices
        .filter_map(|dev| label(&dev))
        .map(|(id, desc)| {
            if desc.is_empty() {
                id.to_string()
            } else {
                format!("{id} ({desc})")
            }
        })
        .collect()
}

/// Whether `name` is a capture device there is now (what `loaxa check` asks of `[live]
/// input`).
pub fn exists(name: &str) -> bool {
    find(name).is_some()
}

/// Finds a capture device as the output finds its device (cpal id or bare ALSA name), or
/// `default`.
fn find(name: &str) -> Option<cpal::Device> {
    let host = cpal::default_host();
    if name == "default" {
        return host.default_input_device();
    }
    crate::player::device::find(&host, name)
        .map(|(_, dev)| dev)
        .filter(DeviceTrait::supports_input)
}

impl Capture {
    /// Opens `name` at `rate` × `channels` (ALSA's plug layer converts what the device has)
    /// and starts taking its audio.
    pub fn open(
        name: &str,
        rate: NonZero<u32>,
        channels: NonZero<u16>,
    ) -> Result<Capture, CaptureError> {
        if find(name).is_none() {
            return Err(CaptureError::NotFound {
                name: name.to_string(),
                available: devices(),
            });
        }
        let shared = Arc::new(Shared {
            samples: Mutex::new(VecDeque::new()),
            ready: Condvar::new(),
            failed: Mutex::new(None),
            stop: AtomicBool::new(false),
            dropped: std::sync::atomic::AtomicU64::new(0),
            peak: std::sync::atomic::AtomicU32::new(0),
        });
        let cap = usize::try_from(MAX_BUFFERED.as_millis()).unwrap_or(2_000) * rate.get() as usize
            / 1_000
            * usize::from(channels.get());
        // The stream is built and kept on its own thread; it says there whether it opened.
        let (opened_tx, opened_rx) = std::sync::mpsc::channel();
        let owned = shared.clone();
        let device_name = name.to_string();
        let thread = std::thread::Builder::new()
            .name("loaxa-capture".into())
            .spawn(move || {
                let stream = match build(&device_name, rate, channels, cap, &owned) {
                    Ok(s) => s,
                    Err(e) => {
                        let _ = opened_tx.send(Err(e));
                        return;
                    }
                };
                let _ = opened_tx.send(Ok(()));
                let mut idle = owned.samples();
                while !owned.stop.load(Ordering::Acquire) {
                    idle = owned
                        .ready
                        .wait_timeout(idle, Duration::from_millis(200))
                        .unwrap_or_else(std::sync::PoisonError::into_inner)
                        .0;
                }
                drop(idle);
                drop(stream);
            })
            .map_err(|e| CaptureError::Open {
                name: name.to_string(),
                detail: e.to_string(),
            })?;
        let opened = opened_rx.recv().unwrap_or_else(|_| {
            Err(CaptureError::Open {
                name: name.to_string(),
                detail: "the capture thread ended".into(),
            })
        });
        let capture = Capture {
            shared,
            rate,
            channels,
            thread: Some(thread),
        };
        opened.map(|()| capture)
    }

    pub fn rate(&self) -> NonZero<u32> {
        self.rate
    }

    pub fn channels(&self) -> NonZero<u16> {
        self.channels
    }

    /// Moves up to `max` buffered samples (whole frames) into `out`, waiting at most `wait`
    /// for the first; the number moved. An error: the device failed.
    pub fn read(&self, out: &mut Vec<f32>, max: usize, wait: Duration) -> Result<usize, String> {
        if let Some(e) = self.failed() {
            return Err(e);
        }
        let channels = usize::from(self.channels.get());
        let mut samples = self.shared.samples();
        if samples.len() < channels {
            samples = self
                .shared
                .ready
                .wait_timeout(samples, wait)
                .unwrap_or_else(std::sync::PoisonError::into_inner)
                .0;
        }
        let n = samples.len().min(max) / channels * channels;
        out.extend(samples.drain(..n));
        Ok(n)
    }

    /// Frames waiting in the buffer.
    pub fn buffered(&self) -> usize {
        self.shared.samples().len() / usize::from(self.channels.get())
    }

    /// Drops the oldest frames so that at most `keep` wait (audio gathered while nobody
    /// aired it); the number of frames dropped.
    pub fn keep_newest(&self, keep: usize) -> usize {
        let channels = usize::from(self.channels.get());
        let mut samples = self.shared.samples();
        let excess = samples.len().saturating_sub(keep * channels) / channels * channels;
        samples.drain(..excess);
        excess / channels
    }

    /// The highest absolute sample level since the last call (0.0 to 1.0): the input meter.
    pub fn take_peak(&self) -> f32 {
        f32::from_bits(self.shared.peak.swap(0, Ordering::Relaxed))
    }

    /// The device's error, once it has failed (unplugged, gone).
    pub fn failed(&self) -> Option<String> {
        self.shared
            .failed
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .clone()
    }

    /// Samples lost because the reader fell behind.
    pub fn dropped(&self) -> u64 {
        self.shared.dropped.load(Ordering::Relaxed)
    }
}

impl Drop for Capture {
    fn drop(&mut self) {
        self.shared.stop.store(true, Ordering::Release);
        self.shared.ready.notify_all();
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

/// Builds and starts the input stream (on the capture thread).
fn build(
    name: &str,
    rate: NonZero<u32>,
    channels: NonZero<u16>,
    cap: usize,
    shared: &Arc<Shared>,
) -> Result<cpal::Stream, CaptureError> {
    let open_error = |detail: String| CaptureError::Open {
        name: name.to_string(),
        detail,
    };
    let device = find(name).ok_or_else(|| CaptureError::NotFound {
        name: name.to_string(),
        available: devices(),
    })?;
    // A short device period (10 ms) keeps the voice's delay to the loudspeakers short; a
    // device that refuses it opens with its own.
    let period = rate.get() / 100;
    let fixed = cpal::StreamConfig {
        channels: channels.get(),
        sample_rate: rate.get(),
        buffer_size: cpal::BufferSize::Fixed(period),
    };
    let stream = stream(&device, fixed, cap, shared).or_else(|_| {
        let default = cpal::StreamConfig {
            channels: channels.get(),
            sample_rate: rate.get(),
            buffer_size: cpal::BufferSize::Default,
        };
        stream(&device, default, cap, shared)
    });
    let stream = stream.map_err(|e| open_error(e.to_string()))?;
    stream.play().map_err(|e| open_error(e.to_string()))?;
    Ok(stream)
}

fn stream(
    device: &cpal::Device,
    config: cpal::StreamConfig,
    cap: usize,
    shared: &Arc<Shared>,
) -> Result<cpal::Stream, cpal::Error> {
    let data = shared.clone();
    let errors = shared.clone();
    device.build_input_stream(
        config,
        // 16-bit, what every capture device and ALSA's plug layer give as they are (a
        // float request through alsa-lib's plug skipped frames of a 16-bit device).
        move |input: &[i16], _: &cpal::InputCallbackInfo| {
            let peak = input.iter().fold(0u16, |m, s| m.max(s.unsigned_abs()));
            let peak = f32::from(peak) / 32768.0;
            data.peak.fetch_max(peak.to_bits(), Ordering::Relaxed);
            let mut samples = data.samples();
            samples.extend(input.iter().map(|&s| f32::from(s) / 32768.0));
            let excess = samples.len().saturating_sub(cap);
            if excess > 0 {
                samples.drain(..excess);
                data.dropped.fetch_add(excess as u64, Ordering::Relaxed);
            }
            drop(samples);
            data.ready.notify_all();
        },
        move |e: cpal::Error| {
            *errors
                .failed
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner) = Some(e.to_string());
            errors.ready.notify_all();
        },
        None,
    )
}
