//! A small HTTP/1.1 client for talking to a running `vigil serve` over HTTP or HTTPS (keep-alive).
//!
//! HTTPS verifies the server against the system's trusted roots, or only against `--ca-cert`
//! when given, and can present a client certificate (`--client-cert`/`--client-key`) to a server
//! that asks for one (`[http] tls_client_ca`).

use std::path::PathBuf;
use std::sync::Arc;

use anyhow::{Context, bail};
use bytes::Bytes;
use http_body_util::{BodyExt, Full, Limited};
use hyper::{Method, Request, StatusCode, client::conn::http1::SendRequest, header};
use hyper_util::rt::TokioIo;
use rustls_pki_types::pem::PemObject;
use rustls_pki_types::{CertificateDer, PrivateKeyDer, ServerName};
use serde::{Serialize, de::DeserializeOwned};
use vigil_api_types::error::ErrorBody;

/// Longest wait for the TCP connection and for the TLS handshake.
const CONNECT_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(10);

/// Largest response body read (search answers with 10,000 hits fit comfortably).
const MAX_RESPONSE: usize = 256 << 20;

/// Files for HTTPS; all optional.
#[derive(Debug, Clone, Default)]
pub struct TlsFiles {
    /// PEM CA bundle to trust instead of the system's roots.
    pub ca_cert: Option<PathBuf>,
    /// PEM certificate chain and key presented to a server that asks for a client certificate.
    pub client_cert: Option<PathBuf>,
    pub client_key: Option<PathBuf>,
}

/// A connection to one server, reopened when it drops.
pub struct Client {
    authority: String,
    token: Option<String>,
    /// Set for `https://` servers: the TLS configuration and the name the certificate must carry.
    tls: Option<(tokio_rustls::TlsConnector, ServerName<'static>)>,
    sender: Option<SendRequest<Full<Bytes>>>,
}

impl std::fmt::Debug for Client {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Client").field("authority", &self.authority).finish()
    }
}

/// A response: status, Retry-After (seconds), Content-Type, body.
#[derive(Debug)]
pub struct Answer {
    pub status: StatusCode,
    pub retry_after: Option<u64>,
    pub content_type: Option<String>,
    pub body: Bytes,
}

impl Answer {
    /// Fails unless the body is of `media`: an older server that lacks `feature` answers with
    /// something else (its console page, a JSON error).
    pub fn expect_media(&self, media: &str, feature: &str) -> anyhow::Result<()> {
        let content_type = self.content_type.as_deref().unwrap_or("");
        if !content_type.starts_with(media) {
            let got = if content_type.is_empty() {
                "no Content-Type"
            } else {
                content_type
            };
            bail!("the server answered with {got} instead of {media}: is it a version with {feature}?");
        }
        Ok(())
    }

    /// The body read as the API's type `T`; an error answer becomes an error with the server's
    /// code and message.
    pub fn parse<T: DeserializeOwned>(self) -> anyhow::Result<T> {
        let answer = self.check()?;
        serde_json::from_slice(&answer.body).with_context(|| {
            format!(
                "the server's answer ({}) is not what this client expects",
                answer.status
            )
        })
    }

    /// The answer itself when it is a success; an error answer becomes an error with the server's
    /// code and message.
    pub fn check(self) -> anyhow::Result<Answer> {
        if self.status.is_success() {
            return Ok(self);
        }
        match serde_json::from_slice::<ErrorBody>(&self.body) {
            Ok(ErrorBody { error }) => bail!("server answered {}: {}: {}", self.status, error.code, error.message),
            Err(_) => bail!(
                "server answered {} with a body that is not the API's error shape",
                self.status
            ),
        }
    }
}

impl Client {
    /// `server` is `http://HOST:PORT` or `https://HOST:PORT`; `tls` is used for HTTPS only.
    pub fn new(server: &str, token: Option<String>, tls: &TlsFiles) -> anyhow::Result<Client> {
        let usage = || format!("--server {server}: use http://HOST:PORT or https://HOST:PORT");
        let (https, rest) = match (server.strip_prefix("http://"), server.strip_prefix("https://")) {
            (Some(rest), _) => (false, rest),
            (_, Some(rest)) => (true, rest),
            _ => bail!(usage()),
        };
        let authority = rest.trim_end_matches('/').to_string();
        if authority.is_empty() || authority.contains('/') || !authority.contains(':') {
            bail!(usage());
        }
        let tls = if https {
            let host = authority
                .rsplit_once(':')
                .map_or(authority.as_str(), |(h, _)| h)
                .trim_start_matches('[')
                .trim_end_matches(']');
            let name = ServerName::try_from(host.to_string()).with_context(usage)?;
            Some((tokio_rustls::TlsConnector::from(client_config(tls)?), name))
        } else {
            None
        };
        Ok(Client {
            authority,
            token,
            tls,
            sender: None,
        })
    }

    async fn connect(&mut self) -> anyhow::Result<&mut SendRequest<Full<Bytes>>> {
        if self.sender.as_ref().is_none_or(|s| s.is_closed()) {
            let stream = within_timeout(tokio::net::TcpStream::connect(&self.authority))
                .await
                .with_context(|| {
                    format!(
                        "cannot reach the Vigil server at {} (is `vigil serve` running?)",
                        self.authority
                    )
                })?;
            // Small requests (searches, metrics) should not wait for Nagle.
            let _ = stream.set_nodelay(true);
            let sender = match &self.tls {
                None => http1(stream).await?,
                Some((connector, name)) => {
                    let stream = within_timeout(connector.connect(name.clone(), stream))
                        .await
                        .with_context(|| {
                            format!(
                                "TLS handshake with {} failed (is it HTTPS, and is its certificate trusted? see --ca-cert)",
                                self.authority
                            )
                        })?;
                    http1(stream).await?
                }
            };
            self.sender = Some(sender);
        }
        let sender = self.sender.as_mut().context("no connection")?;
        // HTTP/1.1 sends one request at a time: right after an answer the connection may not have
        // taken the next one yet, and `send_request` fails with "connection was not ready".
        sender.ready().await.context("waiting for the connection")?;
        Ok(sender)
    }

    /// Sends one request; `body` is (content type, bytes).
    pub async fn send(&mut self, method: Method, path: &str, body: Option<(&str, Bytes)>) -> anyhow::Result<Answer> {
        let authority = self.authority.clone();
        let token = self.token.clone();
        let sender = self.connect().await?;
        let mut req = Request::builder()
            .method(method)
            .uri(path)
            .header(header::HOST, authority);
        if let Some(t) = token {
            req = req.header(header::AUTHORIZATION, format!("Bearer {t}"));
        }
        let req = match body {
            Some((ct, bytes)) => req.header(header::CONTENT_TYPE, ct).body(Full::new(bytes)),
            None => req.body(Full::new(Bytes::new())),
        }
        .context("building the request")?;
        let response = sender.send_request(req).await.context("sending the request")?;
        let status = response.status();
        let retry_after = response
            .headers()
            .get(header::RETRY_AFTER)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.parse().ok());
        let content_type = response
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned);
        #[expect(clippy::disallowed_methods, reason = "bounded by Limited to MAX_RESPONSE")]
        let body = Limited::new(response.into_body(), MAX_RESPONSE)
            .collect()
            .await
            .map_err(|e| anyhow::anyhow!("reading the answer: {e}"))?
            .to_bytes();
        Ok(Answer {
            status,
            retry_after,
            content_type,
            body,
        })
    }

    /// `GET path`, the answer read as `T`.
    pub async fn get<T: DeserializeOwned>(&mut self, path: &str) -> anyhow::Result<T> {
        self.send(Method::GET, path, None).await?.parse()
    }

    /// `POST path` with a JSON body, the answer read as `T`.
    pub async fn post<B: Serialize, T: DeserializeOwned>(&mut self, path: &str, body: &B) -> anyhow::Result<T> {
        self.send_json(Method::POST, path, body).await
    }

    /// `PATCH path` with a JSON body (fields left out stay as they are), the answer read as `T`.
    pub async fn patch<B: Serialize, T: DeserializeOwned>(&mut self, path: &str, body: &B) -> anyhow::Result<T> {
        self.send_json(Method::PATCH, path, body).await
    }

    /// `DELETE path`; an error answer becomes an error with the server's code and message.
    pub async fn delete(&mut self, path: &str) -> anyhow::Result<()> {
        self.send(Method::DELETE, path, None).await?.check().map(drop)
    }

    /// `method path` with a JSON body, the answer read as `T`.
    async fn send_json<B: Serialize, T: DeserializeOwned>(
        &mut self,
        method: Method,
        path: &str,
        body: &B,
    ) -> anyhow::Result<T> {
        let bytes = Bytes::from(serde_json::to_vec(body)?);
        self.send(method, path, Some(("application/json", bytes)))
            .await?
            .parse()
    }

    /// `GET path`, the successful answer as it came (a document that is not JSON, such as a
    /// Markdown report); an error answer becomes an error with the server's code and message.
    pub async fn get_raw(&mut self, path: &str) -> anyhow::Result<Answer> {
        self.send(Method::GET, path, None).await?.check()
    }
}

/// `io` bounded by [`CONNECT_TIMEOUT`] (running out is a `TimedOut` error).
async fn within_timeout<T>(io: impl Future<Output = std::io::Result<T>>) -> std::io::Result<T> {
    tokio::time::timeout(CONNECT_TIMEOUT, io)
        .await
        .unwrap_or_else(|_| Err(std::io::ErrorKind::TimedOut.into()))
}

/// An HTTP/1.1 connection over `io`, driven by its own task.
async fn http1<IO>(io: IO) -> anyhow::Result<SendRequest<Full<Bytes>>>
where
    IO: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin + Send + 'static,
{
    let (sender, conn) = hyper::client::conn::http1::handshake(TokioIo::new(io))
        .await
        .context("HTTP handshake")?;
    tokio::spawn(async move {
        let _ = conn.await;
    });
    Ok(sender)
}

/// The rustls client configuration: roots from `--ca-cert` or the system, optional client certificate.
fn client_config(files: &TlsFiles) -> anyhow::Result<Arc<rustls::ClientConfig>> {
    let mut roots = rustls::RootCertStore::empty();
    match &files.ca_cert {
        Some(path) => {
            for cert in read_certs(path)? {
                roots
                    .add(cert)
                    .with_context(|| format!("--ca-cert {}: not a usable CA certificate", path.display()))?;
            }
        }
        None => {
            let found = rustls_native_certs::load_native_certs();
            let (added, _) = roots.add_parsable_certificates(found.certs);
            if added == 0 {
                bail!("no trusted CA certificates found on this system: pass the server's CA with --ca-cert FILE");
            }
        }
    }
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let builder = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .context("TLS protocol versions")?
        .with_root_certificates(roots);
    let mut config = match (&files.client_cert, &files.client_key) {
        (None, None) => builder.with_no_client_auth(),
        (Some(cert), Some(key)) => {
            let chain = read_certs(cert)?;
            let key = PrivateKeyDer::from_pem_file(key)
                .with_context(|| format!("--client-key {}: no PEM private key in it", key.display()))?;
            builder
                .with_client_auth_cert(chain, key)
                .context("--client-cert and --client-key do not form a usable pair")?
        }
        _ => bail!("--client-cert and --client-key go together: give both or neither"),
    };
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(Arc::new(config))
}

fn read_certs(path: &std::path::Path) -> anyhow::Result<Vec<CertificateDer<'static>>> {
    let certs = CertificateDer::pem_file_iter(path)
        .and_then(|it| it.collect::<Result<Vec<_>, _>>())
        .with_context(|| format!("{}: cannot read PEM certificates", path.display()))?;
    if certs.is_empty() {
        bail!("{}: no PEM certificate in it", path.display());
    }
    Ok(certs)
}

/// Percent-encodes a query-string value.
pub fn encode(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for b in value.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}
