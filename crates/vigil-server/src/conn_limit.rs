//! A cap on open HTTP connections: past `http.max_connections`, the listener stops accepting
//! until one closes, so new clients wait in the kernel's backlog (and shippers retry) instead of
//! the server running out of file descriptors or memory. A connection on which nothing is read or
//! written for `http.idle_timeout` while no request of it is being handled is closed, so idle or
//! deliberately slow clients cannot hold the slots (keep-alive shippers reconnect), while a slow
//! handler (a long search, a rule reload) keeps its connection: [`track_requests`] marks a request
//! in flight from the end of its body (a client stalling inside a body is idle) until its response
//! is ready (a response body that stalls is idle again).

use std::io;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
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
                in_flight: Arc::default(),
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
    /// Requests of this connection being handled now (see [`track_requests`]).
    in_flight: Arc<AtomicUsize>,
    _permit: OwnedSemaphorePermit,
    _guard: ConnectionGuard,
}

impl<T> Counted<T> {
    /// Progress restarts the idle clock; waiting while the clock has run out is an error, unless
    /// a request is being handled (hyper reads on while its handler runs, to notice a hang-up).
    fn track<R>(&mut self, cx: &mut Context<'_>, polled: Poll<io::Result<R>>) -> Poll<io::Result<R>> {
        match polled {
            Poll::Ready(r) => {
                self.idle.as_mut().reset(Instant::now() + self.timeout);
                Poll::Ready(r)
            }
            Poll::Pending if self.idle.as_mut().poll(cx).is_ready() => {
                if self.in_flight.load(Ordering::Acquire) == 0 {
                    return Poll::Ready(Err(io::Error::new(
                        io::ErrorKind::TimedOut,
                        "idle HTTP connection closed (http.idle_timeout)",
                    )));
                }
                // Busy, not idle: look again a timeout from now (the poll registers the wake-up).
                self.idle.as_mut().reset(Instant::now() + self.timeout);
                let _ = self.idle.as_mut().poll(cx);
                Poll::Pending
            }
            Poll::Pending => Poll::Pending,
        }
    }
}

/// `app` wrapped (once, as a whole) for one connection: each request counts as in flight on `io`
/// once its body has been read and until its response is ready, so the idle timeout does not cut
/// a slow handler off.
pub fn track_requests<T>(
    app: axum::Router,
    io: &Counted<T>,
) -> impl tower::Service<
    axum::extract::Request,
    Response = axum::response::Response,
    Error = std::convert::Infallible,
    Future: Send,
>
+ Clone
+ Send
+ 'static
+ use<T> {
    let in_flight = Arc::clone(&io.in_flight);
    let layer = axum::middleware::from_fn(move |req: axum::extract::Request, next: axum::middleware::Next| {
        let request = Arc::new(InFlight {
            count: Arc::clone(&in_flight),
            counted: AtomicBool::new(false),
        });
        let req = if http_body::Body::is_end_stream(req.body()) {
            request.enter();
            req
        } else {
            let state = Arc::clone(&request);
            req.map(|body| axum::body::Body::new(CountAtEnd { body, state }))
        };
        async move {
            let response = next.run(req).await;
            request.leave();
            response
        }
    });
    tower::Layer::layer(&layer, app)
}

/// One request: counted in flight between [`enter`](Self::enter) and [`leave`](Self::leave) (or
/// its drop, when the request future is cancelled).
struct InFlight {
    count: Arc<AtomicUsize>,
    counted: AtomicBool,
}

impl InFlight {
    fn enter(&self) {
        if !self.counted.swap(true, Ordering::AcqRel) {
            self.count.fetch_add(1, Ordering::AcqRel);
        }
    }

    fn leave(&self) {
        if self.counted.swap(false, Ordering::AcqRel) {
            self.count.fetch_sub(1, Ordering::AcqRel);
        }
    }
}

impl Drop for InFlight {
    fn drop(&mut self) {
        self.leave();
    }
}

/// A request body that marks its request in flight once the last byte has been read.
struct CountAtEnd {
    body: axum::body::Body,
    state: Arc<InFlight>,
}

impl http_body::Body for CountAtEnd {
    type Data = axum::body::Bytes;
    type Error = axum::Error;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<http_body::Frame<Self::Data>, Self::Error>>> {
        let polled = Pin::new(&mut self.body).poll_frame(cx);
        match &polled {
            Poll::Ready(None) => self.state.enter(),
            Poll::Ready(Some(Ok(_))) if self.body.is_end_stream() => self.state.enter(),
            _ => {}
        }
        polled
    }

    fn is_end_stream(&self) -> bool {
        self.body.is_end_stream()
    }

    fn size_hint(&self) -> http_body::SizeHint {
        self.body.size_hint()
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

#[cfg(test)]
mod tests {
    use super::*;
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    /// Serves one route that takes `handler` to answer, behind a listener with `idle` timeout.
    async fn serve(idle: Duration, handler: Duration) -> std::net::SocketAddr {
        let tcp = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let addr = tcp.local_addr().expect("addr");
        let listener = LimitedListener::new(tcp, 4, idle, Arc::new(InputMetrics::default()));
        let app = axum::Router::new().route(
            "/slow",
            axum::routing::get(move || async move {
                tokio::time::sleep(handler).await;
                "done"
            })
            .post(move |body: String| async move {
                tokio::time::sleep(handler).await;
                format!("read {}", body.len())
            }),
        );
        let make = tower::service_fn(move |stream: axum::serve::IncomingStream<'_, LimitedListener<_>>| {
            std::future::ready(Ok::<_, std::convert::Infallible>(track_requests(
                app.clone(),
                stream.io(),
            )))
        });
        tokio::spawn(async move { axum::serve(listener, make).await });
        addr
    }

    /// The whole answer to `request` (which ends with `connection: close`), within 10 s.
    async fn answer(addr: std::net::SocketAddr, request: &[u8]) -> String {
        let ask = async {
            let mut c = tokio::net::TcpStream::connect(addr).await?;
            c.write_all(request).await?;
            let mut answer = String::new();
            #[expect(clippy::disallowed_methods, reason = "bounded by take(64 KiB)")]
            c.take(64 << 10).read_to_string(&mut answer).await?;
            io::Result::Ok(answer)
        };
        tokio::time::timeout(Duration::from_secs(10), ask)
            .await
            .expect("answered in time")
            .expect("read the answer")
    }

    /// Sends the start of a request and nothing more; returns what came back before the server
    /// closed the connection (failing if it is still open after 10 s).
    async fn cut_off(addr: std::net::SocketAddr, partial: &[u8]) -> (io::Result<usize>, Vec<u8>) {
        let mut c = tokio::net::TcpStream::connect(addr).await.expect("connect");
        c.write_all(partial).await.expect("write");
        let mut buf = Vec::new();
        #[expect(clippy::disallowed_methods, reason = "bounded by take(64 KiB)")]
        let read = tokio::time::timeout(Duration::from_secs(10), (&mut c).take(64 << 10).read_to_end(&mut buf))
            .await
            .expect("the server closes the connection");
        (read, buf)
    }

    #[tokio::test]
    async fn a_handler_slower_than_the_idle_timeout_still_answers() {
        let addr = serve(Duration::from_millis(200), Duration::from_millis(1200)).await;
        let answer = answer(addr, b"GET /slow HTTP/1.1\r\nhost: x\r\nconnection: close\r\n\r\n").await;
        assert!(answer.starts_with("HTTP/1.1 200"), "{answer:?}");
        assert!(answer.ends_with("done"), "{answer:?}");
    }

    #[tokio::test]
    async fn a_handler_slower_than_the_idle_timeout_answers_after_reading_a_body() {
        let addr = serve(Duration::from_millis(200), Duration::from_millis(1200)).await;
        let request = b"POST /slow HTTP/1.1\r\nhost: x\r\nconnection: close\r\ncontent-length: 5\r\n\r\nhello";
        let answer = answer(addr, request).await;
        assert!(answer.starts_with("HTTP/1.1 200"), "{answer:?}");
        assert!(answer.ends_with("read 5"), "{answer:?}");
    }

    /// A client that sends the headers and part of the body, then nothing, is idle: the handler
    /// waiting for the body must not keep the connection (and its slot) alive.
    #[tokio::test]
    async fn a_client_that_stops_mid_body_is_disconnected() {
        let addr = serve(Duration::from_millis(200), Duration::ZERO).await;
        let (read, buf) = cut_off(
            addr,
            b"POST /slow HTTP/1.1\r\nhost: x\r\ncontent-length: 1000\r\n\r\nonly ten b",
        )
        .await;
        assert!(
            read.is_err() || !String::from_utf8_lossy(&buf).contains("read "),
            "{buf:?}"
        );
    }

    #[tokio::test]
    async fn a_client_that_stops_mid_request_is_disconnected() {
        let addr = serve(Duration::from_millis(200), Duration::ZERO).await;
        let (read, buf) = cut_off(addr, b"GET /slow HTTP/1.1\r\nhost: x\r\n").await;
        assert!(
            read.is_err() || buf.is_empty() || buf.starts_with(b"HTTP/1.1 408"),
            "{buf:?}"
        );
    }
}
