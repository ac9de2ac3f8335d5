//! Bounded request bodies: size limits before and after decompression (gzip, deflate).

use std::io::Read;

use axum::body::Body;
use axum::http::HeaderMap;
use axum::http::header::{CONTENT_ENCODING, CONTENT_LENGTH};
use bytes::{Bytes, BytesMut};
use http_body_util::BodyExt;

/// Why a body could not be read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum BodyError {
    /// Larger than the limit (compressed or decompressed).
    TooLarge(usize),
    /// A `Content-Encoding` we do not decode.
    UnsupportedEncoding(String),
    /// The compressed body is corrupt (`raw`: the body as received, for the dead letter).
    BadEncoding { message: String, raw: Bytes },
    /// The connection failed while reading.
    Read(String),
}

impl BodyError {
    pub(crate) fn message(&self) -> String {
        match self {
            BodyError::TooLarge(limit) => format!("request body exceeds {limit} bytes"),
            BodyError::UnsupportedEncoding(e) => format!("unsupported content-encoding [{e}]"),
            BodyError::BadEncoding { message, .. } => {
                format!("cannot decompress request body: {message}")
            }
            BodyError::Read(e) => format!("cannot read request body: {e}"),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Encoding {
    Identity,
    Gzip,
    Deflate,
}

fn encoding(headers: &HeaderMap) -> Result<Encoding, BodyError> {
    let Some(value) = headers.get(CONTENT_ENCODING) else {
        return Ok(Encoding::Identity);
    };
    let value = value
        .to_str()
        .map_err(|_| BodyError::UnsupportedEncoding("<non-ascii>".into()))?
        .trim()
        .to_ascii_lowercase();
    match value.as_str() {
        "" | "identity" => Ok(Encoding::Identity),
        "gzip" | "x-gzip" => Ok(Encoding::Gzip),
        "deflate" => Ok(Encoding::Deflate),
        _ => Err(BodyError::UnsupportedEncoding(value)),
    }
}

/// Reads at most `limit` bytes of `body`.
async fn read_limited(mut body: Body, limit: usize) -> Result<Bytes, BodyError> {
    let mut buf = BytesMut::new();
    while let Some(frame) = body.frame().await {
        let frame = frame.map_err(|e| BodyError::Read(e.to_string()))?;
        if let Ok(data) = frame.into_data() {
            if buf.len() + data.len() > limit {
                return Err(BodyError::TooLarge(limit));
            }
            buf.extend_from_slice(&data);
        }
    }
    Ok(buf.freeze())
}

/// Decompresses `data` into at most `limit` bytes.
fn decompress(encoding: Encoding, data: &[u8], limit: usize) -> Result<Bytes, BodyError> {
    let reader: Box<dyn Read> = match encoding {
        Encoding::Identity => return Ok(Bytes::copy_from_slice(data)),
        Encoding::Gzip => Box::new(flate2::read::MultiGzDecoder::new(data)),
        Encoding::Deflate => Box::new(flate2::read::ZlibDecoder::new(data)),
    };
    let mut out = Vec::with_capacity(data.len().saturating_mul(4).min(limit));
    let read = reader
        .take(limit as u64 + 1)
        .read_to_end(&mut out)
        .map_err(|e| BodyError::BadEncoding {
            message: e.to_string(),
            raw: Bytes::copy_from_slice(data),
        })?;
    if read > limit {
        return Err(BodyError::TooLarge(limit));
    }
    Ok(Bytes::from(out))
}

/// The request body, bounded by `max_body` as sent and `max_decoded` after decompression.
/// Decompression runs on the blocking pool.
pub(crate) async fn read_body(
    headers: &HeaderMap,
    body: Body,
    max_body: usize,
    max_decoded: usize,
) -> Result<Bytes, BodyError> {
    let encoding = encoding(headers)?;
    let declared = headers
        .get(CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|len| len > max_body as u64) {
        return Err(BodyError::TooLarge(max_body));
    }
    let raw = read_limited(body, max_body).await?;
    if encoding == Encoding::Identity {
        if raw.len() > max_decoded {
            return Err(BodyError::TooLarge(max_decoded));
        }
        return Ok(raw);
    }
    tokio::task::spawn_blocking(move || decompress(encoding, &raw, max_decoded))
        .await
        .map_err(|e| BodyError::Read(e.to_string()))?
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;
    use std::io::Write;

    fn gzip(data: &[u8]) -> Vec<u8> {
        let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        enc.write_all(data).expect("write");
        enc.finish().expect("finish")
    }

    fn headers(encoding: &str) -> HeaderMap {
        let mut h = HeaderMap::new();
        h.insert(CONTENT_ENCODING, HeaderValue::from_str(encoding).expect("ascii"));
        h
    }

    #[tokio::test]
    async fn gzip_is_decoded_and_bounded() {
        let plain = vec![b'a'; 100_000];
        let packed = gzip(&plain);
        let ok = read_body(&headers("gzip"), Body::from(packed.clone()), 1 << 20, 200_000).await;
        assert_eq!(ok.expect("decodes"), Bytes::from(plain));
        let bomb = read_body(&headers("gzip"), Body::from(packed), 1 << 20, 99_999).await;
        assert_eq!(bomb, Err(BodyError::TooLarge(99_999)));
    }

    #[tokio::test]
    async fn limits_and_bad_encodings() {
        let h = HeaderMap::new();
        assert_eq!(
            read_body(&h, Body::from(vec![0u8; 11]), 10, 100).await,
            Err(BodyError::TooLarge(10))
        );
        assert!(matches!(
            read_body(&headers("br"), Body::from("x"), 10, 10).await,
            Err(BodyError::UnsupportedEncoding(_))
        ));
        assert!(matches!(
            read_body(&headers("gzip"), Body::from("not gzip"), 100, 100).await,
            Err(BodyError::BadEncoding { .. })
        ));
    }
}
