//! The Sigma logsource an event belongs to.

use std::borrow::Cow;

use serde::{Deserialize, Serialize};

/// Sigma logsource dimensions of one event.
///
/// A rule's logsource names at most one product, service and category; an event may belong to
/// several services and categories at once (a Sysmon registry event is `registry_set` *and*
/// `registry_event`; an sshd message over syslog is service `sshd`, `auth` and `syslog`).
/// When the product is known the tags are authoritative: a rule can match the event only when every
/// dimension the rule names is present here with an equal value (ASCII case-insensitive). When the
/// product is unknown (a plain JSON line with no logsource hints) nothing can be ruled out, so every
/// rule may apply (fail-open, as rsigma does without pruning).
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
    /// Parses `product=linux,service=auditd,category=process_creation` (any subset, but with a
    /// product: without one every rule would still apply). Values are lowercased.
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
        if tags.product.is_none() {
            return Err("a logsource needs at least product=… (without a product every rule still applies)".into());
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

    /// Whether a rule with these logsource dimensions can match this event.
    pub fn admits(&self, product: Option<&str>, service: Option<&str>, category: Option<&str>) -> bool {
        if self.product.is_none() {
            return true;
        }
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
        assert!(
            LogSourceTags::default().admits(Some("windows"), Some("sysmon"), Some("x")),
            "unknown fails open"
        );
    }
}
