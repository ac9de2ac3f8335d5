//! Log-source health (issue 17, part 3): what each source sent and when, its hourly counts (the
//! baseline) and its silences.
//!
//! A source is a [`SourceKey`]: tenant, input, host and Sigma logsource. The pipeline counts
//! events per source in memory and flushes them here every few seconds
//! ([`State::record_source_activity`]); the times are *arrival* times, never event times (a
//! replay carries old timestamps). The server's health task sets each source's threshold once it
//! has a baseline ([`State::set_source_thresholds`]) and records a silence when one passes it
//! ([`State::record_silence`]); the next flush of the source's events ends it.
//!
//! Figures: uptime over `[from, to)` = 1 − silent time ÷ (to − from), where a silence lasts from
//! the source's last event before it to its first event after it (or `to`); MTBF = up time ÷ the
//! number of silences overlapping the window.

use std::collections::BTreeMap;

use jiff::{SignedDuration, Timestamp};
use sha2::{Digest, Sha256};
use sqlx::QueryBuilder;
use vigil_api_types::sources::{Silence, SourceFigure, SourceHealth, SourceStatus, SourcesReport};

use crate::db::{DbRow, on_db};
use crate::{State, StateError, time};

/// How far back hourly counts make the baseline (and are kept).
pub const BASELINE_WINDOW: SignedDuration = SignedDuration::from_hours(7 * 24);
const HOUR_NANOS: i64 = 3_600_000_000_000;

/// What identifies a source. Several services or categories of one event are joined by `,`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct SourceKey {
    pub tenant: String,
    pub input: String,
    pub host: Option<String>,
    pub product: Option<String>,
    pub service: Option<String>,
    pub category: Option<String>,
}

impl SourceKey {
    /// Its stable id: `src-` and 32 hexadecimal digits of a SHA-256 over the parts.
    pub fn id(&self) -> String {
        let mut h = Sha256::new();
        for part in [
            Some(&self.tenant),
            Some(&self.input),
            self.host.as_ref(),
            self.product.as_ref(),
            self.service.as_ref(),
            self.category.as_ref(),
        ] {
            h.update(part.map_or("", String::as_str).as_bytes());
            h.update([0]);
        }
        format!("src-{}", hex::encode(&h.finalize()[..16]))
    }
}

/// What the pipeline counted of one source since its last flush.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SourceActivity {
    pub key: SourceKey,
    /// Events counted.
    pub events: u64,
    /// The first and last arrival among them.
    pub first: Timestamp,
    pub last: Timestamp,
    /// Events per hour (the hour's start) among them.
    pub hours: Vec<(Timestamp, u64)>,
}

/// The start of the hour holding `t` (UTC).
pub fn hour_of(t: Timestamp) -> Timestamp {
    let ns = time::to_db(t);
    time::from_db(ns - ns.rem_euclid(HOUR_NANOS)).unwrap_or(t)
}

/// A logsource that sent events, with its last arrival ([`State::reporting_logsources`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReportingLogsource {
    pub product: Option<String>,
    pub service: Option<String>,
    pub category: Option<String>,
    pub last_event: Timestamp,
}

/// What the health task reads of one source ([`State::sources_for_health`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SourceState {
    pub id: String,
    pub key: SourceKey,
    pub last_event: Timestamp,
    pub threshold_secs: Option<u64>,
    pub silent_since: Option<Timestamp>,
    /// The hours (starts) of the baseline window in which it sent events, oldest first.
    pub active_hours: Vec<Timestamp>,
}

fn opt(s: String) -> Option<String> {
    (!s.is_empty()).then_some(s)
}

fn key_from_row(row: &impl DbRow) -> Result<SourceKey, StateError> {
    Ok(SourceKey {
        tenant: row.text("tenant")?,
        input: row.text("input")?,
        host: opt(row.text("host")?),
        product: opt(row.text("product")?),
        service: opt(row.text("service")?),
        category: opt(row.text("category")?),
    })
}

const SOURCE_COLUMNS: &str = "id, tenant, input, host, product, service, category, first_seen, last_event, events, \
    threshold_secs, silent_since";

/// Nanoseconds as seconds.
fn secs(ns: i64) -> f64 {
    ns as f64 / 1e9
}

/// Uptime and MTBF over `[from, to)` from the silences overlapping it (an open one lasts to `to`).
pub fn figures(silences: &[Silence], from: Timestamp, to: Timestamp) -> (SourceFigure, SourceFigure) {
    let (f, t) = (time::to_db(from), time::to_db(to));
    let window = (t - f).max(0);
    let mut silent: i64 = 0;
    let mut n: u64 = 0;
    for s in silences {
        let start = time::to_db(s.started).max(f);
        let end = s.ended.map_or(t, time::to_db).min(t);
        if end > start {
            silent += (end - start).max(0);
            n += 1;
        }
    }
    let up = (window - silent).max(0);
    let uptime = SourceFigure {
        value: (window > 0).then(|| 1.0 - secs(silent) / secs(window)),
        value_seconds: None,
        formula: format!(
            "1 − silent time ÷ window = 1 − {:.0} s ÷ {:.0} s (a silence runs from the last event before it to the \
             first after it)",
            secs(silent),
            secs(window)
        ),
        n,
    };
    let mtbf = SourceFigure {
        value: None,
        value_seconds: (n > 0).then(|| secs(up) / n as f64),
        formula: format!("up time ÷ silences = {:.0} s ÷ {n}", secs(up)),
        n,
    };
    (uptime, mtbf)
}

impl State {
    /// Adds a flush of the pipeline's counts: each source's row is created or its count, first
    /// and last arrival updated, its hourly counts added to; a source that was silent is healthy
    /// again, and its silence ends at the first of these arrivals. One write transaction.
    pub async fn record_source_activity(&self, activity: &[SourceActivity]) -> Result<(), StateError> {
        if activity.is_empty() {
            return Ok(());
        }
        on_db!(self, db => {
            let mut tx = db.write_tx().await?;
            for a in activity {
                let id = a.key.id();
                let events = i64::try_from(a.events).unwrap_or(i64::MAX);
                let silent: Option<Option<i64>> = sqlx::query_scalar(
                    "INSERT INTO sources (id, tenant, input, host, product, service, category, first_seen, last_event, \
                     events) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) ON CONFLICT (id) DO UPDATE SET \
                     events = sources.events + excluded.events, \
                     first_seen = CASE WHEN excluded.first_seen < sources.first_seen THEN excluded.first_seen \
                       ELSE sources.first_seen END, \
                     last_event = CASE WHEN excluded.last_event > sources.last_event THEN excluded.last_event \
                       ELSE sources.last_event END \
                     RETURNING silent_since",
                )
                .bind(&id)
                .bind(&a.key.tenant)
                .bind(&a.key.input)
                .bind(a.key.host.as_deref().unwrap_or(""))
                .bind(a.key.product.as_deref().unwrap_or(""))
                .bind(a.key.service.as_deref().unwrap_or(""))
                .bind(a.key.category.as_deref().unwrap_or(""))
                .bind(time::to_db(a.first))
                .bind(time::to_db(a.last))
                .bind(events)
                .fetch_optional(&mut *tx)
                .await?;
                if let Some(Some(since)) = silent
                    && time::to_db(a.last) > since
                {
                    let first_after = time::to_db(a.first).max(since);
                    sqlx::query("UPDATE source_silences SET ended = $1 WHERE source_id = $2 AND ended IS NULL")
                        .bind(first_after)
                        .bind(&id)
                        .execute(&mut *tx)
                        .await?;
                    sqlx::query("UPDATE sources SET silent_since = NULL WHERE id = $1")
                        .bind(&id)
                        .execute(&mut *tx)
                        .await?;
                }
                if a.hours.is_empty() {
                    continue;
                }
                let mut qb = QueryBuilder::new("INSERT INTO source_hours (source_id, hour, events) ");
                qb.push_values(&a.hours, |mut row, (hour, n)| {
                    row.push_bind(id.clone())
                        .push_bind(time::to_db(hour_of(*hour)))
                        .push_bind(i64::try_from(*n).unwrap_or(i64::MAX));
                });
                qb.push(" ON CONFLICT (source_id, hour) DO UPDATE SET events = source_hours.events + excluded.events");
                qb.build().execute(&mut *tx).await?;
            }
            tx.commit().await?;
            Ok(())
        })
    }

    /// Every source of every tenant with what the health task needs, its active hours since
    /// `since` included.
    pub async fn sources_for_health(&self, since: Timestamp) -> Result<Vec<SourceState>, StateError> {
        let sql = format!("SELECT {SOURCE_COLUMNS} FROM sources ORDER BY id");
        on_db!(self, db => {
            let mut tx = db.read_tx().await?;
            let rows = sqlx::query(sqlx::AssertSqlSafe(sql)).fetch_all(&mut *tx).await?;
            let hours: Vec<(String, i64)> =
                sqlx::query_as("SELECT source_id, hour FROM source_hours WHERE hour >= $1 ORDER BY source_id, hour")
                    .bind(time::to_db(hour_of(since)))
                    .fetch_all(&mut *tx)
                    .await?;
            tx.commit().await?;
            let mut by_source: BTreeMap<String, Vec<Timestamp>> = BTreeMap::new();
            for (id, hour) in hours {
                by_source.entry(id).or_default().push(time::from_db(hour)?);
            }
            rows.iter()
                .map(|r| {
                    let id = r.text("id")?;
                    Ok(SourceState {
                        key: key_from_row(r)?,
                        last_event: r.instant("last_event")?,
                        threshold_secs: r.opt_int("threshold_secs")?.map(|s| u64::try_from(s).unwrap_or(0)),
                        silent_since: r.opt_instant("silent_since")?,
                        active_hours: by_source.remove(&id).unwrap_or_default(),
                        id,
                    })
                })
                .collect()
        })
    }

    /// Sets sources' thresholds (`None`: no baseline yet); prunes hourly counts older than
    /// `prune_before`.
    pub async fn set_source_thresholds(
        &self,
        thresholds: &[(String, Option<u64>)],
        prune_before: Timestamp,
    ) -> Result<(), StateError> {
        on_db!(self, db => {
            let mut tx = db.write_tx().await?;
            for (id, secs) in thresholds {
                sqlx::query("UPDATE sources SET threshold_secs = $1 WHERE id = $2")
                    .bind(secs.map(|s| i64::try_from(s).unwrap_or(i64::MAX)))
                    .bind(id)
                    .execute(&mut *tx)
                    .await?;
            }
            sqlx::query("DELETE FROM source_hours WHERE hour < $1")
                .bind(time::to_db(hour_of(prune_before)))
                .execute(&mut *tx)
                .await?;
            tx.commit().await?;
            Ok(())
        })
    }

    /// Records that source `id` went silent after its event at `started` (declared at
    /// `declared`, with the alert `alert_id`). True when this is news: the same silence recorded
    /// again (a retry after a crash) changes nothing; a source that sent events after `started`
    /// meanwhile is not marked.
    pub async fn record_silence(
        &self,
        id: &str,
        started: Timestamp,
        declared: Timestamp,
        alert_id: &str,
    ) -> Result<bool, StateError> {
        on_db!(self, db => {
            let mut tx = db.write_tx().await?;
            let marked = sqlx::query(
                "UPDATE sources SET silent_since = $1 WHERE id = $2 AND silent_since IS NULL AND last_event = $1",
            )
            .bind(time::to_db(started))
            .bind(id)
            .execute(&mut *tx)
            .await?
            .rows_affected();
            if marked == 0 {
                return Ok(false);
            }
            sqlx::query(
                "INSERT INTO source_silences (source_id, tenant, started, declared, alert_id) \
                 SELECT id, tenant, $1, $2, $3 FROM sources WHERE id = $4 ON CONFLICT (source_id, started) DO NOTHING",
            )
            .bind(time::to_db(started))
            .bind(time::to_db(declared))
            .bind(alert_id)
            .bind(id)
            .execute(&mut *tx)
            .await?;
            tx.commit().await?;
            Ok(true)
        })
    }

    /// `tenant`'s sources with their health over the last 7 days at `now`.
    pub async fn sources(&self, tenant: &str) -> Result<Vec<SourceHealth>, StateError> {
        let now = Timestamp::now();
        let from = now.checked_sub(BASELINE_WINDOW).unwrap_or(now);
        Ok(self.sources_report(tenant, from, now, now).await?.sources)
    }

    /// `tenant`'s sources, each with its status, baseline (the 7 days before `now`) and its
    /// uptime, MTBF and silences over `[from, to)`; most recently reporting first.
    pub async fn sources_report(
        &self,
        tenant: &str,
        from: Timestamp,
        to: Timestamp,
        now: Timestamp,
    ) -> Result<SourcesReport, StateError> {
        let sql = format!("SELECT {SOURCE_COLUMNS} FROM sources WHERE tenant = $1 ORDER BY last_event DESC, id");
        let baseline_from = time::to_db(hour_of(now.checked_sub(BASELINE_WINDOW).unwrap_or(now)));
        let (rows, hours, silences) = on_db!(self, db => {
            let mut tx = db.read_tx().await?;
            let rows = sqlx::query(sqlx::AssertSqlSafe(sql)).bind(tenant).fetch_all(&mut *tx).await?;
            let hours: Vec<(String, i64, i64)> = sqlx::query_as(
                "SELECT h.source_id, COUNT(*), CAST(SUM(h.events) AS BIGINT) FROM source_hours h JOIN sources s ON s.id = h.source_id \
                 WHERE s.tenant = $1 AND h.hour >= $2 GROUP BY h.source_id",
            )
            .bind(tenant)
            .bind(baseline_from)
            .fetch_all(&mut *tx)
            .await?;
            let silences: Vec<(String, i64, i64, Option<i64>, String)> = sqlx::query_as(
                "SELECT source_id, started, declared, ended, alert_id FROM source_silences \
                 WHERE tenant = $1 AND started < $2 AND (ended IS NULL OR ended > $3) ORDER BY started",
            )
            .bind(tenant)
            .bind(time::to_db(to))
            .bind(time::to_db(from))
            .fetch_all(&mut *tx)
            .await?;
            tx.commit().await?;
            let rows = rows
                .iter()
                .map(|r| source_from_row(r, from, to))
                .collect::<Result<Vec<_>, StateError>>()?;
            (rows, hours, silences)
        });
        let mut by_source: BTreeMap<String, Vec<Silence>> = BTreeMap::new();
        for (id, started, declared, ended, alert_id) in silences {
            by_source.entry(id).or_default().push(Silence {
                started: time::from_db(started)?,
                declared: time::from_db(declared)?,
                ended: time::opt_from_db(ended)?,
                alert_id,
            });
        }
        let hours: BTreeMap<String, (i64, i64)> = hours.into_iter().map(|(id, n, e)| (id, (n, e))).collect();
        let mut sources = rows;
        for s in &mut sources {
            if let Some(&(n, events)) = hours.get(&s.id) {
                s.active_hours = u64::try_from(n).unwrap_or(0);
                s.baseline_per_hour = (n > 0).then(|| events as f64 / n as f64);
            }
            s.silences = by_source.remove(&s.id).unwrap_or_default();
            (s.uptime, s.mtbf) = figures(&s.silences, from, to);
        }
        Ok(SourcesReport { from, to, sources })
    }

    /// The distinct (product, service, category) triples `tenant`'s sources sent since `since`,
    /// each with its last arrival; a source of several services or categories gives one triple
    /// per combination. Sorted by the triple.
    pub async fn reporting_logsources(
        &self,
        tenant: &str,
        since: Timestamp,
    ) -> Result<Vec<ReportingLogsource>, StateError> {
        let rows: Vec<(String, String, String, i64)> = on_db!(self, db => {
            sqlx::query_as(
                "SELECT product, service, category, MAX(last_event) FROM sources WHERE tenant = $1 AND last_event >= $2 \
                 GROUP BY product, service, category",
            )
            .bind(tenant)
            .bind(time::to_db(since))
            .fetch_all(&db.reader)
            .await?
        });
        type Triple = (Option<String>, Option<String>, Option<String>);
        let mut out: BTreeMap<Triple, i64> = BTreeMap::new();
        for (product, service, category, last) in rows {
            for s in split(&service) {
                for c in split(&category) {
                    let e = out.entry((opt(product.clone()), s.clone(), c)).or_insert(last);
                    *e = (*e).max(last);
                }
            }
        }
        out.into_iter()
            .map(|((product, service, category), last)| {
                Ok(ReportingLogsource {
                    product,
                    service,
                    category,
                    last_event: time::from_db(last)?,
                })
            })
            .collect()
    }
}

/// The values of a `,`-joined column (one `None` when empty).
fn split(joined: &str) -> Vec<Option<String>> {
    if joined.is_empty() {
        return vec![None];
    }
    joined.split(',').map(|s| Some(s.to_owned())).collect()
}

fn source_from_row(r: &impl DbRow, from: Timestamp, to: Timestamp) -> Result<SourceHealth, StateError> {
    let key = key_from_row(r)?;
    let threshold = r.opt_int("threshold_secs")?.map(|s| u64::try_from(s).unwrap_or(0));
    let silent_since = r.opt_instant("silent_since")?;
    let status = match (silent_since, threshold) {
        (Some(_), _) => SourceStatus::Silent,
        (None, None) => SourceStatus::New,
        (None, Some(_)) => SourceStatus::Healthy,
    };
    let (uptime, mtbf) = figures(&[], from, to);
    Ok(SourceHealth {
        id: r.text("id")?,
        tenant: key.tenant,
        input: key.input,
        host: key.host,
        product: key.product,
        service: key.service,
        category: key.category,
        first_seen: r.instant("first_seen")?,
        last_event: r.instant("last_event")?,
        events: u64::try_from(r.int("events")?).unwrap_or(0),
        status,
        active_hours: 0,
        baseline_per_hour: None,
        threshold_seconds: threshold,
        silent_since,
        uptime,
        mtbf,
        silences: Vec::new(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(s: &str) -> Timestamp {
        s.parse().unwrap()
    }

    #[test]
    fn uptime_and_mtbf_from_silences() {
        let from = at("2026-01-01T00:00:00Z");
        let to = at("2026-01-02T00:00:00Z");
        let silences = [
            // 2 h inside the window.
            Silence {
                started: at("2026-01-01T02:00:00Z"),
                declared: at("2026-01-01T03:00:00Z"),
                ended: Some(at("2026-01-01T04:00:00Z")),
                alert_id: "a".into(),
            },
            // Open: 4 h until the end of the window.
            Silence {
                started: at("2026-01-01T20:00:00Z"),
                declared: at("2026-01-01T21:00:00Z"),
                ended: None,
                alert_id: "b".into(),
            },
        ];
        let (uptime, mtbf) = figures(&silences, from, to);
        assert_eq!(uptime.n, 2);
        assert!((uptime.value.unwrap() - (1.0 - 6.0 / 24.0)).abs() < 1e-9);
        assert_eq!(mtbf.value_seconds, Some(18.0 * 3600.0 / 2.0));
        let (uptime, mtbf) = figures(&[], from, to);
        assert_eq!(uptime.value, Some(1.0));
        assert_eq!(mtbf.value_seconds, None);
    }

    #[test]
    fn hours_start_on_the_hour_and_ids_are_stable() {
        assert_eq!(hour_of(at("2026-01-01T02:59:59.9Z")), at("2026-01-01T02:00:00Z"));
        let key = SourceKey {
            tenant: "t".into(),
            input: "syslog".into(),
            host: Some("h".into()),
            product: None,
            service: None,
            category: None,
        };
        assert_eq!(key.id(), key.clone().id());
        assert_ne!(key.id(), SourceKey { host: None, ..key }.id());
    }
}
