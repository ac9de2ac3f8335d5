//! The syslog TCP/TLS listener: accepts connections (up to a limit) and serves each in a task.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use tokio::net::TcpListener;
use tokio::sync::Semaphore;
use tokio_rustls::TlsAcceptor;
use tokio_util::task::TaskTracker;

use super::SyslogTcpConfig;
use super::conn::{Peer, serve_stream};
use crate::{BoxFuture, IngestError, Input, InputContext};

/// Syslog over TCP (RFC 6587) or, when built with [`SyslogTcpInput::bind_tls`], over TLS (RFC 5425).
pub struct SyslogTcpInput {
    listener: TcpListener,
    local_addr: SocketAddr,
    name: Arc<str>,
    config: Arc<SyslogTcpConfig>,
    tls: Option<TlsAcceptor>,
}

impl std::fmt::Debug for SyslogTcpInput {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SyslogTcpInput")
            .field("name", &self.name)
            .field("local_addr", &self.local_addr)
            .field("tls", &self.tls.is_some())
            .finish()
    }
}

impl SyslogTcpInput {
    /// Binds a plain TCP listener.
    pub async fn bind(config: SyslogTcpConfig) -> Result<SyslogTcpInput, IngestError> {
        Self::bind_inner(config, None).await
    }

    /// Binds a TLS listener (see [`crate::tls_server_config`]). With a client CA in the config,
    /// clients must present a certificate; its subject CN (or first SAN) becomes the record
    /// attribute `tls_client`.
    pub async fn bind_tls(
        config: SyslogTcpConfig,
        tls: Arc<rustls::ServerConfig>,
    ) -> Result<SyslogTcpInput, IngestError> {
        Self::bind_inner(config, Some(TlsAcceptor::from(tls))).await
    }

    async fn bind_inner(config: SyslogTcpConfig, tls: Option<TlsAcceptor>) -> Result<SyslogTcpInput, IngestError> {
        if config.max_connections == 0 || config.max_connections_per_ip == 0 || config.batch_max == 0 {
            return Err(IngestError::Config(
                "max_connections, max_connections_per_ip and batch_max must be at least 1".into(),
            ));
        }
        super::check_max_message(config.max_message_size)?;
        let listener = TcpListener::bind(config.addr)
            .await
            .map_err(|source| IngestError::Bind {
                addr: config.addr,
                source,
            })?;
        let local_addr = listener.local_addr()?;
        Ok(SyslogTcpInput {
            listener,
            local_addr,
            name: Arc::from(config.name.as_str()),
            config: Arc::new(config),
            tls,
        })
    }

    /// True for a TLS listener.
    pub fn is_tls(&self) -> bool {
        self.tls.is_some()
    }
}

impl Input for SyslogTcpInput {
    fn name(&self) -> &str {
        &self.name
    }

    fn local_addr(&self) -> SocketAddr {
        self.local_addr
    }

    fn run(self: Box<Self>, ctx: InputContext) -> BoxFuture<'static, Result<(), IngestError>> {
        Box::pin(self.accept_loop(ctx))
    }
}

impl SyslogTcpInput {
    async fn accept_loop(self, ctx: InputContext) -> Result<(), IngestError> {
        let limit = Arc::new(Semaphore::new(self.config.max_connections));
        let per_ip = crate::PerIpLimit::new(self.config.max_connections_per_ip);
        let tracker = TaskTracker::new();
        tracing::info!(input = %self.name, addr = %self.local_addr, tls = self.tls.is_some(),
            "syslog stream listener started");
        loop {
            let accepted = tokio::select! {
                biased;
                () = ctx.shutdown.cancelled() => break,
                accepted = self.listener.accept() => accepted,
            };
            let (stream, addr) = match accepted {
                Ok(accepted) => accepted,
                Err(err) => {
                    // E.g. out of file descriptors: wait a little instead of spinning.
                    tracing::warn!(input = %self.name, %err, "accept failed");
                    tokio::time::sleep(Duration::from_millis(100)).await;
                    continue;
                }
            };
            let Ok(permit) = Arc::clone(&limit).try_acquire_owned() else {
                ctx.metrics.add_refused();
                tracing::debug!(input = %self.name, peer = %addr, "connection limit reached, closing");
                drop(stream);
                continue;
            };
            let Some(slot) = per_ip.try_acquire(addr.ip()) else {
                ctx.metrics.add_refused();
                tracing::debug!(input = %self.name, peer = %addr, "per-address connection limit reached, closing");
                drop(stream);
                continue;
            };
            let _ = stream.set_nodelay(true);
            let (name, config, ctx, tls) = (
                Arc::clone(&self.name),
                Arc::clone(&self.config),
                ctx.clone(),
                self.tls.clone(),
            );
            tracker.spawn(async move {
                let _permit = (permit, slot);
                let _open = ctx.metrics.open_connection();
                let Some(acceptor) = tls else {
                    let peer = Peer {
                        addr,
                        attrs: Vec::new(),
                    };
                    serve_stream(stream, peer, name, config, ctx).await;
                    return;
                };
                let handshake = tokio::time::timeout(config.tls_handshake_timeout, acceptor.accept(stream));
                let stream = tokio::select! {
                    () = ctx.shutdown.cancelled() => return,
                    result = handshake => match result {
                        Ok(Ok(stream)) => stream,
                        Ok(Err(err)) => {
                            ctx.metrics.add_refused();
                            tracing::debug!(peer = %addr, %err, "tls handshake failed");
                            return;
                        }
                        Err(_) => {
                            ctx.metrics.add_refused();
                            tracing::debug!(peer = %addr, "tls handshake timed out");
                            return;
                        }
                    },
                };
                let client = stream
                    .get_ref()
                    .1
                    .peer_certificates()
                    .and_then(|chain| chain.first())
                    .and_then(|cert| super::x509::client_name(cert.as_ref()));
                let peer = Peer {
                    addr,
                    attrs: client
                        .map(|name| vec![("tls_client".to_owned(), name)])
                        .unwrap_or_default(),
                };
                serve_stream(stream, peer, name, config, ctx).await;
            });
        }
        tracker.close();
        tracker.wait().await;
        tracing::info!(input = %self.name, "syslog stream listener stopped");
        Ok(())
    }
}
