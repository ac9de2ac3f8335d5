//! The real OpenID provider (`tests/oidc/provider.mjs`, npm `oidc-provider`) on a loopback port,
//! with the console's callback on the test server as its registered redirect URI.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};

use crate::workspace;

/// A running `provider.mjs`, killed on drop.
#[derive(Debug)]
pub struct Provider {
    child: Child,
    /// `http://127.0.0.1:<port>`, as its tokens' `iss`.
    pub issuer: String,
}

impl Provider {
    /// Starts the provider with `redirect_uri` registered for the `vigil-console` client and the
    /// tenant `default` (the local users' tenant) in its tokens.
    pub fn start(redirect_uri: &str) -> Provider {
        let dir = workspace().join("tests/oidc");
        let mut child = Command::new("node")
            .arg("provider.mjs")
            .current_dir(&dir)
            .env("PORT", "0")
            .env("REDIRECT_URI", redirect_uri)
            .env("TENANT", "default")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("node runs tests/oidc/provider.mjs");
        let mut out = BufReader::new(child.stdout.take().expect("stdout"));
        let mut line = String::new();
        out.read_line(&mut line).expect("provider output");
        // Keep draining what it prints later: a closed pipe would end it.
        std::thread::spawn(move || std::io::copy(&mut out, &mut std::io::sink()));
        let issuer = line
            .trim()
            .strip_prefix("READY ")
            .unwrap_or_else(|| panic!("provider.mjs printed {line:?}, not READY <issuer>"))
            .to_owned();
        Provider { child, issuer }
    }
}

impl Drop for Provider {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
