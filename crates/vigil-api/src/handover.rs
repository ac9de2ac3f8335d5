//! `GET /api/v1/handover`: the briefing a 24/7 shift passes on — SLA breaches and near-breaches,
//! the incidents still open, those opened and changed in the period (notes with their text), and
//! the alerts still `new`. As JSON, as plain text read aloud at the handover, or as one
//! self-contained HTML page (no script, no external request, every value escaped).

use std::collections::{BTreeMap, HashMap};

use axum::{
    Extension, Json,
    extract::State as AxState,
    http::{Uri, header},
    response::{IntoResponse, Response},
};
use jiff::{SignedDuration, Timestamp};
use vigil_api_types::access::Principal;
use vigil_api_types::error::ErrorBody;
use vigil_api_types::handover::{Handover, HandoverIncident, IncidentActivity, NewAlertSummary, RuleCount, SlaAlarm};
use vigil_api_types::incidents::{Incident, Timer, TimerState};
use vigil_api_types::units::parse_duration;
use vigil_state::incidents::IncidentQuery;
use vigil_state::tasks::TaskQuery;

use super::incident_report::{html_escape, when};
use super::incidents::with_sla;
use super::{ApiError, Ctx, Params, records};

/// By default, a running timer due within this long counts as near a breach (as does one in
/// `warning`); `near_breach=` sets another window.
pub const NEAR_BREACH: SignedDuration = SignedDuration::from_secs(3600);
/// The longest near-breach window.
const MAX_NEAR_BREACH: SignedDuration = SignedDuration::from_hours(7 * 24);
/// The longest period one handover covers.
const MAX_PERIOD: SignedDuration = SignedDuration::from_hours(24 * 31);
/// Rules listed for the alerts still `new`.
const TOP_RULES: u32 = 10;
/// Open incidents examined (pages of 1000).
const MAX_OPEN_PAGES: usize = 10;

fn metrics(i: &Incident) -> [(&'static str, &Option<Timer>); 3] {
    [
        ("acknowledge", &i.sla.acknowledge),
        ("contain", &i.sla.contain),
        ("resolve", &i.sla.resolve),
    ]
}

fn near(t: &Timer, now: Timestamp, window: SignedDuration) -> bool {
    t.state == TimerState::Running && (t.warning || t.due.is_some_and(|d| d <= now + window))
}

fn summary(i: &Incident, pending: &HashMap<String, (u64, u64)>) -> HandoverIncident {
    let (mandatory, overdue) = pending.get(&i.id).copied().unwrap_or_default();
    HandoverIncident {
        id: i.id.clone(),
        title: i.title.clone(),
        status: i.status,
        priority: i.priority,
        severity: i.severity,
        classification: i.classification.clone(),
        owner: i.owner.clone(),
        team: i.team.clone(),
        created: i.milestones.created,
        updated: i.updated,
        sla: i.sla.clone(),
        mandatory_tasks_pending: mandatory,
        tasks_overdue: overdue,
    }
}

fn alarm(i: &Incident, metric: &str, t: &Timer, now: Timestamp) -> SlaAlarm {
    SlaAlarm {
        incident_id: i.id.clone(),
        title: i.title.clone(),
        priority: i.priority,
        owner: i.owner.clone(),
        metric: metric.to_owned(),
        due: t.due,
        seconds_left: t.due.map(|d| d.duration_since(now).as_secs()),
    }
}

/// The incidents `q` selects, with their SLA timers, up to [`MAX_OPEN_PAGES`] pages; `true` when
/// more were left out.
async fn incidents_paged(ctx: &Ctx, tenant: &str, mut q: IncidentQuery) -> Result<(Vec<Incident>, bool), ApiError> {
    let mut out = Vec::new();
    for n in 0..MAX_OPEN_PAGES {
        let page = ctx
            .state
            .list_incidents(tenant, &q)
            .await
            .map_err(|e| records::state_error("listing incidents", e))?;
        out.extend(page.incidents.into_iter().map(|s| with_sla(ctx, s)));
        match page.next_cursor {
            Some(c) if n + 1 < MAX_OPEN_PAGES => q.cursor = Some(c),
            Some(_) => return Ok((out, true)),
            None => break,
        }
    }
    Ok((out, false))
}

/// Pending mandatory and overdue tasks per incident (open incidents only, as the queue is).
async fn pending_tasks(ctx: &Ctx, tenant: &str, now: Timestamp) -> Result<HashMap<String, (u64, u64)>, ApiError> {
    let mut out: HashMap<String, (u64, u64)> = HashMap::new();
    let max = Some(vigil_state::tasks::MAX_TASK_PAGE);
    let (mandatory, overdue) = (
        TaskQuery {
            mandatory: true,
            limit: max,
            ..TaskQuery::default()
        },
        TaskQuery {
            due_before: Some(now),
            limit: max,
            ..TaskQuery::default()
        },
    );
    for (q, first) in [(mandatory, true), (overdue, false)] {
        let page = ctx
            .state
            .list_tasks(tenant, &q)
            .await
            .map_err(|e| records::state_error("reading tasks", e))?;
        for t in page.tasks {
            let e = out.entry(t.incident_id).or_default();
            if first { e.0 += 1 } else { e.1 += 1 }
        }
    }
    Ok(out)
}

/// Puts the handover of `[since, until)` together at `now`.
pub(crate) async fn build(
    ctx: &Ctx,
    tenant: &str,
    since: Timestamp,
    until: Timestamp,
    now: Timestamp,
    near_window: SignedDuration,
) -> Result<Handover, ApiError> {
    let err = |what: &'static str| move |e| records::state_error(what, e);
    let mut truncated = false;
    let pending = pending_tasks(ctx, tenant, now).await?;

    // Open now, most urgent first.
    let q = IncidentQuery {
        open: Some(true),
        limit: Some(1000),
        ..IncidentQuery::default()
    };
    let (mut open_incidents, more) = incidents_paged(ctx, tenant, q).await?;
    truncated |= more;
    let mut breached = Vec::new();
    let mut near_breach = Vec::new();
    for i in &open_incidents {
        for (metric, t) in metrics(i) {
            let Some(t) = t else { continue };
            if t.state == TimerState::Breached {
                breached.push(alarm(i, metric, t, now));
            } else if near(t, now, near_window) {
                near_breach.push(alarm(i, metric, t, now));
            }
        }
    }
    let rank = |i: &Incident| {
        let timers = metrics(i);
        let any_breached = timers
            .iter()
            .any(|(_, t)| t.as_ref().is_some_and(|t| t.state == TimerState::Breached));
        let any_near = timers
            .iter()
            .any(|(_, t)| t.as_ref().is_some_and(|t| near(t, now, near_window)));
        (i.priority.get(), !any_breached, !any_near, std::cmp::Reverse(i.updated))
    };
    open_incidents.sort_by_key(|i| rank(i));
    breached.sort_by_key(|a| (a.priority.get(), a.due));
    near_breach.sort_by_key(|a| (a.due, a.priority.get()));

    // Opened in the period.
    let q = IncidentQuery {
        since: Some(since),
        until: Some(until),
        limit: Some(1000),
        ..IncidentQuery::default()
    };
    let (opened, more) = incidents_paged(ctx, tenant, q).await?;
    truncated |= more;

    // Changed in the period: their timeline entries, grouped.
    let (entries, more) = ctx
        .state
        .timeline_between(tenant, since, until, vigil_state::handover::MAX_TIMELINE)
        .await
        .map_err(err("reading timelines"))?;
    truncated |= more;
    let mut by_incident: Vec<IncidentActivity> = Vec::new();
    let mut index: HashMap<String, usize> = HashMap::new();
    for e in entries {
        let n = *index.entry(e.incident_id.clone()).or_insert_with(|| {
            by_incident.push(IncidentActivity {
                id: e.incident_id.clone(),
                title: None,
                status: None,
                priority: None,
                counts: BTreeMap::new(),
                entries: Vec::new(),
            });
            by_incident.len() - 1
        });
        let a = &mut by_incident[n];
        *a.counts.entry(e.entry.kind.clone()).or_default() += 1;
        a.entries.push(e.entry);
    }
    let known: HashMap<&str, &Incident> = open_incidents
        .iter()
        .chain(opened.iter())
        .map(|i| (i.id.as_str(), i))
        .collect();
    for a in &mut by_incident {
        let found = match known.get(a.id.as_str()) {
            Some(i) => Some((i.title.clone(), i.status, i.priority)),
            None => ctx
                .state
                .get_incident(tenant, &a.id, false)
                .await
                .map_err(err("reading an incident"))?
                .map(|s| (s.incident.title, s.incident.status, s.incident.priority)),
        };
        if let Some((title, status, priority)) = found {
            (a.title, a.status, a.priority) = (Some(title), Some(status), Some(priority));
        }
    }
    by_incident.sort_by_key(|a| std::cmp::Reverse(a.entries.last().map(|e| e.seq)));

    let alerts = ctx
        .state
        .new_alerts_summary(tenant, TOP_RULES)
        .await
        .map_err(err("counting alerts"))?;
    let new_alerts = NewAlertSummary {
        total: alerts.total,
        oldest: alerts.oldest,
        oldest_age_seconds: alerts.oldest.map(|o| now.duration_since(o).as_secs()),
        top_rules: alerts
            .top_rules
            .into_iter()
            .map(|(rule_id, rule_title, alerts)| RuleCount {
                rule_id,
                rule_title,
                alerts,
            })
            .collect(),
    };
    Ok(Handover {
        tenant: tenant.to_owned(),
        since,
        until,
        generated: now,
        near_breach_seconds: near_window.as_secs(),
        opened: opened.iter().map(|i| summary(i, &pending)).collect(),
        changed: by_incident,
        open: open_incidents.iter().map(|i| summary(i, &pending)).collect(),
        breached,
        near_breach,
        new_alerts,
        truncated,
    })
}

/// `3h 05m`, `2d 4h`, `45s`.
pub fn span(secs: i64) -> String {
    let s = secs.unsigned_abs();
    let (d, h, m) = (s / 86_400, s % 86_400 / 3600, s % 3600 / 60);
    if d > 0 {
        format!("{d}d {h}h")
    } else if h > 0 {
        format!("{h}h {m:02}m")
    } else if m > 0 {
        format!("{m}m")
    } else {
        format!("{s}s")
    }
}

/// `due in 42m` or `breached 1h 05m ago`.
fn due_text(seconds_left: Option<i64>) -> String {
    match seconds_left {
        None => "no due time".into(),
        Some(s) if s < 0 => format!("overdue by {}", span(s)),
        Some(s) => format!("due in {}", span(s)),
    }
}

/// One line of text: control characters (line breaks, escapes) become spaces.
fn line(text: &str) -> String {
    text.chars().map(|c| if c.is_control() { ' ' } else { c }).collect()
}

fn owner_text(owner: &Option<String>, team: &Option<String>) -> String {
    match (owner, team) {
        (Some(o), Some(t)) => format!("{o} / {t}"),
        (Some(o), None) => o.clone(),
        (None, Some(t)) => format!("team {t}"),
        (None, None) => "UNASSIGNED".into(),
    }
}

fn timers_text(i: &HandoverIncident, now: Timestamp, window: SignedDuration) -> String {
    let timers = [
        ("ack", &i.sla.acknowledge),
        ("contain", &i.sla.contain),
        ("resolve", &i.sla.resolve),
    ];
    timers
        .iter()
        .filter_map(|(name, t)| {
            let t = t.as_ref()?;
            let left = t.due.map(|d| d.duration_since(now).as_secs());
            Some(match t.state {
                TimerState::Met => format!("{name} met"),
                TimerState::Breached => format!("{name} BREACHED"),
                TimerState::Paused => format!("{name} paused"),
                TimerState::Running if near(t, now, window) => format!("{name} NEAR ({})", due_text(left)),
                TimerState::Running => format!("{name} {}", due_text(left)),
            })
        })
        .collect::<Vec<_>>()
        .join(", ")
}

fn tasks_text(i: &HandoverIncident) -> String {
    let mut parts = Vec::new();
    if i.mandatory_tasks_pending > 0 {
        parts.push(format!("{} mandatory tasks pending", i.mandatory_tasks_pending));
    }
    if i.tasks_overdue > 0 {
        parts.push(format!("{} tasks OVERDUE", i.tasks_overdue));
    }
    parts.join(", ")
}

/// Timeline kinds the text lists one by one; the others are only counted.
const LISTED_KINDS: &[&str] = &[
    "created",
    "status_changed",
    "note",
    "updated",
    "merged",
    "deleted",
    "task",
    "sla_warning",
    "sla_breached",
    "escalated",
];

fn counts_text(counts: &BTreeMap<String, u64>) -> String {
    counts
        .iter()
        .map(|(k, n)| format!("{n} {}", k.replace('_', " ")))
        .collect::<Vec<_>>()
        .join(", ")
}

/// The handover as plain text, read aloud: most urgent first, every section with its count.
pub fn text(h: &Handover) -> String {
    let now = h.generated;
    let mut out = format!(
        "SHIFT HANDOVER — tenant {}\nPeriod: {} → {} ({})\nGenerated: {}{}\n",
        line(&h.tenant),
        when(Some(h.since)),
        when(Some(h.until)),
        span(h.until.duration_since(h.since).as_secs()),
        when(Some(now)),
        if h.truncated {
            " (TRUNCATED: a listing was cut short)"
        } else {
            ""
        }
    );
    let alarm_line = |a: &SlaAlarm| {
        format!(
            "  P{} {} {} — {}: {}; owner {}\n",
            a.priority.get(),
            line(&a.incident_id),
            line(&a.title),
            a.metric,
            due_text(a.seconds_left),
            a.owner.as_deref().map_or_else(|| "UNASSIGNED".into(), line)
        )
    };
    out.push_str(&format!("\n== SLA BREACHED: {} ==\n", h.breached.len()));
    h.breached.iter().for_each(|a| out.push_str(&alarm_line(a)));
    out.push_str(&format!(
        "\n== SLA NEAR BREACH (warning, or due within {}): {} ==\n",
        span(h.near_breach_seconds),
        h.near_breach.len()
    ));
    h.near_breach.iter().for_each(|a| out.push_str(&alarm_line(a)));
    out.push_str(&format!("\n== STILL OPEN: {} ==\n", h.open.len()));
    for i in &h.open {
        out.push_str(&format!(
            "  P{} {} {} [{}] owner {}\n      {}\n",
            i.priority.get(),
            line(&i.id),
            line(&i.title),
            i.status.as_str(),
            line(&owner_text(&i.owner, &i.team)),
            timers_text(i, now, SignedDuration::from_secs(h.near_breach_seconds))
        ));
        let tasks = tasks_text(i);
        if !tasks.is_empty() {
            out.push_str(&format!("      {tasks}\n"));
        }
    }
    out.push_str(&format!("\n== OPENED IN THE PERIOD: {} ==\n", h.opened.len()));
    for i in &h.opened {
        out.push_str(&format!(
            "  {} P{} {} {} [{}] {}\n",
            when(Some(i.created)),
            i.priority.get(),
            line(&i.id),
            line(&i.title),
            i.status.as_str(),
            line(&i.classification)
        ));
    }
    out.push_str(&format!("\n== CHANGED IN THE PERIOD: {} ==\n", h.changed.len()));
    for a in &h.changed {
        let title = a.title.as_deref().map_or_else(|| "(deleted)".into(), line);
        let status = a.status.map_or("deleted", |s| s.as_str());
        let prio = a.priority.map_or_else(String::new, |p| format!("P{} ", p.get()));
        out.push_str(&format!(
            "  {prio}{} {title} [now {status}]: {}\n",
            line(&a.id),
            counts_text(&a.counts)
        ));
        for e in a.entries.iter().filter(|e| LISTED_KINDS.contains(&e.kind.as_str())) {
            out.push_str(&format!(
                "      {} {} {}: {}\n",
                e.at.strftime("%m-%d %H:%M"),
                line(&e.actor),
                line(&e.kind),
                line(&e.text)
            ));
        }
    }
    let a = &h.new_alerts;
    let oldest = a
        .oldest_age_seconds
        .map_or_else(String::new, |s| format!(" (oldest raised {} ago)", span(s)));
    out.push_str(&format!("\n== ALERTS STILL NEW: {}{oldest} ==\n", a.total));
    for r in &a.top_rules {
        out.push_str(&format!(
            "  {:>6}  {} {}\n",
            r.alerts,
            line(&r.rule_id),
            line(&r.rule_title)
        ));
    }
    out
}

/// The handover as one self-contained HTML page.
pub fn html(h: &Handover) -> String {
    let e = html_escape;
    let now = h.generated;
    let mut out = format!(
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>Shift handover {}</title>\
         <style>body{{font-family:sans-serif;max-width:70em;margin:2em auto}}table{{border-collapse:collapse;width:100%}}\
         td,th{{border:1px solid #999;padding:.2em .5em;text-align:left;vertical-align:top}}\
         .breach{{background:#fdd}}.near{{background:#ffe9b3}}.note{{white-space:pre-wrap}}</style></head><body>\
         <h1>Shift handover — tenant {}</h1><p>Period {} → {} ({}); generated {}.</p>",
        e(&when(Some(h.since))),
        e(&h.tenant),
        e(&when(Some(h.since))),
        e(&when(Some(h.until))),
        e(&span(h.until.duration_since(h.since).as_secs())),
        e(&when(Some(now)))
    );
    if h.truncated {
        out.push_str("<p class=\"breach\"><strong>Truncated:</strong> a listing was cut short.</p>");
    }
    let alarms = |out: &mut String, heading: &str, class: &str, list: &[SlaAlarm]| {
        out.push_str(&format!(
            "<h2>{heading}: {}</h2><table><tr><th>priority</th><th>incident</th><th>timer</th><th>due</th><th>owner</th></tr>",
            list.len()
        ));
        for a in list {
            out.push_str(&format!(
                "<tr class=\"{class}\"><td>P{}</td><td>{} {}</td><td>{}</td><td>{} ({})</td><td>{}</td></tr>",
                a.priority.get(),
                e(&a.incident_id),
                e(&a.title),
                e(&a.metric),
                e(&when(a.due)),
                e(&due_text(a.seconds_left)),
                e(a.owner.as_deref().unwrap_or("unassigned"))
            ));
        }
        out.push_str("</table>");
    };
    alarms(&mut out, "SLA breached", "breach", &h.breached);
    let near_heading = format!(
        "SLA near breach (warning, or due within {})",
        span(h.near_breach_seconds)
    );
    alarms(&mut out, &near_heading, "near", &h.near_breach);
    out.push_str(&format!(
        "<h2>Still open: {}</h2><table><tr><th>priority</th><th>incident</th><th>status</th><th>owner</th><th>SLA</th><th>tasks</th></tr>",
        h.open.len()
    ));
    for i in &h.open {
        let sla = timers_text(i, now, SignedDuration::from_secs(h.near_breach_seconds));
        let class = if sla.contains("BREACHED") {
            " class=\"breach\""
        } else if sla.contains("NEAR") {
            " class=\"near\""
        } else {
            ""
        };
        out.push_str(&format!(
            "<tr{class}><td>P{}</td><td>{} {}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            i.priority.get(),
            e(&i.id),
            e(&i.title),
            i.status.as_str(),
            e(&owner_text(&i.owner, &i.team)),
            e(&sla),
            e(&tasks_text(i))
        ));
    }
    out.push_str(&format!(
        "</table><h2>Opened in the period: {}</h2><table><tr><th>created</th><th>priority</th><th>incident</th><th>status</th><th>classification</th></tr>",
        h.opened.len()
    ));
    for i in &h.opened {
        out.push_str(&format!(
            "<tr><td>{}</td><td>P{}</td><td>{} {}</td><td>{}</td><td>{}</td></tr>",
            e(&when(Some(i.created))),
            i.priority.get(),
            e(&i.id),
            e(&i.title),
            i.status.as_str(),
            e(&i.classification)
        ));
    }
    out.push_str(&format!("</table><h2>Changed in the period: {}</h2>", h.changed.len()));
    for a in &h.changed {
        out.push_str(&format!(
            "<h3>{} {} (now {})</h3><p>{}</p><table><tr><th>recorded</th><th>who</th><th>what</th><th></th></tr>",
            e(&a.id),
            e(a.title.as_deref().unwrap_or("(deleted)")),
            a.status.map_or("deleted", |s| s.as_str()),
            e(&counts_text(&a.counts))
        ));
        for t in &a.entries {
            let class = match t.kind.as_str() {
                "sla_breached" => " class=\"breach\"",
                "sla_warning" => " class=\"near\"",
                _ => "",
            };
            out.push_str(&format!(
                "<tr{class}><td>{}</td><td>{}</td><td>{}</td><td class=\"note\">{}</td></tr>",
                e(&when(Some(t.at))),
                e(&t.actor),
                e(&t.kind),
                e(&t.text)
            ));
        }
        out.push_str("</table>");
    }
    let a = &h.new_alerts;
    let oldest = a
        .oldest_age_seconds
        .map_or_else(String::new, |s| format!(" (oldest raised {} ago)", span(s)));
    out.push_str(&format!(
        "<h2>Alerts still new: {}{}</h2><table><tr><th>alerts</th><th>rule</th><th>title</th></tr>",
        a.total,
        e(&oldest)
    ));
    for r in &a.top_rules {
        out.push_str(&format!(
            "<tr><td>{}</td><td>{}</td><td>{}</td></tr>",
            r.alerts,
            e(&r.rule_id),
            e(&r.rule_title)
        ));
    }
    out.push_str("</table></body></html>\n");
    out
}

/// `GET /api/v1/handover?since=…[&until=…][&format=json|text|html]`.
#[utoipa::path(
    get,
    path = "/api/v1/handover",
    operation_id = "handover",
    tag = "incidents",
    summary = "Shift handover",
    description = "The briefing a shift passes on, for the principal's tenant: SLA timers of open incidents that are breached or near a breach (in `warning`, or running and due within `near_breach`, an hour by default), the incidents still open (most urgent first, with pending mandatory and overdue tasks), the incidents opened in the period, those changed in it with their timeline entries (notes with their text), and the alerts still `new` (count, oldest, top rules). Statuses, timers and the alert queue are as of the request. As JSON (`format=json`, the default), plain text (`text`) or one self-contained HTML page (`html`: no script, no external request).",
    params(
        ("since" = String, Query, description = "Start of the period: RFC 3339, a date, or an age (`8h`)."),
        ("until" = Option<String>, Query, description = "End of the period, exclusive (default: now); at most 31 days after `since`."),
        ("format" = Option<String>, Query, description = "`json` (default), `text` or `html`."),
        ("near_breach" = Option<String>, Query, description = "A running timer due within this long is near a breach (default `1h`, at most `7d`; `0s`: only timers in `warning`)."),
    ),
    responses(
        (status = 200, description = "The handover.", content(
            (Handover = "application/json"),
            (String = "text/plain"),
            (String = "text/html"),
        )),
        (status = 400, description = "`bad_request`: no `since`, a bad time or format, an empty or too long period.", body = ErrorBody),
    )
)]
pub async fn handover(
    AxState(ctx): AxState<Ctx>,
    Extension(principal): Extension<Principal>,
    uri: Uri,
) -> Result<Response, ApiError> {
    let p = Params::of(&uri, &["since", "until", "format", "near_breach"])?;
    let near_window = p
        .read("near_breach", |v| {
            let d = SignedDuration::try_from(parse_duration(v)?).map_err(|e| e.to_string())?;
            if d > MAX_NEAR_BREACH {
                return Err(format!("`{v}` is longer than 7 days"));
            }
            Ok(d)
        })?
        .unwrap_or(NEAR_BREACH);
    let format = p
        .read("format", |v| match v {
            "json" | "text" | "html" => Ok(v.to_owned()),
            _ => Err(format!("`{v}` is not json, text or html")),
        })?
        .unwrap_or_else(|| "json".into());
    let now = Timestamp::now();
    let since = records::read_time(&p, "since")?
        .ok_or_else(|| ApiError::param("since", "required: the start of the shift (`8h`, RFC 3339)"))?;
    let until = records::read_time(&p, "until")?.unwrap_or(now);
    if until <= since {
        return Err(ApiError::param("until", "must be after `since`"));
    }
    if until.duration_since(since) > MAX_PERIOD {
        return Err(ApiError::param("since", "a handover covers at most 31 days"));
    }
    let h = build(&ctx, &principal.tenant, since, until, now, near_window).await?;
    Ok(match format.as_str() {
        "text" => ([(header::CONTENT_TYPE, "text/plain; charset=utf-8")], text(&h)).into_response(),
        "html" => ([(header::CONTENT_TYPE, "text/html; charset=utf-8")], html(&h)).into_response(),
        _ => Json(h).into_response(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spans_read_like_a_person_says_them() {
        assert_eq!(span(45), "45s");
        assert_eq!(span(-45 * 60), "45m");
        assert_eq!(span(3 * 3600 + 5 * 60), "3h 05m");
        assert_eq!(span(2 * 86_400 + 4 * 3600), "2d 4h");
        assert_eq!(due_text(Some(-3600)), "overdue by 1h 00m");
        assert_eq!(due_text(Some(600)), "due in 10m");
    }

    #[test]
    fn text_lines_carry_no_control_characters() {
        assert_eq!(line("a\nb\x1b[31mc"), "a b [31mc");
    }
}
