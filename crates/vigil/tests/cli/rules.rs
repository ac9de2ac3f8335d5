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
