//! Timestamp parsing shared by the parsers.

use jiff::{Timestamp, civil::DateTime, tz::TimeZone};

/// Parses the timestamp spellings seen in logs: RFC 3339 (with or without offset, `T` or space),
/// `YYYY-MM-DD HH:MM:SS[.fff]` (taken as UTC), and Unix epoch seconds or milliseconds.
pub fn parse_timestamp(text: &str) -> Option<Timestamp> {
    let t = text.trim();
    // Every spelling below is ASCII; anything else is not a time (and must not be sliced
    // by byte offsets, which could fall inside a multi-byte character).
    if t.is_empty() || t.len() > 64 || !t.is_ascii() {
        return None;
    }
    if let Ok(ts) = t.parse::<Timestamp>() {
        return Some(ts);
    }
    if let Ok(dt) = t.parse::<DateTime>() {
        return dt.to_zoned(TimeZone::UTC).ok().map(|z| z.timestamp());
    }
    // `2024-01-02T03:04:05.123+0000` (no colon in the offset), as Suricata writes.
    if t.len() > 5 {
        let (head, tail) = t.split_at(t.len() - 5);
        if (tail.starts_with('+') || tail.starts_with('-')) && tail[1..].bytes().all(|b| b.is_ascii_digit()) {
            let fixed = format!("{head}{}:{}", &tail[..3], &tail[3..]);
            if let Ok(ts) = fixed.parse::<Timestamp>() {
                return Some(ts);
            }
        }
    }
    parse_epoch(t)
}

/// Unix epoch seconds (`1700000000`, `1700000000.123`) or milliseconds (13 digits).
pub fn parse_epoch(t: &str) -> Option<Timestamp> {
    let secs: f64 = t.parse().ok()?;
    if !secs.is_finite() || secs < 0.0 {
        return None;
    }
    let secs = if secs > 1e12 { secs / 1000.0 } else { secs };
    let whole = secs.trunc() as i64;
    let nanos = ((secs - secs.trunc()) * 1e9).round() as i32;
    Timestamp::new(whole, nanos.clamp(0, 999_999_999)).ok()
}

/// Epoch as a JSON number.
pub fn from_json_number(n: &serde_json::Number) -> Option<Timestamp> {
    n.as_f64().and_then(|f| parse_epoch(&f.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spellings() {
        let want: Timestamp = "2024-01-02T03:04:05Z".parse().expect("valid");
        for s in [
            "2024-01-02T03:04:05Z",
            "2024-01-02T03:04:05+00:00",
            "2024-01-02 03:04:05",
            "2024-01-02T03:04:05.000+0000",
            "1704164645",
            "1704164645000",
        ] {
            assert_eq!(parse_timestamp(s), Some(want), "{s}");
        }
        assert_eq!(parse_timestamp("yesterday"), None);
        assert_eq!(parse_timestamp("-5"), None);
        // Regression: a multi-byte character where the offset check slices must not panic.
        assert_eq!(parse_timestamp("é€x"), None);
        assert_eq!(parse_timestamp("\u{fffd}\u{fffd}"), None);
    }
}
