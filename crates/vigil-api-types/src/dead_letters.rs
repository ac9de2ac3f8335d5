//! `GET /api/v1/dead-letters`: records that could not be accepted or parsed, with the reason.

use jiff::Timestamp;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// A dead letter as the API sends it: `data` is UTF-8 text, invalid sequences replaced by U+FFFD,
/// so the common case — a text log line — reads directly; when the bytes are not valid UTF-8,
/// `data_base64` (standard alphabet, padded) holds the exact bytes and is absent otherwise.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct DeadLetter {
    /// Insertion order, strictly increasing and never reused.
    pub seq: i64,
    /// The tenant of its sender (absent from a server before tenants: the default tenant).
    #[serde(default = "crate::access::default_tenant")]
    pub tenant: String,
    /// Name of the input it arrived on.
    pub input: String,
    /// When it was received.
    pub received: Timestamp,
    /// Remote address, if any.
    pub peer: Option<String>,
    /// Machine-readable reason (a dead-letter code, `docs/http-errors.md`).
    pub code: String,
    /// Human-readable reason.
    pub message: String,
    /// The stored bytes as text.
    pub data: String,
    /// The exact bytes, when they are not UTF-8.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub data_base64: Option<String>,
}

/// One page of dead letters, newest first.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct DeadLetterPage {
    /// The letters, newest (highest `seq`) first.
    pub dead_letters: Vec<DeadLetter>,
    /// Pass as the `cursor` parameter to get the next page; `None` on the last page.
    pub next_cursor: Option<String>,
    /// Number of letters matching the filters (all pages).
    pub total: u64,
}
