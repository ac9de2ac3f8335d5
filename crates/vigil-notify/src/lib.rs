//! Vigil notifications: the sending side of escalations and SLA warnings.
//!
//! A [`Notification`] goes to a [`Channel`] — a signed JSON webhook, Slack, Microsoft Teams,
//! Mattermost, or e-mail over SMTP — through a [`Notifier`], which enforces an
//! [`OutboundPolicy`] on every connection (no loopback, private, link-local or cloud metadata
//! addresses unless allowed; `https` only). Each attempt ends [`Delivered`] or in a
//! [`NotifyError`] that says whether to retry; [`backoff`] gives the delays. There is no state
//! here: the durable outbox and the escalation policies are built on top.
//!
//! ```no_run
//! # async fn demo(n: vigil_notify::Notification) -> Result<(), vigil_notify::NotifyError> {
//! use vigil_notify::{Channel, Notifier, OutboundPolicy};
//! let notifier = Notifier::new(OutboundPolicy::default())?;
//! let channel = Channel::Slack { url: "https://hooks.slack.com/services/T0/B0/XXXX".into() };
//! let delivered = notifier.send(&channel, &n).await?;
//! # let _ = delivered; Ok(()) }
//! ```

#![warn(missing_docs)]

mod backoff;
mod chain;
mod channel;
mod email;
mod error;
mod http;
mod notification;
mod notifier;
pub mod payload;
pub mod policy;
pub mod signature;

pub use backoff::{BACKOFF_BASE, BACKOFF_MAX, backoff, backoff_with_seed};
pub use channel::{Channel, SmtpConfig, SmtpSecurity, redact_url};
pub use error::NotifyError;
pub use http::{MAX_RESPONSE_BODY, parse_retry_after};
pub use notification::{MAX_ID_LEN, Notification};
pub use notifier::{Delivered, Notifier, Timeouts};
pub use policy::OutboundPolicy;
/// The URL type of [`OutboundPolicy::check`].
pub use reqwest::Url;
pub use signature::verify_signature;
