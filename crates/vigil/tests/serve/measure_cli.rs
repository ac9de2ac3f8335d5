//! `vigil kpi` and `vigil handover --near-breach` against a running server: alerts raised by a
//! rule and triaged from the CLI give the alert KPIs, the rule's group, the backlog by age and a
//! weekly trend in the tables; `--json` carries the same; a bad trend is refused.

use serde_json::Value;

use crate::cli_run::{api_key, fails, ok};
use crate::harness::{BASE_CONFIG, Env, marker};

fn rule(m: &str) -> String {
    format!(
        "title: \"Measure Probe\"\nid: 6a1c5d2e-6f7a-4b8c-9d0e-1f2a3b4c5d6e\nstatus: test\nlevel: high\n\
logsource: {{category: test}}\ndetection:\n  sel: {{marker: {m}, hit: yes}}\n  condition: sel\n"
    )
}

#[test]
fn kpi_shows_alert_kpis_backlog_and_trend() {
    let env = Env::new(BASE_CONFIG);
    let m = marker("measure");
    let rules = env.path("rules");
    std::fs::create_dir_all(&rules).expect("rules dir");
    std::fs::write(rules.join("measure.yml"), rule(&m)).expect("rule");
    let analyst = api_key(&env, "analyst");
    let server = env.start_with(false, &["--rules", &rules.to_string_lossy()]);
    let mut body = String::new();
    for n in 0..2 {
        let line = serde_json::json!({"marker": m, "category": "test", "hit": "yes", "User": format!("u{n}"), "host": format!("h{n}")});
        body.push_str(&format!("{line}\n"));
    }
    let r = server
        .ingest_post("/api/v1/ingest?format=ndjson", "application/x-ndjson", body.as_bytes())
        .expect("ingest");
    assert_eq!(r.status, 200, "{}", r.text());
    let alerts = server.wait_for_alerts(2);
    let id = alerts[0]["id"].as_str().expect("id").to_owned();
    ok(&server, &analyst, &["alerts", "ack", &id]);

    let run = ok(
        &server,
        &analyst,
        &["kpi", "--from", "1d", "--group-by", "rule", "--trend", "week"],
    );
    for want in [
        "alerts",
        "mtta",
        "(mean)",
        "<1h",
        "alert MTTD",
        "FP rate",
        "MTTD leaves out events more than 7d",
    ] {
        assert!(run.all().contains(want), "kpi lacks {want:?}:\n{}", run.all());
    }
    let rows: Vec<Vec<&str>> = run
        .stdout
        .lines()
        .map(|l| l.split(['│', '┆']).map(str::trim).filter(|c| !c.is_empty()).collect())
        .collect();
    let backlog = rows
        .iter()
        .find(|r| r.first() == Some(&"alert") && r.get(1) == Some(&"high"))
        .unwrap_or_else(|| panic!("no backlog row:\n{}", run.stdout));
    // Both raised seconds ago: both under an hour old, one acknowledged, both still open.
    assert_eq!(&backlog[..3], ["alert", "high", "2"], "{backlog:?}");

    let run = ok(
        &server,
        &analyst,
        &[
            "kpi",
            "--from",
            "1d",
            "--trend",
            "month",
            "--mttd-cutoff",
            "1h",
            "--json",
        ],
    );
    let report: Value = serde_json::from_str(&run.stdout).expect("JSON");
    assert_eq!(report["mttd_cutoff_seconds"], 3600);
    assert_eq!(report["trend"], "month");
    let total: u64 = report["trends"]
        .as_array()
        .expect("trends")
        .iter()
        .map(|b| b["alert_count"].as_u64().unwrap_or(0))
        .sum();
    assert_eq!(total, 2, "{report}");
    let mtta = report["alerts"]
        .as_array()
        .expect("alerts")
        .iter()
        .find(|k| k["name"] == "mtta" && k.get("group").is_none())
        .expect("mtta");
    assert_eq!(mtta["n"], 1, "{mtta}");

    let run = fails(&server, &analyst, &["kpi", "--trend", "day"]);
    assert!(run.stderr.contains("week or month"), "{}", run.all());

    let run = ok(&server, &analyst, &["handover", "--since", "1h", "--near-breach", "2h"]);
    assert!(run.stdout.contains("due within 2h"), "{}", run.stdout);
    let run = fails(
        &server,
        &analyst,
        &["handover", "--since", "1h", "--near-breach", "30d"],
    );
    assert!(run.stderr.contains("near_breach"), "{}", run.all());
    server.assert_healthy("measure cli");
}
