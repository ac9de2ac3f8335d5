//! `vigil serve`, `vigil config`, `vigil token` (token changes are recorded in the audit trail; `vigil
//! apikey`, the newer form, is in `apikey_cmd.rs`).

use std::process::ExitCode;

use anyhow::Context;
use vigil_server::{Overrides, config};
use vigil_state::{AuditOutcome, Scope, State};

use crate::{
    apikey_cmd, audit_cmd,
    cli::{ConfigCommand, ScopeArg, ServeArgs, TokenCommand},
    term_safe::{Esc, errln, outln},
};

pub(crate) fn runtime() -> anyhow::Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .thread_name("vigil-io")
        .build()
        .context("starting the async runtime")
}

pub fn serve(args: ServeArgs) -> anyhow::Result<ExitCode> {
    let overrides = Overrides {
        data_dir: args.data_dir,
        http: args.http,
        syslog_udp: args.syslog_udp,
        syslog_tcp: args.syslog_tcp,
        syslog_tls: args.syslog_tls,
        rules: args.rules,
        state_url: state_url().map(str::to_owned),
    };
    let config = config::load(args.config.as_deref(), &overrides)?;
    runtime()?.block_on(async move {
        let server = vigil_server::start(config).await?;
        // Machine-readable readiness line for scripts and tests.
        let addr = |a: Option<std::net::SocketAddr>| a.map(|a| a.to_string()).unwrap_or_else(|| "off".into());
        errln!(
            "vigil: serving http={} syslog-udp={} syslog-tcp={} syslog-tls={}",
            addr(server.http),
            addr(server.syslog_udp),
            addr(server.syslog_tcp),
            addr(server.syslog_tls)
        );
        wait_for_signals(&server).await?;
        tracing::info!("stopping: finishing acknowledged records");
        server.stop().await?;
        errln!("vigil: stopped");
        anyhow::Ok(ExitCode::SUCCESS)
    })
}

#[cfg(unix)]
async fn wait_for_signals(server: &vigil_server::RunningServer) -> anyhow::Result<()> {
    use tokio::signal::unix::{SignalKind, signal};
    let mut hup = signal(SignalKind::hangup()).context("SIGHUP handler")?;
    let mut term = signal(SignalKind::terminate()).context("SIGTERM handler")?;
    let mut int = signal(SignalKind::interrupt()).context("SIGINT handler")?;
    loop {
        tokio::select! {
            _ = term.recv() => return Ok(()),
            _ = int.recv() => return Ok(()),
            // Logged, counted and audited by the reload; a failure keeps the running rules.
            _ = hup.recv() => server.reload_rules("service:sighup").await?,
        }
    }
}

pub fn config_cmd(command: ConfigCommand) -> anyhow::Result<ExitCode> {
    match command {
        ConfigCommand::Example => {
            outln!("{}", config::EXAMPLE.trim_end())?;
            Ok(ExitCode::SUCCESS)
        }
        ConfigCommand::Check { file } => match config::load(Some(&file), &Overrides::default()) {
            Ok(_) => {
                outln!("{}: ok", Esc(&file.display().to_string()))?;
                Ok(ExitCode::SUCCESS)
            }
            Err(e) => {
                errln!("{e}");
                Ok(ExitCode::from(2))
            }
        },
    }
}

fn scope_of(arg: ScopeArg) -> Scope {
    match arg {
        ScopeArg::Ingest => Scope::Ingest,
        ScopeArg::Read => Scope::Read,
        ScopeArg::Admin => Scope::Admin,
    }
}

/// `--state-url` (or `VIGIL_STATE_URL`) of this process: set once in `main`.
static STATE_URL: std::sync::OnceLock<Option<String>> = std::sync::OnceLock::new();

pub(crate) fn set_state_url(url: Option<String>) {
    let _ = STATE_URL.set(url);
}

/// The PostgreSQL state database given on the command line, if any.
pub(crate) fn state_url() -> Option<&'static str> {
    STATE_URL.get().and_then(|u| u.as_deref())
}

/// Where the state is, for messages: the data directory, or "the PostgreSQL state database".
pub(crate) fn state_place(data_dir: &std::path::Path) -> String {
    match state_url() {
        Some(_) => "the PostgreSQL state database".to_owned(),
        None => data_dir.display().to_string(),
    }
}

/// Connects to the PostgreSQL state given by `--state-url` (`None` without one). The URL is not
/// repeated in errors: it may hold a password.
pub(crate) async fn connect_state_url() -> anyhow::Result<Option<State>> {
    let Some(url) = state_url() else { return Ok(None) };
    let state = State::connect_postgres(url, 2)
        .await
        .context("connecting to the PostgreSQL state database (--state-url)")?;
    Ok(Some(state))
}

/// The state: the PostgreSQL database of `--state-url`, else `state.db` in `data_dir` (created
/// when missing).
pub(crate) async fn open_state(data_dir: &std::path::Path) -> anyhow::Result<State> {
    if let Some(state) = connect_state_url().await? {
        return Ok(state);
    }
    std::fs::create_dir_all(data_dir).with_context(|| format!("creating {}", data_dir.display()))?;
    let path = vigil_server::server::state_db_path(data_dir);
    State::open(&path)
        .await
        .with_context(|| format!("opening {}", path.display()))
}

/// Creates a token and records it in the audit trail (its id and scope, never the secret). A token
/// whose audit entry cannot be written is revoked again: the CLI leaves no unaudited live token.
async fn create_token(state: &State, scope: Scope, name: &str) -> anyhow::Result<(vigil_state::TokenInfo, String)> {
    let (info, secret) = state.create_token(scope, name).await?;
    let detail = serde_json::json!({"scope": scope, "role": info.role, "name": info.name});
    if let Err(e) = audit_cmd::record(state, "token.create", &info.id, AuditOutcome::Success, detail).await {
        let revoked = state.revoke_token(&info.id).await;
        return Err(match revoked {
            Ok(_) => e.context(format!("token {} was revoked again", info.id)),
            Err(r) => e.context(format!("token {} could not be revoked either: {r}", info.id)),
        });
    }
    Ok((info, secret))
}

pub fn token(command: TokenCommand) -> anyhow::Result<ExitCode> {
    runtime()?.block_on(async move {
        match command {
            TokenCommand::Create { data_dir, scope, name } => {
                let state = open_state(&data_dir).await?;
                let scope = scope_of(scope);
                let (info, secret) = create_token(&state, scope, &name).await?;
                errln!("created {scope} token {} (shown once; store it safely)", info.id);
                outln!("{secret}")?;
            }
            TokenCommand::List { data_dir } => {
                let state = open_state(&data_dir).await?;
                let now = jiff::Timestamp::now();
                for t in state.list_tokens().await? {
                    // Tab-separated: a name's own tabs and line breaks are escaped.
                    outln!(
                        "{}\t{}\t{}\tcreated {}\t{}",
                        Esc(&t.id),
                        apikey_cmd::token_list_role(t.role),
                        Esc(if t.name.is_empty() { "-" } else { &t.name }),
                        t.created,
                        apikey_cmd::key_state(&t, now)
                    )?;
                }
            }
            TokenCommand::Revoke { data_dir, id } => {
                let state = open_state(&data_dir).await?;
                if !state.revoke_token(&id).await? {
                    // A failed attempt is recorded too; an id that cannot even be an audit target
                    // (empty, control characters) is only logged, so the real error is what shows.
                    let detail = serde_json::json!({"reason": "no live token with this id"});
                    if let Err(e) = audit_cmd::record(&state, "token.revoke", &id, AuditOutcome::Failure, detail).await
                    {
                        tracing::warn!("{e:#}");
                    }
                    anyhow::bail!("no token with id {}", Esc(&id));
                }
                audit_cmd::record(
                    &state,
                    "token.revoke",
                    &id,
                    AuditOutcome::Success,
                    serde_json::json!({}),
                )
                .await?;
                errln!("revoked {}", Esc(&id));
            }
        }
        Ok(ExitCode::SUCCESS)
    })
}
