//! Where a notification goes, as read from configuration.
//!
//! ```toml
//! [[channel]]
//! type = "webhook"
//! url = "https://soar.example.com/hooks/vigil"
//! secret = "..."
//!
//! [[channel]]
//! type = "email"
//! from = "vigil@example.com"
//! to = ["soc@example.com"]
//! smtp = { host = "smtp.example.com", port = 587, security = "starttls", username = "vigil", password = "..." }
//! ```
//!
//! `Debug` output never shows secrets: webhook secrets and SMTP passwords are redacted, and URLs
//! are cut to scheme, host and port (chat webhook URLs carry their token in the path).

use std::fmt;
use std::path::PathBuf;

use serde::{Deserialize, Serialize};

const REDACTED: &str = "<redacted>";

/// A destination for notifications.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case", deny_unknown_fields)]
pub enum Channel {
    /// A generic HTTPS endpoint: the notification as JSON, signed when `secret` is set (see
    /// [`crate::signature`]).
    Webhook {
        /// Endpoint URL.
        url: String,
        /// Shared secret for `X-Vigil-Signature`.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        secret: Option<String>,
    },
    /// A Slack incoming webhook.
    Slack {
        /// The webhook URL (contains its token).
        url: String,
    },
    /// A Microsoft Teams incoming or Workflows webhook (Adaptive Card).
    Teams {
        /// The webhook URL (contains its token).
        url: String,
    },
    /// A Mattermost incoming webhook.
    Mattermost {
        /// The webhook URL (contains its token).
        url: String,
    },
    /// E-mail over SMTP.
    Email {
        /// The relay to submit to.
        smtp: SmtpConfig,
        /// Sender address, e.g. `Vigil <vigil@example.com>`.
        from: String,
        /// Recipients.
        to: Vec<String>,
    },
}

impl Channel {
    /// The channel's type as written in configuration (`webhook`, `slack`, ...).
    pub fn kind(&self) -> &'static str {
        match self {
            Self::Webhook { .. } => "webhook",
            Self::Slack { .. } => "slack",
            Self::Teams { .. } => "teams",
            Self::Mattermost { .. } => "mattermost",
            Self::Email { .. } => "email",
        }
    }
}

/// How the SMTP connection is protected.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SmtpSecurity {
    /// TLS from the first byte (SMTPS, usually port 465).
    Tls,
    /// Plain connection upgraded with STARTTLS, which is required (usually port 587).
    Starttls,
    /// No encryption: only to a loopback host (a local relay).
    None,
}

/// The SMTP relay notifications are submitted to.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SmtpConfig {
    /// Host name or address of the relay; also the name its certificate must carry.
    pub host: String,
    /// Port (465 for `tls`, 587 for `starttls`, 25 for a local relay).
    pub port: u16,
    /// Transport protection.
    pub security: SmtpSecurity,
    /// Login, when the relay requires authentication.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub username: Option<String>,
    /// Password for `username`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub password: Option<String>,
    /// PEM file with the CA certificates to trust instead of the system's.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ca_file: Option<PathBuf>,
}

impl fmt::Debug for SmtpConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SmtpConfig")
            .field("host", &self.host)
            .field("port", &self.port)
            .field("security", &self.security)
            .field("username", &self.username)
            .field("password", &self.password.as_ref().map(|_| REDACTED))
            .field("ca_file", &self.ca_file)
            .finish()
    }
}

/// A URL for logs: scheme, host and port only (paths and queries can hold tokens).
pub fn redact_url(url: &str) -> String {
    match reqwest::Url::parse(url) {
        Ok(u) => {
            let port = u.port().map(|p| format!(":{p}")).unwrap_or_default();
            let host = u.host_str().unwrap_or_default();
            format!("{}://{host}{port}/{REDACTED}", u.scheme())
        }
        Err(_) => "<invalid url>".to_owned(),
    }
}

impl fmt::Debug for Channel {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Webhook { url, secret } => f
                .debug_struct("Webhook")
                .field("url", &redact_url(url))
                .field("secret", &secret.as_ref().map(|_| REDACTED))
                .finish(),
            Self::Slack { url } | Self::Teams { url } | Self::Mattermost { url } => f
                .debug_struct(variant_name(self))
                .field("url", &redact_url(url))
                .finish(),
            Self::Email { smtp, from, to } => f
                .debug_struct("Email")
                .field("smtp", smtp)
                .field("from", from)
                .field("to", to)
                .finish(),
        }
    }
}

fn variant_name(channel: &Channel) -> &'static str {
    match channel {
        Channel::Webhook { .. } => "Webhook",
        Channel::Slack { .. } => "Slack",
        Channel::Teams { .. } => "Teams",
        Channel::Mattermost { .. } => "Mattermost",
        Channel::Email { .. } => "Email",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_redacts_secrets_tokens_and_passwords() {
        let channels = [
            Channel::Webhook {
                url: "https://h.example:8443/hook?token=tok-123".into(),
                secret: Some("sec-456".into()),
            },
            Channel::Slack {
                url: "https://hooks.slack.com/services/T0/B0/tok-123".into(),
            },
            Channel::Email {
                smtp: SmtpConfig {
                    host: "smtp.example.com".into(),
                    port: 587,
                    security: SmtpSecurity::Starttls,
                    username: Some("vigil".into()),
                    password: Some("pw-789".into()),
                    ca_file: None,
                },
                from: "vigil@example.com".into(),
                to: vec!["soc@example.com".into()],
            },
        ];
        for channel in &channels {
            let debug = format!("{channel:?}");
            for secret in ["tok-123", "sec-456", "pw-789", "services"] {
                assert!(!debug.contains(secret), "{debug}");
            }
        }
        assert!(format!("{:?}", channels[0]).contains("https://h.example:8443/"));
    }
}
