//! What the alert-level KPIs, the backlog and the Prometheus gauges read (issue 17, "Measure"):
//! alert sums and counts aggregated in SQL (portable to SQLite and PostgreSQL; a month may hold
//! millions of alerts), the rules behind a period's incidents, open alerts and incidents counted
//! by age, and the open incidents of every tenant (for the SLA gauge).
//!
//! Instants are integer nanoseconds; spans are summed as `DOUBLE PRECISION` so a million of them
//! cannot overflow a `BIGINT`. Event times are compared, never subtracted, until they are known to
//! be within the cut-off (a garbled event time may be stored clamped to the `i64` range).

use jiff::{SignedDuration, Timestamp};
use sqlx::AssertSqlSafe;
use vigil_respond::measure::{AlertAggregate, backlog_bounds};

use crate::db::on_db;
use crate::incidents::{INCIDENT_COLUMNS, StoredIncident, incident_from_row};
use crate::{State, StateError, time};

/// What the alert aggregates are grouped by.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AlertGroup {
    /// One group (key `""`).
    All,
    /// The alert's level (`low`, `high`, …).
    Level,
    /// The rule id.
    Rule,
    /// The tenant.
    Tenant,
}

impl AlertGroup {
    fn column(self) -> &'static str {
        match self {
            AlertGroup::All => "''",
            AlertGroup::Level => "level",
            AlertGroup::Rule => "rule_id",
            AlertGroup::Tenant => "tenant",
        }
    }
}

/// Open items of one tenant and key (an alert level or an incident priority) by age bucket:
/// `<1h`, `1–4h`, `4–24h`, `1–7d`, `>7d` (see `vigil_respond::measure::backlog_bucket`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BacklogCount {
    pub tenant: String,
    pub key: String,
    pub buckets: [u64; 5],
    /// When the oldest of them was detected (alerts) or created (incidents).
    pub oldest: Option<Timestamp>,
}

/// The most open incidents [`State::open_incidents_all_tenants`] reads.
pub const MAX_OPEN_INCIDENTS: i64 = 100_000;

fn count(n: Option<i64>) -> u64 {
    n.and_then(|n| u64::try_from(n).ok()).unwrap_or(0)
}

fn secs(ns: Option<f64>) -> f64 {
    ns.unwrap_or(0.0) / 1e9
}

type AggregateRow = (
    Option<String>,
    i64,
    Option<i64>,
    Option<f64>,
    Option<i64>,
    Option<i64>,
    Option<f64>,
    Option<i64>,
    Option<f64>,
    Option<i64>,
    Option<i64>,
    Option<i64>,
);

/// ` tenant = $1 AND` when one tenant is read, and the number of the next placeholder.
fn tenant_filter(tenant: Option<&str>) -> (&'static str, usize) {
    match tenant {
        Some(_) => ("tenant = $1 AND ", 2),
        None => ("", 1),
    }
}

fn backlog_sql(table: &str, key: &str, at: &str, open: &str, tenant: Option<&str>) -> String {
    let (filter, p) = tenant_filter(tenant);
    let (b0, b1, b2, b3) = (p, p + 1, p + 2, p + 3);
    format!(
        "SELECT tenant, {key}, \
         SUM(CASE WHEN {at} > ${b0} THEN 1 ELSE 0 END), \
         SUM(CASE WHEN {at} <= ${b0} AND {at} > ${b1} THEN 1 ELSE 0 END), \
         SUM(CASE WHEN {at} <= ${b1} AND {at} > ${b2} THEN 1 ELSE 0 END), \
         SUM(CASE WHEN {at} <= ${b2} AND {at} > ${b3} THEN 1 ELSE 0 END), \
         SUM(CASE WHEN {at} <= ${b3} THEN 1 ELSE 0 END), MIN({at}) \
         FROM {table} WHERE {filter}{open} GROUP BY tenant, {key} ORDER BY tenant, {key}"
    )
}

type BacklogRow = (
    String,
    String,
    Option<i64>,
    Option<i64>,
    Option<i64>,
    Option<i64>,
    Option<i64>,
    Option<i64>,
);

fn backlog_rows(rows: Vec<BacklogRow>) -> Result<Vec<BacklogCount>, StateError> {
    rows.into_iter()
        .map(|(tenant, key, a, b, c, d, e, oldest)| {
            Ok(BacklogCount {
                tenant,
                key,
                buckets: [count(a), count(b), count(c), count(d), count(e)],
                oldest: time::opt_from_db(oldest)?,
            })
        })
        .collect()
}

impl State {
    /// The alert KPI sums of the alerts detected in `[from, to)` — `tenant`'s, or every
    /// tenant's with `None` — per `group` key, ordered by key. `mttd_cutoff`: an event time further
    /// back than this before detection is left out of MTTD and counted as excluded.
    pub async fn kpi_alert_aggregates(
        &self,
        tenant: Option<&str>,
        from: Timestamp,
        to: Timestamp,
        mttd_cutoff: SignedDuration,
        group: AlertGroup,
    ) -> Result<Vec<(String, AlertAggregate)>, StateError> {
        let key = group.column();
        let (filter, p) = tenant_filter(tenant);
        let (from_p, to_p, cut) = (p, p + 1, p + 2);
        let within = format!("event_time IS NOT NULL AND event_time <= detected AND event_time >= detected - ${cut}");
        let response = "COALESCE(acknowledged, closed)";
        let sql = AssertSqlSafe(format!(
            "SELECT {key}, COUNT(*), \
             SUM(CASE WHEN {within} THEN 1 ELSE 0 END), \
             SUM(CASE WHEN {within} THEN CAST(detected - event_time AS DOUBLE PRECISION) ELSE CAST(0 AS DOUBLE PRECISION) END), \
             SUM(CASE WHEN event_time IS NOT NULL AND event_time < detected - ${cut} THEN 1 ELSE 0 END), \
             SUM(CASE WHEN {response} >= detected THEN 1 ELSE 0 END), \
             SUM(CASE WHEN {response} >= detected THEN CAST({response} - detected AS DOUBLE PRECISION) ELSE CAST(0 AS DOUBLE PRECISION) END), \
             SUM(CASE WHEN closed >= detected THEN 1 ELSE 0 END), \
             SUM(CASE WHEN closed >= detected THEN CAST(closed - detected AS DOUBLE PRECISION) ELSE CAST(0 AS DOUBLE PRECISION) END), \
             SUM(CASE WHEN disposition IS NOT NULL THEN 1 ELSE 0 END), \
             SUM(CASE WHEN disposition = 'false_positive' THEN 1 ELSE 0 END), \
             SUM(CASE WHEN disposition = 'true_positive' THEN 1 ELSE 0 END) \
             FROM alerts WHERE {filter}detected >= ${from_p} AND detected < ${to_p} GROUP BY 1 ORDER BY 1"
        ));
        let cutoff = i64::try_from(mttd_cutoff.as_nanos()).unwrap_or(i64::MAX).max(0);
        let rows: Vec<AggregateRow> = on_db!(self, db => {
            let mut q = sqlx::query_as(sql);
            if let Some(t) = tenant {
                q = q.bind(t.to_owned());
            }
            q.bind(time::to_db(from))
                .bind(time::to_db(to))
                .bind(cutoff)
                .fetch_all(&db.reader)
                .await?
        });
        Ok(rows
            .into_iter()
            .map(|r| {
                let aggregate = AlertAggregate {
                    alerts: count(Some(r.1)),
                    mttd_n: count(r.2),
                    mttd_sum: secs(r.3),
                    mttd_excluded: count(r.4),
                    mtta_n: count(r.5),
                    mtta_sum: secs(r.6),
                    mttr_n: count(r.7),
                    mttr_sum: secs(r.8),
                    dispositioned: count(r.9),
                    false_positive: count(r.10),
                    true_positive: count(r.11),
                };
                (r.0.unwrap_or_default(), aggregate)
            })
            .collect())
    }

    /// The (incident id, rule id) pairs of `tenant`'s incidents created in `[from, to)` and the
    /// rules of the alerts linked to them (an incident with alerts of two rules gives two pairs).
    pub async fn kpi_incident_rules(
        &self,
        tenant: &str,
        from: Timestamp,
        to: Timestamp,
    ) -> Result<Vec<(String, String)>, StateError> {
        let sql = "SELECT DISTINCT a.incident_id, a.rule_id FROM alerts a JOIN incidents i ON a.incident_id = i.id \
                   WHERE i.tenant = $1 AND a.tenant = $1 AND i.created >= $2 AND i.created < $3 \
                   ORDER BY a.incident_id, a.rule_id";
        let rows: Vec<(String, String)> = on_db!(self, db => {
            sqlx::query_as(sql)
                .bind(tenant)
                .bind(time::to_db(from))
                .bind(time::to_db(to))
                .fetch_all(&db.reader)
                .await?
        });
        Ok(rows)
    }

    /// Open alerts (`new` or `acknowledged`) by tenant and level, counted by age as of `now` —
    /// `tenant`'s, or every tenant's with `None`.
    pub async fn alert_backlog(&self, tenant: Option<&str>, now: Timestamp) -> Result<Vec<BacklogCount>, StateError> {
        let sql = backlog_sql(
            "alerts",
            "level",
            "detected",
            "status IN ('new', 'acknowledged')",
            tenant,
        );
        self.backlog(AssertSqlSafe(sql), tenant, now).await
    }

    /// Open incidents (not closed, not merged) by tenant and priority, counted by age as of `now`.
    pub async fn incident_backlog(
        &self,
        tenant: Option<&str>,
        now: Timestamp,
    ) -> Result<Vec<BacklogCount>, StateError> {
        let sql = backlog_sql(
            "incidents",
            "CAST(priority AS TEXT)",
            "created",
            "status <> 'closed' AND merged_into IS NULL",
            tenant,
        );
        self.backlog(AssertSqlSafe(sql), tenant, now).await
    }

    async fn backlog(
        &self,
        sql: AssertSqlSafe<String>,
        tenant: Option<&str>,
        now: Timestamp,
    ) -> Result<Vec<BacklogCount>, StateError> {
        let bounds = backlog_bounds(now).map(time::to_db);
        let rows: Vec<BacklogRow> = on_db!(self, db => {
            let mut q = sqlx::query_as(sql);
            if let Some(t) = tenant {
                q = q.bind(t.to_owned());
            }
            for b in bounds {
                q = q.bind(b);
            }
            q.fetch_all(&db.reader).await?
        });
        backlog_rows(rows)
    }

    /// Every tenant's open incidents (not closed, not merged), oldest first, at most
    /// [`MAX_OPEN_INCIDENTS`]: what the SLA gauges evaluate.
    pub async fn open_incidents_all_tenants(&self) -> Result<Vec<StoredIncident>, StateError> {
        let sql = AssertSqlSafe(format!(
            "SELECT {INCIDENT_COLUMNS} FROM incidents WHERE status <> 'closed' AND merged_into IS NULL \
             ORDER BY seq LIMIT $1"
        ));
        on_db!(self, db => {
            sqlx::query(sql)
                .bind(MAX_OPEN_INCIDENTS)
                .fetch_all(&db.reader)
                .await?
                .iter()
                .map(incident_from_row)
                .collect()
        })
    }
}
