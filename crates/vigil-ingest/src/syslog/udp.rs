//! Syslog over UDP: one datagram is one message.
//!
//! A reader task receives datagrams into a queue bounded in bytes; a submitter batches them
//! (up to `batch_max` or `batch_delay`) to amortise the sink's fsync. UDP cannot push back, so
//! while the sink is Full the submitter keeps retrying what it holds (never dropping it while the
//! process lives); when the byte budget is used up the reader stops reading and the kernel drops
//! what overflows the socket buffer.

use std::net::SocketAddr;
use std::sync::Arc;

use jiff::Timestamp;
use tokio::net::UdpSocket;
use tokio::sync::{OwnedSemaphorePermit, Semaphore, mpsc};
use tokio::time::Instant;

use super::SyslogUdpConfig;
use super::conn::dead_letter;
use super::framing::trim_message;
use crate::input::{RetryPolicy, submit_retrying};
use crate::{BoxFuture, IngestError, Input, InputContext, Record, RecordFormat, codes};

/// Memory charged per held datagram on top of its bytes (record and queue overhead).
const RECORD_OVERHEAD: usize = 256;
/// Largest UDP payload.
const MAX_DATAGRAM: usize = 65536;

type Held = (Record, Option<OwnedSemaphorePermit>);

/// Syslog over UDP.
pub struct SyslogUdpInput {
    socket: UdpSocket,
    local_addr: SocketAddr,
    name: Arc<str>,
    tenant: Arc<str>,
    config: SyslogUdpConfig,
}

impl std::fmt::Debug for SyslogUdpInput {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SyslogUdpInput")
            .field("name", &self.name)
            .field("local_addr", &self.local_addr)
            .finish()
    }
}

impl SyslogUdpInput {
    /// Binds the UDP socket.
    pub async fn bind(config: SyslogUdpConfig) -> Result<SyslogUdpInput, IngestError> {
        if config.batch_max == 0 || config.max_pending_bytes == 0 {
            return Err(IngestError::Config(
                "batch_max and max_pending_bytes must be at least 1".into(),
            ));
        }
        super::check_max_message(config.max_message_size)?;
        let socket = UdpSocket::bind(config.addr).await.map_err(|source| IngestError::Bind {
            addr: config.addr,
            source,
        })?;
        let local_addr = socket.local_addr()?;
        Ok(SyslogUdpInput {
            socket,
            local_addr,
            name: Arc::from(config.name.as_str()),
            tenant: Arc::from(config.tenant.as_str()),
            config,
        })
    }
}

impl Input for SyslogUdpInput {
    fn name(&self) -> &str {
        &self.name
    }

    fn local_addr(&self) -> SocketAddr {
        self.local_addr
    }

    fn run(self: Box<Self>, ctx: InputContext) -> BoxFuture<'static, Result<(), IngestError>> {
        Box::pin(self.serve(ctx))
    }
}

impl SyslogUdpInput {
    async fn serve(self, ctx: InputContext) -> Result<(), IngestError> {
        let (tx, rx) = mpsc::unbounded_channel::<Held>();
        let submitter = tokio::spawn(submit_loop(rx, self.config.clone(), ctx.clone()));
        tracing::info!(input = %self.name, addr = %self.local_addr, "syslog udp listener started");
        let budget = Arc::new(Semaphore::new(
            self.config.max_pending_bytes.min(Semaphore::MAX_PERMITS),
        ));
        let mut buf = vec![0u8; (self.config.max_message_size + 1).min(MAX_DATAGRAM)];
        loop {
            let (n, peer) = tokio::select! {
                biased;
                () = ctx.shutdown.cancelled() => break,
                received = self.socket.recv_from(&mut buf) => match received {
                    Ok(received) => received,
                    Err(err) => {
                        // E.g. ICMP port unreachable reported on some platforms: not fatal.
                        tracing::debug!(input = %self.name, %err, "udp receive error");
                        continue;
                    }
                },
            };
            let data = trim_message(&buf[..n]);
            if data.is_empty() {
                continue;
            }
            if data.len() > self.config.max_message_size {
                let message = format!(
                    "datagram of {}+ bytes exceeds the maximum of {} bytes",
                    data.len(),
                    self.config.max_message_size
                );
                let data = &data[..self.config.max_message_size];
                dead_letter(
                    &ctx,
                    &self.name,
                    &self.tenant,
                    peer,
                    codes::FRAME_TOO_LARGE,
                    message,
                    data,
                )
                .await;
                continue;
            }
            let record = Record {
                input: Arc::clone(&self.name),
                tenant: Arc::clone(&self.tenant),
                format: RecordFormat::Syslog,
                received: Timestamp::now(),
                peer: Some(peer),
                attrs: Vec::new(),
                data: data.to_vec(),
            };
            let cost = (data.len() + RECORD_OVERHEAD).min(self.config.max_pending_bytes);
            let cost = u32::try_from(cost).unwrap_or(u32::MAX);
            // While the budget is used up, the socket is not read.
            let permit = tokio::select! {
                biased;
                permit = Arc::clone(&budget).acquire_many_owned(cost) => permit.ok(),
                // Shutting down: keep this one datagram without a permit rather than drop it.
                () = ctx.shutdown.cancelled() => None,
            };
            if tx.send((record, permit)).is_err() {
                break;
            }
        }
        drop(tx);
        if let Err(err) = submitter.await {
            tracing::error!(input = %self.name, %err, "udp submitter task failed");
        }
        tracing::info!(input = %self.name, "syslog udp listener stopped");
        Ok(())
    }
}

/// Takes held datagrams in batches and submits them, retrying until durable.
async fn submit_loop(mut rx: mpsc::UnboundedReceiver<Held>, config: SyslogUdpConfig, ctx: InputContext) {
    let policy = RetryPolicy {
        grace: config.shutdown_grace,
        retry_unavailable: true,
    };
    let mut held: Vec<Held> = Vec::with_capacity(config.batch_max);
    loop {
        match rx.recv().await {
            Some(first) => held.push(first),
            None => break,
        }
        let deadline = Instant::now() + config.batch_delay;
        while held.len() < config.batch_max {
            let room = config.batch_max - held.len();
            let n = tokio::select! {
                biased;
                n = rx.recv_many(&mut held, room) => n,
                () = tokio::time::sleep_until(deadline) => break,
            };
            if n == 0 {
                break;
            }
        }
        let (records, permits): (Vec<Record>, Vec<_>) = held.drain(..).unzip();
        let count = records.len();
        if let Err(err) = submit_retrying(&ctx, records, policy).await {
            tracing::error!(%err, records = count,
                "shutdown grace over: udp datagrams held in memory were not stored");
        }
        // Memory is released only once the records are durable (or given up at shutdown).
        drop(permits);
    }
}
