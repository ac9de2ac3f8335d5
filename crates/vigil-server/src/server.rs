//! `vigil serve`: opens the data directory, starts the pipeline, binds every input and the HTTP
//! listener, and stops cleanly (inputs first, then the pipeline commits what was spooled).

use std::{
    net::SocketAddr,
    path::{Path, PathBuf},
    sync::{
        Arc,
        atomic::{AtomicBool, AtomicU64, Ordering::Relaxed},
    },
    time::Duration,
};

use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;
use vigil_ingest::{HttpIngest, Input, InputContext};
use vigil_spool::Spool;
use vigil_state::State;
use vigil_store::EventStore;

use vigil_api::{self as api, ApiContext, auth::TokenAuth};
use vigil_runtime::{
    engine::{self, RuleHolder},
    logsource::{LogsourceMap, LogsourceRule},
    metrics::Metrics,
    pipeline::Pipeline,
    sink::SpoolSink,
};

use crate::{config::ServerConfig, conn_limit::LimitedListener, tls};

/// Errors that stop the server from starting or running.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ServerError {
    #[error("data directory {path}: {source}")]
    DataDir { path: String, source: std::io::Error },
    #[error("data directory {0} is in use by another Vigil process")]
    Locked(String),
    #[error("spool: {0}")]
    Spool(#[from] vigil_spool::SpoolError),
    #[error("event store: {0}")]
    Store(#[from] vigil_store::StoreError),
    #[error("state database: {0}")]
    State(#[from] vigil_state::StateError),
    #[error("rules: {0}")]
    Rules(#[from] engine::RulesError),
    #[error("{input}: {message}")]
    Input { input: String, message: String },
    #[error("syslog TLS: {0}")]
    Tls(String),
    #[error("HTTP listener {addr}: {source}")]
    Http { addr: SocketAddr, source: std::io::Error },
    #[error("the pipeline stopped: {0}")]
    Pipeline(String),
}

/// Paths inside the data directory.
pub fn state_db_path(data_dir: &Path) -> PathBuf {
    data_dir.join("state.db")
}

/// Serves the API and HTTP inputs on `listener` (plain TCP or HTTPS) until `stop`. Handlers see
/// the peer address as `ConnectInfo<SocketAddr>` either way.
async fn serve_http<L>(listener: L, app: axum::Router, stop: CancellationToken)
where
    L: axum::serve::Listener<Addr = SocketAddr>,
    L::Io: crate::conn_limit::CountedIo,
{
    let make_service = tower::service_fn(move |stream: axum::serve::IncomingStream<'_, L>| {
        let peer = *stream.remote_addr();
        // Wrapping the router as a whole, not each route: this runs for every connection.
        let tracked = crate::conn_limit::track_requests(app.clone(), stream.io());
        let app = tower::Layer::layer(&axum::Extension(axum::extract::ConnectInfo(peer)), tracked);
        std::future::ready(Ok::<_, std::convert::Infallible>(app))
    });
    let served = axum::serve(listener, make_service)
        .with_graceful_shutdown(async move { stop.cancelled().await })
        .await;
    if let Err(e) = served {
        tracing::error!(error = %e, "HTTP listener stopped");
    }
}

/// A started server.
#[derive(Debug)]
pub struct RunningServer {
    pub http: Option<SocketAddr>,
    pub syslog_udp: Option<SocketAddr>,
    pub syslog_tcp: Option<SocketAddr>,
    pub syslog_tls: Option<SocketAddr>,
    pub rules: Arc<RuleHolder>,
    pub metrics: Arc<Metrics>,
    shutdown: CancellationToken,
    stop_pipeline: Arc<AtomicBool>,
    tasks: Vec<JoinHandle<()>>,
    pipeline: Option<std::thread::JoinHandle<Result<(), vigil_runtime::pipeline::PipelineError>>>,
    spool: Arc<Spool>,
    _lock: std::fs::File,
}

/// Opens everything and starts serving. Returns once every listener is bound.
pub async fn start(config: ServerConfig) -> Result<RunningServer, ServerError> {
    let dir = &config.data_dir;
    let io = |source| ServerError::DataDir {
        path: dir.display().to_string(),
        source,
    };
    std::fs::create_dir_all(dir).map_err(io)?;
    let lock = std::fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(dir.join("LOCK"))
        .map_err(io)?;
    if lock.try_lock().is_err() {
        return Err(ServerError::Locked(dir.display().to_string()));
    }
    let state = State::open(&state_db_path(dir)).await?;
    let mut spool_config = vigil_spool::SpoolConfig::new(dir.join("spool"));
    spool_config.max_bytes = config.spool.max_bytes;
    // Backpressure counts unprocessed records, but processed ones leave the disk a whole segment
    // at a time: small segments keep the files near the limit.
    spool_config.segment_bytes = config.spool.segment_bytes.min((config.spool.max_bytes / 4).max(4096));
    let spool = Arc::new(tokio::task::block_in_place(|| Spool::open(spool_config))?);
    let store_config = config.store_config();
    let store = Arc::new(tokio::task::block_in_place(|| EventStore::open(store_config))?);
    // A spool made anew (lost, or deleted by hand) must not reuse the sequence numbers the store
    // and the correlation state already hold: they would skip its records as replays.
    let floor = store
        .highest_seq()
        .max(vigil_runtime::pipeline::correlation_saved_seq(&state).await?);
    if tokio::task::block_in_place(|| spool.continue_after(floor))? {
        tracing::warn!(
            next = floor + 1,
            "the spool is new but the store holds records: numbering continues after them"
        );
    }
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
    let rules = Arc::new(RuleHolder::new(config.rules.clone(), rules));
    let metrics = Arc::new(Metrics::default());
    let shutdown = CancellationToken::new();
    let stop_pipeline = Arc::new(AtomicBool::new(false));
    let position = Arc::new(AtomicU64::new(spool.checkpointed() + 1));
    let pipeline_alive = Arc::new(AtomicBool::new(true));

    let logsources = logsource_map(&config)?;
    // Before the pipeline runs: keyed ingest records it has not processed are still in the spool.
    let streams = {
        let (state, spool) = (state.clone(), spool.clone());
        Arc::new(tokio::task::block_in_place(|| {
            vigil_runtime::streams::Streams::open(state, spool)
        })?)
    };
    let pipeline = Pipeline {
        spool: spool.clone(),
        store: store.clone(),
        state: state.clone(),
        rules: rules.clone(),
        metrics: metrics.clone(),
        config: config.pipeline.clone(),
        logsources,
        runtime: tokio::runtime::Handle::current(),
        shutdown: stop_pipeline.clone(),
        position: position.clone(),
        checkpoint_hold: streams.checkpoint_hold(),
    };
    let alive = pipeline_alive.clone();
    let pipeline = std::thread::Builder::new()
        .name("vigil-pipeline".into())
        .spawn(move || {
            let r = pipeline.run();
            if let Err(e) = &r {
                tracing::error!(error = %e, "pipeline stopped");
            }
            alive.store(false, Relaxed);
            r
        })
        .map_err(io)?;

    let sink = SpoolSink {
        spool: spool.clone(),
        state: state.clone(),
        metrics: metrics.clone(),
    };
    let auth = TokenAuth { state: state.clone() };
    let mut tasks = Vec::new();
    let mut bound = |input: Box<dyn Input>, name: &str| -> SocketAddr {
        let addr = input.local_addr();
        let ctx = InputContext {
            sink: Arc::new(sink.clone()),
            metrics: metrics.input(name),
            shutdown: shutdown.clone(),
        };
        let name = name.to_string();
        tracing::info!(input = %name, %addr, "listening");
        tasks.push(tokio::spawn(async move {
            if let Err(e) = input.run(ctx).await {
                tracing::error!(input = %name, error = %e, "input stopped");
            }
        }));
        addr
    };
    let input_err = |input: &str, e: vigil_ingest::IngestError| ServerError::Input {
        input: input.into(),
        message: e.to_string(),
    };
    let max_msg = config.syslog.max_message_bytes;
    // A TCP batch larger than the spool could hold would be refused forever.
    let batch_cap = usize::try_from(config.spool.max_bytes / 4)
        .unwrap_or(usize::MAX)
        .max(max_msg);
    let syslog_udp = match config.syslog.udp {
        Some(addr) => {
            let mut c = vigil_ingest::SyslogUdpConfig::new("syslog-udp", addr);
            c.max_message_size = max_msg;
            let i = vigil_ingest::SyslogUdpInput::bind(c)
                .await
                .map_err(|e| input_err("syslog-udp", e))?;
            Some(bound(Box::new(i), "syslog-udp"))
        }
        None => None,
    };
    let syslog_tcp = match config.syslog.tcp {
        Some(addr) => {
            let mut c = vigil_ingest::SyslogTcpConfig::new("syslog-tcp", addr);
            c.max_message_size = max_msg;
            c.max_connections_per_ip = config.syslog.max_connections_per_ip;
            c.batch_max_bytes = c.batch_max_bytes.min(batch_cap);
            let i = vigil_ingest::SyslogTcpInput::bind(c)
                .await
                .map_err(|e| input_err("syslog-tcp", e))?;
            Some(bound(Box::new(i), "syslog-tcp"))
        }
        None => None,
    };
    let syslog_tls = match config.syslog.tls {
        Some(addr) => {
            let tls = tls::syslog_server_config(&config)?;
            let mut c = vigil_ingest::SyslogTcpConfig::new("syslog-tls", addr);
            c.max_message_size = max_msg;
            c.max_connections_per_ip = config.syslog.max_connections_per_ip;
            c.batch_max_bytes = c.batch_max_bytes.min(batch_cap);
            let i = vigil_ingest::SyslogTcpInput::bind_tls(c, tls)
                .await
                .map_err(|e| input_err("syslog-tls", e))?;
            Some(bound(Box::new(i), "syslog-tls"))
        }
        None => None,
    };

    let http = match config.http.listen {
        Some(addr) => {
            let ctx = Arc::new(ApiContext {
                store: store.clone(),
                state: state.clone(),
                rules: rules.clone(),
                metrics: metrics.clone(),
                spool: spool.clone(),
                sink: sink.clone(),
                auth: auth.clone(),
                position: position.clone(),
                pipeline_alive: pipeline_alive.clone(),
                max_body_bytes: config.http.max_body_bytes,
                api_ingest: metrics.input("api"),
                limiter: (config.http.api_rate_limit > 0).then(|| {
                    Arc::new(api::rate_limit::RateLimiter::new(
                        config.http.api_rate_limit,
                        config.http.api_burst,
                    ))
                }),
                metrics_auth: config.http.metrics_need_token(),
                streams: streams.clone(),
            });
            let ingest = HttpIngest::new(
                vigil_ingest::HttpIngestConfig {
                    // `max_body` bounds a body as sent and, decompressed, as read (as documented).
                    max_body_bytes: config.http.max_body_bytes,
                    max_decoded_bytes: config.http.max_body_bytes,
                    ..Default::default()
                },
                Arc::new(sink.clone()),
                Arc::new(auth.clone()),
            );
            metrics.register("elasticsearch", ingest.es_metrics());
            metrics.register("hec", ingest.hec_metrics());
            metrics.register("otlp", ingest.otlp_metrics());
            let app = api::app(ctx, vigil_ingest::http_router(ingest));
            let listener = tokio::net::TcpListener::bind(addr)
                .await
                .map_err(|source| ServerError::Http { addr, source })?;
            let local = listener
                .local_addr()
                .map_err(|source| ServerError::Http { addr, source })?;
            let stop = shutdown.clone();
            let limits = crate::conn_limit::Limits {
                max_connections: config.http.max_connections,
                max_connections_per_ip: config.http.max_connections_per_ip,
                header_read_timeout: config.http.header_read_timeout,
                idle_timeout: config.http.idle_timeout,
            };
            let limited = LimitedListener::new(listener, limits, metrics.input("http"));
            let scheme = match tls::http_server_config(&config)? {
                Some(tls) => {
                    let tls_listener = tls::TlsListener::new(limited, tls, shutdown.clone())
                        .map_err(|source| ServerError::Http { addr, source })?;
                    tasks.push(tokio::spawn(serve_http(tls_listener, app, stop)));
                    "https"
                }
                None => {
                    tasks.push(tokio::spawn(serve_http(limited, app, stop)));
                    "http"
                }
            };
            tracing::info!(addr = %local, scheme, "HTTP API, _bulk, HEC and OTLP listening");
            Some(local)
        }
        None => None,
    };

    // Retention, on its own schedule: events, then alerts and dead letters.
    {
        let store = store.clone();
        let state = state.clone();
        let metrics = metrics.clone();
        let stop = shutdown.clone();
        let every = config.store.retention_interval;
        let (keep_alerts, keep_letters) = (config.alerts, config.dead_letters);
        tasks.push(tokio::spawn(async move {
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
            }
        }));
    }
    let tokens = state.list_tokens().await?;
    if tokens.iter().all(|t| t.revoked) {
        tracing::warn!(
            "no API tokens yet: HTTP ingest and the API refuse every request until you run `vigil token create --data-dir {} --scope ingest|read|admin`",
            dir.display()
        );
    }
    Ok(RunningServer {
        http,
        syslog_udp,
        syslog_tcp,
        syslog_tls,
        rules,
        metrics,
        shutdown,
        stop_pipeline,
        tasks,
        pipeline: Some(pipeline),
        spool,
        _lock: lock,
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

impl RunningServer {
    /// Stops inputs, lets the pipeline commit everything already spooled, and closes the spool.
    pub async fn stop(mut self) -> Result<(), ServerError> {
        self.shutdown.cancel();
        for t in self.tasks.drain(..) {
            let _ = tokio::time::timeout(Duration::from_secs(10), t).await;
        }
        self.stop_pipeline.store(true, Relaxed);
        let result = match self.pipeline.take() {
            Some(handle) => tokio::task::spawn_blocking(move || handle.join())
                .await
                .map_err(|e| ServerError::Pipeline(e.to_string()))?
                .map_err(|_| ServerError::Pipeline("the pipeline thread panicked".into()))?
                .map_err(|e| ServerError::Pipeline(e.to_string())),
            None => Ok(()),
        };
        let spool = self.spool.clone();
        let _ = tokio::task::spawn_blocking(move || spool.close()).await;
        result
    }

    /// Whether the pipeline thread is still running.
    pub fn pipeline_running(&self) -> bool {
        self.pipeline.as_ref().is_some_and(|h| !h.is_finished())
    }
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
