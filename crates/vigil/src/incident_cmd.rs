//! `vigil incidents create|list|show|update|note|link|merge|export`: incidents on a running
//! server. What is shown is drawn in [`crate::incident_view`].

use std::process::ExitCode;

use anyhow::{Context, bail};
use jiff::Timestamp;
use vigil_api_types::{
    alerts::Alert,
    incidents::{
        Incident, IncidentPage, IncidentPatch, IncidentStatus, LinkAlerts, MergeIncidents, NewIncident, NewNote,
    },
};

use crate::{
    arg_values::parse_time,
    cli_respond::{
        ExportArgs, ExportFormat, IncidentCreateArgs, IncidentIdArgs, IncidentListArgs, IncidentUpdateArgs,
        IncidentsCommand, LinkArgs, MergeArgs, NoteArgs, SlaArg,
    },
    client::encode,
    incident_view,
    remote_cmd::{print_json, runtime},
    term_safe::{self, Esc, errln, outln},
};

/// Alerts of an incident that `show` reads to describe (the others are listed by id).
const SHOWN_ALERTS: usize = 50;

pub fn run(command: IncidentsCommand) -> anyhow::Result<ExitCode> {
    match command {
        IncidentsCommand::Create(args) => create(args),
        IncidentsCommand::List(args) => list(&args),
        IncidentsCommand::Show(args) => show(&args),
        IncidentsCommand::Update(args) => update(args),
        IncidentsCommand::Note(args) => note(args),
        IncidentsCommand::Link(args) => link(args),
        IncidentsCommand::Merge(args) => merge(args),
        IncidentsCommand::Export(args) => export(&args),
        IncidentsCommand::Attach(args) => crate::attach_cmd::attach(args),
        IncidentsCommand::Attachments(args) => crate::attach_cmd::list(&args),
        IncidentsCommand::Download(args) => crate::attach_cmd::download(&args),
        IncidentsCommand::Task(args) => crate::task_cmd::run(args),
        IncidentsCommand::Observables(args) => crate::observable_cmd::list(&args),
        IncidentsCommand::Observable(args) => crate::observable_cmd::run(args),
    }
}

fn incident_path(id: &str) -> String {
    format!("/api/v1/incidents/{}", encode(id))
}

fn create(args: IncidentCreateArgs) -> anyhow::Result<ExitCode> {
    let body = NewIncident {
        title: args.title,
        severity: args.severity,
        classification: args.classification,
        alert_ids: args.alerts,
        description: args.description,
        impact: args.impact,
        urgency: args.urgency,
        tlp: args.tlp,
        pap: args.pap,
        owner: args.owner,
        team: args.team,
        attack: args.attack,
    };
    let incident: Incident = runtime()?.block_on(async {
        let mut client = args.server.client()?;
        client.post("/api/v1/incidents", &body).await
    })?;
    if args.json {
        return print_json(&incident);
    }
    errln!(
        "created incident {}: {} {}, {} alert{}",
        Esc(&incident.id),
        incident.priority,
        Esc(&incident.title),
        incident.alert_ids.len(),
        if incident.alert_ids.len() == 1 { "" } else { "s" }
    );
    outln!("{}", Esc(&incident.id))?;
    Ok(ExitCode::SUCCESS)
}

/// The query string of `vigil incidents list`.
fn list_path(args: &IncidentListArgs) -> String {
    let mut path = format!("/api/v1/incidents?limit={}", args.limit);
    let mut param = |name: &str, value: &str| path.push_str(&format!("&{name}={}", encode(value)));
    if !args.status.is_empty() {
        let statuses: Vec<&str> = args.status.iter().map(|s| s.as_str()).collect();
        param("status", &statuses.join(","));
    }
    if args.open {
        param("open", "true");
    }
    if args.closed {
        param("open", "false");
    }
    for (name, value) in [
        ("owner", &args.owner),
        ("team", &args.team),
        ("due_within", &args.due_within),
        ("since", &args.since),
        ("until", &args.until),
        ("cursor", &args.cursor),
    ] {
        if let Some(v) = value {
            param(name, v);
        }
    }
    if let Some(p) = args.max_priority {
        param("max_priority", &p.to_string());
    }
    if let Some(sla) = args.sla {
        let state = match sla {
            SlaArg::Breached => "breached",
            SlaArg::Warning => "warning",
            SlaArg::Running => "running",
            SlaArg::Paused => "paused",
        };
        param("sla", state);
    }
    path
}

fn list(args: &IncidentListArgs) -> anyhow::Result<ExitCode> {
    let path = list_path(args);
    let page: IncidentPage = runtime()?.block_on(async {
        let mut client = args.server.client()?;
        client.get(&path).await
    })?;
    if args.json {
        return print_json(&page);
    }
    if !page.incidents.is_empty() {
        outln!("{}", incident_view::list_table(&page.incidents, Timestamp::now()))?;
    }
    errln!("{} incidents match, {} shown", page.total, page.incidents.len());
    if let Some(c) = &page.next_cursor {
        errln!("next page: --cursor {}", Esc(c));
    }
    Ok(ExitCode::SUCCESS)
}

fn show(args: &IncidentIdArgs) -> anyhow::Result<ExitCode> {
    let (incident, alerts) = runtime()?.block_on(async {
        let mut client = args.server.client()?;
        let incident: Incident = client.get(&incident_path(&args.id)).await?;
        if args.json {
            return anyhow::Ok((incident, Vec::new()));
        }
        // Each alert read for its rule and host; one that cannot be read is listed by id.
        let mut alerts = Vec::new();
        for id in incident.alert_ids.iter().take(SHOWN_ALERTS) {
            let alert: Option<Alert> = client.get(&format!("/api/v1/alerts/{}", encode(id))).await.ok();
            alerts.push((id.clone(), alert));
        }
        anyhow::Ok((incident, alerts))
    })?;
    if args.json {
        return print_json(&incident);
    }
    for line in incident_view::show_lines(&incident, &alerts, Timestamp::now()) {
        outln!("{line}")?;
    }
    Ok(ExitCode::SUCCESS)
}

/// The patch of `vigil incidents update`; an error when it changes nothing.
fn patch_of(args: IncidentUpdateArgs) -> anyhow::Result<IncidentPatch> {
    let clear_or = |clear: bool, value: Option<String>| if clear { Some(None) } else { value.map(Some) };
    let patch = IncidentPatch {
        status: args.status,
        title: args.title,
        description: args.description,
        classification: args.classification,
        severity: args.severity,
        impact: args.impact,
        urgency: args.urgency,
        tlp: args.tlp,
        pap: args.pap,
        owner: clear_or(args.no_owner, args.owner),
        team: clear_or(args.no_team, args.team),
        resolution: args.resolution,
        lessons_learned: args.lessons_learned,
        attack: if args.no_attack {
            Some(Vec::new())
        } else {
            Some(args.attack).filter(|a| !a.is_empty())
        },
        comment: args.comment,
    };
    if patch == IncidentPatch::default() {
        bail!("nothing to change: give at least one option, such as --status or --owner (see --help)");
    }
    Ok(patch)
}

fn update(args: IncidentUpdateArgs) -> anyhow::Result<ExitCode> {
    let server = args.server.client()?;
    let (id, json) = (args.id.clone(), args.json);
    let patch = patch_of(args)?;
    let incident: Incident = runtime()?
        .block_on(async {
            let mut client = server;
            client.patch(&incident_path(&id), &patch).await
        })
        .with_context(|| match patch.status {
            Some(IncidentStatus::Closed) => format!(
                "closing incident {} (needs --resolution and --lessons-learned, given now or before, \
                 its mandatory tasks done or skipped, and the permission case:close)",
                Esc(&id)
            ),
            _ => format!("changing incident {}", Esc(&id)),
        })?;
    if json {
        return print_json(&incident);
    }
    outln!(
        "updated incident {}: {}",
        Esc(&incident.id),
        Esc(&incident_view::changed(&patch, &incident))
    )?;
    Ok(ExitCode::SUCCESS)
}

fn note(args: NoteArgs) -> anyhow::Result<ExitCode> {
    let occurred_at = args
        .occurred_at
        .as_deref()
        .map(|t| parse_time(t, Timestamp::now()).with_context(|| format!("--occurred-at {t}")))
        .transpose()?;
    let body = NewNote {
        text: args.text,
        occurred_at,
    };
    let incident: Incident = runtime()?.block_on(async {
        let mut client = args.server.client()?;
        client.post(&format!("{}/notes", incident_path(&args.id)), &body).await
    })?;
    if args.json {
        return print_json(&incident);
    }
    outln!(
        "note added to incident {} ({} timeline entries)",
        Esc(&incident.id),
        incident.timeline.len()
    )?;
    Ok(ExitCode::SUCCESS)
}

fn link(args: LinkArgs) -> anyhow::Result<ExitCode> {
    let asked = args.alerts.len();
    let body = LinkAlerts { alert_ids: args.alerts };
    let incident: Incident = runtime()?.block_on(async {
        let mut client = args.server.client()?;
        client.post(&format!("{}/alerts", incident_path(&args.id)), &body).await
    })?;
    if args.json {
        return print_json(&incident);
    }
    outln!(
        "linked {asked} alert{} to incident {} (now {} alerts)",
        if asked == 1 { "" } else { "s" },
        Esc(&incident.id),
        incident.alert_ids.len()
    )?;
    Ok(ExitCode::SUCCESS)
}

fn merge(args: MergeArgs) -> anyhow::Result<ExitCode> {
    let asked = args.others.len();
    let body = MergeIncidents {
        incident_ids: args.others,
    };
    let incident: Incident = runtime()?.block_on(async {
        let mut client = args.server.client()?;
        client.post(&format!("{}/merge", incident_path(&args.id)), &body).await
    })?;
    if args.json {
        return print_json(&incident);
    }
    outln!(
        "merged {asked} incident{} into {} (now {} alerts)",
        if asked == 1 { "" } else { "s" },
        Esc(&incident.id),
        incident.alert_ids.len()
    )?;
    Ok(ExitCode::SUCCESS)
}

fn export(args: &ExportArgs) -> anyhow::Result<ExitCode> {
    let (format, media) = match args.format {
        ExportFormat::Markdown => ("markdown", "text/markdown"),
        ExportFormat::Json => ("json", "application/json"),
    };
    let path = format!("{}/export?format={format}", incident_path(&args.id));
    let answer = runtime()?.block_on(async {
        let mut client = args.server.client()?;
        client.get_raw(&path).await
    })?;
    answer.expect_media(media, "incident exports")?;
    match &args.out {
        Some(file) => {
            crate::remote_cmd::write_new_file(file, &answer.body)?;
            errln!(
                "wrote the {format} export of incident {} to {} ({} bytes)",
                Esc(&args.id),
                Esc(&file.display().to_string()),
                answer.body.len()
            );
        }
        None => match args.format {
            ExportFormat::Json => {
                let value: serde_json::Value =
                    serde_json::from_slice(&answer.body).context("the server's JSON export does not parse")?;
                outln!("{}", term_safe::json::to_string_pretty(&value)?)?;
            }
            // Markdown keeps its line breaks and tabs; every other control or invisible
            // character is shown escaped.
            ExportFormat::Markdown => outln!("{}", String::from_utf8_lossy(&answer.body).trim_end_matches('\n'))?,
        },
    }
    Ok(ExitCode::SUCCESS)
}

#[cfg(test)]
mod tests {
    use clap::Parser as _;

    use super::*;
    use crate::cli::{Cli, Command};

    fn parse(args: &[&str]) -> IncidentsCommand {
        let cli = Cli::try_parse_from(["vigil", "incidents"].iter().chain(args)).expect("parses");
        match cli.command {
            Command::Incidents { command } => command,
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn list_options_become_the_query() {
        let IncidentsCommand::List(args) = parse(&[
            "list",
            "--status",
            "contained,on_hold",
            "--open",
            "--owner",
            "a b",
            "--max-priority",
            "2",
            "--sla",
            "warning",
            "--due-within",
            "1h",
        ]) else {
            panic!("list")
        };
        assert_eq!(
            list_path(&args),
            "/api/v1/incidents?limit=50&status=contained%2Con_hold&open=true&owner=a%20b&due_within=1h&max_priority=2&sla=warning"
        );
    }

    #[test]
    fn update_sends_only_what_is_given_and_null_to_clear() {
        let IncidentsCommand::Update(args) =
            parse(&["update", "i1", "--status", "closed", "--no-owner", "--severity", "high"])
        else {
            panic!("update")
        };
        let patch = patch_of(args).expect("patch");
        assert_eq!(
            serde_json::to_value(&patch).expect("json"),
            serde_json::json!({"status": "closed", "severity": 3, "owner": null})
        );
        let IncidentsCommand::Update(args) = parse(&["update", "i1"]) else {
            panic!("update")
        };
        assert!(patch_of(args).is_err(), "an empty change is refused before sending");
        assert!(Cli::try_parse_from(["vigil", "incidents", "update", "i1", "--owner", "a", "--no-owner"]).is_err());
    }
}
