//! TLS for the listeners: syslog over TLS (RFC 5425) and HTTPS for the API and HTTP inputs.
//!
//! Syslog uses the configured certificate, or a self-signed pair generated once in the data
//! directory so that `--syslog-tls ADDR` works without preparation. HTTPS is on only when
//! `http.tls_cert` and `http.tls_key` are configured (a shipper must be pointed at a certificate
//! it trusts, so a generated one would not help).

use std::{net::SocketAddr, path::PathBuf, sync::Arc, time::Duration};

use tokio::net::TcpStream;
use tokio_rustls::{TlsAcceptor, server::TlsStream};
use tokio_util::sync::CancellationToken;

use crate::{
    config::ServerConfig,
    conn_limit::{Counted, LimitedListener},
    server::ServerError,
};

/// How long a client may take to finish its TLS handshake.
const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);
/// Handshakes in progress at once; connections beyond are closed at once (a flood of silent
/// connections cannot pile up tasks and CPU-heavy handshakes).
const MAX_HANDSHAKES: usize = 256;

/// The rustls server configuration for the syslog TLS listener.
pub fn syslog_server_config(config: &ServerConfig) -> Result<Arc<rustls::ServerConfig>, ServerError> {
    let (cert, key) = match (&config.syslog.tls_cert, &config.syslog.tls_key) {
        (Some(c), Some(k)) => (c.clone(), k.clone()),
        _ => self_signed(&config.data_dir)?,
    };
    vigil_ingest::tls_server_config(&cert, &key, config.syslog.tls_client_ca.as_deref())
        .map_err(|e| ServerError::Tls(e.to_string()))
}

/// The rustls configuration for HTTPS, when it is configured. ALPN offers HTTP/1.1 only: the
/// server speaks no HTTP/2, and offering `h2` made HTTP/2-capable clients (curl) fail.
pub fn http_server_config(config: &ServerConfig) -> Result<Option<Arc<rustls::ServerConfig>>, ServerError> {
    let (Some(cert), Some(key)) = (&config.http.tls_cert, &config.http.tls_key) else {
        return Ok(None);
    };
    let base = vigil_ingest::tls_server_config(cert, key, config.http.tls_client_ca.as_deref())
        .map_err(|e| ServerError::Tls(format!("http: {e}")))?;
    let mut tls = (*base).clone();
    tls.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(Some(Arc::new(tls)))
}

/// Creates (once) `tls/syslog.crt` and `tls/syslog.key` for `localhost` and the loopback addresses.
fn self_signed(data_dir: &std::path::Path) -> Result<(PathBuf, PathBuf), ServerError> {
    let dir = data_dir.join("tls");
    let cert = dir.join("syslog.crt");
    let key = dir.join("syslog.key");
    if cert.is_file() && key.is_file() {
        return Ok((cert, key));
    }
    std::fs::create_dir_all(&dir).map_err(|e| ServerError::Tls(format!("{}: {e}", dir.display())))?;
    let names = vec!["localhost".to_string(), "127.0.0.1".to_string(), "::1".to_string()];
    let generated = rcgen::generate_simple_self_signed(names)
        .map_err(|e| ServerError::Tls(format!("generating a certificate: {e}")))?;
    let write = |path: &PathBuf, text: String| {
        std::fs::write(path, text).map_err(|e| ServerError::Tls(format!("{}: {e}", path.display())))
    };
    write(&key, generated.signing_key.serialize_pem())?;
    write(&cert, generated.cert.pem())?;
    tracing::warn!(cert = %cert.display(), "syslog TLS uses a generated self-signed certificate; configure syslog.tls_cert/tls_key for production");
    Ok((cert, key))
}

/// An HTTPS listener for `axum::serve` over a [`LimitedListener`]: the connection limits apply
/// from the TCP accept, so handshakes in progress take slots too. Handshakes run off the accept
/// path, each in its own task with a timeout (at most `MAX_HANDSHAKES` at once), so a slow or
/// silent client cannot hold up the others; a failed handshake is logged and the connection
/// dropped.
pub struct TlsListener {
    ready: tokio::sync::mpsc::Receiver<(TlsStream<Counted<TcpStream>>, SocketAddr)>,
    local: SocketAddr,
}

impl TlsListener {
    pub fn new(
        mut listener: LimitedListener,
        tls: Arc<rustls::ServerConfig>,
        stop: CancellationToken,
    ) -> std::io::Result<Self> {
        use axum::serve::Listener as _;
        let local = listener.local_addr()?;
        let (tx, ready) = tokio::sync::mpsc::channel(64);
        let acceptor = TlsAcceptor::from(tls);
        let handshakes = Arc::new(tokio::sync::Semaphore::new(MAX_HANDSHAKES));
        tokio::spawn(async move {
            loop {
                let (tcp, peer) = tokio::select! {
                    _ = stop.cancelled() => return,
                    accepted = listener.accept() => accepted,
                };
                let Ok(permit) = handshakes.clone().try_acquire_owned() else {
                    tracing::warn!(%peer, "too many HTTPS handshakes in progress; closing");
                    continue;
                };
                let (acceptor, tx, stop) = (acceptor.clone(), tx.clone(), stop.clone());
                tokio::spawn(async move {
                    let _permit = permit;
                    let handshake = tokio::time::timeout(HANDSHAKE_TIMEOUT, acceptor.accept(tcp));
                    let result = tokio::select! {
                        _ = stop.cancelled() => return,
                        result = handshake => result,
                    };
                    match result {
                        Ok(Ok(stream)) => {
                            let _ = tx.send((stream, peer)).await;
                        }
                        Ok(Err(e)) => tracing::info!(%peer, error = %e, "HTTPS handshake failed"),
                        Err(_) => tracing::info!(%peer, "HTTPS handshake timed out"),
                    }
                });
            }
        });
        Ok(TlsListener { ready, local })
    }
}

impl axum::serve::Listener for TlsListener {
    type Io = TlsStream<Counted<TcpStream>>;
    type Addr = SocketAddr;

    async fn accept(&mut self) -> (Self::Io, Self::Addr) {
        match self.ready.recv().await {
            Some(connection) => connection,
            // Stopped: serve's graceful shutdown ends the server.
            None => std::future::pending().await,
        }
    }

    fn local_addr(&self) -> std::io::Result<Self::Addr> {
        Ok(self.local)
    }
}
