//! Import check and media store against real files: every supported format decodes to the
//! right rate, channels and length; WAV decodes bit-exactly; every kind of bad file is
//! refused with the right reason and a message naming it; NFD file names import.
//!
//! Fixtures are described in `tests/fixtures/README.md` and made by `tests/fixtures/make.sh`
//! (never run by the tests: the files are committed).

use std::path::{Path, PathBuf};

use loaxa::audio::FileDecoder;
use loaxa::library::{ImportError, MediaStore, display_name, measure};
use loaxa::text::clean as clean_text;
use sha2::{Digest, Sha256};
use unicode_normalization::UnicodeNormalization;

type TestResult = Result<(), Box<dyn std::error::Error>>;

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name)
}

/// One supported file and the truth about it (from how `make.sh` generated it, or from
/// the corpus's ffmpeg reference decode in `corpus/LICENCE.md`).
struct Expect {
    file: &'static str,
    container: &'static str,
    codec: &'static str,
    rate: u32,
    channels: u16,
    frames: u64,
    /// Allowed difference between decoded and true length.
    tolerance_ms: u64,
}

/// Lossy codecs add encoder delay and padding. MP3 from LAME carries an Info/LAME tag that
/// symphonia uses to trim both exactly; a VBR MP3 without that tag keeps ~1105 frames of
/// delay plus padding (+38 ms here). AAC in MP4 keeps its 1024-frame priming and padding to
/// whole 1024-frame packets (symphonia 0.6 does not apply the edit list: +33 ms here).
/// 50 ms covers both and is far below anything an operator or a report would notice.
const LOSSY_SLACK_MS: u64 = 50;

const SUPPORTED: &[Expect] = &[
    Expect {
        file: "noise-44k1-stereo.mp3",
        container: "mp3",
        codec: "mp3",
        rate: 44100,
        channels: 2,
        frames: 66150,
        tolerance_ms: LOSSY_SLACK_MS,
    },
    Expect {
        file: "vbr-no-xing-44k1-mono.mp3",
        container: "mp3",
        codec: "mp3",
        rate: 44100,
        channels: 1,
        frames: 88200,
        tolerance_ms: LOSSY_SLACK_MS,
    },
    Expect {
        file: "noise-48k-stereo.wav",
        container: "wave",
        codec: "pcm_s16le",
        rate: 48000,
        channels: 2,
        frames: 48000,
        tolerance_ms: 0,
    },
    Expect {
        file: "silence-1s.wav",
        container: "wave",
        codec: "pcm_s16le",
        rate: 8000,
        channels: 1,
        frames: 8000,
        tolerance_ms: 0,
    },
    Expect {
        file: "noise-22k05-mono.flac",
        container: "flac",
        codec: "flac",
        rate: 22050,
        channels: 1,
        frames: 33075,
        tolerance_ms: 0,
    },
    // Vorbis in Ogg: the last page's granule position gives the exact end.
    Expect {
        file: "noise-44k1-stereo.ogg",
        container: "ogg",
        codec: "vorbis",
        rate: 44100,
        channels: 2,
        frames: 66150,
        tolerance_ms: 2,
    },
    // Opus in Ogg (libopus): the encoder's pre-skip dropped, the last page's granule
    // position gives the exact end.
    Expect {
        file: "noise-48k-mono.opus",
        container: "ogg",
        codec: "opus",
        rate: 48000,
        channels: 1,
        frames: 48000,
        tolerance_ms: 0,
    },
    Expect {
        file: "noise-44k1-stereo.m4a",
        container: "isomp4",
        codec: "aac",
        rate: 44100,
        channels: 2,
        frames: 66150,
        tolerance_ms: LOSSY_SLACK_MS,
    },
    Expect {
        file: "noise-44k1-stereo-moov-last.m4a",
        container: "isomp4",
        codec: "aac",
        rate: 44100,
        channels: 2,
        frames: 66150,
        tolerance_ms: LOSSY_SLACK_MS,
    },
    // STREAMINFO claims 39842 frames (1.66 s); the frames hold 109487 (4.56 s, the count
    // ffmpeg's reference decode gives too). The header lies, the decode is the truth.
    Expect {
        file: "corpus/faulty-05-wrong-total-number-of-samples.flac",
        container: "flac",
        codec: "flac",
        rate: 24000,
        channels: 1,
        frames: 109487,
        tolerance_ms: 0,
    },
    // RIFF and data sizes 0xFFFFFFFF (ffmpeg writing to a pipe): read to the end of file.
    Expect {
        file: "corpus/mm-ffmpeg-missing-chunksize.wav",
        container: "wave",
        codec: "pcm_s16le",
        rate: 44100,
        channels: 2,
        frames: 27648,
        tolerance_ms: 0,
    },
];

#[test]
fn every_supported_format_measures_its_true_length() -> TestResult {
    for e in SUPPORTED {
        let path = fixture(e.file);
        let m = measure(&path).map_err(|err| format!("{}: {err}", e.file))?;
        assert_eq!(m.info.container, e.container, "{}", e.file);
        assert_eq!(m.info.codec, e.codec, "{}", e.file);
        assert_eq!(m.info.sample_rate, e.rate, "{}", e.file);
        assert_eq!(m.info.channels, e.channels, "{}", e.file);
        let rate = u64::from(e.rate);
        let truth_ms = (e.frames * 1000 + rate / 2) / rate;
        assert!(
            m.duration_ms.abs_diff(truth_ms) <= e.tolerance_ms,
            "{}: measured {} ms ({} frames), truth {truth_ms} ms ({} frames)",
            e.file,
            m.duration_ms,
            m.frames,
            e.frames
        );
        if e.tolerance_ms == 0 {
            assert_eq!(m.frames, e.frames, "{}", e.file);
        }
        assert_eq!(m.bad_packets, 0, "{}", e.file);
        assert_eq!(m.bytes, std::fs::metadata(&path)?.len(), "{}", e.file);
    }
    Ok(())
}

/// The case AUDIO-NOTES warns about: without a Xing/Info header the MP3 "length" is a guess
/// from the first frame's bitrate. Here the first second is silence (tiny frames), so the
/// guess is far too long; the import check must report the decoded truth instead.
#[test]
fn vbr_mp3_without_xing_header_gets_its_decoded_length_not_the_header_guess() -> TestResult {
    let path = fixture("vbr-no-xing-44k1-mono.mp3");
    let header_guess = FileDecoder::open(&path)?
        .declared_frames()
        .ok_or("symphonia no longer estimates a length for this file")?;
    let m = measure(&path)?;
    assert!(
        header_guess > m.frames * 3 / 2,
        "the fixture no longer shows the problem: header {header_guess}, decoded {}",
        m.frames
    );
    assert!(m.duration_ms.abs_diff(2000) <= LOSSY_SLACK_MS, "{m:?}");
    Ok(())
}

/// Reads a 16-bit PCM WAV's samples straight from its `data` chunk.
fn wav_s16_samples(path: &Path) -> Result<Vec<i16>, Box<dyn std::error::Error>> {
    let bytes = std::fs::read(path)?;
    if bytes.len() < 12 || &bytes[0..4] != b"RIFF" || &bytes[8..12] != b"WAVE" {
        return Err(format!("{} is not RIFF/WAVE", path.display()).into());
    }
    let mut pos = 12;
    while pos + 8 <= bytes.len() {
        let id = &bytes[pos..pos + 4];
        let size = u32::from_le_bytes(bytes[pos + 4..pos + 8].try_into()?) as usize;
        let body = pos + 8;
        if id == b"data" {
            let end = body.saturating_add(size).min(bytes.len());
            return Ok(bytes[body..end]
                .chunks_exact(2)
                .map(|c| i16::from_le_bytes([c[0], c[1]]))
                .collect());
        }
        pos = body + size + (size & 1);
    }
    Err(format!("{} has no data chunk", path.display()).into())
}

#[test]
fn wav_decodes_bit_exactly() -> TestResult {
    for name in ["noise-48k-stereo.wav", "silence-1s.wav"] {
        let path = fixture(name);
        let expected = wav_s16_samples(&path)?;
        let mut decoder = FileDecoder::open(&path)?;
        let mut decoded = Vec::with_capacity(expected.len());
        while let Some(block) = decoder.next_block()? {
            decoded.extend_from_slice(block);
        }
        assert_eq!(decoded.len(), expected.len(), "{name}");
        // symphonia maps s16 to f32 as s / 32768: exact both ways.
        let mismatch = decoded
            .iter()
            .zip(&expected)
            .position(|(&f, &s)| f * 32768.0 != f32::from(s));
        assert_eq!(mismatch, None, "{name}: first differing sample");
        assert!(
            expected.iter().any(|&s| s != 0) || name.starts_with("silence"),
            "{name} should hold noise"
        );
    }
    Ok(())
}

/// A refused file, the reason it must be refused for, and a word the fix hint must contain.
struct Refused {
    file: &'static str,
    kind: fn(&ImportError) -> bool,
    hint: &'static str,
}

#[test]
fn bad_files_are_refused_with_the_reason_and_a_fix() {
    let cases = [
        Refused {
            file: "surround-48k-5.1.opus",
            kind: |e| matches!(e, ImportError::Unsupported { .. }),
            hint: "ffmpeg -i surround-48k-5.1.opus",
        },
        Refused {
            file: "not-audio.mp3",
            kind: |e| matches!(e, ImportError::NotAudio { .. }),
            hint: "ffmpeg",
        },
        Refused {
            file: "empty.wav",
            kind: |e| matches!(e, ImportError::EmptyFile { .. }),
            hint: "again",
        },
        Refused {
            file: "no-frames.wav",
            kind: |e| matches!(e, ImportError::NoAudio { .. }),
            hint: "again",
        },
        Refused {
            file: "truncated.flac",
            kind: |e| {
                matches!(
                    e,
                    ImportError::Truncated {
                        declared_ms: 1500,
                        ..
                    }
                )
            },
            hint: "again",
        },
        Refused {
            file: "bitflips.mp3",
            kind: |e| matches!(e, ImportError::TooManyBadPackets { bad, packets, .. } if *bad > 2 && *bad * 100 > *packets),
            hint: "ffmpeg",
        },
        Refused {
            file: "cut-no-moov.m4a",
            kind: |e| matches!(e, ImportError::Corrupt { detail, .. } if detail.contains("moov")),
            hint: "again",
        },
        Refused {
            file: "garbage-middle.ogg",
            kind: |e| matches!(e, ImportError::Corrupt { .. }),
            hint: "again",
        },
        Refused {
            file: "corpus",
            kind: |e| matches!(e, ImportError::IsDirectory { .. }),
            hint: "one by one",
        },
        Refused {
            file: "không-có-tệp-này.mp3",
            kind: |e| matches!(e, ImportError::NotFound { .. }),
            hint: "check the path",
        },
    ];
    for case in cases {
        let path = fixture(case.file);
        let err = match measure(&path) {
            Ok(m) => panic!("{} was accepted: {m:?}", case.file),
            Err(err) => err,
        };
        let text = err.to_string();
        assert!((case.kind)(&err), "{}: wrong kind: {err:?}", case.file);
        assert!(
            text.contains(&path.display().to_string()),
            "{}: message does not name the file: {text}",
            case.file
        );
        assert!(
            text.contains(case.hint),
            "{}: no fix hint: {text}",
            case.file
        );
        assert_eq!(err.path(), path, "{}", case.file);
    }
}

#[test]
fn measure_hashes_the_file_bytes() -> TestResult {
    for name in ["noise-44k1-stereo.mp3", "noise-44k1-stereo.m4a"] {
        let path = fixture(name);
        let independent: String = Sha256::digest(std::fs::read(&path)?)
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect();
        assert_eq!(measure(&path)?.sha256, independent, "{name}");
    }
    Ok(())
}

/// The NFD-named fixture, found by its decomposed name: proves the name on disk is NFD.
fn nfd_fixture() -> PathBuf {
    fixture(&"bản-tin-nfd.wav".nfd().collect::<String>())
}

#[test]
fn a_file_named_in_nfd_imports_and_shows_its_name_in_nfc() -> TestResult {
    let path = nfd_fixture();
    let on_disk = path.file_name().and_then(|n| n.to_str()).ok_or("name")?;
    assert_ne!(on_disk, "bản-tin-nfd.wav", "fixture name must be NFD");
    assert!(path.is_file(), "missing NFD fixture {}", path.display());

    let m = measure(&path)?;
    assert_eq!(
        (m.info.sample_rate, m.info.channels, m.frames),
        (22050, 1, 11025)
    );
    assert_eq!(display_name(&path), "bản-tin-nfd.wav");
    assert_eq!(clean_text(on_disk), "bản-tin-nfd.wav");

    let dir = tempfile::tempdir()?;
    let store = MediaStore::open(dir.path().join("media"))?;
    let name = store.put(&path, &m.sha256)?;
    assert_eq!(name, format!("{}.wav", m.sha256));
    store.verify(&name, &m.sha256)?;
    Ok(())
}

#[test]
fn media_store_put_is_idempotent_and_leaves_no_temp_files() -> TestResult {
    let src = fixture("noise-44k1-stereo.ogg");
    let m = measure(&src)?;
    let dir = tempfile::tempdir()?;
    let root = dir.path().join("data").join("media");
    let store = MediaStore::open(&root)?;

    let first = store.put(&src, &m.sha256)?;
    let stored = store.path_of(&first);
    let modified = std::fs::metadata(&stored)?.modified()?;
    let second = store.put(&src, &m.sha256)?;
    assert_eq!(first, second);
    assert_eq!(first, format!("{}.ogg", m.sha256));
    assert_eq!(
        std::fs::metadata(&stored)?.modified()?,
        modified,
        "second put rewrote the file"
    );

    let entries: Vec<String> = std::fs::read_dir(&root)?
        .map(|e| e.map(|e| e.file_name().to_string_lossy().into_owned()))
        .collect::<Result<_, _>>()?;
    assert_eq!(
        entries,
        vec![first.clone()],
        "only the media file, no temp files"
    );
    assert_eq!(std::fs::read(&stored)?, std::fs::read(&src)?);

    // The stored copy measures like the original (it is what the player will open).
    let again = measure(&stored)?;
    assert_eq!((again.sha256, again.frames), (m.sha256.clone(), m.frames));
    store.verify(&first, &m.sha256)?;
    store.remove(&first)?;
    assert!(matches!(
        store.verify(&first, &m.sha256),
        Err(ImportError::MissingFromStore { .. })
    ));
    Ok(())
}

#[test]
fn media_store_refuses_a_source_that_does_not_match_its_hash() -> TestResult {
    let dir = tempfile::tempdir()?;
    let store = MediaStore::open(dir.path().join("media"))?;
    let m = measure(&fixture("silence-1s.wav"))?;
    let err = store
        .put(&fixture("noise-48k-stereo.wav"), &m.sha256)
        .expect_err("wrong hash");
    assert!(matches!(err, ImportError::Changed { .. }), "{err}");
    assert!(err.to_string().contains("noise-48k-stereo.wav"), "{err}");
    assert_eq!(std::fs::read_dir(store.root())?.count(), 0);
    Ok(())
}

/// The demo audio shipped with the example config must pass the import check, with the
/// formats and lengths `playlists/demo/README.md` promises.
#[test]
fn shipped_demo_audio_passes_the_import_check() -> TestResult {
    let demo = Path::new(env!("CARGO_MANIFEST_DIR")).join("playlists/demo");
    for (file, rate, channels, min_ms, max_ms) in [
        ("nhac-hieu.ogg", 44100, 2, 4000, 6000),
        ("ban-tin-1.ogg", 22050, 1, 5000, 10000),
        ("ban-tin-2.ogg", 22050, 1, 5000, 10000),
    ] {
        let m = measure(&demo.join(file)).map_err(|e| format!("{file}: {e}"))?;
        assert_eq!(
            (m.info.codec.as_str(), m.info.sample_rate, m.info.channels),
            ("vorbis", rate, channels),
            "{file}"
        );
        assert!(
            (min_ms..=max_ms).contains(&m.duration_ms),
            "{file}: {} ms",
            m.duration_ms
        );
        assert!(m.bytes < 100_000, "{file}: {} bytes", m.bytes);
    }
    Ok(())
}
