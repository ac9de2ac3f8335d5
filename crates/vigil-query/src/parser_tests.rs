use std::net::IpAddr;
use std::ops::Bound;

use super::parse;
use crate::{MAX_DEPTH, MAX_INPUT_BYTES, Query};

fn term(field: &str, value: &str) -> Query {
    Query::Term {
        field: Some(field.into()),
        value: value.into(),
    }
}

fn bare(value: &str) -> Query {
    Query::Term {
        field: None,
        value: value.into(),
    }
}

fn wild(field: Option<&str>, pattern: &str) -> Query {
    Query::Wildcard {
        field: field.map(Into::into),
        pattern: pattern.into(),
    }
}

fn range(field: &str, lower: Bound<&str>, upper: Bound<&str>) -> Query {
    Query::Range {
        field: field.into(),
        lower: lower.map(Into::into),
        upper: upper.map(Into::into),
    }
}

fn not(q: Query) -> Query {
    Query::Not(Box::new(q))
}

fn ok(input: &str) -> Query {
    let q = parse(input).unwrap_or_else(|e| panic!("{input:?}: {e}"));
    // Every parsed query survives its canonical form.
    let canon = q.to_string();
    assert_eq!(parse(&canon).as_ref(), Ok(&q), "canonical form {canon:?} of {input:?}");
    q
}

fn err_at(input: &str) -> (usize, String) {
    let e = parse(input).expect_err(input);
    (e.position, e.message)
}

#[test]
fn match_all() {
    assert_eq!(ok(""), Query::All);
    assert_eq!(ok("   \t"), Query::All);
    assert_eq!(ok("*"), Query::All);
}

#[test]
fn terms_fields_and_bare_values() {
    assert_eq!(ok("user:admin"), term("user", "admin"));
    assert_eq!(ok("admin"), bare("admin"));
    assert_eq!(
        ok("process.executable:/usr/bin/sh"),
        term("process.executable", "/usr/bin/sh")
    );
    assert_eq!(ok("@timestamp:x"), term("@timestamp", "x"));
    assert_eq!(ok("Event.System.EventID:4688"), term("Event.System.EventID", "4688"));
    assert_eq!(ok("host-name:a_b"), term("host-name", "a_b"));
    // Colons after the field's colon belong to the value.
    assert_eq!(ok("ip:2001:db8::1"), term("ip", "2001:db8::1"));
    assert_eq!(ok("url:http://x/y"), term("url", "http://x/y"));
}

#[test]
fn escapes() {
    assert_eq!(ok(r"Image:C\:\\Windows\\cmd.exe"), term("Image", r"C:\Windows\cmd.exe"));
    assert_eq!(ok(r"C\:\\x"), bare(r"C:\x"));
    assert_eq!(ok(r"name:a\ b"), term("name", "a b"));
    assert_eq!(ok(r"f:a\*b"), term("f", "a*b"));
    assert_eq!(ok(r"\and"), bare("and"));
    assert_eq!(ok(r"\-x"), bare("-x"));
    assert_eq!(ok(r#"f:\"q\""#), term("f", "\"q\""));
    // An escaped slash keeps a network-looking value a plain term.
    assert_eq!(ok(r"f:10.0.0.0\/8"), term("f", "10.0.0.0/8"));
    let (pos, msg) = err_at(r"abc\");
    assert_eq!(pos, 3);
    assert!(msg.contains("backslash"), "{msg}");
}

#[test]
fn phrases() {
    assert_eq!(
        ok(r#""a b""#),
        Query::Phrase {
            field: None,
            text: "a b".into()
        }
    );
    assert_eq!(
        ok(r#"CommandLine:"whoami /all""#),
        Query::Phrase {
            field: Some("CommandLine".into()),
            text: "whoami /all".into()
        }
    );
    assert_eq!(
        ok(r#"f:"say \"hi\" \\ ok""#),
        Query::Phrase {
            field: Some("f".into()),
            text: r#"say "hi" \ ok"#.into()
        }
    );
    assert_eq!(
        ok(r#"f:"""#),
        Query::Phrase {
            field: Some("f".into()),
            text: String::new()
        }
    );
    assert_eq!(err_at(r#"a "open"#).0, 2);
}

#[test]
fn wildcards() {
    assert_eq!(
        ok(r"Image:*\\powershell.exe"),
        wild(Some("Image"), r"*\\powershell.exe")
    );
    assert_eq!(ok("user:adm*"), wild(Some("user"), "adm*"));
    assert_eq!(ok("a?c"), wild(None, "a?c"));
    assert_eq!(ok(r"f:a\?b*"), wild(Some("f"), r"a\?b*"));
    assert_eq!(ok("f:**"), wild(Some("f"), "**"));
}

#[test]
fn ranges_and_comparisons() {
    use Bound::*;
    assert_eq!(ok("n:[1 TO 5]"), range("n", Included("1"), Included("5")));
    assert_eq!(ok("n:{1 TO 5}"), range("n", Excluded("1"), Excluded("5")));
    assert_eq!(ok("n:[1 to 5}"), range("n", Included("1"), Excluded("5")));
    assert_eq!(ok("n:{1 TO 5]"), range("n", Excluded("1"), Included("5")));
    assert_eq!(ok("n:[* TO 5]"), range("n", Unbounded, Included("5")));
    assert_eq!(ok("n:[ 1 TO * ]"), range("n", Included("1"), Unbounded));
    assert_eq!(
        ok(r#"@timestamp:["2024-01-01 10:00" TO 2024-01-02T00:00:00Z]"#),
        range(
            "@timestamp",
            Included("2024-01-01 10:00"),
            Included("2024-01-02T00:00:00Z")
        )
    );
    assert_eq!(ok("n:>=5"), range("n", Included("5"), Unbounded));
    assert_eq!(ok("n:>5"), range("n", Excluded("5"), Unbounded));
    assert_eq!(ok("n:<10"), range("n", Unbounded, Excluded("10")));
    assert_eq!(ok("n:<=10"), range("n", Unbounded, Included("10")));
    assert_eq!(ok("name:>x"), range("name", Excluded("x"), Unbounded));
    assert_eq!(ok("n:>-1.5"), range("n", Excluded("-1.5"), Unbounded));
    assert!(err_at("n:[1 5]").1.contains("TO"));
    assert!(err_at("n:[1 TO 5").1.contains("closing"));
    assert!(err_at("[1 TO 5]").1.contains("needs a field"));
    assert!(err_at("<script>").1.contains("needs a field"));
    assert!(err_at("n:>").1.contains("expected a value"));
}

#[test]
fn cidr() {
    let v4: IpAddr = "10.0.0.0".parse().unwrap();
    let v6: IpAddr = "2001:db8::".parse().unwrap();
    assert_eq!(
        ok("src_ip:10.0.0.0/8"),
        Query::Cidr {
            field: "src_ip".into(),
            network: (v4, 8)
        }
    );
    assert_eq!(
        ok("ip:2001:db8::/32"),
        Query::Cidr {
            field: "ip".into(),
            network: (v6, 32)
        }
    );
    // Written as a network but not one: an error naming it, never a search for the text (which
    // would find nothing). Escaped, it is the text.
    let (at, message) = err_at("a:1 AND ip:10.0.0.0/33");
    assert_eq!(at, 11);
    assert!(
        message.contains("`10.0.0.0/33` is not a valid network: the prefix of an IPv4 address is at most /32"),
        "{message}"
    );
    assert!(
        err_at("ip:10.0.0.300/8")
            .1
            .contains("`10.0.0.300` is not an IP address")
    );
    assert!(err_at("ip:2001:db8::/129").1.contains("at most /128"));
    assert!(err_at("ip:(10.0.0.0/40)").1.contains("not a valid network"));
    assert_eq!(ok("ip:10.0.0.0\\/33"), term("ip", "10.0.0.0/33"));
    assert_eq!(
        ok("ip:\"10.0.0.0/33\""),
        Query::Phrase {
            field: Some("ip".into()),
            text: "10.0.0.0/33".into()
        }
    );
    // Not written like a network: text.
    assert_eq!(ok("path:usr/8"), term("path", "usr/8"));
    assert_eq!(ok("version:1.2/3"), term("version", "1.2/3"));
    // Without a field it is just text.
    assert_eq!(ok("10.0.0.0/8"), bare("10.0.0.0/8"));
}

#[test]
fn existence() {
    let e = Query::Exists { field: "user".into() };
    assert_eq!(ok("user:*"), e);
    assert_eq!(ok("_exists_:user"), e);
    assert_eq!(ok("f:(*)"), Query::Exists { field: "f".into() });
    assert!(err_at("_exists_:").1.contains("field name"));
    assert!(err_at("_exists_:a*").1.contains("field name"));
}

#[test]
fn booleans_and_precedence() {
    let (a, b, c) = (bare("a"), bare("b"), bare("c"));
    assert_eq!(ok("a AND b"), Query::And(vec![a.clone(), b.clone()]));
    assert_eq!(ok("a b"), Query::And(vec![a.clone(), b.clone()]));
    assert_eq!(ok("a and b or c"), ok("(a AND b) OR c"));
    assert_eq!(
        ok("a OR b c"),
        Query::Or(vec![a.clone(), Query::And(vec![b.clone(), c.clone()])])
    );
    assert_eq!(ok("NOT a OR b"), Query::Or(vec![not(a.clone()), b.clone()]));
    assert_eq!(ok("a -b +c"), Query::And(vec![a.clone(), not(b.clone()), c.clone()]));
    assert_eq!(ok("not not a"), not(not(a.clone())));
    assert_eq!(ok("NOT(a)"), not(a.clone()));
    assert_eq!(ok("a OR b OR c"), Query::Or(vec![a.clone(), b.clone(), c.clone()]));
    assert_eq!(
        ok("(a OR b) AND c"),
        Query::And(vec![Query::Or(vec![a.clone(), b.clone()]), c.clone()])
    );
    // Keywords need a word boundary.
    assert_eq!(ok("ANDROID"), bare("ANDROID"));
    assert_eq!(ok("NOT:x"), term("NOT", "x"));
    assert_eq!(ok("f:and"), term("f", "and"));
}

#[test]
fn field_groups() {
    assert_eq!(
        ok("user:(alice OR bob*)"),
        Query::Or(vec![term("user", "alice"), wild(Some("user"), "bob*")])
    );
    assert_eq!(
        ok(r#"f:(a -"x y" g:z)"#),
        Query::And(vec![
            term("f", "a"),
            not(Query::Phrase {
                field: Some("f".into()),
                text: "x y".into()
            }),
            term("g", "z"),
        ])
    );
    assert_eq!(
        ok("n:(>5 OR [1 TO 2])"),
        Query::Or(vec![
            range("n", Bound::Excluded("5"), Bound::Unbounded),
            range("n", Bound::Included("1"), Bound::Included("2")),
        ])
    );
}

#[test]
fn syntax_errors_carry_positions() {
    assert_eq!(err_at("a AND"), (2, "AND needs a term on both sides".into()));
    assert_eq!(err_at("OR a").0, 0);
    assert_eq!(err_at("a OR OR b").0, 2);
    assert_eq!(err_at("NOT").0, 0);
    assert_eq!(err_at("a )").0, 2);
    assert_eq!(err_at("(a").0, 0);
    assert_eq!(err_at("( )").0, 0);
    assert_eq!(err_at("user: x").0, 5);
    assert_eq!(err_at("a - b").0, 2);
    // Positions count characters, not bytes.
    assert_eq!(err_at("é ü (").0, 4);
    let e = parse("f:(x").expect_err("unclosed");
    assert_eq!(e.to_string(), "at column 3: missing ')' to close this '('");
}

#[test]
fn limits() {
    let deep = format!("{}a{}", "(".repeat(MAX_DEPTH), ")".repeat(MAX_DEPTH));
    assert!(parse(&deep).is_ok());
    let too_deep = format!("{}a{}", "(".repeat(MAX_DEPTH + 1), ")".repeat(MAX_DEPTH + 1));
    assert!(err_at(&too_deep).1.contains("nested too deeply"));
    assert!(parse(&"NOT ".repeat(100_000)[..60_000]).is_err());
    assert!(parse(&"-".repeat(MAX_INPUT_BYTES)).is_err());
    let long = "a ".repeat(MAX_INPUT_BYTES / 2 + 1);
    assert!(err_at(&long).1.contains("limit"));
    // Wide is fine: AND/OR lists are not recursive.
    let wide = "a OR ".repeat(5000) + "a";
    assert!(matches!(parse(&wide), Ok(Query::Or(v)) if v.len() == 5001));
}
