//! A cap on open HTTP connections: past `http.max_connections`, the listener stops accepting
//! until one closes, so new clients wait in the kernel's backlog (and shippers retry) instead of
//! the server running out of file descriptors or memory.

use std::io;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};
use vigil_ingest::{ConnectionGuard, InputMetrics};

/// A listener that holds at most `max` connections open at once.
pub struct LimitedListener<L> {
    inner: L,
    permits: Arc<Semaphore>,
    max: usize,
    metrics: Arc<InputMetrics>,
    /// Set while the limit is reached, so the warning is logged once per episode.
    saturated: bool,
}

impl<L> LimitedListener<L> {
    pub fn new(inner: L, max: usize, metrics: Arc<InputMetrics>) -> Self {
        LimitedListener {
            inner,
            permits: Arc::new(Semaphore::new(max.max(1))),
            max,
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

/// A connection that gives its slot back (and updates the open-connections gauge) when dropped.
pub struct Counted<T> {
    io: T,
    _permit: OwnedSemaphorePermit,
    _guard: ConnectionGuard,
}

impl<T: AsyncRead + Unpin> AsyncRead for Counted<T> {
    fn poll_read(mut self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &mut ReadBuf<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.io).poll_read(cx, buf)
    }
}

impl<T: AsyncWrite + Unpin> AsyncWrite for Counted<T> {
    fn poll_write(mut self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.io).poll_write(cx, buf)
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.io).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.io).poll_shutdown(cx)
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.io).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.io.is_write_vectored()
    }
}
