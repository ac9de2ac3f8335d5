//! E-mail to a real SMTP server: aiosmtpd (PyPI) on loopback, run from `$VIGIL_PYTHON`
//! ([`crate::smtp`]).

use std::path::{Path, PathBuf};

use vigil_notify::{Channel, NotifyError, OutboundPolicy, SmtpConfig, SmtpSecurity};

use crate::smtp::{SmtpServer, body, header};
use crate::support::{allow, notification, notifier};

fn smtp(host: &str, port: u16, security: SmtpSecurity, ca_file: Option<PathBuf>) -> SmtpConfig {
    SmtpConfig {
        host: host.into(),
        port,
        security,
        username: None,
        password: None,
        ca_file,
    }
}

fn email(smtp: SmtpConfig) -> Channel {
    Channel::Email {
        smtp,
        from: "Vigil <vigil@soc.example>".into(),
        to: vec!["oncall@soc.example".into(), "lead@soc.example".into()],
    }
}

#[tokio::test]
async fn plain_smtp_to_a_loopback_relay() {
    let server = SmtpServer::start(&[]);
    let mut n = notification();
    n.subject = "Escalation: host01\r\nBcc: attacker@evil.example".into();
    n.text = "First line\n.\nA line with only a dot above".into();
    let channel = email(smtp("127.0.0.1", server.port, SmtpSecurity::None, None));

    let delivered = notifier(allow(&["127.0.0.1/32"]))
        .send(&channel, &n)
        .await
        .expect("sent");
    assert_eq!(delivered.status, Some(250), "{delivered:?}");

    let messages = server.messages(1);
    assert_eq!(messages.len(), 1, "{}", server.log());
    let m = &messages[0];
    assert_eq!(
        header(m, "Subject").as_deref(),
        Some("Escalation: host01  Bcc: attacker@evil.example")
    );
    assert_eq!(header(m, "Bcc"), None);
    assert_eq!(header(m, "From").as_deref(), Some("Vigil <vigil@soc.example>"));
    assert_eq!(header(m, "To").as_deref(), Some("oncall@soc.example, lead@soc.example"));
    assert_eq!(header(m, "Message-ID"), Some(format!("<{}@vigil>", n.id)));
    assert_eq!(header(m, "X-Vigil-Delivery").as_deref(), Some(n.id.as_str()));
    assert_eq!(header(m, "Auto-Submitted").as_deref(), Some("auto-generated"));
    assert_eq!(header(m, "X-MailFrom").as_deref(), Some("vigil@soc.example"));
    assert_eq!(
        header(m, "X-RcptTo").as_deref(),
        Some("oncall@soc.example, lead@soc.example")
    );
    assert!(
        header(m, "Content-Type").is_some_and(|c| c.starts_with("text/plain")),
        "{m}"
    );
    let body = body(m);
    assert!(
        body.starts_with("First line\n.\nA line with only a dot above\n\n"),
        "{body}"
    );
    assert!(
        body.contains("Incident: 42\n") && body.contains("Link: https://vigil.example/incidents/42"),
        "{body}"
    );
}

#[tokio::test]
async fn loopback_relay_needs_an_allow_entry() {
    let server = SmtpServer::start(&[]);
    let channel = email(smtp("127.0.0.1", server.port, SmtpSecurity::None, None));
    let err = notifier(OutboundPolicy::default())
        .send(&channel, &notification())
        .await
        .expect_err("refused");
    assert!(matches!(err, NotifyError::Refused { .. }), "{err:?}");
    assert!(server.messages(0).is_empty());
}

#[tokio::test]
async fn unencrypted_smtp_is_refused_for_other_hosts() {
    let channel = email(smtp("smtp.example.com", 25, SmtpSecurity::None, None));
    let err = notifier(OutboundPolicy {
        allow: Vec::new(),
        allow_private: true,
    })
    .send(&channel, &notification())
    .await
    .expect_err("refused");
    match err {
        NotifyError::Refused { host, reason } => {
            assert_eq!(host, "smtp.example.com");
            assert!(reason.contains("only for a loopback host"), "{reason}");
        }
        other => panic!("expected Refused, got {other:?}"),
    }
}

#[tokio::test]
async fn bad_addresses_are_permanent() {
    let mut channel = email(smtp("127.0.0.1", 25, SmtpSecurity::None, None));
    if let Channel::Email { to, .. } = &mut channel {
        to.push("not an address".into());
    }
    let err = notifier(allow(&["127.0.0.1/32"]))
        .send(&channel, &notification())
        .await
        .expect_err("bad recipient");
    assert!(matches!(err, NotifyError::Permanent { .. }), "{err:?}");
}

/// A CA and a certificate for `localhost` / 127.0.0.1 signed by it, written as PEM files.
struct Pki {
    ca: PathBuf,
    cert: PathBuf,
    key: PathBuf,
    _dir: tempfile::TempDir,
}

fn pki() -> Pki {
    use rcgen::{BasicConstraints, CertificateParams, CertifiedIssuer, IsCa, KeyPair};
    let mut ca_params = CertificateParams::new(Vec::<String>::new()).expect("CA params");
    ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    let ca = CertifiedIssuer::self_signed(ca_params, KeyPair::generate().expect("CA key")).expect("CA");
    let key = KeyPair::generate().expect("server key");
    let names = vec!["localhost".to_owned(), "127.0.0.1".to_owned()];
    let cert = CertificateParams::new(names)
        .expect("server params")
        .signed_by(&key, &ca)
        .expect("server certificate");
    let dir = tempfile::tempdir().expect("temp dir");
    let write = |name: &str, pem: String| {
        let path = dir.path().join(name);
        std::fs::write(&path, pem).expect("write PEM");
        path
    };
    Pki {
        ca: write("ca.pem", ca.pem()),
        cert: write("cert.pem", cert.pem()),
        key: write("key.pem", key.serialize_pem()),
        _dir: dir,
    }
}

fn path_arg(p: &Path) -> String {
    p.display().to_string()
}

#[tokio::test]
async fn starttls_with_a_private_ca() {
    let pki = pki();
    let server = SmtpServer::start(&[
        "--tlscert".into(),
        path_arg(&pki.cert),
        "--tlskey".into(),
        path_arg(&pki.key),
    ]);
    let channel = email(smtp(
        "localhost",
        server.port,
        SmtpSecurity::Starttls,
        Some(pki.ca.clone()),
    ));
    // `localhost` may resolve to ::1 first, where nothing listens: the next address is tried.
    let delivered = notifier(allow(&["localhost"]))
        .send(&channel, &notification())
        .await
        .expect("sent");
    assert_eq!(delivered.status, Some(250));
    let messages = server.messages(1);
    assert_eq!(messages.len(), 1, "{}", server.log());
    assert_eq!(
        header(&messages[0], "Message-ID"),
        Some(format!("<{}@vigil>", notification().id))
    );

    // Without the private CA the certificate does not verify: permanent, nothing delivered.
    let untrusted = email(smtp("localhost", server.port, SmtpSecurity::Starttls, None));
    let err = notifier(allow(&["localhost"]))
        .send(&untrusted, &notification())
        .await
        .expect_err("untrusted");
    assert!(matches!(err, NotifyError::Permanent { .. }), "{err:?}");
    assert_eq!(server.messages(1).len(), 1);
}

#[tokio::test]
async fn implicit_tls_with_a_private_ca() {
    let pki = pki();
    let server = SmtpServer::start(&[
        "--smtpscert".into(),
        path_arg(&pki.cert),
        "--smtpskey".into(),
        path_arg(&pki.key),
    ]);
    let channel = email(smtp("127.0.0.1", server.port, SmtpSecurity::Tls, Some(pki.ca.clone())));
    let delivered = notifier(allow(&["127.0.0.1/32"]))
        .send(&channel, &notification())
        .await
        .expect("sent");
    assert_eq!(delivered.status, Some(250));
    assert_eq!(server.messages(1).len(), 1, "{}", server.log());
}
