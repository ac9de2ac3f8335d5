//! The Elasticsearch-compatible router: authentication, the product header, error bodies, and
//! the minimal answers to the probes Beats, Logstash, Fluent Bit, Vector and elasticsearch-py
//! send before shipping (version, licence, templates, ILM policies, index and data-stream checks).

use axum::Router;
use axum::extract::{Path, Request, State};
use axum::http::{HeaderValue, Method, StatusCode, Uri, header};
use axum::middleware::{self, Next};
use axum::response::Response;
use axum::routing::{get, post};
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde_json::{Value, json};

use super::{HttpIngest, bulk, json_response};
use crate::ErrorCode;
use crate::auth::{AuthOutcome, authorize};

/// The Elasticsearch version reported to clients.
pub const ES_VERSION: &str = "8.11.0";
const LUCENE_VERSION: &str = "9.8.0";
const BUILD_HASH: &str = "d9ec3fa628c7b0ba3d25692e277ba26814820b20";
const BUILD_DATE: &str = "2023-11-04T10:04:57.184859352Z";
/// Issue date of the reported basic licence (2024-01-01T00:00:00Z).
const LICENSE_ISSUED_MS: i64 = 1_704_067_200_000;

/// A stable, Elasticsearch-looking UUID derived from the cluster name (FNV-1a, two seeds).
pub(crate) fn cluster_uuid(cluster_name: &str) -> String {
    let fnv = |seed: u64| {
        cluster_name
            .bytes()
            .fold(seed, |h, b| (h ^ u64::from(b)).wrapping_mul(0x0000_0100_0000_01b3))
    };
    let mut bytes = [0u8; 16];
    bytes[..8].copy_from_slice(&fnv(0xcbf2_9ce4_8422_2325).to_be_bytes());
    bytes[8..].copy_from_slice(&fnv(0x6c62_272e_07bb_0142).to_be_bytes());
    URL_SAFE_NO_PAD.encode(bytes)
}

/// An Elasticsearch error body: `{"error":{"root_cause":[..],"type":..,"reason":..,"code":..},"status":N}`,
/// with the status of `code`, Vigil's stable error code.
pub(crate) fn es_error(code: ErrorCode, kind: &str, reason: &str) -> Response {
    let status = code.status();
    json_response(
        status,
        &json!({
            "error": {
                "root_cause": [{"type": kind, "reason": reason}],
                "type": kind,
                "reason": reason,
                "code": code.as_str(),
            },
            "status": status.as_u16(),
        }),
    )
}

/// A wrong method on an Elasticsearch route, worded as Elasticsearch does (axum adds `Allow`).
pub(super) async fn method_not_allowed(method: Method, uri: Uri) -> Response {
    let reason = format!("Incorrect HTTP method for uri [{uri}] and method [{method}]");
    product_header(es_error(ErrorCode::MethodNotAllowed, "method_not_allowed", &reason)).await
}

fn unauthorized(reason: &str) -> Response {
    let mut response = es_error(ErrorCode::Unauthorized, "security_exception", reason);
    for challenge in [
        "Basic realm=\"security\" charset=\"UTF-8\"",
        "Bearer realm=\"security\"",
        "ApiKey",
    ] {
        response
            .headers_mut()
            .append(header::WWW_AUTHENTICATE, HeaderValue::from_static(challenge));
    }
    response
}

async fn require_token(State(state): State<HttpIngest>, mut req: Request, next: Next) -> Response {
    state.inner.es.metrics.add_request();
    match authorize(&*state.inner.auth, req.headers()).await {
        AuthOutcome::Allowed(tenant) => {
            req.extensions_mut().insert(tenant);
            next.run(req).await
        }
        AuthOutcome::Missing => unauthorized("missing authentication credentials for REST request"),
        AuthOutcome::Malformed | AuthOutcome::Denied => {
            unauthorized("unable to authenticate with provided credentials")
        }
        AuthOutcome::Unavailable => crate::http::error_response(
            ErrorCode::Unavailable,
            "the token cannot be checked now (the identity provider's keys are not loaded); retry",
        ),
    }
}

async fn product_header(mut response: Response) -> Response {
    response
        .headers_mut()
        .insert("x-elastic-product", HeaderValue::from_static("Elasticsearch"));
    response
}

pub(super) fn router(state: HttpIngest) -> Router {
    Router::new()
        .route("/", get(info))
        .route("/_bulk", post(bulk::bulk).put(bulk::bulk))
        .route("/{index}/_bulk", post(bulk::bulk_index).put(bulk::bulk_index))
        .route("/{index}/_doc", post(bulk::doc_auto_id))
        .route("/{index}/_doc/{id}", post(bulk::doc).put(bulk::doc))
        .route("/{index}/_create/{id}", post(bulk::doc).put(bulk::doc))
        .route("/_license", get(license))
        .route("/_xpack", get(xpack))
        .route("/_nodes", get(nodes))
        .route("/_nodes/{*rest}", get(nodes))
        .route("/_cluster/health", get(health))
        .route("/_cluster/health/{index}", get(health))
        .route("/_template/{name}", get(template).put(acknowledged))
        .route("/_index_template/{name}", get(index_template).put(acknowledged))
        .route("/_component_template/{name}", get(component_template).put(acknowledged))
        .route("/_ilm/policy/{name}", get(ilm_policy).put(acknowledged))
        .route("/_ingest/pipeline/{id}", get(pipeline).put(acknowledged))
        .route("/_alias/{name}", get(alias))
        .route("/_data_stream/{name}", get(data_stream).put(acknowledged))
        .route("/{index}", get(index_info).put(create_index))
        .route_layer(middleware::from_fn_with_state(state.clone(), require_token))
        .layer(middleware::map_response(product_header))
        .with_state(state)
}

fn ok(value: Value) -> Response {
    json_response(StatusCode::OK, &value)
}

async fn info(State(state): State<HttpIngest>) -> Response {
    let name = &state.inner.config.cluster_name;
    ok(json!({
        "name": name,
        "cluster_name": name,
        "cluster_uuid": state.inner.cluster_uuid,
        "version": {
            "number": ES_VERSION,
            "build_flavor": "default",
            "build_type": "docker",
            "build_hash": BUILD_HASH,
            "build_date": BUILD_DATE,
            "build_snapshot": false,
            "lucene_version": LUCENE_VERSION,
            "minimum_wire_compatibility_version": "7.17.0",
            "minimum_index_compatibility_version": "7.0.0",
        },
        "tagline": "You Know, for Search",
    }))
}

fn license_uid(state: &HttpIngest) -> String {
    cluster_uuid(&format!("license:{}", state.inner.config.cluster_name))
}

async fn license(State(state): State<HttpIngest>) -> Response {
    ok(json!({
        "license": {
            "status": "active",
            "uid": license_uid(&state),
            "type": "basic",
            "issue_date": "2024-01-01T00:00:00.000Z",
            "issue_date_in_millis": LICENSE_ISSUED_MS,
            "max_nodes": 1000,
            "max_resource_units": null,
            "issued_to": state.inner.config.cluster_name,
            "issuer": "elasticsearch",
            "start_date_in_millis": -1,
        }
    }))
}

async fn xpack(State(state): State<HttpIngest>) -> Response {
    let feature = |on: bool| json!({"available": on, "enabled": on});
    ok(json!({
        "build": {"hash": BUILD_HASH, "date": BUILD_DATE},
        "license": {
            "uid": license_uid(&state),
            "type": "basic",
            "mode": "basic",
            "status": "active",
        },
        "features": {
            "ilm": feature(true),
            "security": feature(true),
            "monitoring": feature(true),
            "data_streams": feature(true),
            "ml": feature(false),
            "watcher": feature(false),
            "graph": feature(false),
        },
        "tagline": "You know, for X",
    }))
}

async fn nodes(State(state): State<HttpIngest>) -> Response {
    let name = &state.inner.config.cluster_name;
    let node_id = &state.inner.cluster_uuid;
    ok(json!({
        "_nodes": {"total": 1, "successful": 1, "failed": 0},
        "cluster_name": name,
        "nodes": {
            node_id: {
                "name": name,
                "version": ES_VERSION,
                "build_flavor": "default",
                "build_type": "docker",
                "build_hash": BUILD_HASH,
                "roles": ["data", "ingest", "master"],
                "attributes": {},
            }
        }
    }))
}

async fn health(State(state): State<HttpIngest>) -> Response {
    ok(json!({
        "cluster_name": state.inner.config.cluster_name,
        "status": "green",
        "timed_out": false,
        "number_of_nodes": 1,
        "number_of_data_nodes": 1,
        "active_primary_shards": 0,
        "active_shards": 0,
        "relocating_shards": 0,
        "initializing_shards": 0,
        "unassigned_shards": 0,
        "delayed_unassigned_shards": 0,
        "number_of_pending_tasks": 0,
        "number_of_in_flight_fetch": 0,
        "task_max_waiting_in_queue_millis": 0,
        "active_shards_percent_as_number": 100.0,
    }))
}

async fn acknowledged() -> Response {
    ok(json!({"acknowledged": true}))
}

/// Templates, policies and pipelines "exist" so shippers do not try to install theirs; when they
/// install anyway (PUT) the answer is an acknowledgement. Vigil maps fields itself.
async fn template(Path(name): Path<String>) -> Response {
    ok(json!({
        name: {"order": 0, "index_patterns": ["*"], "settings": {}, "mappings": {}, "aliases": {}}
    }))
}

async fn index_template(Path(name): Path<String>) -> Response {
    ok(json!({
        "index_templates": [{
            "name": name,
            "index_template": {
                "index_patterns": [format!("{name}*")],
                "template": {"settings": {}, "mappings": {}},
                "composed_of": [],
                "priority": 0,
                "data_stream": {"hidden": false, "allow_custom_routing": false},
            }
        }]
    }))
}

async fn component_template(Path(name): Path<String>) -> Response {
    ok(json!({
        "component_templates": [{"name": name, "component_template": {"template": {}}}]
    }))
}

async fn ilm_policy(Path(name): Path<String>) -> Response {
    ok(json!({
        name: {
            "version": 1,
            "modified_date": "2024-01-01T00:00:00.000Z",
            "policy": {
                "phases": {"hot": {"min_age": "0ms", "actions": {"rollover": {"max_age": "30d"}}}}
            }
        }
    }))
}

async fn pipeline(Path(id): Path<String>) -> Response {
    ok(json!({id: {"description": "accepted by vigil", "processors": []}}))
}

async fn alias(Path(name): Path<String>) -> Response {
    ok(json!({name.clone(): {"aliases": {name: {"is_write_index": true}}}}))
}

async fn data_stream(Path(name): Path<String>) -> Response {
    ok(json!({
        "data_streams": [{
            "name": name,
            "timestamp_field": {"name": "@timestamp"},
            "indices": [],
            "generation": 1,
            "status": "GREEN",
            "template": name,
            "hidden": false,
            "system": false,
            "allow_custom_routing": false,
            "replicated": false,
        }]
    }))
}

fn invalid_index(name: &str) -> Option<Response> {
    name.starts_with(['_', '-', '+']).then(|| {
        es_error(
            ErrorCode::BadRequest,
            "invalid_index_name_exception",
            &format!("Invalid index name [{name}], must not start with '_', '-', or '+'"),
        )
    })
}

async fn index_info(State(state): State<HttpIngest>, Path(index): Path<String>) -> Response {
    if let Some(error) = invalid_index(&index) {
        return error;
    }
    ok(json!({
        index.clone(): {
            "aliases": {},
            "mappings": {},
            "settings": {"index": {
                "number_of_shards": "1",
                "number_of_replicas": "0",
                "provided_name": index,
                "uuid": cluster_uuid(&format!("index:{index}:{}", state.inner.config.cluster_name)),
                "creation_date": LICENSE_ISSUED_MS.to_string(),
            }}
        }
    }))
}

async fn create_index(Path(index): Path<String>) -> Response {
    if let Some(error) = invalid_index(&index) {
        return error;
    }
    ok(json!({"acknowledged": true, "shards_acknowledged": true, "index": index}))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cluster_uuid_is_stable_and_distinct() {
        assert_eq!(cluster_uuid("vigil"), cluster_uuid("vigil"));
        assert_ne!(cluster_uuid("vigil"), cluster_uuid("vigil2"));
        assert_eq!(cluster_uuid("vigil").len(), 22);
    }
}
