//! Sends the broadcast log to the province's database (`[province] url`) beside the daemon:
//! after each log write (a second later, so a program's burst of writes goes as one push),
//! and with every heartbeat (`[province] heartbeat`, a minute), which also says the station
//! is alive. A failed push is tried again after 5 s, doubling to 5 min, and at each
//! heartbeat; the player and the local log never wait for it. The state goes to the status
//! ([`crate::province::LinkState`]); a problem someone must fix (a refused login, a station
//! not registered, a copy that is not this log) warns at once, an unreachable server only
//! after [`WARN_UNREACHABLE_AFTER`] (a 4G outage of minutes is no news).

use std::time::Duration;

use chrono::Utc;
use tokio::sync::watch;
use tokio::time::Instant;

use super::control::{DaemonHandle, Status};
use crate::config::ProvinceLink;
use crate::model::Warning;
use crate::province::{DbFault, Heartbeat, LinkState, Phase, Pusher, Target};

/// Records written in a burst go together: the push waits this long after a write.
const SETTLE: Duration = Duration::from_secs(1);
const RETRY_FIRST: Duration = Duration::from_secs(5);
const RETRY_MAX: Duration = Duration::from_secs(300);
/// An unreachable province warns the operator after this long.
pub const WARN_UNREACHABLE_AFTER: chrono::TimeDelta = chrono::TimeDelta::hours(1);

/// Runs until the daemon is gone.
pub(super) async fn follow(
    handle: DaemonHandle,
    status: watch::Sender<Status>,
    link: ProvinceLink,
) {
    let station = handle.station();
    let mut state = LinkState {
        station_code: link.station_code.clone(),
        url: link.url.shown().to_string(),
        phase: Phase::Connecting,
        province_has: 0,
        unsent: 0,
        last_contact: None,
        failing_since: None,
        error: None,
    };
    let ca = match crate::province::push::ca_certs(link.ca_file.as_deref()) {
        Ok(ca) => ca,
        Err(e) => {
            tracing::warn!(error = %e, "[province] ca_file");
            state.error = Some(e);
            Vec::new()
        }
    };
    publish(&status, &state);
    let mut pusher = Pusher::new(
        station.store.clone(),
        Target {
            url: link.url.clone(),
            station_code: link.station_code.clone(),
            ca_certs: ca,
            batch: link.batch,
        },
    );
    let mut log = station.store.watch_log();
    drop(station);
    let mut next_beat = Instant::now();
    let mut retry_at: Option<Instant> = None;
    let mut backoff = RETRY_FIRST;
    let mut dirty = true;
    loop {
        let now = Instant::now();
        let beat_due = now >= next_beat;
        let retry_due = retry_at.is_none_or(|r| now >= r);
        if beat_due || (dirty && retry_due) {
            let station = handle.station();
            let pushed = pusher.push().await;
            if pushed.is_ok() {
                dirty = false;
            }
            // The heartbeat goes even when the push failed (a stopped push is news the
            // province should see, with the warning).
            let beat = match &pushed {
                Err(e) if matches!(e.fault, DbFault::Unreachable | DbFault::Tls) => Ok(()),
                _ if beat_due => {
                    let st = status.borrow().clone();
                    let beat = Heartbeat {
                        station_time: station.clock.now(),
                        station_name: station.config.station.name.clone(),
                        on_air: st.on_air.as_ref().map(|o| o.title.clone()),
                        warnings: serde_json::to_value(&st.warnings).unwrap_or_default(),
                        topics: serde_json::to_value(&station.config.topics).unwrap_or_default(),
                    };
                    pusher.heartbeat(&beat).await
                }
                _ => Ok(()),
            };
            if beat_due {
                next_beat = Instant::now() + link.heartbeat;
            }
            match pushed.and_then(|p| beat.map(|()| p)) {
                Ok(p) => {
                    retry_at = None;
                    backoff = RETRY_FIRST;
                    if state.error.is_some() || state.phase != Phase::UpToDate {
                        tracing::info!(
                            province_has = p.province_has,
                            sent = p.sent,
                            "the broadcast log is at the province"
                        );
                    }
                    state.phase = if p.unsent == 0 {
                        Phase::UpToDate
                    } else {
                        Phase::Sending
                    };
                    state.province_has = p.province_has;
                    state.unsent = p.unsent;
                    state.last_contact = Some(Utc::now());
                    state.failing_since = None;
                    state.error = None;
                }
                Err(e) => {
                    if state.error.as_ref() != Some(&e) {
                        tracing::warn!(error = %e, fault = ?e.fault, "sending the broadcast log to the province");
                    }
                    state.phase = if e.fault == DbFault::Diverged {
                        Phase::Stopped
                    } else {
                        Phase::Retrying
                    };
                    state.unsent = pusher.unsent().max(state.unsent);
                    state.failing_since.get_or_insert_with(Utc::now);
                    state.error = Some(e);
                    retry_at = Some(Instant::now() + backoff);
                    backoff = (backoff * 2).min(RETRY_MAX);
                }
            }
            publish(&status, &state);
        }
        let mut wake = next_beat;
        if dirty && let Some(r) = retry_at {
            wake = wake.min(r);
        }
        tokio::select! {
            changed = log.changed() => {
                if changed.is_err() {
                    return;
                }
                dirty = true;
                tokio::select! {
                    () = tokio::time::sleep(SETTLE) => {}
                    () = handle.gone() => return,
                }
                log.borrow_and_update();
            }
            () = tokio::time::sleep_until(wake) => {}
            () = handle.gone() => return,
        }
    }
}

/// Puts the link's state in the status, and its warning when someone must act.
fn publish(status: &watch::Sender<Status>, state: &LinkState) {
    let warning = state.error.as_ref().and_then(|e| {
        let long = state
            .failing_since
            .is_some_and(|since| Utc::now() - since >= WARN_UNREACHABLE_AFTER);
        let transient = matches!(e.fault, DbFault::Unreachable | DbFault::Other);
        (!transient || long).then(|| Warning::ProvinceLost {
            url: state.url.clone(),
            link_fault: e.fault,
            detail: e.detail.clone(),
            unsent: state.unsent,
        })
    });
    status.send_if_modified(|s| {
        // A heartbeat that changed nothing but the time of contact is not news: the status
        // keeps the time, watchers (the page) are not woken for it.
        let mut changed = s.province.as_ref().is_none_or(|p| {
            p != &LinkState {
                last_contact: p.last_contact,
                ..state.clone()
            }
        });
        s.province = Some(state.clone());
        let is_lost = |w: &Warning| matches!(w, Warning::ProvinceLost { .. });
        let before = s.warnings.iter().find(|w| is_lost(w)).cloned();
        if before != warning {
            s.warnings.retain(|w| !is_lost(w));
            s.warnings.extend(warning.clone());
            changed = true;
        }
        changed
    });
}
