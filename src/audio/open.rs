//! Opening a file for decoding: probing its container, and choosing how it is read.
//!
//! MPEG audio is read forward-only (see [`open_reader`]); every other container seekable.

use std::fs::File;
use std::io::Seek;
use std::path::Path;

use symphonia::core::codecs::audio::well_known::CODEC_ID_OPUS;
use symphonia::core::errors::Error as SymError;
use symphonia::core::formats::probe::Hint;
use symphonia::core::formats::{FormatOptions, FormatReader, TrackType};
use symphonia::core::io::{MediaSourceStream, ReadOnlySource};
use symphonia::core::meta::MetadataOptions;

use super::DecodeError;

/// Container short names of symphonia's MPEG audio reader (layers I, II and III), which is
/// opened forward-only (see [`open_reader`]).
pub(super) const MPEG_AUDIO: [&str; 3] = ["mp1", "mp2", "mp3"];

/// Probes `file` and returns its reader and the frame count its container declares.
///
/// MPEG audio is read forward-only: symphonia's MPEG audio reader, on a seekable stream
/// without a Xing/Info/VBRI header, estimates the length from the first frames' size and
/// trims the packets to it, so a VBR file with a loud start would decode (and air) cut short
/// (issue 14). On a stream that cannot seek it makes no estimate and decodes every frame;
/// the player never seeks (`skip_frames` decodes and drops). Every other container stays
/// seekable: an MP4 keeps its index (moov) at the end as often as not.
pub(super) fn open_reader(
    path: &Path,
    file: File,
) -> Result<(Box<dyn FormatReader>, Option<u64>), DecodeError> {
    let open_error = |source| DecodeError::Open {
        path: path.to_path_buf(),
        source,
    };
    // A second handle on the same open file for the MPEG audio reopen (not the path again:
    // the file may be renamed or replaced meanwhile).
    let mut again = file.try_clone().map_err(open_error)?;
    let reader = probe(
        path,
        MediaSourceStream::new(Box::new(file), Default::default()),
    )?;
    let declared = reader
        .default_track(TrackType::Audio)
        .and_then(declared_frames);
    if !MPEG_AUDIO.contains(&reader.format_info().short_name) {
        return Ok((reader, declared));
    }
    // The seekable probe's estimate stays the declared length (a hint only).
    drop(reader);
    again.rewind().map_err(open_error)?;
    let forward_only =
        MediaSourceStream::new(Box::new(ReadOnlySource::new(again)), Default::default());
    Ok((probe(path, forward_only)?, declared))
}

/// The frames a track's container says it holds, as decoded. An Ogg Opus stream's last
/// granule position counts the encoder's delay (pre-skip, RFC 7845 §4), which symphonia
/// passes on as the length while the decoder drops it (`super::opus`): the delay is taken off.
fn declared_frames(track: &symphonia::core::formats::Track) -> Option<u64> {
    let frames = track.num_frames?;
    let opus = track
        .codec_params
        .as_ref()
        .and_then(|p| p.audio())
        .is_some_and(|p| p.codec == CODEC_ID_OPUS);
    Some(if opus {
        frames.saturating_sub(u64::from(track.delay.unwrap_or(0)))
    } else {
        frames
    })
}

/// Probes a stream that cannot seek (a relay source) named `name`, its format hinted by
/// `extension` (`mp3`, `aac`).
pub(super) fn open_stream_reader(
    name: &Path,
    reader: Box<dyn std::io::Read + Send>,
    extension: &str,
) -> Result<Box<dyn FormatReader>, DecodeError> {
    let source = ReadOnlySource::new(SyncRead(std::sync::Mutex::new(reader)));
    let mss = MediaSourceStream::new(Box::new(source), Default::default());
    probe_hinted(name, mss, Some(extension))
}

/// A reader symphonia may share between threads (it asks for `Sync`; the reader is only
/// ever used by the decoder's thread, so the lock is never contended).
struct SyncRead(std::sync::Mutex<Box<dyn std::io::Read + Send>>);

impl std::io::Read for SyncRead {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        self.0
            .get_mut()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .read(buf)
    }
}

/// Probes `mss` for a container loaxa reads (the file's extension as a hint only).
fn probe(
    path: &Path,
    mss: MediaSourceStream<'static>,
) -> Result<Box<dyn FormatReader>, DecodeError> {
    let ext = path.extension().and_then(|e| e.to_str());
    probe_hinted(path, mss, ext)
}

fn probe_hinted(
    path: &Path,
    mss: MediaSourceStream<'static>,
    extension: Option<&str>,
) -> Result<Box<dyn FormatReader>, DecodeError> {
    let mut hint = Hint::new();
    if let Some(ext) = extension {
        hint.with_extension(&ext.to_ascii_lowercase());
    }
    symphonia::default::get_probe()
        .probe(
            &hint,
            mss,
            FormatOptions::default(),
            MetadataOptions::default(),
        )
        .map_err(|e| probe_error(path, e))
}

/// Classifies a probe failure: only "no reader recognises this" means not audio; a
/// recognised file that ends too early or whose container is malformed is corrupt.
fn probe_error(path: &Path, e: SymError) -> DecodeError {
    let path = path.to_path_buf();
    match e {
        // An MP4/M4A whose index never got written: a recording that was interrupted, or a
        // download cut off (the index comes last unless the file was made "faststart").
        SymError::Unsupported(what) if what.contains("moov") => DecodeError::Corrupt {
            path,
            detail: "its MP4 index (moov atom) is missing: the file was cut off or its recording never finished".into(),
        },
        SymError::Unsupported(_) => DecodeError::NotAudio {
            path,
            detail: e.to_string(),
        },
        SymError::IoError(ref io) if io.kind() == std::io::ErrorKind::UnexpectedEof => {
            DecodeError::Corrupt {
                path,
                detail: "the file ends unexpectedly (cut off?)".into(),
            }
        }
        SymError::IoError(source) => DecodeError::Open { path, source },
        other => DecodeError::Corrupt {
            path,
            detail: other.to_string(),
        },
    }
}
