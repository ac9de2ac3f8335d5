//! `GET /api/v1/rules` and `POST /api/v1/rules/reload`: the running rule set.

use std::path::PathBuf;

use jiff::Timestamp;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::error::ErrorBody;

/// What a load or reload did, for the operator (`POST /api/v1/rules/reload`, logs).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct RulesReport {
    pub loaded_at: Option<Timestamp>,
    /// The rule files and directories read.
    #[schema(value_type = Vec<String>)]
    pub paths: Vec<PathBuf>,
    pub files: usize,
    pub detection_rules: usize,
    pub correlation_rules: usize,
    pub compiled: usize,
    pub deselected: usize,
    /// Rules that could not be loaded, each with file and reason. They are skipped; the others run.
    pub problems: Vec<String>,
}

/// The answer of `GET /api/v1/rules`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct RulesAnswer {
    /// Counts loads: 0 at start, one more per successful reload.
    pub generation: u64,
    pub report: RulesReport,
}

/// The answer of a successful `POST /api/v1/rules/reload` (a failed one is the error shape with
/// `"reloaded": false` beside `error`; the running set stays).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct ReloadAnswer {
    pub reloaded: bool,
    pub report: RulesReport,
}

/// The answer of a failed `POST /api/v1/rules/reload`: the error, and `"reloaded": false`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct ReloadFailed {
    #[serde(flatten)]
    pub body: ErrorBody,
    pub reloaded: bool,
}
