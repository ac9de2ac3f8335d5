//! The one error type of the REST API: a code of the one table ([`ErrorCode`], in `vigil-ingest`,
//! which the Elasticsearch-shaped errors use too), its status, and a message for people.

use std::time::Duration;

use axum::{
    Json,
    http::{StatusCode, header},
    response::{IntoResponse, Response},
};
use vigil_api_types::error::{ErrorBody, ErrorDetail};
pub use vigil_ingest::ErrorCode;

/// An API error: `{"error": {"code": "...", "message": "..."}}` with the code's status.
#[derive(Debug)]
pub struct ApiError {
    pub code: ErrorCode,
    pub message: String,
    /// Sent as `Retry-After` ([`vigil_ingest::retry_after_secs`]).
    pub retry_after: Option<Duration>,
}

impl ApiError {
    pub fn new(code: ErrorCode, message: impl Into<String>) -> Self {
        ApiError {
            code,
            message: message.into(),
            retry_after: None,
        }
    }

    /// The HTTP status (the code's, from the table).
    pub fn status(&self) -> StatusCode {
        self.code.status()
    }

    pub fn bad_request(message: impl Into<String>) -> Self {
        ApiError::new(ErrorCode::BadRequest, message)
    }

    /// A `bad_request` naming the parameter or field: `name: problem`.
    pub fn param(name: &str, problem: impl std::fmt::Display) -> Self {
        ApiError::bad_request(format!("{name}: {problem}"))
    }

    /// Logs the real cause and answers with a generic message.
    pub fn internal(context: &str, cause: &dyn std::fmt::Display) -> Self {
        tracing::error!(error = %cause, "{context}");
        ApiError::new(ErrorCode::Internal, format!("{context} failed; see the server log"))
    }

    /// With `Retry-After`.
    pub fn retry_after(mut self, wait: Duration) -> Self {
        self.retry_after = Some(wait);
        self
    }

    /// The JSON body, for answers that add fields beside `error`.
    pub fn body(&self) -> ErrorBody {
        ErrorBody {
            error: ErrorDetail {
                code: self.code.as_str().to_string(),
                message: self.message.clone(),
            },
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let mut response = (self.status(), Json(self.body())).into_response();
        if self.code == ErrorCode::Unauthorized {
            response
                .headers_mut()
                .insert(header::WWW_AUTHENTICATE, header::HeaderValue::from_static("Bearer"));
        }
        if let Some(wait) = self.retry_after {
            response.headers_mut().insert(
                header::RETRY_AFTER,
                header::HeaderValue::from(vigil_ingest::retry_after_secs(wait)),
            );
        }
        response
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const DOC: &str = include_str!("../../../docs/http-errors.md");

    #[test]
    fn the_documentation_shows_both_code_tables_as_they_are() {
        for table in [
            ErrorCode::markdown_table(),
            vigil_event::DeadLetterCode::markdown_table(),
        ] {
            assert!(
                DOC.contains(&table),
                "docs/http-errors.md is out of date; the table is now:\n{table}"
            );
        }
    }
}
