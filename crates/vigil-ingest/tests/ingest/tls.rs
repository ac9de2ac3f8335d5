//! Syslog over TLS, with and without client certificates.

use std::sync::Arc;

use rustls::RootCertStore;
use rustls_pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer, ServerName};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio_rustls::TlsConnector;
use vigil_ingest::{IngestError, SyslogTcpConfig, SyslogTcpInput, tls_server_config};

use crate::support::{Pki, Running, WAIT, eventually, local, pki, start};

async fn tls_input(pki: &Pki, mutual: bool) -> Running {
    let ca = pki.path("client-ca.pem");
    let config = tls_server_config(
        &pki.path("server.pem"),
        &pki.path("server.key"),
        mutual.then_some(ca.as_path()),
    )
    .expect("tls config");
    let input = SyslogTcpInput::bind_tls(SyslogTcpConfig::new("syslog-tls", local()), config)
        .await
        .expect("bind");
    assert!(input.is_tls());
    start(Box::new(input))
}

fn connector(pki: &Pki, client: Option<&(Vec<u8>, Vec<u8>)>) -> TlsConnector {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut roots = RootCertStore::empty();
    roots.add(pki.server_ca_der.clone()).expect("root");
    let builder = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .expect("versions")
        .with_root_certificates(roots);
    let config = match client {
        None => builder.with_no_client_auth(),
        Some((cert, key)) => builder
            .with_client_auth_cert(
                vec![CertificateDer::from(cert.clone())],
                PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(key.clone())),
            )
            .expect("client cert"),
    };
    TlsConnector::from(Arc::new(config))
}

/// Connects, sends `data`, closes; returns whether the exchange went through without error.
async fn send(running: &Running, connector: &TlsConnector, data: &[u8]) -> bool {
    let tcp = TcpStream::connect(running.addr).await.expect("connect");
    let name = ServerName::try_from("localhost").expect("name");
    let Ok(mut tls) = connector.connect(name, tcp).await else {
        return false;
    };
    if tls.write_all(data).await.is_err() || tls.flush().await.is_err() {
        return false;
    }
    // With TLS 1.3 a rejected client certificate shows up as an alert on the first read.
    let _ = tls.shutdown().await;
    let mut buf = [0u8; 64];
    matches!(tokio::time::timeout(WAIT, tls.read(&mut buf)).await, Ok(Ok(0)))
}

#[tokio::test]
async fn tls_octet_counted_and_lf_framing() {
    let pki = pki();
    let running = tls_input(&pki, false).await;
    let connector = connector(&pki, None);
    assert!(send(&running, &connector, b"12 <13>octet 1\n").await);
    assert!(send(&running, &connector, b"<13>line a\n<13>line b\n").await);
    let records = running.sink.wait_for_records(3, WAIT).await;
    let data: Vec<&[u8]> = records.iter().map(|r| r.data.as_slice()).collect();
    assert_eq!(data, vec![&b"<13>octet 1"[..], b"<13>line a", b"<13>line b"]);
    assert!(records.iter().all(|r| r.attr("tls_client").is_none()));
    running.stop().await;
}

#[tokio::test]
async fn mutual_tls_names_the_client() {
    let pki = pki();
    let running = tls_input(&pki, true).await;
    let connector = connector(&pki, Some(&pki.client));
    assert!(send(&running, &connector, b"<13>from a known collector\n").await);
    let records = running.sink.wait_for_records(1, WAIT).await;
    assert_eq!(records.len(), 1);
    assert_eq!(records[0].attr("tls_client"), Some("collector-01"));
    assert_eq!(records[0].data, b"<13>from a known collector");
    running.stop().await;
}

#[tokio::test]
async fn mutual_tls_rejects_missing_and_foreign_certificates() {
    let pki = pki();
    let running = tls_input(&pki, true).await;
    for client in [None, Some(&pki.stranger)] {
        let connector = connector(&pki, client);
        assert!(!send(&running, &connector, b"<13>should not pass\n").await);
    }
    assert!(eventually(|| running.metrics.connections_refused() == 2).await);
    assert_eq!(running.sink.record_count(), 0);
    running.stop().await;
}

#[test]
fn tls_config_errors_name_the_file() {
    let pki = pki();
    let missing = pki.path("missing.pem");
    let err = tls_server_config(&missing, &pki.path("server.key"), None).expect_err("missing");
    assert!(matches!(err, IngestError::Pem { path, .. } if path == missing));
    // A key that does not match the certificate.
    let err = tls_server_config(&pki.path("client-ca.pem"), &pki.path("server.key"), None).expect_err("mismatch");
    assert!(matches!(err, IngestError::Tls(_)), "{err}");
}
