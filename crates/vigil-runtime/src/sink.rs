//! Where inputs deliver: the spool (durable before acknowledging) and the dead-letter store.

use std::{future::Future, pin::Pin, sync::Arc, sync::atomic::Ordering::Relaxed, time::Duration};

use vigil_ingest::{DeadLetter, Record, RecordSink, SinkError};
use vigil_spool::{Spool, SpoolError};
use vigil_state::{NewDeadLetter, State};

use crate::metrics::Metrics;

/// Appends input batches to the spool; answers only once they are fsynced.
#[derive(Debug, Clone)]
pub struct SpoolSink {
    pub spool: Arc<Spool>,
    pub state: State,
    pub metrics: Arc<Metrics>,
}

impl SpoolSink {
    /// Appends already-encoded records (used by the native ingest API too).
    pub async fn append(&self, records: Vec<Record>) -> Result<(), SinkError> {
        let spool = self.spool.clone();
        let payloads: Vec<Vec<u8>> = records.iter().map(Record::encode).collect();
        let result = tokio::task::spawn_blocking(move || spool.append(payloads))
            .await
            .map_err(|e| SinkError::Unavailable(format!("spool task failed: {e}")))?;
        match result {
            Ok(_) => Ok(()),
            Err(SpoolError::Full { .. }) => Err(SinkError::Full {
                retry_after: Duration::from_secs(1),
            }),
            Err(SpoolError::BatchTooLarge { bytes, limit }) => Err(SinkError::TooLarge(format!(
                "the request cannot be stored: its {bytes} bytes are more than the whole spool holds \
                 ({limit} bytes, [spool] max_size); send smaller requests"
            ))),
            Err(SpoolError::TooLarge(bytes, limit)) => Err(SinkError::TooLarge(format!(
                "the request cannot be stored: one of its records has {bytes} bytes, over the \
                 {limit}-byte record limit; send smaller records"
            ))),
            Err(e) => {
                tracing::error!(error = %e, "spool append failed");
                Err(SinkError::Unavailable("the spool cannot accept records".into()))
            }
        }
    }

    pub async fn store_dead_letter(&self, letter: DeadLetter) {
        let row = NewDeadLetter {
            tenant: letter.tenant.to_string(),
            input: letter.input.to_string(),
            received: letter.received,
            peer: letter.peer.map(|p| p.to_string()),
            code: letter.code.to_string(),
            message: letter.message,
            data: letter.data,
        };
        self.metrics.dead_letters.fetch_add(1, Relaxed);
        if let Err(e) = self.state.insert_dead_letters(std::slice::from_ref(&row)).await {
            // The record was already refused to its sender, so it is not lost silently; but the
            // operator must know the dead-letter store failed.
            tracing::error!(error = %e, code = %row.code, input = %row.input, "cannot store dead letter");
        }
    }
}

impl RecordSink for SpoolSink {
    fn submit(&self, batch: Vec<Record>) -> Pin<Box<dyn Future<Output = Result<(), SinkError>> + Send + '_>> {
        Box::pin(self.append(batch))
    }

    fn dead_letter(&self, letter: DeadLetter) -> Pin<Box<dyn Future<Output = ()> + Send + '_>> {
        Box::pin(self.store_dead_letter(letter))
    }
}
