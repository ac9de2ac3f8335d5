//! HTTP delivery: one POST, and the answer sorted into delivered, permanent or retryable.

use std::error::Error as _;
use std::time::Duration;

use reqwest::header::{CONTENT_TYPE, HeaderMap, LOCATION, RETRY_AFTER};
use reqwest::{Client, Response, StatusCode, Url};

use crate::chain;
use crate::policy::Rules;
use crate::policy::resolve::AddressRefused;
use crate::{Delivered, NotifyError};

/// Response bodies are read up to this many bytes; the rest is dropped.
pub const MAX_RESPONSE_BODY: usize = 64 * 1024;
/// How much of a response body goes into `Delivered::detail` or an error.
const DETAIL_MAX: usize = 300;
/// `Retry-After` values are capped at this.
const RETRY_AFTER_MAX: Duration = Duration::from_secs(3600);

/// POSTs `body` as JSON to `url` after the policy check, with extra headers.
pub(crate) async fn post_json(
    client: &Client,
    rules: &Rules,
    url: &str,
    body: Vec<u8>,
    headers: &[(&'static str, String)],
) -> Result<Delivered, NotifyError> {
    let url = Url::parse(url).map_err(|e| NotifyError::permanent(None, format!("invalid URL: {e}")))?;
    rules.check_url(&url)?;
    let host = url.host_str().unwrap_or_default().to_owned();
    let mut request = client.post(url).header(CONTENT_TYPE, "application/json").body(body);
    for (name, value) in headers {
        request = request.header(*name, value);
    }
    let response = request.send().await.map_err(|e| send_error(&e, &host))?;
    answer(response, &host).await
}

/// Sorts a failed request; messages name the host, never the URL.
fn send_error(err: &reqwest::Error, host: &str) -> NotifyError {
    if let Some(refused) = chain::find::<AddressRefused>(err) {
        return NotifyError::refused(&refused.host, &refused.reason);
    }
    if let Some(tls) = chain::tls_misconfiguration(err) {
        return NotifyError::permanent(None, format!("{host}: {tls}"));
    }
    let causes = causes(err);
    if err.is_builder() {
        NotifyError::permanent(None, format!("cannot build the request to {host}: {causes}"))
    } else if err.is_timeout() {
        NotifyError::retryable(None, format!("timed out talking to {host}"))
    } else if err.is_connect() {
        NotifyError::retryable(None, format!("cannot connect to {host}: {causes}"))
    } else {
        NotifyError::retryable(None, format!("request to {host} failed: {causes}"))
    }
}

/// The messages of the error's sources (reqwest's own message would contain the URL).
fn causes(err: &reqwest::Error) -> String {
    let mut parts = Vec::new();
    let mut current = err.source();
    while let Some(e) = current {
        parts.push(e.to_string());
        current = e.source();
    }
    if parts.is_empty() {
        "unknown error".to_owned()
    } else {
        parts.join(": ")
    }
}

async fn answer(response: Response, host: &str) -> Result<Delivered, NotifyError> {
    let status = response.status();
    let headers = response.headers().clone();
    let body = read_limited(response, MAX_RESPONSE_BODY).await;
    classify(status, &headers, &body, host, jiff::Timestamp::now())
}

/// Reads at most `limit` bytes of the body; a body that breaks off counts as what arrived.
async fn read_limited(mut response: Response, limit: usize) -> Vec<u8> {
    let mut body = Vec::new();
    while body.len() < limit {
        match response.chunk().await {
            Ok(Some(chunk)) => {
                let take = chunk.len().min(limit - body.len());
                body.extend_from_slice(&chunk[..take]);
            }
            Ok(None) | Err(_) => break,
        }
    }
    body
}

/// Sorts an HTTP answer: 2xx delivered; 3xx (not followed), and 4xx other than 408/429,
/// permanent; 408, 429 and 5xx retryable with their `Retry-After`.
pub(crate) fn classify(
    status: StatusCode,
    headers: &HeaderMap,
    body: &[u8],
    host: &str,
    now: jiff::Timestamp,
) -> Result<Delivered, NotifyError> {
    let code = Some(status.as_u16());
    let detail = snippet(body);
    if status.is_success() {
        let detail = if detail.is_empty() { status.to_string() } else { detail };
        return Ok(Delivered { status: code, detail });
    }
    if status.is_redirection() {
        let target = location_host(headers).unwrap_or_else(|| "an unnamed location".to_owned());
        return Err(NotifyError::permanent(
            code,
            format!("{host} answered with a redirect to {target}, which is not followed"),
        ));
    }
    let detail = format!("{host} answered {status}{}", with_body(&detail));
    let retryable =
        status.is_server_error() || status == StatusCode::REQUEST_TIMEOUT || status == StatusCode::TOO_MANY_REQUESTS;
    if retryable {
        let retry_after = headers
            .get(RETRY_AFTER)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| parse_retry_after(v, now));
        Err(NotifyError::Retryable {
            status: code,
            detail,
            retry_after,
        })
    } else {
        Err(NotifyError::permanent(code, detail))
    }
}

fn with_body(detail: &str) -> String {
    if detail.is_empty() {
        String::new()
    } else {
        format!(": {detail}")
    }
}

/// The host of a `Location` header (a relative one names no host).
fn location_host(headers: &HeaderMap) -> Option<String> {
    let location = headers.get(LOCATION)?.to_str().ok()?;
    let url = Url::parse(location).ok()?;
    url.host_str().map(str::to_owned)
}

/// The start of a response body as one printable line.
fn snippet(body: &[u8]) -> String {
    let text = String::from_utf8_lossy(body);
    let clean: String = crate::payload::clean(text.trim(), true).collect();
    match clean.char_indices().nth(DETAIL_MAX) {
        Some((cut, _)) => format!("{}…", &clean[..cut]),
        None => clean,
    }
}

/// A `Retry-After` value: delay seconds or an HTTP date (RFC 9110), capped at one hour; a date
/// in the past means now.
pub fn parse_retry_after(value: &str, now: jiff::Timestamp) -> Option<Duration> {
    let value = value.trim();
    if let Ok(secs) = value.parse::<u64>() {
        return Some(Duration::from_secs(secs).min(RETRY_AFTER_MAX));
    }
    let at = jiff::fmt::rfc2822::DateTimeParser::new().parse_timestamp(value).ok()?;
    let wait = at.duration_since(now);
    let wait = Duration::try_from(wait).unwrap_or(Duration::ZERO);
    Some(wait.min(RETRY_AFTER_MAX))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retry_after_takes_seconds_and_http_dates() {
        let now: jiff::Timestamp = "2015-10-21T07:27:00Z".parse().expect("literal");
        assert_eq!(parse_retry_after("7", now), Some(Duration::from_secs(7)));
        assert_eq!(parse_retry_after(" 120 ", now), Some(Duration::from_secs(120)));
        assert_eq!(parse_retry_after("99999999", now), Some(RETRY_AFTER_MAX));
        let date = "Wed, 21 Oct 2015 07:28:00 GMT";
        assert_eq!(parse_retry_after(date, now), Some(Duration::from_secs(60)));
        let past = "Wed, 21 Oct 2015 07:00:00 GMT";
        assert_eq!(parse_retry_after(past, now), Some(Duration::ZERO));
        assert_eq!(parse_retry_after("soon", now), None);
        assert_eq!(parse_retry_after("-5", now), None);
    }

    #[test]
    fn snippets_are_one_short_line() {
        assert_eq!(snippet(b"  ok\r\n"), "ok");
        assert_eq!(snippet(b"a\nb"), "a b");
        let long = "x".repeat(1000);
        assert_eq!(snippet(long.as_bytes()).chars().count(), DETAIL_MAX + 1);
        assert_eq!(snippet(&[0xff, b'a']), "\u{fffd}a");
    }
}
