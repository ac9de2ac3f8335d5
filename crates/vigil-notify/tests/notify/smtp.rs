//! A real SMTP server for tests: aiosmtpd (PyPI) on a free loopback port, run from
//! `$VIGIL_PYTHON`, and readers of the messages it received.
//!
//! aiosmtpd's `Mailbox` handler stores each message in a maildir, with the envelope in the added
//! headers `X-MailFrom` and `X-RcptTo`; the tests read what arrived from there. Self-contained so
//! that other crates' end-to-end tests include it too (`#[path = ...] mod smtp;`).

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

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
pub struct SmtpServer {
    child: Child,
    pub port: u16,
    maildir: PathBuf,
    dir: tempfile::TempDir,
}

impl SmtpServer {
    /// Starts aiosmtpd on 127.0.0.1 with extra options (TLS certificates).
    pub fn start(options: &[String]) -> Self {
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

    pub fn log(&self) -> String {
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
    pub fn messages(&self, count: usize) -> Vec<String> {
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
pub fn header(message: &str, name: &str) -> Option<String> {
    let head = message.split("\n\n").next().unwrap_or_default().replace("\r\n", "\n");
    let unfolded = head.replace("\n ", " ").replace("\n\t", " ");
    let prefix = format!("{}:", name.to_ascii_lowercase());
    unfolded
        .lines()
        .find(|l| l.to_ascii_lowercase().starts_with(&prefix))
        .map(|l| l[prefix.len()..].trim().to_owned())
}

pub fn body(message: &str) -> String {
    let message = message.replace("\r\n", "\n");
    message
        .split_once("\n\n")
        .map(|(_, b)| b.to_owned())
        .unwrap_or_default()
}

/// A loopback port nothing listens on (bound, then released).
fn free_port() -> u16 {
    let socket = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    socket.local_addr().expect("address").port()
}
