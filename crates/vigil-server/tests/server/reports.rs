//! SOC reports end to end against a running server, on SQLite and on PostgreSQL: the report of a
//! period over `GET /api/v1/reports` in each format with its Content-Type and Content-Disposition,
//! `report:read` for leads and up, tenant-scoped; the HTML page opened in headless Chromium with
//! every request outside loopback aborted (none attempted) and a screenshot saved under
//! target/report-screenshots/; the PDF rasterised by `pdftoppm` and its title read by
//! `pdftotext`; and a daily schedule writing yesterday's report into its folder at start.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use vigil_report::Format;
use vigil_server::report_task::{Every, ReportSchedule};
use vigil_state::{NewApiKey, Role};

use crate::harness::{TestServer, http};

/// Status, head (lower-cased) and body bytes of a GET.
async fn fetch(s: &TestServer, token: &str, path: &str) -> (u16, String, Vec<u8>) {
    let req = format!(
        "GET {path} HTTP/1.1\r\nHost: {}\r\nConnection: close\r\nAuthorization: Bearer {token}\r\n\r\n",
        s.http
    );
    let mut conn = tokio::net::TcpStream::connect(s.http).await.expect("connect");
    conn.write_all(req.as_bytes()).await.expect("send");
    let mut raw = Vec::new();
    #[expect(clippy::disallowed_methods, reason = "bounded by take(64 MiB)")]
    conn.take(64 << 20).read_to_end(&mut raw).await.expect("read");
    let split = raw.windows(4).position(|w| w == b"\r\n\r\n").expect("head");
    let head = String::from_utf8_lossy(&raw[..split]).to_ascii_lowercase();
    let status = head.split(' ').nth(1).and_then(|s| s.parse().ok()).expect("status");
    assert!(!head.contains("transfer-encoding: chunked"), "{head}");
    (status, head, raw[split + 4..].to_vec())
}

fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn section<'a>(report: &'a Value, id: &str) -> &'a Value {
    report["sections"]
        .as_array()
        .expect("sections")
        .iter()
        .find(|s| s["id"] == id)
        .unwrap_or_else(|| panic!("no section {id} in {report}"))
}

fn row<'a>(section: &'a Value, group: &str, metric: &str) -> &'a Value {
    section["rows"]
        .as_array()
        .expect("rows")
        .iter()
        .find(|r| r["group"] == group && r["metric"] == metric)
        .unwrap_or_else(|| panic!("no {group}/{metric} in {section}"))
}

/// The HTML report in headless Chromium: no request leaves loopback; a screenshot is saved.
fn open_in_chromium(s: &TestServer, token: &str, name: &str) {
    let chromium = std::env::var("VIGIL_CHROMIUM").unwrap_or_else(|_| "/usr/bin/chromium".into());
    if !Path::new(&chromium).exists() {
        eprintln!("SKIPPED: {chromium} is absent (Debian package chromium; scripts/test installs it)");
        return;
    }
    let dir = workspace().join("target/report-screenshots");
    std::fs::create_dir_all(&dir).expect("screenshot dir");
    let shot = dir.join(format!("{name}.png"));
    let url = format!("http://{}/api/v1/reports?from=2d&format=html", s.http);
    let out = Command::new("node")
        .arg(workspace().join("tests/browser/open_page.mjs"))
        .args([url.as_str(), token])
        .arg(&shot)
        .output()
        .expect("node (scripts/test installs nodejs and tests/browser's playwright-core)");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let seen: Value = serde_json::from_slice(&out.stdout).expect("the script's JSON line");
    assert_eq!(seen["blocked"], json!([]), "no request may leave loopback: {seen}");
    let requests = seen["requests"].as_array().expect("requests");
    assert_eq!(requests.len(), 1, "the page alone, nothing it loads: {seen}");
    assert!(
        seen["title"].as_str().expect("title").starts_with("SOC report"),
        "{seen}"
    );
    assert!(seen["svg"].as_u64().expect("svg") >= 1, "charts drawn: {seen}");
    assert_eq!(
        seen["styled"], true,
        "the inline style applies under the page's CSP: {seen}"
    );
    assert_eq!(seen["errors"], json!([]), "{seen}");
    assert!(
        seen["text"]
            .as_str()
            .expect("text")
            .contains("Incidents by classification and severity")
    );
    assert!(shot.metadata().expect("screenshot").len() > 1000);
}

/// The PDF: pages by `pdftoppm`, the title by `pdftotext`.
fn check_pdf(pdf: &[u8]) {
    assert!(pdf.starts_with(b"%PDF-"), "a PDF");
    let has = |tool: &str| Command::new(tool).arg("-v").output().is_ok();
    if !has("pdftoppm") {
        eprintln!("SKIPPED: pdftoppm is absent (Debian package poppler-utils; scripts/test installs it)");
        return;
    }
    let dir = tempfile::tempdir().expect("tempdir");
    let file = dir.path().join("report.pdf");
    std::fs::write(&file, pdf).expect("write");
    let out = Command::new("pdftoppm")
        .args(["-r", "20", "-png"])
        .arg(&file)
        .arg(dir.path().join("page"))
        .output()
        .expect("pdftoppm");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let pages = std::fs::read_dir(dir.path())
        .expect("dir")
        .filter_map(Result::ok)
        .filter(|e| e.file_name().to_string_lossy().ends_with(".png"))
        .count();
    assert!(pages >= 1, "pdftoppm rendered no page");
    let text = Command::new("pdftotext")
        .arg(&file)
        .arg("-")
        .output()
        .expect("pdftotext");
    let text = String::from_utf8_lossy(&text.stdout);
    assert!(text.contains("SOC report"), "{text}");
    assert!(text.contains("Incidents by classification and severity"), "{text}");
}

async fn scheduled_files(dir: &Path, n: usize) -> Vec<String> {
    for _ in 0..150 {
        if let Ok(list) = std::fs::read_dir(dir) {
            let mut names: Vec<String> = list
                .filter_map(Result::ok)
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .filter(|n| !n.starts_with('.'))
                .collect();
            if names.len() >= n {
                names.sort();
                return names;
            }
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("no scheduled report in {}", dir.display());
}

/// ATT&CK v18.1 from ../shared (the heatmap then has every technique), else the coverage crate's
/// hand-built bundle.
fn attack_bundle() -> PathBuf {
    let shared = workspace().join("../shared/attack/enterprise-attack-18.1-core.json");
    if shared.exists() {
        return shared;
    }
    workspace().join("crates/vigil-coverage/tests/fixtures/mini-attack.json")
}

async fn report_scenario(postgres: bool) {
    let folder = tempfile::tempdir().expect("tempdir");
    let dir = folder.path().join("reports");
    let schedule_dir = dir.clone();
    let bundle = attack_bundle();
    let attack = std::sync::Arc::new(vigil_coverage::Attack::load(&bundle).expect("bundle"));
    let s = TestServer::start_on(postgres, move |c| {
        c.coverage = Some(vigil_server::config::CoverageConfig {
            attack_bundle: bundle,
            attack,
            scope: vigil_coverage::Scope::default(),
            window: Duration::from_secs(3600),
        });
        c.reports.check_interval = Duration::from_millis(200);
        c.reports.schedules.push(ReportSchedule {
            name: "daily-default".into(),
            every: Every::Daily,
            formats: vec![Format::Json, Format::Csv],
            dir: schedule_dir,
            tenant: "default".into(),
            notify: Vec::new(),
        });
    })
    .await;
    let new = json!({"title": "<script>alert(1)</script>", "severity": 4, "classification": "malicious-code:infected-system"});
    let (status, inc) = http(
        s.http,
        "POST",
        "/api/v1/incidents",
        Some(s.key(Role::Analyst)),
        Some(new),
    )
    .await;
    assert_eq!(status, 201, "{inc}");
    let path = format!("/api/v1/incidents/{}", inc["id"].as_str().expect("id"));
    let (status, _) = http(
        s.http,
        "PATCH",
        &path,
        Some(s.key(Role::Analyst)),
        Some(json!({"status": "acknowledged"})),
    )
    .await;
    assert_eq!(status, 200);

    let lead = s.key(Role::Lead).to_owned();
    let (status, head, body) = fetch(&s, &lead, "/api/v1/reports?from=2d").await;
    assert_eq!(status, 200, "{head}");
    assert!(head.contains("content-type: application/json"), "{head}");
    let report: Value = serde_json::from_slice(&body).expect("json");
    assert_eq!(report["tenant"], "default");
    let summary = section(&report, "summary");
    assert_eq!(row(summary, "", "incidents_created")["value"], 1.0, "{summary}");
    assert_eq!(row(summary, "", "mtta")["n"], 1, "{summary}");
    let incidents = section(&report, "incidents");
    assert_eq!(
        row(incidents, "malicious-code:infected-system", "by_classification")["value"],
        1.0
    );
    assert_eq!(row(incidents, "severity 4", "by_severity")["value"], 1.0);
    assert_eq!(row(section(&report, "sla"), "", "sla_acknowledge")["value"], 1.0);
    let coverage = section(&report, "coverage");
    assert!(coverage["unavailable"].is_null(), "{coverage}");
    assert!(
        row(coverage, "", "coverage_healthy")["n"]
            .as_u64()
            .expect("techniques in scope")
            > 0
    );
    let heatmap = section(&report, "coverage_heatmap");
    assert_eq!(heatmap["chart"], "heatmap");
    assert!(!heatmap["rows"].as_array().expect("cells").is_empty());
    assert!(!section(&report, "trend")["rows"].as_array().expect("rows").is_empty());

    let (status, head, body) = fetch(&s, &lead, "/api/v1/reports?from=2d&format=csv").await;
    assert_eq!(status, 200);
    assert!(head.contains("content-type: text/csv"), "{head}");
    assert!(
        head.contains("content-disposition: attachment; filename=\"vigil-report-default-"),
        "{head}"
    );
    assert!(String::from_utf8_lossy(&body).starts_with("section,group,metric,value,unit,n,previous\n"));
    let (status, head, body) = fetch(&s, &lead, "/api/v1/reports?from=2d&format=html").await;
    assert_eq!(status, 200);
    assert!(head.contains("content-type: text/html"), "{head}");
    assert!(
        head.contains("content-disposition: inline; filename=\"vigil-report-default-"),
        "{head}"
    );
    assert!(
        head.contains("content-security-policy: default-src 'none'; style-src 'sha256-"),
        "{head}"
    );
    assert!(!String::from_utf8_lossy(&body).contains("<script"));
    let (status, head, pdf) = fetch(&s, &lead, "/api/v1/reports?from=2d&format=pdf").await;
    assert_eq!(status, 200);
    assert!(head.contains("content-type: application/pdf"), "{head}");
    assert!(head.contains(".pdf\""), "{head}");
    check_pdf(&pdf);
    if !postgres {
        open_in_chromium(&s, &lead, "report-sqlite");
    }

    // Leads and up; the tenant is the principal's own.
    for role in [Role::Viewer, Role::Analyst] {
        let (status, _) = http(s.http, "GET", "/api/v1/reports", Some(s.key(role)), None).await;
        assert_eq!(status, 403, "{role:?}");
    }
    let (status, body) = http(s.http, "GET", "/api/v1/reports?tenant=globex", Some(&lead), None).await;
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (404, Some("not_found")),
        "{body}"
    );
    let (status, _) = http(s.http, "GET", "/api/v1/reports?format=docx", Some(&lead), None).await;
    assert_eq!(status, 400);
    let (status, _) = http(s.http, "GET", "/api/v1/reports?from=800d", Some(&lead), None).await;
    assert_eq!(status, 400, "more than 367 days");
    let state = s.state().await;
    let (_, other) = state
        .create_api_key(&NewApiKey::new(Role::Lead, "other").in_tenant("globex"))
        .await
        .expect("key");
    let (status, theirs) = http(s.http, "GET", "/api/v1/reports?from=2d", Some(&other), None).await;
    assert_eq!(status, 200, "{theirs}");
    assert_eq!(row(section(&theirs, "summary"), "", "incidents_created")["value"], 0.0);

    // The daily schedule wrote yesterday's report at start, once.
    let files = scheduled_files(&dir, 2).await;
    assert_eq!(files.len(), 2, "{files:?}");
    assert!(
        files[0].starts_with("vigil-report-default-") && files[0].ends_with(".csv"),
        "{files:?}"
    );
    assert!(files[1].ends_with(".json"), "{files:?}");
    let written: Value = serde_json::from_slice(&std::fs::read(dir.join(&files[1])).expect("read")).expect("json");
    assert_eq!(written["tenant"], "default");
    tokio::time::sleep(Duration::from_millis(500)).await;
    let runs = state.report_runs("daily-default", 10).await.expect("runs");
    assert_eq!(runs.len(), 1, "{runs:?}");
    assert_eq!(runs[0].files.len(), 2);
    s.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reports_in_every_format_on_sqlite() {
    report_scenario(false).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reports_in_every_format_on_postgres() {
    report_scenario(true).await;
}
