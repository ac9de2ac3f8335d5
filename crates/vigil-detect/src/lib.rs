//! Sigma detection for Vigil, wrapping `rsigma-eval`.
//!
//! - [`rules`]: load rule directories recursively; every file that fails is reported with its
//!   path and reason ([`Problem`]); select rules by level and status.
//! - [`Detector`]: compiles rules into one rsigma engine per distinct logsource and routes each
//!   event only to the engines whose logsource can match it.
//! - [`Correlator`]: Sigma correlation rules (event_count, value_count, temporal,
//!   temporal_ordered, …) over event time, fed with the detector's hits.
//! - [`attack`]: MITRE ATT&CK tactic and technique ids from rule tags.
//! - [`lint`] and [`ruletest`]: detection-as-code checks behind `vigil rules lint|test`.

pub mod attack;
mod correlate;
mod detector;
pub mod lint;
pub mod rules;
pub mod ruletest;

pub use correlate::{CorrelationHit, Correlator};
pub use detector::{Detector, DetectorOptions, Hit, RouteStats};
pub use rules::{LoadReport, Problem, RuleFilter, RuleInfo, RuleKind, RuleSet};

pub use rsigma_eval::{CorrelationSnapshot, Pipeline, parse_pipeline_file};
pub use rsigma_parser::{Level, Status};

/// Errors that stop detection from starting at all (individual bad rules are [`Problem`]s).
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum DetectError {
    #[error("rule path {path} does not exist")]
    MissingPath { path: String },
    #[error("cannot read {path}: {source}")]
    Io { path: String, source: std::io::Error },
}

/// Numeric rank of a Sigma level (informational = 0 … critical = 4), for ordering and filters.
pub fn level_rank(level: Option<Level>) -> u8 {
    match level {
        None | Some(Level::Informational) => 0,
        Some(Level::Low) => 1,
        Some(Level::Medium) => 2,
        Some(Level::High) => 3,
        Some(Level::Critical) => 4,
    }
}

/// The lowercase name of a level (`none` when the rule sets none).
pub fn level_name(level: Option<Level>) -> &'static str {
    match level {
        None => "none",
        Some(Level::Informational) => "informational",
        Some(Level::Low) => "low",
        Some(Level::Medium) => "medium",
        Some(Level::High) => "high",
        Some(Level::Critical) => "critical",
    }
}

/// Parses a level name as written in rules and on the command line.
pub fn parse_level(text: &str) -> Option<Level> {
    match text.trim().to_ascii_lowercase().as_str() {
        "informational" | "info" => Some(Level::Informational),
        "low" => Some(Level::Low),
        "medium" | "med" => Some(Level::Medium),
        "high" => Some(Level::High),
        "critical" | "crit" => Some(Level::Critical),
        _ => None,
    }
}
