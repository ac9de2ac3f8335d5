//! HTTPS on the HTTP listener (`[http] tls_cert`/`tls_key`): elasticsearch-py and `requests`
//! verify the server against a test CA; an unverified client and plain HTTP are refused.

use rcgen::{BasicConstraints, CertificateParams, DnType, IsCa, Issuer, KeyPair};
use serde_json::json;

use crate::harness::{Env, marker, python, run_python};

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

#[test]
fn https_serves_verified_clients_only() {
    let Some(py) = python(
        "https_serves_verified_clients_only",
        &["elasticsearch", "elasticsearch.helpers", "requests"],
    ) else {
        return;
    };
    const N: usize = 200;
    let env = Env::new("version = 1\n");
    let [ca, cert, key] = write_pki(&env);
    let config = format!(
        "version = 1\n[pipeline]\ncommit_interval = \"200ms\"\n[http]\ntls_cert = {:?}\ntls_key = {:?}\n",
        cert.display().to_string(),
        key.display().to_string()
    );
    std::fs::write(&env.config, config).expect("config");
    let server = env.start_https();
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
