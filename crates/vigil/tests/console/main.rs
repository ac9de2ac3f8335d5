//! The web console in a real browser: one real `vigil serve` (the console embedded in the binary,
//! the SigmaHQ Windows rules, the ATT&CK bundle, `[oidc.console]` trusting a real OpenID provider
//! from `tests/oidc/`), local users of four roles, EVTX from `../shared/evtx` ingested until alerts
//! exist and a validation run made — and a second `vigil serve` with HTTPS on its listener (a
//! self-signed certificate, the same users, no data) for the TLS and reverse-proxy tests
//! (`proxy.test.mjs` puts its own HTTPS proxy under `/soc/` in front of the first); then `node --test --test-concurrency=1 tests/browser/console/`
//! runs every page's tests (Debian's Chromium through playwright-core, see
//! `tests/browser/console/lib.mjs`) against it, and this test fails with node's output when any
//! of them does. Screenshots land in `target/console-screenshots/`.
//!
//! Needs: `../shared` (skipped without it), node with `tests/browser` and `tests/oidc`
//! installed (`npm ci`), Debian's `chromium`, and a `vigil` built with the console
//! (`cd console && npm ci && npm run build` before cargo; scripts/test does all of this).
//!
//! Running it (one page's tests, with node's output shown as it is):
//!
//! ```text
//! scripts/build-console        # or: cd console && npm ci && npm run build
//! VIGIL_CONSOLE_TESTS=alerts cargo nextest run -p vigil --test console --no-capture
//! ```
//!
//! `VIGIL_CONSOLE_TESTS=login,access` runs only the test files of `tests/browser/console/` whose
//! names contain one of those comma-separated words (unset: every `*.test.mjs`);
//! `VIGIL_CONSOLE_HOLD=600` keeps the server up that many seconds after the tests (its address and
//! the `export` lines of the environment are printed) to try pages by hand or to run
//! `node --test tests/browser/console/<page>.test.mjs` against it again and again without
//! restarting anything. Screenshots: `target/console-screenshots/<name>.png`.

#[path = "../serve/http.rs"]
mod http;
mod provider;
mod server;

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use provider::Provider;
use server::Console;

/// The binary under test.
pub const VIGIL: &str = env!("CARGO_BIN_EXE_vigil");

/// The repository's root.
pub fn workspace() -> PathBuf {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    root.canonicalize().unwrap_or(root)
}

/// `../shared` beside the repository (or `$VIGIL_SHARED`), when it holds what this test uses.
fn shared() -> Option<PathBuf> {
    let dir = std::env::var_os("VIGIL_SHARED")
        .map(PathBuf::from)
        .unwrap_or_else(|| workspace().join("../shared"));
    let needed = ["sigma/rules/windows", "evtx", "attack"];
    needed.iter().all(|d| dir.join(d).is_dir()).then_some(dir)
}

/// Alerts the ingested EVTX must have raised before the browser tests start (the two tactic
/// folders below give about 70 with the Windows rules).
const MIN_ALERTS: u64 = 20;

/// The EVTX folders ingested: credential access and lateral movement, a few hosts, many rules.
const EVTX: [&str; 2] = [
    "evtx/EVTX-to-MITRE-Attack/TA0006-Credential Access",
    "evtx/EVTX-to-MITRE-Attack/TA0008-Lateral Movement",
];

/// Longest the node tests may run before they are killed.
const NODE_DEADLINE: Duration = Duration::from_secs(30 * 60);

#[test]
fn console_pages_in_a_real_browser() {
    let Some(shared) = shared() else {
        eprintln!("SKIP: ../shared is absent (the rules, EVTX and ATT&CK bundle the console shows live there)");
        return;
    };
    for (dir, what) in [
        (
            "tests/browser/node_modules/playwright-core",
            "cd tests/browser && npm ci",
        ),
        (
            "tests/browser/node_modules/@axe-core/playwright",
            "cd tests/browser && npm ci",
        ),
        ("tests/oidc/node_modules/oidc-provider", "cd tests/oidc && npm ci"),
    ] {
        assert!(
            workspace().join(dir).is_dir(),
            "{dir} is missing: run `{what}` (scripts/test does)"
        );
    }
    let port = server::free_port();
    let callback = format!("http://127.0.0.1:{port}/api/v1/auth/oidc/callback");
    let provider = Provider::start(&callback);
    let console = Console::start(&shared, port, &provider.issuer);
    console.require_built_console();

    let started = Instant::now();
    let evtx: Vec<PathBuf> = EVTX.iter().map(|d| shared.join(d)).collect();
    console.ingest(&evtx);
    let alerts = console.wait_for_alerts(MIN_ALERTS);
    console.validate(&shared.join("sigma/regression_data"));
    let incident = console.seed_incident();
    let tls = Console::start_tls(&shared, server::free_port(), &provider.issuer);
    eprintln!(
        "console: {alerts} alerts and a validation run in {:.1} s; browser tests start",
        started.elapsed().as_secs_f64()
    );

    let outcome = run_node_tests(&console, &tls, &provider, &incident);
    if let Some(secs) = std::env::var("VIGIL_CONSOLE_HOLD").ok().and_then(|s| s.parse().ok()) {
        eprintln!(
            "console: holding {} for {secs} s\n{}",
            console.url(),
            env_text(&console, &tls, &provider, &incident)
        );
        std::thread::sleep(Duration::from_secs(secs));
    }
    if let Err(output) = outcome {
        panic!(
            "the console's browser tests failed:\n{output}\n--- vigil serve log (tail) ---\n{}",
            console.log_tail(80)
        );
    }
}

/// The environment `tests/browser/console/lib.mjs` reads.
fn node_env(console: &Console, tls: &Console, provider: &Provider, incident: &str) -> Vec<(String, String)> {
    let u = &console.users;
    let cert = tls.tls.as_ref().expect("the HTTPS server has a certificate");
    let path = |p: &Path| p.to_string_lossy().into_owned();
    let mut env = vec![
        ("VIGIL_TLS_URL".to_owned(), tls.url()),
        ("VIGIL_TLS_CERT".to_owned(), path(&cert.cert)),
        ("VIGIL_TLS_KEY".to_owned(), path(&cert.key)),
        ("VIGIL_SEED_INCIDENT".to_owned(), incident.to_owned()),
        ("VIGIL_URL".to_owned(), console.url()),
        ("VIGIL_OIDC_ISSUER".to_owned(), provider.issuer.clone()),
        ("VIGIL_OIDC_USER".to_owned(), "lead".to_owned()),
        ("VIGIL_OIDC_ROLE".to_owned(), "lead".to_owned()),
        (
            "VIGIL_SCREENSHOTS".to_owned(),
            workspace()
                .join("target/console-screenshots")
                .to_string_lossy()
                .into_owned(),
        ),
    ];
    for (role, (name, password)) in [
        ("ADMIN", &u.admin),
        ("ANALYST", &u.analyst),
        ("LEAD", &u.lead),
        ("ENGINEER", &u.engineer),
    ] {
        env.push((format!("VIGIL_{role}_USER"), name.clone()));
        env.push((format!("VIGIL_{role}_PASSWORD"), password.clone()));
    }
    env
}

/// `export NAME='value'` lines of [`node_env`], to run `node --test` by hand against the server.
fn env_text(console: &Console, tls: &Console, provider: &Provider, incident: &str) -> String {
    node_env(console, tls, provider, incident)
        .into_iter()
        .map(|(k, v)| format!("export {k}='{v}'"))
        .collect::<Vec<_>>()
        .join("\n")
}

/// The test files to run: every `*.test.mjs`, or those `VIGIL_CONSOLE_TESTS` names.
fn test_files() -> Vec<String> {
    let dir = workspace().join("tests/browser/console");
    let only: Vec<String> = std::env::var("VIGIL_CONSOLE_TESTS")
        .unwrap_or_default()
        .split(',')
        .map(|s| s.trim().to_owned())
        .filter(|s| !s.is_empty())
        .collect();
    let mut files: Vec<String> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .filter_map(|e| e.ok().map(|e| e.file_name().to_string_lossy().into_owned()))
        .filter(|n| n.ends_with(".test.mjs"))
        .filter(|n| only.is_empty() || only.iter().any(|o| n.contains(o.as_str())))
        .map(|n| format!("tests/browser/console/{n}"))
        .collect();
    files.sort();
    assert!(
        !files.is_empty(),
        "no test files in {} (VIGIL_CONSOLE_TESTS={only:?})",
        dir.display()
    );
    files
}

/// `node --test` over the console's test files, one file at a time; Err with the output on failure.
fn run_node_tests(console: &Console, tls: &Console, provider: &Provider, incident: &str) -> Result<(), String> {
    let files = test_files();
    let mut child = Command::new("node")
        .args(["--test", "--test-concurrency=1", "--test-reporter=spec"])
        .args(&files)
        .current_dir(workspace())
        .envs(node_env(console, tls, provider, incident))
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("node runs (Debian package nodejs)");
    let out = server::collect(child.stdout.take().expect("stdout"));
    let err = server::collect(child.stderr.take().expect("stderr"));
    let deadline = Instant::now() + NODE_DEADLINE;
    let status = loop {
        if let Some(status) = child.try_wait().expect("wait for node") {
            break Some(status);
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            break None;
        }
        std::thread::sleep(Duration::from_millis(200));
    };
    // The output was echoed live; a failure repeats node's summary of the failing tests.
    let output = format!("{}{}", server::joined(out), server::joined(err));
    let failures = output
        .find("✖ failing tests:")
        .map_or(output.as_str(), |at| &output[at..]);
    match status {
        Some(s) if s.success() => Ok(()),
        Some(s) => Err(format!("{failures}\nnode --test {files:?} exited with {s}")),
        None => Err(format!(
            "node --test {files:?} still running after {NODE_DEADLINE:?}: killed"
        )),
    }
}
