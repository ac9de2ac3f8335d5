//! `POST /api/v1/search`.

use axum::{Extension, Json, extract::State as AxState};
use jiff::Timestamp;
use vigil_api_types::{access::Principal, error::ErrorBody, search::SearchBody};
use vigil_store::{Scope, SearchRequest, SearchResponse, Sort, StoreError};

use super::{ApiError, Ctx, ErrorCode, JsonBody};
use vigil_api_types::units::parse_time;

/// Validates a request body and converts it to the store's request.
pub fn into_request(body: SearchBody, now: Timestamp) -> Result<SearchRequest, ApiError> {
    let time = |v: Option<String>, name: &str| {
        v.map(|t| parse_time(&t, now).map_err(|e| ApiError::param(name, e)))
            .transpose()
    };
    let sort = match body.sort.as_deref() {
        None | Some("desc" | "time_desc") => Sort::TimeDesc,
        Some("asc" | "time_asc") => Sort::TimeAsc,
        Some(other) => return Err(ApiError::param("sort", format!("`{other}`: use desc or asc"))),
    };
    let mut req = SearchRequest {
        query: body.query,
        from: time(body.from, "from")?,
        to: time(body.to, "to")?,
        sort,
        cursor: body.cursor,
        aggs: body.aggs,
        ..SearchRequest::default()
    };
    if let Some(size) = body.size {
        req.size = size;
    }
    Ok(req)
}

/// Maps store errors to stable API codes; a query problem names the part (and its column).
pub fn store_error(e: StoreError) -> ApiError {
    match e {
        StoreError::Query(q) => ApiError::new(ErrorCode::BadQuery, format!("query {q}")),
        StoreError::BadQuery(m) => ApiError::new(ErrorCode::BadQuery, format!("query: {m}")),
        StoreError::BadRequest(m) => ApiError::bad_request(m),
        other => ApiError::internal("search", &other),
    }
}

/// `POST /api/v1/search`: one page of matching events, newest first unless asked otherwise,
/// with aggregations.
#[utoipa::path(
    post,
    path = "/api/v1/search",
    operation_id = "search",
    tag = "search",
    summary = "Search events",
    description = "Matching events in a time range, a page at a time (`size`, then `cursor`), with the exact total and the aggregations asked for.",
    request_body(content = SearchBody, content_type = "application/json"),
    responses(
        (status = 200, description = "A page of hits, the total and the aggregations.", body = SearchResponse),
        (status = 400, description = "`bad_request`: a field is invalid or unknown (the message names it), such as a time that does not read or a size over the limit.\n\n`bad_query`: the query does not parse, or a part of it is invalid.\n\n`invalid_json`: the body is not JSON.", body = ErrorBody),
        (status = 413, description = "`body_too_large`: the body is larger than `[http] max_body`.", body = ErrorBody),
        (status = 415, description = "`unsupported_media_type`: the body is not sent as `Content-Type: application/json`.", body = ErrorBody),
    )
)]
pub async fn search(
    AxState(ctx): AxState<Ctx>,
    Extension(principal): Extension<Principal>,
    body: Result<JsonBody<SearchBody>, ApiError>,
) -> Result<Json<SearchResponse>, ApiError> {
    let JsonBody(body) = body?;
    let req = into_request(body, Timestamp::now())?;
    let store = ctx.store.clone();
    let answer = tokio::task::spawn_blocking(move || store.search(Scope::Tenant(&principal.tenant), &req))
        .await
        .map_err(|e| ApiError::internal("search task", &e))?;
    answer.map(Json).map_err(store_error)
}
