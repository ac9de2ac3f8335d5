//! The route table: every route of the API with the access it needs, and the guard that enforces
//! it. The router is built from this table only, so a route cannot exist without declaring its
//! access; `tests/access.rs` walks the table with every role.
//!
//! The guard resolves the request's principal (see `auth.rs`), answers 401 without one and 403
//! when its roles lack the route's permission, applies the per-principal rate limit (not to
//! ingest, which has the spool's backpressure), and hands the principal to the handler as an
//! `Extension<Principal>`. Unauthenticated requests — public routes and failed authentication —
//! are limited per client address instead.

use std::net::{IpAddr, SocketAddr};

use axum::{
    Router,
    extract::{ConnectInfo, Request, State},
    http::{Method, header},
    middleware::{self, Next},
    response::{IntoResponse, Response},
    routing::{MethodRouter, delete, get, patch, post},
};
use vigil_api_types::access::{Permission, Principal};

use crate::{
    ApiError, Ctx, ErrorCode, admin, admin_view, alert_events, alert_stream, attachments, audit, console, coverage,
    docs, handover, incident_report, incidents, ingest, kpis, observables, oidc_login, oncall, openapi, ops, records,
    reports, rule_catalog, search, session, sources, suppressions, tasks, triage, validation, views,
};

/// What a route needs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    /// Anyone, without credentials (liveness, readiness, the API's document and docs page).
    Public,
    /// Any authenticated principal.
    Authenticated,
    /// A principal whose roles grant the permission.
    Needs(Permission),
    /// [`Access::Needs`] when `[http] metrics_auth` is on, else [`Access::Public`].
    NeedsIfMetricsAuth(Permission),
}

/// One route: method, path (axum syntax) and access.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RouteSpec {
    pub method: Method,
    pub path: &'static str,
    pub access: Access,
}

use Access::{Authenticated, Needs, NeedsIfMetricsAuth, Public};
use Permission as P;

/// The routes with their handlers. Adding a route means adding a line here, with its access.
fn table() -> Vec<(RouteSpec, MethodRouter<Ctx>)> {
    let spec = |method, path, access| RouteSpec { method, path, access };
    vec![
        (spec(Method::GET, "/healthz", Public), get(ops::healthz)),
        (spec(Method::GET, "/readyz", Public), get(ops::readyz)),
        (
            spec(Method::GET, "/metrics", NeedsIfMetricsAuth(P::StatusRead)),
            get(ops::metrics),
        ),
        (spec(Method::GET, "/api/v1/me", Authenticated), get(ops::me)),
        (
            spec(Method::GET, "/api/v1/status", Needs(P::StatusRead)),
            get(ops::status),
        ),
        (
            spec(Method::POST, "/api/v1/search", Needs(P::SearchQuery)),
            post(search::search),
        ),
        (
            spec(Method::GET, "/api/v1/alerts", Needs(P::AlertRead)),
            get(records::alerts),
        ),
        (
            spec(Method::GET, "/api/v1/alerts/stream", Needs(P::AlertRead)),
            get(alert_stream::stream),
        ),
        (
            spec(Method::GET, "/api/v1/views", Needs(P::AlertRead)),
            get(views::list),
        ),
        (
            spec(Method::POST, "/api/v1/views", Needs(P::AlertRead)),
            post(views::create),
        ),
        (
            spec(Method::PATCH, "/api/v1/views/{id}", Needs(P::AlertRead)),
            patch(views::update),
        ),
        (
            spec(Method::DELETE, "/api/v1/views/{id}", Needs(P::AlertRead)),
            delete(views::delete),
        ),
        (
            spec(Method::POST, "/api/v1/alerts/bulk", Needs(P::AlertTriage)),
            post(triage::bulk),
        ),
        (
            spec(Method::GET, "/api/v1/alerts/{id}", Needs(P::AlertRead)),
            get(alert_events::alert),
        ),
        (
            spec(Method::PATCH, "/api/v1/alerts/{id}", Needs(P::AlertTriage)),
            patch(triage::update),
        ),
        (
            spec(Method::GET, "/api/v1/alerts/{id}/history", Needs(P::AlertRead)),
            get(triage::history),
        ),
        (
            spec(Method::GET, "/api/v1/alerts/{id}/events", Needs(P::AlertRead)),
            get(alert_events::alert_events),
        ),
        (
            spec(Method::POST, "/api/v1/alerts/{id}/suppress", Needs(P::RuleWrite)),
            post(suppressions::from_alert),
        ),
        (
            spec(Method::POST, "/api/v1/suppressions", Needs(P::RuleWrite)),
            post(suppressions::create),
        ),
        (
            spec(Method::GET, "/api/v1/suppressions", Needs(P::AlertRead)),
            get(suppressions::list),
        ),
        (
            spec(Method::GET, "/api/v1/suppressions/{id}", Needs(P::AlertRead)),
            get(suppressions::get),
        ),
        (
            spec(Method::PATCH, "/api/v1/suppressions/{id}", Needs(P::RuleWrite)),
            patch(suppressions::update),
        ),
        (
            spec(Method::DELETE, "/api/v1/suppressions/{id}", Needs(P::RuleWrite)),
            delete(suppressions::delete),
        ),
        (
            spec(Method::GET, "/api/v1/suppressions/{id}/matches", Needs(P::AlertRead)),
            get(suppressions::matches),
        ),
        (
            spec(Method::POST, "/api/v1/incidents", Needs(P::CaseWrite)),
            post(incidents::create),
        ),
        (
            spec(Method::GET, "/api/v1/incidents", Needs(P::CaseRead)),
            get(incidents::list),
        ),
        (
            spec(Method::GET, "/api/v1/taxonomy", Needs(P::CaseRead)),
            get(admin_view::taxonomy),
        ),
        (
            spec(Method::GET, "/api/v1/incidents/{id}", Needs(P::CaseRead)),
            get(incidents::get),
        ),
        (
            spec(Method::PATCH, "/api/v1/incidents/{id}", Needs(P::CaseWrite)),
            patch(incidents::update),
        ),
        (
            spec(Method::DELETE, "/api/v1/incidents/{id}", Needs(P::CaseDelete)),
            delete(incidents::delete),
        ),
        (
            spec(Method::GET, "/api/v1/incidents/{id}/export", Needs(P::CaseRead)),
            get(incident_report::export),
        ),
        (
            spec(Method::POST, "/api/v1/incidents/{id}/notes", Needs(P::CaseWrite)),
            post(incidents::add_note),
        ),
        (
            spec(Method::POST, "/api/v1/incidents/{id}/alerts", Needs(P::CaseWrite)),
            post(incidents::link),
        ),
        (
            spec(Method::POST, "/api/v1/incidents/{id}/merge", Needs(P::CaseWrite)),
            post(incidents::merge),
        ),
        (
            spec(Method::GET, "/api/v1/incidents/{id}/observables", Needs(P::CaseRead)),
            get(observables::list),
        ),
        (
            spec(Method::POST, "/api/v1/incidents/{id}/observables", Needs(P::CaseWrite)),
            post(observables::add),
        ),
        (
            spec(
                Method::PATCH,
                "/api/v1/incidents/{id}/observables/{oid}",
                Needs(P::CaseWrite),
            ),
            patch(observables::update),
        ),
        (
            spec(
                Method::DELETE,
                "/api/v1/incidents/{id}/observables/{oid}",
                Needs(P::CaseWrite),
            ),
            delete(observables::delete),
        ),
        (
            spec(Method::GET, "/api/v1/observables", Needs(P::CaseRead)),
            get(observables::find),
        ),
        (
            spec(Method::GET, "/api/v1/incidents/{id}/tasks", Needs(P::CaseRead)),
            get(tasks::list),
        ),
        (
            spec(Method::POST, "/api/v1/incidents/{id}/tasks", Needs(P::CaseWrite)),
            post(tasks::add),
        ),
        (
            spec(
                Method::PATCH,
                "/api/v1/incidents/{id}/tasks/{task_id}",
                Needs(P::CaseWrite),
            ),
            patch(tasks::update),
        ),
        (
            spec(Method::GET, "/api/v1/tasks", Needs(P::CaseRead)),
            get(tasks::queue),
        ),
        (
            spec(Method::GET, "/api/v1/runbooks", Needs(P::CaseRead)),
            get(tasks::runbooks),
        ),
        (
            spec(Method::GET, "/api/v1/handover", Needs(P::CaseRead)),
            get(handover::handover),
        ),
        (spec(Method::GET, "/api/v1/kpis", Needs(P::CaseRead)), get(kpis::report)),
        (
            spec(Method::GET, "/api/v1/sources", Needs(P::SourceRead)),
            get(sources::list),
        ),
        (
            spec(Method::GET, "/api/v1/sources/expected", Needs(P::SourceRead)),
            get(sources::expected),
        ),
        (
            spec(Method::POST, "/api/v1/validation/runs", Needs(P::ValidationRun)),
            post(validation::create),
        ),
        (
            spec(Method::GET, "/api/v1/validation/runs", Needs(P::ValidationRead)),
            get(validation::list),
        ),
        (
            spec(Method::GET, "/api/v1/validation/runs/{id}", Needs(P::ValidationRead)),
            get(validation::get),
        ),
        (
            spec(Method::GET, "/api/v1/reports", Needs(P::ReportRead)),
            get(reports::report),
        ),
        (
            spec(Method::GET, "/api/v1/coverage", Needs(P::CoverageRead)),
            get(coverage::summary),
        ),
        (
            spec(Method::GET, "/api/v1/coverage/navigator", Needs(P::CoverageRead)),
            get(coverage::navigator),
        ),
        (
            spec(Method::GET, "/api/v1/oncall", Needs(P::CaseRead)),
            get(oncall::list),
        ),
        (
            spec(Method::POST, "/api/v1/incidents/{id}/attachments", Needs(P::CaseWrite)),
            post(attachments::upload),
        ),
        (
            spec(Method::GET, "/api/v1/incidents/{id}/attachments", Needs(P::CaseRead)),
            get(attachments::list),
        ),
        (
            spec(
                Method::GET,
                "/api/v1/incidents/{id}/attachments/{aid}",
                Needs(P::CaseRead),
            ),
            get(attachments::download),
        ),
        (
            spec(
                Method::DELETE,
                "/api/v1/incidents/{id}/attachments/{aid}",
                Needs(P::CaseDelete),
            ),
            delete(attachments::delete),
        ),
        (
            spec(Method::GET, "/api/v1/dead-letters", Needs(P::DeadLetterRead)),
            get(records::dead_letters),
        ),
        (
            spec(Method::GET, "/api/v1/rules", Needs(P::RuleRead)),
            get(records::rules),
        ),
        (
            spec(Method::GET, "/api/v1/rules/catalog", Needs(P::RuleRead)),
            get(rule_catalog::catalog),
        ),
        (
            spec(Method::GET, "/api/v1/rules/{id}", Needs(P::RuleRead)),
            get(rule_catalog::rule),
        ),
        (
            spec(Method::POST, "/api/v1/rules/reload", Needs(P::RuleDeploy)),
            post(records::reload_rules),
        ),
        (
            spec(Method::POST, "/api/v1/ingest", Needs(P::EventIngest)),
            post(ingest::ingest),
        ),
        (
            spec(Method::GET, "/api/v1/audit", Needs(P::AuditRead)),
            get(audit::list),
        ),
        (
            spec(Method::GET, "/api/v1/users", Needs(P::UserManage)),
            get(admin::list_users),
        ),
        (
            spec(Method::POST, "/api/v1/users", Needs(P::UserManage)),
            post(admin::create_user),
        ),
        (
            spec(Method::PATCH, "/api/v1/users/{name}", Needs(P::UserManage)),
            patch(admin::update_user),
        ),
        (
            spec(Method::POST, "/api/v1/users/{name}/password", Needs(P::UserManage)),
            post(admin::reset_password),
        ),
        (
            spec(Method::GET, "/api/v1/apikeys", Needs(P::ApikeyManage)),
            get(admin::list_keys),
        ),
        (
            spec(Method::POST, "/api/v1/apikeys", Needs(P::ApikeyManage)),
            post(admin::create_key),
        ),
        (
            spec(Method::DELETE, "/api/v1/apikeys/{id}", Needs(P::ApikeyManage)),
            delete(admin::revoke_key),
        ),
        (
            spec(Method::GET, "/api/v1/roles", Needs(P::UserManage)),
            get(admin_view::roles),
        ),
        (
            spec(Method::GET, "/api/v1/tenants", Needs(P::TenantManage)),
            get(admin_view::tenants),
        ),
        (
            spec(Method::GET, "/api/v1/policies", Needs(P::TenantManage)),
            get(admin_view::policies),
        ),
        (
            spec(Method::GET, "/api/v1/audit/export", Needs(P::AuditRead)),
            get(audit::export),
        ),
        (spec(Method::GET, openapi::PATH, Public), get(openapi::openapi_json)),
        (spec(Method::GET, docs::PATH, Public), get(docs::index)),
        (spec(Method::GET, "/api/v1/docs/{file}", Public), get(docs::file)),
        // The web console's hashed bundles; its page is `GET /` for browsers (console.rs).
        (spec(Method::GET, "/console/{file}", Public), get(console::file)),
        (spec(Method::POST, "/api/v1/auth/login", Public), post(session::login)),
        (
            spec(Method::POST, "/api/v1/auth/logout", Authenticated),
            post(session::logout),
        ),
        (
            spec(Method::POST, "/api/v1/auth/password", Authenticated),
            post(session::change_password),
        ),
        (
            spec(Method::GET, "/api/v1/auth/oidc/login", Public),
            get(oidc_login::login),
        ),
        (
            spec(Method::GET, "/api/v1/auth/oidc/callback", Public),
            get(oidc_login::callback),
        ),
    ]
}

/// Every route of [`crate::router`] with its access.
pub fn routes() -> Vec<RouteSpec> {
    table().into_iter().map(|(spec, _)| spec).collect()
}

/// The API routes, each behind its guard (axum merges routes of one path with other methods).
pub(crate) fn build(ctx: &Ctx) -> Router<Ctx> {
    table().into_iter().fold(Router::new(), |router, (spec, handler)| {
        let access = match spec.access {
            NeedsIfMetricsAuth(_) if !ctx.metrics_auth => Public,
            NeedsIfMetricsAuth(p) => Needs(p),
            other => other,
        };
        router.route(
            spec.path,
            handler.route_layer(middleware::from_fn_with_state((ctx.clone(), access), guard)),
        )
    })
}

async fn guard(State((ctx, access)): State<(Ctx, Access)>, mut req: Request, next: Next) -> Response {
    let peer = req.extensions().get::<ConnectInfo<SocketAddr>>().map(|c| c.0.ip());
    let needed = match access {
        Public => {
            return match limit_address(&ctx, peer) {
                Ok(()) => next.run(req).await,
                Err(e) => e.into_response(),
            };
        }
        Authenticated => None,
        Needs(p) | NeedsIfMetricsAuth(p) => Some(p),
    };
    let principal = match crate::auth::principal_of(&ctx, req.method(), req.uri().path(), req.headers()).await {
        Ok(principal) => principal,
        Err(e) if e.code == ErrorCode::PasswordChangeRequired => return e.into_response(),
        Err(e) if matches!(e.code, ErrorCode::Unauthorized | ErrorCode::Forbidden) => {
            // Failed authentication spends the address's budget: guessing is rate limited too.
            if let Err(limited) = limit_address(&ctx, peer) {
                return limited.into_response();
            }
            let authorization = req.headers().get(header::AUTHORIZATION).and_then(|v| v.to_str().ok());
            audit::failed_authentication(&ctx, peer, authorization, req.method(), req.uri().path(), &e.message);
            return e.into_response();
        }
        Err(e) => return e.into_response(),
    };
    if let Some(p) = needed
        && !principal.can(p)
    {
        audit::denied(&ctx, &principal, peer, req.method(), req.uri().path(), p);
        return forbidden(&principal, p).into_response();
    }
    if needed != Some(P::EventIngest)
        && let Err(e) = crate::auth::rate_limit(&ctx, &principal.id)
    {
        return e.into_response();
    }
    req.extensions_mut().insert(principal);
    next.run(req).await
}

/// Unauthenticated requests (public routes, failed authentication) share their client
/// address's budget.
fn limit_address(ctx: &Ctx, peer: Option<IpAddr>) -> Result<(), ApiError> {
    match peer {
        Some(ip) => crate::auth::rate_limit(ctx, &format!("address {ip}")),
        None => Ok(()),
    }
}

fn forbidden(principal: &Principal, p: Permission) -> ApiError {
    ApiError::new(
        ErrorCode::Forbidden,
        format!(
            "{} (roles: {}) lacks permission {p}",
            principal.id,
            roles_text(principal)
        ),
    )
}

fn roles_text(principal: &Principal) -> String {
    let names: Vec<&str> = principal.roles.iter().map(|r| r.as_str()).collect();
    if names.is_empty() {
        "none".into()
    } else {
        names.join(", ")
    }
}
