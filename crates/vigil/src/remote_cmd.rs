//! `vigil search`, `vigil alerts`, `vigil dead-letters`: read from a running server.

use std::process::ExitCode;

use anyhow::Context;
use comfy_table::{ContentArrangement, Table, presets::UTF8_FULL_CONDENSED};
use serde_json::{Value, json};

use crate::{
    cli::{AlertsArgs, DeadLettersArgs, LevelArg, SearchArgs},
    client::encode,
};

fn runtime() -> anyhow::Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("starting the async runtime")
}

fn table(header: &[&str]) -> Table {
    let mut t = Table::new();
    t.load_preset(UTF8_FULL_CONDENSED)
        .set_content_arrangement(ContentArrangement::Dynamic)
        .set_header(header.to_vec());
    t
}

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
        println!("{}", serde_json::to_string_pretty(&answer)?);
        return Ok(ExitCode::SUCCESS);
    }
    let hits = answer["hits"].as_array().cloned().unwrap_or_default();
    if !hits.is_empty() {
        let mut t = table(&["time", "input", "event"]);
        for h in &hits {
            // An event without a time of its own (or with one the server did not trust) shows
            // its ingest time, marked.
            let mut time = short(&h["time"], 30);
            if h["ingest_time"] == true {
                time.push_str(" (ingest)");
            }
            t.add_row(vec![time, short(&h["input"], 16), short(&h["fields"], 160)]);
        }
        println!("{t}");
    }
    if let Some(buckets) = answer["aggs"]["top"]["buckets"].as_array() {
        let mut t = table(&[args.terms.as_deref().unwrap_or("value"), "count"]);
        for b in buckets {
            t.add_row(vec![short(&b["key"], 80), short(&b["doc_count"], 20)]);
        }
        println!("{t}");
    }
    eprintln!("{} matching events, {} shown", answer["total"], hits.len());
    if let Some(c) = answer["next_cursor"].as_str() {
        eprintln!("next page: --cursor {c}");
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
        println!("{}", serde_json::to_string_pretty(&answer)?);
        return Ok(ExitCode::SUCCESS);
    }
    let alerts = answer["alerts"].as_array().cloned().unwrap_or_default();
    let mut t = table(&["detected", "level", "rule", "ATT&CK", "host", "event time"]);
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
        ]);
    }
    if !alerts.is_empty() {
        println!("{t}");
    }
    eprintln!("{} alerts match, {} shown", answer["total"], alerts.len());
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
        println!("{}", serde_json::to_string_pretty(&answer)?);
        return Ok(ExitCode::SUCCESS);
    }
    let letters = answer["dead_letters"].as_array().cloned().unwrap_or_default();
    let mut t = table(&["received", "input", "code", "reason", "data"]);
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
        println!("{t}");
    }
    eprintln!("{} dead letters, {} shown", answer["total"], letters.len());
    Ok(ExitCode::SUCCESS)
}
