//! Alerts off the page (`[alerts]`): the station tells its operator of a fault by POSTing a
//! JSON event to webhooks — a Zalo or Telegram bot, an e-mail gateway.
//!
//! What raises one: a play that failed or a program that was missed (found in the log, so
//! none is missed however it came about), the sound card lost, the log unable to write, the
//! disk nearly full (below `[station] disk_warn_mb`) or full at start, an implausible clock
//! (the status's warnings as they appear), and the clock stepped (told by the daemon). The
//! same fault again within `dedup` is not sent again.
//! Each event is kept in the database's outbox until every webhook has taken it (a 2xx
//! answer): a receiver that answers 500 or is down is retried with a doubling wait (5 s to
//! 10 min), and events survive a restart. With `digest`, the day's events go out together once
//! a day at `digest_at`.
//!
//! The event (`Content-Type: application/json`):
//! `{"station": "…", "at": "2026-05-04T06:00:03+07:00", "code": "item_failed",
//!   "program": "sang", "title": "…", "detail": "…", "text": "Đài …: …", "text_en": "…"}`;
//! a digest is `{"station": "…", "digest": [event, …]}`.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use tokio::sync::mpsc;

use crate::daemon::control::DaemonHandle;
use crate::model::{AsRunRecord, Outcome, Warning};
use crate::service::Station;
use crate::words::{Lang, Reason, Say};

/// What happened.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AlertCode {
    /// A play failed (`title`, `program`; `detail`: the reason's words).
    ItemFailed,
    /// A program's fire time passed without it airing.
    ProgramMissed,
    /// The sound output is unavailable.
    OutputLost,
    /// The broadcast log cannot be written.
    LogUnwritable,
    /// The disk holding the data folder has less free space than `disk_warn_mb`
    /// (`detail`: the MB free).
    DiskLow,
    /// The disk was full at start.
    DiskFull,
    /// The clock reads an impossible time.
    ClockImplausible,
    /// The clock was changed while the station ran (`detail`: by how much).
    ClockStepped,
    /// A stream output cannot reach its Icecast server (`title`: the stream).
    StreamLost,
    /// The province's database has not taken the log (`detail`: why).
    ProvinceLost,
    /// A bulletin from the province was quarantined (`title`: its file; `detail`: how many
    /// wait in quarantine).
    InboxQuarantined,
    /// The province's list of bulletins cannot be fetched (`detail`: why).
    InboxListFailed,
}

/// One event as it is sent.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Alert {
    pub station: String,
    /// Station time, RFC 3339.
    pub at: String,
    pub code: AlertCode,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub program: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
    /// In Vietnamese, ready for a chat message; `text_en` in English.
    pub text: String,
    pub text_en: String,
}

/// An event in the outbox: the event and the webhooks that have not taken it yet.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct Waiting {
    alert: Alert,
    pending: Vec<String>,
}

/// What the daemon tells the alerts directly (what the log and the status do not show).
#[derive(Debug, Clone)]
pub enum Told {
    /// The clock moved by this many seconds (negative: back).
    ClockStepped { step_s: i64 },
}

/// The daemon's way to tell the alerts task.
pub type Teller = mpsc::UnboundedSender<Told>;

/// A fault, before it is worded and dated.
struct Fault {
    code: AlertCode,
    program: Option<String>,
    title: Option<String>,
    /// Technical detail (a reason's code, an error), kept as given.
    detail: Option<String>,
    /// The detail in words, Vietnamese and English.
    words: Option<(String, String)>,
}

impl Fault {
    fn plain(code: AlertCode, detail: Option<String>) -> Fault {
        Fault {
            code,
            program: None,
            title: None,
            words: detail.clone().map(|d| (d.clone(), d)),
            detail,
        }
    }

    /// What makes two faults the same one (for `dedup`).
    fn key(&self) -> String {
        format!(
            "{:?}/{}/{}",
            self.code,
            self.program.as_deref().unwrap_or_default(),
            self.title.as_deref().unwrap_or_default()
        )
    }

    fn worded(self, station: &Station) -> Alert {
        let name = &station.config.station.name;
        let what = |lang: Lang| -> String {
            let vi = lang == Lang::Vi;
            let t = |v: &str, e: &str| if vi { v.to_string() } else { e.to_string() };
            let detail = self
                .words
                .as_ref()
                .map(|(v, e)| if vi { v.clone() } else { e.clone() })
                .unwrap_or_default();
            let program = self.program.clone().unwrap_or_default();
            let title = self.title.clone().unwrap_or_default();
            match self.code {
                AlertCode::ItemFailed => {
                    if vi {
                        format!(
                            "bản tin «{title}» (chương trình {program}) không phát được: {detail}"
                        )
                    } else {
                        format!("«{title}» (program {program}) failed to air: {detail}")
                    }
                }
                AlertCode::ProgramMissed => {
                    if vi {
                        format!("chương trình {program} đã không được phát: {detail}")
                    } else {
                        format!("program {program} did not air: {detail}")
                    }
                }
                AlertCode::OutputLost => {
                    t("mất đầu ra âm thanh: ", "sound output lost: ") + &detail
                }
                AlertCode::LogUnwritable => {
                    t(
                        "không ghi được nhật ký phát sóng: ",
                        "cannot write the broadcast log: ",
                    ) + &detail
                }
                AlertCode::DiskLow => t("ổ đĩa sắp đầy: ", "the disk is nearly full: ") + &detail,
                AlertCode::DiskFull => {
                    t(
                        "ổ đĩa đầy khi khởi động; đã dùng phần dự phòng: ",
                        "the disk was full at start; the reserve is in use: ",
                    ) + &detail
                }
                AlertCode::ClockImplausible => {
                    t(
                        "đồng hồ máy sai: đang chỉ ",
                        "the clock is wrong: it reads ",
                    ) + &detail
                }
                AlertCode::ClockStepped => {
                    t(
                        "đồng hồ máy vừa bị chỉnh: ",
                        "the station clock was changed: ",
                    ) + &detail
                }
                AlertCode::StreamLost | AlertCode::InboxQuarantined => detail,
                AlertCode::ProvinceLost => {
                    t(
                        "chưa gửi được nhật ký lên tỉnh: ",
                        "the log has not reached the province: ",
                    ) + &detail
                }
                AlertCode::InboxListFailed => {
                    t(
                        "chưa lấy được bản tin từ tỉnh: ",
                        "bulletins from the province cannot be fetched: ",
                    ) + &detail
                }
            }
        };
        let text = format!("Đài {name}: {}", what(Lang::Vi));
        let text_en = format!("Station {name}: {}", what(Lang::En));
        Alert {
            station: name.clone(),
            at: station.local(station.clock.now()).to_rfc3339(),
            code: self.code,
            program: self.program,
            title: self.title,
            detail: self.detail,
            text,
            text_en,
        }
    }
}

/// The fault a closed log record stands for, if any.
fn of_record(r: &AsRunRecord) -> Option<Fault> {
    let code = match r.outcome {
        Outcome::Failed => AlertCode::ItemFailed,
        Outcome::Missed => AlertCode::ProgramMissed,
        _ => return None,
    };
    let reason = r.reason.as_deref().and_then(Reason::from_stored);
    Some(Fault {
        code,
        program: Some(r.program.clone()),
        title: (r.outcome == Outcome::Failed).then(|| r.title.clone()),
        detail: reason.as_ref().map(Reason::code),
        words: reason.map(|reason| {
            (
                reason.say(Lang::Vi).into_owned(),
                reason.say(Lang::En).into_owned(),
            )
        }),
    })
}

/// The fault a status warning stands for, if any.
fn of_warning(w: &Warning) -> Option<Fault> {
    let (code, detail) = match w {
        Warning::OutputUnavailable { detail } => (AlertCode::OutputLost, detail.clone()),
        Warning::LogWaiting { detail, .. } => (AlertCode::LogUnwritable, detail.clone()),
        Warning::StartedOnReserve { path, .. } => (AlertCode::DiskFull, path.clone()),
        Warning::ClockImplausible { reads } => (AlertCode::ClockImplausible, reads.clone()),
        Warning::StreamLost {
            stream,
            fault,
            detail,
            ..
        } => {
            return Some(Fault {
                code: AlertCode::StreamLost,
                program: None,
                title: Some(stream.clone()),
                detail: Some(format!(
                    "{}: {detail}",
                    serde_json::to_string(fault)
                        .unwrap_or_default()
                        .trim_matches('"')
                )),
                words: Some((w.say(Lang::Vi).into_owned(), w.say(Lang::En).into_owned())),
            });
        }
        Warning::ProvinceLost { link_fault, .. } => {
            return Some(Fault {
                code: AlertCode::ProvinceLost,
                program: None,
                title: None,
                detail: Some(
                    serde_json::to_string(link_fault)
                        .unwrap_or_default()
                        .trim_matches('"')
                        .to_string(),
                ),
                words: Some((w.say(Lang::Vi).into_owned(), w.say(Lang::En).into_owned())),
            });
        }
        Warning::InboxListFailed { pull_fault, .. } => {
            return Some(Fault {
                code: AlertCode::InboxListFailed,
                program: None,
                title: None,
                detail: Some(crate::words::code_of(pull_fault)),
                words: Some((w.say(Lang::Vi).into_owned(), w.say(Lang::En).into_owned())),
            });
        }
        Warning::InboxQuarantined { count, file, .. } => {
            return Some(Fault {
                code: AlertCode::InboxQuarantined,
                program: None,
                title: Some(file.clone()),
                detail: Some(count.to_string()),
                words: Some((w.say(Lang::Vi).into_owned(), w.say(Lang::En).into_owned())),
            });
        }
        Warning::DiskLow {
            path,
            free_mb,
            warn_mb,
        } => {
            let words = (
                format!("còn {free_mb} MB trống trên {path} (cảnh báo khi dưới {warn_mb} MB)"),
                format!("{free_mb} MB free on {path} (warned below {warn_mb} MB)"),
            );
            return Some(Fault {
                code: AlertCode::DiskLow,
                program: None,
                title: None,
                detail: Some(free_mb.to_string()),
                words: Some(words),
            });
        }
        _ => return None,
    };
    Some(Fault::plain(code, Some(detail)))
}

/// The first wait after a webhook failed, and the longest.
const RETRY_FIRST: Duration = Duration::from_secs(5);
const RETRY_MAX: Duration = Duration::from_secs(600);
/// How long a webhook may take to answer.
const POST_TIMEOUT: Duration = Duration::from_secs(10);
/// Records read from the log per look.
const LOG_BATCH: usize = 500;

/// Runs the alerts of the daemon behind `handle` until it stops; returns the teller the
/// daemon uses for what only it knows.
pub fn start(handle: DaemonHandle) -> (Teller, impl std::future::Future<Output = ()> + Send) {
    let (tx, rx) = mpsc::unbounded_channel();
    (tx, run(handle, rx))
}

struct State {
    /// Last time each fault was queued (for `dedup`).
    sent: HashMap<String, DateTime<Utc>>,
    /// Warnings seen in the last status: only new ones raise an alert.
    warnings: Vec<Warning>,
    /// Per webhook: when it may be tried again, and the wait after its next failure.
    backoff: HashMap<String, (tokio::time::Instant, Duration)>,
}

async fn run(handle: DaemonHandle, mut told: mpsc::UnboundedReceiver<Told>) {
    let mut log_rx = handle.station().store.watch_log();
    let mut status_rx = handle.watch_status();
    let mut state = State {
        sent: HashMap::new(),
        warnings: Vec::new(),
        backoff: HashMap::new(),
    };
    // The log is read when it changed (and once at start), not on every status push (a relay
    // or a live broadcast on air pushes two a second).
    let mut log_changed = true;
    loop {
        let station = handle.station();
        // Nothing to send to: nothing is looked at (the log position stays; faults more than
        // a day old are never sent, so a webhook added later is not sent the past).
        if !station.config.alerts.webhooks.is_empty() {
            if std::mem::take(&mut log_changed) {
                look_at_log(&station, &mut state).await;
            }
            let status = status_rx.borrow_and_update().clone();
            look_at_status(&station, &mut state, &status.warnings).await;
        }
        let wake = send_waiting(&station, &mut state).await;
        tokio::select! {
            changed = log_rx.changed() => {
                if changed.is_err() {
                    return;
                }
                log_changed = true;
            }
            changed = status_rx.changed() => if changed.is_err() { return },
            t = told.recv() => match t {
                None => return,
                Some(Told::ClockStepped { step_s }) => {
                    let detail = crate::config::duration::format_duration(Duration::from_secs(step_s.unsigned_abs()));
                    let words = if step_s >= 0 {
                        (format!("tiến {detail}"), format!("forward by {detail}"))
                    } else {
                        (format!("lùi {detail}"), format!("back by {detail}"))
                    };
                    let fault = Fault {
                        code: AlertCode::ClockStepped,
                        program: None,
                        title: None,
                        detail: Some(step_s.to_string()),
                        words: Some(words),
                    };
                    queue(&station, &mut state, vec![fault], None).await;
                }
            },
            () = sleep_until(wake) => {}
        }
    }
}

async fn sleep_until(at: Option<tokio::time::Instant>) {
    match at {
        Some(at) => tokio::time::sleep_until(at).await,
        None => std::future::pending().await,
    }
}

/// Runs blocking store work off the runtime.
async fn blocking<T: Send + 'static>(f: impl FnOnce() -> T + Send + 'static) -> Option<T> {
    tokio::task::spawn_blocking(f).await.ok()
}

/// Looks through the log from the position on: a failed or missed play raises an alert; the
/// position stops at a play still on air (its end is not written yet).
async fn look_at_log(station: &Arc<Station>, state: &mut State) {
    let store = station.store.clone();
    let since = station.clock.now() - chrono::TimeDelta::days(1);
    let found = blocking(move || -> Option<(Vec<AsRunRecord>, u64)> {
        let stored = store.alerts_hwm().ok()?;
        let mut hwm = stored;
        if hwm == 0 {
            // The first look at a log (alerts newly set up): not its whole past.
            let last = store.last_record().ok()?.map_or(0, |r| r.id);
            hwm = last.saturating_sub(LOG_BATCH as u64);
        }
        let mut records = store.records_from(hwm + 1).ok()?;
        records.truncate(LOG_BATCH);
        let mut last = hwm;
        let mut faults = Vec::new();
        for r in records {
            if r.reason.as_deref() == Some(crate::asrun::ON_AIR) {
                break;
            }
            last = r.id;
            faults.push(r);
        }
        (last != stored).then_some((faults, last))
    })
    .await
    .flatten();
    let Some((records, last)) = found else { return };
    // A fault more than a day old is history (the report has it), not an alert.
    let faults = records
        .iter()
        .filter(|r| r.ended_at.or(r.started_at).unwrap_or(r.scheduled_at) >= since)
        .filter_map(of_record)
        .collect();
    queue(station, state, faults, Some(last)).await;
}

async fn look_at_status(station: &Arc<Station>, state: &mut State, warnings: &[Warning]) {
    let new: Vec<Fault> = warnings
        .iter()
        .filter(|w| !state.warnings.iter().any(|seen| seen.same_kind(w)))
        .filter_map(of_warning)
        .collect();
    state.warnings = warnings.to_vec();
    if !new.is_empty() {
        queue(station, state, new, None).await;
    }
}

/// Words the faults, drops those sent within `dedup`, and keeps the rest in the outbox
/// (with the log position, when given, in the same write).
async fn queue(station: &Arc<Station>, state: &mut State, faults: Vec<Fault>, hwm: Option<u64>) {
    let now = station.clock.now();
    let dedup = chrono::TimeDelta::from_std(station.config.alerts.dedup).unwrap_or_default();
    let webhooks = station.config.alerts.webhooks.clone();
    let mut events = Vec::new();
    for fault in faults {
        let key = fault.key();
        if state.sent.get(&key).is_some_and(|at| now - *at < dedup) {
            tracing::info!(alert = %key, "alert not sent again within dedup");
            continue;
        }
        state.sent.insert(key, now);
        let waiting = Waiting {
            alert: fault.worded(station),
            pending: webhooks.clone(),
        };
        events.push(serde_json::to_vec(&waiting).unwrap_or_default());
    }
    state.sent.retain(|_, at| now - *at < dedup);
    let store = station.store.clone();
    let kept = blocking(move || store.alerts_push(&events, hwm)).await;
    if let Some(Err(e)) = kept {
        tracing::error!(error = %e, "cannot keep alerts to send");
    }
}

/// Sends what waits to each webhook that may be tried now; returns when to try again.
async fn send_waiting(station: &Arc<Station>, state: &mut State) -> Option<tokio::time::Instant> {
    let store = station.store.clone();
    let waiting = blocking(move || store.alerts_waiting().ok())
        .await
        .flatten()?;
    if waiting.is_empty() {
        return None;
    }
    if let Some(at) = station.config.alerts.digest_at {
        let due = digest_due(station, at);
        if due > tokio::time::Instant::now() {
            return Some(due);
        }
        return send_digest(station, state, waiting).await;
    }
    let mut wake: Option<tokio::time::Instant> = None;
    for (seq, json) in waiting {
        let Ok(mut w) = serde_json::from_slice::<Waiting>(&json) else {
            let store = station.store.clone();
            let _ = blocking(move || store.alert_update(seq, None)).await;
            continue;
        };
        let body = serde_json::to_vec(&w.alert).unwrap_or_default();
        let mut still = Vec::new();
        for url in w.pending.drain(..) {
            if let Some(until) = blocked(state, &url) {
                wake = Some(wake.map_or(until, |w| w.min(until)));
                still.push(url);
                continue;
            }
            if post(&url, body.clone()).await {
                state.backoff.remove(&url);
            } else {
                let until = failed(state, &url);
                wake = Some(wake.map_or(until, |w| w.min(until)));
                still.push(url);
            }
        }
        w.pending = still;
        let store = station.store.clone();
        let update = (!w.pending.is_empty()).then(|| serde_json::to_vec(&w).unwrap_or_default());
        let _ = blocking(move || store.alert_update(seq, update.as_deref())).await;
    }
    wake
}

/// The daily digest: every waiting event in one POST per webhook.
async fn send_digest(
    station: &Arc<Station>,
    state: &mut State,
    waiting: Vec<(u64, Vec<u8>)>,
) -> Option<tokio::time::Instant> {
    let events: Vec<(u64, Waiting)> = waiting
        .into_iter()
        .filter_map(|(seq, j)| Some((seq, serde_json::from_slice(&j).ok()?)))
        .collect();
    let webhooks = station.config.alerts.webhooks.clone();
    let mut wake = None;
    for url in webhooks {
        let mine: Vec<&Alert> = events
            .iter()
            .filter(|(_, w)| w.pending.contains(&url))
            .map(|(_, w)| &w.alert)
            .collect();
        if mine.is_empty() {
            continue;
        }
        let body = serde_json::to_vec(&serde_json::json!({
            "station": station.config.station.name,
            "digest": mine,
        }))
        .unwrap_or_default();
        if post(&url, body).await {
            state.backoff.remove(&url);
            for (seq, w) in &events {
                let mut w = w.clone();
                w.pending.retain(|u| *u != url);
                let update =
                    (!w.pending.is_empty()).then(|| serde_json::to_vec(&w).unwrap_or_default());
                let (store, seq) = (station.store.clone(), *seq);
                let _ = blocking(move || store.alert_update(seq, update.as_deref())).await;
            }
        } else {
            wake = Some(failed(state, &url));
        }
    }
    wake
}

/// When the next digest is due (monotonic), from the station clock.
fn digest_due(station: &Station, at: chrono::NaiveTime) -> tokio::time::Instant {
    let now = station.clock.now();
    let local = station.local(now);
    let today = local.date_naive().and_time(at);
    let utc = |t: chrono::NaiveDateTime| {
        use chrono::TimeZone;
        station
            .tz()
            .from_local_datetime(&t)
            .earliest()
            .map(|d| d.with_timezone(&Utc))
    };
    let due = utc(today)
        .filter(|d| *d > now)
        .or_else(|| utc(today + chrono::TimeDelta::days(1)));
    let wait = due
        .and_then(|d| (d - now).to_std().ok())
        .unwrap_or(Duration::from_secs(3600));
    tokio::time::Instant::now() + wait
}

fn blocked(state: &State, url: &str) -> Option<tokio::time::Instant> {
    state
        .backoff
        .get(url)
        .map(|(until, _)| *until)
        .filter(|until| *until > tokio::time::Instant::now())
}

/// Notes a failed POST to `url`; returns when it may be tried again.
fn failed(state: &mut State, url: &str) -> tokio::time::Instant {
    let wait = state
        .backoff
        .get(url)
        .map_or(RETRY_FIRST, |(_, w)| (*w * 2).min(RETRY_MAX));
    let until = tokio::time::Instant::now() + wait;
    state.backoff.insert(url.to_string(), (until, wait));
    until
}

/// POSTs `body` as JSON; whether the receiver took it (a 2xx answer).
async fn post(url: &str, body: Vec<u8>) -> bool {
    let target = url.to_string();
    let answer = blocking(move || {
        let agent: ureq::Agent = ureq::Agent::config_builder()
            .timeout_global(Some(POST_TIMEOUT))
            .http_status_as_error(false)
            .build()
            .into();
        agent
            .post(&target)
            .header("Content-Type", "application/json")
            .send(&body[..])
            .map(|r| r.status().as_u16())
    })
    .await;
    match answer {
        Some(Ok(status)) if (200..300).contains(&status) => {
            tracing::info!(%url, status, "alert sent");
            true
        }
        Some(Ok(status)) => {
            tracing::warn!(%url, status, "the webhook refused an alert; retrying later");
            false
        }
        Some(Err(e)) => {
            tracing::warn!(%url, error = %e, "cannot reach the webhook; retrying later");
            false
        }
        None => false,
    }
}
