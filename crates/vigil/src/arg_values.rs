//! Argument values: times (RFC 3339, plain dates, ages like `30d`), expiries and logsource specs.

use jiff::Timestamp;

/// Parses `--since`/`--until` values relative to `now`.
pub fn parse_time(text: &str, now: Timestamp) -> anyhow::Result<Timestamp> {
    vigil_api_types::units::parse_time(text, now).map_err(anyhow::Error::msg)
}

/// Parses an `--expires` value at `now`: a duration from now (`90d`, `12h`, `1d12h`: Vigil's one
/// duration grammar) or an RFC 3339 instant. Either must lie in the future.
pub fn parse_expiry(text: &str, now: Timestamp) -> anyhow::Result<Timestamp> {
    let t = text.trim();
    let at = match t.parse::<Timestamp>() {
        Ok(at) => at,
        Err(_) => {
            let d = vigil_api_types::duration::parse_duration(t).map_err(|e| {
                anyhow::anyhow!("{e}; an expiry is a duration from now (90d, 12h) or an RFC 3339 instant")
            })?;
            if !d.is_positive() {
                anyhow::bail!("an expiry duration must be positive, not `{t}`");
            }
            now.checked_add(d)
                .map_err(|_| anyhow::anyhow!("expiry `{t}` is out of range"))?
        }
    };
    if at <= now {
        anyhow::bail!("expiry {at} is not in the future");
    }
    Ok(at)
}

/// Parses `product=linux,service=auditd,category=process_creation` (any subset, at least one).
pub fn parse_logsource(spec: &str) -> anyhow::Result<vigil_event::LogSourceTags> {
    vigil_event::LogSourceTags::parse_spec(spec).map_err(anyhow::Error::msg)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn expiries_are_durations_from_now_or_instants_in_the_future() {
        let now: Timestamp = "2026-05-01T12:00:00Z".parse().expect("instant");
        let at = |text: &str| {
            parse_expiry(text, now)
                .map(|t| t.to_string())
                .map_err(|e| e.to_string())
        };
        assert_eq!(at("90d").as_deref(), Ok("2026-07-30T12:00:00Z"));
        assert_eq!(at(" 1d12h ").as_deref(), Ok("2026-05-03T00:00:00Z"));
        assert_eq!(at("2027-01-01T00:00:00Z").as_deref(), Ok("2027-01-01T00:00:00Z"));
        for bad in [
            "0s",
            "-1h",
            "2026-05-01T12:00:00Z",
            "2020-01-01T00:00:00Z",
            "soon",
            "",
            "1y",
        ] {
            assert!(at(bad).is_err(), "{bad:?}: {:?}", at(bad));
        }
    }

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
