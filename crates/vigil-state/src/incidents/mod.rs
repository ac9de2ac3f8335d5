//! Incidents: created from alerts or by hand, worked along NIST SP 800-61, with an append-only
//! timeline and the first time of each milestone. Every change writes its timeline entries and its
//! audit entry in the same transaction ([`crate::respond_tx`]).
//!
//! SLA timers are not stored: they follow from the milestones, the pauses (`on_hold`) and a
//! policy, and are computed when an incident is read (`vigil-respond`).

mod change;
mod create;
mod delete;
mod merge;

use crate::cursor::{self, Listing};
use crate::db::{DbRow, on_db};
use crate::{State, StateError, time};
use jiff::Timestamp;
use sqlx::{AssertSqlSafe, Database, Encode, QueryBuilder, Type};
use vigil_api_types::incidents::{Incident, Milestones, SlaTimers, TimelineEntry};
use vigil_respond::{Impact, IncidentStatus, Pap, Pause, Priority, Severity, Tlp, Urgency};

pub use merge::MAX_MERGE;

/// An incident as stored, with the pauses of its SLA clocks.
#[derive(Debug, Clone, PartialEq)]
pub struct StoredIncident {
    /// The incident (its `sla` left empty: computed by the reader's policy).
    pub incident: Incident,
    /// Spans spent `on_hold`, oldest first; the last may be open.
    pub pauses: Vec<Pause>,
}

/// Filters and paging of [`State::list_incidents`].
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct IncidentQuery {
    /// Only incidents in one of these statuses (all when empty).
    pub status: Vec<IncidentStatus>,
    /// Only open (`true`) or closed (`false`) incidents.
    pub open: Option<bool>,
    /// Only incidents of this owner.
    pub owner: Option<String>,
    /// Only incidents of this team.
    pub team: Option<String>,
    /// Only incidents of this priority or more urgent (1 is the most urgent).
    pub max_priority: Option<u8>,
    /// Created at or after, and before.
    pub since: Option<Timestamp>,
    pub until: Option<Timestamp>,
    /// Page size (clamped like the alert listing) and the previous page's cursor.
    pub limit: Option<u32>,
    pub cursor: Option<String>,
}

/// One page of incidents, newest first.
#[derive(Debug, Clone, PartialEq)]
pub struct StoredIncidentPage {
    pub incidents: Vec<StoredIncident>,
    pub next_cursor: Option<String>,
    pub total: u64,
}

pub(crate) const INCIDENT_COLUMNS: &str = "seq, id, tenant, title, description, classification, severity, impact, \
    urgency, priority, tlp, pap, status, owner, team, resolution, lessons_learned, attack, pauses, merged_into, \
    created, created_by, updated, first_event, detected, acknowledged, contained, resolved, closed";

fn corrupt(what: &str, value: impl std::fmt::Debug) -> StateError {
    StateError::Corrupt(format!("incident {what} {value:?}"))
}

fn small(row: &impl DbRow, col: &str) -> Result<u8, StateError> {
    let n = row.int(col)?;
    u8::try_from(n).map_err(|_| corrupt(col, n))
}

/// The pauses as stored (JSON in `incidents.pauses`).
fn pauses_from_text(text: &str) -> Result<Vec<Pause>, StateError> {
    serde_json::from_str(text).map_err(|e| corrupt("pauses", e.to_string()))
}

pub(crate) fn incident_from_row(row: &impl DbRow) -> Result<StoredIncident, StateError> {
    let text = |col: &str| row.text(col);
    let (impact, urgency, tlp, pap, status) = (
        text("impact")?,
        text("urgency")?,
        text("tlp")?,
        text("pap")?,
        text("status")?,
    );
    let attack: Vec<String> = serde_json::from_str(&text("attack")?).map_err(|e| corrupt("attack", e.to_string()))?;
    let pauses = pauses_from_text(&text("pauses")?)?;
    let incident = Incident {
        id: text("id")?,
        tenant: text("tenant")?,
        title: text("title")?,
        description: text("description")?,
        classification: text("classification")?,
        severity: Severity::try_from(small(row, "severity")?).map_err(|_| corrupt("severity", "out of range"))?,
        impact: Impact::parse(&impact).ok_or_else(|| corrupt("impact", &impact))?,
        urgency: Urgency::parse(&urgency).ok_or_else(|| corrupt("urgency", &urgency))?,
        priority: Priority::try_from(small(row, "priority")?).map_err(|_| corrupt("priority", "out of range"))?,
        tlp: Tlp::parse(&tlp).ok_or_else(|| corrupt("tlp", &tlp))?,
        pap: Pap::parse(&pap).ok_or_else(|| corrupt("pap", &pap))?,
        status: IncidentStatus::parse(&status).ok_or_else(|| corrupt("status", &status))?,
        owner: row.opt_text("owner")?,
        team: row.opt_text("team")?,
        resolution: row.opt_text("resolution")?,
        lessons_learned: row.opt_text("lessons_learned")?,
        attack: attack.clone(),
        attack_manual: attack,
        alert_ids: Vec::new(),
        merged_into: row.opt_text("merged_into")?,
        created_by: text("created_by")?,
        updated: row.instant("updated")?,
        milestones: Milestones {
            first_event: row.opt_instant("first_event")?,
            detected: row.opt_instant("detected")?,
            created: row.instant("created")?,
            acknowledged: row.opt_instant("acknowledged")?,
            contained: row.opt_instant("contained")?,
            resolved: row.opt_instant("resolved")?,
            closed: row.opt_instant("closed")?,
        },
        sla: SlaTimers::default(),
        tasks: Vec::new(),
        timeline: Vec::new(),
    };
    Ok(StoredIncident { incident, pauses })
}

pub(crate) fn timeline_from_row(row: &impl DbRow) -> Result<TimelineEntry, StateError> {
    let detail = row
        .opt_text("detail")?
        .map(|d| serde_json::from_str(&d).map_err(|e| corrupt("timeline detail", e.to_string())))
        .transpose()?;
    Ok(TimelineEntry {
        seq: row.int("seq")?,
        at: row.instant("at")?,
        occurred_at: row.opt_instant("occurred_at")?,
        actor: row.text("actor")?,
        kind: row.text("kind")?,
        text: row.text("text")?,
        detail,
    })
}

fn push_filters<DB>(qb: &mut QueryBuilder<DB>, tenant: &str, q: &IncidentQuery)
where
    DB: Database,
    for<'a> String: Encode<'a, DB> + Type<DB>,
    for<'a> i64: Encode<'a, DB> + Type<DB>,
{
    qb.push(" WHERE tenant = ").push_bind(tenant.to_owned());
    if !q.status.is_empty() {
        qb.push(" AND status IN (");
        let mut list = qb.separated(", ");
        for s in &q.status {
            list.push_bind(s.as_str().to_owned());
        }
        qb.push(")");
    }
    match q.open {
        Some(true) => {
            qb.push(" AND status <> 'closed'");
        }
        Some(false) => {
            qb.push(" AND status = 'closed'");
        }
        None => {}
    }
    for (col, value) in [("owner", &q.owner), ("team", &q.team)] {
        if let Some(v) = value {
            qb.push(format!(" AND {col} = ")).push_bind(v.clone());
        }
    }
    if let Some(p) = q.max_priority {
        qb.push(" AND priority <= ").push_bind(i64::from(p));
    }
    if let Some(since) = q.since {
        qb.push(" AND created >= ").push_bind(time::to_db(since));
    }
    if let Some(until) = q.until {
        qb.push(" AND created < ").push_bind(time::to_db(until));
    }
}

/// Adds each incident's alert ids and their ATT&CK ids (beside the manual ones).
fn attach_alerts(incidents: &mut [StoredIncident], rows: &[(String, String, String)]) -> Result<(), StateError> {
    for (incident_id, alert_id, attack) in rows {
        let Some(s) = incidents.iter_mut().find(|s| &s.incident.id == incident_id) else {
            continue;
        };
        let ids: Vec<String> = serde_json::from_str(attack).map_err(|e| corrupt("alert attack", e.to_string()))?;
        s.incident.alert_ids.push(alert_id.clone());
        s.incident.attack.extend(ids);
    }
    for s in incidents {
        s.incident.attack.sort();
        s.incident.attack.dedup();
    }
    Ok(())
}

impl State {
    /// `tenant`'s incident `id` with its alerts, and its timeline when `with_timeline`.
    pub async fn get_incident(
        &self,
        tenant: &str,
        id: &str,
        with_timeline: bool,
    ) -> Result<Option<StoredIncident>, StateError> {
        let sql = AssertSqlSafe(format!(
            "SELECT {INCIDENT_COLUMNS} FROM incidents WHERE id = $1 AND tenant = $2"
        ));
        on_db!(self, db => {
            let mut tx = db.read_tx().await?;
            let Some(row) = sqlx::query(sql).bind(id).bind(tenant).fetch_optional(&mut *tx).await? else {
                return Ok(None);
            };
            let mut found = [incident_from_row(&row)?];
            let alerts: Vec<(String, String, String)> = sqlx::query_as(
                "SELECT incident_id, id, attack FROM alerts WHERE incident_id = $1 AND tenant = $2 ORDER BY seq",
            )
            .bind(id)
            .bind(tenant)
            .fetch_all(&mut *tx)
            .await?;
            attach_alerts(&mut found, &alerts)?;
            let [mut stored] = found;
            if with_timeline {
                let rows = sqlx::query(
                    "SELECT seq, at, occurred_at, actor, kind, text, detail FROM incident_timeline \
                     WHERE incident_id = $1 AND tenant = $2 ORDER BY seq",
                )
                .bind(id)
                .bind(tenant)
                .fetch_all(&mut *tx)
                .await?;
                stored.incident.timeline = rows.iter().map(timeline_from_row).collect::<Result<_, _>>()?;
                let now = Timestamp::now();
                let tasks = sqlx::query(crate::tasks::TASKS_OF_INCIDENT)
                    .bind(tenant)
                    .bind(id)
                    .fetch_all(&mut *tx)
                    .await?;
                stored.incident.tasks =
                    tasks.iter().map(|r| crate::tasks::task_from_row(r, now)).collect::<Result<_, _>>()?;
            }
            tx.commit().await?;
            Ok(Some(stored))
        })
    }

    /// One page of `tenant`'s incidents matching `q`, newest first, with the total.
    pub async fn list_incidents(&self, tenant: &str, q: &IncidentQuery) -> Result<StoredIncidentPage, StateError> {
        let after = q
            .cursor
            .as_deref()
            .map(|c| cursor::decode(Listing::Incidents, c))
            .transpose()?;
        let limit = crate::alerts::effective_limit(q.limit);
        let (incidents, more, total, last_seq) = on_db!(self, db => {
            let mut count = QueryBuilder::new("SELECT COUNT(*) FROM incidents");
            push_filters(&mut count, tenant, q);
            let mut page = QueryBuilder::new(format!("SELECT {INCIDENT_COLUMNS} FROM incidents"));
            push_filters(&mut page, tenant, q);
            if let Some(after) = after {
                page.push(" AND seq < ").push_bind(after);
            }
            page.push(" ORDER BY seq DESC LIMIT ").push_bind(i64::from(limit) + 1);
            let mut tx = db.read_tx().await?;
            let rows = page.build().fetch_all(&mut *tx).await?;
            let total: i64 = count.build_query_scalar().fetch_one(&mut *tx).await?;
            let kept = &rows[..rows.len().min(limit as usize)];
            let mut incidents = kept.iter().map(incident_from_row).collect::<Result<Vec<_>, _>>()?;
            let last_seq = kept.last().map(|r| r.int("seq")).transpose()?;
            if !incidents.is_empty() {
                let mut qb = QueryBuilder::new("SELECT incident_id, id, attack FROM alerts WHERE tenant = ");
                qb.push_bind(tenant.to_owned()).push(" AND incident_id IN (");
                let mut list = qb.separated(", ");
                for s in &incidents {
                    list.push_bind(s.incident.id.clone());
                }
                qb.push(") ORDER BY seq");
                let alerts: Vec<(String, String, String)> = qb.build_query_as().fetch_all(&mut *tx).await?;
                attach_alerts(&mut incidents, &alerts)?;
            }
            tx.commit().await?;
            (incidents, rows.len() > limit as usize, total, last_seq)
        });
        let next_cursor = match last_seq {
            Some(seq) if more => Some(cursor::encode(Listing::Incidents, seq)),
            _ => None,
        };
        Ok(StoredIncidentPage {
            incidents,
            next_cursor,
            total: u64::try_from(total).unwrap_or(0),
        })
    }
}
