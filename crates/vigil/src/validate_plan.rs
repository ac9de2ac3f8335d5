//! Validation plans (`vigil validate --plan`): a TOML plan file, or a SigmaHQ `regression_data`
//! folder as is; and reading their samples into the JSON documents the server replays.
//!
//! A TOML plan (docs/measure.md):
//!
//! ```toml
//! name = "windows-baseline"
//! [[test]]
//! id = "whoami"
//! technique = "T1033"
//! samples = ["samples/whoami.evtx"]          # relative to the plan file
//! expect_rules = ["502b42de-4306-40b4-9596-6f590c81f073"]
//! expect_techniques = ["T1033"]               # expect_rules and/or expect_techniques
//! ```
//!
//! Every problem of a plan is reported at once, each with its line.

use std::collections::{BTreeMap, HashSet};
use std::fmt;
use std::path::{Path, PathBuf};

use serde::Deserialize;
use serde_json::Value;
use vigil_api_types::validation::{ValidationTest, is_technique};
use vigil_detect::ruletest::{self, Events};
use vigil_event::Raw;
use vigil_parse::{
    Origin,
    evtx::{EvtxOptions, read_evtx_file},
};

/// One test of a plan, its samples still files.
#[derive(Debug, Clone, PartialEq)]
pub struct PlanTest {
    pub id: String,
    pub technique: Option<String>,
    pub expect_rules: Vec<String>,
    pub expect_techniques: Vec<String>,
    pub samples: Vec<PathBuf>,
}

/// A plan read from disk.
#[derive(Debug, Clone, PartialEq)]
pub struct Plan {
    pub name: String,
    pub tests: Vec<PlanTest>,
}

/// A problem of a plan, with the line it is on when known.
#[derive(Debug, Clone, PartialEq)]
pub struct PlanProblem {
    pub path: PathBuf,
    pub line: Option<usize>,
    pub message: String,
}

impl fmt::Display for PlanProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.line {
            Some(line) => write!(f, "{}:{line}: {}", self.path.display(), self.message),
            None => write!(f, "{}: {}", self.path.display(), self.message),
        }
    }
}

const TEST_KEYS: &[&str] = &["id", "technique", "samples", "expect_rules", "expect_techniques"];

#[derive(Deserialize)]
struct RawPlan {
    #[serde(default)]
    test: Vec<toml::Spanned<toml::Table>>,
}

/// Reads a plan: a TOML file, or a directory read as SigmaHQ `regression_data`.
pub fn read(path: &Path) -> Result<Plan, Vec<PlanProblem>> {
    let problem = |line, message: String| PlanProblem {
        path: path.to_path_buf(),
        line,
        message,
    };
    if path.is_dir() {
        return read_regression(path);
    }
    let text = std::fs::read_to_string(path).map_err(|e| vec![problem(None, format!("cannot read: {e}"))])?;
    parse_toml(path, &text)
}

fn line_of(text: &str, offset: usize) -> usize {
    text[..offset.min(text.len())].matches('\n').count() + 1
}

/// Parses a TOML plan whose samples are relative to `path`'s folder.
pub fn parse_toml(path: &Path, text: &str) -> Result<Plan, Vec<PlanProblem>> {
    let mut problems = Vec::new();
    let mut problem = |line, message: String| {
        problems.push(PlanProblem {
            path: path.to_path_buf(),
            line,
            message,
        })
    };
    let table: toml::Table = match text.parse() {
        Ok(t) => t,
        Err(e) => {
            let e: toml::de::Error = e;
            let line = e.span().map(|s| line_of(text, s.start));
            problem(line, format!("invalid TOML: {}", e.message()));
            return Err(problems);
        }
    };
    let top_line = |key: &str| {
        text.lines()
            .position(|l| {
                l.trim_start().starts_with(key)
                    && l[l.find(key).unwrap_or(0) + key.len()..].trim_start().starts_with('=')
            })
            .map(|i| i + 1)
    };
    for key in table.keys().filter(|k| !["name", "test"].contains(&k.as_str())) {
        problem(
            top_line(key),
            format!("unknown key `{key}` (a plan has `name` and `[[test]]`)"),
        );
    }
    let name = match table.get("name") {
        Some(toml::Value::String(s)) if !s.trim().is_empty() => s.clone(),
        Some(_) => {
            problem(top_line("name"), "`name` is not a non-empty string".into());
            String::new()
        }
        None => {
            problem(Some(1), "no `name`: give the plan a name".into());
            String::new()
        }
    };
    let raw: Result<Vec<toml::Spanned<toml::Table>>, _> = toml::from_str::<RawPlan>(text).map(|r| r.test);
    let raw = raw.unwrap_or_else(|e| {
        let line = e.span().map(|s| line_of(text, s.start));
        problem(line, format!("`test` is not a list of tables: {}", e.message()));
        Vec::new()
    });
    if raw.is_empty() && matches!(table.get("test"), None | Some(toml::Value::Array(_))) {
        problem(None, "no `[[test]]`: the plan tests nothing".into());
    }
    let dir = path.parent().unwrap_or(Path::new("."));
    let mut seen = HashSet::new();
    let mut tests = Vec::new();
    for spanned in &raw {
        let line = Some(line_of(text, spanned.span().start));
        match read_test(spanned.get_ref(), dir) {
            Ok(t) => {
                if !seen.insert(t.id.clone()) {
                    problem(line, format!("test `{}`: the id is given twice", t.id));
                }
                tests.push(t);
            }
            Err(messages) => messages.into_iter().for_each(|m| problem(line, m)),
        }
    }
    if problems.is_empty() {
        Ok(Plan { name, tests })
    } else {
        Err(problems)
    }
}

fn strings(t: &toml::Table, key: &str, errors: &mut Vec<String>) -> Vec<String> {
    match t.get(key) {
        None => Vec::new(),
        Some(toml::Value::Array(items)) => items
            .iter()
            .filter_map(|v| match v {
                toml::Value::String(s) if !s.trim().is_empty() => Some(s.clone()),
                _ => {
                    errors.push(format!("`{key}` holds something that is not a non-empty string"));
                    None
                }
            })
            .collect(),
        Some(_) => {
            errors.push(format!("`{key}` is not a list of strings"));
            Vec::new()
        }
    }
}

/// One `[[test]]`: every problem of it, prefixed with its id when it has one.
fn read_test(t: &toml::Table, dir: &Path) -> Result<PlanTest, Vec<String>> {
    let mut errors = Vec::new();
    for key in t.keys().filter(|k| !TEST_KEYS.contains(&k.as_str())) {
        errors.push(format!("unknown key `{key}` (a test has {})", TEST_KEYS.join(", ")));
    }
    let id = match t.get("id") {
        Some(toml::Value::String(s)) if !s.trim().is_empty() => s.clone(),
        _ => {
            errors.push("no `id` (a non-empty string)".into());
            String::new()
        }
    };
    let technique = match t.get("technique") {
        None => None,
        Some(toml::Value::String(s)) if is_technique(s) => Some(s.to_ascii_uppercase()),
        Some(v) => {
            errors.push(format!(
                "`technique` {v} is not an ATT&CK technique id (T1234 or T1234.001)"
            ));
            None
        }
    };
    let expect_rules = strings(t, "expect_rules", &mut errors);
    let expect_techniques = strings(t, "expect_techniques", &mut errors);
    for bad in expect_techniques.iter().filter(|s| !is_technique(s)) {
        errors.push(format!("`expect_techniques`: `{bad}` is not an ATT&CK technique id"));
    }
    if expect_rules.is_empty() && expect_techniques.is_empty() {
        errors.push("give `expect_rules` or `expect_techniques` (or both)".into());
    }
    let samples: Vec<PathBuf> = strings(t, "samples", &mut errors)
        .into_iter()
        .map(|s| dir.join(s))
        .collect();
    if samples.is_empty() && !t.contains_key("samples") {
        errors.push("no `samples` (EVTX, NDJSON or JSON files, relative to the plan)".into());
    }
    for s in samples.iter().filter(|s| !s.is_file()) {
        errors.push(format!("sample {} is not a file", s.display()));
    }
    if !errors.is_empty() {
        let who = if id.is_empty() {
            "test".to_owned()
        } else {
            format!("test `{id}`")
        };
        return Err(errors.into_iter().map(|e| format!("{who}: {e}")).collect());
    }
    Ok(PlanTest {
        id,
        technique,
        expect_rules,
        expect_techniques: expect_techniques.iter().map(|s| s.to_ascii_uppercase()).collect(),
        samples,
    })
}

/// A SigmaHQ `regression_data` folder: a test per rule and EVTX sample of each `info.yml`, the
/// rule as expected rule (its technique is the rule's, as the server has it); named by the
/// folder under `root`.
fn read_regression(root: &Path) -> Result<Plan, Vec<PlanProblem>> {
    let (cases, problems) = ruletest::discover(&[root.to_path_buf()]).map_err(|e| {
        vec![PlanProblem {
            path: root.to_path_buf(),
            line: None,
            message: e.to_string(),
        }]
    })?;
    if !problems.is_empty() {
        return Err(problems
            .into_iter()
            .map(|p| PlanProblem {
                path: p.path,
                line: p.line,
                message: p.message,
            })
            .collect());
    }
    let mut per_folder: BTreeMap<(String, String), PlanTest> = BTreeMap::new();
    for case in cases {
        let Events::File(file) = &case.events else { continue };
        let is_evtx = file.extension().is_some_and(|e| e.eq_ignore_ascii_case("evtx"));
        if !is_evtx || case.expect == Some(0) {
            continue;
        }
        let folder = case.declared_in.parent().unwrap_or(root);
        let name = folder
            .strip_prefix(root)
            .unwrap_or(folder)
            .to_string_lossy()
            .replace('\\', "/");
        let test = per_folder
            .entry((name.clone(), case.rule.clone()))
            .or_insert_with(|| PlanTest {
                id: name,
                technique: None,
                expect_rules: vec![case.rule.clone()],
                expect_techniques: Vec::new(),
                samples: Vec::new(),
            });
        test.samples.push(file.clone());
    }
    let mut tests: Vec<PlanTest> = per_folder.into_values().collect();
    // Two rules sharing one folder: tell their tests apart by rule.
    let mut count: BTreeMap<String, usize> = BTreeMap::new();
    tests.iter().for_each(|t| *count.entry(t.id.clone()).or_default() += 1);
    for t in &mut tests {
        if count[&t.id] > 1 {
            t.id = format!("{}#{}", t.id, t.expect_rules[0]);
        }
    }
    if tests.is_empty() {
        return Err(vec![PlanProblem {
            path: root.to_path_buf(),
            line: None,
            message: "no info.yml with an EVTX sample here: not a regression_data folder".into(),
        }]);
    }
    let name = root
        .file_name()
        .map_or_else(|| root.display().to_string(), |n| n.to_string_lossy().into_owned());
    Ok(Plan { name, tests })
}

/// The sizes of every sample file, for the progress bar.
pub fn total_bytes(plan: &Plan) -> u64 {
    plan.tests
        .iter()
        .flat_map(|t| &t.samples)
        .filter_map(|p| std::fs::metadata(p).ok())
        .map(|m| m.len())
        .sum()
}

/// A sample's events as JSON documents: an EVTX file's records in their JSON rendering (what
/// `vigil ingest` sends), a JSON or NDJSON file's documents (an array's items each).
pub fn sample_events(path: &Path) -> Result<Vec<Value>, String> {
    let shown = path.display().to_string();
    let mut out = Vec::new();
    if path.extension().is_some_and(|e| e.eq_ignore_ascii_case("evtx")) {
        let origin = Origin::file("evtx", &shown);
        let mut errors = 0usize;
        read_evtx_file(path, &origin, EvtxOptions::default(), &mut |r| match r {
            Ok(event) => {
                if let Raw::Json(v) = event.raw {
                    out.push(*v);
                }
            }
            Err(_) => errors += 1,
        })
        .map_err(|e| format!("{shown}: {e}"))?;
        if errors > 0 && out.is_empty() {
            return Err(format!("{shown}: none of its {errors} records could be read"));
        }
        return Ok(out);
    }
    let text = std::fs::read_to_string(path).map_err(|e| format!("cannot read {shown}: {e}"))?;
    for doc in serde_json::Deserializer::from_str(&text).into_iter::<Value>() {
        match doc.map_err(|e| format!("{shown}: invalid JSON: {e}"))? {
            Value::Array(items) => out.extend(items),
            other => out.push(other),
        }
    }
    if let Some(n) = out.iter().position(|v| !v.is_object()) {
        return Err(format!("{shown}: document {} is not a JSON object", n + 1));
    }
    Ok(out)
}

/// The test as the server takes it, its samples read (`on_bytes` is told each file's size).
pub fn to_request(test: &PlanTest, on_bytes: &mut dyn FnMut(u64)) -> Result<ValidationTest, String> {
    let mut events = Vec::new();
    for s in &test.samples {
        events.extend(sample_events(s)?);
        on_bytes(std::fs::metadata(s).map(|m| m.len()).unwrap_or(0));
    }
    Ok(ValidationTest {
        id: test.id.clone(),
        technique: test.technique.clone(),
        expect_rules: test.expect_rules.clone(),
        expect_techniques: test.expect_techniques.clone(),
        samples: test.samples.iter().map(|s| s.display().to_string()).collect(),
        events,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_problem_of_a_plan_is_listed_with_its_line() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("a.ndjson"), "{\"x\": 1}\n").unwrap();
        let text = r#"name = "p"
colour = "blue"

[[test]]
id = "ok"
samples = ["a.ndjson"]
expect_rules = ["r1"]

[[test]]
id = "bad"
technique = "T12"
samples = ["missing.evtx"]

[[test]]
id = "ok"
samples = ["a.ndjson"]
expect_techniques = ["T1059.001"]
extra = 1
"#;
        let path = dir.path().join("plan.toml");
        let problems = parse_toml(&path, text).unwrap_err();
        let shown: Vec<(Option<usize>, &str)> = problems.iter().map(|p| (p.line, p.message.as_str())).collect();
        assert_eq!(
            shown,
            [
                (Some(2), "unknown key `colour` (a plan has `name` and `[[test]]`)"),
                (
                    Some(9),
                    "test `bad`: `technique` \"T12\" is not an ATT&CK technique id (T1234 or T1234.001)"
                ),
                (
                    Some(9),
                    "test `bad`: give `expect_rules` or `expect_techniques` (or both)"
                ),
                (
                    Some(9),
                    &*format!(
                        "test `bad`: sample {} is not a file",
                        dir.path().join("missing.evtx").display()
                    )
                ),
                (
                    Some(14),
                    "test `ok`: unknown key `extra` (a test has id, technique, samples, expect_rules, expect_techniques)"
                ),
            ]
        );
        assert!(
            problems[0]
                .to_string()
                .ends_with("plan.toml:2: unknown key `colour` (a plan has `name` and `[[test]]`)")
        );
    }

    #[test]
    fn a_good_plan_reads_with_its_samples_beside_it() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("a.ndjson"), "{\"x\": 1}\n[{\"y\": 2}, {\"z\": 3}]\n").unwrap();
        let text = "name = \"p\"\n[[test]]\nid = \"t\"\ntechnique = \"t1059\"\nsamples = [\"a.ndjson\"]\nexpect_rules = [\"r\"]\n";
        let plan = parse_toml(&dir.path().join("p.toml"), text).unwrap();
        assert_eq!(plan.name, "p");
        assert_eq!(plan.tests[0].technique.as_deref(), Some("T1059"));
        let req = to_request(&plan.tests[0], &mut |_| {}).unwrap();
        assert_eq!(req.events.len(), 3);
        let text = "[[test]]\nid = \"t\"\nsamples = []\nexpect_rules = [\"r\"]\n[[test]]\nid = \"t\"\nsamples = []\nexpect_rules = [\"r\"]\n";
        let problems = parse_toml(&dir.path().join("p.toml"), text).unwrap_err();
        let shown: Vec<_> = problems.iter().map(|p| (p.line, p.message.clone())).collect();
        assert_eq!(
            shown,
            [
                (Some(1), "no `name`: give the plan a name".to_owned()),
                (Some(5), "test `t`: the id is given twice".to_owned())
            ]
        );
    }
}
