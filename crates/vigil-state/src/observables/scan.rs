//! Scans: which alerts of an incident still have their events to be searched for observables,
//! and recording what a scan found — once per (incident, alert), whoever scans (the API after a
//! link, the server's periodic task) and however often.

use std::collections::HashSet;

use jiff::Timestamp;
use serde_json::json;
use sqlx::QueryBuilder;
use vigil_respond::ObservableKind;

use super::{TIMELINE_KIND, new_observable_id};
use crate::db::{DbRow, on_db};
use crate::respond_tx::{Actor, NewTimeline, RespondTx};
use crate::{State, StateError, time};

/// An alert of an incident whose events have not been scanned for the incident yet.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScanTarget {
    pub alert_id: String,
    /// The ids of its events, as stored on the alert.
    pub event_ids: Vec<String>,
    /// When it was raised.
    pub detected: Timestamp,
}

/// One observable found in a scanned alert's events.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sighted {
    pub kind: ObservableKind,
    /// Its normal form.
    pub value: String,
    /// The field it was first found in.
    pub field: String,
    /// In how many of the events.
    pub count: u64,
    /// The first and last of their times.
    pub first: Timestamp,
    pub last: Timestamp,
}

/// What scanning one alert's events found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ObservableScan {
    pub alert_id: String,
    /// Events read.
    pub events: u64,
    pub found: Vec<Sighted>,
}

/// What recording a scan did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ScanOutcome {
    /// False when the alert had been scanned for the incident already, or the incident is gone.
    pub recorded: bool,
    /// Observables new to the incident.
    pub new: u64,
    /// Observables it had, seen again (their `sightings` grew).
    pub seen_again: u64,
}

/// Values looked up per query.
const CHUNK: usize = 200;

impl State {
    /// The alerts of `tenant`'s incident `incident_id` not scanned for it yet, oldest first (at
    /// most `limit`).
    pub async fn unscanned_alerts(
        &self,
        tenant: &str,
        incident_id: &str,
        limit: u32,
    ) -> Result<Vec<ScanTarget>, StateError> {
        on_db!(self, db => {
            let rows = sqlx::query(
                "SELECT a.id, a.event_ids, a.detected FROM alerts a WHERE a.tenant = $1 AND a.incident_id = $2 \
                 AND NOT EXISTS (SELECT 1 FROM observable_scans s WHERE s.incident_id = a.incident_id \
                 AND s.alert_id = a.id) ORDER BY a.seq LIMIT $3",
            )
            .bind(tenant)
            .bind(incident_id)
            .bind(i64::from(limit))
            .fetch_all(&db.reader)
            .await?;
            rows.iter()
                .map(|r| {
                    let ids = r.text("event_ids")?;
                    Ok(ScanTarget {
                        alert_id: r.text("id")?,
                        event_ids: serde_json::from_str(&ids)
                            .map_err(|e| StateError::Corrupt(format!("alert column event_ids: {e}")))?,
                        detected: r.instant("detected")?,
                    })
                })
                .collect()
        })
    }

    /// Open incidents (of every tenant) with alerts not scanned yet, as (tenant, incident id);
    /// at most `limit`. What the server's periodic scan works through.
    pub async fn incidents_to_scan(&self, limit: u32) -> Result<Vec<(String, String)>, StateError> {
        on_db!(self, db => {
            let rows: Vec<(String, String)> = sqlx::query_as(
                "SELECT DISTINCT i.tenant, i.id FROM incidents i JOIN alerts a ON a.incident_id = i.id \
                 AND a.tenant = i.tenant WHERE i.status <> 'closed' AND NOT EXISTS (SELECT 1 FROM observable_scans s \
                 WHERE s.incident_id = a.incident_id AND s.alert_id = a.id) LIMIT $1",
            )
            .bind(i64::from(limit))
            .fetch_all(&db.reader)
            .await?;
            Ok(rows)
        })
    }

    /// Records a scan of alert `scan.alert_id`'s events for `tenant`'s incident `incident_id`:
    /// the scan itself (so it is not repeated), new observables (TLP of the incident, by
    /// `who.id`) and more sightings of known ones; when anything was new, a timeline entry ("N
    /// observables extracted from alert …"), and when anything changed, `who.audit`
    /// (`observable.extract`) — one transaction. Nothing is written when the alert was scanned
    /// for the incident already or the incident is gone ([`ScanOutcome::recorded`] false).
    pub async fn record_observable_scan(
        &self,
        tenant: &str,
        incident_id: &str,
        scan: &ObservableScan,
        who: &Actor,
    ) -> Result<ScanOutcome, StateError> {
        let at = who.at();
        let at_db = time::to_db(at);
        on_db!(self, db => {
            let mut tx = db.write_tx().await?;
            tx.lock_incident(incident_id).await?;
            let tlp: Option<String> = sqlx::query_scalar("SELECT tlp FROM incidents WHERE id = $1 AND tenant = $2")
                .bind(incident_id)
                .bind(tenant)
                .fetch_optional(&mut *tx)
                .await?;
            let Some(tlp) = tlp else {
                return Ok(ScanOutcome::default());
            };
            let fresh = sqlx::query(
                "INSERT INTO observable_scans (incident_id, alert_id, at, events) VALUES ($1, $2, $3, $4) \
                 ON CONFLICT (incident_id, alert_id) DO NOTHING",
            )
            .bind(incident_id)
            .bind(&scan.alert_id)
            .bind(at_db)
            .bind(i64::try_from(scan.events).unwrap_or(i64::MAX))
            .execute(&mut *tx)
            .await?
            .rows_affected();
            if fresh == 0 {
                return Ok(ScanOutcome::default());
            }
            let mut known: HashSet<(String, String)> = HashSet::new();
            for chunk in scan.found.chunks(CHUNK) {
                let mut qb = QueryBuilder::new("SELECT kind, value FROM observables WHERE tenant = ");
                qb.push_bind(tenant.to_owned())
                    .push(" AND incident_id = ")
                    .push_bind(incident_id.to_owned())
                    .push(" AND value IN (");
                let mut list = qb.separated(", ");
                for s in chunk {
                    list.push_bind(s.value.clone());
                }
                qb.push(")");
                let rows: Vec<(String, String)> = qb.build_query_as().fetch_all(&mut *tx).await?;
                known.extend(rows);
            }
            let (old, new): (Vec<&Sighted>, Vec<&Sighted>) = scan
                .found
                .iter()
                .partition(|s| known.contains(&(s.kind.as_str().to_owned(), s.value.clone())));
            for s in &old {
                sqlx::query(
                    "UPDATE observables SET sightings = sightings + $1, \
                     first_seen = CASE WHEN first_seen > $2 THEN $2 ELSE first_seen END, \
                     last_seen = CASE WHEN last_seen < $3 THEN $3 ELSE last_seen END, updated = $4 \
                     WHERE tenant = $5 AND incident_id = $6 AND kind = $7 AND value = $8",
                )
                .bind(i64::try_from(s.count).unwrap_or(i64::MAX))
                .bind(time::to_db(s.first))
                .bind(time::to_db(s.last))
                .bind(at_db)
                .bind(tenant)
                .bind(incident_id)
                .bind(s.kind.as_str())
                .bind(&s.value)
                .execute(&mut *tx)
                .await?;
            }
            let ids = new.iter().map(|_| new_observable_id()).collect::<Result<Vec<_>, _>>()?;
            let rows: Vec<(&String, &&Sighted)> = ids.iter().zip(&new).collect();
            for chunk in rows.chunks(CHUNK) {
                let mut qb = QueryBuilder::new(
                    "INSERT INTO observables (id, tenant, incident_id, kind, value, tlp, ioc, source, field, alert_id, \
                     sightings, first_seen, last_seen, description, created, created_by, updated) ",
                );
                qb.push_values(chunk, |mut row, (id, s)| {
                    row.push_bind((*id).clone())
                        .push_bind(tenant.to_owned())
                        .push_bind(incident_id.to_owned())
                        .push_bind(s.kind.as_str().to_owned())
                        .push_bind(s.value.clone())
                        .push_bind(tlp.clone())
                        .push_bind(0_i64)
                        .push_bind("extracted".to_owned())
                        .push_bind(s.field.clone())
                        .push_bind(scan.alert_id.clone())
                        .push_bind(i64::try_from(s.count).unwrap_or(i64::MAX))
                        .push_bind(time::to_db(s.first))
                        .push_bind(time::to_db(s.last))
                        .push_bind(String::new())
                        .push_bind(at_db)
                        .push_bind(who.id.clone())
                        .push_bind(at_db);
                });
                qb.build().execute(&mut *tx).await?;
            }
            let outcome = ScanOutcome {
                recorded: true,
                new: new.len() as u64,
                seen_again: old.len() as u64,
            };
            let detail = json!({
                "alert_id": scan.alert_id,
                "events": scan.events,
                "new": outcome.new,
                "seen_again": outcome.seen_again,
            });
            if outcome.new > 0 {
                let noun = if outcome.new == 1 { "observable" } else { "observables" };
                let text = format!("{} {noun} extracted from alert {}", outcome.new, scan.alert_id);
                let entry = NewTimeline::new(TIMELINE_KIND, text).with_detail(detail.clone());
                tx.add_timeline(tenant, incident_id, &who.id, at, &[entry]).await?;
            }
            if outcome.new + outcome.seen_again > 0 {
                let audit = who.audit.clone().with_target(format!("incident:{incident_id}")).with_at(at).with_detail(detail);
                tx.audit(audit).await?;
            }
            tx.commit().await?;
            Ok(outcome)
        })
    }
}
