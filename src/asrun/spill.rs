//! Log records still waiting for the disk when the daemon stops, kept for the next start.
//!
//! A full disk cannot take a new file at shutdown, so the room is taken in advance: at
//! start the file `asrun-waiting.jsonl` next to the database is filled with zeros up to
//! [`SPILL_BYTES`] and flushed. At exit, what could not reach the log is written over
//! those bytes in place (one JSON line each, then a NUL) — overwriting space the file
//! already owns needs no free block. The next start reads the lines back into the
//! backlog, before anything else is logged, and clears the file once they are written.
//!
//! (Copy-on-write file systems such as btrfs or ZFS allocate even on overwrite; the station
//! PC's ext4 and a tmpfs do not.)

use std::fs::{File, OpenOptions};
use std::io::{self, Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

use serde::Serialize;
use serde::de::DeserializeOwned;

/// Room reserved: about 400 records of ~600 bytes, hours of programs.
pub(super) const SPILL_BYTES: u64 = 256 * 1024;
const FILE_NAME: &str = "asrun-waiting.jsonl";

#[derive(Debug, Clone)]
pub(super) struct Spill {
    path: PathBuf,
}

impl Spill {
    /// The spill file of the database in `db_dir` (`None` for a temporary database).
    pub(super) fn of(db_dir: &Path) -> Option<Spill> {
        if !db_dir.is_dir() {
            return None;
        }
        let data = db_dir.parent()?;
        Some(Spill {
            path: data.join(FILE_NAME),
        })
    }

    pub(super) fn path(&self) -> &Path {
        &self.path
    }

    /// Makes sure the file owns [`SPILL_BYTES`] of real (not sparse) space, keeping what it
    /// holds.
    pub(super) fn reserve(&self) -> io::Result<()> {
        let mut file = OpenOptions::new()
            .create(true)
            .truncate(false)
            .read(true)
            .write(true)
            .open(&self.path)?;
        let len = file.metadata()?.len();
        if len >= SPILL_BYTES {
            return Ok(());
        }
        file.seek(SeekFrom::Start(len))?;
        let zeros = vec![0u8; usize::try_from(SPILL_BYTES - len).unwrap_or(0)];
        file.write_all(&zeros)?;
        file.sync_all()
    }

    /// The items kept by the last run (none when the file is absent or empty). A damaged
    /// line is reported and skipped.
    pub(super) fn load<T: DeserializeOwned>(&self) -> Vec<T> {
        let mut bytes = Vec::new();
        match File::open(&self.path).and_then(|mut f| f.read_to_end(&mut bytes)) {
            Ok(_) => {}
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Vec::new(),
            Err(e) => {
                tracing::error!(file = %self.path.display(), error = %e, "cannot read the log records kept by the last run");
                return Vec::new();
            }
        }
        let end = bytes.iter().position(|&b| b == 0).unwrap_or(bytes.len());
        bytes[..end]
            .split(|&b| b == b'\n')
            .filter(|line| !line.is_empty())
            .filter_map(|line| match serde_json::from_slice(line) {
                Ok(item) => Some(item),
                Err(e) => {
                    tracing::error!(
                        file = %self.path.display(),
                        line = %String::from_utf8_lossy(line),
                        error = %e,
                        "a log record kept by the last run is damaged; skipped"
                    );
                    None
                }
            })
            .collect()
    }

    /// Writes `items` over the reserved bytes, oldest first, as many as fit; returns how
    /// many were kept.
    pub(super) fn save<T: Serialize>(&self, items: &[T]) -> io::Result<usize> {
        let mut buf = Vec::new();
        let mut kept = 0;
        for item in items {
            let mut line = serde_json::to_vec(item).map_err(io::Error::other)?;
            line.push(b'\n');
            if (buf.len() + line.len()) as u64 >= SPILL_BYTES {
                break;
            }
            buf.extend_from_slice(&line);
            kept += 1;
        }
        buf.push(0);
        self.overwrite(&buf)?;
        Ok(kept)
    }

    /// Forgets the kept items (they are in the log now).
    pub(super) fn clear(&self) -> io::Result<()> {
        self.overwrite(&[0])
    }

    fn overwrite(&self, bytes: &[u8]) -> io::Result<()> {
        // No `create`, no `truncate`: only space the file already owns is written.
        let mut file = OpenOptions::new().write(true).open(&self.path)?;
        file.write_all(bytes)?;
        file.sync_data()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kept_items_come_back_in_order_and_clear_leaves_the_room_reserved() -> io::Result<()> {
        let dir = tempfile::tempdir()?;
        std::fs::create_dir(dir.path().join("db"))?;
        let spill = Spill::of(&dir.path().join("db")).ok_or(io::ErrorKind::NotFound)?;
        assert_eq!(spill.load::<String>(), Vec::<String>::new());
        spill.reserve()?;
        assert_eq!(std::fs::metadata(spill.path())?.len(), SPILL_BYTES);
        let items = vec!["một".to_string(), "hai\nba".to_string()];
        assert_eq!(spill.save(&items)?, 2);
        spill.reserve()?;
        assert_eq!(spill.load::<String>(), items);
        spill.clear()?;
        assert_eq!(spill.load::<String>(), Vec::<String>::new());
        assert_eq!(std::fs::metadata(spill.path())?.len(), SPILL_BYTES);
        // More than fits: the oldest are kept.
        let many: Vec<String> = (0..100)
            .map(|i| format!("{i:04}{}", "x".repeat(4000)))
            .collect();
        let kept = spill.save(&many)?;
        assert!(kept > 50 && kept < 100, "{kept}");
        assert_eq!(spill.load::<String>(), many[..kept]);
        Ok(())
    }
}
