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

/// Vigil's level ([`vigil_event::Level`], the one definition) of an rsigma level.
pub fn domain_level(level: Level) -> vigil_event::Level {
    match level {
        Level::Informational => vigil_event::Level::Informational,
        Level::Low => vigil_event::Level::Low,
        Level::Medium => vigil_event::Level::Medium,
        Level::High => vigil_event::Level::High,
        Level::Critical => vigil_event::Level::Critical,
    }
}

/// The rsigma level of Vigil's level.
pub fn rsigma_level(level: vigil_event::Level) -> Level {
    match level {
        vigil_event::Level::Informational => Level::Informational,
        vigil_event::Level::Low => Level::Low,
        vigil_event::Level::Medium => Level::Medium,
        vigil_event::Level::High => Level::High,
        vigil_event::Level::Critical => Level::Critical,
    }
}

/// Numeric rank of a Sigma level (informational = 0 … critical = 4), for ordering and filters.
pub fn level_rank(level: Option<Level>) -> u8 {
    level.map_or(0, |l| domain_level(l).rank())
}

/// The lowercase name of a level (`none` when the rule sets none).
pub fn level_name(level: Option<Level>) -> &'static str {
    level.map_or("none", |l| domain_level(l).name())
}

/// Parses a level name as written in rules and on the command line ([`vigil_event::Level::parse`]).
pub fn parse_level(text: &str) -> Option<Level> {
    vigil_event::Level::parse(text).ok().map(rsigma_level)
}
