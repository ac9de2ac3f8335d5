//! How incidents are shown: the list table, the SLA summary, `vigil incidents show`. Every text
//! from the server goes into a [`SafeTable`] cell or through [`Esc`]; times are UTC.

use jiff::{Timestamp, tz::TimeZone};
use vigil_api_types::{
    alerts::Alert,
    incidents::{Incident, IncidentPatch, Timer, TimerState},
};

use crate::{
    remote_cmd::{alert_status, short, short_opt},
    term_safe::{Esc, SafeTable},
};

/// `10:15` on the day of `now` (UTC), `2024-05-02 10:15` on another day.
fn clock(t: Timestamp, now: Timestamp) -> String {
    let utc = TimeZone::UTC;
    if t.to_zoned(utc.clone()).date() == now.to_zoned(utc).date() {
        t.strftime("%H:%M").to_string()
    } else {
        t.strftime("%Y-%m-%d %H:%M").to_string()
    }
}

/// An instant to the second, UTC: `2024-05-02 10:15:07`.
fn seconds(t: Timestamp) -> String {
    t.strftime("%Y-%m-%d %H:%M:%S").to_string()
}

/// A number of seconds in the duration grammar: `45s`, `15m`, `4h30m`, `3d2h`.
pub(crate) fn span(seconds: i64) -> String {
    let s = seconds.max(0);
    let (d, h, m) = (s / 86_400, s % 86_400 / 3600, s % 3600 / 60);
    match (d, h, m) {
        (0, 0, 0) => format!("{s}s"),
        (0, 0, m) => format!("{m}m"),
        (0, h, 0) => format!("{h}h"),
        (0, h, m) => format!("{h}h{m}m"),
        (d, 0, _) => format!("{d}d"),
        (d, h, _) => format!("{d}d{h}h"),
    }
}

/// The timers of an incident with their short names and whether each still runs (its milestone
/// not reached and the incident open).
fn timers(i: &Incident) -> Vec<(&'static str, &'static str, &Timer, bool)> {
    let open = i.status.is_open();
    let m = &i.milestones;
    [
        ("ack", "acknowledge", &i.sla.acknowledge, m.acknowledged.is_none()),
        ("contain", "contain", &i.sla.contain, m.contained.is_none()),
        ("resolve", "resolve", &i.sla.resolve, m.resolved.is_none()),
    ]
    .into_iter()
    .filter_map(|(short, long, timer, pending)| timer.as_ref().map(|t| (short, long, t, open && pending)))
    .collect()
}

/// The most urgent SLA timer, for the list: `resolve breached`, `ack due 10:15`, `contain due
/// 10:15 (warning)`, `resolve paused`; `met` when every timer was met in time.
pub fn sla_cell(i: &Incident, now: Timestamp) -> String {
    let all = timers(i);
    let running = all.iter().filter(|(_, _, _, running)| *running);
    if let Some((name, ..)) = running
        .clone()
        .filter(|(_, _, t, _)| t.state == TimerState::Breached)
        .min_by_key(|(_, _, t, _)| t.breached_at)
    {
        return format!("{name} breached");
    }
    // A timer with no due time (no working time left in its calendar) comes last.
    if let Some((name, _, t, _)) = running.min_by_key(|(_, _, t, _)| (t.due.is_none(), t.due)) {
        let mut cell = match (t.state, t.due) {
            (TimerState::Paused, _) => format!("{name} paused"),
            (_, Some(due)) => format!("{name} due {}", clock(due, now)),
            (_, None) => format!("{name} running"),
        };
        if t.warning {
            cell.push_str(" (warning)");
        }
        return cell;
    }
    match all.iter().find(|(_, _, t, _)| t.state == TimerState::Breached) {
        Some((name, ..)) => format!("{name} breached (stopped)"),
        None if all.is_empty() => String::new(),
        None => "met".to_owned(),
    }
}

/// The table of `vigil incidents list`.
pub fn list_table(incidents: &[Incident], now: Timestamp) -> SafeTable {
    let mut t = SafeTable::new(&[
        "id",
        "priority",
        "severity",
        "status",
        "title",
        "owner",
        "SLA (UTC)",
        "created (UTC)",
    ]);
    for i in incidents {
        let owner = match (&i.owner, &i.team) {
            (Some(o), _) => o.clone(),
            (None, Some(team)) => format!("team:{team}"),
            (None, None) => String::new(),
        };
        t.add_row(vec![
            short(&i.id, 32),
            i.priority.to_string(),
            i.severity.to_string(),
            i.status.to_string(),
            short(&i.title, 60),
            short(&owner, 24),
            sla_cell(i, now),
            clock(i.milestones.created, now),
        ]);
    }
    t
}

/// `label:` padded, then the value escaped.
fn field(label: &str, value: &str) -> String {
    format!("{:<17}{}", format!("{label}:"), Esc(value))
}

/// A text of several lines (markdown) under a label, each line indented and escaped.
fn block(lines: &mut Vec<String>, label: &str, text: &str) {
    lines.push(format!("{label}:"));
    lines.extend(text.lines().map(|l| format!("  {}", Esc(l))));
}

/// What `vigil incidents show` prints, line by line. `alerts`: the incident's alerts that were
/// read (id, and the alert when it could be read).
pub fn show_lines(i: &Incident, alerts: &[(String, Option<Alert>)], now: Timestamp) -> Vec<String> {
    let mut lines = vec![
        format!("incident {}", Esc(&i.id)),
        field("title", &i.title),
        field("status", i.status.as_str()),
        field(
            "priority",
            &format!("{} (impact {}, urgency {})", i.priority, i.impact, i.urgency),
        ),
        field("severity", &format!("{} ({})", i.severity.get(), i.severity)),
        field("classification", &i.classification),
        field("TLP / PAP", &format!("{} / {}", i.tlp, i.pap)),
        field("owner", i.owner.as_deref().unwrap_or("-")),
        field("team", i.team.as_deref().unwrap_or("-")),
        field("ATT&CK", &i.attack.join(" ")),
        field("created by", &i.created_by),
        field("updated", &seconds(i.updated)),
    ];
    if let Some(into) = &i.merged_into {
        lines.push(field("merged into", into));
    }
    for (label, text) in [
        ("description", Some(&i.description)),
        ("resolution", i.resolution.as_ref()),
        ("lessons learned", i.lessons_learned.as_ref()),
    ] {
        if let Some(text) = text.filter(|t| !t.trim().is_empty()) {
            block(&mut lines, label, text);
        }
    }

    let m = &i.milestones;
    lines.push(String::new());
    lines.push("milestones (UTC):".to_owned());
    for (label, at) in [
        ("first event", m.first_event),
        ("detected", m.detected),
        ("created", Some(m.created)),
        ("acknowledged", m.acknowledged),
        ("contained", m.contained),
        ("resolved", m.resolved),
        ("closed", m.closed),
    ] {
        lines.push(format!(
            "  {label:<15}{}",
            at.map(seconds).unwrap_or_else(|| "-".into())
        ));
    }

    lines.push(String::new());
    lines.push(format!(
        "SLA: policy {}, calendar {}",
        Esc(&i.sla.policy),
        Esc(&i.sla.calendar)
    ));
    let all = timers(i);
    if all.is_empty() {
        lines.push("  no SLA timers".to_owned());
    } else {
        let mut t = SafeTable::new(&["timer", "state", "due (UTC)", "target", "elapsed"]);
        for (_, name, timer, _) in &all {
            let mut state = timer.state.to_string();
            if timer.warning {
                state.push_str(" (warning)");
            }
            let due = match (timer.breached_at, timer.due) {
                (Some(at), _) => format!("breached at {}", clock(at, now)),
                (None, Some(due)) => clock(due, now),
                (None, None) => "-".to_owned(),
            };
            t.add_row(vec![
                (*name).to_owned(),
                state,
                due,
                span(timer.target_seconds),
                span(timer.elapsed_seconds),
            ]);
        }
        lines.push(t.to_string());
    }

    lines.push(String::new());
    lines.push(format!("alerts ({}):", i.alert_ids.len()));
    if !alerts.is_empty() {
        let mut t = SafeTable::new(&["id", "status", "level", "rule", "host", "detected"]);
        for (id, alert) in alerts {
            match alert {
                Some(a) => t.add_row(vec![
                    short(id, 32),
                    alert_status(a),
                    short(&a.level, 13),
                    short(&a.rule_title, 60),
                    short_opt(a.host.as_deref(), 30),
                    seconds(a.detected),
                ]),
                None => t.add_row(vec![short(id, 32), "(not readable)".to_owned()]),
            };
        }
        lines.push(t.to_string());
    }
    if i.alert_ids.len() > alerts.len() {
        lines.push(format!(
            "  … and {} more (`vigil incidents show {} --json` lists every id)",
            i.alert_ids.len() - alerts.len(),
            Esc(&i.id)
        ));
    }

    if !i.tasks.is_empty() {
        lines.push(String::new());
        let pending = i.tasks.iter().filter(|t| t.status.is_pending()).count();
        lines.push(format!("tasks ({}, {pending} pending; ! = mandatory):", i.tasks.len()));
        let mut t = SafeTable::new(&["#", "status", "!", "task", "assignee", "due (UTC)"]);
        for (n, task) in i.tasks.iter().enumerate() {
            let due = task.due.map(|d| clock(d, now)).unwrap_or_default();
            t.add_row(vec![
                (n + 1).to_string(),
                task.status.to_string(),
                if task.mandatory { "!".into() } else { String::new() },
                short(&task.title, 60),
                short_opt(task.assignee.as_deref(), 24),
                if task.overdue { format!("{due} OVERDUE") } else { due },
            ]);
        }
        lines.push(t.to_string());
    }

    lines.push(String::new());
    lines.push(format!("timeline ({} entries, oldest first, UTC):", i.timeline.len()));
    let mut entries: Vec<_> = i.timeline.iter().collect();
    entries.sort_by_key(|e| e.seq);
    for e in entries {
        let mut head = format!("  {}  {}  {}", seconds(e.at), Esc(&e.actor), Esc(&e.kind));
        if let Some(at) = e.occurred_at {
            head.push_str(&format!("  (occurred {})", seconds(at)));
        }
        let mut text = e.text.lines();
        if let Some(first) = text.next() {
            head.push_str(&format!("  {}", Esc(first)));
        }
        lines.push(head);
        lines.extend(text.map(|l| format!("      {}", Esc(l))));
    }
    lines
}

/// What `vigil incidents update` changed, as the server now has it: `status closed, owner
/// removed`.
pub fn changed(patch: &IncidentPatch, i: &Incident) -> String {
    let mut out = Vec::new();
    let mut set = |given: bool, what: String| {
        if given {
            out.push(what);
        }
    };
    set(patch.status.is_some(), format!("status {}", i.status));
    set(patch.title.is_some(), format!("title {}", i.title));
    set(patch.description.is_some(), "description".to_owned());
    set(
        patch.classification.is_some(),
        format!("classification {}", i.classification),
    );
    set(
        patch.severity.is_some() || patch.impact.is_some() || patch.urgency.is_some(),
        format!(
            "severity {}, impact {}, urgency {}, priority {}",
            i.severity, i.impact, i.urgency, i.priority
        ),
    );
    set(patch.tlp.is_some(), format!("TLP {}", i.tlp));
    set(patch.pap.is_some(), format!("PAP {}", i.pap));
    for (name, given, now) in [("owner", &patch.owner, &i.owner), ("team", &patch.team, &i.team)] {
        set(
            given.is_some(),
            match now {
                Some(v) => format!("{name} {v}"),
                None => format!("{name} removed"),
            },
        );
    }
    set(patch.resolution.is_some(), "resolution".to_owned());
    set(patch.lessons_learned.is_some(), "lessons learned".to_owned());
    set(patch.attack.is_some(), format!("ATT&CK {}", i.attack_manual.join(" ")));
    set(patch.comment.is_some(), "comment added to the timeline".to_owned());
    out.join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(s: &str) -> Timestamp {
        s.parse().expect("instant")
    }

    fn timer(state: TimerState, due: &str, warning: bool) -> Timer {
        Timer {
            state,
            target_seconds: 900,
            elapsed_seconds: 60,
            due: Some(at(due)),
            warning,
            breached_at: (state == TimerState::Breached).then(|| at(due)),
        }
    }

    fn incident() -> Incident {
        serde_json::from_value(serde_json::json!({
            "id": "i1", "tenant": "default", "title": "t\u{1b}[31mred", "description": "",
            "classification": "test:test", "severity": 3, "impact": "high", "urgency": "medium",
            "priority": 2, "tlp": "amber", "pap": "amber", "status": "new", "owner": null,
            "team": null, "resolution": null, "lessons_learned": null, "attack": [],
            "attack_manual": [], "alert_ids": [], "merged_into": null, "created_by": "user:a",
            "updated": "2026-05-01T09:00:00Z",
            "milestones": {"first_event": null, "detected": null, "created": "2026-05-01T09:00:00Z",
                "acknowledged": null, "contained": null, "resolved": null, "closed": null},
            "sla": {"policy": "P2", "calendar": "always", "acknowledge": null, "contain": null, "resolve": null}
        }))
        .expect("incident")
    }

    #[test]
    fn the_list_shows_the_most_urgent_timer() {
        let now = at("2026-05-01T10:00:00Z");
        let mut i = incident();
        assert_eq!(sla_cell(&i, now), "");
        i.sla.acknowledge = Some(timer(TimerState::Running, "2026-05-01T10:15:00Z", false));
        i.sla.resolve = Some(timer(TimerState::Running, "2026-05-02T09:00:00Z", false));
        assert_eq!(sla_cell(&i, now), "ack due 10:15");
        i.sla.acknowledge = Some(timer(TimerState::Running, "2026-05-01T10:15:00Z", true));
        assert_eq!(sla_cell(&i, now), "ack due 10:15 (warning)");
        i.sla.resolve = Some(timer(TimerState::Breached, "2026-05-01T09:30:00Z", false));
        assert_eq!(sla_cell(&i, now), "resolve breached");
        i.milestones.resolved = Some(now);
        i.milestones.acknowledged = Some(now);
        i.sla.acknowledge = Some(timer(TimerState::Met, "2026-05-01T10:15:00Z", false));
        assert_eq!(sla_cell(&i, now), "resolve breached (stopped)");
        i.sla.resolve = Some(timer(TimerState::Met, "2026-05-02T09:00:00Z", false));
        assert_eq!(sla_cell(&i, now), "met");
        i.milestones.acknowledged = None;
        i.sla.acknowledge = Some(timer(TimerState::Paused, "2026-05-03T09:00:00Z", false));
        assert_eq!(sla_cell(&i, now), "ack paused");
    }

    #[test]
    fn spans_read_like_durations() {
        assert_eq!(span(45), "45s");
        assert_eq!(span(900), "15m");
        assert_eq!(span(4 * 3600), "4h");
        assert_eq!(span(4 * 3600 + 1800), "4h30m");
        assert_eq!(span(3 * 86_400), "3d");
        assert_eq!(span(3 * 86_400 + 7200 + 5), "3d2h");
    }

    #[test]
    fn show_escapes_server_text_and_lists_the_sla_and_timeline() {
        let mut i = incident();
        i.sla.acknowledge = Some(timer(TimerState::Running, "2026-05-01T10:15:00Z", false));
        i.timeline = serde_json::from_value(serde_json::json!([
            {"seq": 2, "at": "2026-05-01T09:05:00Z", "occurred_at": null, "actor": "user:a",
             "kind": "note", "text": "line one\nline \u{202e}two", "detail": null},
            {"seq": 1, "at": "2026-05-01T09:00:00Z", "occurred_at": null, "actor": "user:a",
             "kind": "created", "text": "created", "detail": null}
        ]))
        .expect("timeline");
        let text = show_lines(&i, &[], at("2026-05-01T10:00:00Z")).join("\n");
        assert!(text.contains("t\\x1b[31mred"), "{text}");
        assert!(!text.contains('\u{1b}') && !text.contains('\u{202e}'), "{text}");
        assert!(text.contains("SLA: policy P2, calendar always"), "{text}");
        assert!(text.contains("acknowledge") && text.contains("10:15"), "{text}");
        let created = text.find("created  created").expect("created entry");
        let note = text.find("note  line one").expect("note entry");
        assert!(created < note, "oldest first:\n{text}");
        assert!(text.contains("      line \\u{202e}two"), "{text}");
    }
}
