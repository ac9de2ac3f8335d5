//! The Sigma logsource of a document that names its own source: Elastic Common Schema's
//! `event.dataset` (`zeek.dns`, `aws.cloudtrail`, …) and `event.module`, as Filebeat, Elastic Agent
//! and Logstash pipelines write them.
//!
//! Only datasets whose Sigma logsource is certain are listed; any other dataset gives nothing, and
//! the event is then seen only by rules that name no product (never guessed into a match).

use std::borrow::Cow;

use serde_json::Value;
use vigil_event::LogSourceTags;

use crate::normalize::get_path;

/// A dataset's Sigma product, service and category; `None` where Sigma names none.
type Logsource = (Option<&'static str>, Option<&'static str>, Option<&'static str>);

/// `event.dataset` → (product, service, category) for the datasets Sigma has rules for.
const DATASETS: &[(&str, Logsource)] = &[
    ("aws.cloudtrail", (Some("aws"), Some("cloudtrail"), None)),
    ("gcp.audit", (Some("gcp"), Some("gcp.audit"), None)),
    (
        "google_workspace.admin",
        (Some("gcp"), Some("google_workspace.admin"), None),
    ),
    (
        "google_workspace.login",
        (Some("gcp"), Some("google_workspace.login"), None),
    ),
    ("azure.activitylogs", (Some("azure"), Some("activitylogs"), None)),
    ("azure.signinlogs", (Some("azure"), Some("signinlogs"), None)),
    ("azure.auditlogs", (Some("azure"), Some("auditlogs"), None)),
    ("okta.system", (Some("okta"), Some("okta"), None)),
    ("github.audit", (Some("github"), Some("audit"), None)),
    ("kubernetes.audit_logs", (Some("kubernetes"), Some("audit"), None)),
    ("system.auth", (Some("linux"), Some("auth"), None)),
    ("system.syslog", (Some("linux"), Some("syslog"), None)),
    ("apache.access", (None, None, Some("webserver"))),
    ("nginx.access", (None, None, Some("webserver"))),
    ("iis.access", (None, None, Some("webserver"))),
];

/// `event.module` → product, for modules whose every dataset is one product's (the dataset, when
/// it is `<module>.<log type>`, also names the service for Zeek).
const MODULES: &[(&str, &str, Option<&str>)] = &[
    ("zeek", "zeek", None),
    ("suricata", "suricata", None),
    ("auditd", "linux", Some("auditd")),
    ("auditd_manager", "linux", Some("auditd")),
];

/// The logsource a document's `event.dataset` / `event.module` names, if Vigil knows it.
pub fn logsource(doc: &Value) -> Option<LogSourceTags> {
    let text = |path: &str| {
        get_path(doc, path)
            .and_then(Value::as_str)
            .map(|s| s.trim().to_ascii_lowercase())
            .filter(|s| !s.is_empty())
    };
    let dataset = text("event.dataset");
    if let Some(ds) = &dataset
        && let Some(&(_, (product, service, category))) = DATASETS.iter().find(|(name, _)| name == ds)
    {
        return Some(tags(product, service, category));
    }
    let module = text("event.module").or_else(|| {
        dataset
            .as_deref()
            .and_then(|d| d.split_once('.'))
            .map(|(m, _)| m.to_owned())
    })?;
    let &(_, product, service) = MODULES.iter().find(|(name, ..)| *name == module)?;
    let mut found = tags(Some(product), service, None);
    if product == "zeek"
        && let Some(log_type) = dataset.as_deref().and_then(|d| d.strip_prefix("zeek."))
        && let Some(service) = crate::zeek::log_type(log_type)
    {
        found.services.push(Cow::Borrowed(service));
        if service == "dns" {
            found.categories.push(Cow::Borrowed("dns"));
        }
    }
    Some(found)
}

fn tags(product: Option<&str>, service: Option<&str>, category: Option<&str>) -> LogSourceTags {
    let own = |s: Option<&str>| s.map(|v| Cow::Owned(v.to_owned()));
    LogSourceTags {
        product: own(product),
        services: own(service).into_iter().collect(),
        categories: own(category).into_iter().collect(),
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn datasets_and_modules_name_their_logsource() {
        let ls = |v: Value| logsource(&v);
        let cloudtrail = ls(json!({"event": {"dataset": "aws.cloudtrail", "module": "aws"}})).expect("known");
        assert!(cloudtrail.admits(Some("aws"), Some("cloudtrail"), None));
        let dns = ls(json!({"event.dataset": "zeek.dns"})).expect("flat key");
        assert!(dns.admits(Some("zeek"), Some("dns"), Some("dns")));
        let conn = ls(json!({"event": {"module": "zeek", "dataset": "zeek.conn"}})).expect("known");
        assert!(conn.admits(Some("zeek"), Some("conn"), None));
        assert!(!conn.admits(Some("zeek"), Some("rdp"), None));
        let web = ls(json!({"event": {"dataset": "nginx.access"}})).expect("known");
        assert!(web.product.is_none() && web.admits(None, None, Some("webserver")));
        assert!(ls(json!({"event": {"module": "auditd"}})).expect("module").admits(
            Some("linux"),
            Some("auditd"),
            None
        ));
        assert_eq!(
            ls(json!({"event": {"dataset": "custom.app", "module": "custom"}})),
            None
        );
        assert_eq!(ls(json!({"msg": "no dataset"})), None);
    }
}
