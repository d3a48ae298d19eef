//! `/events`: what the operator's page shows, pushed as it changes (server-sent events), so
//! an open page polls nothing and costs the daemon nothing while nothing happens. Only a
//! request with `Accept: text/event-stream` gets the stream (else 406): a client that reads
//! answers to the end is never left waiting on one that has none.
//!
//! The stream opens with `status` (what `/now` answers) and the latest `log` records
//! (`?log=N`, 10 by default), then sends `status` whenever what is on air changes and `log`
//! for every record written (appended, or rewritten when its play ends). Nothing wakes the
//! stream but those changes and a keep-alive comment every [`KEEP_ALIVE`]: no timer works
//! while the station is idle. A client that stops reading is dropped by the server's send
//! stall timeout (see `server`); at most [`MAX_STREAMS`] streams are open at once, so event
//! streams (busy connections, never evicted) cannot crowd out other requests.

use std::convert::Infallible;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use axum::body::{Body, Bytes, HttpBody};
use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use hyper::body::Frame;
use serde::Deserialize;
use tokio::sync::{OwnedSemaphorePermit, Semaphore, mpsc};

use super::{ApiError, ApiResult, AppState};
use crate::daemon::Shutdown;
use crate::model::AsRunRecord;
use crate::service::Station;

/// A comment line this often keeps proxies and the browser from closing a quiet stream.
pub const KEEP_ALIVE: Duration = Duration::from_secs(30);
/// Event streams open at once (an operator or two, a few tabs each).
pub const MAX_STREAMS: usize = 8;
/// Most log records the stream opens with.
pub const MAX_LOG: usize = 100;
/// Events waiting for the connection; a slow client holds the stream's task, not memory.
const QUEUED: usize = 16;

/// The permits of open event streams.
pub(crate) fn streams() -> Arc<Semaphore> {
    Arc::new(Semaphore::new(MAX_STREAMS))
}

#[derive(Debug, Deserialize)]
pub(super) struct EventsQuery {
    /// How many of the latest log records the stream opens with (0 to [`MAX_LOG`]).
    log: Option<usize>,
}

pub(super) async fn events(
    State(state): State<AppState>,
    headers: axum::http::HeaderMap,
    query: Result<Query<EventsQuery>, QueryRejection>,
) -> ApiResult<Response> {
    let Query(q) = query?;
    // A stream never ends: only a client that asks for one gets it (EventSource always
    // does); any other is told, at once.
    let asks = headers
        .get_all(header::ACCEPT)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .any(|v| v.contains("text/event-stream"));
    if !asks {
        return Err(ApiError::new(
            StatusCode::NOT_ACCEPTABLE,
            "this route is an endless event stream",
            Some("send Accept: text/event-stream (EventSource does); GET /api/v1/now answers once"),
        ));
    }
    let first = q.log.unwrap_or(10);
    if first > MAX_LOG {
        return Err(ApiError::bad_request(
            format!("log={first} is too many records to open the stream with"),
            &format!("use log=0 to log={MAX_LOG}; GET /api/v1/log lists more"),
        ));
    }
    let Ok(permit) = state.streams.clone().try_acquire_owned() else {
        return Err(ApiError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            format!("{MAX_STREAMS} event streams are open already"),
            Some("close a tab of the station page, or poll GET /api/v1/now instead"),
        ));
    };
    let (tx, rx) = mpsc::channel(QUEUED);
    tokio::spawn(feed(state, tx, first, permit));
    Ok((
        [
            (header::CONTENT_TYPE, "text/event-stream"),
            (header::CACHE_CONTROL, "no-cache"),
        ],
        Body::new(EventBody { rx }),
    )
        .into_response())
}

/// One `event:` with its JSON `data:` line (compact JSON never holds a line break).
fn event(name: &str, data: &impl serde::Serialize) -> Bytes {
    let json = serde_json::to_string(data).unwrap_or_else(|_| "null".into());
    Bytes::from(format!("event: {name}\ndata: {json}\n\n"))
}

/// One `log` event: the record as `/log` gives it, its reason as a code
/// ([`crate::service::with_coded_reason`]).
fn log_event(r: AsRunRecord) -> Bytes {
    event("log", &crate::service::with_coded_reason(r))
}

/// The status as `/now` gives it: the daemon's, with the repeats as the store holds them.
async fn status(state: &AppState) -> Option<String> {
    let mut status = state.handle.status();
    let station = state.handle.station();
    status.emergencies = tokio::task::spawn_blocking(move || station.emergency_repeats())
        .await
        .ok()?
        .ok()?;
    serde_json::to_string(&status).ok()
}

/// Reads records with ids from `first` on, off the async threads.
async fn records_from(station: Arc<Station>, first: u64) -> Vec<AsRunRecord> {
    let read = tokio::task::spawn_blocking(move || station.store.records_from(first)).await;
    match read {
        Ok(Ok(records)) => records,
        Ok(Err(e)) => {
            tracing::warn!(error = %e, "event stream: cannot read the new log records");
            Vec::new()
        }
        Err(_) => Vec::new(),
    }
}

/// The latest `n` records, oldest first.
async fn latest(station: Arc<Station>, n: usize) -> Vec<AsRunRecord> {
    let read = tokio::task::spawn_blocking(move || {
        let mut out: Vec<AsRunRecord> = station
            .store
            .records_rev()
            .take(n)
            .filter_map(Result::ok)
            .collect();
        out.reverse();
        out
    });
    read.await.unwrap_or_default()
}

/// Sends what changes to `tx` until the client leaves or the daemon stops.
async fn feed(
    state: AppState,
    tx: mpsc::Sender<Bytes>,
    first: usize,
    _permit: OwnedSemaphorePermit,
) {
    let mut shutdown = state.shutdown.clone();
    let mut status_rx = state.handle.watch_status();
    let station = state.handle.station();
    let mut log_rx = station.store.watch_log();
    let mut sent_up_to = *log_rx.borrow_and_update();
    status_rx.borrow_and_update();
    let mut last_status = status(&state).await.unwrap_or_default();
    let mut opening = vec![Bytes::from(format!(
        "retry: 3000\nevent: status\ndata: {last_status}\n\n"
    ))];
    for r in latest(station.clone(), first).await {
        sent_up_to = sent_up_to.max(r.id);
        opening.push(log_event(r));
    }
    for bytes in opening {
        if tx.send(bytes).await.is_err() {
            return;
        }
    }
    let mut keep_alive = Box::pin(tokio::time::sleep(KEEP_ALIVE));
    loop {
        let mut out = Vec::new();
        tokio::select! {
            () = tx.closed() => return,
            () = shutdown.wait() => return,
            changed = status_rx.changed() => {
                if changed.is_err() {
                    return; // the daemon is gone
                }
            }
            changed = log_rx.changed() => {
                if changed.is_err() {
                    return;
                }
                let id = *log_rx.borrow_and_update();
                // From the last record sent: its end may have been written since.
                for r in records_from(station.clone(), sent_up_to.min(id).max(1)).await {
                    sent_up_to = sent_up_to.max(r.id);
                    out.push(log_event(r));
                }
            }
            () = keep_alive.as_mut() => out.push(Bytes::from_static(b": keep-alive\n\n")),
        }
        // Whatever woke the stream, the status it shows may have changed with it (a play
        // that ended, a repeat that moved on).
        status_rx.borrow_and_update();
        if let Some(now) = status(&state).await
            && now != last_status
        {
            out.insert(0, Bytes::from(format!("event: status\ndata: {now}\n\n")));
            last_status = now;
        }
        for bytes in out {
            if tx.send(bytes).await.is_err() {
                return;
            }
        }
        keep_alive
            .as_mut()
            .reset(tokio::time::Instant::now() + KEEP_ALIVE);
    }
}

/// The response body: the events the feeding task sends, as they come; dropping it (the
/// client left) ends the task.
struct EventBody {
    rx: mpsc::Receiver<Bytes>,
}

impl HttpBody for EventBody {
    type Data = Bytes;
    type Error = Infallible;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, Infallible>>> {
        self.get_mut()
            .rx
            .poll_recv(cx)
            .map(|next| next.map(|bytes| Ok(Frame::data(bytes))))
    }
}

/// A shutdown that never comes, for a router served without one.
pub(super) fn never() -> Shutdown {
    Shutdown::new().1
}
