//! A small HTTP/1.1 client for talking to a running `vigil serve` (plain HTTP, keep-alive).

use anyhow::{Context, bail};
use bytes::Bytes;
use http_body_util::{BodyExt, Full, Limited};
use hyper::{Method, Request, StatusCode, client::conn::http1::SendRequest, header};
use hyper_util::rt::TokioIo;

/// Largest response body read (search answers with 10,000 hits fit comfortably).
const MAX_RESPONSE: usize = 256 << 20;

/// A connection to one server, reopened when it drops.
pub struct Client {
    authority: String,
    token: Option<String>,
    sender: Option<SendRequest<Full<Bytes>>>,
}

impl std::fmt::Debug for Client {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Client").field("authority", &self.authority).finish()
    }
}

/// A response: status, Retry-After (seconds), body.
#[derive(Debug)]
pub struct Answer {
    pub status: StatusCode,
    pub retry_after: Option<u64>,
    pub body: Bytes,
}

impl Answer {
    /// The JSON body, or the server's error message as an error.
    pub fn json(self) -> anyhow::Result<serde_json::Value> {
        let value: serde_json::Value = serde_json::from_slice(&self.body)
            .with_context(|| format!("the server answered {} with a body that is not JSON", self.status))?;
        if !self.status.is_success() {
            let code = value["error"]["code"].as_str().unwrap_or("error");
            let message = value["error"]["message"].as_str().unwrap_or("");
            bail!("server answered {}: {code}: {message}", self.status);
        }
        Ok(value)
    }
}

impl Client {
    /// `server` is `http://host:port` (HTTPS is not supported by this client yet).
    pub fn new(server: &str, token: Option<String>) -> anyhow::Result<Client> {
        let rest = server
            .strip_prefix("http://")
            .with_context(|| format!("--server {server}: use http://HOST:PORT"))?;
        let authority = rest.trim_end_matches('/').to_string();
        if authority.is_empty() || authority.contains('/') {
            bail!("--server {server}: use http://HOST:PORT");
        }
        Ok(Client {
            authority,
            token,
            sender: None,
        })
    }

    async fn connect(&mut self) -> anyhow::Result<&mut SendRequest<Full<Bytes>>> {
        if self.sender.as_ref().is_none_or(|s| s.is_closed()) {
            let stream = tokio::net::TcpStream::connect(&self.authority).await.with_context(|| {
                format!(
                    "cannot reach the Vigil server at {} (is `vigil serve` running?)",
                    self.authority
                )
            })?;
            // Small requests (searches, metrics) should not wait for Nagle.
            let _ = stream.set_nodelay(true);
            let (sender, conn) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
                .await
                .context("HTTP handshake")?;
            tokio::spawn(async move {
                let _ = conn.await;
            });
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
        #[expect(clippy::disallowed_methods, reason = "bounded by Limited to MAX_RESPONSE")]
        let body = Limited::new(response.into_body(), MAX_RESPONSE)
            .collect()
            .await
            .map_err(|e| anyhow::anyhow!("reading the answer: {e}"))?
            .to_bytes();
        Ok(Answer {
            status,
            retry_after,
            body,
        })
    }

    pub async fn get_json(&mut self, path: &str) -> anyhow::Result<serde_json::Value> {
        self.send(Method::GET, path, None).await?.json()
    }

    pub async fn post_json(&mut self, path: &str, body: &serde_json::Value) -> anyhow::Result<serde_json::Value> {
        let bytes = Bytes::from(serde_json::to_vec(body)?);
        self.send(Method::POST, path, Some(("application/json", bytes)))
            .await?
            .json()
    }
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
