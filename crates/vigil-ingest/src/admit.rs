//! What a record must be for the pipeline to store it, checked before an input acknowledges it:
//! an input answers "stored" only for records the pipeline will not dead-letter later.
//!
//! The pipeline parses a [`RecordFormat::Json`] record with `vigil_parse` (at most
//! [`MAX_RECORD_BYTES`], UTF-8, JSON within serde_json's nesting limit of 128 and with numbers
//! in range, an object) and keeps a [`RecordFormat::Text`] record as its text (not blank).
//! [`check`] refuses here what it would refuse there, so the refusal reaches the sender with its
//! reason instead of a dead letter after an acknowledgment.

use serde::de::{self, Deserialize, Deserializer, MapAccess, SeqAccess, Visitor};

use crate::{Record, RecordFormat, codes};

/// The largest record any input accepts: 1 MiB of data plus attributes. This is the parser's
/// record limit (`vigil_parse`'s `MAX_RECORD_BYTES`): a larger record would be dead-lettered
/// after it was acknowledged.
pub const MAX_RECORD_BYTES: usize = 1 << 20;

/// Why a record cannot be stored.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Refusal {
    /// Data and attributes together are over [`MAX_RECORD_BYTES`].
    TooLarge {
        /// The record's size.
        bytes: usize,
    },
    /// Nothing but white space.
    Blank,
    /// Not valid UTF-8.
    NotUtf8,
    /// Not JSON the parser reads: a syntax error, nesting too deep, a number out of range.
    BadJson(String),
    /// JSON, but not an object.
    NotAnObject,
}

impl Refusal {
    /// The stable dead-letter code ([`crate::codes`]).
    pub fn code(&self) -> &'static str {
        match self {
            Refusal::TooLarge { .. } => codes::FRAME_TOO_LARGE,
            Refusal::Blank | Refusal::NotUtf8 | Refusal::BadJson(_) | Refusal::NotAnObject => codes::BAD_JSON,
        }
    }
}

impl std::fmt::Display for Refusal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Refusal::TooLarge { bytes } => write!(
                f,
                "the record has {bytes} bytes, over the {MAX_RECORD_BYTES}-byte record limit"
            ),
            Refusal::Blank => f.write_str("the record is empty"),
            Refusal::NotUtf8 => f.write_str("the record is not valid UTF-8"),
            Refusal::BadJson(e) => write!(f, "invalid JSON: {e}"),
            Refusal::NotAnObject => f.write_str("the document is not a JSON object"),
        }
    }
}

/// The bytes a record counts against [`MAX_RECORD_BYTES`]: its data and its attributes.
pub fn record_bytes(record: &Record) -> usize {
    let attrs: usize = record.attrs.iter().map(|(k, v)| k.len() + v.len()).sum();
    record.data.len() + attrs
}

/// Whether the pipeline will store `record` (see the module documentation). Syslog records are
/// checked for size only: syslog senders get no per-message answer, so a message the parser
/// refuses is dead-lettered there with the parser's reason.
pub fn check(record: &Record) -> Result<(), Refusal> {
    let bytes = record_bytes(record);
    if bytes > MAX_RECORD_BYTES {
        return Err(Refusal::TooLarge { bytes });
    }
    match record.format {
        RecordFormat::Json => check_json_object(&record.data),
        RecordFormat::Text => check_text(&record.data),
        RecordFormat::Syslog => Ok(()),
    }
}

/// A text record is kept as its (lossily decoded) text, unless that is blank.
pub fn check_text(data: &[u8]) -> Result<(), Refusal> {
    if String::from_utf8_lossy(data).trim().is_empty() {
        return Err(Refusal::Blank);
    }
    Ok(())
}

/// A JSON record must be one JSON object, as `vigil_parse` reads it: white space around it is
/// ignored, the rest must be UTF-8, within serde_json's nesting limit and numbers in range.
pub fn check_json_object(data: &[u8]) -> Result<(), Refusal> {
    let data = data.trim_ascii();
    if data.is_empty() {
        return Err(Refusal::Blank);
    }
    let text = std::str::from_utf8(data).map_err(|_| Refusal::NotUtf8)?;
    let mut de = serde_json::Deserializer::from_str(text);
    let kind = Kind::deserialize(&mut de).map_err(|e| Refusal::BadJson(e.to_string()))?;
    de.end().map_err(|e| Refusal::BadJson(e.to_string()))?;
    match kind {
        Kind::Object => Ok(()),
        Kind::Other => Err(Refusal::NotAnObject),
    }
}

/// What a JSON value is, found by walking it as `serde_json::Value` would be built (the same
/// nesting limit and number parsing) without building it.
enum Kind {
    Object,
    Other,
}

impl<'de> Deserialize<'de> for Kind {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Kind, D::Error> {
        deserializer.deserialize_any(KindVisitor)
    }
}

struct KindVisitor;

impl<'de> Visitor<'de> for KindVisitor {
    type Value = Kind;

    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("any JSON value")
    }

    fn visit_bool<E: de::Error>(self, _: bool) -> Result<Kind, E> {
        Ok(Kind::Other)
    }

    fn visit_i64<E: de::Error>(self, _: i64) -> Result<Kind, E> {
        Ok(Kind::Other)
    }

    fn visit_u64<E: de::Error>(self, _: u64) -> Result<Kind, E> {
        Ok(Kind::Other)
    }

    fn visit_i128<E: de::Error>(self, _: i128) -> Result<Kind, E> {
        Ok(Kind::Other)
    }

    fn visit_u128<E: de::Error>(self, _: u128) -> Result<Kind, E> {
        Ok(Kind::Other)
    }

    fn visit_f64<E: de::Error>(self, _: f64) -> Result<Kind, E> {
        Ok(Kind::Other)
    }

    fn visit_str<E: de::Error>(self, _: &str) -> Result<Kind, E> {
        Ok(Kind::Other)
    }

    fn visit_unit<E: de::Error>(self) -> Result<Kind, E> {
        Ok(Kind::Other)
    }

    fn visit_none<E: de::Error>(self) -> Result<Kind, E> {
        Ok(Kind::Other)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Kind, A::Error> {
        while seq.next_element::<Kind>()?.is_some() {}
        Ok(Kind::Other)
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Kind, A::Error> {
        while map.next_entry::<Kind, Kind>()?.is_some() {}
        Ok(Kind::Object)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use std::sync::Arc;

    /// What the pipeline's parser decides: a JSON object, or not.
    fn parser_accepts(data: &[u8]) -> bool {
        let Ok(text) = std::str::from_utf8(data.trim_ascii()) else {
            return false;
        };
        matches!(
            serde_json::from_str::<serde_json::Value>(text),
            Ok(serde_json::Value::Object(_))
        )
    }

    fn nested(depth: usize) -> Vec<u8> {
        let mut s = "{\"a\":".repeat(depth);
        s.push('1');
        s.push_str(&"}".repeat(depth));
        s.into_bytes()
    }

    #[test]
    fn refuses_what_the_parser_refuses() {
        let cases: Vec<Vec<u8>> = vec![
            b"{\"a\":1}".to_vec(),
            b"  {\"a\":[1,2,{\"b\":null}]}\n".to_vec(),
            b"{\"a\":\"\xff\"}".to_vec(),
            b"{\"a\":1e400}".to_vec(),
            b"{\"a\":-1e400}".to_vec(),
            b"{\"a\":18446744073709551616}".to_vec(),
            b"[1]".to_vec(),
            b"\"x\"".to_vec(),
            b"{\"a\":1} x".to_vec(),
            b"{\"a\":1}{}".to_vec(),
            b"{\"\\ud800\":1}".to_vec(),
            b"".to_vec(),
            b"\x0c{}\x0c".to_vec(),
            nested(127),
            nested(128),
            nested(129),
            nested(10_000),
        ];
        for case in cases {
            assert_eq!(
                check_json_object(&case).is_ok(),
                parser_accepts(&case),
                "{:?}",
                String::from_utf8_lossy(&case[..case.len().min(60)])
            );
        }
        assert_eq!(
            check_json_object(&nested(200)).map_err(|e| e.code()),
            Err(codes::BAD_JSON)
        );
    }

    #[test]
    fn size_counts_data_and_attributes() {
        let mut record = Record::new(Arc::from("t"), RecordFormat::Text, vec![b'x'; MAX_RECORD_BYTES - 2]);
        assert_eq!(check(&record), Ok(()));
        record.attrs.push(("k".into(), "vv".into()));
        assert_eq!(
            check(&record),
            Err(Refusal::TooLarge {
                bytes: MAX_RECORD_BYTES + 1
            })
        );
        assert_eq!(
            check_text(b" \t\xe3\x80\x80 "),
            Err(Refusal::Blank),
            "unicode white space is blank"
        );
    }

    proptest! {
        #[test]
        fn agrees_with_the_parser_on_arbitrary_bytes(data in proptest::collection::vec(any::<u8>(), 0..64)) {
            prop_assert_eq!(check_json_object(&data).is_ok(), parser_accepts(&data));
        }

        #[test]
        fn agrees_with_the_parser_on_json_like_text(data in "[ {}\\[\\]\":,0-9a-z.eE+\\-\\\\]{0,40}") {
            prop_assert_eq!(check_json_object(data.as_bytes()).is_ok(), parser_accepts(data.as_bytes()));
        }
    }
}
