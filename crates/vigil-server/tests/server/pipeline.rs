//! Spool records to events: formats, attributes, logsource defaults, stable ids.

use std::sync::Arc;

use vigil_ingest::{Record, RecordFormat};
use vigil_runtime::{
    logsource::{LogsourceMap, LogsourceRule},
    pipeline::to_event,
};

const EPOCH: u64 = 0x5eed;

fn record(format: RecordFormat, data: &str, attrs: &[(&str, &str)]) -> Record {
    Record {
        tenant: vigil_ingest::default_tenant(),
        input: Arc::from("test"),
        format,
        received: "2026-11-23T12:00:00Z".parse().expect("time"),
        peer: Some("10.1.2.3:5000".parse().expect("addr")),
        attrs: attrs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect(),
        data: data.as_bytes().to_vec(),
    }
}

#[test]
fn json_text_and_format_attr_records_become_events_with_stable_ids() {
    let j = record(
        RecordFormat::Json,
        r#"{"user":"alice","@timestamp":"2026-11-23T11:00:00Z"}"#,
        &[("index", "logs")],
    );
    let a = to_event(EPOCH, 7, &j).expect("json");
    let b = to_event(EPOCH, 7, &j).expect("json again");
    assert_eq!(a.id, b.id, "replaying a spool record gives the same id");
    assert_ne!(a.id, to_event(EPOCH, 8, &j).expect("json").id);
    assert_eq!(
        a.id,
        vigil_event::EventId::spooled(EPOCH, &j.input, 7),
        "input hash, then the spool seq"
    );
    assert_eq!(a.fields.get_str("user"), Some("alice"));
    assert_eq!(a.fields.get_str("index"), Some("logs"));
    assert_eq!(a.time.map(|t| t.to_string()).as_deref(), Some("2026-11-23T11:00:00Z"));
    assert_eq!(a.source.host.as_deref(), Some("10.1.2.3"));

    let t = record(RecordFormat::Text, "plain words\n", &[("time", "1763895600.5")]);
    let e = to_event(EPOCH, 1, &t).expect("text");
    assert_eq!(e.fields.get_str("message"), Some("plain words"));
    assert_eq!(e.time.map(|t| t.to_string()).as_deref(), Some("2025-11-23T11:00:00.5Z"));

    let cef = record(
        RecordFormat::Text,
        "CEF:0|Vendor|Prod|1.0|100|Thing|5|src=10.0.0.1",
        &[("format", "cef")],
    );
    assert!(to_event(EPOCH, 2, &cef).expect("cef").fields.get("src").is_some());
}

#[test]
fn an_http_shipped_event_is_about_its_own_host_not_the_shipper() {
    let ecs = record(RecordFormat::Json, r#"{"host":{"name":"ws-17"},"msg":"x"}"#, &[]);
    let e = to_event(EPOCH, 1, &ecs).expect("json");
    assert_eq!(e.source.host.as_deref(), Some("ws-17"));
    assert_eq!(
        e.fields.get_str("vigil_sender"),
        Some("10.1.2.3"),
        "the shipper is kept"
    );
    let hec = record(RecordFormat::Text, "login ok", &[("host", "db-2")]);
    assert_eq!(
        to_event(EPOCH, 1, &hec).expect("text").source.host.as_deref(),
        Some("db-2")
    );
    let sys = record(
        RecordFormat::Syslog,
        "<13>1 2026-11-23T10:00:00Z web-9 app - - - hi",
        &[],
    );
    assert_eq!(
        to_event(EPOCH, 1, &sys).expect("syslog").source.host.as_deref(),
        Some("web-9")
    );
    let bare = record(RecordFormat::Json, r#"{"msg":"x"}"#, &[]);
    let e = to_event(EPOCH, 1, &bare).expect("json");
    assert_eq!(
        e.source.host.as_deref(),
        Some("10.1.2.3"),
        "no host of its own: the sender"
    );
    assert_eq!(e.fields.get_str("vigil_sender"), Some("10.1.2.3"));
    let forged = record(RecordFormat::Json, r#"{"host":"ws-1","vigil_sender":"8.8.8.8"}"#, &[]);
    let e = to_event(EPOCH, 1, &forged).expect("json");
    assert_eq!(
        e.fields.get_str("vigil_sender"),
        Some("10.1.2.3"),
        "the sender is the connection's, whatever the event says"
    );
}

#[test]
fn bad_records_are_errors_with_codes_and_listener_logsource_applies() {
    let bad = record(RecordFormat::Json, "{not json", &[]);
    assert_eq!(to_event(EPOCH, 1, &bad).expect_err("bad").kind.code(), "invalid_json");
    let empty = record(RecordFormat::Text, "   ", &[]);
    assert_eq!(to_event(EPOCH, 1, &empty).expect_err("empty").kind.code(), "empty");
    let tags = vigil_event::LogSourceTags::parse_spec("product=linux,service=auditd").expect("spec");
    let map = LogsourceMap::new(vec![LogsourceRule {
        input: Some("te*".into()),
        tags: tags.clone(),
        ..LogsourceRule::default()
    }]);
    let plain = record(RecordFormat::Json, r#"{"a":1}"#, &[]);
    let mut e = to_event(EPOCH, 1, &plain).expect("ok");
    assert!(e.logsource.is_empty());
    assert!(!map.assign("test", &plain.attrs, &mut e));
    assert_eq!(e.logsource, tags);
    let sys = record(RecordFormat::Syslog, "<13>1 2026-11-23T10:00:00Z h app - - - hi", &[]);
    let mut e = to_event(EPOCH, 1, &sys).expect("syslog");
    assert!(!map.assign("test", &sys.attrs, &mut e));
    assert_eq!(
        e.logsource.product.as_deref(),
        Some("linux"),
        "a parser's own logsource wins"
    );
    assert_eq!(e.logsource.services, ["syslog"]);
    let mut e = to_event(EPOCH, 1, &plain).expect("ok");
    assert!(
        LogsourceMap::default().assign("test", &plain.attrs, &mut e),
        "no entry: unknown"
    );
    assert_eq!(e.fields.get_str("vigil_logsource"), Some("unknown"));
}

#[test]
fn events_dated_past_the_future_tolerance_are_taken_at_their_ingest_time() {
    use std::time::Duration;
    use vigil_runtime::pipeline::distrust_future_time;
    let day = Duration::from_secs(24 * 3600);
    let at = |t: &str| {
        let r = record(RecordFormat::Json, &format!(r#"{{"@timestamp":"{t}","m":1}}"#), &[]);
        (to_event(EPOCH, 1, &r).expect("json"), r.received)
    };
    // 2099: a wrong clock or a forged time. The event keeps its own time in its fields.
    let (mut e, received) = at("2099-01-01T00:00:00Z");
    assert!(distrust_future_time(&mut e, received, day));
    assert_eq!(e.time, None);
    assert_eq!(e.fields.get_str("@timestamp"), Some("2099-01-01T00:00:00Z"));
    assert_eq!(e.fields.get_str("vigil_distrusted_time"), Some("2099-01-01T00:00:00Z"));
    // Within the tolerance (a time zone off by hours), and in the past: kept.
    let (mut e, received) = at("2026-11-24T11:00:00Z");
    assert!(!distrust_future_time(&mut e, received, day));
    assert!(e.time.is_some());
    let (mut e, received) = at("2001-01-01T00:00:00Z");
    assert!(!distrust_future_time(&mut e, received, day));
    assert!(e.time.is_some());
    // One second past the tolerance is past it.
    let (mut e, received) = at("2026-11-24T12:00:01Z");
    assert!(distrust_future_time(&mut e, received, day));
}
