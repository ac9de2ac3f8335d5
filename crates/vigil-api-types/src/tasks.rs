//! Incident tasks (`/api/v1/incidents/{id}/tasks`, `/api/v1/tasks`) and the runbooks they come
//! from (`/api/v1/runbooks`).

use jiff::Timestamp;
use serde::{Deserialize, Deserializer, Serialize};
use utoipa::ToSchema;
pub use vigil_respond::{Phase, TaskStatus};

use crate::incidents::MAX_LONG_TEXT_CHARS;
use crate::triage::{MAX_ASSIGNEE_CHARS, MAX_COMMENT_CHARS, check_text};

/// Longest task title, in characters.
pub const MAX_TASK_TITLE_CHARS: usize = vigil_respond::MAX_TASK_TITLE;
/// Most tasks one incident holds.
pub const MAX_TASKS_PER_INCIDENT: usize = 500;

/// One task of an incident.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Task {
    pub id: String,
    pub incident_id: String,
    /// Order within the incident.
    pub position: i64,
    pub title: String,
    /// Markdown.
    pub description: String,
    /// NIST SP 800-61 phase.
    pub phase: Option<Phase>,
    pub status: TaskStatus,
    /// The incident cannot close while a mandatory task is `open` or `in_progress`.
    pub mandatory: bool,
    pub assignee: Option<String>,
    pub due: Option<Timestamp>,
    /// `true` when pending past its due time.
    #[serde(default)]
    pub overdue: bool,
    /// `name@version` of the runbook it came from; `null` for a task added by hand.
    pub template: Option<String>,
    pub created: Timestamp,
    pub created_by: String,
    pub updated: Timestamp,
    pub updated_by: String,
    /// When and by whom it was done or skipped.
    pub completed: Option<Timestamp>,
    pub completed_by: Option<String>,
}

/// `POST /api/v1/incidents/{id}/tasks`: a task added by hand.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewTask {
    pub title: String,
    #[serde(default)]
    pub description: Option<String>,
    #[serde(default)]
    pub phase: Option<Phase>,
    #[serde(default)]
    pub mandatory: bool,
    #[serde(default)]
    pub assignee: Option<String>,
    #[serde(default)]
    pub due: Option<Timestamp>,
}

fn double_option<'de, D, T>(d: D) -> Result<Option<Option<T>>, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de>,
{
    Option::<T>::deserialize(d).map(Some)
}

/// `PATCH /api/v1/incidents/{id}/tasks/{task_id}`: fields left out stay; `assignee` and `due`
/// take `null` to clear. Skipping a mandatory task needs a `comment` saying why.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TaskPatch {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<TaskStatus>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none", deserialize_with = "double_option")]
    #[schema(value_type = Option<String>)]
    pub assignee: Option<Option<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none", deserialize_with = "double_option")]
    #[schema(value_type = Option<Timestamp>)]
    pub due: Option<Option<Timestamp>>,
    /// Goes on the incident's timeline with the change.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub comment: Option<String>,
}

/// The tasks of an incident, in order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct TaskList {
    pub tasks: Vec<Task>,
}

/// A page of tasks across incidents (`GET /api/v1/tasks`), due first.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct TaskPage {
    pub tasks: Vec<Task>,
    /// Tasks matching the filter (the page holds at most `limit`).
    pub total: u64,
}

/// One task of a runbook.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct RunbookTask {
    pub title: String,
    pub description: String,
    pub phase: Option<Phase>,
    pub mandatory: bool,
    /// Due this long after the incident's creation.
    pub due: Option<String>,
}

/// A runbook (task template) in force.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Runbook {
    pub name: String,
    pub version: u32,
    pub title: String,
    /// RSIT patterns: `category:type`, `category:*` or `*`.
    pub classifications: Vec<String>,
    pub tasks: Vec<RunbookTask>,
}

/// `GET /api/v1/runbooks`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct RunbookList {
    /// Where they were read from: `built-in` or the configured directory.
    pub source: String,
    pub runbooks: Vec<Runbook>,
}

impl From<&vigil_respond::TaskTemplate> for Runbook {
    fn from(t: &vigil_respond::TaskTemplate) -> Runbook {
        Runbook {
            name: t.name.clone(),
            version: t.version,
            title: t.title.clone(),
            classifications: t.classifications.clone(),
            tasks: t
                .tasks
                .iter()
                .map(|k| RunbookTask {
                    title: k.title.clone(),
                    description: k.description.clone(),
                    phase: k.phase,
                    mandatory: k.mandatory,
                    due: k.due.clone(),
                })
                .collect(),
        }
    }
}

fn check_assignee(assignee: Option<&str>) -> Result<(), String> {
    assignee.map_or(Ok(()), |a| check_text("assignee", a, MAX_ASSIGNEE_CHARS, false))
}

impl NewTask {
    /// Every field within its limits.
    pub fn check(&self) -> Result<(), String> {
        check_text("title", &self.title, MAX_TASK_TITLE_CHARS, false)?;
        if let Some(d) = &self.description {
            check_text("description", d, MAX_LONG_TEXT_CHARS, true)?;
        }
        check_assignee(self.assignee.as_deref())
    }
}

impl TaskPatch {
    /// Something to change, every field within its limits.
    pub fn check(&self) -> Result<(), String> {
        if *self == TaskPatch::default() {
            return Err("nothing to change: give status, title, description, assignee, due or comment".into());
        }
        if let Some(t) = &self.title {
            check_text("title", t, MAX_TASK_TITLE_CHARS, false)?;
        }
        if let Some(d) = &self.description {
            check_text("description", d, MAX_LONG_TEXT_CHARS, true)?;
        }
        if let Some(c) = &self.comment {
            check_text("comment", c, MAX_COMMENT_CHARS, true)?;
        }
        check_assignee(self.assignee.as_ref().and_then(|a| a.as_deref()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn patches_read_null_apart_from_absent() {
        let p: TaskPatch = serde_json::from_str(r#"{"assignee": null}"#).unwrap();
        assert_eq!(p.assignee, Some(None));
        let p: TaskPatch = serde_json::from_str(r#"{"status": "done"}"#).unwrap();
        assert_eq!((p.assignee, p.status), (None, Some(TaskStatus::Done)));
        assert!(serde_json::from_str::<TaskPatch>(r#"{"state": "done"}"#).is_err());
        assert!(TaskPatch::default().check().is_err());
        let blank = NewTask {
            title: "  ".into(),
            description: None,
            phase: None,
            mandatory: false,
            assignee: None,
            due: None,
        };
        assert!(blank.check().unwrap_err().contains("title"));
    }
}
