//! `rules lint`: every defect named with file and line.

use vigil_detect::lint::{Severity, lint_paths};

#[test]
fn finds_unparseable_unknown_modifier_missing_and_duplicate_ids() {
    let dir = tempfile::tempdir().expect("tempdir");
    let ok = "title: Good\nid: 5d9d3c0e-1b0a-4b7e-9d7e-3f0c1f2a3b4c\nstatus: test\ndescription: d\nauthor: a\ndate: 2024-01-01\nlogsource: {product: windows, category: process_creation}\ndetection:\n  sel: {Image|endswith: '\\\\x.exe'}\n  condition: sel\nlevel: low\n";
    std::fs::write(dir.path().join("a_good.yml"), ok).expect("write");
    std::fs::write(dir.path().join("b_dup.yml"), ok.replace("Good", "Dup")).expect("write");
    std::fs::write(dir.path().join("c_broken.yml"), "title: [unclosed\n  detection: {").expect("write");
    std::fs::write(
        dir.path().join("d_modifier.yml"),
        "title: Bad modifier\nid: 6d9d3c0e-1b0a-4b7e-9d7e-3f0c1f2a3b4c\nlogsource: {product: windows}\ndetection:\n  sel: {Image|nosuchmodifier: x}\n  condition: sel\n",
    )
    .expect("write");
    std::fs::write(
        dir.path().join("e_noid.yml"),
        ok.replace("id: 5d9d3c0e-1b0a-4b7e-9d7e-3f0c1f2a3b4c\n", ""),
    )
    .expect("write");
    let findings = lint_paths(&[dir.path().to_path_buf()]).expect("lint");
    let errors: Vec<String> = findings
        .iter()
        .filter(|f| f.severity == Severity::Error)
        .map(|f| f.to_string())
        .collect();
    let has = |file: &str, code: &str| {
        findings
            .iter()
            .any(|f| f.path.ends_with(file) && f.code == code && f.severity == Severity::Error)
    };
    assert!(has("b_dup.yml", "duplicate_id"), "{errors:#?}");
    let dup = findings.iter().find(|f| f.code == "duplicate_id").expect("dup");
    assert_eq!(dup.line, Some(2), "duplicate id names its line");
    assert!(
        findings
            .iter()
            .any(|f| f.path.ends_with("c_broken.yml") && f.severity == Severity::Error),
        "{errors:#?}"
    );
    assert!(
        findings.iter().any(|f| f.path.ends_with("d_modifier.yml")
            && f.severity == Severity::Error
            && f.message.contains("nosuchmodifier")),
        "{errors:#?}"
    );
    assert!(has("e_noid.yml", "missing_id"), "{errors:#?}");
    let modifier = findings
        .iter()
        .find(|f| f.path.ends_with("d_modifier.yml") && f.message.contains("nosuchmodifier"));
    assert_eq!(
        modifier.and_then(|f| f.line),
        Some(5),
        "the unknown modifier is located on its line"
    );
    assert!(
        !findings
            .iter()
            .any(|f| f.path.ends_with("a_good.yml") && f.severity == Severity::Error),
        "{errors:#?}"
    );
}
