//! A real rsyslog forwards to Vigil: over TCP with RFC 6587 octet counting and the RFC 5424
//! template, and over TLS (gtls driver) verifying Vigil's generated certificate by name.
//!
//! The private rsyslogd reads from its own imtcp input (port 0, reported through
//! `listenPortFileName`), touches neither /var/log nor the system socket, and keeps its state in
//! the test's temporary directory. `logger` feeds it.

use std::{
    io::Write,
    path::{Path, PathBuf},
    process::{Child, Command, Stdio},
    time::{Duration, Instant},
};

use crate::harness::{BASE_CONFIG, Env, Server, marker};

/// Messages sent through rsyslog per test.
const N: usize = 200;

fn rsyslogd() -> Option<PathBuf> {
    let candidates = ["/usr/sbin/rsyslogd", "/sbin/rsyslogd"];
    if let Some(p) = candidates.iter().map(PathBuf::from).find(|p| p.is_file()) {
        return Some(p);
    }
    let found = Command::new("rsyslogd")
        .arg("-v")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status();
    matches!(found, Ok(s) if s.success()).then(|| PathBuf::from("rsyslogd"))
}

/// A private rsyslogd, killed on drop.
struct Rsyslog {
    child: Option<Child>,
    /// Where its imtcp input listens.
    port: u16,
    output: PathBuf,
}

impl Drop for Rsyslog {
    fn drop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
        if std::thread::panicking() {
            eprintln!(
                "--- rsyslogd output ---\n{}",
                std::fs::read_to_string(&self.output).unwrap_or_default()
            );
        }
    }
}

/// Forwarding action settings for TLS: the CA file to trust and the peer name to require.
struct Tls<'a> {
    ca: &'a Path,
    peer: &'a str,
}

impl Rsyslog {
    fn start(bin: &Path, dir: &Path, target_port: u16, tls: Option<Tls<'_>>) -> Rsyslog {
        let work = dir.join("work");
        std::fs::create_dir_all(&work).expect("rsyslog work dir");
        let port_file = dir.join("inport");
        let (global_tls, action_tls) = match &tls {
            Some(t) => (
                format!(" defaultNetstreamDriverCAFile=\"{}\"", t.ca.display()),
                format!(
                    "\n         StreamDriver=\"gtls\" StreamDriverMode=\"1\" StreamDriverAuthMode=\"x509/name\" StreamDriverPermittedPeers=\"{}\"",
                    t.peer
                ),
            ),
            None => (String::new(), String::new()),
        };
        let conf = format!(
            r#"# Private rsyslogd for Vigil's tests: no system socket, no /var/log.
global(workDirectory="{work}"{global_tls})
module(load="imtcp")
input(type="imtcp" address="127.0.0.1" port="0" listenPortFileName="{port_file}" ruleset="to_vigil")
ruleset(name="to_vigil") {{
  action(type="omfwd" target="127.0.0.1" port="{target_port}" protocol="tcp"
         TCP_Framing="octet-counted" template="RSYSLOG_SyslogProtocol23Format"
         action.resumeRetryCount="-1" action.resumeInterval="1"{action_tls})
}}
"#,
            work = work.display(),
            port_file = port_file.display(),
        );
        let conf_path = dir.join("rsyslog.conf");
        std::fs::write(&conf_path, conf).expect("write rsyslog.conf");
        let output = dir.join("rsyslogd.out");
        let out = std::fs::File::create(&output).expect("rsyslogd output file");
        let child = Command::new(bin)
            .arg("-n")
            .arg("-f")
            .arg(&conf_path)
            .arg("-i")
            .arg(dir.join("rsyslogd.pid"))
            .stdin(Stdio::null())
            .stdout(out.try_clone().expect("dup"))
            .stderr(out)
            .spawn()
            .expect("spawn rsyslogd");
        let mut rs = Rsyslog {
            child: Some(child),
            port: 0,
            output,
        };
        let deadline = Instant::now() + Duration::from_secs(15);
        rs.port = loop {
            if let Some(p) = std::fs::read_to_string(&port_file)
                .ok()
                .and_then(|t| t.trim().parse::<u16>().ok())
                .filter(|p| *p != 0)
            {
                break p;
            }
            if let Some(status) = rs.child.as_mut().and_then(|c| c.try_wait().ok().flatten()) {
                panic!(
                    "rsyslogd exited ({status}):\n{}",
                    std::fs::read_to_string(&rs.output).unwrap_or_default()
                );
            }
            assert!(Instant::now() < deadline, "rsyslogd wrote no listen port within 15 s");
            std::thread::sleep(Duration::from_millis(50));
        };
        rs
    }

    /// Sends `lines` through `logger --tcp` with `tag` as the app name.
    fn log(&self, tag: &str, lines: &[String]) {
        let mut child = Command::new("logger")
            .args([
                "--server",
                "127.0.0.1",
                "--port",
                &self.port.to_string(),
                "--tcp",
                "--rfc5424",
                "-t",
                tag,
            ])
            .stdin(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawn logger (package bsdutils)");
        {
            let mut stdin = child.stdin.take().expect("stdin");
            for l in lines {
                writeln!(stdin, "{l}").expect("write to logger");
            }
        }
        let out = child.wait_with_output().expect("logger");
        assert!(
            out.status.success(),
            "logger failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
}

/// Sends N distinct messages through rsyslog and checks that exactly they are stored.
fn forward_and_check(env: &Env, server: &Server, bin: &Path, target_port: u16, tls: Option<Tls<'_>>) {
    let tag = marker("rs");
    let rs = Rsyslog::start(bin, &env.path("rsyslog"), target_port, tls);
    let lines: Vec<String> = (0..N)
        .map(|i| format!("message {i} of {N} via rsyslog {tag}"))
        .collect();
    rs.log(&tag, &lines);
    let query = format!("app_name:{tag}");
    server.wait_count(&query, N as u64);
    let hits = server.hits(&query, N);
    let mut got: Vec<String> = hits
        .iter()
        .map(|h| {
            h["fields"]["message"]
                .as_str()
                .unwrap_or_else(|| panic!("no message in {h}"))
                .to_string()
        })
        .collect();
    got.sort();
    let mut want = lines.clone();
    want.sort();
    assert_eq!(got, want, "stored messages differ from the ones sent");
    let sample = &hits[0]["fields"];
    assert_eq!(sample["syslog_format"], "rfc5424", "{sample}");
    assert_eq!(sample["app_name"], tag.as_str(), "{sample}");
}

#[test]
fn rsyslog_forwards_octet_counted_rfc5424_over_tcp() {
    let Some(bin) = rsyslogd() else {
        eprintln!(
            "SKIP rsyslog_forwards_octet_counted_rfc5424_over_tcp: rsyslogd is not installed (apt-get install rsyslog)"
        );
        return;
    };
    let env = Env::new(BASE_CONFIG);
    let server = env.start(false);
    let port = server.syslog_tcp.expect("syslog tcp").port();
    forward_and_check(&env, &server, &bin, port, None);
    let records = server.metric("vigil_input_records_total{input=\"syslog-tcp\"}");
    assert_eq!(records, Some(N as f64), "syslog-tcp records counted");
    assert_eq!(server.metric("vigil_dropped_events_total"), Some(0.0));
}

#[test]
fn rsyslog_forwards_over_tls_verifying_the_generated_certificate() {
    let Some(bin) = rsyslogd() else {
        eprintln!("SKIP rsyslog_forwards_over_tls_verifying_the_generated_certificate: rsyslogd is not installed");
        return;
    };
    if !has_gtls_driver() {
        panic!("rsyslogd is installed without its GnuTLS driver: apt-get install rsyslog-gnutls");
    }
    let env = Env::new(BASE_CONFIG);
    let server = env.start(true);
    let ca = env.data_dir.join("tls/syslog.crt");
    assert!(ca.is_file(), "no generated certificate at {}", ca.display());
    let port = server.syslog_tls.expect("syslog tls").port();
    forward_and_check(
        &env,
        &server,
        &bin,
        port,
        Some(Tls {
            ca: &ca,
            peer: "localhost",
        }),
    );
    let records = server.metric("vigil_input_records_total{input=\"syslog-tls\"}");
    assert_eq!(records, Some(N as f64), "syslog-tls records counted");
    assert_eq!(
        server.metric("vigil_input_records_total{input=\"syslog-tcp\"}"),
        Some(0.0)
    );
}

/// Whether rsyslog's GnuTLS network stream driver is installed anywhere under /usr/lib.
fn has_gtls_driver() -> bool {
    let out = Command::new("find")
        .args(["/usr/lib", "-name", "lmnsd_gtls.so"])
        .output();
    matches!(out, Ok(o) if !o.stdout.is_empty())
}

#[test]
fn rsyslog_refuses_a_vigil_certificate_it_does_not_trust() {
    // The TLS test above must be able to fail: with a CA that did not sign Vigil's certificate,
    // rsyslog cannot deliver and nothing is stored.
    let Some(bin) = rsyslogd() else {
        eprintln!("SKIP rsyslog_refuses_a_vigil_certificate_it_does_not_trust: rsyslogd is not installed");
        return;
    };
    if !has_gtls_driver() {
        panic!("rsyslogd is installed without its GnuTLS driver: apt-get install rsyslog-gnutls");
    }
    let env = Env::new(BASE_CONFIG);
    let server = env.start(true);
    // A second server's generated certificate: same names, different key.
    let other = Env::new(BASE_CONFIG);
    drop(other.start(true));
    let wrong_ca = other.data_dir.join("tls/syslog.crt");
    let tag = marker("rsbad");
    let rs = Rsyslog::start(
        &bin,
        &env.path("rsyslog"),
        server.syslog_tls.expect("tls").port(),
        Some(Tls {
            ca: &wrong_ca,
            peer: "localhost",
        }),
    );
    rs.log(&tag, &["must not arrive".to_string()]);
    // rsyslog reports the refusal ("not permitted to talk to peer, certificate invalid: signer
    // not found") and keeps retrying.
    let deadline = Instant::now() + Duration::from_secs(15);
    while !std::fs::read_to_string(&rs.output)
        .unwrap_or_default()
        .contains("certificate invalid")
    {
        assert!(
            Instant::now() < deadline,
            "rsyslogd did not report an untrusted certificate"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    std::thread::sleep(Duration::from_millis(500));
    assert_eq!(server.count(&format!("app_name:{tag}")), 0);
    assert_eq!(
        server.metric("vigil_input_records_total{input=\"syslog-tls\"}"),
        Some(0.0)
    );
}
