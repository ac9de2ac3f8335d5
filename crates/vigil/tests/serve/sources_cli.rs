//! `vigil sources` against a running server configured with `[sources]`: the source of ingested
//! events listed with its host escaped, `--json` as the API answers, `--silent` empty while it
//! reports, `--expected` naming the rule whose logsource nobody sends, and `--help` examples.

use std::time::{Duration, Instant};

use serde_json::{Value, json};

use crate::cli_run::ok;
use crate::harness::{Env, SEARCH_DEADLINE, marker};

const CONFIG: &str = "version = 1\n\n[pipeline]\ncommit_interval = \"200ms\"\n\n[sources]\nflush_interval = \"100ms\"\n\
silent_after = \"2h\"\n\n[[sources.threshold]]\nhost = \"db*\"\nsilent_after = \"10m\"\n";

const AUDITD_RULE: &str = "title: Needs auditd\nid: 0b7c9d1e-2f3a-4b5c-8d6e-7f8091a2b3c4\nstatus: test\nlevel: low\n\
logsource: {product: linux, service: auditd}\ndetection:\n  sel: {type: EXECVE}\n  condition: sel\n";

#[test]
fn sources_are_listed_escaped_and_expected_ones_named() {
    let env = Env::new(CONFIG);
    let rules = env.path("rules");
    std::fs::create_dir_all(&rules).expect("rules dir");
    std::fs::write(rules.join("auditd.yml"), AUDITD_RULE).expect("rule");
    let server = env.start_with(false, &["--rules", &rules.to_string_lossy()]);
    let m = marker("sources");
    let body: String = (0..3)
        .map(|_| {
            format!(
                "{}\n",
                json!({"marker": m, "product": "windows", "host": "evil\u{1b}[31mhost"})
            )
        })
        .collect();
    let r = server
        .ingest_post("/api/v1/ingest?format=ndjson", "application/x-ndjson", body.as_bytes())
        .expect("ingest");
    assert_eq!(r.status, 200, "{}", r.text());
    let deadline = Instant::now() + SEARCH_DEADLINE;
    loop {
        let r = server.api_get("/api/v1/sources");
        if r.status == 200 && r.json()["sources"][0]["events"] == 3 {
            break;
        }
        assert!(Instant::now() < deadline, "{} {}", r.status, r.text());
        std::thread::sleep(Duration::from_millis(100));
    }

    let run = ok(&server, &server.read_token, &["sources"]);
    assert!(run.stdout.contains("evil\\x1b[31mhost"), "{}", run.all());
    assert!(!run.stdout.contains('\u{1b}'), "{}", run.all());
    assert!(
        run.stdout.contains("windows/*/*") && run.stdout.contains("new"),
        "{}",
        run.all()
    );
    assert!(run.stderr.contains("1 sources"), "{}", run.all());

    let run = ok(&server, &server.read_token, &["sources", "--json"]);
    let answer: Value = serde_json::from_str(&run.stdout).expect("json");
    assert_eq!(answer["sources"][0]["host"], "evil\u{1b}[31mhost");
    assert_eq!(answer["sources"][0]["status"], "new");

    let run = ok(&server, &server.read_token, &["sources", "--silent", "--json"]);
    let answer: Value = serde_json::from_str(&run.stdout).expect("json");
    assert_eq!(answer["sources"], json!([]));

    let run = ok(&server, &server.read_token, &["sources", "--expected"]);
    assert!(run.stdout.contains("linux/auditd/*"), "{}", run.all());
    assert!(
        run.stdout.contains("0b7c9d1e-2f3a-4b5c-8d6e-7f8091a2b3c4"),
        "{}",
        run.all()
    );
    assert!(run.stderr.contains("1 of 1 logsources"), "{}", run.all());

    let help = server.cli(&["sources", "--help"]);
    let text = String::from_utf8_lossy(&help.stdout);
    assert!(text.contains("vigil sources --expected"), "{text}");
}
