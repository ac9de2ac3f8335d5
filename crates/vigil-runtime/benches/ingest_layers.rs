//! The per-event cost of the layers issue 14 put on the ingest path, beside the parse they sit
//! next to:
//!
//!   cargo bench -p vigil-server --bench ingest_layers
//!
//! * `admit` — `vigil_ingest::admit::check`, run on every HTTP record before it is acknowledged
//!   (a JSON record is validated as one object without building a tree);
//! * `to_event` — the pipeline's parse of a spooled record (parser, normalization, the event's own
//!   host and `vigil_sender`, the event id);
//! * `assign_*` — `LogsourceMap::assign` after the parse: an event whose shape names its logsource
//!   (no work), and an event of unknown logsource against 10 `[[logsource]]` entries that miss
//!   (the worst case: every entry is tried, then the event is marked unknown).
//!
//! Events: a flat Windows event of the bench corpus (bench/gen_corpus.py) and a plain JSON line.

use std::sync::Arc;

use jiff::Timestamp;
use vigil_event::LogSourceTags;
use vigil_ingest::{Record, RecordFormat, admit};
use vigil_runtime::{
    logsource::{LogsourceMap, LogsourceRule},
    pipeline::to_event,
};

const WINDOWS: &str = r#"{"TimeCreated":"2024-05-21T00:00:00.003Z","Computer":"ws0109.corp.example","EventRecordID":2,"EventID":1,"Channel":"Microsoft-Windows-Sysmon/Operational","Provider_Name":"Microsoft-Windows-Sysmon","Image":"C:\\Windows\\System32\\RuntimeBroker.exe","CommandLine":"C:\\Windows\\System32\\RuntimeBroker.exe -Embedding","ParentImage":"C:\\Windows\\System32\\svchost.exe","ParentCommandLine":"C:\\Windows\\system32\\svchost.exe -k DcomLaunch -p","User":"CORP\\user0092","ProcessGuid":"{8D116ECE-6CAD-0F21-D3AC-1FB190C192CF}","ProcessId":14730,"IntegrityLevel":"Medium","Hashes":"SHA256=658CDA1495E60AF593BD04CF0FD630F1F29D0DA9953F48F1A09F76B5A170B338","CurrentDirectory":"C:\\Windows\\system32\\","OriginalFileName":"RuntimeBroker.exe"}"#;
const PLAIN: &str = r#"{"@timestamp":"2024-05-21T00:00:01Z","host":{"name":"web-7"},"http":{"request":{"method":"GET","path":"/login"},"response":{"status":401}},"user":{"name":"Alice"},"msg":"login failed"}"#;

fn main() {
    divan::main();
}

fn record(line: &str) -> Record {
    Record {
        tenant: vigil_ingest::default_tenant(),
        input: Arc::from("elasticsearch"),
        format: RecordFormat::Json,
        received: Timestamp::now(),
        peer: Some("10.1.2.3:50000".parse().expect("addr")),
        attrs: vec![("index".into(), "logs-app".into())],
        data: line.as_bytes().to_vec(),
    }
}

const LINES: [&str; 2] = [WINDOWS, PLAIN];

#[divan::bench(args = [0, 1], sample_count = 2000)]
fn admit_check(bencher: divan::Bencher, which: usize) {
    let r = record(LINES[which]);
    bencher.bench_local(|| admit::check(divan::black_box(&r)).is_ok());
}

#[divan::bench(args = [0, 1], sample_count = 2000)]
fn to_event_parse(bencher: divan::Bencher, which: usize) {
    let r = record(LINES[which]);
    bencher.bench_local(|| to_event(1, 7, divan::black_box(&r)).expect("parses"));
}

fn ten_missing_entries() -> LogsourceMap {
    LogsourceMap::new(
        (0..10)
            .map(|i| LogsourceRule {
                index: Some(format!("nomatch-{i}-*")),
                tags: LogSourceTags::product("linux"),
                ..LogsourceRule::default()
            })
            .collect(),
    )
}

#[divan::bench(sample_count = 2000)]
fn assign_known_shape(bencher: divan::Bencher) {
    let r = record(WINDOWS);
    let map = ten_missing_entries();
    bencher
        .with_inputs(|| to_event(1, 7, &r).expect("parses"))
        .bench_local_refs(|e| map.assign("elasticsearch", &r.attrs, e));
}

#[divan::bench(sample_count = 2000)]
fn assign_unknown_ten_entries(bencher: divan::Bencher) {
    let r = record(PLAIN);
    let map = ten_missing_entries();
    bencher
        .with_inputs(|| to_event(1, 7, &r).expect("parses"))
        .bench_local_refs(|e| map.assign("elasticsearch", &r.attrs, e));
}
