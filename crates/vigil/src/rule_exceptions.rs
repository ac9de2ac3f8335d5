//! `vigil rules test --exceptions FILE`: known deviations, each with its reason.
//!
//! The file has the format of vigil-detect's `tests/data/regression-exceptions.yml`, the list the
//! SigmaHQ conformance test allows: a case of `rule` that fires, but on `actual` events where the
//! test declared `expected`, is excepted. Only `kind: count` exists: an exception never excuses a
//! rule that does not fire at all (or fires where it must not).

use std::path::{Path, PathBuf};

use anyhow::Context;
use serde::{Deserialize, Serialize};
use vigil_detect::ruletest::CaseResult;

/// What kind of deviation an exception allows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Kind {
    /// The rule fires as required; only the number of matching events differs.
    Count,
}

/// One known deviation.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Exception {
    /// The rule's id (or title), as the test cases name it.
    pub rule: String,
    pub kind: Kind,
    /// The count the test declares.
    pub expected: usize,
    /// The count the rule actually matches.
    pub actual: usize,
    /// Why the deviation is right (or accepted).
    pub reason: String,
}

impl Exception {
    fn excuses(&self, r: &CaseResult) -> bool {
        !r.passed
            && r.triggered_ok
            && self.kind == Kind::Count
            && self.rule == r.rule
            && r.expected == Some(self.expected)
            && r.matched == self.actual
    }
}

/// How one case came out, exceptions considered.
#[derive(Debug, Clone, Copy)]
pub enum Verdict<'a> {
    Pass,
    Fail,
    Excepted(&'a Exception),
}

/// The exceptions of one file (none without `--exceptions`).
#[derive(Debug, Default)]
pub struct Exceptions {
    pub list: Vec<Exception>,
    pub file: Option<PathBuf>,
}

impl Exceptions {
    /// Reads and checks `path`: valid YAML of that shape, every exception with a reason.
    pub fn load(path: &Path) -> anyhow::Result<Exceptions> {
        let text = std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
        let list: Vec<Exception> = if text.lines().all(|l| {
            let l = l.trim();
            l.is_empty() || l.starts_with('#')
        }) {
            Vec::new()
        } else {
            yaml_serde::from_str(&text).with_context(|| format!("exceptions file {}", path.display()))?
        };
        if let Some(e) = list.iter().find(|e| e.reason.trim().is_empty()) {
            anyhow::bail!(
                "exceptions file {}: the exception for rule {} gives no reason",
                path.display(),
                e.rule
            );
        }
        Ok(Exceptions {
            list,
            file: Some(path.to_path_buf()),
        })
    }

    /// The verdict of every result (in order), and the stale exceptions: those whose rule was
    /// tested but which no case needed (its cases pass now, or deviate otherwise). Exceptions of
    /// rules no case tested are neither used nor stale.
    pub fn judge<'a>(&'a self, results: &[CaseResult]) -> (Vec<Verdict<'a>>, Vec<&'a Exception>) {
        let mut used = vec![false; self.list.len()];
        let verdicts = results
            .iter()
            .map(|r| {
                if r.passed {
                    return Verdict::Pass;
                }
                match self.list.iter().position(|e| e.excuses(r)) {
                    Some(i) => {
                        used[i] = true;
                        Verdict::Excepted(&self.list[i])
                    }
                    None => Verdict::Fail,
                }
            })
            .collect();
        let stale = self
            .list
            .iter()
            .zip(&used)
            .filter(|(e, used)| !**used && results.iter().any(|r| r.rule == e.rule))
            .map(|(e, _)| e)
            .collect();
        (verdicts, stale)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn result(rule: &str, expected: Option<usize>, matched: usize) -> CaseResult {
        let triggered_ok = match expected {
            Some(0) => matched == 0,
            _ => matched > 0,
        };
        CaseResult {
            declared_in: PathBuf::from("info.yml"),
            name: "case".into(),
            rule: rule.into(),
            events: 5,
            matched,
            expected,
            triggered_ok,
            passed: triggered_ok && expected.is_none_or(|n| n == matched),
            error: None,
        }
    }

    fn exceptions(yaml: &str) -> anyhow::Result<Exceptions> {
        let dir = tempfile::tempdir()?;
        let path = dir.path().join("exceptions.yml");
        std::fs::write(&path, yaml)?;
        Exceptions::load(&path)
    }

    #[test]
    fn a_documented_count_deviation_is_excepted_and_nothing_else() {
        let ex = exceptions(
            "# known\n- rule: r1\n  kind: count\n  expected: 1\n  actual: 3\n  reason: >-\n    three records match\n\
- rule: r2\n  kind: count\n  expected: 1\n  actual: 2\n  reason: fixed since\n\
- rule: r3\n  kind: count\n  expected: 1\n  actual: 2\n  reason: not tested here\n",
        )
        .expect("valid");
        let results = [
            result("r1", Some(1), 3),
            result("r1", Some(1), 4),
            result("r1", Some(1), 0),
            result("r2", Some(1), 1),
            result("r4", Some(1), 3),
        ];
        let (verdicts, stale) = ex.judge(&results);
        let shown: Vec<String> = verdicts
            .iter()
            .map(|v| match v {
                Verdict::Pass => "pass".to_string(),
                Verdict::Fail => "fail".to_string(),
                Verdict::Excepted(e) => format!("excepted ({})", e.reason),
            })
            .collect();
        assert_eq!(
            shown,
            ["excepted (three records match)", "fail", "fail", "pass", "fail"],
            "another count, a rule that does not fire, another rule: failures"
        );
        let stale: Vec<&str> = stale.iter().map(|e| e.rule.as_str()).collect();
        assert_eq!(stale, ["r2"], "r2 passes now; r3 was not tested");
    }

    #[test]
    fn bad_exception_files_are_errors() {
        for (yaml, why) in [
            (
                "- rule: r\n  kind: count\n  expected: 1\n  actual: 2\n  reason: ''\n",
                "no reason",
            ),
            (
                "- rule: r\n  kind: never\n  expected: 1\n  actual: 2\n  reason: x\n",
                "unknown kind",
            ),
            (
                "- rule: r\n  kind: count\n  expected: 1\n  actual: 2\n  reason: x\n  extra: 1\n",
                "unknown key",
            ),
            ("- rule: r\n  kind: count\n  actual: 2\n  reason: x\n", "missing key"),
            ("rule: r\n", "not a list"),
        ] {
            assert!(exceptions(yaml).is_err(), "{why}");
        }
        assert!(exceptions("# nothing yet\n").expect("empty is fine").list.is_empty());
    }

    #[test]
    fn the_conformance_exceptions_file_loads() {
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../vigil-detect/tests/data/regression-exceptions.yml");
        let ex = Exceptions::load(&path).expect("the format is the same");
        assert!(ex.list.len() >= 4, "{:?}", ex.list);
    }
}
