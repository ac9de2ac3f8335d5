//! `GET /api/v1/incidents/{id}/export`: an incident as JSON, or as a report a person reads —
//! Markdown, or one self-contained HTML page (no script, no external request, every value
//! escaped).

use axum::{
    Extension, Json,
    extract::{Path, State as AxState, rejection::PathRejection},
    http::{Uri, header},
    response::{IntoResponse, Response},
};
use jiff::Timestamp;
use vigil_api_types::access::Principal;
use vigil_api_types::attachments::{Attachment, IncidentExport};
use vigil_api_types::error::ErrorBody;
use vigil_api_types::incidents::{Incident, Timer};
use vigil_api_types::observables::Observable;

use super::incidents::with_sla;
use super::objects::Object;
use super::{ApiError, Ctx, Params, records};

pub(crate) fn when(t: Option<Timestamp>) -> String {
    t.map_or_else(|| "—".to_owned(), |t| t.strftime("%Y-%m-%d %H:%M:%S UTC").to_string())
}

fn timer_text(t: &Option<Timer>) -> String {
    match t {
        None => "no target".to_owned(),
        Some(t) => {
            let warn = if t.warning { ", warning" } else { "" };
            format!(
                "{} (target {} min, used {} min, due {}{warn})",
                t.state.as_str(),
                t.target_seconds / 60,
                t.elapsed_seconds / 60,
                when(t.due)
            )
        }
    }
}

/// Text placed in Markdown: no raw HTML, no line breaks inside a table cell or a list item.
fn md(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('|', "\\|")
        .replace(['\r', '\n'], " ")
}

/// The report's lines as (heading, rows of label and value), shared by Markdown and HTML.
fn sections(
    i: &Incident,
    attachments: &[Attachment],
    observables: &[Observable],
) -> Vec<(&'static str, Vec<(String, String)>)> {
    let m = &i.milestones;
    let opt = |v: &Option<String>| v.clone().unwrap_or_else(|| "—".into());
    vec![
        (
            "Summary",
            vec![
                ("Id".into(), i.id.clone()),
                ("Status".into(), i.status.as_str().into()),
                ("Classification (RSIT)".into(), i.classification.clone()),
                (
                    "Severity".into(),
                    format!("{} ({})", i.severity.get(), i.severity.name()),
                ),
                (
                    "Priority".into(),
                    format!(
                        "{} (impact {}, urgency {})",
                        i.priority.name(),
                        i.impact.as_str(),
                        i.urgency.as_str()
                    ),
                ),
                ("TLP / PAP".into(), format!("{} / {}", i.tlp.as_str(), i.pap.as_str())),
                ("Owner / team".into(), format!("{} / {}", opt(&i.owner), opt(&i.team))),
                ("ATT&CK".into(), i.attack.join(", ")),
                ("Alerts".into(), i.alert_ids.len().to_string()),
            ],
        ),
        (
            "Milestones",
            vec![
                ("First event".into(), when(m.first_event)),
                ("Detected".into(), when(m.detected)),
                ("Created".into(), when(Some(m.created))),
                ("Acknowledged".into(), when(m.acknowledged)),
                ("Contained".into(), when(m.contained)),
                ("Resolved".into(), when(m.resolved)),
                ("Closed".into(), when(m.closed)),
            ],
        ),
        (
            "SLA",
            vec![
                (
                    "Policy".into(),
                    format!("{} on calendar {}", i.sla.policy, i.sla.calendar),
                ),
                ("Acknowledge".into(), timer_text(&i.sla.acknowledge)),
                ("Contain".into(), timer_text(&i.sla.contain)),
                ("Resolve".into(), timer_text(&i.sla.resolve)),
            ],
        ),
        (
            "Resolution",
            vec![
                ("Resolution".into(), opt(&i.resolution)),
                ("Lessons learned".into(), opt(&i.lessons_learned)),
            ],
        ),
        ("Tasks", task_rows(&i.tasks)),
        ("Attachments", super::attachments::report_rows(attachments)),
        ("Observables", observable_rows(observables)),
    ]
}

/// One row per task: its number and title, then its status, whether it is mandatory, who has it,
/// when it is due and who finished it when.
fn task_rows(tasks: &[vigil_api_types::tasks::Task]) -> Vec<(String, String)> {
    tasks
        .iter()
        .enumerate()
        .map(|(n, t)| {
            let mut value = t.status.as_str().replace('_', " ");
            if t.mandatory {
                value.push_str(", mandatory");
            }
            if let Some(a) = &t.assignee {
                value.push_str(&format!(", assigned to {a}"));
            }
            if let Some(due) = t.due {
                value.push_str(&format!(", due {}", when(Some(due))));
            }
            if let (Some(at), Some(by)) = (t.completed, &t.completed_by) {
                value.push_str(&format!(", by {by} at {}", when(Some(at))));
            }
            (format!("{}. {}", n + 1, t.title), value)
        })
        .collect()
}

/// The incident as a Markdown report.
pub fn markdown(i: &Incident, attachments: &[Attachment], observables: &[Observable]) -> String {
    let mut out = format!("# Incident {}: {}\n\n", md(&i.id), md(&i.title));
    if !i.description.is_empty() {
        out.push_str(&format!("{}\n\n", md(&i.description)));
    }
    for (heading, rows) in sections(i, attachments, observables) {
        out.push_str(&format!("## {heading}\n\n| | |\n|---|---|\n"));
        for (label, value) in rows {
            out.push_str(&format!("| {} | {} |\n", md(&label), md(&value)));
        }
        out.push('\n');
    }
    out.push_str("## Timeline\n\n| recorded | occurred | who | what | |\n|---|---|---|---|---|\n");
    for t in &i.timeline {
        out.push_str(&format!(
            "| {} | {} | {} | {} | {} |\n",
            when(Some(t.at)),
            t.occurred_at.map_or_else(String::new, |o| when(Some(o))),
            md(&t.actor),
            md(&t.kind),
            md(&t.text)
        ));
    }
    out
}

pub(crate) fn html_escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
        .replace('\'', "&#39;")
}

/// The incident as one self-contained HTML page.
pub fn html(i: &Incident, attachments: &[Attachment], observables: &[Observable]) -> String {
    let e = html_escape;
    let mut out = format!(
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>Incident {}</title>\
         <style>body{{font-family:sans-serif;max-width:60em;margin:2em auto}}table{{border-collapse:collapse}}\
         td,th{{border:1px solid #999;padding:.2em .5em;text-align:left;vertical-align:top}}</style></head><body>\
         <h1>Incident {}: {}</h1>",
        e(&i.id),
        e(&i.id),
        e(&i.title)
    );
    if !i.description.is_empty() {
        out.push_str(&format!("<p>{}</p>", e(&i.description)));
    }
    for (heading, rows) in sections(i, attachments, observables) {
        out.push_str(&format!("<h2>{heading}</h2><table>"));
        for (label, value) in rows {
            out.push_str(&format!("<tr><th>{}</th><td>{}</td></tr>", e(&label), e(&value)));
        }
        out.push_str("</table>");
    }
    out.push_str(
        "<h2>Timeline</h2><table><tr><th>recorded</th><th>occurred</th><th>who</th><th>what</th><th></th></tr>",
    );
    for t in &i.timeline {
        out.push_str(&format!(
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            when(Some(t.at)),
            t.occurred_at.map_or_else(String::new, |o| when(Some(o))),
            e(&t.actor),
            e(&t.kind),
            e(&t.text)
        ));
    }
    out.push_str("</table></body></html>\n");
    out
}

/// `GET /api/v1/incidents/{id}/export?format=json|markdown|html`.
#[utoipa::path(
    get,
    path = "/api/v1/incidents/{id}/export",
    operation_id = "export_incident",
    tag = "incidents",
    summary = "Export an incident",
    description = "The incident with its timeline, SLA timers, observables and the metadata of its attachments: as JSON (`format=json`, the default), as a Markdown report (`markdown`) or as one self-contained HTML page (`html`: no script, no external request).",
    params(
        ("id" = String, Path, description = "The incident's id."),
        ("format" = Option<String>, Query, description = "`json` (default), `markdown` or `html`."),
    ),
    responses(
        (status = 200, description = "The export.", content(
            (IncidentExport = "application/json"),
            (String = "text/markdown"),
            (String = "text/html"),
        )),
        (status = 400, description = "`bad_request`: an unknown format.", body = ErrorBody),
        (status = 404, description = "`not_found`: no incident has this id in the principal's tenant.", body = ErrorBody),
    )
)]
pub async fn export(
    AxState(ctx): AxState<Ctx>,
    Extension(principal): Extension<Principal>,
    uri: Uri,
    id: Result<Path<String>, PathRejection>,
) -> Result<Response, ApiError> {
    let p = Params::of(&uri, &["format"])?;
    let format = p
        .read("format", |v| match v {
            "json" | "markdown" | "html" => Ok(v.to_owned()),
            _ => Err(format!("`{v}` is not json, markdown or html")),
        })?
        .unwrap_or_else(|| "json".into());
    let id = Object::Incident.path_id(id)?;
    let stored = ctx
        .state
        .get_incident(&principal.tenant, &id, true)
        .await
        .map_err(|e| records::state_error("reading an incident", e))?
        .ok_or_else(|| Object::Incident.not_found(&id))?;
    let incident = with_sla(&ctx, stored);
    let attachments = super::attachments::of_incident(&ctx, &principal.tenant, &id).await?;
    let observables = observables_of(&ctx, &principal.tenant, &id).await?;
    Ok(match format.as_str() {
        "markdown" => (
            [(header::CONTENT_TYPE, "text/markdown; charset=utf-8")],
            markdown(&incident, &attachments, &observables),
        )
            .into_response(),
        "html" => (
            [(header::CONTENT_TYPE, "text/html; charset=utf-8")],
            html(&incident, &attachments, &observables),
        )
            .into_response(),
        _ => Json(IncidentExport {
            incident,
            attachments,
            observables,
        })
        .into_response(),
    })
}

/// One row per observable: its kind and value, then its marking, IOC flag, sightings and the
/// other incidents that have it.
fn observable_rows(observables: &[Observable]) -> Vec<(String, String)> {
    observables
        .iter()
        .map(|o| {
            let ioc = if o.ioc { ", IOC" } else { "" };
            let related: Vec<&str> = o.related.iter().map(|r| r.id.as_str()).collect();
            let also = if related.is_empty() {
                String::new()
            } else {
                format!(", also in {}", related.join(", "))
            };
            (
                format!("{} {}", o.kind, o.value),
                format!(
                    "TLP:{}{ioc}, seen {} times{also}",
                    o.tlp.as_str().to_uppercase(),
                    o.sightings
                ),
            )
        })
        .collect()
}

/// The incident's observables for its export (the first [`vigil_state::observables::MAX_LIST`]).
async fn observables_of(ctx: &Ctx, tenant: &str, id: &str) -> Result<Vec<Observable>, ApiError> {
    let list = ctx
        .state
        .list_observables(tenant, id, vigil_state::observables::MAX_LIST)
        .await
        .map_err(|e| records::state_error("reading observables", e))?;
    Ok(list.map(|l| l.observables).unwrap_or_default())
}
