//! Argument values: times (RFC 3339, plain dates, ages like `30d`) and logsource specs.

use anyhow::{Context, bail};
use jiff::{Span, Timestamp, civil::Date, tz::TimeZone};

/// Parses `--since`/`--until` values relative to `now`.
pub fn parse_time(text: &str, now: Timestamp) -> anyhow::Result<Timestamp> {
    let t = text.trim();
    if let Ok(ts) = t.parse::<Timestamp>() {
        return Ok(ts);
    }
    if let Ok(date) = t.parse::<Date>() {
        return Ok(date.to_zoned(TimeZone::UTC)?.timestamp());
    }
    if let Ok(span) = t.parse::<Span>() {
        if span.is_negative() {
            bail!("age `{t}` must not be negative");
        }
        let then = now
            .to_zoned(TimeZone::UTC)
            .checked_sub(span)
            .with_context(|| format!("age `{t}` is out of range"))?;
        return Ok(then.timestamp());
    }
    bail!("`{t}` is not a time: use RFC 3339 (2024-05-01T10:00:00Z), a date (2024-05-01) or an age (30d, 12h)")
}

/// Parses `product=linux,service=auditd,category=process_creation` (any subset, at least one).
pub fn parse_logsource(spec: &str) -> anyhow::Result<vigil_event::LogSourceTags> {
    use std::borrow::Cow;
    let mut tags = vigil_event::LogSourceTags::default();
    for part in spec.split(',').map(str::trim).filter(|p| !p.is_empty()) {
        let Some((key, value)) = part.split_once('=') else {
            bail!("`{part}` is not key=value (use product=…, service=…, category=…)");
        };
        let value = Cow::Owned(value.trim().to_ascii_lowercase());
        match key.trim() {
            "product" => tags.product = Some(value),
            "service" => tags.services.push(value),
            "category" => tags.categories.push(value),
            other => bail!("unknown logsource key `{other}` (use product, service or category)"),
        }
    }
    if tags.product.is_none() {
        bail!("a logsource needs at least product=… (without a product every rule still applies)");
    }
    Ok(tags)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn logsource_specs() {
        let t = parse_logsource("product=Linux, service=auditd").expect("valid");
        assert!(t.admits(Some("linux"), Some("auditd"), None));
        assert!(!t.admits(Some("windows"), None, None));
        assert!(parse_logsource("service=auditd").is_err());
        assert!(parse_logsource("product").is_err());
        assert!(parse_logsource("product=linux,colour=red").is_err());
    }

    #[test]
    fn forms() {
        let now: Timestamp = "2024-05-31T00:00:00Z".parse().expect("valid");
        assert_eq!(
            parse_time("2024-05-01T10:00:00Z", now).expect("ok").to_string(),
            "2024-05-01T10:00:00Z"
        );
        assert_eq!(
            parse_time("2024-05-01", now).expect("ok").to_string(),
            "2024-05-01T00:00:00Z"
        );
        assert_eq!(parse_time("30d", now).expect("ok").to_string(), "2024-05-01T00:00:00Z");
        assert_eq!(parse_time("12h", now).expect("ok").to_string(), "2024-05-30T12:00:00Z");
        assert!(parse_time("yesterday-ish", now).is_err());
    }
}
