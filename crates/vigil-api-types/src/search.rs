//! `POST /api/v1/search`: the request body as clients send it, aggregations and the answer.

use std::collections::BTreeMap;

use jiff::{SignedDuration, Timestamp};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::duration::duration_serde;

/// The request body. Times are RFC 3339, dates, `now`, or ages such as `15m` / `30d`. Unknown
/// fields are refused (400 `bad_request` naming the field).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SearchBody {
    /// The query (field searches such as `host:web01`, words, `AND`/`OR`/`NOT`, ranges); empty
    /// matches every event.
    #[serde(default)]
    pub query: String,
    /// Start of the time range (inclusive): RFC 3339, a date, `now`, or an age such as `30d`.
    #[schema(examples("24h", "2026-12-01T00:00:00Z"))]
    pub from: Option<String>,
    /// End of the time range (exclusive), in the same forms as `from`.
    pub to: Option<String>,
    /// Hits per page: 0 (totals and aggregations only) to 10000; 100 when absent.
    #[schema(minimum = 0, maximum = 10000)]
    pub size: Option<usize>,
    /// `desc` (newest first, the default) or `asc`; `time_desc` and `time_asc` are the same.
    #[schema(schema_with = sort_schema)]
    pub sort: Option<String>,
    /// The `next_cursor` of the previous page.
    pub cursor: Option<String>,
    /// Aggregations over the matching events, by a name of the client's choosing.
    #[serde(default)]
    pub aggs: BTreeMap<String, Agg>,
}

/// `sort`: the words [`SearchBody::sort`] takes, or `null` (the default).
fn sort_schema() -> utoipa::openapi::Object {
    use utoipa::openapi::schema::{SchemaType, Type};
    let words = ["desc", "asc", "time_desc", "time_asc"].map(serde_json::Value::from);
    utoipa::openapi::ObjectBuilder::new()
        .schema_type(SchemaType::from_iter([Type::String, Type::Null]))
        .enum_values(Some(words.into_iter().chain([serde_json::Value::Null])))
        .build()
}

/// One aggregation of a search. JSON: `{"terms": {"field": "User", "size": 5}}`,
/// `{"date_histogram": {"interval": "1h"}}`, `{"cardinality": {"field": "User"}}`, `{"count": {}}`.
/// Unknown fields are refused.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub enum Agg {
    /// The most frequent values of a field.
    Terms {
        field: String,
        /// How many values: 1 to 10000 (default 10).
        #[serde(default = "default_terms_size")]
        #[schema(minimum = 1, maximum = 10000)]
        size: usize,
    },
    /// Events per fixed interval of event time.
    DateHistogram {
        /// The interval, a duration such as `1h` or `15m` (`fixed_interval` is read too). At most
        /// 100000 buckets may result.
        #[serde(with = "duration_serde", alias = "fixed_interval")]
        #[schema(value_type = String, examples("1h"))]
        interval: SignedDuration,
    },
    /// How many distinct values a field has.
    Cardinality { field: String },
    /// How many events match.
    #[schema(max_properties = 0)]
    Count {},
}

fn default_terms_size() -> usize {
    10
}

/// The answer of one aggregation (JSON tagged by `type`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum AggResult {
    Terms {
        buckets: Vec<TermsBucket>,
        /// Matching values outside the top `size`.
        sum_other_doc_count: u64,
    },
    DateHistogram {
        buckets: Vec<DateBucket>,
    },
    Cardinality {
        value: u64,
    },
    Count {
        value: u64,
    },
}

/// A value and how many events have it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct TermsBucket {
    pub key: String,
    pub doc_count: u64,
}

/// An interval's start (RFC 3339) and how many events fall in it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct DateBucket {
    /// The interval's start.
    pub key: Timestamp,
    pub doc_count: u64,
}

/// The answer to a search.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct SearchResponse {
    /// Exact number of matching events in the time range (whatever the cursor).
    pub total: u64,
    pub hits: Vec<Hit>,
    /// Set when more hits follow this page.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub next_cursor: Option<String>,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub aggs: BTreeMap<String, AggResult>,
}

/// One matching event.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Hit {
    /// The event id, 32 hex digits.
    pub id: String,
    /// The event time (its ingest time when it had none, or one the server did not trust).
    pub time: Timestamp,
    /// True when `time` is the ingest time, not the event's own (its own, if any, is in `fields`).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub ingest_time: bool,
    /// The input it came from (`evtx`, `syslog`, …).
    pub input: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub host: Option<String>,
    /// The event's fields, as a JSON object.
    #[schema(value_type = Object)]
    pub fields: serde_json::Value,
}
