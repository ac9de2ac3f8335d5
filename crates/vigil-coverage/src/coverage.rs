//! Coverage as a pure function of plain inputs.
//!
//! Per technique in scope: the enabled rules that map to it, whether any of those rules' logsources
//! reported in the window, whether validation passed. Three ratios over the techniques in scope
//! (techniques and sub-techniques alike, each one cell of the Navigator matrix):
//! - rule coverage: techniques with at least one enabled rule;
//! - coverage (healthy): techniques with at least one enabled rule whose logsource reported;
//! - validated coverage: techniques whose latest validation passed.
//!
//! Sub-techniques and their parent: a rule tagged with a sub-technique (`T1059.001`) counts for the
//! sub-technique and for its parent (`T1059`): it detects one way of doing the parent. A rule
//! tagged only with the parent does not count for the sub-techniques, since it does not say which
//! variants it catches. A validation pass on a sub-technique counts for the parent the same way.
//!
//! Logsource match (ARCHITECTURE.md): a rule's logsource is reporting when some reporting source
//! equals it on every dimension the rule names (product, service, category; ASCII case ignored); a
//! rule naming none is reporting when anything reports.

use std::collections::{BTreeMap, HashMap};

use serde::{Deserialize, Serialize};
use vigil_detect::RuleInfo;

use crate::bundle::{Attack, DataComponent};

/// Which techniques count: empty lists mean all.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Scope {
    /// Tactic shortnames (`execution`) or ids (`TA0002`).
    pub tactics: Vec<String>,
    /// ATT&CK platforms (`Windows`, `Linux`, …; case ignored).
    pub platforms: Vec<String>,
}

/// A Sigma logsource (or a reporting source's tags): each dimension optional.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
pub struct LogSource {
    pub product: Option<String>,
    pub service: Option<String>,
    pub category: Option<String>,
}

impl LogSource {
    /// Whether events from `source` reach a rule with this logsource: every dimension the rule
    /// names equals the source's.
    pub fn matched_by(&self, source: &LogSource) -> bool {
        let eq = |rule: &Option<String>, src: &Option<String>| match (rule, src) {
            (None, _) => true,
            (Some(r), Some(s)) => r.eq_ignore_ascii_case(s),
            (Some(_), None) => false,
        };
        eq(&self.product, &source.product) && eq(&self.service, &source.service) && eq(&self.category, &source.category)
    }
}

/// An enabled rule.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CoverageRule {
    /// The rule id (its title when it has none).
    pub id: String,
    pub title: String,
    /// Technique ids from its `attack.t*` tags.
    pub techniques: Vec<String>,
    pub logsource: LogSource,
}

/// The enabled rules of a loaded rule set.
pub fn rules_from_infos(infos: &[RuleInfo]) -> Vec<CoverageRule> {
    infos
        .iter()
        .map(|r| CoverageRule {
            id: r.key().to_string(),
            title: r.title.clone(),
            techniques: r.attack.techniques.clone(),
            logsource: LogSource {
                product: r.product.clone(),
                service: r.service.clone(),
                category: r.category.clone(),
            },
        })
        .collect()
}

/// Everything coverage is computed from.
#[derive(Debug, Clone, Copy)]
pub struct CoverageInputs<'a> {
    pub scope: &'a Scope,
    pub rules: &'a [CoverageRule],
    /// The logsources that reported in the window; `None` when source health is unavailable.
    pub reporting: Option<&'a [LogSource]>,
    /// Technique id → whether its latest validation passed; `None` when no validation ran.
    pub validated: Option<&'a HashMap<String, bool>>,
}

/// A rule that maps to a technique.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct RuleHit {
    pub id: String,
    pub title: String,
    /// Whether its logsource reported in the window (`None`: source health unavailable).
    pub reporting: Option<bool>,
    /// The sub-technique it is tagged with, when it counts for this parent through one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub via: Option<String>,
}

/// One technique in scope.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct TechniqueCoverage {
    pub id: String,
    pub name: String,
    pub tactics: Vec<String>,
    pub platforms: Vec<String>,
    pub rules: Vec<RuleHit>,
    /// At least one rule whose logsource reported (`false` too when health is unavailable).
    pub healthy: bool,
    /// Whether its latest validation passed (`None`: never validated or validation unavailable).
    pub validated: Option<bool>,
    /// What would detect it (ATT&CK data components).
    pub data_components: Vec<DataComponent>,
}

/// `covered` of `total`, and the ratio (0 when `total` is 0).
#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Ratio {
    pub covered: usize,
    pub total: usize,
    pub ratio: f64,
}

impl Ratio {
    fn of(covered: usize, total: usize) -> Ratio {
        let ratio = if total == 0 { 0.0 } else { covered as f64 / total as f64 };
        Ratio { covered, total, ratio }
    }
}

/// The three coverages over a set of techniques.
#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Summary {
    /// Techniques with at least one enabled rule.
    pub rules: Ratio,
    /// Techniques with at least one enabled rule whose logsource reported (the coverage).
    pub healthy: Ratio,
    /// Techniques whose latest validation passed.
    pub validated: Ratio,
}

/// One tactic's coverage.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct TacticCoverage {
    pub id: String,
    pub shortname: String,
    pub name: String,
    #[serde(flatten)]
    pub summary: Summary,
}

/// The coverage of a rule set against ATT&CK.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Coverage {
    /// The ATT&CK release of the bundle, when known.
    pub attack_version: Option<String>,
    pub scope: Scope,
    /// Whether source health was available (else `healthy` counts nothing).
    pub health_available: bool,
    /// Whether a validation run was available (else `validated` counts nothing).
    pub validation_available: bool,
    pub summary: Summary,
    /// Tactics in scope, in matrix order.
    pub tactics: Vec<TacticCoverage>,
    /// Techniques in scope, by id.
    pub techniques: Vec<TechniqueCoverage>,
    /// Technique ids the rules name that the bundle does not hold (revoked, deprecated, or typos).
    pub unknown_techniques: Vec<String>,
    /// Enabled rules with no ATT&CK technique tag.
    pub untagged_rules: usize,
}

impl Scope {
    fn has_tactic(&self, shortname: &str, id: &str) -> bool {
        self.tactics.is_empty()
            || self
                .tactics
                .iter()
                .any(|t| t.eq_ignore_ascii_case(shortname) || t.eq_ignore_ascii_case(id))
    }

    fn has_platform(&self, platforms: &[String]) -> bool {
        self.platforms.is_empty()
            || platforms
                .iter()
                .any(|p| self.platforms.iter().any(|s| s.eq_ignore_ascii_case(p)))
    }
}

/// Computes coverage.
pub fn compute(attack: &Attack, inputs: &CoverageInputs<'_>) -> Coverage {
    let scope = inputs.scope;
    let tactics_in_scope: Vec<_> = attack
        .tactics
        .iter()
        .filter(|t| scope.has_tactic(&t.shortname, &t.id))
        .collect();
    let hits = rule_hits(attack, inputs);
    let mut unknown: Vec<String> = inputs
        .rules
        .iter()
        .flat_map(|r| &r.techniques)
        .filter(|t| attack.technique(t).is_none())
        .cloned()
        .collect();
    unknown.sort();
    unknown.dedup();
    let validated = validated_map(inputs.validated);
    let techniques: Vec<TechniqueCoverage> = attack
        .techniques
        .iter()
        .filter(|t| scope.has_platform(&t.platforms))
        .filter_map(|t| {
            let tactics: Vec<String> = t
                .tactics
                .iter()
                .filter(|s| tactics_in_scope.iter().any(|ts| &ts.shortname == *s))
                .cloned()
                .collect();
            if tactics.is_empty() {
                return None;
            }
            let rules = hits.get(&t.id).cloned().unwrap_or_default();
            Some(TechniqueCoverage {
                healthy: rules.iter().any(|r| r.reporting == Some(true)),
                validated: validated.get(t.id.as_str()).copied(),
                id: t.id.clone(),
                name: t.name.clone(),
                tactics,
                platforms: t.platforms.clone(),
                rules,
                data_components: t.data_components.clone(),
            })
        })
        .collect();
    let tactics = tactics_in_scope
        .iter()
        .map(|t| TacticCoverage {
            id: t.id.clone(),
            shortname: t.shortname.clone(),
            name: t.name.clone(),
            summary: summarize(techniques.iter().filter(|c| c.tactics.contains(&t.shortname))),
        })
        .collect();
    Coverage {
        attack_version: attack.version.clone(),
        scope: scope.clone(),
        health_available: inputs.reporting.is_some(),
        validation_available: inputs.validated.is_some(),
        summary: summarize(techniques.iter()),
        tactics,
        techniques,
        unknown_techniques: unknown,
        untagged_rules: inputs.rules.iter().filter(|r| r.techniques.is_empty()).count(),
    }
}

fn summarize<'a>(techniques: impl Iterator<Item = &'a TechniqueCoverage>) -> Summary {
    let (mut total, mut rules, mut healthy, mut validated) = (0, 0, 0, 0);
    for t in techniques {
        total += 1;
        rules += usize::from(!t.rules.is_empty());
        healthy += usize::from(t.healthy);
        validated += usize::from(t.validated == Some(true));
    }
    Summary {
        rules: Ratio::of(rules, total),
        healthy: Ratio::of(healthy, total),
        validated: Ratio::of(validated, total),
    }
}

/// Technique id → the rules that count for it (sub-technique rules also under the parent).
fn rule_hits(attack: &Attack, inputs: &CoverageInputs<'_>) -> HashMap<String, Vec<RuleHit>> {
    let mut out: HashMap<String, Vec<RuleHit>> = HashMap::new();
    for rule in inputs.rules {
        let reporting = inputs
            .reporting
            .map(|sources| sources.iter().any(|s| rule.logsource.matched_by(s)));
        let mut push = |id: &str, via: Option<&str>| {
            let list = out.entry(id.to_string()).or_default();
            match list.iter_mut().find(|h| h.id == rule.id) {
                // Tagged with the parent itself as well: it counts directly.
                Some(hit) if via.is_none() => hit.via = None,
                Some(_) => {}
                None => list.push(RuleHit {
                    id: rule.id.clone(),
                    title: rule.title.clone(),
                    reporting,
                    via: via.map(str::to_string),
                }),
            }
        };
        for t in &rule.techniques {
            let Some(tech) = attack.technique(t) else {
                continue;
            };
            push(&tech.id, None);
            if let Some(parent) = tech.parent.as_deref().filter(|p| attack.technique(p).is_some()) {
                push(parent, Some(&tech.id));
            }
        }
    }
    out
}

/// Validation outcomes with sub-technique passes rolled up to the parent.
fn validated_map(validated: Option<&HashMap<String, bool>>) -> HashMap<String, bool> {
    let mut out: HashMap<String, bool> = HashMap::new();
    for (id, &passed) in validated.into_iter().flatten() {
        let id = id.trim().to_ascii_uppercase();
        if let Some((parent, _)) = id.split_once('.') {
            let e = out.entry(parent.to_string()).or_insert(false);
            *e |= passed;
        }
        let e = out.entry(id).or_insert(false);
        *e |= passed;
    }
    out
}

/// Technique id → its rules' titles and ids, for layer comments and tables.
pub fn rule_list(hits: &[RuleHit]) -> String {
    let mut by_title: BTreeMap<&str, &str> = BTreeMap::new();
    for h in hits {
        by_title.insert(&h.title, &h.id);
    }
    by_title
        .iter()
        .map(|(title, id)| {
            if title == id {
                (*title).to_string()
            } else {
                format!("{title} ({id})")
            }
        })
        .collect::<Vec<_>>()
        .join("; ")
}

/// `GET /api/v1/coverage`: the coverage as of `at`, sources counted as reporting since `since`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct CoverageAnswer {
    /// The time the coverage is computed for (normally now).
    pub at: jiff::Timestamp,
    /// `at` minus the window: sources that sent since then are reporting.
    pub since: jiff::Timestamp,
    /// The health window (`24h`).
    pub window: String,
    #[serde(flatten)]
    pub coverage: Coverage,
}
