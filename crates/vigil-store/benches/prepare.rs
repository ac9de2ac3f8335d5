//! Building store documents (`EventStore::prepare`): the per-event work the server's parallel
//! stage does before tantivy indexes the document.
//!
//!   cargo bench -p vigil-store --bench prepare
//!
//! Three Windows events of the bench corpus (bench/gen_corpus.py: Sysmon process creation, Sysmon
//! network connection, a Security logon) and one nested JSON event, parsed once.

use jiff::Timestamp;
use vigil_parse::{Format, Origin, parse_line};
use vigil_store::{EventStore, StoreConfig};

const LINES: [&str; 4] = [
    r#"{"TimeCreated":"2024-05-21T00:00:00.003Z","Computer":"ws0109.corp.example","EventRecordID":2,"EventID":1,"Channel":"Microsoft-Windows-Sysmon/Operational","Provider_Name":"Microsoft-Windows-Sysmon","Image":"C:\\Windows\\System32\\RuntimeBroker.exe","CommandLine":"C:\\Windows\\System32\\RuntimeBroker.exe -Embedding","ParentImage":"C:\\Windows\\System32\\svchost.exe","ParentCommandLine":"C:\\Windows\\system32\\svchost.exe -k DcomLaunch -p","User":"CORP\\user0092","ProcessGuid":"{8D116ECE-6CAD-0F21-D3AC-1FB190C192CF}","ProcessId":14730,"IntegrityLevel":"Medium","Hashes":"SHA256=658CDA1495E60AF593BD04CF0FD630F1F29D0DA9953F48F1A09F76B5A170B338","CurrentDirectory":"C:\\Windows\\system32\\","OriginalFileName":"RuntimeBroker.exe"}"#,
    r#"{"TimeCreated":"2024-05-21T00:00:00.012Z","Computer":"ws0049.corp.example","EventRecordID":5,"EventID":3,"Channel":"Microsoft-Windows-Sysmon/Operational","Provider_Name":"Microsoft-Windows-Sysmon","Image":"C:\\Program Files\\Google\\Chrome\\Application\\chrome.exe","User":"CORP\\user0508","Protocol":"tcp","Initiated":"true","SourceIp":"10.1.218.199","SourcePort":59445,"DestinationIp":"104.232.185.77","DestinationPort":443,"DestinationHostname":"login.microsoftonline.com"}"#,
    r#"{"TimeCreated":"2024-05-21T00:00:00.000Z","Computer":"ws0165.corp.example","EventRecordID":1,"EventID":4624,"Channel":"Security","Provider_Name":"Microsoft-Windows-Security-Auditing","TargetUserName":"user0548","TargetDomainName":"CORP","LogonType":2,"IpAddress":"10.1.187.150","WorkstationName":"WS0029","AuthenticationPackageName":"Negotiate","LogonProcessName":"User32"}"#,
    r#"{"@timestamp":"2024-05-21T00:00:01Z","host":{"name":"web-7","ip":["10.2.0.7","fe80::1"]},"http":{"request":{"method":"GET","path":"/login"},"response":{"status":401,"bytes":512}},"user":{"name":"Alice"},"tags":["auth","edge"]}"#,
];

fn main() {
    divan::main();
}

#[divan::bench(args = [0, 1, 2, 3], sample_count = 2000)]
fn prepare(bencher: divan::Bencher, which: usize) {
    let dir = tempfile::tempdir().expect("temp dir");
    let store = EventStore::open(StoreConfig::new(dir.path())).expect("store");
    let event = parse_line(
        Format::Ndjson,
        LINES[which].as_bytes(),
        &Origin::file("file", "bench.ndjson"),
        0,
    )
    .expect("a bench line parses");
    let now = Timestamp::now();
    bencher.bench_local(|| store.prepare(divan::black_box(&event), now).expect("prepared"));
}
