//! One syslog stream connection (plain TCP or TLS): read, frame, submit, repeat.
//!
//! Backpressure: a batch is submitted and awaited before the next read, so while the sink is Full
//! the socket is not read, the kernel window fills and the sender blocks.

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use jiff::Timestamp;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::time::Instant;

use super::SyslogTcpConfig;
use super::framing::{Frame, Framer};
use crate::input::{RetryPolicy, submit_retrying};
use crate::{DeadLetter, InputContext, Record, RecordFormat, SinkError};

/// Bytes read from the socket at a time.
const READ_CHUNK: usize = 64 * 1024;

/// Who is on the other end.
pub(crate) struct Peer {
    pub addr: SocketAddr,
    /// Attributes added to every record (e.g. the TLS client name).
    pub attrs: Vec<(String, String)>,
}

enum Step {
    Read(std::io::Result<usize>),
    Flush,
    Idle,
    Shutdown,
}

async fn sleep_until(deadline: Option<Instant>) {
    match deadline {
        Some(deadline) => tokio::time::sleep_until(deadline).await,
        None => std::future::pending().await,
    }
}

struct Batch {
    records: Vec<Record>,
    bytes: usize,
    flush_at: Option<Instant>,
}

/// Serves one connection until EOF, an error, lost framing or shutdown.
pub(crate) async fn serve_stream<S>(
    mut stream: S,
    peer: Peer,
    input: Arc<str>,
    config: Arc<SyslogTcpConfig>,
    ctx: InputContext,
) where
    S: AsyncRead + AsyncWrite + Unpin,
{
    let tenant: Arc<str> = Arc::from(config.tenant.as_str());
    let mut framer = Framer::new(config.max_message_size);
    let mut buf = vec![0u8; READ_CHUNK];
    let mut frames = Vec::new();
    let mut batch = Batch {
        records: Vec::new(),
        bytes: 0,
        flush_at: None,
    };
    let policy = RetryPolicy {
        grace: config.shutdown_grace,
        retry_unavailable: false,
    };
    let idle_deadline = |d: Option<Duration>| d.map(|d| Instant::now() + d);
    let mut idle_at = idle_deadline(config.idle_timeout);
    loop {
        let step = tokio::select! {
            biased;
            () = ctx.shutdown.cancelled() => Step::Shutdown,
            () = sleep_until(batch.flush_at) => Step::Flush,
            () = sleep_until(idle_at) => Step::Idle,
            read = stream.read(&mut buf) => Step::Read(read),
        };
        let alive;
        match step {
            Step::Shutdown => break,
            Step::Idle => {
                tracing::debug!(peer = %peer.addr, "closing idle syslog connection");
                break;
            }
            Step::Flush => {
                if !flush(&mut batch, &ctx, policy, &peer).await {
                    return;
                }
                continue;
            }
            Step::Read(Err(err)) => {
                tracing::debug!(peer = %peer.addr, %err, "syslog connection read error");
                break;
            }
            Step::Read(Ok(0)) => {
                framer.finish(&mut frames);
                alive = false;
            }
            Step::Read(Ok(n)) => {
                idle_at = idle_deadline(config.idle_timeout);
                alive = framer.push(&buf[..n], &mut frames);
            }
        }
        let received = Timestamp::now();
        for frame in frames.drain(..) {
            match frame {
                Frame::Message(data) => {
                    batch.bytes += data.len();
                    batch.records.push(Record {
                        input: Arc::clone(&input),
                        tenant: Arc::clone(&tenant),
                        format: RecordFormat::Syslog,
                        received,
                        peer: Some(peer.addr),
                        attrs: peer.attrs.clone(),
                        data,
                    });
                }
                Frame::Rejected { code, message, data } | Frame::Fatal { code, message, data } => {
                    tracing::debug!(peer = %peer.addr, code, %message, "syslog frame rejected");
                    dead_letter(&ctx, &input, &tenant, peer.addr, code, message, &data).await;
                }
            }
        }
        if batch.records.len() >= config.batch_max || batch.bytes >= config.batch_max_bytes {
            if !flush(&mut batch, &ctx, policy, &peer).await {
                return;
            }
        } else if !batch.records.is_empty() && batch.flush_at.is_none() {
            batch.flush_at = Some(Instant::now() + config.flush_delay);
        }
        if !alive {
            break;
        }
    }
    if flush(&mut batch, &ctx, policy, &peer).await {
        let _ = tokio::time::timeout(Duration::from_secs(1), stream.shutdown()).await;
    }
}

/// Submits the batch (retrying while Full). False when the connection must close.
async fn flush(batch: &mut Batch, ctx: &InputContext, policy: RetryPolicy, peer: &Peer) -> bool {
    batch.flush_at = None;
    batch.bytes = 0;
    let records = std::mem::take(&mut batch.records);
    let count = records.len();
    match submit_retrying(ctx, records, policy).await {
        Ok(()) => true,
        Err(SinkError::Unavailable(reason)) => {
            tracing::warn!(peer = %peer.addr, %reason, records = count,
                "sink unavailable: closing syslog connection, records not stored");
            false
        }
        Err(err) => {
            tracing::error!(peer = %peer.addr, %err, records = count,
                "shutdown grace over: records read from the connection were not stored");
            false
        }
    }
}

/// Hands a dead letter to the sink and counts it.
pub(crate) fn dead_letter<'a>(
    ctx: &'a InputContext,
    input: &Arc<str>,
    tenant: &Arc<str>,
    peer: SocketAddr,
    code: &'static str,
    message: String,
    data: &[u8],
) -> impl Future<Output = ()> + 'a {
    let letter = DeadLetter::new(Arc::clone(input), Some(peer), code, message, data).in_tenant(tenant);
    ctx.metrics.add_rejected(1);
    ctx.sink.dead_letter(letter)
}
