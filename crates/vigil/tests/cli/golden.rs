//! Golden detections: (file, rule id, count) of every SigmaHQ rule over `../shared/evtx`.
//!
//! The snapshot is `tests/snapshots/` (insta). A change in detections fails with a diff; review it
//! and accept it deliberately (`cargo insta review`, or INSTA_UPDATE=always) — never silently.

use std::collections::BTreeMap;

use crate::{shared, stderr, vigil};

#[test]
fn golden_detections() {
    let Some(shared) = shared() else {
        eprintln!("skipped: ../shared is absent");
        return;
    };
    let evtx = shared.join("evtx");
    let sigma = shared.join("sigma");
    let mut args: Vec<String> = vec!["hunt".into(), "--quiet".into(), "--output".into(), "jsonl".into()];
    for d in [
        "rules",
        "rules-emerging-threats",
        "rules-threat-hunting",
        "rules-compliance",
        "rules-placeholder",
    ] {
        args.push("--rules".into());
        args.push(sigma.join(d).to_string_lossy().into_owned());
    }
    args.push(evtx.to_string_lossy().into_owned());
    let argv: Vec<&str> = args.iter().map(String::as_str).collect();
    let out = vigil(&argv);
    assert!(out.status.success(), "{}", stderr(&out));
    let prefix = format!("{}/", evtx.to_string_lossy());
    let mut counts: BTreeMap<(String, String), usize> = BTreeMap::new();
    for line in out.stdout.split(|&b| b == b'\n').filter(|l| !l.is_empty()) {
        let v: serde_json::Value = serde_json::from_slice(line).expect("each line is JSON");
        let source = v["source"]
            .as_str()
            .expect("source")
            .trim_start_matches(&prefix)
            .to_string();
        let rule = v["rule_id"].as_str().expect("SigmaHQ rules have ids").to_string();
        *counts.entry((source, rule)).or_default() += 1;
    }
    let total: usize = counts.values().sum();
    let mut listing = String::new();
    for ((file, rule), n) in &counts {
        listing.push_str(&format!("{file}\t{rule}\t{n}\n"));
    }
    eprintln!("golden detections: {total} hits, {} (file, rule) pairs", counts.len());
    insta::assert_snapshot!("golden_evtx_detections", listing);
}
