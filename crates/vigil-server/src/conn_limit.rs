//! Limits on the HTTP listener's connections, plain or TLS (the TLS handshake runs on a counted
//! connection, so handshakes in progress take slots too):
//!
//! - **At most `http.max_connections` open.** Past it the listener stops accepting until one
//!   closes, so new clients wait in the kernel's backlog (and shippers retry) instead of the
//!   server running out of file descriptors or memory.
//! - **At most `http.max_connections_per_ip` from one address.** One more is closed at once, so a
//!   few hundred sockets from one client cannot take every slot.
//! - **Request headers within `http.header_read_timeout`.** From the connection's start (TLS
//!   handshake included) and from the first byte of each further request, a client has this long
//!   to send a whole request head; one that trickles it is closed.
//! - **Idle for `http.idle_timeout`.** A connection on which nothing is read or written for that
//!   long while no request of it is being handled is closed, so idle clients cannot hold the
//!   slots (keep-alive shippers reconnect), while a slow handler (a long search, a rule reload)
//!   keeps its connection: [`track_requests`] marks a request in flight from the end of its body
//!   (a client stalling inside a body is idle) until its response is ready (a response body that
//!   stalls is idle again).

use std::io;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU8, AtomicUsize, Ordering};
use std::task::{Context, Poll};
use std::time::Duration;

use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};
use tokio::time::{Instant, Sleep};
use vigil_ingest::{ConnectionGuard, InputMetrics, IpSlot, PerIpLimit};

/// The limits of a listener (see the module documentation).
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    pub max_connections: usize,
    pub max_connections_per_ip: usize,
    pub header_read_timeout: Duration,
    pub idle_timeout: Duration,
}

/// A TCP listener that applies [`Limits`] to the connections it accepts.
pub struct LimitedListener {
    inner: tokio::net::TcpListener,
    permits: Arc<Semaphore>,
    per_ip: PerIpLimit,
    limits: Limits,
    metrics: Arc<InputMetrics>,
    /// Set while the limit is reached, so the warning is logged once per episode.
    saturated: bool,
    /// Per-address refusals not yet logged (logged at most once a second).
    refused: u64,
    last_refusal_log: Option<Instant>,
}

impl LimitedListener {
    pub fn new(inner: tokio::net::TcpListener, limits: Limits, metrics: Arc<InputMetrics>) -> Self {
        LimitedListener {
            inner,
            permits: Arc::new(Semaphore::new(limits.max_connections.max(1))),
            per_ip: PerIpLimit::new(limits.max_connections_per_ip),
            limits,
            metrics,
            saturated: false,
            refused: 0,
            last_refusal_log: None,
        }
    }

    async fn permit(&mut self) -> OwnedSemaphorePermit {
        if let Ok(p) = Arc::clone(&self.permits).try_acquire_owned() {
            return p;
        }
        if !std::mem::replace(&mut self.saturated, true) {
            tracing::warn!(
                max = self.limits.max_connections,
                "HTTP connection limit reached (http.max_connections): new connections wait until one closes"
            );
        }
        let Ok(p) = Arc::clone(&self.permits).acquire_owned().await else {
            unreachable!("the connection semaphore is never closed")
        };
        self.saturated = false;
        p
    }

    fn note_refusal(&mut self, peer: SocketAddr) {
        self.metrics.add_refused();
        self.refused += 1;
        let now = Instant::now();
        if self
            .last_refusal_log
            .is_none_or(|at| now.duration_since(at) >= Duration::from_secs(1))
        {
            tracing::warn!(
                %peer,
                refused = self.refused,
                max = self.per_ip.max(),
                "too many connections from one address (http.max_connections_per_ip): closed"
            );
            self.refused = 0;
            self.last_refusal_log = Some(now);
        }
    }
}

impl axum::serve::Listener for LimitedListener {
    type Io = Counted<tokio::net::TcpStream>;
    type Addr = SocketAddr;

    async fn accept(&mut self) -> (Self::Io, Self::Addr) {
        let permit = self.permit().await;
        loop {
            let (io, addr) = axum::serve::Listener::accept(&mut self.inner).await;
            let Some(slot) = self.per_ip.try_acquire(addr.ip()) else {
                drop(io);
                self.note_refusal(addr);
                continue;
            };
            let guard = self.metrics.open_connection();
            let counted = Counted {
                io,
                idle: Box::pin(tokio::time::sleep(self.limits.idle_timeout)),
                idle_timeout: self.limits.idle_timeout,
                head: Box::pin(tokio::time::sleep(self.limits.header_read_timeout)),
                header_timeout: self.limits.header_read_timeout,
                shared: Arc::default(),
                _slots: (permit, slot, guard),
            };
            return (counted, addr);
        }
    }

    fn local_addr(&self) -> io::Result<Self::Addr> {
        self.inner.local_addr()
    }
}

/// A connection's phase, as [`track_requests`] tells its [`Counted`] io.
const AWAITING_HEAD: u8 = 0;
const IN_REQUEST: u8 = 1;
/// Between requests: the header clock starts with the next byte read.
const BETWEEN: u8 = 2;

/// What a connection's io and its requests share.
#[derive(Debug, Default)]
pub struct ConnShared {
    /// Requests of this connection being handled now (see [`track_requests`]).
    in_flight: AtomicUsize,
    phase: AtomicU8,
}

/// A connection that gives its slots back (and updates the open-connections gauge) when dropped,
/// and fails with `TimedOut` once it has been idle for `idle_timeout` or has not sent a whole
/// request head within `header_timeout`.
pub struct Counted<T> {
    io: T,
    idle: Pin<Box<Sleep>>,
    idle_timeout: Duration,
    head: Pin<Box<Sleep>>,
    header_timeout: Duration,
    shared: Arc<ConnShared>,
    _slots: (OwnedSemaphorePermit, IpSlot, ConnectionGuard),
}

/// An io that is (or wraps) a [`Counted`] connection.
pub trait CountedIo {
    fn conn_shared(&self) -> &Arc<ConnShared>;
}

impl<T> CountedIo for Counted<T> {
    fn conn_shared(&self) -> &Arc<ConnShared> {
        &self.shared
    }
}

impl<T> CountedIo for tokio_rustls::server::TlsStream<Counted<T>> {
    fn conn_shared(&self) -> &Arc<ConnShared> {
        &self.get_ref().0.shared
    }
}

impl<T> Counted<T> {
    /// Progress restarts the idle clock; waiting while the clock has run out is an error, unless
    /// a request is being handled (hyper reads on while its handler runs, to notice a hang-up).
    /// Waiting past the header deadline for a request head is an error too.
    fn track<R>(&mut self, cx: &mut Context<'_>, polled: Poll<io::Result<R>>) -> Poll<io::Result<R>> {
        match polled {
            Poll::Ready(r) => {
                self.idle.as_mut().reset(Instant::now() + self.idle_timeout);
                Poll::Ready(r)
            }
            Poll::Pending => {
                if self.shared.phase.load(Ordering::Acquire) == AWAITING_HEAD && self.head.as_mut().poll(cx).is_ready()
                {
                    return Poll::Ready(Err(io::Error::new(
                        io::ErrorKind::TimedOut,
                        "request head not received in time (http.header_read_timeout)",
                    )));
                }
                if self.idle.as_mut().poll(cx).is_pending() {
                    return Poll::Pending;
                }
                if self.shared.in_flight.load(Ordering::Acquire) == 0 {
                    return Poll::Ready(Err(io::Error::new(
                        io::ErrorKind::TimedOut,
                        "idle HTTP connection closed (http.idle_timeout)",
                    )));
                }
                // Busy, not idle: look again a timeout from now (the poll registers the wake-up).
                self.idle.as_mut().reset(Instant::now() + self.idle_timeout);
                let _ = self.idle.as_mut().poll(cx);
                Poll::Pending
            }
        }
    }

    /// Bytes read between requests start the next request's header clock.
    fn read_some(&mut self) {
        if self
            .shared
            .phase
            .compare_exchange(BETWEEN, AWAITING_HEAD, Ordering::AcqRel, Ordering::Acquire)
            .is_ok()
        {
            self.head.as_mut().reset(Instant::now() + self.header_timeout);
        }
    }
}

/// `app` wrapped (once, as a whole) for one connection: each request counts as in flight on `io`
/// once its body has been read and until its response is ready, so the idle timeout does not cut
/// a slow handler off.
pub fn track_requests<T: CountedIo>(
    app: axum::Router,
    io: &T,
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
    let shared = Arc::clone(io.conn_shared());
    let layer = axum::middleware::from_fn(move |req: axum::extract::Request, next: axum::middleware::Next| {
        // The head is in: no header clock until the next request starts.
        shared.phase.store(IN_REQUEST, Ordering::Release);
        let request = Arc::new(InFlight {
            shared: Arc::clone(&shared),
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
            // Answered: the next request's head has its own clock.
            request.shared.phase.store(BETWEEN, Ordering::Release);
            response
        }
    });
    tower::Layer::layer(&layer, app)
}

/// One request: counted in flight between [`enter`](Self::enter) and [`leave`](Self::leave) (or
/// its drop, when the request future is cancelled).
struct InFlight {
    shared: Arc<ConnShared>,
    counted: AtomicBool,
}

impl InFlight {
    fn enter(&self) {
        if !self.counted.swap(true, Ordering::AcqRel) {
            self.shared.in_flight.fetch_add(1, Ordering::AcqRel);
        }
    }

    fn leave(&self) {
        if self.counted.swap(false, Ordering::AcqRel) {
            self.shared.in_flight.fetch_sub(1, Ordering::AcqRel);
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
        let before = buf.filled().len();
        let polled = Pin::new(&mut this.io).poll_read(cx, buf);
        if matches!(polled, Poll::Ready(Ok(()))) && buf.filled().len() > before {
            this.read_some();
        }
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

    /// Four connections, four per address, ten seconds for a request head, `idle` timeout.
    fn idle(idle: Duration) -> Limits {
        Limits {
            max_connections: 4,
            max_connections_per_ip: 4,
            header_read_timeout: Duration::from_secs(10),
            idle_timeout: idle,
        }
    }

    /// Serves one route that takes `handler` to answer, behind a listener with `limits`.
    async fn serve(limits: Limits, handler: Duration) -> SocketAddr {
        let tcp = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let addr = tcp.local_addr().expect("addr");
        let listener = LimitedListener::new(tcp, limits, Arc::new(InputMetrics::default()));
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
        let make = tower::service_fn(move |stream: axum::serve::IncomingStream<'_, LimitedListener>| {
            std::future::ready(Ok::<_, std::convert::Infallible>(track_requests(
                app.clone(),
                stream.io(),
            )))
        });
        tokio::spawn(async move { axum::serve(listener, make).await });
        addr
    }

    /// The whole answer to `request` (which ends with `connection: close`), within 10 s.
    async fn answer(addr: SocketAddr, request: &[u8]) -> String {
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
    async fn cut_off(addr: SocketAddr, partial: &[u8]) -> (io::Result<usize>, Vec<u8>) {
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
        let addr = serve(idle(Duration::from_millis(200)), Duration::from_millis(1200)).await;
        let answer = answer(addr, b"GET /slow HTTP/1.1\r\nhost: x\r\nconnection: close\r\n\r\n").await;
        assert!(answer.starts_with("HTTP/1.1 200"), "{answer:?}");
        assert!(answer.ends_with("done"), "{answer:?}");
    }

    #[tokio::test]
    async fn a_handler_slower_than_the_idle_timeout_answers_after_reading_a_body() {
        let addr = serve(idle(Duration::from_millis(200)), Duration::from_millis(1200)).await;
        let request = b"POST /slow HTTP/1.1\r\nhost: x\r\nconnection: close\r\ncontent-length: 5\r\n\r\nhello";
        let answer = answer(addr, request).await;
        assert!(answer.starts_with("HTTP/1.1 200"), "{answer:?}");
        assert!(answer.ends_with("read 5"), "{answer:?}");
    }

    /// A client that sends the headers and part of the body, then nothing, is idle: the handler
    /// waiting for the body must not keep the connection (and its slot) alive.
    #[tokio::test]
    async fn a_client_that_stops_mid_body_is_disconnected() {
        let addr = serve(idle(Duration::from_millis(200)), Duration::ZERO).await;
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
        let addr = serve(idle(Duration::from_millis(200)), Duration::ZERO).await;
        let (read, buf) = cut_off(addr, b"GET /slow HTTP/1.1\r\nhost: x\r\n").await;
        assert!(
            read.is_err() || buf.is_empty() || buf.starts_with(b"HTTP/1.1 408"),
            "{buf:?}"
        );
    }

    /// A connection from `from` (any 127.x address) to `addr`.
    async fn connect_from(from: &str, addr: SocketAddr) -> io::Result<tokio::net::TcpStream> {
        let socket = tokio::net::TcpSocket::new_v4()?;
        socket.bind(format!("{from}:0").parse().expect("addr"))?;
        socket.connect(addr).await
    }

    /// Whether the server closes `conn` within `within` (EOF or an error when reading).
    async fn closed_within(conn: &mut tokio::net::TcpStream, within: Duration) -> bool {
        let mut buf = [0u8; 1024];
        let deadline = Instant::now() + within;
        loop {
            match tokio::time::timeout_at(deadline, conn.read(&mut buf)).await {
                Err(_) => return false,
                Ok(Ok(0) | Err(_)) => return true,
                Ok(Ok(_)) => {}
            }
        }
    }

    /// Sends a request head one byte per 100 ms (each byte would restart the idle clock).
    async fn trickle(conn: &mut tokio::net::TcpStream, head: &[u8]) {
        for byte in head {
            if conn.write_all(std::slice::from_ref(byte)).await.is_err() {
                return;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    fn header_timeout(max: usize, per_ip: usize, head: Duration) -> Limits {
        Limits {
            max_connections: max,
            max_connections_per_ip: per_ip,
            header_read_timeout: head,
            idle_timeout: Duration::from_secs(60),
        }
    }

    #[tokio::test]
    async fn a_client_trickling_its_request_head_is_disconnected() {
        let addr = serve(header_timeout(4, 4, Duration::from_millis(500)), Duration::ZERO).await;
        let mut conn = connect_from("127.0.0.1", addr).await.expect("connect");
        let head = b"GET /slow HTTP/1.1\r\nhost: x\r\nx-slow: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\r\n\r\n";
        let started = std::time::Instant::now();
        let (mut reader, mut writer) = conn.split();
        let closed = async {
            let mut buf = Vec::new();
            #[expect(clippy::disallowed_methods, reason = "bounded by take(64 KiB)")]
            let _ = (&mut reader).take(64 << 10).read_to_end(&mut buf).await;
            buf
        };
        let (answer, ()) = tokio::join!(closed, trickle_half(&mut writer, head));
        assert!(
            started.elapsed() < Duration::from_secs(3),
            "closed after {:?}",
            started.elapsed()
        );
        assert!(!String::from_utf8_lossy(&answer).contains("done"), "{answer:?}");
    }

    async fn trickle_half(writer: &mut tokio::net::tcp::WriteHalf<'_>, head: &[u8]) {
        for byte in head {
            if writer.write_all(std::slice::from_ref(byte)).await.is_err() {
                return;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    #[tokio::test]
    async fn a_second_request_trickled_on_a_kept_alive_connection_is_disconnected() {
        let addr = serve(header_timeout(4, 4, Duration::from_millis(500)), Duration::ZERO).await;
        let mut conn = connect_from("127.0.0.1", addr).await.expect("connect");
        conn.write_all(b"GET /slow HTTP/1.1\r\nhost: x\r\n\r\n")
            .await
            .expect("write");
        let mut buf = [0u8; 1024];
        let n = conn.read(&mut buf).await.expect("answer");
        assert!(
            buf[..n].starts_with(b"HTTP/1.1 200"),
            "{:?}",
            String::from_utf8_lossy(&buf[..n])
        );
        // Idle between requests is fine (the idle timeout is a minute) ...
        tokio::time::sleep(Duration::from_millis(800)).await;
        // ... but the next head must come within the header timeout of its first byte.
        let started = std::time::Instant::now();
        trickle(&mut conn, b"GET /slow HTTP/1.1\r\nhost: x\r\nx").await;
        assert!(closed_within(&mut conn, Duration::from_secs(3)).await);
        assert!(started.elapsed() < Duration::from_secs(4));
    }

    /// 300 sockets from one address trickling their requests: the per-address cap closes most at
    /// once, and the others cannot keep a client from another address from being served.
    #[tokio::test]
    async fn trickling_sockets_from_one_address_do_not_stop_other_clients() {
        let addr = serve(header_timeout(32, 8, Duration::from_secs(5)), Duration::ZERO).await;
        let mut held = Vec::new();
        for _ in 0..300 {
            let mut conn = connect_from("127.0.0.2", addr).await.expect("connect");
            let _ = conn.write_all(b"GET /slow HTTP/1.1\r\nhost: x\r\n").await;
            held.push(conn);
        }
        let mut closed = 0;
        for conn in &mut held {
            closed += usize::from(closed_within(conn, Duration::from_millis(20)).await);
        }
        assert!(closed >= 292, "{closed} of 300 closed at once");
        let started = std::time::Instant::now();
        let served = tokio::time::timeout(Duration::from_secs(2), async {
            let mut conn = connect_from("127.0.0.1", addr).await?;
            conn.write_all(b"GET /slow HTTP/1.1\r\nhost: x\r\nconnection: close\r\n\r\n")
                .await?;
            let mut answer = Vec::new();
            #[expect(clippy::disallowed_methods, reason = "bounded by take(64 KiB)")]
            (&mut conn).take(64 << 10).read_to_end(&mut answer).await?;
            io::Result::Ok(answer)
        })
        .await
        .expect("served in time")
        .expect("answer");
        assert!(answer_ok(&served), "{:?}", String::from_utf8_lossy(&served));
        assert!(started.elapsed() < Duration::from_secs(2));
    }

    fn answer_ok(answer: &[u8]) -> bool {
        answer.starts_with(b"HTTP/1.1 200") && answer.ends_with(b"done")
    }

    /// Over TLS the limits count from the TCP accept: silent sockets (stuck before the handshake)
    /// take slots, one address gets only its share, and they are closed at the header timeout.
    #[tokio::test]
    async fn silent_tls_sockets_are_capped_per_address_and_timed_out() {
        let _ = rustls::crypto::ring::default_provider().install_default();
        let cert = rcgen::generate_simple_self_signed(vec!["localhost".to_owned()]).expect("cert");
        let key = rustls::pki_types::PrivateKeyDer::try_from(cert.signing_key.serialize_der()).expect("key");
        let server_config = rustls::ServerConfig::builder()
            .with_no_client_auth()
            .with_single_cert(vec![cert.cert.der().clone()], key)
            .expect("server config");
        let tcp = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let addr = tcp.local_addr().expect("addr");
        let limits = header_timeout(16, 4, Duration::from_millis(800));
        let limited = LimitedListener::new(tcp, limits, Arc::new(InputMetrics::default()));
        let stop = tokio_util::sync::CancellationToken::new();
        let listener = crate::tls::TlsListener::new(limited, Arc::new(server_config), stop.clone()).expect("tls");
        let app = axum::Router::new().route("/slow", axum::routing::get(|| async { "done" }));
        let make = tower::service_fn(
            move |stream: axum::serve::IncomingStream<'_, crate::tls::TlsListener>| {
                std::future::ready(Ok::<_, std::convert::Infallible>(track_requests(
                    app.clone(),
                    stream.io(),
                )))
            },
        );
        tokio::spawn(async move { axum::serve(listener, make).await });

        let mut silent = Vec::new();
        for _ in 0..300 {
            silent.push(connect_from("127.0.0.2", addr).await.expect("connect"));
        }
        let mut closed_at_once = 0;
        for conn in &mut silent {
            closed_at_once += usize::from(closed_within(conn, Duration::from_millis(20)).await);
        }
        assert!(closed_at_once >= 296, "{closed_at_once} of 300 closed at once");

        let mut roots = rustls::RootCertStore::empty();
        roots.add(cert.cert.der().clone()).expect("root");
        let client = rustls::ClientConfig::builder()
            .with_root_certificates(roots)
            .with_no_client_auth();
        let connector = tokio_rustls::TlsConnector::from(Arc::new(client));
        let served = tokio::time::timeout(Duration::from_secs(2), async {
            let tcp = connect_from("127.0.0.1", addr).await?;
            let name = rustls::pki_types::ServerName::try_from("localhost").expect("name");
            let mut tls = connector.connect(name, tcp).await?;
            tls.write_all(b"GET /slow HTTP/1.1\r\nhost: x\r\nconnection: close\r\n\r\n")
                .await?;
            let mut answer = Vec::new();
            #[expect(clippy::disallowed_methods, reason = "bounded by take(64 KiB)")]
            (&mut tls).take(64 << 10).read_to_end(&mut answer).await?;
            io::Result::Ok(answer)
        })
        .await
        .expect("served in time")
        .expect("answer");
        assert!(answer_ok(&served), "{:?}", String::from_utf8_lossy(&served));
        // The four silent sockets the cap let in are closed at the header timeout.
        for conn in &mut silent {
            assert!(closed_within(conn, Duration::from_secs(3)).await);
        }
        stop.cancel();
    }
}
