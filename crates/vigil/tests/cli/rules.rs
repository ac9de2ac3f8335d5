//! `vigil rules lint` and `vigil rules test`.

use crate::{stderr, stdout, vigil};

#[test]
fn lint_reports_file_line_and_fails() {
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::write(
        dir.path().join("bad.yml"),
        "title: x\nlogsource: {product: windows}\ndetection:\n  sel: {Image|bogusmod: a}\n  condition: sel\n",
    )
    .expect("write");
    let out = vigil(&["rules", "lint", &dir.path().to_string_lossy()]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    std::fs::write(
        dir.path().join("noid.yml"),
        "title: y\nlogsource: {product: windows}\ndetection:\n  sel: {Image: a}\n  condition: sel\n",
    )
    .expect("write");
    let out = vigil(&["rules", "lint", &dir.path().to_string_lossy()]);
    let text = stdout(&out);
    assert!(
        text.contains("bad.yml") && text.contains("error[unknown_modifier]") && text.contains("bogusmod"),
        "{text}"
    );
    assert!(
        text.contains("noid.yml") && text.contains("error[missing_id]"),
        "{text}"
    );
}

#[test]
fn lint_passes_clean_rules() {
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::write(
        dir.path().join("ok.yml"),
        "title: Ok\nid: 0b1e4c77-6f41-4a55-9b6a-1c4e1f0a2b3c\nstatus: test\ndescription: A clean rule\nauthor: Vigil\ndate: 2024-01-01\n\
logsource: {product: windows, category: process_creation}\ndetection:\n  sel: {Image|endswith: '\\x.exe'}\n  condition: sel\nfalsepositives: [Unknown]\nlevel: low\n",
    )
    .expect("write");
    let out = vigil(&["rules", "lint", &dir.path().to_string_lossy()]);
    assert!(out.status.success(), "{}{}", stdout(&out), stderr(&out));
}

#[test]
fn rules_test_runs_sigmahq_regression_folders() {
    let Some(shared) = crate::shared() else {
        eprintln!("skipped: ../shared is absent");
        return;
    };
    let base = shared.join("sigma/regression_data/rules-threat-hunting");
    let rules = shared.join("sigma/rules-threat-hunting");
    let out = vigil(&[
        "rules",
        "test",
        "--rules",
        &rules.to_string_lossy(),
        &base.to_string_lossy(),
    ]);
    assert!(out.status.success(), "{}{}", stdout(&out), stderr(&out));
    let last = stdout(&out).lines().last().unwrap_or_default().to_string();
    assert!(last.ends_with("passed, 0 failed"), "{last}");
}

#[test]
fn rules_test_fails_on_a_wrong_expectation() {
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::write(
        dir.path().join("r.yml"),
        "title: T\nid: 3c1b1f3e-0f0a-4f8e-9d2b-111111111111\nlogsource: {product: linux, service: sshd}\ndetection:\n  kw: ['Failed password']\n  condition: kw\n",
    )
    .expect("write");
    std::fs::write(
        dir.path().join("r.test.yml"),
        "rule: 3c1b1f3e-0f0a-4f8e-9d2b-111111111111\ncases:\n  - name: should fire but will not\n    match: 1\n    logsource: {product: linux, service: sshd}\n    events:\n      - {message: 'Accepted password for root'}\n",
    )
    .expect("write");
    let out = vigil(&["rules", "test", "--rules", &dir.path().to_string_lossy()]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stdout(&out).contains("FAIL") && stdout(&out).contains("0 passed, 1 failed"),
        "{}",
        stdout(&out)
    );
}

/// Two rules: one matches three events where its test declares one (a count deviation), the other
/// passes its test although an exception still names it.
fn exceptions_fixture(dir: &std::path::Path) -> (String, String) {
    let rules = dir.join("rules");
    std::fs::create_dir_all(&rules).expect("mkdir");
    for (id, word) in [
        ("3c1b1f3e-0f0a-4f8e-9d2b-333333333333", "Failed password"),
        ("3c1b1f3e-0f0a-4f8e-9d2b-444444444444", "Invalid user"),
    ] {
        std::fs::write(
            rules.join(format!("{id}.yml")),
            format!("title: T {word}\nid: {id}\nlogsource: {{product: linux, service: sshd}}\ndetection:\n  kw: ['{word}']\n  condition: kw\n"),
        )
        .expect("write rule");
    }
    std::fs::write(
        rules.join("failed.test.yml"),
        "rule: 3c1b1f3e-0f0a-4f8e-9d2b-333333333333\ncases:\n  - name: one failure declared, three in the sample\n    match: 1\n    logsource: {product: linux, service: sshd}\n    events:\n      - {message: 'Failed password for root'}\n      - {message: 'Failed password for admin'}\n      - {message: 'Failed password for bob'}\n",
    )
    .expect("write test");
    std::fs::write(
        rules.join("invalid.test.yml"),
        "rule: 3c1b1f3e-0f0a-4f8e-9d2b-444444444444\ncases:\n  - name: exact\n    match: 1\n    logsource: {product: linux, service: sshd}\n    events:\n      - {message: 'Invalid user x'}\n",
    )
    .expect("write test");
    let exceptions = dir.join("exceptions.yml");
    std::fs::write(
        &exceptions,
        "- rule: 3c1b1f3e-0f0a-4f8e-9d2b-333333333333\n  kind: count\n  expected: 1\n  actual: 3\n  reason: every sample line is a failed login\n\
- rule: 3c1b1f3e-0f0a-4f8e-9d2b-444444444444\n  kind: count\n  expected: 1\n  actual: 2\n  reason: the sample used to repeat the line\n",
    )
    .expect("write exceptions");
    (
        rules.to_string_lossy().into_owned(),
        exceptions.to_string_lossy().into_owned(),
    )
}

#[test]
fn rules_test_exceptions_excuse_documented_deviations_and_report_stale_ones() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (rules, exceptions) = exceptions_fixture(dir.path());
    let out = vigil(&["rules", "test", "--rules", &rules]);
    assert_eq!(out.status.code(), Some(1), "without exceptions the deviation fails");
    assert!(stdout(&out).ends_with("1 passed, 1 failed\n"), "{}", stdout(&out));
    let out = vigil(&["rules", "test", "--rules", &rules, "--exceptions", &exceptions]);
    let text = stdout(&out);
    assert_eq!(out.status.code(), Some(0), "{text}{}", stderr(&out));
    assert!(
        text.contains("EXCEPTED ")
            && text.contains("matched 3/3 events, expected 1 — excepted (every sample line is a failed login)"),
        "{text}"
    );
    assert!(
        text.contains("STALE exception for [3c1b1f3e-0f0a-4f8e-9d2b-444444444444] (expected 1, actual 2)"),
        "{text}"
    );
    assert!(
        text.ends_with("1 passed, 1 excepted, 0 failed, 1 stale exceptions\n"),
        "{text}"
    );
    let out = vigil(&[
        "rules",
        "test",
        "--json",
        "--rules",
        &rules,
        "--exceptions",
        &exceptions,
    ]);
    let lines: Vec<serde_json::Value> = stdout(&out)
        .lines()
        .filter_map(|l| serde_json::from_str(l).ok())
        .collect();
    assert!(
        lines
            .iter()
            .any(|l| l["excepted"] == "every sample line is a failed login" && l["passed"] == false),
        "{lines:?}"
    );
    assert!(
        lines
            .iter()
            .any(|l| l["stale_exception"]["rule"] == "3c1b1f3e-0f0a-4f8e-9d2b-444444444444"),
        "{lines:?}"
    );
    std::fs::write(&exceptions, "- rule: x\n  kind: count\n  expected: 1\n").expect("write");
    let out = vigil(&["rules", "test", "--rules", &rules, "--exceptions", &exceptions]);
    assert_eq!(out.status.code(), Some(2), "a bad exceptions file is a usage error");
    assert!(stderr(&out).contains("exceptions file"), "{}", stderr(&out));
}

/// The README's example: SigmaHQ's regression suite with the conformance test's exceptions passes.
#[test]
fn readme_rules_test_example_passes_with_the_conformance_exceptions() {
    let Some(shared) = crate::shared() else {
        eprintln!("skipped: ../shared is absent");
        return;
    };
    let exceptions =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../vigil-detect/tests/data/regression-exceptions.yml");
    let out = vigil(&[
        "rules",
        "test",
        "--rules",
        &shared.join("sigma/rules").to_string_lossy(),
        "--exceptions",
        &exceptions.to_string_lossy(),
        &shared.join("sigma/regression_data/rules").to_string_lossy(),
    ]);
    let text = stdout(&out);
    assert_eq!(out.status.code(), Some(0), "{text}{}", stderr(&out));
    let last = text.lines().last().unwrap_or_default();
    assert!(last.ends_with(" excepted, 0 failed, 0 stale exceptions"), "{last}");
}
