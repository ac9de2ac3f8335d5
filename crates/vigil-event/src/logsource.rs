//! The Sigma logsource an event belongs to.

use std::borrow::Cow;

use serde::{Deserialize, Serialize};

/// Sigma logsource dimensions of one event.
///
/// A rule's logsource names at most one product, service and category; an event may belong to
/// several services and categories at once (a Sysmon registry event is `registry_set` *and*
/// `registry_event`; an sshd message over syslog is service `sshd`, `auth` and `syslog`).
/// The tags are authoritative, as a SIEM backend's index mapping is: a rule can match the event only
/// when every dimension the rule names is present here with an equal value (ASCII case-insensitive).
/// A logsource is never guessed into a match: an event whose product is unknown is seen only by
/// rules that name no product (for example `category: webserver`), and an event with no tags at
/// all only by rules with no logsource constraints. (rsigma without pruning, and Vigil before,
/// let every rule see such an event: 50,000 plain OTLP lines then each raised a Zeek RDP rule
/// whose condition is only a negation.)
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct LogSourceTags {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub product: Option<Cow<'static, str>>,
    #[serde(skip_serializing_if = "Vec::is_empty", default)]
    pub services: Vec<Cow<'static, str>>,
    #[serde(skip_serializing_if = "Vec::is_empty", default)]
    pub categories: Vec<Cow<'static, str>>,
}

impl LogSourceTags {
    /// Parses `product=linux,service=auditd,category=process_creation` (any non-empty subset, e.g.
    /// `category=webserver` for web logs of any product). Values are lowercased.
    pub fn parse_spec(spec: &str) -> Result<LogSourceTags, String> {
        let mut tags = LogSourceTags::default();
        for part in spec.split(',').map(str::trim).filter(|p| !p.is_empty()) {
            let Some((key, value)) = part.split_once('=') else {
                return Err(format!(
                    "`{part}` is not key=value (use product=…, service=…, category=…)"
                ));
            };
            let value = Cow::Owned(value.trim().to_ascii_lowercase());
            match key.trim() {
                "product" => tags.product = Some(value),
                "service" => tags.services.push(value),
                "category" => tags.categories.push(value),
                other => {
                    return Err(format!(
                        "unknown logsource key `{other}` (use product, service or category)"
                    ));
                }
            }
        }
        if tags.is_empty() {
            return Err("a logsource names at least one of product=…, service=…, category=…".into());
        }
        Ok(tags)
    }

    /// Tags with only a product.
    pub fn product(product: &'static str) -> Self {
        LogSourceTags {
            product: Some(Cow::Borrowed(product)),
            ..Self::default()
        }
    }

    /// Adds a service.
    #[must_use]
    pub fn with_service(mut self, service: &'static str) -> Self {
        self.services.push(Cow::Borrowed(service));
        self
    }

    /// Adds a category.
    #[must_use]
    pub fn with_category(mut self, category: &'static str) -> Self {
        self.categories.push(Cow::Borrowed(category));
        self
    }

    /// True when nothing is known about the event's logsource.
    pub fn is_empty(&self) -> bool {
        self.product.is_none() && self.services.is_empty() && self.categories.is_empty()
    }

    /// Fills in what an event's own shape did not tell from an operator's logsource for its input
    /// (`--logsource`, `[[logsource]]` in the server's config). An event whose product is known
    /// keeps its tags; otherwise it takes the given product and gains the given services and
    /// categories beside those it already has.
    pub fn fill_from(&mut self, given: &LogSourceTags) {
        if self.product.is_some() {
            return;
        }
        self.product.clone_from(&given.product);
        for s in &given.services {
            if !self.services.iter().any(|h| h.eq_ignore_ascii_case(s)) {
                self.services.push(s.clone());
            }
        }
        for c in &given.categories {
            if !self.categories.iter().any(|h| h.eq_ignore_ascii_case(c)) {
                self.categories.push(c.clone());
            }
        }
    }

    /// Whether a rule with these logsource dimensions can match this event: every dimension the
    /// rule names must be one the event is known to have.
    pub fn admits(&self, product: Option<&str>, service: Option<&str>, category: Option<&str>) -> bool {
        fn any(want: Option<&str>, have: &[Cow<'static, str>]) -> bool {
            want.is_none_or(|w| have.iter().any(|h| h.eq_ignore_ascii_case(w)))
        }
        product.is_none_or(|p| self.product.as_deref().is_some_and(|h| h.eq_ignore_ascii_case(p)))
            && any(service, &self.services)
            && any(category, &self.categories)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn admits_requires_every_named_dimension() {
        let t = LogSourceTags::product("windows")
            .with_service("sysmon")
            .with_category("registry_set")
            .with_category("registry_event");
        assert!(t.admits(Some("windows"), None, Some("registry_event")));
        assert!(t.admits(Some("Windows"), Some("sysmon"), None));
        assert!(t.admits(None, None, None));
        assert!(!t.admits(Some("linux"), None, None));
        assert!(!t.admits(Some("windows"), Some("security"), None));
        assert!(!t.admits(None, None, Some("process_creation")));
    }

    #[test]
    fn fill_from_keeps_a_known_product_and_completes_an_unknown_one() {
        let given = LogSourceTags::product("linux").with_service("app");
        let mut known = LogSourceTags::product("windows");
        known.fill_from(&given);
        assert_eq!(known, LogSourceTags::product("windows"));
        let mut web = LogSourceTags::default().with_category("webserver").with_service("app");
        web.fill_from(&given);
        assert_eq!(web.product.as_deref(), Some("linux"));
        assert_eq!(web.services, ["app"]);
        assert_eq!(web.categories, ["webserver"]);
    }

    #[test]
    fn an_unknown_logsource_is_never_guessed_into_a_match() {
        let none = LogSourceTags::default();
        assert!(
            !none.admits(Some("zeek"), Some("rdp"), None),
            "a negation-only Zeek rule"
        );
        assert!(!none.admits(Some("windows"), None, None));
        assert!(!none.admits(None, None, Some("webserver")));
        assert!(none.admits(None, None, None), "a rule with no logsource constraints");
        let web = LogSourceTags {
            categories: vec![Cow::Borrowed("webserver")],
            ..LogSourceTags::default()
        };
        assert!(
            web.admits(None, None, Some("webserver")),
            "rules that name only what it has"
        );
        assert!(!web.admits(Some("linux"), None, Some("webserver")));
        assert!(!web.admits(None, Some("apache"), None));
    }
}
