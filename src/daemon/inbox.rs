//! Watching the province's inbox (`[province] inbox`) beside the daemon, at no cost while
//! nothing arrives: the folder is watched with inotify, whose descriptor sits in tokio's
//! reactor (epoll) — no timer, no thread, no polling. At start the folder is looked through
//! once (bulletins dropped while the daemon was down). A bulletin is looked at when its
//! sidecar is complete (closed after writing, or moved in), or when its audio is complete
//! and the sidecar is there already; a file still being written waits for its close.
//!
//! Taking it is the service layer's (`Station::take_bulletin`, on a blocking thread: the
//! import decodes the whole file); an emergency then airs at once through the same command
//! as the operator's `loaxa emergency` ([`DaemonHandle::emergency`]), with its repeats.
//! The quarantine folder is watched too, so the operator's warning goes when it is emptied.
//!
//! With `[province] inbox_url` the province's list is fetched into the folder every
//! `inbox_every` ([`pull`], on a blocking thread: network and disk), and the watch takes what
//! it lays there like anything else dropped in. A fault of the list warns the operator (at
//! once, or after [`UNREACHABLE_GRACE`] when the network is merely down) until a fetch takes
//! everything.

use std::collections::HashSet;
use std::mem::MaybeUninit;
use std::os::fd::OwnedFd;
use std::path::{Path, PathBuf};

use rustix::fs::inotify::{self, CreateFlags, ReadFlags, WatchFlags};
use tokio::io::unix::AsyncFd;
use tokio::sync::watch;

use super::control::{DaemonHandle, Repeat, Status};
use crate::inbox::{Part, part_of};
use crate::model::Warning;
use crate::service::Taken;
use crate::store::InboxAction;

/// How long the province's server may be unreachable before the operator is warned (a 4G
/// outage of a few minutes says nothing).
pub const UNREACHABLE_GRACE: std::time::Duration = std::time::Duration::from_secs(30 * 60);

/// Fetches the province's list into the inbox every `inbox_every`, beside the daemon, and
/// ends with it; returns at once without a list.
pub(super) async fn pull(handle: DaemonHandle, status: watch::Sender<Status>) {
    let station = handle.station();
    let Some((dir, pull)) = station
        .config
        .inbox
        .as_ref()
        .and_then(|i| Some((i.dir.clone(), i.pull.clone()?)))
    else {
        return;
    };
    let max_audio = station.config.api.max_upload;
    drop(station);
    let mut cache = crate::inbox::pull::Validators::default();
    let mut failing_since: Option<tokio::time::Instant> = None;
    tracing::info!(list = %pull.url, every_s = pull.every.as_secs(), "fetching the province's bulletins");
    loop {
        let station = handle.station();
        let (folder, target, ca_file) = (dir.clone(), pull.url.clone(), pull.ca_file.clone());
        let mut c = std::mem::take(&mut cache);
        let fetched = tokio::task::spawn_blocking(move || {
            let opts = crate::inbox::pull::net_options(
                ca_file.as_deref(),
                std::time::Duration::from_secs(10),
                std::time::Duration::from_secs(30),
            )?;
            std::fs::create_dir_all(&folder).map_err(|e| crate::inbox::pull::PullError {
                fault: crate::inbox::pull::PullFault::Disk,
                detail: format!("{}: {e}", folder.display()),
            })?;
            let fetcher = crate::inbox::pull::Fetcher {
                url: &target,
                opts: &opts,
                dir: &folder,
                max_audio,
                store: &station.store,
            };
            let fetched = fetcher.fetch(&mut c);
            Ok((fetched?, c))
        })
        .await;
        let outcome = match fetched {
            Ok(Ok((fetched, c))) => {
                cache = c;
                Ok(fetched)
            }
            Ok(Err(e)) => Err(e),
            Err(e) => {
                tracing::error!(error = %e, "fetching the province's list stopped");
                Err(crate::inbox::pull::PullError {
                    fault: crate::inbox::pull::PullFault::Disk,
                    detail: e.to_string(),
                })
            }
        };
        let first_fault = match &outcome {
            Ok(f) => {
                if !f.unchanged {
                    tracing::info!(list = %pull.url, listed = f.listed, delivered = f.delivered.len(), failed = f.failed.len(), "fetched the province's list");
                }
                for e in &f.failed {
                    tracing::warn!(list = %pull.url, error = %e, "a bulletin from the province's list could not be fetched; tried again next time");
                }
                f.failed
                    .first()
                    .cloned()
                    .map(|e| (e, f.failed.len() as u64))
            }
            Err(e) => {
                tracing::warn!(list = %pull.url, error = %e, "cannot fetch the province's list; tried again later");
                Some((e.clone(), 0))
            }
        };
        let warning = match first_fault {
            None => {
                failing_since = None;
                None
            }
            Some((e, failed)) => {
                let since = *failing_since.get_or_insert_with(tokio::time::Instant::now);
                (!e.fault.transient() || since.elapsed() >= UNREACHABLE_GRACE).then(|| {
                    Warning::InboxListFailed {
                        url: pull.url.clone(),
                        pull_fault: e.fault,
                        detail: e.detail,
                        failed,
                    }
                })
            }
        };
        set_warning(
            &status,
            |w| matches!(w, Warning::InboxListFailed { .. }),
            warning,
        );
        tokio::select! {
            () = tokio::time::sleep(pull.every) => {}
            () = handle.gone() => return,
        }
    }
}

/// Runs beside the daemon and ends with it; returns at once without an inbox.
pub(super) async fn follow(handle: DaemonHandle, status: watch::Sender<Status>) {
    let Some(inbox) = handle.station().config.inbox.clone() else {
        return;
    };
    let dir = inbox.dir;
    let quarantine = dir.join(crate::inbox::QUARANTINE);
    let watcher = match Watcher::new(&dir, &quarantine) {
        Ok(w) => w,
        Err(e) => {
            tracing::error!(folder = %dir.display(), error = %e, "cannot watch the province's inbox; bulletins dropped there are not taken until a restart");
            return;
        }
    };
    tracing::info!(folder = %dir.display(), "watching the province's inbox");
    refresh_warning(&dir, &status);
    // What lay there before the watch began (the daemon was down) is taken now.
    for stem in crate::inbox::sidecars(&dir) {
        take(&handle, &status, &dir, stem).await;
    }
    let mut watcher = watcher;
    loop {
        let ready = tokio::select! {
            r = watcher.next_batch() => r,
            () = handle.gone() => return,
        };
        let batch = match ready {
            Ok(b) => b,
            Err(e) => {
                tracing::error!(folder = %dir.display(), error = %e, "the inbox watch failed; bulletins dropped there are not taken until a restart");
                return;
            }
        };
        if batch.quarantine_changed {
            refresh_warning(&dir, &status);
        }
        if batch.gone {
            tracing::error!(folder = %dir.display(), "the province's inbox folder was removed or moved; recreate it and restart loaxa");
            return;
        }
        for stem in batch.stems {
            take(&handle, &status, &dir, stem).await;
        }
    }
}

/// Takes one bulletin and does what its level asks.
async fn take(handle: &DaemonHandle, status: &watch::Sender<Status>, dir: &Path, stem: String) {
    let station = handle.station();
    let folder = dir.to_path_buf();
    let name = stem.clone();
    let taken = tokio::task::spawn_blocking(move || station.take_bulletin(&folder, &name)).await;
    let taken = match taken {
        Ok(Ok(t)) => t,
        Ok(Err(e)) => {
            tracing::error!(bulletin = %stem, error = %format!("{e:#}"), "cannot take a bulletin from the inbox; it stays there and is tried again at the next arrival or start");
            return;
        }
        Err(e) => {
            tracing::error!(bulletin = %stem, error = %e, "taking a bulletin from the inbox stopped");
            return;
        }
    };
    match taken {
        Taken::Imported {
            entry,
            segment,
            repeat,
        } => {
            tracing::info!(bulletin = %entry.id, source = %entry.source, level = %entry.level, segment = %segment.id, action = ?entry.action, "took a bulletin from the province");
            handle.disk_written();
            if entry.action == InboxAction::AiredAtOnce {
                let repeat = repeat.map(|r| Repeat {
                    every: r.every,
                    until: r.until,
                });
                if let Err(e) = handle.emergency(segment.id, repeat).await {
                    tracing::error!(bulletin = %entry.id, segment = %segment.id, error = %e, "an emergency bulletin from the province could not air");
                }
            }
        }
        Taken::AlreadyTaken(entry) => {
            tracing::info!(bulletin = %entry.id, "a bulletin from the province came again; it was taken before, nothing changes");
        }
        Taken::Quarantined(q) => {
            tracing::warn!(bulletin = %stem, code = %q.problem.code(), reason = %crate::words::Say::say(&q.problem, crate::words::Lang::En), "a bulletin from the province was quarantined");
            refresh_warning(dir, status);
        }
        Taken::Waiting => {
            tracing::info!(bulletin = %stem, "a bulletin's sidecar arrived; its audio has not yet");
        }
        Taken::Gone => {}
    }
}

/// The quarantine warning from what waits in the folder (none: the warning goes).
fn refresh_warning(dir: &Path, status: &watch::Sender<Status>) {
    let (count, latest) = crate::inbox::waiting_in_quarantine(dir);
    let warning = (count > 0).then(|| Warning::InboxQuarantined {
        folder: dir.join(crate::inbox::QUARANTINE).display().to_string(),
        count,
        file: latest.unwrap_or_default(),
    });
    set_warning(
        status,
        |w| matches!(w, Warning::InboxQuarantined { .. }),
        warning,
    );
}

/// Puts `warning` in place of the one `is_ours` finds (none: removes it); watchers wake only
/// for a change.
fn set_warning(
    status: &watch::Sender<Status>,
    is_ours: impl Fn(&Warning) -> bool,
    warning: Option<Warning>,
) {
    status.send_if_modified(|s| {
        if s.warnings.iter().find(|w| is_ours(w)) == warning.as_ref() {
            return false;
        }
        s.warnings.retain(|w| !is_ours(w));
        s.warnings.extend(warning);
        true
    });
}

/// What a batch of events asks for.
#[derive(Debug, Default)]
struct Batch {
    /// Bulletins to look at.
    stems: Vec<String>,
    quarantine_changed: bool,
    /// The inbox itself was removed or moved.
    gone: bool,
}

/// The inotify descriptor in tokio's reactor, and the files being written.
struct Watcher {
    fd: AsyncFd<OwnedFd>,
    ids: Ids,
    dir: PathBuf,
    /// Files created and not yet closed: their bulletin waits for them.
    writing: HashSet<String>,
}

impl Watcher {
    fn new(dir: &Path, quarantine: &Path) -> std::io::Result<Watcher> {
        std::fs::create_dir_all(quarantine)?;
        let fd = inotify::init(CreateFlags::NONBLOCK | CreateFlags::CLOEXEC)?;
        let inbox = inotify::add_watch(
            &fd,
            dir,
            WatchFlags::CREATE
                | WatchFlags::CLOSE_WRITE
                | WatchFlags::MOVED_TO
                | WatchFlags::DELETE_SELF
                | WatchFlags::MOVE_SELF
                | WatchFlags::ONLYDIR,
        )?;
        let quarantine = inotify::add_watch(
            &fd,
            quarantine,
            WatchFlags::CLOSE_WRITE
                | WatchFlags::MOVED_TO
                | WatchFlags::MOVED_FROM
                | WatchFlags::DELETE
                | WatchFlags::ONLYDIR,
        )?;
        // `AsyncFd::new` is deprecated for descriptors that may change under it; an
        // `OwnedFd` is one descriptor, owned, open until dropped (the crate has no unsafe).
        #[allow(deprecated)]
        let fd = AsyncFd::new(fd)?;
        Ok(Watcher {
            fd,
            ids: Ids { inbox, quarantine },
            dir: dir.to_path_buf(),
            writing: HashSet::new(),
        })
    }

    /// Waits for events and reads every one that is there.
    async fn next_batch(&mut self) -> std::io::Result<Batch> {
        loop {
            let mut guard = self.fd.readable().await?;
            let (ids, writing) = (&self.ids, &mut self.writing);
            let mut batch = Batch::default();
            let mut touched: Vec<String> = Vec::new();
            let mut buf = [MaybeUninit::<u8>::uninit(); 8192];
            let mut reader = inotify::Reader::new(guard.get_inner(), &mut buf);
            loop {
                match reader.next() {
                    Ok(event) => {
                        let name = event
                            .file_name()
                            .and_then(|n| n.to_str().ok())
                            .map(str::to_string);
                        ids.note(
                            writing,
                            event.wd(),
                            event.events(),
                            name,
                            &mut batch,
                            &mut touched,
                        );
                    }
                    Err(rustix::io::Errno::AGAIN) => break,
                    Err(e) => return Err(e.into()),
                }
            }
            guard.clear_ready();
            for name in touched {
                let stem = match part_of(&name) {
                    Some(Part::Sidecar(stem) | Part::Audio(stem)) => stem,
                    None => continue,
                };
                let busy = self.writing.iter().any(
                    |w| matches!(part_of(w), Some(Part::Sidecar(s) | Part::Audio(s)) if s == stem),
                );
                let has_sidecar = crate::inbox::sidecar_path(&self.dir, &stem).is_file();
                if !busy && has_sidecar && !batch.stems.contains(&stem) {
                    batch.stems.push(stem);
                }
            }
            if !batch.stems.is_empty() || batch.quarantine_changed || batch.gone {
                return Ok(batch);
            }
        }
    }
}

/// The two watches' descriptors.
struct Ids {
    inbox: i32,
    quarantine: i32,
}

impl Ids {
    /// One event: files created are being written; closed or moved in, they are complete.
    fn note(
        &self,
        writing: &mut HashSet<String>,
        wd: i32,
        flags: ReadFlags,
        name: Option<String>,
        batch: &mut Batch,
        touched: &mut Vec<String>,
    ) {
        if wd == self.quarantine {
            batch.quarantine_changed = true;
            return;
        }
        if wd != self.inbox {
            return;
        }
        if flags.intersects(ReadFlags::DELETE_SELF | ReadFlags::MOVE_SELF | ReadFlags::IGNORED) {
            batch.gone = true;
            return;
        }
        let Some(name) = name else { return };
        if flags.contains(ReadFlags::CREATE) && !flags.contains(ReadFlags::ISDIR) {
            writing.insert(name.clone());
        }
        if flags.intersects(ReadFlags::CLOSE_WRITE | ReadFlags::MOVED_TO) {
            writing.remove(&name);
            touched.push(name);
        }
    }
}
