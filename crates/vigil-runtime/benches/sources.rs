//! The per-event cost of log-source health tracking (issue 17) on the pipeline's stage 1:
//!
//!   cargo bench -p vigil-runtime --bench sources
//!
//! * `observe_known` — `Tracked::observe` for an event of a source already tracked (a hash of
//!   tenant, input, host and logsource, a map lookup, a comparison; no allocation), with 1, 100
//!   and 10,000 sources tracked;
//! * `to_event_parse` — the parse of the same event (`pipeline::to_event`), the cost it sits beside.

use std::sync::Arc;

use jiff::Timestamp;
use vigil_ingest::{Record, RecordFormat};
use vigil_runtime::{pipeline::to_event, sources::SourceTracker};

const WINDOWS: &str = r#"{"TimeCreated":"2024-05-21T00:00:00.003Z","Computer":"ws0109.corp.example","EventRecordID":2,"EventID":1,"Channel":"Microsoft-Windows-Sysmon/Operational","Provider_Name":"Microsoft-Windows-Sysmon","Image":"C:\\Windows\\System32\\RuntimeBroker.exe","CommandLine":"C:\\Windows\\System32\\RuntimeBroker.exe -Embedding","ParentImage":"C:\\Windows\\System32\\svchost.exe","ParentCommandLine":"C:\\Windows\\system32\\svchost.exe -k DcomLaunch -p","User":"CORP\\user0092","ProcessGuid":"{8D116ECE-6CAD-0F21-D3AC-1FB190C192CF}","ProcessId":14730,"IntegrityLevel":"Medium","Hashes":"SHA256=658CDA1495E60AF593BD04CF0FD630F1F29D0DA9953F48F1A09F76B5A170B338","CurrentDirectory":"C:\\Windows\\system32\\","OriginalFileName":"RuntimeBroker.exe"}"#;

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

#[divan::bench(args = [1, 100, 10_000], sample_count = 2000)]
fn observe_known(bencher: divan::Bencher, sources: usize) {
    let event = to_event(1, 7, &record(WINDOWS)).expect("parses");
    let tracker = SourceTracker::new(sources + 1);
    let now = Timestamp::now();
    {
        let mut t = tracker.batch();
        for i in 0..sources {
            let mut other = event.clone();
            other.source.host = Some(format!("host-{i}").into());
            t.observe("default", &other, now);
        }
        t.observe("default", &event, now);
    }
    let mut t = tracker.batch();
    bencher.bench_local(|| t.observe("default", divan::black_box(&event), now));
}

#[divan::bench(sample_count = 2000)]
fn to_event_parse(bencher: divan::Bencher) {
    let r = record(WINDOWS);
    bencher.bench_local(|| to_event(1, 7, divan::black_box(&r)).expect("parses"));
}
