//! The arguments of `vigil rules lint|test`: checking detection rules as code.

use std::path::PathBuf;

use clap::{Args, Subcommand, ValueEnum};

#[derive(Debug, Subcommand)]
pub enum RulesCommand {
    /// Lint rules: unparseable files, unknown modifiers, missing or duplicate ids, Sigma spec
    /// issues — each with file:line. Exits 1 when any error is found.
    #[command(after_help = "Examples:
  vigil rules lint my-rules/
  vigil rules lint --min-severity error sigma/rules
  vigil rules lint --json my-rules/ > findings.jsonl")]
    Lint(LintArgs),
    /// Test rules against their declared test events: positive cases must fire (with the expected
    /// count), negative ones must not. Reads Vigil test files (`*.test.yml`) and SigmaHQ
    /// regression folders (`info.yml` beside `.evtx`/`.json` samples). See docs/rule-tests.md.
    ///
    /// Exits 1 when a case fails that no --exceptions entry excuses, or a test file is invalid.
    #[command(after_help = "Examples:
  vigil rules test --rules my-rules
  vigil rules test --rules my-rules tests/
  vigil rules test --rules ../shared/sigma/rules \\
    --exceptions crates/vigil-detect/tests/data/regression-exceptions.yml \\
    ../shared/sigma/regression_data/rules")]
    Test(TestArgs),
}

#[derive(Debug, Args)]
pub struct LintArgs {
    /// Rule files or directories.
    #[arg(value_name = "PATH", required = true)]
    pub paths: Vec<PathBuf>,
    /// Also show findings of this severity and above.
    #[arg(long, value_enum, default_value_t = SeverityArg::Warning)]
    pub min_severity: SeverityArg,
    /// Print findings as JSON lines.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, ValueEnum)]
pub enum SeverityArg {
    Hint,
    Info,
    Warning,
    Error,
}

#[derive(Debug, Args)]
pub struct TestArgs {
    /// Rule files or directories.
    #[arg(short, long = "rules", value_name = "PATH", required = true)]
    pub rules: Vec<PathBuf>,
    /// Test files or directories: `*.test.yml` files and SigmaHQ `info.yml` regression folders
    /// [default: the rule paths themselves].
    #[arg(value_name = "TESTS")]
    pub tests: Vec<PathBuf>,
    /// Known deviations (YAML, the format of vigil-detect's tests/data/regression-exceptions.yml):
    /// a list of `{rule, kind: count, expected, actual, reason}`. A case of that rule that fires
    /// but matches `actual` events where `expected` were declared is reported EXCEPTED with the
    /// reason and does not fail the run; an exception no case needs any more is reported STALE.
    #[arg(long, value_name = "FILE")]
    pub exceptions: Option<PathBuf>,
    /// Print each passing test too, not only failures.
    #[arg(long)]
    pub verbose_pass: bool,
    /// Print results as JSON lines.
    #[arg(long)]
    pub json: bool,
}
