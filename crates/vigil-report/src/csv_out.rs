//! The CSV report: one long-format file, a line per figure —
//! `section,group,metric,value,unit,n,previous` — so a spreadsheet pivots it as it likes.
//! A section with no figures in this build gives one line with unit `unavailable` and the reason
//! as the value. Cells starting with `=`, `+`, `-`, `@`, a tab or a carriage return are prefixed
//! with `'` so that no spreadsheet runs them as a formula (numbers are written by us and left as
//! they are).

use crate::ReportError;
use crate::model::{Report, Unit};
use crate::text::one_line;

/// The header line's columns.
pub const CSV_HEADER: [&str; 7] = ["section", "group", "metric", "value", "unit", "n", "previous"];

/// A text cell a spreadsheet will not evaluate.
pub(crate) fn cell(text: &str) -> String {
    let text = one_line(text);
    match text.chars().next() {
        Some('=' | '+' | '-' | '@' | '\t' | '\r') => format!("'{text}"),
        _ => text,
    }
}

fn number(v: Option<f64>) -> String {
    v.map_or_else(String::new, |v| format!("{v}"))
}

/// `report` as CSV bytes.
pub fn csv(report: &Report) -> Result<Vec<u8>, ReportError> {
    let mut w = csv::Writer::from_writer(Vec::new());
    w.write_record(CSV_HEADER)?;
    for s in &report.sections {
        if let Some(why) = &s.unavailable {
            w.write_record([
                cell(&s.id),
                String::new(),
                String::new(),
                cell(why),
                "unavailable".into(),
                String::new(),
                String::new(),
            ])?;
            continue;
        }
        for r in &s.rows {
            let value = match (r.unit, &r.text) {
                (Unit::Text, Some(t)) => cell(t),
                _ => number(r.value),
            };
            w.write_record([
                cell(&s.id),
                cell(&r.group),
                cell(&r.metric),
                value,
                r.unit.as_str().to_owned(),
                r.n.map_or_else(String::new, |n| n.to_string()),
                number(r.previous),
            ])?;
        }
    }
    w.into_inner().map_err(|e| ReportError::CsvFlush(e.to_string()))
}
