//! Command-line definition of `vigil coverage`: ATT&CK coverage against a running server, or
//! offline from rule files and an ATT&CK bundle.

use std::path::PathBuf;

use clap::{Args, ValueEnum};

use crate::cli::ServerArgs;

/// `--layer`: which ATT&CK Navigator layer to write.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum LayerArg {
    /// Score: enabled rules per technique.
    Rules,
    /// Rules whose logsources reported in the window (server only).
    Healthy,
    /// Techniques whose latest validation passed (server only).
    Validated,
    /// Alerts per technique in `--from`..`--to` (server only).
    Detections,
}

impl LayerArg {
    pub fn as_str(self) -> &'static str {
        match self {
            LayerArg::Rules => "rules",
            LayerArg::Healthy => "healthy",
            LayerArg::Validated => "validated",
            LayerArg::Detections => "detections",
        }
    }
}

/// `vigil coverage`.
#[derive(Debug, Args)]
pub struct CoverageArgs {
    #[command(flatten)]
    pub server: ServerArgs,
    /// Write this ATT&CK Navigator layer (format 4.5) instead of the summary table.
    #[arg(long, value_enum, value_name = "LAYER")]
    pub layer: Option<LayerArg>,
    /// Where to write the layer (it must not exist yet); stdout unless given.
    #[arg(short, long, value_name = "FILE", requires = "layer")]
    pub out: Option<PathBuf>,
    /// The health window: a logsource reports when it sent within this [default: the server's
    /// `[coverage] window`].
    #[arg(long, value_name = "DURATION")]
    pub window: Option<String>,
    /// `--layer detections`: start of the period (an age such as `30d`, a date, RFC 3339).
    #[arg(long, value_name = "WHEN")]
    pub from: Option<String>,
    /// `--layer detections`: end of the period (exclusive) [default: now].
    #[arg(long, value_name = "WHEN")]
    pub to: Option<String>,
    /// Offline, without a server: the rule files or directories (repeatable); needs --attack.
    #[arg(long, value_name = "PATH", requires = "attack")]
    pub rules: Vec<PathBuf>,
    /// Offline: the ATT&CK Enterprise STIX 2.1 bundle; needs --rules.
    #[arg(long, value_name = "FILE", requires = "rules")]
    pub attack: Option<PathBuf>,
    /// Offline: only these tactics (shortname or id, comma-separated).
    #[arg(long, value_name = "LIST", value_delimiter = ',', requires = "attack")]
    pub tactics: Vec<String>,
    /// Offline: only these platforms (comma-separated).
    #[arg(long, value_name = "LIST", value_delimiter = ',', requires = "attack")]
    pub platforms: Vec<String>,
    /// Print the coverage as JSON.
    #[arg(long, conflicts_with = "layer")]
    pub json: bool,
}
