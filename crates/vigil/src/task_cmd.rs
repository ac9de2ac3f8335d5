//! `vigil incidents task`: an incident's checklist (its runbook's tasks and those added by hand),
//! changing a task, and the task queue across incidents.

use std::process::ExitCode;

use anyhow::{Context, bail};
use jiff::Timestamp;
use vigil_api_types::tasks::{NewTask, Task, TaskList, TaskPage, TaskPatch, TaskStatus};

use crate::{
    arg_values::parse_expiry,
    cli_tasks::{TaskAction, TaskArgs, TaskRefArgs},
    client::{Client, encode},
    remote_cmd::{print_json, runtime, short},
    term_safe::{Esc, SafeTable, errln, outln},
};

fn tasks_path(incident: &str) -> String {
    format!("/api/v1/incidents/{}/tasks", encode(incident))
}

pub fn run(args: TaskArgs) -> anyhow::Result<ExitCode> {
    let Some(incident) = args.incident.clone() else {
        if args.action.is_some() {
            bail!("name the incident: vigil incidents task INCIDENT add|start|done|skip|reopen|assign …");
        }
        return queue(&args);
    };
    if args.mine || args.assignee.is_some() || args.overdue {
        bail!("--mine, --assignee and --overdue filter the queue across incidents: leave out INCIDENT");
    }
    let json = args.json;
    runtime()?.block_on(async move {
        let mut client = args.server.client()?;
        match args.action {
            None => {
                let list: TaskList = client.get(&tasks_path(&incident)).await?;
                if json {
                    return print_json(&list);
                }
                print_checklist(&list.tasks)
            }
            Some(TaskAction::Add(a)) => {
                let due = a
                    .due
                    .as_deref()
                    .map(|d| parse_expiry(d, Timestamp::now()))
                    .transpose()?;
                let body = NewTask {
                    title: a.title,
                    description: a.description,
                    phase: a.phase,
                    mandatory: a.mandatory,
                    assignee: a.assignee,
                    due,
                };
                let task: Task = client.post(&tasks_path(&incident), &body).await?;
                done_with(&task, json, "added")
            }
            Some(TaskAction::Start(r)) => change(&mut client, &incident, &r, TaskStatus::InProgress, json).await,
            Some(TaskAction::Done(r)) => change(&mut client, &incident, &r, TaskStatus::Done, json).await,
            Some(TaskAction::Skip(r)) => change(&mut client, &incident, &r, TaskStatus::Skipped, json).await,
            Some(TaskAction::Reopen(r)) => change(&mut client, &incident, &r, TaskStatus::Open, json).await,
            Some(TaskAction::Assign(a)) => {
                let id = resolve(&mut client, &incident, &a.task).await?;
                let user = (a.user != "-").then_some(a.user);
                let patch = TaskPatch {
                    assignee: Some(user),
                    ..TaskPatch::default()
                };
                let task: Task = client
                    .patch(&format!("{}/{}", tasks_path(&incident), encode(&id)), &patch)
                    .await?;
                done_with(&task, json, "changed")
            }
        }
    })
}

/// The id of `reference`: a number in the incident's list, or an id as given.
async fn resolve(client: &mut Client, incident: &str, reference: &str) -> anyhow::Result<String> {
    let Ok(n) = reference.parse::<usize>() else {
        return Ok(reference.to_owned());
    };
    let list: TaskList = client.get(&tasks_path(incident)).await?;
    let count = list.tasks.len();
    list.tasks
        .into_iter()
        .nth(n.wrapping_sub(1))
        .map(|t| t.id)
        .with_context(|| format!("the incident has {count} tasks: give a number from 1 to {count}, or a task id"))
}

async fn change(
    client: &mut Client,
    incident: &str,
    r: &TaskRefArgs,
    status: TaskStatus,
    json: bool,
) -> anyhow::Result<ExitCode> {
    let id = resolve(client, incident, &r.task).await?;
    let patch = TaskPatch {
        status: Some(status),
        comment: r.comment.clone(),
        ..TaskPatch::default()
    };
    let task: Task = client
        .patch(&format!("{}/{}", tasks_path(incident), encode(&id)), &patch)
        .await?;
    done_with(&task, json, "changed")
}

fn done_with(task: &Task, json: bool, what: &str) -> anyhow::Result<ExitCode> {
    if json {
        return print_json(task);
    }
    errln!("{what} task {}: {} ({})", Esc(&task.id), Esc(&task.title), task.status);
    outln!("{}", Esc(&task.id))?;
    Ok(ExitCode::SUCCESS)
}

/// `2026-12-07 14:00`, and `overdue` after it when pending past it.
fn due_cell(t: &Task) -> String {
    match t.due {
        None => String::new(),
        Some(d) if t.overdue => format!("{} OVERDUE", d.strftime("%Y-%m-%d %H:%M")),
        Some(d) => d.strftime("%Y-%m-%d %H:%M").to_string(),
    }
}

fn print_checklist(tasks: &[Task]) -> anyhow::Result<ExitCode> {
    if tasks.is_empty() {
        errln!("the incident has no tasks (its classification has no runbook); add one with `add`");
        return Ok(ExitCode::SUCCESS);
    }
    let mut t = SafeTable::new(&["#", "status", "!", "phase", "task", "assignee", "due (UTC)"]);
    for (n, task) in tasks.iter().enumerate() {
        t.add_row(vec![
            (n + 1).to_string(),
            task.status.to_string(),
            if task.mandatory { "!".into() } else { String::new() },
            task.phase.map(|p| p.to_string()).unwrap_or_default(),
            short(&task.title, 70),
            task.assignee.clone().unwrap_or_default(),
            due_cell(task),
        ]);
    }
    outln!("{t}")?;
    let pending = tasks.iter().filter(|t| t.status.is_pending()).count();
    let blocking = tasks.iter().filter(|t| t.mandatory && t.status.is_pending()).count();
    let runbooks: std::collections::BTreeSet<&str> = tasks.iter().filter_map(|t| t.template.as_deref()).collect();
    let runbooks: Vec<&str> = runbooks.into_iter().collect();
    errln!(
        "{} tasks, {pending} pending, {blocking} mandatory pending (! = mandatory: the incident cannot close until done or skipped){}",
        tasks.len(),
        if runbooks.is_empty() {
            String::new()
        } else {
            format!("; runbook {}", Esc(&runbooks.join(", ")))
        }
    );
    Ok(ExitCode::SUCCESS)
}

fn queue(args: &TaskArgs) -> anyhow::Result<ExitCode> {
    let mut path = "/api/v1/tasks?limit=500".to_string();
    if args.mine {
        path.push_str("&assignee=me");
    }
    if let Some(a) = &args.assignee {
        path.push_str(&format!("&assignee={}", encode(a)));
    }
    if args.overdue {
        path.push_str("&overdue=true");
    }
    let page: TaskPage = runtime()?.block_on(async {
        let mut client = args.server.client()?;
        client.get(&path).await
    })?;
    if args.json {
        return print_json(&page);
    }
    if !page.tasks.is_empty() {
        let mut t = SafeTable::new(&["incident", "status", "!", "task", "assignee", "due (UTC)"]);
        for task in &page.tasks {
            t.add_row(vec![
                task.incident_id.clone(),
                task.status.to_string(),
                if task.mandatory { "!".into() } else { String::new() },
                short(&task.title, 60),
                task.assignee.clone().unwrap_or_default(),
                due_cell(task),
            ]);
        }
        outln!("{t}")?;
    }
    errln!("{} tasks match, {} shown", page.total, page.tasks.len());
    Ok(ExitCode::SUCCESS)
}
