//! E-mail delivery over SMTP with lettre (tokio, rustls).
//!
//! The relay's host name is resolved here and each address goes through the outbound policy, like
//! webhook hosts; lettre then connects to a checked address, while TLS still verifies the
//! certificate against the configured host name. `security = "none"` is accepted only when the
//! host and every address it resolves to are loopback.

use std::net::SocketAddr;
use std::time::Duration;

use lettre::message::header::{ContentType, HeaderName, HeaderValue};
use lettre::message::{Mailbox, Message};
use lettre::transport::smtp::authentication::Credentials;
use lettre::transport::smtp::client::{Certificate, CertificateStore, Tls, TlsParameters};
use lettre::{AsyncSmtpTransport, AsyncTransport, Tokio1Executor};

use crate::chain;
use crate::channel::{SmtpConfig, SmtpSecurity};
use crate::payload::{email_body, email_subject};
use crate::policy::Rules;
use crate::policy::resolve::{ResolveError, resolve_allowed};
use crate::{Delivered, Notification, NotifyError, Timeouts};

/// Addresses of the relay tried before giving up on connecting.
const ADDRESSES_TRIED: usize = 3;
const AUTO_SUBMITTED: HeaderName = HeaderName::new_from_ascii_str("Auto-Submitted");
const DELIVERY: HeaderName = HeaderName::new_from_ascii_str("X-Vigil-Delivery");

/// Sends `n` to `to` through the relay in `smtp`.
pub(crate) async fn send(
    rules: &Rules,
    timeouts: Timeouts,
    smtp: &SmtpConfig,
    from: &str,
    to: &[String],
    n: &Notification,
) -> Result<Delivered, NotifyError> {
    let message = build_message(from, to, n)?;
    let host = smtp.host.as_str();
    let addrs = checked_addresses(rules, smtp).await?;
    let tls = tls(smtp).await?;
    let deadline = tokio::time::Instant::now() + timeouts.total;
    let mut last = None;
    for addr in addrs.into_iter().take(ADDRESSES_TRIED) {
        let transport = transport(smtp, addr, tls.clone(), timeouts.connect);
        let sent = tokio::time::timeout_at(deadline, transport.send(message.clone()))
            .await
            .map_err(|_| NotifyError::retryable(None, format!("timed out talking to {host}")))?;
        match sent {
            Ok(response) => {
                let detail = response.message().collect::<Vec<_>>().join(" ");
                let status = Some(u16::from(response.code()));
                return Ok(Delivered {
                    status,
                    detail: format!("{host}: {detail}"),
                });
            }
            Err(e) if is_connection_error(&e) => last = Some(smtp_error(&e, host)),
            Err(e) => return Err(smtp_error(&e, host)),
        }
    }
    Err(last.unwrap_or_else(|| NotifyError::retryable(None, format!("no address to try for {host}"))))
}

/// The relay's addresses that the policy permits; for `security = "none"`, only loopback ones.
async fn checked_addresses(rules: &Rules, smtp: &SmtpConfig) -> Result<Vec<SocketAddr>, NotifyError> {
    let host = smtp.host.as_str();
    let plain = smtp.security == SmtpSecurity::None;
    if plain && !is_loopback_name(host) {
        return Err(plain_refused(host));
    }
    let addrs = resolve_allowed(rules, host, smtp.port)
        .await
        .map_err(|e| resolve_error(e, host))?;
    if plain && !addrs.iter().all(|a| a.ip().to_canonical().is_loopback()) {
        return Err(plain_refused(host));
    }
    Ok(addrs)
}

fn resolve_error(err: ResolveError, host: &str) -> NotifyError {
    match err {
        ResolveError::Refused(r) => NotifyError::refused(r.host, r.reason),
        ResolveError::Lookup { source, .. } => NotifyError::retryable(None, format!("cannot resolve {host}: {source}")),
    }
}

/// Whether `host` names the loopback interface: `localhost`, `*.localhost` or a loopback address.
fn is_loopback_name(host: &str) -> bool {
    let host = host.trim_end_matches('.').to_ascii_lowercase();
    let bare = host.trim_start_matches('[').trim_end_matches(']');
    host == "localhost"
        || host.ends_with(".localhost")
        || bare
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.to_canonical().is_loopback())
}

fn plain_refused(host: &str) -> NotifyError {
    NotifyError::refused(
        host,
        "security \"none\" (unencrypted SMTP) is allowed only for a loopback host \
         (localhost, 127.0.0.0/8, ::1); use \"tls\" or \"starttls\"",
    )
}

/// TLS parameters for the configured host; with `ca_file`, only its certificates are trusted.
async fn tls(smtp: &SmtpConfig) -> Result<Option<TlsParameters>, NotifyError> {
    if smtp.security == SmtpSecurity::None {
        return Ok(None);
    }
    let mut builder = TlsParameters::builder(smtp.host.clone());
    if let Some(path) = &smtp.ca_file {
        let pem = tokio::fs::read(path)
            .await
            .map_err(|e| NotifyError::permanent(None, format!("cannot read ca_file {}: {e}", path.display())))?;
        let cert = Certificate::from_pem(&pem)
            .map_err(|e| NotifyError::permanent(None, format!("bad certificate in {}: {e}", path.display())))?;
        builder = builder
            .certificate_store(CertificateStore::None)
            .add_root_certificate(cert);
    }
    let params = builder
        .build_rustls()
        .map_err(|e| NotifyError::permanent(None, format!("TLS setup for {}: {e}", smtp.host)))?;
    Ok(Some(params))
}

fn transport(
    smtp: &SmtpConfig,
    addr: SocketAddr,
    tls: Option<TlsParameters>,
    timeout: Duration,
) -> AsyncSmtpTransport<Tokio1Executor> {
    let tls = match (smtp.security, tls) {
        (SmtpSecurity::Tls, Some(params)) => Tls::Wrapper(params),
        (SmtpSecurity::Starttls, Some(params)) => Tls::Required(params),
        _ => Tls::None,
    };
    let mut builder = AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(addr.ip().to_string())
        .port(addr.port())
        .tls(tls)
        .timeout(Some(timeout));
    if let Some(user) = &smtp.username {
        let password = smtp.password.clone().unwrap_or_default();
        builder = builder.credentials(Credentials::new(user.clone(), password));
    }
    builder.build()
}

fn is_connection_error(e: &lettre::transport::smtp::Error) -> bool {
    let sorted = e.is_permanent() || e.is_transient() || e.is_tls() || e.is_client() || e.is_response();
    !sorted && chain::tls_misconfiguration(e).is_none()
}

/// Sorts an SMTP failure: 5xx replies, certificate problems, TLS and client errors (no STARTTLS, no usable auth
/// mechanism) are permanent; 4xx replies, timeouts and connection errors retryable.
fn smtp_error(e: &lettre::transport::smtp::Error, host: &str) -> NotifyError {
    let code = e.status().map(u16::from);
    if let Some(tls) = chain::tls_misconfiguration(e) {
        return NotifyError::permanent(code, format!("{host}: {tls}"));
    }
    let detail = format!("{host}: {e}");
    if e.is_permanent() || e.is_tls() || e.is_client() {
        NotifyError::permanent(code, detail)
    } else {
        NotifyError::retryable(code, detail)
    }
}

/// The message: plain text, `Message-ID: <id@vigil>`, `Auto-Submitted: auto-generated`.
pub(crate) fn build_message(from: &str, to: &[String], n: &Notification) -> Result<Message, NotifyError> {
    let bad = |what: &str, value: &str, e: &dyn std::fmt::Display| {
        NotifyError::permanent(None, format!("bad {what} address {value:?}: {e}"))
    };
    let from_box: Mailbox = from.parse().map_err(|e| bad("sender", from, &e))?;
    if to.is_empty() {
        return Err(NotifyError::permanent(None, "no recipients"));
    }
    let mut builder = Message::builder()
        .from(from_box)
        .subject(email_subject(n))
        .message_id(Some(n.message_id()))
        .date(std::time::SystemTime::from(n.at))
        .raw_header(HeaderValue::new(AUTO_SUBMITTED, "auto-generated".to_owned()))
        .raw_header(HeaderValue::new(DELIVERY, n.id.clone()))
        .header(ContentType::TEXT_PLAIN);
    for rcpt in to {
        let mailbox: Mailbox = rcpt.parse().map_err(|e| bad("recipient", rcpt, &e))?;
        builder = builder.to(mailbox);
    }
    builder
        .body(email_body(n))
        .map_err(|e| NotifyError::permanent(None, format!("cannot build the message: {e}")))
}
