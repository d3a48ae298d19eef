//! The import check: decode a candidate file once, completely, and hash its bytes.
//!
//! A file's header is not trusted for anything the station reports or schedules on: a VBR
//! MP3 without a Xing header, a FLAC with `total_samples = 0` or a WAV written to a pipe all
//! state a wrong or no length. The true duration is what a full decode yields, with the same
//! [`FileDecoder`] the player uses, so import and playout agree on what the file contains
//! (MPEG audio is read forward-only there, so no length estimate trims it: see
//! `audio::decode`; `tests/decoding_truth.rs` holds every format to ffmpeg's length).
//! The same decoded blocks go through a [`LoudnessMeter`]: integrated loudness, true peak
//! and, when asked, where the sound starts and ends (for trimming leading/trailing silence).

use std::fs::File;
use std::io::{self, Read};
use std::path::Path;

use sha2::{Digest, Sha256};

use super::ImportError;
use crate::audio::{
    AudioInfo, DecodeError, FileDecoder, Loudness, LoudnessMeter, NO_AUDIO_DECODED, SoundSpan,
};

/// Bad packets a file may have before it is refused: more than [`MAX_BAD_PERCENT`] % of all
/// packets AND more than this many. One or two glitches in a long file are inaudible and
/// common (a damaged first frame, a stray tag); a file where one packet in a hundred fails
/// airs with audible gaps.
pub const MAX_BAD_PACKETS: u64 = 2;
/// See [`MAX_BAD_PACKETS`].
pub const MAX_BAD_PERCENT: u64 = 1;

/// What the import check learnt about a file.
#[derive(Debug, Clone, PartialEq)]
pub struct Measured {
    /// Container, codec, and the decoded (real) sample rate and channel count.
    pub info: AudioInfo,
    /// Decoded sample frames (samples per channel), to the real end of the audio.
    pub frames: u64,
    /// `frames / sample_rate`, rounded to the nearest millisecond.
    pub duration_ms: u64,
    /// Lower-case hex sha256 of the file's bytes.
    pub sha256: String,
    /// Size of the file in bytes.
    pub bytes: u64,
    /// Packets that failed to decode and were skipped (within the tolerated limit).
    pub bad_packets: u64,
    /// EBU R128 integrated loudness and true peak of the whole file.
    pub loudness: Loudness,
    /// Where the sound is, when a silence threshold was given and the file has leading or
    /// trailing silence below it (`None`: air the whole file).
    pub sound: Option<SoundSpan>,
}

/// How to measure: the level below which leading and trailing audio counts as silence
/// (`[audio] trim_silence_db`); `None`: no trimming.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct MeasureOptions {
    pub trim_below_dbfs: Option<f64>,
}

/// Checks that `path` is audio the station can air and measures it.
///
/// Refuses (with an [`ImportError`] naming the file and a fix) missing files, folders,
/// unreadable and empty files, non-audio, files without an audio track, codecs loaxa cannot
/// decode (Opus, for one), damaged streams, streams with too many bad packets (see
/// [`MAX_BAD_PACKETS`]), files that decode to zero samples, and FLAC/WAV/Ogg/MP4 files that
/// decode to clearly less than their header's exact length (cut off).
///
/// Known gap: an MP3 cut off or with garbage in the middle is accepted with the length
/// that still decodes (MP3 headers are too often estimates to compare against).
///
/// Reads the file twice (hash, then decode) and takes about 3 s of CPU per hour of MP3
/// with optimised dependencies, plus about 6 s per hour of 44.1 kHz stereo for loudness and
/// true peak (BENCHMARKS.md): call it off the async runtime (`spawn_blocking`).
pub fn measure(path: &Path) -> Result<Measured, ImportError> {
    measure_with(path, MeasureOptions::default())
}

/// [`measure`], with the silence threshold of `options`.
pub fn measure_with(path: &Path, options: MeasureOptions) -> Result<Measured, ImportError> {
    let meta = std::fs::metadata(path).map_err(|e| ImportError::reading(path, e))?;
    if meta.is_dir() {
        return Err(ImportError::IsDirectory {
            path: path.to_path_buf(),
        });
    }
    if !meta.is_file() {
        // A device or pipe (`/dev/zero`) would be hashed forever.
        return Err(ImportError::Unreadable {
            path: path.to_path_buf(),
            source: io::Error::other("not a regular file (a device or a pipe)"),
        });
    }
    if meta.len() == 0 {
        return Err(ImportError::EmptyFile {
            path: path.to_path_buf(),
        });
    }
    let (sha256, bytes) = sha256_file(path).map_err(|e| ImportError::reading(path, e))?;
    let decoded = decode_all(path, options)?;
    let rate = u64::from(decoded.info.sample_rate);
    // A span covering the whole file trims nothing.
    let sound = decoded
        .sound
        .filter(|s| s.start > 0 || s.end < decoded.frames);
    Ok(Measured {
        loudness: decoded.loudness,
        sound,
        duration_ms: (decoded.frames * 1000 + rate / 2) / rate.max(1),
        info: decoded.info,
        frames: decoded.frames,
        sha256,
        bytes,
        bad_packets: decoded.bad_packets,
    })
}

/// [`measure_with`] for many files at once, on as many threads as the machine has cores
/// (decoding and loudness, one file per thread at a time, are nearly all of an import's
/// time); the results come back in the order of `files`. A panic while checking a file (a
/// bug) fails that file alone.
pub fn measure_many<P: AsRef<Path> + Sync>(
    files: &[P],
    options: MeasureOptions,
) -> Vec<Result<Measured, ImportError>> {
    let workers = std::thread::available_parallelism()
        .map_or(1, std::num::NonZero::get)
        .min(files.len());
    let checked = |file: &P| {
        let path = file.as_ref();
        std::panic::catch_unwind(|| measure_with(path, options)).unwrap_or_else(|panic| {
            let detail = panic
                .downcast_ref::<&str>()
                .map(|s| (*s).to_string())
                .or_else(|| panic.downcast_ref::<String>().cloned())
                .unwrap_or_else(|| "a panic".into());
            Err(ImportError::CheckFailed {
                path: path.to_path_buf(),
                detail,
            })
        })
    };
    if workers <= 1 {
        return files.iter().map(checked).collect();
    }
    let next = std::sync::atomic::AtomicUsize::new(0);
    let done: Vec<std::sync::Mutex<Option<Result<Measured, ImportError>>>> =
        files.iter().map(|_| std::sync::Mutex::new(None)).collect();
    std::thread::scope(|scope| {
        for _ in 0..workers {
            scope.spawn(|| {
                loop {
                    let i = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                    let Some(file) = files.get(i) else { break };
                    let result = checked(file);
                    *done[i].lock().unwrap_or_else(|e| e.into_inner()) = Some(result);
                }
            });
        }
    });
    done.into_iter()
        .zip(files)
        .map(|(slot, file)| {
            slot.into_inner()
                .unwrap_or_else(|e| e.into_inner())
                .unwrap_or_else(|| {
                    Err(ImportError::CheckFailed {
                        path: file.as_ref().to_path_buf(),
                        detail: "its check never finished".into(),
                    })
                })
        })
        .collect()
}

/// Streams a file through sha256 (64 KiB at a time): returns the lower-case hex digest and
/// the number of bytes read.
pub fn sha256_file(path: &Path) -> io::Result<(String, u64)> {
    let mut file = File::open(path)?;
    let mut hasher = Sha256::new();
    let mut buf = vec![0u8; 64 * 1024];
    let mut total = 0u64;
    loop {
        let n = match file.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        };
        hasher.update(&buf[..n]);
        total += n as u64;
    }
    Ok((hex(&hasher.finalize()), total))
}

/// Lower-case hex of a digest.
pub(crate) fn hex(bytes: &[u8]) -> String {
    use std::fmt::Write;
    bytes.iter().fold(String::with_capacity(64), |mut s, b| {
        let _ = write!(s, "{b:02x}");
        s
    })
}

/// The refusal rule of [`MAX_BAD_PACKETS`]: more than 2 bad packets and more than 1 % of all.
fn too_many_bad_packets(bad: u64, packets: u64) -> bool {
    bad > MAX_BAD_PACKETS && bad.saturating_mul(100) > packets.saturating_mul(MAX_BAD_PERCENT)
}

struct Decoded {
    info: AudioInfo,
    frames: u64,
    bad_packets: u64,
    loudness: Loudness,
    sound: Option<SoundSpan>,
}

fn decode_all(path: &Path, options: MeasureOptions) -> Result<Decoded, ImportError> {
    let mut decoder = FileDecoder::open(path).map_err(|e| from_decode(path, e))?;
    let channels = u64::from(decoder.info().channels.max(1));
    let mut meter = LoudnessMeter::new(
        decoder.info().channels,
        decoder.info().sample_rate,
        options.trim_below_dbfs,
    );
    let mut samples = 0u64;
    // Every block the decoder hands out is one good packet; bad ones are counted apart.
    let mut good_packets = 0u64;
    while let Some(block) = decoder.next_block().map_err(|e| from_decode(path, e))? {
        samples += block.len() as u64;
        good_packets += 1;
        meter.add(block);
    }
    let bad = decoder.bad_packets();
    let packets = good_packets + bad;
    if too_many_bad_packets(bad, packets) {
        return Err(ImportError::TooManyBadPackets {
            path: path.to_path_buf(),
            bad,
            packets,
        });
    }
    let frames = samples / channels;
    if frames == 0 {
        return Err(ImportError::NoAudio {
            path: path.to_path_buf(),
        });
    }
    check_complete(path, &decoder, frames)?;
    Ok(Decoded {
        info: decoder.info().clone(),
        frames,
        bad_packets: bad,
        loudness: meter.loudness(),
        sound: meter.sound_span(),
    })
}

/// Containers whose header states the exact length (FLAC STREAMINFO, the WAV data chunk,
/// the last Ogg page, MP4 sample tables). MP3 and ADTS headers are often estimates (a VBR
/// MP3 without Xing header "declares" twice its real length), so they are not checked.
const EXACT_LENGTH_CONTAINERS: [&str; 4] = ["flac", "wave", "ogg", "isomp4"];

/// Refuses a file that decodes to clearly less than its exact header length: a download
/// cut off, or a damaged middle the demuxer silently skipped. 2 % slack covers encoder
/// delay bookkeeping; decoding *more* than declared (MP4 AAC priming) is fine.
fn check_complete(path: &Path, decoder: &FileDecoder, frames: u64) -> Result<(), ImportError> {
    let container = decoder.info().container.as_str();
    let Some(declared) = decoder.declared_frames() else {
        return Ok(());
    };
    if !EXACT_LENGTH_CONTAINERS.contains(&container) || declared == 0 {
        return Ok(());
    }
    if frames.saturating_mul(100) < declared.saturating_mul(98) {
        let rate = u64::from(decoder.info().sample_rate.max(1));
        return Err(ImportError::Truncated {
            path: path.to_path_buf(),
            decoded_ms: frames * 1000 / rate,
            declared_ms: declared.saturating_mul(1000) / rate,
        });
    }
    Ok(())
}

/// Maps the decoder's verdict to the import vocabulary. `FileDecoder::open` reports a
/// stream that ends before its first decodable packet as corrupt with a fixed detail: for
/// the operator that file simply holds no audio.
fn from_decode(path: &Path, e: DecodeError) -> ImportError {
    let path = path.to_path_buf();
    match e {
        DecodeError::Open { source, .. } => ImportError::reading(&path, source),
        DecodeError::NotAudio { detail, .. } => ImportError::NotAudio { path, detail },
        DecodeError::NoAudioTrack { .. } => ImportError::NoAudioTrack { path },
        DecodeError::Unsupported { detail, .. } => ImportError::Unsupported { path, detail },
        DecodeError::Corrupt { detail, .. } if detail == NO_AUDIO_DECODED => {
            ImportError::NoAudio { path }
        }
        DecodeError::Corrupt { detail, .. } => ImportError::Corrupt { path, detail },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sha256_of_known_bytes() -> io::Result<()> {
        let dir = tempfile::tempdir()?;
        let p = dir.path().join("abc.txt");
        std::fs::write(&p, b"abc")?;
        let (digest, n) = sha256_file(&p)?;
        assert_eq!(
            digest,
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
        assert_eq!(n, 3);
        Ok(())
    }

    #[test]
    fn bad_packet_rule_tolerates_a_few_glitches_but_not_one_percent() {
        assert!(!too_many_bad_packets(0, 0));
        assert!(
            !too_many_bad_packets(2, 2),
            "two bad packets are always tolerated"
        );
        assert!(too_many_bad_packets(3, 100), "3 % of packets");
        assert!(!too_many_bad_packets(3, 300), "exactly 1 %");
        assert!(too_many_bad_packets(4, 301));
        assert!(!too_many_bad_packets(30, 36_000), "a few in an hour of MP3");
    }

    #[cfg(unix)]
    #[test]
    fn unreadable_files_are_refused_with_a_permission_hint() -> io::Result<()> {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir()?;
        let p = dir.path().join("locked.mp3");
        std::fs::write(&p, b"ID3")?;
        std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o000))?;
        if File::open(&p).is_ok() {
            return Ok(()); // running as root: permissions do not apply
        }
        let err = measure(&p).expect_err("unreadable");
        assert!(matches!(err, ImportError::Unreadable { .. }), "{err}");
        assert!(err.to_string().contains("readable by the user"), "{err}");
        Ok(())
    }

    #[test]
    fn folders_missing_and_empty_files_are_refused_before_decoding() -> io::Result<()> {
        let dir = tempfile::tempdir()?;
        assert!(matches!(
            measure(dir.path()),
            Err(ImportError::IsDirectory { .. })
        ));
        #[cfg(unix)]
        assert!(matches!(
            measure(Path::new("/dev/zero")),
            Err(ImportError::Unreadable { .. })
        ));
        let missing = dir.path().join("không-có.mp3");
        let err = measure(&missing).expect_err("missing");
        assert!(matches!(err, ImportError::NotFound { .. }), "{err}");
        assert!(err.to_string().contains("không-có.mp3"), "{err}");
        let empty = dir.path().join("empty.mp3");
        std::fs::write(&empty, b"")?;
        assert!(matches!(
            measure(&empty),
            Err(ImportError::EmptyFile { .. })
        ));
        Ok(())
    }
}
