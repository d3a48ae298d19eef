//! The media store: the station's own copy of every imported file, named by content.
//!
//! Files live flat in one folder (`data_dir/media`) as `<sha256>.<ext>`, so the same audio
//! imported twice is stored once and a name can never point at different bytes. A file is
//! written under a temporary name in the same folder, flushed to disk and then renamed, so a
//! power cut (common at commune stations) never leaves a half-written file under a final
//! name; leftovers of an interrupted copy are removed when the store is opened.

use std::fs::{self, File, OpenOptions};
use std::io::{self, Read, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

use sha2::{Digest, Sha256};

use super::ImportError;
use super::measure::{hex, sha256_file};

/// Prefix of in-progress copies; never a valid media file name (those start with hex).
const TEMP_PREFIX: &str = ".partial-";

/// Distinguishes temp files of concurrent `put`s within one process.
static TEMP_COUNTER: AtomicU64 = AtomicU64::new(0);

/// A folder of content-addressed media files.
#[derive(Debug, Clone)]
pub struct MediaStore {
    root: PathBuf,
}

impl MediaStore {
    /// Opens (creating it if needed) the store in `root` and removes temp files left by
    /// an interrupted import.
    pub fn open(root: impl Into<PathBuf>) -> io::Result<MediaStore> {
        let root = root.into();
        fs::create_dir_all(&root)?;
        sweep(&root, TEMP_PREFIX)?;
        Ok(MediaStore { root })
    }

    /// The store's folder.
    pub fn root(&self) -> &Path {
        &self.root
    }

    /// Where `media_file` (a name returned by [`MediaStore::put`]) lives. Only the last
    /// component of `media_file` is used, so a bad name from a damaged database can never
    /// point outside the store.
    pub fn path_of(&self, media_file: &str) -> PathBuf {
        let name = Path::new(media_file)
            .file_name()
            .map_or_else(|| media_file.into(), PathBuf::from);
        self.root.join(name)
    }

    /// Copies `src`, whose bytes hash to `sha256` (from [`super::measure`]), into the store
    /// and returns its media file name `<sha256>.<ext>` (extension lower-cased; dropped if
    /// the source has none or an odd one). Idempotent: if the file is already stored with
    /// the right size, nothing is written. Refuses with [`ImportError::Changed`] if `src`
    /// no longer hashes to `sha256` (it was still being copied, or was replaced).
    pub fn put(&self, src: &Path, sha256: &str) -> Result<String, ImportError> {
        if !is_sha256_hex(sha256) {
            return Err(ImportError::store(
                "storing",
                src,
                io::Error::new(
                    io::ErrorKind::InvalidInput,
                    format!("`{sha256}` is not a lower-case hex sha256"),
                ),
            ));
        }
        let name = media_name(src, sha256);
        let dest = self.root.join(&name);
        let src_len = fs::metadata(src)
            .map_err(|e| ImportError::reading(src, e))?
            .len();
        if fs::metadata(&dest).is_ok_and(|m| m.is_file() && m.len() == src_len) {
            return Ok(name);
        }
        let tmp = self.root.join(format!(
            "{TEMP_PREFIX}{sha256}-{}-{}",
            std::process::id(),
            TEMP_COUNTER.fetch_add(1, Ordering::Relaxed)
        ));
        let result = self.copy_verified(src, &tmp, sha256).and_then(|()| {
            fs::rename(&tmp, &dest).map_err(|e| ImportError::store("renaming into", &dest, e))
        });
        if result.is_err() {
            let _ = fs::remove_file(&tmp);
        }
        result?;
        sync_dir(&self.root).map_err(|e| ImportError::store("syncing", &self.root, e))?;
        Ok(name)
    }

    /// Copies `src` to `tmp`, hashing on the way, and flushes `tmp` to disk.
    fn copy_verified(&self, src: &Path, tmp: &Path, sha256: &str) -> Result<(), ImportError> {
        let mut input = File::open(src).map_err(|e| ImportError::reading(src, e))?;
        let mut output = OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(tmp)
            .map_err(|e| ImportError::store("creating", tmp, e))?;
        let mut hasher = Sha256::new();
        let mut buf = vec![0u8; 64 * 1024];
        loop {
            let n = match input.read(&mut buf) {
                Ok(0) => break,
                Ok(n) => n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(ImportError::reading(src, e)),
            };
            hasher.update(&buf[..n]);
            output
                .write_all(&buf[..n])
                .map_err(|e| ImportError::store("writing", tmp, e))?;
        }
        let actual = hex(&hasher.finalize());
        if actual != sha256 {
            return Err(ImportError::Changed {
                path: src.to_path_buf(),
                expected: sha256.to_string(),
                actual,
            });
        }
        output
            .sync_all()
            .map_err(|e| ImportError::store("flushing", tmp, e))
    }

    /// Deletes a media file. Deleting a file that is not there is not an error.
    pub fn remove(&self, media_file: &str) -> Result<(), ImportError> {
        let path = self.path_of(media_file);
        match fs::remove_file(&path) {
            Ok(()) => Ok(()),
            Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(()),
            Err(e) => Err(ImportError::store("deleting", &path, e)),
        }
    }

    /// Re-hashes a stored file and checks it still holds the imported bytes.
    pub fn verify(&self, media_file: &str, sha256: &str) -> Result<(), ImportError> {
        let path = self.path_of(media_file);
        let (actual, _) = sha256_file(&path).map_err(|e| match e.kind() {
            io::ErrorKind::NotFound => ImportError::MissingFromStore { path: path.clone() },
            _ => ImportError::store("reading", &path, e),
        })?;
        if actual == sha256 {
            Ok(())
        } else {
            Err(ImportError::StoreMismatch {
                path,
                expected: sha256.to_string(),
                actual,
            })
        }
    }
}

/// Removes the files in `dir` whose names start with `prefix`: temp files of a copy or an
/// upload that a kill or a power cut interrupted. Call only while holding the database
/// (no other process can be writing them). Returns how many were removed.
pub fn sweep(dir: &Path, prefix: &str) -> io::Result<usize> {
    let entries = match fs::read_dir(dir) {
        Ok(entries) => entries,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(0),
        Err(e) => return Err(e),
    };
    let mut removed = 0;
    for entry in entries {
        let entry = entry?;
        if entry.file_name().to_string_lossy().starts_with(prefix) {
            // Best effort: a leftover we cannot delete does no harm besides disk space.
            match fs::remove_file(entry.path()) {
                Ok(()) => removed += 1,
                Err(e) => {
                    tracing::warn!(file = %entry.path().display(), error = %e, "cannot remove a leftover temp file");
                }
            }
        }
    }
    Ok(removed)
}

/// `<sha256>.<ext>` with the source's extension lower-cased, if it is a plain short one.
fn media_name(src: &Path, sha256: &str) -> String {
    let ext = src
        .extension()
        .and_then(|e| e.to_str())
        .filter(|e| !e.is_empty() && e.len() <= 8 && e.chars().all(|c| c.is_ascii_alphanumeric()))
        .map(str::to_ascii_lowercase);
    match ext {
        Some(ext) => format!("{sha256}.{ext}"),
        None => sha256.to_string(),
    }
}

fn is_sha256_hex(s: &str) -> bool {
    s.len() == 64 && s.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
}

/// Makes a rename in `dir` durable (the directory entry itself must reach the disk).
#[cfg(unix)]
fn sync_dir(dir: &Path) -> io::Result<()> {
    File::open(dir)?.sync_all()
}

/// Windows cannot open a directory as a file; NTFS journals the rename.
#[cfg(not(unix))]
fn sync_dir(_dir: &Path) -> io::Result<()> {
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    const HASH: &str = "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad";

    #[test]
    fn media_names_lower_case_the_extension_and_drop_odd_ones() {
        assert_eq!(
            media_name(Path::new("/x/Bản Tin.MP3"), HASH),
            format!("{HASH}.mp3")
        );
        assert_eq!(media_name(Path::new("no_ext"), HASH), HASH);
        assert_eq!(media_name(Path::new("a.mp3 (1)"), HASH), HASH);
    }

    #[test]
    fn path_of_stays_inside_the_store() -> io::Result<()> {
        let dir = tempfile::tempdir()?;
        let store = MediaStore::open(dir.path().join("media"))?;
        assert_eq!(
            store.path_of("../../etc/passwd"),
            dir.path().join("media").join("passwd")
        );
        Ok(())
    }

    #[test]
    fn put_verify_remove_round_trip() -> Result<(), Box<dyn std::error::Error>> {
        let dir = tempfile::tempdir()?;
        let src = dir.path().join("abc.WAV");
        fs::write(&src, b"abc")?;
        let store = MediaStore::open(dir.path().join("media"))?;
        let name = store.put(&src, HASH)?;
        assert_eq!(name, format!("{HASH}.wav"));
        store.verify(&name, HASH)?;
        fs::write(store.path_of(&name), b"abd")?;
        assert!(matches!(
            store.verify(&name, HASH),
            Err(ImportError::StoreMismatch { .. })
        ));
        store.remove(&name)?;
        store.remove(&name)?;
        assert!(matches!(
            store.verify(&name, HASH),
            Err(ImportError::MissingFromStore { .. })
        ));
        Ok(())
    }

    #[test]
    fn a_source_that_changed_since_measuring_is_refused_and_leaves_nothing() -> io::Result<()> {
        let dir = tempfile::tempdir()?;
        let src = dir.path().join("abc.mp3");
        fs::write(&src, b"abc, still copying")?;
        let store = MediaStore::open(dir.path().join("media"))?;
        let err = store.put(&src, HASH).expect_err("hash differs");
        assert!(matches!(err, ImportError::Changed { .. }), "{err}");
        assert_eq!(fs::read_dir(store.root())?.count(), 0);
        assert!(store.put(&src, "not-a-hash").is_err());
        Ok(())
    }

    #[test]
    fn open_removes_leftovers_of_an_interrupted_copy() -> io::Result<()> {
        let dir = tempfile::tempdir()?;
        let root = dir.path().join("media");
        fs::create_dir_all(&root)?;
        fs::write(root.join(format!("{TEMP_PREFIX}{HASH}-1-0")), b"half")?;
        fs::write(root.join(format!("{HASH}.mp3")), b"abc")?;
        let store = MediaStore::open(&root)?;
        let names: Vec<_> = fs::read_dir(store.root())?
            .map(|e| e.map(|e| e.file_name()))
            .collect::<io::Result<_>>()?;
        assert_eq!(names, vec![std::ffi::OsString::from(format!("{HASH}.mp3"))]);
        Ok(())
    }
}
