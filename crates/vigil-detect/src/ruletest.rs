//! Detection-as-code: rules tested against declared events.
//!
//! Two formats are read (documented in `docs/rule-tests.md`):
//! - Vigil test files, `*.test.yml`: a rule reference and cases, each with inline events or an
//!   event file and the number of events that must match (`match: 0` for benign cases);
//! - SigmaHQ regression folders: `info.yml` naming the rule ids (`rule_metadata[].id`) and the
//!   `.evtx` sample that must trigger them (`regression_tests_info[]`, with `match_count`); the
//!   `.json` rendering beside the `.evtx` is tested as a second case.

use std::{
    borrow::Cow,
    path::{Path, PathBuf},
};

use serde::{Deserialize, Serialize};
use serde_json::Value;
use vigil_event::{Event, LogSourceTags, Raw};
use vigil_parse::{
    Origin,
    evtx::{EvtxOptions, read_evtx_file},
    json,
};

use crate::{DetectError, Detector, rules::Problem};

/// Where a case's events come from.
#[derive(Debug, Clone, PartialEq)]
pub enum Events {
    Inline(Vec<Value>),
    /// An `.evtx` file, or a `.json`/`.ndjson` file of one or more JSON documents.
    File(PathBuf),
}

/// One test case.
#[derive(Debug, Clone)]
pub struct TestCase {
    /// The file that declared the case.
    pub declared_in: PathBuf,
    pub name: String,
    /// Rule id or title.
    pub rule: String,
    pub events: Events,
    /// Events that must match: `Some(0)` for a benign case; `None` means at least one.
    pub expect: Option<usize>,
    /// Logsource to give inline events that carry no recognisable shape.
    pub logsource: Option<LogSourceTags>,
}

/// Outcome of one case.
#[derive(Debug, Clone, Serialize)]
pub struct CaseResult {
    pub declared_in: PathBuf,
    pub name: String,
    pub rule: String,
    pub events: usize,
    /// Events on which the rule fired.
    pub matched: usize,
    pub expected: Option<usize>,
    /// The rule fired when it had to, and stayed silent when it had to.
    pub triggered_ok: bool,
    /// `triggered_ok` and the exact expected count.
    pub passed: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct VigilFile {
    rule: String,
    cases: Vec<VigilCase>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct VigilCase {
    name: String,
    #[serde(rename = "match")]
    expect: Option<usize>,
    #[serde(default)]
    events: Vec<Value>,
    file: Option<PathBuf>,
    logsource: Option<LogsourceDoc>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct LogsourceDoc {
    product: Option<String>,
    service: Option<String>,
    category: Option<String>,
}

#[derive(Deserialize)]
struct SigmaInfo {
    #[serde(default)]
    rule_metadata: Vec<SigmaRuleRef>,
    #[serde(default)]
    regression_tests_info: Vec<SigmaTest>,
}

#[derive(Deserialize)]
struct SigmaRuleRef {
    id: String,
}

#[derive(Deserialize)]
struct SigmaTest {
    name: Option<String>,
    #[serde(rename = "type")]
    kind: Option<String>,
    path: String,
    match_count: Option<usize>,
}

/// Is this a test declaration file?
pub fn is_test_file(path: &Path) -> bool {
    let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("");
    name == "info.yml" || name.ends_with(".test.yml") || name.ends_with(".test.yaml")
}

/// Finds every test declaration under `paths` and reads its cases; bad files are problems.
pub fn discover(paths: &[PathBuf]) -> Result<(Vec<TestCase>, Vec<Problem>), DetectError> {
    let mut cases = Vec::new();
    let mut problems = Vec::new();
    for root in paths {
        if !root.exists() {
            return Err(DetectError::MissingPath {
                path: root.display().to_string(),
            });
        }
        for entry in walkdir::WalkDir::new(root).follow_links(true).sort_by_file_name() {
            let entry = entry.map_err(|e| DetectError::Io {
                path: root.display().to_string(),
                source: e
                    .into_io_error()
                    .unwrap_or_else(|| std::io::Error::other("directory loop")),
            })?;
            if !entry.file_type().is_file() || !is_test_file(entry.path()) {
                continue;
            }
            let path = entry.path();
            let problem = |message: String| Problem {
                path: path.to_path_buf(),
                line: None,
                rule: None,
                message,
            };
            let text = match std::fs::read_to_string(path) {
                Ok(t) => t,
                Err(e) => {
                    problems.push(problem(format!("cannot read: {e}")));
                    continue;
                }
            };
            let parsed = if path.file_name().is_some_and(|n| n == "info.yml") {
                sigma_cases(path, &text)
            } else {
                vigil_cases(path, &text)
            };
            match parsed {
                Ok(c) => cases.extend(c),
                Err(e) => problems.push(problem(e)),
            }
        }
    }
    Ok((cases, problems))
}

fn sigma_cases(path: &Path, text: &str) -> Result<Vec<TestCase>, String> {
    let info: SigmaInfo = yaml_serde::from_str(text).map_err(|e| format!("invalid info.yml: {e}"))?;
    let dir = path.parent().unwrap_or(Path::new("."));
    let mut cases = Vec::new();
    for rule in &info.rule_metadata {
        for test in &info.regression_tests_info {
            if test.kind.as_deref().is_some_and(|k| k != "evtx") {
                continue;
            }
            // Paths are relative to the SigmaHQ repository; the samples sit beside info.yml.
            let file_name = Path::new(&test.path)
                .file_name()
                .ok_or_else(|| format!("bad sample path {}", test.path))?;
            let evtx = dir.join(file_name);
            let name = test.name.clone().unwrap_or_else(|| "regression".into());
            let json_file = evtx.with_extension("json");
            cases.push(TestCase {
                declared_in: path.to_path_buf(),
                name: format!("{name} (evtx)"),
                rule: rule.id.clone(),
                events: Events::File(evtx),
                expect: test.match_count,
                logsource: None,
            });
            if json_file.exists() {
                cases.push(TestCase {
                    declared_in: path.to_path_buf(),
                    name: format!("{name} (json)"),
                    rule: rule.id.clone(),
                    events: Events::File(json_file),
                    expect: test.match_count,
                    logsource: None,
                });
            }
        }
    }
    Ok(cases)
}

fn vigil_cases(path: &Path, text: &str) -> Result<Vec<TestCase>, String> {
    let doc: VigilFile = yaml_serde::from_str(text).map_err(|e| format!("invalid test file: {e}"))?;
    let dir = path.parent().unwrap_or(Path::new("."));
    let mut problems = Vec::new();
    let mut cases = Vec::new();
    for case in doc.cases {
        let events = match (case.file, case.events.is_empty()) {
            (Some(f), true) => Events::File(dir.join(f)),
            (None, false) => Events::Inline(case.events),
            (Some(_), false) => {
                problems.push(format!("case `{}`: give `events` or `file`, not both", case.name));
                continue;
            }
            (None, true) => {
                problems.push(format!("case `{}`: no `events` and no `file`", case.name));
                continue;
            }
        };
        let logsource = case.logsource.map(|l| {
            let own = |s: Option<String>| s.map(|v| Cow::Owned(v.to_ascii_lowercase()));
            LogSourceTags {
                product: own(l.product),
                services: own(l.service).into_iter().collect(),
                categories: own(l.category).into_iter().collect(),
            }
        });
        cases.push(TestCase {
            declared_in: path.to_path_buf(),
            name: case.name,
            rule: doc.rule.clone(),
            events,
            expect: case.expect,
            logsource,
        });
    }
    if problems.is_empty() {
        Ok(cases)
    } else {
        Err(problems.join("; "))
    }
}

/// Loads a case's events.
pub fn load_events(case: &TestCase) -> Result<Vec<Event>, String> {
    let mut events = Vec::new();
    match &case.events {
        Events::Inline(values) => {
            let origin = Origin::file("test", &case.declared_in.to_string_lossy());
            for (i, v) in values.iter().enumerate() {
                if !v.is_object() {
                    return Err(format!("event {} is not a mapping", i + 1));
                }
                let mut ev = json::from_value(v.clone(), Raw::None, &origin, i as u64);
                if let Some(ls) = &case.logsource {
                    ev.logsource = ls.clone();
                }
                events.push(ev);
            }
        }
        Events::File(path) => {
            let shown = path.to_string_lossy();
            let is_evtx = path.extension().is_some_and(|e| e.eq_ignore_ascii_case("evtx"));
            if is_evtx {
                let origin = Origin::file("evtx", &shown);
                let mut errors = Vec::new();
                read_evtx_file(path, &origin, EvtxOptions::default(), &mut |r| match r {
                    Ok(e) => events.push(e),
                    Err(e) => errors.push(e.to_string()),
                })
                .map_err(|e| e.to_string())?;
                if let Some(e) = errors.first() {
                    return Err(format!("{} records could not be read, first: {e}", errors.len()));
                }
            } else {
                let origin = Origin::file("json", &shown);
                let text = std::fs::read_to_string(path).map_err(|e| format!("cannot read {shown}: {e}"))?;
                for (i, doc) in serde_json::Deserializer::from_str(&text)
                    .into_iter::<Value>()
                    .enumerate()
                {
                    let doc = doc.map_err(|e| format!("{shown}: invalid JSON: {e}"))?;
                    let docs = match doc {
                        Value::Array(items) => items,
                        other => vec![other],
                    };
                    for d in docs {
                        events.push(json::from_value(d, Raw::None, &origin, i as u64));
                    }
                }
            }
        }
    }
    Ok(events)
}

/// Runs every case against the detector.
pub fn run(detector: &Detector, cases: &[TestCase]) -> Vec<CaseResult> {
    cases.iter().map(|case| run_case(detector, case)).collect()
}

fn run_case(detector: &Detector, case: &TestCase) -> CaseResult {
    let mut result = CaseResult {
        declared_in: case.declared_in.clone(),
        name: case.name.clone(),
        rule: case.rule.clone(),
        events: 0,
        matched: 0,
        expected: case.expect,
        triggered_ok: false,
        passed: false,
        error: None,
    };
    let rules = detector.rules();
    let Some(index) = rules
        .iter()
        .position(|r| r.id.as_deref() == Some(&case.rule) || r.title == case.rule)
    else {
        result.error = Some(format!("rule `{}` is not loaded", case.rule));
        return result;
    };
    let events = match load_events(case) {
        Ok(e) => e,
        Err(e) => {
            result.error = Some(e);
            return result;
        }
    };
    result.events = events.len();
    result.matched = events
        .iter()
        .filter(|e| detector.detect(e).iter().any(|h| h.rule == index))
        .count();
    result.triggered_ok = match case.expect {
        Some(0) => result.matched == 0,
        _ => result.matched > 0,
    };
    result.passed = result.triggered_ok && case.expect.is_none_or(|n| n == result.matched);
    result
}
