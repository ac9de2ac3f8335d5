//! Incident tasks and the runbooks they come from.
//!
//! A runbook (a *task template*) is the checklist of one kind of incident: it names the RSIT
//! classifications it applies to and the tasks an incident of that kind starts with, each with its
//! NIST SP 800-61 phase, whether it is mandatory (an incident cannot close while a mandatory task is
//! open) and when it is due relative to the incident's creation. Runbooks are files an engineer
//! reviews like code; each carries a version, and every task records `name@version` of the
//! runbook it came from.
//!
//! The most specific runbook wins: one naming the exact `category:type` beats one naming
//! `category:*`, which beats `*`.

use jiff::{SignedDuration, Timestamp};
use serde::Deserialize;

use crate::error::{RespondError, quoted};
use crate::rsit;
use crate::wire::wire_enum;

wire_enum! {
    /// Where a task stands.
    pub enum TaskStatus {
        /// Not started.
        Open = "open",
        /// Someone is on it.
        InProgress = "in_progress",
        /// Finished.
        Done = "done",
        /// Deliberately not done (with a reason).
        Skipped = "skipped",
    }
}

impl TaskStatus {
    /// Whether the task still needs work (`open` or `in_progress`).
    pub fn is_pending(self) -> bool {
        matches!(self, Self::Open | Self::InProgress)
    }
}

wire_enum! {
    /// The NIST SP 800-61 phase a task belongs to.
    pub enum Phase {
        /// Detection and analysis: scoping, triage, evidence.
        Analysis = "analysis",
        /// Stopping the spread.
        Containment = "containment",
        /// Removing the cause.
        Eradication = "eradication",
        /// Returning to normal operation.
        Recovery = "recovery",
        /// Lessons learned, reporting.
        PostIncident = "post_incident",
    }
}

/// One task of a runbook, as written in its file.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TemplateTask {
    /// What to do, in a few words.
    pub title: String,
    /// How to do it (Markdown).
    #[serde(default)]
    pub description: String,
    /// The phase it belongs to.
    pub phase: Option<Phase>,
    /// Whether the incident may close while it is pending.
    #[serde(default)]
    pub mandatory: bool,
    /// Due this long after the incident's creation (`30m`, `4h`, `2d`).
    pub due: Option<String>,
}

/// A runbook: the tasks an incident of some classifications starts with.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TaskTemplate {
    /// A short unique name (`malware`), recorded on every task with the version.
    pub name: String,
    /// Raised whenever the tasks change, so an incident shows which revision it followed.
    pub version: u32,
    /// A human title.
    #[serde(default)]
    pub title: String,
    /// RSIT patterns: `category:type`, `category:*` or `*`.
    pub classifications: Vec<String>,
    /// The tasks, in order.
    pub tasks: Vec<TemplateTask>,
}

/// A task about to be added to an incident.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlannedTask {
    pub title: String,
    pub description: String,
    pub phase: Option<Phase>,
    pub mandatory: bool,
    pub assignee: Option<String>,
    pub due: Option<Timestamp>,
    /// `name@version` of the runbook it comes from; `None` for a task added by hand.
    pub template: Option<String>,
}

/// The longest title of a task, in bytes.
pub const MAX_TASK_TITLE: usize = 200;

/// `text` as a task's due offset.
pub fn parse_due(text: &str) -> Result<SignedDuration, RespondError> {
    let bad = || RespondError::invalid(format!("due {} is not a duration such as `4h` or `2d`", quoted(text)));
    let span: jiff::Span = text.trim().parse().map_err(|_| bad())?;
    if span.get_years() != 0 || span.get_months() != 0 {
        return Err(bad());
    }
    let d = span
        .to_duration(jiff::SpanRelativeTo::days_are_24_hours())
        .map_err(|_| bad())?;
    if d.is_negative() || d.is_zero() {
        return Err(RespondError::invalid(format!("due {} must be positive", quoted(text))));
    }
    Ok(d)
}

/// How specifically `pattern` names `classification` (2 exact, 1 category, 0 any), if at all.
fn specificity(pattern: &str, classification: &str) -> Option<u8> {
    if pattern == "*" {
        return Some(0);
    }
    if pattern == classification {
        return Some(2);
    }
    let category = pattern.strip_suffix(":*")?;
    (classification.split_once(':').map(|(c, _)| c) == Some(category)).then_some(1)
}

fn check_pattern(pattern: &str) -> Result<(), RespondError> {
    if pattern == "*" {
        return Ok(());
    }
    if let Some(category) = pattern.strip_suffix(":*") {
        return if rsit::categories().contains(&category) {
            Ok(())
        } else {
            Err(RespondError::invalid(format!(
                "{} is not an RSIT category; the categories are: {}",
                quoted(category),
                rsit::categories().join(", ")
            )))
        };
    }
    rsit::parse(pattern).map(|_| ())
}

impl TaskTemplate {
    /// Every problem of this runbook, each a sentence.
    pub fn problems(&self) -> Vec<String> {
        let mut out = Vec::new();
        if self.name.is_empty()
            || !self
                .name
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || "-_.".contains(c))
        {
            out.push(format!(
                "name {} must be letters, digits, `-`, `_` or `.`",
                quoted(&self.name)
            ));
        }
        if self.classifications.is_empty() {
            out.push("`classifications` is empty: name at least one (`*` for every incident)".into());
        }
        out.extend(
            self.classifications
                .iter()
                .filter_map(|p| check_pattern(p).err().map(|e| e.to_string())),
        );
        if self.tasks.is_empty() {
            out.push("`tasks` is empty".into());
        }
        for (i, t) in self.tasks.iter().enumerate() {
            let n = i + 1;
            if t.title.trim().is_empty() || t.title.len() > MAX_TASK_TITLE {
                out.push(format!("task {n}: the title must be 1 to {MAX_TASK_TITLE} bytes"));
            }
            if let Some(Err(e)) = t.due.as_deref().map(parse_due) {
                out.push(format!("task {n}: {e}"));
            }
        }
        out
    }

    /// `name@version`.
    pub fn tag(&self) -> String {
        format!("{}@{}", self.name, self.version)
    }

    /// The tasks for an incident created at `created`.
    pub fn plan(&self, created: Timestamp) -> Vec<PlannedTask> {
        let tag = self.tag();
        self.tasks
            .iter()
            .map(|t| PlannedTask {
                title: t.title.clone(),
                description: t.description.clone(),
                phase: t.phase,
                mandatory: t.mandatory,
                assignee: None,
                due: t
                    .due
                    .as_deref()
                    .and_then(|d| parse_due(d).ok())
                    .and_then(|d| created.checked_add(d).ok()),
                template: Some(tag.clone()),
            })
            .collect()
    }
}

/// The runbooks in force.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Runbooks {
    templates: Vec<TaskTemplate>,
}

impl Runbooks {
    /// The runbooks, checked together: each must be valid, names unique, and no two may claim the
    /// same pattern (which one applies would be a guess). Every problem is listed.
    pub fn new(templates: Vec<TaskTemplate>) -> Result<Runbooks, Vec<String>> {
        let mut problems = Vec::new();
        for t in &templates {
            problems.extend(
                t.problems()
                    .into_iter()
                    .map(|p| format!("runbook {}: {p}", quoted(&t.name))),
            );
        }
        for (i, a) in templates.iter().enumerate() {
            for b in &templates[i + 1..] {
                if a.name == b.name {
                    problems.push(format!("two runbooks are named {}", quoted(&a.name)));
                }
                for p in a.classifications.iter().filter(|p| b.classifications.contains(p)) {
                    problems.push(format!(
                        "runbooks {} and {} both claim {}: give each pattern to one runbook",
                        quoted(&a.name),
                        quoted(&b.name),
                        quoted(p)
                    ));
                }
            }
        }
        if problems.is_empty() {
            Ok(Runbooks { templates })
        } else {
            Err(problems)
        }
    }

    /// All runbooks, in the order given.
    pub fn all(&self) -> &[TaskTemplate] {
        &self.templates
    }

    /// The runbook of `name`.
    pub fn named(&self, name: &str) -> Option<&TaskTemplate> {
        self.templates.iter().find(|t| t.name == name)
    }

    /// The runbook for an incident classified `classification`: the most specific match.
    pub fn for_classification(&self, classification: &str) -> Option<&TaskTemplate> {
        self.templates
            .iter()
            .filter_map(|t| {
                let best = t
                    .classifications
                    .iter()
                    .filter_map(|p| specificity(p, classification))
                    .max()?;
                Some((best, t))
            })
            .max_by_key(|(best, _)| *best)
            .map(|(_, t)| t)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn template(name: &str, patterns: &[&str]) -> TaskTemplate {
        TaskTemplate {
            name: name.into(),
            version: 1,
            title: String::new(),
            classifications: patterns.iter().map(|p| p.to_string()).collect(),
            tasks: vec![TemplateTask {
                title: format!("{name} task"),
                description: String::new(),
                phase: Some(Phase::Containment),
                mandatory: true,
                due: Some("4h".into()),
            }],
        }
    }

    #[test]
    fn the_most_specific_runbook_wins() {
        let books = Runbooks::new(vec![
            template("any", &["*"]),
            template("malware", &["malicious-code:*"]),
            template("ransomware", &["malicious-code:infected-system"]),
        ])
        .unwrap();
        let pick = |c: &str| books.for_classification(c).map(|t| t.name.as_str());
        assert_eq!(pick("malicious-code:infected-system"), Some("ransomware"));
        assert_eq!(pick("malicious-code:malware-distribution"), Some("malware"));
        assert_eq!(pick("fraud:phishing"), Some("any"));
        let no_default = Runbooks::new(vec![template("malware", &["malicious-code:*"])]).unwrap();
        assert_eq!(no_default.for_classification("fraud:phishing"), None);
    }

    #[test]
    fn bad_runbooks_are_refused_with_every_problem() {
        let mut bad = template("bad name!", &["nonsense:*", "fraud:nope"]);
        bad.tasks[0].due = Some("soon".into());
        bad.tasks.push(TemplateTask {
            title: " ".into(),
            description: String::new(),
            phase: None,
            mandatory: false,
            due: Some("-1h".into()),
        });
        let problems = Runbooks::new(vec![bad]).unwrap_err();
        assert_eq!(problems.len(), 6, "{problems:#?}");
        assert!(
            problems
                .iter()
                .any(|p| p.contains("\"nonsense\" is not an RSIT category"))
        );
        assert!(problems.iter().any(|p| p.contains("task 1: due \"soon\"")));
        assert!(
            problems
                .iter()
                .any(|p| p.contains("task 2: due \"-1h\" must be positive"))
        );
        let twice = Runbooks::new(vec![template("a", &["fraud:*"]), template("b", &["fraud:*"])]).unwrap_err();
        assert!(twice[0].contains("both claim \"fraud:*\""), "{twice:?}");
    }

    #[test]
    fn a_plan_carries_the_tag_and_due_times() {
        let t = template("malware", &["malicious-code:*"]);
        let created: Timestamp = "2026-12-07T10:00:00Z".parse().unwrap();
        let plan = t.plan(created);
        assert_eq!(plan.len(), 1);
        assert_eq!(plan[0].template.as_deref(), Some("malware@1"));
        assert_eq!(plan[0].due, Some("2026-12-07T14:00:00Z".parse().unwrap()));
        assert!(plan[0].mandatory);
        assert_eq!(parse_due("2d").unwrap(), SignedDuration::from_hours(48));
        assert_eq!(parse_due("1h 30m").unwrap(), SignedDuration::from_mins(90));
    }
}
