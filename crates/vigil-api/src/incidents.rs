//! Incidents over HTTP: create (from alerts), list, read with timeline and SLA timers, change
//! (fields and NIST SP 800-61 status), notes, linking alerts, merging. Every change is audited
//! (`incident.create`, `incident.update`, `incident.note`, `incident.link`, `incident.merge`) in
//! the transaction that makes it.

use std::net::SocketAddr;

use axum::{
    Extension, Json,
    extract::{ConnectInfo, Path, State as AxState, rejection::PathRejection},
    http::{StatusCode, Uri},
};
use jiff::Timestamp;
use vigil_api_types::access::{Permission, Principal};
use vigil_api_types::error::ErrorBody;
use vigil_api_types::incidents::{
    Incident, IncidentPage, IncidentPatch, IncidentStatus, LinkAlerts, MergeIncidents, NewIncident, NewNote,
};
use vigil_respond::TimerState;
use vigil_state::incidents::{IncidentQuery, StoredIncident};

use super::objects::{Object, actor, peer_of};
use super::{ApiError, Ctx, ErrorCode, JsonBody, Params, audit, records};

/// The incident with its SLA timers at the server's now.
pub(crate) fn with_sla(ctx: &Ctx, stored: StoredIncident) -> Incident {
    let mut incident = stored.incident;
    let times = incident.milestones.sla_times();
    incident.sla = ctx
        .respond
        .sla
        .timers(incident.priority, &times, &stored.pauses, Timestamp::now());
    incident
}

/// `POST /api/v1/incidents`: a new incident; its alerts become `merged`.
#[utoipa::path(
    post,
    path = "/api/v1/incidents",
    operation_id = "create_incident",
    tag = "incidents",
    summary = "Create an incident",
    description = "Creates an incident in the principal's tenant from the alerts named in `alert_ids` (they become `merged`) or by hand. `classification` is an RSIT v1.3 `category:type`; `severity` 1 (low) to 4 (critical); the priority comes from impact × urgency, which default from the severity. Audited as `incident.create`.",
    request_body = NewIncident,
    responses(
        (status = 201, description = "The incident, with its timeline and SLA timers.", body = Incident),
        (status = 400, description = "`bad_request`: a missing or invalid field (the message names it), an unknown alert id.", body = ErrorBody),
        (status = 409, description = "`conflict`: an alert is already in an incident.", body = ErrorBody),
    )
)]
pub async fn create(
    AxState(ctx): AxState<Ctx>,
    Extension(principal): Extension<Principal>,
    peer: Option<Extension<ConnectInfo<SocketAddr>>>,
    uri: Uri,
    body: Result<JsonBody<NewIncident>, ApiError>,
) -> Result<(StatusCode, Json<Incident>), ApiError> {
    Params::of(&uri, &[])?;
    let JsonBody(new) = body?;
    new.check().map_err(ApiError::bad_request)?;
    let who = actor(&principal, "incident.create", peer_of(peer));
    let tasks = super::tasks::runbook_plan(&ctx, &new.classification, Timestamp::now());
    let stored = ctx
        .state
        .create_incident_with_tasks(&principal.tenant, &new, &ctx.respond.matrix, &tasks, &who)
        .await
        .map_err(|e| records::state_error("creating an incident", e))?;
    if !new.alert_ids.is_empty() {
        crate::observable_scan::spawn_scan(&ctx.state, &ctx.store, &principal.tenant, &stored.incident.id);
    }
    Ok((StatusCode::CREATED, Json(with_sla(&ctx, stored))))
}

fn read_statuses(v: &str) -> Result<Vec<IncidentStatus>, String> {
    v.split(',')
        .map(|s| {
            IncidentStatus::parse(s.trim()).ok_or_else(|| {
                let all: Vec<&str> = IncidentStatus::ALL.iter().map(|s| s.as_str()).collect();
                format!("`{s}` is not an incident status; the statuses are: {}", all.join(", "))
            })
        })
        .collect()
}

/// `sla`: a timer state that any of the incident's timers must be in (`warning` for a running
/// timer past its warning share).
fn sla_matches(incident: &Incident, wanted: &str, due_within: Option<Timestamp>) -> bool {
    let timers = [&incident.sla.acknowledge, &incident.sla.contain, &incident.sla.resolve];
    let mut open = timers.into_iter().flatten().filter(|t| t.state != TimerState::Met);
    open.any(|t| {
        let state_ok = match wanted {
            "" => true,
            "warning" => t.warning,
            other => t.state.as_str() == other,
        };
        let due_ok =
            due_within.is_none_or(|limit| t.state != TimerState::Breached && t.due.is_some_and(|due| due <= limit));
        state_ok && due_ok
    })
}

/// `GET /api/v1/incidents`: newest first, filtered.
#[utoipa::path(
    get,
    path = "/api/v1/incidents",
    operation_id = "list_incidents",
    tag = "incidents",
    summary = "List incidents",
    description = "The principal's tenant's incidents, newest first, each with its SLA timers (no timeline). With `sla` or `due_within` the open incidents are filtered by their timers (up to 10 000 examined, one page, no cursor).",
    params(
        crate::openapi::Listing,
        ("status" = Option<String>, Query, description = "Only these statuses, comma-separated."),
        ("open" = Option<bool>, Query, description = "Only open (`true`) or closed (`false`) incidents."),
        ("owner" = Option<String>, Query, description = "Only this owner's."),
        ("team" = Option<String>, Query, description = "Only this team's."),
        ("max_priority" = Option<u8>, Query, description = "Only this priority or more urgent (1 is P1)."),
        ("sla" = Option<String>, Query, description = "Only incidents with a timer `breached`, `running`, `paused` or in `warning`."),
        ("due_within" = Option<String>, Query, description = "Only incidents with a timer not yet breached and due within this duration (`1h`)."),
    ),
    responses(
        (status = 200, description = "A page of incidents.", body = IncidentPage),
        (status = 400, description = "`bad_request`: a parameter is invalid, unknown or given twice.", body = ErrorBody),
    )
)]
pub async fn list(
    AxState(ctx): AxState<Ctx>,
    Extension(principal): Extension<Principal>,
    uri: Uri,
) -> Result<Json<IncidentPage>, ApiError> {
    let names = [
        "status",
        "open",
        "owner",
        "team",
        "max_priority",
        "sla",
        "due_within",
        "since",
        "until",
        "limit",
        "cursor",
    ];
    let p = Params::of(&uri, &names)?;
    let max_priority = p.read("max_priority", |v| match v.parse::<u8>() {
        Ok(n @ 1..=5) => Ok(n),
        _ => Err(format!("`{v}` is not a priority from 1 to 5")),
    })?;
    let sla = p.read("sla", |v| match v {
        "breached" | "running" | "paused" | "warning" => Ok(v.to_owned()),
        _ => Err(format!("`{v}` is not one of breached, running, paused, warning")),
    })?;
    let now = Timestamp::now();
    let due_within = p.read("due_within", |v| {
        vigil_api_types::duration::parse_duration(v).map(|d| now + d)
    })?;
    let mut q = IncidentQuery {
        status: p.read("status", read_statuses)?.unwrap_or_default(),
        open: p.read("open", records::read_bool)?,
        owner: p.text("owner"),
        team: p.text("team"),
        max_priority,
        since: records::read_time(&p, "since")?,
        until: records::read_time(&p, "until")?,
        limit: Some(records::read_limit(&p)?),
        cursor: p.text("cursor"),
    };
    if sla.is_none() && due_within.is_none() {
        let page = ctx
            .state
            .list_incidents(&principal.tenant, &q)
            .await
            .map_err(|e| records::state_error("listing incidents", e))?;
        return Ok(Json(IncidentPage {
            incidents: page.incidents.into_iter().map(|s| with_sla(&ctx, s)).collect(),
            next_cursor: page.next_cursor,
            total: page.total,
        }));
    }
    let limit = q.limit.unwrap_or(100) as usize;
    q.open.get_or_insert(true);
    q.limit = Some(1000);
    let wanted = sla.unwrap_or_default();
    let mut matching = Vec::new();
    for _ in 0..10 {
        let page = ctx
            .state
            .list_incidents(&principal.tenant, &q)
            .await
            .map_err(|e| records::state_error("listing incidents", e))?;
        matching.extend(
            page.incidents
                .into_iter()
                .map(|s| with_sla(&ctx, s))
                .filter(|i| sla_matches(i, &wanted, due_within)),
        );
        match page.next_cursor {
            Some(c) => q.cursor = Some(c),
            None => break,
        }
    }
    let total = matching.len() as u64;
    matching.truncate(limit);
    Ok(Json(IncidentPage {
        incidents: matching,
        next_cursor: None,
        total,
    }))
}

/// `GET /api/v1/incidents/{id}`.
#[utoipa::path(
    get,
    path = "/api/v1/incidents/{id}",
    operation_id = "get_incident",
    tag = "incidents",
    summary = "One incident",
    description = "The incident with its `status`, `timeline` (oldest first) and `sla` timers (per metric: target, due, state).",
    params(("id" = String, Path, description = "The incident's id.")),
    responses(
        (status = 200, description = "The incident.", body = Incident),
        (status = 404, description = "`not_found`: no incident has this id in the principal's tenant.", body = ErrorBody),
    )
)]
pub async fn get(
    AxState(ctx): AxState<Ctx>,
    Extension(principal): Extension<Principal>,
    uri: Uri,
    id: Result<Path<String>, PathRejection>,
) -> Result<Json<Incident>, ApiError> {
    Params::of(&uri, &[])?;
    let id = Object::Incident.path_id(id)?;
    let stored = ctx
        .state
        .get_incident(&principal.tenant, &id, true)
        .await
        .map_err(|e| records::state_error("reading an incident", e))?
        .ok_or_else(|| Object::Incident.not_found(&id))?;
    Ok(Json(with_sla(&ctx, stored)))
}

/// `PATCH /api/v1/incidents/{id}`: fields and status.
#[utoipa::path(
    patch,
    path = "/api/v1/incidents/{id}",
    operation_id = "update_incident",
    tag = "incidents",
    summary = "Change an incident",
    description = "Changes fields and the status (NIST SP 800-61: `new`, `acknowledged`, `investigating`, `contained`, `eradicated`, `recovered`, `closed`, and `on_hold`, which pauses the SLA clocks). Closing needs `resolution` and `lessons_learned` (here or set before) and `case:close`, as does reopening. The first time of each milestone is kept. Audited as `incident.update`.",
    params(("id" = String, Path, description = "The incident's id.")),
    request_body = IncidentPatch,
    responses(
        (status = 200, description = "The incident as it is now.", body = Incident),
        (status = 400, description = "`bad_request`: an invalid field; closing without a resolution or lessons learned.", body = ErrorBody),
        (status = 403, description = "`forbidden`: closing or reopening without `case:close`.", body = ErrorBody),
        (status = 404, description = "`not_found`: no incident has this id in the principal's tenant.", body = ErrorBody),
        (status = 409, description = "`conflict`: the status does not allow the change, or nothing would change.", body = ErrorBody),
    )
)]
pub async fn update(
    AxState(ctx): AxState<Ctx>,
    Extension(principal): Extension<Principal>,
    peer: Option<Extension<ConnectInfo<SocketAddr>>>,
    uri: Uri,
    id: Result<Path<String>, PathRejection>,
    body: Result<JsonBody<IncidentPatch>, ApiError>,
) -> Result<Json<Incident>, ApiError> {
    Params::of(&uri, &[])?;
    let id = Object::Incident.path_id(id)?;
    let JsonBody(patch) = body?;
    patch.check().map_err(ApiError::bad_request)?;
    let tenant = &principal.tenant;
    let peer = peer_of(peer);
    if patch.status.is_some() && !principal.can(Permission::CaseClose) {
        let current = ctx
            .state
            .get_incident(tenant, &id, false)
            .await
            .map_err(|e| records::state_error("reading an incident", e))?
            .ok_or_else(|| Object::Incident.not_found(&id))?;
        let closing = patch.status == Some(IncidentStatus::Closed);
        let reopening = current.incident.status == IncidentStatus::Closed;
        if closing || reopening {
            let method = axum::http::Method::PATCH;
            let path = format!("/api/v1/incidents/{id}");
            audit::denied(
                &ctx,
                &principal,
                peer.map(|p| p.ip()),
                &method,
                &path,
                Permission::CaseClose,
            );
            return Err(ApiError::new(
                ErrorCode::Forbidden,
                "closing or reopening an incident needs the permission `case:close` (docs/access.md)",
            ));
        }
    }
    let who = actor(&principal, "incident.update", peer);
    let mut stored = ctx
        .state
        .update_incident(tenant, &id, &patch, &ctx.respond.matrix, &who)
        .await
        .map_err(|e| records::state_error("changing an incident", e))?
        .ok_or_else(|| Object::Incident.not_found(&id))?;
    if patch.classification.is_some()
        && let Some(again) = apply_new_runbook(&ctx, &principal, peer, &stored).await?
    {
        stored = again;
    }
    Ok(Json(with_sla(&ctx, stored)))
}

/// After a reclassification, the tasks of the runbook the new classification selects, unless the
/// incident has them already (its tasks name the runbook) or is closed. Tasks already there stay.
async fn apply_new_runbook(
    ctx: &Ctx,
    principal: &Principal,
    peer: Option<SocketAddr>,
    stored: &StoredIncident,
) -> Result<Option<StoredIncident>, ApiError> {
    let i = &stored.incident;
    let Some(book) = ctx.respond.runbooks.for_classification(&i.classification) else {
        return Ok(None);
    };
    let has = i.tasks.iter().any(|t| {
        t.template
            .as_deref()
            .and_then(|tag| tag.split_once('@'))
            .is_some_and(|(name, _)| name == book.name)
    });
    if has || i.status == IncidentStatus::Closed {
        return Ok(None);
    }
    let who = actor(principal, "incident.task", peer);
    let tenant = &principal.tenant;
    ctx.state
        .add_tasks(tenant, &i.id, &book.plan(Timestamp::now()), &who)
        .await
        .map_err(|e| records::state_error("adding the runbook's tasks", e))?;
    ctx.state
        .get_incident(tenant, &i.id, true)
        .await
        .map_err(|e| records::state_error("reading an incident", e))
}

/// `POST /api/v1/incidents/{id}/notes`: an analyst's timeline entry.
#[utoipa::path(
    post,
    path = "/api/v1/incidents/{id}/notes",
    operation_id = "add_incident_note",
    tag = "incidents",
    summary = "Add a note",
    description = "Appends a markdown note to the incident's timeline; `occurred_at` places it in the attack's chronology. Audited as `incident.note` (without its text).",
    params(("id" = String, Path, description = "The incident's id.")),
    request_body = NewNote,
    responses(
        (status = 201, description = "The incident with its timeline.", body = Incident),
        (status = 400, description = "`bad_request`: a blank or too long text.", body = ErrorBody),
        (status = 404, description = "`not_found`: no incident has this id in the principal's tenant.", body = ErrorBody),
    )
)]
pub async fn add_note(
    AxState(ctx): AxState<Ctx>,
    Extension(principal): Extension<Principal>,
    peer: Option<Extension<ConnectInfo<SocketAddr>>>,
    uri: Uri,
    id: Result<Path<String>, PathRejection>,
    body: Result<JsonBody<NewNote>, ApiError>,
) -> Result<(StatusCode, Json<Incident>), ApiError> {
    Params::of(&uri, &[])?;
    let id = Object::Incident.path_id(id)?;
    let JsonBody(note) = body?;
    let who = actor(&principal, "incident.note", peer_of(peer));
    let stored = ctx
        .state
        .add_incident_note(&principal.tenant, &id, &note, &who)
        .await
        .map_err(|e| records::state_error("adding a note", e))?
        .ok_or_else(|| Object::Incident.not_found(&id))?;
    Ok((StatusCode::CREATED, Json(with_sla(&ctx, stored))))
}

/// `POST /api/v1/incidents/{id}/alerts`: merge alerts into the incident.
#[utoipa::path(
    post,
    path = "/api/v1/incidents/{id}/alerts",
    operation_id = "link_incident_alerts",
    tag = "incidents",
    summary = "Link alerts",
    description = "Merges alerts (1 to 1000) into the open incident; they become `merged`. Audited as `incident.link`.",
    params(("id" = String, Path, description = "The incident's id.")),
    request_body = LinkAlerts,
    responses(
        (status = 200, description = "The incident as it is now.", body = Incident),
        (status = 400, description = "`bad_request`: no ids, too many, or an unknown alert id.", body = ErrorBody),
        (status = 404, description = "`not_found`: no incident has this id in the principal's tenant.", body = ErrorBody),
        (status = 409, description = "`conflict`: the incident is closed, or an alert is in an incident already.", body = ErrorBody),
    )
)]
pub async fn link(
    AxState(ctx): AxState<Ctx>,
    Extension(principal): Extension<Principal>,
    peer: Option<Extension<ConnectInfo<SocketAddr>>>,
    uri: Uri,
    id: Result<Path<String>, PathRejection>,
    body: Result<JsonBody<LinkAlerts>, ApiError>,
) -> Result<Json<Incident>, ApiError> {
    Params::of(&uri, &[])?;
    let id = Object::Incident.path_id(id)?;
    let JsonBody(link) = body?;
    let who = actor(&principal, "incident.link", peer_of(peer));
    let stored = ctx
        .state
        .link_incident_alerts(&principal.tenant, &id, &link.alert_ids, &who)
        .await
        .map_err(|e| records::state_error("linking alerts", e))?
        .ok_or_else(|| Object::Incident.not_found(&id))?;
    crate::observable_scan::spawn_scan(&ctx.state, &ctx.store, &principal.tenant, &stored.incident.id);
    Ok(Json(with_sla(&ctx, stored)))
}

/// `POST /api/v1/incidents/{id}/merge`: fold other incidents into this one.
#[utoipa::path(
    post,
    path = "/api/v1/incidents/{id}/merge",
    operation_id = "merge_incidents",
    tag = "incidents",
    summary = "Merge incidents",
    description = "Folds the open incidents `incident_ids` into this open incident: their alerts and manual ATT&CK ids move over and each is closed with `merged_into`. Audited as `incident.merge`.",
    params(("id" = String, Path, description = "The incident that stays.")),
    request_body = MergeIncidents,
    responses(
        (status = 200, description = "The incident that stays, as it is now.", body = Incident),
        (status = 400, description = "`bad_request`: no ids, itself, or an unknown incident id.", body = ErrorBody),
        (status = 404, description = "`not_found`: no incident has this id in the principal's tenant.", body = ErrorBody),
        (status = 409, description = "`conflict`: one of the incidents is closed.", body = ErrorBody),
    )
)]
pub async fn merge(
    AxState(ctx): AxState<Ctx>,
    Extension(principal): Extension<Principal>,
    peer: Option<Extension<ConnectInfo<SocketAddr>>>,
    uri: Uri,
    id: Result<Path<String>, PathRejection>,
    body: Result<JsonBody<MergeIncidents>, ApiError>,
) -> Result<Json<Incident>, ApiError> {
    Params::of(&uri, &[])?;
    let id = Object::Incident.path_id(id)?;
    let JsonBody(merge) = body?;
    let who = actor(&principal, "incident.merge", peer_of(peer));
    let stored = ctx
        .state
        .merge_incidents(&principal.tenant, &id, &merge.incident_ids, &who)
        .await
        .map_err(|e| records::state_error("merging incidents", e))?
        .ok_or_else(|| Object::Incident.not_found(&id))?;
    crate::observable_scan::spawn_scan(&ctx.state, &ctx.store, &principal.tenant, &stored.incident.id);
    Ok(Json(with_sla(&ctx, stored)))
}

/// `DELETE /api/v1/incidents/{id}`.
#[utoipa::path(
    delete,
    path = "/api/v1/incidents/{id}",
    operation_id = "delete_incident",
    tag = "incidents",
    summary = "Delete an incident",
    description = "Deletes the incident (an incident opened by mistake): its alerts return to the queue as `acknowledged`, its timeline stays with a last `deleted` entry, and the audit trail keeps its title (`incident.delete`).",
    params(("id" = String, Path, description = "The incident's id.")),
    responses(
        (status = 204, description = "Deleted."),
        (status = 404, description = "`not_found`: no incident has this id in the principal's tenant.", body = ErrorBody),
    )
)]
pub async fn delete(
    AxState(ctx): AxState<Ctx>,
    Extension(principal): Extension<Principal>,
    peer: Option<Extension<ConnectInfo<SocketAddr>>>,
    uri: Uri,
    id: Result<Path<String>, PathRejection>,
) -> Result<StatusCode, ApiError> {
    Params::of(&uri, &[])?;
    let id = Object::Incident.path_id(id)?;
    let who = actor(&principal, "incident.delete", peer_of(peer));
    let deleted = ctx
        .state
        .delete_incident(&principal.tenant, &id, &who)
        .await
        .map_err(|e| records::state_error("deleting an incident", e))?;
    if deleted {
        Ok(StatusCode::NO_CONTENT)
    } else {
        Err(Object::Incident.not_found(&id))
    }
}
