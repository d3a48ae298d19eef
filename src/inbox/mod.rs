//! The province's drop folder (`[province] inbox`): what lies in it and how a bulletin that
//! cannot be taken is set aside. A bulletin is an audio file and a JSON sidecar with the
//! same stem (`X.mp3` + `X.json`), or a sidecar alone carrying `text`; the sidecar is the
//! trigger (an audio file waits for its sidecar). Taking a bulletin is the service layer's
//! (`service::inbox`); watching the folder the daemon's (`daemon::inbox`).
//!
//! Nothing is ever deleted unread: a bulletin that cannot be taken is moved, with every
//! file of its stem, into `quarantine/` beside a `STEM.reason.txt` saying why in Vietnamese
//! and English; the operator deals with it and empties the folder.

pub mod pull;
pub mod sidecar;

use std::path::{Path, PathBuf};

use chrono::{DateTime, FixedOffset};

use crate::words::{InboxProblem, Lang, Say};

/// The quarantine folder's name inside the inbox.
pub const QUARANTINE: &str = "quarantine";
/// The sidecar's extension.
pub const SIDECAR_EXT: &str = "json";
/// The reason file's suffix, after the stem.
pub const REASON_SUFFIX: &str = ".reason.txt";
/// Audio file extensions a bulletin may come as (lower case; matched without case).
pub const AUDIO_EXTS: &[&str] = &[
    "mp3", "wav", "m4a", "aac", "mp4", "ogg", "oga", "opus", "flac", "webm",
];

/// What a file in the inbox is to a bulletin.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Part {
    Sidecar(String),
    Audio(String),
}

/// The part `name` is (by its extension), with its stem; `None` for anything else (hidden
/// and temporary files of a copy in progress, the quarantine folder).
pub fn part_of(name: &str) -> Option<Part> {
    if name.starts_with('.') || name.ends_with('~') {
        return None;
    }
    let (stem, ext) = name.rsplit_once('.')?;
    if stem.is_empty() {
        return None;
    }
    let ext = ext.to_ascii_lowercase();
    if ext == SIDECAR_EXT {
        Some(Part::Sidecar(stem.to_string()))
    } else if AUDIO_EXTS.contains(&ext.as_str()) {
        Some(Part::Audio(stem.to_string()))
    } else {
        None
    }
}

/// The sidecar of `stem` in `dir`.
pub fn sidecar_path(dir: &Path, stem: &str) -> PathBuf {
    dir.join(format!("{stem}.{SIDECAR_EXT}"))
}

/// The audio files of `stem` in `dir`, by name.
pub fn audio_of(dir: &Path, stem: &str) -> Vec<PathBuf> {
    let mut out: Vec<PathBuf> = names(dir)
        .into_iter()
        .filter(|n| part_of(n) == Some(Part::Audio(stem.to_string())))
        .map(|n| dir.join(n))
        .collect();
    out.sort();
    out
}

/// The stems of the sidecars lying in `dir`, by name (the bulletins to take at start).
pub fn sidecars(dir: &Path) -> Vec<String> {
    let mut out: Vec<String> = names(dir)
        .into_iter()
        .filter_map(|n| match part_of(&n) {
            Some(Part::Sidecar(stem)) if dir.join(&n).is_file() => Some(stem),
            _ => None,
        })
        .collect();
    out.sort();
    out
}

/// File names in `dir` (UTF-8 ones; none when it cannot be read).
fn names(dir: &Path) -> Vec<String> {
    std::fs::read_dir(dir)
        .map(|d| {
            d.filter_map(|e| e.ok()?.file_name().into_string().ok())
                .collect()
        })
        .unwrap_or_default()
}

/// The quarantined bulletins waiting in `dir`'s quarantine: how many (reason files), and
/// the latest one's sidecar name.
pub fn waiting_in_quarantine(dir: &Path) -> (u64, Option<String>) {
    let q = dir.join(QUARANTINE);
    let mut reasons: Vec<(std::time::SystemTime, String)> = names(&q)
        .into_iter()
        .filter(|n| n.ends_with(REASON_SUFFIX))
        .map(|n| {
            let at = std::fs::metadata(q.join(&n))
                .and_then(|m| m.modified())
                .unwrap_or(std::time::UNIX_EPOCH);
            (at, n)
        })
        .collect();
    reasons.sort();
    let latest = reasons.last().map(|(_, n)| {
        let stem = n.trim_end_matches(REASON_SUFFIX);
        format!("{stem}.{SIDECAR_EXT}")
    });
    (reasons.len() as u64, latest)
}

/// What was set aside: the files' new names and the reason file's.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SetAside {
    pub files: Vec<String>,
    pub reason_file: String,
}

/// Moves `files` (of one bulletin `stem`) into the quarantine folder and writes the reason
/// beside them. A name already taken there gets the time in front (`20261001-053005-X.json`):
/// an earlier quarantined copy is never overwritten.
pub fn set_aside(
    dir: &Path,
    stem: &str,
    files: &[PathBuf],
    problem: &InboxProblem,
    at: DateTime<FixedOffset>,
) -> std::io::Result<SetAside> {
    let q = dir.join(QUARANTINE);
    std::fs::create_dir_all(&q)?;
    let taken = |prefix: &str| {
        q.join(format!("{prefix}{stem}{REASON_SUFFIX}")).exists()
            || files.iter().any(|f| {
                f.file_name()
                    .is_some_and(|n| q.join(format!("{prefix}{}", n.to_string_lossy())).exists())
            })
    };
    let prefix = if taken("") {
        let mut p = at.format("%Y%m%d-%H%M%S-").to_string();
        let mut n = 1;
        while taken(&p) {
            n += 1;
            p = format!("{}{n}-", at.format("%Y%m%d-%H%M%S-"));
        }
        p
    } else {
        String::new()
    };
    let mut moved = Vec::new();
    for f in files {
        let Some(name) = f.file_name() else { continue };
        let new = format!("{prefix}{}", name.to_string_lossy());
        std::fs::rename(f, q.join(&new))?;
        moved.push(new);
    }
    let reason_file = format!("{prefix}{stem}{REASON_SUFFIX}");
    let text = format!(
        "Bản tin bị giữ lại lúc {time}\n{vi}\n\nQuarantined at {time}\n{en}\n\nTệp / files: {files}\nMã lý do / code: {code}\n",
        time = at.format("%Y-%m-%d %H:%M:%S %:z"),
        vi = problem.say(Lang::Vi),
        en = problem.say(Lang::En),
        files = moved.join(", "),
        code = problem.code(),
    );
    std::fs::write(q.join(&reason_file), text)?;
    Ok(SetAside {
        files: moved,
        reason_file,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parts_are_told_by_extension() {
        assert_eq!(part_of("X.json"), Some(Part::Sidecar("X".into())));
        assert_eq!(part_of("Tin bão.MP3"), Some(Part::Audio("Tin bão".into())));
        assert_eq!(part_of("a.b.wav"), Some(Part::Audio("a.b".into())));
        for other in [
            ".X.json.swp",
            ".X.json",
            "X.mp3.part",
            "X.txt",
            "X.json~",
            "json",
        ] {
            assert_eq!(part_of(other), None, "{other}");
        }
    }

    #[test]
    fn a_second_quarantine_of_one_name_keeps_the_first() {
        let dir = tempfile::tempdir().expect("tempdir");
        let at = chrono::DateTime::parse_from_rfc3339("2026-10-01T05:30:05+07:00").expect("t");
        let problem = InboxProblem::SidecarNotObject;
        for text in ["1", "2"] {
            let f = dir.path().join("X.json");
            std::fs::write(&f, text).expect("write");
            set_aside(dir.path(), "X", &[f], &problem, at).expect("set aside");
        }
        let q = dir.path().join(QUARANTINE);
        assert_eq!(
            std::fs::read_to_string(q.join("X.json")).expect("first"),
            "1"
        );
        assert_eq!(
            std::fs::read_to_string(q.join("20261001-053005-X.json")).expect("second"),
            "2"
        );
        let reason = std::fs::read_to_string(q.join("X.reason.txt")).expect("reason");
        assert!(reason.contains("phải là một đối tượng JSON"), "{reason}");
        assert!(reason.contains("must be a JSON object"), "{reason}");
        assert_eq!(waiting_in_quarantine(dir.path()).0, 2);
    }
}
