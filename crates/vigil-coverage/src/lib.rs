//! ATT&CK coverage completeness.
//!
//! - [`bundle`]: MITRE ATT&CK Enterprise from a STIX 2.1 bundle the operator supplies (offline):
//!   tactics in matrix order, active techniques and sub-techniques with their tactics, platforms and
//!   the data components that would detect them (technique ← detection strategy → analytic → data
//!   component, the ATT&CK v18 chain).
//! - [`coverage`]: pure functions from plain inputs (scope, enabled rules with their techniques and
//!   logsources, the logsources that reported in the window, validated techniques) to coverage per
//!   technique, per tactic and overall.
//! - [`navigator`]: ATT&CK Navigator layers (layer format 4.5) for rules, healthy coverage,
//!   validated coverage and detections.
//!
//! The bundle is read with serde_json over the few object types needed rather than a STIX library:
//! the ATT&CK objects are custom `x-mitre-*` types (tactic, matrix, detection strategy, analytic,
//! data component) that generic STIX 2.1 models (e.g. `rstix` 0.23) carry only as untyped custom
//! properties, and a strict STIX validator would reject or slow a 7.8 MB bundle for no gain here.

pub mod bundle;
pub mod coverage;
pub mod navigator;

pub use bundle::{Attack, BundleError, DataComponent, Tactic, Technique};
pub use coverage::{
    Coverage, CoverageAnswer, CoverageInputs, CoverageRule, LogSource, Ratio, RuleHit, Scope, Summary, TacticCoverage,
    TechniqueCoverage, compute, rule_list, rules_from_infos,
};
pub use navigator::{Layer, LayerContext, LayerKind, layer};
