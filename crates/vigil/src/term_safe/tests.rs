use serde_json::json;

use super::*;

/// An OSC window-title change, a screen clear, a C1 CSI, a right-to-left override, an isolate,
/// DEL, a zero-width space and a tag character: what a hostile log line may carry.
const HOSTILE: &str = "a\u{1b}]0;pwned\u{7}b\u{1b}[2Jc\u{9b}31md\u{202e}gpj.exe\u{2066}\u{7f}\u{200b}\u{e0041}\r\n\t";

/// No character a terminal would act on, or that hides; line feeds only where `lf_ok`.
fn assert_clean(s: &str, lf_ok: bool) {
    for c in s.chars() {
        assert!(!is_unsafe(c) || (lf_ok && c == '\n'), "{c:?} in {s:?}");
    }
}

#[test]
fn hostile_characters_become_visible_escapes() {
    assert_eq!(
        escape(HOSTILE),
        "a\\x1b]0;pwned\\x07b\\x1b[2Jc\\u{9b}31md\\u{202e}gpj.exe\\u{2066}\\x7f\\u{200b}\\u{e0041}\\x0d\\x0a\\x09"
    );
    assert_eq!(
        text("one\ttwo\u{1b}[2J\r\n"),
        "one\ttwo\\x1b[2J\\x0d\n",
        "text keeps line feeds and tabs only"
    );
    assert_eq!(Esc("x\ny").to_string(), "x\\x0ay");
}

#[test]
fn ordinary_text_is_left_alone() {
    for s in [
        "",
        "C:\\Windows\\System32\\cmd.exe /c whoami",
        "fs03vuln.offsec.lan",
        "Zürich – Ελλάδα – Москва – 東京 – مرحبا – שלום – 👍",
        "literal \\x1b stays",
    ] {
        assert!(matches!(escape(s), Cow::Borrowed(_)), "{s:?} was changed");
        assert!(matches!(csv_cell(s), Cow::Borrowed(_)), "{s:?} was changed");
    }
}

#[test]
fn every_character_renders_safely() {
    for n in 0..=0x10FFFF_u32 {
        let Some(c) = char::from_u32(n) else { continue };
        let s = c.to_string();
        let e = escape(&s);
        assert_clean(&e, false);
        assert_eq!(is_unsafe(c), e != s, "U+{n:04X}");
    }
    let expected_unsafe = [
        '\u{0}',
        '\u{1f}',
        '\u{7f}',
        '\u{80}',
        '\u{9f}',
        '\u{ad}',
        '\u{61c}',
        '\u{200e}',
        '\u{2028}',
        '\u{202a}',
        '\u{2069}',
        '\u{feff}',
        '\u{e007f}',
    ];
    for c in expected_unsafe {
        assert!(is_unsafe(c), "{c:?}");
    }
    for c in [
        ' ', '~', '\u{a0}', '\u{ac}', '\u{ae}', '\u{2027}', '\u{2030}', '\u{fffd}',
    ] {
        assert!(!is_unsafe(c), "{c:?}");
    }
    assert!(INVISIBLE.windows(2).all(|w| w[0].1 < w[1].0), "sorted, disjoint");
    assert!(INVISIBLE.iter().all(|(a, b)| a <= b));
}

#[test]
fn csv_cells_cannot_start_a_formula() {
    assert_eq!(csv_cell("=cmd|' /C calc'!A0"), "'=cmd|' /C calc'!A0");
    assert_eq!(csv_cell("+SUM(1)"), "'+SUM(1)");
    assert_eq!(csv_cell("-2+3"), "'-2+3");
    assert_eq!(csv_cell("@HYPERLINK(\"x\")"), "'@HYPERLINK(\"x\")");
    // Tab and CR are escaped first, so the cell starts with a backslash.
    assert_eq!(csv_cell("\t=1"), "\\x09=1");
    assert_eq!(csv_cell("\r=1"), "\\x0d=1");
    assert_eq!(csv_cell("a=1"), "a=1");
    let mut csv = SafeCsv::new(Vec::new());
    csv.write_row(["=1+1", HOSTILE, "x,y"]).expect("write");
    csv.flush().expect("flush");
    let written = String::from_utf8(csv.writer.into_inner().expect("inner")).expect("utf-8");
    assert!(written.starts_with("'=1+1,"), "{written}");
    assert!(written.ends_with(",\"x,y\"\n"), "{written}");
    assert_clean(&written, true);
}

#[test]
fn tables_escape_header_and_cells() {
    let mut t = SafeTable::new(&["host", HOSTILE]);
    t.add_row([HOSTILE, "ok"]);
    let shown = t.to_string();
    assert_clean(&shown, true);
    assert!(
        shown.contains("\\x1b]0;pwned\\x07") || shown.contains("\\x1b]0;pwne"),
        "{shown}"
    );
}

#[test]
fn json_escapes_what_serde_leaves_and_means_the_same() {
    let value = json!({ "host": HOSTILE, HOSTILE: [HOSTILE, 1, null], "plain": "C:\\x" });
    for shown in [
        json::to_string(&value).expect("json"),
        json::to_string_pretty(&value).expect("json"),
    ] {
        assert_clean(&shown, true);
        assert!(shown.contains("\\u001b]0;pwned\\u0007"), "{shown}");
        assert!(
            shown.contains("\\u009b") && shown.contains("\\u202e") && shown.contains("\\u007f"),
            "{shown}"
        );
        assert!(
            shown.contains("\\udb40\\udc41"),
            "a tag character as a surrogate pair: {shown}"
        );
        let back: serde_json::Value = serde_json::from_str(&shown).expect("valid JSON");
        assert_eq!(back, value);
    }
    assert_eq!(
        json::to_string(&value).expect("json"),
        serde_json::to_string(&value)
            .expect("json")
            .replace('\u{9b}', "\\u009b")
            .replace('\u{202e}', "\\u202e")
            .replace('\u{2066}', "\\u2066")
            .replace('\u{7f}', "\\u007f")
            .replace('\u{200b}', "\\u200b")
            .replace('\u{e0041}', "\\udb40\\udc41"),
        "compact output is serde_json's, with the extra escapes only"
    );
}
