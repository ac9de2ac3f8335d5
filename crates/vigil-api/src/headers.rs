//! Security headers on every answer of the HTTP listener (OWASP API8): the API answers JSON and
//! text only (apart from its docs page), so the strictest policy costs nothing.
//!
//! - `Content-Security-Policy: default-src 'none'; frame-ancestors 'none'` and
//!   `X-Frame-Options: DENY`: nothing an answer carries can run or be framed. The one exception is
//!   the docs page (`docs.rs`), whose handler sets a policy that lets its own scripts, styles and
//!   images load from this server (still not framed); an answer that has a policy keeps it;
//! - `X-Content-Type-Options: nosniff`: browsers take the declared type;
//! - `Referrer-Policy: no-referrer`;
//! - `Cache-Control: no-store` unless the handler set its own: answers carry tenant data;
//! - `Strict-Transport-Security` when the listener serves HTTPS.

use axum::{
    extract::{Request, State},
    http::{HeaderName, HeaderValue, header},
    middleware::Next,
    response::Response,
};

/// The policy of every answer that did not set its own (only the docs page does).
const CSP: &str = "default-src 'none'; frame-ancestors 'none'";

const FIXED: &[(HeaderName, &str)] = &[
    (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
    (header::X_FRAME_OPTIONS, "DENY"),
    (header::REFERRER_POLICY, "no-referrer"),
];

/// HSTS for two years (what browsers' preload lists ask for).
const HSTS: &str = "max-age=63072000; includeSubDomains";

/// Adds the headers; `tls` says whether the listener serves HTTPS.
pub async fn security_headers(State(tls): State<bool>, req: Request, next: Next) -> Response {
    let mut response = next.run(req).await;
    let headers = response.headers_mut();
    for (name, value) in FIXED {
        headers.insert(name.clone(), HeaderValue::from_static(value));
    }
    if !headers.contains_key(header::CONTENT_SECURITY_POLICY) {
        headers.insert(header::CONTENT_SECURITY_POLICY, HeaderValue::from_static(CSP));
    }
    if !headers.contains_key(header::CACHE_CONTROL) {
        headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    if tls {
        headers.insert(header::STRICT_TRANSPORT_SECURITY, HeaderValue::from_static(HSTS));
    }
    response
}
