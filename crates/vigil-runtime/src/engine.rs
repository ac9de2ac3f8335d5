//! The rules running in-stream: loading, hot reload with a validation report, and turning hits
//! into alerts.

use std::{
    collections::HashSet,
    path::PathBuf,
    sync::{Arc, RwLock},
};

use jiff::Timestamp;
pub use vigil_api_types::rules::RulesReport;
use vigil_detect::{CorrelationHit, Correlator, Detector, DetectorOptions, Hit, RuleFilter, RuleInfo, RuleSet};
use vigil_event::{Event, Level};
use vigil_state::{AlertKind, NewAlert};

/// Which Sigma rules run in-stream.
#[derive(Debug, Clone, PartialEq)]
pub struct RulesConfig {
    pub paths: Vec<PathBuf>,
    pub min_level: Option<Level>,
    pub pipelines: Vec<PathBuf>,
}

/// One loaded rule set: the detector and which rules only feed correlations.
#[derive(Debug)]
pub struct Rules {
    pub detector: Detector,
    pub suppressed: HashSet<usize>,
    pub report: RulesReport,
    /// The rules that make fresh correlators (kept only when the set has correlation rules).
    correlation_set: Option<RuleSet>,
    /// Bumped on every reload so the pipeline notices a new correlator.
    pub generation: u64,
}

/// Errors that prevent a rule set from loading at all (bad individual rules are only reported).
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum RulesError {
    #[error("{0}")]
    Load(#[from] vigil_detect::DetectError),
    #[error("pipeline {path}: {message}")]
    Pipeline { path: String, message: String },
}

/// Loads the configured rules. With no rule paths the set is empty (the server still stores).
pub fn load(config: &RulesConfig, generation: u64) -> Result<Rules, RulesError> {
    let filter = RuleFilter {
        min_level: config.min_level.map(vigil_detect::rsigma_level),
        statuses: None,
        everything: false,
    };
    let set = if config.paths.is_empty() {
        RuleSet::default()
    } else {
        RuleSet::load(&config.paths, &filter)?
    };
    let mut options = DetectorOptions::default();
    for p in &config.pipelines {
        let pipeline = vigil_detect::parse_pipeline_file(p).map_err(|e| RulesError::Pipeline {
            path: p.display().to_string(),
            message: e.to_string(),
        })?;
        options.pipelines.push(pipeline);
    }
    let (detector, mut problems) = Detector::build(&set, &options);
    let (correlator, corr_problems) = Correlator::build(&set);
    problems.extend(corr_problems);
    let suppressed = correlator
        .as_ref()
        .map(|c| {
            (0..detector.rules().len())
                .filter(|&i| c.is_correlation_only(i))
                .collect()
        })
        .unwrap_or_default();
    let report = RulesReport {
        loaded_at: Some(Timestamp::now()),
        paths: config.paths.clone(),
        files: set.report.files,
        detection_rules: set.report.detection_rules,
        correlation_rules: set.report.correlation_rules,
        compiled: detector.compiled_rules(),
        deselected: set.report.deselected,
        problems: set.problems.iter().chain(&problems).map(ToString::to_string).collect(),
    };
    Ok(Rules {
        detector,
        suppressed,
        report,
        correlation_set: correlator.is_some().then_some(set),
        generation,
    })
}

impl Rules {
    /// Whether the set has correlation rules.
    pub fn has_correlations(&self) -> bool {
        self.correlation_set.is_some()
    }

    /// A correlator with no state for these rules (the pipeline keeps one per tenant).
    pub fn fresh_correlator(&self) -> Option<Correlator> {
        Correlator::build(self.correlation_set.as_ref()?).0
    }
}

/// The current rule set, swapped whole on reload (readers keep the set they started a batch with).
#[derive(Debug)]
pub struct RuleHolder {
    config: RulesConfig,
    current: RwLock<Arc<Rules>>,
    reload_lock: std::sync::Mutex<()>,
}

impl RuleHolder {
    pub fn new(config: RulesConfig, rules: Rules) -> Self {
        RuleHolder {
            config,
            current: RwLock::new(Arc::new(rules)),
            reload_lock: std::sync::Mutex::new(()),
        }
    }

    pub fn current(&self) -> Arc<Rules> {
        self.current
            .read()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .clone()
    }

    /// Reloads from the configured paths. On failure the running set stays; rules that fail
    /// individually are reported and skipped while the rest replace the running set.
    /// Every reload (SIGHUP or API) is logged and counted in `metrics` here.
    pub fn reload(&self, metrics: &crate::metrics::Metrics) -> Result<RulesReport, RulesError> {
        let _one_at_a_time = self
            .reload_lock
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let generation = self.current().generation + 1;
        let rules = match load(&self.config, generation) {
            Ok(rules) => rules,
            Err(e) => {
                tracing::error!(error = %e, "rule reload failed; the running rules stay");
                return Err(e);
            }
        };
        let report = rules.report.clone();
        *self.current.write().unwrap_or_else(std::sync::PoisonError::into_inner) = Arc::new(rules);
        metrics.rule_reloads.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        for p in &report.problems {
            tracing::warn!(problem = %p, "rule not loaded");
        }
        tracing::info!(
            compiled = report.compiled,
            problems = report.problems.len(),
            "rules reloaded"
        );
        Ok(report)
    }
}

/// A stable alert id: the same rule over the same event (or correlation group and window) always
/// gives the same id, so replaying the spool after a crash inserts nothing twice.
fn alert_id(parts: &[&str]) -> String {
    let mut h = xxhash_rust::xxh3::Xxh3::new();
    for p in parts {
        h.update(p.as_bytes());
        h.update(&[0]);
    }
    format!("{:032x}", h.digest128())
}

fn host_of(event: &Event) -> Option<String> {
    match &event.source.host {
        Some(h) => Some(h.to_string()),
        None => event.fields.host(),
    }
}

fn base_alert(rule: &RuleInfo, kind: AlertKind, event: &Event, tenant: &str, now: Timestamp) -> NewAlert {
    let mut attack = rule.attack.tactics.clone();
    attack.extend(rule.attack.techniques.iter().cloned());
    NewAlert {
        id: String::new(),
        tenant: tenant.to_owned(),
        rule_id: rule.key().to_string(),
        rule_title: rule.title.clone(),
        level: vigil_detect::level_name(rule.level).to_string(),
        kind,
        attack,
        tags: rule.tags.clone(),
        event_ids: vec![event.id.to_string()],
        group_key: None,
        event_time: event.time,
        detected: now,
        input: Some(event.source.input.to_string()),
        host: host_of(event),
        matched: serde_json::Value::Null,
        grouping: None,
    }
}

/// The id of the alert of a detection of `rule` on `event` (the same on every delivery).
pub fn detection_alert_id(rule: &RuleInfo, event: &Event) -> String {
    alert_id(&[rule.key(), &event.id.to_string()])
}

/// Most matched fields an alert keeps.
const MAX_MATCHED_FIELDS: usize = 16;
/// Longest matched value an alert keeps, in characters (longer ones are cut).
const MAX_MATCHED_VALUE_CHARS: usize = 256;

/// An alert for one detection hit; `matched` names its selections and (at most 16) the fields
/// and values that matched (rsigma reports field matches, not keyword ones).
pub fn detection_alert(rule: &RuleInfo, hit: &Hit, event: &Event, tenant: &str, now: Timestamp) -> NewAlert {
    let mut a = base_alert(rule, AlertKind::Detection, event, tenant, now);
    a.id = detection_alert_id(rule, event);
    if let Some(d) = hit.result.as_detection() {
        let mut selections = d.matched_selections.clone();
        selections.sort();
        let fields: Vec<serde_json::Value> = d
            .matched_fields
            .iter()
            .take(MAX_MATCHED_FIELDS)
            .map(|f| {
                let value = match &f.value {
                    serde_json::Value::String(s) if s.chars().count() > MAX_MATCHED_VALUE_CHARS => {
                        serde_json::Value::String(s.chars().take(MAX_MATCHED_VALUE_CHARS).collect())
                    }
                    v => v.clone(),
                };
                serde_json::json!({ "field": f.field, "value": value })
            })
            .collect();
        a.matched = serde_json::json!({ "selections": selections, "fields": fields });
    }
    a
}

/// An alert for one correlation firing; `event` completed it.
pub fn correlation_alert(
    rule: &RuleInfo,
    hit: &CorrelationHit,
    event: &Event,
    tenant: &str,
    now: Timestamp,
) -> NewAlert {
    let mut a = base_alert(rule, AlertKind::Correlation, event, tenant, now);
    let group: Vec<String> = hit.group_key.iter().map(|(k, v)| format!("{k}={v}")).collect();
    let group = group.join(",");
    a.id = alert_id(&[rule.key(), &group, &event.id.to_string()]);
    if !hit.event_ids.is_empty() {
        a.event_ids = hit.event_ids.clone();
    }
    a.group_key = Some(group);
    a.matched = serde_json::json!({ "value": hit.value, "timespan_secs": hit.timespan_secs });
    a
}
