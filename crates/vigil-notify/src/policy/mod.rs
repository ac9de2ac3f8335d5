//! The outbound policy: which destinations notifications may reach.
//!
//! Checked twice: [`OutboundPolicy::check`] on the URL before a request (scheme, IP literals), and
//! on every address a host name resolves to when the connection is made
//! ([`resolve`](self::resolve)), so a DNS answer cannot point a permitted name at a forbidden
//! address after the first check.

mod addr;
pub(crate) mod resolve;

use std::net::IpAddr;

use ipnet::IpNet;
use reqwest::Url;
use serde::{Deserialize, Serialize};

pub use addr::{AddressClass, classify};

use crate::NotifyError;

/// Which destinations notifications may reach (config section `[notify.outbound]`).
///
/// Refused by default: every address [`classify`] puts in a class (loopback, private, link-local,
/// cloud metadata, CGNAT, unspecified, broadcast, multicast, documentation, reserved, and the
/// IPv4-mapped IPv6 forms of these). An address is let through when an `allow` CIDR contains it,
/// when it was resolved from a host name listed in `allow`, or when `allow_private` is set —
/// except cloud metadata addresses, which only an `allow` CIDR opens.
///
/// Only `https` URLs are accepted; `http` only for hosts listed in `allow` (by name or CIDR).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OutboundPolicy {
    /// Host names (exact, case-insensitive) or CIDRs / single addresses explicitly allowed.
    #[serde(default)]
    pub allow: Vec<String>,
    /// Let through every non-public address except cloud metadata (on-premises chat servers).
    #[serde(default)]
    pub allow_private: bool,
}

impl OutboundPolicy {
    /// Checks a URL before a request: scheme, host, and the address when the host is an IP
    /// literal. Host names are checked again at connection time, address by address.
    pub fn check(&self, url: &Url) -> Result<(), NotifyError> {
        self.compile()?.check_url(url)
    }

    /// Checks one address (as if it came from resolving a host name not in `allow`).
    pub fn check_ip(&self, ip: IpAddr) -> Result<(), NotifyError> {
        let rules = self.compile()?;
        rules
            .check_ip(ip, false)
            .map_err(|reason| NotifyError::refused(ip.to_string(), reason))
    }

    /// Parses the allow list, reporting every invalid entry at once.
    pub(crate) fn compile(&self) -> Result<Rules, NotifyError> {
        let mut rules = Rules {
            nets: Vec::new(),
            names: Vec::new(),
            allow_private: self.allow_private,
        };
        let mut bad = Vec::new();
        for entry in &self.allow {
            match parse_entry(entry) {
                Some(Entry::Net(net)) => rules.nets.push(net),
                Some(Entry::Name(name)) => rules.names.push(name),
                None => bad.push(format!("{entry:?}")),
            }
        }
        if bad.is_empty() {
            Ok(rules)
        } else {
            Err(NotifyError::permanent(
                None,
                format!("invalid outbound allow entries: {}", bad.join(", ")),
            ))
        }
    }
}

enum Entry {
    Net(IpNet),
    Name(String),
}

fn parse_entry(entry: &str) -> Option<Entry> {
    let entry = entry.trim();
    if let Ok(net) = entry.parse::<IpNet>() {
        return Some(Entry::Net(net.trunc()));
    }
    if let Ok(ip) = entry.parse::<IpAddr>() {
        return Some(Entry::Net(IpNet::from(ip)));
    }
    let name = normalize_name(entry);
    let valid = !name.is_empty()
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'-' | b'_'));
    valid.then_some(Entry::Name(name))
}

/// The address of a URL host that is an IP literal (`[...]` for IPv6).
fn host_ip(host: &str) -> Option<IpAddr> {
    let bare = host.strip_prefix('[').and_then(|h| h.strip_suffix(']')).unwrap_or(host);
    bare.parse().ok()
}

fn normalize_name(name: &str) -> String {
    name.trim_end_matches('.').to_ascii_lowercase()
}

/// The compiled policy used on every request.
#[derive(Clone, Debug)]
pub(crate) struct Rules {
    nets: Vec<IpNet>,
    names: Vec<String>,
    allow_private: bool,
}

impl Rules {
    /// Whether `host` is listed by name.
    pub(crate) fn name_allowed(&self, host: &str) -> bool {
        let host = normalize_name(host);
        self.names.contains(&host)
    }

    fn net_allowed(&self, ip: IpAddr) -> bool {
        let canonical = ip.to_canonical();
        self.nets
            .iter()
            .any(|net| net.contains(&ip) || net.contains(&canonical))
    }

    /// Whether `ip` may be reached; `Err` carries the reason. `name_allowed`: the address came
    /// from resolving a host name listed in `allow`.
    pub(crate) fn check_ip(&self, ip: IpAddr, name_allowed: bool) -> Result<(), String> {
        if self.net_allowed(ip) {
            return Ok(());
        }
        match classify(ip) {
            None => Ok(()),
            Some(AddressClass::Metadata) => Err(format!(
                "{ip} is a cloud metadata address (only an allow CIDR opens it)"
            )),
            Some(_) if self.allow_private || name_allowed => Ok(()),
            Some(class) => Err(format!("{ip} is a {class} address")),
        }
    }

    /// The checks done before a request; see [`OutboundPolicy::check`].
    pub(crate) fn check_url(&self, url: &Url) -> Result<(), NotifyError> {
        let host_str = url
            .host_str()
            .filter(|h| !h.is_empty())
            .ok_or_else(|| NotifyError::permanent(None, "URL without a host"))?;
        let ip = host_ip(host_str);
        let listed = match ip {
            Some(ip) => self.net_allowed(ip),
            None => self.name_allowed(host_str),
        };
        match url.scheme() {
            "https" => {}
            "http" if listed => {}
            "http" => {
                return Err(NotifyError::refused(
                    host_str,
                    "plain http only to hosts in the allow list",
                ));
            }
            other => {
                return Err(NotifyError::refused(
                    host_str,
                    format!("scheme {other:?} is not allowed (https only)"),
                ));
            }
        }
        match ip {
            Some(ip) => self
                .check_ip(ip, false)
                .map_err(|reason| NotifyError::refused(host_str, reason)),
            None => Ok(()),
        }
    }
}
