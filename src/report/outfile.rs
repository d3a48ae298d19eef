//! The files an operator names with `-o` (log exports, reports, downloads of them): only a
//! regular file, new or replaced whole, is ever written.
//!
//! A device node (`/dev/sda`), a symbolic link (which could point anywhere, e.g. at a
//! system file when loaxa runs as root), a folder, a FIFO or a socket is refused with a
//! message naming it. The content goes to a new temp file in the same folder, created
//! exclusively (`O_EXCL`: never through a link planted under its name), synced, then renamed
//! over the target: rename replaces the directory entry itself, so whatever is there is
//! never opened, and a crash or a failure never leaves half a file under the final name.

use std::fs::{File, OpenOptions};
use std::path::{Path, PathBuf};

use anyhow::{Result, bail};

/// Refuses a `path` that exists and is not a regular file.
pub fn check_target(path: &Path) -> Result<()> {
    let meta = match std::fs::symlink_metadata(path) {
        Ok(meta) => meta,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(()),
        Err(e) => return Err(anyhow::Error::new(e).context(format!("reading {}", path.display()))),
    };
    let kind = meta.file_type();
    if kind.is_file() {
        return Ok(());
    }
    let shown = path.display();
    if kind.is_symlink() {
        bail!(
            "{shown} is a symbolic link; loaxa writes only to a regular file, never through a link\n  hint: give the path of the file itself, or a new file name"
        );
    }
    if kind.is_dir() {
        bail!(
            "{shown} is a folder, not a file\n  hint: add a file name, e.g. {}",
            path.join("nhat-ky.csv").display()
        );
    }
    bail!(
        "{shown} is {}, not a regular file\n  hint: give the name of a file to create, e.g. nhat-ky.csv",
        special_kind(&kind)
    );
}

#[cfg(unix)]
fn special_kind(kind: &std::fs::FileType) -> &'static str {
    use std::os::unix::fs::FileTypeExt;
    if kind.is_char_device() || kind.is_block_device() {
        "a device"
    } else if kind.is_fifo() {
        "a named pipe (FIFO)"
    } else if kind.is_socket() {
        "a socket"
    } else {
        "a special file"
    }
}

#[cfg(not(unix))]
fn special_kind(_: &std::fs::FileType) -> &'static str {
    "a special file"
}

/// Checks `path` ([`check_target`]), lets `write` fill a new temp file beside it, syncs it
/// and renames it into place. On any failure the temp file is removed and `path` is left as
/// it was.
pub fn write_atomically<T>(path: &Path, write: impl FnOnce(&mut File) -> Result<T>) -> Result<T> {
    check_target(path)?;
    let tmp = temp_beside(path);
    let result = (|| {
        let mut file = OpenOptions::new().write(true).create_new(true).open(&tmp)?;
        let value = write(&mut file)?;
        file.sync_all()?;
        // Checked again: something put there while we wrote is refused, not replaced.
        check_target(path)?;
        std::fs::rename(&tmp, path)?;
        Ok(value)
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result
}

/// `.NAME.partial-PID-RANDOM` in the same folder (same file system, so the rename is
/// atomic).
pub(super) fn temp_beside(path: &Path) -> PathBuf {
    let name = path
        .file_name()
        .map_or_else(|| "export".into(), |n| n.to_string_lossy().into_owned());
    path.with_file_name(format!(
        ".{name}.partial-{}-{:08x}",
        std::process::id(),
        fastrand::u32(..)
    ))
}

#[cfg(all(test, unix))]
mod tests {
    use super::*;

    #[test]
    fn only_regular_files_are_written() -> Result<()> {
        let dir = tempfile::tempdir()?;
        let outside = dir.path().join("outside.txt");
        std::fs::write(&outside, "keep")?;
        let link = dir.path().join("link.csv");
        std::os::unix::fs::symlink(&outside, &link)?;
        let err = write_atomically(&link, |f| Ok(std::io::Write::write_all(f, b"x")?))
            .expect_err("a link");
        assert!(err.to_string().contains("symbolic link"), "{err}");
        assert_eq!(std::fs::read_to_string(&outside)?, "keep");
        assert!(std::fs::symlink_metadata(&link)?.file_type().is_symlink());
        let dev = write_atomically(Path::new("/dev/null"), |_| Ok(())).expect_err("a device");
        assert!(dev.to_string().contains("a device"), "{dev}");
        let folder = write_atomically(dir.path(), |_| Ok(())).expect_err("a folder");
        assert!(folder.to_string().contains("folder"), "{folder}");
        let file = dir.path().join("nhat-ky.csv");
        write_atomically(&file, |f| Ok(std::io::Write::write_all(f, b"a,b")?))?;
        write_atomically(&file, |f| Ok(std::io::Write::write_all(f, b"c,d")?))?;
        assert_eq!(std::fs::read_to_string(&file)?, "c,d");
        let left: Vec<_> = std::fs::read_dir(dir.path())?.collect();
        assert_eq!(left.len(), 3, "no temp file is left: {left:?}");
        Ok(())
    }
}
