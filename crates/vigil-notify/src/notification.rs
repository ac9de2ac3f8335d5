//! The message every channel renders: one notification about one incident event.

use serde::{Deserialize, Serialize};

use crate::NotifyError;

/// Longest accepted delivery id, in bytes.
pub const MAX_ID_LEN: usize = 128;

/// One notification to deliver, as the outbox hands it over.
///
/// Everything but `id`, `tenant` and `kind` may come from logs (an alert title in `subject`, a rule
/// description in `text`): the channel payload builders treat it as untrusted text.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Notification {
    /// Stable delivery id, the same for every retry of one delivery, so receivers can drop
    /// duplicates. Sent as the header `X-Vigil-Delivery` over HTTP and as the e-mail `Message-ID`
    /// `<id@vigil>`. 1 to [`MAX_ID_LEN`] characters of `A-Z a-z 0-9 . _ -`, no leading, trailing
    /// or doubled dot (see [`Notification::validate`]).
    pub id: String,
    /// Tenant the incident belongs to.
    pub tenant: String,
    /// What happened: `sla_warning`, `sla_breach`, `escalation`, `incident_created`, ...
    pub kind: String,
    /// One-line summary (newlines and other control characters are replaced where a format needs one line).
    pub subject: String,
    /// Plain text body; may contain newlines.
    pub text: String,
    /// The incident this is about.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub incident_id: Option<String>,
    /// Incident severity (higher is worse).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub severity: Option<u8>,
    /// Incident priority label, e.g. `P1`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub priority: Option<String>,
    /// Link to the incident in the console; rendered only when it is an `http`/`https` URL.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub link: Option<String>,
    /// When the event happened.
    pub at: jiff::Timestamp,
}

impl Notification {
    /// Checks what the transports put into headers: the delivery id. Returns
    /// [`NotifyError::Permanent`] for an id that is empty, too long, or has characters that cannot
    /// stand in an HTTP header and an RFC 5322 `Message-ID` as they are.
    pub fn validate(&self) -> Result<(), NotifyError> {
        if valid_id(&self.id) {
            Ok(())
        } else {
            Err(NotifyError::permanent(
                None,
                format!("invalid delivery id (want 1 to {MAX_ID_LEN} characters of A-Z a-z 0-9 . _ -)"),
            ))
        }
    }

    /// The e-mail `Message-ID` of this delivery: `<id@vigil>`.
    pub fn message_id(&self) -> String {
        format!("<{}@vigil>", self.id)
    }

    /// The link, when it is an absolute `http` or `https` URL (anything else is not rendered).
    pub fn safe_link(&self) -> Option<reqwest::Url> {
        let url = reqwest::Url::parse(self.link.as_deref()?).ok()?;
        matches!(url.scheme(), "http" | "https").then_some(url)
    }
}

fn valid_id(id: &str) -> bool {
    !id.is_empty()
        && id.len() <= MAX_ID_LEN
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-'))
        && !id.starts_with('.')
        && !id.ends_with('.')
        && !id.contains("..")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_that_fit_headers_and_message_ids_are_valid() {
        for id in ["a", "0193c7e2-7d4f-7c3e-9a1b-2f6f1c1d2e3f", "inc-42.sla_warning.1"] {
            assert!(valid_id(id), "{id}");
        }
        let long = "a".repeat(MAX_ID_LEN + 1);
        for id in [
            "",
            ".a",
            "a.",
            "a..b",
            "a b",
            "a\r\nX-Evil: 1",
            "a>b",
            "a@b",
            "é",
            &long,
        ] {
            assert!(!valid_id(id), "{id:?}");
        }
    }
}
