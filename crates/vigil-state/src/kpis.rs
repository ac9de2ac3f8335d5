//! What the SOC KPIs read (issue 17, "Measure"): a tenant's incidents created in a period, with
//! their milestones, and its alerts in a period counted by rule and disposition, and by source.
//! The arithmetic is in `vigil_respond::kpi`.
//!
//! Incidents are read whole (bounded by [`MAX_KPI_INCIDENTS`], newest first) because the SLA
//! outcomes and MTBF are computed in Rust; the alert counts are aggregated in SQL (`GROUP BY`,
//! portable to SQLite and PostgreSQL).

use crate::db::on_db;
use crate::incidents::{INCIDENT_COLUMNS, StoredIncident, incident_from_row};
use crate::{State, StateError, time};
use jiff::Timestamp;
use sqlx::AssertSqlSafe;
use std::collections::BTreeMap;

/// The most incidents one KPI report reads; `truncated` says when a period had more.
pub const MAX_KPI_INCIDENTS: i64 = 50_000;

/// A tenant's incidents created in `[from, to)`.
#[derive(Debug, Clone, PartialEq)]
pub struct KpiIncidents {
    pub incidents: Vec<StoredIncident>,
    /// More than [`MAX_KPI_INCIDENTS`] matched; the oldest were left out.
    pub truncated: bool,
}

/// Alerts counted by one key and their disposition (`None` when not set).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AlertCount {
    pub key: String,
    pub disposition: Option<String>,
    pub count: u64,
}

fn counts(rows: Vec<(Option<String>, Option<String>, i64)>) -> Vec<AlertCount> {
    rows.into_iter()
        .map(|(key, disposition, count)| AlertCount {
            key: key.unwrap_or_default(),
            disposition,
            count: u64::try_from(count).unwrap_or(0),
        })
        .collect()
}

impl State {
    /// `tenant`'s incidents created in `[from, to)`, newest first, at most [`MAX_KPI_INCIDENTS`].
    pub async fn kpi_incidents(
        &self,
        tenant: &str,
        from: Timestamp,
        to: Timestamp,
    ) -> Result<KpiIncidents, StateError> {
        let sql = AssertSqlSafe(format!(
            "SELECT {INCIDENT_COLUMNS} FROM incidents WHERE tenant = $1 AND created >= $2 AND created < $3 \
             ORDER BY created DESC, seq DESC LIMIT $4"
        ));
        let rows = on_db!(self, db => {
            let mut tx = db.read_tx().await?;
            let rows = sqlx::query(sql)
                .bind(tenant)
                .bind(time::to_db(from))
                .bind(time::to_db(to))
                .bind(MAX_KPI_INCIDENTS + 1)
                .fetch_all(&mut *tx)
                .await?;
            let incidents = rows.iter().map(incident_from_row).collect::<Result<Vec<_>, _>>()?;
            tx.commit().await?;
            incidents
        });
        let mut incidents = rows;
        let truncated = incidents.len() as i64 > MAX_KPI_INCIDENTS;
        incidents.truncate(MAX_KPI_INCIDENTS as usize);
        Ok(KpiIncidents { incidents, truncated })
    }

    /// `tenant`'s alerts detected in `[from, to)`, counted by rule and disposition.
    pub async fn kpi_alerts_by_rule(
        &self,
        tenant: &str,
        from: Timestamp,
        to: Timestamp,
    ) -> Result<Vec<AlertCount>, StateError> {
        self.kpi_alert_counts("rule_id", tenant, from, to).await
    }

    /// The title of each rule that raised `tenant`'s alerts detected in `[from, to)`, by rule id
    /// (as the alerts name it; the greatest when a rule's title changed in the period).
    pub async fn kpi_rule_titles(
        &self,
        tenant: &str,
        from: Timestamp,
        to: Timestamp,
    ) -> Result<BTreeMap<String, String>, StateError> {
        let sql = "SELECT rule_id, MAX(rule_title) FROM alerts WHERE tenant = $1 AND detected >= $2 AND detected < $3 \
                   GROUP BY rule_id";
        let rows: Vec<(String, Option<String>)> = on_db!(self, db => {
            sqlx::query_as(sql)
                .bind(tenant)
                .bind(time::to_db(from))
                .bind(time::to_db(to))
                .fetch_all(&db.reader)
                .await?
        });
        Ok(rows.into_iter().filter_map(|(id, title)| Some((id, title?))).collect())
    }

    /// `tenant`'s alerts detected in `[from, to)`, counted by source (the input) and disposition.
    pub async fn kpi_alerts_by_source(
        &self,
        tenant: &str,
        from: Timestamp,
        to: Timestamp,
    ) -> Result<Vec<AlertCount>, StateError> {
        self.kpi_alert_counts("input", tenant, from, to).await
    }

    async fn kpi_alert_counts(
        &self,
        column: &'static str,
        tenant: &str,
        from: Timestamp,
        to: Timestamp,
    ) -> Result<Vec<AlertCount>, StateError> {
        let sql = AssertSqlSafe(format!(
            "SELECT {column}, disposition, COUNT(*) FROM alerts WHERE tenant = $1 AND detected >= $2 AND detected < $3 \
             GROUP BY {column}, disposition ORDER BY {column}, disposition"
        ));
        let rows: Vec<(Option<String>, Option<String>, i64)> = on_db!(self, db => {
            let mut tx = db.read_tx().await?;
            let rows = sqlx::query_as(sql)
                .bind(tenant)
                .bind(time::to_db(from))
                .bind(time::to_db(to))
                .fetch_all(&mut *tx)
                .await?;
            tx.commit().await?;
            rows
        });
        Ok(counts(rows))
    }
}
