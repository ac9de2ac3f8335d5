//! Observables over HTTP: an incident's observables with their related incidents, adding one by
//! hand, changing its TLP, IOC flag or description, removing it, and looking a value up across
//! the tenant ("where have we seen 10.1.2.3?"). Changes are audited (`observable.create`,
//! `observable.update`, `observable.delete`) with a timeline entry, in the transaction that
//! makes them; extraction from alerts' events is `observable_scan.rs`.

use std::net::SocketAddr;

use axum::{
    Extension, Json,
    extract::{ConnectInfo, Path, State as AxState, rejection::PathRejection},
    http::{StatusCode, Uri},
};
use vigil_api_types::access::Principal;
use vigil_api_types::error::ErrorBody;
use vigil_api_types::observables::{NewObservable, Observable, ObservableList, ObservablePatch, Sightings};
use vigil_respond::ObservableKind;
use vigil_respond::observables::normalize;

use super::objects::{Object, actor, peer_of};
use super::{ApiError, Ctx, ErrorCode, JsonBody, Params, records};

/// The `{id}` and `{oid}` of the path.
fn path_ids(ids: Result<Path<(String, String)>, PathRejection>) -> Result<(String, String), ApiError> {
    super::objects::incident_sub_ids(ids, "oid", "observable")
}

/// 404: the incident has no observable `oid` (or the tenant has no incident `id`).
fn observable_not_found(id: &str, oid: &str) -> ApiError {
    ApiError::new(
        ErrorCode::NotFound,
        format!("incident `{id}` has no observable `{oid}` (vigil incidents observables {id} lists them)"),
    )
}

/// `kind`: one of the observable kinds.
fn read_kind(v: &str) -> Result<ObservableKind, String> {
    ObservableKind::parse(v).ok_or_else(|| {
        let all: Vec<&str> = ObservableKind::ALL.iter().map(|k| k.as_str()).collect();
        format!("`{v}` is not an observable kind; the kinds are: {}", all.join(", "))
    })
}

/// `GET /api/v1/incidents/{id}/observables`.
#[utoipa::path(
    get,
    path = "/api/v1/incidents/{id}/observables",
    operation_id = "list_incident_observables",
    tag = "incidents",
    summary = "An incident's observables",
    description = "The IPs, domains, URLs, hosts, users, file hashes, file paths and e-mail addresses of the incident, oldest first: extracted from its alerts' events when they are linked (`source: extracted`, with the field and alert) or added by hand. Each lists up to 20 other incidents of the tenant with the same kind and value (`related`, newest first; `related_total` counts them all).",
    params(
        ("id" = String, Path, description = "The incident's id."),
        ("limit" = Option<u32>, Query, description = "Observables listed, 1 to 1000 (default 100); `total` counts them all."),
    ),
    responses(
        (status = 200, description = "The observables.", body = ObservableList),
        (status = 400, description = "`bad_request`: an invalid or unknown parameter.", body = ErrorBody),
        (status = 404, description = "`not_found`: no incident has this id in the principal's tenant.", body = ErrorBody),
    )
)]
pub async fn list(
    AxState(ctx): AxState<Ctx>,
    Extension(principal): Extension<Principal>,
    uri: Uri,
    id: Result<Path<String>, PathRejection>,
) -> Result<Json<ObservableList>, ApiError> {
    let p = Params::of(&uri, &["limit"])?;
    let limit = records::read_limit(&p)?;
    let id = Object::Incident.path_id(id)?;
    ctx.state
        .list_observables(&principal.tenant, &id, limit)
        .await
        .map_err(|e| records::state_error("listing observables", e))?
        .map(Json)
        .ok_or_else(|| Object::Incident.not_found(&id))
}

/// `POST /api/v1/incidents/{id}/observables`.
#[utoipa::path(
    post,
    path = "/api/v1/incidents/{id}/observables",
    operation_id = "add_incident_observable",
    tag = "incidents",
    summary = "Add an observable",
    description = "Adds an observable by hand. Its value is checked and normalised like extracted ones: an IP must parse, a domain has two labels or more, a URL is absolute, a hash is 32, 40 or 64 hexadecimal digits, an e-mail address is `name@domain`; domains, hosts, hashes and e-mail addresses are lower-cased. TLP defaults to the incident's. Audited as `observable.create`.",
    params(("id" = String, Path, description = "The incident's id.")),
    request_body = NewObservable,
    responses(
        (status = 201, description = "The observable.", body = Observable),
        (status = 400, description = "`bad_request`: an invalid value (the message says why) or description.", body = ErrorBody),
        (status = 404, description = "`not_found`: no incident has this id in the principal's tenant.", body = ErrorBody),
        (status = 409, description = "`conflict`: the incident has this kind and value already.", body = ErrorBody),
    )
)]
pub async fn add(
    AxState(ctx): AxState<Ctx>,
    Extension(principal): Extension<Principal>,
    peer: Option<Extension<ConnectInfo<SocketAddr>>>,
    uri: Uri,
    id: Result<Path<String>, PathRejection>,
    body: Result<JsonBody<NewObservable>, ApiError>,
) -> Result<(StatusCode, Json<Observable>), ApiError> {
    Params::of(&uri, &[])?;
    let id = Object::Incident.path_id(id)?;
    let JsonBody(new) = body?;
    new.check().map_err(ApiError::bad_request)?;
    let who = actor(&principal, "observable.create", peer_of(peer));
    let added = ctx
        .state
        .add_observable(&principal.tenant, &id, &new, &who)
        .await
        .map_err(|e| records::state_error("adding an observable", e))?
        .ok_or_else(|| Object::Incident.not_found(&id))?;
    Ok((StatusCode::CREATED, Json(added)))
}

/// `PATCH /api/v1/incidents/{id}/observables/{oid}`.
#[utoipa::path(
    patch,
    path = "/api/v1/incidents/{id}/observables/{oid}",
    operation_id = "update_incident_observable",
    tag = "incidents",
    summary = "Change an observable",
    description = "Changes the TLP marking, the IOC flag or the description of an observable. Audited as `observable.update`.",
    params(
        ("id" = String, Path, description = "The incident's id."),
        ("oid" = String, Path, description = "The observable's id."),
    ),
    request_body = ObservablePatch,
    responses(
        (status = 200, description = "The observable as it is now.", body = Observable),
        (status = 400, description = "`bad_request`: nothing to change, or an invalid description.", body = ErrorBody),
        (status = 404, description = "`not_found`: the incident (in the principal's tenant) has no such observable.", body = ErrorBody),
        (status = 409, description = "`conflict`: nothing would change.", body = ErrorBody),
    )
)]
pub async fn update(
    AxState(ctx): AxState<Ctx>,
    Extension(principal): Extension<Principal>,
    peer: Option<Extension<ConnectInfo<SocketAddr>>>,
    uri: Uri,
    ids: Result<Path<(String, String)>, PathRejection>,
    body: Result<JsonBody<ObservablePatch>, ApiError>,
) -> Result<Json<Observable>, ApiError> {
    Params::of(&uri, &[])?;
    let (id, oid) = path_ids(ids)?;
    let JsonBody(patch) = body?;
    patch.check().map_err(ApiError::bad_request)?;
    let who = actor(&principal, "observable.update", peer_of(peer));
    ctx.state
        .update_observable(&principal.tenant, &id, &oid, &patch, &who)
        .await
        .map_err(|e| records::state_error("changing an observable", e))?
        .map(Json)
        .ok_or_else(|| observable_not_found(&id, &oid))
}

/// `DELETE /api/v1/incidents/{id}/observables/{oid}`.
#[utoipa::path(
    delete,
    path = "/api/v1/incidents/{id}/observables/{oid}",
    operation_id = "delete_incident_observable",
    tag = "incidents",
    summary = "Remove an observable",
    description = "Removes an observable from the incident (one extracted is not extracted again from alerts already scanned). Audited as `observable.delete`.",
    params(
        ("id" = String, Path, description = "The incident's id."),
        ("oid" = String, Path, description = "The observable's id."),
    ),
    responses(
        (status = 204, description = "Removed."),
        (status = 400, description = "`bad_request`: a query parameter was given (this route takes none).", body = ErrorBody),
        (status = 404, description = "`not_found`: the incident (in the principal's tenant) has no such observable.", body = ErrorBody),
    )
)]
pub async fn delete(
    AxState(ctx): AxState<Ctx>,
    Extension(principal): Extension<Principal>,
    peer: Option<Extension<ConnectInfo<SocketAddr>>>,
    uri: Uri,
    ids: Result<Path<(String, String)>, PathRejection>,
) -> Result<StatusCode, ApiError> {
    Params::of(&uri, &[])?;
    let (id, oid) = path_ids(ids)?;
    let who = actor(&principal, "observable.delete", peer_of(peer));
    let deleted = ctx
        .state
        .delete_observable(&principal.tenant, &id, &oid, &who)
        .await
        .map_err(|e| records::state_error("removing an observable", e))?;
    if deleted {
        Ok(StatusCode::NO_CONTENT)
    } else {
        Err(observable_not_found(&id, &oid))
    }
}

/// `GET /api/v1/observables?value=…`.
#[utoipa::path(
    get,
    path = "/api/v1/observables",
    operation_id = "find_observables",
    tag = "incidents",
    summary = "Where a value was seen",
    description = "The principal's tenant's incidents that have an observable of this value (of this kind, or of any kind whose rules the value meets), newest incident first, each with the observable as that incident has it.",
    params(
        ("value" = String, Query, description = "The value, as written anywhere (it is normalised like observables are: `10.1.2.3`, `Evil.Example`, a hash in capitals)."),
        ("kind" = Option<String>, Query, description = "Only observables of this kind: ip, domain, url, host, user, hash, file, email."),
        ("limit" = Option<u32>, Query, description = "Incidents listed, 1 to 1000 (default 100); `total` counts them all."),
    ),
    responses(
        (status = 200, description = "The incidents where it was seen.", body = Sightings),
        (status = 400, description = "`bad_request`: no value, a value that is no valid observable of the kind, or an unknown kind or parameter.", body = ErrorBody),
    )
)]
pub async fn find(
    AxState(ctx): AxState<Ctx>,
    Extension(principal): Extension<Principal>,
    uri: Uri,
) -> Result<Json<Sightings>, ApiError> {
    let p = Params::of(&uri, &["value", "kind", "limit"])?;
    let limit = records::read_limit(&p)?;
    let kind = p.read("kind", read_kind)?;
    let value = p
        .text("value")
        .ok_or_else(|| ApiError::param("value", "give the value to look for"))?;
    let wanted: Vec<(ObservableKind, String)> = match kind {
        Some(kind) => vec![(kind, normalize(kind, &value).map_err(|e| ApiError::param("value", e))?)],
        None => ObservableKind::ALL
            .iter()
            .filter_map(|k| Some((*k, normalize(*k, &value).ok()?)))
            .collect(),
    };
    if wanted.is_empty() {
        return Err(ApiError::param("value", "not a valid value of any observable kind"));
    }
    ctx.state
        .find_observables(&principal.tenant, &wanted, limit)
        .await
        .map(Json)
        .map_err(|e| records::state_error("looking up an observable", e))
}
