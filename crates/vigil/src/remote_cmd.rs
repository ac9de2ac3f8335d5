//! `vigil search`, `vigil alerts` (the list), `vigil dead-letters`, `vigil oncall`: read from a
//! running server.

use std::process::ExitCode;

use anyhow::Context;
use jiff::Timestamp;
use serde::Serialize;
use vigil_api_types::{
    alerts::{Alert, AlertEvents, AlertPage},
    dead_letters::DeadLetterPage,
    oncall::{OnCallList, Shift},
    search::{Agg, AggResult, SearchBody, SearchResponse},
};

use crate::{
    cli::{DeadLettersArgs, LevelArg, SearchArgs},
    cli_measure::OncallArgs,
    cli_respond::AlertsArgs,
    client::encode,
    term_safe::{self, Esc, SafeTable, errln, outln},
};

pub(crate) fn runtime() -> anyhow::Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("starting the async runtime")
}

/// The server's answer as JSON (`--json`), with the same escapes as every JSON output.
pub(crate) fn print_json<T: Serialize>(answer: &T) -> anyhow::Result<ExitCode> {
    outln!("{}", term_safe::json::to_string_pretty(answer)?)?;
    Ok(ExitCode::SUCCESS)
}

/// At most `max` characters of `s`, as a table cell (the table escapes it).
pub(crate) fn short(s: &str, max: usize) -> String {
    if s.chars().count() > max {
        let cut: String = s.chars().take(max.saturating_sub(1)).collect();
        format!("{cut}…")
    } else {
        s.to_string()
    }
}

/// An optional text, as a table cell.
pub(crate) fn short_opt(s: Option<&str>, max: usize) -> String {
    short(s.unwrap_or(""), max)
}

/// A JSON value (an event's fields) on one line, as a table cell.
fn short_json(v: &serde_json::Value, max: usize) -> String {
    short(&v.to_string(), max)
}

/// A point in time as a table cell.
pub(crate) fn time(t: Timestamp) -> String {
    t.to_string()
}

pub fn search(args: SearchArgs) -> anyhow::Result<ExitCode> {
    let mut body = SearchBody {
        query: args.query.clone(),
        size: Some(args.size),
        sort: Some(if args.asc { "asc" } else { "desc" }.to_string()),
        from: args.since.clone(),
        to: args.until.clone(),
        cursor: args.cursor.clone(),
        ..SearchBody::default()
    };
    if let Some(f) = &args.terms {
        body.aggs.insert(
            "top".into(),
            Agg::Terms {
                field: f.clone(),
                size: 10,
            },
        );
    }
    let answer: SearchResponse = runtime()?.block_on(async {
        let mut client = args.server.client()?;
        client.post("/api/v1/search", &body).await
    })?;
    if args.json {
        return print_json(&answer);
    }
    if !answer.hits.is_empty() {
        let mut t = SafeTable::new(&["time", "input", "host", "event"]);
        for h in &answer.hits {
            // An event without a time of its own (or with one the server did not trust) shows
            // its ingest time, marked.
            let mut when = time(h.time);
            if h.ingest_time {
                when.push_str(" (ingest)");
            }
            t.add_row(vec![
                when,
                short(&h.input, 16),
                short_opt(h.host.as_deref(), 30),
                short_json(&h.fields, 160),
            ]);
        }
        outln!("{t}")?;
    }
    if let Some(AggResult::Terms { buckets, .. }) = answer.aggs.get("top") {
        let mut t = SafeTable::new(&[args.terms.as_deref().unwrap_or("value"), "count"]);
        for b in buckets {
            t.add_row(vec![short(&b.key, 80), b.doc_count.to_string()]);
        }
        outln!("{t}")?;
    }
    errln!("{} matching events, {} shown", answer.total, answer.hits.len());
    if let Some(c) = &answer.next_cursor {
        errln!("next page: --cursor {}", Esc(c));
    }
    Ok(ExitCode::SUCCESS)
}

pub(crate) fn level_name(l: LevelArg) -> &'static str {
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
    if !args.status.is_empty() {
        let statuses: Vec<&str> = args.status.iter().map(|s| s.as_str()).collect();
        path.push_str(&format!("&status={}", encode(&statuses.join(","))));
    }
    if let Some(a) = &args.assignee {
        path.push_str(&format!("&assignee={}", encode(a)));
    }
    if let Some(h) = &args.host {
        path.push_str(&format!("&host={}", encode(h)));
    }
    let answer: AlertPage = runtime()?.block_on(async {
        let mut client = args.server.client()?;
        client.get(&path).await
    })?;
    if args.json {
        return print_json(&answer);
    }
    let mut t = SafeTable::new(&[
        "detected",
        "level",
        "rule",
        "ATT&CK",
        "host",
        "event time",
        "status",
        "assignee",
        "id",
    ]);
    for a in &answer.alerts {
        t.add_row(vec![
            time(a.detected),
            short(&a.level, 13),
            short(&a.rule_title, 60),
            a.attack.join(" "),
            short_opt(a.host.as_deref(), 30),
            a.event_time.map(time).unwrap_or_default(),
            alert_status(a),
            short_opt(a.assignee.as_deref(), 24),
            short(&a.id, 32),
        ]);
    }
    if !answer.alerts.is_empty() {
        outln!("{t}")?;
    }
    errln!("{} alerts match, {} shown", answer.total, answer.alerts.len());
    Ok(ExitCode::SUCCESS)
}

/// An alert's triage status as a table cell: `closed (false_positive)`.
pub(crate) fn alert_status(a: &Alert) -> String {
    match a.disposition {
        Some(d) => format!("{} ({d})", a.status),
        None => a.status.to_string(),
    }
}

/// `vigil alerts --events ID`: the alert, then its stored events, oldest first.
fn alert_events(args: &AlertsArgs, id: &str) -> anyhow::Result<ExitCode> {
    let path = format!("/api/v1/alerts/{}/events", encode(id));
    let answer: AlertEvents = runtime()?.block_on(async {
        let mut client = args.server.client()?;
        client.get(&path).await
    })?;
    if args.json {
        return print_json(&answer);
    }
    let a = &answer.alert;
    errln!(
        "alert {}: {} ({}) on {}, detected {}",
        Esc(&short(&a.id, 32)),
        Esc(&short(&a.rule_title, 200)),
        Esc(&short(&a.level, 13)),
        Esc(&short_opt(a.host.as_deref(), 60)),
        time(a.detected)
    );
    if !answer.events.is_empty() {
        let mut t = SafeTable::new(&["time", "input", "host", "event id", "event"]);
        for h in &answer.events {
            t.add_row(vec![
                time(h.time),
                short(&h.input, 16),
                short_opt(h.host.as_deref(), 30),
                short(&h.id, 32),
                short_json(&h.fields, 160),
            ]);
        }
        outln!("{t}")?;
    }
    let missing = answer.missing.len();
    let n = answer.events.len();
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
    let answer: DeadLetterPage = runtime()?.block_on(async {
        let mut client = args.server.client()?;
        client.get(&path).await
    })?;
    if args.json {
        return print_json(&answer);
    }
    let mut t = SafeTable::new(&["received", "input", "code", "reason", "data"]);
    for d in &answer.dead_letters {
        t.add_row(vec![
            time(d.received),
            short(&d.input, 16),
            short(&d.code, 24),
            short(&d.message, 60),
            short(&d.data, 60),
        ]);
    }
    if !answer.dead_letters.is_empty() {
        outln!("{t}")?;
    }
    errln!("{} dead letters, {} shown", answer.total, answer.dead_letters.len());
    Ok(ExitCode::SUCCESS)
}

/// `vigil oncall`: one row per rotation.
pub fn oncall(args: OncallArgs) -> anyhow::Result<ExitCode> {
    let answer: OnCallList = runtime()?.block_on(async {
        let mut client = args.server.client()?;
        client.get("/api/v1/oncall").await
    })?;
    if args.json {
        return print_json(&answer);
    }
    let who = |s: &Shift| {
        let by = if s.by_override { " (override)" } else { "" };
        format!("{}{by}", s.member)
    };
    let mut t = SafeTable::new(&["rotation", "on call", "until", "next", "next until"]);
    for r in &answer.rotations {
        t.add_row(vec![
            r.rotation.clone(),
            who(&r.on_call),
            time(r.on_call.until),
            who(&r.next),
            time(r.next.until),
        ]);
    }
    if !answer.rotations.is_empty() {
        outln!("{t}")?;
    }
    let n = answer.rotations.len();
    errln!("{n} rotation{} at {}", if n == 1 { "" } else { "s" }, time(answer.at));
    Ok(ExitCode::SUCCESS)
}

/// Writes `body` to `file`, which must not exist yet (an earlier export is never overwritten),
/// and syncs it to disk.
pub fn write_new_file(file: &std::path::Path, body: &[u8]) -> anyhow::Result<()> {
    use std::io::Write;
    let mut out = std::fs::File::create_new(file).with_context(|| format!("creating {}", file.display()))?;
    out.write_all(body)
        .and_then(|()| out.sync_all())
        .with_context(|| format!("writing {}", file.display()))
}
