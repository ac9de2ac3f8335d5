//! `vigil kpi`: the SOC KPIs of `GET /api/v1/kpis`, each with its value, `n` and formula.

use std::process::ExitCode;

use clap::Args;
use vigil_api_types::kpis::{Kpi, KpiReport};

use crate::{
    cli::ServerArgs,
    client::encode,
    incident_view::span,
    remote_cmd::{print_json, runtime},
    term_safe::{SafeTable, errln, outln},
};

/// `vigil kpi`.
#[derive(Debug, Args)]
pub struct KpiArgs {
    #[command(flatten)]
    pub server: ServerArgs,
    /// Start of the period (inclusive): an age (`30d`, `12h`), a date, an RFC 3339 instant or `now`.
    #[arg(long, value_name = "WHEN", default_value = "30d")]
    pub from: String,
    /// End of the period (exclusive), same forms.
    #[arg(long, value_name = "WHEN", default_value = "now")]
    pub to: String,
    /// Also give the incident KPIs per severity, priority, classification, team or owner.
    #[arg(long, value_name = "FIELD")]
    pub group_by: Option<String>,
    /// Print the raw JSON answer.
    #[arg(long)]
    pub json: bool,
}

/// The value cell: a duration (mean, with median and p90), a percentage or a count; `-` with no samples.
fn value_cell(k: &Kpi) -> String {
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

fn table(first: &str, kpis: &[Kpi], key: impl Fn(&Kpi) -> String) -> SafeTable {
    let mut t = SafeTable::new(&[first, "kpi", "value", "n", "formula"]);
    for k in kpis {
        t.add_row(vec![
            key(k),
            k.name.clone(),
            value_cell(k),
            k.n.to_string(),
            k.formula.clone(),
        ]);
    }
    t
}

pub fn run(args: KpiArgs) -> anyhow::Result<ExitCode> {
    let mut path = format!("/api/v1/kpis?from={}&to={}", encode(&args.from), encode(&args.to));
    if let Some(g) = &args.group_by {
        path.push_str(&format!("&group_by={}", encode(g)));
    }
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
        outln!(
            "{}",
            table("rule", &report.rules, |k| k.rule.clone().unwrap_or_default())
        )?;
    }
    if !report.sources.is_empty() {
        outln!(
            "{}",
            table("source", &report.sources, |k| k.group.clone().unwrap_or_default())
        )?;
    }
    if report.truncated {
        errln!("more incidents than one report reads: the oldest were left out");
    }
    errln!("KPIs from {} to {}", report.from, report.to);
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
        }
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
