//! A cap on open HTTP connections: past `http.max_connections`, the listener stops accepting
//! until one closes, so new clients wait in the kernel's backlog (and shippers retry) instead of
//! the server running out of file descriptors or memory. A connection on which nothing is read or
//! written for `http.idle_timeout` is closed, so idle or deliberately slow clients cannot hold the
//! slots (keep-alive shippers reconnect).

use std::io;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};
use tokio::time::{Instant, Sleep};
use vigil_ingest::{ConnectionGuard, InputMetrics};

/// A listener that holds at most `max` connections open at once.
pub struct LimitedListener<L> {
    inner: L,
    permits: Arc<Semaphore>,
    max: usize,
    idle_timeout: Duration,
    metrics: Arc<InputMetrics>,
    /// Set while the limit is reached, so the warning is logged once per episode.
    saturated: bool,
}

impl<L> LimitedListener<L> {
    pub fn new(inner: L, max: usize, idle_timeout: Duration, metrics: Arc<InputMetrics>) -> Self {
        LimitedListener {
            inner,
            permits: Arc::new(Semaphore::new(max.max(1))),
            max,
            idle_timeout,
            metrics,
            saturated: false,
        }
    }
}

impl<L: axum::serve::Listener> axum::serve::Listener for LimitedListener<L> {
    type Io = Counted<L::Io>;
    type Addr = L::Addr;

    async fn accept(&mut self) -> (Self::Io, Self::Addr) {
        let permit = match Arc::clone(&self.permits).try_acquire_owned() {
            Ok(p) => p,
            Err(_) => {
                if !std::mem::replace(&mut self.saturated, true) {
                    tracing::warn!(
                        max = self.max,
                        "HTTP connection limit reached (http.max_connections): new connections wait until one closes"
                    );
                }
                let Ok(p) = Arc::clone(&self.permits).acquire_owned().await else {
                    unreachable!("the connection semaphore is never closed")
                };
                self.saturated = false;
                p
            }
        };
        let (io, addr) = self.inner.accept().await;
        let guard = self.metrics.open_connection();
        (
            Counted {
                io,
                idle: Box::pin(tokio::time::sleep(self.idle_timeout)),
                timeout: self.idle_timeout,
                _permit: permit,
                _guard: guard,
            },
            addr,
        )
    }

    fn local_addr(&self) -> io::Result<Self::Addr> {
        self.inner.local_addr()
    }
}

/// A connection that gives its slot back (and updates the open-connections gauge) when dropped,
/// and fails with `TimedOut` once it has been idle for `timeout`.
pub struct Counted<T> {
    io: T,
    idle: Pin<Box<Sleep>>,
    timeout: Duration,
    _permit: OwnedSemaphorePermit,
    _guard: ConnectionGuard,
}

impl<T> Counted<T> {
    /// Progress restarts the idle clock; waiting while the clock has run out is an error.
    fn track<R>(&mut self, cx: &mut Context<'_>, polled: Poll<io::Result<R>>) -> Poll<io::Result<R>> {
        match polled {
            Poll::Ready(r) => {
                self.idle.as_mut().reset(Instant::now() + self.timeout);
                Poll::Ready(r)
            }
            Poll::Pending if self.idle.as_mut().poll(cx).is_ready() => Poll::Ready(Err(io::Error::new(
                io::ErrorKind::TimedOut,
                "idle HTTP connection closed (http.idle_timeout)",
            ))),
            Poll::Pending => Poll::Pending,
        }
    }
}

impl<T: AsyncRead + Unpin> AsyncRead for Counted<T> {
    fn poll_read(self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &mut ReadBuf<'_>) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        let polled = Pin::new(&mut this.io).poll_read(cx, buf);
        this.track(cx, polled)
    }
}

impl<T: AsyncWrite + Unpin> AsyncWrite for Counted<T> {
    fn poll_write(self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        let polled = Pin::new(&mut this.io).poll_write(cx, buf);
        this.track(cx, polled)
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        let polled = Pin::new(&mut this.io).poll_flush(cx);
        this.track(cx, polled)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.io).poll_shutdown(cx)
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        let polled = Pin::new(&mut this.io).poll_write_vectored(cx, bufs);
        this.track(cx, polled)
    }

    fn is_write_vectored(&self) -> bool {
        self.io.is_write_vectored()
    }
}
