//! HTTP ingest routes for the server's axum router: Elasticsearch `_bulk` (plus the probes
//! shippers send first), Splunk HEC and OTLP/HTTP logs.
//!
//! Every route requires an ingest token (see [`crate::IngestAuth`]) in one of the forms shippers
//! send: `Authorization: Bearer <t>`, `ApiKey base64(id:<t>)` (or `ApiKey <t>`),
//! `Basic base64(user:<t>)` or `Splunk <t>`. The only exception is `GET
//! /services/collector/health`, which Splunk also answers without a token. `GET /` (the
//! Elasticsearch version probe) requires a token like Elasticsearch does: every shipper that
//! ships with credentials also sends them on the probe.
//!
//! Routes claimed (the server must not define the same path and method):
//! - Elasticsearch ([`es_router`]): `/`, `/_bulk`, `/{index}`, `/{index}/_bulk`, `/{index}/_doc`,
//!   `/{index}/_doc/{id}`, `/{index}/_create/{id}`, `/_license`, `/_xpack`, `/_nodes`,
//!   `/_nodes/{*rest}`, `/_cluster/health`, `/_cluster/health/{index}`, `/_template/{name}`,
//!   `/_index_template/{name}`, `/_component_template/{name}`, `/_ilm/policy/{name}`,
//!   `/_ingest/pipeline/{id}`, `/_alias/{name}`, `/_data_stream/{name}`. `/{index}` answers any
//!   single-segment path the server does not route statically; nest [`es_router`] under a prefix
//!   (shippers accept a path in their Elasticsearch URL) if that is in the way.
//! - Splunk HEC ([`hec_router`]): `/services/collector`, `/services/collector/event`,
//!   `/services/collector/event/1.0`, `/services/collector/raw`, `/services/collector/raw/1.0`,
//!   `/services/collector/health`, `/services/collector/health/1.0`.
//! - OTLP ([`otlp_router`]): `/v1/logs`.
//!
//! Record peers come from axum's `ConnectInfo<SocketAddr>`: serve with
//! `into_make_service_with_connect_info::<SocketAddr>()` to fill [`crate::Record::peer`].

mod body;
mod bulk;
mod es_probes;
mod hec;
mod otlp;
mod otlp_json;
pub mod otlp_proto;

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::AtomicU64;
use std::time::Duration;

use axum::Router;
use axum::extract::ConnectInfo;
use axum::http::{HeaderValue, Method, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use axum::routing::any;
use jiff::Timestamp;

use crate::{DeadLetter, ErrorCode, IngestAuth, IngestTenant, InputMetrics, Record, RecordSink, SinkError};

pub use es_probes::ES_VERSION;

/// Settings of the HTTP ingest routes.
#[derive(Debug, Clone)]
pub struct HttpIngestConfig {
    /// Input name of records from the Elasticsearch routes.
    pub es_input: String,
    /// Input name of records from Splunk HEC.
    pub hec_input: String,
    /// Input name of records from OTLP.
    pub otlp_input: String,
    /// Largest request body as sent (compressed or not); larger gets 413.
    pub max_body_bytes: usize,
    /// Largest request body after decompression; larger gets 413.
    pub max_decoded_bytes: usize,
    /// Cluster and node name shown to Elasticsearch clients.
    pub cluster_name: String,
}

impl Default for HttpIngestConfig {
    fn default() -> HttpIngestConfig {
        HttpIngestConfig {
            es_input: "elasticsearch".into(),
            hec_input: "hec".into(),
            otlp_input: "otlp".into(),
            max_body_bytes: 32 * 1024 * 1024,
            max_decoded_bytes: 64 * 1024 * 1024,
            cluster_name: "vigil".into(),
        }
    }
}

/// State of the HTTP ingest routes (cheap to clone).
#[derive(Clone)]
pub struct HttpIngest {
    inner: Arc<Shared>,
}

impl std::fmt::Debug for HttpIngest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HttpIngest")
            .field("config", &self.inner.config)
            .finish_non_exhaustive()
    }
}

pub(crate) struct Shared {
    pub sink: Arc<dyn RecordSink>,
    pub auth: Arc<dyn IngestAuth>,
    pub config: HttpIngestConfig,
    pub es: Endpoint,
    pub hec: Endpoint,
    pub otlp: Endpoint,
    /// `_seq_no` of bulk items and the counter part of generated `_id`s.
    pub sequence: AtomicU64,
    pub cluster_uuid: String,
}

/// One endpoint family: its input name and counters.
pub(crate) struct Endpoint {
    pub input: Arc<str>,
    pub metrics: Arc<InputMetrics>,
}

impl Endpoint {
    fn new(name: &str) -> Endpoint {
        Endpoint {
            input: Arc::from(name),
            metrics: Arc::new(InputMetrics::default()),
        }
    }
}

impl HttpIngest {
    /// State for the routes, writing to `sink` and checking tokens with `auth`.
    pub fn new(config: HttpIngestConfig, sink: Arc<dyn RecordSink>, auth: Arc<dyn IngestAuth>) -> HttpIngest {
        let cluster_uuid = es_probes::cluster_uuid(&config.cluster_name);
        HttpIngest {
            inner: Arc::new(Shared {
                sink,
                auth,
                es: Endpoint::new(&config.es_input),
                hec: Endpoint::new(&config.hec_input),
                otlp: Endpoint::new(&config.otlp_input),
                config,
                sequence: AtomicU64::new(0),
                cluster_uuid,
            }),
        }
    }

    /// Counters of the Elasticsearch routes.
    pub fn es_metrics(&self) -> Arc<InputMetrics> {
        Arc::clone(&self.inner.es.metrics)
    }

    /// Counters of the Splunk HEC routes.
    pub fn hec_metrics(&self) -> Arc<InputMetrics> {
        Arc::clone(&self.inner.hec.metrics)
    }

    /// Counters of the OTLP route.
    pub fn otlp_metrics(&self) -> Arc<InputMetrics> {
        Arc::clone(&self.inner.otlp.metrics)
    }

    /// The configuration.
    pub fn config(&self) -> &HttpIngestConfig {
        &self.inner.config
    }
}

/// All HTTP ingest routes: [`es_router`], [`hec_router`] and [`otlp_router`] merged.
pub fn http_router(state: HttpIngest) -> Router {
    es_router(state.clone())
        .merge(hec_router(state.clone()))
        .merge(otlp_router(state))
}

/// The Elasticsearch-compatible routes (`_bulk` and probes). Every response carries
/// `X-Elastic-Product: Elasticsearch`; a wrong method gets an Elasticsearch-shaped 405.
pub fn es_router(state: HttpIngest) -> Router {
    es_probes::router(state).method_not_allowed_fallback(es_probes::method_not_allowed)
}

/// The Splunk HEC routes. A wrong method, or a path under `/services/collector/` that is not one
/// of them, is answered in HEC's shape (`{"text", "code"}` with the HTTP status as `code`, as
/// Splunk answers an unknown URL).
pub fn hec_router(state: HttpIngest) -> Router {
    hec::router(state)
        .route("/services/collector/{*rest}", any(hec_not_found))
        .method_not_allowed_fallback(hec_method_not_allowed)
}

/// The OTLP/HTTP logs route (`POST /v1/logs`); a wrong method gets Vigil's JSON 405.
pub fn otlp_router(state: HttpIngest) -> Router {
    otlp::router(state).method_not_allowed_fallback(method_not_allowed)
}

/// Vigil's 405: `{"error": {"code": "method_not_allowed", ...}}` (axum adds `Allow`).
pub async fn method_not_allowed(method: Method, uri: Uri) -> Response {
    error_response(
        ErrorCode::MethodNotAllowed,
        &format!(
            "{} does not take {method}; the Allow header lists what it takes",
            uri.path()
        ),
    )
}

async fn hec_not_found() -> Response {
    hec_shaped(StatusCode::NOT_FOUND, "The requested URL was not found on this server.")
}

async fn hec_method_not_allowed(method: Method) -> Response {
    hec_shaped(
        StatusCode::METHOD_NOT_ALLOWED,
        &format!("Method {method} is not allowed here; the Allow header lists what is"),
    )
}

fn hec_shaped(status: StatusCode, text: &str) -> Response {
    json_response(status, &serde_json::json!({"text": text, "code": status.as_u16()}))
}

/// The client's address, when the server provides `ConnectInfo`.
pub(crate) fn peer_of<B>(req: &axum::http::Request<B>) -> Option<SocketAddr> {
    req.extensions().get::<ConnectInfo<SocketAddr>>().map(|info| info.0)
}

/// A JSON response.
pub(crate) fn json_response(status: StatusCode, value: &serde_json::Value) -> Response {
    let body = serde_json::to_vec(value).unwrap_or_default();
    (
        status,
        [(header::CONTENT_TYPE, HeaderValue::from_static("application/json"))],
        body,
    )
        .into_response()
}

/// The `Retry-After` value of a wait: whole seconds, rounded up, at least 1. Every 429 and 503
/// Vigil sends computes it here.
pub fn retry_after_secs(wait: Duration) -> u64 {
    let secs = wait.as_secs() + u64::from(wait.subsec_nanos() > 0);
    secs.max(1)
}

/// `Retry-After` in whole seconds (see [`retry_after_secs`]).
pub(crate) fn retry_after_header(retry_after: Duration) -> (header::HeaderName, HeaderValue) {
    (header::RETRY_AFTER, HeaderValue::from(retry_after_secs(retry_after)))
}

/// Vigil's error body, `{"error":{"code":..,"message":..}}`, with the code's status.
pub fn error_response(code: ErrorCode, message: &str) -> Response {
    json_response(
        code.status(),
        &serde_json::json!({"error": {"code": code.as_str(), "message": message}}),
    )
}

/// Submits records of one request; counts accepted or backpressured.
pub(crate) async fn submit(
    shared: &Shared,
    endpoint: &Endpoint,
    tenant: &Arc<str>,
    mut records: Vec<Record>,
) -> Result<(), SinkError> {
    if records.is_empty() {
        return Ok(());
    }
    for record in &mut records {
        record.tenant = Arc::clone(tenant);
    }
    let count = records.len() as u64;
    let bytes: u64 = records.iter().map(|r| r.data.len() as u64).sum();
    match shared.sink.submit(records).await {
        Ok(()) => {
            endpoint.metrics.add_accepted(count, bytes);
            Ok(())
        }
        Err(err) => {
            if matches!(err, SinkError::Full { .. }) {
                endpoint.metrics.add_backpressured();
            } else {
                tracing::warn!(input = %endpoint.input, %err, "sink refused an http batch");
            }
            Err(err)
        }
    }
}

/// Hands dead letters (in the sender's tenant) to the sink and counts them.
pub(crate) async fn dead_letters(shared: &Shared, endpoint: &Endpoint, tenant: &Arc<str>, letters: Vec<DeadLetter>) {
    endpoint.metrics.add_rejected(letters.len() as u64);
    for letter in letters {
        shared.sink.dead_letter(letter.in_tenant(tenant)).await;
    }
}

/// The tenant the request's credential writes into (set by the routes' authentication layer).
/// `None` only for a route that was not behind it: its handler answers 401.
pub(crate) fn tenant_of<B>(req: &axum::http::Request<B>) -> Option<Arc<str>> {
    req.extensions().get::<IngestTenant>().map(|t| Arc::clone(&t.0))
}

/// The answer of a handler reached without an ingest credential.
pub(crate) fn no_tenant() -> Response {
    error_response(ErrorCode::Unauthorized, "an ingest token is required")
}

/// A dead letter of this endpoint, received now.
pub(crate) fn letter(
    endpoint: &Endpoint,
    peer: Option<SocketAddr>,
    code: &'static str,
    message: impl Into<String>,
    data: &[u8],
) -> DeadLetter {
    DeadLetter::new(Arc::clone(&endpoint.input), peer, code, message, data)
}

/// A timestamp from Unix seconds written in decimal (`1700000000`, `1700000000.25`, `-1.5`),
/// exact to the nanosecond; exponent forms go through `f64` (rounded to the microsecond).
pub(crate) fn timestamp_from_decimal(text: &str) -> Option<Timestamp> {
    let text = text.trim();
    if text.contains(['e', 'E']) {
        let secs: f64 = text.parse().ok()?;
        let micros = (secs * 1e6).round();
        if !micros.is_finite() || micros.abs() > 1e20 {
            return None;
        }
        return Timestamp::from_microsecond(micros as i64).ok();
    }
    let (negative, digits) = match text.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, text.strip_prefix('+').unwrap_or(text)),
    };
    let (whole, fraction) = digits.split_once('.').unwrap_or((digits, ""));
    let all_digits = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
    if (whole.is_empty() && fraction.is_empty()) || !all_digits(whole) || !all_digits(fraction) {
        return None;
    }
    let seconds: i64 = if whole.is_empty() { 0 } else { whole.parse().ok()? };
    let nanos = fraction
        .bytes()
        .chain(std::iter::repeat(b'0'))
        .take(9)
        .fold(0i32, |n, d| n * 10 + i32::from(d - b'0'));
    let (seconds, nanos) = if negative { (-seconds, -nanos) } else { (seconds, nanos) };
    Timestamp::new(seconds, nanos).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retry_after_rounds_up_to_whole_seconds() {
        assert_eq!(retry_after_secs(Duration::ZERO), 1);
        assert_eq!(retry_after_secs(Duration::from_millis(1)), 1);
        assert_eq!(retry_after_secs(Duration::from_millis(1500)), 2);
        assert_eq!(retry_after_secs(Duration::from_secs(3)), 3);
    }

    #[test]
    fn decimal_timestamps_are_exact() {
        let t = |s: &str| timestamp_from_decimal(s).map(|t| t.to_string());
        assert_eq!(t("1700000000.25").as_deref(), Some("2023-11-14T22:13:20.25Z"));
        assert_eq!(t(" 1700000000 ").as_deref(), Some("2023-11-14T22:13:20Z"));
        assert_eq!(t("1.7e9").as_deref(), Some("2023-11-14T22:13:20Z"));
        assert_eq!(t("0.000000001999").as_deref(), Some("1970-01-01T00:00:00.000000001Z"));
        assert_eq!(t("-1.5").as_deref(), Some("1969-12-31T23:59:58.5Z"));
        for bad in ["", ".", "abc", "1.2.3", "1e999", "99999999999999999999", "--1", "1 2"] {
            assert_eq!(t(bad), None, "{bad}");
        }
    }
}
