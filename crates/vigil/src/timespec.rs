//! Time arguments: RFC 3339, plain dates, and ages like `30d`.

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

#[cfg(test)]
mod tests {
    use super::*;

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
