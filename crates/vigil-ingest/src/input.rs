//! The one shape every network input has: [`Input`], run with an [`InputContext`].

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

use crate::syslog::{SyslogTcpConfig, SyslogTcpInput, SyslogUdpConfig, SyslogUdpInput};
use crate::{BoxFuture, DeadLetter, IngestError, InputMetrics, Record, RecordSink, SinkError, codes};

/// What a running input needs from the server.
#[derive(Clone)]
pub struct InputContext {
    /// Where records go (durably) and dead letters are kept.
    pub sink: Arc<dyn RecordSink>,
    /// This input's counters.
    pub metrics: Arc<InputMetrics>,
    /// Cancelled when the server shuts down; [`Input::run`] then stops accepting, flushes what it
    /// holds (within the input's shutdown grace) and returns.
    pub shutdown: CancellationToken,
}

impl std::fmt::Debug for InputContext {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("InputContext")
            .field("metrics", &self.metrics)
            .field("shutdown", &self.shutdown.is_cancelled())
            .finish_non_exhaustive()
    }
}

impl InputContext {
    /// A context from its parts.
    pub fn new(sink: Arc<dyn RecordSink>, metrics: Arc<InputMetrics>, shutdown: CancellationToken) -> InputContext {
        InputContext {
            sink,
            metrics,
            shutdown,
        }
    }
}

/// A bound network input. Created by an async `bind` (so bind errors surface at start-up and tests
/// can bind port 0), then consumed by [`Input::run`].
pub trait Input: Send + 'static {
    /// The input's name, as put into [`Record::input`].
    fn name(&self) -> &str;
    /// The address actually bound (the real port when 0 was asked for).
    fn local_addr(&self) -> SocketAddr;
    /// Serves until `ctx.shutdown` is cancelled; connection errors are logged, never fatal.
    fn run(self: Box<Self>, ctx: InputContext) -> BoxFuture<'static, Result<(), IngestError>>;
}

/// Every kind of listener input, for configuration-driven start-up.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub enum InputConfig {
    /// Syslog over UDP.
    SyslogUdp(SyslogUdpConfig),
    /// Syslog over TCP (RFC 6587).
    SyslogTcp(SyslogTcpConfig),
    /// Syslog over TLS (RFC 5425), optionally requiring client certificates.
    SyslogTls {
        /// Listener settings.
        tcp: SyslogTcpConfig,
        /// Server certificate chain (PEM).
        cert_pem: PathBuf,
        /// Server private key (PEM).
        key_pem: PathBuf,
        /// CA certificates (PEM) that client certificates must chain to; `Some` requires mutual TLS.
        client_ca_pem: Option<PathBuf>,
    },
}

impl InputConfig {
    /// Binds the listener described.
    pub async fn bind(self) -> Result<Box<dyn Input>, IngestError> {
        Ok(match self {
            InputConfig::SyslogUdp(config) => Box::new(SyslogUdpInput::bind(config).await?),
            InputConfig::SyslogTcp(config) => Box::new(SyslogTcpInput::bind(config).await?),
            InputConfig::SyslogTls {
                tcp,
                cert_pem,
                key_pem,
                client_ca_pem,
            } => {
                let tls = crate::tls_server_config(&cert_pem, &key_pem, client_ca_pem.as_deref())?;
                Box::new(SyslogTcpInput::bind_tls(tcp, tls).await?)
            }
        })
    }
}

/// How long to keep retrying a refused batch.
#[derive(Debug, Clone, Copy)]
pub(crate) struct RetryPolicy {
    /// After shutdown starts, keep retrying this long, then give up (and log the loss).
    pub grace: Duration,
    /// Retry `Unavailable` too (UDP: the data has nowhere else to go); otherwise return it.
    pub retry_unavailable: bool,
}

/// Longest wait between two attempts, whatever the sink's hint.
const MAX_RETRY_WAIT: Duration = Duration::from_secs(1);
const MIN_RETRY_WAIT: Duration = Duration::from_millis(10);

/// Submits `batch`, retrying while the sink is Full (counting backpressure) until it is durable.
/// A batch the sink can never take (`TooLarge`) is split in halves and submitted again; a single
/// record it cannot take is dead-lettered (`frame_too_large`), so nothing is dropped unseen.
/// Returns an error only for `Unavailable` (unless retried) or when the shutdown grace ran out.
pub(crate) async fn submit_retrying(
    ctx: &InputContext,
    batch: Vec<Record>,
    policy: RetryPolicy,
) -> Result<(), SinkError> {
    let mut pending = vec![batch];
    while let Some(batch) = pending.pop() {
        let Some(mut refused) = submit_until_taken(ctx, batch, policy).await? else {
            continue;
        };
        if refused.len() > 1 {
            let back = refused.split_off(refused.len() / 2);
            pending.push(back);
            pending.push(refused);
        } else if let Some(record) = refused.pop() {
            let letter = DeadLetter::new(
                Arc::clone(&record.input),
                record.peer,
                codes::FRAME_TOO_LARGE,
                format!(
                    "a record of {} bytes is larger than the spool can take",
                    record.data.len()
                ),
                &record.data,
            );
            ctx.metrics.add_rejected(1);
            ctx.sink.dead_letter(letter).await;
        }
    }
    Ok(())
}

/// Submits `batch` until it is durable (`None`), retrying while the sink is Full; gives the batch
/// back when the sink says it is too large to ever take.
async fn submit_until_taken(
    ctx: &InputContext,
    batch: Vec<Record>,
    policy: RetryPolicy,
) -> Result<Option<Vec<Record>>, SinkError> {
    if batch.is_empty() {
        return Ok(None);
    }
    let count = batch.len() as u64;
    let bytes: u64 = batch.iter().map(|r| r.data.len() as u64).sum();
    let mut shutdown_deadline: Option<Instant> = None;
    let mut attempts: u64 = 0;
    loop {
        // The sink takes the batch by value and keeps nothing on error: retrying needs a copy.
        let err = match ctx.sink.submit(batch.clone()).await {
            Ok(()) => {
                ctx.metrics.add_accepted(count, bytes);
                return Ok(None);
            }
            Err(err) => err,
        };
        attempts += 1;
        let wait = match &err {
            SinkError::Full { retry_after } => {
                ctx.metrics.add_backpressured();
                (*retry_after).clamp(MIN_RETRY_WAIT, MAX_RETRY_WAIT)
            }
            SinkError::TooLarge(_) => return Ok(Some(batch)),
            SinkError::Unavailable(_) if !policy.retry_unavailable => return Err(err),
            SinkError::Unavailable(reason) => {
                if attempts == 1 || attempts.is_multiple_of(60) {
                    tracing::warn!(%reason, records = count, attempts, "sink unavailable, holding records");
                }
                MAX_RETRY_WAIT
            }
        };
        if ctx.shutdown.is_cancelled() {
            let deadline = *shutdown_deadline.get_or_insert_with(|| Instant::now() + policy.grace);
            if Instant::now() + wait > deadline {
                return Err(err);
            }
            tokio::time::sleep(wait).await;
        } else {
            tokio::select! {
                () = tokio::time::sleep(wait) => {}
                () = ctx.shutdown.cancelled() => {}
            }
        }
    }
}
