//! Runs the real `vigil` binary as `vigil serve` in a temporary directory: parses the readiness
//! line for the bound ports, creates tokens, talks HTTP to it, and kills it on drop.

use std::{
    io::{BufRead, BufReader},
    net::SocketAddr,
    path::{Path, PathBuf},
    process::{Child, Command, ExitStatus, Stdio},
    sync::{Arc, Mutex, mpsc},
    time::{Duration, Instant},
};

use serde_json::{Value, json};

use crate::http::{self, Response};

/// The binary under test (built by cargo for this integration test).
pub const VIGIL: &str = env!("CARGO_BIN_EXE_vigil");

/// How long a test waits for events to become searchable before failing.
pub const SEARCH_DEADLINE: Duration = Duration::from_secs(30);

/// The configuration most tests run with: commits every 200 ms so events are searchable quickly.
pub const BASE_CONFIG: &str = "version = 1\n\n[pipeline]\ncommit_interval = \"200ms\"\n";

/// A unique lower-case alphanumeric marker (one search token) for a test's events.
pub fn marker(tag: &str) -> String {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or(0);
    format!("{tag}{:x}{:x}", std::process::id(), nanos & 0xffff_ffff_ffff)
}

/// A temporary directory holding a server's data directory, its configuration and whatever
/// else a test needs (rsyslog's work directory, ...). Tokens are created once and survive restarts.
pub struct Env {
    pub root: tempfile::TempDir,
    pub data_dir: PathBuf,
    pub config: PathBuf,
    pub ingest_token: String,
    pub read_token: String,
}

impl Env {
    /// A fresh directory with `config` (TOML) and an ingest and a read token.
    pub fn new(config: &str) -> Env {
        Env::with_state(config, None)
    }

    /// Like [`Env::new`], the tokens created in the PostgreSQL state at `state_url` (which
    /// `config` names in `[state] url`).
    pub fn with_state(config: &str, state_url: Option<&str>) -> Env {
        let root = tempfile::Builder::new()
            .prefix("vigil-serve-test")
            .tempdir()
            .expect("temp dir");
        let data_dir = root.path().join("data");
        let config_path = root.path().join("vigil.toml");
        std::fs::write(&config_path, config).expect("write config");
        let ingest_token = create_token_in(&data_dir, "ingest", state_url);
        let read_token = create_token_in(&data_dir, "read", state_url);
        Env {
            root,
            data_dir,
            config: config_path,
            ingest_token,
            read_token,
        }
    }

    pub fn path(&self, name: &str) -> PathBuf {
        self.root.path().join(name)
    }

    /// Starts `vigil serve` on loopback port 0 for every listener (TLS too when `tls`).
    pub fn start(&self, tls: bool) -> Server {
        self.start_with(tls, &[])
    }

    /// Like [`Env::start`], with extra command-line arguments (e.g. `--rules DIR`).
    pub fn start_with(&self, tls: bool, extra: &[&str]) -> Server {
        let server = self.spawn(tls, extra);
        let r = server.get("/healthz").expect("healthz");
        assert_eq!(r.status, 200, "healthz: {}", r.text());
        server
    }

    /// Starts the server without checking `/healthz` over plain HTTP (for an HTTPS configuration).
    pub fn start_https(&self) -> Server {
        self.spawn(false, &[])
    }

    fn spawn(&self, tls: bool, extra: &[&str]) -> Server {
        let mut cmd = Command::new(VIGIL);
        cmd.arg("serve")
            .arg("--config")
            .arg(&self.config)
            .arg("--data-dir")
            .arg(&self.data_dir)
            .args([
                "--http",
                "127.0.0.1:0",
                "--syslog-udp",
                "127.0.0.1:0",
                "--syslog-tcp",
                "127.0.0.1:0",
            ]);
        if tls {
            cmd.args(["--syslog-tls", "127.0.0.1:0"]);
        }
        cmd.args(extra)
            .env_remove("VIGIL_CONFIG")
            .env_remove("VIGIL_LOG")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped());
        let mut child = cmd.spawn().expect("spawn vigil serve");
        let stderr = child.stderr.take().expect("stderr piped");
        let log = Arc::new(Mutex::new(Vec::<String>::new()));
        let (tx, rx) = mpsc::channel::<String>();
        let reader = {
            let log = log.clone();
            std::thread::spawn(move || {
                for line in BufReader::new(stderr).lines() {
                    let Ok(line) = line else { break };
                    if line.starts_with("vigil: serving ") {
                        let _ = tx.send(line.clone());
                    }
                    log.lock().unwrap_or_else(std::sync::PoisonError::into_inner).push(line);
                }
            })
        };
        let mut server = Server {
            child: Some(child),
            http: "0.0.0.0:0".parse().expect("addr"),
            syslog_udp: None,
            syslog_tcp: None,
            syslog_tls: None,
            log,
            reader: Some(reader),
            ingest_token: self.ingest_token.clone(),
            read_token: self.read_token.clone(),
        };
        let deadline = Instant::now() + Duration::from_secs(60);
        let line = loop {
            match rx.recv_timeout(Duration::from_millis(200)) {
                Ok(line) => break line,
                Err(mpsc::RecvTimeoutError::Timeout) => {}
                Err(mpsc::RecvTimeoutError::Disconnected) => {
                    let status = server.child.as_mut().and_then(|c| c.wait().ok());
                    panic!("vigil serve exited ({status:?}) before serving:\n{}", server.log());
                }
            }
            if let Some(status) = server.child.as_mut().and_then(|c| c.try_wait().ok().flatten()) {
                server.wait_for_log_end();
                panic!("vigil serve exited ({status}) before serving:\n{}", server.log());
            }
            assert!(
                Instant::now() < deadline,
                "no serving line within 60 s:\n{}",
                server.log()
            );
        };
        let field = |name: &str| -> Option<SocketAddr> {
            let value = line
                .split_whitespace()
                .find_map(|w| w.strip_prefix(&format!("{name}=")))
                .unwrap_or_else(|| panic!("no {name}= in {line:?}"));
            if value == "off" {
                None
            } else {
                Some(value.parse().unwrap_or_else(|e| panic!("{name}={value}: {e}")))
            }
        };
        server.http = field("http").expect("http listener");
        server.syslog_udp = field("syslog-udp");
        server.syslog_tcp = field("syslog-tcp");
        server.syslog_tls = field("syslog-tls");
        assert_eq!(server.syslog_tls.is_some(), tls, "{line}");
        server
    }
}

/// Creates a token with `vigil token create` and returns its secret.
pub fn create_token(data_dir: &Path, scope: &str) -> String {
    create_token_in(data_dir, scope, None)
}

/// [`create_token`] in the PostgreSQL state at `state_url` when given.
pub fn create_token_in(data_dir: &Path, scope: &str, state_url: Option<&str>) -> String {
    let mut cmd = Command::new(VIGIL);
    cmd.args(["token", "create", "--scope", scope, "--name", &format!("test-{scope}")])
        .arg("--data-dir")
        .arg(data_dir)
        .env_remove("VIGIL_STATE_URL");
    if let Some(url) = state_url {
        cmd.args(["--state-url", url]);
    }
    let out = cmd.output().expect("run vigil token create");
    assert!(
        out.status.success(),
        "vigil token create failed: {}\n{}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    let secret = String::from_utf8(out.stdout).expect("utf-8 token").trim().to_string();
    assert!(
        !secret.is_empty() && !secret.contains(char::is_whitespace),
        "token {secret:?}"
    );
    secret
}

/// A running `vigil serve`.
pub struct Server {
    child: Option<Child>,
    pub http: SocketAddr,
    pub syslog_udp: Option<SocketAddr>,
    pub syslog_tcp: Option<SocketAddr>,
    pub syslog_tls: Option<SocketAddr>,
    log: Arc<Mutex<Vec<String>>>,
    /// The thread copying stderr into `log`; it ends at EOF, once the process has exited.
    reader: Option<std::thread::JoinHandle<()>>,
    pub ingest_token: String,
    pub read_token: String,
}

impl Drop for Server {
    fn drop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
        if std::thread::panicking() {
            let log = self.log();
            let tail: Vec<&str> = log.lines().rev().take(60).collect();
            eprintln!(
                "--- last lines of the vigil serve log ---\n{}",
                tail.into_iter().rev().collect::<Vec<_>>().join("\n")
            );
        }
    }
}

impl Server {
    /// Everything the server wrote on stderr so far.
    pub fn log(&self) -> String {
        self.log
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .join("\n")
    }

    /// Waits (at most 30 s) until the stderr reader has read to EOF, so `log` holds the last
    /// lines of an exited server (a fixed pause misses `vigil: stopped` whenever the reader thread
    /// is not scheduled within it, as on a loaded machine).
    fn wait_for_log_end(&mut self) {
        let Some(reader) = self.reader.take() else { return };
        let deadline = Instant::now() + Duration::from_secs(30);
        while !reader.is_finished() {
            assert!(
                Instant::now() < deadline,
                "stderr of the exited vigil serve still open after 30 s:\n{}",
                self.log()
            );
            std::thread::sleep(Duration::from_millis(10));
        }
        let _ = reader.join();
    }

    /// `kill -9`: no chance to flush or commit anything.
    pub fn kill9(&mut self) {
        if let Some(mut child) = self.child.take() {
            child.kill().expect("SIGKILL");
            let status = child.wait().expect("wait");
            assert!(!status.success(), "killed server exited successfully: {status}");
        }
    }

    /// Sends a signal by name (`HUP`, `TERM`, …) to the running server.
    pub fn signal(&self, name: &str) {
        let child = self.child.as_ref().expect("running");
        let sent = Command::new("kill")
            .args([format!("-{name}"), child.id().to_string()])
            .status()
            .expect("run kill");
        assert!(sent.success(), "kill -{name} failed");
    }

    /// SIGTERM and wait (at most 30 s) for the exit status.
    pub fn terminate(&mut self) -> ExitStatus {
        let mut child = self.child.take().expect("running");
        let sent = Command::new("kill")
            .args(["-TERM", &child.id().to_string()])
            .status()
            .expect("run kill");
        assert!(sent.success(), "kill -TERM failed");
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            if let Some(status) = child.try_wait().expect("try_wait") {
                self.wait_for_log_end();
                return status;
            }
            if Instant::now() > deadline {
                let _ = child.kill();
                let _ = child.wait();
                panic!("vigil serve did not stop within 30 s of SIGTERM:\n{}", self.log());
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    pub fn get(&self, path: &str) -> std::io::Result<Response> {
        http::request(self.http, "GET", path, &[], b"")
    }

    /// Runs `vigil ARGS --server … --token <read token>` against this server (no `VIGIL_*`
    /// environment), to its end.
    pub fn cli(&self, args: &[&str]) -> std::process::Output {
        Command::new(VIGIL)
            .args(args)
            .args([
                "--server",
                &format!("http://{}", self.http),
                "--token",
                &self.read_token,
            ])
            .env_remove("VIGIL_SERVER")
            .env_remove("VIGIL_TOKEN")
            .output()
            .expect("run vigil")
    }

    /// Waits until at least `n` alerts are stored; returns them, newest first.
    pub fn wait_for_alerts(&self, n: usize) -> Vec<Value> {
        let deadline = Instant::now() + SEARCH_DEADLINE;
        loop {
            let alerts = self.api_get("/api/v1/alerts").json()["alerts"]
                .as_array()
                .cloned()
                .unwrap_or_default();
            if alerts.len() >= n {
                return alerts;
            }
            assert!(
                Instant::now() < deadline,
                "{} alerts of {n}:\n{}",
                alerts.len(),
                self.log()
            );
            std::thread::sleep(Duration::from_millis(200));
        }
    }

    /// GET with the read token.
    pub fn api_get(&self, path: &str) -> Response {
        let auth = format!("Bearer {}", self.read_token);
        http::request(self.http, "GET", path, &[("Authorization", &auth)], b"")
            .unwrap_or_else(|e| panic!("GET {path}: {e}"))
    }

    /// POST with the ingest token as `Bearer`.
    pub fn ingest_post(&self, path: &str, content_type: &str, body: &[u8]) -> std::io::Result<Response> {
        let auth = format!("Bearer {}", self.ingest_token);
        http::request(
            self.http,
            "POST",
            path,
            &[("Authorization", &auth), ("Content-Type", content_type)],
            body,
        )
    }

    /// `POST /api/v1/search` with the read token; panics unless 200.
    pub fn search(&self, body: &Value) -> Value {
        let auth = format!("Bearer {}", self.read_token);
        let r = http::request(
            self.http,
            "POST",
            "/api/v1/search",
            &[("Authorization", &auth)],
            body.to_string().as_bytes(),
        )
        .unwrap_or_else(|e| panic!("search {body}: {e}"));
        assert_eq!(r.status, 200, "search {body}: {}", r.text());
        r.json()
    }

    /// How many stored events match `query`.
    pub fn count(&self, query: &str) -> u64 {
        let answer = self.search(&json!({ "query": query, "size": 0 }));
        answer["total"]
            .as_u64()
            .unwrap_or_else(|| panic!("no numeric total in {answer}"))
    }

    /// Polls until exactly `expected` events match `query` (failing at once on more, or when the
    /// deadline passes), then checks again after a few commit intervals that no more arrive.
    pub fn wait_count(&self, query: &str, expected: u64) {
        let deadline = Instant::now() + SEARCH_DEADLINE;
        let last = loop {
            let last = self.count(query);
            assert!(
                last <= expected,
                "{query}: {last} events stored, expected {expected} (duplicates?)"
            );
            if last == expected {
                break last;
            }
            assert!(
                Instant::now() < deadline,
                "{query}: only {last} of {expected} events searchable after {SEARCH_DEADLINE:?}; {}",
                self.metrics_summary()
            );
            std::thread::sleep(Duration::from_millis(200));
        };
        std::thread::sleep(Duration::from_millis(700));
        let again = self.count(query);
        assert_eq!(
            again, expected,
            "{query}: count moved from {last} to {again} after reaching it"
        );
    }

    /// The stored events matching `query` (at most `size`).
    pub fn hits(&self, query: &str, size: usize) -> Vec<Value> {
        let answer = self.search(&json!({ "query": query, "size": size }));
        answer["hits"].as_array().cloned().unwrap_or_default()
    }

    /// `/metrics` as text.
    pub fn metrics(&self) -> String {
        let r = self.get("/metrics").expect("GET /metrics");
        assert_eq!(r.status, 200, "metrics: {}", r.text());
        r.text()
    }

    /// The server's counters and gauges (not histograms), for failure messages.
    pub fn metrics_summary(&self) -> String {
        match self.get("/metrics") {
            Ok(r) => r
                .text()
                .lines()
                .filter(|l| !l.starts_with('#') && !l.contains("_bucket") && !l.ends_with(" 0"))
                .collect::<Vec<_>>()
                .join(", "),
            Err(e) => format!("(no metrics: {e})"),
        }
    }

    /// The value of one sample, e.g. `vigil_dropped_events_total` or
    /// `vigil_input_records_total{input="http"}`.
    pub fn metric(&self, sample: &str) -> Option<f64> {
        metric_value(&self.metrics(), sample)
    }

    /// Dead letters (newest first), e.g. `dead_letters("input=syslog-udp")`.
    pub fn dead_letters(&self, query: &str) -> Vec<Value> {
        let path = if query.is_empty() {
            "/api/v1/dead-letters?limit=1000".to_string()
        } else {
            format!("/api/v1/dead-letters?limit=1000&{query}")
        };
        let r = self.api_get(&path);
        assert_eq!(r.status, 200, "dead letters: {}", r.text());
        let answer = r.json();
        answer["dead_letters"]
            .as_array()
            .cloned()
            .unwrap_or_else(|| panic!("no dead_letters list in {answer}"))
    }

    /// Polls the dead letters until one satisfies `pred`; returns it.
    pub fn wait_dead_letter(&self, what: &str, pred: impl Fn(&Value) -> bool) -> Value {
        let deadline = Instant::now() + SEARCH_DEADLINE;
        loop {
            let letters = self.dead_letters("");
            if let Some(l) = letters.iter().find(|l| pred(l)) {
                return l.clone();
            }
            assert!(
                Instant::now() < deadline,
                "no dead letter for {what} among {letters:#?}"
            );
            std::thread::sleep(Duration::from_millis(200));
        }
    }

    /// The server still answers `/healthz`.
    pub fn assert_healthy(&self, after: &str) {
        let r = self
            .get("/healthz")
            .unwrap_or_else(|e| panic!("/healthz after {after}: {e}\n{}", self.log()));
        assert_eq!(r.status, 200, "/healthz after {after}: {}", r.text());
    }
}

/// Finds `sample` (name plus exact label set) in Prometheus text.
pub fn metric_value(text: &str, sample: &str) -> Option<f64> {
    text.lines()
        .filter(|l| !l.starts_with('#'))
        .find_map(|l| l.strip_prefix(sample).and_then(|rest| rest.strip_prefix(' ')))
        .and_then(|v| v.trim().parse().ok())
}

/// The Python interpreter for the client scripts: `$VIGIL_PYTHON`, else `python3` when it can
/// import `modules`. `None` (after printing SKIP) when neither is usable.
pub fn python(test: &str, modules: &[&str]) -> Option<PathBuf> {
    let imports = format!("import {}", modules.join(", "));
    if let Some(p) = std::env::var_os("VIGIL_PYTHON").filter(|p| !p.is_empty()) {
        let p = PathBuf::from(p);
        let ok = Command::new(&p).args(["-c", &imports]).status().map(|s| s.success());
        assert!(
            matches!(ok, Ok(true)),
            "VIGIL_PYTHON={} cannot `{imports}` (scripts/test builds target/pyvenv with them)",
            p.display()
        );
        return Some(p);
    }
    if matches!(Command::new("python3").args(["-c", &imports]).stderr(Stdio::null()).status(), Ok(s) if s.success()) {
        return Some(PathBuf::from("python3"));
    }
    eprintln!(
        "SKIP {test}: VIGIL_PYTHON is not set and python3 cannot `{imports}` (run scripts/test, which creates target/pyvenv)"
    );
    None
}

/// The path of a client script in tests/serve/clients.
pub fn client_script(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/serve/clients")
        .join(name)
}

/// Runs a client script; returns the JSON object it printed last on stdout.
pub fn run_python(python: &Path, script: &str, args: &[String]) -> Value {
    let out = Command::new(python)
        .arg(client_script(script))
        .args(args)
        .env("PYTHONDONTWRITEBYTECODE", "1")
        .output()
        .unwrap_or_else(|e| panic!("run {} {script}: {e}", python.display()));
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success(),
        "{script} {args:?} failed ({}):\nstdout:\n{stdout}\nstderr:\n{stderr}",
        out.status
    );
    let line = stdout
        .lines()
        .rev()
        .find(|l| l.trim_start().starts_with('{'))
        .unwrap_or_else(|| panic!("{script} printed no JSON result:\nstdout:\n{stdout}\nstderr:\n{stderr}"));
    serde_json::from_str(line).unwrap_or_else(|e| panic!("{script} result {line:?}: {e}"))
}

#[test]
fn metric_lines_are_found_by_exact_sample() {
    let text = "# HELP x y\nvigil_input_records_total{input=\"http\"} 12\nvigil_input_records_total{input=\"http2\"} 3\nvigil_dropped_events_total 0\n";
    assert_eq!(
        metric_value(text, "vigil_input_records_total{input=\"http\"}"),
        Some(12.0)
    );
    assert_eq!(metric_value(text, "vigil_dropped_events_total"), Some(0.0));
    assert_eq!(metric_value(text, "vigil_events_indexed_total"), None);
}
