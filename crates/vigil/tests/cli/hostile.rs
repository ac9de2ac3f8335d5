//! Hostile log content never reaches the analyst's terminal raw: control characters (an OSC window
//! title, a screen clear, BEL, C1 CSI), bidi overrides and zero-width characters in host names,
//! field values, rule titles and file names come out as visible escapes in every output mode.

use std::path::Path;

use crate::{stderr, stdout, vigil};

/// What an attacker writes into a log: sets the window title, clears the screen, rings the bell,
/// starts a C1 CSI, reverses the text that follows, hides a zero-width space.
pub const EVIL: &str = "\u{1b}]0;pwned\u{7}\u{1b}[2J\u{9b}31m\u{202e}exe.txt\u{200b}";

/// The characters a terminal acts on or that hide or reorder text (an oracle independent of the
/// binary's own list): C0 but line feed, DEL, C1, bidi controls, zero-width and other format
/// characters, line/paragraph separators, the BOM, tag characters.
pub fn raw_controls(s: &str) -> Vec<char> {
    s.chars()
        .filter(|&c| {
            let n = c as u32;
            (n < 0x20 && c != '\n')
                || (0x7f..=0x9f).contains(&n)
                || (0x200b..=0x200f).contains(&n)
                || (0x2028..=0x202e).contains(&n)
                || (0x2060..=0x206f).contains(&n)
                || n == 0xfeff
                || (0xe0000..=0xe0fff).contains(&n)
        })
        .collect()
}

pub fn assert_no_raw_controls(what: &str, s: &str) {
    let found = raw_controls(s);
    assert!(found.is_empty(), "{what} carries raw {found:?}:\n{s}");
}

/// A rule whose title is hostile too (third-party rule packs are input as well), and an NDJSON
/// file, itself with a hostile name, whose host and command line are hostile.
fn fixture(dir: &Path) -> (String, String) {
    let rules = dir.join("rules");
    std::fs::create_dir_all(&rules).expect("mkdir");
    std::fs::write(
        rules.join("evil.yml"),
        "title: \"Whoami \\e]0;rule\\a\\u202eExecution\"\nid: 5f0c0d3e-7c61-4d0f-9d7e-0b8e8a9d1a01\nstatus: test\n\
logsource: {product: windows, category: process_creation}\ndetection:\n  sel: {CommandLine|contains: whoami}\n  condition: sel\n\
level: high\ntags: [attack.discovery, attack.t1033]\n",
    )
    .expect("write rule");
    let evil_json = serde_json::to_string(EVIL).expect("json");
    let line = format!(
        r#"{{"@timestamp":"2024-05-01T10:00:00Z","winlog":{{"channel":"Microsoft-Windows-Sysmon/Operational","event_id":"1","computer_name":"ws1{e}","event_data":{{"CommandLine":"=cmd|' /C calc'!A0 whoami {e}","Image":"C:\\Windows\\System32\\cmd.exe"}}}}}}"#,
        e = &evil_json[1..evil_json.len() - 1]
    );
    let logs = dir.join("logs\u{1b}[2J\u{202e}.ndjson");
    std::fs::write(&logs, line + "\n").expect("write logs");
    (
        rules.to_string_lossy().into_owned(),
        logs.to_string_lossy().into_owned(),
    )
}

#[test]
fn hunt_table_and_summary_show_hostile_text_escaped() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (rules, logs) = fixture(dir.path());
    let out = vigil(&["hunt", "-r", &rules, "-o", "table", "--summary", &logs]);
    assert!(out.status.success(), "{}", stderr(&out));
    let (table, summary) = (stdout(&out), stderr(&out));
    assert_no_raw_controls("the table", &table);
    assert_no_raw_controls("the summary", &summary);
    assert!(table.contains("ws1\\x1b]0;pwned\\x07"), "visible escapes: {table}");
    assert!(table.contains("\\u{202e}"), "{table}");
    assert!(
        summary.contains("Whoami \\x1b]0;rule\\x07\\u{202e}Execution"),
        "{summary}"
    );
}

#[test]
fn hunt_csv_escapes_and_neutralises_formulas() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (rules, logs) = fixture(dir.path());
    let out = vigil(&["hunt", "-r", &rules, "-o", "csv", &logs]);
    assert!(out.status.success(), "{}", stderr(&out));
    let csv = stdout(&out);
    assert_no_raw_controls("the CSV", &csv);
    assert_no_raw_controls("stderr", &stderr(&out));
    let mut reader = csv::Reader::from_reader(csv.as_bytes());
    let row = reader.records().next().expect("a row").expect("valid CSV");
    assert_eq!(
        &row[5],
        "ws1\\x1b]0;pwned\\x07\\x1b[2J\\u{9b}31m\\u{202e}exe.txt\\u{200b}"
    );
    assert!(row[6].contains("logs\\x1b[2J\\u{202e}.ndjson"), "{csv}");
    assert!(
        row[9].starts_with("CommandLine: =cmd"),
        "not at the start of its cell, a formula is inert: {csv}"
    );
    // Every cell a spreadsheet would evaluate starts with a quote.
    for cell in row.iter() {
        assert!(!cell.starts_with(['=', '+', '-', '@', '\t', '\r']), "{cell:?} in {csv}");
    }
}

#[test]
fn hunt_jsonl_escapes_what_serde_json_leaves_and_keeps_the_values() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (rules, logs) = fixture(dir.path());
    let out = vigil(&["hunt", "-r", &rules, "-o", "jsonl", &logs]);
    assert!(out.status.success(), "{}", stderr(&out));
    let text = stdout(&out);
    assert_no_raw_controls("the JSON lines", &text);
    let line: serde_json::Value = serde_json::from_str(text.lines().next().expect("a line")).expect("JSON");
    assert_eq!(
        line["fields"]["Computer"],
        format!("ws1{EVIL}"),
        "the value itself is intact"
    );
    assert_eq!(line["source"], logs.as_str());
}

#[test]
fn error_messages_do_not_echo_control_characters() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (rules, logs) = fixture(dir.path());
    let since = format!("someday{EVIL}");
    let out = vigil(&["hunt", "-r", &rules, "--since", &since, &logs]);
    assert_eq!(out.status.code(), Some(2));
    assert_no_raw_controls("the --since error", &stderr(&out));
    assert!(stderr(&out).contains("someday\\x1b]0;pwned"), "{}", stderr(&out));
    let format = format!("x{EVIL}");
    let out = vigil(&["hunt", "-r", &rules, "--format", &format, &logs]);
    assert_eq!(out.status.code(), Some(2), "a usage error");
    assert_no_raw_controls("clap's error", &stderr(&out));
    let missing = dir.path().join(format!("gone{EVIL}"));
    let out = vigil(&["hunt", "-r", &rules, &missing.to_string_lossy()]);
    assert_eq!(out.status.code(), Some(2));
    assert_no_raw_controls("a missing input", &stderr(&out));
}

#[test]
fn rule_lint_and_test_output_is_escaped() {
    let dir = tempfile::tempdir().expect("tempdir");
    let rules = dir.path().join("rules");
    std::fs::create_dir_all(&rules).expect("mkdir");
    std::fs::write(
        rules.join("r\u{1b}[2J.yml"),
        "title: \"T\\e]0;x\\a\"\nid: 3c1b1f3e-0f0a-4f8e-9d2b-222222222222\nlogsource: {product: linux, service: sshd}\n\
detection:\n  sel: {msg|containz: \"\\e[2J\"}\n  condition: sel\n",
    )
    .expect("write");
    std::fs::write(
        rules.join("r.test.yml"),
        "rule: 3c1b1f3e-0f0a-4f8e-9d2b-222222222222\ncases:\n  - name: \"case \\e]0;pwned\\a\\u202e\"\n    match: 1\n    events:\n      - {msg: x}\n",
    )
    .expect("write");
    let dir_arg = rules.to_string_lossy().into_owned();
    let out = vigil(&["rules", "lint", &dir_arg]);
    assert_eq!(out.status.code(), Some(1));
    assert_no_raw_controls("lint stdout", &stdout(&out));
    assert_no_raw_controls("lint stderr", &stderr(&out));
    assert!(stdout(&out).contains("r\\x1b[2J.yml"), "{}", stdout(&out));
    let out = vigil(&["rules", "test", "--rules", &dir_arg]);
    assert_eq!(out.status.code(), Some(1));
    assert_no_raw_controls("test stdout", &stdout(&out));
    assert_no_raw_controls("test stderr", &stderr(&out));
    for json in [
        &["rules", "lint", "--json", &dir_arg][..],
        &["rules", "test", "--json", "--rules", &dir_arg],
    ] {
        let out = vigil(json);
        assert_no_raw_controls("JSON lines", &stdout(&out));
    }
}

#[test]
fn token_list_and_config_check_escape_what_they_echo() {
    let dir = tempfile::tempdir().expect("tempdir");
    let data = dir.path().join("data").to_string_lossy().into_owned();
    let create = |name: &str| {
        vigil(&[
            "token",
            "create",
            "--data-dir",
            &data,
            "--scope",
            "read",
            "--name",
            name,
        ])
    };
    // The state refuses control characters in names, not bidi overrides or zero-width spaces.
    let out = create(&format!("x{EVIL}"));
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert_no_raw_controls("token create's error", &stderr(&out));
    let out = create("shipper\u{202e}exe.txt\u{2066}\u{200b}");
    assert!(out.status.success(), "{}", stderr(&out));
    let out = vigil(&["token", "list", "--data-dir", &data]);
    assert!(out.status.success(), "{}", stderr(&out));
    let list = stdout(&out);
    assert!(list.contains("shipper\\u{202e}exe.txt\\u{2066}\\u{200b}"), "{list}");
    let line = list.lines().next().unwrap_or_default();
    assert_eq!(line.matches('\t').count(), 4, "{line:?}");
    assert_no_raw_controls("token list", &list.replace('\t', " "));
    let config = dir.path().join("vigil.toml");
    std::fs::write(
        &config,
        format!("version = 1\n[pipeline]\n\"{}\" = 1\n", "k\\u001b]0;pwned\\u0007"),
    )
    .expect("write");
    let out = vigil(&["config", "check", &config.to_string_lossy()]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert_no_raw_controls("config check", &stderr(&out));
}
