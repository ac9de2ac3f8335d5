//! The outbound policy: the address table, URL checks, and enforcement at connection time.

use std::net::IpAddr;

use reqwest::Url;
use vigil_notify::policy::{AddressClass, classify};
use vigil_notify::{Channel, Notifier, NotifyError, OutboundPolicy};

use crate::support::{Answer, Receiver, allow, notification, notifier};

/// (address, class it falls in; None = public).
const TABLE: &[(&str, Option<AddressClass>)] = {
    use AddressClass::*;
    &[
        ("127.0.0.1", Some(Loopback)),
        ("127.255.255.254", Some(Loopback)),
        ("::1", Some(Loopback)),
        ("10.1.2.3", Some(Private)),
        ("172.16.0.1", Some(Private)),
        ("172.31.255.255", Some(Private)),
        ("192.168.1.1", Some(Private)),
        ("fc00::1", Some(Private)),
        ("fd12:3456::1", Some(Private)),
        ("169.254.1.1", Some(LinkLocal)),
        ("fe80::1", Some(LinkLocal)),
        ("169.254.169.254", Some(Metadata)),
        ("fd00:ec2::254", Some(Metadata)),
        ("100.100.100.200", Some(Metadata)),
        ("100.64.0.1", Some(SharedAddressSpace)),
        ("100.127.255.255", Some(SharedAddressSpace)),
        ("0.0.0.0", Some(Unspecified)),
        ("::", Some(Unspecified)),
        ("255.255.255.255", Some(Broadcast)),
        ("224.0.0.1", Some(Multicast)),
        ("239.255.255.250", Some(Multicast)),
        ("ff02::1", Some(Multicast)),
        ("192.0.2.1", Some(Documentation)),
        ("198.51.100.7", Some(Documentation)),
        ("203.0.113.9", Some(Documentation)),
        ("2001:db8::1", Some(Documentation)),
        ("0.1.2.3", Some(Reserved)),
        ("240.0.0.1", Some(Reserved)),
        ("198.18.0.1", Some(Reserved)),
        ("::7f00:1", Some(Reserved)),
        ("100::1", Some(Reserved)),
        ("2001::1", Some(Reserved)),
        ("4000::1", Some(Reserved)),
        // IPv4-mapped IPv6 forms are judged by the IPv4 address.
        ("::ffff:127.0.0.1", Some(Loopback)),
        ("::ffff:10.0.0.1", Some(Private)),
        ("::ffff:169.254.169.254", Some(Metadata)),
        ("::ffff:100.100.100.200", Some(Metadata)),
        ("::ffff:100.64.1.1", Some(SharedAddressSpace)),
        ("::ffff:0.0.0.0", Some(Unspecified)),
        ("::ffff:224.0.0.1", Some(Multicast)),
        ("::ffff:203.0.113.1", Some(Documentation)),
        // NAT64 and 6to4 embed IPv4 addresses too.
        ("64:ff9b::a00:1", Some(Private)),
        ("2002:7f00:1::1", Some(Loopback)),
        // Public.
        ("1.1.1.1", None),
        ("8.8.8.8", None),
        ("172.32.0.1", None),
        ("100.128.0.1", None),
        ("169.255.0.1", None),
        ("2606:4700:4700::1111", None),
        ("2a00:1450:4001::200e", None),
        ("::ffff:8.8.8.8", None),
        ("64:ff9b::808:808", None),
    ]
};

fn ip(s: &str) -> IpAddr {
    s.parse().unwrap_or_else(|e| panic!("{s}: {e}"))
}

#[test]
fn address_table() {
    let strict = OutboundPolicy::default();
    let private = OutboundPolicy {
        allow: Vec::new(),
        allow_private: true,
    };
    for (addr, class) in TABLE {
        let addr = ip(addr);
        assert_eq!(classify(addr), *class, "{addr}");
        assert_eq!(
            strict.check_ip(addr).is_ok(),
            class.is_none(),
            "{addr} under the default policy"
        );
        let metadata = *class == Some(AddressClass::Metadata);
        assert_eq!(private.check_ip(addr).is_ok(), !metadata, "{addr} with allow_private");
        let exact = allow(&[&addr.to_string()]);
        assert!(exact.check_ip(addr).is_ok(), "{addr} allowed by itself");
    }
}

#[test]
fn refusals_name_the_address_and_its_class() {
    let err = OutboundPolicy::default()
        .check_ip(ip("::ffff:169.254.169.254"))
        .expect_err("metadata");
    let text = err.to_string();
    assert!(text.contains("cloud metadata"), "{text}");
    let err = OutboundPolicy::default().check_ip(ip("10.0.0.1")).expect_err("private");
    assert!(
        matches!(&err, NotifyError::Refused { reason, .. } if reason.contains("private")),
        "{err:?}"
    );
}

#[test]
fn cidr_entries_match_ranges_and_mapped_forms() {
    let policy = allow(&["10.20.0.0/16", "fd00:1::/32", "169.254.169.254"]);
    assert!(policy.check_ip(ip("10.20.3.4")).is_ok());
    assert!(policy.check_ip(ip("::ffff:10.20.3.4")).is_ok());
    assert!(policy.check_ip(ip("10.21.0.1")).is_err());
    assert!(policy.check_ip(ip("fd00:1::5")).is_ok());
    assert!(policy.check_ip(ip("169.254.169.254")).is_ok());
}

fn check(policy: &OutboundPolicy, url: &str) -> Result<(), NotifyError> {
    policy.check(&Url::parse(url).expect("URL"))
}

#[test]
fn urls_need_https_unless_the_host_is_allowed() {
    let strict = OutboundPolicy::default();
    assert!(check(&strict, "https://hooks.slack.com/services/T/B/x").is_ok());
    assert!(check(&strict, "https://8.8.8.8/hook").is_ok());
    let err = check(&strict, "http://hooks.example.com/hook?token=very-secret").expect_err("http");
    assert!(
        matches!(&err, NotifyError::Refused { host, .. } if host == "hooks.example.com"),
        "{err:?}"
    );
    assert!(!err.to_string().contains("very-secret"), "{err}");
    assert!(check(&strict, "ftp://hooks.example.com/").is_err());
    assert!(check(&strict, "file:///etc/passwd").is_err());

    let named = allow(&["Chat.Internal.", "10.0.0.0/8"]);
    assert!(check(&named, "http://chat.internal/hooks/x").is_ok());
    assert!(check(&named, "http://10.1.1.1/hooks/x").is_ok());
    assert!(check(&named, "http://10.1.1.1.nip.io/hooks/x").is_err());
}

#[test]
fn ip_literals_in_any_spelling_are_checked() {
    let strict = OutboundPolicy::default();
    for url in [
        "https://127.0.0.1/",
        "https://2130706433/",
        "https://0x7f.1/",
        "https://[::1]/",
        "https://[::ffff:127.0.0.1]/",
        "https://[::ffff:a9fe:a9fe]/",
        "https://169.254.169.254/latest/meta-data/",
        "https://[fd00:ec2::254]/",
        "https://100.100.100.200/",
    ] {
        let err = check(&strict, url).expect_err(url);
        assert!(matches!(err, NotifyError::Refused { .. }), "{url}: {err:?}");
    }
}

#[test]
fn invalid_allow_entries_are_all_reported() {
    let err =
        Notifier::new(allow(&["10.0.0.0/33", "ok.example", "bad host", "1.2.3.4/8"])).expect_err("invalid entries");
    let text = err.to_string();
    assert!(text.contains("10.0.0.0/33") && text.contains("bad host"), "{text}");
    assert!(!text.contains("ok.example") && !text.contains("1.2.3.4/8"), "{text}");
}

#[tokio::test]
async fn loopback_is_refused_without_an_allow_entry() {
    let receiver = Receiver::start(Answer::status(200)).await;
    let strict = notifier(OutboundPolicy::default());
    let http = Channel::Webhook {
        url: receiver.url("/"),
        secret: None,
    };
    let https = Channel::Webhook {
        url: format!("https://{}/", receiver.addr),
        secret: None,
    };
    for channel in [http, https] {
        let err = strict.send(&channel, &notification()).await.expect_err("refused");
        assert!(
            matches!(&err, NotifyError::Refused { host, .. } if host == "127.0.0.1"),
            "{err:?}"
        );
    }
    assert!(receiver.seen().is_empty());

    let allowed = notifier(allow(&["127.0.0.1/32"]));
    let channel = Channel::Webhook {
        url: receiver.url("/"),
        secret: None,
    };
    allowed.send(&channel, &notification()).await.expect("delivered");
    assert_eq!(receiver.seen().len(), 1);
}

#[tokio::test]
async fn a_name_resolving_to_loopback_is_refused_at_connection_time() {
    let receiver = Receiver::start(Answer::status(200)).await;
    let url = format!("https://localhost:{}/hook", receiver.addr.port());
    // The URL check passes: the host is a name, not an address.
    OutboundPolicy::default()
        .check(&Url::parse(&url).expect("URL"))
        .expect("name passes the URL check");
    let channel = Channel::Webhook { url, secret: None };
    let err = notifier(OutboundPolicy::default())
        .send(&channel, &notification())
        .await
        .expect_err("refused when resolved");
    match &err {
        NotifyError::Refused { host, reason } => {
            assert_eq!(host, "localhost");
            assert!(reason.contains("loopback"), "{reason}");
        }
        other => panic!("expected Refused, got {other:?}"),
    }
    assert!(receiver.seen().is_empty());
}

#[tokio::test]
async fn an_allowed_name_may_resolve_to_loopback() {
    let receiver = Receiver::start(Answer::status(200)).await;
    let channel = Channel::Webhook {
        url: format!("http://localhost:{}/hook", receiver.addr.port()),
        secret: None,
    };
    notifier(allow(&["LOCALHOST"]))
        .send(&channel, &notification())
        .await
        .expect("delivered");
    assert_eq!(receiver.seen().len(), 1);
}
