//! Finding observables in one event: its fields are walked (nested objects as dotted names, so
//! `{"source":{"ip":…}}` and `"source.ip"` read alike; arrays element by element) and each field
//! of a well-known name ([`FIELDS`]) gives the values of its kind, normalised and without noise.
//!
//! Decisions worth knowing:
//! - a name in a host or domain field that is an IP address is kept as an `ip`; a single-label
//!   name in a domain field (a `QueryName` of `wpad`) as a `host`;
//! - a machine account in a user field (`CORP\WS01$`) is kept as the `host` it stands for;
//! - Sysmon's `Hashes` (`SHA1=…,MD5=…,SHA256=…,IMPHASH=…`) gives one `hash` per algorithm,
//!   except the import hash (it identifies an import table, not a file);
//! - e-mail fields may hold lists (`a@x.org, b@y.org`).

use std::collections::HashSet;

use serde_json::Value;

use super::{ObservableKind, is_noise, machine_account, normalize};

/// Deepest nesting walked.
const MAX_DEPTH: usize = 8;
/// Most leaf values examined in one event.
const MAX_LEAVES: usize = 4096;
/// Most observables taken from one event.
pub const MAX_PER_EVENT: usize = 256;

/// One observable found in an event: its kind, normal form, and the field it was in.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Observed {
    pub kind: ObservableKind,
    pub value: String,
    pub field: String,
}

/// How a field's values are read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Read {
    /// One value of this kind.
    One(ObservableKind),
    /// Sysmon's `ALGO=hex,ALGO=hex` list (or a bare hash).
    Hashes,
    /// Addresses separated by `,` or `;`.
    Emails,
}

use ObservableKind as K;
use Read::{Emails, Hashes, One};

/// The fields read, by exact name (nested objects joined with dots): Windows event logs and
/// Sysmon as EVTX flattens them, Elastic Common Schema, syslog, Zeek, Suricata EVE, CEF and
/// auditd.
pub const FIELDS: &[(&str, ObservableKind)] = &[
    // Addresses.
    ("IpAddress", K::Ip),
    ("SourceIp", K::Ip),
    ("DestinationIp", K::Ip),
    ("SourceAddress", K::Ip),
    ("DestAddress", K::Ip),
    ("DestinationAddress", K::Ip),
    ("ClientAddress", K::Ip),
    ("ClientIP", K::Ip),
    ("source.ip", K::Ip),
    ("destination.ip", K::Ip),
    ("client.ip", K::Ip),
    ("server.ip", K::Ip),
    ("host.ip", K::Ip),
    ("related.ip", K::Ip),
    ("src_ip", K::Ip),
    ("dest_ip", K::Ip),
    ("dst_ip", K::Ip),
    ("id.orig_h", K::Ip),
    ("id.resp_h", K::Ip),
    ("src", K::Ip),
    ("dst", K::Ip),
    ("addr", K::Ip),
    ("remote_addr", K::Ip),
    // Names looked up or connected to.
    ("QueryName", K::Domain),
    ("DestinationHostname", K::Domain),
    ("dns.question.name", K::Domain),
    ("dns.rrname", K::Domain),
    ("dns.queries.rrname", K::Domain),
    ("destination.domain", K::Domain),
    ("url.domain", K::Domain),
    ("http.hostname", K::Domain),
    ("tls.sni", K::Domain),
    ("query", K::Domain),
    ("server_name", K::Domain),
    // URLs (only absolute ones are kept).
    ("url", K::Url),
    ("url.full", K::Url),
    ("url.original", K::Url),
    ("http.url", K::Url),
    ("request", K::Url),
    ("requestUrl", K::Url),
    // Machines.
    ("Computer", K::Host),
    ("Hostname", K::Host),
    ("ComputerName", K::Host),
    ("WorkstationName", K::Host),
    ("Workstation", K::Host),
    ("SourceHostname", K::Host),
    ("host", K::Host),
    ("hostname", K::Host),
    ("host.name", K::Host),
    ("host.hostname", K::Host),
    ("shost", K::Host),
    ("dhost", K::Host),
    // Accounts.
    ("User", K::User),
    ("TargetUserName", K::User),
    ("SubjectUserName", K::User),
    ("SamAccountName", K::User),
    ("AccountName", K::User),
    ("UserName", K::User),
    ("user", K::User),
    ("username", K::User),
    ("user.name", K::User),
    ("source.user.name", K::User),
    ("destination.user.name", K::User),
    ("src_user", K::User),
    ("dest_user", K::User),
    ("suser", K::User),
    ("duser", K::User),
    ("acct", K::User),
    // Hashes (`Hashes` and `Hash` are read as lists, see [`extract`]).
    ("Hashes", K::Hash),
    ("Hash", K::Hash),
    ("md5", K::Hash),
    ("sha1", K::Hash),
    ("sha256", K::Hash),
    ("file.hash.md5", K::Hash),
    ("file.hash.sha1", K::Hash),
    ("file.hash.sha256", K::Hash),
    ("process.hash.md5", K::Hash),
    ("process.hash.sha1", K::Hash),
    ("process.hash.sha256", K::Hash),
    ("hash.md5", K::Hash),
    ("hash.sha1", K::Hash),
    ("hash.sha256", K::Hash),
    ("fileinfo.md5", K::Hash),
    ("fileinfo.sha1", K::Hash),
    ("fileinfo.sha256", K::Hash),
    ("fileHash", K::Hash),
    // Files.
    ("Image", K::File),
    ("ParentImage", K::File),
    ("SourceImage", K::File),
    ("TargetImage", K::File),
    ("ImageLoaded", K::File),
    ("TargetFilename", K::File),
    ("NewProcessName", K::File),
    ("ParentProcessName", K::File),
    ("ProcessName", K::File),
    ("ServiceFileName", K::File),
    ("ImagePath", K::File),
    ("file.path", K::File),
    ("dll.path", K::File),
    ("process.executable", K::File),
    ("process.parent.executable", K::File),
    ("fileinfo.filename", K::File),
    ("filePath", K::File),
    ("exe", K::File),
    // E-mail addresses (lists allowed).
    ("email", K::Email),
    ("user.email", K::Email),
    ("email.from.address", K::Email),
    ("email.to.address", K::Email),
    ("email.sender.address", K::Email),
    ("from", K::Email),
    ("to", K::Email),
    ("sender", K::Email),
    ("recipient", K::Email),
    ("mail_from", K::Email),
    ("rcpt_to", K::Email),
    ("SenderAddress", K::Email),
    ("RecipientAddress", K::Email),
];

fn read_of(field: &str) -> Option<Read> {
    let (_, kind) = FIELDS.iter().find(|(name, _)| *name == field)?;
    Some(match (kind, field) {
        (K::Hash, "Hashes" | "Hash") => Hashes,
        (K::Email, _) => Emails,
        (kind, _) => One(*kind),
    })
}

/// The observables of one event: `host` is the host the event came from (as stored beside its
/// fields), `fields` its fields (a JSON object; anything else yields nothing). Each (kind, value)
/// once, with the first field it was found in; at most [`MAX_PER_EVENT`].
pub fn extract(host: Option<&str>, fields: &Value) -> Vec<Observed> {
    let mut out = Collector::default();
    if let Some(h) = host {
        out.add(K::Host, h, "host");
    }
    let mut leaves = 0usize;
    walk(fields, &mut String::new(), 0, &mut leaves, &mut out);
    out.found
}

#[derive(Default)]
struct Collector {
    found: Vec<Observed>,
    seen: HashSet<(ObservableKind, String)>,
}

impl Collector {
    fn push(&mut self, kind: ObservableKind, value: String, field: &str) {
        if self.found.len() < MAX_PER_EVENT && !is_noise(kind, &value) && self.seen.insert((kind, value.clone())) {
            self.found.push(Observed {
                kind,
                value,
                field: field.to_owned(),
            });
        }
    }

    /// `raw` read from a field of `kind`, reclassified where it is plainly something else.
    fn add(&mut self, kind: ObservableKind, raw: &str, field: &str) {
        let raw = raw.trim();
        if is_noise(kind, raw) {
            return;
        }
        match kind {
            K::Host | K::Domain if normalize(K::Ip, raw).is_ok() => self.add(K::Ip, raw, field),
            K::Domain if normalize(K::Domain, raw).is_err() => {
                if let Ok(h) = normalize(K::Host, raw) {
                    self.push(K::Host, h, field);
                }
            }
            K::User => match machine_account(raw) {
                Some(h) => self.push(K::Host, h, field),
                None => {
                    if let Ok(u) = normalize(K::User, raw) {
                        self.push(K::User, u, field);
                    }
                }
            },
            _ => {
                if let Ok(v) = normalize(kind, raw) {
                    self.push(kind, v, field);
                }
            }
        }
    }

    fn read(&mut self, read: Read, raw: &str, field: &str) {
        match read {
            One(kind) => self.add(kind, raw, field),
            Hashes => {
                for part in raw.split([',', ';']) {
                    let (algo, hex) = part.split_once('=').unwrap_or(("", part));
                    if !algo.trim().eq_ignore_ascii_case("imphash") {
                        self.add(K::Hash, hex, field);
                    }
                }
            }
            Emails => {
                for part in raw.split([',', ';']) {
                    self.add(K::Email, part, field);
                }
            }
        }
    }
}

fn walk(value: &Value, path: &mut String, depth: usize, leaves: &mut usize, out: &mut Collector) {
    if depth > MAX_DEPTH || *leaves >= MAX_LEAVES {
        return;
    }
    match value {
        Value::Object(map) => {
            for (key, child) in map {
                let len = path.len();
                if !path.is_empty() {
                    path.push('.');
                }
                path.push_str(key);
                walk(child, path, depth + 1, leaves, out);
                path.truncate(len);
            }
        }
        Value::Array(items) => {
            for item in items {
                walk(item, path, depth + 1, leaves, out);
            }
        }
        Value::String(s) => {
            *leaves += 1;
            if let Some(read) = read_of(path) {
                out.read(read, s, path);
            }
        }
        Value::Null | Value::Bool(_) | Value::Number(_) => *leaves += 1,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    /// What was found, sorted: the order of an object's fields depends on serde_json's features.
    fn found(host: Option<&str>, fields: Value) -> Vec<(String, String, String)> {
        let mut got: Vec<_> = extract(host, &fields)
            .into_iter()
            .map(|o| (o.kind.to_string(), o.value, o.field))
            .collect();
        got.sort();
        got
    }

    fn sorted<const N: usize>(mut want: [(String, String, String); N]) -> Vec<(String, String, String)> {
        want.sort();
        want.to_vec()
    }

    fn triple(kind: &str, value: &str, field: &str) -> (String, String, String) {
        (kind.into(), value.into(), field.into())
    }

    #[test]
    fn a_windows_logon_gives_its_address_user_and_workstation() {
        let event = json!({
            "EventID": 4625, "Channel": "Security", "Computer": "DC01.corp.example",
            "TargetUserName": "alice", "TargetDomainName": "CORP", "SubjectUserName": "-",
            "IpAddress": "::ffff:10.1.2.3", "IpPort": "51000", "WorkstationName": "WS0049",
            "LogonType": 3
        });
        assert_eq!(
            found(None, event),
            sorted([
                triple("host", "dc01.corp.example", "Computer"),
                triple("ip", "10.1.2.3", "IpAddress"),
                triple("user", "alice", "TargetUserName"),
                triple("host", "ws0049", "WorkstationName"),
            ])
        );
    }

    #[test]
    fn sysmon_process_creation_gives_files_hashes_and_its_user() {
        let event = json!({
            "EventID": 1, "Computer": "ws0049", "User": "CORP\\bob",
            "Image": "C:\\Windows\\System32\\WindowsPowerShell\\v1.0\\powershell.exe",
            "ParentImage": "C:\\Windows\\explorer.exe",
            "Hashes": "SHA1=DA39A3EE5E6B4B0D3255BFEF95601890AFD80709,MD5=D41D8CD98F00B204E9800998ECF8427E,SHA256=E3B0C44298FC1C149AFBF4C8996FB92427AE41E4649B934CA495991B7852B855,IMPHASH=00000000000000000000000000000001"
        });
        let got = found(None, event);
        assert!(got.contains(&triple("user", "CORP\\bob", "User")), "{got:?}");
        assert!(got.contains(&triple(
            "file",
            "c:\\windows\\system32\\windowspowershell\\v1.0\\powershell.exe",
            "Image"
        )));
        assert!(got.contains(&triple("file", "c:\\windows\\explorer.exe", "ParentImage")));
        let hashes: Vec<_> = got.iter().filter(|t| t.0 == "hash").map(|t| t.1.as_str()).collect();
        assert_eq!(
            hashes,
            [
                "d41d8cd98f00b204e9800998ecf8427e",
                "da39a3ee5e6b4b0d3255bfef95601890afd80709",
                "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
            ],
            "no import hash"
        );
    }

    #[test]
    fn sysmon_network_and_dns_events() {
        let net = json!({
            "EventID": 3, "SourceIp": "10.1.218.199", "DestinationIp": "104.232.185.77",
            "DestinationHostname": "login.microsoftonline.com", "User": "NT AUTHORITY\\SYSTEM"
        });
        assert_eq!(
            found(None, net),
            sorted([
                triple("ip", "104.232.185.77", "DestinationIp"),
                triple("domain", "login.microsoftonline.com", "DestinationHostname"),
                triple("ip", "10.1.218.199", "SourceIp"),
            ]),
            "SYSTEM is noise"
        );
        let dns = json!({"EventID": 22, "QueryName": "wpad", "Image": "System"});
        assert_eq!(found(None, dns), [triple("host", "wpad", "QueryName")]);
    }

    #[test]
    fn ecs_documents_nested_or_dotted() {
        let nested = json!({
            "source": {"ip": "192.0.2.10"}, "destination": {"ip": "198.51.100.7", "domain": "Evil.Example"},
            "url": {"full": "https://evil.example/payload.bin"}, "user": {"name": "carol", "email": "Carol@Example.org"},
            "host": {"name": "web01", "ip": ["10.0.0.4", "127.0.0.1"]},
            "file": {"hash": {"sha256": "E3B0C44298FC1C149AFBF4C8996FB92427AE41E4649B934CA495991B7852B855"}, "path": "/tmp/x"}
        });
        let got = found(None, nested);
        for want in [
            triple("ip", "192.0.2.10", "source.ip"),
            triple("ip", "198.51.100.7", "destination.ip"),
            triple("domain", "evil.example", "destination.domain"),
            triple("url", "https://evil.example/payload.bin", "url.full"),
            triple("user", "carol", "user.name"),
            triple("email", "carol@example.org", "user.email"),
            triple("host", "web01", "host.name"),
            triple("ip", "10.0.0.4", "host.ip"),
            triple(
                "hash",
                "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
                "file.hash.sha256",
            ),
            triple("file", "/tmp/x", "file.path"),
        ] {
            assert!(got.contains(&want), "{want:?} in {got:?}");
        }
        assert_eq!(got.len(), 10, "loopback skipped: {got:?}");
        let dotted = json!({"source.ip": "192.0.2.10", "user.name": "carol"});
        assert_eq!(
            found(None, dotted),
            sorted([
                triple("ip", "192.0.2.10", "source.ip"),
                triple("user", "carol", "user.name")
            ])
        );
    }

    #[test]
    fn zeek_eve_and_syslog() {
        let zeek =
            json!({"_path": "dns", "id.orig_h": "10.0.0.5", "id.resp_h": "10.0.0.53", "query": "c2.example.net"});
        let got = found(None, zeek);
        assert!(got.contains(&triple("domain", "c2.example.net", "query")), "{got:?}");
        assert_eq!(got.len(), 3);
        let eve = json!({
            "event_type": "http", "src_ip": "10.0.0.5", "dest_ip": "203.0.113.9",
            "http": {"hostname": "files.example.com", "url": "/a.exe"},
            "dns": {"rrname": "files.example.com"}
        });
        let got = found(None, eve);
        assert_eq!(got.len(), 3, "a relative http.url is no URL; the name once: {got:?}");
        let syslog = json!({"host": "fw01", "program": "sshd", "message": "Failed password for root"});
        assert_eq!(found(Some("fw01"), syslog), [triple("host", "fw01", "host")]);
    }

    #[test]
    fn machine_accounts_lists_and_noise() {
        let event = json!({
            "SubjectUserName": "WS01$", "TargetUserName": "ANONYMOUS LOGON", "IpAddress": "-",
            "to": "a@example.org; B@Example.org, not-an-address", "Computer": "localhost"
        });
        assert_eq!(
            found(None, event),
            sorted([
                triple("host", "ws01", "SubjectUserName"),
                triple("email", "a@example.org", "to"),
                triple("email", "b@example.org", "to"),
            ])
        );
    }

    #[test]
    fn not_an_object_yields_nothing_and_nesting_is_bounded() {
        assert!(extract(None, &json!("10.0.0.1")).is_empty());
        assert!(extract(None, &json!(null)).is_empty());
        let mut deep = json!({"IpAddress": "10.0.0.1"});
        for _ in 0..50 {
            deep = json!({ "x": deep });
        }
        assert!(extract(None, &deep).is_empty(), "past the depth bound");
        let many: serde_json::Map<String, Value> = (0..1000)
            .map(|i| (format!("f{i}"), json!(format!("10.0.{}.{}", i / 250, i % 250))))
            .chain([("src_ip".to_owned(), json!(["10.9.0.1", "10.9.0.1", "10.9.0.1"]))])
            .collect();
        assert_eq!(extract(None, &Value::Object(many)).len(), 1);
    }

    #[test]
    fn extraction_is_bounded_per_event() {
        let ips: Vec<String> = (0..400).map(|i| format!("10.{}.{}.1", i / 200, i % 200)).collect();
        let event = json!({ "related": {"ip": ips} });
        assert_eq!(extract(None, &event).len(), MAX_PER_EVENT);
    }

    #[test]
    fn every_field_name_is_listed_once() {
        let mut names: Vec<&str> = FIELDS.iter().map(|(n, _)| *n).collect();
        names.sort_unstable();
        let before = names.len();
        names.dedup();
        assert_eq!(names.len(), before);
    }
}

#[cfg(test)]
mod props {
    use super::*;
    use proptest::prelude::*;

    /// Field names: the well-known ones (so values reach the checks) and arbitrary ones.
    fn key() -> impl Strategy<Value = String> {
        prop_oneof![
            (0..FIELDS.len()).prop_map(|i| FIELDS[i].0.to_owned()),
            "[a-zA-Z._]{0,12}",
        ]
    }

    /// Values that look like observables half-way, and arbitrary text.
    fn text() -> impl Strategy<Value = String> {
        prop_oneof![
            any::<String>(),
            "[0-9a-fA-F:.%\\[\\]]{0,48}",
            "[a-zA-Z0-9$\\\\@<>=,;:/._ -]{0,64}",
        ]
    }

    fn json() -> impl Strategy<Value = Value> {
        let leaf = prop_oneof![
            Just(Value::Null),
            any::<bool>().prop_map(Value::Bool),
            any::<i64>().prop_map(Value::from),
            text().prop_map(Value::String),
        ];
        leaf.prop_recursive(6, 64, 8, |inner| {
            prop_oneof![
                prop::collection::vec(inner.clone(), 0..8).prop_map(Value::Array),
                prop::collection::vec((key(), inner), 0..8).prop_map(|kv| Value::Object(kv.into_iter().collect())),
            ]
        })
    }

    proptest! {
        /// Any JSON: no panic, and everything found is a valid normal form, once, without noise.
        #[test]
        fn arbitrary_events_never_panic(host in proptest::option::of(text()), fields in json()) {
            let found = extract(host.as_deref(), &fields);
            prop_assert!(found.len() <= MAX_PER_EVENT);
            let mut seen = HashSet::new();
            for o in &found {
                prop_assert_eq!(normalize(o.kind, &o.value), Ok(o.value.clone()));
                prop_assert!(!is_noise(o.kind, &o.value));
                prop_assert!(seen.insert((o.kind, o.value.clone())));
            }
        }

        /// Normalising is idempotent for every kind.
        #[test]
        fn normal_forms_are_fixed_points(raw in text()) {
            for kind in ObservableKind::ALL {
                if let Ok(v) = normalize(*kind, &raw) {
                    prop_assert_eq!(normalize(*kind, &v), Ok(v.clone()));
                }
            }
        }
    }
}
