//! `vigil validate` against a running server: a TOML plan with NDJSON samples (a deliberately
//! missing rule is `missed`), plan problems listed with their lines and nothing run, the
//! `--fail-under` gate, `runs` with its trend and `show`; and SigmaHQ's `regression_data` as is,
//! whose detection rate must be the one `vigil rules test` implies for the same rules.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde_json::{Value, json};
use vigil_detect::{Detector, DetectorOptions, RuleFilter, RuleSet, ruletest};

use crate::cli_run::{api_key, fails, ok, vigil};
use crate::harness::{BASE_CONFIG, Env};

const RULE: &str = r#"title: Whoami
id: 11111111-1111-4111-8111-111111111111
status: test
logsource: {product: windows, category: process_creation}
detection:
  sel: {Image|endswith: '\whoami.exe'}
  condition: sel
level: high
tags: [attack.discovery, attack.t1033]
"#;

fn sysmon(image: &str) -> String {
    json!({"Event": {"System": {"Provider": {"#attributes": {"Name": "Microsoft-Windows-Sysmon"}},
        "EventID": 1, "Channel": "Microsoft-Windows-Sysmon/Operational", "Computer": "ws1"},
        "EventData": {"Image": image}}})
    .to_string()
}

const PLAN: &str = r#"name = "baseline"

[[test]]
id = "whoami"
samples = ["whoami.ndjson"]
expect_rules = ["11111111-1111-4111-8111-111111111111"]

[[test]]
id = "lsass-dump"
technique = "T1003.001"
samples = ["notepad.ndjson"]
expect_rules = ["0d894093-71bc-43c3-8c4d-ecfa28dcf5a9"]
"#;

#[test]
fn a_plan_runs_from_the_cli_with_a_missing_rule_missed_and_its_problems_listed_by_line() {
    let env = Env::new(BASE_CONFIG);
    let rules = env.path("rules");
    std::fs::create_dir_all(&rules).expect("rules dir");
    std::fs::write(rules.join("whoami.yml"), RULE).expect("rule");
    let engineer = api_key(&env, "detection_engineer");
    let viewer = api_key(&env, "viewer");
    let server = env.start_with(false, &["--rules", &rules.to_string_lossy()]);
    let plans = env.path("plans");
    std::fs::create_dir_all(&plans).expect("plans dir");
    std::fs::write(
        plans.join("whoami.ndjson"),
        sysmon(r"C:\Windows\System32\whoami.exe") + "\n",
    )
    .expect("sample");
    std::fs::write(plans.join("notepad.ndjson"), sysmon(r"C:\Windows\notepad.exe") + "\n").expect("sample");
    let plan = plans.join("plan.toml");
    std::fs::write(&plan, PLAN).expect("plan");
    let plan_arg = plan.to_string_lossy().into_owned();

    let run = ok(&server, &engineer, &["validate", "--plan", &plan_arg]);
    assert!(
        run.stdout.contains("detection rate 50.0% (1 of 2 tests"),
        "{}",
        run.all()
    );
    let line = |id: &str| run.stdout.lines().find(|l| l.contains(id)).unwrap_or("").to_owned();
    assert!(line("whoami").contains("detected"), "{}", run.stdout);
    assert!(line("lsass-dump").contains("missed"), "{}", run.stdout);
    assert!(line("T1003.001").contains("missed"), "{}", run.stdout);

    // The CI gate: the run is made and kept, the status says it is below.
    let gated = vigil(
        &server,
        &engineer,
        &["validate", "--plan", &plan_arg, "--fail-under", "90%", "--json"],
    );
    assert_eq!(gated.code, Some(1), "{}", gated.all());
    let answer: Value = serde_json::from_str(&gated.stdout).expect("json");
    assert_eq!(answer["results"][1]["outcome"], "missed", "{answer}");
    assert!(gated.stderr.contains("below --fail-under 90.0%"), "{}", gated.stderr);
    ok(
        &server,
        &engineer,
        &["validate", "--plan", &plan_arg, "--fail-under", "0.5"],
    );

    // Every problem of a plan, with its line; nothing is run.
    std::fs::write(
        plans.join("bad.toml"),
        "name = \"bad\"\n[[test]]\nid = \"a\"\nsamples = [\"nope.evtx\"]\n\n[[test]]\nid = \"b\"\ntechnique = \"X1\"\nsamples = [\"whoami.ndjson\"]\nexpect_rules = [\"r\"]\n",
    )
    .expect("plan");
    let bad = vigil(
        &server,
        &engineer,
        &["validate", "--plan", &plans.join("bad.toml").to_string_lossy()],
    );
    assert_eq!(bad.code, Some(2), "{}", bad.all());
    assert!(
        bad.stderr.contains("bad.toml:2: test `a`: give `expect_rules`"),
        "{}",
        bad.stderr
    );
    assert!(bad.stderr.contains("bad.toml:2: test `a`: sample"), "{}", bad.stderr);
    assert!(
        bad.stderr.contains("bad.toml:6: test `b`: `technique`"),
        "{}",
        bad.stderr
    );
    assert!(bad.stderr.contains("3 problem(s) in the plan"), "{}", bad.stderr);

    // The history (viewer), newest first with its trend, and one run.
    let runs = ok(&server, &viewer, &["validate", "runs"]);
    let rows: Vec<&str> = runs.stdout.lines().filter(|l| l.contains("val-")).collect();
    assert_eq!(rows.len(), 3, "{}", runs.stdout);
    assert!(
        rows.iter().all(|r| r.contains("baseline") && r.contains("50.0%")),
        "{}",
        runs.stdout
    );
    assert!(
        rows[0].contains("+0.0 pts") && rows[2].contains(" - "),
        "{}",
        runs.stdout
    );
    let listed: Value =
        serde_json::from_str(&ok(&server, &viewer, &["validate", "runs", "--json"]).stdout).expect("json");
    let id = listed["runs"][0]["id"].as_str().expect("id").to_owned();
    let shown = ok(&server, &viewer, &["validate", "show", &id]);
    assert!(
        shown.stdout.contains(&id) && shown.stdout.contains("lsass-dump"),
        "{}",
        shown.stdout
    );
    let denied = fails(&server, &viewer, &["validate", "--plan", &plan_arg]);
    assert!(denied.all().contains("validation:run"), "{}", denied.all());
}

/// `../shared` beside the project, when present.
fn shared() -> Option<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/sigma");
    dir.join("regression_data").is_dir().then_some(dir)
}

/// Per regression folder (relative to `regression_data`) and rule: did the rule fire on its EVTX
/// sample, as `vigil rules test` runs it.
fn rules_test_triggered(rule_dirs: &[PathBuf], data: &Path) -> BTreeMap<(String, String), bool> {
    let set = RuleSet::load(
        rule_dirs,
        &RuleFilter {
            min_level: None,
            statuses: None,
            everything: false,
        },
    )
    .expect("rules");
    let (detector, _) = Detector::build(&set, &DetectorOptions::default());
    let (cases, problems) = ruletest::discover(&[data.to_path_buf()]).expect("cases");
    assert!(problems.is_empty(), "{problems:?}");
    let cases: Vec<_> = cases
        .into_iter()
        .filter(|c| matches!(&c.events, ruletest::Events::File(f) if f.extension().is_some_and(|e| e == "evtx")))
        .filter(|c| c.expect != Some(0))
        .collect();
    ruletest::run(&detector, &cases)
        .into_iter()
        .map(|r| {
            let folder = r.declared_in.parent().expect("folder");
            let name = folder
                .strip_prefix(data)
                .expect("under data")
                .to_string_lossy()
                .into_owned();
            ((name, r.rule), r.triggered_ok)
        })
        .collect()
}

#[test]
fn regression_data_gives_the_detection_rate_rules_test_implies() {
    let Some(sigma) = shared() else {
        eprintln!("skipped: ../shared is absent (SigmaHQ rules and regression data live there)");
        return;
    };
    let rule_dirs: Vec<PathBuf> = ["rules", "rules-threat-hunting", "rules-emerging-threats"]
        .iter()
        .map(|d| sigma.join(d))
        .collect();
    let data = sigma.join("regression_data");
    let env = Env::new(BASE_CONFIG);
    let engineer = api_key(&env, "detection_engineer");
    let mut args = Vec::new();
    for d in &rule_dirs {
        args.push("--rules".to_owned());
        args.push(d.to_string_lossy().into_owned());
    }
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let server = env.start_with(false, &args);
    let run = ok(
        &server,
        &engineer,
        &["validate", "--plan", &data.to_string_lossy(), "--json"],
    );
    let answer: Value = serde_json::from_str(&run.stdout).expect("json");

    let expected = rules_test_triggered(&rule_dirs, &data);
    let results = answer["results"].as_array().expect("results");
    assert_eq!(results.len(), expected.len(), "a test per rule and EVTX sample");
    for r in results {
        let id = r["id"].as_str().expect("id");
        let folder = id.split('#').next().unwrap_or(id).to_owned();
        let rule = r["expect_rules"][0].as_str().expect("rule").to_owned();
        let triggered = expected.get(&(folder, rule)).copied();
        assert_eq!(triggered.map(|t| t == (r["outcome"] == "detected")), Some(true), "{r}");
    }
    let implied = expected.values().filter(|&&t| t).count() as f64 / expected.len() as f64;
    assert_eq!(
        answer["detection_rate"].as_f64(),
        Some(implied),
        "{}",
        answer["detection_rate"]
    );
    assert!(
        answer["techniques"].as_array().is_some_and(|t| t.len() > 50),
        "per technique"
    );
    // Nothing of production was written.
    let alerts = server.api_get("/api/v1/alerts");
    assert_eq!(alerts.json()["total"], 0, "{}", alerts.text());
}
