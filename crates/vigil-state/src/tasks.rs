//! Incident tasks: the runbook's checklist an incident starts with (see
//! `vigil_respond::TaskTemplate`) and tasks added by hand. Each change writes its timeline entry and
//! audit entry in the same transaction; an incident cannot close while a mandatory task is pending
//! ([`pending_mandatory`], checked by `update_incident`).

use crate::db::{DbRow, on_db};
use crate::respond_tx::{Actor, NewTimeline, RespondTx};
use crate::tokens::random;
use crate::{State, StateError, time};
use jiff::Timestamp;
use serde_json::{Map, Value, json};
use sqlx::{AssertSqlSafe, QueryBuilder};
use vigil_api_types::tasks::{MAX_TASKS_PER_INCIDENT, NewTask, Task, TaskPage, TaskPatch};
use vigil_respond::{Phase, PlannedTask, TaskStatus};

const TASK_COLUMNS: &str = "id, incident_id, position, title, description, phase, status, mandatory, assignee, due, \
    template, created, created_by, updated, updated_by, completed, completed_by";

/// The tasks of an incident in order (`$1` tenant, `$2` incident).
pub(crate) const TASKS_OF_INCIDENT: &str = "SELECT id, incident_id, position, title, description, phase, status, \
    mandatory, assignee, due, template, created, created_by, updated, updated_by, completed, completed_by \
    FROM incident_tasks WHERE tenant = $1 AND incident_id = $2 ORDER BY position";

/// Most tasks [`State::list_tasks`] returns.
pub const MAX_TASK_PAGE: u32 = 500;

/// Filters of [`State::list_tasks`]: a tenant's tasks across its open incidents.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TaskQuery {
    /// Only this assignee's.
    pub assignee: Option<String>,
    /// Only these statuses (all pending ones when empty).
    pub status: Vec<TaskStatus>,
    /// Only tasks due before this instant (pending ones: the overdue when it is now).
    pub due_before: Option<Timestamp>,
    /// Only mandatory tasks.
    pub mandatory: bool,
    /// Page size (default 100, at most [`MAX_TASK_PAGE`]).
    pub limit: Option<u32>,
}

fn corrupt(what: &str, value: impl std::fmt::Debug) -> StateError {
    StateError::Corrupt(format!("task {what} {value:?}"))
}

pub(crate) fn task_from_row(row: &impl DbRow, now: Timestamp) -> Result<Task, StateError> {
    let status = row.text("status")?;
    let status = TaskStatus::parse(&status).ok_or_else(|| corrupt("status", &status))?;
    let phase = row
        .opt_text("phase")?
        .map(|p| Phase::parse(&p).ok_or_else(|| corrupt("phase", &p)))
        .transpose()?;
    let due = row.opt_instant("due")?;
    Ok(Task {
        id: row.text("id")?,
        incident_id: row.text("incident_id")?,
        position: row.int("position")?,
        title: row.text("title")?,
        description: row.text("description")?,
        phase,
        status,
        mandatory: row.int("mandatory")? != 0,
        assignee: row.opt_text("assignee")?,
        due,
        overdue: status.is_pending() && due.is_some_and(|d| d < now),
        template: row.opt_text("template")?,
        created: row.instant("created")?,
        created_by: row.text("created_by")?,
        updated: row.instant("updated")?,
        updated_by: row.text("updated_by")?,
        completed: row.opt_instant("completed")?,
        completed_by: row.opt_text("completed_by")?,
    })
}

fn new_task_id() -> Result<String, StateError> {
    Ok(format!("task-{}", hex::encode(random::<8>()?)))
}

/// A task added by hand, as planned.
pub fn planned_from(new: &NewTask) -> PlannedTask {
    PlannedTask {
        title: new.title.trim().to_owned(),
        description: new.description.clone().unwrap_or_default(),
        phase: new.phase,
        mandatory: new.mandatory,
        assignee: new.assignee.clone(),
        due: new.due,
        template: None,
    }
}

/// The timeline entry for tasks added at once: one line per task, or the runbook's name.
pub(crate) fn added_entry(tasks: &[(String, PlannedTask)]) -> Option<NewTimeline> {
    let (first_id, first) = tasks.first()?;
    let detail = json!({
        "tasks": tasks.iter().map(|(id, t)| json!({
            "id": id, "title": t.title, "mandatory": t.mandatory, "due": t.due.map(|d| d.to_string()),
        })).collect::<Vec<_>>(),
        "template": first.template,
    });
    let text = match &first.template {
        Some(tag) => format!("runbook {tag} applied: {} tasks", tasks.len()),
        None if tasks.len() == 1 => format!("task added: {}", first.title),
        None => format!("{} tasks added", tasks.len()),
    };
    let _ = first_id;
    Some(NewTimeline::new("task", text).with_detail(detail))
}

/// Inserts `$planned` (`&[(id, PlannedTask)]`) as tasks of `$incident`, positioned after its
/// last, inside the write transaction `$tx`. Runs inside an `on_db!` body, so once per backend.
macro_rules! insert_tasks {
    ($tx:expr, $tenant:expr, $incident:expr, $planned:expr, $actor:expr, $at:expr) => {{
        let planned: &[(String, PlannedTask)] = $planned;
        let (count, last): (i64, Option<i64>) =
            sqlx::query_as("SELECT COUNT(*), MAX(position) FROM incident_tasks WHERE tenant = $1 AND incident_id = $2")
                .bind($tenant)
                .bind($incident)
                .fetch_one(&mut *$tx)
                .await?;
        if usize::try_from(count)
            .unwrap_or(usize::MAX)
            .saturating_add(planned.len())
            > MAX_TASKS_PER_INCIDENT
        {
            return Err(StateError::Conflict(format!(
                "an incident holds at most {MAX_TASKS_PER_INCIDENT} tasks; it has {count}"
            )));
        }
        if !planned.is_empty() {
            let at_db = time::to_db($at);
            let start = last.map_or(1, |l| l + 1);
            let mut qb = sqlx::QueryBuilder::new(
                "INSERT INTO incident_tasks (id, tenant, incident_id, position, title, description, phase, status, \
                 mandatory, assignee, due, template, created, created_by, updated, updated_by) ",
            );
            qb.push_values(planned.iter().enumerate(), |mut row, (i, (id, t))| {
                row.push_bind(id.clone())
                    .push_bind($tenant.to_owned())
                    .push_bind($incident.to_owned())
                    .push_bind(start + i as i64)
                    .push_bind(t.title.clone())
                    .push_bind(t.description.clone())
                    .push_bind(t.phase.map(|p| p.as_str()))
                    .push_bind("open")
                    .push_bind(i64::from(t.mandatory))
                    .push_bind(t.assignee.clone())
                    .push_bind(time::opt_to_db(t.due))
                    .push_bind(t.template.clone())
                    .push_bind(at_db)
                    .push_bind($actor.to_owned())
                    .push_bind(at_db)
                    .push_bind($actor.to_owned());
            });
            qb.build().execute(&mut *$tx).await?;
        }
    }};
}
pub(crate) use insert_tasks;

/// Gives each planned task a fresh id.
pub(crate) fn with_ids(planned: &[PlannedTask]) -> Result<Vec<(String, PlannedTask)>, StateError> {
    planned.iter().map(|t| Ok((new_task_id()?, t.clone()))).collect()
}

/// What a task patch changes: columns, the timeline text and the audit detail.
struct TaskChange {
    sets: Vec<(&'static str, Value)>,
    words: Vec<String>,
    audit: Map<String, Value>,
}

fn derive(cur: &Task, patch: &TaskPatch, actor: &str, at: Timestamp) -> Result<TaskChange, StateError> {
    let mut c = TaskChange {
        sets: Vec::new(),
        words: Vec::new(),
        audit: Map::new(),
    };
    if let Some(to) = patch.status.filter(|&s| s != cur.status) {
        if to == TaskStatus::Skipped && cur.mandatory && patch.comment.is_none() {
            return Err(StateError::InvalidInput(
                "comment: skipping a mandatory task needs a reason".into(),
            ));
        }
        c.sets.push(("status", json!(to.as_str())));
        if to.is_pending() {
            c.sets.push(("completed", Value::Null));
            c.sets.push(("completed_by", Value::Null));
        } else {
            c.sets.push(("completed", json!(time::to_db(at))));
            c.sets.push(("completed_by", json!(actor)));
        }
        c.words.push(to.as_str().replace('_', " "));
        c.audit.insert("status".into(), json!(to.as_str()));
    }
    if let Some(t) = patch.title.as_deref().map(str::trim).filter(|t| *t != cur.title) {
        c.sets.push(("title", json!(t)));
        c.words.push("renamed".into());
        c.audit.insert("title".into(), json!(t));
    }
    if let Some(d) = patch.description.as_ref().filter(|d| **d != cur.description) {
        c.sets.push(("description", json!(d)));
        c.words.push("description changed".into());
        c.audit
            .insert("description".into(), json!(format!("{} characters", d.chars().count())));
    }
    if let Some(a) = patch.assignee.as_ref().filter(|a| **a != cur.assignee) {
        c.sets.push(("assignee", json!(a)));
        c.words
            .push(a.as_ref().map_or("unassigned".into(), |a| format!("assigned to {a}")));
        c.audit.insert("assignee".into(), json!(a));
    }
    if let Some(d) = patch.due.filter(|d| *d != cur.due) {
        c.sets.push(("due", json!(time::opt_to_db(d))));
        c.words.push(d.map_or("no due time".into(), |d| format!("due {d}")));
        c.audit.insert("due".into(), json!(d.map(|d| d.to_string())));
    }
    if c.sets.is_empty() && patch.comment.is_none() {
        return Err(StateError::Conflict("the change leaves the task as it is".into()));
    }
    if let Some(comment) = &patch.comment {
        c.audit.insert(
            "comment".into(),
            json!(format!("{} characters", comment.chars().count())),
        );
    }
    Ok(c)
}

/// Binds a JSON scalar as column `$col`'s SQL value (a NULL typed as the column is:
/// PostgreSQL refuses a text NULL in an integer column).
macro_rules! push_value {
    ($qb:ident, $col:expr, $v:expr) => {
        match $v {
            Value::Null if matches!($col, "completed" | "due") => $qb.push_bind(None::<i64>),
            Value::Number(n) => $qb.push_bind(n.as_i64()),
            Value::String(s) => $qb.push_bind(Some(s.clone())),
            _ => $qb.push_bind(None::<String>),
        }
    };
}

impl State {
    /// The tasks of `tenant`'s incident `incident` in order (`None` when there is no incident).
    pub async fn incident_tasks(&self, tenant: &str, incident: &str) -> Result<Option<Vec<Task>>, StateError> {
        let now = Timestamp::now();
        on_db!(self, db => {
            let mut tx = db.read_tx().await?;
            let exists: Option<i64> = sqlx::query_scalar("SELECT seq FROM incidents WHERE id = $1 AND tenant = $2")
                .bind(incident)
                .bind(tenant)
                .fetch_optional(&mut *tx)
                .await?;
            if exists.is_none() {
                return Ok(None);
            }
            let rows = sqlx::query(TASKS_OF_INCIDENT).bind(tenant).bind(incident).fetch_all(&mut *tx).await?;
            tx.commit().await?;
            rows.iter().map(|r| task_from_row(r, now)).collect::<Result<Vec<_>, _>>().map(Some)
        })
    }

    /// Adds `planned` to `tenant`'s open incident `incident` (`None` when there is none), with one
    /// timeline entry and `who.audit`; the tasks added, in order.
    pub async fn add_tasks(
        &self,
        tenant: &str,
        incident: &str,
        planned: &[PlannedTask],
        who: &Actor,
    ) -> Result<Option<Vec<Task>>, StateError> {
        let at = who.at();
        let planned = with_ids(planned)?;
        on_db!(self, db => {
            let mut tx = db.write_tx().await?;
            tx.lock_incident(incident).await?;
            let status: Option<String> = sqlx::query_scalar("SELECT status FROM incidents WHERE id = $1 AND tenant = $2")
                .bind(incident)
                .bind(tenant)
                .fetch_optional(&mut *tx)
                .await?;
            match status.as_deref() {
                None => return Ok(None),
                Some("closed") => return Err(StateError::Conflict("the incident is closed; reopen it first".into())),
                Some(_) => {}
            }
            insert_tasks!(tx, tenant, incident, &planned, &who.id, at);
            tx.add_timeline(tenant, incident, &who.id, at, added_entry(&planned).as_slice()).await?;
            let audit = who.audit.clone().with_target(format!("incident:{incident}")).with_at(at).with_detail(json!({
                "tasks": planned.iter().map(|(id, t)| json!({"id": id, "title": t.title})).collect::<Vec<_>>(),
                "template": planned.first().and_then(|(_, t)| t.template.clone()),
            }));
            tx.audit(audit).await?;
            tx.commit().await?;
        });
        let ids: Vec<&String> = planned.iter().map(|(id, _)| id).collect();
        let all = self.incident_tasks(tenant, incident).await?.unwrap_or_default();
        Ok(Some(all.into_iter().filter(|t| ids.contains(&&t.id)).collect()))
    }

    /// Applies `patch` to task `task` of `tenant`'s incident `incident` (`None` when either is
    /// missing): status (a mandatory task is skipped only with a comment; done and skipped keep who
    /// and when), title, description, assignee, due. One timeline entry, `who.audit`.
    pub async fn update_task(
        &self,
        tenant: &str,
        incident: &str,
        task: &str,
        patch: &TaskPatch,
        who: &Actor,
    ) -> Result<Option<Task>, StateError> {
        patch.check().map_err(StateError::InvalidInput)?;
        let at = who.at();
        let sql =
            format!("SELECT {TASK_COLUMNS} FROM incident_tasks WHERE id = $1 AND incident_id = $2 AND tenant = $3");
        on_db!(self, db => {
            let mut tx = db.write_tx().await?;
            tx.lock_incident(incident).await?;
            let status: Option<String> = sqlx::query_scalar("SELECT status FROM incidents WHERE id = $1 AND tenant = $2")
                .bind(incident)
                .bind(tenant)
                .fetch_optional(&mut *tx)
                .await?;
            if status.as_deref() == Some("closed") {
                return Err(StateError::Conflict("the incident is closed; reopen it first".into()));
            }
            let row = sqlx::query(AssertSqlSafe(sql.clone())).bind(task).bind(incident).bind(tenant).fetch_optional(&mut *tx).await?;
            let Some(cur) = row.as_ref().map(|r| task_from_row(r, at)).transpose()? else {
                return Ok(None);
            };
            let change = derive(&cur, patch, &who.id, at)?;
            let mut qb = QueryBuilder::new("UPDATE incident_tasks SET updated = ");
            qb.push_bind(time::to_db(at)).push(", updated_by = ").push_bind(who.id.clone());
            for (col, value) in &change.sets {
                qb.push(format!(", {col} = "));
                push_value!(qb, *col, value);
            }
            qb.push(" WHERE id = ").push_bind(task.to_owned());
            qb.build().execute(&mut *tx).await?;
            let mut text = format!("task {}: {}", cur.title, change.words.join(", "));
            if change.words.is_empty() {
                text = format!("task {}: comment", cur.title);
            }
            if let Some(comment) = &patch.comment {
                text.push_str(&format!(" — {comment}"));
            }
            let mut detail = change.audit.clone();
            detail.insert("task_id".into(), json!(task));
            let entry = NewTimeline::new("task", text).with_detail(Value::Object(detail.clone()));
            tx.add_timeline(tenant, incident, &who.id, at, &[entry]).await?;
            let audit = who.audit.clone().with_target(format!("incident:{incident}")).with_at(at).with_detail(Value::Object(detail));
            tx.audit(audit).await?;
            let row = sqlx::query(AssertSqlSafe(sql)).bind(task).bind(incident).bind(tenant).fetch_one(&mut *tx).await?;
            let updated = task_from_row(&row, Timestamp::now())?;
            tx.commit().await?;
            Ok(Some(updated))
        })
    }

    /// `tenant`'s tasks across incidents that are not closed, matching `q`: those with a due time
    /// first (soonest first), then by incident and position; with the total.
    pub async fn list_tasks(&self, tenant: &str, q: &TaskQuery) -> Result<TaskPage, StateError> {
        let now = Timestamp::now();
        let limit = i64::from(q.limit.unwrap_or(100).clamp(1, MAX_TASK_PAGE));
        let statuses: Vec<&str> = if q.status.is_empty() {
            vec!["open", "in_progress"]
        } else {
            q.status.iter().map(|s| s.as_str()).collect()
        };
        on_db!(self, db => {
            let build = |select: &str| {
                let mut qb = QueryBuilder::new(format!(
                    "SELECT {select} FROM incident_tasks t JOIN incidents i ON i.id = t.incident_id \
                     AND i.tenant = t.tenant WHERE i.status <> 'closed' AND t.tenant = "
                ));
                qb.push_bind(tenant.to_owned()).push(" AND t.status IN (");
                let mut list = qb.separated(", ");
                for s in &statuses {
                    list.push_bind(s.to_string());
                }
                qb.push(")");
                if let Some(a) = &q.assignee {
                    qb.push(" AND t.assignee = ").push_bind(a.clone());
                }
                if let Some(d) = q.due_before {
                    qb.push(" AND t.due < ").push_bind(time::to_db(d));
                }
                if q.mandatory {
                    qb.push(" AND t.mandatory = 1");
                }
                qb
            };
            let mut tx = db.read_tx().await?;
            let total: i64 = build("COUNT(*)").build_query_scalar().fetch_one(&mut *tx).await?;
            let cols: Vec<String> = TASK_COLUMNS.split(", ").map(|c| format!("t.{c}")).collect();
            let mut page = build(&cols.join(", "));
            page.push(" ORDER BY CASE WHEN t.due IS NULL THEN 1 ELSE 0 END, t.due, t.incident_id, t.position LIMIT ")
                .push_bind(limit);
            let rows = page.build().fetch_all(&mut *tx).await?;
            tx.commit().await?;
            let tasks = rows.iter().map(|r| task_from_row(r, now)).collect::<Result<Vec<_>, _>>()?;
            Ok(TaskPage { tasks, total: u64::try_from(total).unwrap_or(0) })
        })
    }
}

/// Titles of the pending mandatory tasks of `incident`, inside a write transaction (closing is
/// refused while there are any).
macro_rules! pending_mandatory {
    ($tx:expr, $tenant:expr, $incident:expr) => {{
        let titles: Vec<String> = sqlx::query_scalar(
            "SELECT title FROM incident_tasks WHERE tenant = $1 AND incident_id = $2 AND mandatory = 1 \
             AND status IN ('open', 'in_progress') ORDER BY position",
        )
        .bind($tenant)
        .bind($incident)
        .fetch_all(&mut *$tx)
        .await?;
        titles
    }};
}
pub(crate) use pending_mandatory;
