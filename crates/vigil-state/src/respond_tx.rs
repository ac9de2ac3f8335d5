//! Steps of the response workflow that run inside a caller's write transaction, written once for
//! both backends: [`RespondTx`] is implemented for SQLite's and PostgreSQL's transactions by the
//! same macro body, so an incident's change, its timeline entries, the alerts it takes over and
//! its audit entry commit together or not at all.

use crate::alerts::push_status_in;
use crate::audit::{NewAuditEntry, Prepared, append_in_tx, prepare};
use crate::triage::{Selection, push_selection, push_set};
use crate::{StateError, time};
use jiff::Timestamp;
use serde_json::json;
use sqlx::QueryBuilder;
use vigil_api_types::triage::AlertUpdate;
use vigil_respond::AlertStatus;

/// A timeline entry to append.
#[derive(Debug, Clone)]
pub(crate) struct NewTimeline {
    pub(crate) kind: &'static str,
    pub(crate) text: String,
    pub(crate) occurred_at: Option<Timestamp>,
    pub(crate) detail: Option<serde_json::Value>,
}

impl NewTimeline {
    pub(crate) fn new(kind: &'static str, text: impl Into<String>) -> NewTimeline {
        NewTimeline {
            kind,
            text: text.into(),
            occurred_at: None,
            detail: None,
        }
    }

    pub(crate) fn with_detail(mut self, detail: serde_json::Value) -> NewTimeline {
        self.detail = Some(detail);
        self
    }
}

/// Who makes a change, when, and the audit entry it is recorded with.
#[derive(Debug, Clone)]
pub struct Actor {
    /// A principal id such as `user:alice`, or `system`.
    pub id: String,
    /// The audit entry (action, tenant, source); the change completes its target and detail.
    pub audit: NewAuditEntry,
    /// When; `None` means now.
    pub at: Option<Timestamp>,
}

impl Actor {
    pub(crate) fn at(&self) -> Timestamp {
        self.at.unwrap_or_else(Timestamp::now)
    }
}

/// What linking alerts to an incident found.
#[derive(Debug, Clone, Default)]
pub(crate) struct Linked {
    /// Ids merged, in the order given.
    pub ids: Vec<String>,
    /// The earliest event time and detection among them.
    pub first_event: Option<i64>,
    pub detected: Option<i64>,
}

/// One alert as linking reads it.
type LinkRow = (String, String, Option<String>, Option<i64>, i64, String);

pub(crate) trait RespondTx {
    /// Appends timeline entries of `incident` in `tenant` by `actor` at `at`.
    async fn add_timeline(
        &mut self,
        tenant: &str,
        incident: &str,
        actor: &str,
        at: Timestamp,
        entries: &[NewTimeline],
    ) -> Result<(), StateError>;

    /// Merges `tenant`'s alerts `ids` into `incident`: every id must exist and be in no incident.
    async fn link_alerts(
        &mut self,
        tenant: &str,
        incident: &str,
        ids: &[String],
        actor: &str,
        at: Timestamp,
    ) -> Result<Linked, StateError>;

    /// Appends an audit entry (taking the audit lock).
    async fn audit(&mut self, entry: NewAuditEntry) -> Result<(), StateError>;

    /// Keeps other writers off incident `id` until the transaction ends (PostgreSQL; SQLite's
    /// write transaction already excludes them).
    async fn lock_incident(&mut self, id: &str) -> Result<(), StateError>;

    /// Applies the triage `update` to `tenant`'s alerts of `sel` whose status is in `eligible`
    /// (not empty), by `actor` at `at`: one `UPDATE … RETURNING id` and one `alert_changes` row
    /// (`change`, a JSON object's text) per changed alert. The ids changed.
    #[allow(clippy::too_many_arguments)]
    async fn apply_triage(
        &mut self,
        tenant: &str,
        sel: Selection<'_>,
        update: &AlertUpdate,
        eligible: &[AlertStatus],
        actor: &str,
        at: i64,
        change: &str,
    ) -> Result<Vec<String>, StateError>;
}

macro_rules! impl_respond_tx {
    ($db:ty, $lock:path, $lock_row:expr) => {
        impl RespondTx for sqlx::Transaction<'static, $db> {
            async fn add_timeline(
                &mut self,
                tenant: &str,
                incident: &str,
                actor: &str,
                at: Timestamp,
                entries: &[NewTimeline],
            ) -> Result<(), StateError> {
                if entries.is_empty() {
                    return Ok(());
                }
                let mut qb = QueryBuilder::<$db>::new(
                    "INSERT INTO incident_timeline (incident_id, tenant, at, occurred_at, actor, kind, text, detail) ",
                );
                qb.push_values(entries, |mut row, e| {
                    row.push_bind(incident.to_owned())
                        .push_bind(tenant.to_owned())
                        .push_bind(time::to_db(at))
                        .push_bind(time::opt_to_db(e.occurred_at))
                        .push_bind(actor.to_owned())
                        .push_bind(e.kind)
                        .push_bind(e.text.clone())
                        .push_bind(e.detail.as_ref().map(ToString::to_string));
                });
                qb.build().execute(&mut **self).await?;
                Ok(())
            }

            async fn link_alerts(
                &mut self,
                tenant: &str,
                incident: &str,
                ids: &[String],
                actor: &str,
                at: Timestamp,
            ) -> Result<Linked, StateError> {
                let mut wanted: Vec<String> = ids.to_vec();
                wanted.sort();
                wanted.dedup();
                if wanted.is_empty() {
                    return Ok(Linked::default());
                }
                let mut qb = QueryBuilder::<$db>::new(
                    "SELECT id, status, incident_id, event_time, detected, rule_title FROM alerts WHERE tenant = ",
                );
                qb.push_bind(tenant.to_owned()).push(" AND id IN (");
                let mut list = qb.separated(", ");
                for id in &wanted {
                    list.push_bind(id.clone());
                }
                qb.push(")");
                let rows: Vec<LinkRow> = qb.build_query_as().fetch_all(&mut **self).await?;
                check_linkable(&wanted, &rows)?;
                let at_db = time::to_db(at);
                let mut up = QueryBuilder::<$db>::new("UPDATE alerts SET status = 'merged', incident_id = ");
                up.push_bind(incident.to_owned())
                    .push(", updated = ")
                    .push_bind(at_db)
                    .push(", updated_by = ")
                    .push_bind(actor.to_owned())
                    .push(" WHERE tenant = ")
                    .push_bind(tenant.to_owned())
                    .push(" AND id IN (");
                let mut list = up.separated(", ");
                for id in &wanted {
                    list.push_bind(id.clone());
                }
                up.push(")");
                up.build().execute(&mut **self).await?;
                let change = json!({"status": "merged", "incident_id": incident}).to_string();
                let mut hist = QueryBuilder::<$db>::new("INSERT INTO alert_changes (alert_id, tenant, at, actor, change) ");
                hist.push_values(&wanted, |mut row, id| {
                    row.push_bind(id.clone())
                        .push_bind(tenant.to_owned())
                        .push_bind(at_db)
                        .push_bind(actor.to_owned())
                        .push_bind(change.clone());
                });
                hist.build().execute(&mut **self).await?;
                let entries: Vec<NewTimeline> = rows
                    .iter()
                    .map(|(id, _, _, _, _, title)| {
                        NewTimeline::new("alert_linked", format!("alert linked: {title}"))
                            .with_detail(json!({"alert_id": id}))
                    })
                    .collect();
                self.add_timeline(tenant, incident, actor, at, &entries).await?;
                Ok(Linked {
                    first_event: rows.iter().filter_map(|r| r.3).min(),
                    detected: rows.iter().map(|r| r.4).min(),
                    ids: wanted,
                })
            }

            async fn audit(&mut self, entry: NewAuditEntry) -> Result<(), StateError> {
                let p: Prepared = prepare(entry)?;
                $lock(self).await?;
                let conn = &mut **self;
                append_in_tx!(conn, p)?;
                Ok(())
            }

            async fn apply_triage(
                &mut self,
                tenant: &str,
                sel: Selection<'_>,
                update: &AlertUpdate,
                eligible: &[AlertStatus],
                actor: &str,
                at: i64,
                change: &str,
            ) -> Result<Vec<String>, StateError> {
                let mut up = QueryBuilder::<$db>::new("UPDATE alerts SET ");
                push_set(&mut up, update, actor, at);
                push_selection(&mut up, tenant, sel);
                up.push(" AND ");
                push_status_in(&mut up, eligible);
                up.push(" RETURNING id");
                let ids: Vec<String> = up.build_query_scalar().fetch_all(&mut **self).await?;
                for chunk in ids.chunks(500) {
                    let mut hist =
                        QueryBuilder::<$db>::new("INSERT INTO alert_changes (alert_id, tenant, at, actor, change) ");
                    hist.push_values(chunk, |mut row, id| {
                        row.push_bind(id.clone())
                            .push_bind(tenant.to_owned())
                            .push_bind(at)
                            .push_bind(actor.to_owned())
                            .push_bind(change.to_owned());
                    });
                    hist.build().execute(&mut **self).await?;
                }
                Ok(ids)
            }

            async fn lock_incident(&mut self, id: &str) -> Result<(), StateError> {
                if let Some(sql) = $lock_row {
                    sqlx::query(sql).bind(id).execute(&mut **self).await?;
                }
                Ok(())
            }
        }
    };
}

impl_respond_tx!(sqlx::Sqlite, crate::db::sqlite::lock_audit_tx, None::<&'static str>);
impl_respond_tx!(
    sqlx::Postgres,
    crate::db::postgres::lock_audit_tx,
    Some("SELECT 1 FROM incidents WHERE id = $1 FOR UPDATE")
);

/// Every wanted id was found, and none is in an incident already.
fn check_linkable(wanted: &[String], rows: &[LinkRow]) -> Result<(), StateError> {
    if let Some(missing) = wanted.iter().find(|id| !rows.iter().any(|r| &r.0 == *id)) {
        return Err(StateError::InvalidInput(format!(
            "alert_ids: no alert has the id `{missing}`"
        )));
    }
    if let Some((id, _, Some(incident), ..)) = rows.iter().find(|r| r.2.is_some()) {
        return Err(StateError::Conflict(format!(
            "alert `{id}` is already in incident `{incident}`"
        )));
    }
    if let Some((id, status, ..)) = rows.iter().find(|r| r.1 == "merged") {
        return Err(StateError::Conflict(format!("alert `{id}` is {status} already")));
    }
    Ok(())
}
