//! Aggregations merged across partitions.

use std::collections::BTreeMap;

use jiff::SignedDuration;
use serde_json::json;
use vigil_store::{Agg, AggResult, Scope, SearchRequest};

use crate::common::*;

#[test]
fn aggregations_across_partitions() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(dir.path());
    // Users: u0 ×30, u1 ×20, u2 ×10 … spread over three daily partitions, several commits (segments).
    let mut events = Vec::new();
    let mut o = 0;
    for (user, n) in [("alice", 30u64), ("bob", 20), ("carol", 10), ("dave", 5), ("eve", 1)] {
        for k in 0..n {
            o += 1;
            let hour = (k * 7 % 72) as i64;
            let mut fields = json!({"User": user, "EventID": 4600 + (k % 3)});
            if k % 2 == 0 {
                // Same user spelled as a nested field and a number-as-string elsewhere.
                fields["EventID"] = json!(format!("{}", 4600 + (k % 3)));
            }
            events.push(event(o, Some(day0(hour)), fields));
        }
    }
    for (i, chunk) in events.chunks(13).enumerate() {
        add_all(&store, (i * 13) as u64 + 1, chunk, day0(0));
    }
    assert_eq!(store.stats().partitions, 3);

    let aggs: BTreeMap<String, Agg> = serde_json::from_value(json!({
        "by_user": {"terms": {"field": "User", "size": 3}},
        "by_id": {"terms": {"field": "EventID"}},
        "per_day": {"date_histogram": {"interval": "1d"}},
        "per_hour": {"date_histogram": {"interval": "1h"}},
        "users": {"cardinality": {"field": "User"}},
        "nothing": {"cardinality": {"field": "NoSuchField"}},
        "n": {"count": {}}
    }))
    .unwrap();
    let r = store
        .search(
            Scope::All,
            &SearchRequest {
                size: 0,
                aggs: aggs.clone(),
                ..SearchRequest::default()
            },
        )
        .unwrap();
    assert_eq!(r.total, 66);
    let AggResult::Terms {
        buckets,
        sum_other_doc_count,
    } = &r.aggs["by_user"]
    else {
        panic!("{:?}", r.aggs["by_user"])
    };
    let got: Vec<_> = buckets.iter().map(|b| (b.key.as_str(), b.doc_count)).collect();
    assert_eq!(got, vec![("alice", 30), ("bob", 20), ("carol", 10)]);
    assert_eq!(*sum_other_doc_count, 6);
    let AggResult::Terms { buckets, .. } = &r.aggs["by_id"] else {
        panic!()
    };
    let total: u64 = buckets.iter().map(|b| b.doc_count).sum();
    assert_eq!(total, 66, "numbers and numeric strings count as one value each");
    assert_eq!(buckets.len(), 3);
    let AggResult::DateHistogram { buckets } = &r.aggs["per_day"] else {
        panic!()
    };
    assert_eq!(buckets.len(), 3);
    assert_eq!(buckets[0].key, day0(0));
    assert_eq!(buckets[2].key, day0(48));
    let want_day = |d: i64| {
        events
            .iter()
            .filter(|e| e.time.unwrap() >= day0(d * 24) && e.time.unwrap() < day0(d * 24 + 24))
            .count() as u64
    };
    assert_eq!(
        buckets.iter().map(|b| b.doc_count).collect::<Vec<_>>(),
        vec![want_day(0), want_day(1), want_day(2)]
    );
    let AggResult::DateHistogram { buckets } = &r.aggs["per_hour"] else {
        panic!()
    };
    assert_eq!(buckets.iter().map(|b| b.doc_count).sum::<u64>(), 66);
    assert!(
        buckets
            .windows(2)
            .all(|w| w[1].key.duration_since(w[0].key) == SignedDuration::from_hours(1)),
        "gaps are filled"
    );
    assert_eq!(r.aggs["users"], AggResult::Cardinality { value: 5 });
    assert_eq!(r.aggs["nothing"], AggResult::Cardinality { value: 0 });
    assert_eq!(r.aggs["n"], AggResult::Count { value: 66 });

    // With a query and a range.
    let r = store
        .search(
            Scope::All,
            &SearchRequest {
                query: "NOT User:alice".into(),
                from: Some(day0(24)),
                size: 0,
                aggs,
                ..SearchRequest::default()
            },
        )
        .unwrap();
    let want = events
        .iter()
        .filter(|e| e.fields.get_str("User") != Some("alice") && e.time.unwrap() >= day0(24))
        .count() as u64;
    assert_eq!(r.total, want);
    assert_eq!(r.aggs["n"], AggResult::Count { value: want });
    let AggResult::Terms { buckets, .. } = &r.aggs["by_user"] else {
        panic!()
    };
    assert!(buckets.iter().all(|b| b.key != "alice"));
    // The response is the API body.
    let body = serde_json::to_value(&r).unwrap();
    assert_eq!(body["aggs"]["users"]["type"], "cardinality");
    assert!(
        body["aggs"]["per_day"]["buckets"][0]["key"]
            .as_str()
            .unwrap()
            .ends_with('Z')
    );
    let back: vigil_store::SearchResponse = serde_json::from_value(body).unwrap();
    assert_eq!(back, r);
}

/// Values differing only in case are one bucket (as queries match them), and the bucket's key is
/// written as a matching event wrote it, including nested paths, arrays and the meta fields.
#[test]
fn terms_buckets_count_case_insensitively_and_show_the_written_value() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(dir.path());
    let mut events = Vec::new();
    for (o, (user, image)) in [
        ("Administrator", r"C:\Windows\System32\cmd.exe"),
        ("ADMINISTRATOR", r"C:\Windows\System32\cmd.exe"),
        (
            "svc_Backup",
            r"C:\Windows\System32\WindowsPowerShell\v1.0\powershell.exe",
        ),
        ("Administrator", r"c:\windows\system32\cmd.exe"),
    ]
    .into_iter()
    .enumerate()
    {
        let fields = json!({"User": user, "Proc": {"Image": image}, "Tags": ["Red", "blue"]});
        events.push(event(o as u64 + 1, Some(day0(o as i64 * 30)), fields));
    }
    // Two daily partitions, several segments.
    add_all(&store, 1, &events[..2], day0(0));
    add_all(&store, 3, &events[2..], day0(0));
    let aggs: BTreeMap<String, Agg> = serde_json::from_value(json!({
        "users": {"terms": {"field": "User"}},
        "images": {"terms": {"field": "Proc.Image"}},
        "tags": {"terms": {"field": "Tags"}},
        "hosts": {"terms": {"field": "_host"}}
    }))
    .unwrap();
    let search = |query: &str| {
        store
            .search(
                Scope::All,
                &SearchRequest {
                    query: query.into(),
                    size: 0,
                    aggs: aggs.clone(),
                    ..SearchRequest::default()
                },
            )
            .unwrap()
    };
    let buckets = |r: &vigil_store::SearchResponse, name: &str| -> Vec<(String, u64)> {
        let AggResult::Terms { buckets, .. } = &r.aggs[name] else {
            panic!("{:?}", r.aggs[name])
        };
        buckets.iter().map(|b| (b.key.clone(), b.doc_count)).collect()
    };
    let r = search("");
    let users = buckets(&r, "users");
    assert_eq!(users.len(), 2, "{users:?}");
    assert_eq!(users[0].1, 3);
    assert!(
        ["Administrator", "ADMINISTRATOR"].contains(&users[0].0.as_str()),
        "{users:?}"
    );
    assert_eq!(users[1], ("svc_Backup".to_owned(), 1));
    let images = buckets(&r, "images");
    assert_eq!(images[0].1, 3);
    assert!(
        images[0].0.eq_ignore_ascii_case(r"C:\Windows\System32\cmd.exe"),
        "{images:?}"
    );
    assert_ne!(
        images[0].0,
        images[0].0.to_lowercase(),
        "{images:?}: one of the written forms with capitals"
    );
    assert_eq!(
        images[1],
        (
            r"C:\Windows\System32\WindowsPowerShell\v1.0\powershell.exe".to_owned(),
            1
        )
    );
    assert_eq!(buckets(&r, "tags"), vec![("blue".to_owned(), 4), ("Red".to_owned(), 4)]);
    assert_eq!(buckets(&r, "hosts"), vec![("host-1".to_owned(), 4)]);

    // The key comes from a matching event: in this time range only the all-capitals one matches.
    let r = store
        .search(
            Scope::All,
            &SearchRequest {
                from: Some(day0(30)),
                to: Some(day0(31)),
                size: 0,
                aggs: aggs.clone(),
                ..SearchRequest::default()
            },
        )
        .unwrap();
    assert_eq!(r.total, 1);
    assert_eq!(buckets(&r, "users"), vec![("ADMINISTRATOR".to_owned(), 1)]);
    let r = search("Proc.Image:*powershell.exe");
    assert_eq!(buckets(&r, "users"), vec![("svc_Backup".to_owned(), 1)]);
}
