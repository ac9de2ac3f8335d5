//! `vigil hunt` end to end: formats, filters, output shapes, bad input.

use std::path::Path;

use crate::{stderr, stdout, vigil};

const RULE: &str = "title: Whoami Execution\nid: 8a582fe2-0882-4b89-a82a-da6b2dc32937\nstatus: test\n\
logsource: {product: windows, category: process_creation}\ndetection:\n  sel: {CommandLine|contains: whoami}\n  condition: sel\n\
level: high\ntags: [attack.discovery, attack.t1033]\n";

fn sysmon_line(cmd: &str, time: &str) -> String {
    format!(
        r#"{{"@timestamp":"{time}","winlog":{{"channel":"Microsoft-Windows-Sysmon/Operational","event_id":"1","computer_name":"ws1","event_data":{{"CommandLine":"{cmd}","Image":"C:\\Windows\\System32\\cmd.exe"}}}}}}"#
    )
}

fn fixture(dir: &Path) -> (String, String) {
    let rules = dir.join("rules");
    std::fs::create_dir_all(&rules).expect("mkdir");
    std::fs::write(rules.join("whoami.yml"), RULE).expect("write rule");
    let logs = dir.join("logs.ndjson");
    let lines = [
        sysmon_line("cmd /c whoami /all", "2024-05-01T10:00:00Z"),
        "{this is not json".to_string(),
        sysmon_line("cmd /c dir", "2024-05-01T11:00:00Z"),
        "[1,2,3]".to_string(),
        sysmon_line("whoami", "2024-05-02T09:00:00Z"),
    ];
    std::fs::write(&logs, lines.join("\n") + "\n").expect("write logs");
    (
        rules.to_string_lossy().into_owned(),
        logs.to_string_lossy().into_owned(),
    )
}

#[test]
fn jsonl_has_the_contract_fields_and_bad_lines_are_counted_not_fatal() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (rules, logs) = fixture(dir.path());
    let errors = dir.path().join("errors.jsonl");
    let out = vigil(&[
        "hunt",
        "--rules",
        &rules,
        "--output",
        "jsonl",
        "--errors",
        &errors.to_string_lossy(),
        &logs,
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
    let lines: Vec<serde_json::Value> = stdout(&out)
        .lines()
        .map(|l| serde_json::from_str(l).expect("JSON line"))
        .collect();
    assert_eq!(lines.len(), 2, "two whoami events detected despite two malformed lines");
    let first = &lines[0];
    for key in [
        "rule_id",
        "rule_title",
        "level",
        "tags",
        "source",
        "event_time",
        "fields",
        "event_id",
        "offset",
    ] {
        assert!(first.get(key).is_some(), "missing {key} in {first}");
    }
    assert_eq!(first["rule_id"], "8a582fe2-0882-4b89-a82a-da6b2dc32937");
    assert_eq!(first["level"], "high");
    assert_eq!(first["source"], logs.as_str());
    assert_eq!(first["event_time"], "2024-05-01T10:00:00Z");
    assert_eq!(first["fields"]["CommandLine"], "cmd /c whoami /all");
    assert_eq!(first["attack"]["techniques"][0], "T1033");
    let err = stderr(&out);
    assert!(err.contains("2 parse errors") || err.contains("parse error"), "{err}");
    let recorded: Vec<serde_json::Value> = std::fs::read_to_string(&errors)
        .expect("errors file")
        .lines()
        .map(|l| serde_json::from_str(l).expect("JSON"))
        .collect();
    let codes: Vec<&str> = recorded.iter().map(|e| e["code"].as_str().unwrap_or("")).collect();
    assert_eq!(codes, ["invalid_json", "not_an_object"]);
    let second_line_offset = sysmon_line("cmd /c whoami /all", "2024-05-01T10:00:00Z").len() as u64 + 1;
    assert_eq!(
        recorded[0]["offset"], second_line_offset,
        "errors carry the byte offset of their line"
    );
    assert_eq!(recorded[0]["source"], logs.as_str());
}

#[test]
fn since_until_min_level_and_csv() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (rules, logs) = fixture(dir.path());
    let out = vigil(&[
        "hunt",
        "-r",
        &rules,
        "-o",
        "csv",
        "--since",
        "2024-05-02",
        "--until",
        "2024-05-03T00:00:00Z",
        &logs,
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
    let csv = stdout(&out);
    let rows: Vec<&str> = csv.lines().collect();
    assert!(rows[0].starts_with("event_time,level,rule_id"), "{csv}");
    assert_eq!(rows.len(), 2, "only the 2024-05-02 detection: {csv}");
    assert!(rows[1].starts_with("2024-05-02T09:00:00Z,high,8a582fe2"), "{csv}");
    let out = vigil(&["hunt", "-r", &rules, "-o", "jsonl", "--min-level", "critical", &logs]);
    assert_eq!(
        out.status.code(),
        Some(2),
        "the only rule is high, below critical: nothing to hunt with"
    );
    assert!(stderr(&out).contains("1 deselected"), "{}", stderr(&out));
    let out = vigil(&["hunt", "-r", &rules, "-o", "table", &logs]);
    assert!(stdout(&out).contains("Whoami Execution"), "{}", stdout(&out));
}

#[test]
fn clear_errors_and_nonzero_exit_for_bad_arguments() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (rules, logs) = fixture(dir.path());
    let out = vigil(&["hunt", "--rules", "/nonexistent/rules", &logs]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("/nonexistent/rules does not exist"),
        "{}",
        stderr(&out)
    );
    let out = vigil(&["hunt", "--rules", &rules, "/nonexistent/logs"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("does not exist"), "{}", stderr(&out));
    let out = vigil(&["hunt", "--rules", &rules, "--since", "someday", &logs]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("--since"), "{}", stderr(&out));
    let bad_map = dir.path().join("map.yml");
    std::fs::write(&bad_map, "name: x\nbogus: 1\n").expect("write");
    let out = vigil(&[
        "hunt",
        "--rules",
        &rules,
        "--field-map",
        &bad_map.to_string_lossy(),
        &logs,
    ]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("bogus"), "{}", stderr(&out));
}

#[test]
fn broken_rule_is_reported_and_the_rest_still_hunt() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (rules, logs) = fixture(dir.path());
    std::fs::write(Path::new(&rules).join("broken.yml"), "title: [oops").expect("write");
    let out = vigil(&["hunt", "--rules", &rules, "-o", "jsonl", &logs]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(stderr(&out).contains("broken.yml"), "{}", stderr(&out));
    assert_eq!(stdout(&out).lines().count(), 2);
}

#[test]
fn syslog_and_evtx_inputs_are_detected_by_content() {
    let Some(shared) = crate::shared() else {
        eprintln!("skipped: ../shared is absent");
        return;
    };
    let dir = tempfile::tempdir().expect("tempdir");
    let rules = dir.path().join("r.yml");
    std::fs::write(
        &rules,
        "title: Security log cleared\nid: d99b79d2-0a6f-4f46-ad8b-260b6e17f982\nlogsource: {product: windows, service: security}\n\
detection:\n  sel: {EventID: 1102}\n  condition: sel\nlevel: high\n",
    )
    .expect("write");
    let evtx = shared.join("evtx/EVTX-to-MITRE-Attack/TA0005-Defense Evasion/T1070.001-Clear Windows Event Logs/ID1102-Security log cleared.evtx");
    if !evtx.exists() {
        eprintln!("skipped: sample {} absent", evtx.display());
        return;
    }
    let out = vigil(&[
        "hunt",
        "--rules",
        &rules.to_string_lossy(),
        "-o",
        "jsonl",
        &evtx.to_string_lossy(),
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
    let first: serde_json::Value = serde_json::from_str(stdout(&out).lines().next().expect("a hit")).expect("JSON");
    assert_eq!(first["fields"]["EventID"], 1102);
    assert_eq!(first["fields"]["Channel"], "Security");
}

#[test]
fn logsource_flag_routes_events_of_unknown_origin() {
    let dir = tempfile::tempdir().expect("tempdir");
    let rules = dir.path().join("r.yml");
    std::fs::write(
        &rules,
        "title: Not from the jump host\nid: 7e0c1a3e-2b7b-4f3e-8c53-0d9c2b4d1e11\nlogsource: {product: zeek, service: rdp}\n\
detection:\n  filter: {id.orig_h|cidr: '10.0.0.0/8'}\n  condition: not filter\nlevel: high\n",
    )
    .expect("write");
    let logs = dir.path().join("app.ndjson");
    std::fs::write(&logs, "{\"msg\":\"user login\",\"user\":\"bob\"}\n").expect("write");
    let (r, l) = (
        rules.to_string_lossy().into_owned(),
        logs.to_string_lossy().into_owned(),
    );
    let out = vigil(&["hunt", "-r", &r, "-o", "jsonl", &l]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(
        stdout(&out).lines().count(),
        0,
        "unknown origin: a Zeek rule does not see a plain JSON line"
    );
    let out = vigil(&[
        "hunt",
        "-r",
        &r,
        "-o",
        "jsonl",
        "--logsource",
        "product=zeek,service=rdp",
        &l,
    ]);
    assert_eq!(stdout(&out).lines().count(), 1, "tagged as Zeek RDP: the rule applies");
    let out = vigil(&[
        "hunt",
        "-r",
        &r,
        "-o",
        "jsonl",
        "--logsource",
        "product=linux,service=app",
        &l,
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(
        stdout(&out).lines().count(),
        0,
        "tagged as Linux: the Zeek rule does not apply"
    );
    let out = vigil(&["hunt", "-r", &r, "--logsource", "colour=red", &l]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("--logsource"), "{}", stderr(&out));
}

#[test]
fn a_closed_pipe_ends_the_hunt_quietly() {
    use std::{io::Read, process::Stdio};
    let dir = tempfile::tempdir().expect("tempdir");
    let (rules, _) = fixture(dir.path());
    let logs = dir.path().join("many.ndjson");
    let line = sysmon_line("cmd /c whoami", "2024-05-01T10:00:00Z");
    std::fs::write(&logs, format!("{line}\n").repeat(20_000)).expect("write");
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_vigil"))
        .args(["hunt", "-q", "-o", "jsonl", "-r", &rules, &logs.to_string_lossy()])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn");
    let mut first = [0u8; 64];
    child
        .stdout
        .take()
        .expect("stdout")
        .read_exact(&mut first)
        .expect("some output");
    // Dropping our end of stdout closes the pipe while vigil is still writing.
    let out = child.wait_with_output().expect("wait");
    assert!(
        out.status.success(),
        "exit {:?}: {}",
        out.status.code(),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(out.stderr.is_empty(), "{}", String::from_utf8_lossy(&out.stderr));
}
