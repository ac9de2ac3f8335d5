//! The partition schema and how an [`Event`] becomes a tantivy document (and back).
//!
//! | field | kind | holds |
//! |---|---|---|
//! | `_ts` | i64, fast | event time (or ingest time) in ns since the epoch: time ranges, sorting, histograms |
//! | `_id_hi`, `_id_lo` | u64, fast | the event id, the tie-breaker of the sort and cursors |
//! | `_src` | bytes, stored (zstd doc store) | the event as compact JSON: the only copy of the fields |
//! | `f` | JSON, indexed (doc ids only) | every leaf by dotted path: its text lower-cased whole (keyword; also what terms and cardinality aggregations read), and numbers (and numeric strings) as numbers |
//! | `ip` | JSON, indexed | leaves that parse as IP addresses, as 32 hex digits of the IPv6(-mapped) address: CIDR ranges |
//! | `_all` | text, doc ids only | every string and number, tokenised: bare terms (bare phrases are checked against `_src`) |
//! | `_names` | keyword | every field path present (and its parents): `field:*` |
//!
//! Paths: a nested object `{"process": {"executable": …}}` and a flat key `"process.executable"` both
//! index under `process.executable` (JSON fields expand dots). Array elements index under the
//! array's path. Source and logsource go in as `_input`, `_host`, `_path`, `_product`, `_service` and
//! `_category` (queryable and aggregatable, but not in `_all`).
//!
//! Nothing is indexed with positions or frequencies, and there are no per-path fast fields: on
//! Sysmon-like events this keeps the partition near a quarter of the raw NDJSON size (see the
//! `disk` integration test for the measured figure and its breakdown).

use std::borrow::Cow;
use std::net::IpAddr;

use indexmap::IndexMap;
use jiff::Timestamp;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use tantivy::TantivyDocument;
use tantivy::schema::document::OwnedValue;
use tantivy::schema::{
    BytesOptions, Field, IndexRecordOption, JsonObjectOptions, NumericOptions, Schema, TextFieldIndexing, TextOptions,
};
use tantivy::tokenizer::{LowerCaser, RawTokenizer, RemoveLongFilter, SimpleTokenizer, TextAnalyzer, TokenizerManager};
use vigil_event::{Event, EventId, Fields, LogSourceTags, Raw, Source};

/// Tokenizer of `f`: the whole value, lower-cased.
pub(crate) const KEYWORD_LOWER: &str = "vigil_keyword_lower";
/// Tokenizer of `_all`.
pub(crate) const TEXT: &str = "vigil_text";
/// Longest value (bytes) indexed as one keyword term; longer values are found by bare terms only.
pub(crate) const MAX_KEYWORD_BYTES: usize = 16_384;
/// Longest word (bytes) of `_all`: a SHA-512 in hex (128 digits) is still a word; longer runs
/// (base64 blobs, encoded commands) are found by field wildcards only.
pub(crate) const MAX_WORD_BYTES: usize = 128;
/// Deepest nesting indexed.
const MAX_DEPTH: usize = 32;

/// Handles to the fields of the partition schema.
#[derive(Debug, Clone)]
pub(crate) struct StoreSchema {
    pub schema: Schema,
    pub ts: Field,
    pub id_hi: Field,
    pub id_lo: Field,
    pub src: Field,
    pub f: Field,
    pub ip: Field,
    pub all: Field,
    pub names: Field,
}

impl StoreSchema {
    pub fn new() -> Self {
        let mut b = Schema::builder();
        let ts = b.add_i64_field("_ts", NumericOptions::default().set_fast());
        let id_hi = b.add_u64_field("_id_hi", NumericOptions::default().set_fast());
        let id_lo = b.add_u64_field("_id_lo", NumericOptions::default().set_fast());
        let src = b.add_bytes_field("_src", BytesOptions::default().set_stored());
        let keyword = |tokenizer: &str| {
            TextFieldIndexing::default()
                .set_tokenizer(tokenizer)
                .set_index_option(IndexRecordOption::Basic)
                .set_fieldnorms(false)
        };
        let f = b.add_json_field(
            "f",
            JsonObjectOptions::default()
                .set_indexing_options(keyword(KEYWORD_LOWER))
                .set_expand_dots_enabled(),
        );
        let ip = b.add_json_field(
            "ip",
            JsonObjectOptions::default()
                .set_indexing_options(keyword("raw"))
                .set_expand_dots_enabled(),
        );
        let all = b.add_text_field(
            "_all",
            TextOptions::default().set_indexing_options(
                TextFieldIndexing::default()
                    .set_tokenizer(TEXT)
                    .set_index_option(IndexRecordOption::Basic)
                    .set_fieldnorms(false),
            ),
        );
        let names = b.add_text_field("_names", TextOptions::default().set_indexing_options(keyword("raw")));
        StoreSchema {
            schema: b.build(),
            ts,
            id_hi,
            id_lo,
            src,
            f,
            ip,
            all,
            names,
        }
    }

    /// The analyzers the schema names (tantivy does not persist them: register on every open).
    pub fn tokenizers() -> TokenizerManager {
        let manager = TokenizerManager::default();
        manager.register(KEYWORD_LOWER, keyword_analyzer());
        manager.register(TEXT, text_analyzer());
        manager
    }

    /// Builds the document of one event, stamped at `ts` (ns).
    pub fn document(&self, event: &Event, ts: i64, time_kept: bool) -> TantivyDocument {
        let mut doc = TantivyDocument::new();
        doc.add_i64(self.ts, ts);
        doc.add_u64(self.id_hi, (event.id.0 >> 64) as u64);
        doc.add_u64(self.id_lo, event.id.0 as u64);
        doc.add_bytes(self.src, &src_bytes(event, time_kept));

        let leaves = Leaves::of(event);
        for name in leaves.names() {
            doc.add_text(self.names, name);
        }
        let mut f = Vec::with_capacity(leaves.paths.len());
        let mut ip = Vec::new();
        for (path, values) in leaves.paths {
            let mut fv = Vec::with_capacity(values.len() * 2);
            let mut ipv = Vec::new();
            for leaf in values {
                let text = leaf.text();
                if text.len() <= MAX_KEYWORD_BYTES {
                    fv.push(OwnedValue::Str(text.into_owned()));
                }
                match leaf {
                    Leaf::Num(n) => fv.push(number_value(n)),
                    Leaf::Str(s) => {
                        if let Some(n) = numeric_string(s) {
                            fv.push(n);
                        }
                        if let Some(addr) = parse_ip(s) {
                            ipv.push(OwnedValue::Str(ip_key(addr)));
                        }
                    }
                    Leaf::Bool(_) => {}
                }
            }
            if !ipv.is_empty() {
                ip.push((path.to_string(), OwnedValue::Array(ipv)));
            }
            f.push((path.into_owned(), OwnedValue::Array(fv)));
        }
        doc.add_field_value(self.f, &OwnedValue::Object(f));
        if !ip.is_empty() {
            doc.add_field_value(self.ip, &OwnedValue::Object(ip));
        }
        for text in leaves.text {
            doc.add_text(self.all, text);
        }
        doc
    }
}

fn keyword_analyzer() -> TextAnalyzer {
    TextAnalyzer::builder(RawTokenizer::default())
        .filter(RemoveLongFilter::limit(MAX_KEYWORD_BYTES + 1))
        .filter(LowerCaser)
        .build()
}

/// The analyzer of `_all` (also used to tokenise bare query terms).
pub(crate) fn text_analyzer() -> TextAnalyzer {
    TextAnalyzer::builder(SimpleTokenizer::default())
        .filter(RemoveLongFilter::limit(MAX_WORD_BYTES + 1))
        .filter(LowerCaser)
        .build()
}

/// Lower-cases like tantivy's `LowerCaser` (no final-sigma rule).
pub(crate) fn lowercase(text: &str) -> String {
    if text.is_ascii() {
        return text.to_ascii_lowercase();
    }
    text.chars().flat_map(char::to_lowercase).collect()
}

/// One indexed value.
enum Leaf<'a> {
    Str(&'a str),
    Num(&'a serde_json::Number),
    Bool(bool),
}

impl Leaf<'_> {
    fn text(&self) -> Cow<'_, str> {
        match self {
            Leaf::Str(s) => Cow::Borrowed(s),
            Leaf::Num(n) => Cow::Owned(n.to_string()),
            Leaf::Bool(b) => Cow::Borrowed(if *b { "true" } else { "false" }),
        }
    }
}

/// The leaves of an event by dotted path (borrowed from the event where the path is a field
/// name) and the text for `_all`.
struct Leaves<'a> {
    paths: IndexMap<Cow<'a, str>, Vec<Leaf<'a>>, foldhash::fast::RandomState>,
    text: Vec<Cow<'a, str>>,
}

/// The value at `path` of `event` whose keyword (lower-cased) is `keyword`, as the event wrote it:
/// how a terms aggregation shows its bucket keys.
pub(crate) fn written_form(event: &Event, path: &str, keyword: &str) -> Option<String> {
    Leaves::of(event)
        .paths
        .get(path)?
        .iter()
        .map(Leaf::text)
        .find(|text| lowercase(text) == keyword)
        .map(Cow::into_owned)
}

impl<'a> Leaves<'a> {
    /// Every indexed value of `event`: its fields, then the `_input`, `_host`, … meta fields.
    fn of(event: &'a Event) -> Self {
        let n = event.fields.len() + 8;
        let mut leaves = Leaves {
            paths: IndexMap::with_capacity_and_hasher(n, Default::default()),
            text: Vec::with_capacity(n),
        };
        for (key, value) in event.fields.iter() {
            leaves.walk(Cow::Borrowed(key), value, 0, true);
        }
        let source = &event.source;
        let tags = &event.logsource;
        let meta = [
            ("_input", Some(&*source.input)),
            ("_host", source.host.as_deref()),
            ("_path", source.path.as_deref()),
            ("_product", tags.product.as_deref()),
        ]
        .into_iter()
        .chain(tags.services.iter().map(|s| ("_service", Some(&**s))))
        .chain(tags.categories.iter().map(|c| ("_category", Some(&**c))));
        for (name, value) in meta {
            if let Some(v) = value {
                leaves.push(Cow::Borrowed(name), Leaf::Str(v), false);
            }
        }
        leaves
    }

    fn walk(&mut self, path: Cow<'a, str>, value: &'a Value, depth: usize, full_text: bool) {
        if depth > MAX_DEPTH || path.is_empty() {
            return;
        }
        match value {
            Value::Null => {}
            Value::Bool(b) => self.push(path, Leaf::Bool(*b), full_text),
            Value::Number(n) => self.push(path, Leaf::Num(n), full_text),
            Value::String(s) => self.push(path, Leaf::Str(s), full_text),
            Value::Array(items) => {
                for item in items {
                    self.walk(path.clone(), item, depth + 1, full_text);
                }
            }
            Value::Object(map) => {
                for (k, v) in map {
                    self.walk(Cow::Owned(format!("{path}.{k}")), v, depth + 1, full_text);
                }
            }
        }
    }

    fn push(&mut self, path: Cow<'a, str>, leaf: Leaf<'a>, full_text: bool) {
        if full_text {
            match &leaf {
                Leaf::Str(s) => self.text.push(Cow::Borrowed(s)),
                Leaf::Num(n) => self.text.push(Cow::Owned(n.to_string())),
                Leaf::Bool(_) => {}
            }
        }
        match self.paths.get_mut(&*path) {
            Some(values) => values.push(leaf),
            None => {
                self.paths.insert(path, vec![leaf]);
            }
        }
    }

    /// The field names present: every path and each parent (`a.b.c` makes `a`, `a.b`, `a.b.c`
    /// exist), each once.
    fn names(&self) -> impl Iterator<Item = &str> {
        let mut parents: IndexMap<&str, (), foldhash::fast::RandomState> = IndexMap::default();
        for path in self.paths.keys() {
            for (i, _) in path.match_indices('.') {
                let parent = &path[..i];
                if !self.paths.contains_key(parent) {
                    parents.insert(parent, ());
                }
            }
        }
        self.paths.keys().map(|p| &**p).chain(parents.into_keys())
    }
}

/// A JSON number as the value tantivy indexes (it normalises integral floats to integers itself).
fn number_value(n: &serde_json::Number) -> OwnedValue {
    if let Some(i) = n.as_i64() {
        OwnedValue::I64(i)
    } else if let Some(u) = n.as_u64() {
        OwnedValue::U64(u)
    } else {
        OwnedValue::F64(n.as_f64().unwrap_or(f64::NAN))
    }
}

/// A number written as a string (`"4688"`, `"-1.5"`), so `EventID:4688` and numeric ranges find it.
pub(crate) fn numeric_string(s: &str) -> Option<OwnedValue> {
    let first = s.as_bytes().first()?;
    if !(first.is_ascii_digit() || matches!(first, b'-' | b'+' | b'.')) || s.len() > 40 {
        return None;
    }
    if let Ok(i) = s.parse::<i64>() {
        return Some(OwnedValue::I64(i));
    }
    if let Ok(u) = s.parse::<u64>() {
        return Some(OwnedValue::U64(u));
    }
    let f = s.parse::<f64>().ok().filter(|f| f.is_finite())?;
    Some(OwnedValue::F64(f))
}

pub(crate) fn parse_ip(s: &str) -> Option<IpAddr> {
    if s.len() > 45 || s.len() < 2 {
        return None;
    }
    s.parse().ok()
}

/// The IPv6 (IPv4-mapped for v4) address as 32 hex digits: sorts like the address.
pub(crate) fn ip_key(addr: IpAddr) -> String {
    format!("{:032x}", ip_u128(addr))
}

pub(crate) fn ip_u128(addr: IpAddr) -> u128 {
    match addr {
        IpAddr::V4(v4) => u128::from(v4.to_ipv6_mapped()),
        IpAddr::V6(v6) => u128::from(v6),
    }
}

/// The stored form of an event (the `_src` field), as read back. The id is not in it: it is in the
/// `_id_hi`/`_id_lo` fast fields (stores written before 0.1 also have an `id` key here; it is ignored).
#[derive(Deserialize)]
struct Src<'a> {
    /// Set when the event had no time of its own (it is stamped with its ingest time).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    nt: bool,
    #[serde(borrow)]
    i: Cow<'a, str>,
    #[serde(borrow, default, skip_serializing_if = "Option::is_none")]
    h: Option<Cow<'a, str>>,
    #[serde(borrow, default, skip_serializing_if = "Option::is_none")]
    p: Option<Cow<'a, str>>,
    #[serde(default, skip_serializing_if = "is_zero")]
    o: u64,
    /// Set when the offset is the low half of the id (the spool sequence number of a server event),
    /// which is then not written again as `o`.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    oi: bool,
    #[serde(default, skip_serializing_if = "LogSourceTags::is_empty")]
    l: LogSourceTags,
    f: OrderedFields,
}

fn is_zero(n: &u64) -> bool {
    *n == 0
}

fn src_bytes(event: &Event, time_kept: bool) -> Vec<u8> {
    #[derive(Serialize)]
    struct SrcOut<'a> {
        #[serde(skip_serializing_if = "std::ops::Not::not")]
        nt: bool,
        i: &'a str,
        #[serde(skip_serializing_if = "Option::is_none")]
        h: Option<&'a str>,
        #[serde(skip_serializing_if = "Option::is_none")]
        p: Option<&'a str>,
        #[serde(skip_serializing_if = "is_zero")]
        o: u64,
        #[serde(skip_serializing_if = "std::ops::Not::not")]
        oi: bool,
        #[serde(skip_serializing_if = "LogSourceTags::is_empty")]
        l: &'a LogSourceTags,
        f: &'a Fields,
    }
    // A server event's offset is its spool sequence number, already the low half of its id: a
    // number that grows by one per event costs a few bytes of doc store each time it is written.
    let in_id = event.source.offset != 0 && event.source.offset == event.id.0 as u64;
    let out = SrcOut {
        nt: !time_kept,
        i: &event.source.input,
        h: event.source.host.as_deref(),
        p: event.source.path.as_deref(),
        o: if in_id { 0 } else { event.source.offset },
        oi: in_id,
        l: &event.logsource,
        f: &event.fields,
    };
    // Serializing plain maps and strings cannot fail.
    serde_json::to_vec(&out).unwrap_or_default()
}

/// A stored event, decoded.
pub(crate) struct StoredEvent {
    pub id: EventId,
    pub time_kept: bool,
    pub input: String,
    pub host: Option<String>,
    pub path: Option<String>,
    pub offset: u64,
    pub logsource: LogSourceTags,
    pub fields: Fields,
}

impl StoredEvent {
    /// Decodes `_src`; `id` comes from the document's id fast fields. The offset is right only with
    /// the event's real id (a server event's offset is read back from it).
    pub fn decode(bytes: &[u8], id: EventId) -> Result<Self, serde_json::Error> {
        let src: Src<'_> = serde_json::from_slice(bytes)?;
        Ok(StoredEvent {
            id,
            time_kept: !src.nt,
            input: src.i.into_owned(),
            host: src.h.map(Cow::into_owned),
            path: src.p.map(Cow::into_owned),
            offset: if src.oi { id.0 as u64 } else { src.o },
            logsource: src.l,
            fields: src.f.0,
        })
    }

    /// The event again (its raw record is not kept).
    pub fn into_event(self, ts: Timestamp) -> Event {
        Event {
            id: self.id,
            time: self.time_kept.then_some(ts),
            source: Source {
                input: self.input.into(),
                host: self.host.map(Into::into),
                path: self.path.map(Into::into),
                offset: self.offset,
            },
            logsource: self.logsource,
            fields: self.fields,
            raw: Raw::None,
        }
    }
}

/// Fields read back in their stored order.
struct OrderedFields(Fields);

impl<'de> Deserialize<'de> for OrderedFields {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> serde::de::Visitor<'de> for V {
            type Value = OrderedFields;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("an object of fields")
            }
            fn visit_map<A: serde::de::MapAccess<'de>>(self, mut map: A) -> Result<OrderedFields, A::Error> {
                let mut fields = Fields::with_capacity(map.size_hint().unwrap_or(8));
                while let Some((k, v)) = map.next_entry::<String, Value>()? {
                    fields.insert(k, v);
                }
                Ok(OrderedFields(fields))
            }
        }
        d.deserialize_map(V)
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn stored_event_round_trips() {
        let mut fields = Fields::new();
        fields.insert("z", "last?");
        fields.insert("a", json!({"b": [1, 2.5, "x"]}));
        let event = Event::new(
            Source {
                input: "ndjson".into(),
                host: Some("h1".into()),
                path: Some("/x.log".into()),
                offset: 42,
            },
            None,
            LogSourceTags::product("windows").with_service("sysmon"),
            fields.clone(),
            Raw::Text("raw".into()),
        );
        let bytes = src_bytes(&event, false);
        assert!(
            !String::from_utf8_lossy(&bytes).contains(&event.id.to_string()),
            "the id is not stored twice"
        );
        let back = StoredEvent::decode(&bytes, event.id).unwrap();
        assert!(!back.time_kept);
        let ts = Timestamp::from_second(1_700_000_000).unwrap();
        let rebuilt = back.into_event(ts);
        assert_eq!(rebuilt.id, event.id);
        assert_eq!(rebuilt.time, None);
        assert_eq!(rebuilt.source, event.source);
        assert_eq!(rebuilt.logsource, event.logsource);
        assert_eq!(rebuilt.fields.keys().collect::<Vec<_>>(), vec!["z", "a"]);
        assert_eq!(rebuilt.fields, fields);
    }

    #[test]
    fn a_spool_sequence_offset_is_kept_once_in_the_id() {
        let source = |offset| Source {
            input: "http-bulk".into(),
            host: Some("127.0.0.1".into()),
            path: None,
            offset,
        };
        let mut event = Event::new(
            source(9_000_123),
            None,
            LogSourceTags::default(),
            Fields::new(),
            Raw::None,
        );
        event.id = EventId::spooled(5, "http-bulk", 9_000_123);
        let bytes = src_bytes(&event, true);
        let text = String::from_utf8_lossy(&bytes);
        assert!(!text.contains("9000123") && !text.contains(r#""o":"#), "{text}");
        assert!(text.contains(r#""oi":true"#), "{text}");
        assert_eq!(StoredEvent::decode(&bytes, event.id).unwrap().offset, 9_000_123);
        // Any other offset (a file's byte offset, say) is written as it is.
        event.source = source(77);
        let bytes = src_bytes(&event, true);
        assert_eq!(StoredEvent::decode(&bytes, event.id).unwrap().offset, 77);
    }

    #[test]
    fn stores_written_with_the_id_in_src_still_read() {
        let old = br#"{"id":"808f67d9303ce1e134396fb6d4d38780","i":"file","o":7,"f":{"EventID":1}}"#;
        let back = StoredEvent::decode(old, EventId(42)).unwrap();
        assert_eq!(back.id, EventId(42), "the id comes from the fast fields");
        assert_eq!(back.input, "file");
        assert_eq!(back.offset, 7);
        assert_eq!(back.fields.to_json(), serde_json::json!({"EventID": 1}));
    }

    #[test]
    fn numeric_strings_and_ips() {
        assert!(matches!(numeric_string("4688"), Some(OwnedValue::I64(4688))));
        assert!(matches!(numeric_string("-1.5"), Some(OwnedValue::F64(_))));
        assert!(matches!(
            numeric_string("18446744073709551615"),
            Some(OwnedValue::U64(u64::MAX))
        ));
        assert!(numeric_string("inf").is_none());
        assert!(numeric_string("NaN").is_none());
        assert!(numeric_string("0x10").is_none());
        assert!(numeric_string("").is_none());
        assert_eq!(ip_key("10.0.0.1".parse().unwrap()), "00000000000000000000ffff0a000001");
        assert!(parse_ip("2001:db8::1").is_some());
        assert!(parse_ip("a").is_none());
    }

    #[test]
    fn leaves_flatten_nested_and_dotted_keys() {
        let mut fields = Fields::new();
        fields.insert("process.executable", "/bin/sh");
        fields.insert(
            "Event",
            json!({"System": {"EventID": 4688}, "list": [{"a": "x"}, {"a": "y"}], "n": null}),
        );
        let event = Event::new(
            Source {
                input: "test".into(),
                host: None,
                path: None,
                offset: 0,
            },
            None,
            LogSourceTags::default(),
            fields,
            Raw::None,
        );
        let leaves = Leaves::of(&event);
        let paths: Vec<_> = leaves.paths.keys().map(|p| p.to_string()).collect();
        assert_eq!(
            paths,
            vec!["process.executable", "Event.System.EventID", "Event.list.a", "_input"]
        );
        assert_eq!(leaves.paths["Event.list.a"].len(), 2);
        let names: Vec<_> = leaves.names().map(str::to_owned).collect();
        assert!(names.contains(&"Event".to_owned()));
        assert!(names.contains(&"Event.System".to_owned()));
        assert!(names.contains(&"process".to_owned()));
        let mut unique = names.clone();
        unique.sort();
        unique.dedup();
        assert_eq!(unique.len(), names.len(), "each name once: {names:?}");
        assert!(!names.contains(&"Event.n".to_owned()), "null is absent");
    }
}
