//! Inline SVG charts, drawn here (no library, no script): bars, a trend line and a coverage
//! heatmap. Every label goes through [`esc`].

use std::fmt::Write as _;

use crate::model::Row;
use crate::text::{number_text, value_text};

/// HTML/XML escaping of text (also for attribute values).
pub fn esc(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c if c.is_control() => out.push(' '),
            c => out.push(c),
        }
    }
    out
}

/// At most this many characters of a label.
fn short(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        return text.to_owned();
    }
    let mut s: String = text.chars().take(max - 1).collect();
    s.push('…');
    s
}

fn label(r: &Row) -> String {
    match (r.group.is_empty(), r.metric.is_empty()) {
        (true, _) => r.metric.clone(),
        (false, true) => r.group.clone(),
        (false, false) => format!("{} · {}", r.group, r.metric),
    }
}

/// The rows a chart draws: bars take the rows of the first valued row's unit (a table that lists
/// volumes beside ratios charts the volumes), a trend line those of its metric too.
pub fn charted(rows: &[Row], same_metric: bool) -> Vec<&Row> {
    let Some(first) = rows.iter().find(|r| r.value.is_some()) else {
        return Vec::new();
    };
    rows.iter()
        .filter(|r| r.unit == first.unit && (!same_metric || r.metric == first.metric))
        .collect()
}

/// Horizontal bars, one per row with a value (at most `max_bars`).
pub fn bars(rows: &[Row], max_bars: usize) -> String {
    let rows: Vec<&Row> = charted(rows, false)
        .into_iter()
        .filter(|r| r.value.is_some())
        .take(max_bars)
        .collect();
    if rows.is_empty() {
        return String::new();
    }
    let top = rows
        .iter()
        .filter_map(|r| r.value)
        .fold(0.0_f64, f64::max)
        .max(f64::MIN_POSITIVE);
    let (w, lh, lw, bw) = (680.0, 20.0, 260.0, 330.0);
    let h = lh * rows.len() as f64 + 4.0;
    let mut out = format!("<svg class=\"chart\" role=\"img\" width=\"{w}\" height=\"{h}\" viewBox=\"0 0 {w} {h}\">");
    for (i, r) in rows.iter().enumerate() {
        let y = i as f64 * lh + 2.0;
        let v = r.value.unwrap_or(0.0).max(0.0);
        let len = (v / top * bw).max(1.0);
        let name = label(r);
        let _ = write!(
            out,
            "<g><title>{}: {}</title><text x=\"{}\" y=\"{}\" text-anchor=\"end\" class=\"lbl\">{}</text>\
             <rect x=\"{}\" y=\"{}\" width=\"{len:.1}\" height=\"{}\" class=\"bar\"/>\
             <text x=\"{}\" y=\"{}\" class=\"val\">{}</text></g>",
            esc(&name),
            esc(&value_text(r)),
            lw - 6.0,
            y + 13.0,
            esc(&short(&name, 40)),
            lw,
            y + 2.0,
            lh - 6.0,
            lw + len + 4.0,
            y + 13.0,
            esc(&value_text(r)),
        );
    }
    out.push_str("</svg>");
    out
}

/// A line over the rows in order (`group` labels the x axis).
pub fn trend(rows: &[Row]) -> String {
    let rows: Vec<Row> = charted(rows, true).into_iter().cloned().collect();
    let rows = rows.as_slice();
    if rows.is_empty() {
        return String::new();
    }
    let (w, h, left, bottom, top_pad) = (680.0, 200.0, 60.0, 40.0, 14.0);
    let top = rows.iter().filter_map(|r| r.value).fold(0.0_f64, f64::max).max(1.0);
    let plot_w = w - left - 50.0;
    let plot_h = h - bottom - top_pad;
    let step = if rows.len() > 1 {
        plot_w / (rows.len() - 1) as f64
    } else {
        0.0
    };
    let x = |i: usize| left + step * i as f64 + if rows.len() == 1 { plot_w / 2.0 } else { 0.0 };
    let y = |v: f64| top_pad + plot_h - v / top * plot_h;
    let unit = rows[0].unit;
    let mut out = format!(
        "<svg class=\"chart\" role=\"img\" width=\"{w}\" height=\"{h}\" viewBox=\"0 0 {w} {h}\">\
         <line x1=\"{left}\" y1=\"{}\" x2=\"{}\" y2=\"{}\" class=\"axis\"/>\
         <line x1=\"{left}\" y1=\"{top_pad}\" x2=\"{left}\" y2=\"{}\" class=\"axis\"/>\
         <text x=\"{}\" y=\"{}\" text-anchor=\"end\" class=\"lbl\">{}</text>\
         <text x=\"{}\" y=\"{}\" text-anchor=\"end\" class=\"lbl\">0</text>",
        top_pad + plot_h,
        left + plot_w,
        top_pad + plot_h,
        top_pad + plot_h,
        left - 4.0,
        top_pad + 4.0,
        esc(&number_text(Some(top), unit)),
        left - 4.0,
        top_pad + plot_h,
    );
    let points: Vec<String> = rows
        .iter()
        .enumerate()
        .filter_map(|(i, r)| r.value.map(|v| format!("{:.1},{:.1}", x(i), y(v))))
        .collect();
    let _ = write!(out, "<polyline points=\"{}\" class=\"line\"/>", points.join(" "));
    let every = rows.len().div_ceil(8).max(1);
    for (i, r) in rows.iter().enumerate() {
        if let Some(v) = r.value {
            let _ = write!(
                out,
                "<circle cx=\"{:.1}\" cy=\"{:.1}\" r=\"3\" class=\"dot\"><title>{}: {}</title></circle>",
                x(i),
                y(v),
                esc(&r.group),
                esc(&value_text(r))
            );
        }
        if i % every == 0 {
            let _ = write!(
                out,
                "<text x=\"{:.1}\" y=\"{}\" text-anchor=\"middle\" class=\"lbl\">{}</text>",
                x(i),
                h - bottom + 16.0,
                esc(&short(&r.group, 12))
            );
        }
    }
    out.push_str("</svg>");
    out
}

/// The heatmap colour of a value from 0 (red) through amber to 1 (green); grey without one.
pub fn heat(value: Option<f64>) -> String {
    let Some(v) = value else {
        return "#d0d0d0".to_owned();
    };
    let v = v.clamp(0.0, 1.0);
    let (r, g) = if v < 0.5 {
        (220.0, 60.0 + v * 2.0 * 140.0)
    } else {
        (220.0 - (v - 0.5) * 2.0 * 170.0, 200.0)
    };
    format!("#{:02x}{:02x}50", r as u8, g as u8)
}

/// One line of cells per `group` (a tactic), in first-seen order; a cell per row (a technique).
pub fn heatmap(rows: &[Row]) -> String {
    let mut groups: Vec<(&str, Vec<&Row>)> = Vec::new();
    for r in rows {
        match groups.iter_mut().find(|(g, _)| *g == r.group) {
            Some((_, list)) => list.push(r),
            None => groups.push((&r.group, vec![r])),
        }
    }
    if groups.is_empty() {
        return String::new();
    }
    let (cell, gap, lw, per_line) = (14.0, 2.0, 180.0, 30usize);
    let lines: Vec<usize> = groups.iter().map(|(_, l)| l.len().div_ceil(per_line).max(1)).collect();
    let h = lines.iter().sum::<usize>() as f64 * (cell + gap) + 4.0;
    let w = lw + per_line as f64 * (cell + gap) + 4.0;
    let mut out = format!("<svg class=\"chart\" role=\"img\" width=\"{w}\" height=\"{h}\" viewBox=\"0 0 {w} {h}\">");
    let mut line = 0usize;
    for ((group, list), n) in groups.iter().zip(&lines) {
        let y0 = line as f64 * (cell + gap) + 2.0;
        let _ = write!(
            out,
            "<text x=\"{}\" y=\"{}\" text-anchor=\"end\" class=\"lbl\">{}</text>",
            lw - 6.0,
            y0 + 11.0,
            esc(&short(group, 28))
        );
        for (i, r) in list.iter().enumerate() {
            let x = lw + (i % per_line) as f64 * (cell + gap);
            let y = y0 + (i / per_line) as f64 * (cell + gap);
            let _ = write!(
                out,
                "<rect x=\"{x}\" y=\"{y}\" width=\"{cell}\" height=\"{cell}\" fill=\"{}\"><title>{} {}: {}</title></rect>",
                heat(r.value),
                esc(group),
                esc(&r.metric),
                esc(&value_text(r))
            );
        }
        line += n;
    }
    out.push_str("</svg>");
    out
}
