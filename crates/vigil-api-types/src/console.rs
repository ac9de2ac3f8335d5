//! What the console (issue 18) reads beyond the other APIs: the live alert stream
//! (`GET /api/v1/alerts/stream`), saved views (`/api/v1/views`) and the rule catalog
//! (`GET /api/v1/rules/catalog`, `GET /api/v1/rules/{id}`).

use std::collections::BTreeMap;

use jiff::Timestamp;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::alerts::Alert;

/// Most alerts one stream event carries; more changes since the cursor send `reset` instead.
pub const MAX_STREAM_BATCH: usize = 500;

/// The `data` of one `event: alerts` of `GET /api/v1/alerts/stream`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct AlertStreamEvent {
    /// Where the stream stands: pass it back as `Last-Event-ID` or `?cursor=` to resume after it
    /// (it is also the event's `id`).
    pub cursor: String,
    /// The alerts created or changed since the previous event, oldest change first, each as it is
    /// now (the element of `GET /api/v1/alerts`). An alert changed twice is sent once.
    pub alerts: Vec<Alert>,
    /// More alerts changed than one event carries (or the cursor is not one this server gave):
    /// `alerts` is empty and the client should list the alerts again, then follow `cursor`.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub reset: bool,
}

/// The name of every event of `GET /api/v1/alerts/stream`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum AlertStreamEventName {
    Alerts,
}

/// One Server-Sent Event of `GET /api/v1/alerts/stream` as the stream carries it: the fields
/// of the `text/event-stream` framing (keep-alive comments carry none and are not events).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct AlertStreamMessage {
    /// `event: alerts`, on every event.
    pub event: AlertStreamEventName,
    /// `id:` the event's cursor (the same as `data`'s `cursor`); `EventSource` sends it back as
    /// `Last-Event-ID` when it reconnects.
    pub id: String,
    /// `data:` an `AlertStreamEvent` as JSON, on one line.
    #[schema(schema_with = alert_stream_data)]
    pub data: String,
    /// `retry:` milliseconds to wait before reconnecting (on the first event only).
    pub retry: Option<u64>,
}

/// The schema of an event's `data`: JSON text of an `AlertStreamEvent`.
fn alert_stream_data() -> utoipa::openapi::Object {
    use utoipa::openapi::{ObjectBuilder, Ref, Type};
    ObjectBuilder::new()
        .schema_type(Type::String)
        .content_media_type("application/json")
        .content_schema(Some(Ref::from_schema_name("AlertStreamEvent")))
        .description(Some("An `AlertStreamEvent` as JSON."))
        .build()
}

/// Longest view name, in characters.
pub const MAX_VIEW_NAME_CHARS: usize = 100;
/// Most query parameters one view keeps.
pub const MAX_VIEW_PARAMS: usize = 32;
/// Longest query parameter name or value, in characters.
pub const MAX_VIEW_VALUE_CHARS: usize = 1000;
/// Most views one owner keeps.
pub const MAX_VIEWS_PER_OWNER: u64 = 200;

/// A saved view of a console page: its query parameters under a name, private to its owner or
/// shared with the tenant.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct SavedView {
    /// `view-` and 16 hexadecimal digits.
    pub id: String,
    pub name: String,
    /// The console page it belongs to (`alerts`, …).
    pub page: String,
    /// The page's query parameters, e.g. `{"status": "new,acknowledged", "min_level": "high"}`.
    pub query: BTreeMap<String, String>,
    /// Visible to everyone of the tenant (`true`) or to its owner only.
    pub shared: bool,
    /// The principal that saved it (`user:alice`).
    pub owner: String,
    pub created: Timestamp,
    pub updated: Timestamp,
}

/// The body of `POST /api/v1/views`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewView {
    /// 1 to 100 characters, unique among the owner's views of the page.
    pub name: String,
    /// The console page (lowercase letters, digits, `-`, `_`; at most 32): `alerts` when absent.
    #[serde(default = "default_page")]
    pub page: String,
    /// Query parameters, strings only: at most 32, names and values at most 1000 characters.
    #[serde(default)]
    pub query: BTreeMap<String, String>,
    /// Share with the tenant (default: private).
    #[serde(default)]
    pub shared: bool,
}

fn default_page() -> String {
    "alerts".into()
}

/// The body of `PATCH /api/v1/views/{id}`: what to change (at least one field).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ViewUpdate {
    pub name: Option<String>,
    pub query: Option<BTreeMap<String, String>>,
    pub shared: Option<bool>,
}

/// The answer of `GET /api/v1/views`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct ViewList {
    /// The caller's own views and the tenant's shared ones, by name.
    pub views: Vec<SavedView>,
}

/// Checks a view's name.
pub fn check_view_name(name: &str) -> Result<(), String> {
    let n = name.trim().chars().count();
    if n == 0 || name.chars().count() > MAX_VIEW_NAME_CHARS {
        return Err(format!("name: 1 to {MAX_VIEW_NAME_CHARS} characters, not blank"));
    }
    if name.chars().any(char::is_control) {
        return Err("name: no control characters".into());
    }
    Ok(())
}

/// Checks a view's page name.
pub fn check_view_page(page: &str) -> Result<(), String> {
    let ok = !page.is_empty()
        && page.len() <= 32
        && page
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'_');
    if ok {
        Ok(())
    } else {
        Err(format!(
            "page: `{page}` is not a page name (lowercase letters, digits, - and _, at most 32)"
        ))
    }
}

/// Checks a view's query parameters.
pub fn check_view_query(query: &BTreeMap<String, String>) -> Result<(), String> {
    if query.len() > MAX_VIEW_PARAMS {
        return Err(format!("query: at most {MAX_VIEW_PARAMS} parameters"));
    }
    for (k, v) in query {
        if k.is_empty() || k.chars().count() > MAX_VIEW_VALUE_CHARS || v.chars().count() > MAX_VIEW_VALUE_CHARS {
            return Err(format!(
                "query: parameter names 1 to {MAX_VIEW_VALUE_CHARS} characters, values at most {MAX_VIEW_VALUE_CHARS}"
            ));
        }
    }
    Ok(())
}

impl NewView {
    /// The name, page and query checked.
    pub fn check(&self) -> Result<(), String> {
        check_view_name(&self.name)?;
        check_view_page(&self.page)?;
        check_view_query(&self.query)
    }
}

impl ViewUpdate {
    /// At least one field, each checked.
    pub fn check(&self) -> Result<(), String> {
        if self.name.is_none() && self.query.is_none() && self.shared.is_none() {
            return Err("name at least one of name, query, shared".into());
        }
        if let Some(name) = &self.name {
            check_view_name(name)?;
        }
        if let Some(query) = &self.query {
            check_view_query(query)?;
        }
        Ok(())
    }
}

/// A rule's result in the latest validation run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum RuleValidation {
    /// A test expecting this rule (or its technique) was detected by it.
    Detected,
    /// Tests expected this rule, and it did not alert on any of them.
    Missed,
    /// No test of the latest run expected this rule, or there is no run.
    NotTested,
}

/// One loaded rule in the catalog, with its figures over the period.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct CatalogRule {
    /// The rule's id (its title when it has none): what alerts name it by.
    pub id: String,
    pub title: String,
    /// `informational` … `critical`.
    pub level: String,
    /// Sigma status (`stable`, `test`, `experimental`, …), when given.
    pub status: Option<String>,
    pub tags: Vec<String>,
    /// ATT&CK technique ids (`T1059.001`).
    pub techniques: Vec<String>,
    /// ATT&CK tactic ids from the tags (`TA0002`).
    pub tactics: Vec<String>,
    pub product: Option<String>,
    pub service: Option<String>,
    pub category: Option<String>,
    /// The file it was loaded from.
    pub path: String,
    /// `detection` or `correlation`.
    pub kind: String,
    /// Alerts the rule raised in the period.
    pub alerts: u64,
    /// False positives among its closed alerts with a disposition (absent without any).
    pub false_positive_rate: Option<f64>,
    /// True positives among its closed alerts with a disposition (absent without any).
    pub precision: Option<f64>,
    /// Its newest alert in the period.
    pub last_alert: Option<Timestamp>,
    /// The latest validation run's verdict.
    pub validation: RuleValidation,
}

/// The answer of `GET /api/v1/rules/catalog`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct RuleCatalog {
    pub from: Timestamp,
    pub to: Timestamp,
    /// The rule set's generation (0 at start, one more per reload).
    pub generation: u64,
    /// The validation run the verdicts come from (absent before the first).
    pub validation_run: Option<String>,
    /// Matching rules, most alerts first (then by title).
    pub rules: Vec<CatalogRule>,
}

/// The answer of `GET /api/v1/rules/{id}`: the catalog entry, its Sigma metadata and its source.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct RuleDetail {
    #[serde(flatten)]
    pub rule: CatalogRule,
    pub description: Option<String>,
    pub author: Option<String>,
    pub references: Vec<String>,
    pub falsepositives: Vec<String>,
    /// The rule's YAML document, read from its file (absent when the file is gone or no longer
    /// holds the rule).
    pub source: Option<String>,
    /// The file changed after the rules were loaded: `source` may differ from what runs.
    pub source_changed: bool,
    pub from: Timestamp,
    pub to: Timestamp,
}
