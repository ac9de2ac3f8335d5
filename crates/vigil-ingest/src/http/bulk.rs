//! Elasticsearch `_bulk` (and single-document `_doc`/`_create`) ingestion.
//!
//! NDJSON action/source pairs; `index` and `create` become [`RecordFormat::Json`] records with the
//! source line as data and attributes `index` and (when given) `id`. An item is answered `201
//! created` only when it will be stored: a source that the pipeline would refuse (not a JSON
//! object, invalid UTF-8, nested past serde_json's limit, a number out of range, over the record
//! limit — see [`crate::admit`]) gets its own 400 error (`mapper_parsing_exception`, or
//! `illegal_argument_exception` for size) with `"errors": true` and is dead-lettered, while the
//! other items are stored. `delete` and `update` get a per-item error without failing the others.
//! A malformed action line makes the whole request 400, as in Elasticsearch (the pairing of the
//! following lines is unknown).

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Instant;

use axum::extract::{Path, Request, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::Response;
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use bytes::Bytes;
use jiff::Timestamp;
use serde_json::{Map, Value, json};

use super::body::{BodyError, read_body};
use super::es_probes::es_error;
use super::{
    HttpIngest, Shared, dead_letters, json_response, letter, no_tenant, peer_of, retry_after_header, submit, tenant_of,
};
use crate::{DeadLetter, ErrorCode, Record, RecordFormat, Refusal, SinkError, admit, codes};

const SHARDS: fn() -> Value = || json!({"total": 1, "successful": 1, "failed": 0});

/// Elasticsearch's answer for a created document (a `_bulk` item adds its `status`).
fn created(index: &str, id: &str, seq: u64) -> Value {
    json!({
        "_index": index,
        "_id": id,
        "_version": 1,
        "result": "created",
        "_shards": SHARDS(),
        "_seq_no": seq,
        "_primary_term": 1,
    })
}

/// `POST|PUT /_bulk`
pub(super) async fn bulk(State(state): State<HttpIngest>, req: Request) -> Response {
    bulk_inner(state, None, req).await
}

/// `POST|PUT /{index}/_bulk`
pub(super) async fn bulk_index(State(state): State<HttpIngest>, Path(index): Path<String>, req: Request) -> Response {
    bulk_inner(state, Some(index), req).await
}

/// Content types Elasticsearch clients send; a missing one is accepted too.
fn content_type_error(headers: &HeaderMap) -> Option<Response> {
    let value = headers.get(header::CONTENT_TYPE)?;
    let mime = value
        .to_str()
        .unwrap_or("")
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase();
    match mime.as_str() {
        "application/json"
        | "application/x-ndjson"
        | "application/vnd.elasticsearch+json"
        | "application/vnd.elasticsearch+x-ndjson" => None,
        _ => Some(es_error(
            ErrorCode::NotAcceptable,
            "media_type_header_exception",
            &format!(
                "Content-Type header [{}] is not supported",
                value.to_str().unwrap_or("?")
            ),
        )),
    }
}

/// Maps a body error to an Elasticsearch answer (dead-lettering corrupt compressed bodies).
async fn body_error(shared: &Shared, peer: Option<SocketAddr>, tenant: &Arc<str>, err: BodyError) -> Response {
    let message = err.message();
    match err {
        BodyError::TooLarge(_) => es_error(ErrorCode::BodyTooLarge, "content_too_long_exception", &message),
        BodyError::BadEncoding { raw, .. } => {
            let dead = letter(&shared.es, peer, codes::BAD_ENCODING, &message, &raw);
            dead_letters(shared, &shared.es, tenant, vec![dead]).await;
            es_error(ErrorCode::BadEncoding, "parse_exception", &message)
        }
        BodyError::UnsupportedEncoding(_) => {
            es_error(ErrorCode::UnsupportedEncoding, "illegal_argument_exception", &message)
        }
        BodyError::Read(_) => es_error(ErrorCode::BadRequest, "parse_exception", &message),
    }
}

/// The answer when the sink refused the records: nothing was acknowledged.
fn sink_error(err: SinkError) -> Response {
    match err {
        SinkError::Full { retry_after } => {
            let mut response = es_error(
                ErrorCode::Backpressure,
                "es_rejected_execution_exception",
                "rejected execution: the ingest spool is full, retry later",
            );
            let (name, value) = retry_after_header(retry_after);
            response.headers_mut().insert(name, value);
            response
        }
        SinkError::TooLarge(reason) => es_error(ErrorCode::BodyTooLarge, "content_too_long_exception", &reason),
        SinkError::Unavailable(_) => es_error(
            ErrorCode::Unavailable,
            "unavailable_shards_exception",
            "the ingest spool is unavailable, retry later",
        ),
    }
}

/// Reads the body after the content-type check; errors are final answers.
async fn request_body(
    shared: &Shared,
    peer: Option<SocketAddr>,
    tenant: &Arc<str>,
    req: Request,
) -> Result<Bytes, Response> {
    if let Some(response) = content_type_error(req.headers()) {
        return Err(response);
    }
    let (parts, body) = req.into_parts();
    let config = &shared.config;
    match read_body(&parts.headers, body, config.max_body_bytes, config.max_decoded_bytes).await {
        Ok(bytes) => Ok(bytes),
        Err(err) => Err(body_error(shared, peer, tenant, err).await),
    }
}

async fn bulk_inner(state: HttpIngest, path_index: Option<String>, req: Request) -> Response {
    let started = Instant::now();
    let shared = Arc::clone(&state.inner);
    let peer = peer_of(&req);
    let Some(tenant) = tenant_of(&req) else {
        return no_tenant();
    };
    let body = match request_body(&shared, peer, &tenant, req).await {
        Ok(body) => body,
        Err(response) => return response,
    };
    let parse_shared = Arc::clone(&shared);
    let parsed =
        tokio::task::spawn_blocking(move || parse_bulk(&parse_shared, &body, path_index.as_deref(), peer)).await;
    let parsed = match parsed {
        Ok(Ok(parsed)) => parsed,
        Ok(Err(malformed)) => {
            dead_letters(&shared, &shared.es, &tenant, vec![malformed.letter]).await;
            return es_error(ErrorCode::BadRequest, "illegal_argument_exception", &malformed.reason);
        }
        Err(err) => {
            tracing::error!(%err, "bulk parser task failed");
            return es_error(ErrorCode::Internal, "exception", "internal error");
        }
    };
    if parsed.items.is_empty() {
        return es_error(
            ErrorCode::BadRequest,
            "action_request_validation_exception",
            "Validation Failed: 1: no requests added;",
        );
    }
    if let Err(err) = submit(&shared, &shared.es, &tenant, parsed.records).await {
        return sink_error(err);
    }
    // Dead letters only once the request is answered with per-item results; on 429 the client
    // resends the whole request.
    dead_letters(&shared, &shared.es, &tenant, parsed.letters).await;
    json_response(
        StatusCode::OK,
        &json!({
            "took": started.elapsed().as_millis() as u64,
            "errors": parsed.errors,
            "items": parsed.items,
        }),
    )
}

struct Parsed {
    items: Vec<Value>,
    records: Vec<Record>,
    letters: Vec<DeadLetter>,
    errors: bool,
}

struct Malformed {
    reason: String,
    letter: DeadLetter,
}

/// A unique `_id` (time in microseconds and a process-wide sequence) and the `_seq_no`.
fn next_id(shared: &Shared, received: Timestamp) -> (String, u64) {
    let seq = shared.sequence.fetch_add(1, Ordering::Relaxed);
    let micros = received.as_microsecond() as u64;
    let mut bytes = [0u8; 16];
    bytes[..8].copy_from_slice(&micros.to_be_bytes());
    bytes[8..].copy_from_slice(&seq.to_be_bytes());
    (URL_SAFE_NO_PAD.encode(bytes), seq)
}

fn item_error(op: &str, index: Option<&str>, id: Option<&str>, status: u16, kind: &str, reason: &str) -> Value {
    json!({op: {
        "_index": index,
        "_id": id,
        "status": status,
        "error": {"type": kind, "reason": reason},
    }})
}

fn meta_string(meta: &Map<String, Value>, key: &str) -> Option<String> {
    match meta.get(key)? {
        Value::String(s) if !s.is_empty() => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

fn parse_bulk(
    shared: &Shared,
    body: &[u8],
    path_index: Option<&str>,
    peer: Option<SocketAddr>,
) -> Result<Parsed, Box<Malformed>> {
    let es = &shared.es;
    let received = Timestamp::now();
    let lines: Vec<&[u8]> = body.split(|&b| b == b'\n').map(<[u8]>::trim_ascii).collect();
    let mut out = Parsed {
        items: Vec::new(),
        records: Vec::new(),
        letters: Vec::new(),
        errors: false,
    };
    let mut i = 0;
    while i < lines.len() {
        let line = lines[i];
        let line_no = i + 1;
        i += 1;
        if line.is_empty() {
            continue;
        }
        let malformed = |reason: String| {
            Box::new(Malformed {
                letter: letter(es, peer, codes::BAD_BULK_ACTION, &reason, line),
                reason,
            })
        };
        let action: Map<String, Value> = serde_json::from_slice(line).map_err(|e| {
            malformed(format!(
                "Malformed action/metadata line [{line_no}], expected a JSON object: {e}"
            ))
        })?;
        let mut entries = action.into_iter();
        let (op, meta) = match (entries.next(), entries.next()) {
            (Some((op, Value::Object(meta))), None) => (op, meta),
            _ => {
                return Err(malformed(format!(
                    "Malformed action/metadata line [{line_no}], expected one object with a single action"
                )));
            }
        };
        let index = meta_string(&meta, "_index").or_else(|| path_index.map(str::to_owned));
        let given_id = meta_string(&meta, "_id");
        match op.as_str() {
            "index" | "create" => {
                let source = lines.get(i).copied();
                i += 1;
                let item = Item {
                    op: &op,
                    index,
                    given_id,
                    line_no,
                    action: line,
                };
                index_item(shared, &mut out, item, source, received, peer);
            }
            "update" | "delete" => {
                let mut data = line.to_vec();
                if op == "update" {
                    // The update's body line belongs to it.
                    if let Some(source) = lines.get(i) {
                        data.push(b'\n');
                        data.extend_from_slice(source);
                    }
                    i += 1;
                }
                let reason = format!("the [{op}] action is not supported: this endpoint only appends documents");
                out.items.push(item_error(
                    &op,
                    index.as_deref(),
                    given_id.as_deref(),
                    400,
                    "illegal_argument_exception",
                    &reason,
                ));
                out.letters
                    .push(letter(es, peer, codes::UNSUPPORTED_ACTION, reason, &data));
                out.errors = true;
            }
            other => {
                return Err(malformed(format!(
                    "Malformed action/metadata line [{line_no}], expected one of [create, delete, index, update] but found [{other}]"
                )));
            }
        }
    }
    Ok(out)
}

/// One `index`/`create` action of a bulk request.
struct Item<'a> {
    op: &'a str,
    index: Option<String>,
    given_id: Option<String>,
    line_no: usize,
    action: &'a [u8],
}

/// Adds the record of one `index`/`create` item and its answer, or its error and dead letter
/// when it cannot be stored (see [`crate::admit`]).
fn index_item(
    shared: &Shared,
    out: &mut Parsed,
    item: Item<'_>,
    source: Option<&[u8]>,
    received: Timestamp,
    peer: Option<SocketAddr>,
) {
    let es = &shared.es;
    let Item {
        op,
        index,
        given_id,
        line_no,
        action,
    } = item;
    let (id, seq) = match &given_id {
        Some(id) => (id.clone(), shared.sequence.fetch_add(1, Ordering::Relaxed)),
        None => next_id(shared, received),
    };
    let mut fail = |kind: &str, reason: String, code: &'static str, data: &[u8]| {
        out.items
            .push(item_error(op, index.as_deref(), Some(&id), 400, kind, &reason));
        out.letters.push(letter(es, peer, code, reason, data));
        out.errors = true;
    };
    let source = match source {
        Some(source) if !source.is_empty() => source,
        _ => {
            let reason = format!("Validation Failed: 1: source is missing (action line [{line_no}]);");
            fail(
                "action_request_validation_exception",
                reason,
                codes::MISSING_SOURCE,
                action,
            );
            return;
        }
    };
    let Some(index) = index.clone() else {
        let reason = "Validation Failed: 1: index is missing;".to_owned();
        fail(
            "action_request_validation_exception",
            reason,
            codes::MISSING_INDEX,
            source,
        );
        return;
    };
    let record = document_record(es, index.clone(), given_id, source, received, peer);
    if let Err(refusal) = admit::check(&record) {
        let (kind, reason) = refusal_error(&refusal);
        fail(kind, reason, refusal.code(), source);
        return;
    }
    out.records.push(record);
    let mut item = created(&index, &id, seq);
    item["status"] = json!(201);
    out.items.push(json!({ op: item }));
}

/// The record of one document: its source, with attributes `index` and (when given) `id`.
fn document_record(
    es: &super::Endpoint,
    index: String,
    given_id: Option<String>,
    source: &[u8],
    received: Timestamp,
    peer: Option<SocketAddr>,
) -> Record {
    let mut attrs = vec![("index".to_owned(), index)];
    if let Some(id) = given_id {
        attrs.push(("id".to_owned(), id));
    }
    Record {
        input: Arc::clone(&es.input),
        // Stamped with the sender's tenant when submitted.
        tenant: crate::record::default_tenant(),
        format: RecordFormat::Json,
        received,
        peer,
        attrs,
        data: source.to_vec(),
    }
}

/// Elasticsearch's error type and reason for a document that cannot be stored.
fn refusal_error(refusal: &Refusal) -> (&'static str, String) {
    match refusal {
        Refusal::TooLarge { .. } => ("illegal_argument_exception", format!("document rejected: {refusal}")),
        _ => ("mapper_parsing_exception", format!("failed to parse: {refusal}")),
    }
}

/// `POST /{index}/_doc` (generated id).
pub(super) async fn doc_auto_id(State(state): State<HttpIngest>, Path(index): Path<String>, req: Request) -> Response {
    doc_inner(state, index, None, req).await
}

/// `PUT|POST /{index}/_doc/{id}` and `/{index}/_create/{id}`.
pub(super) async fn doc(
    State(state): State<HttpIngest>,
    Path((index, id)): Path<(String, String)>,
    req: Request,
) -> Response {
    doc_inner(state, index, Some(id), req).await
}

async fn doc_inner(state: HttpIngest, index: String, given_id: Option<String>, req: Request) -> Response {
    let shared = Arc::clone(&state.inner);
    let peer = peer_of(&req);
    let Some(tenant) = tenant_of(&req) else {
        return no_tenant();
    };
    let body = match request_body(&shared, peer, &tenant, req).await {
        Ok(body) => body,
        Err(response) => return response,
    };
    let source = body.trim_ascii();
    let received = Timestamp::now();
    let record = document_record(&shared.es, index.clone(), given_id.clone(), source, received, peer);
    if let Err(refusal) = admit::check(&record) {
        let (kind, reason) = refusal_error(&refusal);
        let dead = letter(&shared.es, peer, refusal.code(), &reason, source);
        dead_letters(&shared, &shared.es, &tenant, vec![dead]).await;
        let code = match refusal {
            Refusal::TooLarge { .. } => ErrorCode::RecordTooLarge,
            _ => ErrorCode::InvalidJson,
        };
        return es_error(code, kind, &reason);
    }
    let (id, seq) = match &given_id {
        Some(id) => (id.clone(), shared.sequence.fetch_add(1, Ordering::Relaxed)),
        None => next_id(&shared, received),
    };
    if let Err(err) = submit(&shared, &shared.es, &tenant, vec![record]).await {
        return sink_error(err);
    }
    json_response(StatusCode::CREATED, &created(&index, &id, seq))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{HttpIngestConfig, MemorySink, StaticTokens};

    fn shared() -> Arc<Shared> {
        HttpIngest::new(
            HttpIngestConfig::default(),
            Arc::new(MemorySink::new()),
            Arc::new(StaticTokens::new(["t"])),
        )
        .inner
    }

    #[test]
    fn pairs_errors_and_unsupported_actions() {
        let shared = shared();
        let body = b"{\"index\":{\"_index\":\"a\",\"_id\":\"1\"}}\n{\"x\":1}\n\
            {\"create\":{}}\n{\"y\":2}\n\
            {\"index\":{\"_index\":\"a\"}}\n{not json\n\
            {\"delete\":{\"_index\":\"a\",\"_id\":\"1\"}}\n\
            {\"update\":{\"_index\":\"a\",\"_id\":\"1\"}}\n{\"doc\":{}}\n\
            {\"index\":{\"_index\":\"a\"}}\n[1]\n\
            {\"index\":{\"_index\":\"b\"}}\n{\"z\":3}";
        let parsed = parse_bulk(&shared, body, Some("dflt"), None).ok().expect("parses");
        assert!(parsed.errors);
        let statuses: Vec<u64> = parsed
            .items
            .iter()
            .map(|item| {
                item.as_object()
                    .and_then(|o| o.values().next())
                    .and_then(|v| v["status"].as_u64())
                    .unwrap_or(0)
            })
            .collect();
        assert_eq!(statuses, vec![201, 201, 400, 400, 400, 400, 201]);
        let data: Vec<&[u8]> = parsed.records.iter().map(|r| r.data.as_slice()).collect();
        assert_eq!(data, vec![&b"{\"x\":1}"[..], b"{\"y\":2}", b"{\"z\":3}"]);
        assert_eq!(
            parsed.records[0].attrs,
            vec![("index".into(), "a".into()), ("id".into(), "1".into())]
        );
        assert_eq!(parsed.records[1].attr("index"), Some("dflt"));
        let codes: Vec<&str> = parsed.letters.iter().map(|l| l.code).collect();
        assert_eq!(
            codes,
            vec![
                codes::BAD_JSON,
                codes::UNSUPPORTED_ACTION,
                codes::UNSUPPORTED_ACTION,
                codes::BAD_JSON
            ]
        );
    }

    #[test]
    fn malformed_action_line_fails_the_request() {
        let shared = shared();
        assert!(parse_bulk(&shared, b"{\"index\":{}}\n{}\nnot json\n", Some("a"), None).is_err());
        assert!(parse_bulk(&shared, b"{\"frobnicate\":{}}\n", Some("a"), None).is_err());
        assert!(parse_bulk(&shared, b"{\"index\":{},\"create\":{}}\n{}\n", Some("a"), None).is_err());
    }

    #[test]
    fn missing_index_and_source() {
        let shared = shared();
        let parsed = parse_bulk(
            &shared,
            b"{\"index\":{}}\n{\"a\":1}\n{\"index\":{\"_index\":\"x\"}}\n",
            None,
            None,
        )
        .ok()
        .expect("parses");
        let codes: Vec<&str> = parsed.letters.iter().map(|l| l.code).collect();
        assert_eq!(codes, vec![codes::MISSING_INDEX, codes::MISSING_SOURCE]);
        assert!(parsed.records.is_empty());
    }

    #[test]
    fn generated_ids_are_unique() {
        let shared = shared();
        let now = Timestamp::now();
        let (a, _) = next_id(&shared, now);
        let (b, _) = next_id(&shared, now);
        assert_ne!(a, b);
    }
}
