//! `POST /api/v1/search`: the request body as clients send it, aggregations and the answer.

use std::collections::BTreeMap;

use jiff::{SignedDuration, Timestamp};
use serde::{Deserialize, Serialize};

use crate::duration::duration_serde;

/// The request body. Times are RFC 3339, dates, `now`, or ages such as `15m` / `30d`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SearchBody {
    #[serde(default)]
    pub query: String,
    pub from: Option<String>,
    pub to: Option<String>,
    pub size: Option<usize>,
    /// `desc` (newest first, the default) or `asc`.
    pub sort: Option<String>,
    pub cursor: Option<String>,
    #[serde(default)]
    pub aggs: BTreeMap<String, Agg>,
}

/// One aggregation of a search. JSON: `{"terms": {"field": "User", "size": 5}}`,
/// `{"date_histogram": {"interval": "1h"}}`, `{"cardinality": {"field": "User"}}`, `{"count": {}}`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Agg {
    /// The most frequent values of a field.
    Terms {
        field: String,
        #[serde(default = "default_terms_size")]
        size: usize,
    },
    /// Events per fixed interval of event time.
    DateHistogram {
        #[serde(with = "duration_serde", alias = "fixed_interval")]
        interval: SignedDuration,
    },
    /// How many distinct values a field has.
    Cardinality { field: String },
    /// How many events match.
    Count {},
}

fn default_terms_size() -> usize {
    10
}

/// The answer of one aggregation (JSON tagged by `type`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
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
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TermsBucket {
    pub key: String,
    pub doc_count: u64,
}

/// An interval's start (RFC 3339) and how many events fall in it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DateBucket {
    pub key: Timestamp,
    pub doc_count: u64,
}

/// The answer to a search.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
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
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
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
    pub fields: serde_json::Value,
}
