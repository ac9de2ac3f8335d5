//! The builders `server::start` is made of, in the order it runs them: lock the data directory,
//! open the core (state, spool, store, rules), start the pipeline, bind the syslog inputs and the
//! HTTP listener, schedule retention.

use std::{
    net::SocketAddr,
    path::Path,
    sync::{
        Arc,
        atomic::{AtomicBool, AtomicU64, Ordering::Relaxed},
    },
};

use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;
use vigil_api::{self as api, ApiContext, auth::TokenAuth};
use vigil_ingest::{HttpIngest, Input, InputContext, SyslogTcpConfig};
use vigil_runtime::{
    engine::{self, RuleHolder},
    logsource::{LogsourceMap, LogsourceRule},
    metrics::Metrics,
    pipeline::{Pipeline, PipelineError},
    sink::SpoolSink,
    streams::Streams,
    suppression::SuppressionHolder,
};
use vigil_spool::Spool;
use vigil_state::State;
use vigil_store::EventStore;

use crate::{
    config::ServerConfig,
    conn_limit::{self, LimitedListener},
    server::{ServerError, open_state, serve_http},
    tls,
};

/// An I/O error about the data directory.
fn data_dir_error(dir: &Path) -> impl Fn(std::io::Error) -> ServerError + '_ {
    move |source| ServerError::DataDir {
        path: dir.display().to_string(),
        source,
    }
}

/// Creates the data directory and takes its lock: one server per directory.
pub fn lock_data_dir(dir: &Path) -> Result<std::fs::File, ServerError> {
    let io = data_dir_error(dir);
    std::fs::create_dir_all(dir).map_err(&io)?;
    let lock = std::fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(dir.join("LOCK"))
        .map_err(&io)?;
    if lock.try_lock().is_err() {
        return Err(ServerError::Locked(dir.display().to_string()));
    }
    Ok(lock)
}

/// What every part of the server shares.
#[derive(Debug)]
pub struct Core {
    pub state: State,
    pub spool: Arc<Spool>,
    pub store: Arc<EventStore>,
    pub rules: Arc<RuleHolder>,
    pub metrics: Arc<Metrics>,
    /// Keyed ingest streams, opened before the pipeline runs (their unprocessed records are
    /// still in the spool).
    pub streams: Arc<Streams>,
    /// The active suppression rules, loaded before the pipeline starts; the pipeline reloads
    /// them every few seconds, the API after each change.
    pub suppressions: Arc<SuppressionHolder>,
    /// The pipeline's per-source counters ([`crate::source_health`] flushes them).
    pub sources: Arc<vigil_runtime::sources::SourceTracker>,
    /// The measure gauges of `/metrics` ([`crate::measure_task`] refreshes them).
    pub measure_gauges: Arc<api::kpi_gauges::MeasureGauges>,
}

/// Opens the state database, the spool, the event store and the rules.
pub async fn open_core(config: &ServerConfig) -> Result<Core, ServerError> {
    let dir = &config.data_dir;
    let state = open_state(&config.state, dir).await?;
    let spool = Arc::new(tokio::task::block_in_place(|| Spool::open(spool_config(config)))?);
    let store_config = config.store_config();
    let store = Arc::new(tokio::task::block_in_place(|| EventStore::open(store_config))?);
    number_after_stored(&state, &spool, &store).await?;
    let rules = Arc::new(load_rules(config).await?);
    let streams = {
        let (state, spool) = (state.clone(), spool.clone());
        Arc::new(tokio::task::block_in_place(|| Streams::open(state, spool))?)
    };
    let suppressions = Arc::new(SuppressionHolder::new());
    let active = suppressions.reload(&state).await?;
    if active > 0 {
        tracing::info!(active, "suppression rules loaded");
    }
    Ok(Core {
        state,
        spool,
        store,
        rules,
        metrics: Arc::new(Metrics::default()),
        streams,
        suppressions,
        sources: Arc::new(vigil_runtime::sources::SourceTracker::new(config.sources.max_sources)),
        measure_gauges: Arc::default(),
    })
}

fn spool_config(config: &ServerConfig) -> vigil_spool::SpoolConfig {
    let mut spool_config = vigil_spool::SpoolConfig::new(config.data_dir.join("spool"));
    spool_config.max_bytes = config.spool.max_bytes;
    // Backpressure counts unprocessed records, but processed ones leave the disk a whole segment
    // at a time: small segments keep the files near the limit.
    spool_config.segment_bytes = config.spool.segment_bytes.min((config.spool.max_bytes / 4).max(4096));
    spool_config
}

/// A spool made anew (lost, or deleted by hand) must not reuse the sequence numbers the store
/// and the correlation state already hold: they would skip its records as replays.
async fn number_after_stored(state: &State, spool: &Spool, store: &EventStore) -> Result<(), ServerError> {
    let floor = store
        .highest_seq()
        .max(vigil_runtime::pipeline::correlation_saved_seq(state).await?);
    if tokio::task::block_in_place(|| spool.continue_after(floor))? {
        tracing::warn!(
            next = floor + 1,
            "the spool is new but the store holds records: numbering continues after them"
        );
    }
    Ok(())
}

/// Loads the configured rules (off the async threads); rules that fail are logged and skipped.
async fn load_rules(config: &ServerConfig) -> Result<RuleHolder, ServerError> {
    let rules_config = config.rules.clone();
    let rules = tokio::task::spawn_blocking(move || engine::load(&rules_config, 0))
        .await
        .map_err(|e| ServerError::Pipeline(e.to_string()))??;
    for p in &rules.report.problems {
        tracing::warn!(problem = %p, "rule not loaded");
    }
    tracing::info!(
        compiled = rules.report.compiled,
        correlations = rules.report.correlation_rules,
        problems = rules.report.problems.len(),
        "rules loaded"
    );
    Ok(RuleHolder::new(config.rules.clone(), rules))
}

/// The running pipeline thread and what steers and observes it.
#[derive(Debug)]
pub struct PipelineRun {
    pub thread: std::thread::JoinHandle<Result<(), PipelineError>>,
    /// Set to stop it (after the inputs have stopped).
    pub stop: Arc<AtomicBool>,
    /// Its next spool sequence number.
    pub position: Arc<AtomicU64>,
    /// False once it has stopped (readiness fails).
    pub alive: Arc<AtomicBool>,
}

/// Starts the spool → detect → store pipeline on its own thread.
pub fn spawn_pipeline(config: &ServerConfig, core: &Core) -> Result<PipelineRun, ServerError> {
    let stop = Arc::new(AtomicBool::new(false));
    let position = Arc::new(AtomicU64::new(core.spool.checkpointed() + 1));
    let alive = Arc::new(AtomicBool::new(true));
    let pipeline = Pipeline {
        spool: core.spool.clone(),
        store: core.store.clone(),
        state: core.state.clone(),
        rules: core.rules.clone(),
        metrics: core.metrics.clone(),
        config: config.pipeline.clone(),
        logsources: logsource_map(config)?,
        runtime: tokio::runtime::Handle::current(),
        shutdown: stop.clone(),
        position: position.clone(),
        checkpoint_hold: core.streams.checkpoint_hold(),
        suppressions: core.suppressions.clone(),
        sources: core.sources.clone(),
    };
    let still_alive = alive.clone();
    let thread = std::thread::Builder::new()
        .name("vigil-pipeline".into())
        .spawn(move || {
            let r = pipeline.run();
            if let Err(e) = &r {
                tracing::error!(error = %e, "pipeline stopped");
            }
            still_alive.store(false, Relaxed);
            r
        })
        .map_err(data_dir_error(&config.data_dir))?;
    Ok(PipelineRun {
        thread,
        stop,
        position,
        alive,
    })
}

/// The `[[logsource]]` entries, then `[syslog] logsource` as an entry for the syslog inputs.
fn logsource_map(config: &ServerConfig) -> Result<LogsourceMap, ServerError> {
    let mut rules = config.logsources.clone();
    if let Some(spec) = &config.syslog.logsource {
        let tags = vigil_event::LogSourceTags::parse_spec(spec).map_err(|m| ServerError::Input {
            input: "syslog".into(),
            message: m,
        })?;
        rules.push(LogsourceRule {
            input: Some("syslog-*".into()),
            tags,
            ..LogsourceRule::default()
        });
    }
    Ok(LogsourceMap::new(rules))
}

/// The OpenID provider of `[oidc]`, its keys loaded (or a warning when it cannot be reached
/// yet: bearer JWTs then answer 503 until a refresh succeeds), refreshed until `stop`.
pub async fn start_oidc(
    config: &ServerConfig,
    stop: CancellationToken,
) -> Result<Option<(Arc<vigil_oidc::Oidc>, JoinHandle<()>)>, ServerError> {
    let Some(oidc_config) = &config.oidc else {
        return Ok(None);
    };
    // jsonwebtoken picks its crypto backend at run time; exactly one (aws-lc-rs) is built in.
    // `Err` means it was installed already.
    let _ = jsonwebtoken::crypto::aws_lc::DEFAULT_PROVIDER.install_default();
    let oidc = Arc::new(vigil_oidc::Oidc::new(oidc_config.clone()).map_err(|e| ServerError::Oidc(e.to_string()))?);
    match oidc.refresh().await {
        Ok(keys) => tracing::info!(issuer = %oidc_config.issuer, keys, "OpenID provider ready"),
        Err(e) => {
            tracing::warn!(error = %e, "the OpenID provider cannot be reached yet; bearer JWTs are answered 503 until it can")
        }
    }
    let task = tokio::spawn(oidc.clone().keep_fresh(async move { stop.cancelled().await }));
    Ok(Some((oidc, task)))
}

/// Runs inputs as tasks that deliver to the spool, and keeps their handles.
#[derive(Debug)]
pub struct Inputs {
    pub sink: SpoolSink,
    pub auth: TokenAuth,
    metrics: Arc<Metrics>,
    pub shutdown: CancellationToken,
    tasks: Vec<JoinHandle<()>>,
}

impl Inputs {
    pub fn new(core: &Core, oidc: Option<Arc<vigil_oidc::Oidc>>, shutdown: CancellationToken) -> Self {
        Inputs {
            sink: SpoolSink {
                spool: core.spool.clone(),
                state: core.state.clone(),
                metrics: core.metrics.clone(),
            },
            auth: TokenAuth {
                state: core.state.clone(),
                oidc,
            },
            metrics: core.metrics.clone(),
            shutdown,
            tasks: Vec::new(),
        }
    }

    /// Runs a bound input until shutdown; its address.
    fn run(&mut self, input: Box<dyn Input>, name: &str) -> SocketAddr {
        let addr = input.local_addr();
        let ctx = InputContext {
            sink: Arc::new(self.sink.clone()),
            metrics: self.metrics.input(name),
            shutdown: self.shutdown.clone(),
        };
        let name = name.to_string();
        tracing::info!(input = %name, %addr, "listening");
        self.spawn(async move {
            if let Err(e) = input.run(ctx).await {
                tracing::error!(input = %name, error = %e, "input stopped");
            }
        });
        addr
    }

    fn spawn(&mut self, task: impl Future<Output = ()> + Send + 'static) {
        self.tasks.push(tokio::spawn(task));
    }

    pub fn into_tasks(self) -> Vec<JoinHandle<()>> {
        self.tasks
    }
}

/// Where the syslog inputs listen (`None`: not configured).
#[derive(Debug, Default)]
pub struct SyslogAddrs {
    pub udp: Option<SocketAddr>,
    pub tcp: Option<SocketAddr>,
    pub tls: Option<SocketAddr>,
}

fn input_error(input: &str, e: vigil_ingest::IngestError) -> ServerError {
    ServerError::Input {
        input: input.into(),
        message: e.to_string(),
    }
}

/// A syslog TCP or TLS input's settings.
fn syslog_tcp_config(config: &ServerConfig, name: &str, addr: SocketAddr) -> SyslogTcpConfig {
    let max_msg = config.syslog.max_message_bytes;
    // A TCP batch larger than the spool could hold would be refused forever.
    let batch_cap = usize::try_from(config.spool.max_bytes / 4)
        .unwrap_or(usize::MAX)
        .max(max_msg);
    let mut c = SyslogTcpConfig::new(name, addr);
    c.max_message_size = max_msg;
    c.max_connections_per_ip = config.syslog.max_connections_per_ip;
    c.batch_max_bytes = c.batch_max_bytes.min(batch_cap);
    c.tenant.clone_from(&config.syslog.tenant);
    c
}

/// Binds and runs the configured syslog inputs (UDP, TCP, TLS).
pub async fn start_syslog(config: &ServerConfig, inputs: &mut Inputs) -> Result<SyslogAddrs, ServerError> {
    let mut addrs = SyslogAddrs::default();
    if let Some(addr) = config.syslog.udp {
        let mut c = vigil_ingest::SyslogUdpConfig::new("syslog-udp", addr);
        c.max_message_size = config.syslog.max_message_bytes;
        c.tenant.clone_from(&config.syslog.tenant);
        let i = vigil_ingest::SyslogUdpInput::bind(c)
            .await
            .map_err(|e| input_error("syslog-udp", e))?;
        addrs.udp = Some(inputs.run(Box::new(i), "syslog-udp"));
    }
    if let Some(addr) = config.syslog.tcp {
        let i = vigil_ingest::SyslogTcpInput::bind(syslog_tcp_config(config, "syslog-tcp", addr))
            .await
            .map_err(|e| input_error("syslog-tcp", e))?;
        addrs.tcp = Some(inputs.run(Box::new(i), "syslog-tcp"));
    }
    if let Some(addr) = config.syslog.tls {
        let tls = tls::syslog_server_config(config)?;
        let i = vigil_ingest::SyslogTcpInput::bind_tls(syslog_tcp_config(config, "syslog-tls", addr), tls)
            .await
            .map_err(|e| input_error("syslog-tls", e))?;
        addrs.tls = Some(inputs.run(Box::new(i), "syslog-tls"));
    }
    Ok(addrs)
}

/// What the API's handlers reach.
fn api_context(config: &ServerConfig, core: &Core, pipeline: &PipelineRun, inputs: &Inputs) -> ApiContext {
    let http = &config.http;
    ApiContext {
        store: core.store.clone(),
        state: core.state.clone(),
        rules: core.rules.clone(),
        metrics: core.metrics.clone(),
        spool: core.spool.clone(),
        sink: inputs.sink.clone(),
        auth: inputs.auth.clone(),
        position: pipeline.position.clone(),
        pipeline_alive: pipeline.alive.clone(),
        max_body_bytes: http.max_body_bytes,
        api_ingest: core.metrics.input("api"),
        limiter: (http.api_rate_limit > 0)
            .then(|| Arc::new(api::rate_limit::RateLimiter::new(http.api_rate_limit, http.api_burst))),
        metrics_auth: http.metrics_need_token(),
        streams: core.streams.clone(),
        tls: http.tls_cert.is_some(),
        login_limiter: Arc::new(api::rate_limit::RateLimiter::per_minute(
            http.login_per_minute,
            http.login_burst,
        )),
        login_name_limiter: Arc::new(api::rate_limit::RateLimiter::per_minute(
            api::session::LOGIN_NAME_PER_MINUTE,
            api::session::LOGIN_NAME_BURST,
        )),
        respond: Arc::new(api::Respond {
            matrix: config.respond.matrix,
            sla: config.respond.sla.clone(),
            attachment_max_bytes: config.respond.attachment_max_bytes,
            runbooks: config.respond.runbooks.runbooks.clone(),
            runbooks_source: config.respond.runbooks.source.clone(),
            oncall: (config.respond.notify.recipients.oncall.iter())
                .map(|(name, t)| (name.clone(), t.rotation.clone()))
                .collect(),
            policies: crate::policy_view::policies(config),
        }),
        suppressions: core.suppressions.clone(),
        measure_gauges: core.measure_gauges.clone(),
        coverage: config.coverage.as_ref().map(|c| {
            Arc::new(api::coverage::CoverageSetup {
                attack: c.attack.clone(),
                bundle: c.attack_bundle.clone(),
                scope: c.scope.clone(),
                window: c.window,
            })
        }),
    }
}

/// The Elasticsearch, HEC and OTLP routes, with their counters registered.
fn http_ingest(config: &ServerConfig, core: &Core, inputs: &Inputs) -> HttpIngest {
    let ingest = HttpIngest::new(
        vigil_ingest::HttpIngestConfig {
            // `max_body` bounds a body as sent and, decompressed, as read (as documented).
            max_body_bytes: config.http.max_body_bytes,
            max_decoded_bytes: config.http.max_body_bytes,
            ..Default::default()
        },
        Arc::new(inputs.sink.clone()),
        Arc::new(inputs.auth.clone()),
    );
    core.metrics.register("elasticsearch", ingest.es_metrics());
    core.metrics.register("hec", ingest.hec_metrics());
    core.metrics.register("otlp", ingest.otlp_metrics());
    ingest
}

/// Binds the HTTP listener (the API and the HTTP inputs; HTTPS when configured) behind its
/// connection limits.
pub async fn start_http(
    config: &ServerConfig,
    core: &Core,
    pipeline: &PipelineRun,
    inputs: &mut Inputs,
) -> Result<Option<SocketAddr>, ServerError> {
    let Some(addr) = config.http.listen else {
        return Ok(None);
    };
    let ctx = Arc::new(api_context(config, core, pipeline, inputs));
    // Scheduled reports build with the API's context (KPIs with the server's SLA policies).
    inputs.tasks.extend(crate::report_task::spawn(
        ctx.clone(),
        config.reports.clone(),
        inputs.shutdown.clone(),
    ));
    let app = api::app(ctx, vigil_ingest::http_router(http_ingest(config, core, inputs)));
    let http_error = |source| ServerError::Http { addr, source };
    let listener = tokio::net::TcpListener::bind(addr).await.map_err(http_error)?;
    let local = listener.local_addr().map_err(http_error)?;
    let limits = conn_limit::Limits {
        max_connections: config.http.max_connections,
        max_connections_per_ip: config.http.max_connections_per_ip,
        header_read_timeout: config.http.header_read_timeout,
        idle_timeout: config.http.idle_timeout,
    };
    let limited = LimitedListener::new(listener, limits, core.metrics.input("http"));
    let stop = inputs.shutdown.clone();
    let scheme = match tls::http_server_config(config)? {
        Some(tls) => {
            let tls_listener = tls::TlsListener::new(limited, tls, stop.clone()).map_err(http_error)?;
            inputs.spawn(serve_http(tls_listener, app, stop));
            "https"
        }
        None => {
            inputs.spawn(serve_http(limited, app, stop));
            "http"
        }
    };
    tracing::info!(addr = %local, scheme, "HTTP API, _bulk, HEC and OTLP listening");
    Ok(Some(local))
}

/// Retention, on its own schedule: events, then alerts, dead letters, the listed matches of
/// suppressions and idle sessions.
pub fn spawn_retention(config: &ServerConfig, core: &Core, stop: CancellationToken) -> JoinHandle<()> {
    let store = core.store.clone();
    let state = core.state.clone();
    let metrics = core.metrics.clone();
    let every = config.store.retention_interval;
    let (keep_alerts, keep_letters) = (config.alerts, config.dead_letters);
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(every);
        loop {
            tokio::select! {
                _ = stop.cancelled() => break,
                _ = tick.tick() => {}
            }
            let now = jiff::Timestamp::now();
            let store = store.clone();
            match tokio::task::spawn_blocking(move || store.retain(now)).await {
                Ok(Ok(report)) if report.partitions_dropped > 0 => {
                    tracing::info!(?report, "retention dropped partitions");
                }
                Ok(Ok(_)) => {}
                Ok(Err(e)) => tracing::error!(error = %e, "retention failed"),
                Err(e) => tracing::error!(error = %e, "retention task failed"),
            }
            if !keep_alerts.is_keep_all() {
                let pruned = state.prune_alerts(keep_alerts, now).await;
                note_pruned("alerts", pruned, &metrics.alerts_pruned);
            }
            if !keep_letters.is_keep_all() {
                let pruned = state.prune_dead_letters(keep_letters, now).await;
                note_pruned("dead letters", pruned, &metrics.dead_letters_pruned);
            }
            match state.prune_suppressed_matches(now).await {
                Ok(0) => {}
                Ok(n) => tracing::info!(
                    deleted = n,
                    "retention deleted listed suppressed matches (30 days, 1,000,000 rows)"
                ),
                Err(e) => tracing::error!(error = %e, "retention of suppressed matches failed"),
            }
            match state.prune_sessions(now).await {
                Ok(0) => {}
                Ok(n) => tracing::info!(deleted = n, "retention deleted sessions unused for a week"),
                Err(e) => tracing::error!(error = %e, "retention of sessions failed"),
            }
        }
    })
}

/// Counts and logs one retention pass over alerts or dead letters.
fn note_pruned(what: &str, pruned: Result<u64, vigil_state::StateError>, counter: &AtomicU64) {
    match pruned {
        Ok(0) => {}
        Ok(n) => {
            counter.fetch_add(n, Relaxed);
            tracing::info!(deleted = n, "retention deleted {what}");
        }
        Err(e) => tracing::error!(error = %e, "retention of {what} failed"),
    }
}

/// Tells the operator when no credential can use the API yet.
pub async fn warn_without_tokens(state: &State, dir: &Path) -> Result<(), ServerError> {
    let keys = state.list_tokens().await?;
    let now = jiff::Timestamp::now();
    if keys.iter().all(|k| k.revoked || k.is_expired(now)) {
        tracing::warn!(
            "no usable API keys: HTTP ingest and the API refuse every request until you run `vigil apikey create --data-dir {} --role ROLE --name NAME`",
            dir.display()
        );
    }
    Ok(())
}
