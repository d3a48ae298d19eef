//! Symphonia 0.6 behind a small pull API: open a file, pull blocks of interleaved `f32`.
//!
//! Bad packets inside a stream are skipped (as every player does) but counted; a stream
//! that keeps failing, or a decoder that panics, ends with an error instead of taking the
//! caller down.

use std::fs::File;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::{Path, PathBuf};

use symphonia::core::codecs::audio::{AudioDecoder, AudioDecoderOptions};
use symphonia::core::errors::Error as SymError;
use symphonia::core::formats::TrackType;

use super::open::{MPEG_AUDIO, open_reader};
use super::packets::Packets;

/// `DecodeError::Corrupt` detail when a stream ends before one packet decodes (an empty
/// or cut-off file); import reports it as "no audio".
pub const NO_AUDIO_DECODED: &str = "no audio could be decoded";

/// Consecutive undecodable packets after which a stream is declared broken.
const MAX_CONSECUTIVE_BAD_PACKETS: u32 = 32;
/// A stream where more than this share (in %) of the packets fail, once at least
/// [`MIN_BAD_FOR_SHARE`] have, is garbage that happens to decode now and then: it would air
/// as noise, so it is declared broken too. (Import is stricter: see `library::measure`.)
const MAX_BAD_SHARE_PERCENT: u64 = 10;
const MIN_BAD_FOR_SHARE: u64 = 16;

/// Sample rates a file may have: every rate audio is recorded at (8 kHz telephone speech to
/// 768 kHz studio masters); anything else is a damaged header.
pub const SAMPLE_RATES: std::ops::RangeInclusive<u32> = 4_000..=768_000;

/// What a file is, as far as its container and first decoded packet tell.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AudioInfo {
    /// Container short name, e.g. `mp3`, `wave`, `ogg`, `flac`, `isomp4`.
    pub container: String,
    /// Codec short name, e.g. `mp3`, `pcm_s16le`, `vorbis`, `flac`, `aac`.
    pub codec: String,
    pub sample_rate: u32,
    pub channels: u16,
}

/// Why a file cannot be (further) decoded. Every variant names the file.
#[derive(Debug, thiserror::Error)]
pub enum DecodeError {
    #[error("cannot open {path}: {source}")]
    Open {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("{path} is not a recognised audio file ({detail})")]
    NotAudio { path: PathBuf, detail: String },
    #[error("{path} has no audio track")]
    NoAudioTrack { path: PathBuf },
    #[error("{path}: audio format not supported ({detail})")]
    Unsupported { path: PathBuf, detail: String },
    #[error("{path} is corrupt: {detail}")]
    Corrupt { path: PathBuf, detail: String },
}

/// Pull decoder over one file. The output format (rate, channels) is fixed by the first
/// decoded packet; a stream that changes format midway is reported as unsupported.
pub struct FileDecoder {
    path: PathBuf,
    /// The container's packets (see `audio::packets`).
    source: Packets,
    decoder: Box<dyn AudioDecoder>,
    track_id: u32,
    /// Frame count the container states (exact for FLAC, WAV, Ogg, MP4; an estimate for
    /// MP3 or ADTS without a length header).
    declared_frames: Option<u64>,
    info: AudioInfo,
    block: Vec<f32>,
    /// The first block, decoded by `open` to learn the format, not yet handed out.
    pending_first: bool,
    spec_known: bool,
    bad_packets: u64,
    /// Packets of the track read so far, good and bad.
    packets: u64,
    finished: bool,
}

impl std::fmt::Debug for FileDecoder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FileDecoder")
            .field("path", &self.path)
            .field("info", &self.info)
            .finish_non_exhaustive()
    }
}

impl FileDecoder {
    /// Opens `path`, probes its container and decodes the first packet to learn the real
    /// sample rate and channel count.
    pub fn open(path: &Path) -> Result<FileDecoder, DecodeError> {
        let file = File::open(path).map_err(|source| DecodeError::Open {
            path: path.to_path_buf(),
            source,
        })?;
        guarded(path, || Self::open_file(path, file))?
    }

    /// Opens a stream that cannot seek — a relay source's bytes — named `name` (an URL) in
    /// errors, its format hinted by `extension` (`mp3`, `aac`). The first packet is decoded
    /// here, so this waits for the stream's first bytes.
    pub fn open_stream(
        name: &str,
        reader: Box<dyn std::io::Read + Send>,
        extension: &str,
    ) -> Result<FileDecoder, DecodeError> {
        let path = Path::new(name);
        guarded(path, || {
            let reader = super::open::open_stream_reader(path, reader, extension)?;
            Self::from_reader(path, reader, None)
        })?
    }

    fn open_file(path: &Path, file: File) -> Result<FileDecoder, DecodeError> {
        let (reader, declared_frames) = open_reader(path, file)?;
        Self::from_reader(path, reader, declared_frames)
    }

    fn from_reader(
        path: &Path,
        reader: Box<dyn symphonia::core::formats::FormatReader>,
        declared_frames: Option<u64>,
    ) -> Result<FileDecoder, DecodeError> {
        let container = reader.format_info().short_name.to_string();
        let track =
            reader
                .default_track(TrackType::Audio)
                .ok_or_else(|| DecodeError::NoAudioTrack {
                    path: path.to_path_buf(),
                })?;
        let track_id = track.id;
        // What the MPEG audio reader (forward-only: no estimate) trims its packets to.
        let header_end = track
            .num_frames
            .filter(|_| MPEG_AUDIO.contains(&container.as_str()));
        let params = track
            .codec_params
            .as_ref()
            .and_then(|p| p.audio())
            .ok_or_else(|| DecodeError::NoAudioTrack {
                path: path.to_path_buf(),
            })?
            .clone();
        let decoder = super::opus::codecs()
            .make_audio_decoder(&params, &AudioDecoderOptions::default())
            .map_err(|e| DecodeError::Unsupported {
                path: path.to_path_buf(),
                detail: e.to_string(),
            })?;
        let codec = decoder.codec_info().short_name.to_string();
        let mut this = FileDecoder {
            path: path.to_path_buf(),
            source: Packets::new(reader, header_end),
            decoder,
            track_id,
            declared_frames,
            info: AudioInfo {
                container,
                codec,
                sample_rate: params.sample_rate.unwrap_or(0),
                channels: params
                    .channels
                    .as_ref()
                    .map_or(0, |c| u16::try_from(c.count()).unwrap_or(0)),
            },
            block: Vec::new(),
            pending_first: false,
            spec_known: false,
            bad_packets: 0,
            packets: 0,
            finished: false,
        };
        // Learn the real format from the first packet (ADTS AAC, for one, only says it there).
        if this.decode_next()? {
            this.pending_first = true;
        } else {
            return Err(DecodeError::Corrupt {
                path: path.to_path_buf(),
                detail: NO_AUDIO_DECODED.into(),
            });
        }
        Ok(this)
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    pub fn info(&self) -> &AudioInfo {
        &self.info
    }

    /// The length in frames the container's header states, if it states one. Not the
    /// truth (see the module doc of `library`): use it only to notice missing audio.
    pub fn declared_frames(&self) -> Option<u64> {
        self.declared_frames
    }

    /// Packets that failed to decode and were skipped so far.
    pub fn bad_packets(&self) -> u64 {
        self.bad_packets
    }

    /// The next block of interleaved samples, or `None` at the real end of the audio.
    pub fn next_block(&mut self) -> Result<Option<&[f32]>, DecodeError> {
        if self.pending_first {
            self.pending_first = false;
            return Ok(Some(&self.block));
        }
        if self.finished {
            return Ok(None);
        }
        let more = match catch_panic(|| self.decode_next()) {
            Ok(more) => more,
            // A decoder that panicked is in an unknown state: the match below ends the
            // stream, so it is never called again.
            Err(message) => Err(crashed(&self.path, message)),
        };
        match more {
            Ok(true) => Ok(Some(&self.block)),
            Ok(false) => Ok(None),
            Err(e) => {
                self.finished = true;
                Err(e)
            }
        }
    }

    /// Decodes and drops the first `frames` frames still to come (sample-exact, unlike a
    /// container seek); the next block starts right after them. Returns the frames dropped
    /// (fewer when the audio ends first).
    pub fn skip_frames(&mut self, frames: u64) -> Result<u64, DecodeError> {
        let channels = usize::from(self.info.channels.max(1));
        let mut left = frames;
        while left > 0 {
            let Some(block) = self.next_block()? else {
                break;
            };
            let in_block = (block.len() / channels) as u64;
            if in_block <= left {
                left -= in_block;
                continue;
            }
            // The block straddles the boundary: keep its tail as the next block.
            let drop = usize::try_from(left).unwrap_or(usize::MAX) * channels;
            self.block.drain(..drop);
            self.pending_first = true;
            left = 0;
        }
        Ok(frames - left)
    }

    /// Decodes packets until one yields audio (`true`) or the stream ends (`false`).
    fn decode_next(&mut self) -> Result<bool, DecodeError> {
        let mut consecutive_bad = 0u32;
        loop {
            let packet = match self.source.next() {
                Ok(Some(packet)) => packet,
                Ok(None) => {
                    self.finished = true;
                    return Ok(false);
                }
                // A truncated file ends where its data ends: play what is there.
                Err(SymError::IoError(e)) if e.kind() == std::io::ErrorKind::UnexpectedEof => {
                    self.finished = true;
                    return Ok(false);
                }
                Err(e) => return Err(self.corrupt(e)),
            };
            if packet.track_id != self.track_id {
                continue;
            }
            self.packets += 1;
            match self.decoder.decode(&packet) {
                Ok(buf) => {
                    if buf.frames() == 0 {
                        continue;
                    }
                    let rate = buf.spec().rate();
                    let channels = u16::try_from(buf.spec().channels().count()).unwrap_or(0);
                    // The first decoded packet fixes the format: the container's declared
                    // rate may differ (HE-AAC, for one) and the decoder is the truth.
                    if !self.spec_known {
                        self.info.sample_rate = rate;
                        self.info.channels = channels;
                        self.spec_known = true;
                    }
                    if rate == 0 || channels == 0 {
                        return Err(self.corrupt(SymError::DecodeError("zero rate or channels")));
                    }
                    if !SAMPLE_RATES.contains(&rate) {
                        // A damaged header: 4 GHz would make a minute of audio air in
                        // microseconds, 1 Hz a few kilobytes air for hours.
                        return Err(DecodeError::Unsupported {
                            path: self.path.clone(),
                            detail: format!(
                                "the file says its sample rate is {rate} Hz; loaxa plays {} to {} Hz",
                                SAMPLE_RATES.start(),
                                SAMPLE_RATES.end()
                            ),
                        });
                    }
                    if (rate, channels) != (self.info.sample_rate, self.info.channels) {
                        return Err(DecodeError::Unsupported {
                            path: self.path.clone(),
                            detail: format!(
                                "the stream changes format midway (to {rate} Hz, {channels} channels)"
                            ),
                        });
                    }
                    buf.copy_to_vec_interleaved(&mut self.block);
                    return Ok(true);
                }
                Err(SymError::DecodeError(_) | SymError::IoError(_)) => {
                    self.skip_bad_packet(&mut consecutive_bad)?;
                }
                // A feature the codec lacks, met after the stream decoded fine, is a damaged
                // packet far more often than a real feature (bit errors in AAC look like
                // coupling channel elements): count it with the bad packets.
                Err(SymError::Unsupported(_)) if self.spec_known => {
                    self.skip_bad_packet(&mut consecutive_bad)?;
                }
                Err(e) => return Err(self.corrupt(e)),
            }
        }
    }

    /// Counts a packet that failed to decode; too many in a row end the stream.
    fn skip_bad_packet(&mut self, consecutive_bad: &mut u32) -> Result<(), DecodeError> {
        self.bad_packets += 1;
        *consecutive_bad += 1;
        if *consecutive_bad >= MAX_CONSECUTIVE_BAD_PACKETS {
            return Err(DecodeError::Corrupt {
                path: self.path.clone(),
                detail: format!("{consecutive_bad} packets in a row failed to decode"),
            });
        }
        if self.bad_packets >= MIN_BAD_FOR_SHARE
            && self.bad_packets * 100 > self.packets * MAX_BAD_SHARE_PERCENT
        {
            return Err(DecodeError::Corrupt {
                path: self.path.clone(),
                detail: format!(
                    "{} of {} packets failed to decode",
                    self.bad_packets, self.packets
                ),
            });
        }
        Ok(())
    }

    fn corrupt(&self, e: SymError) -> DecodeError {
        match e {
            SymError::Unsupported(what) => DecodeError::Unsupported {
                path: self.path.clone(),
                detail: what.to_string(),
            },
            other => DecodeError::Corrupt {
                path: self.path.clone(),
                detail: other.to_string(),
            },
        }
    }
}

/// Runs decoder code so that a panic inside a codec becomes an error about this file.
///
/// Symphonia can panic on hostile input (in 0.6.1 a WAV `fmt ` chunk claiming 44 546
/// channels overflows a multiplication: a panic wherever overflow checks are on). The panic
/// is caught here, so a bad file fails like any other damaged file instead of taking the
/// import, the audio thread or the daemon down, and its message goes into the error
/// instead of onto stderr as a crash report. Cheap on the per-block path: one thread-local
/// flag set and reset, and `catch_unwind`, which costs nothing unless something panics.
fn guarded<T>(path: &Path, f: impl FnOnce() -> T) -> Result<T, DecodeError> {
    catch_panic(f).map_err(|message| crashed(path, message))
}

/// `f()`, or the message of the panic it raised (which is not printed).
fn catch_panic<T>(f: impl FnOnce() -> T) -> Result<T, String> {
    quiet_panics::install();
    let outer = quiet_panics::enter();
    let result = catch_unwind(AssertUnwindSafe(f));
    quiet_panics::leave(outer);
    result.map_err(|_| quiet_panics::take_message().unwrap_or_else(|| "no detail".into()))
}

fn crashed(path: &Path, message: String) -> DecodeError {
    DecodeError::Corrupt {
        path: path.to_path_buf(),
        detail: format!("the decoder crashed on this file: {message}"),
    }
}

/// A process-wide panic hook that keeps quiet about panics inside [`guarded`] (remembering
/// their message for the error) and hands every other panic to the hook it replaced.
mod quiet_panics {
    use std::cell::{Cell, RefCell};
    use std::sync::Once;

    thread_local! {
        static INSIDE: Cell<bool> = const { Cell::new(false) };
        static MESSAGE: RefCell<Option<String>> = const { RefCell::new(None) };
    }

    pub(super) fn install() {
        static HOOK: Once = Once::new();
        HOOK.call_once(|| {
            let previous = std::panic::take_hook();
            std::panic::set_hook(Box::new(move |info| {
                if INSIDE.with(Cell::get) {
                    let what = info
                        .payload()
                        .downcast_ref::<&str>()
                        .map(|s| (*s).to_string())
                        .or_else(|| info.payload().downcast_ref::<String>().cloned())
                        .unwrap_or_else(|| "unknown cause".into());
                    let text = match info.location() {
                        Some(at) => format!("{what}, at {}:{}", short_source(at.file()), at.line()),
                        None => what,
                    };
                    MESSAGE.with(|m| *m.borrow_mut() = Some(text));
                } else {
                    previous(info);
                }
            }));
        });
    }

    /// A dependency's source path from its crate folder on (`symphonia-format-riff-0.6.1/
    /// src/wave/chunks.rs`): the registry path before it means nothing to an operator.
    fn short_source(file: &str) -> &str {
        file.rfind("/symphonia")
            .or_else(|| file.rfind("\\symphonia"))
            .map_or(file, |at| &file[at + 1..])
    }

    /// Marks this thread as inside a guarded call; returns the previous mark.
    pub(super) fn enter() -> bool {
        INSIDE.with(|inside| inside.replace(true))
    }

    pub(super) fn leave(outer: bool) {
        INSIDE.with(|inside| inside.set(outer));
    }

    pub(super) fn take_message() -> Option<String> {
        MESSAGE.with(|m| m.borrow_mut().take())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_panic_inside_a_guarded_call_becomes_an_error_naming_the_file() {
        let path = Path::new("/nhận/bản-tin.wav");
        let err = guarded(path, || -> u32 { panic!("codec bug {}", 7) }).expect_err("panicked");
        let text = err.to_string();
        assert!(text.contains("/nhận/bản-tin.wav"), "{text}");
        assert!(
            text.contains("crashed") && text.contains("codec bug 7"),
            "{text}"
        );
        assert_eq!(guarded(path, || 5).ok(), Some(5), "no panic: the value");
        // Nested guards restore the outer state; a later panic is reported afresh.
        let nested = guarded(path, || guarded(path, || panic!("inner")).is_err());
        assert_eq!(nested.ok(), Some(true));
        assert!(quiet_panics::take_message().is_none(), "message was taken");
    }

    /// A 16-bit PCM WAV header claiming `channels` and `rate`, then 256 bytes of data.
    fn wav_claiming(dir: &Path, name: &str, channels: u16, rate: u32) -> std::io::Result<PathBuf> {
        let path = dir.join(name);
        let mut wav = Vec::new();
        wav.extend_from_slice(b"RIFF\x24\x01\x00\x00WAVEfmt \x10\x00\x00\x00\x01\x00");
        wav.extend_from_slice(&channels.to_le_bytes());
        wav.extend_from_slice(&rate.to_le_bytes());
        wav.extend_from_slice(&rate.wrapping_mul(4).to_le_bytes());
        wav.extend_from_slice(b"\x04\x00\x10\x00data\x00\x01\x00\x00");
        wav.extend(std::iter::repeat_n(0x11u8, 256));
        std::fs::write(&path, &wav)?;
        Ok(path)
    }

    #[test]
    fn a_wav_claiming_44546_channels_is_refused_not_a_crash() -> std::io::Result<()> {
        // 44 546 × 2 bytes overflows symphonia's u16 block-align check (a panic where
        // overflow checks are on; a bogus stream without them): either way an error.
        let dir = tempfile::tempdir()?;
        let path = wav_claiming(dir.path(), "channels.wav", 44_546, 48_000)?;
        let err = FileDecoder::open(&path).expect_err("refused");
        assert!(err.to_string().contains("channels.wav"), "{err}");
        assert!(!err.to_string().contains(".cargo/registry"), "{err}");
        Ok(())
    }

    #[test]
    fn absurd_sample_rates_are_refused_as_unsupported() -> std::io::Result<()> {
        let dir = tempfile::tempdir()?;
        for rate in [1, 3_999, 768_001, u32::MAX] {
            let path = wav_claiming(dir.path(), "rate.wav", 2, rate)?;
            let err = FileDecoder::open(&path).expect_err("refused");
            assert!(
                matches!(err, DecodeError::Unsupported { .. }),
                "{rate} Hz: {err}"
            );
            assert!(err.to_string().contains(&format!("{rate} Hz")), "{err}");
        }
        for rate in [SAMPLE_RATES.start(), SAMPLE_RATES.end()] {
            let path = wav_claiming(dir.path(), "edge.wav", 2, *rate)?;
            let dec = FileDecoder::open(&path).map_err(std::io::Error::other)?;
            assert_eq!(dec.info().sample_rate, *rate);
        }
        Ok(())
    }
}
