//! Argument values: times (RFC 3339, plain dates, ages like `30d`) and logsource specs.

use jiff::Timestamp;

/// Parses `--since`/`--until` values relative to `now`.
pub fn parse_time(text: &str, now: Timestamp) -> anyhow::Result<Timestamp> {
    vigil_api_types::units::parse_time(text, now).map_err(anyhow::Error::msg)
}

/// Parses `product=linux,service=auditd,category=process_creation` (any subset, at least one).
pub fn parse_logsource(spec: &str) -> anyhow::Result<vigil_event::LogSourceTags> {
    vigil_event::LogSourceTags::parse_spec(spec).map_err(anyhow::Error::msg)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn logsource_specs() {
        let t = parse_logsource("product=Linux, service=auditd").expect("valid");
        assert!(t.admits(Some("linux"), Some("auditd"), None));
        assert!(!t.admits(Some("windows"), None, None));
        assert!(
            parse_logsource("service=auditd").is_ok(),
            "a service alone names a logsource"
        );
        assert!(parse_logsource("").is_err());
        assert!(parse_logsource("product").is_err());
        assert!(parse_logsource("product=linux,colour=red").is_err());
    }
}
