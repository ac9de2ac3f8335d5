//! The rule catalog of the console's rules page and alert page: `GET /api/v1/rules/catalog`
//! (every loaded rule with its figures over a period) and `GET /api/v1/rules/{id}` (one rule,
//! with its Sigma metadata and YAML).
//!
//! Figures are the principal's tenant's: alert count, false-positive rate and precision (the
//! KPIs' per-rule figures, `vigil_respond::kpi::rule_kpis`), the newest alert, and the verdict of
//! the tenant's latest validation run.

use std::collections::{BTreeMap, HashMap};
use std::path::Path as FsPath;

use axum::{
    Extension, Json,
    extract::{Path, State as AxState, rejection::PathRejection},
    http::Uri,
};
use jiff::{SignedDuration, Timestamp};
use vigil_api_types::access::Principal;
use vigil_api_types::console::{CatalogRule, RuleCatalog, RuleDetail, RuleValidation};
use vigil_api_types::error::ErrorBody;
use vigil_api_types::validation::{Outcome, ValidationRun};
use vigil_detect::{RuleInfo, RuleKind, attack::TACTICS};
use vigil_respond::kpi::{DispositionCounts, rule_kpis};

use crate::{ApiError, Ctx, ErrorCode, Params, records::read_time, records::state_error};

/// The period when none is given: the last 30 days.
const DEFAULT_PERIOD: SignedDuration = SignedDuration::from_hours(30 * 24);

/// `[from, to)` of the query (`to` defaults to now, `from` to 30 days before `to`).
fn period(p: &Params) -> Result<(Timestamp, Timestamp), ApiError> {
    let to = read_time(p, "to")?.unwrap_or_else(Timestamp::now);
    let from = read_time(p, "from")?.unwrap_or(to - DEFAULT_PERIOD);
    if from >= to {
        return Err(ApiError::param("from", "must be before `to`"));
    }
    Ok((from, to))
}

/// The tenant's figures per rule over a period.
struct Figures {
    counts: BTreeMap<String, DispositionCounts>,
    last: HashMap<String, Timestamp>,
    validation: Option<ValidationRun>,
}

async fn figures(ctx: &Ctx, tenant: &str, from: Timestamp, to: Timestamp) -> Result<Figures, ApiError> {
    let state = &ctx.state;
    let mut counts: BTreeMap<String, DispositionCounts> = BTreeMap::new();
    let by_rule = state
        .kpi_alerts_by_rule(tenant, from, to)
        .await
        .map_err(|e| state_error("counting alerts per rule", e))?;
    for c in &by_rule {
        counts
            .entry(c.key.clone())
            .or_default()
            .add(c.disposition.as_deref(), c.count);
    }
    let last = state
        .last_alert_by_rule(tenant, from, to)
        .await
        .map_err(|e| state_error("reading rules' last alerts", e))?;
    let validation = state
        .latest_validation(tenant)
        .await
        .map_err(|e| state_error("reading the latest validation run", e))?;
    Ok(Figures {
        counts,
        last,
        validation,
    })
}

/// Whether `technique` (or a parent of it) is among `expected`.
fn technique_expected(technique: &str, expected: &[String]) -> bool {
    expected.iter().any(|e| {
        e.eq_ignore_ascii_case(technique)
            || technique
                .get(..e.len())
                .is_some_and(|p| p.eq_ignore_ascii_case(e) && technique[e.len()..].starts_with('.'))
    })
}

/// The latest run's verdict on `rule`: detected when a test expecting it (by id, or by one of
/// its techniques) was detected by it; missed when tests expected it and none was; else not
/// tested.
fn verdict(rule: &RuleInfo, run: Option<&ValidationRun>) -> RuleValidation {
    let Some(run) = run else {
        return RuleValidation::NotTested;
    };
    let key = rule.key();
    let mut expected = false;
    for t in &run.results {
        let by_id = t.expect_rules.iter().any(|r| r == key);
        let by_technique = rule
            .attack
            .techniques
            .iter()
            .any(|tech| technique_expected(tech, &t.expect_techniques));
        if !(by_id || by_technique) {
            continue;
        }
        if t.outcome == Outcome::Detected && t.fired.iter().any(|f| f == key) {
            return RuleValidation::Detected;
        }
        expected |= by_id;
    }
    if expected {
        RuleValidation::Missed
    } else {
        RuleValidation::NotTested
    }
}

fn entry(rule: &RuleInfo, f: &Figures) -> CatalogRule {
    let key = rule.key();
    let counts = f.counts.get(key).copied().unwrap_or_default();
    let kpis = rule_kpis(key, &counts);
    let value = |name: &str| kpis.iter().find(|k| k.name == name).and_then(|k| k.value);
    CatalogRule {
        id: key.to_owned(),
        title: rule.title.clone(),
        level: vigil_detect::level_name(rule.level).to_owned(),
        status: rule.status.map(|s| format!("{s:?}").to_ascii_lowercase()),
        tags: rule.tags.clone(),
        techniques: rule.attack.techniques.clone(),
        tactics: rule.attack.tactics.clone(),
        product: rule.product.clone(),
        service: rule.service.clone(),
        category: rule.category.clone(),
        path: rule.path.display().to_string(),
        kind: match rule.kind {
            RuleKind::Detection => "detection",
            RuleKind::Correlation => "correlation",
        }
        .to_owned(),
        alerts: counts.alerts,
        false_positive_rate: value("false_positive_rate"),
        precision: value("precision"),
        last_alert: f.last.get(key).copied(),
        validation: verdict(rule, f.validation.as_ref()),
    }
}

/// A tactic filter: an id (`TA0002`) or a Sigma tag name (`execution`, `attack.execution`).
fn tactic_id(text: &str) -> Result<String, String> {
    let t = text.trim().trim_start_matches("attack.").to_ascii_lowercase();
    TACTICS
        .iter()
        .find(|(name, id, display)| *name == t || id.eq_ignore_ascii_case(&t) || display.eq_ignore_ascii_case(&t))
        .map(|(_, id, _)| (*id).to_owned())
        .ok_or_else(|| format!("`{text}` is not an ATT&CK tactic (an id like TA0002 or a name like execution)"))
}

/// `GET /api/v1/rules/catalog`.
#[utoipa::path(
    get,
    path = "/api/v1/rules/catalog",
    operation_id = "rule_catalog",
    tag = "rules",
    summary = "The rule catalog",
    description = "Every rule the server runs — id, title, level, status, tags, ATT&CK techniques and tactics, logsource, file, kind — with the principal's tenant's figures over `[from, to)` (default: the last 30 days): alerts raised, false-positive rate and precision of its closed alerts (as `GET /api/v1/kpis` per rule), its newest alert, and the verdict of the tenant's latest validation run. Filtered by `q` (a substring of the title or id, any case), `level` (at or above) and `tactic`; most alerts first, then by title.",
    params(
        ("from" = Option<String>, Query, description = "Start of the period (RFC 3339 or relative like `-7d`); default 30 days before `to`."),
        ("to" = Option<String>, Query, description = "End of the period (exclusive); default now."),
        ("q" = Option<String>, Query, description = "Only rules whose title or id contains this, any case."),
        ("level" = Option<String>, Query, description = "Only rules of this level or higher."),
        ("tactic" = Option<String>, Query, description = "Only rules tagged with this ATT&CK tactic (`TA0002` or `execution`)."),
    ),
    responses(
        (status = 200, description = "The catalog.", body = RuleCatalog),
        (status = 400, description = "`bad_request`: an invalid time, `from` not before `to`, an invalid level or tactic, or an unknown parameter.", body = ErrorBody),
    )
)]
pub async fn catalog(
    AxState(ctx): AxState<Ctx>,
    Extension(principal): Extension<Principal>,
    uri: Uri,
) -> Result<Json<RuleCatalog>, ApiError> {
    let p = Params::of(&uri, &["from", "to", "q", "level", "tactic"])?;
    let (from, to) = period(&p)?;
    let q = p.text("q").map(|q| q.to_lowercase()).filter(|q| !q.is_empty());
    let min_level = p.read("level", vigil_event::Level::parse)?;
    let tactic = p.read("tactic", tactic_id)?;
    let rules = ctx.rules.current();
    let f = figures(&ctx, &principal.tenant, from, to).await?;
    let mut out: Vec<CatalogRule> = rules
        .detector
        .rules()
        .iter()
        .filter(|r| {
            q.as_ref()
                .is_none_or(|q| r.title.to_lowercase().contains(q) || r.key().to_lowercase().contains(q))
        })
        .filter(|r| min_level.is_none_or(|min| vigil_detect::level_rank(r.level) >= min.rank()))
        .filter(|r| tactic.as_ref().is_none_or(|t| r.attack.tactics.contains(t)))
        .map(|r| entry(r, &f))
        .collect();
    out.sort_by(|a, b| b.alerts.cmp(&a.alerts).then_with(|| a.title.cmp(&b.title)));
    Ok(Json(RuleCatalog {
        from,
        to,
        generation: rules.generation,
        validation_run: f.validation.map(|v| v.summary.id),
        rules: out,
    }))
}

/// `GET /api/v1/rules/{id}`.
#[utoipa::path(
    get,
    path = "/api/v1/rules/{id}",
    operation_id = "get_rule",
    tag = "rules",
    summary = "One rule",
    description = "A running rule's catalog entry (as in `GET /api/v1/rules/catalog`, over `[from, to)`) with its Sigma description, author, references and false positives, and its YAML document read from its file (`source_changed` is true when the file changed after the rules were loaded).",
    params(
        ("id" = String, Path, description = "The rule's id (its title when it has none), as alerts name it."),
        ("from" = Option<String>, Query, description = "Start of the period; default 30 days before `to`."),
        ("to" = Option<String>, Query, description = "End of the period (exclusive); default now."),
    ),
    responses(
        (status = 200, description = "The rule.", body = RuleDetail),
        (status = 400, description = "`bad_request`: an invalid time, `from` not before `to`, or an unknown parameter.", body = ErrorBody),
        (status = 404, description = "`not_found`: no running rule has this id.", body = ErrorBody),
    )
)]
pub async fn rule(
    AxState(ctx): AxState<Ctx>,
    Extension(principal): Extension<Principal>,
    uri: Uri,
    id: Result<Path<String>, PathRejection>,
) -> Result<Json<RuleDetail>, ApiError> {
    let p = Params::of(&uri, &["from", "to"])?;
    let (from, to) = period(&p)?;
    let id = id
        .map(|Path(id)| id)
        .map_err(|_| ApiError::param("id", "not a valid rule id"))?;
    let rules = ctx.rules.current();
    let info = rules
        .detector
        .rules()
        .iter()
        .find(|r| r.key() == id)
        .cloned()
        .ok_or_else(|| {
            ApiError::new(
                ErrorCode::NotFound,
                format!("no running rule has the id `{id}` (GET /api/v1/rules/catalog lists them)"),
            )
        })?;
    let f = figures(&ctx, &principal.tenant, from, to).await?;
    let loaded_at = rules.report.loaded_at;
    let source = read_source(&info, loaded_at).await;
    let meta = source.as_ref().map(|s| &s.meta);
    let text_of = |key: &str| {
        meta.and_then(|m| m.get(key))
            .and_then(|v| v.as_str())
            .map(str::to_owned)
    };
    Ok(Json(RuleDetail {
        rule: entry(&info, &f),
        description: text_of("description"),
        author: text_of("author"),
        references: strings(meta, "references"),
        falsepositives: strings(meta, "falsepositives"),
        source_changed: source.as_ref().is_some_and(|s| s.changed),
        source: source.map(|s| s.text),
        from,
        to,
    }))
}

fn strings(meta: Option<&yaml_serde::Value>, key: &str) -> Vec<String> {
    match meta.and_then(|m| m.get(key)) {
        Some(yaml_serde::Value::Sequence(items)) => {
            items.iter().filter_map(|v| v.as_str().map(str::to_owned)).collect()
        }
        Some(yaml_serde::Value::String(s)) => vec![s.clone()],
        _ => Vec::new(),
    }
}

/// A rule's YAML document and its parsed fields.
struct Source {
    text: String,
    meta: yaml_serde::Value,
    changed: bool,
}

/// The document of `rule`'s file that holds it (by id, else by title); `None` when the file
/// cannot be read or no longer holds the rule.
async fn read_source(rule: &RuleInfo, loaded_at: Option<Timestamp>) -> Option<Source> {
    let path: &FsPath = &rule.path;
    let text = tokio::fs::read_to_string(path).await.ok()?;
    let modified = tokio::fs::metadata(path).await.ok().and_then(|m| m.modified().ok());
    let changed = match (modified, loaded_at) {
        (Some(m), Some(loaded)) => Timestamp::try_from(m).is_ok_and(|m| m > loaded),
        _ => false,
    };
    let (text, meta) = find_document(&text, rule)?;
    Some(Source { text, meta, changed })
}

/// Splits `text` into YAML documents (at `---` lines) and returns the one naming `rule`.
fn find_document(text: &str, rule: &RuleInfo) -> Option<(String, yaml_serde::Value)> {
    let mut docs: Vec<String> = vec![String::new()];
    for line in text.lines() {
        if line.trim_end() == "---" {
            docs.push(String::new());
        } else if let Some(doc) = docs.last_mut() {
            doc.push_str(line);
            doc.push('\n');
        }
    }
    docs.into_iter().filter(|d| !d.trim().is_empty()).find_map(|doc| {
        let meta: yaml_serde::Value = yaml_serde::from_str(&doc).ok()?;
        let id = meta.get("id").and_then(|v| v.as_str());
        let title = meta.get("title").and_then(|v| v.as_str());
        let hit = match &rule.id {
            Some(want) => id == Some(want.as_str()),
            None => id.is_none() && title == Some(rule.title.as_str()),
        };
        hit.then_some((doc, meta))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tactics_by_id_or_name() {
        assert_eq!(tactic_id("execution").unwrap(), "TA0002");
        assert_eq!(tactic_id("attack.execution").unwrap(), "TA0002");
        assert_eq!(tactic_id("ta0002").unwrap(), "TA0002");
        assert_eq!(tactic_id("Defense Evasion").unwrap(), "TA0005");
        assert!(tactic_id("cooking").is_err());
    }

    #[test]
    fn sub_techniques_count_as_their_parent() {
        let expected = ["T1059".to_string()];
        assert!(technique_expected("T1059.001", &expected));
        assert!(technique_expected("t1059", &expected));
        assert!(!technique_expected("T10590", &expected));
        assert!(!technique_expected("T1003", &expected));
    }
}
