//! Rendering findings: table, JSON lines, CSV, and the closing summary.

use std::{
    collections::HashMap,
    io::{IsTerminal, Write},
    time::Duration,
};

use anyhow::Context;
use serde::Serialize;
use serde_json::Value;
use vigil_detect::{CorrelationHit, Hit, RuleInfo, RuleKind, attack::Attack, level_name, level_rank};
use vigil_event::Event;

use crate::{
    cli::OutputFormat,
    term_safe::{self, SafeCsv, SafeTable, errln},
};

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

    fn host(&self) -> String {
        vigil_event::host_of_json(&self.fields).unwrap_or("").to_string()
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

/// At most `max` characters of `s` (the table and CSV escape what they show).
fn truncate(s: &str, max: usize) -> String {
    if s.chars().count() <= max {
        return s.to_string();
    }
    let cut: String = s.chars().take(max).collect();
    format!("{cut}…")
}

/// Writes findings as they come: JSON lines and CSV stream; a table is laid out at the end.
pub struct Writer {
    sink: Sink,
    table: Vec<Finding>,
}

enum Sink {
    Jsonl(Box<dyn Write>),
    Csv(Box<SafeCsv<Box<dyn Write>>>),
    Table(Box<dyn Write>),
}

impl Writer {
    pub fn new(out: Box<dyn Write>, format: OutputFormat) -> anyhow::Result<Writer> {
        let sink = match format {
            OutputFormat::Jsonl => Sink::Jsonl(out),
            OutputFormat::Table => Sink::Table(out),
            OutputFormat::Csv => {
                let mut w = SafeCsv::new(out);
                w.write_row([
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
                Sink::Csv(Box::new(w))
            }
        };
        Ok(Writer {
            sink,
            table: Vec::new(),
        })
    }

    pub fn write(&mut self, f: Finding) -> anyhow::Result<()> {
        match &mut self.sink {
            Sink::Jsonl(out) => {
                term_safe::json::to_writer(&mut *out, &f).context("writing JSON")?;
                out.write_all(b"\n").context("writing detections")?;
            }
            Sink::Csv(w) => w.write_row([
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
            ])?,
            Sink::Table(_) => self.table.push(f),
        }
        Ok(())
    }

    /// Writes what is buffered (the table) and flushes.
    pub fn finish(self) -> anyhow::Result<()> {
        match self.sink {
            Sink::Jsonl(mut out) => out.flush(),
            Sink::Csv(mut w) => w.flush(),
            Sink::Table(mut out) => {
                if self.table.is_empty() {
                    writeln!(out, "no detections")?;
                } else {
                    writeln!(out, "{}", table(&self.table))?;
                }
                out.flush()
            }
        }
        .context("writing detections")
    }
}

fn table(findings: &[Finding]) -> SafeTable {
    let mut t = SafeTable::new(&["Time", "Level", "Rule", "ATT&CK", "Host", "Source", "Details"]);
    if !std::io::stdout().is_terminal() {
        // No terminal to measure: wrap to a width that reads well in a pager or file.
        t.set_width(200);
    }
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
    t
}

/// Running totals for the closing summary (counters, not findings: memory stays flat).
#[derive(Debug, Default)]
pub struct Summary {
    pub files: u64,
    pub events: u64,
    pub parse_errors: u64,
    pub undated: u64,
    pub out_of_range: u64,
    pub findings: u64,
    by_level: [u64; 5],
    by_rule: HashMap<String, u64>,
    by_technique: HashMap<String, u64>,
}

fn top(counts: &HashMap<String, u64>, n: usize) -> Vec<(&str, u64)> {
    let mut v: Vec<(&str, u64)> = counts.iter().map(|(k, c)| (k.as_str(), *c)).collect();
    v.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(b.0)));
    v.truncate(n);
    v
}

impl Summary {
    pub fn add(&mut self, f: &Finding) {
        self.findings += 1;
        self.by_level[f.level_rank as usize] += 1;
        *self
            .by_rule
            .entry(f.rule_id.clone().unwrap_or_else(|| f.rule_title.clone()))
            .or_default() += 1;
        for t in &f.attack.techniques {
            *self.by_technique.entry(t.clone()).or_default() += 1;
        }
    }

    /// The closing summary on stderr: totals, by level, top rules, top ATT&CK techniques.
    pub fn print(&self, elapsed: Duration, rules: &[RuleInfo]) {
        let secs = elapsed.as_secs_f64().max(1e-9);
        errln!();
        errln!(
            "hunted {} events in {} files in {secs:.2}s ({:.0} events/s): {} detections from {} rules, {} parse errors",
            self.events,
            self.files,
            self.events as f64 / secs,
            self.findings,
            self.by_rule.len(),
            self.parse_errors,
        );
        if self.undated + self.out_of_range > 0 {
            errln!(
                "time filter: {} events outside --since/--until, {} events without a time left out",
                self.out_of_range,
                self.undated
            );
        }
        let names = ["informational", "low", "medium", "high", "critical"];
        let levels: Vec<String> = (0..5)
            .rev()
            .map(|i| format!("{} {}", names[i], self.by_level[i]))
            .collect();
        errln!("by level: {}", levels.join(", "));
        if self.findings == 0 {
            return;
        }
        let mut t = SafeTable::new(&["Hits", "Level", "Rule"]);
        for (key, n) in top(&self.by_rule, 15) {
            let rule = rules.iter().find(|r| r.key() == key);
            t.add_row([
                n.to_string(),
                rule.map(|r| level_name(r.level)).unwrap_or("").to_string(),
                rule.map(|r| r.title.clone()).unwrap_or_else(|| key.to_string()),
            ]);
        }
        errln!("top rules:\n{t}");
        let line: Vec<String> = top(&self.by_technique, 15)
            .iter()
            .map(|(k, n)| format!("{k} ({n})"))
            .collect();
        errln!("top ATT&CK techniques: {}", line.join(", "));
    }
}
