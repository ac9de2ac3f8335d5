//! `GET /api/v1/docs`: the API's docs page, Swagger UI over `GET /api/v1/openapi.json`.
//!
//! The page and its scripts, styles and icons are served from the binary (utoipa-swagger-ui's
//! vendored copy of Swagger UI): it works without the internet and loads nothing from another
//! host. Its answers carry their own Content-Security-Policy ([`CSP`]) in place of the API's
//! `default-src 'none'` (see `headers.rs`): scripts, styles and fetches from this server only,
//! images from it and `data:` URLs (the stylesheet's icons). No inline script or style is needed;
//! framing stays forbidden.

use std::sync::{Arc, LazyLock};

use axum::{
    extract::{Path, rejection::PathRejection},
    http::{HeaderValue, StatusCode, header},
    response::{IntoResponse, Redirect, Response},
};
use utoipa_swagger_ui::Config;

use crate::{ApiError, ErrorCode, openapi};

/// The page's address; its files are under it (`/api/v1/docs/index.html`, …).
pub const PATH: &str = "/api/v1/docs";

/// The policy of the docs page's answers.
pub const CSP: &str = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; \
                       connect-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'";

/// Swagger UI's settings: the document to show, no calls to swagger.io's online validator, and
/// the base layout: the standalone layout's top bar (an address field for other documents, and a
/// logo whose inline `<style>` the policy refuses) has nothing to offer here.
fn config() -> Arc<Config<'static>> {
    static CONFIG: LazyLock<Arc<Config<'static>>> =
        LazyLock::new(|| Arc::new(Config::new([openapi::PATH]).validator_url("none").use_base_layout()));
    CONFIG.clone()
}

/// `GET /api/v1/docs`: to the page, whose files are addressed relative to it.
#[utoipa::path(
    get,
    path = "/api/v1/docs",
    operation_id = "docs",
    tag = "api",
    summary = "The docs page",
    description = "Swagger UI over this document, served by the server itself (no other host is contacted).",
    responses((
        status = 303,
        description = "The page is at `/api/v1/docs/index.html`.",
        headers(("Location" = String, description = "`/api/v1/docs/index.html`"))
    ))
)]
pub async fn index() -> Response {
    with_policy(Redirect::to(&format!("{PATH}/index.html")).into_response())
}

/// `GET /api/v1/docs/{file}`: a file of the page.
#[utoipa::path(
    get,
    path = "/api/v1/docs/{file}",
    operation_id = "docs_file",
    tag = "api",
    summary = "A file of the docs page",
    description = "The page (`index.html`) and its scripts, styles and icons.",
    params(("file" = String, Path, description = "A file name, such as `index.html` or `swagger-ui.css`.")),
    responses(
        (status = 200, description = "The file.", content(
            ("text/html"), ("text/css"), ("text/javascript"), ("application/javascript"), ("image/png")
        )),
        (status = 400, description = "`bad_request`: the file name is not valid UTF-8.", body = vigil_api_types::error::ErrorBody),
        (status = 404, description = "`not_found`: the page has no such file.", body = vigil_api_types::error::ErrorBody),
    )
)]
pub async fn file(file: Result<Path<String>, PathRejection>) -> Result<Response, ApiError> {
    let Path(file) = file.map_err(|_| ApiError::param("file", "not a valid file name"))?;
    let found = utoipa_swagger_ui::serve(&file, config()).map_err(|e| ApiError::internal("the docs page", &e))?;
    let Some(found) = found else {
        return Err(ApiError::new(
            ErrorCode::NotFound,
            format!("the docs page has no file `{file}`; it starts at {PATH}"),
        ));
    };
    let mut response = (StatusCode::OK, found.bytes.into_owned()).into_response();
    let headers = response.headers_mut();
    if let Ok(value) = HeaderValue::from_str(&found.content_type) {
        headers.insert(header::CONTENT_TYPE, value);
    }
    if found.gzpipped {
        headers.insert(header::CONTENT_ENCODING, HeaderValue::from_static("gzip"));
    }
    Ok(with_policy(response))
}

fn with_policy(mut response: Response) -> Response {
    response
        .headers_mut()
        .insert(header::CONTENT_SECURITY_POLICY, HeaderValue::from_static(CSP));
    response
}
