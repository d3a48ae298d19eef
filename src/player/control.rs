//! What a run's owner and its program source share: the cut request, the stall watchdog's
//! progress counter, the failure reason, and the event channel with the playing item.
//!
//! The source touches the atomics per frame and the mutexes only per item or event.

use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};

use tokio::sync::mpsc::UnboundedSender;

use super::program::frames_to_duration;
use super::{ItemEnd, PlayerEvent};

/// Shared between the owner of a run ([`super::Cutter`], the output driver) and its source.
#[derive(Debug)]
pub(crate) struct Control {
    cut: AtomicBool,
    /// A new continuation for the program is waiting in `splice`.
    splice_pending: AtomicBool,
    splice: Mutex<Option<Splice>>,
    /// The output driver gave up on the source (stalled device) and ended the run itself.
    abandoned: AtomicBool,
    /// Output frames produced so far (the driver's stall watchdog reads it).
    progress: AtomicU64,
    /// Why the output stopped under the program (device error, write error), if it did.
    failure: Mutex<Option<String>>,
    emitter: Mutex<Emitter>,
}

/// Event channel and playing item, changed together so the source and a driver that
/// abandons it never both end the same item.
#[derive(Debug)]
struct Emitter {
    events: Option<UnboundedSender<PlayerEvent>>,
    playing: Option<Playing>,
}

/// A new continuation for a running program (skip, interrupt, replace).
#[derive(Debug, Clone)]
pub(crate) struct Splice {
    pub(crate) items: Vec<super::opener::Keyed>,
    pub(crate) fade: std::time::Duration,
}

#[derive(Debug, Clone, Copy)]
pub(crate) struct Playing {
    pub(crate) index: usize,
    pub(crate) rate: u32,
    pub(crate) first_frame: u64,
}

pub(crate) enum PlayingUpdate {
    Keep,
    Set(Playing),
    Clear,
}

impl Control {
    pub(crate) fn new(events: UnboundedSender<PlayerEvent>) -> Control {
        Control {
            cut: AtomicBool::new(false),
            splice_pending: AtomicBool::new(false),
            splice: Mutex::new(None),
            abandoned: AtomicBool::new(false),
            progress: AtomicU64::new(0),
            failure: Mutex::new(None),
            emitter: Mutex::new(Emitter {
                events: Some(events),
                playing: None,
            }),
        }
    }

    pub(crate) fn cut(&self) {
        self.cut.store(true, Ordering::Release);
    }

    /// Asks the source to fade out the current item and go on with `splice.items` instead
    /// of the rest of the program. A later request replaces one not yet taken.
    pub(crate) fn request_splice(&self, splice: Splice) {
        *self.splice.lock().unwrap_or_else(|e| e.into_inner()) = Some(splice);
        self.splice_pending.store(true, Ordering::Release);
    }

    /// The waiting splice, if any (one atomic load when there is none).
    #[inline]
    pub(crate) fn take_splice(&self) -> Option<Splice> {
        if !self.splice_pending.swap(false, Ordering::AcqRel) {
            return None;
        }
        self.splice.lock().unwrap_or_else(|e| e.into_inner()).take()
    }

    pub(crate) fn cut_requested(&self) -> bool {
        self.cut.load(Ordering::Acquire)
    }

    pub(crate) fn is_abandoned(&self) -> bool {
        self.abandoned.load(Ordering::Relaxed)
    }

    #[inline]
    pub(crate) fn set_progress(&self, frames: u64) {
        self.progress.store(frames, Ordering::Relaxed);
    }

    pub(crate) fn progress(&self) -> u64 {
        self.progress.load(Ordering::Relaxed)
    }

    /// Records why the output failed; the first reason wins.
    pub(crate) fn fail(&self, reason: String) {
        let mut slot = self.failure.lock().unwrap_or_else(|e| e.into_inner());
        if slot.is_none() {
            *slot = Some(reason);
        }
    }

    pub(crate) fn failure(&self) -> Option<String> {
        self.failure
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    fn emitter(&self) -> std::sync::MutexGuard<'_, Emitter> {
        self.emitter.lock().unwrap_or_else(|e| e.into_inner())
    }

    pub(crate) fn emit(&self, event: PlayerEvent, update: PlayingUpdate) {
        let mut em = self.emitter();
        let last = event == PlayerEvent::Finished;
        if let Some(tx) = em.events.as_ref() {
            let _ = tx.send(event);
        }
        if last {
            em.events = None; // closes the run's channel: `next_event` returns `None`
        }
        match update {
            PlayingUpdate::Keep => {}
            PlayingUpdate::Set(p) => em.playing = Some(p),
            PlayingUpdate::Clear => em.playing = None,
        }
    }

    /// Sends an event of a file output's paced driver.
    pub(crate) fn send(&self, event: PlayerEvent) {
        self.emit(event, PlayingUpdate::Keep);
    }

    /// Ends the run from outside the source (which may be stuck in a dead device): the
    /// playing item fails with `reason`, `Finished` is sent, and the source, should it ever
    /// run again, stops silently.
    pub(crate) fn abandon(&self, reason: String, out_rate: u32) {
        self.fail(reason.clone());
        self.abandoned.store(true, Ordering::Release);
        let mut em = self.emitter();
        let Some(tx) = em.events.take() else { return };
        if let Some(p) = em.playing.take() {
            let frames = self.progress().saturating_sub(p.first_frame);
            let at_item_rate =
                u128::from(frames) * u128::from(p.rate) / u128::from(out_rate.max(1));
            let _ = tx.send(PlayerEvent::Ended {
                index: p.index,
                played: frames_to_duration(u64::try_from(at_item_rate).unwrap_or(u64::MAX), p.rate),
                end: ItemEnd::Failed(reason),
            });
        }
        let _ = tx.send(PlayerEvent::Finished);
    }
}
