//! Why a file cannot enter (or stay in) the library, in words an operator can act on.
//!
//! Every message names the file, says what is wrong and ends with a fix the operator can
//! try: usually an `ffmpeg` command that turns the file into something the station plays.

use std::io;
use std::path::{Path, PathBuf};

/// The import check's verdict on a file, or a media-store failure.
///
/// Match on the variant to decide what to do; show the `Display` text to the operator.
#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    #[error("{} does not exist; check the path (quote names with spaces)", path.display())]
    NotFound { path: PathBuf },

    #[error("{} is a folder, not an audio file; import the files inside it one by one", path.display())]
    IsDirectory { path: PathBuf },

    #[error("cannot read {}: {source}; check that the file is readable by the user running loaxa", path.display())]
    Unreadable {
        path: PathBuf,
        #[source]
        source: io::Error,
    },

    #[error("{} is empty (0 bytes); the copy or download probably failed, get the file again", path.display())]
    EmptyFile { path: PathBuf },

    #[error(
        "{} is not an audio file loaxa recognises ({detail}); if it plays elsewhere, convert it: {}",
        path.display(), convert_hint(path)
    )]
    NotAudio { path: PathBuf, detail: String },

    #[error("{} has no audio track (a video or picture only?); extract the sound: {}", path.display(), convert_hint(path))]
    NoAudioTrack { path: PathBuf },

    #[error(
        "{}: this audio format cannot be played ({detail}); loaxa plays MP3, WAV, OGG Vorbis, FLAC and M4A (AAC), convert it: {}",
        path.display(), convert_hint(path)
    )]
    Unsupported { path: PathBuf, detail: String },

    #[error(
        "{} is damaged ({detail}); get the file again from its source, or try to rescue it: {}",
        path.display(), convert_hint(path)
    )]
    Corrupt { path: PathBuf, detail: String },

    #[error(
        "{} is damaged: {bad} of {packets} audio packets cannot be decoded (would air as gaps or noise); get the file again, or try to rescue it: {}",
        path.display(), convert_hint(path)
    )]
    TooManyBadPackets {
        path: PathBuf,
        bad: u64,
        packets: u64,
    },

    #[error(
        "{} contains no playable audio (nothing decodes: the file is empty, cut off or damaged); get the file again from its source, or if it plays in other software, convert it: {}",
        path.display(), convert_hint(path)
    )]
    NoAudio { path: PathBuf },

    #[error(
        "{} is cut off or damaged: only {} of the {} its header announces can be decoded; get the complete file again from its source",
        path.display(), secs(*decoded_ms), secs(*declared_ms)
    )]
    Truncated {
        path: PathBuf,
        decoded_ms: u64,
        declared_ms: u64,
    },

    #[error(
        "{} changed while it was being imported (sha256 {actual}, expected {expected}); wait until it is fully copied, then import it again",
        path.display()
    )]
    Changed {
        path: PathBuf,
        expected: String,
        actual: String,
    },

    #[error(
        "media file {} is missing from the media store; import the original file again",
        path.display()
    )]
    MissingFromStore { path: PathBuf },

    #[error(
        "media file {} is damaged in the media store (sha256 {actual}, expected {expected}); check the disk, then import the original file again",
        path.display()
    )]
    StoreMismatch {
        path: PathBuf,
        expected: String,
        actual: String,
    },

    #[error(
        "{}: loaxa stopped while checking this file ({detail}); nothing of it was imported. \
         This is a loaxa bug: please report it with the file",
        path.display()
    )]
    CheckFailed { path: PathBuf, detail: String },

    #[error(
        "the disk is full (No space left on device): cannot store {}; free disk space on the station PC (`df -h {}`), then import the file again",
        path.display(), path.parent().unwrap_or(path).display()
    )]
    DiskFull { path: PathBuf },

    #[error("media store: {action} {}: {source}; check free disk space and permissions of the data folder", path.display())]
    Store {
        action: &'static str,
        path: PathBuf,
        #[source]
        source: io::Error,
    },
}

/// The `path` field that every variant carries, by reference or mutably (one list of variants).
macro_rules! every_path {
    ($error:expr) => {
        match $error {
            ImportError::NotFound { path }
            | ImportError::IsDirectory { path }
            | ImportError::Unreadable { path, .. }
            | ImportError::EmptyFile { path }
            | ImportError::NotAudio { path, .. }
            | ImportError::NoAudioTrack { path }
            | ImportError::Unsupported { path, .. }
            | ImportError::Corrupt { path, .. }
            | ImportError::TooManyBadPackets { path, .. }
            | ImportError::NoAudio { path }
            | ImportError::Truncated { path, .. }
            | ImportError::Changed { path, .. }
            | ImportError::MissingFromStore { path }
            | ImportError::StoreMismatch { path, .. }
            | ImportError::CheckFailed { path, .. }
            | ImportError::DiskFull { path }
            | ImportError::Store { path, .. } => path,
        }
    };
}

impl ImportError {
    /// The file the error is about.
    pub fn path(&self) -> &Path {
        every_path!(self)
    }

    /// The file the error is about, to rename it: an upload's temp file becomes the name
    /// the operator knows it by, in the message and in the conversion command.
    pub fn path_mut(&mut self) -> &mut PathBuf {
        every_path!(self)
    }

    /// An I/O error on `path` while reading a file to import.
    pub(crate) fn reading(path: &Path, source: io::Error) -> ImportError {
        match source.kind() {
            io::ErrorKind::NotFound => ImportError::NotFound {
                path: path.to_path_buf(),
            },
            io::ErrorKind::IsADirectory => ImportError::IsDirectory {
                path: path.to_path_buf(),
            },
            _ => ImportError::Unreadable {
                path: path.to_path_buf(),
                source,
            },
        }
    }

    /// An I/O error inside the media store.
    pub(crate) fn store(action: &'static str, path: &Path, source: io::Error) -> ImportError {
        if is_disk_full(&source) {
            return ImportError::DiskFull {
                path: path.to_path_buf(),
            };
        }
        ImportError::Store {
            action,
            path: path.to_path_buf(),
            source,
        }
    }
}

/// Whether `e` says the disk has no room (ENOSPC, or EDQUOT: over quota).
pub fn is_disk_full(e: &io::Error) -> bool {
    e.kind() == io::ErrorKind::StorageFull
        || e.kind() == io::ErrorKind::QuotaExceeded
        || matches!(e.raw_os_error(), Some(28 | 122))
}

/// Milliseconds as operators read them: `1.50 s`, `2 min 05 s`.
fn secs(ms: u64) -> String {
    if ms < 60_000 {
        format!("{}.{:02} s", ms / 1000, (ms % 1000) / 10)
    } else {
        format!("{} min {:02} s", ms / 60_000, (ms / 1000) % 60)
    }
}

/// A ready-to-run conversion command for this file, e.g.
/// `ffmpeg -i 'bản tin.opus' -c:a libmp3lame -q:a 2 'bản tin.mp3'`.
pub(crate) fn convert_hint(path: &Path) -> String {
    let input = path
        .file_name()
        .map_or_else(|| path.to_string_lossy(), |n| n.to_string_lossy());
    let stem = path
        .file_stem()
        .map_or_else(|| "out".into(), |s| s.to_string_lossy());
    let output = if path
        .extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("mp3"))
    {
        format!("{stem}-fixed.mp3")
    } else {
        format!("{stem}.mp3")
    };
    format!(
        "`ffmpeg -i {} -c:a libmp3lame -q:a 2 {}`",
        shell_quote(&input),
        shell_quote(&output)
    )
}

/// Quotes a file name for a POSIX shell when it needs it (spaces, quotes, `$`...).
fn shell_quote(s: &str) -> String {
    let plain = !s.is_empty()
        && s.chars()
            .all(|c| c.is_alphanumeric() || matches!(c, '.' | '-' | '_' | '+' | ',' | '/'));
    if plain {
        s.to_string()
    } else {
        format!("'{}'", s.replace('\'', r"'\''"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn convert_hint_quotes_names_with_spaces_and_keeps_mp3_inputs_distinct() {
        assert_eq!(
            convert_hint(Path::new("/in/bản tin.opus")),
            "`ffmpeg -i 'bản tin.opus' -c:a libmp3lame -q:a 2 'bản tin.mp3'`"
        );
        assert_eq!(
            convert_hint(Path::new("x.mp3")),
            "`ffmpeg -i x.mp3 -c:a libmp3lame -q:a 2 x-fixed.mp3`"
        );
        assert_eq!(shell_quote("it's"), r"'it'\''s'");
        assert_eq!(secs(1500), "1.50 s");
        assert_eq!(secs(125_000), "2 min 05 s");
    }

    #[test]
    fn every_message_names_the_file() {
        let p = Path::new("/tmp/bản-tin.opus");
        let errors = [
            ImportError::NotFound { path: p.into() },
            ImportError::Unsupported {
                path: p.into(),
                detail: "opus".into(),
            },
            ImportError::TooManyBadPackets {
                path: p.into(),
                bad: 5,
                packets: 10,
            },
            ImportError::store("writing", p, io::Error::other("disk full")),
        ];
        for e in errors {
            let text = e.to_string();
            assert!(text.contains("/tmp/bản-tin.opus"), "{text}");
            assert_eq!(e.path(), p);
        }
    }
}
