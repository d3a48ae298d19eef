//! Opens a program's files ahead of playback on a helper thread, in order, at most two
//! ahead: file I/O and container probing stay out of the audio callback (on an SD card an
//! open can take tens of milliseconds, longer than the device buffer).
//!
//! A file of the media store (named `<sha256>.<ext>` by its content) is hashed here before it
//! is decoded: a file changed, truncated or deleted since it was imported fails its item
//! with the reason, instead of airing something other than what the log will claim (the
//! record carries the imported hash). The hash is one streamed read of the file on this
//! thread; the decoder's read that follows comes from the page cache.

use std::num::NonZero;
use std::path::{Path, PathBuf};
use std::sync::mpsc::{Receiver, sync_channel};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use crate::audio::FileDecoder;
use crate::library::sha256_file;
use crate::live::LiveReader;
use crate::relay::feed::FeedReader;

use super::program::frames_to_duration;

/// An opened item with its format, or why it cannot be played.
pub(crate) type Opened = Result<(ItemDecoder, NonZero<u16>, NonZero<u32>), String>;

/// What an item's audio comes from: a file, a relay's feed (which never fails: its
/// dropouts are covered inside it), or the live input.
pub(crate) enum ItemDecoder {
    File(FileDecoder),
    Relay(FeedReader),
    Live(Box<LiveReader>),
}

impl ItemDecoder {
    /// The next block of interleaved samples; `None` at the end.
    pub(crate) fn next_block(&mut self) -> Result<Option<&[f32]>, String> {
        match self {
            ItemDecoder::File(d) => d.next_block().map_err(|e| e.to_string()),
            ItemDecoder::Relay(r) => Ok(r.next_block()),
            ItemDecoder::Live(l) => l.next_block(),
        }
    }

    /// The format of a stream the caller started (files are opened here).
    fn format(&self) -> Option<(NonZero<u16>, NonZero<u32>)> {
        match self {
            ItemDecoder::File(_) => None,
            ItemDecoder::Relay(r) => Some((r.channels(), r.rate())),
            ItemDecoder::Live(l) => Some((l.channels(), l.rate())),
        }
    }
}

/// Audio the caller started ahead that an item airs instead of a file — a relay's feed
/// (connecting and buffering while what comes before it airs) or the live input — taken
/// once, when the item is opened.
#[derive(Clone)]
pub struct StreamSlot(Arc<Mutex<Option<ItemDecoder>>>);

impl StreamSlot {
    pub fn relay(reader: FeedReader) -> StreamSlot {
        StreamSlot(Arc::new(Mutex::new(Some(ItemDecoder::Relay(reader)))))
    }

    pub fn live(reader: LiveReader) -> StreamSlot {
        StreamSlot(Arc::new(Mutex::new(Some(ItemDecoder::Live(Box::new(
            reader,
        ))))))
    }

    fn take(&self) -> Option<ItemDecoder> {
        self.0
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .take()
    }
}

impl PartialEq for StreamSlot {
    fn eq(&self, other: &StreamSlot) -> bool {
        Arc::ptr_eq(&self.0, &other.0)
    }
}

impl std::fmt::Debug for StreamSlot {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("StreamSlot")
    }
}

/// A program item: the key its events carry, its file, and how it airs.
#[derive(Debug, Clone, PartialEq)]
pub struct PlayItem {
    pub key: usize,
    pub path: PathBuf,
    /// Linear factor applied to every sample (loudness normalisation and offsets).
    pub gain: f32,
    /// Frames `[start, end)` at the file's own rate to air; `None`: the whole file.
    pub span: Option<(u64, u64)>,
    /// The file's length as measured at import (a full decode); `None`: not known. An item
    /// that ends more than [`super::ENDED_EARLY_SLACK`] before this (or before its span's
    /// end) has not aired what the log would claim: it ends as failed, not completed.
    pub measured: Option<Duration>,
    /// A relay's feed or the live input, started by the caller: the item airs it instead of
    /// `path`.
    pub stream: Option<StreamSlot>,
    /// What the stream outputs are told of the item when its first sample goes out (its
    /// title and zones); `None`: nothing (a tune, a test).
    pub tag: Option<std::sync::Arc<crate::stream::ItemTag>>,
}

impl PlayItem {
    /// The whole file at unity gain.
    pub fn new(key: usize, path: PathBuf) -> PlayItem {
        PlayItem {
            key,
            path,
            gain: 1.0,
            span: None,
            measured: None,
            stream: None,
            tag: None,
        }
    }
}

impl From<(usize, PathBuf)> for PlayItem {
    fn from((key, path): (usize, PathBuf)) -> PlayItem {
        PlayItem::new(key, path)
    }
}

impl PlayItem {
    /// How long the item should air, at the file's `rate`: its span, else its measured length.
    pub(crate) fn expected(&self, rate: u32) -> Option<Duration> {
        match self.span {
            Some((start, end)) => Some(frames_to_duration(end.saturating_sub(start), rate)),
            None => self.measured,
        }
    }
}

pub(crate) type Keyed = PlayItem;

pub(crate) struct Opener {
    items: Vec<Keyed>,
    next: usize,
    /// `None` when no thread could be started: items are then opened inline.
    ahead: Option<Receiver<Opened>>,
}

impl Opener {
    pub(crate) fn new(items: Vec<Keyed>) -> Opener {
        let (tx, rx) = sync_channel(1);
        let list: Vec<PlayItem> = items.clone();
        let spawned = std::thread::Builder::new()
            .name("loaxa-open".into())
            .spawn(move || {
                for item in list {
                    // The program ended (or was cut): stop opening.
                    if tx.send(open_item(&item)).is_err() {
                        return;
                    }
                }
            });
        if let Err(e) = &spawned {
            tracing::warn!(error = %e, "cannot start the file opener thread; opening inline");
        }
        Opener {
            items,
            next: 0,
            ahead: spawned.ok().map(|_| rx),
        }
    }

    /// The next item in program order; `None` after the last. Its decoder is already past
    /// the item's trimmed start.
    pub(crate) fn next(&mut self) -> Option<(Keyed, Opened)> {
        let item = self.items.get(self.next)?.clone();
        self.next += 1;
        let opened = match &self.ahead {
            Some(rx) => rx.recv().unwrap_or_else(|_| {
                Err(format!("{}: the file opener stopped", item.path.display()))
            }),
            None => open_item(&item),
        };
        Some((item, opened))
    }
}

/// Frames to drop before the item airs (its trimmed start).
fn skip(item: &PlayItem) -> u64 {
    item.span.map_or(0, |(start, _)| start)
}

/// Opens an item: its stream (relay, live), or its file.
fn open_item(item: &PlayItem) -> Opened {
    match &item.stream {
        Some(slot) => {
            let stream = slot
                .take()
                .ok_or_else(|| "the stream has already aired".to_string())?;
            let (channels, rate) = stream
                .format()
                .ok_or_else(|| "a file given as a stream".to_string())?;
            Ok((stream, channels, rate))
        }
        None => open(&item.path, skip(item)),
    }
}

/// Opens `path` and decodes past its first `skip` frames, here on the opener's thread, not
/// in the audio callback (a long silence to trim would cost milliseconds of decoding).
fn open(path: &Path, skip: u64) -> Opened {
    check_stored(path)?;
    let mut decoder = FileDecoder::open(path).map_err(|e| e.to_string())?;
    if skip > 0 {
        decoder.skip_frames(skip).map_err(|e| e.to_string())?;
    }
    let info = decoder.info();
    match (NonZero::new(info.channels), NonZero::new(info.sample_rate)) {
        (Some(channels), Some(rate)) => Ok((ItemDecoder::File(decoder), channels, rate)),
        _ => Err(format!(
            "{}: zero sample rate or channel count",
            path.display()
        )),
    }
}

/// The sha256 a media store file must hash to: the name's part before the first `.`, when it
/// is 64 lower-case hex digits (the store's naming, see `library::MediaStore::put`).
fn expected_sha256(path: &Path) -> Option<&str> {
    let name = path.file_name()?.to_str()?;
    let stem = name.split_once('.').map_or(name, |(stem, _)| stem);
    let hex = stem.len() == 64 && stem.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'));
    hex.then_some(stem)
}

/// Refuses a media store file whose bytes are not the ones imported (changed, truncated) or
/// that is gone. Files not named by their hash are not checked.
fn check_stored(path: &Path) -> Result<(), String> {
    let Some(expected) = expected_sha256(path) else {
        return Ok(());
    };
    let actual = match sha256_file(path) {
        Ok((actual, _)) => actual,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            return Err(format!(
                "file is missing from the media store: {}; import it again",
                path.display()
            ));
        }
        Err(e) => return Err(format!("cannot read {}: {e}", path.display())),
    };
    if actual == expected {
        Ok(())
    } else {
        Err(format!(
            "file changed since it was imported: sha256 {actual} expected {expected} ({}); \
             import it again",
            path.display()
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// sha256 of the three bytes `abc`.
    const ABC: &str = "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad";

    #[test]
    fn only_names_made_of_a_sha256_are_checked() {
        assert_eq!(
            expected_sha256(Path::new(&format!("/m/{ABC}.mp3"))),
            Some(ABC)
        );
        assert_eq!(expected_sha256(Path::new(&format!("/m/{ABC}"))), Some(ABC));
        assert_eq!(
            expected_sha256(Path::new(&format!("/m/{ABC}.tar.gz"))),
            Some(ABC)
        );
        let upper = ABC.to_ascii_uppercase();
        assert_eq!(expected_sha256(Path::new(&format!("/m/{upper}.mp3"))), None);
        assert_eq!(
            expected_sha256(Path::new(&format!("/m/{}.mp3", &ABC[1..]))),
            None
        );
        assert_eq!(expected_sha256(Path::new("/m/ban-tin-1.ogg")), None);
        // A folder named like a hash does not make its files stored ones.
        assert_eq!(expected_sha256(Path::new(&format!("/{ABC}/a.wav"))), None);
    }

    #[test]
    fn stored_files_are_refused_when_changed_truncated_or_missing() -> std::io::Result<()> {
        let dir = tempfile::tempdir()?;
        let path = dir.path().join(format!("{ABC}.wav"));
        std::fs::write(&path, b"abc")?;
        assert_eq!(check_stored(&path), Ok(()));

        std::fs::write(&path, b"abd")?;
        let changed = check_stored(&path).expect_err("a changed byte");
        assert!(
            changed.starts_with("file changed since it was imported: sha256 ")
                && changed.contains(&format!("expected {ABC}"))
                && changed.contains("import it again"),
            "{changed}"
        );

        std::fs::write(&path, b"ab")?;
        let truncated = check_stored(&path).expect_err("a truncated file");
        assert!(
            truncated.contains("file changed since it was imported"),
            "{truncated}"
        );

        std::fs::remove_file(&path)?;
        let missing = check_stored(&path).expect_err("a deleted file");
        assert!(
            missing.starts_with("file is missing from the media store: ")
                && missing.contains(&path.display().to_string()),
            "{missing}"
        );
        // The opener refuses it the same way, before any decoding.
        let mut opener = Opener::new(vec![(7, path).into()]);
        match opener.next() {
            Some((PlayItem { key: 7, .. }, Err(e))) => {
                assert!(e.contains("missing from the media store"), "{e}")
            }
            Some((_, other)) => panic!("expected a refusal, got {:?}", other.map(|_| ())),
            None => panic!("no item"),
        }
        assert!(opener.next().is_none());

        // Files outside the store's naming are not hashed (they still fail to decode here).
        let plain = dir.path().join("abc.wav");
        std::fs::write(&plain, b"abc")?;
        assert_eq!(check_stored(&plain), Ok(()));
        Ok(())
    }

    /// A file that opens but breaks in its middle (decode error after audio aired) fails
    /// only its own item: the program goes on with the next one.
    #[test]
    fn a_decode_error_mid_file_fails_only_that_item() -> std::io::Result<()> {
        use super::super::control::Control;
        use super::super::program::ProgramSource;
        use super::super::{ItemEnd, PlayerEvent};

        let fixtures = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures");
        // An M4A whose index is intact but whose audio from 30 % on is random bytes: it
        // opens and plays, then the AAC decoder gives up (an import would have refused it;
        // outside the store nothing hashes it).
        let mut bytes = std::fs::read(fixtures.join("noise-44k1-stereo.m4a"))?;
        let from = bytes.len() * 3 / 10;
        let mut x: u64 = 12345;
        for b in &mut bytes[from..] {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            *b = (x >> 32) as u8;
        }
        let dir = tempfile::tempdir()?;
        let broken = dir.path().join("garbage-from-30-percent.m4a");
        std::fs::write(&broken, &bytes)?;
        let good = fixtures.join("silence-1s.wav");
        let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
        let items: Vec<PlayItem> = vec![(0, broken.clone()).into(), (1, good).into()];
        let control = std::sync::Arc::new(Control::new(tx, items.clone()));
        let rate = NonZero::new(48_000).expect("nonzero");
        let channels = NonZero::new(2).expect("nonzero");
        let source = ProgramSource::new(items, channels, rate, std::time::Duration::ZERO, control);
        let samples = source.count();
        let mut events = Vec::new();
        while let Ok(e) = rx.try_recv() {
            events.push(e);
        }
        match &events[..] {
            [
                PlayerEvent::Started { index: 0, .. },
                PlayerEvent::Ended {
                    index: 0,
                    played,
                    end: ItemEnd::Failed(reason),
                    ..
                },
                PlayerEvent::Started { index: 1, .. },
                PlayerEvent::Ended {
                    index: 1,
                    end: ItemEnd::Completed,
                    ..
                },
                PlayerEvent::Finished,
            ] => {
                assert!(!played.is_zero(), "the part before the damage aired");
                assert!(
                    reason.contains(&broken.display().to_string()),
                    "names the file: {reason}"
                );
            }
            other => panic!("unexpected events: {other:#?}"),
        }
        // The good second's samples all went out after the broken item's part.
        assert!(samples >= 48_000 * 2, "{samples} samples");
        Ok(())
    }
}
