//! The amplifier's hooks in the daemon (`[hooks]`, run by [`crate::hooks::HookRunner`]):
//! `before_program` runs `lead` before a program's fire time — or at once when an emergency,
//! manual or live broadcast starts with the amplifier off — and `after_program` `hold` after
//! the station falls silent, unless a program is due by then (programs back to back keep the
//! amplifier on). Times are the station clock's. The amplifier is taken to be off when the
//! daemon starts.

use chrono::{DateTime, Utc};

use super::{Daemon, Due};
use crate::hooks::{Hook, HookJob};

/// What the daemon knows of the amplifier.
#[derive(Debug, Default)]
pub(super) struct Amp {
    /// `before_program` has run (or the station is on air) and `after_program` not since.
    on: bool,
    /// When `after_program` is due (the station fell silent at this time minus `hold`).
    off_at: Option<DateTime<Utc>>,
}

impl Daemon {
    fn hook(&mut self, hook: Hook, program: &str, at: DateTime<Utc>) {
        let hooks = &self.station.config.hooks;
        let command = match hook {
            Hook::BeforeProgram => &hooks.before_program,
            Hook::AfterProgram => &hooks.after_program,
        };
        let Some(command) = command else { return };
        // One runner for the daemon's life (made at the first hook): hooks never overlap,
        // whatever a reload changes.
        let runner = self
            .hook_runner
            .get_or_insert_with(|| crate::hooks::HookRunner::new(|_, _| {}));
        runner.run(HookJob {
            hook,
            command: command.clone(),
            program: program.to_string(),
            at: self.station.local(at).to_rfc3339(),
            now: self.station.local(self.station.clock.now()).to_rfc3339(),
            timeout: hooks.timeout,
        });
    }

    fn lead(&self) -> chrono::TimeDelta {
        chrono::TimeDelta::from_std(self.station.config.hooks.lead).unwrap_or_default()
    }

    /// Runs the hooks due now while idle, before `next`; returns when the next one is due.
    pub(super) fn hooks_due(&mut self, next: Option<&Due>) -> Option<DateTime<Utc>> {
        let now = self.station.clock.now();
        let lead = self.lead();
        if self.amp.on
            && let Some(off_at) = self.amp.off_at
            && off_at <= now
        {
            self.amp.off_at = None;
            if next.is_some_and(|d| d.at - lead <= now) {
                // The next program is as good as here: the amplifier stays on.
            } else {
                self.amp.on = false;
                self.hook(Hook::AfterProgram, "", now);
            }
        }
        if self.amp.on {
            return self.amp.off_at;
        }
        let next = next?;
        let start = next.at - lead;
        if start > now {
            return self
                .station
                .config
                .hooks
                .before_program
                .as_ref()
                .map(|_| start);
        }
        self.amp.on = true;
        self.hook(Hook::BeforeProgram, &next.program, next.at);
        None
    }

    /// Audio begins (any broadcast): the amplifier goes on now if it is off.
    pub(super) fn hooks_on_air(&mut self, program: &str) {
        self.amp.off_at = None;
        if !self.amp.on {
            self.amp.on = true;
            let now = self.station.clock.now();
            self.hook(Hook::BeforeProgram, program, now);
        }
    }

    /// The daemon stops: an amplifier left on is switched off now (the runner finishes it
    /// before the daemon is gone, within its timeout).
    pub(super) fn hooks_at_exit(&mut self) {
        if self.amp.on {
            self.amp.on = false;
            self.amp.off_at = None;
            let now = self.station.clock.now();
            self.hook(Hook::AfterProgram, "", now);
        }
    }

    /// The station fell silent: `after_program` is due `hold` from now.
    pub(super) fn hooks_off_air(&mut self) {
        let hold = chrono::TimeDelta::from_std(self.station.config.hooks.hold).unwrap_or_default();
        self.amp.off_at = Some(self.station.clock.now() + hold);
    }
}
