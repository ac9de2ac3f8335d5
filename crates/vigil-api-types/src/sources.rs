//! Log-source health (`GET /api/v1/sources`, `GET /api/v1/sources/expected`; issue 17, part 3).
//!
//! A source is what sent events: (input, host, product, service, category) within a tenant. Each is
//! reported with its last event (the arrival time), its baseline, its silence threshold, its status
//! and, over the window asked for, its uptime, MTBF and silences — each figure with its formula.

use jiff::Timestamp;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// Whether a source reports as it normally does.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum SourceStatus {
    /// Not enough history yet to say what "normal" is (no silence is raised for it).
    New,
    /// It normally reports and its last event is within its threshold.
    Healthy,
    /// It normally reports and has sent nothing for longer than its threshold.
    Silent,
}

impl SourceStatus {
    /// The wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            SourceStatus::New => "new",
            SourceStatus::Healthy => "healthy",
            SourceStatus::Silent => "silent",
        }
    }
}

/// One period a source stayed silent past its threshold.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Silence {
    /// Its last event before the silence.
    #[schema(value_type = String, format = DateTime)]
    pub started: Timestamp,
    /// When the health check declared it silent (and raised the alert).
    #[schema(value_type = String, format = DateTime)]
    pub declared: Timestamp,
    /// Its first event after the silence (absent: still silent).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<String>, format = DateTime)]
    pub ended: Option<Timestamp>,
    /// The "silent source" alert raised for it.
    pub alert_id: String,
}

/// A figure with the arithmetic behind it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct SourceFigure {
    /// A ratio (0 to 1); absent for a time figure or when it cannot be computed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub value: Option<f64>,
    /// A time, in seconds; absent for a ratio or when it cannot be computed (no silence: no MTBF).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub value_seconds: Option<f64>,
    /// What the figure is, in words and arithmetic.
    pub formula: String,
    /// How many silences it counts.
    pub n: u64,
}

/// One log source and its health.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct SourceHealth {
    /// Stable id (a hash of tenant, input, host and logsource).
    pub id: String,
    pub tenant: String,
    /// The input it arrived on (`syslog-tcp`, `http-bulk`, `api`, …).
    pub input: String,
    /// The host its events name (`HOST_FIELDS`), else the sender's address.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub host: Option<String>,
    /// Sigma logsource product, service(s) and category(ies) of its events (several joined by `,`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub product: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub service: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub category: Option<String>,
    /// Its first and last event's arrival.
    #[schema(value_type = String, format = DateTime)]
    pub first_seen: Timestamp,
    #[schema(value_type = String, format = DateTime)]
    pub last_event: Timestamp,
    /// Events counted since it was first seen.
    pub events: u64,
    pub status: SourceStatus,
    /// Hours of the last 7 days in which it sent events.
    pub active_hours: u64,
    /// Its baseline: events per active hour over the last 7 days (absent without history).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub baseline_per_hour: Option<f64>,
    /// Silent after this many seconds without an event (absent while it is new).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub threshold_seconds: Option<u64>,
    /// The silence in progress started with this last event.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<String>, format = DateTime)]
    pub silent_since: Option<Timestamp>,
    /// 1 − silent time ÷ window.
    pub uptime: SourceFigure,
    /// Up time ÷ number of silences in the window.
    pub mtbf: SourceFigure,
    /// Its silences overlapping the window, oldest first.
    pub silences: Vec<Silence>,
}

/// The sources of the principal's tenant, over the window `[from, to)`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct SourcesReport {
    #[schema(value_type = String, format = DateTime)]
    pub from: Timestamp,
    #[schema(value_type = String, format = DateTime)]
    pub to: Timestamp,
    pub sources: Vec<SourceHealth>,
}

/// A logsource the enabled rules read that no source sent in the window.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct ExpectedSource {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub product: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub service: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub category: Option<String>,
    /// The ids of the enabled rules that read it.
    pub rules: Vec<String>,
}

/// The logsources expected by the enabled rules but absent over `[from, to)`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct ExpectedSources {
    #[schema(value_type = String, format = DateTime)]
    pub from: Timestamp,
    #[schema(value_type = String, format = DateTime)]
    pub to: Timestamp,
    /// Distinct logsources the enabled rules read.
    pub expected: u64,
    /// Those nobody sent, with the rules that need them.
    pub absent: Vec<ExpectedSource>,
}
