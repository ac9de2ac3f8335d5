//! ATT&CK Navigator layers, layer format 4.5
//! (<https://github.com/mitre-attack/attack-navigator/blob/master/layers/LAYERFORMATv4_5.md>).
//!
//! Every technique in scope is listed (those without a rule score 0, so gaps show), with no
//! `tactic` (the annotation shows under every tactic of the technique) and a comment naming the
//! rules. Techniques out of scope are not listed; `filters.platforms` carries the platform scope.

use std::collections::HashMap;

use serde::{Deserialize, Serialize};

use crate::{
    bundle::Attack,
    coverage::{Coverage, TechniqueCoverage, rule_list},
};

/// The Navigator version layers are written for (format 4.5 needs at least 4.9.0).
pub const NAVIGATOR_VERSION: &str = "5.1.0";
/// The layer format.
pub const LAYER_FORMAT: &str = "4.5";

const RED: &str = "#ff6666";
const YELLOW: &str = "#ffe766";
const GREEN: &str = "#8ec843";
const WHITE: &str = "#ffffff";

/// Which layer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum LayerKind {
    /// Score: the number of enabled rules per technique.
    Rules,
    /// 100 when a rule's logsource reported in the window, 50 with rules but silent sources, 0 none.
    Healthy,
    /// 100 when the latest validation passed, 50 with rules but not validated, 0 none.
    Validated,
    /// Score: alerts in the period from the technique's rules.
    Detections,
}

impl LayerKind {
    pub const ALL: [LayerKind; 4] = [
        LayerKind::Rules,
        LayerKind::Healthy,
        LayerKind::Validated,
        LayerKind::Detections,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            LayerKind::Rules => "rules",
            LayerKind::Healthy => "healthy",
            LayerKind::Validated => "validated",
            LayerKind::Detections => "detections",
        }
    }

    pub fn parse(text: &str) -> Option<LayerKind> {
        LayerKind::ALL.into_iter().find(|k| k.as_str() == text)
    }
}

/// A Navigator layer (format 4.5; the fields Vigil writes).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Layer {
    pub name: String,
    pub versions: Versions,
    pub domain: String,
    pub description: String,
    pub filters: Filters,
    /// 3: by score, descending.
    pub sorting: u8,
    pub layout: Layout,
    pub hide_disabled: bool,
    pub techniques: Vec<LayerTechnique>,
    pub gradient: Gradient,
    pub legend_items: Vec<LegendItem>,
    pub metadata: Vec<Metadata>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Versions {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub attack: Option<String>,
    pub navigator: String,
    pub layer: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Filters {
    pub platforms: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Layout {
    pub layout: String,
    #[serde(rename = "showID")]
    pub show_id: bool,
    pub show_name: bool,
    pub show_aggregate_scores: bool,
    pub count_unscored: bool,
    pub aggregate_function: String,
    pub expanded_subtechniques: String,
}

/// A technique's annotation.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct LayerTechnique {
    #[serde(rename = "techniqueID")]
    pub technique_id: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tactic: Option<String>,
    pub score: f64,
    pub comment: String,
    pub enabled: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub color: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Gradient {
    pub colors: Vec<String>,
    pub min_value: f64,
    pub max_value: f64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct LegendItem {
    pub label: String,
    pub color: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Metadata {
    pub name: String,
    pub value: String,
}

/// What a layer is drawn for, besides the coverage.
#[derive(Debug, Clone, Default)]
pub struct LayerContext {
    /// Names the layer (e.g. the tenant).
    pub title: String,
    /// For `detections`: alerts per rule id in the period.
    pub alerts_by_rule: HashMap<String, u64>,
    /// For `detections`: the period, as text (`2026-11-01T00:00:00Z – 2026-12-01T00:00:00Z`).
    pub period: Option<String>,
    /// For `healthy`: the window (`24h`).
    pub window: Option<String>,
}

/// Builds one layer from a computed coverage.
pub fn layer(kind: LayerKind, attack: &Attack, coverage: &Coverage, ctx: &LayerContext) -> Layer {
    let techniques: Vec<LayerTechnique> = coverage
        .techniques
        .iter()
        .map(|t| {
            let (score, comment) = score(kind, t, coverage, ctx);
            LayerTechnique {
                technique_id: t.id.clone(),
                tactic: None,
                score,
                comment,
                enabled: true,
                color: None,
            }
        })
        .collect();
    let max = techniques.iter().map(|t| t.score).fold(0.0_f64, f64::max);
    let (gradient, legend) = look(kind, max);
    let platforms = if coverage.scope.platforms.is_empty() {
        attack.platforms()
    } else {
        let all = attack.platforms();
        all.into_iter()
            .filter(|p| coverage.scope.platforms.iter().any(|s| s.eq_ignore_ascii_case(p)))
            .collect()
    };
    Layer {
        name: format!("Vigil {} coverage{}", kind.as_str(), title_suffix(&ctx.title)),
        versions: Versions {
            attack: attack.major_version().map(str::to_string),
            navigator: NAVIGATOR_VERSION.to_string(),
            layer: LAYER_FORMAT.to_string(),
        },
        domain: "enterprise-attack".to_string(),
        description: description(kind, coverage, ctx),
        filters: Filters { platforms },
        sorting: 3,
        layout: Layout {
            layout: "side".to_string(),
            show_id: true,
            show_name: true,
            show_aggregate_scores: false,
            count_unscored: false,
            aggregate_function: "max".to_string(),
            expanded_subtechniques: "annotated".to_string(),
        },
        hide_disabled: false,
        techniques,
        gradient,
        legend_items: legend,
        metadata: metadata(coverage),
    }
}

fn title_suffix(title: &str) -> String {
    if title.is_empty() {
        String::new()
    } else {
        format!(" ({title})")
    }
}

fn score(kind: LayerKind, t: &TechniqueCoverage, coverage: &Coverage, ctx: &LayerContext) -> (f64, String) {
    let rules = rule_list(&t.rules);
    let named = |prefix: &str| {
        if rules.is_empty() {
            "no enabled rule".to_string()
        } else {
            format!("{prefix}{rules}")
        }
    };
    match kind {
        LayerKind::Rules => (t.rules.len() as f64, named("rules: ")),
        LayerKind::Healthy => {
            let score = if t.healthy {
                100.0
            } else if t.rules.is_empty() {
                0.0
            } else {
                50.0
            };
            let state = match (coverage.health_available, t.healthy, t.rules.is_empty()) {
                (false, _, false) => "source health unavailable; ",
                (true, true, _) => "sources reporting; ",
                (true, false, false) => "no rule's logsource reported; ",
                _ => "",
            };
            (score, format!("{state}{}", named("rules: ")))
        }
        LayerKind::Validated => {
            let score = match (t.validated, t.rules.is_empty()) {
                (Some(true), _) => 100.0,
                (_, false) => 50.0,
                _ => 0.0,
            };
            let state = match (coverage.validation_available, t.validated) {
                (false, _) => "validation unavailable; ",
                (true, Some(true)) => "validation passed; ",
                (true, Some(false)) => "validation failed; ",
                (true, None) => "not validated; ",
            };
            (score, format!("{state}{}", named("rules: ")))
        }
        LayerKind::Detections => {
            let mut per_rule: Vec<(String, u64)> = t
                .rules
                .iter()
                .map(|r| (r.title.clone(), ctx.alerts_by_rule.get(&r.id).copied().unwrap_or(0)))
                .filter(|(_, n)| *n > 0)
                .collect();
            per_rule.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
            let total: u64 = per_rule.iter().map(|(_, n)| n).sum();
            let comment = if per_rule.is_empty() {
                "no alerts".to_string()
            } else {
                let list: Vec<String> = per_rule.iter().map(|(title, n)| format!("{title}: {n}")).collect();
                format!("alerts: {}", list.join("; "))
            };
            (total as f64, comment)
        }
    }
}

fn look(kind: LayerKind, max: f64) -> (Gradient, Vec<LegendItem>) {
    let item = |label: &str, color: &str| LegendItem {
        label: label.to_string(),
        color: color.to_string(),
    };
    match kind {
        LayerKind::Rules | LayerKind::Detections => {
            let unit = if kind == LayerKind::Rules { "rules" } else { "alerts" };
            (
                Gradient {
                    colors: vec![WHITE.to_string(), GREEN.to_string()],
                    min_value: 0.0,
                    max_value: max.max(1.0),
                },
                vec![
                    item(&format!("no {unit}"), WHITE),
                    item(&format!("most {unit} ({max})"), GREEN),
                ],
            )
        }
        LayerKind::Healthy | LayerKind::Validated => {
            let (mid, top) = if kind == LayerKind::Healthy {
                ("rules, no source reporting", "rules with sources reporting")
            } else {
                ("rules, not validated", "validation passed")
            };
            (
                Gradient {
                    colors: vec![RED.to_string(), YELLOW.to_string(), GREEN.to_string()],
                    min_value: 0.0,
                    max_value: 100.0,
                },
                vec![item("no enabled rule", RED), item(mid, YELLOW), item(top, GREEN)],
            )
        }
    }
}

fn description(kind: LayerKind, c: &Coverage, ctx: &LayerContext) -> String {
    let pct = |r: crate::Ratio| format!("{}/{} ({:.1}%)", r.covered, r.total, r.ratio * 100.0);
    match kind {
        LayerKind::Rules => format!("Techniques with at least one enabled rule: {}.", pct(c.summary.rules)),
        LayerKind::Healthy if !c.health_available => {
            "Source health is unavailable: no technique can be shown as healthy.".to_string()
        }
        LayerKind::Healthy => format!(
            "Techniques with an enabled rule whose logsource reported in the last {}: {}.",
            ctx.window.as_deref().unwrap_or("window"),
            pct(c.summary.healthy)
        ),
        LayerKind::Validated if !c.validation_available => {
            "No validation run is available: no technique can be shown as validated.".to_string()
        }
        LayerKind::Validated => format!(
            "Techniques whose latest validation passed: {}.",
            pct(c.summary.validated)
        ),
        LayerKind::Detections => format!(
            "Alerts per technique from its rules{}.",
            ctx.period.as_deref().map(|p| format!(", {p}")).unwrap_or_default()
        ),
    }
}

fn metadata(c: &Coverage) -> Vec<Metadata> {
    let m = |name: &str, value: String| Metadata {
        name: name.to_string(),
        value,
    };
    let mut out = vec![m("generator", "Vigil".to_string())];
    if !c.scope.tactics.is_empty() {
        out.push(m("tactics", c.scope.tactics.join(", ")));
    }
    if !c.unknown_techniques.is_empty() {
        out.push(m("techniques not in the bundle", c.unknown_techniques.join(", ")));
    }
    out
}
