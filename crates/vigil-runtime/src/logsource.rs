//! The Sigma logsource an operator gives events by where they arrived: `[[logsource]]` entries of
//! the configuration (and the older `[syslog] logsource`), matched against the input's name, the
//! `_bulk`/HEC index, the HEC sourcetype and OTLP resource attributes.
//!
//! An event's own shape comes first (a Windows event, a Zeek record, an ECS dataset …: see
//! `vigil_parse::json`); the first entry that matches fills in only what the shape left unknown
//! ([`LogSourceTags::fill_from`]). An event neither names is counted per input
//! (`vigil_events_unknown_logsource_total`) and stored with the field [`UNKNOWN_FIELD`], so
//! operators can find the sources they still have to describe.

use serde_json::Value;
use vigil_event::{Event, LogSourceTags};

/// The field an event of unknown logsource is stored with (value [`UNKNOWN_VALUE`]):
/// `vigil search 'vigil_logsource:unknown' --terms input` counts them per input.
pub const UNKNOWN_FIELD: &str = "vigil_logsource";
pub const UNKNOWN_VALUE: &str = "unknown";

/// One `[[logsource]]` entry: what it matches (every given condition must hold; `*` in a value
/// matches any run of characters) and the logsource it gives.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LogsourceRule {
    /// The input's name (`syslog-udp`, `syslog-tcp`, `syslog-tls`, `elasticsearch`, `hec`, `otlp`,
    /// `api`).
    pub input: Option<String>,
    /// The `_bulk` action's or HEC event's index.
    pub index: Option<String>,
    /// The HEC event's sourcetype.
    pub sourcetype: Option<String>,
    /// OTLP resource attributes (name, pattern), e.g. (`service.name`, `nginx`).
    pub resource: Vec<(String, String)>,
    pub tags: LogSourceTags,
}

impl LogsourceRule {
    fn matches(&self, input: &str, attrs: &[(String, String)], event: &Event) -> bool {
        let attr = |name: &str| attrs.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str());
        let field = |pattern: &Option<String>, value: Option<&str>| {
            pattern
                .as_deref()
                .is_none_or(|p| value.is_some_and(|v| glob_match(p, v)))
        };
        let resource = event.fields.get("resource");
        field(&self.input, Some(input))
            && field(&self.index, attr("index"))
            && field(&self.sourcetype, attr("sourcetype"))
            && self.resource.iter().all(|(name, pattern)| {
                resource
                    .and_then(|r| r.get(name))
                    .and_then(Value::as_str)
                    .is_some_and(|v| glob_match(pattern, v))
            })
    }
}

/// The configured entries, in file order.
#[derive(Debug, Clone, Default)]
pub struct LogsourceMap {
    rules: Vec<LogsourceRule>,
}

impl LogsourceMap {
    pub fn new(rules: Vec<LogsourceRule>) -> Self {
        LogsourceMap { rules }
    }

    /// Completes the event's logsource from the first entry that matches; true when the event's
    /// logsource is still unknown afterwards (then it also gets the field [`UNKNOWN_FIELD`]).
    pub fn assign(&self, input: &str, attrs: &[(String, String)], event: &mut Event) -> bool {
        if event.logsource.product.is_none()
            && let Some(rule) = self.rules.iter().find(|r| r.matches(input, attrs, event))
        {
            event.logsource.fill_from(&rule.tags);
        }
        let unknown = event.logsource.is_empty();
        if unknown {
            event.fields.insert_if_absent(UNKNOWN_FIELD, UNKNOWN_VALUE);
        }
        unknown
    }
}

/// Whether `text` matches `pattern`, where `*` stands for any run of characters (none included)
/// and everything else for itself.
pub fn glob_match(pattern: &str, text: &str) -> bool {
    let mut parts = pattern.split('*');
    let first = parts.next().unwrap_or_default();
    let Some(mut rest) = text.strip_prefix(first) else {
        return false;
    };
    let parts: Vec<&str> = parts.collect();
    let Some((last, middle)) = parts.split_last() else {
        return rest.is_empty();
    };
    for part in middle {
        match rest.find(part) {
            Some(at) => rest = &rest[at + part.len()..],
            None => return false,
        }
    }
    rest.len() >= last.len() && rest.ends_with(last)
}

#[cfg(test)]
mod tests {
    use vigil_event::{Fields, Raw, Source};

    use super::*;

    #[test]
    fn globs() {
        for (p, t, want) in [
            ("zeek-*", "zeek-conn", true),
            ("zeek-*", "zeek-", true),
            ("zeek-*", "zeek", false),
            ("*", "", true),
            ("a*b*c", "abc", true),
            ("a*b*c", "a-b-b-c", true),
            ("a*b*c", "a-c-b", false),
            ("*.access", "nginx.access", true),
            ("ab*ba", "aba", false),
            ("exact", "exact", true),
            ("exact", "exactly", false),
        ] {
            assert_eq!(glob_match(p, t), want, "{p} ~ {t}");
        }
    }

    fn event(fields: Value, tags: LogSourceTags) -> Event {
        let fields = Fields::from_json_object(fields);
        Event::new(Source::default(), None, tags, fields, Raw::None)
    }

    #[test]
    fn first_matching_entry_fills_in_and_unknown_events_are_marked() {
        let zeek = LogSourceTags::product("zeek").with_service("conn");
        let nginx = LogSourceTags::default().with_category("webserver");
        let map = LogsourceMap::new(vec![
            LogsourceRule {
                index: Some("zeek-conn*".into()),
                tags: zeek.clone(),
                ..LogsourceRule::default()
            },
            LogsourceRule {
                input: Some("otlp".into()),
                resource: vec![("service.name".into(), "nginx*".into())],
                tags: nginx.clone(),
                ..LogsourceRule::default()
            },
        ]);
        let attrs = vec![("index".to_owned(), "zeek-conn-2026".to_owned())];
        let mut e = event(serde_json::json!({"ts": 1}), LogSourceTags::default());
        assert!(!map.assign("elasticsearch", &attrs, &mut e));
        assert_eq!(e.logsource, zeek);

        let mut own = event(serde_json::json!({}), LogSourceTags::product("windows"));
        assert!(!map.assign("elasticsearch", &attrs, &mut own));
        assert_eq!(own.logsource, LogSourceTags::product("windows"), "its own shape wins");

        let mut web = event(
            serde_json::json!({"resource": {"service.name": "nginx-edge"}}),
            LogSourceTags::default(),
        );
        assert!(!map.assign("otlp", &[], &mut web));
        assert_eq!(web.logsource, nginx);

        let mut other = event(
            serde_json::json!({"resource": {"service.name": "api"}}),
            LogSourceTags::default(),
        );
        assert!(map.assign("otlp", &[], &mut other), "no entry matches");
        assert_eq!(other.fields.get_str(UNKNOWN_FIELD), Some(UNKNOWN_VALUE));
    }
}
