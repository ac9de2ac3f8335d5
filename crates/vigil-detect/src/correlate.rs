//! Sigma correlation rules over event time, fed with [`Hit`]s from the [`Detector`].

use std::{borrow::Cow, collections::HashSet};

use rsigma_eval::{CorrelationConfig, CorrelationEngine, CorrelationEventMode, TimestampFallback, event::EventValue};
use serde_json::Value;
use vigil_event::Event;

use crate::{
    detector::Hit,
    rules::{Problem, RuleSet},
};

/// One firing of a correlation rule.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct CorrelationHit {
    /// Index into [`crate::Detector::rules`] of the correlation rule.
    pub rule: usize,
    /// Group-by fields and their values.
    pub group_key: Vec<(String, String)>,
    /// The aggregated value that met the condition (a count, for `event_count`).
    pub value: f64,
    pub timespan_secs: u64,
    /// Ids of the contributing events, as far as the engine kept them.
    pub event_ids: Vec<String>,
}

/// The correlation engine. Feed events in event-time order.
pub struct Correlator {
    engine: CorrelationEngine,
    /// Correlation rule key (id, name or title) -> index into the detector's rule infos.
    index: Vec<(String, usize)>,
    /// Detection rules whose standalone hits are suppressed (`generate: false` correlations).
    correlation_only: HashSet<usize>,
}

impl std::fmt::Debug for Correlator {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Correlator").field("rules", &self.index.len()).finish()
    }
}

/// Lets the correlation engine read fields in place and know each event by Vigil's id.
struct View<'a>(&'a Event);

impl rsigma_eval::Event for View<'_> {
    fn get_field(&self, path: &str) -> Option<EventValue<'_>> {
        rsigma_eval::Event::get_field(self.0, path)
    }
    fn any_string_value(&self, pred: &dyn Fn(&str) -> bool) -> bool {
        self.0.any_string_value(pred)
    }
    fn all_string_values(&self) -> Vec<Cow<'_, str>> {
        self.0.all_string_values()
    }
    fn to_json(&self) -> Value {
        serde_json::json!({ "_id": self.0.id.to_string() })
    }
}

impl Correlator {
    /// Builds the correlator for the correlation rules of `set`; `None` when there are none.
    /// Detection-rule indices are those of [`RuleSet::infos`]: correlation rule `i` is `set.rules.len() + i`.
    pub fn build(set: &RuleSet) -> (Option<Correlator>, Vec<Problem>) {
        if set.correlations.is_empty() {
            return (None, Vec::new());
        }
        let config = CorrelationConfig {
            timestamp_fallback: TimestampFallback::Skip,
            correlation_event_mode: CorrelationEventMode::Refs,
            ..CorrelationConfig::default()
        };
        let mut engine = CorrelationEngine::new(config);
        let mut problems = Vec::new();
        let referenced: HashSet<&str> = set
            .correlations
            .iter()
            .flat_map(|c| c.rule.rules.iter().map(String::as_str))
            .collect();
        let mut correlation_only = HashSet::new();
        for (i, loaded) in set.rules.iter().enumerate() {
            let names = [loaded.rule.id.as_deref(), loaded.rule.name.as_deref()];
            if !names.iter().flatten().any(|n| referenced.contains(n)) {
                continue;
            }
            if let Err(e) = engine.add_rule(&loaded.rule) {
                problems.push(Problem {
                    path: loaded.path.to_path_buf(),
                    line: None,
                    rule: Some(loaded.rule.title.clone()),
                    message: format!("cannot compile for correlation: {e}"),
                });
            }
            let silent = set
                .correlations
                .iter()
                .any(|c| !c.rule.generate && c.rule.rules.iter().any(|r| names.iter().flatten().any(|n| n == r)));
            if silent {
                correlation_only.insert(i);
            }
        }
        let mut index = Vec::new();
        for (j, loaded) in set.correlations.iter().enumerate() {
            match engine.add_correlation(&loaded.rule) {
                Ok(()) => {
                    let info = set.rules.len() + j;
                    for key in [
                        loaded.rule.id.as_ref(),
                        loaded.rule.name.as_ref(),
                        Some(&loaded.rule.title),
                    ]
                    .into_iter()
                    .flatten()
                    {
                        index.push((key.clone(), info));
                    }
                }
                Err(e) => problems.push(Problem {
                    path: loaded.path.to_path_buf(),
                    line: None,
                    rule: Some(loaded.rule.title.clone()),
                    message: format!("cannot compile correlation: {e}"),
                }),
            }
        }
        (
            Some(Correlator {
                engine,
                index,
                correlation_only,
            }),
            problems,
        )
    }

    /// Whether standalone hits of this detection rule are suppressed (it only feeds correlations).
    pub fn is_correlation_only(&self, rule: usize) -> bool {
        self.correlation_only.contains(&rule)
    }

    /// Feeds one event's hits at the event's time (seconds since the epoch).
    pub fn feed(&mut self, event: &Event, hits: &[Hit], time_secs: i64) -> Vec<CorrelationHit> {
        let detections = hits.iter().map(|h| h.result.clone()).collect();
        let results = self.engine.process_with_detections(&View(event), detections, time_secs);
        results
            .into_iter()
            .filter_map(|r| {
                let body = r.as_correlation()?;
                let key = r.header.rule_id.as_deref().unwrap_or(&r.header.rule_title);
                let rule = self
                    .index
                    .iter()
                    .find(|(k, _)| k == key || *k == r.header.rule_title)?
                    .1;
                Some(CorrelationHit {
                    rule,
                    group_key: body.group_key.clone(),
                    value: body.aggregated_value,
                    timespan_secs: body.timespan_secs,
                    event_ids: body.event_refs.iter().flatten().filter_map(|e| e.id.clone()).collect(),
                })
            })
            .collect()
    }

    /// The correlation state, for persisting across restarts.
    pub fn export_state(&self) -> rsigma_eval::CorrelationSnapshot {
        self.engine.export_state()
    }

    /// Restores state exported earlier; false when the snapshot does not fit these rules.
    pub fn import_state(&mut self, snapshot: rsigma_eval::CorrelationSnapshot) -> bool {
        self.engine.import_state(snapshot)
    }
}
