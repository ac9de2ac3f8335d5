//! Suppression rules over HTTP: create (by hand, or from an alert in one step: "suppress alerts
//! like this"), list with their counts, read, change (disable, enable, expiry, reason), delete,
//! and list the matches each kept from becoming an alert. Every change is audited
//! (`suppression.create`, `suppression.update`, `suppression.delete`) in the transaction that
//! makes it, and the pipeline's matcher is reloaded right after it.

use std::net::SocketAddr;

use axum::{
    Extension, Json,
    extract::{ConnectInfo, Path, State as AxState, rejection::PathRejection},
    http::{StatusCode, Uri},
};
use jiff::Timestamp;
use vigil_api_types::access::{Permission, Principal};
use vigil_api_types::alerts::{Alert, AlertKind};
use vigil_api_types::error::ErrorBody;
use vigil_api_types::suppressions::{
    AlertSuppress, AlertSuppressed, Condition, NewSuppression, SuppressedMatchPage, Suppression, SuppressionPage,
    SuppressionPatch,
};
use vigil_event::{Event, Fields, LogSourceTags, Raw, Source};
use vigil_state::suppressions::{MatchQuery, SuppressionQuery, actions};

use super::objects::{Object, actor, peer_of};
use super::{ApiError, Ctx, ErrorCode, JsonBody, Params, alert_events, audit, records};

/// Makes the pipeline match with the suppressions as they are now. The change is committed
/// already: a failure here only delays it to the pipeline's next reload, so it is logged.
async fn reload(ctx: &Ctx) {
    if let Err(e) = ctx.suppressions.reload(&ctx.state).await {
        tracing::warn!(error = %e, "reloading the suppression rules failed; the pipeline reloads them within seconds");
    }
}

/// `POST /api/v1/suppressions`.
#[utoipa::path(
    post,
    path = "/api/v1/suppressions",
    operation_id = "create_suppression",
    tag = "suppressions",
    summary = "Create a suppression",
    description = "A suppression rule in the principal's tenant: detection matches of `rule_id` (or of every rule, `*`) whose event meets every condition — the field's value as text, exactly; `host`, `user` and `src_ip` mean what they mean for alert grouping — raise no alert from now until `expires` (none: until disabled or deleted). Each is counted on the suppression (`hits`, `last_hit`) and listed (`GET /api/v1/suppressions/{id}/matches`). Audited as `suppression.create`.",
    request_body = NewSuppression,
    responses(
        (status = 201, description = "The suppression.", body = Suppression),
        (status = 400, description = "`bad_request`: a missing or invalid field (the message names it), an expiry not in the future, `*` without conditions.", body = ErrorBody),
    )
)]
pub async fn create(
    AxState(ctx): AxState<Ctx>,
    Extension(principal): Extension<Principal>,
    peer: Option<Extension<ConnectInfo<SocketAddr>>>,
    uri: Uri,
    body: Result<JsonBody<NewSuppression>, ApiError>,
) -> Result<(StatusCode, Json<Suppression>), ApiError> {
    Params::of(&uri, &[])?;
    let JsonBody(new) = body?;
    new.check(Timestamp::now()).map_err(ApiError::bad_request)?;
    let who = actor(&principal, actions::CREATE, peer_of(peer));
    let created = ctx
        .state
        .create_suppression(&principal.tenant, &new, &who)
        .await
        .map_err(|e| records::state_error("creating a suppression", e))?;
    reload(&ctx).await;
    Ok((StatusCode::CREATED, Json(created)))
}

/// `POST /api/v1/alerts/{id}/suppress`: suppress alerts like this one.
#[utoipa::path(
    post,
    path = "/api/v1/alerts/{id}/suppress",
    operation_id = "suppress_alert",
    tag = "suppressions",
    summary = "Suppress alerts like this one",
    description = "Creates a suppression of the alert's rule whose conditions are the values the alert's event has for `fields` (such as `[\"host\", \"user\"]`), read from the stored event — or, while it is not in the store yet, from the alert's `host` and group key. With `close_as` (`false_positive` or `benign_positive`, which needs `alert:triage` too) the alert is closed as well if it is still open, in the same transaction. Audited as `suppression.create` (and `alert.update`). Correlation alerts are not suppressed this way: suppress the rules they count.",
    params(("id" = String, Path, description = "The alert's id.")),
    request_body = AlertSuppress,
    responses(
        (status = 201, description = "The suppression, and the alert as it is now.", body = AlertSuppressed),
        (status = 400, description = "`bad_request`: an invalid field; the event has no value for a field; a correlation alert.", body = ErrorBody),
        (status = 403, description = "`forbidden`: `close_as` without `alert:triage`.", body = ErrorBody),
        (status = 404, description = "`not_found`: no alert has this id in the principal's tenant.", body = ErrorBody),
    )
)]
pub async fn from_alert(
    AxState(ctx): AxState<Ctx>,
    Extension(principal): Extension<Principal>,
    peer: Option<Extension<ConnectInfo<SocketAddr>>>,
    uri: Uri,
    id: Result<Path<String>, PathRejection>,
    body: Result<JsonBody<AlertSuppress>, ApiError>,
) -> Result<(StatusCode, Json<AlertSuppressed>), ApiError> {
    Params::of(&uri, &[])?;
    let id = Object::Alert.path_id(id)?;
    let JsonBody(ask) = body?;
    ask.check(Timestamp::now()).map_err(ApiError::bad_request)?;
    let peer = peer_of(peer);
    if ask.close_as.is_some() && !principal.can(Permission::AlertTriage) {
        let path = format!("/api/v1/alerts/{id}/suppress");
        audit::denied(
            &ctx,
            &principal,
            peer.map(|p| p.ip()),
            &axum::http::Method::POST,
            &path,
            Permission::AlertTriage,
        );
        return Err(ApiError::new(
            ErrorCode::Forbidden,
            "closing the alert (close_as) needs the permission `alert:triage` too (docs/access.md)",
        ));
    }
    let tenant = &principal.tenant;
    let alert = read_alert(&ctx, tenant, &id).await?;
    if alert.kind == AlertKind::Correlation {
        return Err(ApiError::bad_request(
            "a correlation alert is not suppressed like this: suppress the detection rules it counts",
        ));
    }
    let conditions = conditions_of(&ctx, tenant, &alert, &ask.fields).await?;
    let new = NewSuppression {
        rule_id: alert.rule_id.clone(),
        conditions,
        reason: ask.reason.clone(),
        expires: ask.expires,
    };
    let who = actor(&principal, actions::CREATE, peer);
    let (suppression, _closed) = ctx
        .state
        .suppress_alert(tenant, &id, &new, ask.close_as, &who)
        .await
        .map_err(|e| records::state_error("suppressing alerts like one", e))?
        .ok_or_else(|| Object::Alert.not_found(&id))?;
    reload(&ctx).await;
    let alert = read_alert(&ctx, tenant, &id).await?;
    Ok((StatusCode::CREATED, Json(AlertSuppressed { suppression, alert })))
}

async fn read_alert(ctx: &Ctx, tenant: &str, id: &str) -> Result<Alert, ApiError> {
    ctx.state
        .get_alert(tenant, id)
        .await
        .map_err(|e| records::state_error("reading an alert", e))?
        .ok_or_else(|| Object::Alert.not_found(id))
}

/// The conditions "like this alert": each field with the value the alert's (first) event has for
/// it; while that event is not in the store, the alert's host and group key stand in for it.
async fn conditions_of(ctx: &Ctx, tenant: &str, alert: &Alert, fields: &[String]) -> Result<Vec<Condition>, ApiError> {
    let event = match alert.event_ids.first() {
        Some(first) => stored_event(ctx, tenant, first).await?,
        None => None,
    };
    fields
        .iter()
        .map(|field| {
            let value = match &event {
                Some(event) => vigil_runtime::grouping::field_value(event, field),
                None => value_from_alert(alert, field),
            };
            value
                .map(|value| Condition {
                    field: field.clone(),
                    value,
                })
                .ok_or_else(|| missing_value(field, event.is_some()))
        })
        .collect()
}

fn missing_value(field: &str, stored: bool) -> ApiError {
    if stored {
        ApiError::param(
            "fields",
            format!("the alert's event has no value for `{field}`; leave it out"),
        )
    } else {
        ApiError::param(
            "fields",
            format!(
                "the alert's event is not in the store (not committed yet, or past retention) and the alert \
                 itself does not name `{field}` (it has its host and its group-by fields); try again in a \
                 moment, or name the conditions with POST /api/v1/suppressions"
            ),
        )
    }
}

/// The event `id` as stored, as the pipeline saw it (fields and host), if the store has it.
async fn stored_event(ctx: &Ctx, tenant: &str, id: &str) -> Result<Option<Event>, ApiError> {
    if vigil_event::EventId::parse(&id.to_ascii_lowercase()).is_none() {
        return Ok(None);
    }
    let store = ctx.store.clone();
    let (tenant, ids) = (tenant.to_owned(), vec![id.to_owned()]);
    let hits = tokio::task::spawn_blocking(move || alert_events::fetch(&store, &tenant, &ids))
        .await
        .map_err(|e| ApiError::internal("reading an alert's event", &e))?
        .map_err(crate::search::store_error)?;
    Ok(hits.into_iter().next().map(|hit| {
        let source = Source {
            host: hit.host.as_deref().map(Into::into),
            ..Source::default()
        };
        Event::new(
            source,
            None,
            LogSourceTags::default(),
            Fields::from_json_object(hit.fields),
            Raw::None,
        )
    }))
}

/// A field's value from the alert itself: `host`, or a group-by field of its group key
/// (`host=web01,user=bob,src_ip=`) when the key reads unambiguously.
fn value_from_alert(alert: &Alert, field: &str) -> Option<String> {
    if field == "host"
        && let Some(host) = alert.host.as_ref().filter(|h| !h.trim().is_empty())
    {
        return Some(host.clone());
    }
    let key = alert.group_key.as_deref()?;
    let pairs: Vec<(&str, &str)> = key.split(',').map(|p| p.split_once('=')).collect::<Option<_>>()?;
    pairs
        .iter()
        .find(|(f, _)| *f == field)
        .map(|(_, v)| (*v).to_owned())
        .filter(|v| !v.trim().is_empty())
}

/// `GET /api/v1/suppressions`.
#[utoipa::path(
    get,
    path = "/api/v1/suppressions",
    operation_id = "list_suppressions",
    tag = "suppressions",
    summary = "List suppressions",
    description = "The principal's tenant's suppressions, newest first, each with the matches it suppressed (`hits`, `last_hit`) and whether it suppresses now (`active`).",
    params(
        crate::openapi::Paging,
        ("rule_id" = Option<String>, Query, description = "Only suppressions of this rule id (`*`: those of every rule)."),
        ("active" = Option<bool>, Query, description = "Only those that suppress now (`true`), or those disabled or expired (`false`)."),
    ),
    responses(
        (status = 200, description = "A page of suppressions.", body = SuppressionPage),
        (status = 400, description = "`bad_request`: a parameter is invalid, unknown or given twice.", body = ErrorBody),
    )
)]
pub async fn list(
    AxState(ctx): AxState<Ctx>,
    Extension(principal): Extension<Principal>,
    uri: Uri,
) -> Result<Json<SuppressionPage>, ApiError> {
    let p = Params::of(&uri, &["rule_id", "active", "limit", "cursor"])?;
    let q = SuppressionQuery {
        rule_id: p.text("rule_id"),
        active: p.read("active", records::read_bool)?,
        limit: Some(records::read_limit(&p)?),
        cursor: p.text("cursor"),
    };
    ctx.state
        .list_suppressions(&principal.tenant, &q, Timestamp::now())
        .await
        .map(Json)
        .map_err(|e| records::state_error("listing suppressions", e))
}

/// `GET /api/v1/suppressions/{id}`.
#[utoipa::path(
    get,
    path = "/api/v1/suppressions/{id}",
    operation_id = "get_suppression",
    tag = "suppressions",
    summary = "One suppression",
    params(("id" = String, Path, description = "The suppression's id (`sup-…`).")),
    responses(
        (status = 200, description = "The suppression with its counts.", body = Suppression),
        (status = 400, description = "`bad_request`: the id is not valid UTF-8, or a query parameter was given.", body = ErrorBody),
        (status = 404, description = "`not_found`: no suppression has this id in the principal's tenant.", body = ErrorBody),
    )
)]
pub async fn get(
    AxState(ctx): AxState<Ctx>,
    Extension(principal): Extension<Principal>,
    uri: Uri,
    id: Result<Path<String>, PathRejection>,
) -> Result<Json<Suppression>, ApiError> {
    Params::of(&uri, &[])?;
    let id = Object::Suppression.path_id(id)?;
    ctx.state
        .get_suppression(&principal.tenant, &id, Timestamp::now())
        .await
        .map_err(|e| records::state_error("reading a suppression", e))?
        .map(Json)
        .ok_or_else(|| Object::Suppression.not_found(&id))
}

/// `PATCH /api/v1/suppressions/{id}`.
#[utoipa::path(
    patch,
    path = "/api/v1/suppressions/{id}",
    operation_id = "update_suppression",
    tag = "suppressions",
    summary = "Change a suppression",
    description = "Disables it (`\"disabled\": true`: it stops suppressing at once and stays listed with its counts) or enables it again, sets a new expiry (`null`: none) or reason. Audited as `suppression.update`.",
    params(("id" = String, Path, description = "The suppression's id.")),
    request_body = SuppressionPatch,
    responses(
        (status = 200, description = "The suppression as it is now.", body = Suppression),
        (status = 400, description = "`bad_request`: nothing to change, an invalid field, an expiry not in the future.", body = ErrorBody),
        (status = 404, description = "`not_found`: no suppression has this id in the principal's tenant.", body = ErrorBody),
        (status = 409, description = "`conflict`: the change leaves it as it is (e.g. disabling a disabled one).", body = ErrorBody),
    )
)]
pub async fn update(
    AxState(ctx): AxState<Ctx>,
    Extension(principal): Extension<Principal>,
    peer: Option<Extension<ConnectInfo<SocketAddr>>>,
    uri: Uri,
    id: Result<Path<String>, PathRejection>,
    body: Result<JsonBody<SuppressionPatch>, ApiError>,
) -> Result<Json<Suppression>, ApiError> {
    Params::of(&uri, &[])?;
    let id = Object::Suppression.path_id(id)?;
    let JsonBody(patch) = body?;
    patch.check(Timestamp::now()).map_err(ApiError::bad_request)?;
    let who = actor(&principal, actions::UPDATE, peer_of(peer));
    let changed = ctx
        .state
        .update_suppression(&principal.tenant, &id, &patch, &who)
        .await
        .map_err(|e| records::state_error("changing a suppression", e))?
        .ok_or_else(|| Object::Suppression.not_found(&id))?;
    reload(&ctx).await;
    Ok(Json(changed))
}

/// `DELETE /api/v1/suppressions/{id}`.
#[utoipa::path(
    delete,
    path = "/api/v1/suppressions/{id}",
    operation_id = "delete_suppression",
    tag = "suppressions",
    summary = "Delete a suppression",
    description = "Deletes it and its listed matches: matches it covered raise alerts again. The audit trail keeps its rule, conditions, reason and hits (`suppression.delete`); to keep it listed instead, disable it.",
    params(("id" = String, Path, description = "The suppression's id.")),
    responses(
        (status = 204, description = "Deleted."),
        (status = 400, description = "`bad_request`: the id is not valid UTF-8, or a query parameter was given.", body = ErrorBody),
        (status = 404, description = "`not_found`: no suppression has this id in the principal's tenant.", body = ErrorBody),
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
    let id = Object::Suppression.path_id(id)?;
    let who = actor(&principal, actions::DELETE, peer_of(peer));
    let deleted = ctx
        .state
        .delete_suppression(&principal.tenant, &id, &who)
        .await
        .map_err(|e| records::state_error("deleting a suppression", e))?;
    if !deleted {
        return Err(Object::Suppression.not_found(&id));
    }
    reload(&ctx).await;
    Ok(StatusCode::NO_CONTENT)
}

/// `GET /api/v1/suppressions/{id}/matches`.
#[utoipa::path(
    get,
    path = "/api/v1/suppressions/{id}/matches",
    operation_id = "list_suppressed_matches",
    tag = "suppressions",
    summary = "A suppression's matches",
    description = "The detection matches the suppression kept from becoming alerts, newest first: rule, event id (`vigil search '_id:<event_id>'` shows the event) and when. Kept 30 days (at most 1,000,000 in all); `hits` counts every one.",
    params(("id" = String, Path, description = "The suppression's id."), crate::openapi::Paging),
    responses(
        (status = 200, description = "A page of matches.", body = SuppressedMatchPage),
        (status = 400, description = "`bad_request`: a parameter is invalid, unknown or given twice.", body = ErrorBody),
        (status = 404, description = "`not_found`: no suppression has this id in the principal's tenant.", body = ErrorBody),
    )
)]
pub async fn matches(
    AxState(ctx): AxState<Ctx>,
    Extension(principal): Extension<Principal>,
    uri: Uri,
    id: Result<Path<String>, PathRejection>,
) -> Result<Json<SuppressedMatchPage>, ApiError> {
    let p = Params::of(&uri, &["limit", "cursor"])?;
    let id = Object::Suppression.path_id(id)?;
    let q = MatchQuery {
        limit: Some(records::read_limit(&p)?),
        cursor: p.text("cursor"),
    };
    ctx.state
        .list_suppressed_matches(&principal.tenant, &id, &q)
        .await
        .map_err(|e| records::state_error("listing a suppression's matches", e))?
        .map(Json)
        .ok_or_else(|| Object::Suppression.not_found(&id))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn alert(host: Option<&str>, group_key: Option<&str>) -> Alert {
        serde_json::from_value(serde_json::json!({
            "seq": 1, "id": "a", "status": "new", "rule_id": "r", "rule_title": "R", "level": "high",
            "kind": "detection", "attack": [], "tags": [], "event_ids": [], "group_key": group_key,
            "event_time": null, "detected": "2026-05-01T00:00:00Z", "input": null, "host": host, "matched": null,
        }))
        .expect("alert")
    }

    #[test]
    fn the_alert_stands_in_for_an_event_not_stored_yet() {
        let a = alert(Some("web01"), Some("host=web01,user=bob,src_ip="));
        assert_eq!(value_from_alert(&a, "host").as_deref(), Some("web01"));
        assert_eq!(value_from_alert(&a, "user").as_deref(), Some("bob"));
        assert_eq!(value_from_alert(&a, "src_ip"), None, "empty: the event had none");
        assert_eq!(value_from_alert(&a, "CommandLine"), None);
        let odd = alert(None, Some("CommandLine=a,b"));
        assert_eq!(
            value_from_alert(&odd, "CommandLine"),
            None,
            "ambiguous keys are not read"
        );
    }
}
