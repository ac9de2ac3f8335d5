//! `vigil search`, `vigil alerts`, `vigil dead-letters`: read from a running server.

use std::process::ExitCode;

use anyhow::Context;
use serde_json::{Value, json};

use crate::{
    cli::{AlertsArgs, DeadLettersArgs, LevelArg, SearchArgs},
    client::encode,
    term_safe::{self, Esc, SafeTable, errln, outln},
};

fn runtime() -> anyhow::Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("starting the async runtime")
}

/// The server's raw answer, pretty-printed (`--json`), with the same escapes as every JSON output.
fn print_json(answer: &Value) -> anyhow::Result<ExitCode> {
    outln!("{}", term_safe::json::to_string_pretty(answer)?)?;
    Ok(ExitCode::SUCCESS)
}

/// A count from the answer, as text (the line it goes into is escaped as a whole; this keeps a
/// string the server sent on one line).
fn number(v: &Value) -> String {
    Esc(&v.to_string()).to_string()
}

/// A JSON value as at most `max` characters of a table cell (the table escapes it).
fn short(v: &Value, max: usize) -> String {
    let s = match v {
        Value::String(s) => s.clone(),
        Value::Null => String::new(),
        other => other.to_string(),
    };
    if s.chars().count() > max {
        let cut: String = s.chars().take(max.saturating_sub(1)).collect();
        format!("{cut}…")
    } else {
        s
    }
}

pub fn search(args: SearchArgs) -> anyhow::Result<ExitCode> {
    let mut body = json!({ "query": args.query, "size": args.size, "sort": if args.asc { "asc" } else { "desc" } });
    if let Some(s) = &args.since {
        body["from"] = json!(s);
    }
    if let Some(u) = &args.until {
        body["to"] = json!(u);
    }
    if let Some(c) = &args.cursor {
        body["cursor"] = json!(c);
    }
    if let Some(f) = &args.terms {
        body["aggs"] = json!({ "top": { "terms": { "field": f, "size": 10 } } });
    }
    let answer = runtime()?.block_on(async {
        let mut client = args.server.client()?;
        client.post_json("/api/v1/search", &body).await
    })?;
    if args.json {
        return print_json(&answer);
    }
    let hits = answer["hits"].as_array().cloned().unwrap_or_default();
    if !hits.is_empty() {
        let mut t = SafeTable::new(&["time", "input", "host", "event"]);
        for h in &hits {
            // An event without a time of its own (or with one the server did not trust) shows
            // its ingest time, marked.
            let mut time = short(&h["time"], 30);
            if h["ingest_time"] == true {
                time.push_str(" (ingest)");
            }
            t.add_row(vec![
                time,
                short(&h["input"], 16),
                short(&h["host"], 30),
                short(&h["fields"], 160),
            ]);
        }
        outln!("{t}")?;
    }
    if let Some(buckets) = answer["aggs"]["top"]["buckets"].as_array() {
        let mut t = SafeTable::new(&[args.terms.as_deref().unwrap_or("value"), "count"]);
        for b in buckets {
            t.add_row(vec![short(&b["key"], 80), short(&b["doc_count"], 20)]);
        }
        outln!("{t}")?;
    }
    errln!("{} matching events, {} shown", number(&answer["total"]), hits.len());
    if let Some(c) = answer["next_cursor"].as_str() {
        errln!("next page: --cursor {}", Esc(c));
    }
    Ok(ExitCode::SUCCESS)
}

fn level_name(l: LevelArg) -> &'static str {
    match l {
        LevelArg::Informational => "informational",
        LevelArg::Low => "low",
        LevelArg::Medium => "medium",
        LevelArg::High => "high",
        LevelArg::Critical => "critical",
    }
}

pub fn alerts(args: AlertsArgs) -> anyhow::Result<ExitCode> {
    if let Some(id) = &args.events {
        return alert_events(&args, id);
    }
    let mut path = format!("/api/v1/alerts?limit={}", args.limit);
    if let Some(s) = &args.since {
        path.push_str(&format!("&since={}", encode(s)));
    }
    if let Some(l) = args.min_level {
        path.push_str(&format!("&min_level={}", level_name(l)));
    }
    if let Some(r) = &args.rule_id {
        path.push_str(&format!("&rule_id={}", encode(r)));
    }
    let answer = runtime()?.block_on(async {
        let mut client = args.server.client()?;
        client.get_json(&path).await
    })?;
    if args.json {
        return print_json(&answer);
    }
    let alerts = answer["alerts"].as_array().cloned().unwrap_or_default();
    let mut t = SafeTable::new(&["detected", "level", "rule", "ATT&CK", "host", "event time", "id"]);
    for a in &alerts {
        let attack: Vec<String> = a["attack"]
            .as_array()
            .map(|v| v.iter().filter_map(|x| x.as_str().map(str::to_string)).collect())
            .unwrap_or_default();
        t.add_row(vec![
            short(&a["detected"], 30),
            short(&a["level"], 13),
            short(&a["rule_title"], 60),
            attack.join(" "),
            short(&a["host"], 30),
            short(&a["event_time"], 30),
            short(&a["id"], 32),
        ]);
    }
    if !alerts.is_empty() {
        outln!("{t}")?;
    }
    errln!("{} alerts match, {} shown", number(&answer["total"]), alerts.len());
    Ok(ExitCode::SUCCESS)
}

/// `vigil alerts --events ID`: the alert, then its stored events, oldest first.
fn alert_events(args: &AlertsArgs, id: &str) -> anyhow::Result<ExitCode> {
    let path = format!("/api/v1/alerts/{}/events", encode(id));
    let answer = runtime()?.block_on(async {
        let mut client = args.server.client()?;
        client.get_json(&path).await
    })?;
    if args.json {
        return print_json(&answer);
    }
    let a = &answer["alert"];
    errln!(
        "alert {}: {} ({}) on {}, detected {}",
        Esc(&short(&a["id"], 32)),
        Esc(&short(&a["rule_title"], 200)),
        Esc(&short(&a["level"], 13)),
        Esc(&short(&a["host"], 60)),
        Esc(&short(&a["detected"], 30))
    );
    let events = answer["events"].as_array().cloned().unwrap_or_default();
    if !events.is_empty() {
        let mut t = SafeTable::new(&["time", "input", "host", "event id", "event"]);
        for h in &events {
            t.add_row(vec![
                short(&h["time"], 30),
                short(&h["input"], 16),
                short(&h["host"], 30),
                short(&h["id"], 32),
                short(&h["fields"], 160),
            ]);
        }
        outln!("{t}")?;
    }
    let missing = answer["missing"].as_array().map_or(0, Vec::len);
    let n = events.len();
    errln!("{n} event{} of the alert found", if n == 1 { "" } else { "s" });
    if missing > 0 {
        errln!("{missing} not in the store: not committed yet (try again in a few seconds) or past retention");
    }
    Ok(ExitCode::SUCCESS)
}

pub fn dead_letters(args: DeadLettersArgs) -> anyhow::Result<ExitCode> {
    let mut path = format!("/api/v1/dead-letters?limit={}", args.limit);
    if let Some(s) = &args.since {
        path.push_str(&format!("&since={}", encode(s)));
    }
    let answer = runtime()?.block_on(async {
        let mut client = args.server.client()?;
        client.get_json(&path).await
    })?;
    if args.json {
        return print_json(&answer);
    }
    let letters = answer["dead_letters"].as_array().cloned().unwrap_or_default();
    let mut t = SafeTable::new(&["received", "input", "code", "reason", "data"]);
    for d in &letters {
        t.add_row(vec![
            short(&d["received"], 30),
            short(&d["input"], 16),
            short(&d["code"], 24),
            short(&d["message"], 60),
            short(&d["data"], 60),
        ]);
    }
    if !letters.is_empty() {
        outln!("{t}")?;
    }
    errln!("{} dead letters, {} shown", number(&answer["total"]), letters.len());
    Ok(ExitCode::SUCCESS)
}
