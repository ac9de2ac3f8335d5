//! The HTML report: one self-contained page — inline CSS, inline SVG charts, no script, no
//! external URL, no web font — that prints well (A4, sections not split across pages where
//! they fit). Every text is escaped ([`esc`]).

use std::fmt::Write as _;

use crate::model::{Chart, Report, Section};
use crate::svg::{bars, esc, heatmap, trend};
use crate::text::{trend_text, value_text};

const STYLE: &str = "body{font-family:system-ui,-apple-system,'Segoe UI',Roboto,Helvetica,Arial,sans-serif;\
color:#1d1d1f;max-width:62em;margin:2em auto;padding:0 1em;line-height:1.4}\
h1{font-size:1.6em;margin-bottom:.2em}h2{font-size:1.2em;border-bottom:2px solid #2b5797;padding-bottom:.2em;margin-top:1.6em}\
.meta{color:#555}.desc{color:#444;font-size:.92em}.unavailable{background:#f4f4f4;border-left:4px solid #999;padding:.4em .8em}\
table{border-collapse:collapse;width:100%;font-size:.88em;margin-top:.6em}\
td,th{border-bottom:1px solid #ddd;padding:.25em .5em;text-align:left;vertical-align:top}\
th{background:#eef2f8}td.num{text-align:right;white-space:nowrap}td.formula{color:#666;font-size:.9em}\
.cards{display:flex;flex-wrap:wrap;gap:.6em;margin:.8em 0}.card{border:1px solid #ccd;border-radius:6px;padding:.5em .8em;min-width:10em}\
.card .v{font-size:1.4em;font-weight:600}.card .k{color:#555;font-size:.85em}\
.better{color:#1a7f37}.worse{color:#c62828}.neutral{color:#555}\
svg.chart{display:block;margin:.6em 0;max-width:100%;height:auto}svg .lbl{font-size:11px;fill:#333}\
svg .val{font-size:11px;fill:#333}svg .bar{fill:#2b5797}svg .axis{stroke:#999;stroke-width:1}\
svg .line{fill:none;stroke:#2b5797;stroke-width:2}svg .dot{fill:#2b5797}\
@page{size:A4;margin:15mm}@media print{body{margin:0;max-width:none}section{break-inside:avoid}\
h2{break-after:avoid}.cards{break-inside:avoid}}";

/// The page's Content-Security-Policy: nothing may load, only its own inline style (by hash)
/// applies. In the page as a `<meta>` (so a saved file keeps it) and sent by the API as a header
/// with `frame-ancestors 'none'` added.
pub fn content_security_policy() -> String {
    use base64::Engine as _;
    use sha2::Digest as _;
    let hash = base64::engine::general_purpose::STANDARD.encode(sha2::Sha256::digest(STYLE.as_bytes()));
    format!("default-src 'none'; style-src 'sha256-{hash}'; base-uri 'none'; form-action 'none'")
}

fn chart(s: &Section) -> String {
    match s.chart {
        Chart::None => String::new(),
        Chart::Bars => bars(&s.rows, 25),
        Chart::Trend => trend(&s.rows),
        Chart::Heatmap => heatmap(&s.rows),
    }
}

/// The summary's headline cards (rows of the whole tenant), with their trend arrows.
fn cards(s: &Section) -> String {
    let mut out = String::from("<div class=\"cards\">");
    for r in s.rows.iter().filter(|r| r.group.is_empty()) {
        let (arrow, class) = r
            .trend()
            .map_or((String::new(), "neutral"), |t| (format!(" {}", t.arrow()), t.verdict()));
        let _ = write!(
            out,
            "<div class=\"card\"><div class=\"k\">{}</div><div class=\"v\">{}<span class=\"{class}\">{}</span></div>\
             <div class=\"k\">n = {}</div></div>",
            esc(&r.metric),
            esc(&value_text(r)),
            esc(&arrow),
            r.n.map_or_else(|| "-".to_owned(), |n| n.to_string())
        );
    }
    out.push_str("</div>");
    out
}

fn table(s: &Section) -> String {
    let with_previous = s.rows.iter().any(|r| r.previous.is_some());
    let with_formula = s.rows.iter().any(|r| r.formula.is_some());
    let mut out = String::from("<table><tr><th>group</th><th>metric</th><th>value</th><th>n</th>");
    if with_previous {
        out.push_str("<th>vs previous period</th>");
    }
    if with_formula {
        out.push_str("<th>formula</th>");
    }
    out.push_str("</tr>");
    for r in &s.rows {
        let _ = write!(
            out,
            "<tr><td>{}</td><td>{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td>",
            esc(if r.group.is_empty() { "(all)" } else { &r.group }),
            esc(&r.metric),
            esc(&value_text(r)),
            r.n.map_or_else(String::new, |n| n.to_string())
        );
        if with_previous {
            let class = r.trend().map_or("neutral", |t| t.verdict());
            let _ = write!(out, "<td class=\"{class}\">{}</td>", esc(&trend_text(r)));
        }
        if with_formula {
            let _ = write!(
                out,
                "<td class=\"formula\">{}</td>",
                esc(r.formula.as_deref().unwrap_or(""))
            );
        }
        out.push_str("</tr>");
    }
    out.push_str("</table>");
    out
}

fn section(s: &Section) -> String {
    let mut out = format!(
        "<section id=\"{}\"><h2>{}</h2><p class=\"desc\">{}</p>",
        esc(&s.id),
        esc(&s.title),
        esc(&s.description)
    );
    if let Some(why) = &s.unavailable {
        let _ = write!(out, "<p class=\"unavailable\">Not available: {}</p>", esc(why));
    } else if s.rows.is_empty() {
        out.push_str("<p class=\"unavailable\">No figures in this period.</p>");
    } else {
        if s.id == "summary" {
            out.push_str(&cards(s));
        }
        out.push_str(&chart(s));
        // A heatmap's cells are its figures: hovering names them; JSON and CSV list them.
        if s.chart != Chart::Heatmap {
            out.push_str(&table(s));
        }
    }
    out.push_str("</section>");
    out
}

/// `report` as one self-contained HTML page.
pub fn html(report: &Report) -> String {
    let day = |t: jiff::Timestamp| t.strftime("%Y-%m-%d %H:%M UTC").to_string();
    let mut out = format!(
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <meta http-equiv=\"Content-Security-Policy\" content=\"{}\">\
         <title>{}</title><style>{STYLE}</style></head><body><header><h1>{}</h1>\
         <p class=\"meta\">Tenant <strong>{}</strong> · period {} → {} · compared with {} → {} · generated {}</p></header>",
        content_security_policy(),
        esc(&report.title),
        esc(&report.title),
        esc(&report.tenant),
        esc(&day(report.from)),
        esc(&day(report.to)),
        esc(&day(report.previous_from)),
        esc(&day(report.from)),
        esc(&day(report.generated)),
    );
    for s in &report.sections {
        out.push_str(&section(s));
    }
    out.push_str("<footer><p class=\"meta\">Vigil report. Arrows compare each figure with the previous period of the same length; green is better, red is worse.</p></footer></body></html>\n");
    out
}
