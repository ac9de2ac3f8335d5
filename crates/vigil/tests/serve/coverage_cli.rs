//! `vigil coverage` against a running server with `[coverage]`: the per-tactic table with healthy
//! coverage once the rule's source reports, and the Navigator layers written to files.

use serde_json::Value;

use crate::cli_run::{api_key, fails, ok};
use crate::harness::{BASE_CONFIG, Env, marker};

fn rule(m: &str) -> String {
    format!(
        "title: \"Coverage Probe\"\nid: 7b2d6e3f-7a8b-4c9d-8e0f-2a3b4c5d6e7f\nstatus: test\nlevel: high\n\
tags: [attack.execution, attack.t1059.001]\nlogsource: {{category: test}}\n\
detection:\n  sel: {{marker: {m}, hit: yes}}\n  condition: sel\n"
    )
}

fn score(layer: &Value, id: &str) -> f64 {
    layer["techniques"]
        .as_array()
        .expect("techniques")
        .iter()
        .find(|t| t["techniqueID"] == id)
        .expect(id)["score"]
        .as_f64()
        .expect("score")
}

#[test]
fn coverage_table_and_layers_from_a_server() {
    let bundle = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../vigil-coverage/tests/fixtures/mini-attack.json"
    );
    let env = Env::new(&format!(
        "{BASE_CONFIG}\n[coverage]\nattack_bundle = \"{bundle}\"\nwindow = \"1h\"\n"
    ));
    let m = marker("coverage");
    let rules = env.path("rules");
    std::fs::create_dir_all(&rules).expect("rules dir");
    std::fs::write(rules.join("coverage.yml"), rule(&m)).expect("rule");
    let viewer = api_key(&env, "viewer");
    let server = env.start_with(false, &["--rules", &rules.to_string_lossy()]);

    let run = ok(&server, &viewer, &["coverage"]);
    for want in ["TA0002 Execution", "(all in scope)", "2/6 33.3%", "no validation run"] {
        assert!(run.all().contains(want), "{want:?} missing:\n{}", run.all());
    }
    let line = serde_json::json!({"marker": m, "category": "test", "hit": "yes", "host": "h1"});
    let r = server
        .ingest_post(
            "/api/v1/ingest?format=ndjson",
            "application/x-ndjson",
            format!("{line}\n").as_bytes(),
        )
        .expect("ingest");
    assert_eq!(r.status, 200, "{}", r.text());
    server.wait_for_alerts(1);
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    loop {
        let run = ok(&server, &viewer, &["coverage", "--json"]);
        let c: Value = serde_json::from_str(&run.stdout).expect("JSON");
        if c["summary"]["healthy"]["covered"] == 2 {
            break;
        }
        assert!(std::time::Instant::now() < deadline, "never healthy: {c}");
        std::thread::sleep(std::time::Duration::from_millis(300));
    }

    let file = env.path("detections.json");
    let f = file.to_string_lossy().into_owned();
    ok(
        &server,
        &viewer,
        &["coverage", "--layer", "detections", "--from", "1d", "-o", &f],
    );
    let layer: Value = serde_json::from_slice(&std::fs::read(&file).expect("layer")).expect("JSON");
    assert_eq!(layer["versions"]["layer"], "4.5");
    assert_eq!(score(&layer, "T1059.001"), 1.0, "{layer}");
    let run = ok(&server, &viewer, &["coverage", "--layer", "healthy"]);
    let layer: Value = serde_json::from_str(&run.stdout).expect("JSON");
    assert_eq!(score(&layer, "T1059"), 100.0, "{layer}");
    let run = fails(&server, &viewer, &["coverage", "--window", "soon"]);
    assert!(run.all().contains("window"), "{}", run.all());
}
