//! Alert triage: `PATCH /api/v1/alerts/{id}`, `POST /api/v1/alerts/bulk` and
//! `GET /api/v1/alerts/{id}/history`.

use jiff::Timestamp;
use serde::{Deserialize, Deserializer, Serialize};
use utoipa::ToSchema;
pub use vigil_respond::{AlertStatus, Disposition};

/// Longest comment accepted, in characters.
pub const MAX_COMMENT_CHARS: usize = 8192;
/// Longest assignee accepted, in characters.
pub const MAX_ASSIGNEE_CHARS: usize = 128;
/// Most ids one bulk action names.
pub const MAX_BULK_IDS: usize = 10_000;
/// Most alerts one bulk action changes (narrow a larger filter, or run it again).
pub const MAX_BULK_MATCHES: u64 = 100_000;

/// A triage change. Fields left out stay as they are.
///
/// - `{"status": "acknowledged"}` takes a `new` alert.
/// - `{"status": "closed", "disposition": "false_positive", "comment": "…"}` closes a `new` or
///   `acknowledged` alert; closing needs a disposition.
/// - `{"status": "new"}` returns an acknowledged alert to the queue, or reopens a closed one (that
///   needs `alert:reopen`).
/// - `{"assignee": "alice"}` assigns (a user name, or `team:<name>`); `{"assignee": null}` unassigns.
/// - `{"comment": "…"}` alone adds a comment to the alert's history.
///
/// `merged` is set by linking the alert to an incident, not here.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AlertUpdate {
    /// The new status.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<AlertStatus>,
    /// Why it was closed; required with `"status": "closed"`, refused otherwise.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub disposition: Option<Disposition>,
    /// A comment kept in the alert's history (markdown, at most 8192 characters).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub comment: Option<String>,
    /// Assign to a user (`alice`) or a team (`team:tier2`); `null` unassigns.
    #[serde(default, deserialize_with = "present", skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<String>, nullable)]
    pub assignee: Option<Option<String>>,
}

/// A field that is present, even as `null`, is `Some`: `null` means "clear it".
fn present<'de, D: Deserializer<'de>, T: Deserialize<'de>>(d: D) -> Result<Option<Option<T>>, D::Error> {
    Option::<T>::deserialize(d).map(Some)
}

impl AlertUpdate {
    /// Whether the update changes nothing at all.
    pub fn is_empty(&self) -> bool {
        self.status.is_none() && self.disposition.is_none() && self.comment.is_none() && self.assignee.is_none()
    }

    /// Checks the combination and the sizes; the message names the field.
    pub fn check(&self) -> Result<(), String> {
        if self.is_empty() {
            return Err("nothing to change: give status, disposition, assignee or comment".into());
        }
        match (self.status, self.disposition) {
            (Some(AlertStatus::Closed), None) => {
                return Err(
                    "disposition: closing an alert needs one (true_positive, benign_positive, \
                            false_positive, duplicate, indeterminate, other)"
                        .into(),
                );
            }
            (Some(AlertStatus::Merged), _) => {
                return Err("status: `merged` is set by linking the alert to an incident".into());
            }
            (s, Some(_)) if s != Some(AlertStatus::Closed) => {
                return Err("disposition: only with \"status\": \"closed\"".into());
            }
            _ => {}
        }
        if let Some(comment) = &self.comment {
            check_text("comment", comment, MAX_COMMENT_CHARS, true)?;
        }
        if let Some(Some(assignee)) = &self.assignee {
            check_text("assignee", assignee, MAX_ASSIGNEE_CHARS, false)?;
        }
        Ok(())
    }
}

/// Text a person typed: not blank, not too long, no control characters but (when `multiline`)
/// newlines and tabs.
pub fn check_text(field: &str, text: &str, max_chars: usize, multiline: bool) -> Result<(), String> {
    if text.trim().is_empty() {
        return Err(format!("{field}: must not be blank"));
    }
    if text.chars().count() > max_chars {
        return Err(format!("{field}: at most {max_chars} characters"));
    }
    let allowed = |c: char| multiline && (c == '\n' || c == '\t' || c == '\r');
    if text.chars().any(|c| c.is_control() && !allowed(c)) {
        return Err(format!("{field}: control characters are not allowed"));
    }
    Ok(())
}

/// Which alerts a bulk action selects: a tenant's alerts matching every filter given.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AlertFilter {
    /// Raised at or after this instant.
    #[serde(default)]
    pub since: Option<Timestamp>,
    /// Raised before this instant.
    #[serde(default)]
    pub until: Option<Timestamp>,
    /// Of this rule.
    #[serde(default)]
    pub rule_id: Option<String>,
    /// Of this level or higher (`informational` … `critical`).
    #[serde(default)]
    pub min_level: Option<String>,
    /// In one of these statuses.
    #[serde(default)]
    pub status: Vec<AlertStatus>,
    /// Assigned to this user or team.
    #[serde(default)]
    pub assignee: Option<String>,
    /// From this host.
    #[serde(default)]
    pub host: Option<String>,
}

/// `POST /api/v1/alerts/bulk`: one triage change applied to many alerts, named by `ids` or
/// selected by `filter` (exactly one of the two).
///
/// Run it with `dry_run` first to see how many alerts the filter selects and how many the change
/// applies to; pass that `matched` as `expect` on the real run, and it is refused (409) if the
/// selection has changed meanwhile.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AlertBulk {
    /// Alert ids (at most 10 000).
    #[serde(default)]
    pub ids: Option<Vec<String>>,
    /// A filter selecting alerts.
    #[serde(default)]
    pub filter: Option<AlertFilter>,
    /// The change.
    pub update: AlertUpdate,
    /// Count only; change nothing.
    #[serde(default)]
    pub dry_run: bool,
    /// Refuse the change unless the selection still holds this many alerts.
    #[serde(default)]
    pub expect: Option<u64>,
}

/// The answer of `POST /api/v1/alerts/bulk`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct BulkOutcome {
    /// Alerts the selection holds.
    pub matched: u64,
    /// Alerts the change applied (or, on a dry run, would apply) to; the others' status does not
    /// allow it (e.g. acknowledging an alert already closed).
    pub updated: u64,
    /// Whether this was a dry run.
    pub dry_run: bool,
}

/// One change in an alert's history (`GET /api/v1/alerts/{id}/history`), oldest first.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct AlertChange {
    /// When.
    pub at: Timestamp,
    /// Who: a principal id such as `user:alice`.
    pub actor: String,
    /// What was set: any of `status`, `disposition`, `assignee`, `comment`, `incident_id`.
    pub change: serde_json::Value,
}

/// The answer of `GET /api/v1/alerts/{id}/history`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct AlertHistory {
    pub alert_id: String,
    pub changes: Vec<AlertChange>,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn update(json: &str) -> Result<AlertUpdate, String> {
        let u: AlertUpdate = serde_json::from_str(json).map_err(|e| e.to_string())?;
        u.check().map(|()| u)
    }

    #[test]
    fn the_issue_shapes_are_accepted() {
        let ack = update(r#"{"status": "acknowledged"}"#).expect("ack");
        assert_eq!(ack.status, Some(AlertStatus::Acknowledged));
        let close =
            update(r#"{"status": "closed", "disposition": "false_positive", "comment": "scanner"}"#).expect("close");
        assert_eq!(close.disposition, Some(Disposition::FalsePositive));
        assert_eq!(update(r#"{"assignee": null}"#).expect("unassign").assignee, Some(None));
        assert_eq!(
            update(r#"{"assignee": "bob"}"#).expect("assign").assignee,
            Some(Some("bob".into()))
        );
    }

    #[test]
    fn bad_combinations_name_the_field() {
        for (json, field) in [
            (r#"{}"#, "nothing"),
            (r#"{"status": "closed"}"#, "disposition"),
            (r#"{"status": "merged"}"#, "status"),
            (r#"{"disposition": "duplicate"}"#, "disposition"),
            (
                r#"{"status": "acknowledged", "disposition": "duplicate"}"#,
                "disposition",
            ),
            (r#"{"comment": "  "}"#, "comment"),
            (r#"{"assignee": "a\u001bb"}"#, "assignee"),
            (r#"{"status": "done"}"#, "unknown variant"),
            (r#"{"state": "new"}"#, "unknown field"),
        ] {
            let e = update(json).expect_err(json);
            assert!(e.contains(field), "{json}: {e}");
        }
        assert!(update(r#"{"comment": "line one\nline two"}"#).is_ok());
    }
}
