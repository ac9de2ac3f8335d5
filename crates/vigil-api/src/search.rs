//! `POST /api/v1/search`.

use std::collections::BTreeMap;

use axum::{Json, extract::State as AxState, http::HeaderMap};
use jiff::Timestamp;
use serde::Deserialize;
use vigil_state::Scope;
use vigil_store::{Agg, SearchRequest, SearchResponse, Sort, StoreError};

use super::{ApiError, Ctx, ErrorCode, JsonBody, authorize};
use crate::units::parse_time;

/// The request body. Times are RFC 3339, dates, `now`, or ages such as `15m` / `30d`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SearchBody {
    #[serde(default)]
    pub query: String,
    pub from: Option<String>,
    pub to: Option<String>,
    pub size: Option<usize>,
    /// `desc` (newest first, the default) or `asc`.
    pub sort: Option<String>,
    pub cursor: Option<String>,
    #[serde(default)]
    pub aggs: BTreeMap<String, Agg>,
}

impl SearchBody {
    /// Validates and converts to the store's request.
    pub fn into_request(self, now: Timestamp) -> Result<SearchRequest, ApiError> {
        let time = |v: Option<String>, name: &str| {
            v.map(|t| parse_time(&t, now).map_err(|e| ApiError::param(name, e)))
                .transpose()
        };
        let sort = match self.sort.as_deref() {
            None | Some("desc" | "time_desc") => Sort::TimeDesc,
            Some("asc" | "time_asc") => Sort::TimeAsc,
            Some(other) => return Err(ApiError::param("sort", format!("`{other}`: use desc or asc"))),
        };
        let mut req = SearchRequest {
            query: self.query,
            from: time(self.from, "from")?,
            to: time(self.to, "to")?,
            sort,
            cursor: self.cursor,
            aggs: self.aggs,
            ..SearchRequest::default()
        };
        if let Some(size) = self.size {
            req.size = size;
        }
        Ok(req)
    }
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

pub async fn search(
    AxState(ctx): AxState<Ctx>,
    headers: HeaderMap,
    body: Result<JsonBody<SearchBody>, ApiError>,
) -> Result<Json<SearchResponse>, ApiError> {
    authorize(&ctx, &headers, Scope::Read).await?;
    let JsonBody(body) = body?;
    let req = body.into_request(Timestamp::now())?;
    let store = ctx.store.clone();
    let answer = tokio::task::spawn_blocking(move || store.search(&req))
        .await
        .map_err(|e| ApiError::internal("search task", &e))?;
    answer.map(Json).map_err(store_error)
}
