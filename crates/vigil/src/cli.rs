//! Command-line interface definitions.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

pub use crate::cli_admin::{ApikeyCommand, ApikeyCreateArgs, AuditCommand, AuditVerifyArgs, ScopeArg, TokenCommand};
pub(crate) use crate::cli_admin::{role_parser, tenant_parser};
pub use crate::cli_rules::{LintArgs, RulesCommand, SeverityArg, TestArgs};

/// Vigil — security operations: collect, detect, store, respond.
///
/// Start with `vigil hunt --rules <sigma rules> <logs>` to run Sigma rules over Windows event
/// logs (EVTX), NDJSON, syslog, CEF, Suricata EVE, Zeek or auditd files.
#[derive(Debug, Parser)]
#[command(
    name = "vigil",
    version,
    propagate_version = true,
    max_term_width = 110,
    after_help = "Examples:
  vigil hunt --rules sigma/rules logs/
  vigil serve --rules sigma/rules
  vigil search 'EventID:4625' --since 24h
  vigil rules test --rules my-rules --exceptions known-failures.yml
  vigil <command> --help

Text from logs (host names, field values, rule titles …) is printed with control and invisible
formatting characters as visible escapes (\\x1b, \\u{202e}): it cannot drive the terminal."
)]
pub struct Cli {
    /// More log output on stderr (-v info, -vv debug). VIGIL_LOG overrides, e.g. VIGIL_LOG=debug.
    #[arg(short, long, global = true, action = clap::ArgAction::Count)]
    pub verbose: u8,
    /// Keep users, API keys, sessions, alerts, dead letters and the audit trail in this PostgreSQL
    /// database instead of state.db in --data-dir: what `[state] url` does in the server's
    /// configuration, for `vigil serve` and for the commands that read or change the state (user,
    /// apikey, token, admin, audit). Leave the password to PGPASSWORD or ~/.pgpass.
    /// Example: --state-url 'postgres://vigil@db.example.org/vigil?sslmode=verify-full'
    #[arg(
        long,
        global = true,
        value_name = "URL",
        env = "VIGIL_STATE_URL",
        hide_env_values = true
    )]
    pub state_url: Option<String>,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Hunt: run Sigma rules over log files and report every detection.
    ///
    /// Inputs may be files or directories (walked recursively). Formats are detected per file
    /// (EVTX by signature, JSON shapes, syslog, CEF, EVE, Zeek, auditd) unless --format is given.
    /// Windows events from EVTX, SigmaHQ-style JSON and Winlogbeat/ECS NDJSON are mapped to the
    /// field names SigmaHQ rules use, and each event is evaluated only against the rules whose
    /// logsource fits it.
    #[command(after_help = "Examples:
  vigil hunt --rules sigma/rules logs/
  vigil hunt --rules sigma/rules --min-level high --output jsonl logs/*.evtx > hits.jsonl
  vigil hunt --rules my-rules --since 2024-05-01 --until 2024-05-02T12:00:00Z winlogbeat.ndjson
  vigil hunt --rules sigma/rules -o csv --out hits.csv logs/
  vigil hunt --rules sigma/rules --stored --data-dir /var/lib/vigil --since 7d")]
    Hunt(Box<HuntArgs>),
    /// Detection-as-code: lint and test rule sets.
    #[command(after_help = "Examples:
  vigil rules lint my-rules/
  vigil rules test --rules my-rules")]
    Rules {
        #[command(subcommand)]
        command: RulesCommand,
    },
    /// Run the server: collect (syslog, Elasticsearch _bulk, Splunk HEC, OTLP), detect in-stream,
    /// store and search.
    ///
    /// Works with no configuration: data goes to ./vigil-data, HTTP (API, _bulk, HEC, OTLP)
    /// listens on 127.0.0.1:9200, syslog on 127.0.0.1:5514 (UDP and TCP). Flags override the file.
    /// HTTP ingest and the API need an API key: `vigil apikey create --role ROLE --name NAME`.
    /// SIGHUP reloads the rules; SIGINT/SIGTERM stop after committing what was acknowledged.
    /// Log lines on stderr are coloured only on a terminal, never when NO_COLOR is set.
    #[command(after_help = "Examples:
  vigil serve --rules sigma/rules
  vigil serve --config /etc/vigil/vigil.toml --syslog-tls 0.0.0.0:6514
  vigil serve --data-dir /var/lib/vigil --http 0.0.0.0:9200 2> vigil.log")]
    Serve(ServeArgs),
    /// Configuration files: check one (every problem at once) or print a commented example.
    #[command(after_help = "Examples:
  vigil config example > vigil.toml
  vigil config check vigil.toml")]
    Config {
        #[command(subcommand)]
        command: ConfigCommand,
    },
    /// API keys: each holds one role in one tenant and may expire (stored hashed in the data
    /// directory; the secret is shown once). Creating and revoking one is recorded in the audit
    /// trail. The roles and their permissions are listed in docs/access.md.
    #[command(after_help = "Examples:
  vigil apikey create --role ingest --name shipper
  vigil apikey create --role analyst --name 'night shift' --expires 90d
  vigil apikey list --data-dir /var/lib/vigil
  vigil apikey revoke 29d62df0adf75764")]
    Apikey {
        #[command(subcommand)]
        command: ApikeyCommand,
    },
    /// Local users: add, set passwords, disable, list (each with one role in one tenant).
    #[command(after_help = "Examples:
  vigil user add alice --role analyst
  vigil user list")]
    User {
        #[command(subcommand)]
        command: crate::user_cmd::UserCommand,
    },
    /// Administration: `vigil admin bootstrap` creates the first admin user (no default credentials).
    #[command(after_help = "Examples:
  vigil admin bootstrap --data-dir /var/lib/vigil")]
    Admin {
        #[command(subcommand)]
        command: crate::user_cmd::AdminCommand,
    },
    /// API tokens, the older form of `vigil apikey` (scopes instead of roles; kept for scripts).
    ///
    /// A token is an API key in the default tenant that never expires: scope ingest holds the role
    /// ingest, read the role viewer, admin the role admin. `vigil apikey` also sets other roles, a
    /// tenant and an expiry; both list, use and revoke the same keys.
    #[command(after_help = "Examples:
  vigil token create --scope ingest --name shipper
  vigil token list
  vigil token revoke 29d62df0adf75764
  vigil apikey create --role ingest --name shipper --expires 365d    # the newer form")]
    Token {
        #[command(subcommand)]
        command: TokenCommand,
    },
    /// Import log files into a running server (EVTX, NDJSON, syslog, CEF, EVE, Zeek, auditd).
    ///
    /// Records are sent over HTTP with an ingest token and acknowledged once durably spooled;
    /// the server parses, detects and stores them. Records that do not parse are listed by
    /// `vigil dead-letters`.
    #[command(after_help = "Examples:
  vigil ingest --token $VIGIL_TOKEN logs/*.evtx auth.log
  vigil ingest --server https://vigil.example:9200 --ca-cert ca.pem --format syslog /var/log/auth.log")]
    Ingest(IngestArgs),
    /// Search stored events on a running server.
    ///
    /// Query language: field:value, "phrases", wildcards (user:adm*), ranges (EventID:[4624 TO 4634],
    /// bytes:>1000), CIDR (src_ip:10.0.0.0/8), AND/OR/NOT, parentheses, _exists_:field.
    #[command(after_help = "Examples:
  vigil search 'EventID:4625 AND TargetUserName:admin*' --since 24h
  vigil search 'Image:*\\\\powershell.exe' --terms Computer --size 0
  vigil search 'host:db01' --asc --json > page.json")]
    Search(SearchArgs),
    /// Alerts raised by in-stream detection on a running server: list them (newest first), show
    /// the events that raised one, and triage them (acknowledge, close, reopen, assign, comment)
    /// or suppress alerts like one.
    ///
    /// Without a subcommand, lists alerts. Triage needs an API key with `alert:triage` (role
    /// analyst or above); reopening a closed alert needs `alert:reopen` (role lead or admin).
    #[command(after_help = "Examples:
  vigil alerts --min-level high --limit 20
  vigil alerts --status new,acknowledged --host web01
  vigil alerts --since 24h --rule-id 8a582fe2-0882-4b89-a82a-da6b2dc32937 --json
  vigil alerts --events 5f0c3b9e6d2a41f7a8c1e4b2d9f03a61
  vigil alerts ack 5f0c3b9e6d2a41f7a8c1e4b2d9f03a61
  vigil alerts close 5f0c3b9e6d2a41f7a8c1e4b2d9f03a61 --disposition false_positive --comment 'backup job'
  vigil alerts close --where-rule-id 8a582fe2-0882-4b89-a82a-da6b2dc32937 --where-host scanner01 \\
    --disposition benign_positive --yes
  vigil alerts history 5f0c3b9e6d2a41f7a8c1e4b2d9f03a61
  vigil alerts suppress 5f0c3b9e6d2a41f7a8c1e4b2d9f03a61 --fields host,user --reason 'scanner'")]
    Alerts(Box<crate::cli_respond::AlertsArgs>),
    /// Incidents on a running server: create them from alerts, list and show them with their SLA
    /// timers and timeline, change them, add notes, link alerts, merge, export a report.
    ///
    /// Reading needs `case:read` (every role but ingest); changing needs `case:write` (role analyst
    /// or above); closing and reopening need `case:close` (role lead or admin).
    #[command(after_help = "Examples:
  vigil incidents create --title 'Ransomware on web01' --severity critical \\
    --classification malicious-code:infected-system --alert 5f0c3b9e6d2a41f7a8c1e4b2d9f03a61
  vigil incidents list --open --sla breached
  vigil incidents show inc-fc8c19a529759f6d
  vigil incidents update inc-fc8c19a529759f6d --status contained --owner alice
  vigil incidents export inc-fc8c19a529759f6d --format markdown -o report.md")]
    Incidents {
        #[command(subcommand)]
        command: crate::cli_respond::IncidentsCommand,
    },
    /// Suppression rules on a running server: alerts of a rule whose event meets exact conditions
    /// are not raised, but counted and listed. Made from an alert with `vigil alerts suppress`.
    ///
    /// Reading needs `alert:read`; creating and changing need `rule:write` (role
    /// detection_engineer or admin).
    #[command(after_help = "Examples:
  vigil suppressions list --active
  vigil suppressions matches sup-3f9a0c2d7b1e4a56
  vigil suppressions disable sup-3f9a0c2d7b1e4a56")]
    Suppressions {
        #[command(subcommand)]
        command: crate::cli_suppress::SuppressionsCommand,
    },
    /// The audit trail in the data directory: verify its hash chain, export it, sign checkpoints.
    ///
    /// Every change made through Vigil (API keys created or revoked, …) is appended to a hash chain:
    /// each entry carries the hash of the one before it, so a deleted, reordered or edited entry is
    /// found. Signed checkpoints, exported and kept elsewhere, also reveal a chain that was rewritten
    /// consistently or cut short.
    #[command(after_help = "Examples:
  vigil audit verify --data-dir /var/lib/vigil
  vigil audit sign --data-dir /var/lib/vigil --key /etc/vigil/audit.key --public-key-out audit.pub
  vigil audit checkpoints --data-dir /var/lib/vigil -o /mnt/offsite/checkpoints.ndjson
  vigil audit verify --data-dir /var/lib/vigil --checkpoints /mnt/offsite/checkpoints.ndjson \\
    --public-key audit.pub
  vigil audit export --data-dir /var/lib/vigil -o audit.ndjson")]
    Audit {
        #[command(subcommand)]
        command: AuditCommand,
    },
    /// List records the server could not accept or parse, with the reason.
    #[command(after_help = "Examples:
  vigil dead-letters
  vigil dead-letters --since 1h --limit 200 --json")]
    DeadLetters(DeadLettersArgs),
    /// Who is on call in each rotation of `[respond.oncall]` now, until when, and who is next.
    #[command(after_help = "Examples:
  vigil oncall
  vigil oncall --json")]
    Oncall(crate::cli_measure::OncallArgs),
    /// SOC KPIs (MTTD, MTTA, MTTC, MTTR, MTBF, SLA compliance, per-rule precision and
    /// false-positive rate, alert volume), each with its value, n and formula.
    #[command(after_help = "Examples:
  vigil kpi                                   # the last 30 days
  vigil kpi --from 7d --group-by severity
  vigil kpi --from 2026-11-01 --to 2026-12-01 --group-by team
  vigil kpi --from 90d --json")]
    Kpi(crate::cli_measure::KpiArgs),
    /// Log-source health: each source (input, host, logsource) with its status (new, healthy,
    /// silent), last event, baseline, threshold, uptime and MTBF; or the logsources the enabled
    /// rules expect but nobody sends. Needs `source:read`.
    #[command(after_help = "Examples:
  vigil sources                               # every source, uptime over the last 7 days
  vigil sources --silent                      # only those silent now
  vigil sources --expected                    # logsources the rules read that nobody sends
  vigil sources --from 30d --json")]
    Sources(crate::cli_sources::SourcesArgs),
    /// The shift handover: SLA breaches and near-breaches, incidents still open (owner, timers,
    /// pending tasks), opened and changed in the period (notes with their text), and the alerts
    /// still `new` — as text read aloud, a self-contained HTML page, or JSON. Needs `case:read`.
    #[command(after_help = "Examples:
  vigil handover --since 8h
  vigil handover --since 2026-12-06T18:00:00Z --until 2026-12-07T06:00:00Z
  vigil handover --since 12h --format html -o handover.html
  vigil handover --since 8h --format json")]
    Handover(crate::cli_measure::HandoverArgs),
    /// Detection validation: replay a plan's labelled attack samples through the server's running
    /// rules (nothing is stored but the results) and print per test and per ATT&CK technique
    /// whether an expected rule alerted, and the detection rate. Needs `validation:run`
    /// (detection_engineer, admin); `runs` and `show` need `validation:read`.
    #[command(after_help = "Examples:
  vigil validate --plan plans/windows.toml
  vigil validate --plan ../sigma/regression_data --fail-under 90%   # CI gate
  vigil validate runs
  vigil validate show val-3f9a0c2d7b1e4a56 --json")]
    Validate(Box<crate::cli_validate::ValidateArgs>),
    /// The SOC report of a period against the one before it: KPIs with trend arrows, SLA
    /// compliance, incidents by classification and severity, top rules with false-positive
    /// rates, sources, backlog and validation; HTML, PDF, JSON or CSV. Needs `report:read`.
    #[command(after_help = "Examples:
  vigil report --from last-month -o november.html
  vigil report --from last-month -o november.pdf
  vigil report --from 2026-11-01 --to 2026-12-01 --format csv -o november.csv
  vigil report --from 7d --format json")]
    Report(crate::cli_report::ReportArgs),
    /// ATT&CK coverage of the enabled rules per tactic (rules, healthy: their logsources report,
    /// validated), or an ATT&CK Navigator layer (format 4.5); offline from rule files and a bundle.
    #[command(after_help = "Examples:
  vigil coverage
  vigil coverage --layer healthy -o healthy.json
  vigil coverage --layer detections --from 30d -o detections.json
  vigil coverage --rules rules/ --attack enterprise-attack.json --layer rules -o rules.json")]
    Coverage(crate::cli_coverage::CoverageArgs),
}

#[derive(Debug, Args)]
pub struct ServeArgs {
    /// Configuration file (TOML; see `vigil config example`).
    #[arg(short, long, value_name = "FILE", env = "VIGIL_CONFIG")]
    pub config: Option<PathBuf>,
    /// Data directory [default: ./vigil-data].
    #[arg(long, value_name = "DIR")]
    pub data_dir: Option<PathBuf>,
    /// HTTP listener for the API, _bulk, HEC and OTLP ("off" disables) [default: 127.0.0.1:9200].
    #[arg(long, value_name = "ADDR")]
    pub http: Option<String>,
    /// Syslog UDP listener ("off" disables) [default: 127.0.0.1:5514].
    #[arg(long, value_name = "ADDR")]
    pub syslog_udp: Option<String>,
    /// Syslog TCP listener, LF or octet-counted framing ("off" disables) [default: 127.0.0.1:5514].
    #[arg(long, value_name = "ADDR")]
    pub syslog_tcp: Option<String>,
    /// Syslog over TLS (RFC 5425) listener [default: off].
    #[arg(long, value_name = "ADDR")]
    pub syslog_tls: Option<String>,
    /// Sigma rule files or directories for in-stream detection (repeatable).
    #[arg(short, long = "rules", value_name = "PATH")]
    pub rules: Vec<PathBuf>,
}

#[derive(Debug, Subcommand)]
pub enum ConfigCommand {
    /// Check a configuration file; every problem is listed with its line. Exits 2 when invalid.
    #[command(after_help = "Examples:
  vigil config check /etc/vigil/vigil.toml")]
    Check {
        /// The configuration file (TOML) to check.
        #[arg(value_name = "FILE")]
        file: PathBuf,
    },
    /// Print a commented example configuration with the defaults.
    #[command(after_help = "Examples:
  vigil config example > vigil.toml")]
    Example,
}

/// How to reach a running server. Global, so they may follow a subcommand
/// (`vigil incidents task INC done 1 --server …`).
#[derive(Debug, Args)]
pub struct ServerArgs {
    /// The server's address: http://HOST:PORT, or https://HOST:PORT when it has `[http] tls_cert`.
    #[arg(
        long,
        global = true,
        value_name = "URL",
        env = "VIGIL_SERVER",
        default_value = "http://127.0.0.1:9200"
    )]
    pub server: String,
    /// API key: its secret, `vgl_…` (or set VIGIL_TOKEN).
    #[arg(
        long,
        global = true,
        value_name = "TOKEN",
        env = "VIGIL_TOKEN",
        hide_env_values = true
    )]
    pub token: Option<String>,
    /// HTTPS: trust only this PEM CA bundle (default: the system's trusted roots).
    #[arg(long, global = true, value_name = "FILE", env = "VIGIL_CA_CERT")]
    pub ca_cert: Option<PathBuf>,
    /// HTTPS: client certificate chain (PEM), for a server with `[http] tls_client_ca`.
    #[arg(
        long,
        global = true,
        value_name = "FILE",
        env = "VIGIL_CLIENT_CERT",
        requires = "client_key"
    )]
    pub client_cert: Option<PathBuf>,
    /// HTTPS: the private key of --client-cert (PEM).
    #[arg(
        long,
        global = true,
        value_name = "FILE",
        env = "VIGIL_CLIENT_KEY",
        requires = "client_cert"
    )]
    pub client_key: Option<PathBuf>,
}

impl ServerArgs {
    /// A client for the server these arguments name.
    pub fn client(&self) -> anyhow::Result<crate::client::Client> {
        let tls = crate::client::TlsFiles {
            ca_cert: self.ca_cert.clone(),
            client_cert: self.client_cert.clone(),
            client_key: self.client_key.clone(),
        };
        crate::client::Client::new(&self.server, self.token.clone(), &tls)
    }
}

#[derive(Debug, Args)]
pub struct IngestArgs {
    #[command(flatten)]
    pub server: ServerArgs,
    /// Files or directories to import.
    #[arg(value_name = "INPUT", required = true)]
    pub inputs: Vec<PathBuf>,
    /// Input format of every input [default: detected per file].
    #[arg(short, long, value_enum, default_value_t = FormatArg::Auto)]
    pub format: FormatArg,
    /// No progress bar.
    #[arg(short, long)]
    pub quiet: bool,
    /// Progress file: where each file stands is written here after every acknowledged request,
    /// and an interrupted ingest run again with it goes on from there. (Without it a repeated
    /// ingest sends everything again; the server stores nothing twice either way.)
    #[arg(long, value_name = "FILE")]
    pub resume: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub struct SearchArgs {
    #[command(flatten)]
    pub server: ServerArgs,
    /// The query [default: everything].
    #[arg(value_name = "QUERY", default_value = "")]
    pub query: String,
    /// From this time (RFC 3339, date, or age such as 24h).
    #[arg(long, value_name = "TIME")]
    pub since: Option<String>,
    /// Before this time.
    #[arg(long, value_name = "TIME")]
    pub until: Option<String>,
    /// Hits per page.
    #[arg(long, default_value_t = 20)]
    pub size: usize,
    /// Oldest first.
    #[arg(long)]
    pub asc: bool,
    /// Continue from a previous page's cursor.
    #[arg(long)]
    pub cursor: Option<String>,
    /// Also count the top values of this field.
    #[arg(long, value_name = "FIELD")]
    pub terms: Option<String>,
    /// Print the raw JSON answer.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct DeadLettersArgs {
    #[command(flatten)]
    pub server: ServerArgs,
    /// Only records received at or after this time (RFC 3339, date, or age such as 24h).
    #[arg(long, value_name = "TIME")]
    pub since: Option<String>,
    /// Records to show at most (1–1000).
    #[arg(long, default_value_t = 50)]
    pub limit: usize,
    /// Print the raw JSON answer.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum OutputFormat {
    /// A readable table (the default on a terminal).
    Table,
    /// One JSON object per detection (the default when stdout is not a terminal).
    Jsonl,
    /// Comma-separated values with a header row; a cell that would start a spreadsheet formula
    /// (=, +, -, @, tab, CR) gets a leading ' (OWASP, CSV injection).
    Csv,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum LevelArg {
    Informational,
    Low,
    Medium,
    High,
    Critical,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum StatusArg {
    Stable,
    Test,
    Experimental,
    Deprecated,
    Unsupported,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum FormatArg {
    Auto,
    Evtx,
    Ndjson,
    Syslog,
    Cef,
    Eve,
    Zeek,
    Auditd,
}

#[derive(Debug, Args)]
pub struct HuntArgs {
    /// Sigma rule files or directories (repeatable; directories are walked recursively).
    #[arg(short, long = "rules", value_name = "PATH", required = true)]
    pub rules: Vec<PathBuf>,
    /// Log files or directories to hunt through.
    #[arg(value_name = "INPUT", required_unless_present = "stored")]
    pub inputs: Vec<PathBuf>,
    /// Retro-hunt: run the rules over the events stored by `vigil serve` in --data-dir (use
    /// --since/--until to bound the time range) instead of files.
    #[arg(long, conflicts_with = "inputs")]
    pub stored: bool,
    /// The server's data directory, for --stored.
    #[arg(long, value_name = "DIR", default_value = "vigil-data")]
    pub data_dir: PathBuf,
    /// With --stored: only this tenant's events (default: every tenant's; the data directory's
    /// owner reads them all).
    #[arg(long, value_name = "TENANT", requires = "stored", value_parser = tenant_parser)]
    pub tenant: Option<String>,
    /// Output format [default: table on a terminal, jsonl otherwise]. Control and invisible
    /// characters from the logs are shown as escapes (\x1b, \u{202e}) in tables and CSV, and as
    /// \uXXXX in JSON; a CSV cell starting with =, +, -, @, tab or CR gets a leading ' so
    /// spreadsheets take it as text, not as a formula (OWASP: CSV injection).
    #[arg(short, long, value_enum)]
    pub output: Option<OutputFormat>,
    /// Write detections to this file instead of stdout.
    #[arg(long, value_name = "FILE")]
    pub out: Option<PathBuf>,
    /// Only rules at this level or above.
    #[arg(long, value_enum, value_name = "LEVEL")]
    pub min_level: Option<LevelArg>,
    /// Only rules with these statuses (comma-separated) [default: all but deprecated, unsupported].
    #[arg(long, value_enum, value_delimiter = ',', value_name = "STATUS")]
    pub status: Vec<StatusArg>,
    /// Only events at or after this time: RFC 3339 (2024-05-01T10:00:00Z), a date (2024-05-01,
    /// UTC), or an age (30d, 12h, 90m = that long before now).
    #[arg(long, value_name = "TIME")]
    pub since: Option<String>,
    /// Only events before this time (same forms as --since).
    #[arg(long, value_name = "TIME")]
    pub until: Option<String>,
    /// Input format of every input [default: detected per file].
    #[arg(short, long, value_enum, default_value_t = FormatArg::Auto)]
    pub format: FormatArg,
    /// Sigma logsource for events whose own product is unknown (plain JSON without hints), as
    /// `product=linux,service=auditd,category=...` (any non-empty subset). Without it such events
    /// are seen only by rules that name no product.
    #[arg(long, value_name = "SPEC")]
    pub logsource: Option<String>,
    /// Extra field map (YAML) for JSON inputs, applied before the built-in Winlogbeat/ECS maps.
    #[arg(long = "field-map", value_name = "FILE")]
    pub field_maps: Vec<PathBuf>,
    /// rsigma/pySigma processing pipeline (YAML) applied to every rule before compiling.
    #[arg(long = "pipeline", value_name = "FILE")]
    pub pipelines: Vec<PathBuf>,
    /// Worker threads [default: all cores].
    #[arg(short = 'j', long, value_name = "N")]
    pub threads: Option<usize>,
    /// Write every parse error (source, offset, reason) as JSON lines to this file.
    #[arg(long, value_name = "FILE")]
    pub errors: Option<PathBuf>,
    /// No progress bar and no summary on stderr.
    #[arg(short, long)]
    pub quiet: bool,
    /// Print the summary (by level, rule, ATT&CK technique) even when not on a terminal.
    #[arg(long)]
    pub summary: bool,
}

#[cfg(test)]
mod tests {
    use clap::CommandFactory;

    use super::Cli;

    /// What `--help` of `cmd` (named `path`) and of its subcommands lacks: a description of an
    /// argument (clap's own help and version aside), or an "Examples:" block.
    fn help_gaps(cmd: &clap::Command, path: &str, gaps: &mut Vec<String>) {
        for arg in cmd.get_arguments() {
            let id = arg.get_id().as_str();
            if matches!(id, "help" | "version") {
                continue;
            }
            let described = [arg.get_help(), arg.get_long_help()]
                .into_iter()
                .flatten()
                .any(|h| !h.to_string().trim().is_empty());
            if !described {
                gaps.push(format!("`{path}`: argument `{id}` has no description"));
            }
        }
        let examples = [cmd.get_after_help(), cmd.get_after_long_help()]
            .into_iter()
            .flatten()
            .any(|h| h.to_string().contains("Examples:\n  vigil "));
        if !examples {
            gaps.push(format!("`{path} --help` shows no \"Examples:\" block"));
        }
        for sub in cmd.get_subcommands().filter(|s| s.get_name() != "help") {
            help_gaps(sub, &format!("{path} {}", sub.get_name()), gaps);
        }
    }

    #[test]
    fn every_argument_is_described_and_every_command_has_examples() {
        let cli = Cli::command();
        cli.clone().debug_assert();
        let mut gaps = Vec::new();
        help_gaps(&cli, "vigil", &mut gaps);
        assert!(gaps.is_empty(), "help text missing:\n{}", gaps.join("\n"));
        let mut seen = Vec::new();
        let mut stack = vec![cli];
        while let Some(cmd) = stack.pop() {
            seen.push(cmd.get_name().to_string());
            stack.extend(cmd.get_subcommands().cloned());
        }
        assert!(seen.len() >= 31, "the walk reaches every subcommand: {seen:?}");
    }
}
