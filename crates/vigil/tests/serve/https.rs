//! HTTPS on the HTTP listener (`[http] tls_cert`/`tls_key`): elasticsearch-py and `requests`
//! verify the server against a test CA; an unverified client and plain HTTP are refused; the
//! `vigil` CLI client ingests and searches over HTTPS with `--ca-cert`.

use rcgen::{BasicConstraints, CertificateParams, DnType, IsCa, Issuer, KeyPair};
use serde_json::json;

use std::process::Command;

use crate::harness::{Env, Server, VIGIL, marker, python, run_python};

/// Writes a CA and a `localhost` server certificate it signed into the env's directory; returns
/// the paths of the CA, the certificate and the key.
fn write_pki(env: &Env) -> [std::path::PathBuf; 3] {
    let mut ca_params = CertificateParams::new(Vec::<String>::new()).expect("params");
    ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    ca_params
        .distinguished_name
        .push(DnType::CommonName, "Vigil Test HTTPS CA");
    ca_params.key_usages.extend([
        rcgen::KeyUsagePurpose::KeyCertSign,
        rcgen::KeyUsagePurpose::DigitalSignature,
    ]);
    let ca_key = KeyPair::generate().expect("key");
    let ca = ca_params.self_signed(&ca_key).expect("ca");
    let issuer = Issuer::new(ca_params, ca_key);
    let mut params = CertificateParams::new(vec!["localhost".to_string()]).expect("params");
    params.distinguished_name.push(DnType::CommonName, "localhost");
    params
        .extended_key_usages
        .push(rcgen::ExtendedKeyUsagePurpose::ServerAuth);
    let key = KeyPair::generate().expect("key");
    let cert = params.signed_by(&key, &issuer).expect("leaf");
    let paths = [env.path("ca.pem"), env.path("server.pem"), env.path("server.key")];
    std::fs::write(&paths[0], ca.pem()).expect("write");
    std::fs::write(&paths[1], cert.pem()).expect("write");
    std::fs::write(&paths[2], key.serialize_pem()).expect("write");
    paths
}

/// A server with HTTPS on its HTTP listener, its certificate signed by a test CA (returned).
fn https_server() -> (Env, std::path::PathBuf, Server) {
    let env = Env::new("version = 1\n");
    let [ca, cert, key] = write_pki(&env);
    let config = format!(
        "version = 1\n[pipeline]\ncommit_interval = \"200ms\"\n[http]\ntls_cert = {:?}\ntls_key = {:?}\n",
        cert.display().to_string(),
        key.display().to_string()
    );
    std::fs::write(&env.config, config).expect("config");
    let server = env.start_https();
    (env, ca, server)
}

#[test]
fn https_serves_verified_clients_only() {
    let Some(py) = python(
        "https_serves_verified_clients_only",
        &["elasticsearch", "elasticsearch.helpers", "requests"],
    ) else {
        return;
    };
    const N: usize = 200;
    let (env, ca, server) = https_server();
    // Plain HTTP is not served on the HTTPS port (the harness's own client speaks plain HTTP).
    assert!(
        server.get("/healthz").map(|r| r.status).ok() != Some(200),
        "plain HTTP answered on the HTTPS port"
    );
    let m = marker("https");
    let result = run_python(
        &py,
        "https.py",
        &[
            "--port".into(),
            server.http.port().to_string(),
            "--ca".into(),
            ca.display().to_string(),
            "--ingest-token".into(),
            env.ingest_token.clone(),
            "--read-token".into(),
            env.read_token.clone(),
            "--count".into(),
            N.to_string(),
            "--marker".into(),
            m,
        ],
    );
    let expected = json!({
        "bulk_success": N,
        "bulk_errors": [],
        "search_status": 200,
        "search_total": N,
        "untrusted": "refused",
        "plain_http": "refused",
        "hsts": "max-age=63072000; includeSubDomains",
    });
    for (k, v) in expected.as_object().into_iter().flatten() {
        assert_eq!(result.get(k), Some(v), "{k}: {result}");
    }
    assert!(
        result["info_version"].as_str().is_some_and(|v| v.starts_with('8')),
        "{result}"
    );
    let log = server.log();
    assert!(
        log.lines().any(|l| l.contains("HTTP API") && l.contains("https")),
        "the listening line names the scheme:\n{log}"
    );
}

#[test]
fn the_cli_ingests_and_searches_over_https_with_its_ca() {
    let (env, ca, server) = https_server();
    let port = server.http.port();
    let m = marker("clihttps");
    let file = env.path("events.ndjson");
    let lines: String = (0..20)
        .map(|i| format!("{{\"message\":\"{m} {i}\",\"@timestamp\":\"2026-11-23T10:00:{i:02}Z\"}}\n"))
        .collect();
    std::fs::write(&file, lines).expect("write");
    let vigil = |args: &[&str], server_url: &str, token: &str, ca: Option<&std::path::Path>| {
        let mut cmd = Command::new(VIGIL);
        cmd.args(args).args(["--server", server_url, "--token", token]);
        if let Some(ca) = ca {
            cmd.arg("--ca-cert").arg(ca);
        }
        cmd.env_remove("VIGIL_CA_CERT").output().expect("run vigil")
    };
    let url = format!("https://localhost:{port}");
    let file_arg = file.display().to_string();

    let out = vigil(&["ingest", &file_arg], &url, &env.ingest_token, Some(&ca));
    assert!(out.status.success(), "ingest: {}", String::from_utf8_lossy(&out.stderr));
    // Searchable once committed.
    let deadline = std::time::Instant::now() + crate::harness::SEARCH_DEADLINE;
    loop {
        let out = vigil(&["search", "--json", &m], &url, &env.read_token, Some(&ca));
        assert!(out.status.success(), "search: {}", String::from_utf8_lossy(&out.stderr));
        let answer: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json answer");
        if answer["total"] == 20 {
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "not all events searchable: {answer}"
        );
        std::thread::sleep(std::time::Duration::from_millis(200));
    }

    // Refusals are clear errors with a non-zero exit, never a silent success.
    let refused = |out: std::process::Output, why: &str| {
        let err = String::from_utf8_lossy(&out.stderr).into_owned();
        assert!(!out.status.success(), "{why}: succeeded");
        assert!(err.contains("--ca-cert") || err.contains("certificate"), "{why}: {err}");
    };
    // The system's roots do not know the test CA.
    refused(vigil(&["search", &m], &url, &env.read_token, None), "untrusted CA");
    // The certificate is for localhost, not 127.0.0.1.
    refused(
        vigil(
            &["search", &m],
            &format!("https://127.0.0.1:{port}"),
            &env.read_token,
            Some(&ca),
        ),
        "wrong name",
    );
    // Plain HTTP to the HTTPS port fails rather than hanging.
    let out = vigil(
        &["search", &m],
        &format!("http://localhost:{port}"),
        &env.read_token,
        None,
    );
    assert!(!out.status.success(), "plain HTTP to HTTPS succeeded");
    // A CA file that is not PEM is named in the error.
    let out = vigil(&["search", &m], &url, &env.read_token, Some(&file));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success() && err.contains("events.ndjson"), "{err}");
}

/// An HTTP/2-capable client (curl built with nghttp2, asking for HTTP/2) is served over HTTP/1.1:
/// the server does not offer `h2` in ALPN, which it could not speak.
#[test]
fn an_http2_capable_client_negotiates_http1_and_is_served() {
    if Command::new("curl").arg("--version").output().is_err() {
        eprintln!("skipped: curl is absent (scripts/test installs it)");
        return;
    }
    let (_env, ca, server) = https_server();
    let out = Command::new("curl")
        .args([
            "--http2",
            "-sS",
            "--max-time",
            "10",
            "-o",
            "/dev/null",
            "-w",
            "%{http_version} %{http_code}",
        ])
        .arg("--cacert")
        .arg(&ca)
        .arg(format!("https://localhost:{}/healthz", server.http.port()))
        .output()
        .expect("run curl");
    let got = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "curl failed ({got}): {}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(got, "1.1 200");
}
