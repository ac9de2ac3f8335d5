//! `POST /api/v1/ingest`: the native ingest API (what `vigil ingest` sends).
//!
//! One record per non-blank line, parsed as `format` (ndjson by default). Each line is checked at
//! once as the pipeline would parse it, so the answer tells what is stored: `accepted` lines are
//! stored; each `rejected` line (over the record limit of [`vigil_ingest::MAX_RECORD_BYTES`], or
//! one the parser refuses) is dead-lettered with the parser's code (`too_large`, `invalid_json`,
//! …) and is listed with its line number, code and reason.
//!
//! The input label of the records is `api` and their source the connection's address: a client
//! cannot choose them. It may name the file the lines come from (`path`, kept as the event's
//! source path) and number them in a stream (`stream=KEY&first=N`, see [`vigil_runtime::streams`]) so
//! that resending them stores nothing twice; `duplicates` then counts lines taken before, and
//! `next` is the stream's next ordinal.

use std::{net::SocketAddr, sync::Arc};

use axum::{
    Extension, Json,
    extract::{ConnectInfo, Request, State as AxState},
    http::StatusCode,
    response::{IntoResponse, Response},
};
use jiff::Timestamp;
use vigil_api_types::access::Principal;
use vigil_api_types::error::ErrorBody;
use vigil_api_types::ingest::{IngestAnswer, RejectedLine};
use vigil_ingest::{DeadLetter, Record, RecordFormat, SinkError, admit};
use vigil_parse::{Format, Origin};

use super::{ApiError, Ctx, ErrorCode, Params};
use vigil_runtime::streams::{self, ORDINAL_ATTR, STREAM_ATTR};

/// The input label of natively ingested records.
pub const INPUT: &str = "api";

/// The query parameters: `format` (ndjson by default, syslog, cef, eve, zeek, auditd), `path`
/// (the file the lines come from: the events' source path), `stream` and `first` (the stream
/// the lines are numbered in, and the ordinal of the first line). `input` is refused with an
/// explanation: the server sets the input label.
const PARAMS: &[&str] = &["format", "input", "path", "stream", "first"];

/// The largest `first`: the ordinals of a request's lines (one per byte at most) stay far below
/// `u64::MAX`, so numbering them cannot overflow.
pub(crate) const MAX_FIRST: u64 = i64::MAX as u64;

/// One line of the request that is not stored.
struct Rejected {
    line: usize,
    ordinal: Option<u64>,
    code: &'static str,
    message: String,
}

/// What the lines of a request came to.
struct Checked {
    records: Vec<Record>,
    rejected: Vec<Rejected>,
    letters: Vec<DeadLetter>,
    duplicates: usize,
    /// Ordinal after the last line (keyed requests).
    end: u64,
}

/// How the request's lines are turned into records.
struct Batch {
    /// The tenant of the sender's credential: every record and dead letter of the request.
    tenant: Arc<str>,
    format: Format,
    attrs: Vec<(String, String)>,
    peer: Option<SocketAddr>,
    /// Stream name and the ordinal of the first line, for keyed requests.
    stream: Option<(String, u64)>,
}

/// `POST /api/v1/ingest`.
#[utoipa::path(
    post,
    path = "/api/v1/ingest",
    operation_id = "ingest",
    tag = "ingest",
    summary = "Send events",
    description = "One record per non-blank line of the body, parsed as `format`. Each line is checked as the pipeline will parse it, so the answer tells what is stored: accepted lines are stored; each rejected line (over the 1 MiB record limit, or refused by the parser) is kept as a dead letter and listed with its line number, code and reason. The records' input is `api` and their source the client's address. Numbering the lines in a stream (`stream` and `first`) makes resending them store nothing twice. Not rate limited: a full spool answers 429 `backpressure`.",
    params(
        ("format" = Option<String>, Query, description = "How to parse the lines (default `ndjson`)."),
        ("path" = Option<String>, Query, description = "The file the lines come from, kept as the events' source path."),
        ("stream" = Option<String>, Query, description = "A stream the lines are numbered in (1 to 128 characters of `A-Z a-z 0-9 . _ : -`), with `first`.", pattern = "^[A-Za-z0-9._:-]{1,128}$"),
        ("first" = Option<u64>, Query, description = "The ordinal of the body's first line in `stream` (given with `stream`).", maximum = 9223372036854775807_u64),
    ),
    request_body(
        description = "Lines of text, one record each (NDJSON for `format=ndjson`). The body is at most `[http] max_body` bytes.",
        content(
            (String = "application/x-ndjson"),
            (String = "text/plain"),
        )
    ),
    responses(
        (status = 200, description = "What was stored and what was refused, line by line.", body = IngestAnswer),
        (status = 400, description = "`bad_request`: a parameter is invalid or unknown (`input` is set by the server), or `stream` and `first` not given together.", body = ErrorBody),
        (status = 413, description = "`body_too_large`: the body is larger than `[http] max_body`, or than the whole spool can hold: split it.", body = ErrorBody),
        (status = 429, description = "`backpressure`: the spool is full; nothing of the request was kept. Retry after `Retry-After` seconds.", body = ErrorBody,
            headers(("Retry-After" = u64, description = "Seconds to wait (at least 1)."))),
        (status = 503, description = "`unavailable`: the spool cannot take records now (a disk error, shutting down); retry later.", body = ErrorBody),
    )
)]
pub async fn ingest(
    AxState(ctx): AxState<Ctx>,
    Extension(principal): Extension<Principal>,
    req: Request,
) -> Result<Response, ApiError> {
    // Streams were keyed by the bare token id before principals: keep resends idempotent.
    let token = principal
        .id
        .strip_prefix("apikey:")
        .unwrap_or(&principal.id)
        .to_string();
    let (parts, body) = req.into_parts();
    let peer = parts.extensions.get::<ConnectInfo<SocketAddr>>().map(|c| c.0);
    let params = Params::of(&parts.uri, PARAMS)?;
    let mut batch = batch_of(&params, &token, peer)?;
    batch.tenant = Arc::from(principal.tenant.as_str());
    let body = axum::body::to_bytes(body, ctx.max_body_bytes).await.map_err(|_| {
        ApiError::new(
            ErrorCode::BodyTooLarge,
            format!(
                "the request body is larger than {} bytes ([http] max_body); split it",
                ctx.max_body_bytes
            ),
        )
    })?;
    let bytes_in = body.len() as u64;
    let Some((stream, first)) = batch.stream.clone() else {
        let checked = check_lines(batch, body, 0).await?;
        let totals = store(&ctx, checked, bytes_in).await?;
        return Ok(answered(totals, None));
    };
    // Its own task: a client that hangs up must not cancel the request between the spool append
    // and the stream's bookkeeping (a resend would then be stored again).
    let task = tokio::spawn(async move {
        let mut guard = ctx
            .streams
            .lock(&stream)
            .await
            .map_err(|e| ApiError::internal("reading the ingest stream", &e))?;
        let checked = check_lines(batch, body, guard.next()).await?;
        let end = checked.end.max(first);
        let hold = ctx.streams.hold();
        let totals = store(&ctx, checked, bytes_in).await?;
        if let Err(e) = guard.advance(end).await {
            // The records are durable; only a resend after a restart could store them twice.
            tracing::error!(error = %e, stream = guard.name(), "cannot record the ingest stream's progress");
        }
        drop(hold);
        Ok(answered(totals, Some(guard.next())))
    });
    task.await.map_err(|e| ApiError::internal("the ingest task", &e))?
}

/// The request's settings, or why they are refused.
fn batch_of(params: &Params, token: &str, peer: Option<SocketAddr>) -> Result<Batch, ApiError> {
    if params.text("input").is_some() {
        return Err(ApiError::param(
            "input",
            "not a parameter: the server labels these records `api` (name the file with `path`)",
        ));
    }
    let format = match params.text("format").as_deref().unwrap_or("ndjson").parse::<Format>() {
        Ok(Format::Evtx) => {
            return Err(ApiError::param(
                "format",
                "EVTX is binary: send its records as JSON lines (vigil ingest does this)",
            ));
        }
        Ok(format) => format,
        Err(e) => return Err(ApiError::param("format", e)),
    };
    let mut attrs = vec![("format".to_owned(), format.name().to_owned())];
    if let Some(path) = params.text("path").filter(|p| !p.is_empty()) {
        attrs.push(("path".to_owned(), path));
    }
    let first = params.read("first", |v| match v.trim().parse::<u64>() {
        Ok(n) if n <= MAX_FIRST => Ok(n),
        _ => Err(format!(
            "`{v}` is not an ordinal (a whole number from 0 to {MAX_FIRST})"
        )),
    })?;
    let stream = match (params.text("stream"), first) {
        (None, None) => None,
        (Some(key), Some(first)) if streams::valid_key(&key) => Some((format!("{token}/{key}"), first)),
        (Some(_), Some(_)) => {
            return Err(ApiError::param("stream", "1 to 128 characters of A-Z a-z 0-9 . _ : -"));
        }
        _ => return Err(ApiError::bad_request("`stream` and `first` go together")),
    };
    Ok(Batch {
        tenant: Arc::from(vigil_api_types::access::DEFAULT_TENANT),
        format,
        attrs,
        peer,
        stream,
    })
}

/// Checks every line on the blocking pool (parsing costs CPU).
async fn check_lines(batch: Batch, body: axum::body::Bytes, next: u64) -> Result<Checked, ApiError> {
    tokio::task::spawn_blocking(move || check_lines_now(&batch, &body, next))
        .await
        .map_err(|e| ApiError::internal("the ingest check task", &e))
}

fn check_lines_now(batch: &Batch, body: &[u8], next: u64) -> Checked {
    let input: Arc<str> = Arc::from(INPUT);
    let received = Timestamp::now();
    let origin = Origin {
        input: Arc::clone(&input),
        path: None,
        host: None,
    };
    let first = batch.stream.as_ref().map_or(0, |(_, first)| *first);
    let mut out = Checked {
        records: Vec::new(),
        rejected: Vec::new(),
        letters: Vec::new(),
        duplicates: 0,
        end: first,
    };
    let lines = body.split(|b| *b == b'\n').enumerate();
    for (ordinal, (index, line)) in (first..).zip(lines.filter(|(_, l)| !l.trim_ascii().is_empty())) {
        out.end = ordinal + 1;
        let keyed = batch.stream.as_ref();
        if keyed.is_some() && ordinal < next {
            out.duplicates += 1;
            continue;
        }
        let mut attrs = batch.attrs.clone();
        if let Some((stream, _)) = keyed {
            attrs.push((STREAM_ATTR.to_owned(), stream.clone()));
            attrs.push((ORDINAL_ATTR.to_owned(), ordinal.to_string()));
        }
        let record = Record {
            input: Arc::clone(&input),
            tenant: Arc::clone(&batch.tenant),
            format: RecordFormat::Text,
            received,
            peer: batch.peer,
            attrs,
            data: line.to_vec(),
        };
        match refusal(batch.format, &record, &origin) {
            None => out.records.push(record),
            Some((code, message)) => {
                out.letters.push(
                    DeadLetter::new(Arc::clone(&input), batch.peer, code, message.clone(), line)
                        .in_tenant(&batch.tenant),
                );
                out.rejected.push(Rejected {
                    line: index + 1,
                    ordinal: keyed.map(|_| ordinal),
                    code,
                    message,
                });
            }
        }
    }
    out
}

/// Why the pipeline would not store `record` (the parser's code and reason), if it would not.
fn refusal(format: Format, record: &Record, origin: &Origin) -> Option<(&'static str, String)> {
    let bytes = admit::record_bytes(record);
    if bytes > admit::MAX_RECORD_BYTES {
        let kind = vigil_parse::ErrorKind::TooLarge(bytes, admit::MAX_RECORD_BYTES);
        return Some((kind.code(), kind.to_string()));
    }
    // The JSON parser fails only where this check does, at a fraction of the cost; the parser
    // then runs for its own code and reason.
    if format == Format::Ndjson && admit::check_json_object(&record.data).is_ok() {
        return None;
    }
    vigil_parse::parse_line(format, &record.data, origin, 0)
        .err()
        .map(|e| (e.kind.code(), e.kind.to_string()))
}

/// Counts of a stored request.
struct Totals {
    accepted: usize,
    duplicates: usize,
    rejected: Vec<Rejected>,
}

/// Appends the records; then (only then) keeps the dead letters.
async fn store(ctx: &Ctx, checked: Checked, bytes_in: u64) -> Result<Totals, ApiError> {
    let Checked {
        records,
        rejected,
        letters,
        duplicates,
        ..
    } = checked;
    let accepted = records.len();
    ctx.sink.append(records).await.map_err(sink_error)?;
    ctx.api_ingest.add_accepted(accepted as u64, bytes_in);
    ctx.api_ingest.add_rejected(letters.len() as u64);
    for letter in letters {
        ctx.sink.store_dead_letter(letter).await;
    }
    Ok(Totals {
        accepted: accepted + duplicates,
        duplicates,
        rejected,
    })
}

fn answered(totals: Totals, next: Option<u64>) -> Response {
    let rejected = totals
        .rejected
        .into_iter()
        .map(|r| RejectedLine {
            line: r.line as u64,
            code: r.code.to_string(),
            message: r.message,
            ordinal: r.ordinal,
        })
        .collect();
    let answer = IngestAnswer {
        accepted: totals.accepted as u64,
        rejected,
        duplicates: next.map(|_| totals.duplicates as u64),
        next,
    };
    (StatusCode::OK, Json(answer)).into_response()
}

fn sink_error(err: SinkError) -> ApiError {
    match err {
        SinkError::Full { retry_after } => {
            ApiError::new(ErrorCode::Backpressure, "the spool is full; retry later").retry_after(retry_after)
        }
        SinkError::TooLarge(reason) => ApiError::new(ErrorCode::BodyTooLarge, reason),
        // The cause (disk error, stopped writer) is logged by the sink; the client learns to retry.
        _ => ApiError::new(ErrorCode::Unavailable, "the ingest spool is unavailable, retry later"),
    }
}
