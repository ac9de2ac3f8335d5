//! The one error type of the crate, sorted by what the caller should do next.

use std::time::Duration;

/// Why a notification was not delivered, sorted by what the outbox should do about it.
///
/// Messages name the host and the reason, never the full URL (webhook URLs carry their secret in
/// the path or the query).
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum NotifyError {
    /// The outbound policy forbids the destination. Never retry: only a policy change helps.
    #[error("refused by the outbound policy: {host}: {reason}")]
    Refused {
        /// The host name or address that was refused.
        host: String,
        /// Why, e.g. `resolves only to 127.0.0.1 (loopback)`.
        reason: String,
    },
    /// The destination rejected the delivery in a way a retry cannot fix: a 4xx answer other than
    /// 408/429, a redirect, a bad address, failed authentication, an invalid configuration.
    #[error("permanent failure{}: {detail}", status_suffix(*.status))]
    Permanent {
        /// HTTP status or SMTP reply code, when the server answered.
        status: Option<u16>,
        /// What went wrong.
        detail: String,
    },
    /// Worth retrying later: timeouts, connection errors, 5xx, 408, 429, SMTP 4xx.
    #[error("retryable failure{}: {detail}", status_suffix(*.status))]
    Retryable {
        /// HTTP status or SMTP reply code, when the server answered.
        status: Option<u16>,
        /// What went wrong.
        detail: String,
        /// The server's `Retry-After`, when it sent one (capped at one hour).
        retry_after: Option<Duration>,
    },
}

fn status_suffix(status: Option<u16>) -> String {
    status.map(|s| format!(" ({s})")).unwrap_or_default()
}

impl NotifyError {
    /// A [`NotifyError::Refused`] for `host`.
    pub fn refused(host: impl Into<String>, reason: impl Into<String>) -> Self {
        Self::Refused {
            host: host.into(),
            reason: reason.into(),
        }
    }

    /// A [`NotifyError::Permanent`].
    pub fn permanent(status: Option<u16>, detail: impl Into<String>) -> Self {
        Self::Permanent {
            status,
            detail: detail.into(),
        }
    }

    /// A [`NotifyError::Retryable`] without a server-given delay.
    pub fn retryable(status: Option<u16>, detail: impl Into<String>) -> Self {
        Self::Retryable {
            status,
            detail: detail.into(),
            retry_after: None,
        }
    }

    /// Whether a later attempt may succeed.
    pub fn is_retryable(&self) -> bool {
        matches!(self, Self::Retryable { .. })
    }

    /// The delay the server asked for, if any.
    pub fn retry_after(&self) -> Option<Duration> {
        match self {
            Self::Retryable { retry_after, .. } => *retry_after,
            _ => None,
        }
    }

    /// The HTTP status or SMTP reply code, if the server answered.
    pub fn status(&self) -> Option<u16> {
        match self {
            Self::Permanent { status, .. } | Self::Retryable { status, .. } => *status,
            Self::Refused { .. } => None,
        }
    }
}
