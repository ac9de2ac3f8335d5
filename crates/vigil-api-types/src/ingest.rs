//! `POST /api/v1/ingest`: the native ingest API's answer.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// What was stored of a request. Only `accepted` records are acknowledged; each refused line is
/// listed with its reason (and kept as a dead letter).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct IngestAnswer {
    /// Records stored (for a keyed stream, resends of records already stored count too).
    pub accepted: u64,
    /// Lines refused, with the reason.
    pub rejected: Vec<RejectedLine>,
    /// Keyed streams only (`stream=KEY&first=N`): records of this request already stored before.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub duplicates: Option<u64>,
    /// Keyed streams only: the next ordinal the stream expects.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub next: Option<u64>,
}

/// A refused line of a native ingest request.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct RejectedLine {
    /// Its line number in the request body, from 1.
    pub line: u64,
    /// A dead-letter code (`docs/http-errors.md`).
    pub code: String,
    pub message: String,
    /// Keyed streams only: its ordinal in the stream.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ordinal: Option<u64>,
}
