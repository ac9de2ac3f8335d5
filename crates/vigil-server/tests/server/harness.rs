//! A real server on loopback ports with API keys and a small rule set, and a tiny HTTP client.

use std::{
    net::SocketAddr,
    path::{Path, PathBuf},
    time::{Duration, Instant},
};

use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use vigil_server::{Overrides, RunningServer, ServerConfig};
use vigil_state::{NewApiKey, Role, Scope, State};

pub const RULE: &str = r#"title: Vigil test keyword
id: 6f1c1f7e-6c7e-4c9a-9d7e-111111111111
status: test
level: high
tags:
  - attack.execution
  - attack.t1059
logsource:
  product: linux
  service: syslog
detection:
  keywords:
    - vigil-test-evil
  condition: keywords
"#;

pub const CORRELATION: &str = r#"title: Failed login
id: 6f1c1f7e-6c7e-4c9a-9d7e-222222222222
name: failed_login
status: test
level: low
logsource:
  product: linux
  service: syslog
detection:
  keywords:
    - vigil-corr-probe
  condition: keywords
---
title: Three failed logins on one host
id: 6f1c1f7e-6c7e-4c9a-9d7e-333333333333
status: test
level: high
correlation:
  type: event_count
  rules:
    - failed_login
  group-by:
    - host
  timespan: 1h
  condition:
    gte: 3
"#;

pub struct TestServer {
    pub server: Option<RunningServer>,
    pub http: SocketAddr,
    pub syslog_tcp: SocketAddr,
    pub ingest_token: String,
    pub read_token: String,
    pub admin_token: String,
    /// One key per role (`Role::ALL` order), made with `create_api_key` in the default tenant.
    pub keys: Vec<(Role, String)>,
    /// The server's data directory (its state database is `state_db_path` of it).
    pub data_dir: PathBuf,
    /// Where the server keeps its state (SQLite in `data_dir`, or PostgreSQL).
    pub state_store: vigil_server::config::StateStore,
    pub rules_dir: PathBuf,
    _dir: Option<tempfile::TempDir>,
}

impl TestServer {
    /// Starts a server; with `data_dir` the data (and keys) persist across starts.
    pub async fn start(data_dir: Option<&Path>) -> TestServer {
        TestServer::start_with(data_dir, |_| {}).await
    }

    /// [`start_with`](Self::start_with) with the state on SQLite in the data directory, or (with
    /// `postgres`) on a fresh database of the PostgreSQL named by `VIGIL_TEST_POSTGRES_URL`
    /// (scripts/test starts one on loopback): the suites that run every scenario on both.
    pub async fn start_on(postgres: bool, tweak: impl FnOnce(&mut ServerConfig) + Send + 'static) -> TestServer {
        let url = if postgres {
            Some(new_postgres_database().await)
        } else {
            None
        };
        TestServer::start_with(None, move |c| {
            if let Some(url) = url {
                c.state = vigil_server::config::StateStore::Postgres {
                    url,
                    max_connections: 5,
                };
            }
            tweak(c);
        })
        .await
    }

    /// [`start`](Self::start) with the configuration adjusted by `tweak` before the server starts.
    pub async fn start_with(data_dir: Option<&Path>, tweak: impl FnOnce(&mut ServerConfig)) -> TestServer {
        let owned = data_dir.is_none().then(|| tempfile::tempdir().expect("tempdir"));
        let dir = data_dir
            .map(Path::to_path_buf)
            .unwrap_or_else(|| owned.as_ref().expect("dir").path().to_path_buf());
        let rules_dir = dir.join("rules");
        std::fs::create_dir_all(&rules_dir).expect("rules dir");
        std::fs::write(rules_dir.join("keyword.yml"), RULE).expect("rule");
        std::fs::write(rules_dir.join("correlation.yml"), CORRELATION).expect("rule");
        let overrides = Overrides {
            data_dir: Some(dir.join("data")),
            http: Some("127.0.0.1:0".into()),
            syslog_udp: Some("127.0.0.1:0".into()),
            syslog_tcp: Some("127.0.0.1:0".into()),
            syslog_tls: None,
            rules: vec![rules_dir.clone()],
            state_url: None,
        };
        let mut config = vigil_server::config::load(None, &overrides).expect("config");
        config.pipeline.commit_interval = Duration::from_millis(100);
        tweak(&mut config);
        std::fs::create_dir_all(&config.data_dir).expect("data dir");
        let state = vigil_server::server::open_state(&config.state, &config.data_dir)
            .await
            .expect("state");
        let token = |scope| {
            let state = state.clone();
            async move { state.create_token(scope, "test").await.expect("token").1 }
        };
        let ingest_token = token(Scope::Ingest).await;
        let read_token = token(Scope::Read).await;
        let admin_token = token(Scope::Admin).await;
        let mut keys = Vec::new();
        for &role in Role::ALL {
            let new = NewApiKey::new(role, format!("test {role}"));
            keys.push((role, state.create_api_key(&new).await.expect("key").1));
        }
        let data_dir = config.data_dir.clone();
        let state_store = config.state.clone();
        let server = vigil_server::start(config).await.expect("server starts");
        TestServer {
            http: server.http.expect("http"),
            syslog_tcp: server.syslog_tcp.expect("tcp"),
            server: Some(server),
            ingest_token,
            read_token,
            admin_token,
            keys,
            data_dir,
            state_store,
            rules_dir,
            _dir: owned,
        }
    }

    /// The secret of this role's key.
    pub fn key(&self, role: Role) -> &str {
        self.keys
            .iter()
            .find(|(r, _)| *r == role)
            .map(|(_, secret)| secret.as_str())
            .expect("a key per role")
    }

    /// The server's state, opened beside it (as the CLI does while a server runs).
    pub async fn state(&self) -> State {
        vigil_server::server::open_state(&self.state_store, &self.data_dir)
            .await
            .expect("state")
    }

    pub async fn stop(mut self) {
        if let Some(s) = self.server.take() {
            s.stop().await.expect("clean stop");
        }
    }

    /// Sends LF-framed syslog lines over one TCP connection.
    pub async fn syslog_tcp(&self, lines: &[String]) {
        let mut conn = tokio::net::TcpStream::connect(self.syslog_tcp).await.expect("connect");
        for l in lines {
            conn.write_all(format!("{l}\n").as_bytes()).await.expect("write");
        }
        conn.shutdown().await.expect("shutdown");
    }

    pub async fn search(&self, body: Value) -> Value {
        let (status, answer) = http(self.http, "POST", "/api/v1/search", Some(&self.read_token), Some(body)).await;
        assert_eq!(status, 200, "{answer}");
        answer
    }

    /// Polls until `query` finds `n` events (fails after 30 s).
    pub async fn search_until(&self, query: &str, n: u64) -> Value {
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            let answer = self.search(json!({ "query": query, "size": 100 })).await;
            if answer["total"].as_u64() == Some(n) {
                return answer;
            }
            assert!(
                Instant::now() < deadline,
                "expected {n} events for {query}, have {answer}"
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    pub async fn alerts(&self, _filter: Value) -> Value {
        let (status, answer) = http(
            self.http,
            "GET",
            "/api/v1/alerts?limit=1000",
            Some(&self.read_token),
            None,
        )
        .await;
        assert_eq!(status, 200, "{answer}");
        answer
    }

    /// Polls until at least `n` alerts exist.
    pub async fn alerts_until(&self, n: u64) -> Value {
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            let answer = self.alerts(json!({})).await;
            if answer["total"].as_u64().is_some_and(|t| t >= n) {
                return answer;
            }
            assert!(Instant::now() < deadline, "expected {n} alerts, have {answer}");
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }
}

/// One HTTP/1.1 request with `Connection: close`; returns status and JSON body (Null if not JSON).
pub async fn http(
    addr: SocketAddr,
    method: &str,
    path: &str,
    token: Option<&str>,
    body: Option<Value>,
) -> (u16, Value) {
    let (status, body) = http_text(addr, method, path, token, body).await;
    (status, serde_json::from_str(&body).unwrap_or(Value::Null))
}

/// [`http`] with the body as text.
pub async fn http_text(
    addr: SocketAddr,
    method: &str,
    path: &str,
    token: Option<&str>,
    body: Option<Value>,
) -> (u16, String) {
    let text = http_raw(addr, method, path, token, body).await;
    let status: u16 = text
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .expect("status line");
    let (head, rest) = text.split_once("\r\n\r\n").unwrap_or((&text, ""));
    let body = if head.to_ascii_lowercase().contains("transfer-encoding: chunked") {
        dechunk(rest)
    } else {
        rest.to_string()
    };
    (status, body)
}

/// [`http`]'s whole response as text: status line, headers and body.
pub async fn http_raw(addr: SocketAddr, method: &str, path: &str, token: Option<&str>, body: Option<Value>) -> String {
    let auth = token.map(|t| format!("Bearer {t}"));
    let headers: Vec<(&str, &str)> = auth.iter().map(|a| ("Authorization", a.as_str())).collect();
    http_raw_with(addr, method, path, &headers, body).await
}

/// [`http_raw`] with any extra request headers (cookies, `Origin`, …).
pub async fn http_raw_with(
    addr: SocketAddr,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: Option<Value>,
) -> String {
    let body = body.map(|b| b.to_string()).unwrap_or_default();
    let extra: String = headers.iter().map(|(k, v)| format!("{k}: {v}\r\n")).collect();
    let req = format!(
        "{method} {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\nContent-Type: application/json\r\n{extra}Content-Length: {}\r\n\r\n{body}",
        body.len()
    );
    let mut conn = tokio::net::TcpStream::connect(addr).await.expect("connect");
    conn.write_all(req.as_bytes()).await.expect("send");
    let mut raw = Vec::new();
    #[expect(clippy::disallowed_methods, reason = "bounded by take(64 MiB)")]
    conn.take(64 << 20).read_to_end(&mut raw).await.expect("read");
    String::from_utf8_lossy(&raw).into_owned()
}

fn dechunk(mut s: &str) -> String {
    let mut out = String::new();
    while let Some((size, rest)) = s.split_once("\r\n") {
        let n = usize::from_str_radix(size.trim(), 16).unwrap_or(0);
        if n == 0 || rest.len() < n {
            break;
        }
        out.push_str(&rest[..n]);
        s = rest[n..].trim_start_matches("\r\n");
    }
    out
}

/// Creates an empty database on the PostgreSQL of `VIGIL_TEST_POSTGRES_URL`; its URL.
pub async fn new_postgres_database() -> String {
    use sqlx::Connection as _;
    use std::hash::{BuildHasher as _, RandomState};
    let server = std::env::var("VIGIL_TEST_POSTGRES_URL")
        .expect("VIGIL_TEST_POSTGRES_URL: these suites run on PostgreSQL too (scripts/test starts one on loopback)");
    let suffix = RandomState::new().hash_one(std::time::SystemTime::now());
    let name = format!("vigil_server_{}_{suffix}", std::process::id());
    let mut admin = sqlx::PgConnection::connect(&server).await.expect("connect");
    sqlx::raw_sql(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
        .execute(&mut admin)
        .await
        .expect("create database");
    let (base, _) = server.rsplit_once('/').expect("url with a database");
    format!("{base}/{name}")
}
