//! In-stream alert grouping: matches of one rule with the same values of its group-by fields
//! within a window become one alert with an occurrence count, not one alert per event.
//!
//! The fingerprint is the rule and the values of the group-by fields (by default `host`, `user`
//! and `src_ip`; per rule in `[grouping.rules]`). These three are pseudo-fields: the event's host,
//! the first user-like field it has (`User`, `TargetUserName`, `SubjectUserName`, …) and the first
//! source-address field (`id.orig_h` of Zeek, `src_ip` of Suricata, `IpAddress` of a Windows logon,
//! …), so network and logon logs group per source too; other names are looked up in the event's
//! fields. The state layer folds a match into the open alert
//! of its fingerprint last seen within the window (`vigil_state` `insert_alerts`).

use std::collections::HashMap;
use std::time::Duration;

use vigil_event::Event;

/// The fields that name the user an event is about, in order of preference.
pub const USER_FIELDS: [&str; 9] = [
    "User",
    "TargetUserName",
    "SubjectUserName",
    "user.name",
    "user",
    "UserName",
    "AccountName",
    "src_user",
    "username",
];

/// The fields that name the address an event comes from (network and logon logs).
pub const SOURCE_IP_FIELDS: [&str; 7] = [
    "id.orig_h",
    "src_ip",
    "SourceIp",
    "SourceAddress",
    "IpAddress",
    "source.ip",
    "src",
];

/// The grouping of one rule, overriding the defaults.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct RuleGrouping {
    pub by: Option<Vec<String>>,
    /// `Some(ZERO)` turns grouping off for the rule.
    pub window: Option<Duration>,
}

/// How detection alerts are grouped (`[grouping]`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Grouping {
    /// Matches within this long of the alert's last one join it; zero turns grouping off.
    pub window: Duration,
    /// Default group-by fields.
    pub by: Vec<String>,
    /// Per rule (by rule id).
    pub rules: HashMap<String, RuleGrouping>,
}

impl Default for Grouping {
    fn default() -> Grouping {
        Grouping {
            window: Duration::from_secs(3600),
            by: vec!["host".into(), "user".into(), "src_ip".into()],
            rules: HashMap::new(),
        }
    }
}

/// A match's group: its fingerprint, the readable `field=value` list and the window.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Group {
    pub fingerprint: String,
    pub key: String,
    pub window: Duration,
}

fn text_of(value: &serde_json::Value) -> Option<String> {
    match value {
        serde_json::Value::String(s) if !s.trim().is_empty() => Some(s.clone()),
        serde_json::Value::Number(n) => Some(n.to_string()),
        serde_json::Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

fn first_of(event: &Event, names: &[&str]) -> Option<String> {
    names
        .iter()
        .find_map(|name| text_of(event.fields.lookup(name)?.as_ref()))
}

/// The value of a group-by field in `event` (`host`, `user` or a field name).
pub fn field_value(event: &Event, field: &str) -> Option<String> {
    match field {
        "host" => event
            .source
            .host
            .as_ref()
            .map(ToString::to_string)
            .or_else(|| event.fields.host()),
        "user" => first_of(event, &USER_FIELDS),
        "src_ip" => first_of(event, &SOURCE_IP_FIELDS),
        name => text_of(event.fields.lookup(name)?.as_ref()),
    }
}

impl Grouping {
    /// The group of a match of rule `rule_id` on `event`; `None` when grouping is off for it.
    pub fn group(&self, rule_id: &str, event: &Event) -> Option<Group> {
        let own = self.rules.get(rule_id);
        let window = own.and_then(|g| g.window).unwrap_or(self.window);
        if window.is_zero() {
            return None;
        }
        let by = own.and_then(|g| g.by.as_ref()).unwrap_or(&self.by);
        let pairs: Vec<String> = by
            .iter()
            .map(|f| format!("{f}={}", field_value(event, f).unwrap_or_default()))
            .collect();
        let key = pairs.join(",");
        let mut h = xxhash_rust::xxh3::Xxh3::new();
        h.update(rule_id.as_bytes());
        h.update(&[0]);
        h.update(key.as_bytes());
        Some(Group {
            fingerprint: format!("{:032x}", h.digest128()),
            key,
            window,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use vigil_event::{Event, Fields, LogSourceTags, Raw, Source};

    fn event(fields: serde_json::Value) -> Event {
        let fields = Fields::from_json_object(fields);
        Event::new(Source::default(), None, LogSourceTags::default(), fields, Raw::None)
    }

    #[test]
    fn same_rule_host_and_user_share_a_fingerprint() {
        let g = Grouping::default();
        let a = event(serde_json::json!({"Computer": "web01", "User": "bob", "CommandLine": "a"}));
        let b = event(serde_json::json!({"Computer": "web01", "User": "bob", "CommandLine": "b"}));
        let c = event(serde_json::json!({"Computer": "web02", "User": "bob"}));
        let ga = g.group("r1", &a).expect("grouped");
        assert_eq!(ga, g.group("r1", &b).expect("grouped"));
        assert_eq!(ga.key, "host=web01,user=bob,src_ip=");
        assert_ne!(ga.fingerprint, g.group("r1", &c).expect("grouped").fingerprint);
        assert_ne!(
            ga.fingerprint,
            g.group("r2", &a).expect("grouped").fingerprint,
            "per rule"
        );
    }

    #[test]
    fn rules_override_fields_and_window() {
        let mut g = Grouping::default();
        g.rules.insert(
            "r1".into(),
            RuleGrouping {
                by: Some(vec!["CommandLine".into()]),
                window: None,
            },
        );
        g.rules.insert(
            "off".into(),
            RuleGrouping {
                by: None,
                window: Some(Duration::ZERO),
            },
        );
        let a = event(serde_json::json!({"Computer": "web01", "CommandLine": "whoami"}));
        assert_eq!(g.group("r1", &a).expect("grouped").key, "CommandLine=whoami");
        assert!(g.group("off", &a).is_none());
        g.window = Duration::ZERO;
        assert!(g.group("r2", &a).is_none(), "off by default");
    }
}
