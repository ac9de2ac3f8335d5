//! The arguments of `vigil incidents task`: an incident's tasks, or the task queue across
//! incidents.

use clap::{Args, Subcommand};
use vigil_api_types::tasks::Phase;

use crate::cli::ServerArgs;

/// `vigil incidents task [INCIDENT] [ACTION]`.
#[derive(Debug, Args)]
#[command(after_help = "Examples:
  vigil incidents task                                  # pending tasks of every open incident, due first
  vigil incidents task --mine --overdue
  vigil incidents task inc-fc8c19a529759f6d             # the incident's checklist
  vigil incidents task inc-fc8c19a529759f6d add 'Call the ISP' --due 2h --assignee alice --mandatory
  vigil incidents task inc-fc8c19a529759f6d start 1     # a task by its number in the list, or its id
  vigil incidents task inc-fc8c19a529759f6d done 1 --comment 'host isolated by EDR'
  vigil incidents task inc-fc8c19a529759f6d skip 4 --comment 'memory lost on reboot'
  vigil incidents task inc-fc8c19a529759f6d assign 2 bob")]
pub struct TaskArgs {
    #[command(flatten)]
    pub server: ServerArgs,
    /// The incident; without it, the pending tasks of every incident that is not closed.
    #[arg(value_name = "INCIDENT")]
    pub incident: Option<String>,
    /// Without an incident: only your tasks.
    #[arg(long)]
    pub mine: bool,
    /// Without an incident: only this assignee's tasks.
    #[arg(long, value_name = "USER", conflicts_with = "mine")]
    pub assignee: Option<String>,
    /// Without an incident: only tasks past their due time.
    #[arg(long)]
    pub overdue: bool,
    /// Print JSON instead of a table.
    #[arg(long, global = true)]
    pub json: bool,
    #[command(subcommand)]
    pub action: Option<TaskAction>,
}

/// What to do with the incident's tasks (none: list them).
#[derive(Debug, Subcommand)]
pub enum TaskAction {
    /// Add a task by hand, after the others.
    #[command(after_help = "Examples:
  vigil incidents task inc-fc8c19a529759f6d add 'Call the ISP' --due 2h --assignee alice
  vigil incidents task inc-fc8c19a529759f6d add 'Notify the DPO' --mandatory --phase analysis --due 24h")]
    Add(TaskAddArgs),
    /// Mark a task in progress.
    #[command(after_help = "Examples:
  vigil incidents task inc-fc8c19a529759f6d start 1
  vigil incidents task inc-fc8c19a529759f6d start task-0f3a9c1d2b4e5f60")]
    Start(TaskRefArgs),
    /// Mark a task done.
    #[command(after_help = "Examples:
  vigil incidents task inc-fc8c19a529759f6d done 1 --comment 'host isolated by EDR'")]
    Done(TaskRefArgs),
    /// Skip a task (a mandatory task needs --comment saying why).
    #[command(after_help = "Examples:
  vigil incidents task inc-fc8c19a529759f6d skip 2 --comment 'memory lost on reboot'")]
    Skip(TaskRefArgs),
    /// Open a done or skipped task again.
    #[command(after_help = "Examples:
  vigil incidents task inc-fc8c19a529759f6d reopen 2 --comment 'the host was not reimaged after all'")]
    Reopen(TaskRefArgs),
    /// Give a task to someone (`-` takes it from its assignee).
    #[command(after_help = "Examples:
  vigil incidents task inc-fc8c19a529759f6d assign 3 bob
  vigil incidents task inc-fc8c19a529759f6d assign 3 -")]
    Assign(TaskAssignArgs),
}

#[derive(Debug, Args)]
pub struct TaskAddArgs {
    /// What to do, in a few words (at most 200 characters).
    #[arg(value_name = "TITLE")]
    pub title: String,
    /// How to do it (markdown).
    #[arg(long, value_name = "TEXT")]
    pub description: Option<String>,
    /// The NIST SP 800-61 phase: analysis, containment, eradication, recovery, post_incident.
    #[arg(long, value_name = "PHASE", value_parser = phase_parser)]
    pub phase: Option<Phase>,
    /// The incident cannot close while this task is pending.
    #[arg(long)]
    pub mandatory: bool,
    /// Who does it.
    #[arg(long, value_name = "USER")]
    pub assignee: Option<String>,
    /// When it is due: a duration from now (`2h`, `1d`) or an RFC 3339 instant.
    #[arg(long, value_name = "WHEN")]
    pub due: Option<String>,
}

#[derive(Debug, Args)]
pub struct TaskRefArgs {
    /// The task: its number in `vigil incidents task INCIDENT`, or its id (`task-…`).
    #[arg(value_name = "TASK")]
    pub task: String,
    /// Why, for the incident's timeline.
    #[arg(long, value_name = "TEXT")]
    pub comment: Option<String>,
}

#[derive(Debug, Args)]
pub struct TaskAssignArgs {
    /// The task: its number in the list, or its id.
    #[arg(value_name = "TASK")]
    pub task: String,
    /// The new assignee, or `-` for nobody.
    #[arg(value_name = "USER")]
    pub user: String,
}

fn phase_parser(text: &str) -> Result<Phase, String> {
    Phase::parse(text).ok_or_else(|| {
        let all: Vec<&str> = Phase::ALL.iter().map(|p| p.as_str()).collect();
        format!("the phases are: {}", all.join(", "))
    })
}
