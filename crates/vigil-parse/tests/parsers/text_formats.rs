//! Text line formats: syslog, CEF, Suricata EVE, Zeek JSON and auditd.
//!
//! Realistic samples with exact field values, times, logsource tags and errors, then property tests: no
//! input panics a parser, and generated records with escaped values read back to the values written.

use std::collections::BTreeMap;

use jiff::Timestamp;
use proptest::prelude::*;
use serde_json::{Value, json};
use vigil_event::{Event, Raw};
use vigil_parse::{Format, Origin, ParseError, cef, parse_line, syslog};

use super::sensors::{EVE_ALERT, ZEEK_CONN};

pub(super) fn origin() -> Origin {
    Origin::file("file", "/var/log/test.log")
}

pub(super) fn ts(s: &str) -> Timestamp {
    s.parse().expect("valid timestamp")
}

/// A fixed "now" for BSD timestamps, which carry no year.
fn june_2024() -> Timestamp {
    ts("2024-06-01T12:00:00Z")
}

pub(super) fn services(e: &Event) -> Vec<&str> {
    e.logsource.services.iter().map(AsRef::as_ref).collect()
}

pub(super) fn categories(e: &Event) -> Vec<&str> {
    e.logsource.categories.iter().map(AsRef::as_ref).collect()
}

pub(super) fn s<'a>(e: &'a Event, name: &str) -> Option<&'a str> {
    e.fields.get_str(name)
}

pub(super) fn assert_error(result: Result<Event, ParseError>, code: &str, offset: u64) {
    match result {
        Ok(e) => panic!("expected {code}, parsed {:?}", e.fields),
        Err(err) => {
            assert_eq!(err.kind.code(), code, "{err}");
            assert_eq!(err.offset, offset);
            assert_eq!(err.path.as_deref(), Some("/var/log/test.log"));
            assert_eq!(&*err.input, "file");
        }
    }
}

// ---------------------------------------------------------------------------------------------------- syslog

#[test]
fn syslog_3164_sshd_failed_password() {
    let line = b"<38>Jan  2 03:04:05 web01 sshd[4242]: Failed password for invalid user admin from 203.0.113.9 port 52211 ssh2";
    let e = syslog::parse_at(line, &origin(), 77, june_2024()).expect("parses");
    assert_eq!(e.time, Some(ts("2024-01-02T03:04:05Z")));
    assert_eq!(s(&e, "facility"), Some("auth"));
    assert_eq!(s(&e, "severity"), Some("info"));
    assert_eq!(e.fields.get("priority"), Some(&json!(38)));
    assert_eq!(s(&e, "host"), Some("web01"));
    assert_eq!(s(&e, "app_name"), Some("sshd"));
    assert_eq!(s(&e, "pid"), Some("4242"));
    assert_eq!(
        s(&e, "message"),
        Some("Failed password for invalid user admin from 203.0.113.9 port 52211 ssh2")
    );
    assert_eq!(s(&e, "syslog_format"), Some("rfc3164"));
    assert_eq!(s(&e, "timestamp"), Some("Jan  2 03:04:05"));
    assert_eq!(e.fields.get("msgid"), None);
    assert_eq!(e.logsource.product.as_deref(), Some("linux"));
    assert_eq!(services(&e), ["sshd", "auth", "syslog"]);
    assert!(categories(&e).is_empty());
    assert_eq!(e.source.offset, 77);
    assert_eq!(e.raw, Raw::Text(std::str::from_utf8(line).expect("ascii").into()));
}

#[test]
fn syslog_3164_local_file_line_without_pri() {
    let line = b"Jan 12 13:14:15 web01 sudo:    alice : TTY=pts/0 ; PWD=/home/alice ; USER=root ; COMMAND=/usr/bin/cat /etc/shadow";
    let e = syslog::parse_at(line, &origin(), 0, june_2024()).expect("parses");
    assert_eq!(e.time, Some(ts("2024-01-12T13:14:15Z")));
    assert_eq!(e.fields.get("facility"), None);
    assert_eq!(e.fields.get("priority"), None);
    assert_eq!(s(&e, "host"), Some("web01"));
    assert_eq!(s(&e, "app_name"), Some("sudo"));
    assert_eq!(e.fields.get("pid"), None);
    assert_eq!(
        s(&e, "message"),
        Some("alice : TTY=pts/0 ; PWD=/home/alice ; USER=root ; COMMAND=/usr/bin/cat /etc/shadow")
    );
    assert_eq!(services(&e), ["sudo", "syslog"]);
}

#[test]
fn syslog_3164_without_hostname() {
    let line = b"<86>Dec 31 23:59:58 CRON[999]: pam_unix(cron:session): session opened for user root(uid=0) by (uid=0)";
    // Read on New Year's day: the message is from the year before.
    let e = syslog::parse_at(line, &origin(), 0, ts("2025-01-01T00:00:30Z")).expect("parses");
    assert_eq!(e.time, Some(ts("2024-12-31T23:59:58Z")));
    assert_eq!(s(&e, "facility"), Some("authpriv"));
    assert_eq!(s(&e, "severity"), Some("info"));
    assert_eq!(e.fields.get("host"), None);
    assert_eq!(s(&e, "app_name"), Some("CRON"));
    assert_eq!(s(&e, "pid"), Some("999"));
    assert_eq!(
        s(&e, "message"),
        Some("pam_unix(cron:session): session opened for user root(uid=0) by (uid=0)")
    );
    assert_eq!(services(&e), ["cron", "auth", "syslog"]);
}

#[test]
fn syslog_3164_rsyslog_high_precision_timestamp() {
    let line = b"2024-01-02T03:04:05.123456+01:00 web01 su[77]: FAILED SU (to root) alice on pts/1";
    let e = syslog::parse(line, &origin(), 0).expect("parses");
    assert_eq!(e.time, Some(ts("2024-01-02T02:04:05.123456Z")));
    assert_eq!(s(&e, "timestamp"), Some("2024-01-02T03:04:05.123456+01:00"));
    assert_eq!(s(&e, "host"), Some("web01"));
    assert_eq!(s(&e, "app_name"), Some("su"));
    assert_eq!(s(&e, "pid"), Some("77"));
    assert_eq!(s(&e, "message"), Some("FAILED SU (to root) alice on pts/1"));
    assert_eq!(services(&e), ["su", "syslog"]);
}

#[test]
fn syslog_3164_kernel_and_unknown_program() {
    let line = b"<4>Mar  5 10:00:00 fw kernel: [12345.678] IN=eth0 OUT= SRC=198.51.100.7 DST=10.0.0.5 PROTO=TCP";
    let e = syslog::parse_at(line, &origin(), 0, june_2024()).expect("parses");
    assert_eq!(s(&e, "facility"), Some("kern"));
    assert_eq!(s(&e, "severity"), Some("warning"));
    assert_eq!(s(&e, "app_name"), Some("kernel"));
    assert_eq!(
        s(&e, "message"),
        Some("[12345.678] IN=eth0 OUT= SRC=198.51.100.7 DST=10.0.0.5 PROTO=TCP")
    );
    assert_eq!(services(&e), ["syslog"]);
}

#[test]
fn syslog_3164_pri_without_timestamp_is_all_message() {
    let e = syslog::parse(b"<34>su: 'su root' failed for lonvick on /dev/pts/8", &origin(), 0).expect("parses");
    assert_eq!(e.time, None);
    assert_eq!(s(&e, "facility"), Some("auth"));
    assert_eq!(s(&e, "severity"), Some("crit"));
    assert_eq!(s(&e, "app_name"), Some("su"));
    assert_eq!(s(&e, "message"), Some("'su root' failed for lonvick on /dev/pts/8"));
    assert_eq!(services(&e), ["su", "auth", "syslog"]);
}

#[test]
fn syslog_openssh_98_sshd_session_is_service_sshd() {
    let line = b"<38>Feb 10 08:00:01 web01 sshd-session[5150]: Connection closed by authenticating user root 192.0.2.1 port 4000 [preauth]";
    let e = syslog::parse_at(line, &origin(), 0, june_2024()).expect("parses");
    assert_eq!(s(&e, "app_name"), Some("sshd-session"));
    assert_eq!(services(&e), ["sshd", "auth", "syslog"]);
}

#[test]
fn syslog_3164_pri_then_number_is_not_5424() {
    let e = syslog::parse(b"<13>10 users logged in", &origin(), 0).expect("parses");
    assert_eq!(s(&e, "syslog_format"), Some("rfc3164"));
    assert_eq!(s(&e, "message"), Some("10 users logged in"));
}

#[test]
fn syslog_5424_with_structured_data_and_bom() {
    let line = "<165>1 2003-10-11T22:14:15.003Z mymachine.example.com evntslog - ID47 \
                [exampleSDID@32473 iut=\"3\" eventSource=\"Application\" eventID=\"1011\"]\
                [meta note=\"a \\\"quoted\\\" \\\\ back \\] bracket\" ip=\"10.0.0.1\" ip=\"10.0.0.2\"] \
                \u{feff}An application event log entry...";
    let e = syslog::parse(line.as_bytes(), &origin(), 5).expect("parses");
    assert_eq!(e.time, Some(ts("2003-10-11T22:14:15.003Z")));
    assert_eq!(s(&e, "facility"), Some("local4"));
    assert_eq!(s(&e, "severity"), Some("notice"));
    assert_eq!(e.fields.get("priority"), Some(&json!(165)));
    assert_eq!(s(&e, "host"), Some("mymachine.example.com"));
    assert_eq!(s(&e, "app_name"), Some("evntslog"));
    assert_eq!(e.fields.get("pid"), None);
    assert_eq!(s(&e, "msgid"), Some("ID47"));
    assert_eq!(s(&e, "timestamp"), Some("2003-10-11T22:14:15.003Z"));
    assert_eq!(s(&e, "syslog_format"), Some("rfc5424"));
    assert_eq!(s(&e, "message"), Some("An application event log entry..."));
    assert_eq!(s(&e, "sd.exampleSDID@32473.iut"), Some("3"));
    assert_eq!(s(&e, "sd.exampleSDID@32473.eventSource"), Some("Application"));
    assert_eq!(s(&e, "sd.meta.note"), Some(r#"a "quoted" \ back ] bracket"#));
    assert_eq!(e.fields.get("sd.meta.ip"), Some(&json!(["10.0.0.1", "10.0.0.2"])));
    assert_eq!(
        e.fields.get("structured_data"),
        Some(&json!({
            "exampleSDID@32473": {"iut": "3", "eventSource": "Application", "eventID": "1011"},
            "meta": {"note": "a \"quoted\" \\ back ] bracket", "ip": ["10.0.0.1", "10.0.0.2"]}
        }))
    );
    assert_eq!(
        e.fields.lookup("structured_data.exampleSDID@32473.eventID").as_deref(),
        Some(&json!("1011"))
    );
    assert_eq!(services(&e), ["syslog"]);
}

#[test]
fn syslog_5424_sshd_over_rsyslog() {
    let line =
        b"<38>1 2024-01-02T03:04:05.000001+00:00 bastion sshd 1234 - - Invalid user oracle from 192.0.2.4 port 4242";
    let e = syslog::parse(line, &origin(), 0).expect("parses");
    assert_eq!(e.time, Some(ts("2024-01-02T03:04:05.000001Z")));
    assert_eq!(s(&e, "pid"), Some("1234"));
    assert_eq!(e.fields.get("msgid"), None);
    assert_eq!(e.fields.get("structured_data"), None);
    assert_eq!(s(&e, "message"), Some("Invalid user oracle from 192.0.2.4 port 4242"));
    assert_eq!(services(&e), ["sshd", "auth", "syslog"]);
}

#[test]
fn syslog_5424_all_nil_and_malformed_sd() {
    let e = syslog::parse(b"<14>1 - - - - - -", &origin(), 0).expect("parses");
    assert_eq!(e.time, None);
    for name in [
        "timestamp",
        "host",
        "app_name",
        "pid",
        "msgid",
        "message",
        "structured_data",
    ] {
        assert_eq!(e.fields.get(name), None, "{name}");
    }
    // Not well-formed SD: kept as the start of MSG rather than dropped.
    let e = syslog::parse(b"<14>1 - host app - - [broken sd", &origin(), 0).expect("parses");
    assert_eq!(s(&e, "message"), Some("[broken sd"));
    assert_eq!(e.fields.get("structured_data"), None);
}

#[test]
fn syslog_with_cef_body_gets_cef_fields() {
    let line = b"<134>Jan  2 03:04:05 fw01 CEF:0|Palo Alto Networks|PAN-OS|10.1.0|end|TRAFFIC|3|rt=Jan 02 2024 03:04:05 src=10.0.0.5 dst=8.8.8.8 act=allow";
    let e = syslog::parse_at(line, &origin(), 0, june_2024()).expect("parses");
    assert_eq!(s(&e, "host"), Some("fw01"));
    assert_eq!(e.fields.get("app_name"), None);
    assert_eq!(s(&e, "severity"), Some("info"), "syslog's severity is kept");
    assert_eq!(s(&e, "cef_severity"), Some("3"), "CEF's severity under cef_");
    assert_eq!(s(&e, "deviceVendor"), Some("Palo Alto Networks"));
    assert_eq!(s(&e, "name"), Some("TRAFFIC"));
    assert_eq!(s(&e, "src"), Some("10.0.0.5"));
    assert_eq!(s(&e, "act"), Some("allow"));
    assert!(s(&e, "message").is_some_and(|m| m.starts_with("CEF:0|Palo Alto")));
    assert_eq!(e.time, Some(ts("2024-01-02T03:04:05Z")));
}

#[test]
fn syslog_invalid_utf8_is_replaced_not_rejected() {
    let e = syslog::parse(b"<13>1 - host app - - - caf\xe9 ol\xe9", &origin(), 0).expect("parses");
    assert_eq!(s(&e, "message"), Some("caf\u{fffd} ol\u{fffd}"));
}

#[test]
fn syslog_errors_keep_kind_and_offset() {
    for bad in [
        &b"<999>Jan  2 03:04:05 host app: x"[..],
        b"<abc>hello",
        b"<13",
        b"<13>",
        b"hello world, not syslog",
        b"<13>1 2024-01-02T03:04:05Z host",
    ] {
        assert_error(syslog::parse(bad, &origin(), 4096), "invalid_syslog", 4096);
    }
}

#[test]
fn syslog_end_to_end() {
    let e = parse_line(
        Format::Syslog,
        b"  <38>1 2024-01-02T03:04:05Z h sshd 1 - - Accepted publickey for git\n",
        &origin(),
        9,
    )
    .expect("parses");
    assert_eq!(s(&e, "message"), Some("Accepted publickey for git"));
    assert_eq!(e.source.offset, 9);
    assert_error(parse_line(Format::Syslog, b"<999>", &origin(), 3), "invalid_syslog", 3);
}

// ---------------------------------------------------------------------------------------------------- CEF

const FORTIGATE: &str = r"CEF:0|Fortinet|Forti\|Gate|7.2.5|0000000013|traffic:forward close|3|rt=1704164645000 src=10.1.1.5 spt=51000 dst=93.184.216.34 dpt=443 act=close suser=CORP\\alice msg=Policy \= allow-web; path C:\\Temp\\x request=https://example.com/a?b\=c&d\=e cs1Label=Policy Name cs1=allow web cn1Label=Bytes cn1=4096 cs2Label=src cs2=shadowed";

#[test]
fn cef_firewall_record_with_escapes_and_labels() {
    let e = cef::parse(FORTIGATE.as_bytes(), &origin(), 12).expect("parses");
    assert_eq!(e.time, Some(ts("2024-01-02T03:04:05Z")));
    let want = [
        ("cef_version", "0"),
        ("deviceVendor", "Fortinet"),
        ("deviceProduct", "Forti|Gate"),
        ("deviceVersion", "7.2.5"),
        ("deviceEventClassId", "0000000013"),
        ("name", "traffic:forward close"),
        ("severity", "3"),
        ("rt", "1704164645000"),
        ("src", "10.1.1.5"),
        ("spt", "51000"),
        ("dst", "93.184.216.34"),
        ("act", "close"),
        ("suser", r"CORP\alice"),
        ("msg", r"Policy = allow-web; path C:\Temp\x"),
        ("request", "https://example.com/a?b=c&d=e"),
        ("cs1Label", "Policy Name"),
        ("cs1", "allow web"),
        ("Policy Name", "allow web"),
        ("Bytes", "4096"),
    ];
    for (name, value) in want {
        assert_eq!(s(&e, name), Some(value), "{name}");
    }
    assert_eq!(
        s(&e, "src"),
        Some("10.1.1.5"),
        "a label never replaces an existing field"
    );
    assert_eq!(e.fields.get("syslog_header"), None);
    assert!(e.logsource.is_empty());
}

#[test]
fn cef_with_syslog_prefix_and_text_time() {
    let line = b"Jan  2 03:04:05 ids01 CEF:1|Trend Micro|Deep Security Agent|20.0|4000000|Eicar_test_file|6|cn1=1 cn1Label=Host ID dvchost=ids01 end=Jan 02 2024 03:04:05 UTC fname=eicar.com filePath=C:\\Users\\bob\\eicar.com";
    let e = cef::parse(line, &origin(), 0).expect("parses");
    assert_eq!(s(&e, "syslog_header"), Some("Jan  2 03:04:05 ids01"));
    assert_eq!(s(&e, "cef_version"), Some("1"));
    assert_eq!(s(&e, "name"), Some("Eicar_test_file"));
    assert_eq!(s(&e, "Host ID"), Some("1"));
    assert_eq!(s(&e, "end"), Some("Jan 02 2024 03:04:05 UTC"));
    assert_eq!(s(&e, "filePath"), Some(r"C:\Users\bob\eicar.com"));
    assert_eq!(e.time, Some(ts("2024-01-02T03:04:05Z")));
}

#[test]
fn cef_newlines_and_empty_extension() {
    let e = cef::parse(br"CEF:0|V|P|1|sig|multi|10|msg=line one\nline two\r", &origin(), 0).expect("parses");
    assert_eq!(s(&e, "msg"), Some("line one\nline two\r"));
    assert_eq!(e.time, None);
    let e = cef::parse(b"CEF:0|V|P|1|sig|n|Low|", &origin(), 0).expect("parses");
    assert_eq!(s(&e, "severity"), Some("Low"));
    assert_eq!(e.fields.len(), 7);
}

#[test]
fn cef_errors() {
    assert_error(
        cef::parse(b"CEF:0|Vendor|Product|1.0|100", &origin(), 55),
        "invalid_cef",
        55,
    );
    assert_error(cef::parse(b"no marker here", &origin(), 1), "invalid_cef", 1);
    assert_error(cef::parse(b"CEF:0|\xff|b|c|d|e|f|", &origin(), 2), "not_utf8", 2);
}

#[test]
fn cef_end_to_end() {
    let e = parse_line(Format::Cef, FORTIGATE.as_bytes(), &origin(), 1).expect("parses");
    assert_eq!(s(&e, "deviceProduct"), Some("Forti|Gate"));
    assert_error(parse_line(Format::Cef, b"CEF:0|a|b", &origin(), 8), "invalid_cef", 8);
}

// ---------------------------------------------------------------------------------------------------- limits

/// Records near the 1 MiB limit made of many small parts: parsing stays linear (this test would hang, not
/// fail, if a parser were quadratic in the number of parts).
#[test]
fn huge_records_with_many_parts() {
    const MAX: usize = 1 << 20;
    let fill = |head: &str, part: &str| {
        let mut line = head.to_string();
        while line.len() + part.len() < MAX - 64 {
            line.push_str(part);
        }
        line
    };
    let sd = fill("<13>1 - h a - - [x", " p=\"v\"") + "] msg";
    let e = parse_line(Format::Syslog, sd.as_bytes(), &origin(), 0).expect("parses");
    assert!(
        e.fields
            .get("sd.x.p")
            .and_then(Value::as_array)
            .is_some_and(|a| a.len() > 100_000)
    );
    let sd_ids = fill("<13>1 - h a - - ", "[i a=\"1\"]");
    assert!(parse_line(Format::Syslog, sd_ids.as_bytes(), &origin(), 0).is_ok());
    let cef = fill("CEF:0|v|p|1|c|n|1|", "k=v ");
    assert!(parse_line(Format::Cef, cef.as_bytes(), &origin(), 0).is_ok());
    let cef_keys: String = (0..60_000).map(|i| format!("k{i}=v\\= ")).collect();
    let e = parse_line(
        Format::Cef,
        format!("CEF:0|v|p|1|c|n|1|{cef_keys}").as_bytes(),
        &origin(),
        0,
    )
    .expect("parses");
    assert_eq!(e.fields.len(), 7 + 60_000);
    let cef_eq = fill("CEF:0|v|p|1|c|n|1|k=", "a=");
    assert!(parse_line(Format::Cef, cef_eq.as_bytes(), &origin(), 0).is_ok());
    let audit = fill("type=EXECVE msg=audit(1.1:1):", " a=\"b\" w");
    assert!(parse_line(Format::Auditd, audit.as_bytes(), &origin(), 0).is_ok());
    let audit_keys: String = (0..60_000).map(|i| format!(" a{i}[{i}]=41")).collect();
    let line = format!("type=EXECVE msg=audit(1.1:1):{audit_keys}");
    assert!(parse_line(Format::Auditd, line.as_bytes(), &origin(), 0).is_ok());
}

// ---------------------------------------------------------------------------------------------------- detect

#[test]
fn detect_text_formats() {
    let cases: [(&str, &[u8], Option<Format>); 13] = [
        (
            "/var/log/suricata/eve.json",
            EVE_ALERT.as_bytes(),
            Some(Format::SuricataEve),
        ),
        ("capture.json", EVE_ALERT.as_bytes(), Some(Format::SuricataEve)),
        (
            "capture.json",
            br#"{"timestamp":"2024-01-02T03:04:05.1+0000","event_type":"stats","stats":{}}"#,
            Some(Format::SuricataEve),
        ),
        ("conn.log", ZEEK_CONN.as_bytes(), Some(Format::Zeek)),
        ("export.ndjson", ZEEK_CONN.as_bytes(), Some(Format::Zeek)),
        ("export.ndjson", br#"{"_path":"dns","ts":1}"#, Some(Format::Zeek)),
        ("export.ndjson", br#"{"EventID":4625}"#, Some(Format::Ndjson)),
        ("/var/log/audit/audit.log", b"whatever", Some(Format::Auditd)),
        (
            "collected.txt",
            b"node=h type=SYSCALL msg=audit(1.1:1): x=1\n",
            Some(Format::Auditd),
        ),
        ("fw.txt", b"CEF:0|a|b|c|d|e|f|", Some(Format::Cef)),
        (
            "/var/log/secure",
            b"Jan  2 03:04:05 host sshd[1]: x\n",
            Some(Format::Syslog),
        ),
        ("remote.txt", b"<13>1 - - - - - - x", Some(Format::Syslog)),
        ("conn.log", b"#separator \\x09\n#set_separator\t,\n", None),
    ];
    for (name, head, want) in cases {
        assert_eq!(Format::detect(name, head), want, "{name}");
    }
    assert_eq!(Format::detect("notes.txt", b"just some words"), None);
    assert_eq!(Format::detect("page.txt", b"<html>"), None);
}

// ---------------------------------------------------------------------------------------------------- properties

const TEXT_FORMATS: [Format; 5] = [
    Format::Syslog,
    Format::Cef,
    Format::SuricataEve,
    Format::Zeek,
    Format::Auditd,
];

/// Byte strings biased towards each format's structure, so the fuzzing reaches past the first check.
fn structured_bytes() -> impl Strategy<Value = Vec<u8>> {
    let prefix = prop_oneof![
        Just(&b""[..]),
        Just(&b"<13>1 "[..]),
        Just(&b"<34>Jan  2 03:04:05 "[..]),
        Just(&b"<191>1 - h a - - [id "[..]),
        Just(&b"CEF:0|"[..]),
        Just(&b"type=EXECVE msg=audit(1.1:1): "[..]),
        Just(&b"{\"ts\":"[..]),
    ];
    let body = proptest::collection::vec(
        prop_oneof![
            4 => any::<u8>(),
            6 => proptest::sample::select(&b"[]\"\\=|' :<>0123456789aAJ\x1d-.\t{}"[..]),
        ],
        0..200,
    );
    (prefix, body).prop_map(|(p, b)| [p, &b[..]].concat())
}

proptest! {
    #[test]
    fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..512)) {
        for format in TEXT_FORMATS {
            let _ = parse_line(format, &bytes, &origin(), 0);
        }
    }

    #[test]
    fn structured_bytes_never_panic(bytes in structured_bytes()) {
        for format in TEXT_FORMATS {
            let result = parse_line(format, &bytes, &origin(), 99);
            if let Err(e) = result {
                prop_assert_eq!(e.offset, 99);
            }
        }
    }

    #[test]
    fn syslog_5424_structured_data_round_trips(
        pri in 0u8..=191,
        id in "[a-zA-Z][a-zA-Z0-9@._-]{0,15}",
        params in proptest::collection::btree_map("[a-zA-Z][a-zA-Z0-9_]{0,8}", "\\PC{0,20}", 1..5),
        message in "[ -~]{0,40}[a-z]",
    ) {
        let sd: String = params
            .iter()
            .map(|(k, v)| format!(" {k}=\"{}\"", syslog::escape_sd_value(v)))
            .collect();
        let line = format!("<{pri}>1 2024-01-02T03:04:05Z host app 42 MID [{id}{sd}] \u{feff}{message}");
        let e = parse_line(Format::Syslog, line.as_bytes(), &origin(), 0).expect("parses");
        prop_assert_eq!(e.fields.get("priority"), Some(&json!(pri)));
        prop_assert_eq!(e.fields.get_str("message"), Some(message.as_str()));
        prop_assert_eq!(e.fields.get_str("pid"), Some("42"));
        for (k, v) in &params {
            let flat = format!("sd.{id}.{k}");
            prop_assert_eq!(e.fields.get_str(&flat), Some(v.as_str()));
        }
        let object: BTreeMap<&String, &String> = params.iter().collect();
        let mut want = serde_json::Map::new();
        want.insert(id.clone(), json!(object));
        prop_assert_eq!(e.fields.get("structured_data"), Some(&Value::Object(want)));
    }

    #[test]
    fn cef_extension_round_trips(
        header in proptest::collection::vec("[ -~é]{0,12}", 6),
        ext in proptest::collection::btree_map(
            "[a-z][a-zA-Z0-9]{0,10}",
            // A value's trailing whitespace is the separator, not part of the value.
            "([ -~é]|\n|\r){0,24}".prop_map(|v| v.trim_end().to_string()),
            0..6,
        ),
    ) {
        let header_names = ["deviceVendor", "deviceProduct", "deviceVersion", "deviceEventClassId", "name", "severity"];
        let ext: Vec<_> = ext
            .into_iter()
            .filter(|(k, _)| !k.ends_with("Label") && !header_names.contains(&k.as_str()) && k != "cef_version")
            .collect();
        let head: Vec<String> = header.iter().map(|h| h.replace('\\', "\\\\").replace('|', "\\|")).collect();
        let body: Vec<String> = ext.iter().map(|(k, v)| format!("{k}={}", cef::escape_extension_value(v))).collect();
        let line = format!("CEF:0|{}|{}", head.join("|"), body.join(" "));
        let e = parse_line(Format::Cef, line.as_bytes(), &origin(), 0).expect("parses");
        prop_assert_eq!(e.fields.get_str("cef_version"), Some("0"));
        for (name, value) in header_names.iter().zip(&header) {
            prop_assert_eq!(e.fields.get_str(name), Some(value.as_str()), "{}", name);
        }
        for (k, v) in &ext {
            prop_assert_eq!(e.fields.get_str(k), Some(v.as_str()), "{}", k);
        }
        prop_assert_eq!(e.fields.len(), 7 + ext.len());
    }

    #[test]
    fn auditd_values_round_trip(
        args in proptest::collection::vec("\\PC{0,16}", 1..6),
        pairs in proptest::collection::btree_map("[a-z][a-z_]{0,8}", "[!#-~]{1,16}", 0..6),
        serial in 0u64..1_000_000,
    ) {
        // EXECVE arguments, hex-encoded the way auditd does for anything unusual.
        let encoded: Vec<String> = args
            .iter()
            .enumerate()
            .map(|(i, a)| format!("a{i}={}", a.bytes().map(|b| format!("{b:02X}")).collect::<String>()))
            .collect();
        let line = format!("type=EXECVE msg=audit(1704164645.123:{serial}): argc={} {}", args.len(), encoded.join(" "));
        let e = parse_line(Format::Auditd, line.as_bytes(), &origin(), 0).expect("parses");
        let serial_text = serial.to_string();
        prop_assert_eq!(e.fields.get_str("audit_serial"), Some(serial_text.as_str()));
        for (i, a) in args.iter().enumerate() {
            let want = if a.is_empty() { "" } else { a.as_str() };
            prop_assert_eq!(e.fields.get_str(&format!("a{i}")), Some(want));
        }
        // Quoted values come back unquoted, whatever they contain (but a quote).
        let quoted: Vec<String> = pairs.iter().map(|(k, v)| format!("{k}=\"{v}\"")).collect();
        let line = format!("type=SYSCALL msg=audit(1.5:{serial}): {}", quoted.join(" "));
        let e = parse_line(Format::Auditd, line.as_bytes(), &origin(), 0).expect("parses");
        for (k, v) in &pairs {
            if k != "type" {
                prop_assert_eq!(e.fields.get_str(k), Some(v.as_str()), "{}", k);
            }
        }
    }

    #[test]
    fn json_formats_keep_members(
        members in proptest::collection::btree_map("[a-z._]{1,10}", prop_oneof![
            any::<i64>().prop_map(Value::from),
            "\\PC{0,12}".prop_map(Value::from),
            any::<bool>().prop_map(Value::from),
        ], 0..8),
    ) {
        let object: serde_json::Map<String, Value> = members.into_iter().collect();
        let line = serde_json::to_vec(&Value::Object(object.clone())).expect("serializes");
        for format in [Format::SuricataEve, Format::Zeek] {
            let e = parse_line(format, &line, &origin(), 0).expect("parses");
            prop_assert_eq!(e.fields.to_json(), Value::Object(object.clone()));
        }
    }
}
