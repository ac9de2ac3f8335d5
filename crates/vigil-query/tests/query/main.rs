//! Property tests for the query grammar: no input panics, and every AST survives its canonical form.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::ops::Bound;

use proptest::prelude::*;
use vigil_query::{MAX_DEPTH, PatternPart, Query, parse, pattern_parts};

fn field() -> impl Strategy<Value = String> {
    "[A-Za-z@_][A-Za-z0-9._@-]{0,12}".prop_filter("reserved", |f| f != "_exists_")
}

fn opt_field() -> impl Strategy<Value = Option<String>> {
    prop::option::of(field())
}

/// Any text, with the characters and words the grammar cares about over-represented.
fn text(min: usize) -> BoxedStrategy<String> {
    let words = prop::sample::select(vec![
        "and",
        "OR",
        "Not",
        "to",
        "TO",
        "*",
        "?",
        "-x",
        "+y",
        "a:b",
        "10.0.0.0/8",
        "::1/128",
        "_exists_",
        "[a",
        "<5",
        "(",
    ])
    .prop_map(str::to_owned);
    prop_oneof![4 => chars(min), 1 => words].boxed()
}

fn chars(min: usize) -> impl Strategy<Value = String> {
    let ch = prop_oneof![
        4 => any::<char>(),
        4 => prop::sample::select(vec![
            ' ', '\\', '"', '(', ')', ':', '*', '?', '[', ']', '{', '}', '<', '>', '=', '-', '+', '/', '.', '\t', 'a',
            'n', 'd', 'o', 'r', 't', 'T', 'O', '0', '1', '\u{a0}',
        ]),
    ];
    prop::collection::vec(ch, min..12).prop_map(|v| v.into_iter().collect())
}

fn pattern() -> impl Strategy<Value = String> {
    let part = prop_oneof![
        3 => any::<char>().prop_map(PatternPart::Char),
        2 => prop::sample::select(vec!['\\', '*', '?', ' ', ':', '(', '-', '"']).prop_map(PatternPart::Char),
        1 => Just(PatternPart::AnyString),
        1 => Just(PatternPart::AnyChar),
    ];
    prop::collection::vec(part, 1..10)
        .prop_filter("needs a wildcard, and a lone * means something else", |parts| {
            parts.iter().any(|p| !matches!(p, PatternPart::Char(_))) && parts.as_slice() != [PatternPart::AnyString]
        })
        .prop_map(|parts| {
            let mut s = String::new();
            for p in parts {
                match p {
                    PatternPart::Char(c) => {
                        if matches!(c, '*' | '?' | '\\') {
                            s.push('\\');
                        }
                        s.push(c);
                    }
                    PatternPart::AnyString => s.push('*'),
                    PatternPart::AnyChar => s.push('?'),
                }
            }
            s
        })
}

fn bound() -> impl Strategy<Value = Bound<String>> {
    prop_oneof![
        Just(Bound::Unbounded),
        text(0).prop_map(Bound::Included),
        text(0).prop_map(Bound::Excluded),
    ]
}

fn network() -> impl Strategy<Value = (IpAddr, u8)> {
    prop_oneof![
        (any::<u32>(), 0u8..=32).prop_map(|(a, p)| (IpAddr::V4(Ipv4Addr::from(a)), p)),
        (any::<u128>(), 0u8..=128).prop_map(|(a, p)| (IpAddr::V6(Ipv6Addr::from(a)), p)),
    ]
}

fn leaf() -> impl Strategy<Value = Query> {
    prop_oneof![
        Just(Query::All),
        (opt_field(), text(1)).prop_map(|(field, value)| Query::Term { field, value }),
        (opt_field(), text(0)).prop_map(|(field, text)| Query::Phrase { field, text }),
        (opt_field(), pattern()).prop_map(|(field, pattern)| Query::Wildcard { field, pattern }),
        (field(), bound(), bound()).prop_map(|(field, lower, upper)| Query::Range { field, lower, upper }),
        (field(), network()).prop_map(|(field, network)| Query::Cidr { field, network }),
        field().prop_map(|field| Query::Exists { field }),
    ]
}

fn query() -> impl Strategy<Value = Query> {
    leaf().prop_recursive(6, 48, 4, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 2..4).prop_map(Query::And),
            prop::collection::vec(inner.clone(), 2..4).prop_map(Query::Or),
            inner.prop_map(|q| Query::Not(Box::new(q))),
        ]
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    #[test]
    fn ast_round_trips_through_display(q in query()) {
        let text = q.to_string();
        let back = parse(&text);
        prop_assert_eq!(back, Ok(q), "canonical form: {}", text);
    }

    #[test]
    fn arbitrary_text_never_panics(s in text(0).prop_flat_map(|a| text(0).prop_map(move |b| format!("{a}{b}")))) {
        if let Ok(q) = parse(&s) {
            // Whatever parses also survives its canonical form.
            let canon = q.to_string();
            let back = parse(&canon);
            prop_assert_eq!(back, Ok(q), "input {:?} canonical {:?}", s, canon);
        } else if let Err(e) = parse(&s) {
            prop_assert!(e.position <= s.chars().count(), "position {} past the end of {:?}", e.position, s);
        }
    }

    #[test]
    fn any_string_never_panics(s in "\\PC*") {
        let _ = parse(&s);
    }

    #[test]
    fn pattern_parts_reads_what_display_writes(p in pattern()) {
        let parts = pattern_parts(&p);
        prop_assert!(parts.iter().any(|x| !matches!(x, PatternPart::Char(_))));
    }
}

#[test]
fn deep_nesting_is_an_error_not_a_crash() {
    for opener in ["(", "NOT ", "-", "+", "f:("] {
        let q = opener.repeat(MAX_DEPTH * 100);
        let err = parse(&q).expect_err(opener);
        assert!(err.message.contains("nested too deeply"), "{opener}: {err}");
    }
}

#[test]
fn canonical_form_examples() {
    for (input, canon) in [
        ("a b OR c", "a AND b OR c"),
        ("a OR b c", "a OR b AND c"),
        ("(a OR b) c", "(a OR b) AND c"),
        ("-a", "NOT a"),
        ("n:>=5", "n:[5 TO *]"),
        ("user:(a OR b)", "user:a OR user:b"),
        ("f:*", "_exists_:f"),
        (r"\and", r"\and"),
        (r"f:10.0.0.1\/8", r"f:10.0.0.1\/8"),
        ("ip:2001:db8::/32", "ip:2001:db8::/32"),
        (r#"f:"a \"b\"""#, r#"f:"a \"b\"""#),
    ] {
        assert_eq!(parse(input).expect(input).to_string(), canon, "{input}");
    }
}
