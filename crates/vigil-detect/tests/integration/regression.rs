//! SigmaHQ's regression suite: every `regression_data/**/info.yml` sample (its `.evtx` and its
//! `.json`) must trigger the rule it names, with the expected `match_count`, except the cases in
//! `tests/data/regression-exceptions.yml`, each listed with its reason.

use std::path::{Path, PathBuf};

use serde::Deserialize;
use vigil_detect::{Detector, DetectorOptions, RuleFilter, RuleSet, ruletest};

#[derive(Debug, Deserialize)]
struct Exception {
    rule: String,
    kind: String,
    expected: usize,
    actual: usize,
    reason: String,
}

fn exceptions() -> Vec<Exception> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/regression-exceptions.yml");
    let text = std::fs::read_to_string(path).expect("exceptions file");
    let list: Vec<Exception> = yaml_serde::from_str(&text).expect("valid exceptions file");
    for e in &list {
        assert_eq!(e.kind, "count", "only count exceptions are understood: {e:?}");
        assert!(e.reason.len() > 40, "exception for {} needs a real reason", e.rule);
    }
    list
}

#[test]
fn sigmahq_regression_suite() {
    let Some(shared) = crate::shared() else {
        eprintln!("skipped: ../shared is absent (SigmaHQ rules and regression data live there)");
        return;
    };
    let sigma = shared.join("sigma");
    let rule_dirs: Vec<PathBuf> = [
        "rules",
        "rules-emerging-threats",
        "rules-threat-hunting",
        "rules-compliance",
        "rules-placeholder",
    ]
    .iter()
    .map(|d| sigma.join(d))
    .filter(|d| d.is_dir())
    .collect();
    let set = RuleSet::load(&rule_dirs, &RuleFilter::everything()).expect("rules load");
    assert!(
        set.problems.is_empty(),
        "every SigmaHQ rule must load: {:#?}",
        set.problems
    );
    let (detector, problems) = Detector::build(&set, &DetectorOptions::default());
    assert!(problems.is_empty(), "every SigmaHQ rule must compile: {problems:#?}");

    let (cases, problems) = ruletest::discover(&[sigma.join("regression_data")]).expect("discover");
    assert!(problems.is_empty(), "{problems:#?}");
    assert!(
        cases.len() >= 400,
        "expected the full regression suite, found {} cases",
        cases.len()
    );
    let results = ruletest::run(&detector, &cases);
    let exceptions = exceptions();

    let mut failures = Vec::new();
    let mut used = vec![false; exceptions.len()];
    let (mut total, mut triggered, mut exact) = ([0usize; 2], [0usize; 2], [0usize; 2]);
    for r in &results {
        let k = usize::from(r.name.ends_with("(json)"));
        total[k] += 1;
        triggered[k] += usize::from(r.triggered_ok);
        exact[k] += usize::from(r.passed);
        if r.passed {
            continue;
        }
        let allowed = exceptions.iter().position(|e| {
            e.rule == r.rule && r.triggered_ok && r.expected == Some(e.expected) && r.matched == e.actual
        });
        match allowed {
            Some(i) => used[i] = true,
            None => failures.push(format!(
                "{} [{}] {}: matched {}/{} expected {:?} {:?}",
                r.declared_in.display(),
                r.rule,
                r.name,
                r.matched,
                r.events,
                r.expected,
                r.error
            )),
        }
    }
    eprintln!(
        "SigmaHQ regression: evtx triggered {}/{} (exact count {}/{}); json triggered {}/{} (exact count {}/{}); {} documented count exceptions",
        triggered[0],
        total[0],
        exact[0],
        total[0],
        triggered[1],
        total[1],
        exact[1],
        total[1],
        exceptions.len()
    );
    assert!(failures.is_empty(), "regression failures:\n{}", failures.join("\n"));
    let stale: Vec<_> = exceptions
        .iter()
        .zip(&used)
        .filter(|(_, u)| !**u)
        .map(|(e, _)| &e.rule)
        .collect();
    assert!(stale.is_empty(), "exceptions no longer needed (remove them): {stale:?}");
    assert_eq!(triggered, total, "every sample must trigger its rule");
}
