//! E-mail to a real SMTP server: aiosmtpd (PyPI) on loopback, run from `$VIGIL_PYTHON`.
//!
//! aiosmtpd's `Mailbox` handler stores each message in a maildir, with the envelope in the added
//! headers `X-MailFrom` and `X-RcptTo`; the tests read what arrived from there.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use vigil_notify::{Channel, NotifyError, OutboundPolicy, SmtpConfig, SmtpSecurity};

use crate::support::{allow, free_port, notification, notifier};

const HOW_TO_GET_IT: &str = "the e-mail tests need a Python with aiosmtpd 1.4.6 in $VIGIL_PYTHON: \
     scripts/test sets one up (target/pyvenv); by hand: python3 -m venv target/pyvenv && \
     target/pyvenv/bin/pip install aiosmtpd==1.4.6 && export VIGIL_PYTHON=$PWD/target/pyvenv/bin/python";

/// `$VIGIL_PYTHON`, checked to import aiosmtpd; fails the test (never skips) otherwise.
fn python() -> PathBuf {
    let python = std::env::var_os("VIGIL_PYTHON")
        .map(PathBuf::from)
        .unwrap_or_else(|| panic!("VIGIL_PYTHON is not set; {HOW_TO_GET_IT}"));
    let ok = Command::new(&python)
        .args(["-c", "import aiosmtpd"])
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    assert!(ok, "{} cannot import aiosmtpd; {HOW_TO_GET_IT}", python.display());
    python
}

/// A running aiosmtpd, killed when dropped.
struct SmtpServer {
    child: Child,
    port: u16,
    maildir: PathBuf,
    dir: tempfile::TempDir,
}

impl SmtpServer {
    /// Starts aiosmtpd on 127.0.0.1 with extra options (TLS certificates).
    fn start(options: &[String]) -> Self {
        let dir = tempfile::tempdir().expect("temp dir");
        let maildir = dir.path().join("maildir");
        let port = free_port();
        let log = std::fs::File::create(dir.path().join("server.log")).expect("log file");
        let child = Command::new(python())
            .args(["-m", "aiosmtpd", "-n", "-l", &format!("127.0.0.1:{port}")])
            .args(options)
            .args(["-c", "aiosmtpd.handlers.Mailbox"])
            .arg(&maildir)
            .stdout(log.try_clone().expect("log handle"))
            .stderr(log)
            .spawn()
            .expect("start aiosmtpd");
        let mut server = Self {
            child,
            port,
            maildir,
            dir,
        };
        server.wait_ready();
        server
    }

    fn log(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("server.log")).unwrap_or_default()
    }

    fn wait_ready(&mut self) {
        let deadline = Instant::now() + Duration::from_secs(20);
        while Instant::now() < deadline {
            if std::net::TcpStream::connect(("127.0.0.1", self.port)).is_ok() {
                return;
            }
            if let Ok(Some(status)) = self.child.try_wait() {
                panic!("aiosmtpd exited with {status}:\n{}", self.log());
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        panic!(
            "aiosmtpd did not listen on port {} within 20 s:\n{}",
            self.port,
            self.log()
        );
    }

    /// The messages that arrived, waiting up to 10 s for `count` of them.
    fn messages(&self, count: usize) -> Vec<String> {
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            let found = read_dir(&self.maildir.join("new"));
            if found.len() >= count || Instant::now() > deadline {
                return found;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

impl Drop for SmtpServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn read_dir(dir: &Path) -> Vec<String> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    entries
        .filter_map(|e| std::fs::read_to_string(e.ok()?.path()).ok())
        .collect()
}

/// The value of header `name` (unfolded), if present.
fn header(message: &str, name: &str) -> Option<String> {
    let head = message.split("\n\n").next().unwrap_or_default().replace("\r\n", "\n");
    let unfolded = head.replace("\n ", " ").replace("\n\t", " ");
    let prefix = format!("{}:", name.to_ascii_lowercase());
    unfolded
        .lines()
        .find(|l| l.to_ascii_lowercase().starts_with(&prefix))
        .map(|l| l[prefix.len()..].trim().to_owned())
}

fn body(message: &str) -> String {
    let message = message.replace("\r\n", "\n");
    message
        .split_once("\n\n")
        .map(|(_, b)| b.to_owned())
        .unwrap_or_default()
}

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
