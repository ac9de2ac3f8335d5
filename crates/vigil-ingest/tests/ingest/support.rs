//! Shared fixtures: running inputs on 127.0.0.1:0, an HTTP/1.1 client, test certificates.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::body::Body;
use axum::http::{HeaderMap, Request, StatusCode};
use bytes::Bytes;
use rcgen::{BasicConstraints, CertificateParams, DnType, IsCa, Issuer, KeyPair};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;
use tower::ServiceExt;
use vigil_ingest::{
    HttpIngest, HttpIngestConfig, IngestError, Input, InputContext, InputMetrics, MemorySink, StaticTokens, http_router,
};

pub const TOKEN: &str = "secret-token";
pub const WAIT: Duration = Duration::from_secs(10);

/// A running input with its sink, counters and shutdown switch.
pub struct Running {
    pub addr: SocketAddr,
    pub sink: Arc<MemorySink>,
    pub metrics: Arc<InputMetrics>,
    pub shutdown: CancellationToken,
    pub task: JoinHandle<Result<(), IngestError>>,
}

impl Running {
    pub async fn stop(self) {
        self.shutdown.cancel();
        tokio::time::timeout(WAIT, self.task)
            .await
            .expect("input stops in time")
            .expect("task joins")
            .expect("run returns Ok");
    }
}

pub fn start(input: Box<dyn Input>) -> Running {
    let sink = Arc::new(MemorySink::new());
    let metrics = Arc::new(InputMetrics::default());
    let shutdown = CancellationToken::new();
    let addr = input.local_addr();
    let ctx = InputContext::new(sink.clone(), metrics.clone(), shutdown.clone());
    let task = tokio::spawn(input.run(ctx));
    Running {
        addr,
        sink,
        metrics,
        shutdown,
        task,
    }
}

pub fn local() -> SocketAddr {
    "127.0.0.1:0".parse().expect("addr")
}

/// Polls `check` until it holds or the wait is over.
pub async fn eventually(mut check: impl FnMut() -> bool) -> bool {
    let deadline = tokio::time::Instant::now() + WAIT;
    while tokio::time::Instant::now() < deadline {
        if check() {
            return true;
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    check()
}

/// HTTP routes over a memory sink, token [`TOKEN`].
pub struct HttpFixture {
    pub sink: Arc<MemorySink>,
    pub state: HttpIngest,
    pub router: Router,
}

pub fn http_fixture_with(config: HttpIngestConfig) -> HttpFixture {
    let sink = Arc::new(MemorySink::new());
    let state = HttpIngest::new(config, sink.clone(), Arc::new(StaticTokens::new([TOKEN])));
    let router = http_router(state.clone());
    HttpFixture { sink, state, router }
}

pub fn http_fixture() -> HttpFixture {
    http_fixture_with(HttpIngestConfig::default())
}

pub struct Reply {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: Bytes,
}

impl Reply {
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.body)
            .unwrap_or_else(|e| panic!("not JSON ({e}): {:?}", String::from_utf8_lossy(&self.body)))
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }
}

/// One request through the router (`tower::ServiceExt::oneshot`).
pub async fn call(router: &Router, method: &str, uri: &str, headers: &[(&str, &str)], body: impl Into<Body>) -> Reply {
    let mut builder = Request::builder().method(method).uri(uri);
    for (name, value) in headers {
        builder = builder.header(*name, *value);
    }
    let request = builder.body(body.into()).expect("request");
    let response = router.clone().oneshot(request).await.expect("infallible");
    let (parts, body) = response.into_parts();
    let body = axum::body::to_bytes(body, 1 << 24).await.expect("body");
    Reply {
        status: parts.status,
        headers: parts.headers,
        body,
    }
}

pub const BEARER: (&str, &str) = ("authorization", "Bearer secret-token");

pub fn gzip(data: &[u8]) -> Vec<u8> {
    use std::io::Write;
    let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    enc.write_all(data).expect("write");
    enc.finish().expect("finish")
}

/// A minimal HTTP/1.1 client over a real socket (`Connection: close`, read to EOF).
pub async fn raw_http(addr: SocketAddr, method: &str, path: &str, headers: &[(&str, &str)], body: &[u8]) -> Reply {
    let mut stream = TcpStream::connect(addr).await.expect("connect");
    let mut head = format!(
        "{method} {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\nContent-Length: {}\r\n",
        body.len()
    );
    for (name, value) in headers {
        head.push_str(&format!("{name}: {value}\r\n"));
    }
    head.push_str("\r\n");
    stream.write_all(head.as_bytes()).await.expect("write head");
    stream.write_all(body).await.expect("write body");
    let mut response = Vec::new();
    let mut buf = [0u8; 8192];
    loop {
        let n = tokio::time::timeout(WAIT, stream.read(&mut buf))
            .await
            .expect("response in time")
            .expect("read");
        if n == 0 {
            break;
        }
        response.extend_from_slice(&buf[..n]);
        assert!(response.len() < 1 << 24, "response too large");
    }
    let split = response.windows(4).position(|w| w == b"\r\n\r\n").expect("header end");
    let head = String::from_utf8(response[..split].to_vec()).expect("ascii head");
    let mut lines = head.split("\r\n");
    let status_line = lines.next().expect("status line");
    let status: u16 = status_line
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .expect("status code");
    let mut map = HeaderMap::new();
    for line in lines {
        let (name, value) = line.split_once(':').expect("header line");
        map.append(
            axum::http::HeaderName::from_bytes(name.trim().as_bytes()).expect("name"),
            value.trim().parse().expect("value"),
        );
    }
    let mut body = response[split + 4..].to_vec();
    if map
        .get("transfer-encoding")
        .is_some_and(|v| v.as_bytes().eq_ignore_ascii_case(b"chunked"))
    {
        body = dechunk(&body);
    }
    Reply {
        status: StatusCode::from_u16(status).expect("status"),
        headers: map,
        body: Bytes::from(body),
    }
}

fn dechunk(mut data: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    loop {
        let line_end = data.windows(2).position(|w| w == b"\r\n").expect("chunk size");
        let size_text = std::str::from_utf8(&data[..line_end]).expect("ascii");
        let size = usize::from_str_radix(size_text.split(';').next().unwrap_or("0").trim(), 16).expect("hex size");
        data = &data[line_end + 2..];
        if size == 0 {
            return out;
        }
        out.extend_from_slice(&data[..size]);
        data = &data[size + 2..];
    }
}

/// Test PKI written to a temporary directory: a server certificate for `localhost`, and a
/// client CA with one client certificate (CN `collector-01`) plus a client from another CA.
pub struct Pki {
    pub dir: tempfile::TempDir,
    pub server_ca_der: rustls_pki_types::CertificateDer<'static>,
    pub client: (Vec<u8>, Vec<u8>),
    pub stranger: (Vec<u8>, Vec<u8>),
}

impl Pki {
    pub fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }
}

fn ca(name: &str) -> (rcgen::Certificate, Issuer<'static, KeyPair>) {
    let mut params = CertificateParams::new(Vec::<String>::new()).expect("params");
    params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    params.distinguished_name.push(DnType::CommonName, name);
    params.key_usages.extend([
        rcgen::KeyUsagePurpose::KeyCertSign,
        rcgen::KeyUsagePurpose::DigitalSignature,
    ]);
    let key = KeyPair::generate().expect("key");
    let cert = params.self_signed(&key).expect("ca cert");
    (cert, Issuer::new(params, key))
}

fn leaf(
    issuer: &Issuer<'static, KeyPair>,
    sans: Vec<String>,
    cn: &str,
    usage: rcgen::ExtendedKeyUsagePurpose,
) -> (rcgen::Certificate, KeyPair) {
    let mut params = CertificateParams::new(sans).expect("params");
    params.distinguished_name.push(DnType::CommonName, cn);
    params.extended_key_usages.push(usage);
    let key = KeyPair::generate().expect("key");
    let cert = params.signed_by(&key, issuer).expect("leaf");
    (cert, key)
}

pub fn pki() -> Pki {
    let dir = tempfile::tempdir().expect("tempdir");
    let (server_ca, server_issuer) = ca("Vigil Test Server CA");
    let (server, server_key) = leaf(
        &server_issuer,
        vec!["localhost".into()],
        "localhost",
        rcgen::ExtendedKeyUsagePurpose::ServerAuth,
    );
    let (client_ca, client_issuer) = ca("Vigil Test Client CA");
    let (client, client_key) = leaf(
        &client_issuer,
        Vec::new(),
        "collector-01",
        rcgen::ExtendedKeyUsagePurpose::ClientAuth,
    );
    let (_, stranger_issuer) = ca("Somebody Else");
    let (stranger, stranger_key) = leaf(
        &stranger_issuer,
        Vec::new(),
        "intruder",
        rcgen::ExtendedKeyUsagePurpose::ClientAuth,
    );
    std::fs::write(dir.path().join("server.pem"), server.pem()).expect("write");
    std::fs::write(dir.path().join("server.key"), server_key.serialize_pem()).expect("write");
    std::fs::write(dir.path().join("client-ca.pem"), client_ca.pem()).expect("write");
    Pki {
        server_ca_der: server_ca.der().clone(),
        client: (client.der().to_vec(), client_key.serialize_der()),
        stranger: (stranger.der().to_vec(), stranger_key.serialize_der()),
        dir,
    }
}
