//! The API contract: the OpenAPI 3.1 document of every route in the route table, served at
//! `GET /api/v1/openapi.json` (and shown by the docs page, `docs.rs`) and committed as
//! `docs/openapi.json`.
//!
//! It is generated from the code in two steps. The handlers' `#[utoipa::path]` annotations give
//! each operation's parameters, body and the answers the handler itself gives, with the schemas
//! of `vigil-api-types`. Then [`document`] completes each operation from its line in the route
//! table (`routes.rs`), so the access shown cannot differ from the access enforced: the security
//! requirement, the permission (in the description and as `x-vigil-permission`), and the answers
//! of the guard and the listener (401, 403, 414, 429, 500). Tests check that the table and the
//! document list the same operations, that every `$ref` resolves and that the snapshot is current.

use std::sync::LazyLock;

use axum::{
    http::{Method, header},
    response::IntoResponse,
};
use serde_json::Value;
use utoipa::{
    IntoParams, OpenApi,
    openapi::{
        ContentBuilder, Header, ObjectBuilder, Ref, RefOr, ResponseBuilder,
        extensions::ExtensionsBuilder,
        path::{Operation, PathItem},
        schema::{Schema, Type},
        security::{ApiKey, ApiKeyValue, HttpAuthScheme, HttpBuilder, SecurityRequirement, SecurityScheme},
    },
};
use vigil_api_types::access::{Permission, Role};

use crate::{
    DEFAULT_MAX_BODY_BYTES, ErrorCode, MAX_URI_BYTES, admin, admin_view, alert_events, alert_stream, attachments,
    audit, console, coverage, docs, handover, incident_report, incidents, ingest, kpis, observables, oidc_login,
    oncall, ops, records, reports,
    routes::{Access, RouteSpec},
    rule_catalog, search, session, sources, suppressions, tasks, triage, validation, views,
};

/// Where the document is served.
pub const PATH: &str = "/api/v1/openapi.json";

/// The name of the security scheme of local users' browser sessions.
const SESSION: &str = "session";

/// The name of the security scheme of API keys.
pub const BEARER: &str = "bearer";

#[derive(OpenApi)]
#[openapi(
    info(title = "Vigil API"),
    paths(
        ops::healthz,
        ops::readyz,
        ops::metrics,
        ops::me,
        ops::status,
        search::search,
        records::alerts,
        alert_stream::stream,
        alert_events::alert,
        alert_events::alert_events,
        triage::update,
        triage::bulk,
        triage::history,
        suppressions::from_alert,
        suppressions::create,
        suppressions::list,
        suppressions::get,
        suppressions::update,
        suppressions::delete,
        suppressions::matches,
        incidents::create,
        incidents::list,
        incidents::get,
        incidents::update,
        incidents::add_note,
        incidents::link,
        incidents::merge,
        incidents::delete,
        observables::list,
        observables::add,
        observables::update,
        observables::delete,
        observables::find,
        tasks::list,
        tasks::add,
        tasks::update,
        tasks::queue,
        tasks::runbooks,
        handover::handover,
        kpis::report,
        sources::list,
        sources::expected,
        validation::create,
        validation::list,
        validation::get,
        reports::report,
        coverage::summary,
        coverage::navigator,
        oncall::list,
        incident_report::export,
        attachments::upload,
        attachments::list,
        attachments::download,
        attachments::delete,
        records::dead_letters,
        records::rules,
        records::reload_rules,
        rule_catalog::catalog,
        rule_catalog::rule,
        views::list,
        views::create,
        views::update,
        views::delete,
        ingest::ingest,
        audit::list,
        audit::export,
        admin::list_users,
        admin::create_user,
        admin::update_user,
        admin::reset_password,
        admin::list_keys,
        admin::create_key,
        admin::revoke_key,
        admin_view::roles,
        admin_view::taxonomy,
        admin_view::tenants,
        admin_view::policies,
        session::login,
        session::logout,
        session::change_password,
        oidc_login::login,
        oidc_login::callback,
        openapi_json,
        docs::index,
        docs::file,
        console::file,
    ),
    // Referenced from the stream's event schema (`contentSchema` of its `data`), not a body.
    components(schemas(vigil_api_types::console::AlertStreamEvent)),
    tags(
        (name = "operations", description = "Liveness, readiness, metrics and status."),
        (name = "identity", description = "Who the request's API key stands for."),
        (name = "search", description = "Search and aggregate stored events."),
        (name = "alerts", description = "What the rules raised, the events behind it, and its triage."),
        (name = "incidents", description = "Incidents: created from alerts, classified by RSIT, worked along NIST SP 800-61, with timelines and SLA timers."),
        (name = "suppressions", description = "Suppression rules: detection matches of a rule (or of every rule) whose event meets exact conditions raise no alert, and are counted and listed instead."),
        (name = "sources", description = "Log-source health: each source's last event, baseline, silences, uptime and MTBF, and the logsources the rules expect but nobody sends."),
        (name = "validation", description = "Detection validation: labelled attack samples replayed through the running rules, per test and per ATT&CK technique, and the detection rate's history."),
        (name = "dead-letters", description = "Records that could not be accepted or parsed, with the reason."),
        (name = "rules", description = "The running rule set: its load report, and reloading it; the catalog of its rules with their figures."),
        (name = "views", description = "Saved views of the console's pages: query parameters under a name, private or shared with the tenant."),
        (name = "ingest", description = "Vigil's native ingest: lines of text or NDJSON."),
        (name = "audit", description = "The tamper-evident audit trail."),
        (name = "admin", description = "Users, API keys, roles and tenants of the caller's tenant, and the response configuration in force (read-only)."),
        (name = "session", description = "Local users' browser sessions: login and logout."),
        (name = "api", description = "This document and its docs page."),
    )
)]
struct ApiDoc;

/// The query parameters of the listings (alerts, dead letters, audit): a time range and paging.
/// Documentation only: the handlers read them with [`crate::Params`], which refuses unknown names.
#[derive(Debug, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct Listing {
    /// Only entries at or after this time: RFC 3339 (`2026-12-01T10:00:00Z`), a date
    /// (`2026-12-01`), `now`, or an age (`30d`, `12h`, `1h30m`).
    #[param(min_length = 1)]
    pub since: Option<String>,
    /// Only entries before this time (exclusive), in the same forms as `since`.
    #[param(min_length = 1)]
    pub until: Option<String>,
    /// Entries per page, 1 to 1000 (default 100).
    #[param(minimum = 1, maximum = 1000)]
    pub limit: Option<u32>,
    /// The `next_cursor` of the previous page.
    pub cursor: Option<String>,
}

/// The paging parameters of listings without a time range (suppressions and their matches).
/// Documentation only, like [`Listing`].
#[derive(Debug, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct Paging {
    /// Entries per page, 1 to 1000 (default 100).
    #[param(minimum = 1, maximum = 1000)]
    pub limit: Option<u32>,
    /// The `next_cursor` of the previous page.
    pub cursor: Option<String>,
}

/// The document, as served and as committed in `docs/openapi.json`: pretty JSON with its keys
/// sorted, so that it is the same byte for byte on every build.
pub fn json() -> &'static str {
    static JSON: LazyLock<String> = LazyLock::new(|| {
        let mut text = serde_json::to_string_pretty(&sorted(document())).unwrap_or_default();
        text.push('\n');
        text
    });
    &JSON
}

/// `GET /api/v1/openapi.json`.
#[utoipa::path(
    get,
    path = "/api/v1/openapi.json",
    operation_id = "openapi",
    tag = "api",
    summary = "This OpenAPI 3.1 document",
    description = "The contract of the REST API, generated from the server's code (also committed as `docs/openapi.json`).",
    responses((status = 200, description = "The OpenAPI document.", body = Object, content_type = "application/json"))
)]
pub async fn openapi_json() -> impl IntoResponse {
    ([(header::CONTENT_TYPE, "application/json")], json())
}

/// The OpenAPI document of the API: the annotations, completed from the route table, with the
/// schemas of request bodies closed.
pub fn document() -> Value {
    let mut doc = serde_json::to_value(annotated()).unwrap_or_default();
    close_request_schemas(&mut doc);
    doc
}

/// The annotations' document, completed from the route table.
fn annotated() -> utoipa::openapi::OpenApi {
    let mut doc = ApiDoc::openapi();
    doc.info.description = Some(overview());
    let components = doc.components.get_or_insert_with(Default::default);
    components.security_schemes.insert(
        BEARER.into(),
        RefOr::T(SecurityScheme::Http(
            HttpBuilder::new()
                .scheme(HttpAuthScheme::Bearer)
                .bearer_format("vgl_… or JWT")
                .description(Some(
                    "An API key, `vgl_<key id>_<secret>`, created with `vigil apikey create`: \
                     `Authorization: Bearer vgl_…`. The key's role decides what it may do. \
                     With `[oidc]` configured, also an access token (JWT) of the OpenID provider; \
                     its claims map to roles (docs/access.md).",
                ))
                .build(),
        )),
    );
    components.security_schemes.insert(
        SESSION.into(),
        RefOr::T(SecurityScheme::ApiKey(ApiKey::Cookie(ApiKeyValue::with_description(
            session::COOKIE,
            "A local user's session, set by `POST /api/v1/auth/login` (HttpOnly, Secure, \
             SameSite=Lax). A change (POST, PUT, PATCH, DELETE) sent with it must come from the \
             server's own origin: `Origin` naming this host, or `Sec-Fetch-Site: same-origin`.",
        )))),
    );
    for (name, status, codes) in COMMON {
        let mut response = ResponseBuilder::new().description(codes_text(codes)).content(
            "application/json",
            ContentBuilder::new()
                .schema(Some(Ref::from_schema_name("ErrorBody")))
                .build(),
        );
        if *status == 401 {
            response = response.header("WWW-Authenticate", header_text("`Bearer`."));
        }
        if *status == 429 {
            response = response.header("Retry-After", header_integer("Seconds to wait (at least 1)."));
        }
        components.responses.insert((*name).into(), RefOr::T(response.build()));
    }
    document_error_codes(components);
    for spec in crate::routes::routes() {
        if let Some(operation) = operation_mut(&mut doc.paths.paths, &spec) {
            complete(operation, &spec);
        }
    }
    enumerate_parameters(&mut doc.paths.paths);
    doc
}

/// The answers every operation may get from the guard and the listener, by component name:
/// (name, status, codes).
const COMMON: &[(&str, u16, &[ErrorCode])] = &[
    ("Unauthorized", 401, &[ErrorCode::Unauthorized]),
    ("Forbidden", 403, &[ErrorCode::Forbidden]),
    ("UriTooLong", 414, &[ErrorCode::UriTooLong]),
    ("RateLimited", 429, &[ErrorCode::RateLimited]),
    ("Internal", 500, &[ErrorCode::Internal]),
    ("BodyTooLarge", 413, &[ErrorCode::BodyTooLarge]),
    ("UnsupportedMediaType", 415, &[ErrorCode::UnsupportedMediaType]),
];

/// What every JSON request body may be refused for, before its handler reads it.
const BODY: &[&str] = &["BodyTooLarge", "UnsupportedMediaType"];

/// The access a route needs, its security requirement, its permission and the answers of the
/// guard, from its line of the route table.
fn complete(operation: &mut Operation, spec: &RouteSpec) {
    let (access, permission) = match spec.access {
        Access::Public => ("Public: no credentials needed.".to_string(), None),
        Access::Authenticated => ("Needs an API key or a session (any role).".to_string(), None),
        Access::Needs(p) => (format!("Needs `{p}` ({}).", roles_text(p)), Some(p)),
        Access::NeedsIfMetricsAuth(p) => (
            format!(
                "Public, unless `[http] metrics_auth` is on: then it needs `{p}` ({}).",
                roles_text(p)
            ),
            Some(p),
        ),
    };
    let description = operation.description.get_or_insert_with(String::new);
    if !description.is_empty() {
        description.push_str("\n\n");
    }
    description.push_str(&format!("**Access:** {access}"));
    let bearer = || SecurityRequirement::new(BEARER, Vec::<String>::new());
    let session = || SecurityRequirement::new(SESSION, Vec::<String>::new());
    operation.security = match spec.access {
        Access::Public => Some(vec![]),
        Access::Authenticated | Access::Needs(_) => Some(vec![bearer(), session()]),
        Access::NeedsIfMetricsAuth(_) => Some(vec![bearer(), session(), SecurityRequirement::default()]),
    };
    if let Some(p) = permission {
        let extensions = ExtensionsBuilder::new().add("x-vigil-permission", p.as_str()).build();
        operation
            .extensions
            .get_or_insert_with(Default::default)
            .merge(extensions);
    }
    let guard: &[&str] = match spec.access {
        Access::Public => &["UriTooLong", "RateLimited"],
        // 403 here: a cookie-authenticated change from another origin.
        Access::Authenticated => &["Unauthorized", "Forbidden", "UriTooLong", "RateLimited", "Internal"],
        Access::Needs(_) | Access::NeedsIfMetricsAuth(_) => {
            &["Unauthorized", "Forbidden", "UriTooLong", "RateLimited", "Internal"]
        }
    };
    let responses = &mut operation.responses.responses;
    for (name, status, codes) in COMMON.iter().filter(|(name, ..)| guard.contains(name)) {
        // A handler's own answer of that status (e.g. ingest's 429 `backpressure`) lists both.
        match responses.get_mut(&status.to_string()) {
            Some(RefOr::T(own)) => own.description = format!("{}\n\n{}", own.description, codes_text(codes)),
            Some(RefOr::Ref(_)) => {}
            None => {
                responses.insert(status.to_string(), RefOr::Ref(Ref::from_response_name(*name)));
            }
        }
    }
    if operation.request_body.is_some() {
        for (name, status, _) in COMMON.iter().filter(|(name, ..)| BODY.contains(name)) {
            responses
                .entry(status.to_string())
                .or_insert_with(|| RefOr::Ref(Ref::from_response_name(*name)));
        }
    }
}

/// The operation of `spec` in the document, if it is there.
fn operation_mut<'a>(
    paths: &'a mut std::collections::BTreeMap<String, PathItem>,
    spec: &RouteSpec,
) -> Option<&'a mut Operation> {
    let item = paths.get_mut(spec.path)?;
    match spec.method {
        Method::GET => item.get.as_mut(),
        Method::POST => item.post.as_mut(),
        Method::PUT => item.put.as_mut(),
        Method::DELETE => item.delete.as_mut(),
        Method::PATCH => item.patch.as_mut(),
        _ => None,
    }
}

/// The roles that grant `p`, for people.
fn roles_text(p: Permission) -> String {
    let roles: Vec<&str> = Role::ALL.iter().filter(|r| r.grants(p)).map(|r| r.as_str()).collect();
    format!("roles: {}", roles.join(", "))
}

/// `code`: meaning, one per line.
fn codes_text(codes: &[ErrorCode]) -> String {
    let lines: Vec<String> = codes
        .iter()
        .map(|c| format!("`{}`: {}", c.as_str(), c.meaning()))
        .collect();
    lines.join("\n\n")
}

fn header_text(description: &str) -> Header {
    let mut h = Header::new(ObjectBuilder::new().schema_type(Type::String));
    h.description = Some(description.into());
    h
}

fn header_integer(description: &str) -> Header {
    let mut h = Header::new(ObjectBuilder::new().schema_type(Type::Integer).minimum(Some(1)));
    h.description = Some(description.into());
    h
}

/// The error codes are listed in the description of `ErrorDetail.code`, not as an `enum`: codes
/// are only ever added, and a client must accept one it does not know.
fn document_error_codes(components: &mut utoipa::openapi::Components) {
    let Some(RefOr::T(Schema::Object(detail))) = components.schemas.get_mut("ErrorDetail") else {
        return;
    };
    if let Some(RefOr::T(Schema::Object(code))) = detail.properties.get_mut("code") {
        let names: Vec<String> = ErrorCode::ALL.iter().map(|c| format!("`{}`", c.as_str())).collect();
        code.description = Some(format!(
            "A stable code (docs/http-errors.md): {}. Codes are only added, never renamed.",
            names.join(", ")
        ));
    }
}

/// Query parameters whose words come from the server's tables get them as an `enum`.
fn enumerate_parameters(paths: &mut std::collections::BTreeMap<String, PathItem>) {
    let levels: Vec<&str> = vigil_event::Level::ALL.iter().map(|l| l.name()).collect();
    let codes: Vec<&str> = vigil_event::DeadLetterCode::ALL.iter().map(|c| c.as_str()).collect();
    let formats: Vec<&str> = vigil_parse::Format::ALL
        .iter()
        .filter(|f| **f != vigil_parse::Format::Evtx)
        .map(|f| f.name())
        .collect();
    let table: [(&str, &str, &[&str]); 3] = [
        ("/api/v1/alerts", "min_level", &levels),
        ("/api/v1/dead-letters", "code", &codes),
        ("/api/v1/ingest", "format", &formats),
    ];
    for (path, name, words) in table {
        let operations = paths
            .get_mut(path)
            .into_iter()
            .flat_map(|item| [&mut item.get, &mut item.post].into_iter().filter_map(|o| o.as_mut()));
        for operation in operations {
            for parameter in operation.parameters.iter_mut().flatten() {
                if let RefOr::T(p) = parameter
                    && p.name == name
                {
                    p.schema = Some(
                        ObjectBuilder::new()
                            .schema_type(Type::String)
                            .enum_values(Some(words.iter().copied()))
                            .into(),
                    );
                }
            }
        }
    }
}

/// Marks every object schema a request body uses `additionalProperties: false`: request bodies
/// refuse unknown fields at every depth (`#[serde(deny_unknown_fields)]`; utoipa marks only the
/// top-level struct, not the variants of an enum). Maps and free-form objects stay open.
fn close_request_schemas(doc: &mut Value) {
    fn refs(node: &Value, out: &mut Vec<String>) {
        match node {
            Value::Object(map) => {
                if let Some(Value::String(r)) = map.get("$ref")
                    && let Some(name) = r.strip_prefix("#/components/schemas/")
                {
                    out.push(name.to_string());
                }
                map.values().for_each(|v| refs(v, out));
            }
            Value::Array(items) => items.iter().for_each(|v| refs(v, out)),
            _ => {}
        }
    }
    fn close(node: &mut Value) {
        match node {
            Value::Object(map) => {
                if map.contains_key("properties") && !map.contains_key("additionalProperties") {
                    map.insert("additionalProperties".into(), Value::Bool(false));
                }
                map.values_mut().for_each(close);
            }
            Value::Array(items) => items.iter_mut().for_each(close),
            _ => {}
        }
    }
    let mut pending = Vec::new();
    if let Some(paths) = doc["paths"].as_object_mut() {
        for item in paths.values_mut() {
            for operation in item.as_object_mut().into_iter().flat_map(|o| o.values_mut()) {
                if let Some(body) = operation.get_mut("requestBody") {
                    close(body);
                    refs(body, &mut pending);
                }
            }
        }
    }
    let mut done = std::collections::BTreeSet::new();
    while let Some(name) = pending.pop() {
        if !done.insert(name.clone()) {
            continue;
        }
        if let Some(schema) = doc["components"]["schemas"].get_mut(&name) {
            close(schema);
            refs(schema, &mut pending);
        }
    }
}

/// What the whole API has in common: authentication, errors, limits, and what is left out.
fn overview() -> String {
    format!(
        "Vigil's REST API: search, alerts, incidents, suppression rules, dead letters, rules, native ingest, the audit trail, health and metrics. \
         The docs page is at `/api/v1/docs`.\n\n\
         **Authentication.** Send an API key as `Authorization: Bearer vgl_…` (create one with `vigil apikey create`), \
         or, with `[oidc]` configured, an access token of the OpenID provider as `Authorization: Bearer <JWT>`; \
         browsers use the session cookie of `POST /api/v1/auth/login` or `GET /api/v1/auth/oidc/login`. \
         Each operation says what it needs: nothing (public), any key, or a permission the key's role grants \
         (`x-vigil-permission`; the table of roles and permissions is in docs/access.md).\n\n\
         **Errors** are JSON `{{\"error\": {{\"code\": \"...\", \"message\": \"...\"}}}}` with a stable code \
         (docs/http-errors.md); the message is for people. Every operation may also answer 414 `uri_too_long` \
         (a request target over {uri} KiB) and 429 `rate_limited` (`[http] api_rate_limit`, with `Retry-After`); a path \
         no route has is 404 `not_found`, a method a path does not take 405 `method_not_allowed` (with `Allow`).\n\n\
         **Limits.** A request body is at most `[http] max_body` bytes ({body} MiB unless configured); larger is \
         413 `body_too_large`. Listings return `limit` entries per page (1 to 1000, default 100) and a `next_cursor` \
         for the next one; a search returns `size` hits (0 to 10000, default 100). Unknown query parameters, a \
         parameter given twice and unknown body fields are refused with 400 `bad_request`.\n\n\
         **Not described here.** The same listener speaks other products' ingest protocols, in their shapes: \
         Elasticsearch (`/_bulk`, `/{{index}}/_doc`, `/{{index}}/_bulk` and the probes), Splunk HEC \
         (`/services/collector…`) and OTLP/HTTP logs (`/v1/logs`). Their clients are those products' own; \
         docs/http-errors.md describes their answers.",
        uri = MAX_URI_BYTES >> 10,
        body = DEFAULT_MAX_BODY_BYTES >> 20,
    )
}

/// `value` with the keys of every object sorted, so the document's text does not depend on the
/// order of hash maps.
fn sorted(value: Value) -> Value {
    match value {
        Value::Object(map) => {
            let mut entries: Vec<(String, Value)> = map.into_iter().collect();
            entries.sort_by(|a, b| a.0.cmp(&b.0));
            Value::Object(entries.into_iter().map(|(k, v)| (k, sorted(v))).collect())
        }
        Value::Array(items) => Value::Array(items.into_iter().map(sorted).collect()),
        other => other,
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use serde_json::json;

    use super::*;

    fn doc() -> Value {
        let doc: Value = serde_json::from_str(json()).expect("the document is JSON");
        assert_eq!(doc, document());
        doc
    }

    /// (method, path) of every operation in the document.
    fn operations(doc: &Value) -> BTreeSet<(String, String)> {
        let mut out = BTreeSet::new();
        for (path, item) in doc["paths"].as_object().expect("paths") {
            for method in item.as_object().expect("path item").keys() {
                if ["get", "put", "post", "delete", "patch", "head", "options", "trace"].contains(&method.as_str()) {
                    out.insert((method.to_uppercase(), path.clone()));
                }
            }
        }
        out
    }

    #[test]
    fn every_route_is_documented_and_every_operation_is_routed() {
        let doc = doc();
        // axum's `{id}` is OpenAPI's `{id}`: the paths compare as they are.
        let routed: BTreeSet<(String, String)> = crate::routes::routes()
            .iter()
            .map(|r| (r.method.to_string(), r.path.to_string()))
            .collect();
        let documented = operations(&doc);
        let undocumented: Vec<_> = routed.difference(&documented).collect();
        let unrouted: Vec<_> = documented.difference(&routed).collect();
        assert!(
            undocumented.is_empty(),
            "routes without an operation (add #[utoipa::path] and list the handler in ApiDoc): {undocumented:?}"
        );
        assert!(unrouted.is_empty(), "operations no route serves: {unrouted:?}");
    }

    #[test]
    fn each_operation_carries_its_routes_access() {
        let doc = doc();
        let mut ids = BTreeSet::new();
        for spec in crate::routes::routes() {
            let op = &doc["paths"][spec.path][spec.method.as_str().to_lowercase()];
            let id = op["operationId"].as_str().unwrap_or_default();
            assert!(ids.insert(id.to_string()), "operation id `{id}` is not unique");
            assert!(
                !op["summary"].as_str().unwrap_or_default().is_empty(),
                "{id}: no summary"
            );
            assert!(op["tags"].as_array().is_some_and(|t| t.len() == 1), "{id}: one tag");
            let description = op["description"].as_str().unwrap_or_default();
            assert!(
                ["200", "201", "204", "303"]
                    .iter()
                    .any(|s| op["responses"][s].is_object()),
                "{id}"
            );
            assert!(op["responses"]["429"].is_object(), "{id}: no 429");
            match spec.access {
                Access::Public => {
                    assert_eq!(op["security"], json!([]), "{id}");
                    assert!(description.contains("Public"), "{id}: {description}");
                    // Only the logins answer 401 on a public route (a wrong password, a refused
                    // OpenID answer), not the guard.
                    assert!(
                        op["responses"]["401"].is_null() || ["login", "oidcCallback"].contains(&id),
                        "{id}"
                    );
                }
                Access::Authenticated => {
                    assert_eq!(op["security"], json!([{"bearer": []}, {"session": []}]), "{id}");
                    assert!(op["responses"]["401"].is_object(), "{id}");
                }
                Access::Needs(p) => {
                    assert_eq!(op["security"], json!([{"bearer": []}, {"session": []}]), "{id}");
                    assert_eq!(op["x-vigil-permission"], p.as_str(), "{id}");
                    assert!(description.contains(&format!("Needs `{p}`")), "{id}: {description}");
                    assert!(op["responses"]["403"].is_object(), "{id}");
                }
                Access::NeedsIfMetricsAuth(p) => {
                    assert_eq!(op["security"], json!([{"bearer": []}, {"session": []}, {}]), "{id}");
                    assert_eq!(op["x-vigil-permission"], p.as_str(), "{id}");
                }
            }
            for (status, response) in op["responses"].as_object().expect("responses") {
                if status.starts_with('4') || status.starts_with('5') {
                    let schema = response
                        .get("$ref")
                        .map(|r| {
                            doc["components"]["responses"][r.as_str().unwrap_or("").rsplit('/').next().unwrap_or("")]
                                .clone()
                        })
                        .unwrap_or_else(|| response.clone());
                    assert!(
                        schema["content"]["application/json"]["schema"].is_object(),
                        "{id} {status}: an error answer without its JSON shape"
                    );
                }
            }
        }
    }

    /// Every `$ref` in the document points at something in it.
    #[test]
    fn every_reference_resolves() {
        fn walk(node: &Value, doc: &Value, seen: &mut usize) {
            match node {
                Value::Object(map) => {
                    if let Some(Value::String(target)) = map.get("$ref") {
                        let pointer = target
                            .strip_prefix('#')
                            .unwrap_or_else(|| panic!("external $ref {target}"));
                        assert!(doc.pointer(pointer).is_some(), "$ref {target} resolves to nothing");
                        *seen += 1;
                    }
                    map.values().for_each(|v| walk(v, doc, seen));
                }
                Value::Array(items) => items.iter().for_each(|v| walk(v, doc, seen)),
                _ => {}
            }
        }
        let doc = doc();
        let mut seen = 0;
        walk(&doc, &doc, &mut seen);
        assert!(seen > 20, "only {seen} references: is the walk broken?");
    }

    #[test]
    fn the_document_is_openapi_3_1_with_the_bearer_scheme() {
        let doc = doc();
        assert!(
            doc["openapi"].as_str().is_some_and(|v| v.starts_with("3.1")),
            "{}",
            doc["openapi"]
        );
        assert_eq!(doc["info"]["title"], "Vigil API");
        assert_eq!(doc["info"]["version"], env!("CARGO_PKG_VERSION"));
        let bearer = &doc["components"]["securitySchemes"]["bearer"];
        assert_eq!(
            (bearer["type"].as_str(), bearer["scheme"].as_str()),
            (Some("http"), Some("bearer"))
        );
    }

    /// The limits the document states are the ones the server enforces.
    #[test]
    fn the_documented_limits_are_the_servers() {
        let doc = doc();
        let schemas = &doc["components"]["schemas"];
        assert_eq!(
            schemas["SearchBody"]["properties"]["size"]["maximum"],
            vigil_store::MAX_SIZE
        );
        let terms = schemas["Agg"]["oneOf"]
            .as_array()
            .and_then(|v| v.iter().find(|s| s["properties"]["terms"].is_object()))
            .expect("the terms aggregation");
        assert_eq!(
            terms["properties"]["terms"]["properties"]["size"]["maximum"],
            vigil_store::aggs::MAX_TERMS_SIZE
        );
        let limit = doc["paths"]["/api/v1/alerts"]["get"]["parameters"]
            .as_array()
            .and_then(|p| p.iter().find(|p| p["name"] == "limit"))
            .expect("limit");
        assert_eq!(
            (limit["schema"]["minimum"].as_u64(), limit["schema"]["maximum"].as_u64()),
            (Some(1), Some(1000))
        );
        let first = doc["paths"]["/api/v1/ingest"]["post"]["parameters"]
            .as_array()
            .and_then(|p| p.iter().find(|p| p["name"] == "first"))
            .expect("first");
        assert_eq!(first["schema"]["maximum"].as_u64(), Some(ingest::MAX_FIRST));
        let max_body = format!("{} MiB", DEFAULT_MAX_BODY_BYTES >> 20);
        assert!(
            doc["info"]["description"]
                .as_str()
                .is_some_and(|d| d.contains(&max_body))
        );
    }

    /// Request bodies refuse unknown fields, and say so.
    #[test]
    fn request_bodies_refuse_unknown_fields() {
        let doc = doc();
        let schemas = &doc["components"]["schemas"];
        assert_eq!(schemas["SearchBody"]["additionalProperties"], false);
        for variant in schemas["Agg"]["oneOf"].as_array().expect("variants") {
            assert_eq!(variant["additionalProperties"], false, "{variant}");
            for (_, inner) in variant["properties"].as_object().expect("one property") {
                // `{"count": {}}` takes no field at all.
                let closed = inner["additionalProperties"] == false || inner["maxProperties"] == 0;
                assert!(closed, "{variant}");
            }
        }
        let e = crate::parse_json::<vigil_api_types::search::SearchBody>(
            br#"{"aggs": {"a": {"terms": {"field": "x", "sise": 1}}}}"#,
        )
        .expect_err("unknown field");
        assert!(e.message.contains("sise"), "{}", e.message);
    }

    /// `docs/openapi.json` is the document as generated, so a change of the API shows in review.
    #[test]
    fn the_committed_document_is_current() {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../docs/openapi.json");
        let generated = json();
        if std::env::var_os("VIGIL_UPDATE_OPENAPI").is_some_and(|v| v == "1") {
            std::fs::write(&path, generated).expect("write docs/openapi.json");
            return;
        }
        let committed = std::fs::read_to_string(&path).unwrap_or_default();
        assert!(
            committed == generated,
            "docs/openapi.json is not the document the code generates. If the change of the API is meant, \
             regenerate it with\n    VIGIL_UPDATE_OPENAPI=1 cargo test -p vigil-api the_committed_document_is_current\n\
             and review the diff."
        );
    }
}
