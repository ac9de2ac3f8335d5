//! The one `vigil serve` the console's browser tests share: a fresh data directory, a fixed
//! loopback port (the OpenID provider must know the callback before the server starts), local
//! users with passwords of the test's choosing, and the CLI (`vigil ingest`, `vigil validate`) run
//! against it.

use std::io::{BufRead, BufReader, Read};
use std::net::{SocketAddr, TcpListener};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex, mpsc};
use std::time::{Duration, Instant};

use crate::http::{self, Response};
use crate::{VIGIL, workspace};

/// A user name and its password.
pub type Login = (String, String);

/// The local users the tests log in as.
#[derive(Debug)]
pub struct Users {
    pub admin: Login,
    pub analyst: Login,
    pub lead: Login,
    pub engineer: Login,
}

/// A running `vigil serve` in a temporary directory, killed on drop.
#[derive(Debug)]
pub struct Console {
    root: tempfile::TempDir,
    child: Child,
    log: Arc<Mutex<Vec<String>>>,
    pub addr: SocketAddr,
    /// HTTPS on the HTTP listener (`[http] tls_cert`/`tls_key`) with a self-signed certificate.
    pub tls: Option<Tls>,
    pub users: Users,
    /// API keys for the set-up steps (ingest, validation, reading alerts).
    ingest_key: String,
    engineer_key: String,
    admin_key: String,
}

/// A self-signed certificate for `127.0.0.1` and its key, as PEM files.
#[derive(Debug, Clone)]
pub struct Tls {
    pub cert: PathBuf,
    pub key: PathBuf,
}

impl Tls {
    /// Writes a new self-signed certificate for `127.0.0.1` and `localhost` into `dir`.
    fn create(dir: &Path) -> Tls {
        let names = vec!["127.0.0.1".to_owned(), "localhost".to_owned()];
        let made = rcgen::generate_simple_self_signed(names).expect("a self-signed certificate");
        let tls = Tls {
            cert: dir.join("tls.pem"),
            key: dir.join("tls.key"),
        };
        std::fs::write(&tls.cert, made.cert.pem()).expect("write the certificate");
        std::fs::write(&tls.key, made.signing_key.serialize_pem()).expect("write the key");
        tls
    }
}

/// A loopback port that was free a moment ago.
pub fn free_port() -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind a loopback port");
    listener.local_addr().expect("local address").port()
}

/// The server's configuration: quick commits, ATT&CK coverage for Windows, and OpenID Connect
/// with the console login (groups of provider.mjs mapped to roles, every login in tenant
/// `default` like the local users).
fn config(shared: &Path, port: u16, issuer: &str, tls: Option<&Tls>) -> String {
    let bundle = shared.join("attack/enterprise-attack-18.1-core.json");
    let scheme = if tls.is_some() { "https" } else { "http" };
    // Every browser test logs in from 127.0.0.1, dozens of logins in a few minutes: the address's
    // budget of a SOC behind one NAT address, not the default's 10 a minute.
    let mut http = String::from("\n[http]\nlogin_per_minute = 600\nlogin_burst = 100\n");
    if let Some(t) = tls {
        http.push_str(&format!(
            "tls_cert = {:?}\ntls_key = {:?}\n",
            t.cert.display().to_string(),
            t.key.display().to_string()
        ));
    }
    format!(
        r#"version = 1

[pipeline]
commit_interval = "200ms"

[coverage]
attack_bundle = "{bundle}"
platforms = ["Windows"]

[oidc]
issuer = "{issuer}"
audience = "vigil-api"
allow_http = true
tenant = "default"

[oidc.role_map]
soc-analysts = "analyst"
soc-leads = "lead"
soc-admins = "admin"

[oidc.console]
client_id = "vigil-console"
redirect_uri = "{scheme}://127.0.0.1:{port}/api/v1/auth/oidc/callback"
scopes = ["openid", "profile", "email", "groups"]
{http}"#,
        bundle = bundle.display()
    )
}

/// Runs `vigil ARGS` to its end; panics with its output unless it succeeds. Its stdout.
fn vigil(args: &[&str], stdin: Option<&str>) -> String {
    let mut child = Command::new(VIGIL)
        .args(args)
        .env_remove("VIGIL_STATE_URL")
        .env_remove("VIGIL_SERVER")
        .env_remove("VIGIL_TOKEN")
        .env_remove("VIGIL_CONFIG")
        .stdin(if stdin.is_some() { Stdio::piped() } else { Stdio::null() })
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run vigil");
    if let Some(text) = stdin {
        use std::io::Write as _;
        let mut pipe = child.stdin.take().expect("stdin");
        pipe.write_all(text.as_bytes()).expect("write stdin");
    }
    let out = child.wait_with_output().expect("wait for vigil");
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        out.status.success(),
        "vigil {args:?}: {}\n{stdout}{}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    stdout
}

impl Console {
    /// Creates the data directory's users and keys, then starts the server on `port` with the
    /// Windows SigmaHQ rules of `shared`.
    pub fn start(shared: &Path, port: u16, issuer: &str) -> Console {
        Console::start_with(shared, port, issuer, false)
    }

    /// [`Console::start`] with HTTPS on the listener (a self-signed certificate in its directory):
    /// the same users and passwords, no data.
    pub fn start_tls(shared: &Path, port: u16, issuer: &str) -> Console {
        Console::start_with(shared, port, issuer, true)
    }

    fn start_with(shared: &Path, port: u16, issuer: &str, https: bool) -> Console {
        let root = tempfile::Builder::new()
            .prefix("vigil-console-test")
            .tempdir()
            .expect("temp dir");
        let data = root.path().join("data");
        let data_arg = data.to_string_lossy().into_owned();
        let config_path = root.path().join("vigil.toml");
        let tls = https.then(|| Tls::create(root.path()));
        std::fs::write(&config_path, config(shared, port, issuer, tls.as_ref())).expect("write config");
        let user = |name: &str, role: &str| -> Login {
            let password = format!("{name}-console-test-password");
            vigil(
                &[
                    "user",
                    "add",
                    name,
                    "--role",
                    role,
                    "--password-stdin",
                    "--data-dir",
                    &data_arg,
                ],
                Some(&password),
            );
            (name.to_owned(), password)
        };
        let users = Users {
            admin: user("console-admin", "admin"),
            analyst: user("console-analyst", "analyst"),
            lead: user("console-lead", "lead"),
            engineer: user("console-engineer", "detection_engineer"),
        };
        let key = |role: &str| -> String {
            let out = vigil(
                &[
                    "apikey",
                    "create",
                    "--role",
                    role,
                    "--name",
                    &format!("setup-{role}"),
                    "--data-dir",
                    &data_arg,
                ],
                None,
            );
            out.lines().last().expect("the key's secret").trim().to_owned()
        };
        let (ingest_key, engineer_key, admin_key) = (key("ingest"), key("detection_engineer"), key("admin"));

        let rules = shared.join("sigma/rules/windows");
        let mut child = Command::new(VIGIL)
            .arg("serve")
            .arg("--config")
            .arg(&config_path)
            .args(["--data-dir", &data_arg, "--http", &format!("127.0.0.1:{port}")])
            .args(["--syslog-udp", "off", "--syslog-tcp", "off", "--rules"])
            .arg(&rules)
            .env_remove("VIGIL_CONFIG")
            .env_remove("VIGIL_LOG")
            .env_remove("VIGIL_STATE_URL")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawn vigil serve");
        let (log, serving) = follow(child.stderr.take().expect("stderr"));
        let mut console = Console {
            root,
            child,
            log,
            addr: SocketAddr::from(([127, 0, 0, 1], port)),
            tls,
            users,
            ingest_key,
            engineer_key,
            admin_key,
        };
        console.wait_serving(&serving);
        console
    }

    fn wait_serving(&mut self, serving: &mpsc::Receiver<()>) {
        let deadline = Instant::now() + Duration::from_secs(120);
        loop {
            if serving.recv_timeout(Duration::from_millis(200)).is_ok() {
                return;
            }
            if let Some(status) = self.child.try_wait().expect("try_wait") {
                std::thread::sleep(Duration::from_millis(300));
                panic!("vigil serve exited ({status}) before serving:\n{}", self.log_tail(60));
            }
            assert!(
                Instant::now() < deadline,
                "not serving within 120 s:\n{}",
                self.log_tail(60)
            );
        }
    }

    /// The console's address as a browser opens it.
    pub fn url(&self) -> String {
        let scheme = if self.tls.is_some() { "https" } else { "http" };
        format!("{scheme}://{}/", self.addr)
    }

    fn server_arg(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// The last `n` lines the server logged.
    pub fn log_tail(&self, n: usize) -> String {
        let log = self.log.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        log[log.len().saturating_sub(n)..].join("\n")
    }

    fn get(&self, path: &str, headers: &[(&str, &str)]) -> Response {
        http::request(self.addr, "GET", path, headers, b"").unwrap_or_else(|e| panic!("GET {path}: {e}"))
    }

    /// Fails unless `GET /` from a browser answers the built console (index.html naming its
    /// bundled script), not the page a build without `console/dist` serves.
    pub fn require_built_console(&self) {
        let r = self.get("/", &[("Accept", "text/html,application/xhtml+xml")]);
        let text = r.text();
        assert!(
            r.status == 200 && text.contains("console/app-") && text.contains(".js"),
            "this vigil binary has no console built in (GET / answered {}: {}…).\n\
             Build it first: `cd console && npm ci && npm run build`, then rebuild vigil \
             (scripts/test does both).",
            r.status,
            text.chars().take(300).collect::<String>()
        );
    }

    /// `vigil ingest` of `inputs`.
    pub fn ingest(&self, inputs: &[PathBuf]) {
        let mut args = vec!["ingest".to_owned(), "--server".to_owned(), self.server_arg()];
        args.extend(["--token".to_owned(), self.ingest_key.clone()]);
        args.extend(inputs.iter().map(|p| p.to_string_lossy().into_owned()));
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        vigil(&args, None);
    }

    /// Waits (at most 60 s) until at least `n` alerts exist; their number.
    pub fn wait_for_alerts(&self, n: u64) -> u64 {
        let auth = format!("Bearer {}", self.admin_key);
        let deadline = Instant::now() + Duration::from_secs(60);
        let mut last = 0;
        // Alerts keep arriving while the pipeline works through the batch: wait for a quiet second.
        let mut steady = 0;
        loop {
            let r = self.get("/api/v1/alerts?limit=1", &[("Authorization", &auth)]);
            assert_eq!(r.status, 200, "alerts: {}", r.text());
            let total = r.json()["total"].as_u64().expect("total");
            steady = if total == last { steady + 1 } else { 0 };
            last = total;
            if total >= n && steady >= 5 {
                return total;
            }
            assert!(
                Instant::now() < deadline,
                "{total} alerts of {n} within 60 s:\n{}",
                self.log_tail(40)
            );
            std::thread::sleep(Duration::from_millis(200));
        }
    }

    /// A validation run of `plan` (SigmaHQ's regression data), so coverage has `validated` data
    /// and the rules page a validation status.
    pub fn validate(&self, plan: &Path) {
        if !plan.is_dir() {
            eprintln!("console: {} is absent: no validation run", plan.display());
            return;
        }
        let plan = plan.to_string_lossy();
        vigil(
            &[
                "validate",
                "--server",
                &self.server_arg(),
                "--token",
                &self.engineer_key,
                "--plan",
                &plan,
            ],
            None,
        );
    }

    /// An incident made from the two newest alerts (`vigil incidents create`), so the incident
    /// pages have one from the start; its id.
    pub fn seed_incident(&self) -> String {
        let auth = format!("Bearer {}", self.admin_key);
        let r = self.get("/api/v1/alerts?limit=2&status=new", &[("Authorization", &auth)]);
        assert_eq!(r.status, 200, "alerts: {}", r.text());
        let page = r.json();
        let ids: Vec<&str> = page["alerts"]
            .as_array()
            .expect("alerts")
            .iter()
            .filter_map(|a| a["id"].as_str())
            .collect();
        assert_eq!(ids.len(), 2, "two new alerts: {page}");
        let server = self.server_arg();
        let out = vigil(
            &[
                "incidents",
                "create",
                "--server",
                &server,
                "--token",
                &self.admin_key,
                "--title",
                "Credential access on the domain controller (seeded by the console test)",
                "--severity",
                "high",
                "--classification",
                "intrusions:privileged-account-compromise",
                "--alert",
                ids[0],
                "--alert",
                ids[1],
            ],
            None,
        );
        out.trim().to_owned()
    }

    /// The data directory (for tests that need to look at it).
    #[allow(dead_code)]
    pub fn dir(&self) -> &Path {
        self.root.path()
    }
}

impl Drop for Console {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Copies the server's stderr lines into a shared log; signals once it prints `vigil: serving`.
fn follow(stderr: impl Read + Send + 'static) -> (Arc<Mutex<Vec<String>>>, mpsc::Receiver<()>) {
    let log = Arc::new(Mutex::new(Vec::new()));
    let (tx, rx) = mpsc::channel();
    let sink = log.clone();
    std::thread::spawn(move || {
        for line in BufReader::new(stderr).lines() {
            let Ok(line) = line else { break };
            if line.starts_with("vigil: serving ") {
                let _ = tx.send(());
            }
            sink.lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner)
                .push(line);
        }
    });
    (log, rx)
}

/// Reads a child's pipe to its end on a thread (so a full pipe never blocks the child), echoing
/// each line to stderr as it comes (`--no-capture` shows the browser tests' progress live).
pub fn collect(pipe: impl Read + Send + 'static) -> std::thread::JoinHandle<String> {
    std::thread::spawn(move || {
        let mut text = String::new();
        for line in BufReader::new(pipe).lines() {
            let Ok(line) = line else { break };
            eprintln!("{line}");
            text.push_str(&line);
            text.push('\n');
        }
        text
    })
}

/// What a [`collect`] thread read.
pub fn joined(handle: std::thread::JoinHandle<String>) -> String {
    handle.join().unwrap_or_default()
}

/// Where the repository's screenshots go.
#[allow(dead_code)]
pub fn screenshots() -> PathBuf {
    workspace().join("target/console-screenshots")
}
