//! `vigil rules lint` and `vigil rules test`.

use std::process::ExitCode;

use serde::Serialize;
use serde_json::json;
use vigil_detect::{
    RuleFilter, lint,
    ruletest::{self, CaseResult},
};

use crate::{
    cli::{LintArgs, SeverityArg, TestArgs},
    rule_exceptions::{Exceptions, Verdict},
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
    // A bad exceptions file is a usage error, found before the rules take time to load.
    let exceptions = match &args.exceptions {
        Some(path) => Exceptions::load(path)?,
        None => Exceptions::default(),
    };
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
    let (verdicts, stale) = exceptions.judge(&results);
    let (mut failed, mut excepted) = (0, 0);
    for (r, verdict) in results.iter().zip(&verdicts) {
        match verdict {
            Verdict::Pass => {}
            Verdict::Fail => failed += 1,
            Verdict::Excepted(_) => excepted += 1,
        }
        if args.json {
            outln!("{}", term_safe::json::to_string(&JsonResult::new(r, verdict))?)?;
        } else if !matches!(verdict, Verdict::Pass) || args.verbose_pass {
            outln!("{}", result_line(r, verdict))?;
        }
    }
    for e in &stale {
        if args.json {
            outln!("{}", term_safe::json::to_string(&json!({ "stale_exception": e }))?)?;
        } else {
            outln!(
                "STALE exception for [{}] (expected {}, actual {}): no case needs it any more; remove it{}",
                Esc(&e.rule),
                e.expected,
                e.actual,
                exceptions
                    .file
                    .as_ref()
                    .map(|f| format!(" from {}", Esc(&f.display().to_string())))
                    .unwrap_or_default()
            )?;
        }
    }
    let passed = results.len() - failed - excepted;
    if exceptions.file.is_none() {
        outln!("{passed} passed, {failed} failed")?;
    } else {
        outln!(
            "{passed} passed, {excepted} excepted, {failed} failed, {} stale exceptions",
            stale.len()
        )?;
    }
    Ok(if failed > 0 || !problems.is_empty() {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}

/// `PASS|FAIL|EXCEPTED <test file> [rule] case: matched m/n events, expected e[ — error][ — excepted (reason)]`.
fn result_line(r: &CaseResult, verdict: &Verdict<'_>) -> String {
    let word = match verdict {
        Verdict::Pass => "PASS",
        Verdict::Fail => "FAIL",
        Verdict::Excepted(_) => "EXCEPTED",
    };
    let expected = r.expected.map(|n| n.to_string()).unwrap_or_else(|| ">=1".into());
    let why = r.error.as_deref().map(|e| format!(" — {}", Esc(e))).unwrap_or_default();
    let excuse = match verdict {
        Verdict::Excepted(e) => format!(" — excepted ({})", Esc(e.reason.trim())),
        _ => String::new(),
    };
    format!(
        "{word} {} [{}] {}: matched {}/{} events, expected {expected}{why}{excuse}",
        Esc(&r.declared_in.display().to_string()),
        Esc(&r.rule),
        Esc(&r.name),
        r.matched,
        r.events
    )
}

/// A result as a JSON line: the case's outcome, and the reason when an exception excused it.
#[derive(Serialize)]
struct JsonResult<'a> {
    #[serde(flatten)]
    result: &'a CaseResult,
    #[serde(skip_serializing_if = "Option::is_none")]
    excepted: Option<&'a str>,
}

impl<'a> JsonResult<'a> {
    fn new(result: &'a CaseResult, verdict: &Verdict<'a>) -> JsonResult<'a> {
        let excepted = match verdict {
            Verdict::Excepted(e) => Some(e.reason.trim()),
            _ => None,
        };
        JsonResult { result, excepted }
    }
}
