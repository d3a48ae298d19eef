//! The `cap_timed` ALSA capture (`tests/support/alsa/asound_timed.conf.in`): alsa-lib's
//! `file` plugin piped through `pace_log.py`, which takes the audio at real-time speed, as a
//! sound card does, and logs the wall time of every chunk, so a sample in the capture can be
//! dated: when it "reached the speaker".

#![allow(dead_code)]

use std::path::{Path, PathBuf};

/// Writes the `cap_timed` configuration and its pacer into `dir`; returns the configuration's
/// path, for `ALSA_CONFIG_PATH` (the capture is `dir/timed.raw`, its log `dir/timed.log`).
pub fn setup(dir: &Path) -> PathBuf {
    super::process::setup_alsa(
        dir,
        include_str!("alsa/asound_timed.conf.in"),
        &[("pace_log.py", include_str!("alsa/pace_log.py"))],
    )
}

/// The capture: interleaved S16 samples.
pub fn read_s16(path: &Path) -> Vec<i16> {
    std::fs::read(path)
        .expect("capture file")
        .chunks_exact(2)
        .map(|b| i16::from_le_bytes([b[0], b[1]]))
        .collect()
}

/// `(wall time, bytes written so far)` per chunk, and the `#` notes, from the pacer's log.
pub fn read_log(path: &Path) -> (Vec<(f64, usize)>, Vec<String>) {
    let text = std::fs::read_to_string(path).expect("pacer log");
    let mut chunks = Vec::new();
    let mut notes = Vec::new();
    for line in text.lines() {
        if let Some(note) = line.strip_prefix('#') {
            notes.push(note.trim().to_string());
            continue;
        }
        let mut parts = line.split_whitespace();
        let (Some(t), Some(n)) = (parts.next(), parts.next()) else {
            continue; // a line cut short at the end
        };
        chunks.push((
            t.parse().expect("pacer time"),
            n.parse().expect("pacer bytes"),
        ));
    }
    (chunks, notes)
}

/// The wall time at which the pacer wrote byte `offset` of the capture.
pub fn written_at(chunks: &[(f64, usize)], offset: usize) -> f64 {
    let i = chunks.partition_point(|&(_, total)| total <= offset);
    chunks.get(i).expect("offset within the capture").0
}

/// The size of the pipe in front of the pacer, bytes (a test-only delay a sound card does
/// not have), from the log's notes.
pub fn pipe_bytes(notes: &[String]) -> u32 {
    notes
        .iter()
        .find_map(|n| n.strip_prefix("pipe ")?.split(' ').next()?.parse().ok())
        .unwrap_or_else(|| panic!("pipe size in the pacer's log: {notes:?}"))
}
