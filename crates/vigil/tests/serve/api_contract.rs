//! The API keeps its contract: schemathesis (property-based testing from the OpenAPI document)
//! runs every documented operation of a real `vigil serve` with an admin key and generated
//! parameters and bodies, and checks that no answer is a server error and that every answer is
//! one the document lists, in the documented content type and shape.
//!
//! Bounded for CI: 20 examples per operation and phase and one seed (reproducible): about 800
//! requests, under 30 s here. (`--max-time` is not a bound: fuzzing repeats until it is spent.)

use std::process::Command;
use std::time::Instant;

use crate::harness::{BASE_CONFIG, Env, create_token, marker, python};

/// Generated cases per operation and phase.
const MAX_EXAMPLES: &str = "20";

/// A rule the seeded events match, so listings hold alerts whose shape is checked too.
const RULE: &str = "title: Contract probe\nid: 6b0c3c2e-5d4f-4a8b-9c1d-2e3f4a5b6c7d\nstatus: test\nlevel: high\n\
logsource: {category: test}\ndetection:\n  sel: {hit: yes}\n  condition: sel\n";

#[test]
fn schemathesis_finds_no_server_error_and_no_undocumented_answer() {
    let Some(py) = python(
        "schemathesis_finds_no_server_error_and_no_undocumented_answer",
        &["schemathesis"],
    ) else {
        return;
    };
    // No rate limit: the run sends many requests a second, and a 429 would only hide answers.
    let env = Env::new(&format!("{BASE_CONFIG}\n[http]\napi_rate_limit = 0\n"));
    let admin = create_token(&env.data_dir, "admin");
    let rules = env.path("rules");
    std::fs::create_dir_all(&rules).expect("rules dir");
    std::fs::write(rules.join("probe.yml"), RULE).expect("rule");
    let server = env.start_with(false, &["--rules", &rules.to_string_lossy()]);
    // Events, an alert and a dead letter, so the listings' answers have entries to check.
    let m = marker("contract");
    let body = format!(
        "{{\"marker\":\"{m}\",\"category\":\"test\",\"hit\":\"yes\"}}\n{{\"marker\":\"{m}\",\"hit\":\"no\"}}\nnot json\n"
    );
    let r = server
        .ingest_post("/api/v1/ingest?format=ndjson", "application/x-ndjson", body.as_bytes())
        .expect("ingest");
    assert_eq!(r.status, 200, "{}", r.text());
    server.wait_for_alerts(1);

    // An event stream never ends: its first event shows the shape, and waiting for more would
    // hold each request for the whole timeout (GET /api/v1/alerts/stream sends one at once).
    std::fs::write(env.root.path().join("schemathesis.toml"), "max-stream-events = 1\n").expect("config");
    let base = format!("http://{}", server.http);
    let started = Instant::now();
    let out = Command::new(&py)
        .args([
            "-c",
            "import sys; from schemathesis.cli import schemathesis; sys.argv[0] = 'schemathesis'; sys.exit(schemathesis())",
            "run",
            &format!("{base}/api/v1/openapi.json"),
            "--url",
            &base,
            "--header",
            &format!("Authorization: Bearer {admin}"),
            "--checks",
            "not_a_server_error,status_code_conformance,content_type_conformance,response_headers_conformance,response_schema_conformance",
            "--max-examples",
            MAX_EXAMPLES,
            "--seed",
            "1",
            "--workers",
            "2",
            "--request-timeout",
            "30",
            "--no-color",
        ])
        .env("PYTHONDONTWRITEBYTECODE", "1")
        .current_dir(env.root.path())
        .output()
        .expect("run schemathesis");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success(),
        "schemathesis found problems ({}; {:?}):\n{stdout}\n{stderr}",
        out.status,
        started.elapsed()
    );
    eprintln!("schemathesis passed in {:?}", started.elapsed());
    // The server survived it.
    server.assert_healthy("the schemathesis run");
}
