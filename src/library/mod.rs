//! The library's building blocks: the import check and the media store.
//!
//! Importing a file is: [`measure`] it (full decode with the player's own decoder, true
//! duration, sha256, refusal of anything that would not air properly), then [`MediaStore::put`]
//! it under its content hash. The service layer owns the database side (segment ids,
//! deduplication by hash, titles) and calls these; nothing here knows about segments.
//!
//! Text from the outside world (titles, file names) arrives in NFC or NFD: Vietnamese
//! diacritics can be one code point (`ả`) or a letter plus combining marks (`a` + U+0309).
//! [`clean_text`] and [`display_name`] turn both into NFC so they compare, sort and search
//! alike.

use std::path::Path;

use unicode_normalization::UnicodeNormalization;

mod error;
mod measure;
mod store;

pub use error::{ImportError, is_disk_full};
pub use measure::{
    MAX_BAD_PACKETS, MAX_BAD_PERCENT, MeasureOptions, Measured, measure, measure_many,
    measure_with, sha256_file,
};
pub use store::{MediaStore, sweep};

/// Name prefix of the API's upload temp files in `data_dir/uploads` (swept at start).
pub const UPLOAD_PREFIX: &str = "upload-";

/// Operator-supplied text (a title, a unit name) in NFC, without surrounding whitespace
/// or the byte-order mark Windows Notepad and Excel CSV exports put in front.
pub fn clean_text(s: &str) -> String {
    s.nfc()
        .collect::<String>()
        .trim_matches(|c: char| c.is_whitespace() || c == '\u{feff}')
        .to_string()
}

/// A file's name (without folders) as NFC text; bytes that are not UTF-8 become U+FFFD.
pub fn display_name(path: &Path) -> String {
    let name = path.file_name().map_or_else(
        || path.as_os_str().to_string_lossy(),
        |n| n.to_string_lossy(),
    );
    name.nfc().collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    const NFC: &str = "Bản tin chuyển đổi số";

    fn nfd(s: &str) -> String {
        s.nfd().collect()
    }

    #[test]
    fn clean_text_composes_nfd_and_trims() {
        let decomposed = format!("  {}\t\n", nfd(NFC));
        assert_ne!(decomposed.trim(), NFC, "the test input must really be NFD");
        assert_eq!(clean_text(&decomposed), NFC);
        assert_eq!(clean_text(NFC), NFC);
        assert_eq!(clean_text("   "), "");
        assert_eq!(clean_text("\u{feff}Bản tin 1\u{3000}"), "Bản tin 1");
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
