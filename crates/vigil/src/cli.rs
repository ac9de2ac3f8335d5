//! Command-line interface definitions.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

/// Vigil — security operations: collect, detect, store, respond.
///
/// Start with `vigil hunt --rules <sigma rules> <logs>` to run Sigma rules over Windows event
/// logs (EVTX), NDJSON, syslog, CEF, Suricata EVE, Zeek or auditd files.
#[derive(Debug, Parser)]
#[command(name = "vigil", version, propagate_version = true, max_term_width = 110)]
pub struct Cli {
    /// More log output on stderr (-v info, -vv debug). VIGIL_LOG overrides, e.g. VIGIL_LOG=debug.
    #[arg(short, long, global = true, action = clap::ArgAction::Count)]
    pub verbose: u8,
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
    ///
    /// Examples:
    ///   vigil hunt --rules sigma/rules logs/
    ///   vigil hunt --rules sigma/rules --min-level high --output jsonl logs/*.evtx > hits.jsonl
    ///   vigil hunt --rules my-rules --since 2024-05-01 --until 2024-05-02T12:00:00Z winlogbeat.ndjson
    #[command(verbatim_doc_comment)]
    Hunt(Box<HuntArgs>),
    /// Detection-as-code: lint and test rule sets.
    Rules {
        #[command(subcommand)]
        command: RulesCommand,
    },
    /// Run the server: collect (syslog, Elasticsearch _bulk, Splunk HEC, OTLP), detect in-stream,
    /// store and search.
    ///
    /// Works with no configuration: data goes to ./vigil-data, HTTP (API, _bulk, HEC, OTLP)
    /// listens on 127.0.0.1:9200, syslog on 127.0.0.1:5514 (UDP and TCP). Flags override the file.
    /// HTTP ingest and the API need a token: `vigil token create --scope ingest|read|admin`.
    /// SIGHUP reloads the rules; SIGINT/SIGTERM stop after committing what was acknowledged.
    ///
    /// Examples:
    ///   vigil serve --rules sigma/rules
    ///   vigil serve --config /etc/vigil/vigil.toml --syslog-tls 0.0.0.0:6514
    #[command(verbatim_doc_comment)]
    Serve(ServeArgs),
    /// Configuration files: check one (every problem at once) or print a commented example.
    Config {
        #[command(subcommand)]
        command: ConfigCommand,
    },
    /// API tokens (stored hashed in the data directory; the secret is shown once).
    Token {
        #[command(subcommand)]
        command: TokenCommand,
    },
    /// Import log files into a running server (EVTX, NDJSON, syslog, CEF, EVE, Zeek, auditd).
    ///
    /// Records are sent over HTTP with an ingest token and acknowledged once durably spooled;
    /// the server parses, detects and stores them. Records that do not parse are listed by
    /// `vigil dead-letters`.
    ///
    /// Example:
    ///   vigil ingest --token $VIGIL_TOKEN logs/*.evtx auth.log
    #[command(verbatim_doc_comment)]
    Ingest(IngestArgs),
    /// Search stored events on a running server.
    ///
    /// Query language: field:value, "phrases", wildcards (user:adm*), ranges (EventID:[4624 TO 4634],
    /// bytes:>1000), CIDR (src_ip:10.0.0.0/8), AND/OR/NOT, parentheses, _exists_:field.
    ///
    /// Examples:
    ///   vigil search 'EventID:4625 AND TargetUserName:admin*' --since 24h
    ///   vigil search 'Image:*\\powershell.exe' --terms Computer --size 0
    #[command(verbatim_doc_comment)]
    Search(SearchArgs),
    /// List alerts raised by in-stream detection on a running server (newest first).
    Alerts(AlertsArgs),
    /// List records the server could not accept or parse, with the reason.
    DeadLetters(DeadLettersArgs),
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
    Check {
        #[arg(value_name = "FILE")]
        file: PathBuf,
    },
    /// Print a commented example configuration with the defaults.
    Example,
}

#[derive(Debug, Subcommand)]
pub enum TokenCommand {
    /// Create a token and print its secret (only this once).
    Create {
        #[arg(long, value_name = "DIR", default_value = "vigil-data")]
        data_dir: PathBuf,
        /// ingest: send events; read: search and list; admin: everything.
        #[arg(long, value_enum)]
        scope: ScopeArg,
        /// A name to recognise the token by.
        #[arg(long, default_value = "")]
        name: String,
    },
    /// List tokens (never their secrets).
    List {
        #[arg(long, value_name = "DIR", default_value = "vigil-data")]
        data_dir: PathBuf,
    },
    /// Revoke a token by its id.
    Revoke {
        #[arg(long, value_name = "DIR", default_value = "vigil-data")]
        data_dir: PathBuf,
        id: String,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ScopeArg {
    Ingest,
    Read,
    Admin,
}

/// How to reach a running server.
#[derive(Debug, Args)]
pub struct ServerArgs {
    /// The server's address: http://HOST:PORT, or https://HOST:PORT when it has `[http] tls_cert`.
    #[arg(
        long,
        value_name = "URL",
        env = "VIGIL_SERVER",
        default_value = "http://127.0.0.1:9200"
    )]
    pub server: String,
    /// API token (or set VIGIL_TOKEN).
    #[arg(long, value_name = "TOKEN", env = "VIGIL_TOKEN", hide_env_values = true)]
    pub token: Option<String>,
    /// HTTPS: trust only this PEM CA bundle (default: the system's trusted roots).
    #[arg(long, value_name = "FILE", env = "VIGIL_CA_CERT")]
    pub ca_cert: Option<PathBuf>,
    /// HTTPS: client certificate chain (PEM), for a server with `[http] tls_client_ca`.
    #[arg(long, value_name = "FILE", env = "VIGIL_CLIENT_CERT", requires = "client_key")]
    pub client_cert: Option<PathBuf>,
    /// HTTPS: the private key of --client-cert (PEM).
    #[arg(long, value_name = "FILE", env = "VIGIL_CLIENT_KEY", requires = "client_cert")]
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
pub struct AlertsArgs {
    #[command(flatten)]
    pub server: ServerArgs,
    #[arg(long, value_name = "TIME")]
    pub since: Option<String>,
    #[arg(long, value_enum, value_name = "LEVEL")]
    pub min_level: Option<LevelArg>,
    #[arg(long)]
    pub rule_id: Option<String>,
    #[arg(long, default_value_t = 50)]
    pub limit: usize,
    /// Print the raw JSON answer.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct DeadLettersArgs {
    #[command(flatten)]
    pub server: ServerArgs,
    #[arg(long, value_name = "TIME")]
    pub since: Option<String>,
    #[arg(long, default_value_t = 50)]
    pub limit: usize,
    /// Print the raw JSON answer.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Subcommand)]
pub enum RulesCommand {
    /// Lint rules: unparseable files, unknown modifiers, missing or duplicate ids, Sigma spec
    /// issues — each with file:line. Exits 1 when any error is found.
    Lint(LintArgs),
    /// Test rules against their declared test events: positive cases must fire (with the expected
    /// count), negative ones must not. Reads Vigil test files (`*.test.yml`) and SigmaHQ
    /// regression folders (`info.yml` beside `.evtx`/`.json` samples). See docs/rule-tests.md.
    Test(TestArgs),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum OutputFormat {
    /// A readable table (the default on a terminal).
    Table,
    /// One JSON object per detection (the default when stdout is not a terminal).
    Jsonl,
    /// Comma-separated values with a header row.
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
    /// Output format [default: table on a terminal, jsonl otherwise].
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
    /// Sigma logsource for events whose own logsource is unknown (plain JSON without hints), as
    /// `product=linux,service=auditd,category=...`. Without it such events are evaluated against
    /// every rule (fail-open), where negation-only rules of other products can fire.
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
    /// Print each passing test too, not only failures.
    #[arg(long)]
    pub verbose_pass: bool,
    /// Print results as JSON lines.
    #[arg(long)]
    pub json: bool,
}
