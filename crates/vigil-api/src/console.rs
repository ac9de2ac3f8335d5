//! The web console (crate `vigil-console`, built from `console/`): its page at `/` for browsers
//! and its files under `/console/`.
//!
//! `GET /` answers the page only to a request that accepts `text/html` (a browser): clients that
//! probe `GET /` for Elasticsearch compatibility (Beats, Logstash, Vector, Fluent Bit) ask for
//! JSON and keep getting the cluster information. The page names its files relatively, so a
//! reverse proxy can mount the server under any path prefix. Its answers carry their own
//! Content-Security-Policy ([`vigil_console::CSP`]): scripts, styles and fetches from this server
//! only, nothing inline. The hashed files are cached for good; the page is revalidated each time.

use axum::{
    extract::{Path, Request},
    http::{HeaderMap, HeaderValue, Method, StatusCode, header},
    middleware::Next,
    response::{IntoResponse, Response},
};
use vigil_console::Asset;

use crate::{ApiError, ErrorCode};

/// Where the console's files are served (the page itself is at `/`).
pub const PREFIX: &str = "/console";

/// Answers a browser's `GET /` (or `HEAD /`) with the console's page; everything else goes on.
pub async fn page_for_browsers(req: Request, next: Next) -> Response {
    let is_root = req.uri().path() == "/" && matches!(*req.method(), Method::GET | Method::HEAD);
    if is_root && wants_html(req.headers()) {
        return serve(vigil_console::index(), req.headers(), "no-cache");
    }
    next.run(req).await
}

/// `GET /console/{file}`: one of the console's files.
#[utoipa::path(
    get,
    path = "/console/{file}",
    operation_id = "console_file",
    tag = "api",
    summary = "A file of the web console",
    description = "The console's hashed scripts and styles, cached for good. The console's page is \
                   `GET /` asked for `text/html` (a browser's navigation).",
    params(("file" = String, Path, description = "A file name, such as `app-3F2A9C.js`.")),
    responses(
        (status = 200, description = "The file (gzipped when the client accepts it).", content(
            ("text/javascript"), ("text/css")
        )),
        (status = 404, description = "`not_found`: the console has no such file.", body = vigil_api_types::error::ErrorBody),
    )
)]
pub async fn file(Path(file): Path<String>, headers: HeaderMap) -> Result<Response, ApiError> {
    let asset = vigil_console::find(&format!("console/{file}")).ok_or_else(|| {
        ApiError::new(
            ErrorCode::NotFound,
            format!("the console has no file `{file}`; the console is at /"),
        )
    })?;
    Ok(serve(asset, &headers, "public, max-age=31536000, immutable"))
}

/// A browser's navigation asks for `text/html` first; API clients ask for JSON or anything.
fn wants_html(headers: &HeaderMap) -> bool {
    headers
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|accept| accept.split(',').any(|part| part.trim().starts_with("text/html")))
}

fn accepts_gzip(headers: &HeaderMap) -> bool {
    headers
        .get(header::ACCEPT_ENCODING)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| {
            v.split(',').any(|part| {
                let mut it = part.split(';');
                let name = it.next().unwrap_or("").trim();
                let refused = it.any(|p| p.trim().replace(' ', "") == "q=0");
                (name == "gzip" || name == "*") && !refused
            })
        })
}

fn serve(asset: &'static Asset, headers: &HeaderMap, cache: &'static str) -> Response {
    let gzip = !asset.gzip.is_empty() && accepts_gzip(headers);
    let body = if gzip { asset.gzip } else { asset.body };
    let mut response = (StatusCode::OK, body).into_response();
    let out = response.headers_mut();
    out.insert(header::CONTENT_TYPE, HeaderValue::from_static(asset.media_type));
    out.insert(header::CACHE_CONTROL, HeaderValue::from_static(cache));
    out.insert(header::VARY, HeaderValue::from_static("Accept, Accept-Encoding"));
    out.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(vigil_console::CSP),
    );
    if gzip {
        out.insert(header::CONTENT_ENCODING, HeaderValue::from_static("gzip"));
    }
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    fn with(name: header::HeaderName, value: &'static str) -> HeaderMap {
        let mut h = HeaderMap::new();
        h.insert(name, HeaderValue::from_static(value));
        h
    }

    #[test]
    fn only_a_browser_navigation_wants_the_page() {
        let chrome = "text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,*/*;q=0.8";
        assert!(wants_html(&with(header::ACCEPT, chrome)));
        assert!(!wants_html(&with(header::ACCEPT, "application/json")));
        assert!(!wants_html(&with(header::ACCEPT, "*/*")));
        assert!(!wants_html(&HeaderMap::new()));
    }

    #[test]
    fn gzip_is_sent_only_when_accepted() {
        assert!(accepts_gzip(&with(header::ACCEPT_ENCODING, "gzip, deflate, br")));
        assert!(!accepts_gzip(&with(header::ACCEPT_ENCODING, "br, gzip;q=0")));
        assert!(!accepts_gzip(&with(header::ACCEPT_ENCODING, "identity")));
    }
}
