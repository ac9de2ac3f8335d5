//! Alert triage: `PATCH /api/v1/alerts/{id}`, `POST /api/v1/alerts/bulk` and
//! `GET /api/v1/alerts/{id}/history`. Every change keeps who and when in the alert's history and
//! goes to the audit trail (`alert.update`, `alert.bulk_update`) in the same transaction.

use std::net::SocketAddr;

use axum::{
    Extension, Json,
    extract::{ConnectInfo, Path, State as AxState, rejection::PathRejection},
    http::Uri,
};
use vigil_api_types::access::{Permission, Principal};
use vigil_api_types::alerts::Alert;
use vigil_api_types::error::ErrorBody;
use vigil_api_types::triage::{AlertBulk, AlertFilter, AlertHistory, AlertStatus, AlertUpdate, BulkOutcome};
use vigil_event::Level;
use vigil_state::AlertQuery;
use vigil_state::triage::{Selection, Triager};

use super::objects::{Object, actor, peer_of};
use super::{ApiError, Ctx, ErrorCode, JsonBody, Params, audit, records::state_error};

fn triager(principal: &Principal, action: &str, peer: Option<SocketAddr>) -> Triager {
    Triager {
        actor: actor(principal, action, peer),
        may_reopen: principal.can(Permission::AlertReopen),
    }
}

/// `PATCH /api/v1/alerts/{id}`: acknowledge, close with a disposition, return to the queue or
/// reopen, assign, comment.
#[utoipa::path(
    patch,
    path = "/api/v1/alerts/{id}",
    operation_id = "update_alert",
    tag = "alerts",
    summary = "Triage an alert",
    description = "Changes the alert's status (`acknowledged`; `closed` with a `disposition`; `new` to return it to the queue, or to reopen a closed alert, which needs `alert:reopen`), its assignee, or adds a comment. Kept in the alert's history and audited as `alert.update`.",
    params(("id" = String, Path, description = "The alert's id.")),
    request_body = AlertUpdate,
    responses(
        (status = 200, description = "The alert as it is now.", body = Alert),
        (status = 400, description = "`bad_request`: an unknown field or status, closing without a disposition, a disposition without closing.", body = ErrorBody),
        (status = 403, description = "`forbidden`: reopening a closed alert without `alert:reopen`.", body = ErrorBody),
        (status = 404, description = "`not_found`: no alert has this id in the principal's tenant.", body = ErrorBody),
        (status = 409, description = "`conflict`: the alert's status does not allow the change (e.g. it is merged into an incident).", body = ErrorBody),
    )
)]
pub async fn update(
    AxState(ctx): AxState<Ctx>,
    Extension(principal): Extension<Principal>,
    peer: Option<Extension<ConnectInfo<SocketAddr>>>,
    uri: Uri,
    id: Result<Path<String>, PathRejection>,
    body: Result<JsonBody<AlertUpdate>, ApiError>,
) -> Result<Json<Alert>, ApiError> {
    Params::of(&uri, &[])?;
    let id = Object::Alert.path_id(id)?;
    let JsonBody(update) = body?;
    update.check().map_err(ApiError::bad_request)?;
    let tenant = &principal.tenant;
    let before = ctx
        .state
        .get_alert(tenant, &id)
        .await
        .map_err(|e| state_error("reading an alert", e))?
        .ok_or_else(|| Object::Alert.not_found(&id))?;
    let who = triager(&principal, "alert.update", peer_of(peer));
    let sel = Selection::Ids(std::slice::from_ref(&id));
    let count = ctx
        .state
        .triage_alerts(tenant, sel, &update, &who, None)
        .await
        .map_err(|e| state_error("triaging an alert", e))?;
    if count.updated == 0 {
        let refused = refusal(&before, &update, who.may_reopen);
        if refused.code == ErrorCode::Forbidden {
            let path = format!("/api/v1/alerts/{id}");
            let ip = who.actor.audit.source.as_deref().and_then(|s| s.parse().ok());
            audit::denied(
                &ctx,
                &principal,
                ip,
                &axum::http::Method::PATCH,
                &path,
                Permission::AlertReopen,
            );
        }
        return Err(refused);
    }
    ctx.state
        .get_alert(tenant, &id)
        .await
        .map_err(|e| state_error("reading an alert", e))?
        .map(Json)
        .ok_or_else(|| Object::Alert.not_found(&id))
}

/// Why a single alert's change did not apply.
fn refusal(alert: &Alert, update: &AlertUpdate, may_reopen: bool) -> ApiError {
    let status = alert.status.as_str();
    if update.status == Some(AlertStatus::New) && alert.status == AlertStatus::Closed && !may_reopen {
        return ApiError::new(
            ErrorCode::Forbidden,
            "reopening a closed alert needs the permission `alert:reopen` (docs/access.md)",
        );
    }
    let what = match update.status {
        Some(s) if s == alert.status => format!("the alert is already {status}"),
        Some(s) => format!("a {status} alert cannot become {}", s.as_str()),
        None => format!("a {status} alert cannot be assigned"),
    };
    let hint = match alert.status {
        AlertStatus::Merged => " (it belongs to its incident now)",
        AlertStatus::Closed => " (reopen it first: \"status\": \"new\", or vigil alerts reopen)",
        _ => "",
    };
    ApiError::new(ErrorCode::Conflict, format!("{what}{hint}"))
}

/// The state query of a bulk filter.
fn query_of(filter: &AlertFilter) -> Result<AlertQuery, ApiError> {
    let min_level = match filter.min_level.as_deref() {
        None => None,
        Some(text) => Some(Level::parse(text).map_err(|e| ApiError::param("filter.min_level", e))?),
    };
    Ok(AlertQuery {
        since: filter.since,
        until: filter.until,
        rule_id: filter.rule_id.clone(),
        min_level,
        status: filter.status.clone(),
        assignee: filter.assignee.clone(),
        host: filter.host.clone(),
        ..AlertQuery::default()
    })
}

/// `POST /api/v1/alerts/bulk`: one change to many alerts, by ids or by filter; `dry_run` counts.
#[utoipa::path(
    post,
    path = "/api/v1/alerts/bulk",
    operation_id = "bulk_update_alerts",
    tag = "alerts",
    summary = "Triage many alerts",
    description = "Applies one triage change to the alerts named by `ids` (at most 10 000) or selected by `filter` (at most 100 000 per action), in the principal's tenant. Alerts whose status does not allow the change are left as they are and counted out of `updated`. Run with `\"dry_run\": true` to see the counts first, then pass `matched` as `expect`: the action is refused if the selection changed meanwhile. Audited once as `alert.bulk_update`.",
    request_body = AlertBulk,
    responses(
        (status = 200, description = "What the selection held and how many alerts changed (or would).", body = BulkOutcome),
        (status = 400, description = "`bad_request`: both or neither of `ids` and `filter`, too many ids, a bad change.", body = ErrorBody),
        (status = 409, description = "`conflict`: `expect` no longer matches the selection.", body = ErrorBody),
    )
)]
pub async fn bulk(
    AxState(ctx): AxState<Ctx>,
    Extension(principal): Extension<Principal>,
    peer: Option<Extension<ConnectInfo<SocketAddr>>>,
    uri: Uri,
    body: Result<JsonBody<AlertBulk>, ApiError>,
) -> Result<Json<BulkOutcome>, ApiError> {
    Params::of(&uri, &[])?;
    let JsonBody(bulk) = body?;
    bulk.update
        .check()
        .map_err(|e| ApiError::bad_request(format!("update.{e}")))?;
    let query;
    let sel = match (&bulk.ids, &bulk.filter) {
        (Some(ids), None) => Selection::Ids(ids),
        (None, Some(filter)) => {
            query = query_of(filter)?;
            Selection::Filter(&query)
        }
        _ => return Err(ApiError::bad_request("give exactly one of `ids` and `filter`")),
    };
    let who = triager(&principal, "alert.bulk_update", peer_of(peer));
    let tenant = &principal.tenant;
    let count = if bulk.dry_run {
        ctx.state.count_triage(tenant, sel, &bulk.update, who.may_reopen).await
    } else {
        ctx.state
            .triage_alerts(tenant, sel, &bulk.update, &who, bulk.expect)
            .await
    }
    .map_err(|e| state_error("triaging alerts", e))?;
    Ok(Json(BulkOutcome {
        matched: count.matched,
        updated: count.updated,
        dry_run: bulk.dry_run,
    }))
}

/// `GET /api/v1/alerts/{id}/history`: every triage change, oldest first.
#[utoipa::path(
    get,
    path = "/api/v1/alerts/{id}/history",
    operation_id = "get_alert_history",
    tag = "alerts",
    summary = "An alert's history",
    description = "Every triage change of the alert — status, disposition, assignee, comment, the incident it was merged into — with who made it and when, oldest first.",
    params(("id" = String, Path, description = "The alert's id.")),
    responses(
        (status = 200, description = "The changes.", body = AlertHistory),
        (status = 404, description = "`not_found`: no alert has this id in the principal's tenant.", body = ErrorBody),
    )
)]
pub async fn history(
    AxState(ctx): AxState<Ctx>,
    Extension(principal): Extension<Principal>,
    uri: Uri,
    id: Result<Path<String>, PathRejection>,
) -> Result<Json<AlertHistory>, ApiError> {
    Params::of(&uri, &[])?;
    let id = Object::Alert.path_id(id)?;
    let changes = ctx
        .state
        .alert_history(&principal.tenant, &id)
        .await
        .map_err(|e| state_error("reading an alert's history", e))?
        .ok_or_else(|| Object::Alert.not_found(&id))?;
    Ok(Json(AlertHistory { alert_id: id, changes }))
}
