//! `vigil kpi`: the SOC KPIs of `GET /api/v1/kpis`, each with its value, `n` and formula; the
//! alert KPIs, the backlog by age and, with `--trend`, the figures per week or month.

use std::collections::BTreeMap;
use std::process::ExitCode;

use vigil_api_types::kpis::{BacklogRow, Kpi, KpiReport, TrendBucket};

use crate::{
    cli_measure::KpiArgs,
    client::encode,
    incident_view::span,
    remote_cmd::{print_json, runtime},
    term_safe::{SafeTable, errln, outln},
};

/// The value cell: a duration (mean, with median and p90), a percentage or a count; `-` with no samples.
fn value_cell(k: &Kpi) -> String {
    if let (Some(mean), None) = (k.value_seconds, k.median_seconds) {
        return format!("{} (mean)", span(mean.round() as i64));
    }
    if let Some(mean) = k.value_seconds {
        let s = |v: Option<f64>| v.map_or_else(|| "-".to_owned(), |v| span(v.round() as i64));
        return format!(
            "{} (median {}, p90 {})",
            span(mean.round() as i64),
            s(k.median_seconds),
            s(k.p90_seconds)
        );
    }
    match k.value {
        Some(v) if k.name == "alert_volume" => format!("{v}"),
        Some(v) => format!("{:.1}%", v * 100.0),
        None => "-".to_owned(),
    }
}

/// `n`, with the samples left out when there were any (`12 (3 excluded)`).
fn n_cell(k: &Kpi) -> String {
    match k.excluded {
        Some(x) => format!("{} ({x} excluded)", k.n),
        None => k.n.to_string(),
    }
}

fn table(first: &str, kpis: &[Kpi], key: impl Fn(&Kpi) -> String) -> SafeTable {
    let mut t = SafeTable::new(&[first, "kpi", "value", "n", "formula"]);
    for k in kpis {
        t.add_row(vec![
            key(k),
            k.name.clone(),
            value_cell(k),
            n_cell(k),
            k.formula.clone(),
        ]);
    }
    t
}

/// Rules shown by default; `--json` has them all.
const TOP_RULES: usize = 25;

/// One line per rule, most alerts first: its title (from `titles`, else its id) and id, volume,
/// false-positive rate and precision (each with its `n`); the formulas follow the table once.
fn rules_table(kpis: &[Kpi], titles: &BTreeMap<String, String>) -> (SafeTable, Vec<String>, usize) {
    let mut by_rule: Vec<(&str, [Option<&Kpi>; 3])> = Vec::new();
    for k in kpis {
        let slot = match k.name.as_str() {
            "alert_volume" => 0,
            "false_positive_rate" => 1,
            "precision" => 2,
            _ => continue,
        };
        let rule = k.rule.as_deref().unwrap_or_default();
        match by_rule.iter_mut().find(|(r, _)| *r == rule) {
            Some((_, cells)) => cells[slot] = Some(k),
            None => {
                let mut cells = [None; 3];
                cells[slot] = Some(k);
                by_rule.push((rule, cells));
            }
        }
    }
    let volume = |c: &[Option<&Kpi>; 3]| c[0].and_then(|k| k.value).unwrap_or(0.0);
    by_rule.sort_by(|a, b| volume(&b.1).total_cmp(&volume(&a.1)).then(a.0.cmp(b.0)));
    let mut t = SafeTable::new(&["rule", "id", "alerts", "false-positive rate (n)", "precision (n)"]);
    let cell = |k: Option<&Kpi>| k.map_or_else(|| "-".to_owned(), |k| format!("{} ({})", value_cell(k), n_cell(k)));
    for (rule, cells) in by_rule.iter().take(TOP_RULES) {
        t.add_row(vec![
            titles.get(*rule).map_or(*rule, String::as_str).to_owned(),
            (*rule).to_owned(),
            cells[0].map_or_else(|| "-".to_owned(), value_cell),
            cell(cells[1]),
            cell(cells[2]),
        ]);
    }
    let mut formulas: Vec<String> = Vec::new();
    for k in kpis {
        let line = format!("{}: {}", k.name, k.formula);
        if !formulas.contains(&line) {
            formulas.push(line);
        }
    }
    (t, formulas, by_rule.len().saturating_sub(TOP_RULES))
}

/// Open alerts and incidents by age.
fn backlog_table(rows: &[BacklogRow]) -> SafeTable {
    let mut t = SafeTable::new(&[
        "open", "group", "<1h", "1-4h", "4-24h", "1-7d", ">7d", "total", "oldest",
    ]);
    for r in rows {
        let group = match r.kind.as_str() {
            "incident" => format!("P{}", r.group),
            _ => r.group.clone(),
        };
        t.add_row(vec![
            r.kind.clone(),
            group,
            r.under_1h.to_string(),
            r.from_1h_to_4h.to_string(),
            r.from_4h_to_24h.to_string(),
            r.from_1d_to_7d.to_string(),
            r.over_7d.to_string(),
            r.total.to_string(),
            r.oldest.map_or_else(|| "-".to_owned(), |t| t.to_string()),
        ]);
    }
    t
}

fn mean_cell(kpis: &[Kpi], name: &str) -> String {
    kpis.iter()
        .find(|k| k.name == name && k.group.is_none())
        .and_then(|k| {
            k.value_seconds
                .map(|v| span(v.round() as i64))
                .or(k.value.map(|v| format!("{:.1}%", v * 100.0)))
        })
        .unwrap_or_else(|| "-".to_owned())
}

/// One row per week or month: counts, then the means (incident and alert) and the FP rate.
fn trend_table(buckets: &[TrendBucket]) -> SafeTable {
    let mut t = SafeTable::new(&[
        "from",
        "to",
        "incidents",
        "alerts",
        "inc MTTA",
        "inc MTTR",
        "alert MTTD",
        "alert MTTA",
        "alert MTTR",
        "FP rate",
    ]);
    for b in buckets {
        t.add_row(vec![
            b.start.to_string(),
            b.end.to_string(),
            b.incident_count.to_string(),
            b.alert_count.to_string(),
            mean_cell(&b.incidents, "mtta"),
            mean_cell(&b.incidents, "mttr"),
            mean_cell(&b.alerts, "mttd"),
            mean_cell(&b.alerts, "mtta"),
            mean_cell(&b.alerts, "mttr"),
            mean_cell(&b.alerts, "false_positive_rate"),
        ]);
    }
    t
}

/// The request path of `args`.
fn path(args: &KpiArgs) -> String {
    let mut path = format!("/api/v1/kpis?from={}&to={}", encode(&args.from), encode(&args.to));
    for (name, value) in [
        ("group_by", &args.group_by),
        ("trend", &args.trend),
        ("mttd_cutoff", &args.mttd_cutoff),
    ] {
        if let Some(v) = value {
            path.push_str(&format!("&{name}={}", encode(v)));
        }
    }
    path
}

pub fn run(args: KpiArgs) -> anyhow::Result<ExitCode> {
    let path = path(&args);
    let report: KpiReport = runtime()?.block_on(async {
        let mut client = args.server.client()?;
        client.get(&path).await
    })?;
    if args.json {
        return print_json(&report);
    }
    let all = |k: &Kpi| k.group.clone().unwrap_or_else(|| "(all)".to_owned());
    outln!(
        "{}",
        table(
            report.group_by.map_or("incidents", |g| g.as_str()),
            &report.incidents,
            all
        )
    )?;
    if !report.rules.is_empty() {
        let (t, formulas, more) = rules_table(&report.rules, &report.rule_titles);
        outln!("{t}")?;
        if more > 0 {
            outln!("and {more} more rules (--json lists them all)")?;
        }
        for f in formulas {
            outln!("  {f}")?;
        }
    }
    if !report.sources.is_empty() {
        outln!(
            "{}",
            table("source", &report.sources, |k| k.group.clone().unwrap_or_default())
        )?;
    }
    if !report.alerts.is_empty() {
        outln!(
            "{}",
            table("alerts", &report.alerts, |k| k
                .group
                .clone()
                .unwrap_or_else(|| "(all)".to_owned()))
        )?;
    }
    if !report.backlog.is_empty() {
        outln!("{}", backlog_table(&report.backlog))?;
    }
    if !report.trends.is_empty() {
        outln!("{}", trend_table(&report.trends))?;
    }
    if report.truncated {
        errln!("more incidents than one report reads: the oldest were left out");
    }
    errln!(
        "KPIs from {} to {}; MTTD leaves out events more than {} older than their detection",
        report.from,
        report.to,
        span(i64::try_from(report.mttd_cutoff_seconds).unwrap_or(i64::MAX))
    );
    Ok(ExitCode::SUCCESS)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kpi(name: &str) -> Kpi {
        Kpi {
            name: name.into(),
            group: None,
            rule: None,
            value_seconds: None,
            median_seconds: None,
            p90_seconds: None,
            value: None,
            formula: "f".into(),
            n: 0,
            excluded: None,
        }
    }

    #[test]
    fn rules_are_one_line_each_most_alerts_first() {
        let k = |name: &str, rule: &str, value: Option<f64>, n: u64| Kpi {
            rule: Some(rule.to_owned()),
            value,
            n,
            ..kpi(name)
        };
        let kpis = [
            k("alert_volume", "quiet", Some(1.0), 1),
            k("false_positive_rate", "quiet", None, 0),
            k("alert_volume", "loud", Some(7.0), 7),
            k("false_positive_rate", "loud", Some(0.5), 4),
            k("precision", "loud", Some(0.5), 4),
        ];
        let titles = BTreeMap::from([("loud".to_owned(), "Loud \u{1b}[31mRule".to_owned())]);
        let (t, formulas, more) = rules_table(&kpis, &titles);
        let text = t.to_string();
        assert!(
            !text.contains('\u{1b}'),
            "a title reaches the terminal escaped: {text:?}"
        );
        let loud = text.find("Loud ").expect("loud listed by its title");
        assert!(loud < text.find("quiet").expect("quiet listed"), "{text}");
        assert!(text.contains("50.0% (4)"), "{text}");
        assert_eq!((formulas.len(), more), (3, 0));
    }

    #[test]
    fn alert_means_and_excluded_samples_are_said() {
        let mut k = kpi("mttd");
        k.value_seconds = Some(5400.0);
        k.n = 4;
        k.excluded = Some(2);
        assert_eq!(value_cell(&k), "1h30m (mean)");
        assert_eq!(n_cell(&k), "4 (2 excluded)");
    }

    fn parse(args: &[&str]) -> KpiArgs {
        use clap::Parser;
        let cli = crate::cli::Cli::try_parse_from([&["vigil", "kpi"][..], args].concat()).expect("parses");
        match cli.command {
            crate::cli::Command::Kpi(args) => args,
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn the_path_carries_the_options_given() {
        let args = parse(&["--from", "7d", "--group-by", "rule", "--mttd-cutoff", "12h"]);
        assert_eq!(path(&args), "/api/v1/kpis?from=7d&to=now&group_by=rule&mttd_cutoff=12h");
        let args = parse(&["--trend", "week"]);
        assert_eq!(path(&args), "/api/v1/kpis?from=30d&to=now&trend=week");
    }

    #[test]
    fn values_read_as_durations_percentages_or_counts() {
        let mut k = kpi("mtta");
        assert_eq!(value_cell(&k), "-");
        k.value_seconds = Some(5400.0);
        k.median_seconds = Some(900.0);
        k.p90_seconds = Some(7200.0);
        assert_eq!(value_cell(&k), "1h30m (median 15m, p90 2h)");
        let mut fp = kpi("false_positive_rate");
        fp.value = Some(0.125);
        assert_eq!(value_cell(&fp), "12.5%");
        let mut volume = kpi("alert_volume");
        volume.value = Some(13.0);
        assert_eq!(value_cell(&volume), "13");
    }
}
