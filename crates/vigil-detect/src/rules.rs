//! Loading Sigma rules from files and directories, with every failure reported.

use std::{
    collections::HashMap,
    path::{Path, PathBuf},
    sync::Arc,
};

use rayon::prelude::*;
use rsigma_parser::{CorrelationRule, FilterRule, Level, SigmaRule, Status};
use serde::Serialize;

use crate::{DetectError, attack::Attack, level_name, level_rank};

/// Something wrong with one rule file or rule. Loading goes on; the caller shows every problem.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Problem {
    pub path: PathBuf,
    /// 1-based line, when known.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub line: Option<usize>,
    /// The rule's id or title, when the problem concerns one rule of the file.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rule: Option<String>,
    pub message: String,
}

impl std::fmt::Display for Problem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}", self.path.display())?;
        if let Some(line) = self.line {
            write!(f, ":{line}")?;
        }
        if let Some(rule) = &self.rule {
            write!(f, " [{rule}]")?;
        }
        write!(f, ": {}", self.message)
    }
}

/// What kind of Sigma document a rule is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum RuleKind {
    Detection,
    Correlation,
}

/// What Vigil knows about one loaded rule, as shown in results and summaries.
#[derive(Debug, Clone, Serialize)]
pub struct RuleInfo {
    pub id: Option<String>,
    pub title: String,
    pub kind: RuleKind,
    #[serde(serialize_with = "ser_level")]
    pub level: Option<Level>,
    pub status: Option<Status>,
    pub tags: Vec<String>,
    pub attack: Attack,
    pub path: Arc<Path>,
    pub product: Option<String>,
    pub service: Option<String>,
    pub category: Option<String>,
}

fn ser_level<S: serde::Serializer>(level: &Option<Level>, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(level_name(*level))
}

impl RuleInfo {
    /// The id when the rule has one, else its title: how results name a rule.
    pub fn key(&self) -> &str {
        self.id.as_deref().unwrap_or(&self.title)
    }
}

/// A detection rule with the file it came from.
#[derive(Debug, Clone)]
pub struct LoadedRule {
    pub rule: SigmaRule,
    pub path: Arc<Path>,
}

/// A correlation rule with the file it came from.
#[derive(Debug, Clone)]
pub struct LoadedCorrelation {
    pub rule: CorrelationRule,
    pub path: Arc<Path>,
}

/// Counts from loading, for the operator.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct LoadReport {
    pub files: usize,
    pub detection_rules: usize,
    pub correlation_rules: usize,
    pub filters: usize,
    /// Rules left out by the level/status selection (counted, never silent).
    pub deselected: usize,
}

/// Which rules to use.
#[derive(Debug, Clone, Default)]
pub struct RuleFilter {
    pub min_level: Option<Level>,
    /// Allowed statuses; `None` means every status but `deprecated` and `unsupported` (a rule
    /// without a status is kept). With a list, a rule without a status is left out.
    pub statuses: Option<Vec<Status>>,
    /// Keep every rule whatever its level and status (for linting and testing rule sets).
    pub everything: bool,
}

impl RuleFilter {
    /// A filter that keeps every rule.
    pub fn everything() -> RuleFilter {
        RuleFilter {
            everything: true,
            ..RuleFilter::default()
        }
    }

    fn keeps(&self, level: Option<Level>, status: Option<Status>) -> bool {
        if self.everything {
            return true;
        }
        let level_ok = self
            .min_level
            .is_none_or(|min| level_rank(level) >= level_rank(Some(min)));
        let status_ok = match &self.statuses {
            Some(allowed) => status.is_some_and(|s| allowed.contains(&s)),
            None => !matches!(status, Some(Status::Deprecated | Status::Unsupported)),
        };
        level_ok && status_ok
    }
}

/// Rules loaded from disk.
#[derive(Debug, Clone, Default)]
pub struct RuleSet {
    pub rules: Vec<LoadedRule>,
    pub correlations: Vec<LoadedCorrelation>,
    pub filters: Vec<FilterRule>,
    pub problems: Vec<Problem>,
    pub report: LoadReport,
}

/// Whether a path names a Sigma rule file.
pub fn is_rule_file(path: &Path) -> bool {
    path.extension()
        .and_then(|e| e.to_str())
        .is_some_and(|e| e.eq_ignore_ascii_case("yml") || e.eq_ignore_ascii_case("yaml"))
}

/// Every rule file under the given files and directories, sorted, recursively.
pub fn rule_files(paths: &[PathBuf]) -> Result<Vec<PathBuf>, DetectError> {
    let mut files = Vec::new();
    for root in paths {
        if !root.exists() {
            return Err(DetectError::MissingPath {
                path: root.display().to_string(),
            });
        }
        if root.is_file() {
            files.push(root.clone());
            continue;
        }
        for entry in walkdir::WalkDir::new(root).follow_links(true).sort_by_file_name() {
            let entry = entry.map_err(|e| DetectError::Io {
                path: e
                    .path()
                    .map(|p| p.display().to_string())
                    .unwrap_or_else(|| root.display().to_string()),
                source: e
                    .into_io_error()
                    .unwrap_or_else(|| std::io::Error::other("directory loop")),
            })?;
            if entry.file_type().is_file() && is_rule_file(entry.path()) {
                files.push(entry.into_path());
            }
        }
    }
    Ok(files)
}

impl RuleSet {
    /// Loads every rule file under `paths` and keeps the rules `filter` selects.
    pub fn load(paths: &[PathBuf], filter: &RuleFilter) -> Result<RuleSet, DetectError> {
        // Parse files on all cores, each into its own small set, then merge in file order so the
        // result (rule indices, problem order) is the same on every run.
        let parts: Vec<RuleSet> = rule_files(paths)?
            .into_par_iter()
            .map(|file| {
                let mut part = RuleSet::default();
                part.report.files = 1;
                match std::fs::read_to_string(&file) {
                    Ok(text) => part.add_text(&text, Arc::from(file.as_path()), filter),
                    Err(e) => part.problems.push(Problem {
                        path: file,
                        line: None,
                        rule: None,
                        message: format!("cannot read: {e}"),
                    }),
                }
                part
            })
            .collect();
        let mut set = RuleSet::default();
        for part in parts {
            set.rules.extend(part.rules);
            set.correlations.extend(part.correlations);
            set.filters.extend(part.filters);
            set.problems.extend(part.problems);
            set.report.files += part.report.files;
            set.report.detection_rules += part.report.detection_rules;
            set.report.correlation_rules += part.report.correlation_rules;
            set.report.filters += part.report.filters;
            set.report.deselected += part.report.deselected;
        }
        set.check_duplicate_ids();
        Ok(set)
    }

    /// Adds the rules of one YAML text (one or more documents).
    pub fn add_text(&mut self, text: &str, path: Arc<Path>, filter: &RuleFilter) {
        let collection = match rsigma_parser::parse_sigma_yaml(text) {
            Ok(c) => c,
            Err(e) => {
                self.problems.push(Problem {
                    path: path.to_path_buf(),
                    line: error_line(&e.to_string()),
                    rule: None,
                    message: e.to_string(),
                });
                return;
            }
        };
        for message in &collection.errors {
            self.problems.push(Problem {
                path: path.to_path_buf(),
                line: error_line(message),
                rule: None,
                message: message.clone(),
            });
        }
        if collection.rules.is_empty()
            && collection.correlations.is_empty()
            && collection.filters.is_empty()
            && collection.errors.is_empty()
        {
            self.problems.push(Problem {
                path: path.to_path_buf(),
                line: None,
                rule: None,
                message: "no Sigma rule in this file".into(),
            });
        }
        for rule in collection.rules {
            if filter.keeps(rule.level, rule.status) {
                self.report.detection_rules += 1;
                self.rules.push(LoadedRule {
                    rule,
                    path: path.clone(),
                });
            } else {
                self.report.deselected += 1;
            }
        }
        // Re-reading the YAML is needed only for files that hold correlations.
        let implicit = if collection.correlations.is_empty() {
            Vec::new()
        } else {
            temporal_without_condition(text)
        };
        for mut rule in collection.correlations {
            if implicit.contains(&rule.title) {
                apply_temporal_default(&mut rule);
            }
            if filter.keeps(rule.level, rule.status) {
                self.report.correlation_rules += 1;
                self.correlations.push(LoadedCorrelation {
                    rule,
                    path: path.clone(),
                });
            } else {
                self.report.deselected += 1;
            }
        }
        self.report.filters += collection.filters.len();
        self.filters.extend(collection.filters);
    }

    fn check_duplicate_ids(&mut self) {
        let mut seen: HashMap<&str, &Path> = HashMap::new();
        let ids = self
            .rules
            .iter()
            .map(|r| (r.rule.id.as_deref(), &r.path))
            .chain(self.correlations.iter().map(|c| (c.rule.id.as_deref(), &c.path)));
        let mut dups = Vec::new();
        for (id, path) in ids {
            let Some(id) = id else { continue };
            if let Some(first) = seen.insert(id, path) {
                dups.push(Problem {
                    path: path.to_path_buf(),
                    line: None,
                    rule: Some(id.to_string()),
                    message: format!("duplicate rule id (also in {})", first.display()),
                });
            }
        }
        self.problems.extend(dups);
    }

    /// Rule metadata for every detection rule, then every correlation rule, in load order.
    pub fn infos(&self) -> Vec<RuleInfo> {
        let det = self.rules.iter().map(|r| RuleInfo {
            id: r.rule.id.clone(),
            title: r.rule.title.clone(),
            kind: RuleKind::Detection,
            level: r.rule.level,
            status: r.rule.status,
            attack: Attack::from_tags(&r.rule.tags),
            tags: r.rule.tags.clone(),
            path: r.path.clone(),
            product: r.rule.logsource.product.clone(),
            service: r.rule.logsource.service.clone(),
            category: r.rule.logsource.category.clone(),
        });
        let corr = self.correlations.iter().map(|c| RuleInfo {
            id: c.rule.id.clone(),
            title: c.rule.title.clone(),
            kind: RuleKind::Correlation,
            level: c.rule.level,
            status: c.rule.status,
            attack: Attack::from_tags(&c.rule.tags),
            tags: c.rule.tags.clone(),
            path: c.path.clone(),
            product: None,
            service: None,
            category: None,
        });
        det.chain(corr).collect()
    }
}

/// Titles of temporal correlations written without a `condition`.
fn temporal_without_condition(text: &str) -> Vec<String> {
    use serde::Deserialize;
    let mut titles = Vec::new();
    for doc in yaml_serde::Deserializer::from_str(text) {
        let Ok(value) = yaml_serde::Value::deserialize(doc) else {
            break;
        };
        let Some(corr) = value.get("correlation") else { continue };
        let temporal = corr
            .get("type")
            .and_then(|t| t.as_str())
            .is_some_and(|t| t.starts_with("temporal"));
        if temporal
            && corr.get("condition").is_none()
            && let Some(title) = value.get("title").and_then(|t| t.as_str())
        {
            titles.push(title.to_string());
        }
    }
    titles
}

/// The Sigma specification's default for a temporal correlation without `condition` is that *all*
/// referenced rules match within the timespan. rsigma-parser 0.23 defaults to `gte: 1` (any one
/// rule), which fires on a single event; Vigil applies the specified default.
fn apply_temporal_default(rule: &mut CorrelationRule) {
    use rsigma_parser::{ConditionOperator, CorrelationCondition};
    let all = rule.rules.len() as u64;
    if let CorrelationCondition::Threshold {
        predicates,
        field: None,
        ..
    } = &mut rule.condition
        && predicates.as_slice() == [(ConditionOperator::Gte, 1)]
    {
        *predicates = vec![(ConditionOperator::Gte, all)];
    }
}

/// The line number in a parser message (`... at line 12 ...`), when it names one.
fn error_line(message: &str) -> Option<usize> {
    let idx = message.find("line ")?;
    let digits: String = message[idx + 5..].chars().take_while(char::is_ascii_digit).collect();
    digits.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn filter_levels_and_statuses() {
        let f = RuleFilter {
            min_level: Some(Level::High),
            ..RuleFilter::default()
        };
        assert!(f.keeps(Some(Level::Critical), Some(Status::Test)));
        assert!(!f.keeps(Some(Level::Medium), Some(Status::Stable)));
        assert!(!RuleFilter::default().keeps(Some(Level::High), Some(Status::Deprecated)));
        let only_stable = RuleFilter {
            statuses: Some(vec![Status::Stable]),
            ..RuleFilter::default()
        };
        assert!(RuleFilter::everything().keeps(None, Some(Status::Deprecated)));
        assert!(RuleFilter::everything().keeps(None, None));
        assert!(!only_stable.keeps(None, Some(Status::Test)));
        assert!(!only_stable.keeps(None, None));
    }

    #[test]
    fn bad_documents_are_reported_with_file() {
        let mut set = RuleSet::default();
        let path: Arc<Path> = Arc::from(Path::new("r.yml"));
        set.add_text("title: [unclosed", path.clone(), &RuleFilter::default());
        set.add_text("foo: bar\n", path.clone(), &RuleFilter::default());
        assert!(set.rules.is_empty());
        assert!(set.problems.len() >= 2, "{:?}", set.problems);
        assert!(set.problems.iter().all(|p| p.path == Path::new("r.yml")));
        assert_eq!(error_line("bad thing at line 12 column 3"), Some(12));
    }
}
