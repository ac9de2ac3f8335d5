//! Rule linting: rsigma's Sigma-spec lints plus Vigil's own checks (unparseable or uncompilable
//! rules, unknown modifiers, missing and duplicate ids), each with file and line.

use std::{collections::HashMap, path::PathBuf};

use rsigma_parser::{Severity as RsSeverity, lint_yaml_str};
use serde::Serialize;

use crate::{DetectError, Detector, DetectorOptions, RuleFilter, RuleSet, rules::rule_files};

/// Severity of a finding, most severe last.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Hint,
    Info,
    Warning,
    Error,
}

/// One lint finding.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Finding {
    pub path: PathBuf,
    /// 1-based line, when known.
    pub line: Option<u32>,
    pub severity: Severity,
    /// Stable code, e.g. `missing_id`, `duplicate_id`, `unparseable`, `invalid_tag`.
    pub code: String,
    pub message: String,
}

impl std::fmt::Display for Finding {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let sev = match self.severity {
            Severity::Hint => "hint",
            Severity::Info => "info",
            Severity::Warning => "warning",
            Severity::Error => "error",
        };
        match self.line {
            Some(l) => write!(f, "{}:{l}: {sev}[{}]: {}", self.path.display(), self.code, self.message),
            None => write!(f, "{}: {sev}[{}]: {}", self.path.display(), self.code, self.message),
        }
    }
}

/// Lints every rule file under `paths`. Findings are sorted by file and line.
pub fn lint_paths(paths: &[PathBuf]) -> Result<Vec<Finding>, DetectError> {
    let mut findings = Vec::new();
    let mut ids: HashMap<String, (PathBuf, Option<u32>)> = HashMap::new();
    for file in rule_files(paths)? {
        let text = match std::fs::read_to_string(&file) {
            Ok(t) => t,
            Err(e) => {
                findings.push(Finding {
                    path: file,
                    line: None,
                    severity: Severity::Error,
                    code: "unreadable".into(),
                    message: e.to_string(),
                });
                continue;
            }
        };
        for w in lint_yaml_str(&text) {
            let severity = match w.severity {
                RsSeverity::Error => Severity::Error,
                RsSeverity::Warning => Severity::Warning,
                RsSeverity::Info => Severity::Info,
                RsSeverity::Hint => Severity::Hint,
            };
            findings.push(Finding {
                path: file.clone(),
                line: w.span.map(|s| s.start_line + 1),
                severity,
                code: w.rule.to_string(),
                message: w.message,
            });
        }
        // Vigil's own checks: does every document load and compile, with an id?
        let mut set = RuleSet::default();
        set.add_text(&text, file.as_path().into(), &RuleFilter::everything());
        for p in &set.problems {
            findings.push(Finding {
                path: file.clone(),
                line: p.line.map(|l| l as u32).or_else(|| line_of_quoted(&text, &p.message)),
                severity: Severity::Error,
                code: if p.message.contains("modifier") {
                    "unknown_modifier".into()
                } else {
                    "unparseable".into()
                },
                message: p.message.clone(),
            });
        }
        let (_, compile_problems) = Detector::build(&set, &DetectorOptions::default());
        for p in compile_problems {
            findings.push(Finding {
                path: file.clone(),
                line: None,
                severity: Severity::Error,
                code: if p.message.contains("modifier") {
                    "unknown_modifier".into()
                } else {
                    "uncompilable".into()
                },
                message: p.message,
            });
        }
        let docs = set.rules.iter().map(|r| (r.rule.id.clone(), r.rule.title.clone()));
        let docs = docs.chain(
            set.correlations
                .iter()
                .map(|c| (c.rule.id.clone(), c.rule.title.clone())),
        );
        for (id, title) in docs.collect::<Vec<_>>() {
            match id {
                None => findings.push(Finding {
                    path: file.clone(),
                    line: None,
                    severity: Severity::Error,
                    code: "missing_id".into(),
                    message: format!("rule `{title}` has no id: results and tests cannot name it stably"),
                }),
                Some(id) => {
                    let line = line_of(&text, &id);
                    if let Some((first, first_line)) = ids.get(&id) {
                        findings.push(Finding {
                            path: file.clone(),
                            line,
                            severity: Severity::Error,
                            code: "duplicate_id".into(),
                            message: format!(
                                "id {id} is also used by {}{}",
                                first.display(),
                                first_line.map(|l| format!(":{l}")).unwrap_or_default()
                            ),
                        });
                    } else {
                        ids.insert(id, (file.clone(), line));
                    }
                }
            }
        }
    }
    findings.sort_by(|a, b| (&a.path, a.line).cmp(&(&b.path, b.line)));
    findings.dedup();
    Ok(findings)
}

/// The line of the first `'token'` quoted in a parser message (e.g. an unknown modifier), when the
/// parser gave no position.
fn line_of_quoted(text: &str, message: &str) -> Option<u32> {
    let start = message.find('\'')? + 1;
    let len = message[start..].find('\'')?;
    let token = &message[start..start + len];
    if token.is_empty() {
        return None;
    }
    text.lines().position(|l| l.contains(token)).map(|i| i as u32 + 1)
}

fn line_of(text: &str, id: &str) -> Option<u32> {
    text.lines()
        .position(|l| l.trim_start().starts_with("id:") && l.contains(id))
        .map(|i| i as u32 + 1)
}
