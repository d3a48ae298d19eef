//! Hooks (`[hooks]`): commands the station runs around its programs — power the amplifier or
//! the transmitter on before a program (a USB relay, a GPIO pin, a smart plug) and off after
//! it.
//!
//! A [`HookRunner`] runs them one after another on a thread of its own, never two at once,
//! and never holds the caller: the program airs whatever a hook does. Each runs as `sh -c
//! COMMAND` with `LOAXA_HOOK` (`before_program`, `after_program`), `LOAXA_PROGRAM`,
//! `LOAXA_AT` (the fire time, station time, RFC 3339) and `LOAXA_NOW` (when the station asked
//! for it) in its environment, in a process group of
//! its own: one still running after the timeout is killed with everything it started. Every
//! run is logged with its outcome (the journal): ran, failed with its status and last words,
//! timed out, could not start.

use std::io::Read;
use std::process::{Command, Stdio};
use std::sync::mpsc::{Receiver, Sender, channel};
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};

/// Which hook.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Hook {
    BeforeProgram,
    AfterProgram,
}

impl Hook {
    pub fn name(self) -> &'static str {
        match self {
            Hook::BeforeProgram => "before_program",
            Hook::AfterProgram => "after_program",
        }
    }
}

/// One run asked for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HookJob {
    pub hook: Hook,
    pub command: String,
    /// The program it is for (`emergency`, `live`… for broadcasts outside the schedule).
    pub program: String,
    /// The fire time, station time, RFC 3339 (for `after_program`: when it was asked for).
    pub at: String,
    /// When the station asked for it, station time, RFC 3339.
    pub now: String,
    /// Stopped when still running after this.
    pub timeout: Duration,
}

/// How a run ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HookOutcome {
    Ran,
    /// Exited with a failure: its status and the end of what it wrote to stderr.
    Failed {
        status: String,
        said: String,
    },
    /// Still running after the timeout: killed.
    TimedOut,
    /// `sh` could not be started.
    CannotStart {
        detail: String,
    },
}

/// Runs hooks in order on its own thread.
#[derive(Debug)]
pub struct HookRunner {
    jobs: Option<Sender<HookJob>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

/// The most of a hook's stderr kept for the log.
const SAID_MAX: usize = 400;

impl HookRunner {
    /// A runner; `done` hears of each run (on the runner's thread) after it is logged.
    pub fn new(done: impl Fn(&HookJob, &HookOutcome) + Send + 'static) -> HookRunner {
        let (tx, rx) = channel::<HookJob>();
        let thread = std::thread::Builder::new()
            .name("loaxa-hooks".into())
            .spawn(move || serve(&rx, &done));
        match thread {
            Ok(thread) => HookRunner {
                jobs: Some(tx),
                thread: Some(thread),
            },
            Err(e) => {
                tracing::error!(error = %e, "cannot start the hook runner: hooks will not run");
                HookRunner {
                    jobs: None,
                    thread: None,
                }
            }
        }
    }

    /// Queues `job` (it runs after the ones before it); never waits.
    pub fn run(&self, job: HookJob) {
        tracing::info!(hook = job.hook.name(), program = %job.program, "hook queued");
        if let Some(tx) = &self.jobs
            && tx.send(job).is_err()
        {
            tracing::error!("the hook runner has stopped: hook not run");
        }
    }
}

impl Drop for HookRunner {
    fn drop(&mut self) {
        // The queue closes; the runner finishes the hook it runs (bounded by the timeout).
        self.jobs = None;
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

fn serve(jobs: &Receiver<HookJob>, done: &dyn Fn(&HookJob, &HookOutcome)) {
    for job in jobs {
        let began = Instant::now();
        let outcome = run_one(&job);
        let ms = began.elapsed().as_millis() as u64;
        match &outcome {
            HookOutcome::Ran => {
                tracing::info!(hook = job.hook.name(), program = %job.program, ms, "hook ran")
            }
            HookOutcome::Failed { status, said } => tracing::error!(
                hook = job.hook.name(), program = %job.program, %status, said = %said, ms,
                "hook failed; the program airs regardless"
            ),
            HookOutcome::TimedOut => tracing::error!(
                hook = job.hook.name(), program = %job.program, timeout_s = job.timeout.as_secs(),
                "hook still running at its timeout: stopped; the program airs regardless"
            ),
            HookOutcome::CannotStart { detail } => tracing::error!(
                hook = job.hook.name(), program = %job.program, %detail,
                "hook cannot be started; the program airs regardless"
            ),
        }
        done(&job, &outcome);
    }
}

fn run_one(job: &HookJob) -> HookOutcome {
    use std::os::unix::process::CommandExt;
    let spawned = Command::new("/bin/sh")
        .arg("-c")
        .arg(&job.command)
        .env("LOAXA_HOOK", job.hook.name())
        .env("LOAXA_PROGRAM", &job.program)
        .env("LOAXA_AT", &job.at)
        .env("LOAXA_NOW", &job.now)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .process_group(0)
        .spawn();
    let mut child = match spawned {
        Ok(c) => c,
        Err(e) => {
            return HookOutcome::CannotStart {
                detail: e.to_string(),
            };
        }
    };
    // Its stderr is read on the side, so a chatty hook never blocks on a full pipe.
    let stderr = child.stderr.take().map(|mut err| {
        std::thread::spawn(move || {
            let mut text = Vec::new();
            let _ = err.read_to_end(&mut text);
            text
        })
    });
    let deadline = Instant::now() + job.timeout;
    let status = loop {
        match child.try_wait() {
            Ok(Some(status)) => break Some(status),
            Ok(None) if Instant::now() >= deadline => break None,
            Ok(None) => std::thread::sleep(Duration::from_millis(20)),
            Err(e) => {
                return HookOutcome::CannotStart {
                    detail: e.to_string(),
                };
            }
        }
    };
    let Some(status) = status else {
        let group = rustix::process::Pid::from_child(&child);
        let _ = rustix::process::kill_process_group(group, rustix::process::Signal::KILL);
        let _ = child.wait();
        return HookOutcome::TimedOut;
    };
    let said = stderr
        .and_then(|t| t.join().ok())
        .map(|text| {
            let text = String::from_utf8_lossy(&text);
            let text = text.trim();
            let start = text
                .char_indices()
                .rev()
                .nth(SAID_MAX)
                .map_or(0, |(i, _)| i);
            text[start..].to_string()
        })
        .unwrap_or_default();
    if status.success() {
        HookOutcome::Ran
    } else {
        HookOutcome::Failed {
            status: status.to_string(),
            said,
        }
    }
}
