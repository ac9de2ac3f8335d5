//! Saved views of the console's pages: `GET/POST /api/v1/views`, `PATCH/DELETE /api/v1/views/{id}`.
//!
//! A view is a page's query parameters under a name. It belongs to the principal that saved it
//! and is private unless `shared`, when everyone of the tenant sees it. Reading and saving need
//! `alert:read`; only the owner changes a view; the owner deletes it, and so may a principal
//! with `alert:triage` when it is shared (a lead tidying the team's views). Another tenant's
//! view, or another's private one, is a 404. Changes are audited as `view.create`,
//! `view.update`, `view.delete`.

use std::net::SocketAddr;

use axum::{
    Extension, Json,
    extract::{ConnectInfo, Path, State as AxState, rejection::PathRejection},
    http::{Method, StatusCode, Uri},
};
use vigil_api_types::access::{Permission, Principal};
use vigil_api_types::console::{NewView, SavedView, ViewList, ViewUpdate, check_view_page};
use vigil_api_types::error::ErrorBody;

use crate::objects::{Object, actor, peer_of};
use crate::{ApiError, Ctx, ErrorCode, JsonBody, Params, audit, records::state_error};

/// `GET /api/v1/views`.
#[utoipa::path(
    get,
    path = "/api/v1/views",
    operation_id = "list_views",
    tag = "views",
    summary = "List saved views",
    description = "The principal's own saved views and its tenant's shared ones, by name; `page` keeps one page's.",
    params(("page" = Option<String>, Query, description = "Only the views of this console page (`alerts`).")),
    responses(
        (status = 200, description = "The views.", body = ViewList),
        (status = 400, description = "`bad_request`: an invalid page name or an unknown parameter.", body = ErrorBody),
    )
)]
pub async fn list(
    AxState(ctx): AxState<Ctx>,
    Extension(principal): Extension<Principal>,
    uri: Uri,
) -> Result<Json<ViewList>, ApiError> {
    let p = Params::of(&uri, &["page"])?;
    let page = p.read("page", |v| check_view_page(v).map(|()| v.to_owned()))?;
    let views = ctx
        .state
        .list_views(&principal.tenant, &principal.id, page.as_deref())
        .await
        .map_err(|e| state_error("listing views", e))?;
    Ok(Json(ViewList { views }))
}

/// `POST /api/v1/views`.
#[utoipa::path(
    post,
    path = "/api/v1/views",
    operation_id = "create_view",
    tag = "views",
    summary = "Save a view",
    description = "Saves a page's query parameters under a name, owned by the principal; `shared` shows it to the whole tenant. Audited as `view.create`.",
    request_body = NewView,
    responses(
        (status = 201, description = "The saved view.", body = SavedView),
        (status = 400, description = "`bad_request`: an unknown field, a blank or long name, a query value that is not a string, too many parameters.", body = ErrorBody),
        (status = 409, description = "`conflict`: the principal has a view of that name on the page, or 200 views.", body = ErrorBody),
    )
)]
pub async fn create(
    AxState(ctx): AxState<Ctx>,
    Extension(principal): Extension<Principal>,
    peer: Option<Extension<ConnectInfo<SocketAddr>>>,
    uri: Uri,
    body: Result<JsonBody<NewView>, ApiError>,
) -> Result<(StatusCode, Json<SavedView>), ApiError> {
    Params::of(&uri, &[])?;
    let JsonBody(view) = body?;
    view.check().map_err(ApiError::bad_request)?;
    let who = actor(&principal, "view.create", peer_of(peer));
    let saved = ctx
        .state
        .create_view(&principal.tenant, &view, &who)
        .await
        .map_err(|e| state_error("saving a view", e))?;
    Ok((StatusCode::CREATED, Json(saved)))
}

/// `PATCH /api/v1/views/{id}`.
#[utoipa::path(
    patch,
    path = "/api/v1/views/{id}",
    operation_id = "update_view",
    tag = "views",
    summary = "Rename, change or share a view",
    description = "Changes the name, the query parameters or the sharing of one of the principal's own views. Audited as `view.update`.",
    params(("id" = String, Path, description = "The view's id.")),
    request_body = ViewUpdate,
    responses(
        (status = 200, description = "The view as it is now.", body = SavedView),
        (status = 400, description = "`bad_request`: no field, an unknown field, an invalid name or query.", body = ErrorBody),
        (status = 404, description = "`not_found`: the principal has no view of this id (another's view is changed by its owner only).", body = ErrorBody),
        (status = 409, description = "`conflict`: the principal has another view of that name on the page.", body = ErrorBody),
    )
)]
pub async fn update(
    AxState(ctx): AxState<Ctx>,
    Extension(principal): Extension<Principal>,
    peer: Option<Extension<ConnectInfo<SocketAddr>>>,
    uri: Uri,
    id: Result<Path<String>, PathRejection>,
    body: Result<JsonBody<ViewUpdate>, ApiError>,
) -> Result<Json<SavedView>, ApiError> {
    Params::of(&uri, &[])?;
    let id = Object::View.path_id(id)?;
    let JsonBody(update) = body?;
    update.check().map_err(ApiError::bad_request)?;
    let who = actor(&principal, "view.update", peer_of(peer));
    ctx.state
        .update_view(&principal.tenant, &id, &update, &who)
        .await
        .map_err(|e| state_error("changing a view", e))?
        .map(Json)
        .ok_or_else(|| Object::View.not_found(&id))
}

/// `DELETE /api/v1/views/{id}`.
#[utoipa::path(
    delete,
    path = "/api/v1/views/{id}",
    operation_id = "delete_view",
    tag = "views",
    summary = "Delete a view",
    description = "Deletes one of the principal's own views, or — with `alert:triage` — a view another shared with the tenant. Audited as `view.delete`.",
    params(("id" = String, Path, description = "The view's id.")),
    responses(
        (status = 204, description = "Deleted."),
        (status = 403, description = "`forbidden`: the view is another's shared view and the principal lacks `alert:triage`.", body = ErrorBody),
        (status = 404, description = "`not_found`: no view of this id the principal can see.", body = ErrorBody),
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
    let id = Object::View.path_id(id)?;
    let tenant = &principal.tenant;
    let view = ctx
        .state
        .get_view(tenant, &principal.id, &id)
        .await
        .map_err(|e| state_error("reading a view", e))?
        .ok_or_else(|| Object::View.not_found(&id))?;
    let may_delete_shared = principal.can(Permission::AlertTriage);
    if view.owner != principal.id && !may_delete_shared {
        let path = format!("/api/v1/views/{id}");
        let ip = peer.as_ref().map(|Extension(ConnectInfo(addr))| addr.ip());
        audit::denied(&ctx, &principal, ip, &Method::DELETE, &path, Permission::AlertTriage);
        return Err(ApiError::new(
            ErrorCode::Forbidden,
            format!(
                "the view `{}` is {}'s; deleting another's shared view needs the permission `alert:triage`",
                view.name, view.owner
            ),
        ));
    }
    let who = actor(&principal, "view.delete", peer_of(peer));
    ctx.state
        .delete_view(tenant, &id, &who, may_delete_shared)
        .await
        .map_err(|e| state_error("deleting a view", e))?
        .ok_or_else(|| Object::View.not_found(&id))?;
    Ok(StatusCode::NO_CONTENT)
}
