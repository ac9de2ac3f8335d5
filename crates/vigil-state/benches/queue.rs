//! The alert queue over 1M stored alerts (issue 16): how long `State::list_alerts` (a filtered,
//! sorted page with its total) and `State::count_triage` (the bulk preview) take, on SQLite and,
//! when `VIGIL_TEST_POSTGRES_URL` is set, on PostgreSQL.
//!
//!   bench/queue.sh                                   # both backends when the URL is set
//!   cargo bench -p vigil-state --bench queue         # the same without the machine summary
//!
//! Not divan: the fixture (1.1M alerts, minutes to build) is built once and reused across runs,
//! every query is an async call on one of two backends, and the figures wanted are the median and
//! the p95 of a few dozen runs each (divan reports neither a p95 nor numbers per backend in one
//! table). So this is a plain `harness = false` binary that times each call with `Instant`.
//!
//! The fixture: `ALERTS` (default 1,000,000) alerts in tenant `acme` and a tenth of that in tenant
//! `globex`, interleaved (every 11th alert is globex's), detected 2.36 s apart over the 30 days
//! before 2026-12-01T00:00Z (`seq` follows detection time, as when alerts are raised live).
//! 300 rules, each with one level; the level of an alert is drawn first (informational 8 %, low
//! 42 %, medium 35 %, high 12 %, critical 3 %), then a rule of that level, skewed so a few rules
//! fire most (index `⌊n·u²⌋`); 2,000 hosts skewed the same way (`host-0042` holds ~0.17 % of the
//! alerts). Inserted with `insert_alerts` in batches of 5,000 (the insert rate is reported); after
//! each batch one set-based `UPDATE … WHERE seq > <batch start>` triages it: 80 % closed (with a
//! disposition, `closed`, `closed_by`), 15 % left new, 5 % acknowledged; 90 % of acknowledged,
//! 70 % of closed and 3 % of new alerts are assigned (12 analysts, 2 teams). The draw is a
//! multiplicative hash of `seq`, so it is the same on both backends. `triage_alerts` by filter
//! would do the same through the API but refuses selections over 100,000 alerts and writes a
//! history row per alert: far slower for a fixture, and the queue does not read history.
//! PostgreSQL then gets `VACUUM ANALYZE alerts` (what autovacuum does on a live server); SQLite
//! gets nothing (Vigil never runs `ANALYZE` on its state file, so the planner has no statistics,
//! as in production).
//!
//! Reuse: the SQLite file lives in `$QUEUE_DIR` (default `$TMPDIR/vigil-bench-queue`), the
//! PostgreSQL database is `$QUEUE_PG_DB` (default `vigil_bench_queue`) on the server of
//! `VIGIL_TEST_POSTGRES_URL`. A blob `bench.queue.fixture` names the fixture; when it matches,
//! the database is reused as is (so an index created by hand on a copy stays), otherwise it is
//! rebuilt from scratch.
//!
//! The six calls, on tenant `acme`, pages of 50: (1) the open queue (`status` new + acknowledged);
//! (2) the same with `min_level=high`; (3) `host=host-0042`, every status; (4) page 20 of the
//! open queue (the cursor walked to once, then the 20th page alone timed); (5) the busiest medium
//! rule with `since` 7 days before the newest alert; (6) `count_triage` of closing `status=new,
//! min_level=medium` as false positives (the bulk preview: two counts).
//!
//! Measured, each `WARMUP` (default 3) times untimed, then `RUNS` (default 30) times: the median
//! and p95 (nearest rank) of the wall time of one call, the total it returned and the rows on the
//! page. Environment: `ALERTS`, `RUNS`, `WARMUP`, `QUEUE_DIR`, `QUEUE_PG_DB`, `BACKENDS`
//! (`sqlite,postgres`), `VIGIL_TEST_POSTGRES_URL`, and `FIXTURE_SQL`: statements run on a fresh
//! database before the first insert (an index to try, with its cost on the insert rate; part of
//! the marker, so give such a fixture its own `QUEUE_DIR` / `QUEUE_PG_DB`).

use std::path::PathBuf;
use std::time::{Duration, Instant};

use jiff::{SignedDuration, Timestamp};
use sqlx::Connection as _;
use vigil_api_types::triage::AlertUpdate;
use vigil_respond::{AlertStatus, Disposition};
use vigil_state::triage::Selection;
use vigil_state::{AlertKind, AlertQuery, Level, NewAlert, State};

const TENANT: &str = "acme";
const OTHER_TENANT: &str = "globex";
const BATCH: usize = 5_000;
const HOSTS: u64 = 2_000;
const DAYS: i64 = 30;
const PAGE: u32 = 50;
const MARKER_BLOB: &str = "bench.queue.fixture";
const BUILD_BLOB: &str = "bench.queue.build";
/// Rules per level (informational … critical): 300 in all.
const RULES_PER_LEVEL: [u64; 5] = [20, 100, 110, 55, 15];
/// Per mille of alerts per level (informational … critical).
const LEVEL_PER_MILLE: [u64; 5] = [80, 420, 350, 120, 30];
const TITLES: [&str; 8] = [
    "Suspicious PowerShell Command Line",
    "Process Creation From Temp Folder",
    "Failed Logon Burst",
    "New Service Installed",
    "Outbound Connection To Rare Port",
    "Credential Dumping Tool",
    "Scheduled Task Created",
    "Sudo To Root Shell",
];
const INPUTS: [&str; 3] = ["elasticsearch", "syslog", "otlp"];

fn end() -> Timestamp {
    "2026-12-01T00:00:00Z".parse().expect("timestamp")
}

fn splitmix(mut x: u64) -> u64 {
    x = x.wrapping_add(0x9E37_79B9_7F4A_7C15);
    x = (x ^ (x >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    x = (x ^ (x >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    x ^ (x >> 31)
}

/// A uniform draw in [0, 1) from `x`.
fn unit(x: u64) -> f64 {
    (x >> 11) as f64 / (1u64 << 53) as f64
}

/// `⌊n·u²⌋`: index 0 is the most frequent.
fn skewed(x: u64, n: u64) -> u64 {
    let u = unit(x);
    ((n as f64 * u * u) as u64).min(n - 1)
}

/// Global rule number of the `i`-th rule of `level` (0 = informational).
fn rule_number(level: usize, i: u64) -> u64 {
    RULES_PER_LEVEL[..level].iter().sum::<u64>() + i
}

/// A Sigma-like rule id (a UUID) for rule number `r`.
fn rule_id(r: u64) -> String {
    let a = splitmix(r ^ 0x5167_4d41);
    let b = splitmix(a);
    format!(
        "{:08x}-{:04x}-4{:03x}-8{:03x}-{:012x}",
        a >> 32,
        (a >> 16) & 0xffff,
        a & 0xfff,
        (b >> 48) & 0xfff,
        b & 0xffff_ffff_ffff
    )
}

struct Shape {
    alerts: u64,
    /// Run on a fresh database before the first insert (`FIXTURE_SQL`: e.g. an index to try).
    setup_sql: String,
}

impl Shape {
    fn total(&self) -> u64 {
        self.alerts + self.alerts / 10
    }

    fn marker(&self) -> String {
        let mut marker = format!(
            "vigil-bench-queue v1: {}+{} alerts, 300 rules, {HOSTS} hosts, {DAYS} days to {}, batches of {BATCH}",
            self.alerts,
            self.alerts / 10,
            end()
        );
        if !self.setup_sql.is_empty() {
            marker.push_str(&format!("; FIXTURE_SQL: {}", self.setup_sql));
        }
        marker
    }

    /// The `i`-th alert raised (0-based, in detection order).
    fn alert(&self, i: u64) -> NewAlert {
        let step = SignedDuration::from_hours(24 * DAYS).as_nanos() / i128::from(self.total());
        let detected = end() - SignedDuration::from_hours(24 * DAYS)
            + SignedDuration::from_nanos(i64::try_from(step * i128::from(i)).expect("fits"));
        let r0 = splitmix(i);
        let r1 = splitmix(r0);
        let r2 = splitmix(r1);
        let r3 = splitmix(r2);
        let mut pick = r0 % 1000;
        let mut level = 0;
        while pick >= LEVEL_PER_MILLE[level] {
            pick -= LEVEL_PER_MILLE[level];
            level += 1;
        }
        let rule = rule_number(level, skewed(r1, RULES_PER_LEVEL[level]));
        let host = skewed(r2, HOSTS);
        let tenant = if i % 11 == 10 { OTHER_TENANT } else { TENANT };
        let correlation = r3.is_multiple_of(50);
        NewAlert {
            id: format!("{:016x}{:016x}", splitmix(i ^ 0xA1E7), r3),
            tenant: tenant.into(),
            rule_id: rule_id(rule),
            rule_title: format!("{} {rule}", TITLES[(rule % 8) as usize]),
            level: Level::ALL[level].name().into(),
            kind: if correlation {
                AlertKind::Correlation
            } else {
                AlertKind::Detection
            },
            attack: vec![format!("T{}", 1000 + rule % 600), format!("TA{:04}", 1 + rule % 14)],
            tags: vec!["attack.execution".into(), format!("rule.group{}", rule % 9)],
            event_ids: vec![format!("{:016x}{:016x}", r2, splitmix(r3))],
            group_key: correlation.then(|| format!("User=user{:04}", r3 % 800)),
            event_time: Some(detected - SignedDuration::from_millis((r3 % 5000) as i64)),
            detected,
            input: Some(INPUTS[(r1 % 3) as usize].into()),
            host: Some(format!("host-{host:04}")),
            matched: serde_json::json!({"selection": ["CommandLine", "Image"], "filter": []}),
            grouping: None,
        }
    }
}

/// Triages the alerts after `after` (their `seq`) in one statement, the same on both backends:
/// 80 % closed, 15 % new, 5 % acknowledged, some assigned (see the module comment).
fn triage_sql(after: i64) -> String {
    let h = "((seq * 2654435761) % 4294967296)";
    let b = format!("({h} % 100)");
    let a = format!("(({h} / 100) % 100)");
    let k = format!("(({h} / 10000) % 14)");
    let d = format!("(({h} / 140000) % 10)");
    let delay = format!("((60 + (({h} / 1400000) % 3000) * 60) * 1000000000)");
    let who = format!("(CASE WHEN {k} < 12 THEN 'analyst-' || {k} ELSE 'team:tier' || ({k} - 11) END)");
    let closed = format!("{b} < 80");
    let acked = format!("{b} >= 95");
    format!(
        "UPDATE alerts SET \
         status = CASE WHEN {closed} THEN 'closed' WHEN {acked} THEN 'acknowledged' ELSE 'new' END, \
         assignee = CASE WHEN ({closed} AND {a} < 70) OR ({acked} AND {a} < 90) OR ({a} < 3) THEN {who} END, \
         disposition = CASE WHEN {closed} THEN (CASE WHEN {d} < 5 THEN 'false_positive' \
           WHEN {d} < 7 THEN 'benign_positive' WHEN {d} < 8 THEN 'duplicate' \
           WHEN {d} < 9 THEN 'true_positive' ELSE 'indeterminate' END) END, \
         acknowledged = CASE WHEN {closed} OR {acked} THEN detected + {delay} / 2 END, \
         acknowledged_by = CASE WHEN {closed} OR {acked} THEN {who} END, \
         closed = CASE WHEN {closed} THEN detected + {delay} END, \
         closed_by = CASE WHEN {closed} THEN {who} END, \
         updated = CASE WHEN {closed} THEN detected + {delay} WHEN {acked} THEN detected + {delay} / 2 END, \
         updated_by = CASE WHEN {closed} OR {acked} THEN {who} END \
         WHERE seq > {after} AND ({closed} OR {acked} OR {a} < 3)"
    )
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Backend {
    Sqlite,
    Postgres,
}

impl Backend {
    fn name(self) -> &'static str {
        match self {
            Backend::Sqlite => "SQLite",
            Backend::Postgres => "PostgreSQL",
        }
    }
}

/// Where a backend's fixture lives, and a raw connection beside the `State`.
enum Place {
    Sqlite(PathBuf),
    Postgres { server: String, db: String },
}

enum Raw {
    Sqlite(sqlx::SqliteConnection),
    Postgres(sqlx::PgConnection),
}

impl Raw {
    async fn exec(&mut self, sql: String) -> u64 {
        let sql = sqlx::AssertSqlSafe(sql);
        match self {
            Raw::Sqlite(c) => sqlx::raw_sql(sql).execute(c).await.expect("sql").rows_affected(),
            Raw::Postgres(c) => sqlx::raw_sql(sql).execute(c).await.expect("sql").rows_affected(),
        }
    }

    async fn max_seq(&mut self) -> i64 {
        let sql = "SELECT COALESCE(MAX(seq), 0) FROM alerts";
        match self {
            Raw::Sqlite(c) => sqlx::query_scalar(sql).fetch_one(c).await.expect("max seq"),
            Raw::Postgres(c) => sqlx::query_scalar(sql).fetch_one(c).await.expect("max seq"),
        }
    }
}

impl Place {
    fn pg_url(server: &str, db: &str) -> String {
        let (base, _) = server.rsplit_once('/').expect("a URL with a database path");
        format!("{base}/{db}")
    }

    async fn try_open(&self) -> Result<State, vigil_state::StateError> {
        match self {
            Place::Sqlite(path) => State::open(path).await,
            Place::Postgres { server, db } => {
                State::connect_postgres(&Self::pg_url(server, db), vigil_state::DEFAULT_POSTGRES_CONNECTIONS).await
            }
        }
    }

    async fn open(&self) -> State {
        self.try_open().await.expect("open the bench database")
    }

    async fn raw(&self) -> Raw {
        match self {
            Place::Sqlite(path) => Raw::Sqlite(
                sqlx::SqliteConnection::connect_with(
                    &sqlx::sqlite::SqliteConnectOptions::new()
                        .filename(path)
                        .busy_timeout(Duration::from_secs(30)),
                )
                .await
                .expect("connect SQLite"),
            ),
            Place::Postgres { server, db } => Raw::Postgres(
                sqlx::PgConnection::connect(&Self::pg_url(server, db))
                    .await
                    .expect("connect PostgreSQL"),
            ),
        }
    }

    /// Whether a fixture is there at all (without creating one).
    async fn exists(&self) -> bool {
        match self {
            Place::Sqlite(path) => path.exists(),
            Place::Postgres { server, db } => {
                let mut admin = sqlx::PgConnection::connect(server).await.expect("connect PostgreSQL");
                let n: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM pg_database WHERE datname = $1")
                    .bind(db)
                    .fetch_one(&mut admin)
                    .await
                    .expect("pg_database");
                n > 0
            }
        }
    }

    /// Removes whatever is there and creates an empty database.
    async fn recreate(&self) {
        match self {
            Place::Sqlite(path) => {
                for suffix in ["", "-wal", "-shm"] {
                    let mut p = path.clone().into_os_string();
                    p.push(suffix);
                    let _ = std::fs::remove_file(p);
                }
            }
            Place::Postgres { server, db } => {
                let mut admin = sqlx::PgConnection::connect(server).await.expect("connect PostgreSQL");
                for sql in [
                    format!("DROP DATABASE IF EXISTS {db} WITH (FORCE)"),
                    format!("CREATE DATABASE {db}"),
                ] {
                    sqlx::raw_sql(sqlx::AssertSqlSafe(sql))
                        .execute(&mut admin)
                        .await
                        .expect("recreate the bench database");
                }
            }
        }
    }
}

/// Opens the fixture at `place`, building it first unless its marker matches.
async fn fixture(backend: Backend, place: &Place, shape: &Shape) -> (State, String) {
    if place.exists().await {
        // An edited migration (its checksum) refuses the old database: rebuild it then.
        match place.try_open().await {
            Ok(state) => {
                let marker = state.get_blob(MARKER_BLOB).await.expect("marker");
                if marker.as_deref() == Some(shape.marker().as_bytes()) {
                    let build = state
                        .get_blob(BUILD_BLOB)
                        .await
                        .expect("build report")
                        .unwrap_or_default();
                    let build = String::from_utf8_lossy(&build).into_owned();
                    return (state, format!("reused; built earlier: {build}"));
                }
                state.close().await;
                eprintln!("{}: the fixture there is not this one; rebuilding", backend.name());
            }
            Err(e) => eprintln!("{}: the fixture there does not open ({e}); rebuilding", backend.name()),
        }
    }
    place.recreate().await;
    let state = place.open().await;
    let mut raw = place.raw().await;
    if !shape.setup_sql.is_empty() {
        raw.exec(shape.setup_sql.clone()).await;
    }
    let total = shape.total();
    eprintln!(
        "{}: building the fixture ({} alerts in batches of {BATCH}) ...",
        backend.name(),
        total
    );
    let started = Instant::now();
    let (mut inserting, mut triaging, mut generating) = (Duration::ZERO, Duration::ZERO, Duration::ZERO);
    let mut triaged = 0;
    let mut next = 0;
    while next < total {
        let t = Instant::now();
        let upto = (next + BATCH as u64).min(total);
        let batch: Vec<NewAlert> = (next..upto).map(|i| shape.alert(i)).collect();
        generating += t.elapsed();
        let before = raw.max_seq().await;
        let t = Instant::now();
        let n = state.insert_alerts(&batch).await.expect("insert");
        inserting += t.elapsed();
        assert_eq!(n, batch.len() as u64, "a fresh database takes every alert");
        let t = Instant::now();
        triaged += raw.exec(triage_sql(before)).await;
        triaging += t.elapsed();
        next = upto;
        if next % 100_000 == 0 {
            eprintln!(
                "  {next} alerts, {:.0} alerts/s inserted",
                next as f64 / inserting.as_secs_f64()
            );
        }
    }
    let t = Instant::now();
    match backend {
        Backend::Sqlite => raw.exec("PRAGMA wal_checkpoint(TRUNCATE)".into()).await,
        Backend::Postgres => raw.exec("VACUUM ANALYZE alerts".into()).await,
    };
    let after = t.elapsed();
    let report = format!(
        "{:.0} s in all on {} ({total} alerts: insert_alerts {:.1} s = {:.0} alerts/s; triage UPDATE of {triaged} \
         rows {:.1} s; {} {:.1} s; generating {:.1} s)",
        started.elapsed().as_secs_f64(),
        Timestamp::now().strftime("%Y-%m-%dT%H:%MZ"),
        inserting.as_secs_f64(),
        total as f64 / inserting.as_secs_f64(),
        triaging.as_secs_f64(),
        match backend {
            Backend::Sqlite => "WAL checkpoint",
            Backend::Postgres => "VACUUM ANALYZE",
        },
        after.as_secs_f64(),
        generating.as_secs_f64(),
    );
    state
        .put_blob(BUILD_BLOB, report.as_bytes())
        .await
        .expect("build report");
    state
        .put_blob(MARKER_BLOB, shape.marker().as_bytes())
        .await
        .expect("marker");
    (state, format!("built now: {report}"))
}

struct Measured {
    name: String,
    times: Vec<Duration>,
    result: String,
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1e3
}

impl Measured {
    fn quantile(&self, q: f64) -> Duration {
        let mut t = self.times.clone();
        t.sort_unstable();
        // Nearest rank.
        let rank = ((q * t.len() as f64).ceil() as usize).clamp(1, t.len());
        t[rank - 1]
    }
}

async fn measure<T, F, Fut>(
    name: &str,
    warmup: usize,
    runs: usize,
    mut call: F,
    describe: impl Fn(&T) -> String,
) -> Measured
where
    F: FnMut() -> Fut,
    Fut: Future<Output = T>,
{
    for _ in 0..warmup {
        std::hint::black_box(call().await);
    }
    let mut times = Vec::with_capacity(runs);
    let mut last = None;
    for _ in 0..runs {
        let t = Instant::now();
        let out = call().await;
        times.push(t.elapsed());
        last = Some(out);
    }
    Measured {
        name: name.into(),
        times,
        result: last.as_ref().map(describe).unwrap_or_default(),
    }
}

fn page_result(p: &vigil_state::AlertPage) -> String {
    format!("total {}, {} rows", p.total, p.alerts.len())
}

async fn run_queries(state: &State, warmup: usize, runs: usize) -> Vec<Measured> {
    let open = vec![AlertStatus::New, AlertStatus::Acknowledged];
    let page = |q: AlertQuery| AlertQuery { limit: Some(PAGE), ..q };
    let list = |q: AlertQuery| {
        let state = state.clone();
        move || {
            let state = state.clone();
            let q = q.clone();
            async move { state.list_alerts(TENANT, &q).await.expect("list") }
        }
    };
    let mut out = Vec::new();

    let q1 = page(AlertQuery {
        status: open.clone(),
        ..AlertQuery::default()
    });
    out.push(measure("1. open queue, first page", warmup, runs, list(q1.clone()), page_result).await);

    let q2 = page(AlertQuery {
        status: open.clone(),
        min_level: Some(Level::High),
        ..AlertQuery::default()
    });
    out.push(measure("2. open queue, min_level=high", warmup, runs, list(q2), page_result).await);

    let q3 = page(AlertQuery {
        host: Some("host-0042".into()),
        ..AlertQuery::default()
    });
    out.push(measure("3. host=host-0042, all statuses", warmup, runs, list(q3), page_result).await);

    // Page 20 of the open queue: walk 19 pages once, then time the 20th alone.
    let mut q4 = q1.clone();
    for _ in 0..19 {
        let p = state.list_alerts(TENANT, &q4).await.expect("list");
        q4.cursor = Some(p.next_cursor.expect("more pages"));
    }
    out.push(measure("4. open queue, page 20 (cursor)", warmup, runs, list(q4), page_result).await);

    let busiest_medium = rule_id(rule_number(2, 0));
    let q5 = page(AlertQuery {
        rule_id: Some(busiest_medium),
        since: Some(end() - SignedDuration::from_hours(24 * 7)),
        ..AlertQuery::default()
    });
    out.push(
        measure(
            "5. rule_id (busiest medium rule), since 7 days",
            warmup,
            runs,
            list(q5),
            page_result,
        )
        .await,
    );

    let q6 = AlertQuery {
        status: vec![AlertStatus::New],
        min_level: Some(Level::Medium),
        ..AlertQuery::default()
    };
    let close = AlertUpdate {
        status: Some(AlertStatus::Closed),
        disposition: Some(Disposition::FalsePositive),
        ..AlertUpdate::default()
    };
    let preview = || {
        let state = state.clone();
        let (q6, close) = (q6.clone(), close.clone());
        async move {
            state
                .count_triage(TENANT, Selection::Filter(&q6), &close, false)
                .await
                .expect("count")
        }
    };
    out.push(
        measure(
            "6. count_triage new+min_level=medium (close preview)",
            warmup,
            runs,
            preview,
            |c| format!("matched {}, applicable {}", c.matched, c.updated),
        )
        .await,
    );
    out
}

/// The 1-, 5- and 15-minute load averages (another process on the machine shows up here).
fn loadavg() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .map(|l| l.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
        .unwrap_or_else(|_| "?".into())
}

fn env_or<T: std::str::FromStr>(name: &str, default: T) -> T {
    std::env::var(name).ok().and_then(|v| v.parse().ok()).unwrap_or(default)
}

async fn run() {
    let shape = Shape {
        alerts: env_or("ALERTS", 1_000_000u64),
        setup_sql: std::env::var("FIXTURE_SQL").unwrap_or_default(),
    };
    assert!(shape.alerts >= 10_000, "ALERTS: at least 10000");
    let runs = env_or("RUNS", 30usize).max(1);
    let warmup = env_or("WARMUP", 3usize);
    let backends = std::env::var("BACKENDS").unwrap_or_else(|_| "sqlite,postgres".into());
    let dir = std::env::var("QUEUE_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|_| std::env::temp_dir().join("vigil-bench-queue"));
    let pg_db = std::env::var("QUEUE_PG_DB").unwrap_or_else(|_| "vigil_bench_queue".into());
    assert!(
        pg_db
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_'),
        "QUEUE_PG_DB: lowercase letters, digits and _"
    );
    let pg_server = std::env::var("VIGIL_TEST_POSTGRES_URL").ok().filter(|u| !u.is_empty());

    let mut places = Vec::new();
    if backends.contains("sqlite") {
        std::fs::create_dir_all(&dir).expect("QUEUE_DIR");
        places.push((Backend::Sqlite, Place::Sqlite(dir.join("state.db"))));
    }
    if backends.contains("postgres") {
        match pg_server {
            Some(server) => places.push((Backend::Postgres, Place::Postgres { server, db: pg_db })),
            None => eprintln!("PostgreSQL: skipped (VIGIL_TEST_POSTGRES_URL is not set)"),
        }
    }

    println!(
        "## Alert queue bench: {} (runs {runs}, warm-up {warmup})\n",
        shape.marker()
    );
    for (backend, place) in &places {
        let (state, build) = fixture(*backend, place, &shape).await;
        let where_ = match place {
            Place::Sqlite(p) => format!("{}", p.display()),
            Place::Postgres { db, .. } => format!("database {db}"),
        };
        eprintln!("{}: measuring ...", backend.name());
        let load_before = loadavg();
        let results = Box::pin(run_queries(&state, warmup, runs)).await;
        println!(
            "### {} ({where_})\n\nFixture: {build}\n\nLoad average before / after measuring: {load_before} / {}\n",
            backend.name(),
            loadavg()
        );
        println!("| query | result | median ms | p95 ms | min ms | max ms |");
        println!("|---|---|---:|---:|---:|---:|");
        for m in &results {
            let mut sorted = m.times.clone();
            sorted.sort_unstable();
            println!(
                "| {} | {} | {:.2} | {:.2} | {:.2} | {:.2} |",
                m.name,
                m.result,
                ms(m.quantile(0.5)),
                ms(m.quantile(0.95)),
                ms(sorted[0]),
                ms(sorted[sorted.len() - 1]),
            );
        }
        println!();
        state.close().await;
    }
}

fn main() {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime")
        .block_on(run());
}
