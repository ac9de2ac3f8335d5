//! Command-line definitions of an incident's observables: `vigil incidents observables ID` and
//! `vigil incidents observable add|update|remove|find`, against a running server.

use clap::{Args, Subcommand};
use vigil_api_types::observables::{ObservableKind, Tlp};

use crate::cli::ServerArgs;
use crate::cli_respond::{Wire, wire_parser};

impl Wire for ObservableKind {
    const VALUES: &'static [Self] = ObservableKind::ALL;
    fn wire_name(self) -> &'static str {
        self.as_str()
    }
}

/// `vigil incidents observables`.
#[derive(Debug, Args)]
pub struct ObservablesArgs {
    #[command(flatten)]
    pub server: ServerArgs,
    /// The incident's id.
    #[arg(value_name = "ID")]
    pub id: String,
    /// Only those marked as IOCs.
    #[arg(long)]
    pub ioc: bool,
    /// Print the raw JSON answer.
    #[arg(long)]
    pub json: bool,
}

/// `vigil incidents observable …`.
#[derive(Debug, Args)]
#[command(after_help = "Examples:
  vigil incidents observable add inc-fc8c19a529759f6d --kind ip --value 203.0.113.7 --ioc
  vigil incidents observable find 203.0.113.7")]
pub struct ObservableArgs {
    #[command(subcommand)]
    pub action: ObservableAction,
}

#[derive(Debug, Subcommand)]
pub enum ObservableAction {
    /// Add an observable by hand; its value is checked and normalised like extracted ones.
    /// Prints its id alone on stdout.
    #[command(after_help = "Examples:
  vigil incidents observable add inc-fc8c19a529759f6d --kind ip --value 203.0.113.7 --ioc
  vigil incidents observable add inc-fc8c19a529759f6d --kind domain --value evil.example --tlp red \\
    --description 'C2 domain from the sandbox report'")]
    Add(ObservableAddArgs),
    /// Change an observable's TLP marking, IOC flag or description.
    #[command(after_help = "Examples:
  vigil incidents observable update inc-fc8c19a529759f6d obs-3f9a0c1e5b7d2468 --ioc true
  vigil incidents observable update inc-fc8c19a529759f6d obs-3f9a0c1e5b7d2468 --tlp clear --description ''")]
    Update(ObservableUpdateArgs),
    /// Remove an observable from an incident.
    #[command(after_help = "Examples:
  vigil incidents observable remove inc-fc8c19a529759f6d obs-3f9a0c1e5b7d2468")]
    Remove(ObservableRefArgs),
    /// The incidents where a value was seen, newest first.
    #[command(after_help = "Examples:
  vigil incidents observable find 203.0.113.7
  vigil incidents observable find ALICE --kind user --json")]
    Find(ObservableFindArgs),
}

#[derive(Debug, Args)]
pub struct ObservableAddArgs {
    #[command(flatten)]
    pub server: ServerArgs,
    /// The incident's id.
    #[arg(value_name = "ID")]
    pub id: String,
    /// What it is.
    #[arg(long, value_name = "KIND", value_parser = wire_parser::<ObservableKind>())]
    pub kind: ObservableKind,
    /// The value (an IP, a domain, an absolute URL, a host, a user, an MD5/SHA-1/SHA-256 hash, a
    /// file path or an e-mail address).
    #[arg(long, value_name = "VALUE")]
    pub value: String,
    /// Mark it as an indicator of compromise.
    #[arg(long)]
    pub ioc: bool,
    /// Its Traffic Light Protocol marking [default: the incident's].
    #[arg(long, value_name = "TLP", value_parser = wire_parser::<Tlp>())]
    pub tlp: Option<Tlp>,
    /// What it is, for the next analyst (e.g. where it came from).
    #[arg(long, value_name = "TEXT")]
    pub description: Option<String>,
    /// Print the observable as the server answered it, as JSON.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct ObservableUpdateArgs {
    #[command(flatten)]
    pub server: ServerArgs,
    /// The incident's id.
    #[arg(value_name = "ID")]
    pub id: String,
    /// The observable's id (the `id` column of `vigil incidents observables`).
    #[arg(value_name = "OID")]
    pub oid: String,
    /// Mark it as an IOC (`true`) or not (`false`).
    #[arg(long, value_name = "BOOL")]
    pub ioc: Option<bool>,
    /// A new Traffic Light Protocol marking.
    #[arg(long, value_name = "TLP", value_parser = wire_parser::<Tlp>())]
    pub tlp: Option<Tlp>,
    /// A new description (`''` clears it).
    #[arg(long, value_name = "TEXT")]
    pub description: Option<String>,
    /// Print the observable as the server answered it, as JSON.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct ObservableRefArgs {
    #[command(flatten)]
    pub server: ServerArgs,
    /// The incident's id.
    #[arg(value_name = "ID")]
    pub id: String,
    /// The observable's id.
    #[arg(value_name = "OID")]
    pub oid: String,
}

#[derive(Debug, Args)]
pub struct ObservableFindArgs {
    #[command(flatten)]
    pub server: ServerArgs,
    /// The value, written any way (it is normalised like observables are).
    #[arg(value_name = "VALUE")]
    pub value: String,
    /// Only observables of this kind [default: every kind the value can be].
    #[arg(long, value_name = "KIND", value_parser = wire_parser::<ObservableKind>())]
    pub kind: Option<ObservableKind>,
    /// Print the answer as JSON.
    #[arg(long)]
    pub json: bool,
}
