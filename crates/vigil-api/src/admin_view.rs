//! Fixed tables and what the console's admin pages read but do not change here: the incident
//! taxonomy (`GET /api/v1/taxonomy`), the role table (`GET /api/v1/roles`), the tenants known (`GET /api/v1/tenants`) and the response
//! configuration the server runs with (`GET /api/v1/policies`, built once at start-up by the
//! server from its configuration, secrets left out).

use axum::{Extension, Json, extract::State as AxState, http::Uri};
use vigil_api_types::access::Principal;
use vigil_api_types::admin::{RoleList, TenantList};
use vigil_api_types::incidents::Taxonomy;
use vigil_api_types::policies::Policies;

use crate::records::state_error;
use crate::{ApiError, Ctx, Params};

/// `GET /api/v1/roles`.
#[utoipa::path(
    get,
    path = "/api/v1/roles",
    operation_id = "list_roles",
    tag = "admin",
    summary = "List roles and their permissions",
    description = "Every role with what it is for and the permissions it grants, and every permission with its meaning (the table of docs/access.md). Roles are fixed: a user or key holds one.",
    responses((status = 200, description = "The roles and permissions.", body = RoleList))
)]
pub async fn roles(uri: Uri) -> Result<Json<RoleList>, ApiError> {
    Params::of(&uri, &[])?;
    Ok(Json(RoleList::current()))
}

/// `GET /api/v1/taxonomy`.
#[utoipa::path(
    get,
    path = "/api/v1/taxonomy",
    operation_id = "get_taxonomy",
    tag = "incidents",
    summary = "List the incident classes (RSIT)",
    description = "Every class an incident's `classification` may name: RSIT v1.3 `category:type` with its category, type and a one-line meaning, grouped by category in the taxonomy's order. Fixed by the server's version.",
    responses((status = 200, description = "The taxonomy.", body = Taxonomy))
)]
pub async fn taxonomy(uri: Uri) -> Result<Json<Taxonomy>, ApiError> {
    Params::of(&uri, &[])?;
    Ok(Json(Taxonomy::rsit()))
}

/// `GET /api/v1/tenants`.
#[utoipa::path(
    get,
    path = "/api/v1/tenants",
    operation_id = "list_tenants",
    tag = "admin",
    summary = "List the tenants known",
    description = "The caller's tenant first, then every other tenant named by a user, an API key, an alert or an incident, by name. Read-only: a tenant is created by naming it — `vigil user add --tenant NAME` or `vigil apikey create --tenant NAME` on the server — and every tenant is administered by its own admins (docs/access.md).",
    responses((status = 200, description = "The tenants.", body = TenantList))
)]
pub async fn tenants(
    AxState(ctx): AxState<Ctx>,
    Extension(principal): Extension<Principal>,
    uri: Uri,
) -> Result<Json<TenantList>, ApiError> {
    Params::of(&uri, &[])?;
    let known = (ctx.state.known_tenants().await).map_err(|e| state_error("listing tenants", e))?;
    Ok(Json(TenantList::of(&principal.tenant, known)))
}

/// `GET /api/v1/policies`.
#[utoipa::path(
    get,
    path = "/api/v1/policies",
    operation_id = "get_policies",
    tag = "admin",
    summary = "The response configuration in force",
    description = "Read-only: the priority matrix, SLA targets per priority, SLA notifications, escalation policies, on-call rotations, people and teams, auto-incident policies, notification channels and the caller's tenant's scheduled reports, as the server's configuration file set them (`[respond]`, `[reports]`; change them there and restart). Channels carry no secret: no SMTP password or webhook signing secret, and of a webhook URL only `scheme://host:port`.",
    responses((status = 200, description = "The policies.", body = Policies))
)]
pub async fn policies(
    AxState(ctx): AxState<Ctx>,
    Extension(principal): Extension<Principal>,
    uri: Uri,
) -> Result<Json<Policies>, ApiError> {
    Params::of(&uri, &[])?;
    let mut view = ctx.respond.policies.clone();
    view.reports.retain(|r| r.tenant == principal.tenant);
    Ok(Json(view))
}
