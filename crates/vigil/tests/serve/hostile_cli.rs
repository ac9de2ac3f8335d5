//! `vigil search`, `vigil alerts` and `vigil dead-letters` against a running server that stored
//! hostile text (a field value, a host name, a rule title, a dead letter's bytes): no raw control
//! or invisible formatting character reaches the terminal, in tables or in `--json`.

use crate::harness::{BASE_CONFIG, Env, Server, marker};

/// An OSC window title with BEL, a screen clear, a C1 CSI, a right-to-left override.
const EVIL_JSON: &str = r"\u001b]0;pwned\u0007\u001b[2J\u009b31m\u202eexe.txt";

/// Characters a terminal acts on or that reorder or hide text (line feeds aside).
fn raw_controls(s: &str) -> Vec<char> {
    s.chars()
        .filter(|&c| {
            let n = c as u32;
            (n < 0x20 && c != '\n')
                || (0x7f..=0x9f).contains(&n)
                || (0x200b..=0x200f).contains(&n)
                || (0x2028..=0x202e).contains(&n)
                || (0x2060..=0x206f).contains(&n)
                || n == 0xfeff
        })
        .collect()
}

fn rule(m: &str) -> String {
    format!(
        "title: \"Hostile \\e]0;rule\\a\\u202eTitle\"\nid: 6a4f0e52-2d0b-4c55-8f3e-6f7a1c2b3d01\nstatus: test\nlevel: high\n\
logsource: {{category: test}}\ndetection:\n  sel: {{marker: {m}}}\n  condition: sel\n"
    )
}

/// Runs a `vigil` client command against `server`; returns (stdout, stderr) after checking both.
fn client(server: &Server, args: &[&str]) -> (String, String) {
    let out = server.cli(args);
    let (stdout, stderr) = (
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    );
    assert!(out.status.success(), "vigil {args:?}: {stderr}");
    for (name, text) in [("stdout", &stdout), ("stderr", &stderr)] {
        let raw = raw_controls(text);
        assert!(raw.is_empty(), "vigil {args:?}: {name} carries raw {raw:?}:\n{text}");
    }
    (stdout, stderr)
}

#[test]
fn remote_lists_show_hostile_text_escaped() {
    let env = Env::new(BASE_CONFIG);
    let m = marker("hostile");
    let rules = env.path("rules");
    std::fs::create_dir_all(&rules).expect("rules dir");
    std::fs::write(rules.join("hostile.yml"), rule(&m)).expect("rule");
    let server = env.start_with(false, &["--rules", &rules.to_string_lossy()]);
    // `category` names the event's logsource, so the rule (category test) sees it.
    let good = format!(r#"{{"marker":"{m}","category":"test","host":"db01{EVIL_JSON}","msg":"x{EVIL_JSON}"}}"#);
    let broken = format!("{{\"marker\":\"{m}\", \u{1b}[2J\u{9b}31m\u{202e} broken");
    let r = server
        .ingest_post(
            // (The input label is the server's: `api`, whatever the client would like.)
            "/api/v1/ingest?format=ndjson",
            "application/x-ndjson",
            format!("{good}\n{broken}\n").as_bytes(),
        )
        .expect("ingest");
    assert_eq!(r.status, 200, "{}", r.text());
    server.wait_count(&format!("marker:{m}"), 1);
    server.wait_dead_letter("the broken line", |l| {
        l["data"].as_str().is_some_and(|d| d.contains(&m))
    });
    server.wait_for_alerts(1);

    let query = format!("marker:{m}");
    let (table, summary) = client(&server, &["search", &query, "--terms", "host"]);
    assert!(
        table.contains("\\u{9b}31m\\u{202e}exe.txt"),
        "the event's fields, escaped:\n{table}"
    );
    assert!(
        table.contains("db01\\x1b]0;pwned\\x07\\x1b[2J\\u{9b}31m"),
        "the host bucket:\n{table}"
    );
    assert!(summary.contains("1 matching events"), "{summary}");
    let (alerts, _) = client(&server, &["alerts"]);
    assert!(alerts.contains("Hostile \\x1b]0;rule\\x07\\u{202e}Title"), "{alerts}");
    let (letters, _) = client(&server, &["dead-letters"]);
    assert!(letters.contains("\\x1b[2J\\u{9b}31m\\u{202e}"), "{letters}");
    for command in ["search", "alerts", "dead-letters"] {
        let args: Vec<&str> = if command == "search" {
            vec![command, &query, "--terms", "host", "--json"]
        } else {
            vec![command, "--json"]
        };
        let (json, _) = client(&server, &args);
        let value: serde_json::Value = serde_json::from_str(&json).expect("valid JSON");
        assert!(value.is_object(), "{json}");
    }
    server.assert_healthy("hostile lists");
}
