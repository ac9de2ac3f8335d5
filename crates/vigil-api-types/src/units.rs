//! Human units in configuration, the API and the CLI: sizes (`64MiB`, `4GiB`, `1000`), durations
//! (`500ms`, `30s`, `12h`, `30d`, `2w`, `1h30m`: one grammar, [`crate::duration::parse_duration`]) and
//! points in time (RFC 3339, dates, `now`, or an age written as a duration).

use std::time::Duration;

use jiff::{Timestamp, civil::Date, tz::TimeZone};

/// Parses a point in time relative to `now`: RFC 3339 (`2024-05-01T10:00:00Z`), a date
/// (`2024-05-01`, midnight UTC), `now`, or an age (`30d`, `12h`, `15m`, `1h30m`: that long before
/// `now`; any duration [`parse_duration`] reads).
pub fn parse_time(text: &str, now: Timestamp) -> Result<Timestamp, String> {
    let t = text.trim();
    if t == "now" {
        return Ok(now);
    }
    if let Ok(ts) = t.parse::<Timestamp>() {
        return Ok(ts);
    }
    if let Ok(date) = t.parse::<Date>() {
        return date
            .to_zoned(TimeZone::UTC)
            .map(|z| z.timestamp())
            .map_err(|e| format!("`{t}`: {e}"));
    }
    if t.starts_with(|c: char| c.is_ascii_digit() || c == 'P' || c == 'p') {
        let age = parse_duration(t).map_err(|e| {
            format!("{e}; a time is RFC 3339 (2024-05-01T10:00:00Z), a date (2024-05-01), now, or an age (30d, 12h)")
        })?;
        return jiff::SignedDuration::try_from(age)
            .ok()
            .and_then(|age| now.checked_sub(age).ok())
            .ok_or_else(|| format!("age `{t}` is out of range"));
    }
    Err(format!(
        "`{t}` is not a time: use RFC 3339 (2024-05-01T10:00:00Z), a date (2024-05-01), now, or an age (30d, 12h)"
    ))
}

/// Parses a byte size: a number with an optional unit (B, KB/MB/GB/TB = powers of 1000,
/// KiB/MiB/GiB/TiB = powers of 1024; case-insensitive, spaces allowed).
pub fn parse_bytes(text: &str) -> Result<u64, String> {
    let t = text.trim();
    let split = t.find(|c: char| !c.is_ascii_digit() && c != '.').unwrap_or(t.len());
    let (num, unit) = t.split_at(split);
    let value: f64 = num
        .parse()
        .map_err(|_| format!("`{text}` is not a size (e.g. 512MiB, 4GiB, 1000000)"))?;
    let mult: f64 = match unit.trim().to_ascii_lowercase().as_str() {
        "" | "b" => 1.0,
        "kb" | "k" => 1e3,
        "mb" | "m" => 1e6,
        "gb" | "g" => 1e9,
        "tb" | "t" => 1e12,
        "kib" => 1024.0,
        "mib" => 1024.0 * 1024.0,
        "gib" => 1024.0 * 1024.0 * 1024.0,
        "tib" => 1024.0 * 1024.0 * 1024.0 * 1024.0,
        other => {
            return Err(format!(
                "unknown size unit `{other}` in `{text}` (use B, KiB, MiB, GiB, TiB, KB, MB, GB, TB)"
            ));
        }
    };
    let bytes = value * mult;
    if !bytes.is_finite() || bytes < 0.0 || bytes > u64::MAX as f64 {
        return Err(format!("`{text}` is out of range"));
    }
    Ok(bytes as u64)
}

/// Parses a duration that is not negative, with Vigil's one grammar ([`crate::duration::parse_duration`]:
/// `500ms`, `30s`, `15m`, `12h`, `30d`, `2w`, `1h30m`, `PT90M`; no months or years).
pub fn parse_duration(text: &str) -> Result<Duration, String> {
    let d = crate::duration::parse_duration(text)?;
    Duration::try_from(d).map_err(|_| format!("`{}` must not be negative", text.trim()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times() {
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
        assert_eq!(parse_time("now", now), Ok(now));
        assert_eq!(
            parse_time("1h30m", now).expect("ok").to_string(),
            "2024-05-30T22:30:00Z"
        );
        assert_eq!(parse_time("2w", now).expect("ok").to_string(), "2024-05-17T00:00:00Z");
        assert!(parse_time("yesterday-ish", now).is_err());
        assert!(parse_time("-5m", now).is_err());
        // An age of months or years has no fixed length: refused with the reason.
        assert!(
            parse_time("1y", now)
                .expect_err("ambiguous")
                .contains("no fixed length")
        );
    }

    #[test]
    fn sizes() {
        assert_eq!(parse_bytes("1000"), Ok(1000));
        assert_eq!(parse_bytes("64MiB"), Ok(64 << 20));
        assert_eq!(parse_bytes("4 GiB"), Ok(4 << 30));
        assert_eq!(parse_bytes("1.5kb"), Ok(1500));
        assert!(parse_bytes("lots").is_err());
        assert!(parse_bytes("5 parsecs").is_err());
        assert!(parse_bytes("").is_err());
    }

    #[test]
    fn durations() {
        assert_eq!(parse_duration("500ms"), Ok(Duration::from_millis(500)));
        assert_eq!(parse_duration("30d"), Ok(Duration::from_secs(30 * 86_400)));
        assert_eq!(parse_duration("2w"), Ok(Duration::from_secs(14 * 86_400)));
        assert_eq!(parse_duration("1h30m"), Ok(Duration::from_secs(5400)));
        assert_eq!(parse_duration("30 d"), Ok(Duration::from_secs(30 * 86_400)));
        assert!(parse_duration("-5m").expect_err("negative").contains("negative"));
        assert!(parse_duration("ten days").is_err());
        assert!(parse_duration("5y").is_err());
        assert!(parse_duration("99999999999999999999d").is_err());
    }
}
