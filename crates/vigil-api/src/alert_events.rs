//! `GET /api/v1/alerts/{id}` and `GET /api/v1/alerts/{id}/events`: one alert, and the stored
//! events that raised it — the analyst's one-step pivot from an alert to its evidence.

use axum::{
    Extension, Json,
    extract::{Path, State as AxState, rejection::PathRejection},
    http::Uri,
};
use vigil_api_types::access::Principal;
use vigil_api_types::{alerts::AlertEvents, error::ErrorBody};
use vigil_state::Alert;
use vigil_store::{Hit, Scope, SearchRequest, Sort};

use super::objects::Object;
use super::{ApiError, Ctx, Params, search::store_error};

/// Event ids looked up per store query (each is one `_id:` clause).
const IDS_PER_QUERY: usize = 100;

/// The principal's tenant's alert; another tenant's answers 404 like an absent one.
async fn find_alert(ctx: &Ctx, principal: &Principal, id: &str) -> Result<Alert, ApiError> {
    match ctx.state.get_alert(&principal.tenant, id).await {
        Ok(Some(alert)) => Ok(alert),
        Ok(None) => Err(Object::Alert.not_found(id)),
        Err(e) => Err(ApiError::internal("reading an alert", &e)),
    }
}

/// `GET /api/v1/alerts/{id}`: the alert with this id.
#[utoipa::path(
    get,
    path = "/api/v1/alerts/{id}",
    operation_id = "get_alert",
    tag = "alerts",
    summary = "One alert",
    params(("id" = String, Path, description = "The alert's id (32 hexadecimal digits).")),
    responses(
        (status = 200, description = "The alert.", body = Alert),
        (status = 400, description = "`bad_request`: the id is not valid UTF-8, or a query parameter was given (this route takes none).", body = ErrorBody),
        (status = 404, description = "`not_found`: no alert has this id.", body = ErrorBody),
    )
)]
pub async fn alert(
    AxState(ctx): AxState<Ctx>,
    Extension(principal): Extension<Principal>,
    uri: Uri,
    id: Result<Path<String>, PathRejection>,
) -> Result<Json<Alert>, ApiError> {
    Params::of(&uri, &[])?;
    let id = Object::Alert.path_id(id)?;
    find_alert(&ctx, &principal, &id).await.map(Json)
}

/// `GET /api/v1/alerts/{id}/events`: the alert and the stored events it lists, oldest first.
#[utoipa::path(
    get,
    path = "/api/v1/alerts/{id}/events",
    operation_id = "get_alert_events",
    tag = "alerts",
    summary = "An alert and its events",
    description = "The alert and the stored events that raised it, oldest first; ids of its events the store does not hold (not committed yet, or past retention) are listed in `missing`.",
    params(("id" = String, Path, description = "The alert's id (32 hexadecimal digits).")),
    responses(
        (status = 200, description = "The alert, its events and the ids not found.", body = AlertEvents),
        (status = 400, description = "`bad_request`: the id is not valid UTF-8, or a query parameter was given (this route takes none).", body = ErrorBody),
        (status = 404, description = "`not_found`: no alert has this id.", body = ErrorBody),
    )
)]
pub async fn alert_events(
    AxState(ctx): AxState<Ctx>,
    Extension(principal): Extension<Principal>,
    uri: Uri,
    id: Result<Path<String>, PathRejection>,
) -> Result<Json<AlertEvents>, ApiError> {
    Params::of(&uri, &[])?;
    let id = Object::Alert.path_id(id)?;
    let alert = find_alert(&ctx, &principal, &id).await?;
    // Ids the server wrote are 32 hex digits; one that is not cannot be stored.
    let (ids, mut missing): (Vec<String>, Vec<String>) = alert
        .event_ids
        .iter()
        .cloned()
        .partition(|e| vigil_event::EventId::parse(&e.to_ascii_lowercase()).is_some());
    let store = ctx.store.clone();
    let tenant = principal.tenant.clone();
    let mut events = tokio::task::spawn_blocking(move || fetch(&store, &tenant, &ids))
        .await
        .map_err(|e| ApiError::internal("alert events task", &e))?
        .map_err(store_error)?;
    events.sort_by(|a, b| (a.time, &a.id).cmp(&(b.time, &b.id)));
    for id in &alert.event_ids {
        if !events.iter().any(|h| h.id.eq_ignore_ascii_case(id)) && !missing.contains(id) {
            missing.push(id.clone());
        }
    }
    Ok(Json(AlertEvents { alert, events, missing }))
}

/// The stored events with these ids, a bounded query at a time.
pub(crate) fn fetch(
    store: &vigil_store::EventStore,
    tenant: &str,
    ids: &[String],
) -> Result<Vec<Hit>, vigil_store::StoreError> {
    let mut hits = Vec::with_capacity(ids.len());
    for chunk in ids.chunks(IDS_PER_QUERY) {
        let query: Vec<String> = chunk.iter().map(|id| format!("_id:{id}")).collect();
        let answer = store.search(
            Scope::Tenant(tenant),
            &SearchRequest {
                query: query.join(" OR "),
                size: chunk.len(),
                sort: Sort::TimeAsc,
                ..SearchRequest::default()
            },
        )?;
        hits.extend(answer.hits);
    }
    Ok(hits)
}
