//! The sender: one HTTP client bound to the outbound policy, and the dispatch per channel.

use std::sync::Arc;
use std::time::Duration;

use reqwest::redirect::Policy;

use crate::policy::Rules;
use crate::policy::resolve::PolicyResolver;
use crate::signature::{DELIVERY_HEADER, SIGNATURE_HEADER, TIMESTAMP_HEADER, sign};
use crate::{Channel, Notification, NotifyError, OutboundPolicy, email, http, payload};

/// What the receiving end answered to a delivery.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Delivered {
    /// HTTP status, or the SMTP reply code for e-mail.
    pub status: Option<u16>,
    /// The start of the answer (response body or SMTP reply text), on one line.
    pub detail: String,
}

/// Time limits of one delivery.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Timeouts {
    /// Connecting (TCP and TLS handshake; for SMTP, each command).
    pub connect: Duration,
    /// The whole delivery, answer included.
    pub total: Duration,
}

impl Default for Timeouts {
    /// 5 s to connect, 15 s in all.
    fn default() -> Self {
        Self {
            connect: Duration::from_secs(5),
            total: Duration::from_secs(15),
        }
    }
}

/// Sends notifications to channels under an [`OutboundPolicy`]. Cheap to clone; build one and
/// share it.
#[derive(Clone, Debug)]
pub struct Notifier {
    rules: Arc<Rules>,
    http: reqwest::Client,
    timeouts: Timeouts,
}

impl Notifier {
    /// A notifier with the default [`Timeouts`]. Fails on an invalid allow entry.
    pub fn new(policy: OutboundPolicy) -> Result<Self, NotifyError> {
        Self::with_timeouts(policy, Timeouts::default())
    }

    /// A notifier with the given time limits. The HTTP client resolves names through the policy,
    /// follows no redirect and ignores proxy settings from the environment.
    pub fn with_timeouts(policy: OutboundPolicy, timeouts: Timeouts) -> Result<Self, NotifyError> {
        let rules = Arc::new(policy.compile()?);
        let http = reqwest::Client::builder()
            .dns_resolver(Arc::new(PolicyResolver::new(Arc::clone(&rules))))
            .redirect(Policy::none())
            .no_proxy()
            .connect_timeout(timeouts.connect)
            .timeout(timeouts.total)
            .user_agent(concat!("vigil-notify/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| NotifyError::permanent(None, format!("cannot build the HTTP client: {e}")))?;
        Ok(Self { rules, http, timeouts })
    }

    /// Delivers `n` to `channel` once. The caller (the outbox) retries [`NotifyError::Retryable`]
    /// failures after [`crate::backoff`] or the server's `retry_after`, with the same `n.id`.
    pub async fn send(&self, channel: &Channel, n: &Notification) -> Result<Delivered, NotifyError> {
        n.validate()?;
        let result = match channel {
            Channel::Webhook { url, secret } => self.webhook(url, secret.as_deref(), n).await,
            Channel::Slack { url } => self.chat(url, &payload::slack(n), n).await,
            Channel::Teams { url } => self.chat(url, &payload::teams(n), n).await,
            Channel::Mattermost { url } => self.chat(url, &payload::mattermost(n), n).await,
            Channel::Email { smtp, from, to } => email::send(&self.rules, self.timeouts, smtp, from, to, n).await,
        };
        log_result(channel, n, &result);
        result
    }

    async fn webhook(&self, url: &str, secret: Option<&str>, n: &Notification) -> Result<Delivered, NotifyError> {
        let body = payload::webhook(n);
        let mut headers = vec![(DELIVERY_HEADER, n.id.clone())];
        if let Some(secret) = secret {
            let timestamp = jiff::Timestamp::now().as_second().to_string();
            headers.push((SIGNATURE_HEADER, sign(secret, &timestamp, &body)));
            headers.push((TIMESTAMP_HEADER, timestamp));
        }
        http::post_json(&self.http, &self.rules, url, body, &headers).await
    }

    async fn chat(&self, url: &str, message: &serde_json::Value, n: &Notification) -> Result<Delivered, NotifyError> {
        let body = serde_json::to_vec(message).unwrap_or_default();
        let headers = [(DELIVERY_HEADER, n.id.clone())];
        http::post_json(&self.http, &self.rules, url, body, &headers).await
    }
}

fn log_result(channel: &Channel, n: &Notification, result: &Result<Delivered, NotifyError>) {
    let kind = channel.kind();
    match result {
        Ok(d) => tracing::debug!(channel = kind, id = %n.id, status = ?d.status, "notification delivered"),
        Err(e) => tracing::warn!(channel = kind, id = %n.id, error = %e, "notification not delivered"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn is_send<T: Send>(_: &T) {}

    #[test]
    fn notifier_and_its_sends_can_move_across_tasks() {
        let notifier = Notifier::new(OutboundPolicy::default()).expect("notifier");
        let channel = Channel::Slack {
            url: "https://hooks.slack.com/services/x".into(),
        };
        let n = Notification {
            id: "a".into(),
            tenant: "t".into(),
            kind: "k".into(),
            subject: "s".into(),
            text: String::new(),
            incident_id: None,
            severity: None,
            priority: None,
            link: None,
            at: jiff::Timestamp::UNIX_EPOCH,
        };
        is_send(&notifier.send(&channel, &n));
        let _: Box<dyn Fn() -> Notifier + Send + Sync> = Box::new(move || notifier.clone());
    }
}
