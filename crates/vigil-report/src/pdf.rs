//! The PDF report (pdf-writer): the same sections as the HTML page — headline figures, bars, the
//! trend line, the heatmap and every table row — on A4 pages in the PDF base-14 Helvetica
//! (nothing embedded). Text is encoded as WinAnsi; characters it lacks become `?` (arrows are
//! spelled `^`, `v`, `->`). The writer escapes string delimiters, so log text cannot break out.

use pdf_writer::{Content, Finish, Name, Pdf, Rect, Ref, Str, TextStr};

use crate::model::{Chart, Report, Row, Section};
use crate::svg::heat;
use crate::text::{one_line, trend_text, value_text};

const W: f32 = 595.0;
const H: f32 = 842.0;
const MARGIN: f32 = 40.0;
const REGULAR: Name<'static> = Name(b"F1");
const BOLD: Name<'static> = Name(b"F2");

/// `text` in WinAnsiEncoding.
fn win_ansi(text: &str) -> Vec<u8> {
    let mut out = Vec::with_capacity(text.len());
    for c in one_line(text).chars() {
        match c {
            ' '..='~' => out.push(c as u8),
            '\u{a0}'..='\u{ff}' => out.push(c as u32 as u8),
            '→' => out.extend_from_slice(b"->"),
            '↑' => out.push(b'^'),
            '↓' => out.push(b'v'),
            '…' => out.push(0x85),
            '–' => out.push(0x96),
            '—' => out.push(0x97),
            '€' => out.push(0x80),
            _ => out.push(b'?'),
        }
    }
    out
}

/// At most `max` characters (Helvetica is about half an em wide per character).
fn fit(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        return text.to_owned();
    }
    let mut s: String = text.chars().take(max.saturating_sub(1)).collect();
    s.push('…');
    s
}

fn hex_rgb(hex: &str) -> (f32, f32, f32) {
    let c = |i: usize| u8::from_str_radix(hex.get(i..i + 2).unwrap_or("cc"), 16).unwrap_or(204) as f32 / 255.0;
    (c(1), c(3), c(5))
}

/// Pages being written, top to bottom.
struct Pages {
    done: Vec<Content>,
    page: Content,
    y: f32,
}

impl Pages {
    fn new() -> Pages {
        Pages {
            done: Vec::new(),
            page: Content::new(),
            y: H - MARGIN,
        }
    }

    /// Room for `h` points, else a new page.
    fn need(&mut self, h: f32) {
        if self.y - h < MARGIN {
            let full = std::mem::replace(&mut self.page, Content::new());
            self.done.push(full);
            self.y = H - MARGIN;
        }
    }

    fn text(&mut self, x: f32, size: f32, font: Name<'static>, text: &str) {
        let bytes = win_ansi(text);
        self.page.set_fill_rgb(0.1, 0.1, 0.1);
        self.page.begin_text();
        self.page.set_font(font, size);
        self.page.next_line(x, self.y - size);
        self.page.show(Str(&bytes));
        self.page.end_text();
    }

    /// A line of text that advances the cursor.
    fn line(&mut self, size: f32, font: Name<'static>, text: &str) {
        self.need(size + 4.0);
        self.text(MARGIN, size, font, text);
        self.y -= size + 4.0;
    }

    /// Text wrapped at about `chars` per line.
    fn paragraph(&mut self, size: f32, text: &str, chars: usize) {
        let mut current = String::new();
        for word in text.split_whitespace() {
            if !current.is_empty() && current.len() + word.len() + 1 > chars {
                self.line(size, REGULAR, &current);
                current.clear();
            }
            if !current.is_empty() {
                current.push(' ');
            }
            current.push_str(word);
        }
        if !current.is_empty() {
            self.line(size, REGULAR, &current);
        }
    }

    fn rect(&mut self, x: f32, y: f32, w: f32, h: f32, rgb: (f32, f32, f32)) {
        self.page.set_fill_rgb(rgb.0, rgb.1, rgb.2);
        self.page.rect(x, y, w, h);
        self.page.fill_nonzero();
    }

    fn finish(mut self) -> Vec<Content> {
        self.done.push(self.page);
        self.done
    }
}

fn bars(p: &mut Pages, rows: &[Row]) {
    let rows: Vec<&Row> = crate::svg::charted(rows, false)
        .into_iter()
        .filter(|r| r.value.is_some())
        .take(25)
        .collect();
    let top = rows
        .iter()
        .filter_map(|r| r.value)
        .fold(0.0_f64, f64::max)
        .max(f64::MIN_POSITIVE);
    for r in rows {
        p.need(13.0);
        let label = if r.group.is_empty() {
            r.metric.clone()
        } else {
            format!("{} · {}", r.group, r.metric)
        };
        p.text(MARGIN, 8.0, REGULAR, &fit(&label, 48));
        let len = ((r.value.unwrap_or(0.0).max(0.0) / top) as f32 * 230.0).max(1.0);
        p.rect(MARGIN + 210.0, p.y - 9.0, len, 8.0, (0.17, 0.34, 0.59));
        p.text(MARGIN + 215.0 + len, 8.0, REGULAR, &value_text(r));
        p.y -= 12.0;
    }
    p.y -= 6.0;
}

fn trend(p: &mut Pages, rows: &[Row]) {
    let rows: Vec<Row> = crate::svg::charted(rows, true).into_iter().cloned().collect();
    let rows = rows.as_slice();
    if rows.is_empty() {
        return;
    }
    let (w, h) = (440.0_f32, 100.0_f32);
    p.need(h + 20.0);
    let top = rows.iter().filter_map(|r| r.value).fold(0.0_f64, f64::max).max(1.0);
    let (x0, y0) = (MARGIN + 40.0, p.y - h);
    p.page.set_stroke_rgb(0.6, 0.6, 0.6);
    p.page.set_line_width(0.5);
    p.page.move_to(x0, y0).line_to(x0 + w, y0).stroke();
    p.page.move_to(x0, y0).line_to(x0, y0 + h).stroke();
    let step = if rows.len() > 1 {
        w / (rows.len() - 1) as f32
    } else {
        0.0
    };
    p.page.set_stroke_rgb(0.17, 0.34, 0.59);
    p.page.set_line_width(1.5);
    let mut first = true;
    for (i, r) in rows.iter().enumerate() {
        let Some(v) = r.value else { continue };
        let (x, y) = (x0 + step * i as f32, y0 + (v / top) as f32 * h);
        if first {
            p.page.move_to(x, y);
            first = false;
        } else {
            p.page.line_to(x, y);
        }
    }
    if !first {
        p.page.stroke();
    }
    let y_top = p.y;
    p.text(MARGIN, 7.0, REGULAR, &crate::text::number_text(Some(top), rows[0].unit));
    p.y = y0 + 7.0;
    p.text(MARGIN + 30.0, 7.0, REGULAR, "0");
    p.y = y0 - 2.0;
    if let (Some(a), Some(b)) = (rows.first(), rows.last()) {
        p.text(x0, 7.0, REGULAR, &a.group);
        p.text(x0 + w - 40.0, 7.0, REGULAR, &b.group);
    }
    p.y = y_top - h - 16.0;
}

fn heatmap(p: &mut Pages, rows: &[Row]) {
    let mut groups: Vec<(&str, Vec<&Row>)> = Vec::new();
    for r in rows {
        match groups.iter_mut().find(|(g, _)| *g == r.group) {
            Some((_, list)) => list.push(r),
            None => groups.push((&r.group, vec![r])),
        }
    }
    for (group, list) in groups {
        for chunk in list.chunks(36) {
            p.need(11.0);
            p.text(MARGIN, 7.0, REGULAR, &fit(group, 30));
            for (i, r) in chunk.iter().enumerate() {
                p.rect(
                    MARGIN + 130.0 + i as f32 * 10.0,
                    p.y - 9.0,
                    9.0,
                    9.0,
                    hex_rgb(&heat(r.value)),
                );
            }
            p.y -= 11.0;
        }
    }
    p.y -= 6.0;
}

fn table(p: &mut Pages, rows: &[Row]) {
    let cols: [(f32, &str); 5] = [
        (0.0, "group"),
        (170.0, "metric"),
        (300.0, "value"),
        (380.0, "n"),
        (420.0, "vs previous"),
    ];
    p.need(12.0);
    for (x, name) in cols {
        p.text(MARGIN + x, 8.0, BOLD, name);
    }
    p.y -= 11.0;
    for r in rows {
        p.need(11.0);
        let group = if r.group.is_empty() { "(all)" } else { &r.group };
        let n = r.n.map_or_else(String::new, |n| n.to_string());
        let cells = [fit(group, 38), fit(&r.metric, 28), value_text(r), n, trend_text(r)];
        for ((x, _), text) in cols.iter().zip(cells) {
            p.text(MARGIN + x, 8.0, REGULAR, &text);
        }
        p.y -= 10.0;
        if let Some(f) = &r.formula
            && r.group.is_empty()
        {
            p.need(10.0);
            p.text(MARGIN + 170.0, 6.5, REGULAR, &fit(f, 120));
            p.y -= 9.0;
        }
    }
}

fn section(p: &mut Pages, s: &Section) {
    p.y -= 8.0;
    p.need(40.0);
    p.line(13.0, BOLD, &s.title);
    p.paragraph(8.5, &s.description, 110);
    if let Some(why) = &s.unavailable {
        p.paragraph(9.0, &format!("Not available: {why}"), 100);
        return;
    }
    if s.rows.is_empty() {
        p.line(9.0, REGULAR, "No figures in this period.");
        return;
    }
    p.y -= 4.0;
    match s.chart {
        Chart::Bars => bars(p, &s.rows),
        Chart::Trend => trend(p, &s.rows),
        Chart::Heatmap => heatmap(p, &s.rows),
        Chart::None => {}
    }
    if s.chart != Chart::Heatmap {
        table(p, &s.rows);
    }
}

/// `report` as PDF bytes.
pub fn pdf(report: &Report) -> Vec<u8> {
    let day = |t: jiff::Timestamp| t.strftime("%Y-%m-%d %H:%M UTC").to_string();
    let mut p = Pages::new();
    p.line(18.0, BOLD, &report.title);
    p.line(
        9.0,
        REGULAR,
        &format!(
            "Tenant {} · period {} -> {} · compared with {} -> {} · generated {}",
            report.tenant,
            day(report.from),
            day(report.to),
            day(report.previous_from),
            day(report.from),
            day(report.generated)
        ),
    );
    for s in &report.sections {
        section(&mut p, s);
    }
    let pages = p.finish();

    let catalog = Ref::new(1);
    let tree = Ref::new(2);
    let regular = Ref::new(3);
    let bold = Ref::new(4);
    let info = Ref::new(5);
    let first = 6;
    let page_ids: Vec<Ref> = (0..pages.len()).map(|i| Ref::new(first + 2 * i as i32)).collect();
    let mut pdf = Pdf::new();
    pdf.catalog(catalog).pages(tree);
    pdf.pages(tree).kids(page_ids.iter().copied()).count(pages.len() as i32);
    pdf.type1_font(regular)
        .base_font(Name(b"Helvetica"))
        .encoding_predefined(Name(b"WinAnsiEncoding"));
    pdf.type1_font(bold)
        .base_font(Name(b"Helvetica-Bold"))
        .encoding_predefined(Name(b"WinAnsiEncoding"));
    pdf.document_info(info)
        .title(TextStr(&one_line(&report.title)))
        .producer(TextStr("Vigil"));
    for (content, id) in pages.into_iter().zip(&page_ids) {
        let content_id = Ref::new(id.get() + 1);
        let mut page = pdf.page(*id);
        page.media_box(Rect::new(0.0, 0.0, W, H));
        page.parent(tree);
        page.contents(content_id);
        page.resources().fonts().pair(REGULAR, regular).pair(BOLD, bold);
        page.finish();
        pdf.stream(content_id, &content.finish());
    }
    pdf.finish()
}
