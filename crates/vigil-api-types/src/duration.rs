//! Vigil's one duration grammar: the configuration, the API's and the CLI's ages and aggregation
//! intervals all read durations with [`parse_duration`].

use jiff::SignedDuration;

/// Reads a duration — Vigil's one duration grammar, used by the configuration, the API and the CLI
/// (ages such as `--since 30d`), and aggregation intervals. A number and a unit (`500ms`, `30s`,
/// `15m`, `12h`, `30d`, `2w`; spaces allowed), several of them (`1h30m`, `1d 12h`), spelled-out
/// units (`90 minutes`, `2 days`), or ISO 8601 (`PT90M`, `P1D`). Days are 24 hours and weeks 7
/// days. Months and years are refused: their length is not fixed. Negative durations are read
/// (callers that need a positive one say so).
pub fn parse_duration(text: &str) -> Result<SignedDuration, String> {
    let t = text.trim();
    let hint = "(e.g. 500ms, 30s, 15m, 12h, 30d, 2w, 1h30m)";
    let span: jiff::Span = t.parse().map_err(|_| format!("`{text}` is not a duration {hint}"))?;
    if span.get_years() != 0 || span.get_months() != 0 {
        return Err(format!(
            "`{text}`: months and years have no fixed length; use days or weeks (e.g. 30d, 52w)"
        ));
    }
    span.to_duration(jiff::SpanRelativeTo::days_are_24_hours())
        .map_err(|_| format!("`{text}` is out of range"))
}

/// The shortest `<n><unit>` form of a duration that [`parse_duration`] reads back.
pub fn format_duration(d: SignedDuration) -> String {
    let nanos = d.as_nanos();
    for (unit, size) in [
        ("w", 604_800_000_000_000i128),
        ("d", 86_400_000_000_000),
        ("h", 3_600_000_000_000),
        ("m", 60_000_000_000),
        ("s", 1_000_000_000),
        ("ms", 1_000_000),
    ] {
        if nanos != 0 && nanos % size == 0 {
            return format!("{}{unit}", nanos / size);
        }
    }
    format!("{d:#}")
}

/// Serde for a duration as a string (`"1h"`).
pub mod duration_serde {
    use jiff::SignedDuration;
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(d: &SignedDuration, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&super::format_duration(*d))
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<SignedDuration, D::Error> {
        let text = String::deserialize(d)?;
        super::parse_duration(&text).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations() {
        let d = |t: &str| parse_duration(t).ok();
        assert_eq!(d("1m"), Some(SignedDuration::from_mins(1)));
        assert_eq!(d("1h"), Some(SignedDuration::from_hours(1)));
        assert_eq!(d("1d"), Some(SignedDuration::from_hours(24)));
        assert_eq!(d("2w"), Some(SignedDuration::from_hours(24 * 14)));
        assert_eq!(d("250ms"), Some(SignedDuration::from_millis(250)));
        assert_eq!(d("PT90M"), Some(SignedDuration::from_mins(90)));
        assert_eq!(d("1h30m"), Some(SignedDuration::from_mins(90)));
        assert_eq!(d("soon"), None);
        for t in ["1d", "90m", "15s", "250ms", "2w"] {
            let parsed = parse_duration(t).unwrap();
            assert_eq!(d(&format_duration(parsed)), Some(parsed), "{t}");
        }
        assert_eq!(format_duration(SignedDuration::from_mins(90)), "90m");
    }

    #[test]
    fn one_grammar_reads_what_config_and_ages_read_before() {
        let secs = |t: &str| parse_duration(t).map(|d| d.as_secs());
        // The configuration's former grammar: a whole number and one unit, spaces allowed.
        for (t, want) in [
            ("500ms", 0),
            ("30s", 30),
            ("15m", 900),
            ("12h", 43_200),
            ("30d", 2_592_000),
        ] {
            assert_eq!(secs(t), Ok(want), "{t}");
        }
        assert_eq!(secs(" 2w "), Ok(1_209_600));
        assert_eq!(secs("30 d"), Ok(2_592_000));
        // The ages' (and aggregation intervals') former grammar: jiff spans and ISO 8601.
        assert_eq!(secs("1h30m"), Ok(5400));
        assert_eq!(secs("1d 12h"), Ok(129_600));
        assert_eq!(secs("90 minutes"), Ok(5400));
        assert_eq!(secs("P30D"), Ok(2_592_000));
        assert_eq!(secs("PT90M"), Ok(5400));
        // Ambiguous lengths and nonsense are refused with the reason.
        assert!(parse_duration("1y").unwrap_err().contains("no fixed length"));
        assert!(parse_duration("2mo").unwrap_err().contains("no fixed length"));
        for bad in ["", "ten days", "5x", "30", "99999999999999999999d"] {
            assert!(parse_duration(bad).is_err(), "{bad}");
        }
    }
}
