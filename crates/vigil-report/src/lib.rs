//! SOC reports (issue 17, "Measure"): one [`Report`] model — the period, the tenant, when it was
//! generated, and its sections of rows — and its renderings: JSON, one long-format CSV file, one
//! self-contained HTML page (inline CSS and SVG charts, no script, no external URL), and PDF.
//!
//! The model holds plain figures; what gathers them from state is in `vigil-api` (`reports.rs`),
//! so this crate renders and nothing else. Text that comes from logs (rule titles, hosts) is
//! escaped by every renderer: HTML entities, CSV cells that a spreadsheet would run as a formula
//! prefixed with `'`, PDF strings through the writer's literal-string escaping.

mod csv_out;
mod html;
mod model;
mod pdf;
mod svg;
mod text;

pub use csv_out::{CSV_HEADER, csv};
pub use html::{content_security_policy, html};
pub use model::{Chart, Report, Row, Section, Trend, Unit};
pub use pdf::pdf;
pub use text::{span, value_text};

/// A report's file format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Format {
    Json,
    Csv,
    Html,
    Pdf,
}

impl Format {
    /// Every format, in the order documented.
    pub const ALL: [Format; 4] = [Format::Html, Format::Pdf, Format::Json, Format::Csv];

    /// The wire name and file extension.
    pub fn as_str(self) -> &'static str {
        match self {
            Format::Json => "json",
            Format::Csv => "csv",
            Format::Html => "html",
            Format::Pdf => "pdf",
        }
    }

    /// The format named `s` (`htm` reads as HTML), if any.
    pub fn parse(s: &str) -> Option<Format> {
        match s.to_ascii_lowercase().as_str() {
            "json" => Some(Format::Json),
            "csv" => Some(Format::Csv),
            "html" | "htm" => Some(Format::Html),
            "pdf" => Some(Format::Pdf),
            _ => None,
        }
    }

    /// The HTTP `Content-Type`.
    pub fn content_type(self) -> &'static str {
        match self {
            Format::Json => "application/json",
            Format::Csv => "text/csv; charset=utf-8",
            Format::Html => "text/html; charset=utf-8",
            Format::Pdf => "application/pdf",
        }
    }
}

impl std::fmt::Display for Format {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Rendering failed (only writers that can fail: JSON and CSV serialization).
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ReportError {
    #[error("writing the JSON report: {0}")]
    Json(#[from] serde_json::Error),
    #[error("writing the CSV report: {0}")]
    Csv(#[from] csv::Error),
    #[error("writing the CSV report: {0}")]
    CsvFlush(String),
}

/// `report` in `format`, as the bytes of the file.
pub fn render(report: &Report, format: Format) -> Result<Vec<u8>, ReportError> {
    Ok(match format {
        Format::Json => {
            let mut out = serde_json::to_vec_pretty(report)?;
            out.push(b'\n');
            out
        }
        Format::Csv => csv(report)?,
        Format::Html => html(report).into_bytes(),
        Format::Pdf => pdf(report),
    })
}

/// The file name a report of `tenant` over its period is saved as, e.g.
/// `vigil-report-default-2026-11-01-2026-12-01.html` (tenant reduced to `A-Z a-z 0-9 - _`).
pub fn file_name(report: &Report, format: Format) -> String {
    let tenant: String = report
        .tenant
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' || c == '_' {
                c
            } else {
                '_'
            }
        })
        .collect();
    let day = |t: jiff::Timestamp| t.strftime("%Y-%m-%d").to_string();
    format!(
        "vigil-report-{tenant}-{}-{}.{}",
        day(report.from),
        day(report.to),
        format.as_str()
    )
}

#[cfg(test)]
mod tests;
