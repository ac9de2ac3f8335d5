//! Detection validation runs: each kept with its counts (the history of the detection rate) and
//! its per-test and per-technique results (one JSON document). Storing a run writes its audit
//! entry (`validation.run`) in the same transaction. Runs are the evaluation's results only: the
//! replayed events, alerts and correlation state are never written.

use serde::{Deserialize, Serialize};
use serde_json::json;
use sqlx::AssertSqlSafe;
use vigil_api_types::validation::{TechniqueResult, TestResult, ValidationRun, ValidationRunSummary, rate};

use crate::db::{DbRow, on_db};
use crate::respond_tx::{Actor, RespondTx};
use crate::{State, StateError, time};

/// The audit action of a stored run.
pub const RUN_ACTION: &str = "validation.run";
/// Most runs one history listing returns.
pub const MAX_LISTED: u32 = 1000;

const SUMMARY_COLUMNS: &str =
    "id, at, plan, author, generation, fingerprint, tests, detected, other_rule, logged, missed";

/// The `results` column.
#[derive(Serialize, Deserialize)]
struct Results {
    tests: Vec<TestResult>,
    techniques: Vec<TechniqueResult>,
}

/// A fresh run id: `val-` and 16 hexadecimal digits.
fn new_run_id() -> Result<String, StateError> {
    Ok(format!("val-{}", hex::encode(crate::tokens::random::<8>()?)))
}

fn count(row: &impl DbRow, col: &str) -> Result<u64, StateError> {
    Ok(u64::try_from(row.int(col)?).unwrap_or(0))
}

fn summary_from_row(row: &impl DbRow) -> Result<ValidationRunSummary, StateError> {
    let tests = count(row, "tests")?;
    let detected = count(row, "detected")?;
    Ok(ValidationRunSummary {
        id: row.text("id")?,
        at: row.instant("at")?,
        plan: row.text("plan")?,
        author: row.text("author")?,
        generation: count(row, "generation")?,
        fingerprint: row.text("fingerprint")?,
        tests,
        detected,
        other_rule: count(row, "other_rule")?,
        logged: count(row, "logged")?,
        missed: count(row, "missed")?,
        detection_rate: rate(detected, tests),
    })
}

fn run_from_row(row: &impl DbRow) -> Result<ValidationRun, StateError> {
    let results: Results = serde_json::from_str(&row.text("results")?)
        .map_err(|e| StateError::Corrupt(format!("validation results: {e}")))?;
    Ok(ValidationRun {
        summary: summary_from_row(row)?,
        results: results.tests,
        techniques: results.techniques,
    })
}

fn db_int(n: u64) -> i64 {
    i64::try_from(n).unwrap_or(i64::MAX)
}

impl State {
    /// Stores `run` in `tenant` as made by `who` (its author, time and audit entry, action
    /// [`RUN_ACTION`]): a fresh id, `who`'s time and id replace the run's. Returns the stored run.
    pub async fn create_validation_run(
        &self,
        tenant: &str,
        run: &ValidationRun,
        who: &Actor,
    ) -> Result<ValidationRun, StateError> {
        let mut run = run.clone();
        run.summary.id = new_run_id()?;
        run.summary.at = who.at();
        run.summary.author.clone_from(&who.id);
        let s = &run.summary;
        let results = serde_json::to_string(&Results {
            tests: run.results.clone(),
            techniques: run.techniques.clone(),
        })
        .map_err(|e| StateError::Corrupt(format!("validation results: {e}")))?;
        let entry = who
            .audit
            .clone()
            .with_target(format!("validation:{}", s.id))
            .with_at(s.at)
            .with_detail(json!({
                "plan": s.plan,
                "generation": s.generation,
                "fingerprint": s.fingerprint,
                "tests": s.tests,
                "detected": s.detected,
                "detection_rate": s.detection_rate,
            }));
        on_db!(self, db => {
            let mut tx = db.write_tx().await?;
            sqlx::query(
                "INSERT INTO validation_runs (id, tenant, at, plan, author, generation, fingerprint, tests, \
                 detected, other_rule, logged, missed, results) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)",
            )
            .bind(&s.id)
            .bind(tenant)
            .bind(time::to_db(s.at))
            .bind(&s.plan)
            .bind(&s.author)
            .bind(db_int(s.generation))
            .bind(&s.fingerprint)
            .bind(db_int(s.tests))
            .bind(db_int(s.detected))
            .bind(db_int(s.other_rule))
            .bind(db_int(s.logged))
            .bind(db_int(s.missed))
            .bind(&results)
            .execute(&mut *tx)
            .await?;
            tx.audit(entry).await?;
            tx.commit().await?;
            Ok::<(), StateError>(())
        })?;
        Ok(run)
    }

    /// `tenant`'s run `id` with its results; `None` when the tenant has no such run.
    pub async fn validation_run(&self, tenant: &str, id: &str) -> Result<Option<ValidationRun>, StateError> {
        let sql = AssertSqlSafe(format!(
            "SELECT {SUMMARY_COLUMNS}, results FROM validation_runs WHERE id = $1 AND tenant = $2"
        ));
        on_db!(self, db => {
            let row = sqlx::query(sql).bind(id).bind(tenant).fetch_optional(&db.reader).await?;
            row.map(|r| run_from_row(&r)).transpose()
        })
    }

    /// `tenant`'s newest run with its per-test and per-technique results
    /// ([`ValidationRun::passed_techniques`] gives technique id → passed); `None` before the first.
    pub async fn latest_validation(&self, tenant: &str) -> Result<Option<ValidationRun>, StateError> {
        let sql = AssertSqlSafe(format!(
            "SELECT {SUMMARY_COLUMNS}, results FROM validation_runs WHERE tenant = $1 ORDER BY seq DESC LIMIT 1"
        ));
        on_db!(self, db => {
            let row = sqlx::query(sql).bind(tenant).fetch_optional(&db.reader).await?;
            row.map(|r| run_from_row(&r)).transpose()
        })
    }

    /// `tenant`'s newest `limit` runs (1 to [`MAX_LISTED`]), newest first: the history of the
    /// detection rate.
    pub async fn validation_runs(&self, tenant: &str, limit: u32) -> Result<Vec<ValidationRunSummary>, StateError> {
        let limit = i64::from(limit.clamp(1, MAX_LISTED));
        let sql = AssertSqlSafe(format!(
            "SELECT {SUMMARY_COLUMNS} FROM validation_runs WHERE tenant = $1 ORDER BY seq DESC LIMIT $2"
        ));
        on_db!(self, db => {
            let rows = sqlx::query(sql).bind(tenant).bind(limit).fetch_all(&db.reader).await?;
            rows.iter().map(summary_from_row).collect()
        })
    }
}
