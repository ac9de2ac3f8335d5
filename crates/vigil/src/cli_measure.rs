//! The arguments of the measure commands that read the SOC's state: `vigil kpi`, `vigil
//! handover` and `vigil oncall`.

use std::path::PathBuf;

use clap::{Args, ValueEnum};

use crate::cli::ServerArgs;

/// `vigil kpi`.
#[derive(Debug, Args)]
pub struct KpiArgs {
    #[command(flatten)]
    pub server: ServerArgs,
    /// Start of the period (inclusive): an age (`30d`, `12h`), a date, an RFC 3339 instant or `now`.
    #[arg(long, value_name = "WHEN", default_value = "30d")]
    pub from: String,
    /// End of the period (exclusive), same forms.
    #[arg(long, value_name = "WHEN", default_value = "now")]
    pub to: String,
    /// Also give the KPIs per severity, priority, classification, team, owner, rule or tenant.
    #[arg(long, value_name = "FIELD")]
    pub group_by: Option<String>,
    /// Also give the figures per ISO week or calendar month (UTC): `week` or `month`.
    #[arg(long, value_name = "PERIOD")]
    pub trend: Option<String>,
    /// MTTD leaves out samples whose first event is further back than this before detection
    /// (back-filled or replayed events); the server's default is 7d.
    #[arg(long, value_name = "DURATION")]
    pub mttd_cutoff: Option<String>,
    /// Print the raw JSON answer.
    #[arg(long)]
    pub json: bool,
}

/// `--format` of `vigil handover`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum HandoverFormat {
    /// Sections with counts, most urgent first: what the shift lead reads aloud.
    Text,
    /// One self-contained HTML page (no script, no external request).
    Html,
    /// The handover as the API answers it.
    Json,
}

/// `vigil handover`.
#[derive(Debug, Args)]
pub struct HandoverArgs {
    #[command(flatten)]
    pub server: ServerArgs,
    /// Start of the shift: an age (`8h`, `12h`), a date, an RFC 3339 instant.
    #[arg(long, value_name = "WHEN")]
    pub since: String,
    /// End of the shift (exclusive), same forms; now unless given.
    #[arg(long, value_name = "WHEN")]
    pub until: Option<String>,
    /// A running SLA timer due within this long is near a breach (the server's default is 1h).
    #[arg(long, value_name = "DURATION")]
    pub near_breach: Option<String>,
    /// What to print or write.
    #[arg(long, value_enum, default_value_t = HandoverFormat::Text)]
    pub format: HandoverFormat,
    /// Write to this file, as the server sent it, instead of stdout (it must not exist yet). On
    /// stdout, control and invisible characters are shown escaped.
    #[arg(short, long, value_name = "FILE")]
    pub out: Option<PathBuf>,
}

/// `vigil oncall`.
#[derive(Debug, Args)]
pub struct OncallArgs {
    #[command(flatten)]
    pub server: ServerArgs,
    /// Print the raw JSON answer.
    #[arg(long)]
    pub json: bool,
}
