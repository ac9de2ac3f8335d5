//! A small run of the KPI benchmark's generator (`bench/kpi_fixture.py`, SQLite): its SQL loads
//! into the migrated schema, and the KPI reads find what the generator says it wrote. The
//! benchmark itself (1M alerts) is `bench/kpis.sh`, outside the test suite.

use std::process::Command;

use jiff::{SignedDuration, Timestamp};
use vigil_state::State;
use vigil_state::measure::AlertGroup;

#[tokio::test]
async fn the_kpi_fixture_loads_and_reads_back() {
    let dir = tempfile::tempdir().expect("dir");
    let path = dir.path().join("state.db");
    drop(State::open(&path).await.expect("migrate"));
    let now = 1_800_000_000;
    let python = std::env::var("VIGIL_PYTHON").unwrap_or_else(|_| "python3".into());
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/../../bench/kpi_fixture.py");
    let out = Command::new(python)
        .args([
            script,
            "--alerts",
            "1000",
            "--incidents",
            "100",
            "--days",
            "10",
            "--now",
            &now.to_string(),
        ])
        .output()
        .expect("python runs");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let sql = String::from_utf8(out.stdout).expect("utf-8");
    let pool = sqlx::SqlitePool::connect(&format!("sqlite://{}", path.display()))
        .await
        .expect("connect");
    sqlx::raw_sql(sqlx::AssertSqlSafe(sql))
        .execute(&pool)
        .await
        .expect("the fixture loads");
    pool.close().await;

    let state = State::open(&path).await.expect("open");
    let to = Timestamp::from_second(now + 1).expect("to");
    let from = to - SignedDuration::from_hours(24 * 11);
    let whole = state
        .kpi_alert_aggregates(
            Some("default"),
            from,
            to,
            SignedDuration::from_hours(24 * 7),
            AlertGroup::All,
        )
        .await
        .expect("sums");
    let a = whole[0].1;
    // i = 0..1000: 70% closed (i % 10 < 7), dispositions 1 in 5 each FP and TP among them, the
    // 1000th replayed from 2020, acknowledged when i % 10 <= 7 and i % 3 == 0.
    assert_eq!((a.alerts, a.mttd_n, a.mttd_excluded), (1000, 999, 1));
    let mttd: i64 = (0..999).map(|i| 30 + i % 570).sum();
    assert_eq!(a.mttd_sum, mttd as f64);
    assert_eq!(
        (a.mttr_n, a.dispositioned, a.false_positive, a.true_positive),
        (700, 700, 200, 200)
    );
    let responded = (0..1000).filter(|i| i % 10 < 7 || (i % 10 == 7 && i % 3 == 0)).count();
    assert_eq!(a.mtta_n, responded as u64);
    let incidents = state.kpi_incidents("default", from, to).await.expect("incidents");
    assert_eq!(incidents.incidents.len(), 100);
    let rules = state.kpi_incident_rules("default", from, to).await.expect("rules");
    assert_eq!(
        rules.len(),
        100,
        "every 10th alert is linked to one of the 100 incidents"
    );
}
