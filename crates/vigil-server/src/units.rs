//! Human units in configuration: sizes (`64MiB`, `4GiB`, `1000`) and durations (`500ms`, `30s`,
//! `12h`, `30d`, `2w`).

use std::time::Duration;

use jiff::{Span, Timestamp, civil::Date, tz::TimeZone};

/// Parses a point in time relative to `now`: RFC 3339 (`2024-05-01T10:00:00Z`), a date
/// (`2024-05-01`, midnight UTC), `now`, or an age (`30d`, `12h`, `15m`: that long before `now`).
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
    if let Ok(span) = t.parse::<Span>() {
        if span.is_negative() {
            return Err(format!("age `{t}` must not be negative"));
        }
        return now
            .to_zoned(TimeZone::UTC)
            .checked_sub(span)
            .map(|z| z.timestamp())
            .map_err(|_| format!("age `{t}` is out of range"));
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

/// Parses a duration: a whole number with a unit (ms, s, m, h, d, w).
pub fn parse_duration(text: &str) -> Result<Duration, String> {
    let t = text.trim();
    let split = t.find(|c: char| !c.is_ascii_digit()).unwrap_or(t.len());
    let (num, unit) = t.split_at(split);
    let value: u64 = num
        .parse()
        .map_err(|_| format!("`{text}` is not a duration (e.g. 500ms, 30s, 15m, 12h, 30d, 2w)"))?;
    let secs = |n: u64| value.checked_mul(n).map(Duration::from_secs);
    let d = match unit.trim() {
        "ms" => Some(Duration::from_millis(value)),
        "s" => secs(1),
        "m" => secs(60),
        "h" => secs(3600),
        "d" => secs(86_400),
        "w" => secs(7 * 86_400),
        other => {
            return Err(format!(
                "unknown duration unit `{other}` in `{text}` (use ms, s, m, h, d, w)"
            ));
        }
    };
    d.ok_or_else(|| format!("`{text}` is out of range"))
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
        assert!(parse_time("yesterday-ish", now).is_err());
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
        assert!(parse_duration("ten days").is_err());
        assert!(parse_duration("5y").is_err());
        assert!(parse_duration("99999999999999999999d").is_err());
    }
}
