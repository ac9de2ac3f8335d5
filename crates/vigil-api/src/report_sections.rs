//! The sections of a SOC report (`vigil_report::Report`) from what the server knows: the KPI
//! reports of the period and of the one before it, the period's incidents, log-source health and
//! validation runs. Pure functions over plain inputs; `reports.rs` reads the inputs.

use std::collections::BTreeMap;

use vigil_api_types::kpis::{Kpi, KpiReport};
use vigil_api_types::sources::{SourceHealth, SourceStatus};
use vigil_api_types::validation::{ValidationRun, ValidationRunSummary};
use vigil_coverage::CoverageAnswer;
use vigil_report::{Chart, Row, Section, Unit};
use vigil_state::incidents::StoredIncident;

/// Rules listed in "top rules".
pub const TOP_RULES: usize = 20;
/// Sources listed as the noisiest.
pub const TOP_SOURCES: usize = 10;

fn is_time(name: &str) -> bool {
    matches!(name, "mttd" | "mtta" | "mttc" | "mttr" | "mtbf")
}

/// A KPI as a row: a time in seconds, a count (`alert_volume`) or a ratio.
pub fn kpi_row(k: &Kpi, group: String) -> Row {
    let (value, unit) = if k.value_seconds.is_some() || is_time(&k.name) {
        (k.value_seconds, Unit::Seconds)
    } else if k.name == "alert_volume" || k.name.ends_with("_count") {
        (k.value, Unit::Count)
    } else {
        (k.value, Unit::Ratio)
    };
    Row {
        n: Some(k.n),
        formula: Some(k.formula.clone()),
        ..Row::new(group, k.name.clone(), value, unit)
    }
}

fn value_of(k: &Kpi) -> Option<f64> {
    k.value_seconds.or(k.value)
}

/// The previous period's figure of the same name, group and rule.
fn previous<'a>(list: &'a [Kpi], k: &Kpi) -> Option<&'a Kpi> {
    list.iter()
        .find(|p| p.name == k.name && p.group == k.group && p.rule == k.rule)
}

fn with_previous(mut row: Row, k: &Kpi, before: &[Kpi]) -> Row {
    row.previous = previous(before, k).and_then(value_of);
    row
}

/// Headline KPIs of the whole tenant: incidents, then alerts, each against the previous period.
pub fn summary(now: &KpiReport, before: &KpiReport, incidents: u64, incidents_before: u64) -> Section {
    let mut rows = vec![Row {
        previous: Some(incidents_before as f64),
        ..Row::count("", "incidents_created", incidents)
    }];
    for k in now.incidents.iter().filter(|k| k.group.is_none()) {
        rows.push(with_previous(kpi_row(k, String::new()), k, &before.incidents));
    }
    for k in now.alerts.iter().filter(|k| k.group.is_none()) {
        let mut row = with_previous(kpi_row(k, String::new()), k, &before.alerts);
        if !row.metric.starts_with("alert") {
            row.metric = format!("alert_{}", row.metric);
        }
        rows.push(row);
    }
    Section::new(
        "summary",
        "Summary",
        "Incident KPIs over the incidents created in the period and alert KPIs over the alerts detected in it, each with its formula and n (the samples behind it); the arrow compares with the previous period of the same length (green better, red worse).",
        Chart::None,
        rows,
    )
}

/// SLA compliance per metric, for all priorities and then per priority.
pub fn sla(now: &KpiReport, before: &KpiReport) -> Section {
    let mut rows: Vec<Row> = Vec::new();
    for k in now.incidents.iter().filter(|k| k.name.starts_with("sla_")) {
        let group = k.group.as_ref().map_or_else(String::new, |g| format!("P{g}"));
        rows.push(with_previous(kpi_row(k, group), k, &before.incidents));
    }
    Section::new(
        "sla",
        "SLA compliance",
        "Met ÷ (met + breached) SLA timers per metric (acknowledge, contain, resolve) of the incidents created in the period, for all priorities and per priority (P1 most urgent); timers still running within target are left out.",
        Chart::Bars,
        rows,
    )
}

fn counts_by(incidents: &[StoredIncident], key: impl Fn(&StoredIncident) -> String) -> BTreeMap<String, u64> {
    let mut out = BTreeMap::new();
    for i in incidents {
        *out.entry(key(i)).or_insert(0) += 1;
    }
    out
}

/// What incidents are counted by.
type IncidentKey = fn(&StoredIncident) -> String;

/// Incidents created in the period by classification and by severity.
pub fn incidents(now: &[StoredIncident], before: &[StoredIncident]) -> Section {
    let mut rows = Vec::new();
    let keys: [(&str, IncidentKey); 2] = [
        ("by_classification", |i| i.incident.classification.clone()),
        ("by_severity", |i| format!("severity {}", u8::from(i.incident.severity))),
    ];
    for (metric, key) in keys {
        let was = counts_by(before, key);
        for (group, n) in counts_by(now, key) {
            rows.push(Row {
                previous: Some(was.get(&group).copied().unwrap_or(0) as f64),
                ..Row::count(group, metric, n)
            });
        }
    }
    Section::new(
        "incidents",
        "Incidents by classification and severity",
        "Incidents created in the period, counted by classification and by severity (higher is worse), against the previous period.",
        Chart::Bars,
        rows,
    )
}

/// The weekly or monthly trend of incidents and alerts, when the KPIs carry one.
pub fn trends(now: &KpiReport) -> Section {
    let label = |t: jiff::Timestamp| t.strftime("%Y-%m-%d").to_string();
    let mut rows: Vec<Row> = now
        .trends
        .iter()
        .map(|b| Row::count(label(b.start), "incidents", b.incident_count))
        .collect();
    let alerts: Vec<Row> = now
        .trends
        .iter()
        .map(|b| Row::count(label(b.start), "alerts", b.alert_count))
        .collect();
    let per = now.trend.map_or("period", |t| t.as_str());
    // The chart draws the incidents; the table lists both.
    rows.extend(alerts);
    Section::new(
        "trend",
        &format!("Trend per {per}"),
        &format!(
            "Incidents created and alerts detected per {per} (UTC, weeks start on Monday), oldest first; the line is the incidents."
        ),
        Chart::Trend,
        rows,
    )
}

/// The rules with the most alerts: volume, false-positive rate and precision. Each is named by
/// its title in the running rule set (`title` returns `None` for a rule no longer loaded) and id.
pub fn rules(now: &KpiReport, before: &KpiReport, title: impl Fn(&str) -> Option<String>) -> Section {
    let mut volume: Vec<(&str, f64)> = now
        .rules
        .iter()
        .filter(|k| k.name == "alert_volume")
        .filter_map(|k| Some((k.rule.as_deref()?, k.value.unwrap_or(0.0))))
        .collect();
    volume.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(b.0)));
    let mut rows = Vec::new();
    for (rule, _) in volume.iter().take(TOP_RULES) {
        let label = match title(rule) {
            Some(t) => format!("{t} ({rule})"),
            None => (*rule).to_owned(),
        };
        for k in now.rules.iter().filter(|k| k.rule.as_deref() == Some(rule)) {
            rows.push(with_previous(kpi_row(k, label.clone()), k, &before.rules));
        }
    }
    Section::new(
        "rules",
        "Top rules",
        &format!(
            "The {TOP_RULES} rules with the most alerts detected in the period: alert volume, false-positive rate (false positives ÷ alerts with a disposition) and precision (true ÷ (true + false positives))."
        ),
        Chart::Bars,
        rows,
    )
}

/// Alert volume per source (the input the events arrived on).
pub fn alert_sources(now: &KpiReport, before: &KpiReport) -> Section {
    let mut list: Vec<&Kpi> = now.sources.iter().collect();
    list.sort_by(|a, b| b.value.unwrap_or(0.0).total_cmp(&a.value.unwrap_or(0.0)));
    let rows = list
        .into_iter()
        .map(|k| {
            let group = k
                .group
                .clone()
                .filter(|g| !g.is_empty())
                .unwrap_or_else(|| "(no input)".into());
            with_previous(kpi_row(k, group), k, &before.sources)
        })
        .collect();
    Section::new(
        "alert_sources",
        "Alert volume per source",
        "Alerts detected in the period per input (syslog, HTTP bulk, API, …).",
        Chart::Bars,
        rows,
    )
}

/// Open alerts and incidents by age at the time of the report.
pub fn backlog(now: &KpiReport) -> Section {
    let mut rows = Vec::new();
    for b in &now.backlog {
        let group = match b.kind.as_str() {
            "incident" => format!("incidents P{}", b.group),
            _ => format!("{}s level {}", b.kind, b.group),
        };
        for (metric, n) in [
            ("under_1h", b.under_1h),
            ("1h_to_4h", b.from_1h_to_4h),
            ("4h_to_24h", b.from_4h_to_24h),
            ("1d_to_7d", b.from_1d_to_7d),
            ("over_7d", b.over_7d),
            ("backlog_total", b.total),
        ] {
            rows.push(Row::count(group.clone(), metric, n));
        }
    }
    Section::new(
        "backlog",
        "Backlog by age",
        "Open alerts (new or acknowledged) by level and open incidents by priority, by age, as of when the report was generated.",
        Chart::None,
        rows,
    )
}

fn source_name(s: &SourceHealth) -> String {
    let logsource: Vec<&str> = [&s.product, &s.service, &s.category]
        .into_iter()
        .filter_map(|v| v.as_deref())
        .collect();
    format!(
        "{} {} {}",
        s.input,
        s.host.as_deref().unwrap_or("-"),
        logsource.join("/")
    )
    .trim()
    .to_owned()
}

/// The noisiest sources (by their baseline rate) and the silent ones, with uptime over the period.
pub fn source_health(sources: &[SourceHealth]) -> [Section; 2] {
    let mut noisy: Vec<&SourceHealth> = sources.iter().filter(|s| s.baseline_per_hour.is_some()).collect();
    noisy.sort_by(|a, b| {
        b.baseline_per_hour
            .unwrap_or(0.0)
            .total_cmp(&a.baseline_per_hour.unwrap_or(0.0))
    });
    let noisy_rows = noisy
        .into_iter()
        .take(TOP_SOURCES)
        .map(|s| Row {
            n: Some(s.active_hours),
            ..Row::new(source_name(s), "events_per_hour", s.baseline_per_hour, Unit::Count)
        })
        .collect();
    let mut silent_rows = Vec::new();
    for s in sources
        .iter()
        .filter(|s| s.status == SourceStatus::Silent || !s.silences.is_empty())
    {
        let name = source_name(s);
        let text = s.silent_since.map_or_else(
            || "reporting".to_owned(),
            |t| format!("silent since {}", t.strftime("%Y-%m-%d %H:%M UTC")),
        );
        silent_rows.push(Row {
            text: Some(text),
            ..Row::new(name.clone(), "status", None, Unit::Text)
        });
        silent_rows.push(Row {
            n: Some(s.silences.len() as u64),
            formula: Some(s.uptime.formula.clone()),
            ..Row::new(name, "silent_uptime", s.uptime.value, Unit::Ratio)
        });
    }
    [
        Section::new(
            "sources_noisiest",
            "Noisiest sources",
            &format!(
                "The {TOP_SOURCES} log sources (input, host, logsource) with the highest baseline: events per active hour over the last 7 days (n = active hours)."
            ),
            Chart::Bars,
            noisy_rows,
        ),
        Section::new(
            "sources_silent",
            "Silent sources",
            "Log sources that are silent now or fell silent during the period, with their uptime over it (1 − silent time ÷ period; n = silences).",
            Chart::None,
            silent_rows,
        ),
    ]
}

/// The newest validation run (detection rate, outcomes, per technique) and the detection rate's history.
pub fn validation(latest: Option<&ValidationRun>, history: &[ValidationRunSummary]) -> [Section; 2] {
    let mut rows = Vec::new();
    if let Some(run) = latest {
        let s = &run.summary;
        let when = s.at.strftime("%Y-%m-%d %H:%M UTC").to_string();
        rows.push(Row {
            n: Some(s.tests),
            text: Some(format!("run {} of {when}, plan {}", s.id, s.plan)),
            formula: Some("tests alerted by an expected rule ÷ tests".into()),
            ..Row::new("", "detection_rate", Some(s.detection_rate), Unit::Ratio)
        });
        for (metric, n) in [
            ("detected", s.detected),
            ("other_rule", s.other_rule),
            ("logged_only", s.logged),
            ("missed", s.missed),
        ] {
            rows.push(Row::count("", metric, n));
        }
        for t in &run.techniques {
            rows.push(Row {
                n: Some(t.tests),
                text: Some(if t.passed { "passed" } else { "failed" }.into()),
                ..Row::new(
                    t.technique.clone(),
                    "technique_detected",
                    Some(t.detected as f64 / t.tests.max(1) as f64),
                    Unit::Ratio,
                )
            });
        }
    }
    let mut runs: Vec<&ValidationRunSummary> = history.iter().collect();
    runs.sort_by_key(|r| r.at);
    let history_rows = runs
        .into_iter()
        .map(|r| Row {
            n: Some(r.tests),
            ..Row::new(
                r.at.strftime("%Y-%m-%d %H:%M").to_string(),
                "detection_rate",
                Some(r.detection_rate),
                Unit::Ratio,
            )
        })
        .collect();
    [
        Section::new(
            "validation",
            "Detection validation",
            "The newest validation run: labelled attack samples replayed through the live rules; detection rate, outcomes (detected by an expected rule, by another rule, only logged, missed) and per ATT&CK technique.",
            Chart::None,
            rows,
        ),
        Section::new(
            "validation_history",
            "Detection rate over time",
            "The detection rate of the recent validation runs, oldest first.",
            Chart::Trend,
            history_rows,
        ),
    ]
}

/// ATT&CK coverage per tactic (rules, healthy, validated ratios) and the heatmap of the
/// techniques in scope (sub-techniques count for their parent): 1 a rule whose logsource reports,
/// 0.5 rules but no source reporting, 0 no rule.
pub fn coverage(answer: &CoverageAnswer) -> [Section; 2] {
    let c = &answer.coverage;
    let ratio = |r: &vigil_coverage::Ratio, metric: &str, group: &str| Row {
        n: Some(r.total as u64),
        text: Some(format!("{} of {}", r.covered, r.total)),
        ..Row::new(group, metric, Some(r.ratio), Unit::Ratio)
    };
    let mut rows = vec![
        ratio(&c.summary.healthy, "coverage_healthy", ""),
        ratio(&c.summary.rules, "coverage_rules", ""),
        ratio(&c.summary.validated, "coverage_validated", ""),
    ];
    for t in &c.tactics {
        rows.push(ratio(&t.summary.healthy, "coverage_healthy", &t.name));
    }
    let mut cells = Vec::new();
    for t in &c.tactics {
        for tech in c
            .techniques
            .iter()
            .filter(|x| !x.id.contains('.') && x.tactics.contains(&t.shortname))
        {
            let value = match (tech.healthy, tech.rules.is_empty()) {
                (true, _) => 1.0,
                (false, false) => 0.5,
                (false, true) => 0.0,
            };
            cells.push(Row {
                text: Some(format!("{} ({} rules)", tech.name, tech.rules.len())),
                ..Row::new(t.name.clone(), tech.id.clone(), Some(value), Unit::Ratio)
            });
        }
    }
    let version = c.attack_version.as_deref().unwrap_or("unknown");
    [
        Section::new(
            "coverage",
            "ATT&CK coverage",
            &format!(
                "Techniques in scope (ATT&CK {version}) with at least one enabled rule whose logsource reported in the {} before generation (healthy: the coverage), with at least one enabled rule, and whose latest validation passed; then the healthy coverage per tactic.",
                answer.window
            ),
            Chart::Bars,
            rows,
        ),
        Section::new(
            "coverage_heatmap",
            "ATT&CK coverage heatmap",
            "One cell per technique in scope, one line per tactic: green a rule whose logsource reports, amber rules but no source reporting, red no rule (hover a cell for its name).",
            Chart::Heatmap,
            cells,
        ),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    fn report(rules: serde_json::Value) -> KpiReport {
        serde_json::from_value(serde_json::json!({
            "from": "2026-11-01T00:00:00Z", "to": "2026-12-01T00:00:00Z", "group_by": null,
            "incidents": [], "rules": rules, "sources": [], "truncated": false,
        }))
        .expect("a KPI report")
    }

    #[test]
    fn top_rules_are_named_by_title_and_id_most_alerts_first() {
        let volume = |rule: &str, v: f64| serde_json::json!({"name": "alert_volume", "rule": rule, "value": v, "formula": "count", "n": v as u64});
        let now = report(serde_json::json!([volume("r-quiet", 1.0), volume("r-loud", 5.0)]));
        let before = report(serde_json::json!([]));
        let section = rules(&now, &before, |id| (id == "r-loud").then(|| "Mimikatz Use".to_owned()));
        let groups: Vec<&str> = section.rows.iter().map(|r| r.group.as_str()).collect();
        // A rule no longer loaded keeps its bare id.
        assert_eq!(groups, ["Mimikatz Use (r-loud)", "r-quiet"]);
    }
}
