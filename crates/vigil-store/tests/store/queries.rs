//! Every query form against a small, varied data set.

use serde_json::json;
use vigil_store::{EventStore, Scope, SearchRequest, StoreError};

use crate::common::*;

fn dataset() -> (tempfile::TempDir, EventStore) {
    let dir = tempfile::tempdir().unwrap();
    let store = open(dir.path());
    let events = vec![
        event(
            1,
            Some(day0(1)),
            json!({
                "user": "Admin", "EventID": 4688,
                "Image": "C:\\Windows\\System32\\WindowsPowerShell\\v1.0\\powershell.exe",
                "CommandLine": "powershell -enc AAA whoami /all",
                "src_ip": "10.1.2.3", "process.executable": "/usr/bin/bash",
                "Event": {"System": {"EventID": 4688, "Computer": "WS1"}}, "n": 5, "elevated": true
            }),
        ),
        event(
            2,
            Some(day0(2)),
            json!({
                "user": "bob", "EventID": "4624", "Image": "C:\\Windows\\explorer.exe",
                "src_ip": "192.168.1.5", "dst_ip": "2001:db8::1",
                "process": {"executable": "/usr/bin/python3"}, "n": 10.5, "big": 18446744073709551615u64
            }),
        ),
        event(
            3,
            Some(day0(3)),
            json!({"user": "admin", "EventID": 4625, "src_ip": "10.200.0.1", "tags": ["a", "b"], "n": "20", "list": [{"k": "v1"}, {"k": "v2"}]}),
        ),
        event(
            4,
            Some(day0(4)),
            json!({"message": "Hello World from Vigil", "ip": "2001:db9::5", "time": "2020-01-01T00:00:00Z", "mapped": "::ffff:10.9.9.9", "Gerät": {"Name": "Drucker-01"},
                "Hashes": format!("SHA256=658CDA1495E60AF593BD04CF0FD630F1F29D0DA9953F48F1A09F76B5A170B338,MD5=0E9A6B0C3E4F5A6B7C8D9E0F1A2B3C4D,SHA512={}", "Ab".repeat(64))}),
        ),
    ];
    add_all(&store, 1, &events, day0(0));
    (dir, store)
}

fn check(store: &EventStore, cases: &[(&str, u64)]) {
    let mut failures = Vec::new();
    for (q, want) in cases {
        let got = count(store, q);
        if got != *want {
            failures.push(format!("{q:?}: got {got}, want {want}"));
        }
    }
    assert!(failures.is_empty(), "\n{}", failures.join("\n"));
}

#[test]
fn terms_are_case_insensitive_and_numbers_match_either_way() {
    let (_d, store) = dataset();
    check(
        &store,
        &[
            ("", 4),
            ("*", 4),
            ("user:admin", 2),
            ("user:ADMIN", 2),
            ("user:Bob", 1),
            ("EventID:4688", 1),
            ("EventID:4624", 1),
            ("EventID:4688.0", 1),
            ("n:20", 1),
            ("n:10.5", 1),
            ("big:18446744073709551615", 1),
            ("elevated:true", 1),
            ("elevated:TRUE", 1),
            ("unknown_field:x", 0),
            ("user:nobody", 0),
        ],
    );
}

#[test]
fn nested_and_dotted_fields() {
    let (_d, store) = dataset();
    check(
        &store,
        &[
            ("Event.System.EventID:4688", 1),
            ("Event.System.Computer:ws1", 1),
            ("process.executable:\\/usr\\/bin\\/bash", 1),
            ("process.executable:/usr/bin/python3", 1),
            ("process.executable:/usr/bin/*", 2),
            ("list.k:v2", 1),
            ("tags:b", 1),
            ("_input:test", 4),
            ("_host:HOST-1", 4),
            ("_product:windows AND _service:sysmon AND _category:process_creation", 4),
        ],
    );
}

#[test]
fn wildcards_and_phrases() {
    let (_d, store) = dataset();
    check(
        &store,
        &[
            (r"Image:*\\powershell.exe", 1),
            (r"Image:*\\POWERSHELL.EXE", 1),
            (r"Image:c\:\\windows\\*", 2),
            ("user:adm*", 2),
            ("user:?ob", 1),
            ("user:a?min", 2),
            (r"Image:*\*", 0),
            ("CommandLine:\"whoami /all\"", 1),
            ("CommandLine:\"WHOAMI /ALL\"", 1),
            ("CommandLine:\"whoami /none\"", 0),
            ("\"hello world\"", 1),
            ("\"world hello\"", 0),
            ("hello", 1),
            ("HELLO", 1),
            ("whoami", 1),
            ("4688", 1),
            ("power*", 1),
            ("*shell.exe", 1),
            ("vig?l", 1),
            ("Gerät.Name:druck*", 1),
            ("Gerät.Name:\"ER-0\"", 1),
            ("Gerät.Name:drucker-01", 1),
        ],
    );
}

#[test]
fn bare_words_find_file_hashes() {
    // An analyst pastes an IOC hash without a field name: SHA-256 is 64 hex digits, SHA-512 128.
    let (_d, store) = dataset();
    let sha512 = "aB".repeat(64);
    check(
        &store,
        &[
            ("658CDA1495E60AF593BD04CF0FD630F1F29D0DA9953F48F1A09F76B5A170B338", 1),
            ("658cda1495e60af593bd04cf0fd630f1f29d0da9953f48f1a09f76b5a170b338", 1),
            ("0e9a6b0c3e4f5a6b7c8d9e0f1a2b3c4d", 1),
            ("658cda1495e60af593bd04cf0fd630f1f29d0da9953f48f1a09f76b5a170b339", 0),
            ("658CDA1495E60AF593BD04CF0FD630F1F29D0DA9953F48F1A09F76B5A170B3*", 1),
            (sha512.as_str(), 1),
            (&sha512[..127], 0),
        ],
    );
    // A phrase with a longer word in it
    // matches on its other words, as before.
    check(&store, &[(format!("\"Hello {} World\"", "b".repeat(129)).as_str(), 1)]);
    // A query made only of longer words cannot be answered from the index: a clear error, not
    // an empty answer.
    let long = "a".repeat(129);
    let err = store
        .search(
            Scope::All,
            &SearchRequest {
                query: long,
                ..SearchRequest::default()
            },
        )
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("longer than 128 bytes") && err.contains("wildcard"),
        "{err}"
    );
}

#[test]
fn ranges() {
    let (_d, store) = dataset();
    check(
        &store,
        &[
            ("n:[5 TO 10]", 1),
            ("n:[5 TO 10.5]", 2),
            ("n:>=10", 2),
            ("n:>10.5", 1),
            ("n:<6", 1),
            ("n:{5 TO 20}", 1),
            ("n:[* TO *]", 3),
            ("EventID:[4620 TO 4630]", 2),
            ("EventID:[4000 TO *]", 3),
            ("user:[a TO b]", 2),
            ("user:[a TO c]", 3),
            ("user:>b", 1),
            ("@timestamp:[2026-11-23T02:00:00Z TO *]", 3),
            ("@timestamp:[2026-11-23T02:00:00Z TO 2026-11-23T04:00:00Z}", 2),
            ("@timestamp:<2026-11-23T02:00:00Z", 1),
            ("@timestamp:[2026-11-23 TO 2026-11-24]", 4),
            ("time:[2026-11-23T03:00:00Z TO *]", 2),
            ("time:[2019-01-01T00:00:00Z TO 2021-01-01T00:00:00Z]", 1),
        ],
    );
}

#[test]
fn ip_networks() {
    let (_d, store) = dataset();
    check(
        &store,
        &[
            ("src_ip:10.0.0.0/8", 2),
            ("src_ip:10.1.0.0/16", 1),
            ("src_ip:192.168.0.0/16", 1),
            ("src_ip:0.0.0.0/0", 3),
            ("src_ip:10.1.2.3", 1),
            ("dst_ip:2001:db8::/32", 1),
            ("dst_ip:2001:0db8:0000::1", 1),
            ("ip:2001:db8::/32", 0),
            ("ip:2001:db8::/16", 1),
            ("mapped:10.0.0.0/8", 1),
            ("src_ip:11.0.0.0/8", 0),
        ],
    );
}

#[test]
fn booleans_and_existence() {
    let (_d, store) = dataset();
    check(
        &store,
        &[
            ("NOT user:admin", 2),
            ("-user:admin", 2),
            ("user:admin OR user:bob", 3),
            ("user:admin AND EventID:4625", 1),
            ("user:admin EventID:4625", 1),
            ("user:(admin OR bob) -EventID:4624", 2),
            ("NOT (user:admin OR user:bob)", 1),
            ("_exists_:user", 3),
            ("user:*", 3),
            ("Event:*", 1),
            ("Event.System:*", 1),
            ("process:*", 2),
            ("NOT _exists_:user", 1),
            ("_exists_:@timestamp", 4),
        ],
    );
}

#[test]
fn hits_carry_the_event() {
    let (_d, store) = dataset();
    let r = search(&store, "user:bob");
    assert_eq!(r.hits.len(), 1);
    let h = &r.hits[0];
    assert_eq!(h.id.len(), 32);
    assert_eq!(h.time, day0(2));
    assert_eq!(h.input, "test");
    assert_eq!(h.host.as_deref(), Some("host-1"));
    assert_eq!(h.fields["process"]["executable"], "/usr/bin/python3");
    assert_eq!(h.fields["EventID"], "4624");
    let json = serde_json::to_value(&r).unwrap();
    assert_eq!(json["total"], 1);
    assert!(
        json["hits"][0]["id"].is_string()
            && json["hits"][0]["time"].is_string()
            && json["hits"][0]["fields"].is_object()
    );
}

mod arbitrary {
    use std::sync::OnceLock;

    use proptest::prelude::*;
    use vigil_store::{EventStore, Scope, SearchRequest, StoreError};

    fn shared() -> &'static EventStore {
        static STORE: OnceLock<(tempfile::TempDir, EventStore)> = OnceLock::new();
        &STORE.get_or_init(super::dataset).1
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(300))]

        /// Whatever the text, a search answers or says why not: it never panics.
        #[test]
        fn any_query_answers_or_errors(q in "[a-zA-Z0-9_.@:*?\\\\\"()\\[\\]{}<>=/ -]{0,40}") {
            let r = shared().search(Scope::All, &SearchRequest { query: q.clone(), size: 5, ..SearchRequest::default() });
            match r {
                Ok(r) => prop_assert!(r.total <= 4 && r.hits.len() as u64 <= r.total.min(5)),
                Err(StoreError::Query(e)) => prop_assert!(e.position <= q.chars().count()),
                Err(StoreError::BadRequest(_) | StoreError::BadQuery(_)) => {}
                Err(other) => prop_assert!(false, "{q:?}: {other}"),
            }
        }
    }
}

#[test]
fn extreme_bounds_do_not_overflow() {
    let (_d, store) = dataset();
    check(
        &store,
        &[
            ("n:{1e300 TO *]", 0),
            ("n:[* TO -1e300}", 0),
            ("n:{-1e300 TO 1e300}", 3),
            ("n:[-9223372036854775808 TO 18446744073709551615]", 3),
            ("@timestamp:[1000-01-01 TO 9000-01-01]", 4),
        ],
    );
}

#[test]
fn an_event_is_found_by_its_id() {
    let (_d, store) = dataset();
    let all = search(&store, "");
    assert_eq!(all.hits.len(), 4);
    for hit in &all.hits {
        let found = search(&store, &format!("_id:{}", hit.id));
        assert_eq!(found.hits.len(), 1, "{}", hit.id);
        assert_eq!(found.hits[0].id, hit.id);
        let upper = search(&store, &format!("_id:{}", hit.id.to_ascii_uppercase()));
        assert_eq!(upper.hits.len(), 1, "hex digits in either case");
    }
    let (a, b) = (&all.hits[0].id, &all.hits[2].id);
    assert_eq!(count(&store, &format!("_id:{a} OR _id:{b}")), 2);
    assert_eq!(count(&store, &format!("_id:{a} AND user:nobody")), 0);
    assert_eq!(count(&store, &format!("_id:{}", "0".repeat(32))), 0);
    let bad = store.search(
        Scope::All,
        &SearchRequest {
            query: "_id:xyz".into(),
            ..SearchRequest::default()
        },
    );
    assert!(
        matches!(&bad, Err(StoreError::BadQuery(m)) if m.contains("32 hexadecimal")),
        "{bad:?}"
    );
}

#[test]
fn malformed_query_parts_are_errors_naming_the_part_not_zero_hits() {
    let (_d, store) = dataset();
    let search = |q: &str| {
        store.search(
            Scope::All,
            &SearchRequest {
                query: q.into(),
                ..SearchRequest::default()
            },
        )
    };
    for (q, part) in [
        ("n:[10 TO 5]", "n:[10 TO 5]"),
        ("n:{5 TO 5}", "n:{5 TO 5}"),
        ("user:[b TO a]", "user:[b TO a]"),
        (
            "@timestamp:[2026-11-24 TO 2026-11-23]",
            "@timestamp:[2026-11-24 TO 2026-11-23]",
        ),
        ("@timestamp:yesterday", "@timestamp:yesterday"),
    ] {
        match search(q) {
            Err(StoreError::BadQuery(m)) => assert!(m.contains(part), "{q}: {m}"),
            other => panic!("{q}: {other:?}"),
        }
    }
    for q in ["src_ip:10.0.0.0/33", "src_ip:10.0.0.300/8", "dst_ip:2001:db8::/129"] {
        match search(q) {
            Err(StoreError::Query(e)) => assert!(e.message.contains("not a valid network"), "{q}: {e}"),
            other => panic!("{q}: {other:?}"),
        }
    }
    // Equal inclusive bounds are a range of one value, not an error.
    assert!(search("n:[5 TO 5]").is_ok());
}
