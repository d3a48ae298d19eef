//! File and null outputs: the program source pulled by the run's driver task in ~100 ms
//! chunks, written out, and paced by tokio's clock (real time, or instant under a paused
//! tokio runtime with `SimClock`). Events are sent when the clock reaches the frame at which
//! they happened, so a 3 s item's `Ended` comes exactly 3 s after its `Started`.
//!
//! Opening takes the output for one attempt (a program started while another plays on the
//! same output waits for it). A failed write ends the attempt; the driver retries. With a
//! [`FaultSwitch`] the output also fails opens and writes, or hangs, on command.

use std::fs::File;
use std::io::{Seek, SeekFrom, Write};
use std::num::NonZero;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::OwnedMutexGuard;

use super::control::Control;
use super::driver::Lost;
use super::faults::FaultSwitch;
use super::program::{ProgramSource, Stamped};
use super::{OutputError, OutputFormat, PlayerEvent};

const DEFAULT_RATE: u32 = 48_000;
const DEFAULT_CHANNELS: u16 = 2;
/// Audio pulled per step of the pacing loop (also the cut latency on file outputs).
const CHUNK: Duration = Duration::from_millis(100);
/// Size of the float WAV header written by [`wav_header`].
const WAV_HEADER_LEN: u64 = 58;

enum Sink {
    Wav {
        file: File,
        data_bytes: u64,
        rate: u32,
        channels: u16,
    },
    Raw {
        file: File,
    },
    Null,
}

pub(crate) struct FileOutput {
    name: String,
    path: Option<PathBuf>,
    rate: NonZero<u32>,
    channels: NonZero<u16>,
    sink: Arc<tokio::sync::Mutex<Sink>>,
    faults: Option<FaultSwitch>,
}

fn format_of(format: &OutputFormat) -> Result<(NonZero<u32>, NonZero<u16>), OutputError> {
    let bad = || OutputError::Format("sample rate and channel count must be above zero".into());
    let rate = NonZero::new(format.sample_rate.unwrap_or(DEFAULT_RATE)).ok_or_else(bad)?;
    let channels = NonZero::new(format.channels.unwrap_or(DEFAULT_CHANNELS)).ok_or_else(bad)?;
    Ok((rate, channels))
}

fn create(path: &PathBuf) -> Result<File, OutputError> {
    File::create(path).map_err(|source| OutputError::File {
        action: "create",
        path: path.clone(),
        source,
    })
}

impl FileOutput {
    pub(crate) fn wav(path: PathBuf, format: &OutputFormat) -> Result<FileOutput, OutputError> {
        let (rate, channels) = format_of(format)?;
        let mut file = create(&path)?;
        file.write_all(&wav_header(rate.get(), channels.get(), 0))
            .map_err(|source| OutputError::File {
                action: "write the header of",
                path: path.clone(),
                source,
            })?;
        Ok(FileOutput {
            name: format!("wav:{}", path.display()),
            path: Some(path),
            rate,
            channels,
            sink: Arc::new(tokio::sync::Mutex::new(Sink::Wav {
                file,
                data_bytes: 0,
                rate: rate.get(),
                channels: channels.get(),
            })),
            faults: None,
        })
    }

    pub(crate) fn raw(path: PathBuf, format: &OutputFormat) -> Result<FileOutput, OutputError> {
        let (rate, channels) = format_of(format)?;
        let file = create(&path)?;
        Ok(FileOutput {
            name: format!("raw:{}", path.display()),
            path: Some(path),
            rate,
            channels,
            sink: Arc::new(tokio::sync::Mutex::new(Sink::Raw { file })),
            faults: None,
        })
    }

    pub(crate) fn null(format: &OutputFormat) -> FileOutput {
        let (rate, channels) = format_of(format).unwrap_or((
            NonZero::<u32>::MIN.saturating_add(DEFAULT_RATE - 1),
            NonZero::<u16>::MIN.saturating_add(DEFAULT_CHANNELS - 1),
        ));
        FileOutput {
            name: "null".into(),
            path: None,
            rate,
            channels,
            sink: Arc::new(tokio::sync::Mutex::new(Sink::Null)),
            faults: None,
        }
    }

    pub(crate) fn describe(&self) -> String {
        self.name.clone()
    }

    /// Fails on command from now on (tests).
    pub(crate) fn set_faults(&mut self, faults: FaultSwitch) {
        self.faults = Some(faults);
    }

    /// Takes the output for one attempt (waiting for a program still playing on it).
    pub(crate) async fn open(&self) -> Result<Stream, String> {
        let sink = self.sink.clone().lock_owned().await;
        if let Some(faults) = &self.faults {
            faults
                .check_open()
                .map_err(|e| format!("cannot open output `{}`: {e}", self.name))?;
        }
        Ok(Stream {
            sink,
            pacing: Pacing {
                name: self.name.clone(),
                rate: self.rate.get(),
                channels: usize::from(self.channels.get()),
                path: self.path.clone(),
            },
            format: (self.channels, self.rate),
            faults: self.faults.clone(),
        })
    }
}

/// A file output taken for one attempt.
pub(crate) struct Stream {
    sink: OwnedMutexGuard<Sink>,
    pacing: Pacing,
    format: (NonZero<u16>, NonZero<u32>),
    faults: Option<FaultSwitch>,
}

impl Stream {
    pub(crate) fn format(&self) -> (NonZero<u16>, NonZero<u32>) {
        self.format
    }

    pub(crate) async fn play(
        mut self,
        mut source: ProgramSource,
        control: &Control,
    ) -> Result<(), Lost> {
        source.stamp_events();
        let result = self
            .pacing
            .run(&mut source, &mut self.sink, control, self.faults.as_ref())
            .await;
        if result.is_err() {
            self.pacing.end_program(&mut self.sink);
        }
        result
    }
}

struct Pacing {
    name: String,
    rate: u32,
    channels: usize,
    path: Option<PathBuf>,
}

impl Pacing {
    /// When frame `frames` is due: monotonic time, so a step of the wall clock neither
    /// bursts a program out nor stalls it (tokio's clock is also what tests pause).
    fn at(&self, start: tokio::time::Instant, frames: u64) -> tokio::time::Instant {
        start + super::program::frames_to_duration(frames, self.rate)
    }

    async fn run(
        &self,
        source: &mut ProgramSource,
        sink: &mut Sink,
        control: &Control,
        faults: Option<&FaultSwitch>,
    ) -> Result<(), Lost> {
        let chunk_frames = (CHUNK.as_millis() as usize * self.rate as usize / 1000).max(1);
        let mut samples: Vec<f32> = Vec::with_capacity(chunk_frames * self.channels);
        let mut bytes: Vec<u8> = Vec::with_capacity(chunk_frames * self.channels * 4);
        let mut due: Vec<Stamped> = Vec::new();
        let start = tokio::time::Instant::now();
        let mut frames: u64 = 0;
        loop {
            if let Some(faults) = faults {
                // Where a sound card would hang or vanish: before it takes the next audio.
                faults.before_write().await.map_err(|e| Lost {
                    reason: format!("output `{}` failed: {e}", self.name),
                    unaired: 0,
                })?;
            }
            samples.clear();
            samples.extend(source.by_ref().take(chunk_frames * self.channels));
            source.publish_progress();
            let pulled = (samples.len() / self.channels) as u64;
            if let Err(e) = sink.write(&samples, &mut bytes) {
                return Err(Lost {
                    reason: format!(
                        "output `{}` failed: writing {}: {e}",
                        self.name,
                        self.describe_path()
                    ),
                    unaired: pulled,
                });
            }
            source.take_stamped(&mut due);
            for (frame, event, update) in due.drain(..) {
                tokio::time::sleep_until(self.at(start, frame)).await;
                if event == PlayerEvent::Finished {
                    // The file is complete and valid before anyone hears the program ended.
                    self.end_program(sink);
                }
                control.emit(source.epoch(), event, update);
            }
            frames += pulled;
            if source.is_finished() {
                return Ok(());
            }
            tokio::time::sleep_until(self.at(start, frames)).await;
        }
    }

    fn describe_path(&self) -> String {
        self.path
            .as_ref()
            .map_or_else(|| "null".into(), |p| p.display().to_string())
    }

    fn end_program(&self, sink: &mut Sink) {
        if let Err(e) = sink.end_program() {
            tracing::error!(path = %self.describe_path(), error = %e, "cannot finalize output file");
        }
    }
}

impl Sink {
    fn write(&mut self, samples: &[f32], bytes: &mut Vec<u8>) -> std::io::Result<()> {
        let file = match self {
            Sink::Null => return Ok(()),
            Sink::Wav { file, .. } | Sink::Raw { file } => file,
        };
        bytes.clear();
        for s in samples {
            bytes.extend_from_slice(&s.to_le_bytes());
        }
        file.write_all(bytes)?;
        if let Sink::Wav { data_bytes, .. } = self {
            *data_bytes += bytes.len() as u64;
        }
        Ok(())
    }

    /// Makes the file valid as it stands: a crash later loses at most the next program.
    fn end_program(&mut self) -> std::io::Result<()> {
        match self {
            Sink::Null => Ok(()),
            Sink::Raw { file } => file.sync_data(),
            Sink::Wav {
                file,
                data_bytes,
                rate,
                channels,
            } => {
                let data = u32::try_from(*data_bytes).unwrap_or(u32::MAX);
                file.seek(SeekFrom::Start(0))?;
                file.write_all(&wav_header(*rate, *channels, data))?;
                file.seek(SeekFrom::End(0))?;
                file.sync_data()
            }
        }
    }
}

/// RIFF/WAVE header for 32-bit IEEE float samples (`fmt ` of 18 bytes, `fact`, `data`).
fn wav_header(rate: u32, channels: u16, data_bytes: u32) -> Vec<u8> {
    let block_align = u32::from(channels) * 4;
    let frames = data_bytes / block_align.max(1);
    let mut h = Vec::with_capacity(WAV_HEADER_LEN as usize);
    h.extend_from_slice(b"RIFF");
    h.extend_from_slice(&(data_bytes.saturating_add(WAV_HEADER_LEN as u32 - 8)).to_le_bytes());
    h.extend_from_slice(b"WAVEfmt ");
    h.extend_from_slice(&18u32.to_le_bytes());
    h.extend_from_slice(&3u16.to_le_bytes()); // WAVE_FORMAT_IEEE_FLOAT
    h.extend_from_slice(&channels.to_le_bytes());
    h.extend_from_slice(&rate.to_le_bytes());
    h.extend_from_slice(&(rate.saturating_mul(block_align)).to_le_bytes());
    h.extend_from_slice(&(block_align as u16).to_le_bytes());
    h.extend_from_slice(&32u16.to_le_bytes());
    h.extend_from_slice(&0u16.to_le_bytes()); // cbSize
    h.extend_from_slice(b"fact");
    h.extend_from_slice(&4u32.to_le_bytes());
    h.extend_from_slice(&frames.to_le_bytes());
    h.extend_from_slice(b"data");
    h.extend_from_slice(&data_bytes.to_le_bytes());
    h
}
