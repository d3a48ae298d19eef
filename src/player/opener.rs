//! Opens a program's files ahead of playback on a helper thread, in order, at most two
//! ahead: file I/O and container probing stay out of the audio callback (on an SD card an
//! open can take tens of milliseconds, longer than the device buffer).

use std::num::NonZero;
use std::path::{Path, PathBuf};
use std::sync::mpsc::{Receiver, sync_channel};

use crate::audio::FileDecoder;

/// An opened item with its format, or why it cannot be played.
pub(crate) type Opened = Result<(FileDecoder, NonZero<u16>, NonZero<u32>), String>;

/// A program item: the key its events carry, and its file.
pub(crate) type Keyed = (usize, PathBuf);

pub(crate) struct Opener {
    items: Vec<Keyed>,
    next: usize,
    /// `None` when no thread could be started: items are then opened inline.
    ahead: Option<Receiver<Opened>>,
}

impl Opener {
    pub(crate) fn new(items: Vec<Keyed>) -> Opener {
        let (tx, rx) = sync_channel(1);
        let list: Vec<PathBuf> = items.iter().map(|(_, p)| p.clone()).collect();
        let spawned = std::thread::Builder::new()
            .name("loaxa-open".into())
            .spawn(move || {
                for path in list {
                    // The program ended (or was cut): stop opening.
                    if tx.send(open(&path)).is_err() {
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

    /// The next item in program order with its key; `None` after the last.
    pub(crate) fn next(&mut self) -> Option<(usize, Opened)> {
        let (index, path) = self.items.get(self.next)?;
        let (index, path) = (*index, path.clone());
        self.next += 1;
        let opened = match &self.ahead {
            Some(rx) => rx
                .recv()
                .unwrap_or_else(|_| Err(format!("{}: the file opener stopped", path.display()))),
            None => open(&path),
        };
        Some((index, opened))
    }
}

fn open(path: &Path) -> Opened {
    let decoder = FileDecoder::open(path).map_err(|e| e.to_string())?;
    let info = decoder.info();
    match (NonZero::new(info.channels), NonZero::new(info.sample_rate)) {
        (Some(channels), Some(rate)) => Ok((decoder, channels, rate)),
        _ => Err(format!(
            "{}: zero sample rate or channel count",
            path.display()
        )),
    }
}
