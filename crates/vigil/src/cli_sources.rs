//! Command-line definition of `vigil sources`: log-source health from a running server.

use clap::Args;

use crate::cli::ServerArgs;

/// `vigil sources`.
#[derive(Debug, Args)]
pub struct SourcesArgs {
    #[command(flatten)]
    pub server: ServerArgs,
    /// Only the sources that are silent now.
    #[arg(long, conflicts_with = "expected")]
    pub silent: bool,
    /// The logsources the enabled rules read that no source sent in the window, with those rules.
    #[arg(long)]
    pub expected: bool,
    /// Start of the window (inclusive) for uptime, MTBF, silences and expected sources: an age
    /// (`7d`, `12h`), a date, an RFC 3339 instant or `now`.
    #[arg(long, value_name = "WHEN", default_value = "7d")]
    pub from: String,
    /// End of the window (exclusive), same forms.
    #[arg(long, value_name = "WHEN", default_value = "now")]
    pub to: String,
    /// Print the raw JSON answer.
    #[arg(long)]
    pub json: bool,
}
