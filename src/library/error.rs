//! Why a file cannot enter (or stay in) the library, in words an operator can act on.
//!
//! Every message names the file, says what is wrong and ends with a fix the operator can
//! try: usually an `ffmpeg` command that turns the file into something the station plays.

use std::io;
use std::path::{Path, PathBuf};

use crate::words::{FileCode, Lang, Say};

/// The import check's verdict on a file, or a media-store failure.
///
/// Match on the variant to decide what to do; [`ImportError::code`] is what the operator
/// reads (in either language); `Display` is its English text.
#[derive(Debug)]
pub enum ImportError {
    NotFound {
        path: PathBuf,
    },
    IsDirectory {
        path: PathBuf,
    },
    Unreadable {
        path: PathBuf,
        source: io::Error,
    },
    EmptyFile {
        path: PathBuf,
    },
    NotAudio {
        path: PathBuf,
        detail: String,
    },
    NoAudioTrack {
        path: PathBuf,
    },
    Unsupported {
        path: PathBuf,
        detail: String,
    },
    Corrupt {
        path: PathBuf,
        detail: String,
    },
    TooManyBadPackets {
        path: PathBuf,
        bad: u64,
        packets: u64,
    },
    NoAudio {
        path: PathBuf,
    },
    Truncated {
        path: PathBuf,
        decoded_ms: u64,
        declared_ms: u64,
    },
    Changed {
        path: PathBuf,
        expected: String,
        actual: String,
    },
    MissingFromStore {
        path: PathBuf,
    },
    StoreMismatch {
        path: PathBuf,
        expected: String,
        actual: String,
    },
    CheckFailed {
        path: PathBuf,
        detail: String,
    },
    DiskFull {
        path: PathBuf,
    },
    Store {
        action: &'static str,
        path: PathBuf,
        source: io::Error,
    },
}

impl std::fmt::Display for ImportError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.code().say(Lang::En))
    }
}

impl std::error::Error for ImportError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            ImportError::Unreadable { source, .. } | ImportError::Store { source, .. } => {
                Some(source)
            }
            _ => None,
        }
    }
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

    /// What the operator reads: the verdict as a code with its parameters (the file as it
    /// is named here, the conversion command as a parameter).
    pub fn code(&self) -> FileCode {
        let file = self.path().display().to_string();
        let convert = || convert_command(self.path());
        match self {
            ImportError::NotFound { .. } => FileCode::FileMissing { file },
            ImportError::IsDirectory { .. } => FileCode::FileIsFolder { file },
            ImportError::Unreadable { source, .. } => FileCode::FileUnreadable {
                file,
                detail: source.to_string(),
            },
            ImportError::EmptyFile { .. } => FileCode::FileEmpty { file },
            ImportError::NotAudio { detail, .. } => FileCode::FileNotAudio {
                file,
                detail: detail.clone(),
                convert: convert(),
            },
            ImportError::NoAudioTrack { .. } => FileCode::FileNoAudioTrack {
                file,
                convert: convert(),
            },
            ImportError::Unsupported { detail, .. } => FileCode::FileUnsupported {
                file,
                detail: detail.clone(),
                convert: convert(),
            },
            ImportError::Corrupt { detail, .. } => FileCode::FileDamaged {
                file,
                detail: detail.clone(),
                convert: convert(),
            },
            ImportError::TooManyBadPackets { bad, packets, .. } => FileCode::FileBadPackets {
                file,
                bad: *bad,
                packets: *packets,
                convert: convert(),
            },
            ImportError::NoAudio { .. } => FileCode::FileNoAudio {
                file,
                convert: convert(),
            },
            ImportError::Truncated {
                decoded_ms,
                declared_ms,
                ..
            } => FileCode::FileTruncated {
                file,
                decoded_ms: *decoded_ms,
                declared_ms: *declared_ms,
            },
            ImportError::Changed {
                expected, actual, ..
            } => FileCode::FileChanged {
                file,
                expected: expected.clone(),
                actual: actual.clone(),
            },
            ImportError::MissingFromStore { .. } => FileCode::MediaMissing { file },
            ImportError::StoreMismatch {
                expected, actual, ..
            } => FileCode::MediaDamaged {
                file,
                expected: expected.clone(),
                actual: actual.clone(),
            },
            ImportError::CheckFailed { detail, .. } => FileCode::FileCheckFailed {
                file,
                detail: detail.clone(),
            },
            ImportError::DiskFull { path } => FileCode::FileDiskFull {
                file,
                folder: path.parent().unwrap_or(path).display().to_string(),
            },
            ImportError::Store { action, source, .. } => FileCode::MediaStoreFailed {
                action: (*action).to_string(),
                file,
                detail: source.to_string(),
            },
        }
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

/// A ready-to-run conversion command for this file, e.g.
/// `ffmpeg -i 'bản tin.opus' -c:a libmp3lame -q:a 2 'bản tin.mp3'`.
pub(crate) fn convert_command(path: &Path) -> String {
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
        "ffmpeg -i {} -c:a libmp3lame -q:a 2 {}",
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
            convert_command(Path::new("/in/bản tin.opus")),
            "ffmpeg -i 'bản tin.opus' -c:a libmp3lame -q:a 2 'bản tin.mp3'"
        );
        assert_eq!(
            convert_command(Path::new("x.mp3")),
            "ffmpeg -i x.mp3 -c:a libmp3lame -q:a 2 x-fixed.mp3"
        );
        assert_eq!(shell_quote("it's"), r"'it'\''s'");
        let truncated = ImportError::Truncated {
            path: "a.mp3".into(),
            decoded_ms: 1500,
            declared_ms: 125_000,
        };
        assert!(
            truncated
                .to_string()
                .contains("only 1.50 s of the 2 min 05 s")
        );
        assert!(
            truncated
                .code()
                .say(Lang::Vi)
                .contains("1,50 giây trên 2 phút 05 giây")
        );
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
