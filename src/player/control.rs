//! What a run's owner, its output driver and its program source share: the cut request,
//! the stall watchdog's progress counter, what is still to air, and the event channel with
//! the playing item.
//!
//! A run may go through several program sources: when the output fails, the driver gives
//! up on the source it was playing (which may be stuck inside a dead device) and starts a
//! new one on the reopened output with what is left. Each source belongs to an *attempt*
//! (`epoch`); events of a source whose attempt was abandoned are dropped, so the stuck one
//! can never speak again. The source touches the atomics per frame and the mutexes only per
//! item or event.

use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};

use tokio::sync::Notify;
use tokio::sync::mpsc::UnboundedSender;

use super::opener::Keyed;
use super::program::frames_to_duration;
use super::{ItemEnd, PlayerEvent};

/// Shared between the owner of a run ([`super::Cutter`]), the output driver and the source.
#[derive(Debug)]
pub(crate) struct Control {
    cut: AtomicBool,
    /// A new continuation for the program is waiting in `splice`.
    splice_pending: AtomicBool,
    splice: Mutex<Option<Splice>>,
    /// The current attempt; a source made for an older one is abandoned.
    epoch: AtomicU64,
    /// Output frames produced so far over all attempts (the stall watchdog and
    /// [`super::Cutter::progress`] read it); never decreases.
    progress: AtomicU64,
    /// Wakes the driver while it waits for the output (cut, splice).
    wake: Notify,
    emitter: Mutex<Emitter>,
}

/// Event channel, playing item and what is still to air, changed together so a source and
/// the driver that abandons it never both end the same item.
#[derive(Debug)]
struct Emitter {
    events: Option<UnboundedSender<PlayerEvent>>,
    playing: Option<Playing>,
    /// Items of the current continuation that have not been reported yet (no `Started`, no
    /// `Ended`): what a new attempt plays after the output failed.
    rest: Vec<Keyed>,
}

/// A new continuation for a running program (skip, interrupt, replace).
#[derive(Debug, Clone)]
pub(crate) struct Splice {
    pub(crate) items: Vec<Keyed>,
    pub(crate) fade: std::time::Duration,
    /// The playing item airs to its end; `items` replace only what comes after it.
    pub(crate) keep_current: bool,
}

#[derive(Debug, Clone, Copy)]
pub(crate) struct Playing {
    pub(crate) index: usize,
    /// The item's own sample rate and the output's.
    pub(crate) rate: u32,
    pub(crate) out_rate: u32,
    /// Value of the progress counter at its first frame.
    pub(crate) first_frame: u64,
}

#[derive(Debug, Clone, Copy)]
pub(crate) enum PlayingUpdate {
    Keep,
    Set(Playing),
    Clear,
}

impl Control {
    pub(crate) fn new(events: UnboundedSender<PlayerEvent>, items: Vec<Keyed>) -> Control {
        Control {
            cut: AtomicBool::new(false),
            splice_pending: AtomicBool::new(false),
            splice: Mutex::new(None),
            epoch: AtomicU64::new(0),
            progress: AtomicU64::new(0),
            wake: Notify::new(),
            emitter: Mutex::new(Emitter {
                events: Some(events),
                playing: None,
                rest: items,
            }),
        }
    }

    pub(crate) fn cut(&self) {
        self.cut.store(true, Ordering::Release);
        self.wake.notify_one();
    }

    /// Asks the source to fade out the current item and go on with `splice.items` instead
    /// of the rest of the program. A later request replaces one not yet taken.
    pub(crate) fn request_splice(&self, splice: Splice) {
        *self.splice.lock().unwrap_or_else(|e| e.into_inner()) = Some(splice);
        self.splice_pending.store(true, Ordering::Release);
        self.wake.notify_one();
    }

    /// The waiting splice, if any (one atomic load when there is none). Taking it makes its
    /// items the continuation.
    #[inline]
    pub(crate) fn take_splice(&self) -> Option<Splice> {
        // A plain load first: this runs once per output frame, and the swap is a locked
        // instruction that cost a quarter of the player's own time (perf, 44.1 kHz MP3).
        if !self.splice_pending.load(Ordering::Relaxed)
            || !self.splice_pending.swap(false, Ordering::AcqRel)
        {
            return None;
        }
        let splice = self
            .splice
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .take()?;
        self.emitter().rest = splice.items.clone();
        Some(splice)
    }

    pub(crate) fn splice_pending(&self) -> bool {
        self.splice_pending.load(Ordering::Acquire)
    }

    pub(crate) fn cut_requested(&self) -> bool {
        self.cut.load(Ordering::Acquire)
    }

    /// Resolves after a cut or splice request (at once if one came since the last call).
    pub(crate) async fn woken(&self) {
        self.wake.notified().await;
    }

    #[inline]
    pub(crate) fn epoch(&self) -> u64 {
        self.epoch.load(Ordering::Acquire)
    }

    #[inline]
    pub(crate) fn set_progress(&self, frames: u64) {
        self.progress.fetch_max(frames, Ordering::Relaxed);
    }

    pub(crate) fn progress(&self) -> u64 {
        self.progress.load(Ordering::Relaxed)
    }

    /// `Finished` has been sent: the run is over.
    pub(crate) fn is_over(&self) -> bool {
        self.emitter().events.is_none()
    }

    /// What a new attempt should play.
    pub(crate) fn rest(&self) -> Vec<Keyed> {
        self.emitter().rest.clone()
    }

    fn emitter(&self) -> std::sync::MutexGuard<'_, Emitter> {
        self.emitter.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Sends an event of attempt `epoch` (dropped if that attempt was abandoned).
    pub(crate) fn emit(&self, epoch: u64, event: PlayerEvent, update: PlayingUpdate) {
        let mut em = self.emitter();
        if epoch != self.epoch() {
            return;
        }
        if let PlayerEvent::Started { index, .. } | PlayerEvent::Ended { index, .. } = &event {
            em.rest.retain(|item| item.key != *index);
        }
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

    /// Sends an event of the driver (current attempt).
    pub(crate) fn send(&self, event: PlayerEvent) {
        self.emit(self.epoch(), event, PlayingUpdate::Keep);
    }

    /// Gives up on the current attempt's source (its output failed; it may be stuck inside
    /// a dead device): its events are dropped from now on, and the playing item ends as
    /// failed with `reason`. `unaired`: frames counted in the progress that never reached
    /// the output. The run goes on with [`Self::rest`].
    pub(crate) fn abandon(&self, reason: &str, unaired: u64) {
        let mut em = self.emitter();
        self.epoch.fetch_add(1, Ordering::AcqRel);
        let Some(p) = em.playing.take() else { return };
        let frames = self
            .progress()
            .saturating_sub(p.first_frame)
            .saturating_sub(unaired);
        let at_item_rate = u128::from(frames) * u128::from(p.rate) / u128::from(p.out_rate.max(1));
        let event = PlayerEvent::Ended {
            index: p.index,
            played: frames_to_duration(u64::try_from(at_item_rate).unwrap_or(u64::MAX), p.rate),
            end: ItemEnd::Failed(reason.to_string()),
            levels: None,
        };
        if let Some(tx) = em.events.as_ref() {
            let _ = tx.send(event);
        }
    }
}
