//! `vigil sources`: log-source health (`GET /api/v1/sources`) or the logsources the rules expect
//! but nobody sends (`GET /api/v1/sources/expected`). Every value from logs (hosts, inputs,
//! logsource names) goes out through `term_safe`.

use std::process::ExitCode;

use jiff::Timestamp;
use vigil_api_types::sources::{ExpectedSources, SourceHealth, SourcesReport};

use crate::{
    cli_sources::SourcesArgs,
    client::encode,
    incident_view::span,
    remote_cmd::{print_json, runtime},
    term_safe::{SafeTable, errln, outln},
};

/// `product/service/category`, `*` for a part not named.
fn logsource(product: Option<&str>, service: Option<&str>, category: Option<&str>) -> String {
    [product, service, category].map(|p| p.unwrap_or("*")).join("/")
}

fn percent(v: Option<f64>) -> String {
    v.map_or_else(|| "-".to_owned(), |v| format!("{:.2}%", v * 100.0))
}

fn seconds(v: Option<f64>) -> String {
    v.map_or_else(|| "-".to_owned(), |v| span(v.round() as i64))
}

fn sources_table(sources: &[SourceHealth], now: Timestamp) -> SafeTable {
    let mut t = SafeTable::new(&[
        "status",
        "input",
        "host",
        "logsource",
        "last event",
        "events",
        "per hour",
        "threshold",
        "uptime",
        "mtbf",
        "silences",
    ]);
    for s in sources {
        let ago = now.duration_since(s.last_event).as_secs();
        t.add_row(vec![
            s.status.as_str().to_owned(),
            s.input.clone(),
            s.host.clone().unwrap_or_else(|| "-".to_owned()),
            logsource(s.product.as_deref(), s.service.as_deref(), s.category.as_deref()),
            format!("{} ago", span(ago)),
            s.events.to_string(),
            s.baseline_per_hour
                .map_or_else(|| "-".to_owned(), |b| format!("{b:.1}")),
            s.threshold_seconds
                .map_or_else(|| "-".to_owned(), |t| span(i64::try_from(t).unwrap_or(i64::MAX))),
            percent(s.uptime.value),
            seconds(s.mtbf.value_seconds),
            s.silences.len().to_string(),
        ]);
    }
    t
}

/// Rule ids shown per absent logsource; `--json` lists them all.
const SHOWN_RULE_IDS: usize = 3;

/// The first rule ids, then how many more (`a, b, c … +8`), so the table fits a terminal.
fn some_rules(rules: &[String]) -> String {
    let shown = rules
        .iter()
        .take(SHOWN_RULE_IDS)
        .cloned()
        .collect::<Vec<_>>()
        .join(", ");
    match rules.len().saturating_sub(SHOWN_RULE_IDS) {
        0 => shown,
        more => format!("{shown} … +{more}"),
    }
}

fn expected_table(e: &ExpectedSources) -> SafeTable {
    let mut t = SafeTable::new(&["logsource", "rules", "rule ids (--json for all)"]);
    for a in &e.absent {
        t.add_row(vec![
            logsource(a.product.as_deref(), a.service.as_deref(), a.category.as_deref()),
            a.rules.len().to_string(),
            some_rules(&a.rules),
        ]);
    }
    t
}

pub fn run(args: SourcesArgs) -> anyhow::Result<ExitCode> {
    let window = format!("from={}&to={}", encode(&args.from), encode(&args.to));
    let rt = runtime()?;
    if args.expected {
        let answer: ExpectedSources = rt.block_on(async {
            let mut client = args.server.client()?;
            client.get(&format!("/api/v1/sources/expected?{window}")).await
        })?;
        if args.json {
            return print_json(&answer);
        }
        outln!("{}", expected_table(&answer))?;
        errln!(
            "{} of {} logsources the enabled rules read sent nothing from {} to {}",
            answer.absent.len(),
            answer.expected,
            answer.from,
            answer.to
        );
        return Ok(ExitCode::SUCCESS);
    }
    let status = if args.silent { "&status=silent" } else { "" };
    let report: SourcesReport = rt.block_on(async {
        let mut client = args.server.client()?;
        client.get(&format!("/api/v1/sources?{window}{status}")).await
    })?;
    if args.json {
        return print_json(&report);
    }
    outln!("{}", sources_table(&report.sources, Timestamp::now()))?;
    errln!(
        "{} sources; uptime = 1 − silent time ÷ window, MTBF = up time ÷ silences, from {} to {}",
        report.sources.len(),
        report.from,
        report.to
    );
    Ok(ExitCode::SUCCESS)
}

#[cfg(test)]
mod tests {
    use super::*;
    use vigil_api_types::sources::{SourceFigure, SourceStatus};

    #[test]
    fn long_rule_lists_are_cut_to_the_first_ids() {
        let ids: Vec<String> = (1..=5).map(|i| format!("r{i}")).collect();
        assert_eq!(some_rules(&ids), "r1, r2, r3 … +2");
        assert_eq!(some_rules(&ids[..2]), "r1, r2");
    }

    #[test]
    fn log_text_in_cells_is_escaped() {
        let fig = SourceFigure {
            value: Some(0.5),
            value_seconds: None,
            formula: "f".into(),
            n: 0,
        };
        let now: Timestamp = "2026-12-07T00:00:00Z".parse().unwrap();
        let s = SourceHealth {
            id: "src-1".into(),
            tenant: "default".into(),
            input: "syslog-tcp".into(),
            host: Some("evil\u{1b}[31mhost".into()),
            product: Some("linux".into()),
            service: None,
            category: None,
            first_seen: now,
            last_event: now,
            events: 3,
            status: SourceStatus::Healthy,
            active_hours: 1,
            baseline_per_hour: Some(3.0),
            threshold_seconds: Some(3600),
            silent_since: None,
            uptime: fig.clone(),
            mtbf: fig,
            silences: Vec::new(),
        };
        let text = sources_table(&[s], now).to_string();
        assert!(!text.contains('\u{1b}'), "{text}");
        assert!(text.contains("evil\\x1b[31mhost"), "{text}");
        assert!(text.contains("linux/*/*") && text.contains("50.00%"), "{text}");
    }
}
