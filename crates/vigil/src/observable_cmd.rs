//! `vigil incidents observables|observable`: an incident's observables on a running server —
//! listed with the other incidents where each was seen, added, changed, removed, and a value
//! looked up across incidents. Values come from logs: every one is shown escaped.

use std::process::ExitCode;

use vigil_api_types::observables::{
    NewObservable, Observable, ObservableList, ObservablePatch, ObservableSource, Sightings,
};

use crate::{
    cli_observables::{
        ObservableAction, ObservableAddArgs, ObservableArgs, ObservableFindArgs, ObservableRefArgs,
        ObservableUpdateArgs, ObservablesArgs,
    },
    client::encode,
    remote_cmd::{print_json, runtime, short},
    term_safe::{Esc, SafeTable, errln, outln},
};

fn observables_path(id: &str) -> String {
    format!("/api/v1/incidents/{}/observables", encode(id))
}

fn observable_path(id: &str, oid: &str) -> String {
    format!("{}/{}", observables_path(id), encode(oid))
}

/// The related incidents' ids, and how many more there are.
fn related_text(o: &Observable) -> String {
    let ids: Vec<&str> = o.related.iter().map(|r| r.id.as_str()).collect();
    let more = o.related_total.saturating_sub(ids.len() as u64);
    match (ids.is_empty(), more) {
        (true, _) => "—".into(),
        (false, 0) => ids.join(", "),
        (false, n) => format!("{} (+{n})", ids.join(", ")),
    }
}

pub fn list(args: &ObservablesArgs) -> anyhow::Result<ExitCode> {
    let path = format!("{}?limit=1000", observables_path(&args.id));
    let mut list: ObservableList = runtime()?.block_on(async {
        let mut client = args.server.client()?;
        client.get(&path).await
    })?;
    if args.ioc {
        list.observables.retain(|o| o.ioc);
    }
    if args.json {
        return print_json(&list);
    }
    let mut t = SafeTable::new(&[
        "id",
        "kind",
        "value",
        "tlp",
        "ioc",
        "seen",
        "source",
        "related incidents",
    ]);
    for o in &list.observables {
        t.add_row(vec![
            o.id.clone(),
            o.kind.to_string(),
            short(&o.value, 64),
            o.tlp.to_string(),
            if o.ioc { "IOC".into() } else { String::new() },
            o.sightings.to_string(),
            match o.source {
                ObservableSource::Extracted => short(o.field.as_deref().unwrap_or("extracted"), 24),
                ObservableSource::Manual => "by hand".into(),
            },
            related_text(o),
        ]);
    }
    if !list.observables.is_empty() {
        outln!("{t}")?;
    }
    errln!("{} of {} observables", list.observables.len(), list.total);
    Ok(ExitCode::SUCCESS)
}

pub fn run(args: ObservableArgs) -> anyhow::Result<ExitCode> {
    match args.action {
        ObservableAction::Add(a) => add(a),
        ObservableAction::Update(a) => update(a),
        ObservableAction::Remove(a) => remove(&a),
        ObservableAction::Find(a) => find(&a),
    }
}

fn add(args: ObservableAddArgs) -> anyhow::Result<ExitCode> {
    let body = NewObservable {
        kind: args.kind,
        value: args.value,
        tlp: args.tlp,
        ioc: args.ioc.then_some(true),
        description: args.description,
    };
    let added: Observable = runtime()?.block_on(async {
        let mut client = args.server.client()?;
        client.post(&observables_path(&args.id), &body).await
    })?;
    if args.json {
        return print_json(&added);
    }
    errln!(
        "added {} {} to incident {}",
        added.kind,
        Esc(&added.value),
        Esc(&added.incident_id)
    );
    outln!("{}", Esc(&added.id))?;
    Ok(ExitCode::SUCCESS)
}

fn update(args: ObservableUpdateArgs) -> anyhow::Result<ExitCode> {
    let body = ObservablePatch {
        tlp: args.tlp,
        ioc: args.ioc,
        description: args.description,
    };
    let changed: Observable = runtime()?.block_on(async {
        let mut client = args.server.client()?;
        client.patch(&observable_path(&args.id, &args.oid), &body).await
    })?;
    if args.json {
        return print_json(&changed);
    }
    outln!(
        "{} {}: tlp {}, {}",
        changed.kind,
        Esc(&changed.value),
        changed.tlp,
        if changed.ioc { "IOC" } else { "not an IOC" }
    )?;
    Ok(ExitCode::SUCCESS)
}

fn remove(args: &ObservableRefArgs) -> anyhow::Result<ExitCode> {
    runtime()?.block_on(async {
        let mut client = args.server.client()?;
        client.delete(&observable_path(&args.id, &args.oid)).await
    })?;
    outln!("removed observable {} from incident {}", Esc(&args.oid), Esc(&args.id))?;
    Ok(ExitCode::SUCCESS)
}

fn find(args: &ObservableFindArgs) -> anyhow::Result<ExitCode> {
    let mut path = format!("/api/v1/observables?limit=1000&value={}", encode(&args.value));
    if let Some(kind) = args.kind {
        path.push_str(&format!("&kind={kind}"));
    }
    let seen: Sightings = runtime()?.block_on(async {
        let mut client = args.server.client()?;
        client.get(&path).await
    })?;
    if args.json {
        return print_json(&seen);
    }
    let mut t = SafeTable::new(&[
        "incident",
        "status",
        "title",
        "kind",
        "value",
        "ioc",
        "seen",
        "last seen (UTC)",
    ]);
    for s in &seen.sightings {
        let o = &s.observable;
        t.add_row(vec![
            s.incident.id.clone(),
            s.incident.status.to_string(),
            short(&s.incident.title, 48),
            o.kind.to_string(),
            short(&o.value, 48),
            if o.ioc { "IOC".into() } else { String::new() },
            o.sightings.to_string(),
            o.last_seen.strftime("%Y-%m-%d %H:%M:%S").to_string(),
        ]);
    }
    if !seen.sightings.is_empty() {
        outln!("{t}")?;
    }
    errln!("seen in {} incidents", seen.total);
    Ok(ExitCode::SUCCESS)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cli::{Cli, Command};
    use crate::cli_respond::IncidentsCommand;
    use clap::Parser;
    use vigil_api_types::observables::ObservableKind;

    fn parse(args: &[&str]) -> IncidentsCommand {
        let argv = ["vigil", "incidents"].iter().chain(args).copied();
        match Cli::try_parse_from(argv).expect("parses").command {
            Command::Incidents { command } => command,
            _ => unreachable!(),
        }
    }

    #[test]
    fn add_takes_a_kind_a_value_and_markings() {
        let IncidentsCommand::Observable(o) = parse(&[
            "observable",
            "add",
            "inc-1",
            "--kind",
            "ip",
            "--value",
            "10.0.0.1",
            "--ioc",
            "--tlp",
            "amber+strict",
        ]) else {
            panic!("not observable")
        };
        let ObservableAction::Add(a) = o.action else {
            panic!("not add")
        };
        assert_eq!(
            (a.kind, a.value.as_str(), a.ioc),
            (ObservableKind::Ip, "10.0.0.1", true)
        );
        assert_eq!(a.tlp.map(|t| t.as_str()), Some("amber+strict"));
        let bad = Cli::try_parse_from([
            "vigil",
            "incidents",
            "observable",
            "add",
            "inc-1",
            "--kind",
            "mac",
            "--value",
            "x",
        ]);
        assert!(bad.is_err(), "unknown kinds are refused by the parser");
    }

    #[test]
    fn the_list_and_its_related_column() {
        let IncidentsCommand::Observables(a) = parse(&["observables", "inc-1", "--ioc"]) else {
            panic!("not observables")
        };
        assert!(a.ioc && a.id == "inc-1");
        let mut o: Observable = serde_json::from_value(serde_json::json!({
            "id": "obs-1", "incident_id": "inc-1", "kind": "ip", "value": "10.0.0.1", "tlp": "amber",
            "ioc": false, "source": "extracted", "field": "IpAddress", "alert_id": "a", "sightings": 2,
            "first_seen": "2026-01-01T00:00:00Z", "last_seen": "2026-01-01T00:00:00Z", "description": "",
            "created": "2026-01-01T00:00:00Z", "created_by": "system", "updated": "2026-01-01T00:00:00Z",
            "related": [{"id": "inc-2", "title": "t", "status": "new"}], "related_total": 3
        }))
        .expect("observable");
        assert_eq!(related_text(&o), "inc-2 (+2)");
        o.related.clear();
        assert_eq!(related_text(&o), "—");
    }
}
