//! The API's HTTP server: an accept loop over hyper's HTTP/1 connections, bounded so that
//! idle, slow or stalled clients can neither exhaust the daemon's file descriptors (which
//! the player needs to open its media files) nor keep `/health` out.
//!
//! - a request head must arrive within [`HEADER_TIMEOUT`] of the connection opening or of
//!   the previous response (so this is also the keep-alive idle timeout): a slowloris
//!   dribbling headers, or a socket opened and left silent, is closed;
//! - a request body that sends no byte for [`BODY_IDLE`] while read ends the request and
//!   the connection (a per-read limit: long uploads that keep moving are never cut);
//! - a response the client takes no byte of for [`SEND_IDLE`] ends the connection;
//! - at most [`limits::connection_cap`] connections are held; at the cap see [`slots`].
//!
//! The HTTP path takes no lock the player or the as-run writer hold: handlers read the
//! station through `DaemonHandle` (an `Arc` cloned under a short read lock) and talk to the
//! daemon over channels; blocking service calls run on tokio's blocking pool.

pub mod limits;
mod slots;
mod stall;

use std::convert::Infallible;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use axum::Router;
use axum::body::{Body, Bytes, HttpBody};
use hyper::body::{Frame, Incoming, SizeHint};
use hyper::server::conn::http1;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::service::TowerToHyperService;
use tokio::net::{TcpListener, TcpStream};

use crate::daemon::Shutdown;
use slots::{BusyGuard, Room, Slot, Slots};
pub use stall::BodyStalled;
use stall::{IdleBody, SendStall};

/// Time for a request head, from the connection's opening or its previous response.
pub const HEADER_TIMEOUT: Duration = Duration::from_secs(10);
/// Longest silence of a request body being read.
pub const BODY_IDLE: Duration = Duration::from_secs(15);
/// Longest time a client may take no byte of its response.
pub const SEND_IDLE: Duration = Duration::from_secs(15);
/// How long open requests may finish once the daemon stops.
pub const SHUTDOWN_GRACE: Duration = Duration::from_secs(5);
/// Pause after a failed `accept` that is not the client's doing (e.g. out of descriptors).
const ACCEPT_BACKOFF: Duration = Duration::from_millis(100);

/// Serves `app` on `listener` until `shutdown`, holding at most `cap` connections; then
/// lets open requests finish for [`SHUTDOWN_GRACE`].
pub async fn serve(listener: TcpListener, app: Router, cap: usize, mut shutdown: Shutdown) {
    let slots = Slots::new(cap);
    loop {
        let room = tokio::select! {
            () = shutdown.wait() => break,
            room = slots.wait_for_room() => room,
        };
        let (stream, peer) = tokio::select! {
            () = shutdown.wait() => break,
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                Err(e) => {
                    accept_failed(&e).await;
                    continue;
                }
            },
        };
        let permit = match room {
            Room::Free(permit) => permit,
            Room::Evictable => tokio::select! {
                () = shutdown.wait() => break,
                permit = slots.make_room() => permit,
            },
        };
        let slot = slots.register(permit);
        tokio::spawn(connection(
            stream,
            peer,
            slot,
            app.clone(),
            shutdown.clone(),
        ));
    }
    drop(listener);
    let held = slots.held();
    if held > 0 {
        tracing::info!(
            connections = held,
            "control API: letting open requests finish"
        );
    }
    let grace = SHUTDOWN_GRACE + Duration::from_secs(1);
    if tokio::time::timeout(grace, slots.all_closed())
        .await
        .is_err()
    {
        tracing::warn!(
            connections = slots.held(),
            "control API: connections still open after the grace time are dropped"
        );
    }
}

/// The body stall behind `e`, if a stalled request body is what ended it.
pub fn body_stalled<'e>(e: &'e (dyn std::error::Error + 'static)) -> Option<&'e BodyStalled> {
    let mut next = Some(e);
    while let Some(e) = next {
        if let Some(stalled) = e.downcast_ref::<BodyStalled>() {
            return Some(stalled);
        }
        next = e.source();
    }
    None
}

async fn accept_failed(e: &std::io::Error) {
    use std::io::ErrorKind::{ConnectionAborted, ConnectionReset, Interrupted};
    if matches!(e.kind(), ConnectionAborted | ConnectionReset | Interrupted) {
        return;
    }
    tracing::warn!(error = %e, "control API: cannot accept a connection");
    tokio::time::sleep(ACCEPT_BACKOFF).await;
}

/// One connection, until the client leaves, a timeout, an eviction or the shutdown.
async fn connection(
    stream: TcpStream,
    peer: SocketAddr,
    slot: Slot,
    app: Router,
    mut shutdown: Shutdown,
) {
    let slot = Arc::new(slot);
    let io = TokioIo::new(SendStall::new(stream, SEND_IDLE));
    let tower = TowerToHyperService::new(app);
    let requests = slot.clone();
    let service = hyper::service::service_fn(move |req: hyper::Request<Incoming>| {
        let busy = requests.busy();
        let req = req.map(|body| Body::new(IdleBody::new(body, BODY_IDLE)));
        let answer = hyper::service::Service::call(&tower, req);
        async move {
            let response = answer.await?;
            Ok::<_, Infallible>(response.map(|body| Body::new(BusyBody { body, _busy: busy })))
        }
    });
    let conn = http1::Builder::new()
        .timer(TokioTimer::new())
        .header_read_timeout(HEADER_TIMEOUT)
        .serve_connection(io, service);
    tokio::pin!(conn);
    let id = slot.conn.id();
    let result = tokio::select! {
        result = conn.as_mut() => result,
        () = shutdown.wait() => {
            conn.as_mut().graceful_shutdown();
            match tokio::time::timeout(SHUTDOWN_GRACE, conn.as_mut()).await {
                Ok(result) => result,
                Err(_) => return,
            }
        }
        () = slot.conn.evicted.notified() => {
            if !slot.conn.is_busy() {
                tracing::debug!(connection = id, %peer, "idle connection evicted");
                return;
            }
            // It turned busy meanwhile: answer, then close.
            conn.as_mut().graceful_shutdown();
            conn.as_mut().await
        }
    };
    if let Err(e) = result {
        tracing::debug!(connection = id, %peer, error = %e, "connection ended");
    }
}

/// A response body that keeps its connection busy until it is sent (or dropped).
struct BusyBody {
    body: Body,
    _busy: BusyGuard,
}

impl HttpBody for BusyBody {
    type Data = Bytes;
    type Error = axum::Error;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, Self::Error>>> {
        Pin::new(&mut self.get_mut().body).poll_frame(cx)
    }

    fn is_end_stream(&self) -> bool {
        self.body.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.body.size_hint()
    }
}
