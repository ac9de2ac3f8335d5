//! Observables: the IPs, domains, URLs, hosts, users, file hashes, file paths and e-mail
//! addresses an incident's events name — what an analyst pivots on and shares.
//!
//! [`normalize`] checks one value of a kind and gives its normal form (the form stored and
//! compared, so the same address written two ways is one observable); [`extract`] finds the
//! observables in one event's fields by their well-known names ([`extract::FIELDS`]), skipping the
//! values that name nothing worth pivoting on ([`is_noise`]: loopback addresses, `-`, built-in
//! Windows accounts). Both are pure and total: no input panics, every walk is bounded.

pub mod extract;

pub use extract::{Observed, extract};

use std::net::IpAddr;

use crate::error::{RespondError, quoted};
use crate::wire::wire_enum;

wire_enum! {
    /// What an observable is.
    pub enum ObservableKind {
        /// An IPv4 or IPv6 address (IPv4-mapped IPv6 addresses are written as IPv4).
        Ip = "ip",
        /// A domain name looked up or connected to (DNS queries, TLS SNI, HTTP hosts).
        Domain = "domain",
        /// An absolute URL (`scheme://host…`).
        Url = "url",
        /// A machine's name (the event's host, `Computer`, a workstation, a machine account).
        Host = "host",
        /// A user or account name, as the log wrote it (`CORP\alice`, `root`).
        User = "user",
        /// A file hash: MD5, SHA-1 or SHA-256, in hexadecimal.
        Hash = "hash",
        /// A file path (an image, a created file, a loaded module).
        File = "file",
        /// An e-mail address.
        Email = "email",
    }
}

/// Longest value of any kind, in bytes (URLs are the longest).
pub const MAX_VALUE_BYTES: usize = 2048;

/// The normal form of `raw` as an observable of `kind`, or why it is not one. Normal forms:
/// canonical IP text; lower-case domains, hosts, hashes and e-mail addresses; URLs with their
/// scheme and host lower-cased; Windows paths (with `\` or a drive letter) lower-cased, other
/// paths and user names as written. Surrounding white space is dropped.
pub fn normalize(kind: ObservableKind, raw: &str) -> Result<String, RespondError> {
    let v = raw.trim();
    let bad = |why: &str| RespondError::invalid(format!("{} is not a valid {kind} value: {why}", quoted(v)));
    if v.is_empty() {
        return Err(bad("it is empty"));
    }
    if v.len() > MAX_VALUE_BYTES {
        return Err(bad(&format!("longer than {MAX_VALUE_BYTES} bytes")));
    }
    if v.chars().any(char::is_control) {
        return Err(bad("it holds control characters"));
    }
    match kind {
        ObservableKind::Ip => ip(v)
            .map(|ip| ip.to_string())
            .ok_or_else(|| bad("not an IPv4 or IPv6 address")),
        ObservableKind::Domain => domain(v).map_err(&bad),
        ObservableKind::Host => host(v).ok_or_else(|| bad("letters, digits, `-`, `_` and dots only")),
        ObservableKind::Url => url(v).map_err(&bad),
        ObservableKind::Hash => hash(v).ok_or_else(|| bad("32, 40 or 64 hexadecimal digits (MD5, SHA-1, SHA-256)")),
        ObservableKind::Email => email(v).ok_or_else(|| bad("not a `name@domain.tld` address")),
        ObservableKind::File => Ok(file(v)),
        ObservableKind::User if v.chars().count() > 256 => Err(bad("longer than 256 characters")),
        ObservableKind::User => Ok(v.to_owned()),
    }
}

/// An address, as written in logs: `[::1]`, `fe80::1%eth0` and `::ffff:10.0.0.5` included.
fn ip(v: &str) -> Option<IpAddr> {
    let v = v.strip_prefix('[').and_then(|s| s.strip_suffix(']')).unwrap_or(v);
    let v = v.split_once('%').map_or(v, |(addr, _zone)| addr);
    match v.parse::<IpAddr>().ok()? {
        IpAddr::V6(six) => Some(six.to_ipv4_mapped().map_or(IpAddr::V6(six), IpAddr::V4)),
        four => Some(four),
    }
}

/// Letters, digits, `-` and `_`, not starting or ending with `-`, 1 to 63 bytes.
fn label_ok(label: &str) -> bool {
    (1..=63).contains(&label.len())
        && label
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        && !label.starts_with('-')
        && !label.ends_with('-')
}

/// A lower-cased name of dot-separated labels (a trailing dot dropped), at most 253 bytes.
fn name(v: &str) -> Option<String> {
    let v = v.strip_suffix('.').unwrap_or(v).to_ascii_lowercase();
    (v.len() <= 253 && v.split('.').all(label_ok)).then_some(v)
}

fn domain(v: &str) -> Result<String, &'static str> {
    if ip(v).is_some() {
        return Err("an IP address (kind `ip`)");
    }
    if !v.is_ascii() {
        return Err("write international names in their `xn--` form");
    }
    let d = name(v).ok_or("labels of letters, digits, `-` and `_`, separated by dots")?;
    let tld = d.rsplit('.').next().unwrap_or_default();
    if !d.contains('.') || tld.bytes().all(|b| b.is_ascii_digit()) {
        return Err("a domain has at least two labels and a top-level label that is not a number");
    }
    Ok(d)
}

fn host(v: &str) -> Option<String> {
    if let Some(ip) = ip(v) {
        return Some(ip.to_string());
    }
    v.is_ascii().then(|| name(v)).flatten()
}

fn url(v: &str) -> Result<String, &'static str> {
    if v.chars().any(char::is_whitespace) {
        return Err("it holds white space");
    }
    let (scheme, rest) = v.split_once("://").ok_or("an absolute URL starts with `scheme://`")?;
    let scheme_ok = scheme.starts_with(|c: char| c.is_ascii_alphabetic())
        && scheme
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'+' | b'-' | b'.'));
    if !scheme_ok {
        return Err("the scheme is not letters, digits, `+`, `-` or `.`");
    }
    let end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let (authority, tail) = rest.split_at(end);
    let host_port = authority.rsplit_once('@').map_or(authority, |(_user, hp)| hp);
    let host = match host_port.strip_prefix('[') {
        Some(six) => six.split_once(']').map(|(h, _)| h).unwrap_or(six),
        None => host_port.split(':').next().unwrap_or_default(),
    };
    if host.is_empty() {
        return Err("it names no host");
    }
    let user = &authority[..authority.len() - host_port.len()];
    Ok(format!(
        "{}://{user}{}{tail}",
        scheme.to_ascii_lowercase(),
        host_port.to_ascii_lowercase()
    ))
}

fn hash(v: &str) -> Option<String> {
    (matches!(v.len(), 32 | 40 | 64) && v.bytes().all(|b| b.is_ascii_hexdigit())).then(|| v.to_ascii_lowercase())
}

fn email(v: &str) -> Option<String> {
    // `Ann <ann@example.org>` as mail logs write it.
    let v = match (v.rfind('<'), v.strip_suffix('>')) {
        (Some(open), Some(inner)) => inner.get(open + 1..)?.trim(),
        _ => v,
    };
    let (local, dom) = v.rsplit_once('@')?;
    let local_ok = (1..=64).contains(&local.len())
        && local
            .bytes()
            .all(|b| b.is_ascii_graphic() && !matches!(b, b'<' | b'>' | b'@' | b',' | b';' | b'"'));
    let dom = domain(dom).ok()?;
    (local_ok && v.len() <= 254).then(|| format!("{}@{dom}", local.to_ascii_lowercase()))
}

/// Windows paths are case-insensitive: lower-cased so that two spellings are one observable.
fn file(v: &str) -> String {
    let b = v.as_bytes();
    let drive = b.len() >= 2 && b[0].is_ascii_alphabetic() && b[1] == b':';
    if drive || v.contains('\\') {
        v.to_lowercase()
    } else {
        v.to_owned()
    }
}

/// Accounts that are part of Windows itself: in nearly every event, they say nothing.
const BUILTIN_ACCOUNTS: [&str; 10] = [
    "system",
    "local service",
    "network service",
    "localsystem",
    "anonymous logon",
    "localservice",
    "networkservice",
    "trustedinstaller",
    "n/a",
    "unknown",
];

/// The account part of `DOMAIN\name` (or `name` alone), lower-cased.
fn account(user: &str) -> String {
    user.rsplit('\\').next().unwrap_or(user).to_ascii_lowercase()
}

/// Whether a normalised value names nothing worth pivoting on: `-`, loopback, unspecified,
/// broadcast and multicast addresses, `localhost` and reverse-lookup names, Windows' built-in
/// accounts (`SYSTEM`, `LOCAL SERVICE`, `NT SERVICE\…`, the `DWM-n`/`UMFD-n` session accounts),
/// all-zero hashes and file "paths" without a separator (Sysmon's `System`, `Registry`).
pub fn is_noise(kind: ObservableKind, value: &str) -> bool {
    if matches!(value, "-" | "" | "?" | "(null)" | "null" | "none") {
        return true;
    }
    match kind {
        ObservableKind::Ip => ip(value).is_none_or(|ip| {
            ip.is_loopback() || ip.is_unspecified() || ip.is_multicast() || ip == IpAddr::from([255, 255, 255, 255])
        }),
        ObservableKind::Domain | ObservableKind::Host => {
            value == "localhost"
                || value == "localhost.localdomain"
                || value.ends_with(".localhost")
                || value.ends_with(".in-addr.arpa")
                || value.ends_with(".ip6.arpa")
        }
        ObservableKind::User => {
            let lower = value.to_ascii_lowercase();
            let acct = account(value);
            let session = |prefix: &str| {
                acct.strip_prefix(prefix)
                    .is_some_and(|n| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()))
            };
            BUILTIN_ACCOUNTS.contains(&acct.as_str())
                || lower.starts_with("nt service\\")
                || acct == "-"
                || session("dwm-")
                || session("umfd-")
        }
        ObservableKind::Hash => value.bytes().all(|b| b == b'0'),
        ObservableKind::File => !value.contains(['\\', '/']),
        ObservableKind::Url | ObservableKind::Email => false,
    }
}

/// A machine account (`CORP\WS01$`, `ws01$`): the host it stands for (`ws01`).
pub fn machine_account(user: &str) -> Option<String> {
    let acct = user.rsplit('\\').next().unwrap_or(user);
    host(acct.strip_suffix('$')?).filter(|h| !h.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;
    use ObservableKind as K;

    #[test]
    fn kinds_have_their_wire_names() {
        let names: Vec<&str> = K::ALL.iter().map(|k| k.as_str()).collect();
        assert_eq!(names, ["ip", "domain", "url", "host", "user", "hash", "file", "email"]);
    }

    #[test]
    fn values_are_normalised() {
        let table: &[(K, &str, &str)] = &[
            (K::Ip, " 10.1.2.3 ", "10.1.2.3"),
            (K::Ip, "::ffff:10.0.0.5", "10.0.0.5"),
            (K::Ip, "[2001:DB8::1]", "2001:db8::1"),
            (K::Ip, "fe80::1%eth0", "fe80::1"),
            (K::Domain, "Evil.Example.COM.", "evil.example.com"),
            (K::Domain, "xn--bcher-kva.example", "xn--bcher-kva.example"),
            (K::Host, "WS0049.corp.example", "ws0049.corp.example"),
            (K::Host, "DC01", "dc01"),
            (K::Host, "10.0.0.9", "10.0.0.9"),
            (
                K::Url,
                "HTTPS://User@Evil.Example:8443/Path?Q=1",
                "https://User@evil.example:8443/Path?Q=1",
            ),
            (K::Url, "http://[2001:db8::1]/x", "http://[2001:db8::1]/x"),
            (
                K::Hash,
                "D41D8CD98F00B204E9800998ECF8427E",
                "d41d8cd98f00b204e9800998ecf8427e",
            ),
            (
                K::File,
                "C:\\Windows\\System32\\CMD.EXE",
                "c:\\windows\\system32\\cmd.exe",
            ),
            (K::File, "/usr/bin/Curl", "/usr/bin/Curl"),
            (K::User, "CORP\\Alice", "CORP\\Alice"),
            (K::Email, "Ann <Ann.Lee@Example.ORG>", "ann.lee@example.org"),
        ];
        for (kind, raw, want) in table {
            assert_eq!(normalize(*kind, raw).as_deref(), Ok(*want), "{kind} {raw:?}");
        }
    }

    #[test]
    fn invalid_values_are_refused_with_a_reason() {
        let table: &[(K, &str, &str)] = &[
            (K::Ip, "10.1.2", "not an IPv4"),
            (K::Ip, "", "empty"),
            (K::Domain, "10.1.2.3", "kind `ip`"),
            (K::Domain, "intranet", "two labels"),
            (K::Domain, "a..b", "labels"),
            (K::Domain, "-bad.example", "labels"),
            (K::Domain, "bücher.example", "xn--"),
            (K::Host, "a b", "letters"),
            (K::Url, "/index.html", "scheme://"),
            (K::Url, "http:///x", "no host"),
            (K::Url, "http://a b", "white space"),
            (K::Hash, "abc", "hexadecimal"),
            (K::Hash, "g41d8cd98f00b204e9800998ecf8427e", "hexadecimal"),
            (K::Email, "ann@", "address"),
            (K::Email, "ann@intranet", "address"),
            (K::User, "a\u{0}b", "control"),
        ];
        for (kind, raw, why) in table {
            let e = normalize(*kind, raw).expect_err(raw).to_string();
            assert!(e.contains(why), "{kind} {raw:?}: {e}");
        }
        let long = "a".repeat(MAX_VALUE_BYTES + 1);
        assert!(normalize(K::User, &long).is_err());
    }

    #[test]
    fn noise_is_recognised() {
        let noise: &[(K, &str)] = &[
            (K::Ip, "127.0.0.1"),
            (K::Ip, "::1"),
            (K::Ip, "0.0.0.0"),
            (K::Ip, "::"),
            (K::Ip, "224.0.0.252"),
            (K::Ip, "255.255.255.255"),
            (K::Ip, "-"),
            (K::Domain, "localhost"),
            (K::Domain, "4.3.2.1.in-addr.arpa"),
            (K::User, "NT AUTHORITY\\SYSTEM"),
            (K::User, "SYSTEM"),
            (K::User, "LOCAL SERVICE"),
            (K::User, "NT AUTHORITY\\NETWORK SERVICE"),
            (K::User, "NT SERVICE\\TrustedInstaller"),
            (K::User, "Window Manager\\DWM-1"),
            (K::User, "Font Driver Host\\UMFD-0"),
            (K::User, "ANONYMOUS LOGON"),
            (K::Hash, "00000000000000000000000000000000"),
            (K::File, "System"),
        ];
        for (kind, v) in noise {
            assert!(is_noise(*kind, v), "{kind} {v:?} is noise");
        }
        let kept: &[(K, &str)] = &[
            (K::Ip, "10.0.0.5"),
            (K::Ip, "fe80::1"),
            (K::User, "CORP\\alice"),
            (K::User, "root"),
            (K::User, "DWM-admin"),
            (K::Host, "ws01"),
            (K::File, "c:\\windows\\system32\\cmd.exe"),
        ];
        for (kind, v) in kept {
            assert!(!is_noise(*kind, v), "{kind} {v:?} is kept");
        }
    }

    #[test]
    fn machine_accounts_name_their_host() {
        assert_eq!(machine_account("CORP\\WS01$").as_deref(), Some("ws01"));
        assert_eq!(machine_account("dc01$").as_deref(), Some("dc01"));
        assert_eq!(machine_account("alice"), None);
        assert_eq!(machine_account("$"), None);
    }
}
