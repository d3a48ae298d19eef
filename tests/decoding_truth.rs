//! Decoding truth: every fixture in `tests/fixtures/truth/` decodes, with loaxa's own import
//! check (`library::measure`, the function `segment add` and uploads call; the player opens
//! files with the same `FileDecoder::open`), to the length an independent decoder gives.
//!
//! The oracle is `tests/fixtures/truth/lengths.tsv`, written by `make.sh` beside it from
//! `ffmpeg -i FILE -f s16le -` decodes (frames at the file's own rate and channels). No
//! ffmpeg is needed here: the table is committed with the files.
//!
//! # The tolerance rule
//!
//! `|loaxa frames − ffmpeg frames| ≤ codec_frame + trimmed`, where, per file (columns of
//! the table):
//! - `codec_frame` is the longest block the codec decodes at once: MP3 layer III 1152
//!   (MPEG-1) or 576 (MPEG-2/2.5), AAC 1024, Vorbis its long block, FLAC STREAMINFO's
//!   maximum block size, IMA ADPCM its frames per block, PCM 0 (exact). Two decoders may
//!   disagree on one partial block at the end (a frame cut off, a final short granule).
//! - `trimmed` is the encoder priming and padding ffmpeg drops, as ffprobe reports them (the
//!   packets' "Skip Samples" side data, `skip_samples + discard_padding`): an MP4 edit list
//!   or a LAME/Vorbis header that ffmpeg honours and symphonia 0.6 may not (it does not
//!   read MP4 edit lists, for one).
//!
//! A measure short by more than that is a bulletin that airs cut short; one long by more is
//! a silence or a glitch that airs, or a report that overstates airtime.

#[path = "support/running.rs"]
mod running;
#[path = "support/station.rs"]
mod station;
#[path = "support/wav.rs"]
mod wav;

use std::path::{Path, PathBuf};

use loaxa::audio::FileDecoder;
use loaxa::library::measure;
use loaxa::model::{Outcome, OutputSpec, Reason, SegmentId};
use running::Running;
use station::{TestStation, local};

type TestResult = Result<(), Box<dyn std::error::Error>>;

fn truth_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/truth")
}

/// One row of `lengths.tsv`.
#[derive(Debug)]
struct Truth {
    file: String,
    codec: String,
    rate: u32,
    channels: u16,
    ffmpeg_frames: u64,
    codec_frame: u64,
    trimmed: u64,
}

impl Truth {
    fn tolerance(&self) -> u64 {
        self.codec_frame + self.trimmed
    }
}

fn table() -> Result<Vec<Truth>, Box<dyn std::error::Error>> {
    let text = std::fs::read_to_string(truth_dir().join("lengths.tsv"))?;
    let mut lines = text.lines();
    assert_eq!(
        lines.next(),
        Some("file\tcodec\trate\tchannels\tffmpeg_frames\tcodec_frame\ttrimmed"),
        "lengths.tsv header"
    );
    let mut rows = Vec::new();
    for line in lines.filter(|l| !l.is_empty()) {
        let f: Vec<&str> = line.split('\t').collect();
        let [file, codec, rate, channels, frames, frame, trimmed] = f[..] else {
            return Err(format!("bad row in lengths.tsv: {line:?}").into());
        };
        rows.push(Truth {
            file: file.into(),
            codec: codec.into(),
            rate: rate.parse()?,
            channels: channels.parse()?,
            ffmpeg_frames: frames.parse()?,
            codec_frame: frame.parse()?,
            trimmed: trimmed.parse()?,
        });
    }
    Ok(rows)
}

fn truth_of<'a>(rows: &'a [Truth], file: &str) -> Result<&'a Truth, String> {
    rows.iter()
        .find(|r| r.file == file)
        .ok_or_else(|| format!("{file} is not in lengths.tsv"))
}

/// Every file of the folder (and of `corpus/`) is in the table, and the table names no
/// missing file: a fixture added without its oracle row, or a row without its file, fails.
#[test]
fn the_table_covers_every_fixture() -> TestResult {
    let rows = table()?;
    let mut on_disk = Vec::new();
    for dir in ["", "corpus"] {
        for entry in std::fs::read_dir(truth_dir().join(dir))? {
            let entry = entry?;
            let name = entry.file_name().to_string_lossy().into_owned();
            let ext = Path::new(&name).extension().and_then(|e| e.to_str());
            if entry.file_type()?.is_file() && !matches!(ext, Some("md" | "sh" | "py" | "tsv")) {
                on_disk.push(if dir.is_empty() {
                    name
                } else {
                    format!("{dir}/{name}")
                });
            }
        }
    }
    on_disk.sort();
    let mut listed: Vec<String> = rows.iter().map(|r| r.file.clone()).collect();
    listed.sort();
    assert_eq!(on_disk, listed);
    assert!(rows.len() >= 30, "{} fixtures", rows.len());
    Ok(())
}

#[test]
fn every_fixture_measures_to_ffmpegs_length() -> TestResult {
    let rows = table()?;
    let mut failures = Vec::new();
    eprintln!("file\tcodec\tffmpeg\tloaxa\tdiff\ttolerance");
    for row in &rows {
        let path = truth_dir().join(&row.file);
        let m = match measure(&path) {
            Ok(m) => m,
            Err(e) => {
                failures.push(format!("{}: refused: {e}", row.file));
                continue;
            }
        };
        let diff = m.frames as i64 - row.ffmpeg_frames as i64;
        eprintln!(
            "{}\t{}\t{}\t{}\t{diff:+}\t{}",
            row.file,
            row.codec,
            row.ffmpeg_frames,
            m.frames,
            row.tolerance()
        );
        if (m.info.sample_rate, m.info.channels) != (row.rate, row.channels) {
            failures.push(format!(
                "{}: {} Hz × {} channels, ffmpeg says {} Hz × {}",
                row.file, m.info.sample_rate, m.info.channels, row.rate, row.channels
            ));
        }
        if diff.unsigned_abs() > row.tolerance() {
            let seconds = |frames: u64| frames as f64 / f64::from(row.rate);
            failures.push(format!(
                "{}: loaxa {} frames ({:.3} s), ffmpeg {} ({:.3} s): {diff:+} frames, \
                 tolerance {}",
                row.file,
                m.frames,
                seconds(m.frames),
                row.ffmpeg_frames,
                seconds(row.ffmpeg_frames),
                row.tolerance()
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    Ok(())
}

/// Issue 14, "A bulletin is silently cut short": a VBR MP3 without a Xing/Info header whose
/// first frames are loud (big) and the rest quiet (small). symphonia estimates the length
/// from the first frames and, on a seekable stream, trims the packets to that estimate: the
/// file measured and aired ~1.4 s of its 7.3 s.
#[test]
fn a_loud_start_vbr_mp3_without_xing_is_not_cut_to_the_header_estimate() -> TestResult {
    let rows = table()?;
    for file in [
        "vbr-no-xing-loud-start.mp3",
        "cbr-joined-320k-then-32k.mp3",
        "mpeg2-16k-mono-no-xing-loud-start.mp3",
    ] {
        let truth = truth_of(&rows, file)?;
        let m = measure(&truth_dir().join(file))?;
        assert!(
            m.frames + truth.codec_frame >= truth.ffmpeg_frames,
            "{file}: measured {} frames ({} ms), ffmpeg decodes {}",
            m.frames,
            m.duration_ms,
            truth.ffmpeg_frames
        );
    }
    Ok(())
}

/// A file with a Xing/LAME header joined to more audio (an editor or `cat` appending to it):
/// the header counts only the first part's frames. symphonia took the frames past that
/// count for encoder padding and trimmed them: the file measured and aired 2 s of its 5 s.
#[test]
fn an_mp3_whose_xing_header_counts_too_few_frames_decodes_to_its_real_end() -> TestResult {
    let rows = table()?;
    let file = "xing-undercounts-joined.mp3";
    let truth = truth_of(&rows, file)?;
    let path = truth_dir().join(file);
    let header = FileDecoder::open(&path)?
        .declared_frames()
        .ok_or("the fixture has no Xing frame count")?;
    assert!(
        header < truth.ffmpeg_frames / 2,
        "the fixture no longer undercounts: header {header}, ffmpeg {}",
        truth.ffmpeg_frames
    );
    let m = measure(&path)?;
    assert!(
        m.frames.abs_diff(truth.ffmpeg_frames) <= truth.tolerance(),
        "{file}: measured {} frames, ffmpeg {}, header {header}",
        m.frames,
        truth.ffmpeg_frames
    );
    Ok(())
}

/// The other side of the rule above: a LAME file whose last frame is wholly padding (past
/// the Xing count, with nothing after it) still loses that frame, to the exact sample: the
/// held-back packet is dropped at the end of the stream, not aired.
#[test]
fn a_whole_frame_of_lame_padding_at_the_end_is_still_trimmed_exactly() -> TestResult {
    let rows = table()?;
    let file = "lame-padding-whole-frame.mp3";
    let truth = truth_of(&rows, file)?;
    assert!(truth.trimmed >= 1105 + 1152, "{truth:?}");
    let m = measure(&truth_dir().join(file))?;
    assert_eq!(m.frames, truth.ffmpeg_frames, "{file}");
    assert_eq!(m.frames, 44_975, "{file}: the samples make.sh encoded");
    Ok(())
}

/// The player opens with the same function and resumes past a trimmed start by decoding and
/// dropping (no seek, which a non-seekable MP3 reader could not do): what is left after
/// skipping is exactly the measured length minus the skip, and the samples are the same.
#[test]
fn skipping_into_an_mp3_decodes_and_drops_to_the_exact_frame() -> TestResult {
    let path = truth_dir().join("vbr-no-xing-loud-start.mp3");
    let total = measure(&path)?.frames;
    let mut whole = Vec::new();
    let mut decoder = FileDecoder::open(&path)?;
    while let Some(block) = decoder.next_block()? {
        whole.extend_from_slice(block);
    }
    let channels = usize::from(decoder.info().channels);
    assert_eq!((whole.len() / channels) as u64, total);
    // Past the loud half second, into the quiet part, not on a packet boundary.
    for skip in [1u64, 1151, 1152, 30_001, total - 1] {
        let mut decoder = FileDecoder::open(&path)?;
        assert_eq!(decoder.skip_frames(skip)?, skip);
        let mut rest = Vec::new();
        while let Some(block) = decoder.next_block()? {
            rest.extend_from_slice(block);
        }
        let from = usize::try_from(skip)? * channels;
        assert_eq!(rest.len(), whole.len() - from, "skip {skip}");
        assert!(rest == whole[from..], "skip {skip}: other samples");
    }
    let mut decoder = FileDecoder::open(&path)?;
    assert_eq!(decoder.skip_frames(total + 10)?, total, "skip past the end");
    assert!(decoder.next_block()?.is_none());
    Ok(())
}

/// The player's completion invariant through the real daemon on the simulated clock: the
/// store says a segment measured 3 s (what import found) but its file now decodes to 1.5 s
/// (a decoder that disagrees with import, a read error taken for the end). It airs what
/// there is and is logged `failed`, "ended early", with the times; a segment that ends
/// within 100 ms of its measure, and one that matches, are `completed`.
#[tokio::test(start_paused = true)]
async fn an_item_that_ends_before_its_measured_length_is_logged_failed_not_completed() {
    const PROGRAMS: &str =
        "[[program]]\nname = \"sang\"\ncron = \"0 6 * * *\"\nplaylists = [\"sang\"]\n";
    let playlist = "[[item]]\nsegment = 1\n[[item]]\nsegment = 2\n[[item]]\nsegment = 3\n";
    let t = TestStation::new(
        PROGRAMS,
        &[("sang.toml", playlist)],
        local(2026, 3, 2, 5, 0, 0),
    );
    std::fs::create_dir_all(t.path("in")).expect("mkdir");
    let station = t.station();
    // (file seconds, what the store will say it measured, in ms)
    let cases = [(1.0, 1000), (1.5, 3000), (1.25, 1340)];
    for (i, (secs, _)) in cases.iter().enumerate() {
        let rel = format!("in/{i}.wav");
        let frames = (secs * 48_000.0) as usize;
        let samples = wav::noise(frames, 1, i as u64 + 1, 0.5);
        wav::write_wav(&t.path(&rel), 48_000, 1, wav::Bits::S16, &samples);
        let id = t.add(&station, &rel, t.meta(&format!("Bản tin {i}")));
        assert_eq!(id, SegmentId(i as u64 + 1));
    }
    for (i, (_, measured_ms)) in cases.iter().enumerate() {
        let id = SegmentId(i as u64 + 1);
        let mut seg = station.store.segment(id).expect("read").expect("stored");
        seg.duration_ms = *measured_ms;
        station.store.insert_segment(&seg).expect("write segment");
    }
    let d = Running::start_with_output(station, Some(OutputSpec::Null));
    d.until(local(2026, 3, 2, 7, 0, 0)).await;
    let records = d.stop().await;
    let seen: Vec<(String, Outcome, u64, Option<String>)> = records
        .iter()
        .map(|r| (r.title.clone(), r.outcome, r.played_ms, r.reason.clone()))
        .collect();
    assert_eq!(
        seen,
        vec![
            ("Bản tin 0".to_string(), Outcome::Completed, 1000, None),
            (
                "Bản tin 1".to_string(),
                Outcome::Failed,
                1500,
                Some(
                    Reason::EndedEarly {
                        played_ms: 1500,
                        measured_ms: 3000
                    }
                    .stored()
                )
            ),
            ("Bản tin 2".to_string(), Outcome::Completed, 1250, None),
        ]
    );
}

/// Issue 16: phone voice notes and browser recordings are Opus, in Ogg (`.opus`, `.oga`)
/// and WebM (`.webm`, Chromium's MediaRecorder writes it without a duration or an index).
/// Each decodes (libopus) to ffmpeg's length: in Ogg to the frame (the encoder's pre-skip
/// dropped, the last page's padding trimmed); in WebM with the end padding left on, which
/// symphonia does not pass on (at most 20 ms of near-silence at the end).
#[test]
fn opus_voice_notes_and_browser_recordings_decode_to_ffmpegs_length() -> TestResult {
    let rows = table()?;
    let opus: Vec<&Truth> = rows.iter().filter(|r| r.codec == "opus").collect();
    assert!(opus.len() >= 10, "{} Opus fixtures", opus.len());
    for truth in opus {
        let m = measure(&truth_dir().join(&truth.file))?;
        assert_eq!(
            (m.info.codec.as_str(), m.info.sample_rate),
            ("opus", 48_000)
        );
        let over = m.frames as i64 - truth.ffmpeg_frames as i64;
        let allowed = if truth.file.ends_with(".webm") {
            0..=960
        } else {
            0..=0
        };
        assert!(
            allowed.contains(&over),
            "{}: loaxa {} frames, ffmpeg {} ({over:+})",
            truth.file,
            m.frames,
            truth.ffmpeg_frames
        );
    }
    Ok(())
}

/// The samples themselves, not only the length: the start of two Opus files as ffmpeg
/// decodes them with libopus (`pcm/`, s16), against loaxa's decode. A pre-skip not dropped
/// (or dropped twice) shifts every sample by 312 frames and fails at once.
#[test]
fn opus_decodes_to_libopus_samples_from_the_first_frame() -> TestResult {
    for (file, pcm) in [
        ("opus-tiny-0.1s-stereo.opus", "opus-tiny-0.1s-stereo.s16"),
        (
            "opus-browser-like-live.webm",
            "opus-browser-like-live.first-0.25s.s16",
        ),
    ] {
        let expected: Vec<i32> = std::fs::read(truth_dir().join("pcm").join(pcm))?
            .chunks_exact(2)
            .map(|b| i32::from(i16::from_le_bytes([b[0], b[1]])))
            .collect();
        let mut decoder = FileDecoder::open(&truth_dir().join(file))?;
        let mut ours = Vec::new();
        while ours.len() < expected.len() {
            let Some(block) = decoder.next_block()? else {
                break;
            };
            ours.extend(
                block
                    .iter()
                    .map(|s| (s * 32768.0).round().clamp(-32768.0, 32767.0) as i32),
            );
        }
        assert!(
            ours.len() >= expected.len(),
            "{file}: {} samples",
            ours.len()
        );
        let worst = ours
            .iter()
            .zip(&expected)
            .map(|(a, b)| (a - b).abs())
            .max()
            .unwrap_or(0);
        let peak = expected.iter().map(|s| s.abs()).max().unwrap_or(0);
        eprintln!("{file}: largest difference {worst} of a peak of {peak} (s16 steps)");
        assert!(peak > 3_000, "{file}: the reference holds sound");
        assert!(
            worst <= 2,
            "{file}: differs from libopus by {worst} s16 steps"
        );
    }
    Ok(())
}
