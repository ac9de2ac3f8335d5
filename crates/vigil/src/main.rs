//! `vigil`: the command-line binary. Argument parsing and wiring only; the work is in the crates.
//!
//! Nothing is printed with `println!`/`eprintln!`: every line goes through `term_safe` (`outln!`,
//! `errln!`, `SafeTable`, `SafeCsv`, `term_safe::json`), so text from logs cannot drive the
//! analyst's terminal.
#![deny(clippy::print_stdout, clippy::print_stderr)]

mod apikey_cmd;
mod arg_values;
mod attach_cmd;
mod audit_cmd;
mod cli;
mod cli_admin;
mod cli_attach;
mod cli_coverage;
mod cli_measure;
mod cli_observables;
mod cli_report;
mod cli_respond;
mod cli_rules;
mod cli_sources;
mod cli_suppress;
mod cli_tasks;
mod cli_validate;
mod client;
mod coverage_cmd;
mod handover_cmd;
mod hunt;
mod incident_cmd;
mod incident_view;
mod ingest_cmd;
mod kpi_cmd;
mod observable_cmd;
mod progress;
mod remote_cmd;
mod report_cmd;
mod rule_exceptions;
mod rules_cmd;
mod serve_cmd;
mod sources_cmd;
mod suppress_cmd;
mod task_cmd;
mod term_safe;
mod triage_cmd;
mod user_cmd;
mod validate_cmd;
mod validate_plan;

use std::{io::IsTerminal, process::ExitCode};

use clap::Parser;

use crate::{
    cli::{Cli, Command, RulesCommand},
    term_safe::errln,
};

/// jemalloc instead of glibc malloc: with glibc, the server's per-thread arenas kept about twice
/// the memory (654 against 317 MiB peak anonymous over a 10M-event fill) and every stage ran
/// slower (docs/PERFORMANCE.md, "The allocator").
#[cfg(unix)]
#[global_allocator]
static ALLOCATOR: tikv_jemallocator::Jemalloc = tikv_jemallocator::Jemalloc;

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => return usage_error(&e),
    };
    let serving = matches!(cli.command, Command::Serve(_));
    let filter = match cli.verbose {
        0 if serving => "info",
        0 => "warn",
        1 => "info",
        _ => "debug",
    };
    tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::try_from_env("VIGIL_LOG").unwrap_or_else(|_| filter.into()))
        .with_writer(std::io::stderr)
        .with_ansi(log_colours(
            std::io::stderr().is_terminal(),
            std::env::var_os("NO_COLOR").as_deref(),
        ))
        .init();
    serve_cmd::set_state_url(cli.state_url.clone());
    let result = match cli.command {
        Command::Hunt(args) => hunt::run(*args),
        Command::Rules {
            command: RulesCommand::Lint(args),
        } => rules_cmd::lint(args),
        Command::Rules {
            command: RulesCommand::Test(args),
        } => rules_cmd::test(args),
        Command::Serve(args) => serve_cmd::serve(args),
        Command::Config { command } => serve_cmd::config_cmd(command),
        Command::Apikey { command } => apikey_cmd::run(command),
        Command::User { command } => user_cmd::run_user(command),
        Command::Admin { command } => user_cmd::run_admin(command),
        Command::Token { command } => serve_cmd::token(command),
        Command::Ingest(args) => ingest_cmd::run(args),
        Command::Search(args) => remote_cmd::search(args),
        Command::Alerts(mut args) => match args.command.take() {
            Some(command) => triage_cmd::run(command),
            None => remote_cmd::alerts(*args),
        },
        Command::Incidents { command } => incident_cmd::run(command),
        Command::Suppressions { command } => suppress_cmd::run(command),
        Command::DeadLetters(args) => remote_cmd::dead_letters(args),
        Command::Oncall(args) => remote_cmd::oncall(args),
        Command::Kpi(args) => kpi_cmd::run(args),
        Command::Sources(args) => sources_cmd::run(args),
        Command::Handover(args) => handover_cmd::run(args),
        Command::Validate(args) => validate_cmd::run(*args),
        Command::Report(args) => report_cmd::run(args),
        Command::Coverage(args) => coverage_cmd::run(args),
        Command::Audit { command } => audit_cmd::run(command),
    };
    match result {
        Ok(code) => code,
        // The reader went away (`vigil hunt … | head`): stop quietly, as Unix tools do.
        Err(e) if is_broken_pipe(&e) => ExitCode::SUCCESS,
        Err(e) => {
            errln!("error: {e:#}");
            ExitCode::from(2)
        }
    }
}

/// Colours in log lines only on a terminal, and never when `NO_COLOR` is set to a non-empty value
/// (https://no-color.org): a log written to a file or a pipe carries no escape sequences.
fn log_colours(stderr_is_terminal: bool, no_color: Option<&std::ffi::OsStr>) -> bool {
    stderr_is_terminal && no_color.is_none_or(|v| v.is_empty())
}

/// A command line clap rejects: its message echoes what was typed (perhaps pasted from a log), so
/// it is printed plain and escaped. Help and version go out as clap writes them.
fn usage_error(e: &clap::Error) -> ExitCode {
    use clap::error::ErrorKind;
    if matches!(
        e.kind(),
        ErrorKind::DisplayHelp | ErrorKind::DisplayVersion | ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand
    ) {
        let _ = e.print();
        return ExitCode::from(u8::try_from(e.exit_code()).unwrap_or(2));
    }
    errln!("{}", e.render().to_string().trim_end());
    ExitCode::from(2)
}

fn is_broken_pipe(e: &anyhow::Error) -> bool {
    e.chain().any(|cause| {
        cause
            .downcast_ref::<std::io::Error>()
            .is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe)
            || cause.downcast_ref::<csv::Error>().is_some_and(
                |c| matches!(c.kind(), csv::ErrorKind::Io(io) if io.kind() == std::io::ErrorKind::BrokenPipe),
            )
            || cause
                .downcast_ref::<serde_json::Error>()
                .is_some_and(|j| j.io_error_kind() == Some(std::io::ErrorKind::BrokenPipe))
    })
}

#[cfg(test)]
mod tests {
    use std::ffi::OsStr;

    use super::log_colours;

    #[test]
    fn log_colours_only_on_a_terminal_and_never_with_no_color() {
        assert!(log_colours(true, None));
        assert!(log_colours(true, Some(OsStr::new(""))), "an empty NO_COLOR is unset");
        assert!(!log_colours(true, Some(OsStr::new("1"))));
        assert!(!log_colours(false, None), "a file or a pipe gets no colours");
        assert!(!log_colours(false, Some(OsStr::new("1"))));
    }
}
