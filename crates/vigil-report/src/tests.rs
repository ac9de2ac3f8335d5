//! Rendering tests: escaping in every format, CSV formula injection, an empty period.

use super::*;

const HOSTILE: &str = "<script>alert(1)</script>\"'&";

fn at(s: &str) -> jiff::Timestamp {
    s.parse().expect("instant")
}

fn sample() -> Report {
    let mut mttr = Row::new("", "mttr", Some(7200.0), Unit::Seconds);
    mttr.n = Some(4);
    mttr.previous = Some(3600.0);
    mttr.formula = Some("mean(resolved - created) over resolved incidents".into());
    let mut precision = Row::new(HOSTILE, "precision", Some(0.5), Unit::Ratio);
    precision.previous = Some(0.25);
    Report {
        title: "Monthly SOC report".into(),
        tenant: "acme".into(),
        from: at("2026-11-01T00:00:00Z"),
        to: at("2026-12-01T00:00:00Z"),
        previous_from: at("2026-10-02T00:00:00Z"),
        generated: at("2026-12-01T00:05:00Z"),
        sections: vec![
            Section::new("summary", "Summary", "Headline KPIs.", Chart::None, vec![mttr]),
            Section::new(
                "rules",
                "Top rules",
                "By alert volume.",
                Chart::Bars,
                vec![
                    precision,
                    Row::count("=cmd|' /C calc'!A0", "alert_volume", 12),
                    Row::count("@SUM(1+1)", "+x", 3),
                ],
            ),
            Section::new(
                "trend",
                "Incidents per week",
                "Created.",
                Chart::Trend,
                vec![
                    Row::count("2026-11-02", "incidents", 3),
                    Row::count("2026-11-09", "incidents", 5),
                ],
            ),
            Section::new(
                "coverage",
                "Coverage",
                "Per tactic.",
                Chart::Heatmap,
                vec![
                    Row::new("execution", "T1059", Some(1.0), Unit::Ratio),
                    Row::new(HOSTILE, "T1003", Some(0.0), Unit::Ratio),
                ],
            ),
            Section::unavailable("validation", "Validation", "Detection rate.", "not in this build"),
        ],
    }
}

#[test]
fn html_escapes_log_text_and_makes_no_external_reference() {
    let html = html(&sample());
    assert!(!html.contains("<script"), "{html}");
    assert!(html.contains("&lt;script&gt;alert(1)&lt;/script&gt;&quot;&#39;&amp;"));
    for banned in ["http:", "https:", "//", "@import", "url(", "<link", "<img", "<iframe"] {
        assert!(!html.replace("</", "").contains(banned), "{banned} in the page");
    }
    assert_eq!(html.matches("<svg").count(), 3, "bars, trend and heatmap");
    assert!(html.contains(&format!(
        "<meta http-equiv=\"Content-Security-Policy\" content=\"{}\">",
        content_security_policy()
    )));
    assert!(content_security_policy().starts_with("default-src 'none'; style-src 'sha256-"));
    assert!(html.contains("Not available: not in this build"));
    // The headline card carries the trend: MTTR doubled, which is worse.
    assert!(html.contains("<span class=\"worse\"> ↑</span>"), "{html}");
}

/// The sample in HTML and PDF under target/report-samples/, to look at.
#[test]
fn the_sample_is_saved_to_look_at() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../target/report-samples");
    std::fs::create_dir_all(&dir).expect("dir");
    for format in [Format::Html, Format::Pdf] {
        let bytes = render(&sample(), format).expect("render");
        std::fs::write(dir.join(format!("sample.{format}")), bytes).expect("write");
    }
}

#[test]
fn csv_is_long_format_and_defuses_formulas() {
    let text = String::from_utf8(csv(&sample()).expect("csv")).expect("utf-8");
    let mut lines = text.lines();
    assert_eq!(lines.next(), Some("section,group,metric,value,unit,n,previous"));
    assert!(text.contains("summary,,mttr,7200,seconds,4,3600"), "{text}");
    assert!(
        text.contains("rules,'=cmd|' /C calc'!A0,alert_volume,12,count,,"),
        "{text}"
    );
    assert!(text.contains("rules,'@SUM(1+1),'+x,3,count,,"), "{text}");
    assert!(text.contains("validation,,,not in this build,unavailable,,"), "{text}");
    let mut reader = csv::Reader::from_reader(text.as_bytes());
    for record in reader.records() {
        let record = record.expect("record");
        assert_eq!(record.len(), CSV_HEADER.len());
        for cell in record.iter().filter(|c| !c.is_empty()) {
            let first = cell.chars().next().unwrap_or(' ');
            assert!(!"=+@\t\r".contains(first), "{cell}");
            assert!(first != '-' || cell.parse::<f64>().is_ok(), "{cell}");
        }
    }
}

#[test]
fn json_round_trips() {
    let report = sample();
    let bytes = render(&report, Format::Json).expect("json");
    let back: Report = serde_json::from_slice(&bytes).expect("parse");
    assert_eq!(back, report);
}

#[test]
fn pdf_has_the_title_and_escapes_delimiters() {
    let mut report = sample();
    report.title = "Monthly SOC report (a) \\ b)".into();
    let bytes = pdf(&report);
    assert!(bytes.starts_with(b"%PDF-"));
    assert!(bytes.ends_with(b"%%EOF") || bytes.ends_with(b"%%EOF\n"));
    let text = String::from_utf8_lossy(&bytes);
    assert!(
        text.contains("(Monthly SOC report \\(a\\) \\\\ b\\))"),
        "delimiters escaped"
    );
    assert!(text.contains("/Helvetica"));
}

#[test]
fn an_empty_period_renders_in_every_format() {
    let mut report = sample();
    for s in &mut report.sections {
        s.rows.clear();
    }
    for format in Format::ALL {
        let bytes = render(&report, format).expect("render");
        assert!(!bytes.is_empty(), "{format}");
    }
    let html = html(&report);
    assert!(html.contains("No figures in this period."));
    assert!(!html.contains("<svg"));
    let csv = String::from_utf8(csv(&report).expect("csv")).expect("utf-8");
    assert_eq!(csv.lines().count(), 2, "header and the unavailable section: {csv}");
}

#[test]
fn a_long_report_takes_several_pdf_pages() {
    let mut report = sample();
    report.sections[1].rows = (0..200)
        .map(|i| Row::count(format!("rule-{i}"), "alert_volume", i))
        .collect();
    let text = String::from_utf8_lossy(&pdf(&report)).into_owned();
    let pages = text.matches("/Type /Page").count() - text.matches("/Type /Pages").count();
    assert!(pages >= 2, "{pages} pages");
}

#[test]
fn trends_say_which_way_is_better() {
    let mut r = Row::new("", "mttr", Some(100.0), Unit::Seconds);
    r.previous = Some(200.0);
    assert_eq!(r.trend(), Some(Trend::DownBetter));
    let mut r = Row::new("", "false_positive_rate", Some(0.3), Unit::Ratio);
    r.previous = Some(0.1);
    assert_eq!(r.trend(), Some(Trend::UpWorse));
    let mut r = Row::new("", "sla_resolve", Some(0.9), Unit::Ratio);
    r.previous = Some(0.8);
    assert_eq!(r.trend(), Some(Trend::UpBetter));
    let mut r = Row::count("", "alerts", 10);
    r.previous = Some(10.0);
    assert_eq!(r.trend(), Some(Trend::Flat));
    assert_eq!(Row::count("", "alerts", 1).trend(), None);
}

#[test]
fn file_names_are_safe() {
    let mut report = sample();
    report.tenant = "../evil tenant".into();
    assert_eq!(
        file_name(&report, Format::Pdf),
        "vigil-report-___evil_tenant-2026-11-01-2026-12-01.pdf"
    );
}
