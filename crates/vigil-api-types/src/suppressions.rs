//! Suppression rules: `/api/v1/suppressions`, its sub-resources, and
//! `POST /api/v1/alerts/{id}/suppress` ("suppress alerts like this").
//!
//! A suppression names a rule (or `*`, any rule) and conditions on the event's fields; a detection
//! match of that rule whose event meets every condition raises no alert. Suppressed matches are
//! never silent: each is counted on its suppression (`hits`, `last_hit`) and listed with its event
//! id (`GET /api/v1/suppressions/{id}/matches`).

use jiff::Timestamp;
use serde::{Deserialize, Deserializer, Serialize};
use utoipa::ToSchema;
pub use vigil_respond::Disposition;

use crate::triage::check_text;

/// The rule id that stands for every rule.
pub const ANY_RULE: &str = "*";
/// Most conditions one suppression holds.
pub const MAX_CONDITIONS: usize = 16;
/// Longest field name, in characters.
pub const MAX_FIELD_CHARS: usize = 128;
/// Longest condition value, in characters.
pub const MAX_VALUE_CHARS: usize = 1024;
/// Longest rule id, in characters.
pub const MAX_RULE_ID_CHARS: usize = 256;
/// Longest reason, in characters.
pub const MAX_REASON_CHARS: usize = 2048;

/// One condition: the event's `field` has exactly this `value` (compared as text, case and all).
///
/// `host`, `user` and `src_ip` are the pseudo-fields of alert grouping: the event's host, the
/// first user field it has (`User`, `TargetUserName`, `SubjectUserName`, `user.name`, …) and the
/// first source-address field (`id.orig_h`, `src_ip`, `SourceIp`, `IpAddress`, `source.ip`, …).
/// Any other name is looked up in the event's fields (dotted paths reach nested values).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Condition {
    pub field: String,
    pub value: String,
}

/// `POST /api/v1/suppressions`: a new suppression.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewSuppression {
    /// The id of the rule whose alerts it suppresses, or `*` for every rule (then at least one
    /// condition is needed).
    pub rule_id: String,
    /// Every condition must hold (at most 16, one per field). None: every match of the rule.
    #[serde(default)]
    pub conditions: Vec<Condition>,
    /// Why (kept with it and shown with every listing).
    pub reason: String,
    /// When it stops suppressing (in the future); none: until disabled or deleted.
    #[serde(default)]
    pub expires: Option<Timestamp>,
}

/// `PATCH /api/v1/suppressions/{id}`: fields left out stay as they are; `"expires": null` makes
/// it last until disabled or deleted.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SuppressionPatch {
    /// `true` stops it suppressing (it stays listed with its counts); `false` starts it again.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub disabled: Option<bool>,
    /// A new expiry (in the future), or `null` for none.
    #[serde(default, deserialize_with = "present", skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<Timestamp>, nullable)]
    pub expires: Option<Option<Timestamp>>,
    /// A new reason.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

/// `POST /api/v1/alerts/{id}/suppress`: a suppression of the alert's rule with conditions on the
/// values its event has for `fields` ("suppress alerts like this").
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AlertSuppress {
    /// The fields whose values the suppressed matches must share with the alert's event, such as
    /// `["host", "user"]` (1 to 16).
    pub fields: Vec<String>,
    /// Why.
    pub reason: String,
    /// When it stops suppressing (in the future); none: until disabled or deleted.
    #[serde(default)]
    pub expires: Option<Timestamp>,
    /// Also close the alert (if it is still open) with this disposition: `false_positive` or
    /// `benign_positive`. Needs `alert:triage` too.
    #[serde(default)]
    pub close_as: Option<Disposition>,
}

/// A suppression as stored, with its counts.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Suppression {
    /// `sup-` and 16 hexadecimal digits.
    pub id: String,
    pub tenant: String,
    /// A rule id, or `*` for every rule.
    pub rule_id: String,
    pub conditions: Vec<Condition>,
    pub reason: String,
    /// Who made it (a principal id).
    pub author: String,
    pub created: Timestamp,
    /// When it stops suppressing; none: until disabled or deleted.
    pub expires: Option<Timestamp>,
    pub disabled: bool,
    /// Whether it suppresses now: not disabled and not expired.
    pub active: bool,
    /// Who changed it last, and when.
    #[serde(default)]
    pub updated: Option<Timestamp>,
    #[serde(default)]
    pub updated_by: Option<String>,
    /// The alert it was made from, if any.
    #[serde(default)]
    pub alert_id: Option<String>,
    /// Matches it suppressed, all told (the listing of matches keeps the last 30 days).
    pub hits: u64,
    /// When it last suppressed a match.
    pub last_hit: Option<Timestamp>,
}

impl Suppression {
    /// Whether it suppresses at `now`: not disabled and not expired.
    pub fn active_at(&self, now: Timestamp) -> bool {
        !self.disabled && self.expires.is_none_or(|e| e > now)
    }
}

/// One page of suppressions, newest first.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct SuppressionPage {
    pub suppressions: Vec<Suppression>,
    /// Pass as `cursor` for the next page; none on the last.
    pub next_cursor: Option<String>,
    /// Suppressions matching the filters (all pages).
    pub total: u64,
}

/// A match a suppression kept from becoming an alert.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct SuppressedMatch {
    /// Insertion order.
    pub seq: i64,
    pub suppression_id: String,
    pub rule_id: String,
    /// The event that matched (`vigil search '_id:<event_id>'` shows it).
    pub event_id: String,
    /// When it was suppressed.
    pub at: Timestamp,
}

/// One page of a suppression's matches, newest first.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct SuppressedMatchPage {
    pub matches: Vec<SuppressedMatch>,
    /// Pass as `cursor` for the next page; none on the last.
    pub next_cursor: Option<String>,
    /// Matches listed for this suppression (all pages).
    pub total: u64,
}

/// The answer of `POST /api/v1/alerts/{id}/suppress`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct AlertSuppressed {
    /// The new suppression.
    pub suppression: Suppression,
    /// The alert as it is now (closed when `close_as` was given and it was open).
    pub alert: crate::alerts::Alert,
}

fn present<'de, D: Deserializer<'de>, T: Deserialize<'de>>(d: D) -> Result<Option<Option<T>>, D::Error> {
    Option::<T>::deserialize(d).map(Some)
}

/// A field name: not blank, no control characters, at most [`MAX_FIELD_CHARS`].
pub fn check_field(field: &str) -> Result<(), String> {
    check_text("field", field, MAX_FIELD_CHARS, false)?;
    if field.trim() != field {
        return Err(format!("field: `{field}` has spaces around it"));
    }
    Ok(())
}

/// Checks the conditions: at most [`MAX_CONDITIONS`], one per field, values not empty.
pub fn check_conditions(conditions: &[Condition]) -> Result<(), String> {
    if conditions.len() > MAX_CONDITIONS {
        return Err(format!("conditions: at most {MAX_CONDITIONS}"));
    }
    for (i, c) in conditions.iter().enumerate() {
        check_field(&c.field).map_err(|e| format!("conditions[{i}].{e}"))?;
        if c.value.is_empty() {
            return Err(format!("conditions[{i}].value: must not be empty"));
        }
        if c.value.chars().count() > MAX_VALUE_CHARS {
            return Err(format!("conditions[{i}].value: at most {MAX_VALUE_CHARS} characters"));
        }
        if conditions[..i].iter().any(|o| o.field == c.field) {
            return Err(format!(
                "conditions[{i}].field: `{}` is given twice (a field has one value)",
                c.field
            ));
        }
    }
    Ok(())
}

/// An expiry must lie after `now`.
pub fn check_expires(expires: Option<Timestamp>, now: Timestamp) -> Result<(), String> {
    match expires {
        Some(e) if e <= now => Err(format!("expires: {e} is not in the future")),
        _ => Ok(()),
    }
}

impl NewSuppression {
    /// Checks the rule id, the conditions, the reason and the expiry (against `now`); the
    /// message names the field.
    pub fn check(&self, now: Timestamp) -> Result<(), String> {
        check_text("rule_id", &self.rule_id, MAX_RULE_ID_CHARS, false)?;
        check_conditions(&self.conditions)?;
        if self.rule_id == ANY_RULE && self.conditions.is_empty() {
            return Err("conditions: a suppression of every rule (`*`) needs at least one".into());
        }
        check_text("reason", &self.reason, MAX_REASON_CHARS, true)?;
        check_expires(self.expires, now)
    }
}

impl SuppressionPatch {
    /// Checks that something changes, the reason and the expiry (against `now`).
    pub fn check(&self, now: Timestamp) -> Result<(), String> {
        if *self == SuppressionPatch::default() {
            return Err("nothing to change: give disabled, expires or reason".into());
        }
        if let Some(r) = &self.reason {
            check_text("reason", r, MAX_REASON_CHARS, true)?;
        }
        check_expires(self.expires.flatten(), now)
    }
}

impl AlertSuppress {
    /// Checks the fields, the reason, the disposition and the expiry (against `now`).
    pub fn check(&self, now: Timestamp) -> Result<(), String> {
        if self.fields.is_empty() {
            return Err("fields: name at least one, such as [\"host\"]".into());
        }
        if self.fields.len() > MAX_CONDITIONS {
            return Err(format!("fields: at most {MAX_CONDITIONS}"));
        }
        for (i, f) in self.fields.iter().enumerate() {
            check_field(f).map_err(|e| format!("fields[{i}]: {e}"))?;
            if self.fields[..i].contains(f) {
                return Err(format!("fields[{i}]: `{f}` is given twice"));
            }
        }
        check_text("reason", &self.reason, MAX_REASON_CHARS, true)?;
        if let Some(d) = self.close_as
            && !matches!(d, Disposition::FalsePositive | Disposition::BenignPositive)
        {
            return Err(format!(
                "close_as: `{}`: an alert suppressed like this is a false_positive or a benign_positive",
                d.as_str()
            ));
        }
        check_expires(self.expires, now)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn now() -> Timestamp {
        "2026-05-01T12:00:00Z".parse().expect("instant")
    }

    fn new(json: &str) -> Result<NewSuppression, String> {
        let n: NewSuppression = serde_json::from_str(json).map_err(|e| e.to_string())?;
        n.check(now()).map(|()| n)
    }

    #[test]
    fn the_issue_shapes_are_accepted() {
        let n = new(
            r#"{"rule_id": "r1", "conditions": [{"field": "host", "value": "web01"}], "reason": "scanner",
                "expires": "2026-06-01T00:00:00Z"}"#,
        )
        .expect("valid");
        assert_eq!(n.conditions[0].field, "host");
        assert!(
            new(r#"{"rule_id": "r1", "reason": "noisy for a week"}"#).is_ok(),
            "a whole rule"
        );
        let p: SuppressionPatch = serde_json::from_str(r#"{"expires": null}"#).expect("patch");
        assert_eq!(p.expires, Some(None));
        assert!(p.check(now()).is_ok());
    }

    #[test]
    fn bad_suppressions_name_the_field() {
        for (json, field) in [
            (r#"{"rule_id": "*", "reason": "x"}"#, "conditions"),
            (r#"{"rule_id": " ", "reason": "x"}"#, "rule_id"),
            (
                r#"{"rule_id": "r", "reason": "x", "conditions": [{"field": "host", "value": ""}]}"#,
                "conditions[0].value",
            ),
            (
                r#"{"rule_id": "r", "reason": "x", "conditions": [{"field": "a", "value": "1"}, {"field": "a", "value": "2"}]}"#,
                "conditions[1].field",
            ),
            (
                r#"{"rule_id": "r", "reason": "x", "conditions": [{"field": " a", "value": "1"}]}"#,
                "conditions[0].field",
            ),
            (r#"{"rule_id": "r", "reason": ""}"#, "reason"),
            (
                r#"{"rule_id": "r", "reason": "x", "expires": "2026-04-01T00:00:00Z"}"#,
                "expires",
            ),
            (r#"{"rule_id": "r", "reason": "x", "why": "y"}"#, "unknown field"),
        ] {
            let e = new(json).expect_err(json);
            assert!(e.contains(field), "{json}: {e}");
        }
        let e = SuppressionPatch::default().check(now()).expect_err("empty");
        assert!(e.contains("nothing to change"), "{e}");
    }

    #[test]
    fn suppressing_from_an_alert_needs_fields_and_a_fitting_disposition() {
        let ok = AlertSuppress {
            fields: vec!["host".into(), "user".into()],
            reason: "IT scanner".into(),
            expires: None,
            close_as: Some(Disposition::FalsePositive),
        };
        assert!(ok.check(now()).is_ok());
        let e = AlertSuppress {
            fields: vec![],
            ..ok.clone()
        }
        .check(now())
        .expect_err("no fields");
        assert!(e.starts_with("fields"), "{e}");
        let e = AlertSuppress {
            close_as: Some(Disposition::TruePositive),
            ..ok.clone()
        }
        .check(now())
        .expect_err("a true positive is not suppressed");
        assert!(e.starts_with("close_as"), "{e}");
        let e = AlertSuppress {
            fields: vec!["host".into(), "host".into()],
            ..ok
        }
        .check(now())
        .expect_err("twice");
        assert!(e.contains("twice"), "{e}");
    }
}
