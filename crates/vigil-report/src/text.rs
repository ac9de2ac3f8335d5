//! How values read: durations as a person says them, ratios as percentages.

use crate::model::{Row, Unit};

/// `45s`, `12m 30s`, `3h 05m`, `2d 4h` (the sign is dropped).
pub fn span(secs: i64) -> String {
    let s = secs.unsigned_abs();
    match s {
        0..60 => format!("{s}s"),
        60..3600 => format!("{}m {:02}s", s / 60, s % 60),
        3600..86_400 => format!("{}h {:02}m", s / 3600, s % 3600 / 60),
        _ => format!("{}d {}h", s / 86_400, s % 86_400 / 3600),
    }
}

/// A value of `unit` as text: `-` when there is none.
pub fn number_text(value: Option<f64>, unit: Unit) -> String {
    let Some(v) = value else {
        return "-".to_owned();
    };
    match unit {
        Unit::Seconds => span(v.round() as i64),
        Unit::Ratio => format!("{:.1}%", v * 100.0),
        Unit::Count if v.fract() == 0.0 => format!("{v:.0}"),
        Unit::Count | Unit::Text => format!("{v:.2}"),
    }
}

/// The row's value as text (a `text` row's text).
pub fn value_text(row: &Row) -> String {
    match (row.unit, &row.text) {
        (Unit::Text, Some(t)) => t.clone(),
        _ => number_text(row.value, row.unit),
    }
}

/// The comparison with the previous period: `↑ 12.0% (was 3h 05m)`, empty without one.
pub fn trend_text(row: &Row) -> String {
    let Some(t) = row.trend() else {
        return String::new();
    };
    format!("{} was {}", t.arrow(), number_text(row.previous, row.unit))
}

/// One line of text: control characters (line breaks, escapes) become spaces.
pub fn one_line(text: &str) -> String {
    text.chars().map(|c| if c.is_control() { ' ' } else { c }).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_read_like_a_person_says_them() {
        assert_eq!(span(45), "45s");
        assert_eq!(span(3 * 3600 + 5 * 60), "3h 05m");
        assert_eq!(number_text(Some(0.875), Unit::Ratio), "87.5%");
        assert_eq!(number_text(Some(12.0), Unit::Count), "12");
        assert_eq!(number_text(None, Unit::Seconds), "-");
        assert_eq!(one_line("a\nb\x1b[31m"), "a b [31m");
    }
}
