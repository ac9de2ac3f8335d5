//! Detection validation: `/api/v1/validation/runs`.
//!
//! A run replays a plan's labelled attack samples through the rule set the server is serving and
//! records, per test, whether an expected rule alerted ([`Outcome::Detected`]), only other rules
//! ([`Outcome::OtherRule`]), an expected rule saw the events without alerting
//! ([`Outcome::Logged`]), or nothing did ([`Outcome::Missed`]); per ATT&CK technique the best
//! outcome of its tests. Runs are kept: the detection rate has a history.

use jiff::Timestamp;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use utoipa::ToSchema;

/// Most tests one run holds.
pub const MAX_TESTS: usize = 5_000;
/// Most events one test holds.
pub const MAX_EVENTS_PER_TEST: usize = 10_000;
/// Most events one run holds.
pub const MAX_EVENTS: usize = 200_000;
/// Longest plan name, test id, technique or rule id, in characters.
pub const MAX_NAME_CHARS: usize = 256;

/// What happened to one test, best first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    /// An expected rule, or a rule mapped to an expected technique, alerted.
    Detected,
    /// Only other rules alerted.
    OtherRule,
    /// No alert, but an expected rule is enabled and the events reached it (their logsource is
    /// routed to it): the telemetry exists, the logic fell short.
    Logged,
    /// No alert, and no expected rule saw the events: the rule is missing or disabled, the
    /// logsource is not routed to it, or nothing was parsed.
    Missed,
}

impl Outcome {
    pub const ALL: [Outcome; 4] = [Outcome::Detected, Outcome::OtherRule, Outcome::Logged, Outcome::Missed];

    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Detected => "detected",
            Outcome::OtherRule => "other_rule",
            Outcome::Logged => "logged",
            Outcome::Missed => "missed",
        }
    }
}

/// `POST /api/v1/validation/runs`: a plan's tests with their sample events inline.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewValidationRun {
    /// The plan's name (shown in the history).
    pub plan: String,
    pub tests: Vec<ValidationTest>,
}

/// One test of a plan.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ValidationTest {
    /// Unique within the plan.
    pub id: String,
    /// The ATT&CK technique the test exercises (`T1059.001`); none: the first technique of its
    /// expected rules in the running set.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub technique: Option<String>,
    /// Rule ids (or titles) whose alert counts as detection.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub expect_rules: Vec<String>,
    /// ATT&CK techniques: an alert of a rule mapped to one (or to a sub-technique of one) counts as
    /// detection.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub expect_techniques: Vec<String>,
    /// The sample files the events came from (for the report).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub samples: Vec<String>,
    /// The events, each a JSON object as ingest would receive it (an EVTX record as its JSON
    /// rendering); parsed and routed like ingested JSON.
    pub events: Vec<Value>,
}

impl NewValidationRun {
    /// Checks sizes, names and that every test expects something; the message names the test.
    pub fn check(&self) -> Result<(), String> {
        name_ok("plan", &self.plan)?;
        if self.tests.is_empty() {
            return Err("`tests`: the plan has no test".into());
        }
        if self.tests.len() > MAX_TESTS {
            return Err(format!("`tests`: at most {MAX_TESTS} tests in one run"));
        }
        let mut seen = std::collections::HashSet::new();
        let mut events = 0usize;
        for t in &self.tests {
            name_ok("test id", &t.id)?;
            if !seen.insert(t.id.as_str()) {
                return Err(format!("test `{}`: the id is given twice", t.id));
            }
            if t.expect_rules.is_empty() && t.expect_techniques.is_empty() {
                return Err(format!("test `{}`: give `expect_rules` or `expect_techniques`", t.id));
            }
            for r in &t.expect_rules {
                name_ok("rule id", r).map_err(|e| format!("test `{}`: {e}", t.id))?;
            }
            for tech in t.technique.iter().chain(&t.expect_techniques) {
                if !is_technique(tech) {
                    return Err(format!(
                        "test `{}`: `{tech}` is not an ATT&CK technique id (T1234 or T1234.001)",
                        t.id
                    ));
                }
            }
            if t.events.len() > MAX_EVENTS_PER_TEST {
                return Err(format!("test `{}`: at most {MAX_EVENTS_PER_TEST} events", t.id));
            }
            if let Some(n) = t.events.iter().position(|e| !e.is_object()) {
                return Err(format!("test `{}`: event {} is not a JSON object", t.id, n + 1));
            }
            events += t.events.len();
        }
        if events > MAX_EVENTS {
            return Err(format!("at most {MAX_EVENTS} events in one run ({events} given)"));
        }
        Ok(())
    }
}

fn name_ok(what: &str, text: &str) -> Result<(), String> {
    if text.trim().is_empty() {
        return Err(format!("the {what} is empty"));
    }
    if text.chars().count() > MAX_NAME_CHARS || text.chars().any(char::is_control) {
        return Err(format!(
            "the {what} is longer than {MAX_NAME_CHARS} characters or holds control characters"
        ));
    }
    Ok(())
}

/// `T1234` or `T1234.001` (any case).
pub fn is_technique(text: &str) -> bool {
    let b = text.as_bytes();
    let digits = |s: &[u8]| s.iter().all(u8::is_ascii_digit);
    match b.len() {
        5 => b[0].eq_ignore_ascii_case(&b'T') && digits(&b[1..]),
        9 => b[0].eq_ignore_ascii_case(&b'T') && digits(&b[1..5]) && b[5] == b'.' && digits(&b[6..]),
        _ => false,
    }
}

/// Whether a rule mapped to `rule_technique` covers the expected `wanted`: the same technique, or
/// a sub-technique of it.
pub fn technique_covers(wanted: &str, rule_technique: &str) -> bool {
    let (w, r) = (wanted.to_ascii_uppercase(), rule_technique.to_ascii_uppercase());
    r == w || r.strip_prefix(&w).is_some_and(|rest| rest.starts_with('.'))
}

/// The result of one test.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct TestResult {
    pub id: String,
    /// The technique it exercises (given, or its expected rules' first).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub technique: Option<String>,
    pub outcome: Outcome,
    /// Events evaluated.
    pub events: u64,
    /// Rules that alerted on its events (rule id, else title), each once.
    pub fired: Vec<String>,
    #[serde(default)]
    pub expect_rules: Vec<String>,
    #[serde(default)]
    pub expect_techniques: Vec<String>,
    #[serde(default)]
    pub samples: Vec<String>,
    /// Why, in a sentence: the rule that detected, or what was missing.
    pub reason: String,
}

/// One technique's roll-up: the best outcome of its tests.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct TechniqueResult {
    /// `T1059.001`.
    pub technique: String,
    pub outcome: Outcome,
    /// At least one of its tests was detected.
    pub passed: bool,
    pub tests: u64,
    pub detected: u64,
}

/// Counts of a run (its row in the history).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct ValidationRunSummary {
    /// `val-` and 16 hexadecimal digits.
    pub id: String,
    pub at: Timestamp,
    pub plan: String,
    /// Who ran it.
    pub author: String,
    /// The running rule set's generation (reload count since the server started).
    pub generation: u64,
    /// SHA-256 over the running rule set's rule ids, levels and files: equal fingerprints, same rules.
    pub fingerprint: String,
    pub tests: u64,
    pub detected: u64,
    pub other_rule: u64,
    pub logged: u64,
    pub missed: u64,
    /// detected ÷ tests (0 with no test).
    pub detection_rate: f64,
}

/// A run with its per-test and per-technique results.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct ValidationRun {
    #[serde(flatten)]
    pub summary: ValidationRunSummary,
    pub results: Vec<TestResult>,
    pub techniques: Vec<TechniqueResult>,
}

/// `GET /api/v1/validation/runs`: newest first.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct ValidationRunList {
    pub runs: Vec<ValidationRunSummary>,
}

impl ValidationRun {
    /// Counts and rolls up `results` into a run (the id, time and author are the caller's).
    pub fn from_results(mut summary: ValidationRunSummary, results: Vec<TestResult>) -> ValidationRun {
        let count = |o: Outcome| results.iter().filter(|r| r.outcome == o).count() as u64;
        summary.tests = results.len() as u64;
        summary.detected = count(Outcome::Detected);
        summary.other_rule = count(Outcome::OtherRule);
        summary.logged = count(Outcome::Logged);
        summary.missed = count(Outcome::Missed);
        summary.detection_rate = rate(summary.detected, summary.tests);
        let techniques = roll_up(&results);
        ValidationRun {
            summary,
            results,
            techniques,
        }
    }

    /// Technique id → passed (a test of it detected), for coverage.
    pub fn passed_techniques(&self) -> std::collections::BTreeMap<String, bool> {
        self.techniques
            .iter()
            .map(|t| (t.technique.clone(), t.passed))
            .collect()
    }
}

/// detected ÷ tests, 0 with no test.
pub fn rate(detected: u64, tests: u64) -> f64 {
    if tests == 0 {
        0.0
    } else {
        detected as f64 / tests as f64
    }
}

/// Per technique, in id order: the best outcome of its tests.
pub fn roll_up(results: &[TestResult]) -> Vec<TechniqueResult> {
    let mut by: std::collections::BTreeMap<String, TechniqueResult> = Default::default();
    for r in results {
        let Some(t) = &r.technique else { continue };
        let key = t.to_ascii_uppercase();
        let entry = by.entry(key.clone()).or_insert(TechniqueResult {
            technique: key,
            outcome: Outcome::Missed,
            passed: false,
            tests: 0,
            detected: 0,
        });
        entry.tests += 1;
        entry.outcome = entry.outcome.min(r.outcome);
        if r.outcome == Outcome::Detected {
            entry.detected += 1;
            entry.passed = true;
        }
    }
    by.into_values().collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn techniques_are_recognised_and_covered_by_sub_techniques() {
        assert!(is_technique("T1059") && is_technique("t1059.001"));
        assert!(!is_technique("T105") && !is_technique("T1059.1") && !is_technique("TA0002"));
        assert!(technique_covers("T1059", "T1059.001"));
        assert!(technique_covers("t1059.001", "T1059.001"));
        assert!(!technique_covers("T1059.001", "T1059"));
        assert!(!technique_covers("T105", "T1059"));
    }

    #[test]
    fn a_technique_takes_the_best_outcome_of_its_tests() {
        let r = |id: &str, t: &str, o| TestResult {
            id: id.into(),
            technique: Some(t.into()),
            outcome: o,
            events: 1,
            fired: vec![],
            expect_rules: vec![],
            expect_techniques: vec![],
            samples: vec![],
            reason: String::new(),
        };
        let techniques = roll_up(&[
            r("a", "T1003", Outcome::Missed),
            r("b", "T1003", Outcome::Logged),
            r("c", "T1059", Outcome::Detected),
            r("d", "t1059", Outcome::OtherRule),
        ]);
        assert_eq!(techniques.len(), 2);
        assert_eq!((techniques[0].outcome, techniques[0].passed), (Outcome::Logged, false));
        assert_eq!(
            (techniques[1].outcome, techniques[1].passed, techniques[1].tests),
            (Outcome::Detected, true, 2)
        );
    }
}
