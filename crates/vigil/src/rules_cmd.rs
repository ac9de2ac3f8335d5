//! `vigil rules lint` and `vigil rules test`.

use std::process::ExitCode;

use vigil_detect::{RuleFilter, lint, ruletest};

use crate::{
    cli::{LintArgs, SeverityArg, TestArgs},
    term_safe::{self, Esc, errln, outln},
};

pub fn lint(args: LintArgs) -> anyhow::Result<ExitCode> {
    let min = match args.min_severity {
        SeverityArg::Hint => lint::Severity::Hint,
        SeverityArg::Info => lint::Severity::Info,
        SeverityArg::Warning => lint::Severity::Warning,
        SeverityArg::Error => lint::Severity::Error,
    };
    let findings = lint::lint_paths(&args.paths)?;
    let shown: Vec<_> = findings.iter().filter(|f| f.severity >= min).collect();
    for f in &shown {
        if args.json {
            outln!("{}", term_safe::json::to_string(f)?)?;
        } else {
            outln!("{}", Esc(&f.to_string()))?;
        }
    }
    let errors = findings.iter().filter(|f| f.severity == lint::Severity::Error).count();
    let warnings = findings
        .iter()
        .filter(|f| f.severity == lint::Severity::Warning)
        .count();
    errln!("{errors} errors, {warnings} warnings ({} findings shown)", shown.len());
    Ok(if errors > 0 {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}

pub fn test(args: TestArgs) -> anyhow::Result<ExitCode> {
    let (_, detector, _, _) = crate::hunt::load_rules(&args.rules, &RuleFilter::everything(), &[], false)?;
    let test_paths = if args.tests.is_empty() {
        args.rules.clone()
    } else {
        args.tests.clone()
    };
    let (cases, problems) = ruletest::discover(&test_paths)?;
    for p in &problems {
        errln!("error: {}", Esc(&p.to_string()));
    }
    let results = ruletest::run(&detector, &cases);
    let mut failed = 0;
    for r in &results {
        if !r.passed {
            failed += 1;
        }
        if args.json {
            outln!("{}", term_safe::json::to_string(r)?)?;
        } else if !r.passed || args.verbose_pass {
            let verdict = if r.passed { "PASS" } else { "FAIL" };
            let expected = r.expected.map(|n| n.to_string()).unwrap_or_else(|| ">=1".into());
            let why = r.error.as_deref().map(|e| format!(" — {}", Esc(e))).unwrap_or_default();
            outln!(
                "{verdict} {} [{}] {}: matched {}/{} events, expected {expected}{why}",
                Esc(&r.declared_in.display().to_string()),
                Esc(&r.rule),
                Esc(&r.name),
                r.matched,
                r.events
            )?;
        }
    }
    let passed = results.len() - failed;
    outln!("{passed} passed, {failed} failed")?;
    Ok(if failed > 0 || !problems.is_empty() {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}
