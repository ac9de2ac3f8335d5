//! `vigil serve` configuration: a strict, versioned TOML file, defaults that work without one, and
//! command-line overrides. Every problem in a file is reported at once, each with its line.

use std::{
    net::SocketAddr,
    path::{Path, PathBuf},
    time::Duration,
};

use serde::Deserialize;
use vigil_event::Level;

mod coverage;
mod grouping;
mod logsource;
mod oidc;
mod oncall;
mod reader;
mod reports;
mod respond;
mod sources;
mod state;
pub use coverage::CoverageConfig;
use reader::Reader;
pub use respond::RespondConfig;
pub use state::StateStore;

pub use vigil_runtime::{engine::RulesConfig, logsource::LogsourceRule, pipeline::PipelineConfig};

/// The configuration file format version this build reads.
pub const CONFIG_VERSION: i64 = 1;

/// A validated configuration: what the server runs with.
#[derive(Debug, Clone, PartialEq)]
pub struct ServerConfig {
    /// Where the spool, event store, state database and generated certificates live.
    pub data_dir: PathBuf,
    pub http: HttpConfig,
    pub syslog: SyslogConfig,
    pub rules: RulesConfig,
    pub store: StoreConfig,
    pub spool: SpoolConfig,
    pub pipeline: PipelineConfig,
    /// What is kept of alerts and of dead letters (applied with the store's retention).
    pub alerts: vigil_state::Retention,
    pub dead_letters: vigil_state::Retention,
    pub audit: AuditConfig,
    /// `[state]`: SQLite in the data directory (default) or PostgreSQL.
    pub state: StateStore,
    /// `[[logsource]]` entries, in file order: the Sigma logsource of events by where they arrived.
    pub logsources: Vec<LogsourceRule>,
    /// `[oidc]`: bearer JWTs from this provider, and the console's OpenID login (`None`: off).
    pub oidc: Option<vigil_oidc::OidcConfig>,
    /// `[respond]`: the priority matrix and the SLA policies.
    pub respond: RespondConfig,
    /// `[sources]`: log-source health (silence thresholds, check and flush intervals).
    pub sources: crate::source_health::SourcesConfig,
    /// `[coverage]`: the ATT&CK bundle, scope and health window (`None`: coverage is off).
    pub coverage: Option<CoverageConfig>,
    /// `[reports]`: scheduled SOC reports (none unless configured).
    pub reports: crate::report_task::ReportsConfig,
}

/// The audit trail's signed checkpoints (`[audit]`).
#[derive(Debug, Clone, PartialEq)]
pub struct AuditConfig {
    /// How often the chain's head is signed (zero: never); also once at shutdown.
    pub checkpoint_interval: Duration,
    /// The Ed25519 signing key file (created 0600 if missing); `None`: `audit-signing.key` in
    /// the data directory. Its public key is written beside it as `<file>.pub`.
    pub signing_key: Option<PathBuf>,
}

impl AuditConfig {
    /// The signing key file for a server with `data_dir`.
    pub fn signing_key_path(&self, data_dir: &Path) -> PathBuf {
        self.signing_key
            .clone()
            .unwrap_or_else(|| data_dir.join("audit-signing.key"))
    }
}

/// The HTTP listener: REST API, Elasticsearch `_bulk`, Splunk HEC and OTLP on one port.
#[derive(Debug, Clone, PartialEq)]
pub struct HttpConfig {
    pub listen: Option<SocketAddr>,
    pub max_body_bytes: usize,
    /// Open connections at most; past it the listener waits for one to close.
    pub max_connections: usize,
    /// Open connections from one client address at most (TLS handshakes included); one more is
    /// closed at once.
    pub max_connections_per_ip: usize,
    /// Time a client has to send a whole request head, from the connection's start (TLS
    /// handshake included) or from the first byte of a further request; past it the connection
    /// is closed.
    pub header_read_timeout: Duration,
    /// A connection with nothing read or written for this long, and no request being handled (read
    /// to the end of its body, response not ready yet), is closed.
    pub idle_timeout: Duration,
    /// REST API requests per second per token (0: no limit); ingest routes are not limited.
    pub api_rate_limit: u32,
    /// REST API requests a token may make at once before the rate applies.
    pub api_burst: u32,
    /// Login attempts (local and OpenID starts) one client address may make per minute: raise it
    /// when a whole SOC logs in through one proxy or NAT address at shift change.
    pub login_per_minute: u32,
    /// Login attempts one client address may make at once before that rate applies.
    pub login_burst: u32,
    /// Whether `/metrics` needs `status:read` (`[http] metrics_auth`); `None`: only when
    /// the listener is not on a loopback address (see [`HttpConfig::metrics_need_token`]).
    pub metrics_auth: Option<bool>,
    /// PEM certificate chain and key: when both are set the listener speaks HTTPS only.
    pub tls_cert: Option<PathBuf>,
    pub tls_key: Option<PathBuf>,
    /// PEM CA bundle: when set (with HTTPS), clients must present a certificate it signed.
    pub tls_client_ca: Option<PathBuf>,
}

impl HttpConfig {
    /// Whether `/metrics` needs a token: `[http] metrics_auth` when set, else whenever the
    /// listener is reachable from other hosts (not a loopback address).
    pub fn metrics_need_token(&self) -> bool {
        self.metrics_auth
            .unwrap_or_else(|| self.listen.is_some_and(|a| !a.ip().is_loopback()))
    }
}

/// The syslog listeners.
#[derive(Debug, Clone, PartialEq)]
pub struct SyslogConfig {
    pub udp: Option<SocketAddr>,
    pub tcp: Option<SocketAddr>,
    pub tls: Option<SocketAddr>,
    /// PEM certificate chain and key for TLS; generated (self-signed) in the data dir when absent.
    pub tls_cert: Option<PathBuf>,
    pub tls_key: Option<PathBuf>,
    /// PEM CA bundle: when set, TLS clients must present a certificate it signed (mutual TLS).
    pub tls_client_ca: Option<PathBuf>,
    pub max_message_bytes: usize,
    /// Open TCP/TLS connections from one client address at most; one more is closed at once.
    pub max_connections_per_ip: usize,
    /// Sigma logsource given to syslog events, e.g. `product=linux`.
    pub logsource: Option<String>,
    /// The tenant of every syslog record (syslog carries no credential).
    pub tenant: String,
}

/// Event store partitioning and retention.
#[derive(Debug, Clone, PartialEq)]
pub struct StoreConfig {
    pub partition: Duration,
    pub max_age: Option<Duration>,
    pub max_bytes: Option<u64>,
    /// How often retention (of events, alerts and dead letters) runs.
    pub retention_interval: Duration,
}

/// The write-ahead spool.
#[derive(Debug, Clone, PartialEq)]
pub struct SpoolConfig {
    /// Past this many unprocessed bytes, inputs get backpressure (HTTP 429, paused TCP reads).
    pub max_bytes: u64,
    pub segment_bytes: u64,
}

impl Default for ServerConfig {
    fn default() -> Self {
        ServerConfig {
            data_dir: PathBuf::from("vigil-data"),
            http: HttpConfig {
                listen: Some(SocketAddr::from(([127, 0, 0, 1], 9200))),
                max_body_bytes: vigil_api::DEFAULT_MAX_BODY_BYTES,
                max_connections: 1024,
                max_connections_per_ip: 128,
                header_read_timeout: Duration::from_secs(10),
                idle_timeout: Duration::from_secs(120),
                api_rate_limit: 50,
                api_burst: 100,
                login_per_minute: vigil_api::session::LOGIN_PER_MINUTE,
                login_burst: vigil_api::session::LOGIN_BURST,
                metrics_auth: None,
                tls_cert: None,
                tls_key: None,
                tls_client_ca: None,
            },
            syslog: SyslogConfig {
                udp: Some(SocketAddr::from(([127, 0, 0, 1], 5514))),
                tcp: Some(SocketAddr::from(([127, 0, 0, 1], 5514))),
                tls: None,
                tls_cert: None,
                tls_key: None,
                tls_client_ca: None,
                max_message_bytes: 64 << 10,
                max_connections_per_ip: 128,
                logsource: None,
                tenant: vigil_api_types::access::DEFAULT_TENANT.to_owned(),
            },
            rules: RulesConfig {
                paths: Vec::new(),
                min_level: None,
                pipelines: Vec::new(),
            },
            store: StoreConfig {
                partition: Duration::from_secs(86_400),
                max_age: None,
                max_bytes: None,
                retention_interval: Duration::from_secs(60),
            },
            spool: SpoolConfig {
                max_bytes: 4 << 30,
                segment_bytes: 64 << 20,
            },
            pipeline: PipelineConfig {
                batch: 4096,
                commit_interval: Duration::from_millis(500),
                future_tolerance: Duration::from_secs(24 * 3600),
                grouping: vigil_runtime::grouping::Grouping::default(),
            },
            // Alerts are evidence: kept until an operator sets a limit. Dead letters hold raw input
            // (up to 64 KiB each) and a flood of garbage must not fill the disk: 30 days, at most a
            // million, at most 1 GiB.
            alerts: vigil_state::Retention::KEEP_ALL,
            dead_letters: vigil_state::Retention {
                max_age: Some(Duration::from_secs(30 * 86_400)),
                max_rows: Some(1_000_000),
                max_bytes: Some(1 << 30),
            },
            audit: AuditConfig {
                checkpoint_interval: Duration::from_secs(3600),
                signing_key: None,
            },
            state: StateStore::Sqlite,
            logsources: Vec::new(),
            oidc: None,
            respond: RespondConfig::default(),
            sources: crate::source_health::SourcesConfig::default(),
            coverage: None,
            reports: crate::report_task::ReportsConfig::default(),
        }
    }
}

impl ServerConfig {
    /// The event store's settings, as `vigil serve` opens the store with them; `vigil config check`
    /// runs the same [`vigil_store::StoreConfig::problems`].
    pub fn store_config(&self) -> vigil_store::StoreConfig {
        let dir = self.data_dir.join("events");
        let duration = |d: Duration| jiff::SignedDuration::try_from(d).unwrap_or(jiff::SignedDuration::MAX);
        vigil_store::StoreConfig {
            partition: duration(self.store.partition),
            max_age: self.store.max_age.map(duration),
            max_bytes: self.store.max_bytes,
            ..vigil_store::StoreConfig::new(dir)
        }
    }
}

/// Command-line values that override the file.
#[derive(Debug, Clone, Default)]
pub struct Overrides {
    pub data_dir: Option<PathBuf>,
    pub http: Option<String>,
    pub syslog_udp: Option<String>,
    pub syslog_tcp: Option<String>,
    pub syslog_tls: Option<String>,
    pub rules: Vec<PathBuf>,
    /// A PostgreSQL URL for the state (`--state-url`), replacing `[state] url`.
    pub state_url: Option<String>,
}

/// One configuration problem.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigProblem {
    /// 1-based line in the file, when the problem has one.
    pub line: Option<usize>,
    /// Dotted key, e.g. `syslog.tcp`.
    pub key: String,
    pub message: String,
}

impl std::fmt::Display for ConfigProblem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.line {
            Some(line) => write!(f, "line {line}: {}: {}", self.key, self.message),
            None => write!(f, "{}: {}", self.key, self.message),
        }
    }
}

/// Every problem found in a configuration.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{} configuration problem(s) in {source_name}:\n  {}", problems.len(), problems.iter().map(ToString::to_string).collect::<Vec<_>>().join("\n  "))]
pub struct ConfigError {
    pub source_name: String,
    pub problems: Vec<ConfigProblem>,
}

// --- the file, as written -------------------------------------------------------------------

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct HttpFile {
    listen: Option<String>,
    max_body: Option<String>,
    max_connections: Option<usize>,
    max_connections_per_ip: Option<usize>,
    header_read_timeout: Option<String>,
    idle_timeout: Option<String>,
    api_rate_limit: Option<u32>,
    api_burst: Option<u32>,
    login_per_minute: Option<u32>,
    login_burst: Option<u32>,
    metrics_auth: Option<bool>,
    tls_cert: Option<PathBuf>,
    tls_key: Option<PathBuf>,
    tls_client_ca: Option<PathBuf>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct SyslogFile {
    udp: Option<String>,
    tcp: Option<String>,
    tls: Option<String>,
    tls_cert: Option<PathBuf>,
    tls_key: Option<PathBuf>,
    tls_client_ca: Option<PathBuf>,
    max_message: Option<String>,
    max_connections_per_ip: Option<usize>,
    logsource: Option<String>,
    tenant: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RulesFile {
    paths: Option<Vec<PathBuf>>,
    min_level: Option<String>,
    pipelines: Option<Vec<PathBuf>>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct StoreFile {
    partition: Option<String>,
    max_age: Option<String>,
    max_size: Option<String>,
    retention_interval: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct SpoolFile {
    max_size: Option<String>,
    segment_size: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct PipelineFile {
    batch: Option<usize>,
    commit_interval: Option<String>,
    future_tolerance: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct AuditFile {
    checkpoint_interval: Option<String>,
    signing_key: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct KeepFile {
    max_age: Option<String>,
    max_count: Option<u64>,
    max_size: Option<String>,
}

const SECTIONS: &[&str] = &[
    "version",
    "data_dir",
    "http",
    "syslog",
    "rules",
    "store",
    "spool",
    "pipeline",
    "alerts",
    "dead_letters",
    "audit",
    "state",
    "logsource",
    "oidc",
    "respond",
    "grouping",
    "coverage",
    "sources",
    "reports",
];

/// Reads a configuration file (every problem at once) and applies the overrides.
pub fn load(path: Option<&Path>, overrides: &Overrides) -> Result<ServerConfig, ConfigError> {
    let (mut config, source_name) = match path {
        None => (ServerConfig::default(), "the defaults".to_string()),
        Some(p) => {
            let text = std::fs::read_to_string(p).map_err(|e| ConfigError {
                source_name: p.display().to_string(),
                problems: vec![ConfigProblem {
                    line: None,
                    key: "file".into(),
                    message: format!("cannot read: {e}"),
                }],
            })?;
            let config = parse(&text).map_err(|problems| ConfigError {
                source_name: p.display().to_string(),
                problems,
            })?;
            (config, p.display().to_string())
        }
    };
    apply(&mut config, overrides).map_err(|problems| ConfigError { source_name, problems })?;
    Ok(config)
}

/// Parses configuration text, reporting every problem: each unknown section or key, each bad
/// value, and whatever the event store would refuse at start-up ([`ServerConfig::store_config`]).
pub fn parse(text: &str) -> Result<ServerConfig, Vec<ConfigProblem>> {
    let table: toml::Table = match text.parse() {
        Ok(t) => t,
        Err(e) => {
            let e: toml::de::Error = e;
            let line = e.span().map(|s| text[..s.start.min(text.len())].lines().count().max(1));
            return Err(vec![ConfigProblem {
                line,
                key: "syntax".into(),
                message: e.message().to_string(),
            }]);
        }
    };
    let mut r = Reader::new(text);
    for key in table.keys() {
        if !SECTIONS.contains(&key.as_str()) {
            let what = if table[key].is_table() { "section" } else { "key" };
            r.problem(
                None,
                key,
                format!("unknown {what}; expected one of: {}", SECTIONS.join(", ")),
            );
        }
    }
    match table.get("version") {
        Some(toml::Value::Integer(CONFIG_VERSION)) => {}
        Some(other) => r.problem(
            None,
            "version",
            format!("unsupported version {other}; this Vigil reads version = {CONFIG_VERSION}"),
        ),
        None => r.problem(
            None,
            "version",
            format!("missing; add `version = {CONFIG_VERSION}` at the top"),
        ),
    }
    let mut c = ServerConfig::default();
    match table.get("data_dir") {
        None => {}
        Some(toml::Value::String(s)) => c.data_dir = PathBuf::from(s),
        Some(_) => r.problem(None, "data_dir", "must be a string (a directory path)"),
    }
    read_http(&mut r, &table, &mut c.http);
    read_syslog(&mut r, &table, &mut c);
    c.logsources = logsource::read(&mut r, &table);
    read_rules(&mut r, &table, &mut c.rules);
    read_store(&mut r, &table, &mut c);
    read_spool_and_pipeline(&mut r, &table, &mut c);
    read_retention(&mut r, &table, &mut c);
    read_audit(&mut r, &table, &mut c.audit);
    c.state = state::read(&mut r, &table);
    c.oidc = oidc::read(&mut r, &table);
    c.respond = respond::read(&mut r, &table);
    c.pipeline.grouping = grouping::read(&mut r, &table);
    c.sources = sources::read(&mut r, &table);
    c.coverage = coverage::read(&mut r, &table);
    c.reports = reports::read(&mut r, &table, &c.respond.notify.channels);
    if r.problems.is_empty() {
        return Ok(c);
    }
    // In the order of the file; problems without a line last.
    r.problems.sort_by_key(|p| p.line.unwrap_or(usize::MAX));
    Err(r.problems)
}

fn read_http(r: &mut Reader, table: &toml::Table, h: &mut HttpConfig) {
    let http: HttpFile = r.section(table, "http");
    h.listen = r.addr("http", "listen", http.listen.as_deref(), h.listen);
    if let Some(n) = r.bytes("http", "max_body", http.max_body.as_deref()) {
        h.max_body_bytes = usize::try_from(n).unwrap_or(usize::MAX);
    }
    if let Some(n) = r.within("http", "max_connections", http.max_connections, 1..=1_000_000) {
        h.max_connections = n;
    }
    if let Some(n) = r.within(
        "http",
        "max_connections_per_ip",
        http.max_connections_per_ip,
        1..=1_000_000,
    ) {
        h.max_connections_per_ip = n;
    }
    if let Some(d) = r.duration("http", "header_read_timeout", http.header_read_timeout.as_deref()) {
        h.header_read_timeout = d;
    }
    if let Some(d) = r.duration("http", "idle_timeout", http.idle_timeout.as_deref()) {
        h.idle_timeout = d;
    }
    // 0: no limit.
    if let Some(n) = r.within("http", "api_rate_limit", http.api_rate_limit, 0..=1_000_000) {
        h.api_rate_limit = n;
    }
    if let Some(n) = r.within("http", "api_burst", http.api_burst, 1..=1_000_000) {
        h.api_burst = n;
    }
    if let Some(n) = r.within("http", "login_per_minute", http.login_per_minute, 1..=100_000) {
        h.login_per_minute = n;
    }
    if let Some(n) = r.within("http", "login_burst", http.login_burst, 1..=100_000) {
        h.login_burst = n;
    }
    h.metrics_auth = http.metrics_auth;
    h.tls_cert = http.tls_cert;
    h.tls_key = http.tls_key;
    h.tls_client_ca = http.tls_client_ca;
    if h.tls_client_ca.is_some() && h.tls_cert.is_none() {
        r.problem(
            Some("http"),
            "tls_client_ca",
            "client certificates need HTTPS: set tls_cert and tls_key too",
        );
    }
}

fn read_syslog(r: &mut Reader, table: &toml::Table, c: &mut ServerConfig) {
    let syslog: SyslogFile = r.section(table, "syslog");
    c.syslog.udp = r.addr("syslog", "udp", syslog.udp.as_deref(), c.syslog.udp);
    c.syslog.tcp = r.addr("syslog", "tcp", syslog.tcp.as_deref(), c.syslog.tcp);
    c.syslog.tls = r.addr("syslog", "tls", syslog.tls.as_deref(), c.syslog.tls);
    c.syslog.tls_cert = syslog.tls_cert;
    c.syslog.tls_key = syslog.tls_key;
    c.syslog.tls_client_ca = syslog.tls_client_ca;
    for (section, cert, key) in [
        ("http", &c.http.tls_cert, &c.http.tls_key),
        ("syslog", &c.syslog.tls_cert, &c.syslog.tls_key),
    ] {
        if cert.is_some() != key.is_some() {
            r.problem(
                Some(section),
                "tls_cert",
                "tls_cert and tls_key go together: set both or neither",
            );
        }
    }
    if let Some(n) = r.bytes("syslog", "max_message", syslog.max_message.as_deref()) {
        // A longer message would be acknowledged (read) and then refused by the parser.
        if !(480..=vigil_ingest::MAX_RECORD_BYTES as u64).contains(&n) {
            r.problem(
                Some("syslog"),
                "max_message",
                "must be between 480 bytes and 1MiB (the record limit of every input)",
            );
        } else {
            c.syslog.max_message_bytes = n as usize;
        }
    }
    if let Some(n) = r.within(
        "syslog",
        "max_connections_per_ip",
        syslog.max_connections_per_ip,
        1..=1_000_000,
    ) {
        c.syslog.max_connections_per_ip = n;
    }
    if let Some(spec) = syslog.logsource {
        if let Err(e) = vigil_event::LogSourceTags::parse_spec(&spec) {
            r.problem(Some("syslog"), "logsource", e);
        }
        c.syslog.logsource = Some(spec);
    }
    if let Some(tenant) = syslog.tenant {
        match vigil_api_types::access::check_tenant(&tenant) {
            Ok(()) => c.syslog.tenant = tenant,
            Err(e) => r.problem(Some("syslog"), "tenant", e),
        }
    }
}

fn read_rules(r: &mut Reader, table: &toml::Table, rules: &mut RulesConfig) {
    let file: RulesFile = r.section(table, "rules");
    rules.paths = file.paths.unwrap_or_default();
    rules.pipelines = file.pipelines.unwrap_or_default();
    if let Some(level) = file.min_level {
        match Level::parse(&level) {
            Ok(l) => rules.min_level = Some(l),
            Err(e) => r.problem(Some("rules"), "min_level", e.to_string()),
        }
    }
}

fn read_store(r: &mut Reader, table: &toml::Table, c: &mut ServerConfig) {
    let store: StoreFile = r.section(table, "store");
    if let Some(d) = r.duration("store", "partition", store.partition.as_deref()) {
        c.store.partition = d;
    }
    c.store.max_age = r.duration("store", "max_age", store.max_age.as_deref());
    c.store.max_bytes = r.bytes("store", "max_size", store.max_size.as_deref());
    if let Some(d) = r.duration("store", "retention_interval", store.retention_interval.as_deref()) {
        c.store.retention_interval = d;
    }
    // What the store checks when it opens, checked here too: a file that passes starts.
    for (field, message) in c.store_config().problems() {
        r.problem(Some("store"), field, message);
    }
}

fn read_spool_and_pipeline(r: &mut Reader, table: &toml::Table, c: &mut ServerConfig) {
    let spool: SpoolFile = r.section(table, "spool");
    if let Some(n) = r.bytes("spool", "max_size", spool.max_size.as_deref()) {
        c.spool.max_bytes = n;
    }
    if let Some(n) = r.bytes("spool", "segment_size", spool.segment_size.as_deref()) {
        c.spool.segment_bytes = n;
    }
    let pipeline: PipelineFile = r.section(table, "pipeline");
    if let Some(b) = r.within("pipeline", "batch", pipeline.batch, 1..=1_000_000) {
        c.pipeline.batch = b;
    }
    if let Some(d) = r.duration("pipeline", "commit_interval", pipeline.commit_interval.as_deref()) {
        c.pipeline.commit_interval = d;
    }
    if let Some(d) = r.duration("pipeline", "future_tolerance", pipeline.future_tolerance.as_deref()) {
        c.pipeline.future_tolerance = d;
    }
}

fn read_audit(r: &mut Reader, table: &toml::Table, a: &mut AuditConfig) {
    let audit: AuditFile = r.section(table, "audit");
    if let Some(d) = r.duration("audit", "checkpoint_interval", audit.checkpoint_interval.as_deref()) {
        a.checkpoint_interval = d;
    }
    if let Some(path) = audit.signing_key {
        a.signing_key = Some(PathBuf::from(path));
    }
}

fn read_retention(r: &mut Reader, table: &toml::Table, c: &mut ServerConfig) {
    for (name, slot) in [("alerts", &mut c.alerts), ("dead_letters", &mut c.dead_letters)] {
        let keep: KeepFile = r.section(table, name);
        match keep.max_age.as_deref().map(str::trim) {
            None => {}
            Some("forever" | "off") => slot.max_age = None,
            text => slot.max_age = r.duration(name, "max_age", text),
        }
        if let Some(n) = keep.max_count {
            slot.max_rows = (n > 0).then_some(n);
        }
        match (name, keep.max_size.as_deref().map(str::trim)) {
            (_, None) => {}
            ("alerts", Some(_)) => {
                r.problem(Some(name), "max_size", "alerts are kept by max_age and max_count only");
            }
            (_, Some("0" | "off")) => slot.max_bytes = None,
            (_, text) => slot.max_bytes = r.bytes(name, "max_size", text).or(slot.max_bytes),
        }
    }
}

fn apply(c: &mut ServerConfig, o: &Overrides) -> Result<(), Vec<ConfigProblem>> {
    let mut problems = Vec::new();
    let mut addr = |flag: &str, value: &Option<String>, slot: &mut Option<SocketAddr>| {
        let Some(text) = value else { return };
        match text.trim() {
            "off" | "none" => *slot = None,
            t => match t.parse() {
                Ok(a) => *slot = Some(a),
                Err(_) => problems.push(ConfigProblem {
                    line: None,
                    key: flag.into(),
                    message: format!("`{t}` is not an address (use IP:PORT or off)"),
                }),
            },
        }
    };
    addr("--http", &o.http, &mut c.http.listen);
    addr("--syslog-udp", &o.syslog_udp, &mut c.syslog.udp);
    addr("--syslog-tcp", &o.syslog_tcp, &mut c.syslog.tcp);
    addr("--syslog-tls", &o.syslog_tls, &mut c.syslog.tls);
    if let Some(d) = &o.data_dir {
        c.data_dir = d.clone();
    }
    if !o.rules.is_empty() {
        c.rules.paths = o.rules.clone();
    }
    if let Some(url) = &o.state_url {
        match vigil_state::check_postgres_url(url) {
            Ok(()) => {
                let max_connections = match c.state {
                    StateStore::Postgres { max_connections, .. } => max_connections,
                    StateStore::Sqlite => vigil_state::DEFAULT_POSTGRES_CONNECTIONS,
                };
                c.state = StateStore::Postgres {
                    url: url.clone(),
                    max_connections,
                };
            }
            Err(e) => problems.push(ConfigProblem {
                line: None,
                key: "--state-url".into(),
                message: e.to_string(),
            }),
        }
    }
    for p in c.rules.paths.iter().chain(&c.rules.pipelines) {
        if !p.exists() {
            problems.push(ConfigProblem {
                line: None,
                key: "rules".into(),
                message: format!("{} does not exist", p.display()),
            });
        }
    }
    let syslog_files = [&c.syslog.tls_cert, &c.syslog.tls_key, &c.syslog.tls_client_ca].map(|p| ("syslog", p));
    let http_files = [&c.http.tls_cert, &c.http.tls_key, &c.http.tls_client_ca].map(|p| ("http", p));
    for (section, p) in syslog_files
        .into_iter()
        .chain(http_files)
        .filter_map(|(s, p)| Some((s, p.as_ref()?)))
    {
        if !p.is_file() {
            problems.push(ConfigProblem {
                line: None,
                key: section.into(),
                message: format!("{} is not a readable file", p.display()),
            });
        }
    }
    if c.syslog.tcp.is_some_and(|a| a.port() != 0) && c.syslog.tcp == c.syslog.tls {
        problems.push(ConfigProblem {
            line: None,
            key: "syslog.tls".into(),
            message: "syslog TCP and TLS cannot share one address".into(),
        });
    }
    if problems.is_empty() { Ok(()) } else { Err(problems) }
}

/// A commented example configuration (`vigil config example`).
pub const EXAMPLE: &str = include_str!("../../vigil.example.toml");

#[cfg(test)]
mod tests;
