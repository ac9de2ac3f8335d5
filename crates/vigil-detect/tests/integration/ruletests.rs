//! Detection-as-code with Vigil's `*.test.yml` format.

use vigil_detect::{Detector, DetectorOptions, RuleFilter, RuleSet, ruletest};

#[test]
fn positive_and_negative_cases_pass_and_a_wrong_expectation_fails() {
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::write(
        dir.path().join("rule.yml"),
        "title: Encoded PowerShell\nid: 11111111-2222-3333-4444-555555555555\nlogsource: {product: windows, category: process_creation}\ndetection:\n  sel: {CommandLine|contains: ' -enc '}\n  condition: sel\nlevel: high\n",
    )
    .expect("write");
    std::fs::write(
        dir.path().join("rule.test.yml"),
        r#"rule: 11111111-2222-3333-4444-555555555555
cases:
  - name: encoded command fires
    match: 1
    events:
      - {Event: {System: {EventID: 1, Channel: Microsoft-Windows-Sysmon/Operational}, EventData: {CommandLine: "powershell -enc AAAA"}}}
      - {Event: {System: {EventID: 1, Channel: Microsoft-Windows-Sysmon/Operational}, EventData: {CommandLine: "powershell -File x.ps1"}}}
  - name: benign admin script stays silent
    match: 0
    logsource: {product: windows, category: process_creation}
    events:
      - {CommandLine: "powershell -File backup.ps1"}
  - name: wrong expectation is reported
    match: 2
    events:
      - {Event: {System: {EventID: 1, Channel: Microsoft-Windows-Sysmon/Operational}, EventData: {CommandLine: "powershell -enc BBBB"}}}
"#,
    )
    .expect("write");
    let set = RuleSet::load(&[dir.path().to_path_buf()], &RuleFilter::default()).expect("load");
    let (detector, problems) = Detector::build(&set, &DetectorOptions::default());
    assert!(problems.is_empty());
    let (cases, problems) = ruletest::discover(&[dir.path().to_path_buf()]).expect("discover");
    assert!(problems.is_empty(), "{problems:?}");
    let results = ruletest::run(&detector, &cases);
    let verdicts: Vec<(bool, usize)> = results.iter().map(|r| (r.passed, r.matched)).collect();
    assert_eq!(verdicts, [(true, 1), (true, 0), (false, 1)]);
}

#[test]
fn malformed_test_file_is_a_problem_not_a_crash() {
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::write(
        dir.path().join("x.test.yml"),
        "rule: r\ncases:\n  - name: n\n    match: 1\n",
    )
    .expect("write");
    std::fs::write(dir.path().join("y.test.yml"), "{not yaml").expect("write");
    let (cases, problems) = ruletest::discover(&[dir.path().to_path_buf()]).expect("discover");
    assert!(cases.is_empty());
    assert_eq!(problems.len(), 2, "{problems:?}");
}
