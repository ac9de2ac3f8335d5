//! Request extraction that fails in the API's error shape: JSON bodies, raw bodies and query
//! parameters. axum's own extractors answer in plain text with library wording ("Failed to
//! deserialize the JSON body into the target type: …"); these answer with a code from the table
//! and a message that names the field or parameter.

use axum::{
    body::Bytes,
    extract::{FromRequest, Request, rejection::BytesRejection, rejection::FailedToBufferBody},
    http::{Uri, header},
    middleware::Next,
    response::{IntoResponse, Response},
};
use serde::de::DeserializeOwned;

use super::{ApiError, Ctx, ErrorCode};
use crate::serde_text::plain;

/// Longest request target (path and query) the API reads; longer gets 414 `uri_too_long`.
/// (hyper itself answers 414 with an empty body past 65,534 bytes, before any of Vigil's code.)
pub const MAX_URI_BYTES: usize = 8 << 10;

/// A request body of at most `[http] max_body` bytes.
#[derive(Debug)]
pub struct RawBody(pub Bytes);

impl FromRequest<Ctx> for RawBody {
    type Rejection = ApiError;

    async fn from_request(req: Request, ctx: &Ctx) -> Result<Self, ApiError> {
        match Bytes::from_request(req, ctx).await {
            Ok(bytes) => Ok(RawBody(bytes)),
            Err(BytesRejection::FailedToBufferBody(FailedToBufferBody::LengthLimitError(_))) => Err(ApiError::new(
                ErrorCode::BodyTooLarge,
                format!(
                    "the request body is larger than {} bytes ([http] max_body); split it",
                    ctx.max_body_bytes
                ),
            )),
            Err(_) => Err(ApiError::bad_request("the request body could not be read")),
        }
    }
}

/// A JSON body (`Content-Type: application/json`) read into `T`.
#[derive(Debug)]
pub struct JsonBody<T>(pub T);

impl<T: DeserializeOwned> FromRequest<Ctx> for JsonBody<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, ctx: &Ctx) -> Result<Self, ApiError> {
        if !is_json(req.headers().get(header::CONTENT_TYPE)) {
            return Err(ApiError::new(
                ErrorCode::UnsupportedMediaType,
                "send the body as JSON, with Content-Type: application/json",
            ));
        }
        let RawBody(bytes) = RawBody::from_request(req, ctx).await?;
        parse_json(&bytes).map(JsonBody)
    }
}

fn is_json(value: Option<&header::HeaderValue>) -> bool {
    let Some(mime) = value.and_then(|v| v.to_str().ok()) else {
        return false;
    };
    let essence = mime.split(';').next().unwrap_or("").trim().to_ascii_lowercase();
    essence == "application/json" || (essence.starts_with("application/") && essence.ends_with("+json"))
}

/// Reads JSON into `T`: a syntax error is `invalid_json`; a field of the wrong type, an unknown
/// or missing field is `bad_request` naming the field by its path (`aggs.by_host.terms.size`).
pub fn parse_json<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, ApiError> {
    let mut de = serde_json::Deserializer::from_slice(bytes);
    let value: T = serde_path_to_error::deserialize(&mut de).map_err(|e| {
        let path = e.path().to_string();
        let inner = e.into_inner();
        let message = plain(&inner.to_string());
        match inner.classify() {
            serde_json::error::Category::Data if path != "." => ApiError::param(&path, message),
            serde_json::error::Category::Data if bytes.trim_ascii_start().first() != Some(&b'{') => {
                ApiError::bad_request("the body must be a JSON object, not an array or a single value")
            }
            serde_json::error::Category::Data => ApiError::bad_request(message),
            _ => invalid_json(&message),
        }
    })?;
    de.end().map_err(|e| invalid_json(&plain(&e.to_string())))?;
    Ok(value)
}

fn invalid_json(message: &str) -> ApiError {
    ApiError::new(ErrorCode::InvalidJson, format!("the body is not valid JSON: {message}"))
}

/// Query parameters, checked against the names a route takes.
#[derive(Debug)]
pub struct Params(Vec<(String, String)>);

impl Params {
    /// The parameters of `uri`: an unknown name, or a name given twice, is a `bad_request`.
    pub fn of(uri: &Uri, allowed: &[&str]) -> Result<Params, ApiError> {
        let pairs: Vec<(String, String)> = serde_urlencoded::from_str(uri.query().unwrap_or(""))
            .map_err(|_| ApiError::bad_request("the query string is not valid (name=value pairs, percent-encoded)"))?;
        for (i, (name, _)) in pairs.iter().enumerate() {
            if !allowed.contains(&name.as_str()) {
                return Err(ApiError::bad_request(format!(
                    "unknown parameter `{name}`; this route takes: {}",
                    allowed.join(", ")
                )));
            }
            if pairs[..i].iter().any(|(n, _)| n == name) {
                return Err(ApiError::param(name, "given more than once"));
            }
        }
        Ok(Params(pairs))
    }

    /// The value of `name`, as given.
    pub fn text(&self, name: &str) -> Option<String> {
        self.0.iter().find(|(n, _)| n == name).map(|(_, v)| v.clone())
    }

    /// The value of `name` read by `read`; its error becomes a `bad_request` naming `name`.
    pub fn read<T, E: std::fmt::Display>(
        &self,
        name: &str,
        read: impl FnOnce(&str) -> Result<T, E>,
    ) -> Result<Option<T>, ApiError> {
        self.0
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| read(v).map_err(|e| ApiError::param(name, e)))
            .transpose()
    }
}

/// The fallback of every path no route has.
pub async fn not_found(uri: Uri) -> ApiError {
    ApiError::new(
        ErrorCode::NotFound,
        format!("no route for {}; the API is under /api/v1/", uri.path()),
    )
}

/// Refuses request targets longer than [`MAX_URI_BYTES`] with 414 `uri_too_long`.
pub async fn limit_uri(req: Request, next: Next) -> Response {
    let len = req.uri().path_and_query().map_or(0, |pq| pq.as_str().len());
    if len > MAX_URI_BYTES {
        return ApiError::new(
            ErrorCode::UriTooLong,
            format!("the request target is {len} bytes; at most {MAX_URI_BYTES} are read"),
        )
        .into_response();
    }
    next.run(req).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, serde::Deserialize)]
    #[serde(deny_unknown_fields)]
    #[expect(dead_code, reason = "read only to check errors")]
    struct Body {
        size: Option<usize>,
        inner: Option<Inner>,
    }

    #[derive(Debug, serde::Deserialize)]
    #[expect(dead_code, reason = "read only to check errors")]
    struct Inner {
        n: u32,
    }

    #[test]
    fn json_errors_name_the_field_in_json_words() {
        let e = parse_json::<Body>(br#"{"size": "x"}"#).expect_err("type");
        assert_eq!(e.code, ErrorCode::BadRequest);
        assert!(
            e.message.starts_with("size: invalid type: string \"x\""),
            "{}",
            e.message
        );
        assert!(!e.message.contains("usize"), "{}", e.message);
        let e = parse_json::<Body>(br#"{"inner": {"n": -1}}"#).expect_err("range");
        assert!(e.message.starts_with("inner.n: "), "{}", e.message);
        let e = parse_json::<Body>(br#"{"colour": 1}"#).expect_err("unknown");
        assert!(e.message.contains("unknown field `colour`"), "{}", e.message);
        let e = parse_json::<Body>(b"[1]").expect_err("array");
        assert!(!e.message.contains("Body"), "{}", e.message);
        let e = parse_json::<Body>(b"{\"size\": 1").expect_err("syntax");
        assert_eq!(e.code, ErrorCode::InvalidJson);
        let e = parse_json::<Body>(b"{} x").expect_err("trailing");
        assert_eq!(e.code, ErrorCode::InvalidJson);
    }

    #[test]
    fn params_refuse_unknown_and_repeated_names() {
        let uri: Uri = "/x?limit=5&since=1d".parse().expect("uri");
        let p = Params::of(&uri, &["limit", "since"]).expect("ok");
        assert_eq!(p.read("limit", |v| v.parse::<u32>()).expect("n"), Some(5));
        let e = p.read("since", |v| v.parse::<u32>()).expect_err("not a number");
        assert!(e.message.starts_with("since: "), "{}", e.message);
        let uri: Uri = "/x?limt=5".parse().expect("uri");
        assert!(
            Params::of(&uri, &["limit"])
                .expect_err("unknown")
                .message
                .contains("`limt`")
        );
        let uri: Uri = "/x?limit=5&limit=6".parse().expect("uri");
        assert!(
            Params::of(&uri, &["limit"])
                .expect_err("twice")
                .message
                .contains("more than once")
        );
    }
}
