//! Rendering findings: table, JSON lines, CSV, and the closing summary.

use std::{
    io::{IsTerminal, Write},
    sync::atomic::Ordering,
    time::Duration,
};

use anyhow::Context;
use comfy_table::{ContentArrangement, Table, presets::UTF8_FULL_CONDENSED};
use serde::Serialize;
use serde_json::Value;
use vigil_detect::{CorrelationHit, Hit, RuleInfo, RuleKind, attack::Attack, level_name, level_rank};
use vigil_event::Event;

use super::{Stats, top};
use crate::cli::OutputFormat;

/// One detection or correlation, as written out. The JSON shape is a contract (see README).
#[derive(Debug, Clone, Serialize)]
pub struct Finding {
    pub kind: RuleKind,
    pub rule_id: Option<String>,
    pub rule_title: String,
    pub level: &'static str,
    pub tags: Vec<String>,
    pub attack: Attack,
    /// The input file, as given or walked.
    pub source: Option<String>,
    /// Byte offset (line formats) or EVTX record id of the event.
    pub offset: u64,
    pub event_id: String,
    pub event_time: Option<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub matched_selections: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub correlation: Option<CorrelationOut>,
    pub fields: Value,
    #[serde(skip)]
    level_rank: u8,
}

#[derive(Debug, Clone, Serialize)]
pub struct CorrelationOut {
    pub group_key: Vec<(String, String)>,
    pub value: f64,
    pub timespan_secs: u64,
    pub event_ids: Vec<String>,
}

impl Finding {
    fn base(rule: &RuleInfo, event: &Event) -> Finding {
        Finding {
            kind: rule.kind,
            rule_id: rule.id.clone(),
            rule_title: rule.title.clone(),
            level: level_name(rule.level),
            tags: rule.tags.clone(),
            attack: rule.attack.clone(),
            source: event.source.path.as_deref().map(str::to_string),
            offset: event.source.offset,
            event_id: event.id.to_string(),
            event_time: event.time.map(|t| t.to_string()),
            matched_selections: Vec::new(),
            correlation: None,
            fields: Value::Null,
            level_rank: level_rank(rule.level),
        }
    }

    pub fn detection(rule: &RuleInfo, hit: &Hit, event: &Event) -> Finding {
        let mut f = Finding::base(rule, event);
        if let Some(d) = hit.result.as_detection() {
            f.matched_selections = d.matched_selections.clone();
            // rsigma reports them in hash-map order; sorted, output is identical run to run.
            f.matched_selections.sort();
        }
        f.fields = event.fields.to_json();
        f
    }

    /// A correlation firing; `event` is the event that completed it.
    pub fn correlation(rule: &RuleInfo, hit: &CorrelationHit, event: &Event) -> Finding {
        let mut f = Finding::base(rule, event);
        f.correlation = Some(CorrelationOut {
            group_key: hit.group_key.clone(),
            value: hit.value,
            timespan_secs: hit.timespan_secs,
            event_ids: hit.event_ids.clone(),
        });
        f.fields = Value::Object(
            hit.group_key
                .iter()
                .map(|(k, v)| (k.clone(), Value::String(v.clone())))
                .collect(),
        );
        f
    }

    pub fn sort_key(&self) -> (Option<&str>, Option<&str>, u64, u8, &str) {
        let kind = match self.kind {
            RuleKind::Detection => 0,
            RuleKind::Correlation => 1,
        };
        (
            self.source.as_deref(),
            self.event_time.as_deref(),
            self.offset,
            kind,
            self.rule_id.as_deref().unwrap_or(&self.rule_title),
        )
    }

    fn host(&self) -> String {
        ["Computer", "host", "hostname", "host.name", "node"]
            .iter()
            .find_map(|k| self.fields.get(k).and_then(Value::as_str))
            .unwrap_or("")
            .to_string()
    }

    /// A short description of what happened, from the fields analysts look at first.
    fn details(&self) -> String {
        const KEYS: &[&str] = &[
            "CommandLine",
            "ScriptBlockText",
            "Image",
            "TargetObject",
            "TargetFilename",
            "ImageLoaded",
            "QueryName",
            "DestinationIp",
            "ServiceName",
            "TargetUserName",
            "message",
            "msg",
        ];
        let mut parts = Vec::new();
        for k in KEYS {
            if let Some(v) = self.fields.get(k) {
                let text = match v {
                    Value::String(s) => s.clone(),
                    other => other.to_string(),
                };
                parts.push(format!("{k}: {}", truncate(&text, 120)));
            }
            if parts.len() == 2 {
                break;
            }
        }
        if let Some(c) = &self.correlation {
            let keys: Vec<String> = c.group_key.iter().map(|(k, v)| format!("{k}={v}")).collect();
            parts.push(format!(
                "{} events in {}s [{}]",
                c.value,
                c.timespan_secs,
                keys.join(", ")
            ));
        }
        parts.join(" | ")
    }
}

fn truncate(s: &str, max: usize) -> String {
    let one_line: String = s.chars().map(|c| if c.is_control() { ' ' } else { c }).collect();
    if one_line.chars().count() <= max {
        return one_line;
    }
    let cut: String = one_line.chars().take(max).collect();
    format!("{cut}…")
}

/// Writes findings in the chosen format.
pub fn write(out: &mut dyn Write, format: OutputFormat, findings: &[Finding]) -> anyhow::Result<()> {
    match format {
        OutputFormat::Jsonl => {
            for f in findings {
                serde_json::to_writer(&mut *out, f).context("writing JSON")?;
                out.write_all(b"\n")?;
            }
        }
        OutputFormat::Csv => {
            let mut w = csv::Writer::from_writer(out);
            w.write_record([
                "event_time",
                "level",
                "rule_id",
                "rule_title",
                "techniques",
                "host",
                "source",
                "offset",
                "event_id",
                "details",
            ])?;
            for f in findings {
                w.write_record([
                    f.event_time.as_deref().unwrap_or(""),
                    f.level,
                    f.rule_id.as_deref().unwrap_or(""),
                    &f.rule_title,
                    &f.attack.techniques.join(" "),
                    &f.host(),
                    f.source.as_deref().unwrap_or(""),
                    &f.offset.to_string(),
                    &f.event_id,
                    &f.details(),
                ])?;
            }
            w.flush()?;
        }
        OutputFormat::Table => {
            let mut t = Table::new();
            t.load_preset(UTF8_FULL_CONDENSED)
                .set_content_arrangement(ContentArrangement::Dynamic);
            if !std::io::stdout().is_terminal() {
                // No terminal to measure: wrap to a width that reads well in a pager or file.
                t.set_width(200);
            }
            t.set_header(["Time", "Level", "Rule", "ATT&CK", "Host", "Source", "Details"]);
            for f in findings {
                let source = f
                    .source
                    .as_deref()
                    .map(|s| s.rsplit(['/', '\\']).next().unwrap_or(s))
                    .unwrap_or("");
                t.add_row([
                    f.event_time.as_deref().unwrap_or("-").to_string(),
                    f.level.to_string(),
                    truncate(&f.rule_title, 60),
                    f.attack.techniques.join(" "),
                    f.host(),
                    format!("{source}#{}", f.offset),
                    f.details(),
                ]);
            }
            if findings.is_empty() {
                writeln!(out, "no detections")?;
            } else {
                writeln!(out, "{t}")?;
            }
        }
    }
    Ok(())
}

/// The closing summary on stderr: totals, by level, top rules, top ATT&CK techniques.
pub fn summary(findings: &[Finding], stats: &Stats, elapsed: Duration, rules: &[RuleInfo]) {
    let events = stats.events.load(Ordering::Relaxed);
    let secs = elapsed.as_secs_f64().max(1e-9);
    eprintln!();
    eprintln!(
        "hunted {events} events in {} files in {secs:.2}s ({:.0} events/s): {} detections from {} rules, {} parse errors",
        stats.files,
        events as f64 / secs,
        findings.len(),
        top(findings.iter().map(|f| f.rule_id.as_deref().unwrap_or(&f.rule_title))).len(),
        stats.parse_errors.load(Ordering::Relaxed),
    );
    let (undated, out) = (
        stats.undated.load(Ordering::Relaxed),
        stats.out_of_range.load(Ordering::Relaxed),
    );
    if undated + out > 0 {
        eprintln!("time filter: {out} events outside --since/--until, {undated} events without a time left out");
    }
    let mut by_level = [0usize; 5];
    for f in findings {
        by_level[f.level_rank as usize] += 1;
    }
    let names = ["informational", "low", "medium", "high", "critical"];
    let levels: Vec<String> = (0..5).rev().map(|i| format!("{} {}", names[i], by_level[i])).collect();
    eprintln!("by level: {}", levels.join(", "));
    let mut t = Table::new();
    t.load_preset(UTF8_FULL_CONDENSED).set_header(["Hits", "Level", "Rule"]);
    for (key, n) in top(findings.iter().map(|f| f.rule_id.as_deref().unwrap_or(&f.rule_title)))
        .into_iter()
        .take(15)
    {
        let rule = rules.iter().find(|r| r.key() == key);
        t.add_row([
            n.to_string(),
            rule.map(|r| level_name(r.level)).unwrap_or("").to_string(),
            rule.map(|r| r.title.clone()).unwrap_or_else(|| key.to_string()),
        ]);
    }
    if !findings.is_empty() {
        eprintln!("top rules:\n{t}");
        let techniques = top(findings
            .iter()
            .flat_map(|f| f.attack.techniques.iter().map(String::as_str)));
        let line: Vec<String> = techniques.iter().take(15).map(|(k, n)| format!("{k} ({n})")).collect();
        eprintln!("top ATT&CK techniques: {}", line.join(", "));
    }
}
