//! `GET /api/v1/status`, `/healthz` and `/readyz`: the server at a glance.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::{error::ErrorBody, rules::RulesReport};

/// Totals of the store.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct StoreStats {
    pub partitions: usize,
    /// Committed (searchable) events.
    pub events: u64,
    pub bytes_on_disk: u64,
}

/// The answer of `GET /api/v1/status`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Status {
    pub spool: SpoolStatus,
    pub pipeline: PipelineStatus,
    pub store: StoreStats,
    /// The running rule set's load report.
    pub rules: RulesReport,
    /// Events indexed since start.
    pub events_indexed: u64,
    /// Alerts raised since start.
    pub alerts: u64,
    /// Dead letters since start.
    pub dead_letters: u64,
    /// Events lost since start (0 unless something is badly wrong; see the logs).
    pub dropped: u64,
}

/// The write-ahead spool.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct SpoolStatus {
    /// Bytes not yet processed (backpressure past `[spool] max_size`).
    pub bytes: u64,
    /// Bytes the spool's files take on disk.
    pub disk_bytes: u64,
    /// Sequence number of the last acknowledged record.
    pub committed_seq: u64,
    /// Records at or below this are stored and may be deleted from the spool.
    pub checkpoint_seq: u64,
}

/// The spool → detect → store pipeline.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct PipelineStatus {
    /// The next spool sequence number detection reads.
    pub position: u64,
    /// Acknowledged records not yet through detection.
    pub lag: u64,
    /// Acknowledged records not yet committed to the store.
    pub store_lag: u64,
    /// False once the pipeline has stopped.
    pub alive: bool,
}

/// The answer of `/healthz` (`ok`) and of a ready `/readyz` (`ready`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Health {
    pub status: String,
}

/// The answer of `/readyz` when not ready (503 `not_ready`): the error, and each problem.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct NotReady {
    #[serde(flatten)]
    pub body: ErrorBody,
    /// `not_ready`.
    pub status: String,
    pub problems: Vec<String>,
}
