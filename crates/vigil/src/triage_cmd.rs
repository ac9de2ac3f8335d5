//! `vigil alerts ack|close|reopen|assign|comment|history`: alert triage on a running server
//! (`vigil alerts suppress` is in `suppress_cmd.rs`).
//!
//! One id is changed with `PATCH /api/v1/alerts/{id}` (the server says why when it cannot
//! change); several ids, or a filter, with `POST /api/v1/alerts/bulk`. A filter is always counted
//! first (a dry run) and changed only with `--yes`, passing the count as `expect` so that the
//! change is refused when the selection moved in between.

use std::process::ExitCode;

use jiff::Timestamp;
use vigil_api_types::{
    alerts::Alert,
    triage::{AlertBulk, AlertFilter, AlertHistory, AlertStatus, AlertUpdate, BulkOutcome},
};

use crate::{
    arg_values::parse_time,
    cli_respond::{AlertIdArgs, AlertsCommand, CommentArgs, TriageArgs, WhereArgs},
    client::{Client, encode},
    remote_cmd::{level_name, print_json, runtime, short, time},
    term_safe::{Esc, SafeTable, errln, outln},
};

/// How a triage change is named in what the command prints: `closed` 3 of 4 alerts ` as
/// duplicate`.
#[derive(Debug)]
struct Verb {
    /// `acknowledge`: what `--yes` would do.
    todo: String,
    /// `acknowledged`: what was done.
    done: String,
    /// What follows the alerts: ` as duplicate`, ` to alice`.
    rest: String,
}

impl Verb {
    fn new(todo: &str, done: &str, rest: &str) -> Verb {
        Verb {
            todo: todo.to_owned(),
            done: done.to_owned(),
            rest: rest.to_owned(),
        }
    }
}

pub fn run(command: AlertsCommand) -> anyhow::Result<ExitCode> {
    match command {
        AlertsCommand::Ack(target) => {
            let update = status_update(AlertStatus::Acknowledged);
            triage(&target, &update, &Verb::new("acknowledge", "acknowledged", ""))
        }
        AlertsCommand::Close(args) => {
            let update = AlertUpdate {
                status: Some(AlertStatus::Closed),
                disposition: Some(args.disposition),
                comment: args.comment,
                ..AlertUpdate::default()
            };
            let rest = format!(" as {}", args.disposition);
            triage(&args.target, &update, &Verb::new("close", "closed", &rest))
        }
        AlertsCommand::Reopen(target) => {
            let update = status_update(AlertStatus::New);
            triage(&target, &update, &Verb::new("reopen", "reopened", ""))
        }
        AlertsCommand::Assign(args) => {
            let to = if args.unassign { None } else { args.to };
            let verb = match &to {
                Some(who) => Verb::new(&format!("assign to {who}"), "assigned", &format!(" to {who}")),
                None => Verb::new("unassign", "unassigned", ""),
            };
            let update = AlertUpdate {
                assignee: Some(to),
                ..AlertUpdate::default()
            };
            triage(&args.target, &update, &verb)
        }
        AlertsCommand::Comment(args) => comment(&args),
        AlertsCommand::History(args) => history(&args),
        AlertsCommand::Suppress(args) => crate::suppress_cmd::from_alert(args),
    }
}

fn status_update(status: AlertStatus) -> AlertUpdate {
    AlertUpdate {
        status: Some(status),
        ..AlertUpdate::default()
    }
}

/// The ids given, each once, in their order.
fn distinct(ids: &[String]) -> Vec<String> {
    let mut seen = std::collections::HashSet::new();
    ids.iter().filter(|id| seen.insert(id.as_str())).cloned().collect()
}

fn triage(target: &TriageArgs, update: &AlertUpdate, verb: &Verb) -> anyhow::Result<ExitCode> {
    let ids = distinct(&target.ids);
    runtime()?.block_on(async {
        let mut client = target.server.client()?;
        match ids.as_slice() {
            [] => by_filter(&mut client, target, update, verb).await,
            [id] => one(&mut client, id, update, verb, target.json).await,
            _ => by_ids(&mut client, ids, update, verb, target.json).await,
        }
    })
}

/// One alert: `PATCH`; a change its status does not allow is an error with the server's reason.
async fn one(client: &mut Client, id: &str, update: &AlertUpdate, verb: &Verb, json: bool) -> anyhow::Result<ExitCode> {
    let alert: Alert = client.patch(&format!("/api/v1/alerts/{}", encode(id)), update).await?;
    if json {
        return print_json(&alert);
    }
    outln!("alert {}: {}{}", Esc(&alert.id), verb.done, Esc(&verb.rest))?;
    Ok(ExitCode::SUCCESS)
}

/// Several alerts by id: one bulk request.
async fn by_ids(
    client: &mut Client,
    ids: Vec<String>,
    update: &AlertUpdate,
    verb: &Verb,
    json: bool,
) -> anyhow::Result<ExitCode> {
    let asked = ids.len() as u64;
    let body = AlertBulk {
        ids: Some(ids),
        update: update.clone(),
        ..AlertBulk::default()
    };
    let outcome: BulkOutcome = client.post("/api/v1/alerts/bulk", &body).await?;
    report(&outcome, verb, Some(asked), json)
}

/// Alerts by filter: count them (dry run), then change them with `--yes`, expecting that count.
async fn by_filter(
    client: &mut Client,
    target: &TriageArgs,
    update: &AlertUpdate,
    verb: &Verb,
) -> anyhow::Result<ExitCode> {
    let mut body = AlertBulk {
        filter: Some(filter_of(&target.filter, Timestamp::now())?),
        update: update.clone(),
        dry_run: true,
        ..AlertBulk::default()
    };
    let count: BulkOutcome = client.post("/api/v1/alerts/bulk", &body).await?;
    errln!("{}, {} would change", matching(count.matched), count.updated);
    if count.updated == 0 {
        if target.json {
            print_json(&count)?;
        }
        errln!("nothing to {}", verb.todo);
        return Ok(ExitCode::from(1));
    }
    if !target.yes {
        if target.json {
            print_json(&count)?;
        }
        errln!(
            "add --yes to {}{} (refused then if the number of matching alerts is no longer {})",
            Esc(&verb.todo),
            if count.updated == 1 { " it" } else { " them" },
            count.matched
        );
        return Ok(ExitCode::from(1));
    }
    body.dry_run = false;
    body.expect = Some(count.matched);
    let outcome: BulkOutcome = client.post("/api/v1/alerts/bulk", &body).await?;
    report(&outcome, verb, None, target.json)
}

/// The bulk filter of the `--where-…` flags; times are read at `now`.
fn filter_of(w: &WhereArgs, now: Timestamp) -> anyhow::Result<AlertFilter> {
    let time = |flag: &str, text: &Option<String>| -> anyhow::Result<Option<Timestamp>> {
        text.as_deref()
            .map(|t| parse_time(t, now).map_err(|e| e.context(format!("--{flag} {t}"))))
            .transpose()
    };
    Ok(AlertFilter {
        since: time("where-since", &w.where_since)?,
        until: time("where-until", &w.where_until)?,
        rule_id: w.where_rule_id.clone(),
        min_level: w.where_min_level.map(|l| level_name(l).to_owned()),
        status: w.where_status.clone(),
        assignee: w.where_assignee.clone(),
        host: w.where_host.clone(),
    })
}

fn plural(n: u64) -> &'static str {
    if n == 1 { "" } else { "s" }
}

/// `1 alert matches`, `3 alerts match`.
fn matching(n: u64) -> String {
    if n == 1 {
        "1 alert matches".to_owned()
    } else {
        format!("{n} alerts match")
    }
}

/// What a bulk change did: `acknowledged 3 of 4 alerts (1 could not change: …)`; exits 1 when
/// nothing changed. `asked`: the number of ids given, when the alerts were named by id.
fn report(outcome: &BulkOutcome, verb: &Verb, asked: Option<u64>, json: bool) -> anyhow::Result<ExitCode> {
    if json {
        print_json(outcome)?;
    } else {
        outln!("{}", summary(outcome, verb, asked))?;
    }
    Ok(if outcome.updated == 0 {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}

fn summary(outcome: &BulkOutcome, verb: &Verb, asked: Option<u64>) -> String {
    let BulkOutcome { matched, updated, .. } = *outcome;
    let mut line = format!(
        "{} {updated} of {matched} alert{}{}",
        verb.done,
        plural(matched),
        verb.rest
    );
    let mut notes = Vec::new();
    if matched > updated {
        notes.push(format!(
            "{} could not change: see `vigil alerts history ID`",
            matched - updated
        ));
    }
    if let Some(asked) = asked.filter(|&a| a > matched) {
        notes.push(format!("{} not found", asked - matched));
    }
    if !notes.is_empty() {
        line.push_str(&format!(" ({})", notes.join("; ")));
    }
    line
}

fn comment(args: &CommentArgs) -> anyhow::Result<ExitCode> {
    let update = AlertUpdate {
        comment: Some(args.text.clone()),
        ..AlertUpdate::default()
    };
    let alert: Alert = runtime()?.block_on(async {
        let mut client = args.server.client()?;
        client
            .patch(&format!("/api/v1/alerts/{}", encode(&args.id)), &update)
            .await
    })?;
    if args.json {
        return print_json(&alert);
    }
    outln!("comment added to alert {}", Esc(&alert.id))?;
    Ok(ExitCode::SUCCESS)
}

fn history(args: &AlertIdArgs) -> anyhow::Result<ExitCode> {
    let answer: AlertHistory = runtime()?.block_on(async {
        let mut client = args.server.client()?;
        client
            .get(&format!("/api/v1/alerts/{}/history", encode(&args.id)))
            .await
    })?;
    if args.json {
        return print_json(&answer);
    }
    let mut t = SafeTable::new(&["time", "actor", "change"]);
    for c in &answer.changes {
        t.add_row(vec![time(c.at), short(&c.actor, 40), change_text(&c.change)]);
    }
    if !answer.changes.is_empty() {
        outln!("{t}")?;
    }
    let n = answer.changes.len() as u64;
    errln!("{n} change{} of alert {}", plural(n), Esc(&answer.alert_id));
    Ok(ExitCode::SUCCESS)
}

/// A history change on one line: `status=closed, disposition=false_positive, comment=…`.
fn change_text(change: &serde_json::Value) -> String {
    let Some(fields) = change.as_object() else {
        return change.to_string();
    };
    fields
        .iter()
        .map(|(k, v)| match v {
            serde_json::Value::String(s) => format!("{k}={s}"),
            serde_json::Value::Null => format!("{k}=(none)"),
            other => format!("{k}={other}"),
        })
        .collect::<Vec<_>>()
        .join(", ")
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn outcome(matched: u64, updated: u64) -> BulkOutcome {
        BulkOutcome {
            matched,
            updated,
            dry_run: false,
        }
    }

    #[test]
    fn summaries_say_what_changed_and_what_could_not() {
        let ack = Verb::new("acknowledge", "acknowledged", "");
        assert_eq!(summary(&outcome(4, 4), &ack, None), "acknowledged 4 of 4 alerts");
        assert_eq!(
            summary(&outcome(4, 3), &ack, Some(4)),
            "acknowledged 3 of 4 alerts (1 could not change: see `vigil alerts history ID`)"
        );
        assert_eq!(
            summary(&outcome(1, 1), &ack, Some(3)),
            "acknowledged 1 of 1 alert (2 not found)"
        );
        let assign = Verb::new("assign to team:tier2", "assigned", " to team:tier2");
        assert_eq!(
            summary(&outcome(3, 2), &assign, Some(3)),
            "assigned 2 of 3 alerts to team:tier2 (1 could not change: see `vigil alerts history ID`)"
        );
    }

    #[test]
    fn where_flags_become_the_bulk_filter() {
        let now: Timestamp = "2026-05-01T12:00:00Z".parse().expect("instant");
        let w = WhereArgs {
            where_rule_id: Some("r1".into()),
            where_host: Some("web01".into()),
            where_status: vec![AlertStatus::New, AlertStatus::Acknowledged],
            where_min_level: Some(crate::cli::LevelArg::High),
            where_since: Some("24h".into()),
            where_until: None,
            where_assignee: Some("team:tier2".into()),
        };
        let f = filter_of(&w, now).expect("filter");
        assert_eq!(
            serde_json::to_value(&f).expect("json"),
            json!({
                "since": "2026-04-30T12:00:00Z", "until": null, "rule_id": "r1", "min_level": "high",
                "status": ["new", "acknowledged"], "assignee": "team:tier2", "host": "web01"
            })
        );
        let bad = WhereArgs {
            where_since: Some("yesterday-ish".into()),
            ..w
        };
        let e = filter_of(&bad, now).expect_err("bad time");
        assert!(format!("{e:#}").contains("--where-since yesterday-ish"), "{e:#}");
    }

    #[test]
    fn history_changes_read_on_one_line() {
        assert_eq!(
            change_text(&json!({"status": "closed", "disposition": "false_positive", "assignee": null})),
            "status=closed, disposition=false_positive, assignee=(none)"
        );
    }
}
