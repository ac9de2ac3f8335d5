//! Command-line definitions of `vigil validate`: replay a plan's labelled attack samples through
//! a running server's rules (`--plan`), the history of runs (`runs`) and one run (`show`).

use std::path::PathBuf;

use clap::{Args, Subcommand};

use crate::cli::ServerArgs;

/// `--fail-under`: a rate as a fraction (`0.8`) or a percentage (`80%`).
fn rate_parser(text: &str) -> Result<f64, String> {
    let (number, scale) = match text.trim().strip_suffix('%') {
        Some(n) => (n, 100.0),
        None => (text.trim(), 1.0),
    };
    match number.trim().parse::<f64>() {
        Ok(v) if (0.0..=scale).contains(&v) => Ok(v / scale),
        _ => Err(format!("`{text}` is not a rate between 0 and 1 (or 0% and 100%)")),
    }
}

/// `vigil validate`.
#[derive(Debug, Args)]
pub struct ValidateArgs {
    #[command(flatten)]
    pub server: ServerArgs,
    #[command(subcommand)]
    pub command: Option<ValidateCommand>,
    /// The plan: a TOML plan file (docs/measure.md), or a SigmaHQ `regression_data` folder as is.
    #[arg(long, value_name = "FILE|DIR")]
    pub plan: Option<PathBuf>,
    /// Exit with status 1 when the detection rate is below this (`0.8` or `80%`): for CI.
    #[arg(long, value_name = "RATE", value_parser = rate_parser)]
    pub fail_under: Option<f64>,
    /// Print the server's answer as JSON.
    #[arg(long, global = true)]
    pub json: bool,
}

#[derive(Debug, Subcommand)]
pub enum ValidateCommand {
    /// The runs, newest first: plan, tests, detected, detection rate and its change from the
    /// plan's run before (the trend), rule-set generation and fingerprint.
    #[command(after_help = "Examples:
  vigil validate runs
  vigil validate runs --limit 12 --json")]
    Runs(ValidateRunsArgs),
    /// One run: per test its outcome, technique, the rules that fired and why; per technique the
    /// best outcome of its tests.
    #[command(after_help = "Examples:
  vigil validate show val-3f9a0c2d7b1e4a56")]
    Show(ValidateShowArgs),
}

#[derive(Debug, Args)]
pub struct ValidateRunsArgs {
    /// Most runs shown (1 to 1000).
    #[arg(long, value_name = "N", default_value_t = 20, value_parser = clap::value_parser!(u32).range(1..=1000))]
    pub limit: u32,
}

#[derive(Debug, Args)]
pub struct ValidateShowArgs {
    /// The run's id (`val-…`, the first column of `vigil validate runs`).
    #[arg(value_name = "ID")]
    pub id: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rates_read_as_fractions_or_percentages() {
        assert_eq!(rate_parser("0.8"), Ok(0.8));
        assert_eq!(rate_parser("80%"), Ok(0.8));
        assert!(rate_parser("1.5").is_err());
        assert!(rate_parser("120%").is_err());
        assert!(rate_parser("abc").is_err());
    }
}
