//! `vigil report`'s arguments, and the period shortcuts (`last-month`, …) it resolves itself.

use std::path::PathBuf;

use clap::{Args, ValueEnum};
use jiff::{Timestamp, ToSpan, Zoned, civil::Weekday, tz::TimeZone};

use crate::cli::ServerArgs;

/// `--format` of `vigil report`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ReportFormat {
    /// One self-contained page: inline CSS and SVG charts, no script, no external request.
    Html,
    /// The same content on A4 pages.
    Pdf,
    /// The report model (sections of rows) as the API answers it.
    Json,
    /// One long-format file: section,group,metric,value,unit,n,previous.
    Csv,
}

impl ReportFormat {
    /// The wire name and file extension.
    pub fn as_str(self) -> &'static str {
        match self {
            ReportFormat::Html => "html",
            ReportFormat::Pdf => "pdf",
            ReportFormat::Json => "json",
            ReportFormat::Csv => "csv",
        }
    }

    /// The format a file name's extension implies.
    pub fn from_path(path: &std::path::Path) -> Option<ReportFormat> {
        let ext = path.extension()?.to_str()?.to_ascii_lowercase();
        match ext.as_str() {
            "html" | "htm" => Some(ReportFormat::Html),
            "pdf" => Some(ReportFormat::Pdf),
            "json" => Some(ReportFormat::Json),
            "csv" => Some(ReportFormat::Csv),
            _ => None,
        }
    }
}

/// `vigil report`.
#[derive(Debug, Args)]
pub struct ReportArgs {
    #[command(flatten)]
    pub server: ServerArgs,
    /// Start of the period (inclusive): an age (`30d`), a date, an RFC 3339 instant, or a
    /// calendar shortcut (UTC) that also sets `--to`: `last-month`, `this-month`, `last-week`,
    /// `this-week` (ISO weeks, from Monday), `yesterday`, `today`.
    #[arg(long, value_name = "WHEN", default_value = "30d")]
    pub from: String,
    /// End of the period (exclusive), same forms as `--from` without the shortcuts; now unless
    /// given (or set by a shortcut).
    #[arg(long, value_name = "WHEN")]
    pub to: Option<String>,
    /// The tenant: reports are of the API key's or user's own tenant; naming another fails.
    #[arg(long, value_name = "NAME")]
    pub tenant: Option<String>,
    /// The file format; from the extension of `-o` unless given, else JSON.
    #[arg(long, value_enum)]
    pub format: Option<ReportFormat>,
    /// Write the report to this file (it must not exist yet, unless `--force`). Without it the
    /// report is printed (not PDF), control characters shown escaped.
    #[arg(short, long, value_name = "FILE")]
    pub out: Option<PathBuf>,
    /// Replace `-o FILE` if it exists.
    #[arg(long)]
    pub force: bool,
}

fn midnight(z: &Zoned) -> Option<Zoned> {
    z.start_of_day().ok()
}

/// The `[from, to)` a calendar shortcut names, as of `now` (UTC); `None` for anything else.
pub fn shortcut(name: &str, now: Timestamp) -> Option<(Timestamp, Timestamp)> {
    let today = midnight(&now.to_zoned(TimeZone::UTC))?;
    let month = today.first_of_month().ok()?;
    let monday = today
        .nth_weekday(-1, Weekday::Monday)
        .ok()
        .filter(|_| today.weekday() != Weekday::Monday)
        .unwrap_or_else(|| today.clone());
    let (from, to) = match name {
        "today" => (today.clone(), today.checked_add(1.day()).ok()?),
        "yesterday" => (today.checked_sub(1.day()).ok()?, today),
        "this-week" => (monday.clone(), monday.checked_add(1.week()).ok()?),
        "last-week" => (monday.checked_sub(1.week()).ok()?, monday),
        "this-month" => (month.clone(), month.checked_add(1.month()).ok()?),
        "last-month" => (month.checked_sub(1.month()).ok()?, month),
        _ => return None,
    };
    Some((from.timestamp(), to.timestamp()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(s: &str) -> Timestamp {
        s.parse().expect("instant")
    }

    #[test]
    fn shortcuts_name_calendar_periods_in_utc() {
        // Monday 7 December 2026.
        let now = at("2026-12-07T03:40:00Z");
        assert_eq!(
            shortcut("last-month", now),
            Some((at("2026-11-01T00:00:00Z"), at("2026-12-01T00:00:00Z")))
        );
        assert_eq!(
            shortcut("this-week", now),
            Some((at("2026-12-07T00:00:00Z"), at("2026-12-14T00:00:00Z")))
        );
        assert_eq!(
            shortcut("last-week", at("2026-12-09T12:00:00Z")),
            Some((at("2026-11-30T00:00:00Z"), at("2026-12-07T00:00:00Z")))
        );
        assert_eq!(
            shortcut("yesterday", now),
            Some((at("2026-12-06T00:00:00Z"), at("2026-12-07T00:00:00Z")))
        );
        assert_eq!(
            shortcut("last-month", at("2027-01-15T00:00:00Z")),
            Some((at("2026-12-01T00:00:00Z"), at("2027-01-01T00:00:00Z")))
        );
        assert_eq!(shortcut("30d", now), None);
    }

    #[test]
    fn the_format_follows_the_extension() {
        assert_eq!(ReportFormat::from_path("r.PDF".as_ref()), Some(ReportFormat::Pdf));
        assert_eq!(ReportFormat::from_path("r.htm".as_ref()), Some(ReportFormat::Html));
        assert_eq!(ReportFormat::from_path("r.txt".as_ref()), None);
    }
}
