//! Incident tasks over HTTP: an incident's tasks (its runbook's, and those added by hand), changing
//! one, the queue of tasks across incidents, and the runbooks in force. Every change is audited as
//! `incident.task` with its timeline entry.

use std::net::SocketAddr;

use axum::{
    Extension, Json,
    extract::{ConnectInfo, Path, State as AxState, rejection::PathRejection},
    http::{StatusCode, Uri},
};
use jiff::Timestamp;
use vigil_api_types::access::Principal;
use vigil_api_types::error::ErrorBody;
use vigil_api_types::tasks::{NewTask, Runbook, RunbookList, Task, TaskList, TaskPage, TaskPatch, TaskStatus};
use vigil_respond::PlannedTask;
use vigil_state::tasks::{TaskQuery, planned_from};

use super::objects::{Object, actor, peer_of};
use super::{ApiError, Ctx, JsonBody, Params, records};

/// The tasks of the runbook for `classification`, for an incident created at `created`.
pub(crate) fn runbook_plan(ctx: &Ctx, classification: &str, created: Timestamp) -> Vec<PlannedTask> {
    ctx.respond
        .runbooks
        .for_classification(classification)
        .map(|t| t.plan(created))
        .unwrap_or_default()
}

/// The `{id}` and `{task_id}` of the path.
fn path_ids(ids: Result<Path<(String, String)>, PathRejection>) -> Result<(String, String), ApiError> {
    super::objects::incident_sub_ids(ids, "task_id", "task")
}

/// `GET /api/v1/incidents/{id}/tasks`.
#[utoipa::path(
    get,
    path = "/api/v1/incidents/{id}/tasks",
    operation_id = "list_incident_tasks",
    tag = "incidents",
    summary = "An incident's tasks",
    description = "The incident's tasks in order: those of the runbook its classification selected when it was created (each names `template`, the runbook's `name@version`) and those added by hand. `overdue` marks a pending task past its due time.",
    params(("id" = String, Path, description = "The incident's id.")),
    responses(
        (status = 200, description = "The tasks.", body = TaskList),
        (status = 404, description = "`not_found`: no incident has this id in the principal's tenant.", body = ErrorBody),
    )
)]
pub async fn list(
    AxState(ctx): AxState<Ctx>,
    Extension(principal): Extension<Principal>,
    uri: Uri,
    id: Result<Path<String>, PathRejection>,
) -> Result<Json<TaskList>, ApiError> {
    Params::of(&uri, &[])?;
    let id = Object::Incident.path_id(id)?;
    let tasks = ctx
        .state
        .incident_tasks(&principal.tenant, &id)
        .await
        .map_err(|e| records::state_error("reading tasks", e))?
        .ok_or_else(|| Object::Incident.not_found(&id))?;
    Ok(Json(TaskList { tasks }))
}

/// `POST /api/v1/incidents/{id}/tasks`.
#[utoipa::path(
    post,
    path = "/api/v1/incidents/{id}/tasks",
    operation_id = "add_incident_task",
    tag = "incidents",
    summary = "Add a task",
    description = "Adds a task by hand after the incident's others. A `mandatory` task keeps the incident from closing until it is done or skipped. Audited as `incident.task`; the timeline says who added it.",
    params(("id" = String, Path, description = "The incident's id.")),
    request_body = NewTask,
    responses(
        (status = 201, description = "The task.", body = Task),
        (status = 400, description = "`bad_request`: a blank or too long field.", body = ErrorBody),
        (status = 404, description = "`not_found`: no incident has this id in the principal's tenant.", body = ErrorBody),
        (status = 409, description = "`conflict`: the incident is closed, or holds 500 tasks.", body = ErrorBody),
    )
)]
pub async fn add(
    AxState(ctx): AxState<Ctx>,
    Extension(principal): Extension<Principal>,
    peer: Option<Extension<ConnectInfo<SocketAddr>>>,
    uri: Uri,
    id: Result<Path<String>, PathRejection>,
    body: Result<JsonBody<NewTask>, ApiError>,
) -> Result<(StatusCode, Json<Task>), ApiError> {
    Params::of(&uri, &[])?;
    let id = Object::Incident.path_id(id)?;
    let JsonBody(new) = body?;
    new.check().map_err(ApiError::bad_request)?;
    let who = actor(&principal, "incident.task", peer_of(peer));
    let mut added = ctx
        .state
        .add_tasks(&principal.tenant, &id, &[planned_from(&new)], &who)
        .await
        .map_err(|e| records::state_error("adding a task", e))?
        .ok_or_else(|| Object::Incident.not_found(&id))?;
    let task = added.pop().ok_or_else(|| {
        records::state_error(
            "adding a task",
            vigil_state::StateError::Corrupt("task vanished".into()),
        )
    })?;
    Ok((StatusCode::CREATED, Json(task)))
}

/// `PATCH /api/v1/incidents/{id}/tasks/{task_id}`.
#[utoipa::path(
    patch,
    path = "/api/v1/incidents/{id}/tasks/{task_id}",
    operation_id = "update_incident_task",
    tag = "incidents",
    summary = "Change a task",
    description = "Changes a task's status (`open`, `in_progress`, `done`, `skipped`; done and skipped keep who and when), title, description, assignee or due time; `comment` goes on the timeline with the change. Skipping a mandatory task needs a `comment` saying why. Audited as `incident.task`.",
    params(
        ("id" = String, Path, description = "The incident's id."),
        ("task_id" = String, Path, description = "The task's id."),
    ),
    request_body = TaskPatch,
    responses(
        (status = 200, description = "The task as it is now.", body = Task),
        (status = 400, description = "`bad_request`: an invalid field; skipping a mandatory task without a comment.", body = ErrorBody),
        (status = 404, description = "`not_found`: no such incident in the principal's tenant, or no such task in it.", body = ErrorBody),
        (status = 409, description = "`conflict`: the incident is closed, or nothing would change.", body = ErrorBody),
    )
)]
pub async fn update(
    AxState(ctx): AxState<Ctx>,
    Extension(principal): Extension<Principal>,
    peer: Option<Extension<ConnectInfo<SocketAddr>>>,
    uri: Uri,
    ids: Result<Path<(String, String)>, PathRejection>,
    body: Result<JsonBody<TaskPatch>, ApiError>,
) -> Result<Json<Task>, ApiError> {
    Params::of(&uri, &[])?;
    let (id, task_id) = path_ids(ids)?;
    let JsonBody(patch) = body?;
    patch.check().map_err(ApiError::bad_request)?;
    let who = actor(&principal, "incident.task", peer_of(peer));
    let task = ctx
        .state
        .update_task(&principal.tenant, &id, &task_id, &patch, &who)
        .await
        .map_err(|e| records::state_error("changing a task", e))?
        .ok_or_else(|| Object::Task.not_found(&task_id))?;
    Ok(Json(task))
}

fn read_task_statuses(v: &str) -> Result<Vec<TaskStatus>, String> {
    v.split(',')
        .map(|s| {
            TaskStatus::parse(s.trim()).ok_or_else(|| {
                let all: Vec<&str> = TaskStatus::ALL.iter().map(|s| s.as_str()).collect();
                format!("`{s}` is not a task status; the statuses are: {}", all.join(", "))
            })
        })
        .collect()
}

/// `GET /api/v1/tasks`: the task queue across incidents.
#[utoipa::path(
    get,
    path = "/api/v1/tasks",
    operation_id = "list_tasks",
    tag = "incidents",
    summary = "Tasks across incidents",
    description = "The tasks of the tenant's incidents that are not closed — by default the pending ones (`open`, `in_progress`) — those with a due time first, soonest first. `assignee=me` means the caller.",
    params(
        ("assignee" = Option<String>, Query, description = "Only this assignee's (`me`: the caller's)."),
        ("status" = Option<String>, Query, description = "Only these statuses, comma-separated (default `open,in_progress`)."),
        ("overdue" = Option<bool>, Query, description = "Only tasks past their due time."),
        ("mandatory" = Option<bool>, Query, description = "Only mandatory tasks."),
        ("limit" = Option<u32>, Query, description = "At most this many (1 to 500, default 100)."),
    ),
    responses(
        (status = 200, description = "The tasks and how many match.", body = TaskPage),
        (status = 400, description = "`bad_request`: a parameter is invalid, unknown or given twice.", body = ErrorBody),
    )
)]
pub async fn queue(
    AxState(ctx): AxState<Ctx>,
    Extension(principal): Extension<Principal>,
    uri: Uri,
) -> Result<Json<TaskPage>, ApiError> {
    let p = Params::of(&uri, &["assignee", "status", "overdue", "mandatory", "limit"])?;
    let limit = p.read("limit", |v| {
        v.parse::<u32>()
            .ok()
            .filter(|n| (1..=vigil_state::tasks::MAX_TASK_PAGE).contains(n))
            .ok_or("from 1 to 500")
    })?;
    let q = TaskQuery {
        assignee: p
            .text("assignee")
            .map(|a| if a == "me" { principal.id.clone() } else { a }),
        status: p.read("status", read_task_statuses)?.unwrap_or_default(),
        due_before: p
            .read("overdue", records::read_bool)?
            .filter(|o| *o)
            .map(|_| Timestamp::now()),
        mandatory: p.read("mandatory", records::read_bool)?.unwrap_or(false),
        limit,
    };
    let page = ctx
        .state
        .list_tasks(&principal.tenant, &q)
        .await
        .map_err(|e| records::state_error("listing tasks", e))?;
    Ok(Json(page))
}

/// `GET /api/v1/runbooks`.
#[utoipa::path(
    get,
    path = "/api/v1/runbooks",
    operation_id = "list_runbooks",
    tag = "incidents",
    summary = "Runbooks",
    description = "The runbooks (task templates) in force: the built-in set, or the files of `[respond] runbooks`. An incident gets the tasks of the most specific runbook for its classification (`category:type`, then `category:*`, then `*`).",
    responses((status = 200, description = "The runbooks.", body = RunbookList))
)]
pub async fn runbooks(AxState(ctx): AxState<Ctx>, uri: Uri) -> Result<Json<RunbookList>, ApiError> {
    Params::of(&uri, &[])?;
    Ok(Json(RunbookList {
        source: ctx.respond.runbooks_source.clone(),
        runbooks: ctx.respond.runbooks.all().iter().map(Runbook::from).collect(),
    }))
}
