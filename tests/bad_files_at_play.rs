//! A stored file that changed, was truncated or deleted after import fails its own item at
//! play time, with the reason; the rest of the program airs (its audio, and only its audio,
//! reaches the output) and the station goes on with the next program.

#[path = "support/running.rs"]
mod running;
#[path = "support/station.rs"]
mod station;
#[path = "support/wav.rs"]
mod wav;

use std::path::{Path, PathBuf};

use loaxa::audio::FileDecoder;
use loaxa::model::{AsRunRecord, Outcome, OutputSpec, SegmentId};
use running::Running;
use station::{TestStation, local};

const PROGRAMS: &str = r#"
[[program]]
name = "sang"
cron = "0 6 * * *"
playlists = ["sang"]

[[program]]
name = "chieu"
cron = "0 17 * * *"
playlists = ["chieu"]
"#;

/// Segment ids follow the order of [`FILES`].
const PLAYLISTS: &[(&str, &str)] = &[
    (
        "sang.toml",
        "[[item]]\nsegment = 1\n[[item]]\nsegment = 2\n[[item]]\nsegment = 3\n\
         [[item]]\nsegment = 4\n[[item]]\nsegment = 5\n[[item]]\nsegment = 6\n\
         [[item]]\nsegment = 7\n",
    ),
    ("chieu.toml", "[[item]]\nsegment = 8\n"),
];

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Damage {
    None,
    /// One byte of the audio data inverted: still decodes, only the hash tells.
    FlippedByte,
    /// Cut to half its length.
    Truncated,
    Deleted,
}

/// (name, seconds, what happens to its stored copy after import)
const FILES: [(&str, f64, Damage); 8] = [
    ("a", 1.5, Damage::None),
    ("b", 1.0, Damage::FlippedByte),
    ("c", 2.0, Damage::None),
    ("d", 1.0, Damage::Truncated),
    ("e", 0.5, Damage::None),
    ("f", 1.0, Damage::Deleted),
    ("g", 1.25, Damage::None),
    ("h", 1.0, Damage::None),
];

const RATE: u32 = 48_000;

/// Writes `secs` of 48 kHz mono noise (the output's rate: no resampling, so the output's
/// samples can be compared exactly).
fn noise_48k(path: &Path, secs: f64, seed: u64) {
    let frames = (secs * f64::from(RATE)).round() as usize;
    let samples = wav::noise(frames, 1, seed, 0.5);
    wav::write_wav(path, RATE, 1, wav::Bits::S16, &samples);
}

fn decoded(path: &Path) -> Vec<f32> {
    let mut dec = FileDecoder::open(path).expect("a good test file decodes");
    assert_eq!(
        (dec.info().sample_rate, dec.info().channels),
        (RATE, 1),
        "test files are 48 kHz mono"
    );
    let mut out = Vec::new();
    while let Some(block) = dec.next_block().expect("clean decode") {
        out.extend_from_slice(block);
    }
    out
}

fn damage(path: &Path, how: Damage) {
    match how {
        Damage::None => {}
        Damage::FlippedByte => {
            let mut bytes = std::fs::read(path).expect("read stored file");
            let i = bytes.len() / 2;
            bytes[i] = !bytes[i];
            std::fs::write(path, bytes).expect("write stored file");
        }
        Damage::Truncated => {
            let len = std::fs::metadata(path).expect("stored file").len();
            let file = std::fs::OpenOptions::new()
                .write(true)
                .open(path)
                .expect("open stored file");
            file.set_len(len / 2).expect("truncate stored file");
        }
        Damage::Deleted => std::fs::remove_file(path).expect("delete stored file"),
    }
}

fn summary(records: &[AsRunRecord]) -> Vec<(String, String, Outcome)> {
    records
        .iter()
        .map(|r| (r.program.clone(), r.title.clone(), r.outcome))
        .collect()
}

#[tokio::test(start_paused = true)]
async fn changed_truncated_or_deleted_files_fail_alone_and_the_station_goes_on() {
    let t = TestStation::new(PROGRAMS, PLAYLISTS, local(2026, 3, 2, 5, 0, 0));
    std::fs::create_dir_all(t.path("in")).expect("mkdir");
    let station = t.station();
    let mut originals: Vec<PathBuf> = Vec::new();
    let mut stored: Vec<(PathBuf, String)> = Vec::new();
    // Each file airs at its playout gain (loudness normalisation).
    let mut gains: Vec<f32> = Vec::new();
    for (i, (name, secs, _)) in FILES.iter().enumerate() {
        let rel = format!("in/{name}.wav");
        noise_48k(&t.path(&rel), *secs, i as u64 + 1);
        let id = t.add(&station, &rel, t.meta(&format!("Bản tin {name}")));
        assert_eq!(id, SegmentId(i as u64 + 1));
        let seg = station
            .store
            .segment(id)
            .expect("read segment")
            .expect("segment stored");
        stored.push((station.media_path(&seg.media_file), seg.sha256.clone()));
        let levels = station.config.audio.levels();
        gains.push(loaxa::audio::playout_gain(&levels, &seg.level_input()).factor());
        originals.push(t.path(&rel));
    }
    // After import, behind loaxa's back: the stored copies are damaged.
    for ((path, _), (_, _, how)) in stored.iter().zip(FILES) {
        damage(path, how);
    }

    let air = t.path("air.wav");
    let d = Running::start_with_output(station, Some(OutputSpec::Wav(air.clone())));
    d.until(local(2026, 3, 2, 7, 0, 0)).await;
    assert!(
        d.handle.status().warnings.is_empty(),
        "{:?}",
        d.handle.status().warnings
    );
    d.until(local(2026, 3, 2, 18, 0, 0)).await;
    let records = station::in_english(d.stop().await);

    let expected: Vec<(String, String, Outcome)> = FILES
        .iter()
        .enumerate()
        .map(|(i, (name, _, how))| {
            let program = if i < 7 { "sang" } else { "chieu" };
            let outcome = match how {
                Damage::None => Outcome::Completed,
                _ => Outcome::Failed,
            };
            (program.to_string(), format!("Bản tin {name}"), outcome)
        })
        .collect();
    assert_eq!(summary(&records), expected, "each item once, in order");

    for ((r, (_, _, how)), (path, sha)) in records.iter().zip(FILES).zip(&stored) {
        assert_eq!(
            &r.sha256, sha,
            "{}: the record keeps the imported hash",
            r.title
        );
        let reason = r.reason.clone().unwrap_or_default();
        match how {
            Damage::None => {
                assert_eq!(r.reason, None, "{}", r.title);
                assert!(r.played_ms > 0, "{}", r.title);
            }
            Damage::FlippedByte | Damage::Truncated => {
                assert!(
                    reason.starts_with("file changed since it was imported: sha256 ")
                        && reason.contains(&format!("expected {sha}"))
                        && reason.contains("import it again"),
                    "{}: {reason}",
                    r.title
                );
                assert_eq!(r.played_ms, 0, "nothing of {} aired", r.title);
            }
            Damage::Deleted => {
                assert!(
                    reason.starts_with("file is missing from the media store: ")
                        && reason.contains(&path.display().to_string()),
                    "{}: {reason}",
                    r.title
                );
                assert_eq!(r.played_ms, 0, "nothing of {} aired", r.title);
            }
        }
    }

    // The output holds the good items' audio back to back (mono on both sides, at their
    // playout gain), and nothing of the damaged ones: the morning's four, then the evening's
    // one.
    let (rate, channels, out) = wav::read_wav_f32(&air);
    assert_eq!((rate, channels), (RATE, 2));
    let want: Vec<f32> = originals
        .iter()
        .zip(FILES)
        .zip(&gains)
        .filter(|((_, (_, _, how)), _)| *how == Damage::None)
        .flat_map(|((p, _), gain)| {
            let gained: Vec<f32> = decoded(p).iter().map(|s| s * gain).collect();
            wav::convert_channels(&gained, 1, 2)
        })
        .collect();
    assert_eq!(out.len(), want.len(), "output length in samples");
    let first_diff = out.iter().zip(&want).position(|(a, b)| a != b);
    assert_eq!(
        first_diff, None,
        "output differs from the good items' audio"
    );

    // The log of all this still verifies.
    let check = t
        .station_at(local(2026, 3, 2, 18, 0, 0).with_timezone(&chrono::Utc))
        .store
        .verify_chain()
        .expect("verify");
    assert!(check.intact(), "{check:?}");
}
