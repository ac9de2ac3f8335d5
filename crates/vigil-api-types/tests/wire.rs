//! The wire shapes: what the server sends is what a client reads, and a request body is strict.

use serde_json::json;
use vigil_api_types::{
    alerts::AlertPage,
    dead_letters::DeadLetterPage,
    error::ErrorBody,
    ingest::IngestAnswer,
    rules::ReloadFailed,
    search::{Agg, AggResult, SearchBody, SearchResponse},
    status::NotReady,
};

#[test]
fn a_search_body_refuses_unknown_members() {
    let err = serde_json::from_value::<SearchBody>(json!({"query": "x", "tenant": "other"})).unwrap_err();
    assert!(err.to_string().contains("unknown field `tenant`"), "{err}");
    let body: SearchBody = serde_json::from_value(json!({
        "query": "EventID:1",
        "from": "15m",
        "aggs": {"top": {"terms": {"field": "User"}}, "per": {"date_histogram": {"fixed_interval": "1h"}}}
    }))
    .unwrap();
    assert_eq!(body.from.as_deref(), Some("15m"));
    assert_eq!(
        body.aggs["top"],
        Agg::Terms {
            field: "User".into(),
            size: 10
        }
    );
    // An interval is written back in the grammar it is read with.
    assert_eq!(
        serde_json::to_value(&body.aggs["per"]).unwrap(),
        json!({"date_histogram": {"interval": "1h"}})
    );
}

#[test]
fn a_search_answer_reads_back_as_sent() {
    let sent = json!({
        "total": 2,
        "hits": [{"id": "0123456789abcdef0123456789abcdef", "time": "2026-12-05T10:00:00Z", "ingest_time": true,
                  "input": "syslog", "host": "web-1", "fields": {"msg": "x"}}],
        "next_cursor": "c1",
        "aggs": {"top": {"type": "terms", "buckets": [{"key": "alice", "doc_count": 2}], "sum_other_doc_count": 0}}
    });
    let answer: SearchResponse = serde_json::from_value(sent.clone()).unwrap();
    assert!(answer.hits[0].ingest_time);
    assert!(matches!(&answer.aggs["top"], AggResult::Terms { buckets, .. } if buckets[0].doc_count == 2));
    assert_eq!(serde_json::to_value(&answer).unwrap(), sent);
}

#[test]
fn answers_from_a_newer_server_still_read() {
    // A member this client does not know (added by a later server) is ignored, not an error.
    let page: AlertPage =
        serde_json::from_value(json!({"alerts": [], "next_cursor": null, "total": 0, "tenant": "t"})).unwrap();
    assert_eq!(page.total, 0);
    let letters: DeadLetterPage = serde_json::from_value(json!({
        "dead_letters": [{"seq": 1, "input": "syslog", "received": "2026-12-05T10:00:00Z", "peer": null,
                          "code": "invalid_json", "message": "m", "data": "\u{fffd}", "data_base64": "/w=="}],
        "next_cursor": null, "total": 1
    }))
    .unwrap();
    assert_eq!(letters.dead_letters[0].data_base64.as_deref(), Some("/w=="));
    // A server from before tenants names none: its letters are the default tenant's.
    assert_eq!(letters.dead_letters[0].tenant, "default");
}

#[test]
fn error_answers_keep_the_one_shape() {
    let failed = serde_json::to_value(ReloadFailed {
        body: ErrorBody {
            error: vigil_api_types::error::ErrorDetail {
                code: "rules_invalid".into(),
                message: "m".into(),
            },
        },
        reloaded: false,
    })
    .unwrap();
    assert_eq!(
        failed,
        json!({"error": {"code": "rules_invalid", "message": "m"}, "reloaded": false})
    );
    // Every error answer reads as the plain error shape too.
    let plain: ErrorBody = serde_json::from_value(failed).unwrap();
    assert_eq!(plain.error.code, "rules_invalid");
    let not_ready: NotReady = serde_json::from_value(json!({
        "error": {"code": "not_ready", "message": "m"}, "status": "not_ready", "problems": ["p"]
    }))
    .unwrap();
    assert_eq!(not_ready.problems, ["p"]);
}

#[test]
fn ingest_answers_name_stream_members_only_for_streams() {
    let plain: IngestAnswer = serde_json::from_value(json!({"accepted": 3, "rejected": []})).unwrap();
    assert_eq!(
        serde_json::to_value(&plain).unwrap(),
        json!({"accepted": 3, "rejected": []})
    );
    let keyed: IngestAnswer = serde_json::from_value(json!({
        "accepted": 2, "rejected": [{"line": 2, "code": "invalid_json", "message": "m", "ordinal": 11}],
        "duplicates": 1, "next": 12
    }))
    .unwrap();
    assert_eq!(
        (keyed.duplicates, keyed.next, keyed.rejected[0].ordinal),
        (Some(1), Some(12), Some(11))
    );
}
