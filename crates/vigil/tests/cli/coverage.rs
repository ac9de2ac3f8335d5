//! `vigil coverage` offline: rule files and an ATT&CK bundle give the per-tactic table and a
//! Navigator `rules` layer without a server; layers that need a server are refused.

use std::path::PathBuf;

use serde_json::Value;

use crate::{stderr, stdout, vigil};

fn bundle() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../vigil-coverage/tests/fixtures/mini-attack.json")
}

fn rules_dir() -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::write(
        dir.path().join("ps.yml"),
        "title: Encoded PowerShell\nid: 3f0e1d2c-0000-4000-8000-000000000001\nstatus: test\nlevel: high\n\
tags: [attack.execution, attack.t1059.001]\nlogsource: {product: windows, category: process_creation}\n\
detection:\n  sel: {CommandLine|contains: ' -enc '}\n  condition: sel\n",
    )
    .expect("rule");
    std::fs::write(
        dir.path().join("cron.yml"),
        "title: Cron Job Added\nid: 3f0e1d2c-0000-4000-8000-000000000002\nstatus: test\nlevel: medium\n\
tags: [attack.persistence, attack.t1053]\nlogsource: {product: linux, service: cron}\n\
detection:\n  sel: {msg|contains: crontab}\n  condition: sel\n",
    )
    .expect("rule");
    dir
}

#[test]
fn offline_coverage_table_and_rules_layer() {
    let rules = rules_dir();
    let (r, b) = (
        rules.path().to_string_lossy().into_owned(),
        bundle().to_string_lossy().into_owned(),
    );
    let out = vigil(&["coverage", "--rules", &r, "--attack", &b]);
    assert!(out.status.success(), "{}", stderr(&out));
    let table = stdout(&out);
    for want in ["TA0002 Execution", "TA0003 Persistence", "(all in scope)", "3/6 50.0%"] {
        assert!(table.contains(want), "{want:?} missing:\n{table}");
    }
    assert!(
        stderr(&out).contains("health and validation need a server"),
        "{}",
        stderr(&out)
    );

    let file = rules.path().join("layer.json");
    let f = file.to_string_lossy().into_owned();
    let out = vigil(&["coverage", "--rules", &r, "--attack", &b, "--layer", "rules", "-o", &f]);
    assert!(out.status.success(), "{}", stderr(&out));
    let layer: Value = serde_json::from_slice(&std::fs::read(&file).expect("layer file")).expect("JSON");
    assert_eq!(layer["versions"]["layer"], "4.5");
    assert_eq!(layer["versions"]["attack"], "18");
    assert_eq!(layer["domain"], "enterprise-attack");
    let score = |id: &str| {
        layer["techniques"]
            .as_array()
            .expect("techniques")
            .iter()
            .find(|t| t["techniqueID"] == id)
            .expect(id)["score"]
            .as_f64()
            .expect("score")
    };
    assert_eq!(
        (score("T1059.001"), score("T1059"), score("T1053"), score("T1070")),
        (1.0, 1.0, 1.0, 0.0)
    );
    // The file is never overwritten.
    let again = vigil(&["coverage", "--rules", &r, "--attack", &b, "--layer", "rules", "-o", &f]);
    assert!(!again.status.success());

    let linux = vigil(&[
        "coverage",
        "--rules",
        &r,
        "--attack",
        &b,
        "--platforms",
        "Linux",
        "--json",
    ]);
    let c: Value = serde_json::from_slice(&linux.stdout).expect("JSON");
    assert_eq!(c["summary"]["rules"]["total"], 4, "{c}");
    assert_eq!(
        c["summary"]["rules"]["covered"], 2,
        "T1053 and T1059 (through T1059.001): {c}"
    );
}

#[test]
fn offline_refuses_server_layers_and_bad_bundles() {
    let rules = rules_dir();
    let (r, b) = (
        rules.path().to_string_lossy().into_owned(),
        bundle().to_string_lossy().into_owned(),
    );
    let out = vigil(&["coverage", "--rules", &r, "--attack", &b, "--layer", "healthy"]);
    assert!(!out.status.success());
    assert!(stderr(&out).contains("needs a server"), "{}", stderr(&out));
    let bad = rules.path().join("ps.yml").to_string_lossy().into_owned();
    let out = vigil(&["coverage", "--rules", &r, "--attack", &bad]);
    assert!(!out.status.success());
    assert!(stderr(&out).contains("not a STIX 2.1 bundle"), "{}", stderr(&out));
    let out = vigil(&["coverage", "--rules", &r, "--attack", &b, "--tactics", "exfil"]);
    assert!(!out.status.success());
    assert!(stderr(&out).contains("`exfil` is not a tactic"), "{}", stderr(&out));
}
