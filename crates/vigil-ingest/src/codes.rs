//! Vigil's stable codes: why a record became a dead letter ([`crate::DeadLetter::code`]; the one
//! table is [`DeadLetterCode`], shared with the parsers), and why an HTTP request was refused
//! ([`ErrorCode`], the one table of every HTTP error the server sends: the REST API's
//! `{"error": {"code", "message"}}` and the `code` inside Elasticsearch-shaped errors). Both are
//! part of the contract with clients and operators: never rename a code, only add.

use axum::http::StatusCode;
pub use vigil_event::DeadLetterCode;

/// A syslog frame, a record or an HTTP document exceeds a limit (`too_large`; formerly `frame_too_large`).
pub const FRAME_TOO_LARGE: &str = DeadLetterCode::TooLarge.as_str();
/// An octet-counted syslog frame does not start with a valid `LEN SP` header; the connection is closed.
pub const BAD_OCTET_COUNT: &str = DeadLetterCode::BadOctetCount.as_str();
/// The connection ended in the middle of an octet-counted frame.
pub const TRUNCATED_FRAME: &str = DeadLetterCode::TruncatedFrame.as_str();
/// A document that must be JSON is not (`invalid_json`, as the parsers say; formerly `bad_json`).
pub const BAD_JSON: &str = DeadLetterCode::InvalidJson.as_str();
/// An Elasticsearch `_bulk` action/metadata line is malformed (the whole request is refused).
pub const BAD_BULK_ACTION: &str = DeadLetterCode::BadBulkAction.as_str();
/// A `_bulk` `index`/`create` action without a source line.
pub const MISSING_SOURCE: &str = DeadLetterCode::MissingSource.as_str();
/// A `_bulk` action names no index (neither `_index` nor the URL).
pub const MISSING_INDEX: &str = DeadLetterCode::MissingIndex.as_str();
/// A `_bulk` `delete` or `update` action: this endpoint only appends.
pub const UNSUPPORTED_ACTION: &str = DeadLetterCode::UnsupportedAction.as_str();
/// A Splunk HEC envelope is invalid (not an object, bad `time`, bad `fields`, missing or blank `event`).
pub const BAD_ENVELOPE: &str = DeadLetterCode::BadEnvelope.as_str();
/// An OTLP protobuf body does not decode.
pub const BAD_PROTOBUF: &str = DeadLetterCode::BadProtobuf.as_str();
/// One OTLP/JSON log record is malformed (the others of the request are accepted).
pub const BAD_OTLP_RECORD: &str = DeadLetterCode::BadOtlpRecord.as_str();
/// A compressed body does not decompress.
pub const BAD_ENCODING: &str = DeadLetterCode::BadEncoding.as_str();

/// The codes the inputs use, for documentation and metrics label sets.
pub const ALL: &[&str] = &[
    FRAME_TOO_LARGE,
    BAD_OCTET_COUNT,
    TRUNCATED_FRAME,
    BAD_JSON,
    BAD_BULK_ACTION,
    MISSING_SOURCE,
    MISSING_INDEX,
    UNSUPPORTED_ACTION,
    BAD_ENVELOPE,
    BAD_PROTOBUF,
    BAD_OTLP_RECORD,
    BAD_ENCODING,
];

/// The HTTP error table, in the style of Meilisearch's `make_error_codes!`: each code once, with
/// its status and meaning. A code always comes with its status.
macro_rules! make_error_codes {
    ($( $variant:ident = $code:literal, $status:ident, $meaning:literal; )*) => {
        /// A stable HTTP error code (see the module documentation and `docs/http-errors.md`).
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        #[non_exhaustive]
        pub enum ErrorCode {
            $( #[doc = $meaning] $variant, )*
        }

        impl ErrorCode {
            /// Every code, in the order of the table.
            pub const ALL: &'static [ErrorCode] = &[$(ErrorCode::$variant),*];

            /// The code as sent.
            pub const fn as_str(self) -> &'static str {
                match self { $(ErrorCode::$variant => $code,)* }
            }

            /// The HTTP status this code is sent with.
            pub const fn status(self) -> StatusCode {
                match self { $(ErrorCode::$variant => StatusCode::$status,)* }
            }

            /// What it means and what to do about it, for people.
            pub const fn meaning(self) -> &'static str {
                match self { $(ErrorCode::$variant => $meaning,)* }
            }
        }
    };
}

make_error_codes! {
    BadRequest = "bad_request", BAD_REQUEST,
        "A query parameter, header or body field is invalid, unknown or given twice; the message names it and says what is accepted.";
    BadQuery = "bad_query", BAD_REQUEST,
        "The search query does not parse, or one of its parts is invalid (a network such as `10.0.0.0/33`, a range whose bounds are reversed or are not times on `@timestamp`); the message names the part.";
    InvalidJson = "invalid_json", BAD_REQUEST,
        "The request body is not valid JSON (or, for a single document, not a JSON object).";
    BadEncoding = "bad_encoding", BAD_REQUEST,
        "A compressed request body (`Content-Encoding: gzip`) does not decompress.";
    Unauthorized = "unauthorized", UNAUTHORIZED,
        "No credentials, a malformed `Authorization` header, an unknown, revoked or expired key, a bearer JWT that fails validation (signature, algorithm, issuer, audience, expiry, type; an ID token), an ended session, or an OpenID login that cannot be finished (unknown or reused state).";
    Forbidden = "forbidden", FORBIDDEN,
        "The principal's roles lack the permission this route needs (the message names it, docs/access.md); a valid OpenID token or login whose claims map to no Vigil role; a cross-site request authenticated by a cookie.";
    PasswordChangeRequired = "password_change_required", FORBIDDEN,
        "A local user whose password was generated (bootstrap, `vigil user add`, `vigil user passwd`) must choose their own with `POST /api/v1/auth/password` first; until then the session reaches only that, `/api/v1/me` and logout.";
    NotFound = "not_found", NOT_FOUND,
        "No route has this path, what it names (an alert) does not exist or belongs to another tenant, or the OpenID login is not configured.";
    Conflict = "conflict", CONFLICT,
        "The change does not apply to the object as it is now: a status change its current status does not allow (an alert merged into an incident, an incident already closed), or a bulk action whose `expect` count no longer matches what the filter selects; the message says which.";
    MethodNotAllowed = "method_not_allowed", METHOD_NOT_ALLOWED,
        "The path exists but not with this method; the `Allow` header lists the methods it takes.";
    NotAcceptable = "not_acceptable", NOT_ACCEPTABLE,
        "Elasticsearch routes: the `Content-Type` is not one Elasticsearch accepts (answered 406, as Elasticsearch does).";
    BodyTooLarge = "body_too_large", PAYLOAD_TOO_LARGE,
        "The request body is larger than `[http] max_body` (as sent or decompressed), or larger than the whole spool can hold: split it.";
    RecordTooLarge = "record_too_large", PAYLOAD_TOO_LARGE,
        "One record (a `_doc` document, a HEC event or raw line, an OTLP log record, an ingest line) is over the 1 MiB record limit. It was not stored; it is kept as a dead letter.";
    UriTooLong = "uri_too_long", URI_TOO_LONG,
        "The request target (path and query) is longer than 8 KiB.";
    UnsupportedMediaType = "unsupported_media_type", UNSUPPORTED_MEDIA_TYPE,
        "The `Content-Type` is not one the route reads (`application/json` for the REST API).";
    UnsupportedEncoding = "unsupported_encoding", UNSUPPORTED_MEDIA_TYPE,
        "The `Content-Encoding` is not one Vigil decodes (identity and gzip).";
    RulesInvalid = "rules_invalid", UNPROCESSABLE_ENTITY,
        "A rule reload failed; the running rules stay in place.";
    CoverageUnconfigured = "coverage_unconfigured", CONFLICT,
        "ATT&CK coverage needs an ATT&CK bundle: the server has no `[coverage] attack_bundle`.";
    RateLimited = "rate_limited", TOO_MANY_REQUESTS,
        "The token is over its API rate limit (`[http] api_rate_limit`, `api_burst`); retry after `Retry-After` seconds.";
    Backpressure = "backpressure", TOO_MANY_REQUESTS,
        "The spool is full; nothing of the request was kept. Retry after `Retry-After` seconds.";
    Internal = "internal", INTERNAL_SERVER_ERROR,
        "The server failed; the cause is in its log.";
    Unavailable = "unavailable", SERVICE_UNAVAILABLE,
        "The spool cannot take records now (a disk error, shutting down), or the OpenID provider's keys are not loaded yet; retry later.";
    IdentityProvider = "identity_provider", BAD_GATEWAY,
        "The OpenID provider refused or failed the login's code exchange, or could not be reached; the message says which, never repeating a code or a token.";
    NotReady = "not_ready", SERVICE_UNAVAILABLE,
        "`/readyz`: the pipeline has stopped or the spool is full.";
}

impl ErrorCode {
    /// The table as Markdown (code, status, meaning), for the documentation.
    pub fn markdown_table() -> String {
        let mut out = String::from("| code | HTTP status | meaning |\n|---|---|---|\n");
        for c in ErrorCode::ALL {
            out.push_str(&format!(
                "| `{}` | {} | {} |\n",
                c.as_str(),
                c.status().as_u16(),
                c.meaning()
            ));
        }
        out
    }
}

impl std::fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn error_codes_are_unique_and_errors() {
        let mut names: Vec<&str> = ErrorCode::ALL.iter().map(|c| c.as_str()).collect();
        let n = names.len();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), n);
        assert!(ErrorCode::ALL.iter().all(|c| c.status().as_u16() >= 400));
        assert!(ErrorCode::markdown_table().contains("| `not_found` | 404 |"));
    }

    #[test]
    fn input_codes_are_in_the_dead_letter_table() {
        for code in ALL {
            assert!(DeadLetterCode::parse(code).is_some(), "{code}");
        }
        assert_eq!(BAD_JSON, "invalid_json");
        assert_eq!(FRAME_TOO_LARGE, "too_large");
    }
}
