//! The library's building blocks: the import check and the media store.
//!
//! Importing a file is: [`measure`] it (full decode with the player's own decoder, true
//! duration, sha256, refusal of anything that would not air properly), then [`MediaStore::put`]
//! it under its content hash. The service layer owns the database side (segment ids,
//! deduplication by hash, titles) and calls these; nothing here knows about segments.
//!
//! Text from the outside world (titles, file names) arrives in NFC or NFD: Vietnamese
//! diacritics can be one code point (`ả`) or a letter plus combining marks (`a` + U+0309).
//! [`display_name`] and [`crate::text::clean`] turn both into NFC so they compare, sort and
//! search alike.

use std::path::Path;

mod error;
mod measure;
mod store;

pub use error::{ImportError, is_disk_full};
pub(crate) use measure::hex;
pub use measure::{
    MAX_BAD_PACKETS, MAX_BAD_PERCENT, MeasureOptions, Measured, measure, measure_many,
    measure_with, sha256_file,
};
pub use store::{MediaStore, sweep};

/// Name prefix of the API's upload temp files in `data_dir/uploads` (swept at start).
pub const UPLOAD_PREFIX: &str = "upload-";

/// A fresh temp file name in `dir` (`data_dir/uploads`) under [`UPLOAD_PREFIX`], so one a
/// kill leaves behind is swept at the next start: an upload's, or a text bulletin's WAV.
/// Only a short alphanumeric extension of `client_name` is kept, as a format hint for the
/// probe.
pub fn upload_temp_path(dir: &Path, client_name: &str) -> std::path::PathBuf {
    use std::sync::atomic::{AtomicU64, Ordering};
    static NEXT: AtomicU64 = AtomicU64::new(0);
    let n = NEXT.fetch_add(1, Ordering::Relaxed);
    let ext = Path::new(client_name)
        .extension()
        .and_then(|e| e.to_str())
        .filter(|e| e.len() <= 5 && e.chars().all(|c| c.is_ascii_alphanumeric()))
        .map(str::to_ascii_lowercase);
    let stem = format!(
        "{UPLOAD_PREFIX}{}-{n}-{:08x}",
        std::process::id(),
        fastrand::u32(..)
    );
    dir.join(match ext {
        Some(ext) => format!("{stem}.{ext}"),
        None => stem,
    })
}

/// A file's name (without folders) as clean text ([`crate::text::clean`]: NFC, no control
/// characters); bytes that are not UTF-8 become U+FFFD.
pub fn display_name(path: &Path) -> String {
    let name = path.file_name().map_or_else(
        || path.as_os_str().to_string_lossy(),
        |n| n.to_string_lossy(),
    );
    crate::text::clean(&name)
}

#[cfg(test)]
mod tests {
    use super::*;
    use unicode_normalization::UnicodeNormalization;

    fn nfd(s: &str) -> String {
        s.nfd().collect()
    }

    #[test]
    fn display_name_is_the_nfc_file_name() {
        let path = Path::new("/nhận/").join(nfd("bản-tin số 1.mp3"));
        assert_eq!(display_name(&path), "bản-tin số 1.mp3");
    }

    #[cfg(unix)]
    #[test]
    fn display_name_survives_non_utf8_names() {
        use std::os::unix::ffi::OsStrExt;
        let path = Path::new(std::ffi::OsStr::from_bytes(b"/x/b\xe1n-tin.mp3"));
        assert_eq!(display_name(path), "b\u{fffd}n-tin.mp3");
    }
}
