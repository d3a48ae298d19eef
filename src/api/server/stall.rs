//! Stall timers for the two directions a client can starve: a request body that stops
//! arriving ([`IdleBody`], per frame, so a long upload that keeps moving is never cut) and a
//! response the client stops reading ([`SendStall`], per write). Either ends the request
//! and then the connection; the header read timeout (hyper's) covers the request head.

use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use axum::body::{Bytes, HttpBody};
use hyper::body::{Frame, SizeHint};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::time::{Instant, Sleep};

/// A timer armed while waiting and disarmed on progress.
#[derive(Debug)]
struct StallTimer {
    limit: Duration,
    sleep: Pin<Box<Sleep>>,
    armed: bool,
}

impl StallTimer {
    fn new(limit: Duration) -> StallTimer {
        StallTimer {
            limit,
            sleep: Box::pin(tokio::time::sleep(limit)),
            armed: false,
        }
    }

    fn progress(&mut self) {
        self.armed = false;
    }

    /// Called when the wrapped side is pending: true once it has been pending for `limit`.
    fn expired(&mut self, cx: &mut Context<'_>) -> bool {
        if !self.armed {
            self.armed = true;
            self.sleep.as_mut().reset(Instant::now() + self.limit);
        }
        self.sleep.as_mut().poll(cx).is_ready()
    }
}

/// The request body was silent for too long.
#[derive(Debug, thiserror::Error)]
#[error("no bytes of the request body arrived for {} s", .0.as_secs())]
pub struct BodyStalled(pub Duration);

/// A request body that fails once no frame arrived for its limit while read.
#[derive(Debug)]
pub struct IdleBody<B> {
    inner: B,
    timer: StallTimer,
}

impl<B> IdleBody<B> {
    pub fn new(inner: B, limit: Duration) -> IdleBody<B> {
        IdleBody {
            inner,
            timer: StallTimer::new(limit),
        }
    }
}

impl<B> HttpBody for IdleBody<B>
where
    B: HttpBody<Data = Bytes> + Unpin,
    B::Error: Into<axum::BoxError>,
{
    type Data = Bytes;
    type Error = axum::BoxError;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, Self::Error>>> {
        let this = self.get_mut();
        match Pin::new(&mut this.inner).poll_frame(cx) {
            Poll::Ready(frame) => {
                this.timer.progress();
                Poll::Ready(frame.map(|f| f.map_err(Into::into)))
            }
            Poll::Pending if this.timer.expired(cx) => {
                Poll::Ready(Some(Err(BodyStalled(this.timer.limit).into())))
            }
            Poll::Pending => Poll::Pending,
        }
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.inner.size_hint()
    }
}

/// A socket whose writes fail once the peer has not taken a byte for the limit.
#[derive(Debug)]
pub struct SendStall<S> {
    inner: S,
    timer: StallTimer,
}

impl<S> SendStall<S> {
    pub fn new(inner: S, limit: Duration) -> SendStall<S> {
        SendStall {
            inner,
            timer: StallTimer::new(limit),
        }
    }

    fn check<T>(
        &mut self,
        cx: &mut Context<'_>,
        poll: Poll<std::io::Result<T>>,
    ) -> Poll<std::io::Result<T>> {
        match poll {
            Poll::Ready(r) => {
                self.timer.progress();
                Poll::Ready(r)
            }
            Poll::Pending if self.timer.expired(cx) => Poll::Ready(Err(std::io::Error::new(
                std::io::ErrorKind::TimedOut,
                format!(
                    "the client took no bytes of the response for {:?}",
                    self.timer.limit
                ),
            ))),
            Poll::Pending => Poll::Pending,
        }
    }
}

impl<S: AsyncRead + Unpin> AsyncRead for SendStall<S> {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.get_mut().inner).poll_read(cx, buf)
    }
}

impl<S: AsyncWrite + Unpin> AsyncWrite for SendStall<S> {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<std::io::Result<usize>> {
        let this = self.get_mut();
        let poll = Pin::new(&mut this.inner).poll_write(cx, buf);
        this.check(cx, poll)
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[std::io::IoSlice<'_>],
    ) -> Poll<std::io::Result<usize>> {
        let this = self.get_mut();
        let poll = Pin::new(&mut this.inner).poll_write_vectored(cx, bufs);
        this.check(cx, poll)
    }

    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        let this = self.get_mut();
        let poll = Pin::new(&mut this.inner).poll_flush(cx);
        this.check(cx, poll)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        let this = self.get_mut();
        let poll = Pin::new(&mut this.inner).poll_shutdown(cx);
        this.check(cx, poll)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    type Chunk = Result<Frame<Bytes>, std::io::Error>;

    struct ChannelBody(tokio::sync::mpsc::Receiver<Chunk>);

    impl HttpBody for ChannelBody {
        type Data = Bytes;
        type Error = std::io::Error;
        fn poll_frame(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Chunk>> {
            self.get_mut().0.poll_recv(cx)
        }
    }

    /// Reads a body to its end (bytes read) or its first error.
    async fn drain(mut body: IdleBody<ChannelBody>) -> Result<usize, axum::BoxError> {
        let mut n = 0;
        while let Some(frame) = std::future::poll_fn(|cx| Pin::new(&mut body).poll_frame(cx)).await
        {
            n += frame?.into_data().map(|d| d.len()).unwrap_or(0);
        }
        Ok(n)
    }

    const LIMIT: Duration = Duration::from_secs(15);

    #[tokio::test(start_paused = true)]
    async fn a_body_that_keeps_moving_is_never_cut_one_that_stalls_is() {
        let (tx, rx) = tokio::sync::mpsc::channel::<Chunk>(1);
        let reader = tokio::spawn(drain(IdleBody::new(ChannelBody(rx), LIMIT)));
        // 40 s of upload, a chunk every 10 s: longer than the limit in all, never silent
        // for that long.
        for _ in 0..4 {
            tokio::time::sleep(Duration::from_secs(10)).await;
            let chunk = Frame::data(Bytes::from_static(b"abcd"));
            tx.send(Ok(chunk)).await.expect("reader alive");
        }
        drop(tx);
        assert_eq!(reader.await.expect("no panic").expect("not cut"), 16);

        let (tx, rx) = tokio::sync::mpsc::channel::<Chunk>(1);
        let started = Instant::now();
        let err = drain(IdleBody::new(ChannelBody(rx), LIMIT))
            .await
            .expect_err("a silent body is cut");
        assert!(err.is::<BodyStalled>(), "{err}");
        assert_eq!(started.elapsed(), LIMIT);
        drop(tx);
    }

    #[tokio::test(start_paused = true)]
    async fn a_reader_that_stops_taking_bytes_fails_the_write() {
        let (ours, mut theirs) = tokio::io::duplex(1024);
        let mut ours = SendStall::new(ours, LIMIT);
        let chunk = [7u8; 512];
        // A slow reader, one read every 10 s: the writes go on.
        let slow = tokio::spawn(async move {
            let mut buf = [0u8; 1024];
            for _ in 0..3 {
                tokio::time::sleep(Duration::from_secs(10)).await;
                theirs.read_exact(&mut buf).await.expect("read");
            }
            theirs
        });
        for _ in 0..6 {
            ours.write_all(&chunk)
                .await
                .expect("a slow reader is served");
        }
        // It stops reading: the next write that cannot go out fails after the limit.
        let _theirs = slow.await.expect("no panic");
        let started = Instant::now();
        let err = loop {
            if let Err(e) = ours.write_all(&chunk).await {
                break e;
            }
        };
        assert_eq!(err.kind(), std::io::ErrorKind::TimedOut, "{err}");
        assert_eq!(started.elapsed(), LIMIT);
    }
}
