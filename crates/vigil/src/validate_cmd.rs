//! `vigil validate`: reads a plan and its samples (a progress bar while reading), sends them to the
//! server (`POST /api/v1/validation/runs`), prints a table per test and per technique and the
//! detection rate; `vigil validate runs` (the history with its trend) and `vigil validate show ID`.
//!
//! Exit status: 0 when the run was made (whatever its outcomes), 1 with `--fail-under` when the
//! rate is below it, 2 on errors (a plan problem, a sample that cannot be read, the server's).

use std::process::ExitCode;

use anyhow::Context;
use vigil_api_types::validation::{NewValidationRun, ValidationRun, ValidationRunList, ValidationRunSummary};

use crate::{
    cli_validate::{ValidateArgs, ValidateCommand},
    client::encode,
    progress::bytes_bar,
    remote_cmd::{print_json, runtime, short, time},
    term_safe::{Esc, SafeTable, errln, outln},
    validate_plan,
};

/// The exit status of a run made with errors (bad plan or samples).
const ERROR: u8 = 2;

pub fn run(args: ValidateArgs) -> anyhow::Result<ExitCode> {
    match (&args.command, &args.plan) {
        (Some(_), Some(_)) => anyhow::bail!("give --plan or a subcommand (runs, show), not both"),
        (Some(ValidateCommand::Runs(a)), None) => runs(&args, a.limit),
        (Some(ValidateCommand::Show(a)), None) => show(&args, &a.id),
        (None, Some(plan)) => validate(&args, plan),
        (None, None) => anyhow::bail!("give --plan FILE|DIR, or `vigil validate runs` (see --help)"),
    }
}

fn validate(args: &ValidateArgs, path: &std::path::Path) -> anyhow::Result<ExitCode> {
    let plan = match validate_plan::read(path) {
        Ok(p) => p,
        Err(problems) => {
            for p in &problems {
                errln!("{}", Esc(&p.to_string()));
            }
            errln!("{} problem(s) in the plan: nothing was run", problems.len());
            return Ok(ExitCode::from(ERROR));
        }
    };
    let bar = bytes_bar(validate_plan::total_bytes(&plan), args.json);
    bar.set_message("reading samples");
    let mut tests = Vec::with_capacity(plan.tests.len());
    let mut errors = Vec::new();
    for t in &plan.tests {
        match validate_plan::to_request(t, &mut |n| bar.inc(n)) {
            Ok(req) => tests.push(req),
            Err(e) => errors.push(format!("test `{}`: {e}", t.id)),
        }
    }
    bar.finish_and_clear();
    if !errors.is_empty() {
        for e in &errors {
            errln!("{}", Esc(e));
        }
        errln!("{} sample problem(s): nothing was run", errors.len());
        return Ok(ExitCode::from(ERROR));
    }
    let request = NewValidationRun { plan: plan.name, tests };
    let run: ValidationRun = runtime()?.block_on(async {
        let mut client = args.server.client()?;
        client
            .post("/api/v1/validation/runs", &request)
            .await
            .context("running the validation")
    })?;
    if args.json {
        print_json(&run)?;
    } else {
        print_run(&run)?;
    }
    match args.fail_under {
        Some(min) if run.summary.detection_rate < min => {
            errln!(
                "the detection rate {} is below --fail-under {}",
                percent(run.summary.detection_rate),
                percent(min)
            );
            Ok(ExitCode::from(1))
        }
        _ => Ok(ExitCode::SUCCESS),
    }
}

fn percent(rate: f64) -> String {
    format!("{:.1}%", rate * 100.0)
}

fn print_run(run: &ValidationRun) -> anyhow::Result<()> {
    let mut t = SafeTable::new(&["test", "technique", "outcome", "events", "fired", "why"]);
    for r in &run.results {
        t.add_row(vec![
            short(&r.id, 60),
            r.technique.clone().unwrap_or_default(),
            r.outcome.as_str().to_owned(),
            r.events.to_string(),
            short(&r.fired.join(", "), 60),
            short(&r.reason, 100),
        ]);
    }
    outln!("{t}")?;
    if !run.techniques.is_empty() {
        let mut t = SafeTable::new(&["technique", "outcome", "tests", "detected"]);
        for x in &run.techniques {
            t.add_row(vec![
                x.technique.clone(),
                x.outcome.as_str().to_owned(),
                x.tests.to_string(),
                x.detected.to_string(),
            ]);
        }
        outln!("{t}")?;
    }
    let s = &run.summary;
    outln!(
        "detection rate {} ({} of {} tests; other rule {}, logged {}, missed {})",
        percent(s.detection_rate),
        s.detected,
        s.tests,
        s.other_rule,
        s.logged,
        s.missed
    )?;
    outln!(
        "run {} of plan {} at {}, rule set generation {} ({})",
        Esc(&s.id),
        Esc(&s.plan),
        time(s.at),
        s.generation,
        short(&s.fingerprint, 13)
    )?;
    Ok(())
}

/// The change of each run's rate from the plan's run before it (runs newest first), in points.
pub(crate) fn trends(runs: &[ValidationRunSummary]) -> Vec<Option<f64>> {
    runs.iter()
        .enumerate()
        .map(|(i, r)| {
            runs[i + 1..]
                .iter()
                .find(|older| older.plan == r.plan)
                .map(|older| (r.detection_rate - older.detection_rate) * 100.0)
        })
        .collect()
}

fn runs(args: &ValidateArgs, limit: u32) -> anyhow::Result<ExitCode> {
    let list: ValidationRunList = runtime()?.block_on(async {
        let mut client = args.server.client()?;
        client.get(&format!("/api/v1/validation/runs?limit={limit}")).await
    })?;
    if args.json {
        return print_json(&list);
    }
    let mut t = SafeTable::new(&[
        "id",
        "at",
        "plan",
        "tests",
        "detected",
        "rate",
        "trend",
        "generation",
        "rules",
    ]);
    for (r, trend) in list.runs.iter().zip(trends(&list.runs)) {
        t.add_row(vec![
            r.id.clone(),
            time(r.at),
            short(&r.plan, 40),
            r.tests.to_string(),
            r.detected.to_string(),
            percent(r.detection_rate),
            trend.map_or_else(|| "-".to_owned(), |d| format!("{d:+.1} pts")),
            r.generation.to_string(),
            short(&r.fingerprint, 13),
        ]);
    }
    outln!("{t}")?;
    if list.runs.is_empty() {
        errln!("no validation run yet: vigil validate --plan FILE");
    }
    Ok(ExitCode::SUCCESS)
}

fn show(args: &ValidateArgs, id: &str) -> anyhow::Result<ExitCode> {
    let run: ValidationRun = runtime()?.block_on(async {
        let mut client = args.server.client()?;
        client.get(&format!("/api/v1/validation/runs/{}", encode(id))).await
    })?;
    if args.json {
        return print_json(&run);
    }
    print_run(&run)?;
    Ok(ExitCode::SUCCESS)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn summary(plan: &str, rate: f64) -> ValidationRunSummary {
        ValidationRunSummary {
            id: "val-1".into(),
            at: jiff::Timestamp::UNIX_EPOCH,
            plan: plan.into(),
            author: "a".into(),
            generation: 1,
            fingerprint: "f".into(),
            tests: 10,
            detected: 0,
            other_rule: 0,
            logged: 0,
            missed: 0,
            detection_rate: rate,
        }
    }

    #[test]
    fn the_trend_compares_with_the_same_plans_run_before() {
        let runs = [
            summary("a", 0.8),
            summary("b", 0.1),
            summary("a", 0.5),
            summary("a", 0.5),
        ];
        let t = trends(&runs);
        assert_eq!(t.len(), 4);
        assert!((t[0].unwrap() - 30.0).abs() < 1e-9);
        assert_eq!(t[1], None);
        assert_eq!(t[2], Some(0.0));
        assert_eq!(t[3], None);
    }
}
