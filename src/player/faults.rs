//! An output that fails on command, for tests: the file and null outputs take a
//! [`FaultSwitch`] ([`super::Player::with_faults`]) and then fail opens, fail writes
//! mid-stream, stop taking audio, and come back when told. The faults act where a sound
//! card's would (opening, and handing over audio), so the tests exercise the same retry and
//! watchdog path ([`super::driver`]) as the sound card.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};

use tokio::sync::Notify;

/// Breaks a test output on command. Cheap to clone; clones act on the same output.
#[derive(Debug, Clone, Default)]
pub struct FaultSwitch(Arc<Faults>);

#[derive(Debug, Default)]
struct Faults {
    opens_fail: AtomicBool,
    writes_fail: AtomicBool,
    stalled: AtomicBool,
    open_attempts: AtomicU64,
    changed: Notify,
}

impl FaultSwitch {
    pub fn new() -> FaultSwitch {
        FaultSwitch::default()
    }

    /// The device disappears: the next write fails (the playing item fails) and every open
    /// fails until [`Self::plug_in`].
    pub fn unplug(&self) {
        self.0.opens_fail.store(true, Ordering::SeqCst);
        self.0.writes_fail.store(true, Ordering::SeqCst);
        self.0.changed.notify_waiters();
    }

    /// The device is back: opens and writes work again.
    pub fn plug_in(&self) {
        self.0.opens_fail.store(false, Ordering::SeqCst);
        self.0.writes_fail.store(false, Ordering::SeqCst);
        self.0.changed.notify_waiters();
    }

    /// Opens fail (`true`) or work (`false`); writes are not affected.
    pub fn fail_opens(&self, on: bool) {
        self.0.opens_fail.store(on, Ordering::SeqCst);
    }

    /// Writes fail (`true`) or work (`false`); opens are not affected.
    pub fn fail_writes(&self, on: bool) {
        self.0.writes_fail.store(on, Ordering::SeqCst);
        self.0.changed.notify_waiters();
    }

    /// The output stops taking audio (a wedged driver: writes hang) until it is reopened.
    pub fn stall(&self) {
        self.0.stalled.store(true, Ordering::SeqCst);
    }

    /// How many times the output was asked to open so far.
    pub fn open_attempts(&self) -> u64 {
        self.0.open_attempts.load(Ordering::SeqCst)
    }

    /// An open: counted; fails while opens fail; clears a stall.
    pub(crate) fn check_open(&self) -> Result<(), String> {
        self.0.open_attempts.fetch_add(1, Ordering::SeqCst);
        if self.0.opens_fail.load(Ordering::SeqCst) {
            return Err("device not available (injected fault)".into());
        }
        self.0.stalled.store(false, Ordering::SeqCst);
        Ok(())
    }

    /// Before each write: fails while writes fail, hangs while stalled.
    pub(crate) async fn before_write(&self) -> Result<(), String> {
        loop {
            let changed = self.0.changed.notified();
            let mut changed = std::pin::pin!(changed);
            changed.as_mut().enable();
            if self.0.writes_fail.load(Ordering::SeqCst) {
                return Err("device not available (injected write fault)".into());
            }
            if !self.0.stalled.load(Ordering::SeqCst) {
                return Ok(());
            }
            changed.await;
        }
    }
}
