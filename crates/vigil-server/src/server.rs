//! `vigil serve`: opens the data directory, starts the pipeline, binds every input and the HTTP
//! listener, and stops cleanly (inputs first, then the pipeline commits what was spooled).

use std::{
    net::SocketAddr,
    path::{Path, PathBuf},
    sync::{
        Arc,
        atomic::{AtomicBool, Ordering::Relaxed},
    },
    time::Duration,
};

use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;
use vigil_runtime::{engine::RuleHolder, metrics::Metrics};
use vigil_spool::Spool;

use crate::{audit_task, config::ServerConfig, startup};

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
    Rules(#[from] vigil_runtime::engine::RulesError),
    #[error("{input}: {message}")]
    Input { input: String, message: String },
    #[error("syslog TLS: {0}")]
    Tls(String),
    #[error("HTTP listener {addr}: {source}")]
    Http { addr: SocketAddr, source: std::io::Error },
    #[error("the pipeline stopped: {0}")]
    Pipeline(String),
    #[error("[oidc]: {0}")]
    Oidc(String),
}

/// Paths inside the data directory.
pub fn state_db_path(data_dir: &Path) -> PathBuf {
    data_dir.join("state.db")
}

/// Opens the state where `store` says: `state.db` in `data_dir`, or the PostgreSQL database.
pub async fn open_state(
    store: &crate::config::StateStore,
    data_dir: &Path,
) -> Result<vigil_state::State, vigil_state::StateError> {
    match store {
        crate::config::StateStore::Sqlite => vigil_state::State::open(&state_db_path(data_dir)).await,
        crate::config::StateStore::Postgres { url, max_connections } => {
            vigil_state::State::connect_postgres(url, *max_connections).await
        }
    }
}

/// Serves the API and HTTP inputs on `listener` (plain TCP or HTTPS) until `stop`. Handlers see
/// the peer address as `ConnectInfo<SocketAddr>` either way.
pub(crate) async fn serve_http<L>(listener: L, app: axum::Router, stop: CancellationToken)
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
    pub state: vigil_state::State,
    shutdown: CancellationToken,
    stop_pipeline: Arc<AtomicBool>,
    tasks: Vec<JoinHandle<()>>,
    pipeline: Option<std::thread::JoinHandle<Result<(), vigil_runtime::pipeline::PipelineError>>>,
    spool: Arc<Spool>,
    /// The pipeline's per-source counters: flushed once more after it stops.
    sources: Arc<vigil_runtime::sources::SourceTracker>,
    _lock: std::fs::File,
}

/// Opens everything and starts serving. Returns once every listener is bound.
pub async fn start(config: ServerConfig) -> Result<RunningServer, ServerError> {
    let lock = startup::lock_data_dir(&config.data_dir)?;
    let core = startup::open_core(&config).await?;
    let signing_key = audit_task::signing_key(&config)?;
    let shutdown = CancellationToken::new();
    let pipeline = startup::spawn_pipeline(&config, &core)?;
    let oidc = startup::start_oidc(&config, shutdown.clone()).await?;
    let (oidc, oidc_task) = oidc.unzip();
    let mut inputs = startup::Inputs::new(&core, oidc, shutdown.clone());
    let syslog = startup::start_syslog(&config, &mut inputs).await?;
    let http = startup::start_http(&config, &core, &pipeline, &mut inputs).await?;
    let mut tasks = inputs.into_tasks();
    tasks.extend(oidc_task);
    tasks.push(startup::spawn_retention(&config, &core, shutdown.clone()));
    match crate::escalation::spawn(
        core.state.clone(),
        config.respond.sla.clone(),
        config.respond.notify.clone(),
        shutdown.clone(),
    ) {
        Ok(task) => tasks.push(task),
        Err(e) => {
            tracing::error!(error = %e, "notifications cannot start: SLA events and escalations are not recorded")
        }
    }
    tasks.extend(crate::auto_incident::spawn(
        core.state.clone(),
        config.respond.auto_incident.clone(),
        config.respond.matrix,
        config.respond.runbooks.runbooks.clone(),
        shutdown.clone(),
    ));
    tasks.extend(crate::source_health::spawn(
        core.state.clone(),
        core.sources.clone(),
        config.sources.clone(),
        shutdown.clone(),
    ));
    tasks.push(crate::observable_task::spawn(
        core.state.clone(),
        core.store.clone(),
        shutdown.clone(),
    ));
    tasks.push(crate::measure_task::spawn(
        core.state.clone(),
        config.respond.sla.clone(),
        core.measure_gauges.clone(),
        config.respond.notify.check_interval,
        shutdown.clone(),
    ));
    tasks.push(audit_task::spawn_checkpoints(
        &config,
        core.state.clone(),
        signing_key,
        shutdown.clone(),
    ));
    if config.oidc.is_none() {
        startup::warn_without_tokens(&core.state, &config.data_dir).await?;
    }
    Ok(RunningServer {
        http,
        syslog_udp: syslog.udp,
        syslog_tcp: syslog.tcp,
        syslog_tls: syslog.tls,
        rules: core.rules,
        metrics: core.metrics,
        state: core.state,
        shutdown,
        stop_pipeline: pipeline.stop,
        tasks,
        pipeline: Some(pipeline.thread),
        sources: core.sources,
        spool: core.spool,
        _lock: lock,
    })
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
        // What the pipeline counted while draining, after the flush task's last write.
        crate::source_health::flush(&self.state, &self.sources, jiff::Timestamp::now()).await;
        let spool = self.spool.clone();
        let _ = tokio::task::spawn_blocking(move || spool.close()).await;
        result
    }

    /// Reloads the rules as asked by `actor` (such as `service:sighup`), audited like the API's
    /// reload; a failure keeps the running rules (and is logged and counted by the reload).
    pub async fn reload_rules(&self, actor: &str) -> Result<(), ServerError> {
        let entry = |outcome| vigil_state::NewAuditEntry::new(actor, "rules.reload", outcome);
        // A failed reload is the reload's to log; only a lost task is an error here.
        let _kept_running_rules = vigil_api::records::reload_audited(&self.rules, &self.metrics, &self.state, entry)
            .await
            .map_err(|e| ServerError::Pipeline(format!("rule reload task: {e}")))?;
        Ok(())
    }

    /// Whether the pipeline thread is still running.
    pub fn pipeline_running(&self) -> bool {
        self.pipeline.as_ref().is_some_and(|h| !h.is_finished())
    }
}
