//! Observables of incidents: extracted from the events of their alerts (each alert's events are
//! scanned once per incident, [`scan`]) or added by hand ([`change`]), with a TLP marking and an
//! IOC flag, and read with the other incidents of the tenant that have the same kind and value
//! ("related incidents"). Values arrive checked and normalised ([`vigil_respond::observables`]),
//! so one value is one row per incident (`UNIQUE (tenant, incident_id, kind, value)`).
//!
//! Every change writes its incident timeline entry (kind `observables`) and its audit entry
//! (`observable.create`, `observable.update`, `observable.delete`, `observable.extract`) in the
//! transaction that makes it. Deleting an incident deletes its observables and scans.

mod change;
mod scan;

pub use scan::{ObservableScan, ScanOutcome, ScanTarget, Sighted};

use sqlx::{AssertSqlSafe, QueryBuilder};
use vigil_api_types::observables::{
    MAX_RELATED, Observable, ObservableList, ObservableSource, RelatedIncident, Sighting, Sightings,
};
use vigil_respond::{IncidentStatus, ObservableKind, Tlp};

use crate::db::{DbRow, on_db};
use crate::{State, StateError};

/// Most observables listed at once.
pub const MAX_LIST: u32 = 1000;

/// The audit actions of observable changes.
pub mod actions {
    /// Added by hand.
    pub const CREATE: &str = "observable.create";
    /// Its TLP, IOC flag or description changed.
    pub const UPDATE: &str = "observable.update";
    /// Removed from its incident.
    pub const DELETE: &str = "observable.delete";
    /// Found in the events of an alert of the incident.
    pub const EXTRACT: &str = "observable.extract";
}

/// The timeline kind of every observable entry.
pub(crate) const TIMELINE_KIND: &str = "observables";

pub(crate) const COLUMNS: &str = "seq, id, tenant, incident_id, kind, value, tlp, ioc, source, field, alert_id, \
    sightings, first_seen, last_seen, description, created, created_by, updated";

fn corrupt(what: &str, value: &str) -> StateError {
    StateError::Corrupt(format!("observable {what} {value:?}"))
}

pub(crate) fn observable_from_row(row: &impl DbRow) -> Result<Observable, StateError> {
    let (kind, tlp, source) = (row.text("kind")?, row.text("tlp")?, row.text("source")?);
    Ok(Observable {
        id: row.text("id")?,
        incident_id: row.text("incident_id")?,
        kind: ObservableKind::parse(&kind).ok_or_else(|| corrupt("kind", &kind))?,
        value: row.text("value")?,
        tlp: Tlp::parse(&tlp).ok_or_else(|| corrupt("tlp", &tlp))?,
        ioc: row.int("ioc")? != 0,
        source: match source.as_str() {
            "extracted" => ObservableSource::Extracted,
            "manual" => ObservableSource::Manual,
            _ => return Err(corrupt("source", &source)),
        },
        field: row.opt_text("field")?,
        alert_id: row.opt_text("alert_id")?,
        sightings: u64::try_from(row.int("sightings")?).unwrap_or(0),
        first_seen: row.instant("first_seen")?,
        last_seen: row.instant("last_seen")?,
        description: row.text("description")?,
        created: row.instant("created")?,
        created_by: row.text("created_by")?,
        updated: row.instant("updated")?,
        related: Vec::new(),
        related_total: 0,
    })
}

fn related_from_row(row: &impl DbRow) -> Result<RelatedIncident, StateError> {
    let status = row.text("status")?;
    Ok(RelatedIncident {
        id: row.text("id")?,
        title: row.text("title")?,
        status: IncidentStatus::parse(&status).ok_or_else(|| corrupt("incident status", &status))?,
    })
}

/// Per (kind, value) of the incident's observables: the newest [`MAX_RELATED`] other incidents of
/// the tenant with it, and how many there are.
const RELATED_SQL: &str = "SELECT kind, value, id, title, status, total FROM (\
    SELECT m.kind, m.value, i.id, i.title, i.status, \
    ROW_NUMBER() OVER (PARTITION BY m.kind, m.value ORDER BY i.seq DESC) AS n, \
    COUNT(*) OVER (PARTITION BY m.kind, m.value) AS total \
    FROM observables m \
    JOIN observables o ON o.tenant = m.tenant AND o.kind = m.kind AND o.value = m.value \
    AND o.incident_id <> m.incident_id \
    JOIN incidents i ON i.id = o.incident_id AND i.tenant = o.tenant \
    WHERE m.tenant = $1 AND m.incident_id = $2) r \
    WHERE n <= $3 ORDER BY kind, value, n";

impl State {
    /// `tenant`'s incident `incident_id`'s observables, oldest first (at most `limit`, clamped
    /// to 1..=[`MAX_LIST`]), each with its related incidents, and how many it has. `None` when
    /// the tenant has no such incident.
    pub async fn list_observables(
        &self,
        tenant: &str,
        incident_id: &str,
        limit: u32,
    ) -> Result<Option<ObservableList>, StateError> {
        let limit = i64::from(limit.clamp(1, MAX_LIST));
        let page = AssertSqlSafe(format!(
            "SELECT {COLUMNS} FROM observables WHERE tenant = $1 AND incident_id = $2 ORDER BY seq LIMIT $3"
        ));
        on_db!(self, db => {
            let mut tx = db.read_tx().await?;
            let found: Option<i64> = sqlx::query_scalar("SELECT seq FROM incidents WHERE id = $1 AND tenant = $2")
                .bind(incident_id)
                .bind(tenant)
                .fetch_optional(&mut *tx)
                .await?;
            if found.is_none() {
                return Ok(None);
            }
            let rows = sqlx::query(page).bind(tenant).bind(incident_id).bind(limit).fetch_all(&mut *tx).await?;
            let total: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM observables WHERE tenant = $1 AND incident_id = $2")
                .bind(tenant)
                .bind(incident_id)
                .fetch_one(&mut *tx)
                .await?;
            let related = sqlx::query(RELATED_SQL)
                .bind(tenant)
                .bind(incident_id)
                .bind(MAX_RELATED as i64)
                .fetch_all(&mut *tx)
                .await?;
            tx.commit().await?;
            let mut observables = rows.iter().map(observable_from_row).collect::<Result<Vec<_>, _>>()?;
            for row in &related {
                let (kind, value) = (row.text("kind")?, row.text("value")?);
                let Some(o) = observables.iter_mut().find(|o| o.kind.as_str() == kind && o.value == value) else {
                    continue;
                };
                o.related_total = u64::try_from(row.int("total")?).unwrap_or(0);
                o.related.push(related_from_row(row)?);
            }
            Ok(Some(ObservableList {
                observables,
                total: u64::try_from(total).unwrap_or(0),
            }))
        })
    }

    /// Where `tenant` has seen any of `values` ((kind, normalised value) pairs): the observables
    /// with their incidents, newest incident first (at most `limit`, clamped to
    /// 1..=[`MAX_LIST`]), and how many there are.
    pub async fn find_observables(
        &self,
        tenant: &str,
        values: &[(ObservableKind, String)],
        limit: u32,
    ) -> Result<Sightings, StateError> {
        if values.is_empty() {
            return Ok(Sightings {
                sightings: Vec::new(),
                total: 0,
            });
        }
        let limit = i64::from(limit.clamp(1, MAX_LIST));
        let columns: Vec<String> = COLUMNS.split(", ").map(|c| format!("o.{c}")).collect();
        let columns = columns.join(", ");
        on_db!(self, db => {
            let filter = |qb: &mut QueryBuilder<_>| {
                qb.push(" WHERE o.tenant = ").push_bind(tenant.to_owned()).push(" AND (");
                for (n, (kind, value)) in values.iter().enumerate() {
                    if n > 0 {
                        qb.push(" OR ");
                    }
                    qb.push("(o.kind = ")
                        .push_bind(kind.as_str().to_owned())
                        .push(" AND o.value = ")
                        .push_bind(value.clone())
                        .push(")");
                }
                qb.push(")");
            };
            let from = " FROM observables o JOIN incidents i ON i.id = o.incident_id AND i.tenant = o.tenant";
            let mut page = QueryBuilder::new(format!(
                "SELECT {columns}, i.title AS incident_title, i.status AS incident_status{from}"
            ));
            filter(&mut page);
            page.push(" ORDER BY i.seq DESC, o.seq LIMIT ").push_bind(limit);
            let mut count = QueryBuilder::new(format!("SELECT COUNT(*){from}"));
            filter(&mut count);
            let mut tx = db.read_tx().await?;
            let rows = page.build().fetch_all(&mut *tx).await?;
            let total: i64 = count.build_query_scalar().fetch_one(&mut *tx).await?;
            tx.commit().await?;
            let sightings = rows
                .iter()
                .map(|row| {
                    let observable = observable_from_row(row)?;
                    let status = row.text("incident_status")?;
                    let incident = RelatedIncident {
                        id: observable.incident_id.clone(),
                        title: row.text("incident_title")?,
                        status: IncidentStatus::parse(&status).ok_or_else(|| corrupt("incident status", &status))?,
                    };
                    Ok(Sighting { incident, observable })
                })
                .collect::<Result<Vec<_>, StateError>>()?;
            Ok(Sightings {
                sightings,
                total: u64::try_from(total).unwrap_or(0),
            })
        })
    }
}

/// A fresh observable id: `obs-` and 16 hexadecimal digits.
pub(crate) fn new_observable_id() -> Result<String, StateError> {
    Ok(format!("obs-{}", hex::encode(crate::tokens::random::<8>()?)))
}

/// `kind value`, for timeline texts.
pub(crate) fn label(kind: ObservableKind, value: &str) -> String {
    format!("{kind} {value}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_prefixed_and_random() {
        let a = new_observable_id().expect("id");
        assert!(a.starts_with("obs-") && a.len() == 20, "{a}");
        assert_ne!(a, new_observable_id().expect("id"));
    }
}
